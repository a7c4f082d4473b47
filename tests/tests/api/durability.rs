//! A server killed with SIGKILL in the middle of a stream of writes loses
//! none that it acknowledged: after a restart the database opens cleanly and
//! every one is there.

use std::{
    collections::HashSet,
    sync::{Arc, Mutex},
    time::Duration,
};

use entity::post;
use instanext_tests::TestDatabase;
use sea_orm::{ConnectionTrait, EntityTrait, QuerySelect, Statement};
use serde_json::json;

use crate::process::ServerProcess;

const CREATE: &str = "mutation($input: CreatePostInput!) { createPost(input: $input) { id } }";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_acknowledged_write_survives_a_sigkill() {
    let database = TestDatabase::new().await;
    let url = database.url_for(&database.url);
    let server = Arc::new(ServerProcess::start(&url).await);
    let token = server.sign_up("writer", "2001:db8::1").await;

    // Eight clients write as fast as they can; each records what the server
    // acknowledged.
    let acknowledged = Arc::new(Mutex::new(Vec::<String>::new()));
    let mut writers = Vec::new();
    for client in 0..8 {
        let (server, token, acknowledged) = (server.clone(), token.clone(), acknowledged.clone());
        writers.push(tokio::spawn(async move {
            for n in 0.. {
                let input = json!({
                    "caption": format!("client {client}, write {n}"),
                    "images": [{ "url": format!("https://cdn.example.com/{client}/{n}.jpg"), "sequence": 0 }],
                });
                let answer = server
                    .try_gql(CREATE, json!({ "input": input }), Some(&token), "2001:db8::1")
                    .await;
                match answer {
                    Ok((_, body)) => match body["data"]["createPost"]["id"].as_str() {
                        Some(id) => acknowledged.lock().unwrap().push(id.to_owned()),
                        None => panic!("a write was refused: {body}"),
                    },
                    // The server is gone; this write's fate is unknown.
                    Err(_) => return,
                }
            }
        }));
    }
    let started = std::time::Instant::now();
    while acknowledged.lock().unwrap().len() < 200 {
        assert!(
            started.elapsed() < Duration::from_secs(60) && !writers.iter().any(|w| w.is_finished()),
            "the writers keep writing"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    server.kill().await;
    for writer in writers {
        writer.await.unwrap();
    }
    let acknowledged: HashSet<String> = acknowledged.lock().unwrap().drain(..).collect();

    let restarted = ServerProcess::start(&url).await;
    let db = database.connect(1).await;
    let stored: HashSet<String> = post::Entity::find()
        .select_only()
        .column(post::Column::Id)
        .into_tuple::<String>()
        .all(&db)
        .await
        .unwrap()
        .into_iter()
        .collect();
    let missing: Vec<_> = acknowledged.difference(&stored).collect();
    let sample = acknowledged.iter().next().unwrap();
    let read_back = restarted
        .gql(
            "query($id: ID!) { post(id: $id) { id images { url } } }",
            json!({ "id": sample }),
            Some(&token),
        )
        .await;

    assert!(acknowledged.len() >= 200);
    assert!(missing.is_empty(), "acknowledged writes lost: {missing:?}");
    assert_eq!(
        read_back["data"]["post"]["id"],
        sample.as_str(),
        "{read_back}"
    );
    assert_eq!(
        restarted.status_of("/ready").await,
        hyper::StatusCode::OK,
        "the restarted server is ready"
    );
    if !database.is_postgres() {
        let pragma = |sql: &str| Statement::from_string(db.get_database_backend(), sql);
        let integrity = db
            .query_one_raw(pragma("PRAGMA integrity_check"))
            .await
            .unwrap()
            .unwrap();
        let journal = db
            .query_one_raw(pragma("PRAGMA journal_mode"))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(integrity.try_get_by_index::<String>(0).unwrap(), "ok");
        assert_eq!(journal.try_get_by_index::<String>(0).unwrap(), "wal");
    }
}
