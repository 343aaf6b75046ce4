//! The connector conformance suite: the same test functions run against
//! every connector with its real target system, started by the test on
//! loopback (PostgreSQL, MariaDB), as the store suite runs on SQLite and
//! PostgreSQL. They check the contract written in `connector.rs`:
//!
//! - grant, grant again (same account, still one), extend, reset, remove,
//!   remove again, asked of the connector directly and checked in the target;
//! - a target that stops answering during a grant: the request stays
//!   Granting with the reason on it, the integration counts as failing in
//!   `/metrics`, and it becomes Active once the target is back;
//! - a grant the target carried out but Gatehouse never recorded (the
//!   process killed in between): the next attempt completes it once, and
//!   after removal nothing is left in the target;
//! - verified removal: after revoke and expiry the target lists nothing for
//!   the login, and the audit entry says `verified`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::Arc;

use common::{
    TestApp,
    mariadb_server::MariaDb,
    pg_server::{PgServer, sync},
};
use gatehouse::connector::{self, Connector, Credentials, Grant, GrantItem, Outcome};
use serde_json::{Value, json};

const HOUR: i64 = 3600;

/// One target system, as the suite needs it. Its methods block.
trait Target: Send + Sync {
    /// The connector kind (`postgresql`, `mysql`…).
    fn kind(&self) -> &'static str;
    fn settings(&self) -> Value;
    /// (resource type, path, permission) the suite grants: two items, the
    /// first is what the journeys request.
    fn items(&self) -> Vec<(&'static str, &'static str, &'static str)>;
    /// Whether the connector hands out a secret (and so resets it).
    fn hands_out_secrets(&self) -> bool;
    /// Whether `login` (with `secret`) can use `path` now, asked of the
    /// target itself, not through the connector.
    fn works(&self, login: &str, secret: Option<&str>, path: &str) -> bool;
    /// Stop answering; [`Target::up`] starts again with the same data.
    fn down(&self);
    fn up(&self);
}

struct Postgres(PgServer);

impl Target for Postgres {
    fn kind(&self) -> &'static str {
        "postgresql"
    }
    fn settings(&self) -> Value {
        self.0.settings()
    }
    fn items(&self) -> Vec<(&'static str, &'static str, &'static str)> {
        vec![
            ("table", "shop/public/orders", "read-only"),
            ("schema", "shop/billing", "read-write"),
        ]
    }
    fn hands_out_secrets(&self) -> bool {
        true
    }
    fn works(&self, login: &str, secret: Option<&str>, path: &str) -> bool {
        let Ok(mut client) = self.0.try_connect(login, secret.unwrap_or(""), "shop") else {
            return false;
        };
        let table = match path {
            "shop/public/orders" => "public.orders",
            _ => "billing.invoices",
        };
        sync(|| client.query(&format!("SELECT * FROM {table}"), &[]).is_ok())
    }
    fn down(&self) {
        self.0.down();
    }
    fn up(&self) {
        self.0.up();
    }
}

fn postgres() -> Postgres {
    let pg = PgServer::start();
    pg.admin("postgres")
        .batch_execute("CREATE DATABASE shop")
        .unwrap();
    pg.admin("shop")
        .batch_execute(
            "CREATE TABLE orders (id int PRIMARY KEY, item text);
             INSERT INTO orders VALUES (1, 'book');
             CREATE SCHEMA billing;
             CREATE TABLE billing.invoices (id int);",
        )
        .unwrap();
    Postgres(pg)
}

struct Maria(MariaDb);

impl Target for Maria {
    fn kind(&self) -> &'static str {
        "mysql"
    }
    fn settings(&self) -> Value {
        self.0.settings()
    }
    fn items(&self) -> Vec<(&'static str, &'static str, &'static str)> {
        vec![
            ("table", "shop/orders", "read-only"),
            ("database", "crm", "read-write"),
        ]
    }
    fn hands_out_secrets(&self) -> bool {
        true
    }
    fn works(&self, login: &str, secret: Option<&str>, path: &str) -> bool {
        use mysql::prelude::Queryable;
        let Ok(mut conn) = self.0.log_in(login, secret.unwrap_or("")) else {
            return false;
        };
        let table = match path {
            "shop/orders" => "shop.orders",
            _ => "crm.contacts",
        };
        conn.query_drop(format!("SELECT * FROM {table}")).is_ok()
    }
    fn down(&self) {
        self.0.down();
    }
    fn up(&self) {
        self.0.up();
    }
}

fn mariadb() -> Maria {
    Maria(MariaDb::start(&[
        "CREATE DATABASE shop",
        "CREATE TABLE shop.orders (id int PRIMARY KEY, item text)",
        "CREATE TABLE shop.payroll (id int, salary int)",
        "INSERT INTO shop.orders VALUES (1, 'book')",
        "CREATE DATABASE crm",
        "CREATE TABLE crm.contacts (id int, name text)",
    ]))
}

