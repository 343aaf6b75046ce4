//! `gatehouse mcp`: the MCP tools over stdio, for clients that only start a
//! command (Claude Desktop, VS Code). A bridge: each line read on stdin (one
//! JSON-RPC message) goes to the server's `/mcp` with the token `gatehouse
//! login` stored, and each answer comes back as one line on stdout, so both
//! transports run exactly the same tools and checks.

use std::{
    io::{BufRead, Write},
    process::ExitCode,
};

use serde_json::{Value, json};

use crate::cli;

/// Run until stdin closes. Diagnostics go to stderr: stdout is the protocol's.
pub fn run() -> ExitCode {
    let saved = match cli::load() {
        Ok(saved) => saved,
        Err(message) => {
            eprintln!("gatehouse mcp: {message}");
            return ExitCode::FAILURE;
        }
    };
    let endpoint = format!("{}/mcp", saved.server.trim_end_matches('/'));
    let agent = ureq::AgentBuilder::new().redirects(0).build();
    let mut session: Option<String> = None;
    let stdin = std::io::stdin();
    let mut stdout = std::io::stdout();
    for line in stdin.lock().lines() {
        let Ok(line) = line else { break };
        if line.trim().is_empty() {
            continue;
        }
        let mut request = agent
            .post(&endpoint)
            .set("Authorization", &format!("Bearer {}", saved.token))
            .set("Content-Type", "application/json")
            .set("Accept", "application/json, text/event-stream");
        if let Some(id) = &session {
            request = request.set(super::SESSION_HEADER, id);
        }
        let answer = match request.send_string(&line) {
            Ok(response) => {
                if let Some(id) = response.header(super::SESSION_HEADER) {
                    session = Some(id.to_owned());
                }
                if response.status() == 202 {
                    continue;
                }
                response.into_string().unwrap_or_default()
            }
            Err(ureq::Error::Status(_, response)) => response.into_string().unwrap_or_default(),
            Err(other) => {
                eprintln!("gatehouse mcp: cannot reach {endpoint}: {other}");
                let id = serde_json::from_str::<Value>(&line)
                    .ok()
                    .and_then(|m| m.get("id").cloned())
                    .unwrap_or(Value::Null);
                json!({"jsonrpc": "2.0", "id": id, "error": {"code": -32603, "message": format!("Gatehouse is unreachable: {other}")}}).to_string()
            }
        };
        // One JSON-RPC message per line, as the stdio transport requires;
        // an HTTP refusal (a revoked token: 401) becomes a JSON-RPC error.
        let compact = match serde_json::from_str::<Value>(&answer) {
            Ok(message) if message.get("jsonrpc").is_some() || message.is_array() => {
                message.to_string()
            }
            parsed => {
                let id = serde_json::from_str::<Value>(&line)
                    .ok()
                    .and_then(|m| m.get("id").cloned())
                    .unwrap_or(Value::Null);
                let why = parsed
                    .ok()
                    .and_then(|v| v.get("message").and_then(Value::as_str).map(str::to_owned))
                    .unwrap_or_else(|| "Gatehouse refused the call".into());
                json!({"jsonrpc": "2.0", "id": id, "error": {"code": -32603, "message": format!("{why} (run `gatehouse login` again if the token was revoked)")}}).to_string()
            }
        };
        if writeln!(stdout, "{compact}")
            .and_then(|()| stdout.flush())
            .is_err()
        {
            break;
        }
    }
    ExitCode::SUCCESS
}
