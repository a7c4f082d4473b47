//! Posts: the `Post` type, the home feed, a single post with its likers, and
//! creating and deleting posts.

pub mod repo;

use async_graphql::{Context, ID, InputObject, Lookahead, Object};
use chrono::{DateTime, Utc};
use entity::{image::ImageKind, post};

use crate::{
    auth::{Authenticated, Viewer, current_viewer, require_viewer},
    batch::{CountLoader, Likes, LikesOfPost, PostsOfUser, RelationLoader},
    content::{Caption, MAX_POST_PICTURES, PictureUrl},
    context::app,
    error::{AppError, AppResult},
    images::{Image, ImageLoader, ImageOwner},
    pagination::page_complexity,
    pagination::{Cursor, PageRequest, connection, page_request},
    request::loader,
    users::{User, UserConnection, load_user, timed_connection},
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

impl Post {
    pub fn id(&self) -> &str {
        &self.id
    }
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
    #[graphql(name = "id")]
    async fn gql_id(&self) -> ID {
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
        let count = loader::<CountLoader<LikesOfPost>>(ctx)
            .load_one(self.id.clone())
            .await?;
        Ok(count.unwrap_or(0))
    }

    /// Whether the signed-in viewer likes the post; false when nobody is signed in.
    async fn viewer_has_liked(&self, ctx: &Context<'_>) -> AppResult<bool> {
        let Some(viewer) = current_viewer(ctx).await? else {
            return Ok(false);
        };
        let liked = loader::<RelationLoader<Likes>>(ctx)
            .load_one((viewer.user_id, self.id.clone()))
            .await?;
        Ok(liked.unwrap_or(false))
    }

    /// The people who like the post, most recent like first.
    #[graphql(complexity = "page_complexity(first, child_complexity)")]
    async fn liked_by(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 20, desc = "How many people to return, at most 50.")] first: Option<
            i32,
        >,
        #[graphql(desc = "Return people after this cursor (a previous page's `endCursor`).")]
        after: Option<String>,
    ) -> AppResult<UserConnection> {
        let page = page_request(ctx, "likers", first, after)?;
        let rows = repo::likers_page(&app(ctx).db, &self.id, &page).await?;
        timed_connection(ctx, &page, rows).await
    }
}

/// Loads, in one batch per kind, what `selection` (the selection set of a
/// `Post`) will ask of `posts`: authors and what is asked of them, the posts'
/// pictures, like counts and the viewer's likes. The items' own resolvers then
/// find it all in the request's loader caches, so a page of any size costs the
/// same few statements.
pub async fn prefetch(
    ctx: &Context<'_>,
    selection: &Lookahead<'_>,
    posts: &[post::Model],
    viewer: Option<&Viewer>,
) -> AppResult<()> {
    let post_ids = || posts.iter().map(|post| post.id.clone());
    let wants = |field: &str| selection.field(field).exists();
    let mut author_ids: Vec<String> = posts.iter().map(|post| post.user_id.clone()).collect();
    author_ids.sort_unstable();
    author_ids.dedup();
    let author = selection.field("author");
    if !author.exists() {
        author_ids.clear();
    }

    let pictures: Vec<ImageOwner> = if wants("images") {
        post_ids().map(|id| (ImageKind::Post, id)).collect()
    } else {
        Vec::new()
    };
    let counted: Vec<String> = if wants("likeCount") {
        post_ids().collect()
    } else {
        Vec::new()
    };
    let flagged: Vec<(String, String)> = match viewer {
        Some(viewer) if wants("viewerHasLiked") => {
            post_ids().map(|id| (viewer.user_id.clone(), id)).collect()
        }
        _ => Vec::new(),
    };

    tokio::try_join!(
        crate::users::prefetch(ctx, &author, &author_ids, viewer),
        async {
            loader::<ImageLoader>(ctx)
                .load_many(pictures)
                .await
                .map(drop)
        },
        async {
            loader::<CountLoader<LikesOfPost>>(ctx)
                .load_many(counted)
                .await
                .map(drop)
        },
        async {
            loader::<RelationLoader<Likes>>(ctx)
                .load_many(flagged)
                .await
                .map(drop)
        },
    )?;
    Ok(())
}

/// Builds a page of posts from the rows read for it, loading what the
/// selection asks of them in one batch per kind.
pub async fn connection_of(
    ctx: &Context<'_>,
    page: &PageRequest,
    rows: Vec<post::Model>,
) -> AppResult<PostConnection> {
    let viewer = current_viewer(ctx).await?;
    let shown = &rows[..rows.len().min(page.first as usize)];
    prefetch(
        ctx,
        &ctx.look_ahead().field("edges").field("node"),
        shown,
        viewer.as_ref(),
    )
    .await?;
    Ok(PostConnection::from_rows(
        page,
        rows,
        |row| page.cursor(&Cursor::new(row.created_at, row.id.clone())),
        Post::from,
    ))
}

