//! Connectors grant and remove access in target systems. The built-in demo
//! connector grants at once; real ones (PostgreSQL, webhook) come later.

use std::fmt::Debug;

/// One resource and permission to grant or remove.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GrantItem {
    pub integration_kind: String,
    pub integration_name: String,
    pub resource_path: String,
    pub permission: String,
}

/// Everything a connector needs to act on one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    pub request_id: i64,
    pub grantee_username: String,
    pub expires_at: i64,
    pub items: Vec<GrantItem>,
}

/// Grants and removes access. Calls run on the blocking pool; an `Err`
/// carries a reason shown on the request (grant) or retried (removal).
pub trait Connector: Send + Sync + Debug + 'static {
    fn grant(&self, grant: &Grant) -> Result<(), String>;
    fn extend(&self, _grant: &Grant) -> Result<(), String> {
        Ok(())
    }
    fn revoke(&self, grant: &Grant) -> Result<(), String>;
}

/// Grants and removes at once, touching nothing.
#[derive(Debug, Default, Clone, Copy)]
pub struct DemoConnector;

impl Connector for DemoConnector {
    fn grant(&self, grant: &Grant) -> Result<(), String> {
        tracing::info!(request = grant.request_id, grantee = %grant.grantee_username, items = grant.items.len(), "demo connector: granted");
        Ok(())
    }

    fn revoke(&self, grant: &Grant) -> Result<(), String> {
        tracing::info!(request = grant.request_id, grantee = %grant.grantee_username, "demo connector: removed");
        Ok(())
    }
}
