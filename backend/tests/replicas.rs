//! Two `gatehouse serve` processes on one PostgreSQL behind HAProxy, with
//! the example configuration of `deploy/haproxy.cfg`: one is killed with
//! `kill -9` in the middle of a load of submissions, approvals and reads,
//! with expiries and 7-day failures falling due during the run; another
//! run freezes a replica (SIGSTOP) past its lease and lets it go. Nothing
//! acknowledged is lost, nothing happens twice, and the survivor takes the
//! background work over within 5 seconds.
//!
//! Runs on PostgreSQL only: replicas share a database server. The tests are
//! marked ignored, so a run on SQLite reports them as not run; the
//! PostgreSQL pass of `scripts/test` runs them (`--run-ignored all` with
//! `GATEHOUSE_TEST_PG`), and run without it they fail rather than pass
//! untested. Needs `haproxy` (scripts/setup-test).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common;
use crate::fakes;

use std::{
    collections::{BTreeMap, HashMap, HashSet},
    io::{BufRead, BufReader},
    path::Path,
    process::{Child, Command, Stdio},
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, AtomicUsize, Ordering},
    },
    time::{Duration, Instant, SystemTime, UNIX_EPOCH},
};

use fakes::{BOT_TOKEN, FakeSlack, SIGNING_SECRET, SmtpCapture};
use gatehouse::{db::Db, demo};
use gatehouse_shared::rules::PENDING_LIMIT;
use serde_json::{Value, json};

struct Replica {
    child: Child,
    url: String,
    pid: u32,
}

impl Drop for Replica {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-CONT", &self.pid.to_string()])
            .stderr(Stdio::null())
            .status();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_replica(
    db_url: &str,
    key: &Path,
    slack: &FakeSlack,
    smtp: &SmtpCapture,
    log: &Path,
) -> Replica {
    let mut child = Command::new(env!("CARGO_BIN_EXE_gatehouse"))
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--trusted-proxies",
            "127.0.0.1",
            "--db",
            db_url,
            "--key-file",
        ])
        .arg(key)
        .env("GATEHOUSE_LOG", "warn")
        .env("GATEHOUSE_SLACK_BOT_TOKEN", BOT_TOKEN)
        .env("GATEHOUSE_SLACK_SIGNING_SECRET", SIGNING_SECRET)
        .env("GATEHOUSE_SLACK_API_URL", &slack.url)
        .env("GATEHOUSE_SMTP_HOST", "127.0.0.1")
        .env("GATEHOUSE_SMTP_PORT", smtp.port.to_string())
        .env("GATEHOUSE_SMTP_SECURITY", "none")
        .env("GATEHOUSE_SMTP_FROM", "Gatehouse <gatehouse@example.com>")
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(log).unwrap())
        .spawn()
        .unwrap();
    let mut reader = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    reader.read_line(&mut line).unwrap();
    std::thread::spawn(move || std::io::copy(&mut reader, &mut std::io::sink()));
    let url = line
        .trim()
        .strip_prefix("Gatehouse is running at ")
        .unwrap_or_else(|| panic!("replica did not start: {line:?}"))
        .trim_end_matches('/')
        .to_owned();
    let pid = child.id();
    Replica { child, url, pid }
}

/// HAProxy in the foreground with the repository's example configuration.
struct Balancer {
    child: Child,
    url: String,
}

