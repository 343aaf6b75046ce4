//! One real target system for the browser journeys
//! (`e2e/tests/connectors.spec.ts`), started with the conformance suite's
//! own harness (`backend/tests/conformance/targets.rs`), so the journeys and
//! the suite use the same PostgreSQL, MariaDB, OpenLDAP and moto set-ups.
//!
//! `e2e_targets KIND` starts it and prints one JSON line: the connector kind,
//! the integration settings and the items the journeys request. Then it
//! answers lines on stdin, `works<TAB>login<TAB>secret<TAB>path`, with `yes`
//! or `no`: whether the target itself lets that login use that resource now.
//! It stops the target when stdin closes.
//!
//! `e2e_targets ssh` is a host for the SSH connector: it prints its settings
//! and the ssh client options, waits for `ca<TAB>key line` (the CA Gatehouse
//! made) to start sshd trusting it, then answers `krl<TAB>base64` (the
//! revocation list, as a host's timer fetches it: `ok`) and
//! `ssh<TAB>key<TAB>certificate` (whether sshd lets that key and certificate
//! log in now: `yes` or `no`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

// The harnesses the targets use, without the rest of the test support.
#[allow(dead_code)]
#[path = "../tests/common/ldap_server.rs"]
mod ldap_server;
#[allow(dead_code)]
#[path = "../tests/common/mariadb_server.rs"]
mod mariadb_server;
#[allow(dead_code)]
#[path = "../tests/common/moto_server.rs"]
mod moto_server;
#[allow(dead_code)]
#[path = "../tests/common/pg_server.rs"]
mod pg_server;
#[allow(dead_code)]
#[path = "../tests/common/ssh_server.rs"]
mod ssh_server;
mod common {
    pub(crate) use super::{ldap_server, mariadb_server, moto_server, pg_server};
}
#[allow(dead_code)]
#[path = "../tests/conformance/targets.rs"]
mod targets;

use std::io::{BufRead, Write};

use targets::Target;

fn main() {
    let kind = std::env::args().nth(1).unwrap_or_default();
    match kind.as_str() {
        "ssh" => return ssh_host(),
        "aws_role" => return roles(),
        _ => {}
    }
    let target: Box<dyn Target> = match kind.as_str() {
        "postgresql" => Box::new(targets::postgres()),
        "mysql" => Box::new(targets::mariadb()),
        "ldap" => Box::new(targets::ldap()),
        "aws_identity_center" => Box::new(targets::identity_center()),
        other => {
            eprintln!(
                "e2e_targets: unknown kind {other:?} (postgresql, mysql, ldap, aws_identity_center, aws_role, ssh)"
            );
            std::process::exit(2);
        }
    };
    let started = serde_json::json!({
        "kind": target.kind(),
        "settings": target.settings(),
        "items": target.items(),
    });
    answer_works(&started, |login, secret, path| {
        target.works(login, secret, path)
    });
}

/// Print what was started, then answer `works` lines until stdin closes.
fn answer_works(started: &serde_json::Value, works: impl Fn(&str, Option<&str>, &str) -> bool) {
    answer(started, |words| match words {
        ["works", login, secret, path] => {
            let secret = (!secret.is_empty()).then_some(*secret);
            if works(login, secret, path) {
                "yes"
            } else {
                "no"
            }
        }
        _ => "?",
    });
}

/// Print what was started, then answer each stdin line (its tab-separated
/// words) with one line, until stdin closes.
fn answer(started: &serde_json::Value, mut respond: impl FnMut(&[&str]) -> &'static str) {
    let mut out = std::io::stdout().lock();
    writeln!(out, "{started}").unwrap();
    out.flush().unwrap();
    for line in std::io::stdin().lock().lines() {
        let Ok(line) = line else { break };
        let words: Vec<&str> = line.split('\t').collect();
        writeln!(out, "{}", respond(&words)).unwrap();
        out.flush().unwrap();
    }
}

/// IAM roles in moto for the `aws_role` connector: one role the connector's
/// user may assume, whose sessions may list roles. `works` reads the keys
/// from the secret's `export` lines (whitespace for newlines) and asks moto
/// to list roles with them.
fn roles() {
    use gatehouse::connector::aws::AwsCredentials;
    let moto = moto_server::Moto::start();
    let admin = moto.admin();
    let trust = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{}:user/gatehouse-admin"}},"Action":"sts:AssumeRole"}}]}}"#,
        moto_server::ACCOUNT
    );
    admin
        .raw_query(
            "iam",
            "CreateRole",
            &[
                ("RoleName", "ops-readonly"),
                ("AssumeRolePolicyDocument", &trust),
            ],
        )
        .unwrap();
    let role = admin.get_role("ops-readonly").unwrap();
    admin
        .put_role_policy(
            &role.name,
            "work",
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:ListRoles","Resource":"*"}]}"#,
        )
        .unwrap();
    let started = serde_json::json!({
        "kind": "aws_role",
        "settings": {"region": moto_server::REGION, "endpoint": moto.endpoint(),
            "access_key_id": moto.admin.access_key_id, "secret_access_key": moto.admin.secret_access_key},
        "items": [["role", role.arn, "assume"]],
    });
    answer_works(&started, |_login, secret, _path| {
        let words: Vec<&str> = secret.unwrap_or_default().split_whitespace().collect();
        let value = |name: &str| {
            words
                .iter()
                .find_map(|w| w.strip_prefix(name).and_then(|v| v.strip_prefix('=')))
                .unwrap_or_default()
        };
        let keys = AwsCredentials::new(
            value("AWS_ACCESS_KEY_ID"),
            value("AWS_SECRET_ACCESS_KEY"),
            Some(value("AWS_SESSION_TOKEN")),
        );
        moto.client_with(keys).list_roles().is_ok()
    });
}

/// A host for the SSH connector's journey.
fn ssh_host() {
    use base64::Engine;
    let port = ssh_server::free_port();
    let login = ssh_server::LOGIN;
    let started = serde_json::json!({
        "kind": "ssh",
        "settings": {"host": "127.0.0.1", "port": port, "max_certificate_minutes": 5, "logins": [login]},
        "items": [["login", format!("127.0.0.1/{login}"), "login"]],
        "ssh_options": ssh_server::client_options(),
    });
    let mut server = None;
    answer(&started, |words| match (words, &server) {
        (["ca", key], None) => {
            server = Some(ssh_server::SshServer::start(port, &format!("{key}\n")));
            "started"
        }
        (["krl", list], Some(host)) => {
            let list = base64::engine::general_purpose::STANDARD
                .decode(list)
                .unwrap();
            host.set_revoked(&list);
            "ok"
        }
        (["ssh", key, cert], Some(host)) => {
            let output = host.ssh(
                std::path::Path::new(key),
                std::path::Path::new(cert),
                "echo in",
            );
            if String::from_utf8_lossy(&output.stdout).trim() == "in" {
                "yes"
            } else {
                "no"
            }
        }
        _ => "?",
    });
}
