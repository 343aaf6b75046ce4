//! Types of the Gatehouse REST API and the pure rules both the server and the portal use.
//!
//! Everything here is plain data and plain functions: no I/O, no clock, no randomness.

pub mod access;
pub mod admin;
pub mod assist;
pub mod auth;
pub mod bulk;
pub mod catalog;
pub mod duration;
pub mod error;
pub mod justification;
pub mod limits;
pub mod notifications;
pub mod requests;
pub mod rules;
pub mod schedule;
pub mod sso;
pub mod status;

pub use error::ApiError;
pub use status::RequestStatus;
