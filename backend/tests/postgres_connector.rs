//! The PostgreSQL connector against a real PostgreSQL server started by the
//! test: request → approve → the grantee logs in with the revealed password
//! and can read but not write; extend; expiry and revoke drop the role;
//! Reset Credentials; the server down at expiry; a missing table; TLS to the
//! server, checked against the integration's CA.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common;

use common::{
    TestApp,
    pg_server::{PgServer, sync},
};
use serde_json::{Value, json};

const HOUR: i64 = 3600;

struct World {
    app: TestApp,
    pg: PgServer,
    carol: String,
    alice: String,
    integration: i64,
}

/// A PostgreSQL server with a `shop` database, Gatehouse (clock at the real
/// time) with an integration for it, synced, and an auto-approving flow.
async fn world() -> World {
    let pg = sync(PgServer::start);
    sync(|| pg.admin("postgres").batch_execute("CREATE DATABASE shop")).unwrap();
    sync(|| {
        pg.admin("shop").batch_execute(
            "CREATE TABLE orders (id int PRIMARY KEY, item text);
             INSERT INTO orders VALUES (1, 'book'), (2, 'pen');
             CREATE TABLE payroll (id int, salary int);
             CREATE SCHEMA billing;
             CREATE TABLE billing.invoices (id int);",
        )
    })
    .unwrap();
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
            json!({"name": "Shop PostgreSQL", "kind": "postgresql", "connector": "postgresql",
                   "settings": pg.settings(), "connection_options": ["terminal", "app"]}),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.body);
    assert_eq!(created.body["settings"]["password"], "(set)");
    assert!(
        !created
            .body
            .to_string()
            .contains(common::pg_server::ADMIN_PASSWORD)
    );
    let integration = created.body["id"].as_i64().unwrap();

    let check = app
        .post(
            &format!("/api/v1/admin/integrations/{integration}/test"),
            &carol,
            json!(null),
        )
        .await;
    assert_eq!(check.body["ok"], true, "{}", check.body);
    let sync = app
        .post(
            &format!("/api/v1/admin/integrations/{integration}/sync"),
            &carol,
            json!(null),
        )
        .await;
    assert_eq!(sync.status, 200, "{}", sync.body);
    // shop, shop.public, shop.public.orders, shop.public.payroll, shop.billing,
    // shop.billing.invoices, and the postgres database with its public schema.
    assert_eq!(sync.body["found"], 8, "{}", sync.body);
    assert_eq!(sync.body["added"], 8);
    let again = app
        .post(
            &format!("/api/v1/admin/integrations/{integration}/sync"),
            &carol,
            json!(null),
        )
        .await;
    assert_eq!(again.body["added"], 0, "a second sync adds nothing");

    let flow = app
        .post(
            "/api/v1/admin/access-flows",
            &carol,
            json!({"name": "Shop database", "grantees": [{"kind": "everyone"}],
                   "scope": [{"kind": "integration", "id": integration}],
                   "auto_approve": true, "durations_seconds": [HOUR], "max_duration_seconds": HOUR,
                   "extend": {"enabled": true, "by_seconds": 1800, "max_count": 1, "window_seconds": 900}}),
        )
        .await;
    assert_eq!(flow.status, 201, "{}", flow.body);
    World {
        app,
        pg,
        carol,
        alice,
        integration,
    }
}

impl World {
    async fn request(&self, path: &str, permission: &str) -> Value {
        let resource = self.app.resource(path).await;
        let submitted = self
            .app
            .post(
                "/api/v1/requests",
                &self.alice,
                json!({"items": [{"resource_id": resource, "permission": permission}],
                       "duration_seconds": HOUR, "justification": "Investigating order totals"}),
            )
            .await;
        assert_eq!(submitted.status, 201, "{}", submitted.body);
        submitted.body["requests"][0].clone()
    }

