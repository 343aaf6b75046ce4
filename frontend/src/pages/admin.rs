//! The Admin pages: one module per section.

pub mod audit;
pub mod bundles;
pub mod flows;
pub mod integration_drift;
pub mod integration_settings;
pub mod integrations;
pub mod people;
pub mod resource_types;
pub mod resources;
pub mod sign_in;
pub mod ticket_types;
