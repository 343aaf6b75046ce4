//! The store's faults, on a PostgreSQL server of the test's own: a database
//! that cannot be reached or logged in to stops the binary with one line;
//! a restart under load answers the requests in flight with an opaque 503
//! (or 500), loses nothing acknowledged, and the pool reconnects by itself.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common;

use std::{
    process::Command,
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

use axum::http::{Method, StatusCode};
use common::{
    TestApp,
    pg_server::{ADMIN, ADMIN_PASSWORD, PgServer, sync},
};
use gatehouse::db::Db;
use serde_json::json;

fn serve_once(db: &str) -> (Option<i32>, String) {
    let dir = tempfile::tempdir().unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_gatehouse"))
        .args(["serve", "--listen", "127.0.0.1:0", "--key-file"])
        .arg(dir.path().join("key"))
        .args(["--db", db])
        .output()
        .unwrap();
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn a_database_that_cannot_be_reached_or_logged_in_to_stops_the_server_with_one_line() {
    let server = PgServer::start();
    let wrong = format!(
        "postgres://{ADMIN}:not-the-password@127.0.0.1:{}/postgres?sslmode=disable",
        server.port
    );
    let (code, said) = serve_once(&wrong);
    assert_eq!(code, Some(1), "{said}");
    assert_eq!(said.trim().lines().count(), 1, "{said}");
    assert!(
        said.contains("cannot connect to PostgreSQL")
            && said.contains("password authentication failed"),
        "{said}"
    );
    assert!(
        !said.contains("not-the-password"),
        "the password is never printed: {said}"
    );

    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let (code, said) = serve_once(&format!(
        "postgres://{ADMIN}@127.0.0.1:{closed}/postgres?sslmode=disable"
    ));
    assert_eq!(code, Some(1), "{said}");
    assert_eq!(said.trim().lines().count(), 1, "{said}");
    assert!(said.contains("cannot connect to PostgreSQL"), "{said}");

    let missing = format!(
        "postgres://{ADMIN}:{ADMIN_PASSWORD}@127.0.0.1:{}/no_such_db?sslmode=disable",
        server.port
    );
    let (code, said) = serve_once(&missing);
    assert_eq!(code, Some(1), "{said}");
    assert!(
        said.contains("no_such_db") && said.contains("does not exist"),
        "{said}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_restart_under_load_loses_nothing_acknowledged_and_the_pool_reconnects() {
    let server = PgServer::start();
    sync(|| {
        server
            .admin("postgres")
            .batch_execute("CREATE DATABASE gatehouse")
            .unwrap()
    });
    let url = format!(
        "postgres://{ADMIN}:{ADMIN_PASSWORD}@127.0.0.1:{}/gatehouse?sslmode=disable",
        server.port
    );
    let app = TestApp::on(Db::open_postgres(&url).unwrap()).await;
    let alice = app.login("alice").await;
    let docs = app.resource("acme/docs").await;

    let stop = Arc::new(AtomicBool::new(false));
    let mut submitters = Vec::new();
    for _ in 0..4 {
        let router = app.router.clone();
        let (alice, stop) = (alice.clone(), stop.clone());
        submitters.push(tokio::spawn(async move {
            let mut answers = Vec::new();
            while !stop.load(Ordering::Relaxed) {
                // The same request again and again, on purpose.
                let body = json!({"items": [{"resource_id": docs, "permission": "read"}], "duration_seconds": 3600, "allow_duplicate": true});
                let answer = common::send(&router, common::request(Method::POST, "/api/v1/requests", Some(&alice), Some(body))).await;
                answers.push((answer.status, answer.body));
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            answers
        }));
    }
    tokio::time::sleep(Duration::from_millis(700)).await;
    sync(|| server.down());
    tokio::time::sleep(Duration::from_millis(500)).await;
    sync(|| server.up());
    tokio::time::sleep(Duration::from_millis(1500)).await;
    stop.store(true, Ordering::Relaxed);
    let mut acknowledged = Vec::new();
    let mut refused = 0;
    for submitter in submitters {
        for (status, body) in submitter.await.unwrap() {
            match status {
                StatusCode::CREATED => {
                    acknowledged.push(body["requests"][0]["id"].as_i64().unwrap())
                }
                StatusCode::SERVICE_UNAVAILABLE | StatusCode::INTERNAL_SERVER_ERROR => {
                    refused += 1;
                    let text = body.to_string();
                    assert!(
                        !text.contains("postgres") && !text.contains("connection"),
                        "opaque: {text}"
                    );
                }
                // The session lookup itself can fail while the server is down.
                StatusCode::UNAUTHORIZED => refused += 1,
                other => panic!("unexpected {other}: {body}"),
            }
        }
    }
    assert!(refused > 0, "the restart was felt");
    assert!(
        acknowledged.len() > 10,
        "submissions went through before and after: {}",
        acknowledged.len()
    );
    // Everything acknowledged is there, and the pool works again.
    for id in &acknowledged {
        let found = app.get(&format!("/api/v1/requests/{id}"), &alice).await;
        assert_eq!(found.status, StatusCode::OK, "request {id}: {}", found.body);
    }
    let after = app
        .post("/api/v1/requests", &alice, json!({"items": [{"resource_id": docs, "permission": "read"}], "duration_seconds": 3600, "allow_duplicate": true}))
        .await;
    assert_eq!(after.status, StatusCode::CREATED, "{}", after.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_store_speaks_tls_to_postgresql_and_checks_the_certificate() {
    let server = PgServer::start_with_tls();
    let dir = tempfile::tempdir().unwrap();
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, server.ca_pem()).unwrap();
    let base = format!(
        "postgres://{ADMIN}:{ADMIN_PASSWORD}@127.0.0.1:{}/postgres",
        server.port
    );

    let db = Db::open_postgres(&format!(
        "{base}?sslmode=verify-full&sslrootcert={}",
        ca.display()
    ))
    .unwrap();
    let ssl: bool = db
        .call(|conn| {
            Ok(conn.query_row(
                "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
                [],
                |row| row.get(0),
            )?)
        })
        .await
        .unwrap();
    assert!(ssl, "the store's connection is encrypted");

    // Mozilla's roots do not know the test CA: refused, and the message says why.
    let refused = Db::open_postgres(&format!("{base}?sslmode=require"))
        .err()
        .unwrap()
        .to_string();
    assert!(refused.contains("certificate"), "{refused}");
    assert!(!refused.contains(ADMIN_PASSWORD), "{refused}");

    // Plain text only when asked for.
    let plain = Db::open_postgres(&format!("{base}?sslmode=disable")).unwrap();
    let ssl: bool = plain
        .call(|conn| {
            Ok(conn.query_row(
                "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
                [],
                |row| row.get(0),
            )?)
        })
        .await
        .unwrap();
    assert!(!ssl);
}

#[test]
fn processes_starting_together_migrate_once() {
    let server = PgServer::start();
    sync(|| {
        server
            .admin("postgres")
            .batch_execute("CREATE DATABASE fresh")
            .unwrap()
    });
    let url = format!(
        "postgres://{ADMIN}:{ADMIN_PASSWORD}@127.0.0.1:{}/fresh?sslmode=disable",
        server.port
    );
    let starts: Vec<_> = (0..4)
        .map(|_| {
            let url = url.clone();
            std::thread::spawn(move || {
                Db::open_postgres(&url)
                    .map(|_| ())
                    .map_err(|e| e.to_string())
            })
        })
        .collect();
    for start in starts {
        start.join().unwrap().unwrap();
    }
    let versions: Vec<i64> = server
        .admin("fresh")
        .query(
            "SELECT version FROM schema_migrations ORDER BY version",
            &[],
        )
        .unwrap()
        .iter()
        .map(|row| row.get(0))
        .collect();
    let count = gatehouse::db::MIGRATION_COUNT as i64;
    assert_eq!(versions, (1..=count).collect::<Vec<i64>>());
}
