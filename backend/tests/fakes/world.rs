//! A Gatehouse with the demo data, the Slack app and e-mail configured against
//! the fakes, a clock the test moves, and helpers to send signed Slack requests.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use axum::{
    Router,
    body::Body,
    http::{Method, Request, header},
};
use gatehouse::{
    AppState, app,
    clock::{Clock, ManualClock},
    db::Db,
    demo,
    notify::{NotifyConfig, Secret, deliver::Report, email::EmailConfig},
    slack::{SlackConfig, verify},
};
use serde_json::{Value, json};

use super::{BOT_TOKEN, FakeSlack, SIGNING_SECRET, SmtpCapture};
use crate::common;

static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

pub struct World {
    pub state: AppState,
    pub router: Router,
    pub clock: ManualClock,
    pub db: Db,
    pub slack: FakeSlack,
    pub smtp: SmtpCapture,
    pub dir: tempfile::TempDir,
}

pub use crate::common::Answer;

pub fn notify_config(slack: &FakeSlack, smtp: &SmtpCapture) -> NotifyConfig {
    NotifyConfig {
        public_url: "https://gatehouse.example.com".into(),
        slack: Some(Arc::new(SlackConfig::new(
            Secret::new(BOT_TOKEN),
            Secret::new(SIGNING_SECRET),
            &slack.url,
            "/gatehouse",
        ))),
        email: Some(Arc::new(
            EmailConfig::plain("127.0.0.1", smtp.port, "Gatehouse <gatehouse@example.com>")
                .unwrap(),
        )),
    }
}

impl World {
    pub async fn new() -> Self {
        Self::with_connector(Arc::new(gatehouse::connector::DemoConnector)).await
    }

    /// With another connector for `demo` integrations.
    pub async fn with_connector(connector: Arc<dyn gatehouse::connector::Connector>) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let db = common::test_db(dir.path());
        let clock = ManualClock::new(time::macros::datetime!(2026-11-02 09:00 UTC));
        demo::seed(&db, clock.now().unix_timestamp()).await.unwrap();
        let slack = FakeSlack::with_demo_users().await;
        let smtp = SmtpCapture::start().await;
        let state = AppState::new(db.clone(), Arc::new(clock.clone()))
            .with_notify(notify_config(&slack, &smtp))
            .with_connector(connector);
        Self {
            router: app(state.clone()),
            state,
            clock,
            db,
            slack,
            smtp,
            dir,
        }
    }

    /// The same database and fakes, as a server restarted would see them.
    pub fn restarted(&self) -> AppState {
        let db = self.db.reopen().unwrap();
        AppState::new(db, Arc::new(self.clock.clone()))
            .with_notify(notify_config(&self.slack, &self.smtp))
    }

    pub fn now(&self) -> i64 {
        self.clock.now().unix_timestamp()
    }

    pub async fn send(&self, request: Request<Body>) -> Answer {
        common::send(&self.router, request).await
    }

    /// A request to a Slack endpoint with the given signature headers.
    pub async fn raw(
        &self,
        path: &str,
        content_type: &str,
        body: &str,
        timestamp: Option<&str>,
        signature: Option<&str>,
    ) -> Answer {
        let mut builder = Request::builder()
            .method(Method::POST)
            .uri(path)
            .header(header::CONTENT_TYPE, content_type);
        if let Some(timestamp) = timestamp {
            builder = builder.header("X-Slack-Request-Timestamp", timestamp);
        }
        if let Some(signature) = signature {
            builder = builder.header("X-Slack-Signature", signature);
        }
        self.send(builder.body(Body::from(body.to_owned())).unwrap())
            .await
    }

    /// Signed as Slack signs, with the current time.
    pub async fn signed(&self, path: &str, content_type: &str, body: &str) -> Answer {
        let timestamp = self.now().to_string();
        let signature = verify::sign(SIGNING_SECRET.as_bytes(), &timestamp, body.as_bytes());
        self.raw(path, content_type, body, Some(&timestamp), Some(&signature))
            .await
    }

    pub fn command_body(user: &str, text: &str) -> String {
        serde_urlencoded::to_string([
            ("token", "legacy"),
            ("team_id", "T1"),
            ("channel_id", "C1"),
            ("user_id", user),
            ("user_name", user),
            ("command", "/gatehouse"),
            ("text", text),
            ("response_url", "https://hooks.slack.example/commands/1"),
            ("trigger_id", "trigger-1"),
        ])
        .unwrap()
    }

    /// `/gatehouse {text}` typed by a Slack user.
    pub async fn slash(&self, user: &str, text: &str) -> Answer {
        self.signed(
            "/slack/commands",
            "application/x-www-form-urlencoded",
            &Self::command_body(user, text),
        )
        .await
    }

    pub fn payload_body(payload: &Value) -> String {
        serde_urlencoded::to_string([("payload", payload.to_string())]).unwrap()
    }

    /// An interaction payload (block_actions, view_submission).
    pub async fn interact(&self, mut payload: Value) -> Answer {
        // Like Slack, every interaction is a new payload (new trigger, new action time).
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        if let Some(actions) = payload["actions"].as_array_mut() {
            for action in actions {
                action["action_ts"] = json!(format!("{}.{n:06}", self.now()));
            }
        }
        payload["api_app_id"] = json!(format!("A{n}"));
        self.signed(
            "/slack/interactions",
            "application/x-www-form-urlencoded",
            &Self::payload_body(&payload),
        )
        .await
    }

    /// A block_suggestion for an external select.
    pub async fn suggest(
        &self,
        user: &str,
        action_id: &str,
        block_id: &str,
        query: &str,
    ) -> Answer {
        let payload = json!({"type": "block_suggestion", "user": {"id": user}, "action_id": action_id, "block_id": block_id, "value": query, "view": {"id": "V1"}});
        self.signed(
            "/slack/options",
            "application/x-www-form-urlencoded",
            &Self::payload_body(&payload),
        )
        .await
    }

    pub async fn event(&self, event: Value) -> Answer {
        self.signed("/slack/events", "application/json", &event.to_string())
            .await
    }

    /// Click a button of a message that was posted to `user`.
    pub async fn click(&self, user: &str, message: &Value, action_id: &str) -> Answer {
        let button = buttons(message)
            .into_iter()
            .find(|b| b["action_id"] == action_id)
            .unwrap_or_else(|| panic!("no {action_id} button in {message:#}"));
        let payload = json!({
            "type": "block_actions",
            "user": {"id": user},
            "trigger_id": "trigger-2",
            "container": {"type": "message", "channel_id": format!("D{user}"), "message_ts": "1700000000.000001"},
            "channel": {"id": format!("D{user}")},
            "message": {"ts": "1700000000.000001", "blocks": message["blocks"]},
            "actions": [{"action_id": action_id, "block_id": "b", "value": button["value"], "type": "button"}],
        });
        self.interact(payload).await
    }

    /// A block action inside a modal whose state is `values`.
    pub async fn modal_action(
        &self,
        user: &str,
        view: &Value,
        values: Value,
        action_id: &str,
        value: Value,
    ) -> Answer {
        let mut action = json!({"action_id": action_id, "block_id": "b", "type": "button"});
        if let Some(object) = value.as_object() {
            for (k, v) in object {
                action[k] = v.clone();
            }
        }
        let payload = json!({
            "type": "block_actions",
            "user": {"id": user},
            "trigger_id": "trigger-3",
            "view": {"id": "V1", "callback_id": view["callback_id"], "private_metadata": view["private_metadata"],
                     "blocks": view["blocks"], "state": {"values": values}},
            "actions": [action],
        });
        self.interact(payload).await
    }

    /// Submit a modal whose state is `values`.
    pub async fn submit(&self, user: &str, view: &Value, values: Value) -> Answer {
        let payload = json!({
            "type": "view_submission",
            "user": {"id": user},
            "trigger_id": "trigger-4",
            "view": {"id": "V1", "callback_id": view["callback_id"], "private_metadata": view["private_metadata"],
                     "blocks": view["blocks"], "state": {"values": values}},
        });
        self.interact(payload).await
    }

    /// The view of the last views.open / views.update / views.publish call.
    pub fn last_view(&self, method: &str) -> Value {
        self.slack
            .calls_of(method)
            .last()
            .unwrap_or_else(|| panic!("no {method} call"))["view"]
            .clone()
    }

    pub async fn deliver(&self) -> Report {
        gatehouse::notify::deliver::deliver_due(&self.state)
            .await
            .unwrap()
    }

    pub async fn tick(&self) {
        gatehouse::worker::tick(&self.state).await.unwrap();
    }

    pub async fn login(&self, username: &str) -> String {
        common::login(&self.router, username).await
    }

    pub async fn call(
        &self,
        method: Method,
        uri: &str,
        cookie: Option<&str>,
        body: Option<Value>,
    ) -> Answer {
        self.send(common::request(method, uri, cookie, body)).await
    }

    pub async fn resource(&self, path: &str) -> i64 {
        common::resource_id(&self.db, path).await
    }

    pub async fn query_i64(&self, sql: &str) -> i64 {
        let sql = sql.to_owned();
        self.db
            .call(move |conn| Ok(conn.query_row(&sql, [], |r| r.get(0))?))
            .await
            .unwrap()
    }

    pub async fn query_text(&self, sql: &str) -> String {
        let sql = sql.to_owned();
        self.db
            .call(move |conn| Ok(conn.query_row(&sql, [], |r| r.get(0))?))
            .await
            .unwrap()
    }
}

