//! Which SQL shape of the home feed's page is cheapest? Runs each shape
//! straight through the driver, one request at a time, at several depths into
//! the feed, after checking that all return the same rows:
//!
//! - *plain*: `posts WHERE user_id IN (followed) OR user_id = viewer ORDER BY
//!   created_at DESC, id DESC LIMIT 21`, which the database answers by reading
//!   every candidate post and sorting, or by walking the global time index
//!   and skipping everyone else's posts;
//! - *merged*: the server's own statement, which reads at most a page of keys
//!   from each author's index range and merges them;
//! - on SQLite, *merged, rows*: the same merge written as SQLite's correlated
//!   `rowid IN (…)` list, which reads the post row of every author's
//!   candidates to order them (the server's statement before it kept the
//!   candidates inside the index).
//!
//! The plans of each at the deepest page go in the report too.

use std::time::{Duration, Instant};

use anyhow::Context;
use entity::{post, user_follower};
use hdrhistogram::Histogram;
use instanext_api::{
    db,
    pagination::{Cursor, PageRequest},
    posts::repo,
};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait,
    QueryFilter, QueryTrait, Statement, Value, sea_query::Query,
};
use std::fmt::Write;

use super::floor;

/// Posts per page, as the feed workloads ask.
const PAGE: u64 = 20;

/// The plain shape of one feed page.
fn plain(db: &DatabaseConnection, viewer_id: &str, page: &PageRequest) -> Statement {
    let followed = Query::select()
        .column(user_follower::Column::UserId)
        .from(user_follower::Entity)
        .and_where(user_follower::Column::FollowerId.eq(viewer_id))
        .to_owned();
    let query = post::Entity::find().filter(
        Condition::any()
            .add(post::Column::UserId.in_subquery(followed))
            .add(post::Column::UserId.eq(viewer_id)),
    );
    repo::page_of(query, page).build(db.get_database_backend())
}

/// The server's shape of one feed page.
fn merged(db: &DatabaseConnection, viewer_id: &str, page: &PageRequest) -> Statement {
    repo::following_statement(db.get_database_backend(), viewer_id, page)
}

/// The merge on SQLite with a row read per candidate: each author's newest
/// page comes back as rowids, so ordering the candidates reads their rows.
fn merged_rows(db: &DatabaseConnection, viewer_id: &str, page: &PageRequest) -> Statement {
    let mut values: Vec<Value> = vec![viewer_id.into()];
    let older = match &page.after {
        Some(cursor) => {
            values.push(cursor.time.into());
            values.push(cursor.id.as_str().into());
            r#"AND ("created_at", "id") < (?2, ?3)"#
        }
        None => "",
    };
    values.push((page.limit() as i64).into());
    let limit_at = values.len();
    let sql = format!(
        r#"SELECT "id", "caption", "user_id", "created_at" FROM "posts"
WHERE "rowid" IN (
    SELECT "newest"."rowid"
    FROM (
        SELECT "user_id" AS "author_id" FROM "user_followers" WHERE "follower_id" = ?1
        UNION SELECT ?1
    ) AS "authors"
    JOIN "posts" AS "newest" ON "newest"."rowid" IN (
        SELECT "rowid" FROM "posts"
        WHERE "user_id" = "authors"."author_id" {older}
        ORDER BY "created_at" DESC, "id" DESC
        LIMIT ?{limit_at}
    )
    ORDER BY "newest"."created_at" DESC, "newest"."id" DESC
    LIMIT ?{limit_at}
)
ORDER BY "created_at" DESC, "id" DESC"#
    );
    Statement::from_sql_and_values(db.get_database_backend(), sql, values)
}

type Shape = fn(&DatabaseConnection, &str, &PageRequest) -> Statement;

