//! Every integration test of the server, in one test binary: each file
//! under `tests/` is a module here (the test named `matrix::every_route…`
//! is `tests/matrix.rs`), so a change to the server links one test binary,
//! not forty-four. `cargo nextest run` (scripts/test) runs each test in a
//! process of its own, so tests still share no process state; plain
//! `cargo test` runs them as threads of one process.
//!
//! The benchmarks in `bench_connectors.rs` are a binary of their own
//! (scripts/bench-connectors).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
mod fakes;

mod admin;
mod approval_rules;
mod architecture;
mod assist;
mod audit;
mod aws;
mod bounds;
mod bulk_review;
mod catalog;
mod catalog_cache;
mod cli;
mod cli_request;
mod conformance;
mod connections;
mod connectors;
mod copy;
mod duplicates;
mod hostile;
mod lanes;
mod ldap_connector;
mod leases;
mod matrix;
mod mcp;
mod mcp_client;
mod metrics;
mod mfa;
mod notifications;
mod openapi;
mod operations;
mod postgres_connector;
mod process;
mod races;
mod readiness;
mod replicas;
mod requests;
mod schedule;
mod scim;
mod serving;
mod session;
mod slack;
mod slack_process;
mod ssh_connector;
mod sso;
mod store_faults;
