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
        // One message per line, as the stdio transport requires.
        let compact = serde_json::from_str::<Value>(&answer)
            .map(|v| v.to_string())
            .unwrap_or(answer);
        if writeln!(stdout, "{compact}")
            .and_then(|()| stdout.flush())
            .is_err()
        {
            break;
        }
    }
    ExitCode::SUCCESS
}