/// Queries about posts.
#[derive(Default)]
pub struct PostQuery;

#[Object]
impl PostQuery {
    /// The home feed: posts by the people the viewer follows and by the viewer,
    /// newest first (ties broken by id). `first` defaults to 20 and is capped at 50.
    #[graphql(
        guard = "Authenticated",
        complexity = "page_complexity(first, child_complexity)"
    )]
    async fn following_posts(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 20, desc = "How many posts to return, at most 50.")] first: Option<i32>,
        #[graphql(desc = "Return posts after this cursor (a previous page's `endCursor`).")]
        after: Option<String>,
    ) -> AppResult<PostConnection> {
        let page = page_request(ctx, "feed", first, after)?;
        let viewer = require_viewer(ctx).await?;

        let rows = repo::following_page(&app(ctx).db, &viewer.user_id, &page).await?;

        connection_of(ctx, &page, rows).await
    }

    /// The post with this id, or null when there is none.
    #[graphql(guard = "Authenticated")]
    async fn post(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The post's id.")] id: ID,
    ) -> AppResult<Option<Post>> {
        let Some(post) = repo::find(&app(ctx).db, &id).await? else {
            return Ok(None);
        };
        let viewer = current_viewer(ctx).await?;
        prefetch(
            ctx,
            &ctx.look_ahead(),
            std::slice::from_ref(&post),
            viewer.as_ref(),
        )
        .await?;
        Ok(Some(post.into()))
    }
}

/// One picture of a new post.
#[derive(InputObject)]
pub struct ImageInput {
    /// Absolute http(s) URL of the picture.
    pub url: String,
    /// Where the picture goes among the post's pictures; pictures are stored in
    /// ascending order of this value and numbered again from 0.
    pub sequence: i32,
}

/// What a new post is made of.
#[derive(InputObject)]
pub struct CreatePostInput {
    /// Text under the pictures, up to 2,200 characters.
    #[graphql(default)]
    pub caption: String,
    /// 1 to 10 pictures.
    pub images: Vec<ImageInput>,
}

/// Mutations about posts.
#[derive(Default)]
pub struct PostMutation;

#[Object]
impl PostMutation {
    /// Publishes a post with its pictures, in one transaction.
    #[graphql(guard = "Authenticated")]
    async fn create_post(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The new post.")] input: CreatePostInput,
    ) -> AppResult<Post> {
        let caption = Caption::parse(&input.caption)?;
        let urls = picture_urls(input.images)?;
        let viewer = require_viewer(ctx).await?;

        let post = repo::create(&app(ctx).db, &viewer.user_id, caption.into_inner(), urls).await?;

        loader::<CountLoader<PostsOfUser>>(ctx).clear::<String>();
        Ok(post.into())
    }

    /// Deletes one of the viewer's posts, with its pictures and likes. Returns
    /// true; another person's post is `FORBIDDEN`, an unknown one `NOT_FOUND`.
    #[graphql(guard = "Authenticated")]
    async fn delete_post(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The post's id.")] id: ID,
    ) -> AppResult<bool> {
        let viewer = require_viewer(ctx).await?;
        let db = &app(ctx).db;

        let post = repo::find(db, &id)
            .await?
            .ok_or_else(|| AppError::NotFound("there is no post with this id".into()))?;
        if post.user_id != viewer.user_id {
            return Err(AppError::Forbidden(
                "only the author can delete a post".into(),
            ));
        }
        repo::delete(db, &post.id).await?;

        loader::<CountLoader<PostsOfUser>>(ctx).clear::<String>();
        Ok(true)
    }
}

/// The pictures of a new post in their order: 1 to 10 absolute http(s) URLs
/// with distinct sequence numbers.
fn picture_urls(mut images: Vec<ImageInput>) -> AppResult<Vec<String>> {
    if images.is_empty() || images.len() > MAX_POST_PICTURES {
        return Err(AppError::bad_input(
            "images",
            format!("a post has 1 to {MAX_POST_PICTURES} pictures"),
        ));
    }
    images.sort_by_key(|image| image.sequence);
    if images
        .windows(2)
        .any(|pair| pair[0].sequence == pair[1].sequence)
    {
        return Err(AppError::bad_input(
            "images",
            "each picture needs its own sequence number",
        ));
    }
    images
        .into_iter()
        .map(|image| PictureUrl::parse("images", &image.url).map(PictureUrl::into_inner))
        .collect()
}
