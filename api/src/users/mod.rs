//! People: the `User` type as others see it, loading users in batches, lists
//! of users, and the queries and mutations about profiles.

pub mod fields;
mod graphql;
pub mod repo;
pub mod search;

use std::collections::HashMap;

use async_graphql::{Context, ID, Lookahead, Object, dataloader::Loader};
use chrono::{DateTime, Utc};
use entity::{image::ImageKind, user};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};

pub use graphql::{UserMutation, UserQuery};

use crate::{
    auth::{Viewer, current_viewer},
    batch::{CountLoader, FollowersOfUser, FollowingOfUser, Follows, PostsOfUser, RelationLoader},
    context::app,
    error::{AppError, AppResult},
    follows,
    images::{Image, ImageLoader, ImageOwner},
    pagination::page_complexity,
    pagination::{Cursor, PageRequest, connection, page_request},
    posts::{self, PostConnection},
    request::loader,
};

connection!(UserConnection, UserEdge, User, "user");

/// A person with an account. The password hash is not part of this type at all,
/// and the email is shown to its owner only.
#[derive(Clone, Debug)]
pub struct User {
    id: String,
    username: String,
    description: String,
    created_at: DateTime<Utc>,
    email: String,
    /// Set when the value is built for its owner, such as in `signIn`'s answer,
    /// where the request carries no token yet.
    email_revealed: bool,
}

impl User {
    /// The user as seen by the owner of the account.
    pub fn for_owner(model: user::Model) -> Self {
        Self {
            email_revealed: true,
            ..model.into()
        }
    }

    pub fn id(&self) -> &str {
        &self.id
    }

    pub fn username(&self) -> &str {
        &self.username
    }
}

impl From<user::Model> for User {
    fn from(model: user::Model) -> Self {
        Self {
            id: model.id,
            username: model.username,
            description: model.description,
            created_at: model.created_at,
            email: model.email,
            email_revealed: false,
        }
    }
}

/// A person with an account. The email is visible to its owner only.
#[Object(name = "User")]
impl User {
    /// Opaque id.
    #[graphql(name = "id")]
    async fn gql_id(&self) -> ID {
        ID(self.id.clone())
    }

    /// Unique handle, shown as the display name.
    #[graphql(name = "username")]
    async fn gql_username(&self) -> &str {
        &self.username
    }

    /// Free text the user wrote about themself; empty when they wrote none.
    async fn description(&self) -> &str {
        &self.description
    }

    /// When the account was created.
    async fn created_at(&self) -> DateTime<Utc> {
        self.created_at
    }

    /// Profile picture; null when the user has none.
    async fn profile_pic(&self, ctx: &Context<'_>) -> AppResult<Option<Image>> {
        let images = loader::<ImageLoader>(ctx)
            .load_one((ImageKind::User, self.id.clone()))
            .await?;
        Ok(images.and_then(|images| images.into_iter().next()))
    }

    /// Email address: visible to the user themself only, null for everyone else.
    async fn email(&self, ctx: &Context<'_>) -> AppResult<Option<&str>> {
        let visible = self.email_revealed || self.is_viewer(ctx).await?;
        Ok(visible.then_some(self.email.as_str()))
    }

    /// Whether this is the signed-in viewer.
    #[graphql(name = "isViewer")]
    async fn gql_is_viewer(&self, ctx: &Context<'_>) -> AppResult<bool> {
        self.is_viewer(ctx).await
    }

    /// Whether the signed-in viewer follows this person; false for the viewer.
    async fn viewer_is_following(&self, ctx: &Context<'_>) -> AppResult<bool> {
        let Some(viewer) = current_viewer(ctx).await? else {
            return Ok(false);
        };
        let follows = loader::<RelationLoader<Follows>>(ctx)
            .load_one((viewer.user_id, self.id.clone()))
            .await?;
        Ok(follows.unwrap_or(false))
    }

    /// How many posts this person has published.
    async fn post_count(&self, ctx: &Context<'_>) -> AppResult<i64> {
        count::<PostsOfUser>(ctx, &self.id).await
    }

    /// How many people follow this person.
    async fn follower_count(&self, ctx: &Context<'_>) -> AppResult<i64> {
        count::<FollowersOfUser>(ctx, &self.id).await
    }

    /// How many people this person follows.
    async fn following_count(&self, ctx: &Context<'_>) -> AppResult<i64> {
        count::<FollowingOfUser>(ctx, &self.id).await
    }

    /// This person's posts, newest first: the profile grid.
    #[graphql(complexity = "page_complexity(first, child_complexity)")]
    async fn posts(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 20, desc = "How many posts to return, at most 50.")] first: Option<i32>,
        #[graphql(desc = "Return posts after this cursor (a previous page's `endCursor`).")]
        after: Option<String>,
    ) -> AppResult<PostConnection> {
        let page = page_request(ctx, "posts", first, after)?;
        let rows = posts::repo::by_author_query(&self.id, &page)
            .all(&app(ctx).db)
            .await?;
        posts::connection_of(ctx, &page, rows).await
    }

    /// The people who follow this person, most recent follow first.
    #[graphql(complexity = "page_complexity(first, child_complexity)")]
    async fn followers(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 20, desc = "How many people to return, at most 50.")] first: Option<
            i32,
        >,
        #[graphql(desc = "Return people after this cursor (a previous page's `endCursor`).")]
        after: Option<String>,
    ) -> AppResult<UserConnection> {
        let page = page_request(ctx, "followers", first, after)?;
        let rows = follows::followers_page(&app(ctx).db, &self.id, &page).await?;
        timed_connection(ctx, &page, rows).await
    }

    /// The people this person follows, most recent follow first.
    #[graphql(complexity = "page_complexity(first, child_complexity)")]
    async fn following(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 20, desc = "How many people to return, at most 50.")] first: Option<
            i32,
        >,
        #[graphql(desc = "Return people after this cursor (a previous page's `endCursor`).")]
        after: Option<String>,
    ) -> AppResult<UserConnection> {
        let page = page_request(ctx, "following", first, after)?;
        let rows = follows::following_page(&app(ctx).db, &self.id, &page).await?;
        timed_connection(ctx, &page, rows).await
    }
}

