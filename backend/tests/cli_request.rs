//! `gatehouse request` and `gatehouse requests` against the real binary
//! serving the demo: finding a resource, the preview, submitting, `--wait`
//! until Active (auto-approved, or approved by bob while it waits) or
//! rejected, and the refusals (ambiguous, unknown, bad duration…).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common;

use std::{
    process::{Command, Output, Stdio},
    time::{Duration, Instant},
};

use common::{all_output as all, api_token, cli, serve_demo};
use serde_json::{Value, json};

fn out(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn api(method: &str, url: &str, token: &str, body: Value) -> Value {
    let request = ureq::request(method, url).set("Authorization", &format!("Bearer {token}"));
    let answer = if body.is_null() {
        request.call()
    } else {
        request.send_json(body)
    };
    match answer {
        Ok(answer) => answer.into_json().unwrap(),
        Err(ureq::Error::Status(code, answer)) => {
            panic!("{method} {url}: {code} {}", answer.into_string().unwrap())
        }
        Err(other) => panic!("{method} {url}: {other}"),
    }
}

/// Alice's requests in `status`, as the API lists them.
fn alice_requests(url: &str, token: &str, status: &str) -> Vec<Value> {
    let status = status.replace(' ', "%20");
    api(
        "GET",
        &format!("{url}/api/v1/requests?status={status}"),
        token,
        Value::Null,
    )["items"]
        .as_array()
        .unwrap()
        .clone()
}

/// Wait for a request of alice's in `status` (a `--wait` run submitted it).
fn wait_for_request(url: &str, token: &str, status: &str) -> i64 {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(request) = alice_requests(url, token, status).first() {
            return request["id"].as_i64().unwrap();
        }
        assert!(Instant::now() < deadline, "no request became {status}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn request_from_the_terminal_previews_submits_and_waits() {
    let dir = tempfile::tempdir().unwrap();
    let server = serve_demo(dir.path());
    let url = server.url.clone();
    let config = dir.path().join("config");
    let logged_in = cli(&config, &["login", "--server", &url, "--username", "alice"]);
    assert!(logged_in.status.success(), "{}", all(&logged_in));
    let saved: Value =
        serde_json::from_slice(&std::fs::read(config.join("credentials.json")).unwrap()).unwrap();
    let alice = saved["token"].as_str().unwrap().to_owned();
    let bob = api_token(&url, "bob");

    let none = cli(&config, &["requests"]);
    assert!(none.status.success(), "{}", all(&none));
    assert!(out(&none).contains("No requests yet"), "{}", all(&none));

    // A name that matches several resources: they are listed, nothing is submitted.
    let ambiguous = cli(&config, &["request", "accounts", "--reason", "x"]);
    assert_eq!(ambiguous.status.code(), Some(2), "{}", all(&ambiguous));
    let listed = all(&ambiguous);
    assert!(
        listed.contains("\"accounts\" matches 5 resources"),
        "{listed}"
    );
    for database in ["analytics", "billing", "customers", "inventory", "orders"] {
        let row = format!("{database}/public/accounts {database}.accounts table (Prod PostgreSQL)");
        assert!(
            listed
                .lines()
                .any(|line| line.split_whitespace().collect::<Vec<_>>().join(" ") == row),
            "{listed}"
        );
    }

    let unknown = cli(&config, &["request", "no-such-thing"]);
    assert_eq!(unknown.status.code(), Some(1), "{}", all(&unknown));
    assert!(
        all(&unknown).contains("no resource you may request matches \"no-such-thing\""),
        "{}",
        all(&unknown)
    );

    let unreadable = cli(&config, &["request", "acme/docs", "--duration", "soon"]);
    assert_eq!(unreadable.status.code(), Some(2), "{}", all(&unreadable));
    assert!(
        all(&unreadable).contains("\"soon\" is not a duration: write it like 30m, 1h, 8h or 2d"),
        "{}",
        all(&unreadable)
    );
    // GitHub self-service offers 1 hour, 8 hours and a day.
    let not_offered = cli(&config, &["request", "acme/docs", "--duration", "2h"]);
    assert_eq!(not_offered.status.code(), Some(1), "{}", all(&not_offered));
    assert!(
        all(&not_offered)
            .contains("2 hours is not offered for acme/docs: choose --duration 1h, 8h, 1d"),
        "{}",
        all(&not_offered)
    );

    // Production databases offers read-only and read-write: one must be chosen.
    let which = cli(&config, &["request", "billing/public/invoices"]);
    assert_eq!(which.status.code(), Some(2), "{}", all(&which));
    assert!(
        all(&which).contains("choose one with --permission: read-only, read-write"),
        "{}",
        all(&which)
    );
    let not_offered = cli(
        &config,
        &["request", "billing/public/invoices", "-p", "admin"],
    );
    assert_eq!(not_offered.status.code(), Some(2), "{}", all(&not_offered));
    // The flow needs a justification: the preview says so, nothing is submitted.
    let no_reason = cli(
        &config,
        &["request", "billing/public/invoices", "-p", "read-only"],
    );
    assert_eq!(no_reason.status.code(), Some(1), "{}", all(&no_reason));
    assert!(
        all(&no_reason)
            .contains("requires a justification: why do you need this access? (--reason)"),
        "{}",
        all(&no_reason)
    );
    assert!(
        alice_requests(&url, &alice, "Pending Approval").is_empty()
            && alice_requests(&url, &alice, "Active").is_empty(),
        "refusals submit nothing"
    );

    // Auto-approved: the preview, then Active and the connect line at once.
    let docs = cli(
        &config,
        &[
            "request",
            "docs",
            "--reason",
            "Reviewing the docs build because it fails",
            "--wait",
        ],
    );
    assert!(docs.status.success(), "{}", all(&docs));
    let shown = all(&docs);
    assert!(
        shown.contains("Resource    acme/docs  (docs, repository in GitHub)"),
        "{shown}"
    );
    assert!(
        shown.contains("Duration    1 hour  (offered: 1h, 8h, 1d)"),
        "{shown}"
    );
    assert!(
        shown.contains("✓ Describes the task you are working on"),
        "{shown}"
    );
    assert!(shown.contains("○ Includes a ticket ID"), "{shown}");
    assert!(
        shown.contains("Flow        GitHub self-service: approved automatically"),
        "{shown}"
    );
    let active = alice_requests(&url, &alice, "Active");
    assert_eq!(active.len(), 1, "{active:?}");
    let docs_id = active[0]["id"].as_i64().unwrap();
    assert_eq!(active[0]["items"][0]["resource_path"], "acme/docs");
    assert_eq!(
        active[0]["duration_seconds"], 3600,
        "the flow's first duration"
    );
    assert!(
        out(&docs).contains(&format!("Request {docs_id}: Active"))
            && out(&docs)
                .trim_end()
                .ends_with(&format!("gatehouse connect {docs_id}")),
        "{}",
        out(&docs)
    );

    // Needs bob: --wait waits while it is Pending Approval, and sees Active
    // once bob approves.
    let mut waiting = Command::new(env!("CARGO_BIN_EXE_gatehouse"))
        .args([
            "request",
            "billing/public/invoices",
            "--permission",
            "read-only",
            "--duration",
            "4h",
            "--reason",
            "Checking failed invoice exports for OPS-12 because the job logs point at this table",
            "--wait",
            "--timeout",
            "2m",
        ])
        .env("GATEHOUSE_CONFIG_DIR", &config)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let invoices_id = wait_for_request(&url, &alice, "Pending Approval");
    std::thread::sleep(Duration::from_millis(1500));
    assert!(
        waiting.try_wait().unwrap().is_none(),
        "--wait waits for the approval"
    );

    // Asking again while it waits follows the same request (no duplicate);
    // a short --timeout gives up with the status.
    let again = cli(
        &config,
        &[
            "request",
            "billing/public/invoices",
            "-p",
            "read-only",
            "--wait",
            "--timeout",
            "2s",
        ],
    );
    assert_eq!(again.status.code(), Some(1), "{}", all(&again));
    assert!(
        all(&again).contains(&format!(
            "already covered by request {invoices_id} (Pending Approval"
        )) && all(&again).contains(&format!(
            "stopped waiting after 2 seconds: request {invoices_id} is still Pending Approval"
        )),
        "{}",
        all(&again)
    );
    assert_eq!(alice_requests(&url, &alice, "Pending Approval").len(), 1);

    api(
        "POST",
        &format!("{url}/api/v1/requests/{invoices_id}/approve"),
        &bob,
        json!({}),
    );
    let waited = waiting.wait_with_output().unwrap();
    assert!(waited.status.success(), "{}", all(&waited));
    let shown = all(&waited);
    assert!(
        shown.contains("Flow        Production databases: needs approval by Bob Approver (bob)"),
        "{shown}"
    );
    assert!(
        shown.contains("Clear justification: approvers have what they need."),
        "{shown}"
    );
    assert!(
        shown.contains(&format!(
            "Request {invoices_id}: waiting on Bob Approver (bob)"
        )),
        "{shown}"
    );
    let printed = out(&waited);
    assert!(
        printed.starts_with(&format!("Request {invoices_id}: Pending Approval\n"))
            && printed.contains(&format!("Request {invoices_id} is Active until "))
            && printed
                .trim_end()
                .ends_with(&format!("gatehouse connect {invoices_id}")),
        "{printed}"
    );
    let detail = api(
        "GET",
        &format!("{url}/api/v1/requests/{invoices_id}"),
        &alice,
        Value::Null,
    );
    assert_eq!(detail["status"], "Active");
    assert_eq!(detail["duration_seconds"], 4 * 3600);

    // Rejected while waiting: why, and exit 1.
    let waiting = Command::new(env!("CARGO_BIN_EXE_gatehouse"))
        .args([
            "request",
            "arn:aws:iam::123456789012:role/ReadOnlyAccess",
            "--reason",
            "Inspecting the S3 logs because the export job failed",
            "--ticket",
            "OPS-12",
            "--ticket-type",
            "Jira",
            "--wait",
        ])
        .env("GATEHOUSE_CONFIG_DIR", &config)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let role_id = wait_for_request(&url, &alice, "Pending Approval");
    api(
        "POST",
        &format!("{url}/api/v1/requests/{role_id}/reject"),
        &bob,
        json!({"reason": "Use the read-only replica instead"}),
    );
    let rejected = waiting.wait_with_output().unwrap();
    assert_eq!(rejected.status.code(), Some(1), "{}", all(&rejected));
    assert!(
        all(&rejected).contains("Flow        AWS production: needs approval by Bob Approver (bob), then Carol Admin (carol)")
            && all(&rejected).contains(&format!(
                "request {role_id} was rejected: Use the read-only replica instead"
            )),
        "{}",
        all(&rejected)
    );
    assert!(
        !out(&rejected).contains("gatehouse connect"),
        "{}",
        all(&rejected)
    );

    // My requests, newest first, with their status.
    let listed = cli(&config, &["requests"]);
    assert!(listed.status.success(), "{}", all(&listed));
    let lines: Vec<String> = out(&listed).lines().map(str::to_owned).collect();
    assert!(
        lines[0].starts_with("ID ") && lines[0].contains("STATUS"),
        "{lines:?}"
    );
    let row = |id: i64| {
        lines
            .iter()
            .position(|line| line.split_whitespace().next() == Some(id.to_string().as_str()))
            .unwrap_or_else(|| panic!("no line for {id}: {lines:?}"))
    };
    let (role_row, invoices_row, docs_row) = (row(role_id), row(invoices_id), row(docs_id));
    assert!(
        role_row < invoices_row && invoices_row < docs_row,
        "newest first: {lines:?}"
    );
    assert_eq!(lines.len(), 4, "{lines:?}");
    assert!(
        lines[role_row].contains("Rejected")
            && lines[role_row].contains("arn:aws:iam::123456789012:role/ReadOnlyAccess (assume)"),
        "{lines:?}"
    );
    assert!(
        lines[invoices_row].contains("Active")
            && lines[invoices_row].contains("billing/public/invoices (read-only)"),
        "{lines:?}"
    );
    assert!(
        lines[docs_row].contains("Active") && lines[docs_row].contains("acme/docs (read)"),
        "{lines:?}"
    );

    let active = cli(&config, &["requests", "--status", "active"]);
    assert!(active.status.success(), "{}", all(&active));
    let active = out(&active);
    assert!(
        active.contains("acme/docs")
            && active.contains("billing/public/invoices")
            && !active.contains("Rejected"),
        "{active}"
    );
    let none = cli(&config, &["requests", "--status", "pending-mfa"]);
    assert!(
        out(&none).contains("No requests with that status."),
        "{}",
        all(&none)
    );
    let unknown = cli(&config, &["requests", "--status", "approved"]);
    assert_eq!(unknown.status.code(), Some(2), "{}", all(&unknown));
    assert!(
        all(&unknown).contains("unknown status \"approved\""),
        "{}",
        all(&unknown)
    );
}
