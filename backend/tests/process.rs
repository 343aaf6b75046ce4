//! The real binary as a process: it catches up after downtime, and a `kill -9`
//! in the middle of concurrent writes loses nothing it acknowledged. On the
//! store under test (`common::process_db`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::{
    io::{BufRead, BufReader},
    process::{Child, Command, Stdio},
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, Ordering},
    },
    time::{Duration, Instant},
};

use crate::common;

use gatehouse::{
    db::Db,
    demo,
    store::sql::{OptionalExtension, params},
};
use serde_json::{Value, json};

struct Server {
    child: Child,
    url: String,
}

/// Start the server on `db`; the instant it said it is running (its start
/// as the rules count it: a loaded machine's slow exec and migrations are
/// not the server's catching up).
fn start(db: &str) -> (Server, Instant) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_gatehouse"))
        .args(["serve", "--listen", "127.0.0.1:0", "--db"])
        .arg(db)
        .env("GATEHOUSE_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut reader = BufReader::new(stdout);
    let mut line = String::new();
    reader.read_line(&mut line).unwrap();
    let started = Instant::now();
    // Keep draining what else it prints.
    std::thread::spawn(move || std::io::copy(&mut reader, &mut std::io::sink()));
    let url = line
        .trim()
        .strip_prefix("Gatehouse is running at ")
        .unwrap()
        .trim_end_matches('/')
        .to_owned();
    (Server { child, url }, started)
}

use common::{blocking, query_i64_blocking as query_i64};

/// The demo on a database of this test's own: what `--db` names, and the
/// store opened on it.
async fn demo_db(dir: &std::path::Path) -> (String, Db) {
    let location = common::process_db(dir);
    let db = Db::connect(&location).unwrap();
    demo::seed(&db, time::OffsetDateTime::now_utc().unix_timestamp())
        .await
        .unwrap();
    (location, db)
}

