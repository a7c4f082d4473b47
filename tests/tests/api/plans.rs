//! Every list is read through an index on PostgreSQL.
//!
//! Each list's query is explained with sequential scans disabled: if the plan
//! still reads a table from end to end, no index can serve the query. On
//! SQLite these tests return early; PostgreSQL is the production database.

use instanext_api::{
    follows,
    pagination::{Cursor, PageRequest},
    posts::repo,
    users::search::{Needle, Run, run_query},
};
use instanext_tests::{TestApp, minutes_ago};
use sea_orm::{ConnectionTrait, DbBackend, QueryTrait, Statement, TransactionTrait};

/// The plan of `query` with sequential scans disabled, one line per row.
async fn plan(app: &TestApp, query: impl QueryTrait) -> String {
    let statement = query.build(DbBackend::Postgres);
    let txn = app.db.begin().await.unwrap();
    txn.execute_unprepared("SET LOCAL enable_seqscan = off")
        .await
        .unwrap();
    let explain = Statement {
        sql: format!("EXPLAIN {}", statement.sql),
        ..statement
    };
    let rows = txn.query_all_raw(explain).await.unwrap();
    txn.rollback().await.unwrap();
    rows.iter()
        .map(|row| row.try_get_by_index::<String>(0).unwrap())
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
                plan(&app, repo::following_query("u1", page)).await,
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

    let needle = Needle::parse("lea").unwrap();
    for (run, after) in [(Run::Prefix, None), (Run::Rest, Some("lea"))] {
        let plan = plan(&app, run_query(&needle, run, after, 21)).await;
        assert_indexed("user search", &plan);
    }
}
