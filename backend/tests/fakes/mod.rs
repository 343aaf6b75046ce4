//! Local stand-ins for the services notifications reach: a fake of Slack's
//! Web API that records every call and answers like Slack, and a tiny SMTP
//! server that captures messages. Both listen on 127.0.0.1 and can be told to
//! fail, to test retries.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::{
    Arc, Mutex,
    atomic::{AtomicBool, AtomicU64, Ordering},
};

use axum::{
    Json, Router,
    body::Bytes,
    extract::{Path, State},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    routing::post,
};
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

pub mod world;

pub const BOT_TOKEN: &str = "xoxb-test-token";
pub const SIGNING_SECRET: &str = "test-signing-secret";

/// One Slack user the fake knows.
#[derive(Clone, Debug)]
pub struct FakeUser {
    pub id: &'static str,
    pub email: &'static str,
    pub confirmed: bool,
}

#[derive(Default)]
struct Inner {
    calls: Mutex<Vec<(String, Value)>>,
    users: Mutex<Vec<FakeUser>>,
    down: AtomicBool,
    next_ts: AtomicU64,
}

/// A fake of Slack's Web API.
#[derive(Clone)]
pub struct FakeSlack {
    inner: Arc<Inner>,
    pub url: String,
}

impl FakeSlack {
    pub async fn start(users: Vec<FakeUser>) -> Self {
        let inner = Arc::new(Inner {
            users: Mutex::new(users),
            next_ts: AtomicU64::new(1),
            ..Inner::default()
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/api", listener.local_addr().unwrap());
        let app = Router::new()
            .route("/api/{method}", post(handle))
            .with_state(inner.clone());
        tokio::spawn(async move { axum::serve(listener, app).await });
        Self { inner, url }
    }

    /// The demo users (alice, bob, carol) with verified e-mail addresses.
    pub async fn with_demo_users() -> Self {
        Self::start(vec![
            FakeUser {
                id: "UALICE",
                email: "alice@example.com",
                confirmed: true,
            },
            FakeUser {
                id: "UBOB",
                email: "bob@example.com",
                confirmed: true,
            },
            FakeUser {
                id: "UCAROL",
                email: "carol@example.com",
                confirmed: true,
            },
            FakeUser {
                id: "USTRANGER",
                email: "stranger@elsewhere.example",
                confirmed: true,
            },
            FakeUser {
                id: "UUNVERIFIED",
                email: "alice@example.com",
                confirmed: false,
            },
        ])
        .await
    }

    /// While down, every call is answered 503.
    pub fn set_down(&self, down: bool) {
        self.inner.down.store(down, Ordering::SeqCst);
    }

    pub fn calls(&self) -> Vec<(String, Value)> {
        self.inner.calls.lock().unwrap().clone()
    }

    /// Calls of one method, in order.
    pub fn calls_of(&self, method: &str) -> Vec<Value> {
        self.calls()
            .into_iter()
            .filter(|(m, _)| m == method)
            .map(|(_, body)| body)
            .collect()
    }

    /// Messages posted to one channel (a Slack user id for direct messages).
    pub fn messages_to(&self, channel: &str) -> Vec<Value> {
        self.calls_of("chat.postMessage")
            .into_iter()
            .filter(|body| body["channel"] == channel)
            .collect()
    }

    pub fn clear(&self) {
        self.inner.calls.lock().unwrap().clear();
    }
}

fn form_to_json(body: &[u8]) -> Value {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(body).unwrap_or_default();
    let mut object = serde_json::Map::new();
    for (key, value) in pairs {
        // Slack accepts JSON-encoded arguments (view, blocks) in forms too.
        let parsed = if value.starts_with('{') || value.starts_with('[') {
            serde_json::from_str(&value).unwrap_or(Value::String(value))
        } else {
            Value::String(value)
        };
        object.insert(key, parsed);
    }
    Value::Object(object)
}

async fn handle(
    State(inner): State<Arc<Inner>>,
    Path(method): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if inner.down.load(Ordering::SeqCst) {
        return (StatusCode::SERVICE_UNAVAILABLE, "down").into_response();
    }
    let authorized = headers.get("authorization").and_then(|v| v.to_str().ok())
        == Some(&format!("Bearer {BOT_TOKEN}"));
    if !authorized {
        return Json(json!({"ok": false, "error": "not_authed"})).into_response();
    }
    let is_json = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    let body: Value = if is_json {
        serde_json::from_slice(&body).unwrap_or(Value::Null)
    } else {
        form_to_json(&body)
    };
    inner
        .calls
        .lock()
        .unwrap()
        .push((method.clone(), body.clone()));
    let users = inner.users.lock().unwrap().clone();
    let user_json = |user: &FakeUser| {
        json!({"id": user.id, "deleted": false, "is_bot": false, "is_email_confirmed": user.confirmed,
               "profile": {"email": user.email, "real_name": user.id}})
    };
    let answer = match method.as_str() {
        "users.info" => match users.iter().find(|u| body["user"] == u.id) {
            Some(user) => json!({"ok": true, "user": user_json(user)}),
            None => json!({"ok": false, "error": "user_not_found"}),
        },
        "users.lookupByEmail" => match users.iter().find(|u| {
            u.confirmed
                && body["email"]
                    .as_str()
                    .is_some_and(|e| e.eq_ignore_ascii_case(u.email))
        }) {
            Some(user) => json!({"ok": true, "user": user_json(user)}),
            None => json!({"ok": false, "error": "users_not_found"}),
        },
        "chat.postMessage" => {
            if body["channel"].as_str().unwrap_or_default().is_empty() {
                json!({"ok": false, "error": "channel_not_found"})
            } else {
                let ts = inner.next_ts.fetch_add(1, Ordering::SeqCst);
                json!({"ok": true, "channel": format!("D{}", body["channel"].as_str().unwrap_or_default()),
                       "ts": format!("1700000000.{ts:06}"), "message": {"text": body["text"], "blocks": body["blocks"]}})
            }
        }
        "chat.update" => {
            json!({"ok": true, "channel": body["channel"], "ts": body["ts"], "text": body["text"]})
        }
        "views.open" | "views.update" | "views.publish" => {
            if body["view"].is_object() {
                json!({"ok": true, "view": {"id": "V1", "hash": "h1"}})
            } else {
                json!({"ok": false, "error": "invalid_arguments"})
            }
        }
        _ => json!({"ok": false, "error": "unknown_method"}),
    };
    Json(answer).into_response()
}

/// One message the SMTP server accepted.
#[derive(Clone, Debug)]
pub struct Mail {
    pub from: String,
    pub to: Vec<String>,
    pub data: String,
}

impl Mail {
    /// The Subject header, unfolded.
    pub fn subject(&self) -> String {
        let mut subject: Option<String> = None;
        for line in self.data.lines() {
            match &mut subject {
                None => subject = line.strip_prefix("Subject: ").map(str::to_owned),
                Some(text) if line.starts_with(' ') || line.starts_with('\t') => {
                    text.push_str(line)
                }
                Some(_) => break,
            }
        }
        subject.unwrap_or_default()
    }
}

/// A tiny SMTP server (plain, no TLS) that captures messages.
#[derive(Clone)]
pub struct SmtpCapture {
    pub port: u16,
    mails: Arc<Mutex<Vec<Mail>>>,
    failing: Arc<AtomicBool>,
}

impl SmtpCapture {
    pub async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let capture = Self {
            port,
            mails: Arc::default(),
            failing: Arc::default(),
        };
        let server = capture.clone();
        tokio::spawn(async move {
            loop {
                let Ok((socket, _)) = listener.accept().await else {
                    break;
                };
                let server = server.clone();
                tokio::spawn(async move { server.session(socket).await });
            }
        });
        capture
    }

    /// While failing, connections are greeted with 421 (try again later).
    pub fn set_failing(&self, failing: bool) {
        self.failing.store(failing, Ordering::SeqCst);
    }

    pub fn mails(&self) -> Vec<Mail> {
        self.mails.lock().unwrap().clone()
    }

    pub fn mails_to(&self, address: &str) -> Vec<Mail> {
        self.mails()
            .into_iter()
            .filter(|m| m.to.iter().any(|t| t.contains(address)))
            .collect()
    }

    async fn session(&self, socket: tokio::net::TcpStream) {
        let (read, mut write) = socket.into_split();
        let mut lines = BufReader::new(read).lines();
        if self.failing.load(Ordering::SeqCst) {
            let _ = write
                .write_all(b"421 localhost Service not available, try later\r\n")
                .await;
            return;
        }
        let _ = write.write_all(b"220 localhost ESMTP capture\r\n").await;
        let mut from = String::new();
        let mut to = Vec::new();
        while let Ok(Some(line)) = lines.next_line().await {
            let upper = line.to_uppercase();
            let reply: &[u8] = if upper.starts_with("EHLO") || upper.starts_with("HELO") {
                b"250-localhost\r\n250 8BITMIME\r\n"
            } else if upper.starts_with("MAIL FROM:") {
                from = line[10..].trim().to_owned();
                b"250 OK\r\n"
            } else if upper.starts_with("RCPT TO:") {
                to.push(line[8..].trim().to_owned());
                b"250 OK\r\n"
            } else if upper == "DATA" {
                let _ = write
                    .write_all(b"354 End data with <CR><LF>.<CR><LF>\r\n")
                    .await;
                let mut data = String::new();
                while let Ok(Some(line)) = lines.next_line().await {
                    if line == "." {
                        break;
                    }
                    data.push_str(&line);
                    data.push('\n');
                }
                self.mails.lock().unwrap().push(Mail {
                    from: from.clone(),
                    to: std::mem::take(&mut to),
                    data,
                });
                b"250 OK queued\r\n"
            } else if upper == "QUIT" {
                let _ = write.write_all(b"221 Bye\r\n").await;
                return;
            } else if upper == "RSET" || upper == "NOOP" {
                b"250 OK\r\n"
            } else {
                b"502 Command not implemented\r\n"
            };
            if write.write_all(reply).await.is_err() {
                return;
            }
        }
    }
}
