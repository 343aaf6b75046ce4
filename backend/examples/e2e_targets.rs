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
    let target: Box<dyn Target> = match kind.as_str() {
        "postgresql" => Box::new(targets::postgres()),
        "mysql" => Box::new(targets::mariadb()),
        "ldap" => Box::new(targets::ldap()),
        "aws_identity_center" => Box::new(targets::identity_center()),
        other => {
            eprintln!(
                "e2e_targets: unknown kind {other:?} (postgresql, mysql, ldap, aws_identity_center)"
            );
            std::process::exit(2);
        }
    };
    let mut out = std::io::stdout().lock();
    let started = serde_json::json!({
        "kind": target.kind(),
        "settings": target.settings(),
        "items": target.items(),
    });
    writeln!(out, "{started}").unwrap();
    out.flush().unwrap();
    for line in std::io::stdin().lock().lines() {
        let Ok(line) = line else { break };
        let answer = match line.split('\t').collect::<Vec<_>>().as_slice() {
            ["works", login, secret, path] => {
                let secret = (!secret.is_empty()).then_some(*secret);
                if target.works(login, secret, path) {
                    "yes"
                } else {
                    "no"
                }
            }
            _ => "?",
        };
        writeln!(out, "{answer}").unwrap();
        out.flush().unwrap();
    }
}
