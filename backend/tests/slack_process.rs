//! The real binary with Slack and e-mail configured by environment: it
//! verifies Slack's signatures, and messages still in the outbox when it is
//! stopped are delivered after it starts again. On the store under test
//! (`common::process_db`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::{common, fakes};

use std::{
    io::{BufRead, BufReader},
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use fakes::{BOT_TOKEN, FakeSlack, SIGNING_SECRET, SmtpCapture, world::World};
use gatehouse::{db::Db, demo, slack::verify};
use serde_json::json;

struct Server {
    child: Child,
    url: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(db: &str, slack: &FakeSlack, smtp: &SmtpCapture) -> Server {
    let mut child = Command::new(env!("CARGO_BIN_EXE_gatehouse"))
        .args(["serve", "--listen", "127.0.0.1:0", "--db"])
        .arg(db)
        .env("GATEHOUSE_LOG", "warn")
        .env("GATEHOUSE_SLACK_BOT_TOKEN", BOT_TOKEN)
        .env("GATEHOUSE_SLACK_SIGNING_SECRET", SIGNING_SECRET)
        .env("GATEHOUSE_SLACK_API_URL", &slack.url)
        .env("GATEHOUSE_SMTP_HOST", "127.0.0.1")
        .env("GATEHOUSE_SMTP_PORT", smtp.port.to_string())
        .env("GATEHOUSE_SMTP_SECURITY", "none")
        .env("GATEHOUSE_SMTP_FROM", "Gatehouse <gatehouse@example.com>")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut reader = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    reader.read_line(&mut line).unwrap();
    std::thread::spawn(move || std::io::copy(&mut reader, &mut std::io::sink()));
    let url = line
        .trim()
        .strip_prefix("Gatehouse is running at ")
        .unwrap()
        .trim_end_matches('/')
        .to_owned();
    Server { child, url }
}

use common::query_i64_blocking as count;

fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(15);
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn slash(url: &str, secret: &str, text: &str) -> (u16, String) {
    let body = World::command_body("UALICE", text);
    let now = time::OffsetDateTime::now_utc().unix_timestamp().to_string();
    let signature = verify::sign(secret.as_bytes(), &now, body.as_bytes());
    let response = ureq::post(&format!("{url}/slack/commands"))
        .set("Content-Type", "application/x-www-form-urlencoded")
        .set("X-Slack-Request-Timestamp", &now)
        .set("X-Slack-Signature", &signature)
        .send_string(&body);
    match response {
        Ok(r) => (r.status(), r.into_string().unwrap()),
        Err(ureq::Error::Status(code, r)) => (code, r.into_string().unwrap()),
        Err(error) => panic!("{error}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_binary_verifies_slack_and_delivers_the_outbox_after_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let location = common::process_db(dir.path());
    let db = Db::connect(&location).unwrap();
    demo::seed(&db, time::OffsetDateTime::now_utc().unix_timestamp())
        .await
        .unwrap();
    let slack = FakeSlack::with_demo_users().await;
    let smtp = SmtpCapture::start().await;
    let (db2, slack2, smtp2) = (db.clone(), slack.clone(), smtp.clone());
    tokio::task::spawn_blocking(move || {
        let (db, slack, smtp) = (db2, slack2, smtp2);
        let server = start(&location, &slack, &smtp);
        let (status, body) = slash(&server.url, SIGNING_SECRET, "help");
        assert_eq!(status, 200, "{body}");
        assert!(body.contains("ephemeral"), "{body}");
        let (status, body) = slash(&server.url, "forged", "help");
        assert_eq!(status, 401, "{body}");

        // Slack and the mail server are down when alice asks for access.
        slack.set_down(true);
        smtp.set_failing(true);
        let login = ureq::post(&format!("{}/api/v1/session", server.url))
            .send_json(json!({"username": "alice", "password": demo::DEMO_PASSWORD}))
            .unwrap();
        let cookie = login.header("set-cookie").unwrap().split(';').next().unwrap().to_owned();
        let billing = count(&db, "SELECT id FROM resources WHERE path = 'billing'");
        ureq::post(&format!("{}/api/v1/requests", server.url))
            .set("Cookie", &cookie)
            .set("Origin", &server.url)
            .send_json(json!({"items": [{"resource_id": billing, "permission": "read-only"}], "duration_seconds": 3600, "justification": "x"}))
            .unwrap();
        wait_for("a failed attempt", || count(&db, "SELECT COUNT(*) FROM outbox WHERE state = 'pending' AND attempts >= 1") == 4);
        drop(server);

        // Down for a while: the retry is due when it starts again, the services are back.
        common::blocking(db.write(|tx| Ok(tx.execute("UPDATE outbox SET next_attempt_at = 0", [])?)))
            .unwrap();
        slack.set_down(false);
        smtp.set_failing(false);
        let _server = start(&location, &slack, &smtp);
        wait_for("delivery", || count(&db, "SELECT COUNT(*) FROM outbox WHERE state = 'delivered'") == 4);
        assert_eq!(smtp.mails().len(), 2);
        assert_eq!(slack.calls_of("chat.postMessage").len(), 2);
    })
    .await
    .unwrap();
}
