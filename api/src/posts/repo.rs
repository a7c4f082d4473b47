//! Reading and writing posts.

use chrono::{DateTime, Utc};
use entity::{image, post, post_like};
use sea_orm::{
    ActiveValue::{NotSet, Set},
    ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect, Select, Statement, TransactionTrait, Value,
};

use crate::{
    clock,
    error::{AppError, AppResult},
    pagination::{Cursor, PageRequest},
};

/// Rows strictly after `cursor` in `(time, id)` newest-first order.
pub fn older_than<T, I>(time: T, id: I, cursor: &Cursor) -> Condition
where
    T: ColumnTrait,
    I: ColumnTrait,
{
    Condition::any().add(time.lt(cursor.time)).add(
        Condition::all()
            .add(time.eq(cursor.time))
            .add(id.lt(cursor.id.as_str())),
    )
}

/// Orders posts newest first and cuts the page.
pub fn page_of(mut query: Select<post::Entity>, page: &PageRequest) -> Select<post::Entity> {
    if let Some(cursor) = &page.after {
        query = query.filter(older_than(
            post::Column::CreatedAt,
            post::Column::Id,
            cursor,
        ));
    }
    query
        .order_by_desc(post::Column::CreatedAt)
        .order_by_desc(post::Column::Id)
        .limit(page.limit())
}

/// The statement that reads one page of the home feed of `viewer_id`: their
/// own posts and those of the people they follow, newest first.
///
/// It merges per-author index ranges rather than filtering all candidate
/// posts: for each author (the viewer and everyone followed) it reads at most
/// a page of post keys from the `(user_id, created_at, id)` index, keeps the
/// newest page of those, and only then reads the posts themselves. The work is
/// proportional to the page times the number of authors, however many posts
/// they have written or however deep the page lies. A plain `user_id IN (...)
/// ORDER BY created_at` instead reads every candidate post before it sorts,
/// or walks the global time index and skips the posts of everyone else.
/// PostgreSQL runs the per-author reads as a `LATERAL` join. SQLite has none:
/// there a correlated subquery finds, per author, the time of the oldest of
/// their newest page of posts, and the author's index range from that time on
/// is read. Both reads stay inside the index, so no post row is read until the
/// page is chosen. (Posts sharing that time may add a few candidates; the final
/// ordering drops them.)
pub fn following_statement(backend: DbBackend, viewer_id: &str, page: &PageRequest) -> Statement {
    let limit = page.limit() as i64;
    let mut values: Vec<Value> = vec![viewer_id.into()];
    let older = match &page.after {
        Some(cursor) => {
            values.push(cursor.time.into());
            values.push(cursor.id.as_str().into());
            r#"AND ("created_at", "id") < ($2, $3)"#
        }
        None => "",
    };
    values.push(limit.into());
    let limit_at = values.len();

    let sql = if backend == DbBackend::Postgres {
        format!(
            r#"SELECT "posts"."id", "posts"."caption", "posts"."user_id", "posts"."created_at"
FROM (
    SELECT "newest"."id", "newest"."created_at"
    FROM (
        SELECT "user_id" AS "author_id" FROM "user_followers" WHERE "follower_id" = $1
        UNION SELECT $1
    ) AS "authors"
    CROSS JOIN LATERAL (
        SELECT "id", "created_at" FROM "posts"
        WHERE "user_id" = "authors"."author_id" {older}
        ORDER BY "created_at" DESC, "id" DESC
        LIMIT ${limit_at}
    ) AS "newest"
    ORDER BY "newest"."created_at" DESC, "newest"."id" DESC
    LIMIT ${limit_at}
) AS "page"
JOIN "posts" ON "posts"."id" = "page"."id"
ORDER BY "page"."created_at" DESC, "page"."id" DESC"#
        )
    } else {
        // SQLite numbers its parameters `?N`; each may be used many times.
        let older = older.replace('$', "?");
        let newest_older = older.replace(
            r#"("created_at", "id")"#,
            r#"("newest"."created_at", "newest"."id")"#,
        );
        format!(
            r#"SELECT "id", "caption", "user_id", "created_at" FROM "posts"
WHERE "rowid" IN (
    SELECT "newest"."rowid"
    FROM (
        SELECT "user_id" AS "author_id" FROM "user_followers" WHERE "follower_id" = ?1
        UNION SELECT ?1
    ) AS "authors"
    JOIN "posts" AS "newest"
        ON "newest"."user_id" = "authors"."author_id" {newest_older}
        AND "newest"."created_at" >= (
            SELECT min("created_at") FROM (
                SELECT "created_at" FROM "posts"
                WHERE "user_id" = "authors"."author_id" {older}
                ORDER BY "created_at" DESC, "id" DESC
                LIMIT ?{limit_at}
            )
        )
    ORDER BY "newest"."created_at" DESC, "newest"."id" DESC
    LIMIT ?{limit_at}
)
ORDER BY "created_at" DESC, "id" DESC"#
        )
    };
    Statement::from_sql_and_values(backend, sql, values)
}

