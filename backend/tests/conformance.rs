//! The connector conformance suite: the same test functions run against
//! every connector with its real target system, started by the test on
//! loopback (PostgreSQL, MariaDB, OpenLDAP, IAM Identity Center in moto;
//! `conformance/targets.rs`), as
//! the store suite runs on SQLite and PostgreSQL. They check the contract written in `connector.rs`:
//!
//! - grant, grant again (same account, still one), extend, reset, remove,
//!   remove again, asked of the connector directly and checked in the target;
//! - a target that stops answering during a grant: the request stays
//!   Granting with the reason on it, the integration counts as failing in
//!   `/metrics`, and it becomes Active once the target is back;
//! - a grant the target carried out but Gatehouse never recorded (the
//!   process killed in between): the next attempt completes it once, and
//!   after removal nothing is left in the target; once in-process for every
//!   target, and once with the real binary killed by SIGKILL at that point
//!   (MariaDB);
//! - verified removal: after revoke and expiry the target lists nothing for
//!   the login, and the audit entry says `verified`;
//! - drift: access added by hand in the target is found (and access
//!   Gatehouse granted is not), reported in the audit log and `/metrics`,
//!   and removed once the integration enforces.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common;

use std::sync::Arc;

#[path = "conformance/targets.rs"]
mod targets;
#[path = "conformance/world.rs"]
mod world;

use common::pg_server::sync;
use gatehouse::connector::{Connector, Credentials, Grant, GrantItem, Outcome};
use serde_json::{Value, json};
use targets::{Target, identity_center, ldap, mariadb, postgres};
use world::world;

const HOUR: i64 = 3600;

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
    let connector = common::real_connector(target.kind(), &target.settings()).unwrap();
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
            .is_some_and(|e| !e.is_empty()),
        "{details}"
    );
    assert_eq!(w.grants_failing(target.kind()).await, 1.0);
    let shown = w.admin_view().await;
    assert_eq!(shown["failing"], 1, "Admin shows it failing: {shown}");
    assert_eq!(shown["last_error"], details["last_error"], "{shown}");

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
    assert!(w.admin_view().await.get("failing").is_none());
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
    let connector = common::real_connector(target.kind(), &target.settings()).unwrap();
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
    if target.hands_out_secrets() {
        assert_ne!(login2, login, "an account per request");
    }
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