fn grant_of(target: &dyn Target, request_id: i64) -> Grant {
    Grant {
        request_id,
        integration_id: 9,
        integration_name: "Conformance".into(),
        integration_kind: target.kind().into(),
        grantee_username: "alice".into(),
        grantee_email: Some("alice@example.com".into()),
        expires_at: time::OffsetDateTime::now_utc().unix_timestamp() + HOUR,
        login: None,
        items: target
            .items()
            .into_iter()
            .map(|(resource_type, path, permission)| GrantItem {
                resource_type: resource_type.into(),
                resource_path: path.into(),
                permission: permission.into(),
            })
            .collect(),
    }
}

fn done(outcome: Result<Outcome, String>) -> Credentials {
    match outcome {
        Ok(Outcome::Done(credentials)) => credentials,
        other => panic!("expected Done, got {other:?}"),
    }
}

/// What the target lists for `login` on the grant's items.
fn held_by(connector: &dyn Connector, grant: &Grant, login: &str) -> Vec<String> {
    let paths: Vec<String> = grant
        .items
        .iter()
        .map(|item| item.resource_path.clone())
        .collect();
    connector
        .holdings(&paths)
        .unwrap()
        .expect("this connector lists what the target grants")
        .into_iter()
        .filter(|holding| holding.login == login)
        .map(|holding| holding.resource_path)
        .collect()
}

/// Grant, grant again, extend, reset, remove, remove again, each checked in
/// the target; Test connection and Sync.
fn the_contract(target: &dyn Target) {
    let demo: Arc<dyn Connector> = Arc::new(connector::DemoConnector);
    let connector = connector::build(target.kind(), Some(&target.settings()), &demo).unwrap();
    let check = connector.check();
    assert!(check.is_ok(), "Test connection: {check:?}");
    let found = connector.discover().unwrap();
    for (_, path, _) in target.items() {
        assert!(
            found.iter().any(|d| d.path == path),
            "sync finds {path}: {found:?}"
        );
    }

    let mut grant = grant_of(target, 501);
    let first = done(connector.grant(&grant));
    let login = connector.login_of(&grant).unwrap();
    assert_eq!(first.username.as_deref(), Some(login.as_str()));
    for (_, path, _) in target.items() {
        assert!(
            target.works(&login, first.secret.as_deref(), path),
            "{path}"
        );
    }
    let holdings = held_by(connector.as_ref(), &grant, &login);
    assert!(!holdings.is_empty(), "the target lists the grant");

    // Granting again (a retry after a crash) succeeds, with the same account.
    let second = done(connector.grant(&grant));
    assert_eq!(second.username, first.username, "the same account again");
    assert_eq!(held_by(connector.as_ref(), &grant, &login), holdings);
    let (_, path, _) = target.items()[0];
    assert!(target.works(&login, second.secret.as_deref(), path));

    grant.login = Some(login.clone());
    grant.expires_at += 1800;
    connector.extend(&grant).unwrap();
    assert!(target.works(&login, second.secret.as_deref(), path));

    let mut secret = second.secret;
    if target.hands_out_secrets() {
        let reset = connector.reset_credentials(&grant).unwrap();
        assert_ne!(reset.secret, secret);
        assert!(target.works(&login, reset.secret.as_deref(), path));
        assert!(
            !target.works(&login, secret.as_deref(), path),
            "the old secret stops working"
        );
        secret = reset.secret;
    } else {
        assert!(connector.reset_credentials(&grant).is_err());
    }

    done(connector.revoke(&grant));
    for (_, path, _) in target.items() {
        assert!(!target.works(&login, secret.as_deref(), path), "{path}");
    }
    assert_eq!(
        held_by(connector.as_ref(), &grant, &login),
        Vec::<String>::new()
    );
    done(connector.revoke(&grant));
}

/// Gatehouse (clock at the real time) with an integration for the target,
/// synced, and a flow over it: auto-approving, or approved by carol.
struct World {
    app: TestApp,
    carol: String,
    alice: String,
    integration: i64,
}

