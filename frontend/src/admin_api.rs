//! The admin API: lists, one save (create or replace) and one delete for
//! every kind of thing admins manage, and the audit log.

use gatehouse_shared::{
    ApiError,
    access::{ConnectionCheck, SyncResult},
    admin::DriftReport,
    catalog::ResourcePage,
    requests::AuditPage,
};
use gloo_net::http::{Request, RequestBuilder};

use crate::api::{client_error, decode, fetch, send, sent};

/// What an admin list is about, as its path under `/api/v1/admin/`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Collection {
    Integrations,
    ResourceTypes,
    Resources,
    Bundles,
    AccessFlows,
    Users,
    Groups,
    TicketTypes,
}

impl Collection {
    fn path(self) -> &'static str {
        match self {
            Collection::Integrations => "integrations",
            Collection::ResourceTypes => "resource-types",
            Collection::Resources => "resources",
            Collection::Bundles => "bundles",
            Collection::AccessFlows => "access-flows",
            Collection::Users => "users",
            Collection::Groups => "groups",
            Collection::TicketTypes => "ticket-types",
        }
    }
}

/// Create (`id` absent) or replace one with `json`, the input as JSON text.
/// The answer's body is not read: the list loads again after a save.
pub async fn save(collection: Collection, id: Option<i64>, json: String) -> Result<(), ApiError> {
    let builder = match id {
        Some(id) => Request::put(&format!("/api/v1/admin/{}/{id}", collection.path())),
        None => Request::post(&format!("/api/v1/admin/{}", collection.path())),
    };
    let request = builder
        .header("Content-Type", "application/json")
        .body(json)
        .map_err(|error| client_error(&error))?;
    sent(request, true).await?;
    Ok(())
}

/// Delete one; the server refuses (409) while something still uses it.
pub async fn delete(collection: Collection, id: i64) -> Result<(), ApiError> {
    let path = format!("/api/v1/admin/{}/{id}", collection.path());
    send(Request::delete(&path), true).await?;
    Ok(())
}

// The lists below are requests, not calls: admin pages load them with
// `admin_page::load`, which sends every one through the same resource.

/// Every integration with its connector and settings (secrets redacted).
pub fn integrations() -> RequestBuilder {
    Request::get("/api/v1/admin/integrations")
}

/// Test an integration's connection with its saved settings.
pub async fn test_integration(id: i64) -> Result<ConnectionCheck, ApiError> {
    let path = format!("/api/v1/admin/integrations/{id}/test");
    decode(fetch(Request::post(&path), true).await?)
}

/// Read the target system's catalog and add what is missing.
pub async fn sync_integration(id: i64) -> Result<SyncResult, ApiError> {
    let path = format!("/api/v1/admin/integrations/{id}/sync");
    decode(fetch(Request::post(&path), true).await?)
}

/// The integration's last drift check, as `DriftReport`.
pub fn drift(id: i64) -> RequestBuilder {
    Request::get(&format!("/api/v1/admin/integrations/{id}/drift"))
}

/// Check the integration for drift now (and remove it, when the integration
/// enforces). A target that cannot be reached answers a report with `error`.
pub async fn check_drift(id: i64) -> Result<DriftReport, ApiError> {
    let path = format!("/api/v1/admin/integrations/{id}/drift");
    decode(fetch(Request::post(&path), true).await?)
}

/// The SSH user CA's public key line, for hosts' `TrustedUserCAKeys` (made
/// on first use).
pub async fn ssh_ca() -> Result<String, ApiError> {
    Ok(fetch(Request::get("/api/v1/ssh/ca"), true)
        .await?
        .trim()
        .to_owned())
}

/// The identity provider's settings, as `SsoSettings`.
pub fn sso_settings() -> RequestBuilder {
    Request::get("/api/v1/admin/sso")
}

/// Save the identity provider's settings.
pub async fn save_sso(
    input: &gatehouse_shared::sso::SsoSettingsInput,
) -> Result<gatehouse_shared::sso::SsoSettings, ApiError> {
    let body = serde_json::to_string(input).map_err(|error| client_error(&error))?;
    let request = Request::put("/api/v1/admin/sso")
        .header("Content-Type", "application/json")
        .body(body)
        .map_err(|error| client_error(&error))?;
    decode(crate::api::fetch_sent(request, true).await?)
}

/// Make or rotate the SCIM token (shown once).
pub async fn rotate_scim_token() -> Result<gatehouse_shared::sso::CreatedScimToken, ApiError> {
    decode(fetch(Request::post("/api/v1/admin/scim-token"), true).await?)
}

/// Turn SCIM off.
pub async fn delete_scim_token() -> Result<(), ApiError> {
    send(Request::delete("/api/v1/admin/scim-token"), true).await?;
    Ok(())
}

/// Every user, as `Vec<User>`.
pub fn users() -> RequestBuilder {
    Request::get("/api/v1/admin/users")
}