/// One page of the home feed of `viewer_id`; see [`following_statement`].
pub async fn following_page(
    db: &DatabaseConnection,
    viewer_id: &str,
    page: &PageRequest,
) -> AppResult<Vec<post::Model>> {
    let statement = following_statement(db.get_database_backend(), viewer_id, page);
    Ok(post::Entity::find().from_raw_sql(statement).all(db).await?)
}

/// The query of one page of the posts of `author_id`, newest first.
pub fn by_author_query(author_id: &str, page: &PageRequest) -> Select<post::Entity> {
    page_of(
        post::Entity::find().filter(post::Column::UserId.eq(author_id)),
        page,
    )
}

/// The query of one page of the people who like `post_id`, most recent like
/// first, as `(user id, liked at)`.
pub fn likers_query(post_id: &str, page: &PageRequest) -> Select<post_like::Entity> {
    let mut query = post_like::Entity::find().filter(post_like::Column::PostId.eq(post_id));
    if let Some(cursor) = &page.after {
        query = query.filter(older_than(
            post_like::Column::CreatedAt,
            post_like::Column::UserId,
            cursor,
        ));
    }
    query
        .order_by_desc(post_like::Column::CreatedAt)
        .order_by_desc(post_like::Column::UserId)
        .limit(page.limit())
}

/// The rows of one page of likers of `post_id`.
pub async fn likers_page(
    db: &impl ConnectionTrait,
    post_id: &str,
    page: &PageRequest,
) -> AppResult<Vec<(String, DateTime<Utc>)>> {
    Ok(likers_query(post_id, page)
        .select_only()
        .column(post_like::Column::UserId)
        .column(post_like::Column::CreatedAt)
        .into_tuple()
        .all(db)
        .await?)
}

/// The post with this id.
pub async fn find(db: &impl ConnectionTrait, id: &str) -> AppResult<Option<post::Model>> {
    Ok(post::Entity::find_by_id(id.to_owned()).one(db).await?)
}

/// Stores a post with its pictures, numbered from 0 in the order given, in one
/// transaction.
pub async fn create(
    db: &DatabaseConnection,
    author_id: &str,
    caption: String,
    picture_urls: Vec<String>,
) -> AppResult<post::Model> {
    let model = post::Model {
        id: cuid2::create_id(),
        caption,
        user_id: author_id.to_owned(),
        created_at: clock::now(),
    };
    let pictures = picture_urls
        .into_iter()
        .zip(0..)
        .map(|(url, sequence)| image::ActiveModel {
            id: NotSet,
            kind: Set(image::ImageKind::Post),
            url: Set(url),
            associated_id: Set(model.id.clone()),
            sequence: Set(sequence),
        });

    let txn = db.begin().await?;
    post::Entity::insert(post::ActiveModel {
        id: Set(model.id.clone()),
        caption: Set(model.caption.clone()),
        user_id: Set(model.user_id.clone()),
        created_at: Set(model.created_at),
    })
    .exec_without_returning(&txn)
    .await?;
    image::Entity::insert_many(pictures)
        .exec_without_returning(&txn)
        .await?;
    txn.commit().await?;

    Ok(model)
}

/// Deletes a post with its pictures and likes, in one transaction. A post
/// that is already gone, deleted by a request that raced this one, is
/// `NOT_FOUND`, so that only one of them reports the deletion.
pub async fn delete(db: &DatabaseConnection, id: &str) -> AppResult<()> {
    let txn = db.begin().await?;
    image::Entity::delete_many()
        .filter(image::Column::Kind.eq(image::ImageKind::Post))
        .filter(image::Column::AssociatedId.eq(id))
        .exec(&txn)
        .await?;
    post_like::Entity::delete_many()
        .filter(post_like::Column::PostId.eq(id))
        .exec(&txn)
        .await?;
    let deleted = post::Entity::delete_by_id(id.to_owned()).exec(&txn).await?;
    if deleted.rows_affected == 0 {
        return Err(AppError::NotFound("there is no post with this id".into()));
    }
    txn.commit().await?;
    Ok(())
}
