//! The real binary as an operator runs it: SIGTERM lets requests in flight
//! finish and exits 0 in time (and a request that outlasts the shutdown
//! timeout does not hold the exit), readiness is 503 while migrations wait
//! (on SQLite's write lock, or on PostgreSQL's migration lock held by
//! another replica), JSON log lines carry each request's id, and
//! `gatehouse backup` copies a database that is being written to. Shutdown,
//! JSON logs and `--metrics-listen` run on the store under test
//! (`common::process_db`); backup and the SQLite lock are SQLite's.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common;

use std::{
    io::{BufRead, BufReader, Read, Write},
    net::TcpListener,
    path::{Path, PathBuf},
    process::{Child, Command, ExitStatus, Stdio},
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, AtomicUsize, Ordering},
        mpsc,
    },
    time::{Duration, Instant},
};

use gatehouse::{db::Db, demo};
use serde_json::{Value, json};

const BIN: &str = env!("CARGO_BIN_EXE_gatehouse");

struct Server {
    child: Child,
    url: String,
    /// What the server wrote to standard error, as it goes.
    log: Arc<Mutex<String>>,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Start `gatehouse serve` on `db` with `args` and wait for its URL line.
fn start(db: impl AsRef<std::ffi::OsStr>, args: &[&str], env: &[(&str, &str)]) -> Server {
    let mut command = Command::new(BIN);
    command
        .args(["serve", "--listen", "127.0.0.1:0", "--db"])
        .arg(db)
        .args(args)
        .env("GATEHOUSE_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (name, value) in env {
        command.env(name, value);
    }
    let mut child = command.spawn().unwrap();
    let log = Arc::new(Mutex::new(String::new()));
    let stderr = child.stderr.take().unwrap();
    let written = log.clone();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines() {
            let Ok(line) = line else { break };
            let mut log = written.lock().unwrap();
            log.push_str(&line);
            log.push('\n');
        }
    });
    let mut reader = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    reader.read_line(&mut line).unwrap();
    std::thread::spawn(move || std::io::copy(&mut reader, &mut std::io::sink()));
    let url = line
        .trim()
        .strip_prefix("Gatehouse is running at ")
        .unwrap_or_else(|| {
            panic!(
                "unexpected first line {line:?}; log: {}",
                log.lock().unwrap()
            )
        })
        .trim_end_matches('/')
        .to_owned();
    Server { child, url, log }
}

/// The demo in a SQLite file in `dir` (the backup tests' store).
async fn demo_db(dir: &Path) -> PathBuf {
    let path = dir.join("gatehouse.db");
    let db = Db::open(&path).unwrap();
    demo::seed(&db, time::OffsetDateTime::now_utc().unix_timestamp())
        .await
        .unwrap();
    path
}

/// The demo on the store under test (`common::process_db`): what `--db` names.
async fn demo_store(dir: &Path) -> String {
    let location = common::process_db(dir);
    let db = Db::connect(&location).unwrap();
    demo::seed(&db, time::OffsetDateTime::now_utc().unix_timestamp())
        .await
        .unwrap();
    location
}

fn sigterm(child: &Child) {
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

/// Wait for the process to exit, at most `limit`.
fn exit_within(child: &mut Child, limit: Duration) -> Option<(ExitStatus, Duration)> {
    let started = Instant::now();
    while started.elapsed() < limit {
        if let Some(status) = child.try_wait().unwrap() {
            return Some((status, started.elapsed()));
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    None
}

/// Log in and return the session cookie (`name=value`).
fn cookie(url: &str, username: &str) -> String {
    let login = ureq::post(&format!("{url}/api/v1/session"))
        .send_json(json!({"username": username, "password": demo::DEMO_PASSWORD}))
        .unwrap();
    login
        .header("set-cookie")
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned()
}

/// An HTTP receiver on loopback that tells `arrived` when a request has come
/// in, waits `delay`, then answers 200.
fn slow_receiver(delay: Duration) -> (String, mpsc::Receiver<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    let (arrived, arrivals) = mpsc::channel();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let arrived = arrived.clone();
            std::thread::spawn(move || {
                let mut seen = Vec::new();
                let mut buffer = [0u8; 4096];
                // Read the head and the (small) body.
                while !String::from_utf8_lossy(&seen).contains("\r\n\r\n{") {
                    match stream.read(&mut buffer) {
                        Ok(0) | Err(_) => break,
                        Ok(n) => seen.extend_from_slice(&buffer[..n]),
                    }
                }
                let _ = arrived.send(());
                std::thread::sleep(delay);
                let _ = write!(
                    stream,
                    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{{}}"
                );
            });
        }
    });
    (url, arrivals)
}