async fn world(target: &dyn Target, auto_approve: bool) -> World {
    let now = time::OffsetDateTime::now_utc()
        .replace_nanosecond(0)
        .unwrap();
    let app = TestApp::starting_at(now).await;
    let carol = app.login("carol").await;
    let alice = app.login("alice").await;
    let created = app
        .post(
            "/api/v1/admin/integrations",
            &carol,
            json!({"name": "Target", "kind": target.kind(), "connector": target.kind(),
                   "settings": target.settings(), "connection_options": ["terminal"]}),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.body);
    let integration = created.body["id"].as_i64().unwrap();
    let synced = app
        .post(
            &format!("/api/v1/admin/integrations/{integration}/sync"),
            &carol,
            json!(null),
        )
        .await;
    assert_eq!(synced.status, 200, "{}", synced.body);
    let carol_id = app.user_id("carol").await;
    let mut flow = json!({"name": "Target access", "grantees": [{"kind": "everyone"}],
        "scope": [{"kind": "integration", "id": integration}],
        "auto_approve": auto_approve, "durations_seconds": [HOUR], "max_duration_seconds": HOUR});
    if !auto_approve {
        flow["approver_steps"] = json!([[{"kind": "user", "id": carol_id}]]);
    }
    let flow = app.post("/api/v1/admin/access-flows", &carol, flow).await;
    assert_eq!(flow.status, 201, "{}", flow.body);
    World {
        app,
        carol,
        alice,
        integration,
    }
}

impl World {
    async fn submit(&self, path: &str, permission: &str) -> Value {
        let resource = self.app.resource(path).await;
        let submitted = self
            .app
            .post(
                "/api/v1/requests",
                &self.alice,
                json!({"items": [{"resource_id": resource, "permission": permission}],
                       "duration_seconds": HOUR, "justification": "Conformance check of the connector"}),
            )
            .await;
        assert_eq!(submitted.status, 201, "{}", submitted.body);
        submitted.body["requests"][0].clone()
    }

    async fn status(&self, id: i64) -> String {
        let body = self
            .app
            .get(&format!("/api/v1/requests/{id}"), &self.alice)
            .await
            .body;
        body["status"].as_str().unwrap().to_owned()
    }

    async fn details(&self, id: i64) -> Value {
        let details = self
            .app
            .get(&format!("/api/v1/requests/{id}/access"), &self.alice)
            .await;
        assert_eq!(details.status, 200, "{}", details.body);
        details.body[0].clone()
    }

    /// The login and (for connectors that hand one out) the secret, revealed once.
    async fn handed(&self, id: i64, target: &dyn Target) -> (String, Option<String>) {
        if !target.hands_out_secrets() {
            let details = self.details(id).await;
            return (details["username"].as_str().unwrap().to_owned(), None);
        }
        let revealed = self
            .app
            .post(
                &format!("/api/v1/requests/{id}/access/{}/reveal", self.integration),
                &self.alice,
                json!(null),
            )
            .await;
        assert_eq!(revealed.status, 200, "{}", revealed.body);
        (
            revealed.body["username"].as_str().unwrap().to_owned(),
            revealed.body["secret"].as_str().map(str::to_owned),
        )
    }

    async fn grants_failing(&self, kind: &str) -> f64 {
        use gatehouse::clock::Clock;
        let now = self.app.clock.now().unix_timestamp();
        let text = self.app.state().ops.metrics.render(&self.app.db, now).await;
        common::prometheus::Scrape::parse(&text).get(
            "gatehouse_grants_failing",
            &[("connector", kind), ("work", "grant")],
        )
    }

    /// The `access_removed` audit entries' details for requests `ids`.
    async fn removals(&self, ids: [i64; 2]) -> Vec<Value> {
        let details: Vec<String> = self
            .app
            .db
            .call(move |conn| {
                let mut statement = conn.prepare(
                    "SELECT detail FROM audit_log WHERE action = 'access_removed'
                     AND request_id IN (?1, ?2) ORDER BY id",
                )?;
                let rows = statement
                    .query_map(ids, |row| row.get::<_, String>(0))?
                    .collect::<Result<Vec<_>, _>>()?;
                Ok(rows)
            })
            .await
            .unwrap();
        details
            .iter()
            .map(|detail| serde_json::from_str(detail).unwrap())
            .collect()
    }
}

/// The target stops answering during a grant: Granting (never Active) with
/// the reason, counted failing; Active once it is back.
async fn an_outage_during_a_grant(target: &dyn Target) {
    let w = world(target, true).await;
    let (_, path, permission) = target.items()[0];
    sync(|| target.down());
    let request = w.submit(path, permission).await;
    let id = request["id"].as_i64().unwrap();
    assert_eq!(request["status"], "Granting", "{request}");
    let details = w.details(id).await;
    assert_eq!(details["attempts"], 1, "{details}");
    assert!(
        details["last_error"]
            .as_str()
            .is_some_and(|e| e.contains("cannot connect")),
        "{details}"
    );
    assert_eq!(w.grants_failing(target.kind()).await, 1.0);

    // Still down at the retry: still Granting.
    w.app.clock.advance(time::Duration::seconds(3));
    w.app.tick().await;
    assert_eq!(w.status(id).await, "Granting");
    assert_eq!(w.details(id).await["attempts"], 2);

    sync(|| target.up());
    w.app.clock.advance(time::Duration::seconds(5));
    w.app.tick().await;
    assert_eq!(w.status(id).await, "Active");
    assert_eq!(w.grants_failing(target.kind()).await, 0.0);
    let (login, secret) = w.handed(id, target).await;
    assert!(sync(|| target.works(&login, secret.as_deref(), path)));
}

