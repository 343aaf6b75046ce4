//! Connectors at scale (`scripts/bench-connectors`; ignored in the normal
//! run): a sync of 10,000 LDAP groups, then 1,000 grants and 1,000 removals
//! against MariaDB and against OpenLDAP, through the engine's provisioning
//! pass (the worker's), with the integration's `max_concurrent_calls`.
//!
//! The requests are submitted through the API (approval by carol, so they
//! wait), then moved to Granting in one statement: what is timed is the
//! provisioning pass that grants them, and the expiry pass that removes them.
//! Figures print as `BENCH name seconds`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::Instant;

use common::{TestApp, ldap_server, mariadb_server::MariaDb, pg_server::sync};
use serde_json::{Value, json};

const HOUR: i64 = 3600;

fn concurrency() -> u64 {
    std::env::var("BENCH_CONCURRENCY")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(4)
}

/// Gatehouse with an integration for `settings`, synced (timed), a flow
/// approved by carol, and alice's request for each of `paths` waiting.
async fn submitted(kind: &str, mut settings: Value, paths: &[String]) -> (TestApp, Vec<i64>, i64) {
    let now = time::OffsetDateTime::now_utc()
        .replace_nanosecond(0)
        .unwrap();
    let app = TestApp::starting_at(now).await;
    let carol = app.login("carol").await;
    let alice = app.login("alice").await;
    if kind != "demo" {
        settings["max_concurrent_calls"] = concurrency().into();
    }
    let created = app
        .post(
            "/api/v1/admin/integrations",
            &carol,
            json!({"name": "Bench", "kind": kind, "connector": kind, "settings": settings,
                   "connection_options": ["terminal"]}),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.body);
    let integration = created.body["id"].as_i64().unwrap();
    if kind == "demo" {
        // Nothing to sync: the catalog through the admin API.
        let made = app
            .post(
                "/api/v1/admin/resource-types",
                &carol,
                json!({"integration_id": integration, "name": "table", "permissions": ["read-only"]}),
            )
            .await;
        assert_eq!(made.status, 201, "{}", made.body);
        for path in paths {
            let resource = app
                .post(
                    "/api/v1/admin/resources",
                    &carol,
                    json!({"resource_type_id": made.body["id"], "name": path, "path": path}),
                )
                .await;
            assert_eq!(resource.status, 201, "{}", resource.body);
        }
    }
    let started = Instant::now();
    let synced = app
        .post(
            &format!("/api/v1/admin/integrations/{integration}/sync"),
            &carol,
            json!(null),
        )
        .await;
    assert!(kind == "demo" || synced.status == 200, "{}", synced.body);
    if kind != "demo" {
        println!(
            "BENCH {kind}_sync_{} {:.2}",
            synced.body["found"],
            started.elapsed().as_secs_f64()
        );
    }
    let carol_id = app.user_id("carol").await;
    let flow = app
        .post(
            "/api/v1/admin/access-flows",
            &carol,
            json!({"name": "Bench", "grantees": [{"kind": "everyone"}],
                   "scope": [{"kind": "integration", "id": integration}], "auto_approve": false,
                   "approver_steps": [[{"kind": "user", "id": carol_id}]],
                   "durations_seconds": [HOUR], "max_duration_seconds": HOUR}),
        )
        .await;
    assert_eq!(flow.status, 201, "{}", flow.body);
    let mut ids = Vec::new();
    for path in paths {
        let resource = app.resource(path).await;
        let permission = if kind == "ldap" {
            "member"
        } else {
            "read-only"
        };
        let answer = app
            .post(
                "/api/v1/requests",
                &alice,
                json!({"items": [{"resource_id": resource, "permission": permission}],
                       "duration_seconds": HOUR, "justification": "Load test of the connector"}),
            )
            .await;
        assert_eq!(answer.status, 201, "{}", answer.body);
        ids.push(answer.body["requests"][0]["id"].as_i64().unwrap());
    }
    (app, ids, integration)
}

async fn count(app: &TestApp, status: &'static str) -> i64 {
    app.db
        .call(move |conn| {
            Ok(conn.query_row(
                "SELECT COUNT(*) FROM requests WHERE status = ?1",
                [status],
                |row| row.get(0),
            )?)
        })
        .await
        .unwrap()
}

