//! Likes: loaders for like counts and for whether the viewer liked a post,
//! each answering for a whole page of posts in one statement.

use std::collections::HashMap;

use async_graphql::dataloader::Loader;
use entity::post_like;
use sea_orm::{
    ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QuerySelect,
    sea_query::{Expr, Func},
};

use crate::error::AppError;

/// Counts the likes of many posts at once.
pub struct LikeCountLoader {
    pub db: DatabaseConnection,
}

impl Loader<String> for LikeCountLoader {
    type Value = i64;
    type Error = AppError;

    async fn load(&self, post_ids: &[String]) -> Result<HashMap<String, i64>, AppError> {
        let counts: Vec<(String, i64)> = post_like::Entity::find()
            .select_only()
            .column(post_like::Column::PostId)
            .expr(Func::count(Expr::col(post_like::Column::UserId)))
            .filter(post_like::Column::PostId.is_in(post_ids.iter().map(String::as_str)))
            .group_by(post_like::Column::PostId)
            .into_tuple()
            .all(&self.db)
            .await?;
        // Every key gets an answer, so that a cached zero is not asked for again.
        let mut counts: HashMap<String, i64> = counts.into_iter().collect();
        for post_id in post_ids {
            counts.entry(post_id.clone()).or_insert(0);
        }
        Ok(counts)
    }
}

/// Whether a user liked a post, keyed by `(user id, post id)`.
pub type LikeKey = (String, String);

/// Tells for many posts at once whether a given user liked them.
pub struct LikedLoader {
    pub db: DatabaseConnection,
}

impl Loader<LikeKey> for LikedLoader {
    type Value = bool;
    type Error = AppError;

    async fn load(&self, keys: &[LikeKey]) -> Result<HashMap<LikeKey, bool>, AppError> {
        let mut by_user: HashMap<&str, Vec<&str>> = HashMap::new();
        for (user_id, post_id) in keys {
            by_user.entry(user_id).or_default().push(post_id);
        }

        let mut liked: HashMap<LikeKey, bool> =
            keys.iter().map(|key| (key.clone(), false)).collect();
        // One viewer per request, so this loop runs once.
        for (user_id, post_ids) in by_user {
            let rows: Vec<String> = post_like::Entity::find()
                .select_only()
                .column(post_like::Column::PostId)
                .filter(post_like::Column::UserId.eq(user_id))
                .filter(post_like::Column::PostId.is_in(post_ids))
                .into_tuple()
                .all(&self.db)
                .await?;
            for post_id in rows {
                liked.insert((user_id.to_owned(), post_id), true);
            }
        }
        Ok(liked)
    }
}
