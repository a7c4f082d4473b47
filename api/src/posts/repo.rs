//! Reading posts.

use entity::{post, user_follower};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    sea_query::Query,
};

use crate::{
    error::AppResult,
    pagination::{Cursor, PageRequest},
};

/// Rows strictly after `cursor` in newest-first order.
pub fn older_than(cursor: &Cursor) -> Condition {
    Condition::any()
        .add(post::Column::CreatedAt.lt(cursor.time))
        .add(
            Condition::all()
                .add(post::Column::CreatedAt.eq(cursor.time))
                .add(post::Column::Id.lt(cursor.id.as_str())),
        )
}

/// One page of the home feed of `viewer_id`: their own posts and those of the
/// people they follow, newest first.
pub async fn following_page(
    db: &impl ConnectionTrait,
    viewer_id: &str,
    page: &PageRequest,
) -> AppResult<Vec<post::Model>> {
    let followed = Query::select()
        .column(user_follower::Column::UserId)
        .from(user_follower::Entity)
        .and_where(user_follower::Column::FollowerId.eq(viewer_id))
        .to_owned();
    let mut query = post::Entity::find().filter(
        Condition::any()
            .add(post::Column::UserId.in_subquery(followed))
            .add(post::Column::UserId.eq(viewer_id)),
    );
    if let Some(cursor) = &page.after {
        query = query.filter(older_than(cursor));
    }

    Ok(query
        .order_by_desc(post::Column::CreatedAt)
        .order_by_desc(post::Column::Id)
        .limit(page.limit())
        .all(db)
        .await?)
}
