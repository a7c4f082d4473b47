//! Queries and mutations about people: `me`, `user`, `searchUsers` and
//! `updateProfile`.

use async_graphql::{Context, InputObject, Object};

use crate::{
    auth::{Authenticated, current_viewer, require_viewer},
    content::PictureUrl,
    context::app,
    error::{AppError, AppResult},
    pagination::page_complexity,
    pagination::page_request,
    request::loader,
};

use super::{
    User, UserConnection, UserLoader, fields::Description, load_user, repo, search, user_connection,
};

/// Queries about people.
#[derive(Default)]
pub struct UserQuery;

#[Object]
impl UserQuery {
    /// The signed-in user.
    #[graphql(guard = "Authenticated")]
    async fn me(&self, ctx: &Context<'_>) -> AppResult<User> {
        let viewer = require_viewer(ctx).await?;
        prefetch_one(ctx, &viewer.user_id).await?;
        load_user(ctx, &viewer.user_id).await
    }

    /// The person with this username (compared without regard to case), or
    /// null when there is none.
    #[graphql(guard = "Authenticated")]
    async fn user(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The username to look up.")] username: String,
    ) -> AppResult<Option<User>> {
        let Some(found) = repo::find_by_username(&app(ctx).db, &username).await? else {
            return Ok(None);
        };
        prefetch_one(ctx, &found.id).await?;
        Ok(Some(found.into()))
    }

    /// People whose username contains `query`, without regard to case: those
    /// whose username starts with it first, then the rest, each group in
    /// alphabetical order.
    #[graphql(
        guard = "Authenticated",
        complexity = "page_complexity(first, child_complexity)"
    )]
    async fn search_users(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Part of a username; must not be blank.")] query: String,
        #[graphql(default = 20, desc = "How many people to return, at most 50.")] first: Option<
            i32,
        >,
        #[graphql(desc = "Return people after this cursor (a previous page's `endCursor`).")]
        after: Option<String>,
    ) -> AppResult<UserConnection> {
        let needle = search::Needle::parse(&query)?;
        let page = page_request::<search::SearchCursor>(ctx, "search", first, after)?;

        let rows = search::page(&app(ctx).db, &needle, &page).await?;

        // The rows are whole users: hand them to the loader instead of reading
        // them again.
        loader::<UserLoader>(ctx)
            .feed_many(
                rows.iter()
                    .map(|(_, user)| (user.id.clone(), User::from(user.clone()))),
            )
            .await;
        user_connection(
            ctx,
            &page,
            rows,
            |(_, user)| user.id.as_str(),
            |(cursor, _)| page.cursor(cursor),
        )
        .await
    }
}

/// Loads what the selection asks of one user up front, so that the answer
/// costs the same statements whatever else the operation selects.
async fn prefetch_one(ctx: &Context<'_>, id: &str) -> AppResult<()> {
    let viewer = current_viewer(ctx).await?;
    super::prefetch(ctx, &ctx.look_ahead(), &[id.to_owned()], viewer.as_ref()).await
}

/// What `updateProfile` changes; fields left out stay as they are.
#[derive(InputObject)]
pub struct UpdateProfileInput {
    /// New free text about the user, up to 500 characters; empty clears it.
    pub description: Option<String>,
    /// New profile picture: an absolute http(s) URL.
    pub profile_pic_url: Option<String>,
}

/// Mutations about one's own profile.
#[derive(Default)]
pub struct UserMutation;

#[Object]
impl UserMutation {
    /// Changes the viewer's description or profile picture, and returns the
    /// updated profile.
    #[graphql(guard = "Authenticated")]
    async fn update_profile(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The fields to change.")] input: UpdateProfileInput,
    ) -> AppResult<User> {
        let description = input
            .description
            .as_deref()
            .map(Description::parse)
            .transpose()?;
        let picture = input
            .profile_pic_url
            .as_deref()
            .map(|url| PictureUrl::parse("profilePicUrl", url))
            .transpose()?;
        let viewer = require_viewer(ctx).await?;

        let updated = repo::update_profile(
            &app(ctx).db,
            &viewer.user_id,
            description.map(|d| d.as_str().to_owned()),
            picture.map(PictureUrl::into_inner),
        )
        .await?;

        let images = loader::<crate::images::ImageLoader>(ctx);
        images.clear::<crate::images::ImageOwner>();
        let user = updated.ok_or_else(|| {
            AppError::internal("the viewer's account is missing", &viewer.user_id)
        })?;
        Ok(User::from(user))
    }
}