impl Drop for Balancer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_balancer(a: &Replica, b: &Replica) -> Balancer {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let config = Path::new(env!("CARGO_MANIFEST_DIR")).join("../deploy/haproxy.cfg");
    let host = |url: &str| url.trim_start_matches("http://").to_owned();
    let child = Command::new("haproxy")
        .arg("-db")
        .arg("-f")
        .arg(config)
        .env("GATEHOUSE_LB_LISTEN", format!("127.0.0.1:{port}"))
        .env("GATEHOUSE_REPLICA_A", host(&a.url))
        .env("GATEHOUSE_REPLICA_B", host(&b.url))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("haproxy is needed for the replica tests (scripts/setup installs it)");
    let url = format!("http://127.0.0.1:{port}");
    let started = Instant::now();
    while ureq::get(&format!("{url}/readyz")).call().is_err() {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "haproxy did not start"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    Balancer { child, url }
}

fn wall_s() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

fn wall_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

async fn query_i64(db: &Db, sql: &str) -> i64 {
    let sql = sql.to_owned();
    db.call(move |conn| Ok(conn.query_row(&sql, [], |row| row.get::<_, i64>(0))?))
        .await
        .unwrap()
}

async fn execute(db: &Db, sql: &str) {
    let sql = sql.to_owned();
    db.write(move |tx| Ok(tx.execute(&sql, [])?)).await.unwrap();
}

async fn rows(db: &Db, sql: &str) -> Vec<(i64, String)> {
    let sql = sql.to_owned();
    db.call(move |conn| {
        let mut statement = conn.prepare(&sql)?;
        let rows = statement
            .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))?
            .collect::<Result<Vec<(i64, String)>, _>>()?;
        Ok(rows)
    })
    .await
    .unwrap()
}

/// Submit through `url` as `token`; the new request's id and status.
fn submit(agent: &ureq::Agent, url: &str, token: &str, body: &Value) -> Option<(i64, String)> {
    let answer = agent
        .post(&format!("{url}/api/v1/requests"))
        .set("Authorization", &format!("Bearer {token}"))
        .send_json(body.clone())
        .ok()?;
    let body: Value = answer.into_json().ok()?;
    Some((
        body["requests"][0]["id"].as_i64()?,
        body["requests"][0]["status"].as_str()?.to_owned(),
    ))
}

/// Audit actions that each happen at most once per request.
const ONCE: &[&str] = &[
    "submitted",
    "granted",
    "expiry_started",
    "expired",
    "failed",
    "access_granted",
    "access_removed",
];

/// Every action of [`ONCE`] appears at most once per request.
async fn assert_nothing_twice(db: &Db) {
    let list = ONCE
        .iter()
        .map(|a| format!("'{a}'"))
        .collect::<Vec<_>>()
        .join(", ");
    let twice = rows(
        db,
        &format!(
            "SELECT request_id, action FROM audit_log WHERE action IN ({list}) AND request_id IS NOT NULL
             GROUP BY request_id, action HAVING COUNT(*) > 1"
        ),
    )
    .await;
    assert!(twice.is_empty(), "happened twice: {twice:?}");
}

struct Setup {
    db: Db,
    slack: FakeSlack,
    smtp: SmtpCapture,
    a: Replica,
    b: Replica,
    dir: tempfile::TempDir,
    docs: i64,
    orders: i64,
}

/// Fails the test when this run is not on PostgreSQL.
fn require_postgres() {
    assert!(
        common::on_postgres(),
        "replica tests run on PostgreSQL only: set GATEHOUSE_TEST_PG (scripts/test does)"
    );
}

async fn setup() -> Setup {
    require_postgres();
    let dir = tempfile::tempdir().unwrap();
    let db = common::test_db(dir.path());
    demo::seed(&db, wall_s()).await.unwrap();
    let slack = FakeSlack::with_demo_users().await;
    let smtp = SmtpCapture::start().await;
    let key = dir.path().join("gatehouse.key");
    let url = db.location().to_owned();
    // The first creates the key file; the second starts once it exists.
    let a = start_replica(&url, &key, &slack, &smtp, &dir.path().join("a.log"));
    let b = start_replica(&url, &key, &slack, &smtp, &dir.path().join("b.log"));
    let docs = query_i64(&db, "SELECT id FROM resources WHERE path = 'acme/docs'").await;
    let orders = query_i64(&db, "SELECT id FROM resources WHERE path = 'orders'").await;
    Setup {
        db,
        slack,
        smtp,
        a,
        b,
        dir,
        docs,
        orders,
    }
}