/// Every button of a message or view.
pub fn buttons(message: &Value) -> Vec<Value> {
    message["blocks"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|b| b["type"] == "actions")
        .flat_map(|b| b["elements"].as_array().cloned().unwrap_or_default())
        .collect()
}

/// The block with this id (or id prefix) of a view.
pub fn block<'a>(view: &'a Value, prefix: &str) -> Option<&'a Value> {
    view["blocks"].as_array()?.iter().find(|b| {
        b["block_id"]
            .as_str()
            .is_some_and(|id| id == prefix || id.starts_with(&format!("{prefix}:")))
    })
}

pub fn block_id(view: &Value, prefix: &str) -> String {
    block(view, prefix).unwrap_or_else(|| panic!("no {prefix} block in {view:#}"))["block_id"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// The values of a static select's options, and their labels.
pub fn option_labels(block: &Value) -> Vec<(String, String)> {
    block["element"]["options"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|o| {
            (
                o["value"].as_str().unwrap().to_owned(),
                o["text"]["text"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// All text of a message or view, for assertions.
pub fn text_of(value: &Value) -> String {
    let mut out = String::new();
    fn walk(value: &Value, out: &mut String) {
        match value {
            Value::String(s) => {
                out.push_str(s);
                out.push('\n');
            }
            Value::Array(items) => items.iter().for_each(|v| walk(v, out)),
            Value::Object(map) => map.values().for_each(|v| walk(v, out)),
            _ => {}
        }
    }
    walk(value, &mut out);
    out
}

/// State values for a select.
pub fn selected(value: &str) -> Value {
    json!({"type": "static_select", "selected_option": {"value": value}})
}

pub fn selected_many(values: &[String]) -> Value {
    json!({"type": "multi_static_select", "selected_options": values.iter().map(|v| json!({"value": v})).collect::<Vec<_>>()})
}

pub fn typed(text: &str) -> Value {
    json!({"type": "plain_text_input", "value": text})
}