/// The target granted, but the process died before recording it: the
/// request is still Granting. The next attempt completes it with the same
/// account, and after revoke the target holds nothing for it.
async fn a_grant_done_but_never_recorded(target: &dyn Target) {
    let w = world(target, false).await;
    let (_, path, permission) = target.items()[0];
    let request = w.submit(path, permission).await;
    let id = request["id"].as_i64().unwrap();
    assert_eq!(request["status"], "Pending Approval", "{request}");

    // What the killed process did: the connector's call, outcome lost.
    let demo: Arc<dyn Connector> = Arc::new(connector::DemoConnector);
    let connector = connector::build(target.kind(), Some(&target.settings()), &demo).unwrap();
    let mut grant = grant_of(target, id);
    grant.integration_id = w.integration;
    grant.integration_name = "Target".into();
    grant.items.truncate(1);
    let lost = sync(|| done(connector.grant(&grant)));
    let login = connector.login_of(&grant).unwrap();

    let approved = w
        .app
        .post(
            &format!("/api/v1/requests/{id}/approve"),
            &w.carol,
            json!({}),
        )
        .await;
    assert_eq!(approved.status, 200, "{}", approved.body);
    assert_eq!(w.status(id).await, "Active");
    let (handed, secret) = w.handed(id, target).await;
    assert_eq!(handed, login, "the same account, not a second one");
    assert!(sync(|| target.works(&login, secret.as_deref(), path)));
    if target.hands_out_secrets() {
        assert!(
            !sync(|| target.works(&login, lost.secret.as_deref(), path)),
            "the secret nobody saw no longer works"
        );
    }

    let revoked = w
        .app
        .post(
            &format!("/api/v1/requests/{id}/revoke"),
            &w.alice,
            json!({}),
        )
        .await;
    assert_eq!(revoked.body["status"], "Revoked", "{}", revoked.body);
    let paths = vec![path.to_owned()];
    let left = sync(|| connector.holdings(&paths)).unwrap().unwrap();
    assert!(
        left.iter().all(|holding| holding.login != login),
        "nothing left granted: {left:?}"
    );
}

/// Revoke and expiry: the target no longer lets the login in, and the audit
/// entries say the removal was verified.
async fn removal_is_verified(target: &dyn Target) {
    let w = world(target, true).await;
    let (_, path, permission) = target.items()[0];
    let revoked = w.submit(path, permission).await;
    let revoked_id = revoked["id"].as_i64().unwrap();
    assert_eq!(revoked["status"], "Active", "{revoked}");
    let (login, secret) = w.handed(revoked_id, target).await;
    assert!(sync(|| target.works(&login, secret.as_deref(), path)));
    let answer = w
        .app
        .post(
            &format!("/api/v1/requests/{revoked_id}/revoke"),
            &w.alice,
            json!({}),
        )
        .await;
    assert_eq!(answer.body["status"], "Revoked", "{}", answer.body);
    assert!(!sync(|| target.works(&login, secret.as_deref(), path)));

    let expired = w.submit(path, permission).await;
    let expired_id = expired["id"].as_i64().unwrap();
    let (login2, secret2) = w.handed(expired_id, target).await;
    assert_ne!(login2, login, "an account per request");
    w.app.clock.advance(time::Duration::seconds(HOUR + 1));
    w.app.tick().await;
    assert_eq!(w.status(expired_id).await, "Expired");
    assert!(!sync(|| target.works(&login2, secret2.as_deref(), path)));

    let removals = w.removals([revoked_id, expired_id]).await;
    assert_eq!(removals.len(), 2, "{removals:?}");
    for removal in removals {
        assert_eq!(removal["verified"], true, "{removal}");
    }
}

/// One test per (target, behaviour).
macro_rules! conformance {
    ($target:ident: $make:expr) => {
        mod $target {
            use super::*;

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn keeps_the_contract() {
                let target = sync(|| $make);
                sync(|| the_contract(&target));
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn survives_an_outage_during_a_grant() {
                let target = sync(|| $make);
                an_outage_during_a_grant(&target).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn completes_a_grant_never_recorded_once() {
                let target = sync(|| $make);
                a_grant_done_but_never_recorded(&target).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn verifies_removals() {
                let target = sync(|| $make);
                removal_is_verified(&target).await;
            }
        }
    };
}

conformance!(postgresql: postgres());
conformance!(mariadb: mariadb());