impl User {
    async fn is_viewer(&self, ctx: &Context<'_>) -> AppResult<bool> {
        Ok(current_viewer(ctx)
            .await?
            .is_some_and(|viewer| viewer.user_id == self.id))
    }
}

async fn count<C: crate::batch::Counted>(ctx: &Context<'_>, id: &str) -> AppResult<i64> {
    let count = loader::<CountLoader<C>>(ctx)
        .load_one(id.to_owned())
        .await?;
    Ok(count.unwrap_or(0))
}

/// Loads many users by id in one statement.
pub struct UserLoader {
    pub db: DatabaseConnection,
}

impl Loader<String> for UserLoader {
    type Value = User;
    type Error = AppError;

    async fn load(&self, ids: &[String]) -> Result<HashMap<String, User>, AppError> {
        let rows = user::Entity::find()
            .filter(user::Column::Id.is_in(ids.iter().map(String::as_str)))
            .all(&self.db)
            .await?;
        Ok(rows
            .into_iter()
            .map(|row| (row.id.clone(), User::from(row)))
            .collect())
    }
}

/// Loads one user who must exist, such as the author of a post.
pub async fn load_user(ctx: &Context<'_>, id: &str) -> AppResult<User> {
    loader::<UserLoader>(ctx)
        .load_one(id.to_owned())
        .await?
        .ok_or_else(|| AppError::internal("a referenced user is missing", id))
}

/// Loads, in one batch per kind, what `selection` (the selection set of a
/// `User`) will ask of the users with these ids: the users themselves, their
/// pictures, their counts, and whether the viewer follows them.
pub async fn prefetch(
    ctx: &Context<'_>,
    selection: &Lookahead<'_>,
    ids: &[String],
    viewer: Option<&Viewer>,
) -> AppResult<()> {
    let wants = |field: &str| selection.field(field).exists();
    let all = || ids.to_vec();
    let none = Vec::new;
    let pictures: Vec<ImageOwner> = if wants("profilePic") {
        ids.iter().map(|id| (ImageKind::User, id.clone())).collect()
    } else {
        Vec::new()
    };
    let flags = match viewer {
        Some(viewer) if wants("viewerIsFollowing") => ids
            .iter()
            .map(|id| (viewer.user_id.clone(), id.clone()))
            .collect(),
        _ => Vec::new(),
    };

    tokio::try_join!(
        loader::<UserLoader>(ctx).load_many(all()),
        loader::<ImageLoader>(ctx).load_many(pictures),
        loader::<CountLoader<PostsOfUser>>(ctx).load_many(if wants("postCount") {
            all()
        } else {
            none()
        }),
        loader::<CountLoader<FollowersOfUser>>(ctx).load_many(if wants("followerCount") {
            all()
        } else {
            none()
        }),
        loader::<CountLoader<FollowingOfUser>>(ctx).load_many(if wants("followingCount") {
            all()
        } else {
            none()
        }),
        loader::<RelationLoader<Follows>>(ctx).load_many(flags),
    )?;
    Ok(())
}

/// Builds a page of users from rows of `(user id, position)`, loading the users
/// and what the selection asks of them in one batch per kind.
pub async fn user_connection<R, P>(
    ctx: &Context<'_>,
    page: &PageRequest<P>,
    rows: Vec<R>,
    id_of: impl Fn(&R) -> &str,
    cursor: impl Fn(&R) -> String,
) -> AppResult<UserConnection> {
    // The row beyond the page, read to learn whether another page follows,
    // is loaded too, so that it survives the filter below.
    let ids: Vec<String> = rows.iter().map(|row| id_of(row).to_owned()).collect();
    let viewer = current_viewer(ctx).await?;
    let selection = ctx.look_ahead().field("edges").field("node");
    prefetch(ctx, &selection, &ids, viewer.as_ref()).await?;
    let users = loader::<UserLoader>(ctx).load_many(ids).await?;

    // A user deleted since the list was read is left out of the page.
    let rows: Vec<(R, User)> = rows
        .into_iter()
        .filter_map(|row| {
            let user = users.get(id_of(&row))?.clone();
            Some((row, user))
        })
        .collect();
    Ok(UserConnection::from_rows(
        page,
        rows,
        |(row, _)| cursor(row),
        |(_, user)| user,
    ))
}

/// A page of users listed by the time of a relation (a follow, a like).
pub async fn timed_connection(
    ctx: &Context<'_>,
    page: &PageRequest,
    rows: Vec<(String, DateTime<Utc>)>,
) -> AppResult<UserConnection> {
    user_connection(
        ctx,
        page,
        rows,
        |(id, _)| id.as_str(),
        |(id, time)| page.cursor(&Cursor::new(*time, id.clone())),
    )
    .await
}
