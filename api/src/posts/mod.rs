//! Posts: the `Post` type and the home feed.

pub mod repo;

use async_graphql::{Context, ID, Lookahead, Object};
use chrono::{DateTime, Utc};
use entity::{image::ImageKind, post};

use crate::{
    auth::{Authenticated, Viewer, current_viewer, require_viewer},
    context::app,
    error::AppResult,
    images::{Image, ImageLoader, ImageOwner},
    likes::{LikeCountLoader, LikeKey, LikedLoader},
    pagination::{Cursor, PageRequest, connection},
    request::loader,
    users::{User, UserLoader, load_user},
};

connection!(PostConnection, PostEdge, Post, "post");

/// A post: a caption and one or more pictures.
#[derive(Clone, Debug)]
pub struct Post {
    id: String,
    caption: String,
    user_id: String,
    created_at: DateTime<Utc>,
}

impl From<post::Model> for Post {
    fn from(model: post::Model) -> Self {
        Self {
            id: model.id,
            caption: model.caption,
            user_id: model.user_id,
            created_at: model.created_at,
        }
    }
}

/// A post: a caption and one or more pictures.
#[Object]
impl Post {
    /// Opaque id.
    async fn id(&self) -> ID {
        ID(self.id.clone())
    }

    /// Text under the pictures; may be empty.
    async fn caption(&self) -> &str {
        &self.caption
    }

    /// When the post was published.
    async fn created_at(&self) -> DateTime<Utc> {
        self.created_at
    }

    /// Who published it.
    async fn author(&self, ctx: &Context<'_>) -> AppResult<User> {
        load_user(ctx, &self.user_id).await
    }

    /// The pictures, in `sequence` order.
    async fn images(&self, ctx: &Context<'_>) -> AppResult<Vec<Image>> {
        let images = loader::<ImageLoader>(ctx)
            .load_one((ImageKind::Post, self.id.clone()))
            .await?;
        Ok(images.unwrap_or_default())
    }

    /// How many people like the post.
    async fn like_count(&self, ctx: &Context<'_>) -> AppResult<i64> {
        let count = loader::<LikeCountLoader>(ctx)
            .load_one(self.id.clone())
            .await?;
        Ok(count.unwrap_or(0))
    }

    /// Whether the signed-in viewer likes the post; false when nobody is signed in.
    async fn viewer_has_liked(&self, ctx: &Context<'_>) -> AppResult<bool> {
        let Some(viewer) = current_viewer(ctx).await? else {
            return Ok(false);
        };
        let liked = loader::<LikedLoader>(ctx)
            .load_one((viewer.user_id, self.id.clone()))
            .await?;
        Ok(liked.unwrap_or(false))
    }
}

/// Loads, in one batch per kind, what `selection` (the selection set of a list
/// of posts) will ask of `posts`: authors and their pictures, the posts'
/// pictures, like counts and the viewer's likes. The items' own resolvers then
/// find it all in the request's loader caches, so a page of any size costs the
/// same few statements.
pub async fn prefetch(
    ctx: &Context<'_>,
    selection: &Lookahead<'_>,
    posts: &[post::Model],
    viewer: &Viewer,
) -> AppResult<()> {
    let post_ids = || posts.iter().map(|post| post.id.clone());
    let mut author_ids: Vec<String> = posts.iter().map(|post| post.user_id.clone()).collect();
    author_ids.sort_unstable();
    author_ids.dedup();
    let wants = |field: &str| selection.field(field).exists();
    let author = selection.field("author");

    let mut owners: Vec<ImageOwner> = Vec::new();
    if wants("images") {
        owners.extend(post_ids().map(|id| (ImageKind::Post, id)));
    }
    if author.field("profilePic").exists() {
        owners.extend(author_ids.iter().map(|id| (ImageKind::User, id.clone())));
    }
    let authors = if author.exists() {
        author_ids
    } else {
        Vec::new()
    };
    let counted = if wants("likeCount") {
        post_ids().collect()
    } else {
        Vec::new()
    };
    let flagged: Vec<LikeKey> = if wants("viewerHasLiked") {
        post_ids().map(|id| (viewer.user_id.clone(), id)).collect()
    } else {
        Vec::new()
    };

    tokio::try_join!(
        loader::<UserLoader>(ctx).load_many(authors),
        loader::<ImageLoader>(ctx).load_many(owners),
        loader::<LikeCountLoader>(ctx).load_many(counted),
        loader::<LikedLoader>(ctx).load_many(flagged),
    )?;
    Ok(())
}

/// Queries about posts.
#[derive(Default)]
pub struct PostQuery;

#[Object]
impl PostQuery {
    /// The home feed: posts by the people the viewer follows and by the viewer,
    /// newest first (ties broken by id). `first` defaults to 20 and is capped at 50.
    #[graphql(guard = "Authenticated")]
    async fn following_posts(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 20, desc = "How many posts to return, at most 50.")] first: Option<i32>,
        #[graphql(desc = "Return posts after this cursor (a previous page's `endCursor`).")]
        after: Option<String>,
    ) -> AppResult<PostConnection> {
        let page = PageRequest::new(first, after)?;
        let viewer = require_viewer(ctx).await?;

        let rows = repo::following_page(&app(ctx).db, &viewer.user_id, &page).await?;
        prefetch(
            ctx,
            &ctx.look_ahead().field("edges").field("node"),
            &rows,
            &viewer,
        )
        .await?;

        Ok(PostConnection::from_rows(
            &page,
            rows,
            |row| Cursor::new(row.created_at, row.id.clone()),
            Post::from,
        ))
    }
}
