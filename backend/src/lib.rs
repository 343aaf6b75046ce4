//! The Gatehouse server: REST API, background work and the embedded portal.

pub mod app;
pub mod auth;
pub mod cli;
pub mod clock;
pub mod connector;
pub mod demo;
pub mod engine;
pub mod error;
pub mod extract;
pub mod idp;
pub mod lease;
pub mod listener;
pub mod login_limit;
pub mod mcp;
pub mod memo;
pub mod metrics;
pub mod notify;
pub mod observe;
pub mod ops;
pub mod passwords;
pub mod portal;
pub mod proxy;
pub mod routes;
pub mod scim;
pub mod secrets;
pub mod security_headers;
pub mod slack;
pub mod state;
pub mod store;
pub use store::db;
pub mod totp;
pub mod transport;
pub mod uri;
pub mod worker;

pub use app::{app, openapi};
pub use state::AppState;