/// Grant them all in one provisioning pass, then expire them all; timed.
async fn grant_and_remove(kind: &str, app: &TestApp, ids: &[i64]) {
    app.db
        .write(|tx| {
            tx.execute(
                "UPDATE requests SET status = 'Granting' WHERE status = 'Pending Approval'",
                [],
            )?;
            Ok(())
        })
        .await
        .unwrap();
    let started = Instant::now();
    gatehouse::engine::provision_all(&app.state().engine())
        .await
        .unwrap();
    let granted = started.elapsed().as_secs_f64();
    assert_eq!(count(app, "Active").await, ids.len() as i64);
    println!("BENCH {kind}_grants_{} {granted:.2}", ids.len());

    app.clock.advance(time::Duration::seconds(HOUR + 1));
    let started = Instant::now();
    let state = app.state();
    use gatehouse::clock::Clock;
    let now = app.clock.now().unix_timestamp();
    gatehouse::engine::begin_due_expiries(&state.engine(), now)
        .await
        .unwrap();
    gatehouse::engine::provision_all(&state.engine())
        .await
        .unwrap();
    let removed = started.elapsed().as_secs_f64();
    assert_eq!(count(app, "Expired").await, ids.len() as i64);
    println!("BENCH {kind}_removals_{} {removed:.2}", ids.len());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a benchmark: scripts/bench-connectors"]
async fn mariadb_grants_and_removals() {
    let n = 1000;
    let mut setup: Vec<String> = (0..n)
        .map(|i| format!("CREATE DATABASE db{i:04}"))
        .collect();
    setup.push("CREATE DATABASE shop".into());
    setup.push("CREATE DATABASE crm".into());
    let statements: Vec<&str> = setup.iter().map(String::as_str).collect();
    let db = sync(|| MariaDb::start(&statements));
    // The connector's account may hand out what it holds on every db….
    sync(|| {
        use mysql::prelude::Queryable;
        db.root()
            .query_drop("GRANT ALL PRIVILEGES ON `db%`.* TO 'gatehouse'@'%' WITH GRANT OPTION")
            .unwrap();
    });
    let paths: Vec<String> = (0..n).map(|i| format!("db{i:04}")).collect();
    let (app, ids, _) = submitted("mysql", db.settings(), &paths).await;
    grant_and_remove("mysql", &app, &ids).await;
    assert!(db.gatehouse_users().is_empty(), "every user dropped");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a benchmark: scripts/bench-connectors"]
async fn ldap_sync_grants_and_removals() {
    let groups = 10_000;
    let server = sync(ldap_server::LdapServer::start);
    let mut ldif = String::new();
    for i in 0..groups {
        ldif.push_str(&format!(
            "dn: cn=g{i:05},{}\nchangetype: add\nobjectClass: groupOfNames\ncn: g{i:05}\nmember: {}\n\n",
            ldap_server::GROUPS,
            ldap_server::NOBODY
        ));
    }
    sync(|| server.modify(&ldif));
    let mut settings = server.settings();
    settings["grant_attempts"] = 10.into();
    let paths: Vec<String> = (0..1000)
        .map(|i| format!("cn=g{i:05},{}", ldap_server::GROUPS))
        .collect();
    let (app, ids, integration) = submitted("ldap", settings, &paths).await;
    grant_and_remove("ldap", &app, &ids).await;
    let started = Instant::now();
    let report = gatehouse::engine::drift::check(&app.state().engine(), integration)
        .await
        .unwrap();
    println!(
        "BENCH ldap_drift_check_{groups} {:.2}",
        started.elapsed().as_secs_f64()
    );
    // Every group holds its standing member, which nobody granted (and
    // the seeded ops and dba groups too).
    assert_eq!(report.findings.len(), groups + 2, "{:?}", report.error);
    let left = server.members(&paths[0]);
    assert_eq!(left, vec![ldap_server::NOBODY.to_owned()], "{left:?}");
}

/// The floor: the same 1,000 grants and removals with the demo connector,
/// which calls nothing: what the engine itself costs.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a benchmark: scripts/bench-connectors"]
async fn demo_floor() {
    let paths: Vec<String> = (0..1000).map(|i| format!("floor/t{i:04}")).collect();
    let (app, ids, _) = submitted("demo", json!(null), &paths).await;
    grant_and_remove("demo", &app, &ids).await;
}
