//! A real MCP client, the official Python SDK (`mcp` from PyPI, installed in
//! .venv by scripts/setup-test), drives the real binary: over Streamable
//! HTTP it lists the tools, asks Assist, previews and files a request that
//! waits for bob, and lists it; another user's token sees none of it; over
//! stdio (`gatehouse mcp`, with the token `gatehouse login` stored) it
//! cancels the request. Skipped, loudly, when .venv has no `mcp`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common;

use std::{
    path::{Path, PathBuf},
    process::Command,
};

use serde_json::{Value, json};

use common::serve_demo as serve;

fn venv_python() -> Option<PathBuf> {
    let python = Path::new(env!("CARGO_MANIFEST_DIR")).join("../.venv/bin/python");
    let has_mcp = Command::new(&python)
        .args(["-c", "import mcp.client.streamable_http"])
        .output()
        .is_ok_and(|o| o.status.success());
    has_mcp.then_some(python)
}

#[test]
fn the_python_mcp_sdk_files_a_request_that_waits_for_bob_and_no_one_else_sees_it() {
    // A missing SDK fails the test rather than skipping it: the suite is
    // only whole with a real MCP client (scripts/setup-test installs it).
    let python =
        venv_python().expect("the MCP Python SDK is missing from .venv: run scripts/setup-test");
    let dir = tempfile::tempdir().unwrap();
    let server = serve(dir.path());
    let alice = common::api_token(&server.url, "alice");
    // dave: a user with no part in alice's request (bob approves it, so he may see it).
    let agent = ureq::AgentBuilder::new().build();
    let carol = agent
        .post(&format!("{}/api/v1/session", server.url))
        .send_json(json!({"username": "carol", "password": gatehouse::demo::DEMO_PASSWORD}))
        .unwrap()
        .header("set-cookie")
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    agent
        .post(&format!("{}/api/v1/admin/users", server.url))
        .set("Cookie", &carol)
        .send_json(json!({"username": "dave", "display_name": "Dave", "email": "dave@example.com", "password": gatehouse::demo::DEMO_PASSWORD}))
        .unwrap();
    let dave = common::api_token(&server.url, "dave");
    // `gatehouse login` stores alice's server and token for `gatehouse mcp`.
    let config = dir.path().join("config");
    let login = Command::new(env!("CARGO_BIN_EXE_gatehouse"))
        .args(["login", "--server", &server.url, "--username", "alice"])
        .env("GATEHOUSE_CONFIG_DIR", &config)
        .env("GATEHOUSE_PASSWORD", gatehouse::demo::DEMO_PASSWORD)
        .output()
        .unwrap();
    assert!(
        login.status.success(),
        "{}",
        String::from_utf8_lossy(&login.stderr)
    );

    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/mcp/client.py");
    let output = Command::new(python)
        .arg(script)
        .args([&server.url, &alice, &dave, env!("CARGO_BIN_EXE_gatehouse")])
        .arg(&config)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "the MCP client failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let seen: Value = serde_json::from_str(stdout.lines().last().unwrap()).unwrap();
    println!("{seen:#}");
    assert_eq!(seen["protocol"], "2025-06-18");
    assert_eq!(seen["tools"].as_array().unwrap().len(), 11);
    assert_eq!(
        seen["top"],
        json!({"name": "billing.invoices", "permission": "read-only"})
    );
    assert_eq!(seen["preview_problems"], json!([]));
    let id = seen["created"]["id"].clone();
    assert_eq!(seen["created"]["status"], "Pending Approval");
    assert_eq!(seen["created"]["via"], "python-sdk-test");
    assert!(seen["listed"].as_array().unwrap().contains(&id));
    assert_eq!(seen["waiting_on"], json!(["bob"]));
    assert!(!seen["their_ids"].as_array().unwrap().contains(&id));
    assert_eq!(seen["get_refused"], true);
    assert_eq!(seen["cancel_refused"], true);
    assert_eq!(seen["stdio_tools"], 11);
    assert_eq!(seen["cancelled_status"], "Revoked");
}
