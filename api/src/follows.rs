//! Follows: `followUser` and `unfollowUser`, both idempotent, and the lists of
//! followers and followings.

use async_graphql::{Context, Object};
use chrono::{DateTime, Utc};
use entity::user_follower;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Select, SqlErr, sea_query::OnConflict,
};

use crate::{
    auth::{Authenticated, require_viewer},
    batch::{CountLoader, FollowersOfUser, FollowingOfUser, Follows, RelationLoader},
    clock,
    context::app,
    error::{AppError, AppResult},
    pagination::PageRequest,
    posts::repo::older_than,
    request::loader,
    users::{User, repo},
};

/// The query of one page of the followers of `user_id`, most recent first.
pub fn followers_query(user_id: &str, page: &PageRequest) -> Select<user_follower::Entity> {
    let mut query = user_follower::Entity::find().filter(user_follower::Column::UserId.eq(user_id));
    if let Some(cursor) = &page.after {
        query = query.filter(older_than(
            user_follower::Column::CreatedAt,
            user_follower::Column::FollowerId,
            cursor,
        ));
    }
    query
        .order_by_desc(user_follower::Column::CreatedAt)
        .order_by_desc(user_follower::Column::FollowerId)
        .limit(page.limit())
}

/// The query of one page of the people `user_id` follows, most recent first.
pub fn following_query(user_id: &str, page: &PageRequest) -> Select<user_follower::Entity> {
    let mut query =
        user_follower::Entity::find().filter(user_follower::Column::FollowerId.eq(user_id));
    if let Some(cursor) = &page.after {
        query = query.filter(older_than(
            user_follower::Column::CreatedAt,
            user_follower::Column::UserId,
            cursor,
        ));
    }
    query
        .order_by_desc(user_follower::Column::CreatedAt)
        .order_by_desc(user_follower::Column::UserId)
        .limit(page.limit())
}

/// One page of followers of `user_id`, as `(follower id, followed at)`.
pub async fn followers_page(
    db: &impl ConnectionTrait,
    user_id: &str,
    page: &PageRequest,
) -> AppResult<Vec<(String, DateTime<Utc>)>> {
    Ok(followers_query(user_id, page)
        .select_only()
        .column(user_follower::Column::FollowerId)
        .column(user_follower::Column::CreatedAt)
        .into_tuple()
        .all(db)
        .await?)
}

/// One page of the people `user_id` follows, as `(user id, followed at)`.
pub async fn following_page(
    db: &impl ConnectionTrait,
    user_id: &str,
    page: &PageRequest,
) -> AppResult<Vec<(String, DateTime<Utc>)>> {
    Ok(following_query(user_id, page)
        .select_only()
        .column(user_follower::Column::UserId)
        .column(user_follower::Column::CreatedAt)
        .into_tuple()
        .all(db)
        .await?)
}

fn no_such_user() -> AppError {
    AppError::NotFound("there is no user with this username".into())
}

/// Mutations about follows.
#[derive(Default)]
pub struct FollowMutation;

#[Object]
impl FollowMutation {
    /// Follows a person; following them again changes nothing. Following
    /// oneself is `BAD_USER_INPUT`. Returns the person with fresh counts.
    #[graphql(guard = "Authenticated")]
    async fn follow_user(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The username of the person to follow.")] username: String,
    ) -> AppResult<User> {
        let viewer = require_viewer(ctx).await?;
        let db = &app(ctx).db;
        let target = repo::find_by_username(db, &username)
            .await?
            .ok_or_else(no_such_user)?;
        if target.id == viewer.user_id {
            return Err(AppError::bad_input(
                "username",
                "you cannot follow yourself",
            ));
        }

        let follow = user_follower::ActiveModel {
            user_id: Set(target.id.clone()),
            follower_id: Set(viewer.user_id.clone()),
            created_at: Set(clock::now()),
        };
        let inserted = user_follower::Entity::insert(follow)
            .on_conflict(
                OnConflict::columns([
                    user_follower::Column::UserId,
                    user_follower::Column::FollowerId,
                ])
                .do_nothing()
                .to_owned(),
            )
            .exec_without_returning(db)
            .await;
        match inserted {
            Ok(_) => {}
            // The account was deleted between the check and the insert.
            Err(err)
                if matches!(
                    err.sql_err(),
                    Some(SqlErr::ForeignKeyConstraintViolation(_))
                ) =>
            {
                return Err(no_such_user());
            }
            Err(err) => return Err(err.into()),
        }

        forget_follows(ctx);
        Ok(target.into())
    }

    /// Stops following a person; unfollowing someone one does not follow
    /// changes nothing. Returns the person with fresh counts.
    #[graphql(guard = "Authenticated")]
    async fn unfollow_user(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The username of the person to stop following.")] username: String,
    ) -> AppResult<User> {
        let viewer = require_viewer(ctx).await?;
        let db = &app(ctx).db;
        let target = repo::find_by_username(db, &username)
            .await?
            .ok_or_else(no_such_user)?;

        user_follower::Entity::delete_many()
            .filter(user_follower::Column::UserId.eq(target.id.as_str()))
            .filter(user_follower::Column::FollowerId.eq(viewer.user_id.as_str()))
            .exec(db)
            .await?;

        forget_follows(ctx);
        Ok(target.into())
    }
}

/// Drops what this request cached about follows, so the answer shows the change.
fn forget_follows(ctx: &Context<'_>) {
    loader::<CountLoader<FollowersOfUser>>(ctx).clear::<String>();
    loader::<CountLoader<FollowingOfUser>>(ctx).clear::<String>();
    loader::<RelationLoader<Follows>>(ctx).clear::<(String, String)>();
}
