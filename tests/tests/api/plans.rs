//! Every list is read through an index on PostgreSQL.
//!
//! Each list's query is explained with sequential scans disabled: if the plan
//! still reads a table from end to end, no index can serve the query. On
//! SQLite these tests return early; PostgreSQL is the production database.

use instanext_api::{
    auth::session,
    follows,
    pagination::{Cursor, PageRequest},
    posts::repo,
    stories::live_stories_query,
    users::search::{Needle, Run, run_query},
};
use instanext_tests::{TestApp, minutes_ago};
use sea_orm::{ConnectionTrait, DbBackend, QueryTrait, Statement, TransactionTrait};

/// The plan of `query` with sequential scans disabled, one line per row.
async fn plan(app: &TestApp, query: impl QueryTrait) -> String {
    plan_of(app, query.build(DbBackend::Postgres)).await
}

/// The plan of `statement` with sequential scans disabled, one line per row.
async fn plan_of(app: &TestApp, statement: Statement) -> String {
    explain(app, statement, true).await
}

/// The plan of `statement`, one line per step: `EXPLAIN` on PostgreSQL,
/// there with sequential scans disabled when `no_seq_scan`, and
/// `EXPLAIN QUERY PLAN` on SQLite.
async fn explain(app: &TestApp, statement: Statement, no_seq_scan: bool) -> String {
    let postgres = app.database.is_postgres();
    let (prefix, column) = if postgres {
        ("EXPLAIN", 0)
    } else {
        ("EXPLAIN QUERY PLAN", 3)
    };
    let txn = app.db.begin().await.unwrap();
    if postgres && no_seq_scan {
        txn.execute_unprepared("SET LOCAL enable_seqscan = off")
            .await
            .unwrap();
    }
    let explain = Statement {
        sql: format!("{prefix} {}", statement.sql),
        ..statement
    };
    let rows = txn.query_all_raw(explain).await.unwrap();
    txn.rollback().await.unwrap();
    rows.iter()
        .map(|row| row.try_get_by_index::<String>(column).unwrap())
        .collect::<Vec<_>>()
        .join("\n")
}

fn assert_indexed(name: &str, plan: &str) {
    assert!(
        !plan.contains("Seq Scan"),
        "{name} reads a whole table:\n{plan}"
    );
    assert!(plan.contains("Index"), "{name} uses no index:\n{plan}");
}

#[tokio::test]
async fn every_list_query_is_served_by_an_index() {
    let app = TestApp::new().await;
    if !app.database.is_postgres() {
        return;
    }
    let first = PageRequest::new("feed", Some(20), None, 50).unwrap();
    let later = PageRequest {
        list: "feed",
        first: 20,
        after: Some(Cursor::new(minutes_ago(5), "abc")),
    };

    for page in [&first, &later] {
        let lists = [
            (
                "home feed",
                plan_of(
                    &app,
                    repo::following_statement(DbBackend::Postgres, "u1", page),
                )
                .await,
            ),
            (
                "profile grid",
                plan(&app, repo::by_author_query("u1", page)).await,
            ),
            ("likers", plan(&app, repo::likers_query("p1", page)).await),
            (
                "followers",
                plan(&app, follows::followers_query("u1", page)).await,
            ),
            (
                "following",
                plan(&app, follows::following_query("u1", page)).await,
            ),
        ];
        for (name, plan) in lists {
            assert_indexed(name, &plan);
        }
    }

    let since = minutes_ago(24 * 60);
    assert_indexed(
        "story tray",
        &plan(&app, live_stories_query("u1", since)).await,
    );
    assert_indexed(
        "sessions",
        &plan(&app, session::list_query("u1", minutes_ago(0))).await,
    );

    let needle = Needle::parse("lea").unwrap();
    for (run, after) in [(Run::Prefix, None), (Run::Rest, Some("lea"))] {
        let plan = plan(&app, run_query(&needle, run, after, 21)).await;
        assert_indexed("user search", &plan);
    }
}

#[tokio::test]
async fn the_home_feed_reads_at_most_a_page_from_each_authors_index() {
    let app = TestApp::new().await;
    let backend = app.db.get_database_backend();
    let first = PageRequest::new("feed", Some(20), None, 50).unwrap();
    let later = PageRequest {
        list: "feed",
        first: 20,
        after: Some(Cursor::new(minutes_ago(5), "abc")),
    };

    for page in [&first, &later] {
        let statement = repo::following_statement(backend, "u1", page);
        let plan = explain(&app, statement, false).await;

        // The per-author reads go through the (author, time, id) index, and
        // the global time index, which would mean skipping everyone else's
        // posts, is never walked.
        assert!(plan.contains("idx_posts_user_created"), "{plan}");
        assert!(!plan.contains("idx_posts_created"), "{plan}");
        if app.database.is_postgres() {
            assert!(plan.contains("Limit"), "{plan}");
        } else {
            let full_scans: Vec<&str> = plan
                .lines()
                .filter(|line| line.starts_with("SCAN") && line.contains("posts"))
                .collect();
            assert!(full_scans.is_empty(), "{plan}");
            // Candidates come from the index alone: a post row is read only
            // for the page that is kept, not for every author's candidates.
            assert!(plan.contains("CORRELATED SCALAR SUBQUERY"), "{plan}");
            assert!(
                plan.contains("SEARCH newest USING COVERING INDEX idx_posts_user_created"),
                "{plan}"
            );
            assert!(
                !plan.contains("SEARCH newest USING INTEGER PRIMARY KEY"),
                "{plan}"
            );
        }
    }
}
