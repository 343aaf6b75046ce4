//! The AWS layer of the connectors against a real moto server (PyPI
//! `moto[server]`, started by the tests on loopback with its access-key
//! checks on, so an unsigned or wrongly signed call fails as in AWS): STS
//! and IAM, IAM Identity Center and its identity store, the credential
//! chain; what moto cannot do (failed or slow assignments, container and
//! instance credentials) against a scripted HTTP server.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "aws/credentials.rs"]
mod credentials;
#[path = "aws/identity_center.rs"]
mod identity_center;
#[path = "aws/role_connector.rs"]
mod role_connector;
#[path = "aws/sts_iam.rs"]
mod sts_iam;