    async fn active(&self, path: &str, permission: &str) -> i64 {
        let request = self.request(path, permission).await;
        assert_eq!(request["status"], "Active", "{request}");
        request["id"].as_i64().unwrap()
    }

    async fn details(&self, id: i64) -> Value {
        let details = self
            .app
            .get(&format!("/api/v1/requests/{id}/access"), &self.alice)
            .await;
        assert_eq!(details.status, 200, "{}", details.body);
        details.body[0].clone()
    }

    async fn reveal(&self, id: i64) -> (String, String) {
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
            revealed.body["secret"].as_str().unwrap().to_owned(),
        )
    }

    fn role_exists(&self, role: &str) -> bool {
        sync(|| {
            self.pg
                .admin("postgres")
                .query_opt("SELECT 1 FROM pg_roles WHERE rolname = $1", &[&role])
                .unwrap()
                .is_some()
        })
    }

    fn valid_until(&self, role: &str) -> i64 {
        sync(|| {
            self.pg
                .admin("postgres")
                .query_one(
                    "SELECT extract(epoch FROM rolvaliduntil)::bigint FROM pg_roles WHERE rolname = $1",
                    &[&role],
                )
                .unwrap()
                .get(0)
        })
    }

    async fn status(&self, id: i64) -> String {
        self.app
            .get(&format!("/api/v1/requests/{id}"), &self.alice)
            .await
            .body["status"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    async fn expires_at(&self, id: i64) -> i64 {
        let body = self
            .app
            .get(&format!("/api/v1/requests/{id}"), &self.alice)
            .await
            .body;
        time::OffsetDateTime::parse(
            body["expires_at"].as_str().unwrap(),
            &time::format_description::well_known::Rfc3339,
        )
        .unwrap()
        .unix_timestamp()
    }
}

fn denied(error: postgres::Error) -> String {
    error
        .as_db_error()
        .map(|e| e.message().to_owned())
        .unwrap_or_else(|| error.to_string())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_grantee_reads_but_cannot_write_then_extends_and_expiry_drops_the_role() {
    let w = world().await;
    let id = w.active("shop/public/orders", "read-only").await;

    let details = w.details(id).await;
    assert_eq!(details["state"], "granted");
    assert_eq!(details["secret_available"], true);
    assert_eq!(details["cli_command"], format!("gatehouse connect {id}"));
    assert!(
        details["connect"]["terminal"]
            .as_str()
            .unwrap()
            .starts_with("psql ")
    );
    assert!(
        details["connect"].get("browser").is_none(),
        "not offered by the integration"
    );
    let (role, password) = w.reveal(id).await;
    assert!(role.starts_with("gh_alice_"), "{role}");

    // Shown once: the API never returns it again.
    let again = w
        .app
        .post(
            &format!("/api/v1/requests/{id}/access/{}/reveal", w.integration),
            &w.alice,
            json!(null),
        )
        .await;
    assert_eq!(again.status, 409, "{}", again.body);
    assert!(
        again.body["message"]
            .as_str()
            .unwrap()
            .contains("Reset Credentials")
    );
    let details = w.details(id).await;
    assert_eq!(details["secret_available"], false);
    assert_eq!(details["secret_shown"], true);
    assert_eq!(details["credentials_rotated"], false);

    let mut session = w.pg.try_connect(&role, &password, "shop").unwrap();
    sync(|| {
        let count: i64 = session
            .query_one("SELECT count(*) FROM orders", &[])
            .unwrap()
            .get(0);
        assert_eq!(count, 2);
        let write = session
            .batch_execute("INSERT INTO orders VALUES (3, 'lamp')")
            .unwrap_err();
        assert!(denied(write).contains("permission denied"));
        let other_table = session.query("SELECT * FROM payroll", &[]).unwrap_err();
        assert!(denied(other_table).contains("permission denied"));
        drop(session);
    });
    assert_eq!(
        w.valid_until(&role),
        w.expires_at(id).await,
        "VALID UNTIL is the access's end"
    );

    // Extend inside the window: the role's VALID UNTIL follows.
    w.app.clock.advance(time::Duration::seconds(HOUR - 600));
    let extended = w
        .app
        .post(
            &format!("/api/v1/requests/{id}/extend"),
            &w.alice,
            json!(null),
        )
        .await;
    assert_eq!(extended.status, 200, "{}", extended.body);
    w.app.tick().await;
    let new_end = w.expires_at(id).await;
    assert_eq!(w.valid_until(&role), new_end);
    w.pg.log_in(&role, &password, "shop")
        .expect("no new credentials on extend");

    // Expiry: the role is dropped and log-in fails.
    w.app.clock.advance(time::Duration::seconds(1800 + 600));
    w.app.tick().await;
    assert_eq!(w.status(id).await, "Expired");
    assert!(!w.role_exists(&role));
    let refused = w.pg.log_in(&role, &password, "shop").unwrap_err();
    assert!(
        refused.contains("password authentication failed"),
        "{refused}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reset_credentials_replaces_the_password_and_revoke_ends_open_sessions() {
    let w = world().await;
    let id = w.active("shop/billing", "read-write").await;
    let (role, first) = w.reveal(id).await;

    let reset = w
        .app
        .post(
            &format!("/api/v1/requests/{id}/access/{}/reset", w.integration),
            &w.alice,
            json!(null),
        )
        .await;
    assert_eq!(reset.status, 200, "{}", reset.body);
    assert_eq!(reset.body["secret_available"], true);
    assert_eq!(
        reset.body["credentials_rotated"], true,
        "changed since last seen"
    );
    let refused = w.pg.log_in(&role, &first, "shop").unwrap_err();
    assert!(
        refused.contains("password authentication failed"),
        "{refused}"
    );
    let (same_role, second) = w.reveal(id).await;
    assert_eq!(same_role, role);
    assert_ne!(second, first);
    assert_eq!(
        w.details(id).await["credentials_rotated"],
        false,
        "seen now"
    );

    // Read-write on a schema: write there, nothing elsewhere.
    let mut session = w.pg.try_connect(&role, &second, "shop").unwrap();
    sync(|| {
        session
            .batch_execute("INSERT INTO billing.invoices VALUES (1)")
            .unwrap();
        let error = session
            .query("SELECT * FROM public.orders", &[])
            .unwrap_err();
        assert!(denied(error).contains("permission denied"));
    });

    // Revoke: the open session is ended and the role dropped.
    let revoked = w
        .app
        .post(
            &format!("/api/v1/requests/{id}/revoke"),
            &w.alice,
            json!({}),
        )
        .await;
    assert_eq!(revoked.body["status"], "Revoked", "{}", revoked.body);
    assert!(
        sync(|| session.query_one("SELECT 1", &[])).is_err(),
        "the open session was terminated"
    );
    assert!(!w.role_exists(&role));
    assert!(w.pg.log_in(&role, &second, "shop").is_err());
    sync(move || drop(session));

    let audit: Vec<String> = w
        .app
        .get(&format!("/api/v1/requests/{id}"), &w.alice)
        .await
        .body["audit"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["action"].as_str().unwrap().to_owned())
        .collect();
    for action in [
        "credentials_revealed",
        "credentials_reset",
        "access_removed",
        "revoked",
    ] {
        assert!(audit.iter().any(|a| a == action), "{action} in {audit:?}");
    }
    assert_eq!(
        audit
            .iter()
            .filter(|a| *a == "credentials_revealed")
            .count(),
        2
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_down_at_expiry_is_retried_until_the_role_is_gone() {
    let w = world().await;
    let id = w.active("shop", "read-only").await;
    let (role, password) = w.reveal(id).await;
    w.pg.log_in(&role, &password, "shop").unwrap();

    sync(|| w.pg.down());
    w.app.clock.advance(time::Duration::seconds(HOUR + 1));
    w.app.tick().await;
    assert_eq!(
        w.status(id).await,
        "Revoking",
        "removal failed; the request says so"
    );
    w.app.clock.advance(time::Duration::seconds(60));
    w.app.tick().await;
    assert_eq!(w.status(id).await, "Revoking");

    sync(|| w.pg.up());
    assert!(
        w.role_exists(&role),
        "still there while the server was down"
    );
    w.app.clock.advance(time::Duration::seconds(300));
    w.app.tick().await;
    assert_eq!(w.status(id).await, "Expired");
    assert!(!w.role_exists(&role));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_table_is_retried_then_fails_the_request_and_leaves_no_role_behind() {
    let w = world().await;
    let table_type = w
        .app
        .get("/api/v1/resource-types", &w.carol)
        .await
        .body
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "table" && t["integration_id"] == w.integration)
        .unwrap()["id"]
        .clone();
    let created = w
        .app
        .post(
            "/api/v1/admin/resources",
            &w.carol,
            json!({"resource_type_id": table_type, "name": "shop.public.gone", "path": "shop/public/gone"}),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.body);
    let request = w.request("shop/public/gone", "read-only").await;
    let id = request["id"].as_i64().unwrap();
    // Granting, with the reason on the request, retried with backoff.
    assert_eq!(request["status"], "Granting", "{request}");
    let details = w.details(id).await;
    assert!(
        details["last_error"]
            .as_str()
            .unwrap()
            .contains("does not exist"),
        "{details}"
    );
    let left = || -> i64 {
        sync(|| {
            w.pg.admin("postgres")
                .query_one("SELECT count(*) FROM pg_roles WHERE rolname LIKE 'gh\\_%' AND rolname <> 'gh_admin'", &[])
                .unwrap()
                .get(0)
        })
    };
    assert_eq!(left(), 0, "the half-made role was dropped");
    // Ten attempts (the default), then Failed.
    for _ in 0..9 {
        w.app.clock.advance(time::Duration::seconds(300));
        w.app.tick().await;
    }
    assert_eq!(w.status(id).await, "Failed");
    let request = w
        .app
        .get(&format!("/api/v1/requests/{id}"), &w.alice)
        .await
        .body;
    let reason = request["failure_reason"].as_str().unwrap();
    assert!(reason.starts_with("Shop PostgreSQL: "), "{reason}");
    assert!(reason.contains("does not exist"), "{reason}");
    assert_eq!(left(), 0, "no role left behind");

    // The server down at grant: Granting with the reason, not Active.
    sync(|| w.pg.down());
    let request = w.request("shop/public/orders", "read-only").await;
    assert_eq!(request["status"], "Granting");
    let details = w.details(request["id"].as_i64().unwrap()).await;
    assert!(
        details["last_error"]
            .as_str()
            .unwrap()
            .contains("cannot connect"),
        "{details}"
    );
}

/// The admin connection is TLS by default, checked like libpq's
/// `verify-full`: with the integration's CA it connects, and the server logs
/// Gatehouse's session as SSL; with only Mozilla's roots the server's
/// certificate is refused; a server without TLS is refused unless the
/// integration says `ssl_mode: disable`; a CA that is not PEM is refused
/// when the integration is saved.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_admin_connection_is_tls_checked_against_the_integrations_ca() {
    let tls = sync(PgServer::start_with_tls);
    let plain = sync(PgServer::start);
    let now = time::OffsetDateTime::now_utc()
        .replace_nanosecond(0)
        .unwrap();
    let app = TestApp::starting_at(now).await;
    let carol = app.login("carol").await;
    let mut names = 0;
    let mut check = async |settings: Value| {
        names += 1;
        let created = app
            .post(
                "/api/v1/admin/integrations",
                &carol,
                json!({"name": format!("PostgreSQL {names}"), "kind": "postgresql",
                       "connector": "postgresql", "settings": settings,
                       "connection_options": ["terminal"]}),
            )
            .await;
        assert_eq!(created.status, 201, "{}", created.body);
        let id = created.body["id"].as_i64().unwrap();
        app.post(
            &format!("/api/v1/admin/integrations/{id}/test"),
            &carol,
            json!(null),
        )
        .await
        .body
    };

    let with_ca = check(tls.settings()).await;
    assert_eq!(with_ca["ok"], true, "{with_ca}");
    let log = tls.log();
    assert!(
        log.lines()
            .any(|line| line.contains("connection authorized: user=gh_admin")
                && line.contains("application_name=gatehouse")
                && line.contains("SSL enabled")),
        "no TLS session from Gatehouse in the server's log:\n{log}"
    );

    let mut mozilla_roots = tls.settings();
    mozilla_roots
        .as_object_mut()
        .unwrap()
        .remove("ssl_root_cert");
    let refused = check(mozilla_roots).await;
    assert_eq!(refused["ok"], false, "{refused}");
    let message = refused["message"].as_str().unwrap();
    assert!(message.contains("certificate"), "{message}");

    let mut default_mode = plain.settings();
    default_mode.as_object_mut().unwrap().remove("ssl_mode");
    let no_tls = check(default_mode).await;
    assert_eq!(no_tls["ok"], false, "{no_tls}");
    let message = no_tls["message"].as_str().unwrap();
    assert!(message.contains("TLS"), "{message}");
    let plain_on_purpose = check(plain.settings()).await;
    assert_eq!(plain_on_purpose["ok"], true, "{plain_on_purpose}");

    let mut not_pem = tls.settings();
    not_pem["ssl_root_cert"] = "not a certificate".into();
    let saved = app
        .post(
            "/api/v1/admin/integrations",
            &carol,
            json!({"name": "Bad CA", "kind": "postgresql", "connector": "postgresql",
                   "settings": not_pem, "connection_options": ["terminal"]}),
        )
        .await;
    assert_eq!(saved.status, 422, "{}", saved.body);
    assert!(
        saved.body.to_string().contains("ssl_root_cert"),
        "{}",
        saved.body
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scim_deactivation_drops_the_role_and_ends_the_portal_session() {
    let w = world().await;
    let id = w.active("shop/public/orders", "read-only").await;
    let (role, password) = w.reveal(id).await;
    let mut session = w.pg.try_connect(&role, &password, "shop").unwrap();
    let scim_token = w
        .app
        .post("/api/v1/admin/scim-token", &w.carol, json!(null))
        .await
        .body["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let alice_id = w.app.user_id("alice").await;
    let deactivated = w
        .app
        .send(
            axum::http::Request::builder()
                .method("PATCH")
                .uri(format!("/scim/v2/Users/{alice_id}"))
                .header("authorization", format!("Bearer {scim_token}"))
                .header("content-type", "application/scim+json")
                .body(axum::body::Body::from(
                    json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                           "Operations": [{"op": "replace", "value": {"active": false}}]})
                    .to_string(),
                ))
                .unwrap(),
        )
        .await;
    assert_eq!(deactivated.status, 200, "{}", deactivated.body);
    // Her portal session is over at once.
    assert_eq!(w.app.get("/api/v1/me", &w.alice).await.status, 401);
    // The next pass of the worker (every 250 ms in the server) removes the role.
    w.app.tick().await;
    let request = w
        .app
        .get(&format!("/api/v1/requests/{id}"), &w.carol)
        .await
        .body;
    assert_eq!(request["status"], "Revoked", "{request}");
    assert_eq!(
        request["revoke_reason"],
        "deprovisioned by the identity provider"
    );
    assert!(!w.role_exists(&role), "the role is dropped");
    let refused = w.pg.log_in(&role, &password, "shop").unwrap_err();
    assert!(
        refused.contains("password authentication failed"),
        "{refused}"
    );
    sync(move || {
        let open = session.query_one("SELECT 1", &[]);
        assert!(open.is_err(), "her open session was ended too");
        drop(session);
    });
}
