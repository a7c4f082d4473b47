//! Likes: `likePost` and `unlikePost`, both idempotent.

use async_graphql::{Context, ID, Object};
use entity::post_like;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, SqlErr, sea_query::OnConflict,
};

use crate::{
    auth::{Authenticated, require_viewer},
    batch::{CountLoader, Likes, LikesOfPost, RelationLoader},
    clock,
    context::app,
    error::{AppError, AppResult},
    posts::{Post, repo},
    request::loader,
};

fn no_such_post() -> AppError {
    AppError::NotFound("there is no post with this id".into())
}

/// Mutations about likes.
#[derive(Default)]
pub struct LikeMutation;

#[Object]
impl LikeMutation {
    /// Likes a post; liking it again changes nothing. Returns the post with its
    /// fresh like count.
    #[graphql(guard = "Authenticated")]
    async fn like_post(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The post's id.")] post_id: ID,
    ) -> AppResult<Post> {
        let viewer = require_viewer(ctx).await?;
        let db = &app(ctx).db;
        let post = repo::find(db, &post_id).await?.ok_or_else(no_such_post)?;

        let like = post_like::ActiveModel {
            user_id: Set(viewer.user_id.clone()),
            post_id: Set(post.id.clone()),
            created_at: Set(clock::now()),
        };
        let inserted = post_like::Entity::insert(like)
            .on_conflict(
                OnConflict::columns([post_like::Column::UserId, post_like::Column::PostId])
                    .do_nothing()
                    .to_owned(),
            )
            .exec_without_returning(db)
            .await;
        match inserted {
            Ok(_) => {}
            // The post was deleted between the check and the insert.
            Err(err)
                if matches!(
                    err.sql_err(),
                    Some(SqlErr::ForeignKeyConstraintViolation(_))
                ) =>
            {
                return Err(no_such_post());
            }
            Err(err) => return Err(err.into()),
        }

        forget_likes(ctx);
        Ok(post.into())
    }

    /// Takes back a like; unliking a post one does not like changes nothing.
    /// Returns the post with its fresh like count.
    #[graphql(guard = "Authenticated")]
    async fn unlike_post(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The post's id.")] post_id: ID,
    ) -> AppResult<Post> {
        let viewer = require_viewer(ctx).await?;
        let db = &app(ctx).db;
        let post = repo::find(db, &post_id).await?.ok_or_else(no_such_post)?;

        post_like::Entity::delete_many()
            .filter(post_like::Column::UserId.eq(viewer.user_id.as_str()))
            .filter(post_like::Column::PostId.eq(post.id.as_str()))
            .exec(db)
            .await?;

        forget_likes(ctx);
        Ok(post.into())
    }
}

/// Drops what this request cached about likes, so the answer shows the change.
fn forget_likes(ctx: &Context<'_>) {
    loader::<CountLoader<LikesOfPost>>(ctx).clear::<String>();
    loader::<RelationLoader<Likes>>(ctx).clear::<(String, String)>();
}
