//! The authorization matrix: every route of the OpenAPI document, called as
//! each kind of caller, with the exact status each must get. A route missing
//! from the table fails the test, so a new route cannot skip it.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common;

use std::{
    collections::{BTreeSet, HashMap},
    sync::Arc,
};

use axum::http::Method;
use common::TestApp;
use serde_json::{Value, json};

/// The callers, in the order every row is played (those refused first, so
/// allowed calls that change state come last).
const ROLES: [&str; 7] = [
    "anonymous",
    "other",
    "unrelated_approver",
    "approver",
    "grantee",
    "admin",
    "requester",
];

/// (method, path, body, expected status per role in ROLES order). Rows that
/// change the request they act on are played on a fresh world per caller.
/// `{R}`: alice's request for erin, Pending Approval (bob approves).
/// `{Q}`: alice's request for erin, Active (auto-approved).
type Row = (&'static str, &'static str, Value, [u16; 7]);

fn table() -> Vec<Row> {
    let flow = json!({"name": "Matrix flow", "grantees": [{"kind": "everyone"}], "scope": [{"kind": "tag", "tag": "matrix"}],
        "auto_approve": true, "durations_seconds": [60], "max_duration_seconds": 60});
    let user = json!({"username": "matrix", "display_name": "M", "email": "m@example.com", "password": "long enough pw"});
    let submit =
        json!({"items": [{"resource_id": 0, "permission": "read"}], "duration_seconds": 3600});
    //                                  anon other unrel appr grant admin req
    let everyone_ok = |code: u16| [401, code, code, code, code, code, code];
    let admin_only = |code: u16| [401, 403, 403, 403, 403, code, 403];
    vec![
        ("GET", "/healthz", json!(null), [200; 7]),
        ("GET", "/livez", json!(null), [200; 7]),
        ("GET", "/readyz", json!(null), [200; 7]),
        // Open when the server has no metrics token (tests/metrics.rs covers the token).
        ("GET", "/metrics", json!(null), [200; 7]),
        (
            "POST",
            "/api/v1/session",
            json!({"username": "alice", "password": "gatehouse-demo"}),
            [200; 7],
        ),
        ("DELETE", "/api/v1/session", json!(null), everyone_ok(204)),
        // Sign-in with the identity provider: the options are public; it is
        // not set up in this world, so starting answers 404 and the way back
        // without a sign-in 400 (tests/sso.rs plays the whole flow).
        ("GET", "/api/v1/sso", json!(null), [200; 7]),
        ("GET", "/api/v1/sso/start", json!(null), [404; 7]),
        ("GET", "/api/v1/sso/callback", json!(null), [400; 7]),
        (
            "POST",
            "/api/v1/sso/cli-token",
            json!({"code": "unknown", "verifier": "v", "name": "cli", "expires_in_days": 1}),
            [400; 7],
        ),
        (
            "GET",
            "/api/v1/admin/sso/test",
            json!(null),
            admin_only(404),
        ),
        ("GET", "/api/v1/admin/sso", json!(null), admin_only(200)),
        (
            "PUT",
            "/api/v1/admin/sso",
            json!({"enabled": false, "display_name": "", "issuer": "", "client_id": ""}),
            admin_only(200),
        ),
        (
            "POST",
            "/api/v1/admin/scim-token",
            json!(null),
            admin_only(201),
        ),
        // SCIM takes its own token, never a session or a personal token:
        // every caller here is refused (tests/scim.rs covers the token).
        (
            "GET",
            "/scim/v2/ServiceProviderConfig",
            json!(null),
            [401; 7],
        ),
        ("GET", "/scim/v2/ResourceTypes", json!(null), [401; 7]),
        ("GET", "/scim/v2/ResourceTypes/1", json!(null), [401; 7]),
        ("GET", "/scim/v2/Schemas", json!(null), [401; 7]),
        ("GET", "/scim/v2/Schemas/1", json!(null), [401; 7]),
        ("GET", "/scim/v2/Users", json!(null), [401; 7]),
        (
            "POST",
            "/scim/v2/Users",
            json!({"userName": "matrix"}),
            [401; 7],
        ),
        ("POST", "/scim/v2/Users/.search", json!({}), [401; 7]),
        ("POST", "/scim/v2/.search", json!({}), [401; 7]),
        ("GET", "/scim/v2/Users/1", json!(null), [401; 7]),
        (
            "PUT",
            "/scim/v2/Users/1",
            json!({"userName": "matrix"}),
            [401; 7],
        ),
        (
            "PATCH",
            "/scim/v2/Users/1",
            json!({"Operations": []}),
            [401; 7],
        ),
        ("DELETE", "/scim/v2/Users/1", json!(null), [401; 7]),
        ("GET", "/scim/v2/Groups", json!(null), [401; 7]),
        (
            "POST",
            "/scim/v2/Groups",
            json!({"displayName": "matrix"}),
            [401; 7],
        ),
        ("POST", "/scim/v2/Groups/.search", json!({}), [401; 7]),
        ("GET", "/scim/v2/Groups/1", json!(null), [401; 7]),
        (
            "PUT",
            "/scim/v2/Groups/1",
            json!({"displayName": "matrix"}),
            [401; 7],
        ),
        (
            "PATCH",
            "/scim/v2/Groups/1",
            json!({"Operations": []}),
            [401; 7],
        ),
        ("DELETE", "/scim/v2/Groups/1", json!(null), [401; 7]),
        (
            "DELETE",
            "/api/v1/admin/scim-token",
            json!(null),
            admin_only(204),
        ),
        ("DELETE", "/api/v1/sessions", json!(null), everyone_ok(204)),
        ("GET", "/api/v1/me", json!(null), everyone_ok(200)),
        (
            "GET",
            "/api/v1/me/notifications",
            json!(null),
            everyone_ok(200),
        ),
        (
            "PUT",
            "/api/v1/me/notifications",
            json!({"slack": false, "email": true}),
            everyone_ok(200),
        ),
        (
            "GET",
            "/api/v1/admin/settings/slack",
            json!(null),
            admin_only(200),
        ),
        (
            "PUT",
            "/api/v1/admin/settings/slack",
            json!({"chat_approval": false}),
            admin_only(200),
        ),
        ("GET", "/api/v1/mfa", json!(null), everyone_ok(200)),
        (
            "POST",
            "/api/v1/mfa/enrolment",
            json!(null),
            everyone_ok(201),
        ),
        // Nobody here has enrolled yet.
        (
            "POST",
            "/api/v1/mfa/confirm",
            json!({"code": "000000"}),
            everyone_ok(409),
        ),
        ("GET", "/api/v1/users", json!(null), everyone_ok(200)),
        ("GET", "/api/v1/tokens", json!(null), everyone_ok(200)),
        (
            "POST",
            "/api/v1/tokens",
            json!({"name": "t"}),
            everyone_ok(201),
        ),
        // Token {T} is alice's: nobody else can revoke it, not even an admin.
        (
            "DELETE",
            "/api/v1/tokens/{T}",
            json!(null),
            [401, 404, 404, 404, 404, 404, 204],
        ),
        ("GET", "/api/v1/integrations", json!(null), everyone_ok(200)),
        (
            "GET",
            "/api/v1/resource-types",
            json!(null),
            everyone_ok(200),
        ),
        ("GET", "/api/v1/resources", json!(null), everyone_ok(200)),
        (
            "GET",
            "/api/v1/resources/ids",
            json!(null),
            everyone_ok(200),
        ),
        ("GET", "/api/v1/apps", json!(null), everyone_ok(200)),
        ("GET", "/api/v1/bundles", json!(null), everyone_ok(200)),
        (
            "POST",
            "/api/v1/assist",
            json!({"text": "read the orders database"}),
            everyone_ok(200),
        ),
        (
            "GET",
            "/api/v1/admin/assist/aliases",
            json!(null),
            admin_only(200),
        ),
        (
            "PUT",
            "/api/v1/admin/assist/aliases",
            json!({"aliases": [{"term": "db", "means": ["database"]}]}),
            admin_only(200),
        ),
        ("GET", "/api/v1/bundles/1", json!(null), everyone_ok(200)),
        (
            "POST",
            "/api/v1/justification-feedback",
            json!({"text": "x"}),
            everyone_ok(200),
        ),
        (
            "POST",
            "/api/v1/requests/preview",
            submit.clone(),
            everyone_ok(200),
        ),
        // erin already has that access Active ({Q}): hers would be a duplicate.
        (
            "POST",
            "/api/v1/requests",
            submit,
            [401, 201, 201, 201, 409, 201, 201],
        ),
        ("GET", "/api/v1/requests", json!(null), everyone_ok(200)),
        (
            "GET",
            "/api/v1/requests/counts",
            json!(null),
            everyone_ok(200),
        ),
        (
            "GET",
            "/api/v1/delegated-requests",
            json!(null),
            everyone_ok(200),
        ),
        ("GET", "/api/v1/favorites", json!(null), everyone_ok(200)),
        ("GET", "/api/v1/my-access", json!(null), everyone_ok(200)),
        ("GET", "/api/v1/approvals", json!(null), everyone_ok(200)),
        (
            "GET",
            "/api/v1/approvals/count",
            json!(null),
            everyone_ok(200),
        ),
        (
            "GET",
            "/api/v1/approvals/break-glass",
            json!(null),
            everyone_ok(200),
        ),
        (
            "GET",
            "/api/v1/admin/break-glass",
            json!(null),
            admin_only(200),
        ),
        // The bulk console answers per request (tests/bulk_review.rs checks
        // who may decide what); the call itself is open to everyone signed in.
        (
            "POST",
            "/api/v1/approvals/bulk",
            json!({"action": "approve", "ids": [0]}),
            everyone_ok(200),
        ),
        (
            "POST",
            "/api/v1/approvals/bulk",
            json!({"action": "reject", "ids": [0]}),
            everyone_ok(422),
        ),
        // Access Details: the grantee (and admins) only; the requester sees the
        // request but not its credentials.
        (
            "GET",
            "/api/v1/requests/{Q}/access",
            json!(null),
            [401, 404, 404, 404, 200, 200, 403],
        ),
        // Credentials go to the grantee only.
        (
            "POST",
            "/api/v1/requests/{Q}/access/{GH}/reveal",
            json!(null),
            [401, 404, 404, 404, 200, 403, 403],
        ),
        (
            "POST",
            "/api/v1/requests/{Q}/access/{GH}/reset",
            json!(null),
            [401, 404, 404, 404, 200, 403, 403],
        ),
        // SSH certificates go to the grantee only; GitHub is not an SSH
        // integration (tests/ssh_connector.rs issues real ones).
        (
            "POST",
            "/api/v1/requests/{Q}/access/{GH}/certificate",
            json!({"public_key": "ssh-ed25519 AAAA"}),
            [401, 404, 404, 404, 409, 403, 403],
        ),
        // The CA's public key is for admins; the revocation list is open,
        // for hosts to fetch.
        ("GET", "/api/v1/ssh/ca", json!(null), admin_only(200)),
        ("GET", "/api/v1/ssh/revoked-keys", json!(null), [200; 7]),
        ("GET", "/api/v1/fulfilments", json!(null), everyone_ok(200)),
        // Nobody fulfils by hand here; admins may, but nothing waits.
        (
            "POST",
            "/api/v1/fulfilments/{Q}/{GH}",
            json!({}),
            [401, 403, 403, 403, 403, 404, 403],
        ),
        // A request is seen by its requester, grantee, deciders and admins.
        (
            "GET",
            "/api/v1/requests/{R}",
            json!(null),
            [401, 404, 404, 200, 200, 200, 200],
        ),
        (
            "POST",
            "/api/v1/requests/{R}/approve",
            json!(null),
            [401, 404, 404, 200, 403, 403, 403],
        ),
        (
            "POST",
            "/api/v1/requests/{R}/reject",
            json!({"reason": "no"}),
            [401, 404, 404, 200, 403, 403, 403],
        ),
        (
            "POST",
            "/api/v1/requests/{R}/approve-with-changes",
            json!({"duration_seconds": 1800, "note": "Half an hour is enough."}),
            [401, 404, 404, 200, 403, 403, 403],
        ),
        // R is no break-glass use: whoever sees it is told there is nothing
        // to review (tests/approval_rules.rs plays the review itself).
        (
            "POST",
            "/api/v1/requests/{R}/review",
            json!({"outcome": "reviewed"}),
            [401, 404, 404, 409, 409, 409, 409],
        ),
        (
            "POST",
            "/api/v1/requests/{R}/cancel",
            json!(null),
            [401, 404, 404, 403, 403, 403, 200],
        ),
        // Only closed requests can be asked again; while pending everyone who sees it is told so.
        (
            "POST",
            "/api/v1/requests/{R}/request-again",
            json!({"justification": "x"}),
            [401, 404, 404, 409, 409, 409, 409],
        ),
        // Delegated: the grantee may not revoke, the requester and admins may.
        (
            "POST",
            "/api/v1/requests/{Q}/revoke",
            json!(null),
            [401, 404, 404, 404, 403, 200, 200],
        ),
        (
            "POST",
            "/api/v1/requests/{Q}/extend",
            json!(null),
            [401, 404, 404, 404, 409, 403, 409],
        ),
        (
            "PUT",
            "/api/v1/requests/{Q}/favorite",
            json!(null),
            [401, 404, 404, 404, 403, 403, 403],
        ),
        (
            "DELETE",
            "/api/v1/requests/{Q}/favorite",
            json!(null),
            [401, 404, 404, 404, 204, 204, 204],
        ),
        ("GET", "/api/v1/admin/audit", json!(null), admin_only(200)),
        ("GET", "/api/v1/admin/users", json!(null), admin_only(200)),
        ("POST", "/api/v1/admin/users", user.clone(), admin_only(201)),
        (
            "PUT",
            "/api/v1/admin/users/{ERIN}",
            json!({"username": "erin", "display_name": "Erin", "email": "e@example.com"}),
            admin_only(200),
        ),
        (
            "DELETE",
            "/api/v1/admin/users/{ERIN}",
            json!(null),
            admin_only(409),
        ),
        ("GET", "/api/v1/admin/groups", json!(null), admin_only(200)),
        (
            "POST",
            "/api/v1/admin/groups",
            json!({"name": "g"}),
            admin_only(201),
        ),
        (
            "PUT",
            "/api/v1/admin/groups/1",
            json!({"name": "engineering", "member_ids": []}),
            admin_only(200),
        ),
        (
            "DELETE",
            "/api/v1/admin/groups/1",
            json!(null),
            admin_only(409),
        ),
        (
            "GET",
            "/api/v1/admin/access-flows",
            json!(null),
            admin_only(200),
        ),
        (
            "POST",
            "/api/v1/admin/access-flows",
            flow.clone(),
            admin_only(201),
        ),
        (
            "PUT",
            "/api/v1/admin/access-flows/1",
            json!({"name": "GitHub self-service", "grantees": [{"kind": "everyone"}], "scope": [{"kind": "tag", "tag": "x"}], "auto_approve": true, "durations_seconds": [60], "max_duration_seconds": 60}),
            admin_only(200),
        ),
        (
            "DELETE",
            "/api/v1/admin/access-flows/1",
            json!(null),
            admin_only(409),
        ),
        (
            "GET",
            "/api/v1/admin/integrations",
            json!(null),
            admin_only(200),
        ),
        (
            "POST",
            "/api/v1/admin/integrations",
            json!({"name": "New", "kind": "demo"}),
            admin_only(201),
        ),
        (
            "POST",
            "/api/v1/admin/integrations/{GH}/test",
            json!(null),
            admin_only(200),
        ),
        // The demo connector has no catalog to read.
        (
            "POST",
            "/api/v1/admin/integrations/{GH}/sync",
            json!(null),
            admin_only(422),
        ),
        (
            "GET",
            "/api/v1/admin/integrations/{GH}/drift",
            json!(null),
            admin_only(200),
        ),
        (
            "POST",
            "/api/v1/admin/integrations/{GH}/drift",
            json!(null),
            admin_only(200),
        ),
        (
            "PUT",
            "/api/v1/admin/integrations/1",
            json!({"name": "Prod PostgreSQL", "kind": "postgresql"}),
            admin_only(200),
        ),
        (
            "DELETE",
            "/api/v1/admin/integrations/1",
            json!(null),
            admin_only(409),
        ),
        (
            "POST",
            "/api/v1/admin/resource-types",
            json!({"integration_id": 1, "name": "schema", "permissions": ["usage"]}),
            admin_only(201),
        ),
        (
            "PUT",
            "/api/v1/admin/resource-types/1",
            json!({"integration_id": 1, "name": "database", "permissions": ["read-only", "read-write", "admin"]}),
            admin_only(200),
        ),
        (
            "DELETE",
            "/api/v1/admin/resource-types/1",
            json!(null),
            admin_only(409),
        ),
        (
            "POST",
            "/api/v1/admin/resources",
            json!({"resource_type_id": 1, "name": "new", "path": "new-db"}),
            admin_only(201),
        ),
        (
            "GET",
            "/api/v1/admin/resources",
            json!(null),
            admin_only(200),
        ),
        (
            "GET",
            "/api/v1/admin/resources/1",
            json!(null),
            admin_only(200),
        ),
        (
            "GET",
            "/api/v1/admin/ticket-types",
            json!(null),
            admin_only(200),
        ),
        (
            "POST",
            "/api/v1/admin/ticket-types",
            json!({"name": "Linear"}),
            admin_only(201),
        ),
        (
            "PUT",
            "/api/v1/admin/ticket-types/2",
            json!({"name": "ServiceNow"}),
            admin_only(200),
        ),
        (
            "DELETE",
            "/api/v1/admin/ticket-types/1",
            json!(null),
            admin_only(204),
        ),
        (
            "PUT",
            "/api/v1/admin/resources/1",
            json!({"resource_type_id": 1, "name": "billing", "path": "billing", "tags": ["prod"]}),
            admin_only(200),
        ),
        (
            "DELETE",
            "/api/v1/admin/resources/{ORDERS}",
            json!(null),
            admin_only(409),
        ),
        (
            "POST",
            "/api/v1/admin/bundles",
            json!({"name": "B", "items": [{"resource_id": 1, "permission": "read-only"}]}),
            admin_only(201),
        ),
        (
            "PUT",
            "/api/v1/admin/bundles/2",
            json!({"name": "Billing analyst", "items": [{"resource_id": 1, "permission": "read-only"}]}),
            admin_only(200),
        ),
        (
            "DELETE",
            "/api/v1/admin/bundles/1",
            json!(null),
            admin_only(409),
        ),
    ]
}