/// The shapes compared on `backend`.
fn shapes(backend: DbBackend) -> Vec<(&'static str, Shape)> {
    let mut shapes: Vec<(&'static str, Shape)> = vec![("plain", plain), ("merged", merged)];
    if backend == DbBackend::Sqlite {
        shapes.push(("merged, rows", merged_rows));
    }
    shapes
}

fn page_after(after: Option<Cursor>) -> PageRequest {
    PageRequest {
        list: "feed",
        first: PAGE,
        after,
    }
}

/// The ids of the posts `statement` returns, in order.
async fn ids(db: &DatabaseConnection, statement: Statement) -> anyhow::Result<Vec<String>> {
    Ok(post::Entity::find()
        .from_raw_sql(statement)
        .all(db)
        .await?
        .into_iter()
        .map(|post| post.id)
        .collect())
}

/// For each viewer, the cursor after `pages` pages of the feed, for each of
/// `depths`; `None` for the first page.
async fn cursors(
    db: &DatabaseConnection,
    viewer_id: &str,
    depths: &[u32],
) -> anyhow::Result<Vec<Option<Cursor>>> {
    let deepest = depths.iter().copied().max().unwrap_or(0);
    let mut after = None;
    let mut at_depth = vec![None];
    for _ in 0..deepest {
        let statement = merged(db, viewer_id, &page_after(after.clone()));
        let rows = post::Entity::find().from_raw_sql(statement).all(db).await?;
        let last = rows
            .get(PAGE as usize - 1)
            .with_context(|| format!("the feed of {viewer_id} is shorter than {deepest} pages"))?;
        after = Some(Cursor::new(last.created_at, last.id.clone()));
        at_depth.push(after.clone());
    }
    Ok(depths
        .iter()
        .map(|&depth| at_depth[depth as usize].clone())
        .collect())
}

/// Runs the comparison and returns its Markdown section.
pub async fn compare(
    database_url: &str,
    viewer_ids: &[String],
    depths: &[u32],
    duration: Duration,
) -> anyhow::Result<String> {
    let db = db::connect(database_url, 1, Duration::from_secs(5)).await?;
    let shapes = shapes(db.get_database_backend());
    let mut per_viewer = Vec::new();
    for viewer in viewer_ids {
        per_viewer.push(cursors(&db, viewer, depths).await?);
    }

    let mut out = String::new();
    let _ = writeln!(
        out,
        "## Shapes of the feed's page query\n\n\
         Each statement run alone through the driver on one connection, one after the other \
         for {}, the {} viewers in turn; a page of {PAGE} (the statement reads {}). All shapes \
         returned the same posts in the same order for every viewer and depth before they \
         were timed.\n\n\
         | depth | shape | p50 ms | p99 ms | runs |\n| --- | --- | ---: | ---: | ---: |",
        humantime::format_duration(duration),
        viewer_ids.len(),
        PAGE + 1,
    );
    for (index, &depth) in depths.iter().enumerate() {
        let pages: Vec<PageRequest> = per_viewer
            .iter()
            .map(|cursors| page_after(cursors[index].clone()))
            .collect();
        for (viewer, page) in viewer_ids.iter().zip(&pages) {
            let served = ids(&db, merged(&db, viewer, page)).await?;
            for &(name, shape) in &shapes {
                anyhow::ensure!(
                    ids(&db, shape(&db, viewer, page)).await? == served,
                    "the {name} shape disagrees with the server's for {viewer} at depth {depth}"
                );
            }
        }
        for &(name, shape) in &shapes {
            let mut latencies = Histogram::<u64>::new(3)?;
            let deadline = Instant::now() + duration;
            let mut turn = 0;
            while Instant::now() < deadline {
                let statement = shape(
                    &db,
                    &viewer_ids[turn % viewer_ids.len()],
                    &pages[turn % pages.len()],
                );
                turn += 1;
                let began = Instant::now();
                db.query_all_raw(statement).await?;
                latencies.record(began.elapsed().as_micros() as u64)?;
            }
            let _ = writeln!(
                out,
                "| {} | {name} | {:.2} | {:.2} | {} |",
                depth_label(depth),
                latencies.value_at_quantile(0.5) as f64 / 1e3,
                latencies.value_at_quantile(0.99) as f64 / 1e3,
                latencies.len()
            );
        }
    }

    let deepest = depths.len() - 1;
    let page = page_after(per_viewer[0][deepest].clone());
    for &(name, shape) in &shapes {
        let statement = shape(&db, &viewer_ids[0], &page);
        let lines = floor::plan(database_url, &statement).await?;
        let _ = writeln!(
            out,
            "\nThe {name} shape, {}, first viewer:\n\n```sql\n{}\n```\n\n```text\n{}\n```",
            depth_label(depths[deepest]),
            floor::describe(&statement),
            lines.join("\n")
        );
    }
    db.close().await?;
    Ok(out)
}

fn depth_label(depth: u32) -> String {
    match depth {
        0 => "first page".to_owned(),
        1 => "after 1 page".to_owned(),
        pages => format!("after {pages} pages"),
    }
}
