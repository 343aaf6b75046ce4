//! Generates a large Gatehouse database for benchmarks (see BENCHMARKS.md and
//! scripts/bench): N resources, M requests spread over users, and optionally
//! K accesses all expiring at the same second.
//!
//! cargo run --release -p gatehouse --example bench_seed -- DB RESOURCES REQUESTS [EXPIRING AT_UNIX]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use gatehouse::{auth, db::Db};
use rusqlite::params;

const USERS: i64 = 1_000;
pub const PASSWORD: &str = "bench-password";

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let path = std::path::PathBuf::from(args.get(1).expect("database path"));
    let resources: i64 = args.get(2).map_or(100_000, |a| a.parse().unwrap());
    let requests: i64 = args.get(3).map_or(1_000_000, |a| a.parse().unwrap());
    let expiring: i64 = args.get(4).map_or(0, |a| a.parse().unwrap());
    let at: i64 = args.get(5).map_or(0, |a| a.parse().unwrap());
    let started = std::time::Instant::now();
    drop(Db::open(&path).unwrap());
    let mut conn = rusqlite::Connection::open(&path).unwrap();
    conn.pragma_update(None, "synchronous", "OFF").unwrap();
    conn.pragma_update(None, "foreign_keys", "ON").unwrap();
    let tx = conn.transaction().unwrap();
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let existing: i64 = tx
        .query_row("SELECT COUNT(*) FROM users", [], |r| r.get(0))
        .unwrap();
    if existing == 0 {
        let hash = auth::hash_password(PASSWORD).unwrap();
        for n in 0..USERS {
            let name = if n == 0 {
                "bench".to_owned()
            } else {
                format!("user{n:04}")
            };
            tx.execute(
                "INSERT INTO users (username, display_name, email, password_hash, is_admin, created_at) VALUES (?1, ?1, ?1 || '@example.com', ?2, ?3, ?4)",
                params![name, hash, n == 1, now],
            )
            .unwrap();
        }
        tx.execute(
            "INSERT INTO integrations (name, kind) VALUES ('Bench PostgreSQL', 'demo')",
            [],
        )
        .unwrap();
        tx.execute(
            "INSERT INTO resource_types (integration_id, name) VALUES (1, 'table')",
            [],
        )
        .unwrap();
        for permission in ["read-only", "read-write", "admin"] {
            tx.execute(
                "INSERT INTO permissions (resource_type_id, name) VALUES (1, ?1)",
                [permission],
            )
            .unwrap();
        }
        let words = [
            "billing",
            "orders",
            "events",
            "customers",
            "ledger",
            "metrics",
            "audit",
            "sessions",
            "invoices",
            "shipments",
        ];
        {
            let mut insert = tx.prepare("INSERT INTO resources (integration_id, resource_type_id, name, path, tags, search_text) VALUES (1, 1, ?1, ?2, ?3, ?4)").unwrap();
            let mut tag = tx
                .prepare("INSERT INTO resource_tags (resource_id, tag) VALUES (?1, ?2)")
                .unwrap();
            for n in 0..resources {
                let word = words[(n % 10) as usize];
                let name = format!("{word}_{n:06}");
                let path = format!("db{:03}/public/{name}", n % 500);
                let tags = if n % 7 == 0 {
                    "[\"pii\"]"
                } else {
                    "[\"prod\"]"
                };
                insert
                    .execute(params![
                        name,
                        path,
                        tags,
                        format!("{name} {path} {}", &tags[2..tags.len() - 2])
                    ])
                    .unwrap();
                tag.execute(params![tx.last_insert_rowid(), &tags[2..tags.len() - 2]])
                    .unwrap();
            }
        }
        tx.execute(
            "INSERT INTO access_flows (name, auto_approve, durations, max_duration, justification_required, ticket_required, on_behalf_allowed, extend_enabled)
             VALUES ('Bench self-service', 1, '[3600]', 3600, 0, 0, 0, 0)",
            [],
        )
        .unwrap();
        tx.execute(
            "INSERT INTO flow_grantees (flow_id, kind) VALUES (1, 'everyone')",
            [],
        )
        .unwrap();
        tx.execute(
            "INSERT INTO flow_scope (flow_id, kind, ref_id) VALUES (1, 'integration', 1)",
            [],
        )
        .unwrap();
        let mut insert = tx
            .prepare(
                "INSERT INTO requests (flow_id, requester_id, grantee_id, status, duration, justification, describes_task, explains_access,
                    includes_ticket, item_count, created_at, updated_at, granted_at, expires_at, ended_at)
                 VALUES (1, ?1, ?1, ?2, 3600, 'benchmark', 0, 0, 0, 1, ?3, ?3, ?3, ?4, ?5)",
            )
            .unwrap();
        let mut item = tx.prepare("INSERT INTO request_items (request_id, resource_id, permission_id) VALUES (?1, ?2, 1)").unwrap();
        for n in 0..requests {
            let user = n % USERS + 1;
            let created = now - (requests - n) * 10;
            let (status, expires, ended) = if n % 50 == 0 {
                ("Active", Some(now + 86_400 * 30), None)
            } else {
                ("Expired", Some(created + 3600), Some(created + 3600))
            };
            insert
                .execute(params![user, status, created, expires, ended])
                .unwrap();
            item.execute(params![tx.last_insert_rowid(), n % resources + 1])
                .unwrap();
        }
    }
    if expiring > 0 {
        let mut insert = tx
            .prepare(
                "INSERT INTO requests (flow_id, requester_id, grantee_id, status, duration, justification, describes_task, explains_access,
                    includes_ticket, item_count, created_at, updated_at, granted_at, expires_at)
                 VALUES (1, ?1, ?1, 'Active', 3600, 'expiry benchmark', 0, 0, 0, 1, ?2, ?2, ?2, ?3)",
            )
            .unwrap();
        let mut item = tx.prepare("INSERT INTO request_items (request_id, resource_id, permission_id) VALUES (?1, ?2, 1)").unwrap();
        for n in 0..expiring {
            insert
                .execute(params![n % USERS + 1, at - 3600, at])
                .unwrap();
            item.execute(params![tx.last_insert_rowid(), n % resources.max(1) + 1])
                .unwrap();
        }
    }
    // BENCH_AUDIT=N appends N hash-chained audit entries (for `gatehouse audit verify`).
    let audit: i64 = std::env::var("BENCH_AUDIT")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    for n in 0..audit {
        gatehouse::store::audit::record(
            gatehouse::store::Conn::Sqlite(&tx),
            now,
            Some(n % USERS + 1),
            Some(n % requests.max(1) + 1),
            "benchmark",
            serde_json::json!({"n": n}),
        )
        .unwrap();
    }
    tx.commit().unwrap();
    conn.execute_batch("ANALYZE").unwrap();
    eprintln!(
        "seeded {} in {:.1}s",
        path.display(),
        started.elapsed().as_secs_f64()
    );
}