/// A webhook integration pointing at `hook_url`; its id.
fn webhook_integration(url: &str, admin: &str, hook_url: &str) -> i64 {
    let created: Value = ureq::post(&format!("{url}/api/v1/admin/integrations"))
        .set("Cookie", admin)
        .send_json(json!({"name": "Slow billing", "kind": "billing", "connector": "webhook",
                          "settings": {"url": hook_url, "secret": "webhook-signing-secret-0123", "timeout_seconds": 30},
                          "connection_options": ["browser"]}))
        .unwrap()
        .into_json()
        .unwrap();
    created["id"].as_i64().unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn sigterm_lets_the_request_in_flight_finish_and_exits_0_in_time() {
    let dir = tempfile::tempdir().unwrap();
    let db = demo_store(dir.path()).await;
    let mut server = start(&db, &[], &[]);
    let carol = cookie(&server.url, "carol");
    let (hook, arrivals) = slow_receiver(Duration::from_millis(1500));
    let integration = webhook_integration(&server.url, &carol, &hook);

    // Connection test of the integration: it waits on the slow receiver.
    let test_url = format!(
        "{}/api/v1/admin/integrations/{integration}/test",
        server.url
    );
    let in_flight = std::thread::spawn(move || {
        let started = Instant::now();
        let answer = ureq::post(&test_url).set("Cookie", &carol).call();
        (
            answer.map(|a| a.into_json::<Value>().unwrap()),
            started.elapsed(),
        )
    });
    arrivals.recv_timeout(Duration::from_secs(10)).unwrap();
    sigterm(&server.child);
    let signalled = Instant::now();
    // New connections are refused once the server stops accepting.
    std::thread::sleep(Duration::from_millis(300));
    assert!(
        std::net::TcpStream::connect(server.url.trim_start_matches("http://")).is_err(),
        "still accepting connections after SIGTERM"
    );

    let (answer, took) = in_flight.join().unwrap();
    let answer = answer.unwrap_or_else(|e| panic!("the request in flight was cut: {e}"));
    assert_eq!(answer["ok"], true, "{answer}");
    assert!(took >= Duration::from_millis(1500), "{took:?}");
    let (status, after) = exit_within(&mut server.child, Duration::from_secs(10))
        .unwrap_or_else(|| panic!("still running 10 s after SIGTERM"));
    let since_signal = signalled.elapsed();
    assert!(
        status.success(),
        "{status}; log:\n{}",
        server.log.lock().unwrap()
    );
    assert!(
        since_signal < Duration::from_secs(4),
        "exited {since_signal:?} after SIGTERM ({after:?} after the request)"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_request_outlasting_the_shutdown_timeout_does_not_hold_the_exit() {
    let dir = tempfile::tempdir().unwrap();
    let db = demo_store(dir.path()).await;
    let mut server = start(&db, &["--shutdown-timeout", "1"], &[]);
    let carol = cookie(&server.url, "carol");
    let (hook, arrivals) = slow_receiver(Duration::from_secs(20));
    let integration = webhook_integration(&server.url, &carol, &hook);
    let test_url = format!(
        "{}/api/v1/admin/integrations/{integration}/test",
        server.url
    );
    std::thread::spawn(move || {
        // Cut short by the exit: only that it was under way matters.
        let _ = ureq::post(&test_url).set("Cookie", &carol).call();
    });
    arrivals.recv_timeout(Duration::from_secs(10)).unwrap();

    sigterm(&server.child);
    let (status, took) = exit_within(&mut server.child, Duration::from_secs(8))
        .unwrap_or_else(|| panic!("a 20 s request held the exit past 8 s"));
    assert!(
        took >= Duration::from_millis(900) && took < Duration::from_secs(3),
        "exited {took:?} after SIGTERM with a 1 s shutdown timeout"
    );
    assert_eq!(status.code(), Some(1), "cut short is not a clean exit");
    let log = server.log.lock().unwrap().clone();
    assert!(
        log.contains("shutdown timed out after 1 s") && log.contains("requests in flight"),
        "{log}"
    );
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn get(url: &str) -> (u16, Value) {
    match ureq::get(url).timeout(Duration::from_secs(5)).call() {
        Ok(answer) => (answer.status(), answer.into_json().unwrap_or(Value::Null)),
        Err(ureq::Error::Status(code, answer)) => (code, answer.into_json().unwrap_or(Value::Null)),
        Err(error) => (0, json!(error.to_string())),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn readiness_is_503_while_migrations_wait_and_200_once_they_are_done() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("gatehouse.db");
    // Another process holds the write lock of a new database: migrations wait on it.
    let holder = rusqlite::Connection::open(&db).unwrap();
    holder.pragma_update(None, "journal_mode", "WAL").unwrap();
    holder.execute_batch("BEGIN IMMEDIATE").unwrap();

    let port = free_port();
    let url = format!("http://127.0.0.1:{port}");
    let mut child = Command::new(BIN)
        .args(["serve", "--listen", &format!("127.0.0.1:{port}"), "--db"])
        .arg(&db)
        .env("GATEHOUSE_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(3);
    let alive = loop {
        let (status, body) = get(&format!("{url}/healthz"));
        if status == 200 {
            break body;
        }
        assert!(Instant::now() < deadline, "never answered liveness");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(alive["status"], "ok");
    let (status, body) = get(&format!("{url}/readyz"));
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["code"], "not_ready");
    let (status, _) = get(&format!("{url}/api/v1/me"));
    assert_eq!(status, 503, "the API waits for the database too");

    holder.execute_batch("COMMIT").unwrap();
    drop(holder);
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        if get(&format!("{url}/readyz")).0 == 200 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "not ready after the lock was released"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(get(&format!("{url}/api/v1/me")).0, 401);
    child.kill().unwrap();
    child.wait().unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_replica_waiting_on_the_postgresql_migration_lock_is_alive_but_not_ready() {
    use common::pg_server::{ADMIN, ADMIN_PASSWORD, PgServer, sync};
    /// The advisory lock migrations take (store/db.rs: MIGRATION_LOCK).
    const MIGRATION_LOCK: i64 = 0x6761_7465_686f_7573;
    let server = PgServer::start();
    sync(|| {
        server
            .admin("postgres")
            .batch_execute("CREATE DATABASE gatehouse")
            .unwrap()
    });
    // Another replica is migrating: it holds the lock.
    let mut holder = sync(|| server.admin("gatehouse"));
    sync(|| {
        holder
            .batch_execute(&format!("SELECT pg_advisory_lock({MIGRATION_LOCK})"))
            .unwrap()
    });
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let url = format!("http://127.0.0.1:{port}");
    let mut child = Command::new(BIN)
        .args([
            "serve",
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--key-file",
        ])
        .arg(dir.path().join("key"))
        .arg("--db")
        .arg(format!(
            "postgres://{ADMIN}:{ADMIN_PASSWORD}@127.0.0.1:{}/gatehouse?sslmode=disable",
            server.port
        ))
        .env("GATEHOUSE_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(5);
    while get(&format!("{url}/healthz")).0 != 200 {
        assert!(Instant::now() < deadline, "never answered liveness");
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(300));
    let (status, body) = get(&format!("{url}/readyz"));
    assert_eq!(status, 503, "{body}");
    assert!(
        body["message"].as_str().unwrap().contains("migrating"),
        "{body}"
    );

    sync(|| {
        holder
            .batch_execute(&format!("SELECT pg_advisory_unlock({MIGRATION_LOCK})"))
            .unwrap()
    });
    let deadline = Instant::now() + Duration::from_secs(10);
    while get(&format!("{url}/readyz")).0 != 200 {
        assert!(
            Instant::now() < deadline,
            "not ready after the lock was released"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    sync(move || drop(holder));
}

#[tokio::test(flavor = "multi_thread")]
async fn json_log_lines_carry_the_id_of_the_request_they_belong_to() {
    let dir = tempfile::tempdir().unwrap();
    let db = demo_store(dir.path()).await;
    let server = start(
        &db,
        &["--log-format", "json"],
        &[("GATEHOUSE_LOG", "info,tower_http=debug")],
    );
    let answer = ureq::get(&format!("{}/api/v1/me", server.url))
        .set("X-Request-Id", "req-0f1e2d")
        .call();
    let Err(ureq::Error::Status(401, refused)) = answer else {
        panic!("expected 401");
    };
    assert_eq!(refused.header("x-request-id"), Some("req-0f1e2d"));
    let made = ureq::get(&format!("{}/healthz", server.url))
        .call()
        .unwrap();
    let made_id = made.header("x-request-id").unwrap().to_owned();
    assert_eq!(made_id.len(), 32);

    // The log is written as the requests finish; give it a moment.
    let deadline = Instant::now() + Duration::from_secs(5);
    let lines: Vec<Value> = loop {
        let log = server.log.lock().unwrap().clone();
        let lines: Vec<Value> = log
            .lines()
            .map(|line| {
                serde_json::from_str(line)
                    .unwrap_or_else(|e| panic!("not a JSON line ({e}): {line}"))
            })
            .collect();
        let done = |id: &str| {
            lines.iter().any(|l| {
                l["span"]["request_id"] == id
                    && l["fields"]["message"] == "finished processing request"
            })
        };
        if done("req-0f1e2d") && done(&made_id) {
            break lines;
        }
        assert!(
            Instant::now() < deadline,
            "no finished lines for both requests:\n{log}"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    let finished = lines
        .iter()
        .find(|l| {
            l["span"]["request_id"] == "req-0f1e2d"
                && l["fields"]["message"] == "finished processing request"
        })
        .unwrap();
    assert_eq!(finished["span"]["route"], "/api/v1/me");
    assert_eq!(finished["span"]["method"], "GET");
    assert_eq!(finished["fields"]["status"], 401);
    assert!(finished["timestamp"].is_string() && finished["level"] == "DEBUG");
    // Lines outside any request (start-up) have no request span.
    assert!(lines.iter().any(|l| l["span"].is_null()));
}

#[tokio::test(flavor = "multi_thread")]
async fn backup_of_a_database_being_written_opens_checks_and_verifies() {
    let dir = tempfile::tempdir().unwrap();
    let db = demo_db(dir.path()).await;
    let server = start(&db, &[], &[]);
    let alice = cookie(&server.url, "alice");
    let orders: i64 = rusqlite::Connection::open(&db)
        .unwrap()
        .query_row("SELECT id FROM resources WHERE path = 'orders'", [], |r| {
            r.get(0)
        })
        .unwrap();

    let stop = Arc::new(AtomicBool::new(false));
    let acknowledged = Arc::new(AtomicUsize::new(0));
    let writers: Vec<_> = (0..4)
        .map(|_| {
            let (url, alice, stop, acknowledged) =
                (server.url.clone(), alice.clone(), stop.clone(), acknowledged.clone());
            std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    let answer = ureq::post(&format!("{url}/api/v1/requests"))
                        .set("Cookie", &alice)
                        .send_json(json!({"items": [{"resource_id": orders, "permission": "read-only"}],
                                          "duration_seconds": 3600, "justification": common::GOOD_WHY,
                                          // The same request again and again, on purpose.
                                          "allow_duplicate": true}));
                    assert_eq!(answer.unwrap().status(), 201);
                    acknowledged.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();
    while acknowledged.load(Ordering::Relaxed) < 20 {
        std::thread::sleep(Duration::from_millis(10));
    }

    let copy = dir.path().join("backup.db");
    let output = Command::new(BIN)
        .args(["backup", "--db"])
        .arg(&db)
        .arg("--to")
        .arg(&copy)
        .output()
        .unwrap();
    let during = acknowledged.load(Ordering::Relaxed);
    std::thread::sleep(Duration::from_millis(200));
    stop.store(true, Ordering::Relaxed);
    for writer in writers {
        writer.join().unwrap();
    }
    let said = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{said}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        said.contains("integrity ok") && said.contains("gatehouse.db.key"),
        "{said}"
    );
    assert!(
        acknowledged.load(Ordering::Relaxed) > during,
        "the server kept taking writes after the backup"
    );

    // The copy is one file, opens, is intact, and holds what was written before it.
    assert!(!dir.path().join("backup.db-wal").exists());
    let conn = rusqlite::Connection::open(&copy).unwrap();
    let integrity: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(integrity, "ok");
    let copied: i64 = conn
        .query_row(
            "SELECT COUNT(*) FROM requests WHERE status = 'Pending Approval'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(copied >= 20, "{copied} requests in the copy");
    drop(conn);
    let verify = Command::new(BIN)
        .args(["audit", "verify", "--db"])
        .arg(&copy)
        .output()
        .unwrap();
    assert!(
        verify.status.success(),
        "{}",
        String::from_utf8_lossy(&verify.stdout)
    );
    assert!(String::from_utf8_lossy(&verify.stdout).contains("audit log intact"));

    // A server starts on the copy (restore) and answers.
    let restored = start(&copy, &[], &[]);
    let me = ureq::get(&format!("{}/readyz", restored.url))
        .call()
        .unwrap();
    assert_eq!(me.status(), 200);
}

fn backup_says(db: &str, to: &Path) -> (Option<i32>, String) {
    let output = Command::new(BIN)
        .args(["backup", "--db", db, "--to"])
        .arg(to)
        .output()
        .unwrap();
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn backup_refuses_postgresql_a_missing_database_and_an_existing_target_in_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let db = demo_db(dir.path()).await;
    let target = dir.path().join("copy.db");

    let (code, said) = backup_says("postgres://gh@127.0.0.1/gatehouse", &target);
    assert_eq!(code, Some(1));
    assert_eq!(said.trim().lines().count(), 1, "{said}");
    assert!(said.contains("pg_dump"), "{said}");

    let (code, said) = backup_says(dir.path().join("nope.db").to_str().unwrap(), &target);
    assert_eq!(code, Some(1));
    assert!(said.contains("no database at"), "{said}");
    assert!(!target.exists());

    let (code, said) = backup_says(db.to_str().unwrap(), &target);
    assert_eq!(code, Some(0), "{said}");
    let first = std::fs::metadata(&target).unwrap().len();
    let (code, said) = backup_says(db.to_str().unwrap(), &target);
    assert_eq!(code, Some(1));
    assert!(said.contains("already exists"), "{said}");
    assert_eq!(
        std::fs::metadata(&target).unwrap().len(),
        first,
        "never overwritten"
    );

    let stranger = dir.path().join("other.db");
    rusqlite::Connection::open(&stranger)
        .unwrap()
        .execute_batch("CREATE TABLE t (x)")
        .unwrap();
    let (code, said) = backup_says(stranger.to_str().unwrap(), &dir.path().join("x.db"));
    assert_eq!(code, Some(1));
    assert!(said.contains("not a Gatehouse database"), "{said}");
    // No partial file is left behind by a refused or failed backup.
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().contains(".partial-"))
        .collect();
    assert!(leftovers.is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn metrics_listen_serves_metrics_there_and_not_on_the_main_address() {
    let dir = tempfile::tempdir().unwrap();
    let db = demo_store(dir.path()).await;
    let port = free_port();
    let server = start(
        &db,
        &["--metrics-listen", &format!("127.0.0.1:{port}")],
        &[("GATEHOUSE_METRICS_TOKEN", "scrape-me")],
    );
    assert_eq!(get(&format!("{}/metrics", server.url)).0, 404);
    let metrics = format!("http://127.0.0.1:{port}/metrics");
    assert_eq!(get(&metrics).0, 401);
    let text = ureq::get(&metrics)
        .set("Authorization", "Bearer scrape-me")
        .call()
        .unwrap()
        .into_string()
        .unwrap();
    let scrape = common::prometheus::Scrape::parse(&text);
    assert_eq!(
        scrape.get(
            "gatehouse_http_requests_total",
            &[("route", "/metrics"), ("status", "404")]
        ),
        1.0
    );
    assert_eq!(scrape.get("gatehouse_database_up", &[]), 1.0);
}