/// Active requests expiring at the given seconds, and pending ones reaching
/// the 7-day limit at them, made through `url` and then moved in time.
async fn plant(
    setup: &Setup,
    url: &str,
    alice: &str,
    expiring_at: &[i64],
    stale_at: &[i64],
) -> (Vec<(i64, i64)>, Vec<(i64, i64)>) {
    let agent = ureq::AgentBuilder::new().build();
    let mut expiring = Vec::new();
    for due in expiring_at {
        let (id, status) = submit(
            &agent,
            url,
            alice,
            &json!({"items": [{"resource_id": setup.docs, "permission": "read"}], "duration_seconds": 3600, "allow_duplicate": true}),
        )
        .unwrap();
        assert_eq!(status, "Active");
        execute(
            &setup.db,
            &format!("UPDATE requests SET expires_at = {due} WHERE id = {id}"),
        )
        .await;
        expiring.push((id, *due));
    }
    let mut stale = Vec::new();
    for due in stale_at {
        let (id, status) = submit(
            &agent,
            url,
            alice,
            &json!({"items": [{"resource_id": setup.orders, "permission": "read-only"}], "duration_seconds": 3600, "allow_duplicate": true, "justification": common::GOOD_WHY}),
        )
        .unwrap();
        assert_eq!(status, "Pending Approval");
        let created = due - PENDING_LIMIT;
        execute(
            &setup.db,
            &format!("UPDATE requests SET created_at = {created} WHERE id = {id}"),
        )
        .await;
        stale.push((id, *due));
    }
    (expiring, stale)
}