/// A fresh demo with: dave (another requester), erin (the grantee), victor
/// (approver of an unrelated flow), alice's token T, and the requests R and Q.
async fn world() -> (
    TestApp,
    HashMap<&'static str, String>,
    HashMap<&'static str, String>,
) {
    let app = TestApp::with_demo().await;
    let erin = app.add_user("erin").await;
    app.add_user("dave").await;
    let victor = app.add_user("victor").await;
    let mut cookies = HashMap::new();
    for (role, user) in [
        ("requester", "alice"),
        ("other", "dave"),
        ("grantee", "erin"),
        ("approver", "bob"),
        ("unrelated_approver", "victor"),
        ("admin", "carol"),
    ] {
        cookies.insert(role, app.session(user).await);
    }
    let teams = app
        .get("/api/v1/resource-types", &cookies["admin"])
        .await
        .body
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "team")
        .unwrap()["id"]
        .clone();
    let unrelated = app.post("/api/v1/admin/access-flows", &cookies["admin"], json!({"name": "Victor approves", "grantees": [{"kind": "everyone"}],
        "scope": [{"kind": "resource_type", "id": teams}], "permissions": ["maintainer"], "auto_approve": false,
        "approver_steps": [[{"kind": "user", "id": victor}]], "durations_seconds": [3600], "max_duration_seconds": 3600})).await;
    assert_eq!(unrelated.status, 201, "{}", unrelated.body);
    let orders = app.resource("orders").await;
    let docs = app.resource("acme/docs").await;
    let r = app.post("/api/v1/requests", &cookies["requester"], json!({"grantee_id": erin, "items": [{"resource_id": orders, "permission": "read-only"}], "duration_seconds": 3600, "justification": "why"})).await;
    let q = app.post("/api/v1/requests", &cookies["requester"], json!({"grantee_id": erin, "items": [{"resource_id": docs, "permission": "read"}], "duration_seconds": 3600})).await;
    // Granted at once, or by the next worker pass when the machine is so busy
    // that the submission's own provisioning attempt timed out on its lease.
    let q_id = q.body["requests"][0]["id"].as_i64().unwrap();
    let mut status = q.body["requests"][0]["status"].clone();
    for _ in 0..20 {
        if status == "Active" {
            break;
        }
        app.tick_until_done().await;
        status = app
            .get(&format!("/api/v1/requests/{q_id}"), &cookies["admin"])
            .await
            .body["status"]
            .clone();
    }
    assert_eq!(status, "Active");
    let token = app
        .post(
            "/api/v1/tokens",
            &cookies["requester"],
            json!({"name": "alice's"}),
        )
        .await;
    let github = app
        .get("/api/v1/integrations", &cookies["admin"])
        .await
        .body
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["name"] == "GitHub")
        .unwrap()["id"]
        .to_string();
    let ids = HashMap::from([
        ("{GH}", github),
        ("{R}", r.body["requests"][0]["id"].to_string()),
        ("{Q}", q.body["requests"][0]["id"].to_string()),
        ("{T}", token.body["id"].to_string()),
        ("{ERIN}", erin.to_string()),
        ("{ORDERS}", orders.to_string()),
        ("\"resource_id\":0", format!("\"resource_id\":{docs}")),
        (
            "\"ids\":[0]",
            format!("\"ids\":[{}]", r.body["requests"][0]["id"]),
        ),
    ]);
    (app, cookies, ids)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_route_answers_each_kind_of_caller_as_the_table_says() {
    let table = table();
    let documented: BTreeSet<(String, String)> = {
        let doc = serde_json::to_value(gatehouse::openapi()).unwrap();
        doc["paths"]
            .as_object()
            .unwrap()
            .iter()
            .flat_map(|(path, item)| {
                item.as_object()
                    .unwrap()
                    .keys()
                    .map(|m| (m.to_uppercase(), path.clone()))
                    .collect::<Vec<_>>()
            })
            .collect()
    };
    let covered: BTreeSet<(String, String)> = table
        .iter()
        .map(|(method, path, _, _)| {
            let template = path
                .split('/')
                .map(|segment| {
                    if segment.starts_with('{')
                        || segment.chars().all(|c| c.is_ascii_digit()) && !segment.is_empty()
                    {
                        "{}"
                    } else {
                        segment
                    }
                })
                .collect::<Vec<_>>()
                .join("/");
            (method.to_string(), template)
        })
        .collect();
    let normalized: BTreeSet<(String, String)> = documented
        .iter()
        .map(|(m, p)| {
            (
                m.clone(),
                p.split('/')
                    .map(|s| if s.starts_with('{') { "{}" } else { s })
                    .collect::<Vec<_>>()
                    .join("/"),
            )
        })
        .collect();
    let missing: Vec<_> = normalized.difference(&covered).collect();
    assert!(
        missing.is_empty(),
        "routes missing from the authorization table: {missing:?}"
    );

    // Reads share one world; every other row gets a world of its own, and a
    // row that changes the request it acts on a fresh one after each caller
    // the table lets through (the refused ones must have changed nothing).
    let shared = Arc::new(world().await);
    let mut cases = Vec::new();
    for (method, path, body, expected) in table {
        let shared = shared.clone();
        cases.push(tokio::spawn(async move {
            let changes_state = [
                "/approve",
                "/approve-with-changes",
                "/reject",
                "/cancel",
                "/revoke",
                "/bulk",
            ]
            .iter()
            .any(|a| path.ends_with(a));
            let mut own = (method != "GET").then_some(world().await);
            let mut failures = Vec::new();
            let mut let_through = false;
            for (role, want) in ROLES.iter().zip(expected) {
                if changes_state && let_through {
                    own = Some(world().await);
                }
                let_through |= (200..300).contains(&want);
                let (app, cookies, ids) = own.as_ref().unwrap_or(&shared);
                let mut uri = path.to_owned();
                let mut body = (!body.is_null()).then(|| body.to_string());
                for (placeholder, id) in ids {
                    uri = uri.replace(placeholder, id);
                    body = body.map(|b| b.replace(placeholder, id));
                }
                let cookie = cookies.get(role).map(String::as_str);
                let answer = app
                    .call(
                        method.parse::<Method>().unwrap(),
                        &uri,
                        cookie,
                        body.as_deref().map(|b| serde_json::from_str(b).unwrap()),
                    )
                    .await;
                if answer.status.as_u16() != want {
                    failures.push(format!(
                        "{method} {path} as {role}: got {} want {want} ({})",
                        answer.status.as_u16(),
                        answer.body
                    ));
                }
            }
            failures
        }));
    }
    let mut failures = Vec::new();
    for case in cases {
        failures.extend(case.await.unwrap());
    }
    assert!(
        failures.is_empty(),
        "{} mismatches:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
