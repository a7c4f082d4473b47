//! Generic batch loaders for counts and for yes-or-no relations: how many
//! likes each of these posts has, whether the viewer follows each of these
//! people. Each answers a whole page of keys in one statement, and answers
//! every key, so that a cached zero or `false` is never asked for again.

use std::{collections::HashMap, marker::PhantomData};

use async_graphql::dataloader::Loader;
use entity::{post, post_like, user_follower};
use sea_orm::{
    ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QuerySelect,
    sea_query::{Expr, Func},
};

use crate::error::AppError;

/// Rows of `Entity` counted per value of `column()`.
pub trait Counted: Send + Sync + 'static {
    type Entity: EntityTrait;
    fn column() -> <Self::Entity as EntityTrait>::Column;
}

/// Counts rows per key; see [`Counted`].
pub struct CountLoader<C> {
    db: DatabaseConnection,
    kind: PhantomData<C>,
}

impl<C> CountLoader<C> {
    pub fn new(db: DatabaseConnection) -> Self {
        Self {
            db,
            kind: PhantomData,
        }
    }
}

impl<C: Counted> Loader<String> for CountLoader<C> {
    type Value = i64;
    type Error = AppError;

    async fn load(&self, keys: &[String]) -> Result<HashMap<String, i64>, AppError> {
        let column = C::column();
        let rows: Vec<(String, i64)> = C::Entity::find()
            .select_only()
            .column(column)
            .expr(Func::count(Expr::col(column)))
            .filter(column.is_in(keys.iter().map(String::as_str)))
            .group_by(column)
            .into_tuple()
            .all(&self.db)
            .await?;
        let mut counts: HashMap<String, i64> = keys.iter().map(|key| (key.clone(), 0)).collect();
        counts.extend(rows);
        Ok(counts)
    }
}

/// A relation between an owner (the viewer) and a target, held as rows of
/// `Entity` with the owner in `owner()` and the target in `target()`.
pub trait Related: Send + Sync + 'static {
    type Entity: EntityTrait;
    fn owner() -> <Self::Entity as EntityTrait>::Column;
    fn target() -> <Self::Entity as EntityTrait>::Column;
}

/// `(owner id, target id)`.
pub type Pair = (String, String);

/// Tells for many pairs whether the relation holds; see [`Related`].
pub struct RelationLoader<R> {
    db: DatabaseConnection,
    kind: PhantomData<R>,
}

impl<R> RelationLoader<R> {
    pub fn new(db: DatabaseConnection) -> Self {
        Self {
            db,
            kind: PhantomData,
        }
    }
}

impl<R: Related> Loader<Pair> for RelationLoader<R> {
    type Value = bool;
    type Error = AppError;

    async fn load(&self, keys: &[Pair]) -> Result<HashMap<Pair, bool>, AppError> {
        let mut by_owner: HashMap<&str, Vec<&str>> = HashMap::new();
        for (owner, target) in keys {
            by_owner.entry(owner).or_default().push(target);
        }

        let mut holds: HashMap<Pair, bool> = keys.iter().map(|key| (key.clone(), false)).collect();
        // One viewer per request, so this loop runs once.
        for (owner, targets) in by_owner {
            let found: Vec<String> = R::Entity::find()
                .select_only()
                .column(R::target())
                .filter(R::owner().eq(owner))
                .filter(R::target().is_in(targets))
                .into_tuple()
                .all(&self.db)
                .await?;
            for target in found {
                holds.insert((owner.to_owned(), target), true);
            }
        }
        Ok(holds)
    }
}

/// Likes per post.
pub struct LikesOfPost;

impl Counted for LikesOfPost {
    type Entity = post_like::Entity;
    fn column() -> post_like::Column {
        post_like::Column::PostId
    }
}

/// Posts per author.
pub struct PostsOfUser;

impl Counted for PostsOfUser {
    type Entity = post::Entity;
    fn column() -> post::Column {
        post::Column::UserId
    }
}

/// Followers per person.
pub struct FollowersOfUser;

impl Counted for FollowersOfUser {
    type Entity = user_follower::Entity;
    fn column() -> user_follower::Column {
        user_follower::Column::UserId
    }
}

/// People followed per person.
pub struct FollowingOfUser;

impl Counted for FollowingOfUser {
    type Entity = user_follower::Entity;
    fn column() -> user_follower::Column {
        user_follower::Column::FollowerId
    }
}

/// "Owner likes target post."
pub struct Likes;

impl Related for Likes {
    type Entity = post_like::Entity;
    fn owner() -> post_like::Column {
        post_like::Column::UserId
    }
    fn target() -> post_like::Column {
        post_like::Column::PostId
    }
}

/// "Owner follows target person."
pub struct Follows;

impl Related for Follows {
    type Entity = user_follower::Entity;
    fn owner() -> user_follower::Column {
        user_follower::Column::FollowerId
    }
    fn target() -> user_follower::Column {
        user_follower::Column::UserId
    }
}