/// The holder of the provisioning lease now, if any.
async fn provisioning_holder(db: &Db) -> Option<String> {
    let now = wall_ms();
    db.call(move |conn| Ok(gatehouse::store::leases::holder_of(conn, "provisioning", now)?.0))
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "PostgreSQL only: the PostgreSQL pass of scripts/test runs it"]
async fn a_replica_killed_under_load_loses_nothing_and_the_survivor_takes_over_within_5_seconds() {
    let setup = setup().await;
    let balancer = start_balancer(&setup.a, &setup.b);
    let lb = balancer.url.clone();
    let alice = common::api_token(&lb, "alice");
    let bob = common::api_token(&lb, "bob");

    // Falling due during the run: 1 to 9 seconds from now.
    let t0 = wall_s();
    let dues: Vec<i64> = (0..27).map(|i| t0 + 1 + i / 3).collect();
    let (expiring, stale) = plant(&setup, &lb, &alice, &dues, &dues[..12]).await;

    // The load: submissions (auto-approved and pending), approvals, reads.
    let acknowledged: Arc<Mutex<Vec<(i64, String, String)>>> = Arc::default();
    let pending: Arc<Mutex<Vec<i64>>> = Arc::default();
    let reads = Arc::new(AtomicUsize::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let mut workers = Vec::new();
    for worker in 0..6 {
        let (lb, alice, bob) = (lb.clone(), alice.clone(), bob.clone());
        let (acknowledged, pending, reads, stop) = (
            acknowledged.clone(),
            pending.clone(),
            reads.clone(),
            stop.clone(),
        );
        let (docs, orders) = (setup.docs, setup.orders);
        workers.push(std::thread::spawn(move || {
            let agent = ureq::AgentBuilder::new()
                .timeout(Duration::from_secs(10))
                .build();
            let mut n = 0;
            while !stop.load(Ordering::Relaxed) {
                n += 1;
                match worker % 3 {
                    0 | 1 => {
                        // Each submission says who sent it, to find it again once.
                        let tag = format!("replica-load-{worker}-{n}");
                        let body = if n % 2 == 0 {
                            json!({"items": [{"resource_id": docs, "permission": "read"}], "duration_seconds": 3600, "allow_duplicate": true, "justification": tag})
                        } else {
                            json!({"items": [{"resource_id": orders, "permission": "read-only"}], "duration_seconds": 3600, "allow_duplicate": true, "justification": format!("{} {tag}", common::GOOD_WHY)})
                        };
                        if let Some((id, status)) = submit(&agent, &lb, &alice, &body) {
                            if status == "Pending Approval" {
                                pending.lock().unwrap().push(id);
                            }
                            acknowledged.lock().unwrap().push((id, status, tag));
                        }
                    }
                    _ => {
                        let next = pending.lock().unwrap().pop();
                        if let Some(id) = next {
                            let _ = agent
                                .post(&format!("{lb}/api/v1/requests/{id}/approve"))
                                .set("Authorization", &format!("Bearer {bob}"))
                                .call();
                        }
                        if agent
                            .get(&format!("{lb}/api/v1/requests?limit=20"))
                            .set("Authorization", &format!("Bearer {alice}"))
                            .call()
                            .is_ok()
                        {
                            reads.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                }
            }
        }));
    }

    // Watch the planted expiries: when each was first seen Expired.
    let seen_expired: Arc<Mutex<HashMap<i64, Instant>>> = Arc::default();
    let watching = Arc::new(AtomicBool::new(true));
    let watcher = {
        let (db, seen, watching) = (setup.db.clone(), seen_expired.clone(), watching.clone());
        let ids: Vec<i64> = expiring.iter().map(|(id, _)| *id).collect();
        tokio::spawn(async move {
            let list = ids
                .iter()
                .map(i64::to_string)
                .collect::<Vec<_>>()
                .join(", ");
            while watching.load(Ordering::Relaxed) {
                for (id, _) in rows(
                    &db,
                    &format!(
                        "SELECT id, status FROM requests WHERE id IN ({list}) AND status = 'Expired'"
                    ),
                )
                .await
                {
                    seen.lock().unwrap().entry(id).or_insert_with(Instant::now);
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        })
    };

    // Three seconds in, kill the replica holding the provisioning lease
    // (the one doing the background work), else the first.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let mut holder = None;
    for _ in 0..20 {
        holder = provisioning_holder(&setup.db).await;
        if holder.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    let holder_pid = holder
        .as_deref()
        .and_then(|h| h.split(':').nth(1))
        .and_then(|pid| pid.parse::<u32>().ok());
    let (mut victim, survivor) = if holder_pid == Some(setup.b.pid) {
        (setup.b, setup.a)
    } else {
        (setup.a, setup.b)
    };
    let killed_at = Instant::now();
    let killed_wall = wall_s();
    victim.child.kill().unwrap(); // SIGKILL
    victim.child.wait().unwrap();
    let victim_name_pid = victim.pid.to_string();

    // No lease stays with the dead replica past its time.
    tokio::time::sleep(gatehouse::lease::TTL + Duration::from_millis(200)).await;
    let held = rows(
        &setup.db,
        &format!(
            "SELECT epoch, COALESCE(holder, '') FROM leases WHERE until_ms > {}",
            wall_ms()
        ),
    )
    .await;
    assert!(
        held.iter()
            .all(|(_, holder)| holder.split(':').nth(1) != Some(&victim_name_pid)),
        "a lease is still held by the killed replica: {held:?}"
    );

    tokio::time::sleep(Duration::from_secs(5)).await;
    stop.store(true, Ordering::Relaxed);
    for worker in workers {
        worker.join().unwrap();
    }

    // Everything due is done: expiries, 7-day failures, the outbox.
    let all_due = wall_s();
    let ids = |list: &[(i64, i64)]| {
        list.iter()
            .map(|(id, _)| id.to_string())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let settled = Instant::now();
    loop {
        let open = query_i64(
            &setup.db,
            &format!(
                "SELECT COUNT(*) FROM requests WHERE (id IN ({}) AND status <> 'Expired') OR (id IN ({}) AND status <> 'Failed')
                 OR status IN ('Granting', 'Revoking')",
                ids(&expiring),
                ids(&stale)
            ),
        )
        .await
            + query_i64(
                &setup.db,
                &format!(
                    "SELECT COUNT(*) FROM outbox WHERE state = 'pending' AND next_attempt_at <= {all_due}"
                ),
            )
            .await;
        if open == 0 {
            break;
        }
        if std::env::var("REPLICA_DEBUG").is_ok() {
            eprintln!("{:?} after the load: {open} open", settled.elapsed());
        }
        if settled.elapsed() > Duration::from_secs(30) {
            let statuses = rows(
                &setup.db,
                "SELECT COUNT(*), status FROM requests GROUP BY status",
            )
            .await;
            let outbox = rows(
                &setup.db,
                "SELECT COUNT(*), state || ' ' || channel || ' ' || kind FROM outbox GROUP BY state, channel, kind",
            )
            .await;
            let leases = rows(
                &setup.db,
                &format!("SELECT until_ms - {}, name || ' ' || COALESCE(holder, '-') || ' epoch ' || epoch FROM leases", wall_ms()),
            )
            .await;
            let activity = rows(
                &setup.db,
                "SELECT pid, COALESCE(state, '') || ' | ' || COALESCE(wait_event, '') || ' | ' || LEFT(query, 80) FROM pg_stat_activity WHERE datname = current_database()",
            )
            .await;
            eprintln!("leases {leases:?}\nactivity {activity:#?}");
            let log = |name: &str| {
                let text = std::fs::read_to_string(setup.dir.path().join(name)).unwrap_or_default();
                let lines: Vec<&str> = text.lines().collect();
                lines[lines.len().saturating_sub(15)..].join("\n")
            };
            panic!(
                "{open} expiries, 7-day failures, provisioning or messages still open 30 s after the load: requests {statuses:?}, outbox {outbox:?}\nA's log:\n{}\nB's log:\n{}",
                log("a.log"),
                log("b.log")
            );
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    watching.store(false, Ordering::Relaxed);
    watcher.await.unwrap();

    // Every acknowledged submission is there exactly once.
    let acknowledged = acknowledged.lock().unwrap().clone();
    let submitted = acknowledged.len();
    assert!(
        submitted > 30,
        "too little load to mean anything: {submitted} submissions acknowledged"
    );
    let justifications: BTreeMap<i64, String> = rows(
        &setup.db,
        "SELECT id, justification FROM requests WHERE justification LIKE '%replica-load-%'",
    )
    .await
    .into_iter()
    .collect();
    let mut tags_seen: HashMap<String, usize> = HashMap::new();
    for justification in justifications.values() {
        let tag = justification.split_whitespace().last().unwrap().to_owned();
        *tags_seen.entry(tag).or_default() += 1;
    }
    for (id, status, tag) in &acknowledged {
        assert!(
            justifications.contains_key(id),
            "acknowledged request {id} ({status}) is gone"
        );
        assert_eq!(
            tags_seen.get(tag),
            Some(&1),
            "submission {tag} stored other than once"
        );
    }

    // Expiries and 7-day failures happened, once each, the expiries
    // within 5 seconds of their time or of the kill.
    for (id, due) in &expiring {
        let seen = seen_expired.lock().unwrap().get(id).copied();
        let seen = seen.unwrap_or_else(|| panic!("request {id} never seen Expired"));
        if *due >= killed_wall {
            let from = killed_at + Duration::from_secs((*due - killed_wall) as u64);
            let late = seen.saturating_duration_since(from);
            assert!(
                late < Duration::from_secs(5),
                "request {id} due {}s after the kill expired {late:?} late",
                due - killed_wall
            );
        } else {
            let late = seen.saturating_duration_since(killed_at);
            assert!(
                late < Duration::from_secs(5),
                "request {id} due before the kill expired {late:?} after it"
            );
        }
    }
    let expired_entries = query_i64(
        &setup.db,
        &format!(
            "SELECT COUNT(*) FROM audit_log WHERE action = 'expired' AND request_id IN ({})",
            ids(&expiring)
        ),
    )
    .await;
    assert_eq!(expired_entries, expiring.len() as i64);
    let failed_entries = query_i64(
        &setup.db,
        &format!(
            "SELECT COUNT(*) FROM audit_log WHERE action = 'failed' AND request_id IN ({})",
            ids(&stale)
        ),
    )
    .await;
    assert_eq!(failed_entries, stale.len() as i64);
    assert_nothing_twice(&setup.db).await;

    // Every message was delivered; a copy sent again carries the same key.
    let delivered_slack = query_i64(
        &setup.db,
        "SELECT COUNT(*) FROM outbox WHERE channel = 'slack' AND state = 'delivered' AND kind <> 'approval_closed'",
    )
    .await;
    let delivered_mail = query_i64(
        &setup.db,
        "SELECT COUNT(*) FROM outbox WHERE channel = 'email' AND state = 'delivered'",
    )
    .await;
    assert!(delivered_slack > 0 && delivered_mail > 0);
    let slack_keys: Vec<String> = setup
        .slack
        .calls_of("chat.postMessage")
        .iter()
        .filter_map(|body| {
            body["metadata"]["event_payload"]["key"]
                .as_str()
                .map(str::to_owned)
        })
        .collect();
    let distinct: HashSet<&String> = slack_keys.iter().collect();
    assert_eq!(
        distinct.len() as i64,
        delivered_slack,
        "every delivered Slack message once by key"
    );
    let mail_keys: Vec<String> = setup
        .smtp
        .mails()
        .iter()
        .filter_map(|mail| {
            mail.data
                .lines()
                .find(|line| line.to_ascii_lowercase().starts_with("message-id:"))
                .map(|line| line["message-id:".len()..].trim().to_owned())
        })
        .collect();
    let distinct_mail: HashSet<&String> = mail_keys.iter().collect();
    assert_eq!(distinct_mail.len() as i64, delivered_mail);
    assert!(
        mail_keys
            .iter()
            .all(|k| k.starts_with("<gatehouse-outbox-")),
        "{mail_keys:?}"
    );

    // Figures for BENCHMARKS.md: how late expiries and messages were.
    let first_after_kill = expiring
        .iter()
        .filter(|(_, due)| *due >= killed_wall)
        .filter_map(|(id, due)| {
            let seen = *seen_expired.lock().unwrap().get(id)?;
            let from = killed_at + Duration::from_secs((*due - killed_wall) as u64);
            Some(seen.saturating_duration_since(from))
        })
        .max();
    let first_expired_after_kill = seen_expired
        .lock()
        .unwrap()
        .values()
        .filter(|seen| **seen > killed_at)
        .min()
        .map(|seen| seen.duration_since(killed_at));
    let lag = rows(
        &setup.db,
        &format!(
            "SELECT COALESCE(MAX(delivered_at - created_at), -1), 'max' FROM outbox WHERE state = 'delivered' AND created_at >= {killed_wall} - 1 AND created_at <= {killed_wall} + 5"
        ),
    )
    .await;
    eprintln!(
        "kill -9 → first access Expired by the survivor: {first_expired_after_kill:?}; latest expiry due after the kill: {first_after_kill:?} late; outbox messages made around the kill delivered at most {} s after they were made",
        lag[0].0
    );

    // The survivor still answers through the balancer.
    let health = ureq::get(&format!("{lb}/readyz")).call().unwrap();
    assert_eq!(health.status(), 200);
    eprintln!(
        "two replicas, one killed: {submitted} submissions acknowledged, {} reads, {} expiries and {} 7-day failures once each, {delivered_slack} Slack messages ({} sent), {delivered_mail} e-mails ({} sent); survivor pid {}",
        reads.load(Ordering::Relaxed),
        expiring.len(),
        stale.len(),
        slack_keys.len(),
        mail_keys.len(),
        survivor.pid
    );
    drop(balancer);
    drop(survivor);
    drop(setup.dir);
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "PostgreSQL only: the PostgreSQL pass of scripts/test runs it"]
async fn a_replica_frozen_past_its_lease_does_not_act_on_work_taken_over() {
    let setup = setup().await;
    let (a, b) = (&setup.a, &setup.b);
    let alice = common::api_token(&a.url, "alice");
    let t0 = wall_s();
    let dues: Vec<i64> = (0..24).map(|i| t0 + 2 + i / 4).collect();
    let (expiring, _) = plant(&setup, &a.url, &alice, &dues, &[]).await;

    // Submissions keep both replicas provisioning; A is frozen three times
    // for longer than its lease, and let go.
    let stop = Arc::new(AtomicBool::new(false));
    let submitted = Arc::new(AtomicUsize::new(0));
    let mut workers = Vec::new();
    for worker in 0..4 {
        let url = if worker % 2 == 0 {
            a.url.clone()
        } else {
            b.url.clone()
        };
        let (alice, stop, submitted) = (alice.clone(), stop.clone(), submitted.clone());
        let docs = setup.docs;
        workers.push(std::thread::spawn(move || {
            let agent = ureq::AgentBuilder::new()
                .timeout(Duration::from_secs(15))
                .build();
            while !stop.load(Ordering::Relaxed) {
                let body = json!({"items": [{"resource_id": docs, "permission": "read"}], "duration_seconds": 3600, "allow_duplicate": true});
                if submit(&agent, &url, &alice, &body).is_some() {
                    submitted.fetch_add(1, Ordering::Relaxed);
                }
            }
        }));
    }
    let pid = a.pid.to_string();
    for _ in 0..3 {
        tokio::time::sleep(Duration::from_millis(700)).await;
        Command::new("kill").args(["-STOP", &pid]).status().unwrap();
        tokio::time::sleep(gatehouse::lease::TTL + Duration::from_millis(1500)).await;
        Command::new("kill").args(["-CONT", &pid]).status().unwrap();
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    stop.store(true, Ordering::Relaxed);
    for worker in workers {
        worker.join().unwrap();
    }
    let ids = expiring
        .iter()
        .map(|(id, _)| id.to_string())
        .collect::<Vec<_>>()
        .join(", ");
    let started = Instant::now();
    loop {
        let open = query_i64(
            &setup.db,
            &format!(
                "SELECT COUNT(*) FROM requests WHERE (id IN ({ids}) AND status <> 'Expired') OR status IN ('Granting', 'Revoking')"
            ),
        )
        .await;
        if open == 0 {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "{open} requests still provisioning or expiring"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(submitted.load(Ordering::Relaxed) > 10);
    assert_nothing_twice(&setup.db).await;
    // Every granted access was granted once and every removal done once.
    let granted = query_i64(
        &setup.db,
        "SELECT COUNT(*) FROM requests WHERE status IN ('Active', 'Expired')",
    )
    .await;
    let grants = query_i64(
        &setup.db,
        "SELECT COUNT(*) FROM audit_log WHERE action = 'access_granted'",
    )
    .await;
    assert_eq!(grants, granted, "one access_granted per granted request");
    let a_log = std::fs::read_to_string(setup.dir.path().join("a.log")).unwrap_or_default();
    let fenced = a_log.matches("taken over").count();
    eprintln!(
        "frozen replica: {} submissions, {} expiries, lease taken over from A {fenced} times (seen in its log)",
        submitted.load(Ordering::Relaxed),
        expiring.len()
    );
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "PostgreSQL only: the PostgreSQL pass of scripts/test runs it"]
async fn both_replicas_recover_by_themselves_when_postgresql_restarts_under_load() {
    use common::pg_server::{ADMIN, ADMIN_PASSWORD, PgServer, sync};
    require_postgres();
    // A server of this test's own: restarting the shared one would fail
    // the tests running beside it.
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
    let db = Db::open_postgres(&url).unwrap();
    demo::seed(&db, wall_s()).await.unwrap();
    let docs = query_i64(&db, "SELECT id FROM resources WHERE path = 'acme/docs'").await;
    drop(db);
    let dir = tempfile::tempdir().unwrap();
    let slack = FakeSlack::with_demo_users().await;
    let smtp = SmtpCapture::start().await;
    let key = dir.path().join("gatehouse.key");
    let a = start_replica(&url, &key, &slack, &smtp, &dir.path().join("a.log"));
    let b = start_replica(&url, &key, &slack, &smtp, &dir.path().join("b.log"));
    let balancer = start_balancer(&a, &b);
    let alice = common::api_token(&balancer.url, "alice");

    let stop = Arc::new(AtomicBool::new(false));
    let acknowledged: Arc<Mutex<Vec<i64>>> = Arc::default();
    let refused = Arc::new(AtomicUsize::new(0));
    let mut workers = Vec::new();
    for _ in 0..4 {
        let (lb, alice) = (balancer.url.clone(), alice.clone());
        let (stop, acknowledged, refused) = (stop.clone(), acknowledged.clone(), refused.clone());
        workers.push(std::thread::spawn(move || {
            let agent = ureq::AgentBuilder::new()
                .timeout(Duration::from_secs(10))
                .build();
            while !stop.load(Ordering::Relaxed) {
                let body = json!({"items": [{"resource_id": docs, "permission": "read"}], "duration_seconds": 3600, "allow_duplicate": true});
                match submit(&agent, &lb, &alice, &body) {
                    Some((id, _)) => acknowledged.lock().unwrap().push(id),
                    None => {
                        refused.fetch_add(1, Ordering::Relaxed);
                        std::thread::sleep(Duration::from_millis(20));
                    }
                }
            }
        }));
    }
    tokio::time::sleep(Duration::from_millis(1000)).await;
    sync(|| server.down());
    tokio::time::sleep(Duration::from_millis(1000)).await;
    sync(|| server.up());
    tokio::time::sleep(Duration::from_millis(2000)).await;
    stop.store(true, Ordering::Relaxed);
    for worker in workers {
        worker.join().unwrap();
    }
    assert!(refused.load(Ordering::Relaxed) > 0, "the restart was felt");

    // Each replica, asked directly, works again: it reads, and a new
    // submission is granted at once (its pool and its provisioning recovered).
    let agent = ureq::AgentBuilder::new()
        .timeout(Duration::from_secs(10))
        .build();
    for replica in [&a, &b] {
        let list = agent
            .get(&format!("{}/api/v1/requests?limit=5", replica.url))
            .set("Authorization", &format!("Bearer {alice}"))
            .call()
            .unwrap();
        assert_eq!(list.status(), 200);
        let body = json!({"items": [{"resource_id": docs, "permission": "read"}], "duration_seconds": 3600, "allow_duplicate": true});
        let (id, status) = submit(&agent, &replica.url, &alice, &body)
            .unwrap_or_else(|| panic!("{} does not take submissions", replica.url));
        assert_eq!(status, "Active", "request {id} on {}", replica.url);
    }
    // Nothing acknowledged was lost, and nothing happened twice.
    let db = Db::open_postgres(&url).unwrap();
    let acknowledged = acknowledged.lock().unwrap().clone();
    assert!(
        acknowledged.len() > 10,
        "{} acknowledged",
        acknowledged.len()
    );
    let list = acknowledged
        .iter()
        .map(i64::to_string)
        .collect::<Vec<_>>()
        .join(", ");
    let found = query_i64(
        &db,
        &format!("SELECT COUNT(*) FROM requests WHERE id IN ({list})"),
    )
    .await;
    assert_eq!(found, acknowledged.len() as i64);
    assert_nothing_twice(&db).await;
    eprintln!(
        "PostgreSQL restarted under load: {} submissions acknowledged, {} refused meanwhile, both replicas answer again",
        acknowledged.len(),
        refused.load(Ordering::Relaxed)
    );
}