/// Every group, as `Vec<Group>`.
pub fn groups() -> RequestBuilder {
    Request::get("/api/v1/admin/groups")
}

/// Every ticket type, as `Vec<TicketType>`.
pub fn ticket_types() -> RequestBuilder {
    Request::get("/api/v1/admin/ticket-types")
}

/// The resources with these ids, as `Vec<Resource>`.
pub fn resources_by_id(ids: &[i64]) -> RequestBuilder {
    Request::get("/api/v1/admin/resources").query(ids.iter().map(|id| ("id", id.to_string())))
}

/// Every access flow, as `Vec<AccessFlow>`.
pub fn flows() -> RequestBuilder {
    Request::get("/api/v1/admin/access-flows")
}

/// One page of the whole catalog (`all=true`), searched and filtered by
/// type, as a `ResourcePage`.
pub fn resources(
    search: &str,
    resource_type_id: Option<i64>,
    offset: u64,
    limit: u32,
) -> RequestBuilder {
    let mut params = vec![
        ("all", "true".to_owned()),
        ("offset", offset.to_string()),
        ("limit", limit.to_string()),
    ];
    if !search.trim().is_empty() {
        params.push(("search", search.trim().to_owned()));
    }
    if let Some(id) = resource_type_id {
        params.push(("resource_type_id", id.to_string()));
    }
    Request::get("/api/v1/resources").query(params)
}

/// [`resources`], sent.
pub async fn list_resources(
    search: &str,
    resource_type_id: Option<i64>,
    offset: u64,
    limit: u32,
) -> Result<ResourcePage, ApiError> {
    decode(fetch(resources(search, resource_type_id, offset, limit), true).await?)
}

/// One page of bundles, searched by name, as a `BundlePage`.
pub fn bundles(search: &str, offset: u64, limit: u32) -> RequestBuilder {
    let mut params = vec![("offset", offset.to_string()), ("limit", limit.to_string())];
    if !search.trim().is_empty() {
        params.push(("search", search.trim().to_owned()));
    }
    Request::get("/api/v1/bundles").query(params)
}

/// The audit log's filters, as the server takes them (times in RFC 3339).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditFilters {
    pub from: Option<String>,
    pub to: Option<String>,
    pub actor_id: Option<i64>,
    pub request_id: Option<i64>,
}

impl AuditFilters {
    /// The filters as query parameters (empty ones left out).
    pub fn params(&self) -> Vec<(&'static str, String)> {
        let mut params = Vec::new();
        if let Some(from) = &self.from {
            params.push(("from", from.clone()));
        }
        if let Some(to) = &self.to {
            params.push(("to", to.clone()));
        }
        if let Some(id) = self.actor_id {
            params.push(("actor_id", id.to_string()));
        }
        if let Some(id) = self.request_id {
            params.push(("request_id", id.to_string()));
        }
        params
    }
}

/// Entries per page on the Audit Log page; an export takes up to the server's maximum.
pub const AUDIT_PAGE: u32 = 50;
pub const AUDIT_EXPORT_MAX: u32 = 10_000;

/// One page of the audit log, newest first, as an `AuditPage`.
pub fn audit(filters: &AuditFilters, cursor: Option<i64>) -> RequestBuilder {
    let mut params = filters.params();
    params.push(("order", "newest".to_owned()));
    if let Some(cursor) = cursor {
        params.push(("cursor", cursor.to_string()));
    }
    params.push(("limit", AUDIT_PAGE.to_string()));
    Request::get("/api/v1/admin/audit").query(params)
}

/// [`audit`], sent.
pub async fn list_audit(
    filters: &AuditFilters,
    cursor: Option<i64>,
) -> Result<AuditPage, ApiError> {
    decode(fetch(audit(filters, cursor), true).await?)
}

/// The address of an export (`csv` or `jsonl`) with the same filters.
pub fn audit_export_url(
    filters: &AuditFilters,
    format: &str,
    encode: impl Fn(&str) -> String,
) -> String {
    let mut params = vec![("format", format.to_owned())];
    params.extend(filters.params());
    params.push(("limit", AUDIT_EXPORT_MAX.to_string()));
    let query: Vec<String> = params
        .iter()
        .map(|(key, value)| format!("{key}={}", encode(value)))
        .collect();
    format!("/api/v1/admin/audit?{}", query.join("&"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_export_carries_the_page_filters() {
        let filters = AuditFilters {
            from: Some("2026-11-22T09:00:00.000Z".into()),
            to: None,
            actor_id: Some(3),
            request_id: Some(12),
        };
        let url = audit_export_url(&filters, "csv", |v| v.replace(':', "%3A"));
        assert_eq!(
            url,
            "/api/v1/admin/audit?format=csv&from=2026-11-22T09%3A00%3A00.000Z&actor_id=3&request_id=12&limit=10000"
        );
        assert_eq!(
            audit_export_url(&AuditFilters::default(), "jsonl", str::to_owned),
            "/api/v1/admin/audit?format=jsonl&limit=10000"
        );
    }
}
