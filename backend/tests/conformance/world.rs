//! The conformance suite's Gatehouse: a test app with an integration for
//! the target and an access flow over it, and what the journeys ask of it.

use serde_json::{Value, json};

use super::{
    HOUR,
    common::{self, TestApp},
    targets::Target,
};

/// Gatehouse (clock at the real time) with an integration for the target,
/// synced, and a flow over it: auto-approving, or approved by carol.
pub(super) struct World {
    pub(super) app: TestApp,
    pub(super) carol: String,
    pub(super) alice: String,
    pub(super) integration: i64,
}

pub(super) async fn world(target: &dyn Target, auto_approve: bool) -> World {
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
    pub(super) async fn submit(&self, path: &str, permission: &str) -> Value {
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

    pub(super) async fn status(&self, id: i64) -> String {
        let body = self
            .app
            .get(&format!("/api/v1/requests/{id}"), &self.alice)
            .await
            .body;
        body["status"].as_str().unwrap().to_owned()
    }

    pub(super) async fn details(&self, id: i64) -> Value {
        let details = self
            .app
            .get(&format!("/api/v1/requests/{id}/access"), &self.alice)
            .await;
        assert_eq!(details.status, 200, "{}", details.body);
        details.body[0].clone()
    }

    /// The login and (for connectors that hand one out) the secret, revealed once.
    pub(super) async fn handed(&self, id: i64, target: &dyn Target) -> (String, Option<String>) {
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

    /// The integration as Admin → Integrations lists it.
    pub(super) async fn admin_view(&self) -> Value {
        let listed = self
            .app
            .get("/api/v1/admin/integrations", &self.carol)
            .await;
        listed
            .body
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["id"] == self.integration)
            .cloned()
            .unwrap()
    }

    pub(super) async fn grants_failing(&self, kind: &str) -> f64 {
        use gatehouse::clock::Clock;
        let now = self.app.clock.now().unix_timestamp();
        let text = self.app.state().ops.metrics.render(&self.app.db, now).await;
        common::prometheus::Scrape::parse(&text).get(
            "gatehouse_grants_failing",
            &[("connector", kind), ("work", "grant")],
        )
    }

    /// The `access_removed` audit entries' details for requests `ids`.
    pub(super) async fn removals(&self, ids: [i64; 2]) -> Vec<Value> {
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