#[tokio::test(flavor = "multi_thread")]
async fn after_downtime_due_expiries_and_the_seven_day_limit_are_processed_within_a_second_of_start()
 {
    let dir = tempfile::tempdir().unwrap();
    let (location, db) = demo_db(dir.path()).await;
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    // While the server was down: 200 accesses expired an hour ago, 50 requests have waited 8 days.
    db.write(move |conn| {
        let alice: i64 = conn
            .query_row("SELECT id FROM users WHERE username = 'alice'", [], |r| {
                r.get(0)
            })
            ?;
        let resource: i64 = conn
            .query_row(
                "SELECT id FROM resources WHERE path = 'acme/docs'",
                [],
                |r| r.get(0),
            )
            ?;
        let permission: i64 = conn.query_row("SELECT p.id FROM permissions p JOIN resources r ON r.resource_type_id = p.resource_type_id WHERE r.id = ?1 AND p.name = 'read'", [resource], |r| r.get(0))?;
        for n in 0..250 {
            let (status, created, expires) = if n < 200 {
                ("Active", now - 7200, Some(now - 3600))
            } else {
                ("Pending Approval", now - 8 * 86_400, None)
            };
            let request: i64 = conn.query_row(
                "INSERT INTO requests (flow_id, requester_id, grantee_id, status, duration, justification, describes_task, explains_access, includes_ticket, item_count, created_at, updated_at, granted_at, expires_at)
                 VALUES (1, ?1, ?1, ?2, 3600, 'x', 0, 0, 0, 1, ?3, ?3, ?3, ?4) RETURNING id",
                params![alice, status, created, expires],
                |r| r.get(0),
            )?;
            conn.execute(
                "INSERT INTO request_items (request_id, resource_id, permission_id) VALUES (?1, ?2, ?3)",
                params![request, resource, permission],
            )?;
        }
        Ok(())
    })
    .await
    .unwrap();
    let (mut server, started) = start(&location);
    let mut done_at = None;
    while started.elapsed() < Duration::from_secs(5) {
        let open = query_i64(
            &db,
            "SELECT COUNT(*) FROM requests WHERE status IN ('Active', 'Revoking', 'Pending Approval')",
        );
        if open == 0 {
            done_at = Some(started.elapsed());
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    server.child.kill().unwrap();
    let done_at = done_at.expect("not processed within 5 s");
    assert!(done_at < Duration::from_secs(1), "took {done_at:?}");
    assert_eq!(
        query_i64(
            &db,
            "SELECT COUNT(*) FROM requests WHERE status = 'Expired'"
        ),
        200
    );
    assert_eq!(
        query_i64(&db, "SELECT COUNT(*) FROM requests WHERE status = 'Failed'"),
        50
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_kill_during_concurrent_submissions_and_approvals_loses_nothing_acknowledged() {
    let dir = tempfile::tempdir().unwrap();
    let (location, db) = demo_db(dir.path()).await;
    let (mut server, _) = start(&location);
    let alice = common::api_token(&server.url, "alice");
    let bob = common::api_token(&server.url, "bob");
    let orders: i64 = query_i64(&db, "SELECT id FROM resources WHERE path = 'orders'");
    let acknowledged: Arc<Mutex<Vec<(i64, &'static str)>>> = Arc::default();
    let pending: Arc<Mutex<Vec<i64>>> = Arc::default();
    let stop = Arc::new(AtomicBool::new(false));
    let mut workers = Vec::new();
    for worker in 0..8 {
        let (url, alice, bob) = (server.url.clone(), alice.clone(), bob.clone());
        let (acknowledged, pending, stop) = (acknowledged.clone(), pending.clone(), stop.clone());
        workers.push(std::thread::spawn(move || {
            let agent = ureq::AgentBuilder::new().timeout(Duration::from_secs(2)).build();
            while !stop.load(Ordering::Relaxed) {
                if worker % 2 == 0 {
                    let answer = agent
                        .post(&format!("{url}/api/v1/requests"))
                        .set("Authorization", &format!("Bearer {alice}"))
                        .send_json(json!({"items": [{"resource_id": orders, "permission": "read-only"}], "duration_seconds": 3600, "justification": "crash test for OPS-1 because we must", "allow_duplicate": true}));
                    let Ok(answer) = answer else { continue };
                    let body: Value = answer.into_json().unwrap();
                    let id = body["requests"][0]["id"].as_i64().unwrap();
                    acknowledged.lock().unwrap().push((id, "Pending Approval"));
                    pending.lock().unwrap().push(id);
                } else {
                    let next = pending.lock().unwrap().pop();
                    let Some(id) = next else {
                        std::thread::sleep(Duration::from_millis(1));
                        continue;
                    };
                    let answer = agent.post(&format!("{url}/api/v1/requests/{id}/approve")).set("Authorization", &format!("Bearer {bob}")).call();
                    if let Ok(answer) = answer {
                        let body: Value = answer.into_json().unwrap();
                        assert_eq!(body["status"], "Active");
                        acknowledged.lock().unwrap().push((id, "Active"));
                    }
                }
            }
        }));
    }
    // The kill lands in the middle of the load: once it has made at least
    // this much (however long a loaded machine takes), with writes in flight.
    let loaded = || {
        let acknowledged = acknowledged.lock().unwrap();
        let approved = acknowledged.iter().filter(|(_, s)| *s == "Active").count();
        acknowledged.len() - approved > 20 && approved > 5
    };
    let deadline = Instant::now() + Duration::from_secs(60);
    while !loaded() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    std::thread::sleep(Duration::from_millis(200));
    server.child.kill().unwrap(); // SIGKILL: no shutdown, no flush.
    server.child.wait().unwrap();
    stop.store(true, Ordering::Relaxed);
    for worker in workers {
        worker.join().unwrap();
    }

    let acknowledged = acknowledged.lock().unwrap().clone();
    let submitted = acknowledged
        .iter()
        .filter(|(_, s)| *s == "Pending Approval")
        .count();
    let approved = acknowledged.iter().filter(|(_, s)| *s == "Active").count();
    assert!(
        submitted > 20 && approved > 5,
        "too little load: {submitted} submitted, {approved} approved"
    );
    if !common::on_postgres() {
        let integrity: String = blocking(
            db.call(|conn| Ok(conn.query_row("PRAGMA integrity_check", [], |r| r.get(0))?)),
        )
        .unwrap();
        assert_eq!(integrity, "ok");
    }
    for (id, status) in &acknowledged {
        let id = *id;
        let found: Option<String> = blocking(db.call(move |conn| {
            Ok(conn
                .query_row("SELECT status FROM requests WHERE id = ?1", [id], |r| {
                    r.get(0)
                })
                .optional()?)
        }))
        .unwrap();
        let found = found.unwrap_or_else(|| panic!("acknowledged request {id} is gone"));
        match *status {
            "Active" => assert_eq!(found, "Active", "request {id}"),
            _ => assert!(
                ["Pending Approval", "Granting", "Active"].contains(&found.as_str()),
                "request {id} is {found}"
            ),
        }
    }
    eprintln!(
        "crash test: {submitted} submissions and {approved} approvals acknowledged, all found after kill -9"
    );

    // The server starts again on the same store and answers.
    let (mut again, _) = start(&location);
    let health = ureq::get(&format!("{}/healthz", again.url)).call().unwrap();
    assert_eq!(health.status(), 200);
    again.child.kill().unwrap();
}