/// Access added by hand is found, and the access Gatehouse granted is not;
/// enforced, the hand-made access is removed from the target.
async fn drift_is_found_and_removed(target: &dyn Target) {
    let w = world(target, true).await;
    let (_, path, permission) = target.items()[0];
    let granted = w.submit(path, permission).await;
    assert_eq!(granted["status"], "Active", "{granted}");
    let (alice, secret) = w.handed(granted["id"].as_i64().unwrap(), target).await;
    let (login, held) = sync(|| target.add_by_hand());

    // The worker's round: due at first, then not until the interval passed.
    let state = w.app.state();
    assert_eq!(
        gatehouse::engine::drift::check_due(&state.engine())
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        gatehouse::engine::drift::check_due(&state.engine())
            .await
            .unwrap(),
        0
    );
    w.app.clock.advance(time::Duration::minutes(10));
    assert_eq!(
        gatehouse::engine::drift::check_due(&state.engine())
            .await
            .unwrap(),
        1
    );

    let uri = format!("/api/v1/admin/integrations/{}/drift", w.integration);
    let report = w.app.post(&uri, &w.carol, json!(null)).await;
    assert_eq!(report.status, 200, "{}", report.body);
    assert_eq!(report.body["mode"], "report", "{}", report.body);
    assert!(report.body["error"].is_null(), "{}", report.body);
    let findings = report.body["findings"].as_array().unwrap().clone();
    let hand_made = |findings: &[Value]| {
        findings
            .iter()
            .find(|f| f["login"] == login.as_str() && f["resource_path"] == held.as_str())
            .cloned()
    };
    let found = hand_made(&findings).unwrap_or_else(|| panic!("{findings:?}"));
    assert_eq!(found["kind"], "unknown");
    assert!(found["removed_at"].is_null());
    assert!(
        findings.iter().all(|f| f["login"] != alice.as_str()),
        "what Gatehouse granted is not drift: {findings:?}"
    );
    let audit = common::audit_log(&w.app).await;
    assert!(
        audit
            .iter()
            .any(|(action, detail)| action == "drift_found" && detail["login"] == login.as_str()),
        "{audit:?}"
    );
    use gatehouse::clock::Clock;
    let now = w.app.clock.now().unix_timestamp();
    let text = w.app.state().ops.metrics.render(&w.app.db, now).await;
    let open = common::prometheus::Scrape::parse(&text)
        .get("gatehouse_drift_findings", &[("connector", target.kind())]);
    assert!(open >= 1.0, "{open}");
    // A second check does not report it again in the audit log.
    w.app.post(&uri, &w.carol, json!(null)).await;
    let again = common::audit_log(&w.app).await;
    assert_eq!(
        again
            .iter()
            .filter(|(action, _)| action == "drift_found")
            .count(),
        audit
            .iter()
            .filter(|(action, _)| action == "drift_found")
            .count()
    );

    // Enforced: removed from the target, and said so.
    let mut settings = target.settings();
    settings["drift"] = json!("enforce");
    let updated = w
        .app
        .call(
            axum::http::Method::PUT,
            &format!("/api/v1/admin/integrations/{}", w.integration),
            Some(&w.carol),
            Some(
                json!({"name": "Target", "kind": target.kind(), "settings": settings,
                        "connection_options": ["terminal"]}),
            ),
        )
        .await;
    assert_eq!(updated.status, 200, "{}", updated.body);
    let enforced = w.app.post(&uri, &w.carol, json!(null)).await;
    assert_eq!(enforced.body["mode"], "enforce", "{}", enforced.body);
    let found = hand_made(enforced.body["findings"].as_array().unwrap()).unwrap();
    assert!(found["removed_at"].is_string(), "{found}");
    let paths = vec![held.clone()];
    let connector = common::real_connector(target.kind(), &target.settings()).unwrap();
    let left = sync(|| connector.holdings(&paths)).unwrap().unwrap();
    assert!(left.iter().all(|h| h.login != login), "{left:?}");
    assert!(
        sync(|| target.works(&alice, secret.as_deref(), path)),
        "Gatehouse's own grant stays"
    );
    let cleared = w.app.post(&uri, &w.carol, json!(null)).await;
    assert!(hand_made(cleared.body["findings"].as_array().unwrap()).is_none());
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
            async fn finds_and_removes_drift() {
                let target = sync(|| $make);
                drift_is_found_and_removed(&target).await;
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
conformance!(openldap: ldap());
conformance!(aws_identity_center: identity_center());

/// The MySQL connector's connection is TLS by default, the server's
/// certificate checked against the integration's CA (or Mozilla's roots):
/// with the CA it connects over TLS; without it the certificate is refused;
/// `ssl_mode: disable` connects in plain text; a CA that is not PEM is
/// refused when saved.
#[test]
fn mysql_connections_are_tls_checked_against_the_ca() {
    let db = common::mariadb_server::MariaDb::start_with_tls(&[
        "CREATE DATABASE shop",
        "CREATE DATABASE crm",
    ]);
    let with = |change: &dyn Fn(&mut Value)| {
        let mut settings = db.settings();
        settings.as_object_mut().unwrap().remove("ssl_mode");
        change(&mut settings);
        common::real_connector("mysql", &settings).map(|c| c.check())
    };
    let ca = db.ca_pem();
    let checked = with(&|s| s["ssl_root_cert"] = json!(ca)).unwrap();
    assert!(
        checked.as_ref().is_ok_and(|m| m.contains("over TLS")),
        "{checked:?}"
    );
    let refused = with(&|_| {}).unwrap();
    assert!(refused.is_err(), "{refused:?}");
    let plain = with(&|s| s["ssl_mode"] = json!("disable")).unwrap();
    assert!(
        plain.as_ref().is_ok_and(|m| m.contains("without TLS")),
        "{plain:?}"
    );
    let error = with(&|s| s["ssl_root_cert"] = json!("not a certificate")).unwrap_err();
    assert!(error.contains("PEM"), "{error}");
}

/// The real binary, killed by SIGKILL right after MariaDB granted and before
/// Gatehouse recorded it (`GATEHOUSE_CRASH_AT=after-grant`): the request is
/// left Granting with the account made. Started again on the same database,
/// it completes the grant once, with the same account; the secret it shows
/// works; after revoke MariaDB holds nothing for it.
#[test]
fn a_grant_completes_once_after_a_real_kill_between_the_target_and_the_record() {
    use std::os::unix::process::ExitStatusExt;
    let target = mariadb();
    let dir = tempfile::tempdir().unwrap();
    let mut first = common::serve_demo_with(dir.path(), &[("GATEHOUSE_CRASH_AT", "after-grant")]);
    let agent = ureq::AgentBuilder::new()
        .timeout(std::time::Duration::from_secs(30))
        .build();
    let session = |url: &str, who: &str| {
        let answer = agent
            .post(&format!("{url}/api/v1/session"))
            .send_json(json!({"username": who, "password": "gatehouse-demo"}))
            .unwrap();
        answer
            .header("set-cookie")
            .unwrap()
            .split(';')
            .next()
            .unwrap()
            .to_owned()
    };
    let send = |method: &str, url: &str, cookie: &str, body: Value| {
        let request = agent.request(method, url).set("Cookie", cookie);
        match request.send_json(body) {
            Ok(answer) => Ok(answer.into_json::<Value>().unwrap_or(Value::Null)),
            Err(ureq::Error::Status(code, answer)) => {
                panic!("{method} {url}: {code} {}", answer.into_string().unwrap())
            }
            Err(other) => Err(other.to_string()),
        }
    };
    let url = first.url.clone();
    let carol = session(&url, "carol");
    let integration = send(
        "POST",
        &format!("{url}/api/v1/admin/integrations"),
        &carol,
        json!({"name": "Shop", "kind": "mysql", "connector": "mysql", "settings": target.settings(),
               "connection_options": ["terminal"]}),
    )
    .unwrap()["id"]
        .as_i64()
        .unwrap();
    send(
        "POST",
        &format!("{url}/api/v1/admin/integrations/{integration}/sync"),
        &carol,
        json!({}),
    )
    .unwrap();
    send("POST", &format!("{url}/api/v1/admin/access-flows"), &carol,
        json!({"name": "Shop", "grantees": [{"kind": "everyone"}], "scope": [{"kind": "integration", "id": integration}],
               "auto_approve": true, "durations_seconds": [HOUR], "max_duration_seconds": HOUR})).unwrap();
    let alice = session(&url, "alice");
    let resource = found_id(&agent, &url, &alice, "shop/orders");
    // The submission grants at once, and the process dies after MariaDB did.
    let submitted = send(
        "POST",
        &format!("{url}/api/v1/requests"),
        &alice,
        json!({"items": [{"resource_id": resource, "permission": "read-only"}], "duration_seconds": HOUR,
               "justification": "Counting orders for the monthly report"}),
    );
    assert!(submitted.is_err(), "the server answered: {submitted:?}");
    let status = first
        .exited(std::time::Duration::from_secs(30))
        .expect("the server died");
    assert_eq!(status.signal(), Some(9), "killed by SIGKILL: {status:?}");

    // MariaDB has the account; Gatehouse never recorded it.
    let connector = common::real_connector("mysql", &target.settings()).unwrap();
    let paths = vec!["shop/orders".to_owned()];
    let held = |connector: &Arc<dyn Connector>| -> Vec<String> {
        connector
            .holdings(&paths)
            .unwrap()
            .unwrap()
            .into_iter()
            .map(|holding| holding.login)
            .filter(|login| login.starts_with("gh_alice_"))
            .collect()
    };
    let made = held(&connector);
    assert_eq!(made.len(), 1, "{made:?}");

    // Started again: the work completes once, with the same account.
    let second = common::serve_demo_with(dir.path(), &[]);
    let url = second.url.clone();
    let alice = session(&url, "alice");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    let id = loop {
        let mine = send(
            "GET",
            &format!("{url}/api/v1/requests?limit=10"),
            &alice,
            Value::Null,
        )
        .unwrap();
        let request = mine["items"][0].clone();
        if request["status"] == "Active" {
            break request["id"].as_i64().unwrap();
        }
        assert_eq!(request["status"], "Granting", "{request}");
        assert!(
            std::time::Instant::now() < deadline,
            "never Active: {request}"
        );
        std::thread::sleep(std::time::Duration::from_millis(250));
    };
    assert_eq!(held(&connector), made, "the same account, not a second one");
    let revealed = send(
        "POST",
        &format!("{url}/api/v1/requests/{id}/access/{integration}/reveal"),
        &alice,
        json!({}),
    )
    .unwrap();
    assert_eq!(revealed["username"], made[0].as_str(), "{revealed}");
    let secret = revealed["secret"].as_str().unwrap();
    assert!(target.works(&made[0], Some(secret), "shop/orders"));

    send(
        "POST",
        &format!("{url}/api/v1/requests/{id}/revoke"),
        &alice,
        json!({}),
    )
    .unwrap();
    assert!(held(&connector).is_empty(), "nothing left granted");
    assert!(!target.works(&made[0], Some(secret), "shop/orders"));
}

/// The id of the resource at `path`, as alice finds it.
fn found_id(agent: &ureq::Agent, url: &str, cookie: &str, path: &str) -> i64 {
    let found: Value = agent
        .get(&format!("{url}/api/v1/resources?limit=200"))
        .set("Cookie", cookie)
        .call()
        .unwrap()
        .into_json()
        .unwrap();
    found["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["path"] == path)
        .unwrap_or_else(|| panic!("{found}"))["id"]
        .as_i64()
        .unwrap()
}
