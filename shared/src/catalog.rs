//! What can be requested: integrations, resource types with their permissions, resources.

use serde::{Deserialize, Serialize};

/// A connected system, e.g. "Prod PostgreSQL".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Integration {
    pub id: i64,
    pub name: String,
    /// The connector that grants access in this system, e.g. `postgresql`.
    pub kind: String,
    /// Shown to the requester on Access Granted, when present.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub admin_message: Option<String>,
    /// How grantees connect: `terminal`, `browser`, `app`.
    #[serde(default)]
    pub connection_options: Vec<String>,
    /// What grants access: `demo`, `postgresql`, `webhook` or `manual`.
    #[serde(default = "demo_connector")]
    pub connector: String,
    /// The connector's settings, for admins only, with secrets shown as `"(set)"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub settings: Option<serde_json::Value>,
    /// For admins: grants and removals in this integration whose last
    /// attempt failed and that are being retried.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub failing: i64,
    /// For admins: the reason of the latest of those failures.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
}

fn is_zero(value: &i64) -> bool {
    *value == 0
}

fn demo_connector() -> String {
    "demo".into()
}

/// A level of access a resource type offers, e.g. "read-only".
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Permission {
    pub id: i64,
    pub name: String,
}

/// A kind of resource in one integration (database, S3 bucket, repository…).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ResourceType {
    pub id: i64,
    pub integration_id: i64,
    pub integration_name: String,
    pub name: String,
    pub permissions: Vec<Permission>,
}

/// One requestable resource.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Resource {
    pub id: i64,
    pub name: String,
    /// Where the resource lives inside its integration, e.g. `billing/public/invoices`.
    pub path: String,
    pub tags: Vec<String>,
    pub integration_id: i64,
    pub integration_name: String,
    pub resource_type_id: i64,
    pub resource_type_name: String,
    /// The permissions this resource offers (narrowed to the permission filter, when one is set).
    pub permissions: Vec<Permission>,
}

/// One page of resources and how many match in all.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ResourcePage {
    pub items: Vec<Resource>,
    /// Resources matching the search and filters, across all pages.
    pub total: u64,
    pub offset: u64,
    pub limit: u32,
}

/// Resources by id: `?id=1&id=2` (at most 1,000).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct ResourceIdQuery {
    /// The resources' ids; repeat the key for each.
    #[serde(default)]
    pub id: Vec<i64>,
}

/// The filters of the By Resource list, as query parameters.
///
/// Multi-valued filters repeat the key: `?resource_type_id=1&resource_type_id=2`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct ResourceQuery {
    /// Case-insensitive text matched against the name, path and tags.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub search: Option<String>,
    /// Keep only resources of these resource types (any of them).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub resource_type_id: Vec<i64>,
    /// Keep only resources offering one of these permissions, by name.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub permission: Vec<String>,
    /// List what may be requested on behalf of this user (default: for me).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grantee_id: Option<i64>,
    /// Admins only: the whole catalog, not just what access flows let me request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub all: Option<bool>,
    /// How many matching resources to skip.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offset: Option<u64>,
    /// Page size, 1 to 1000 (default 50).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", param(minimum = 1, maximum = 1000))]
    pub limit: Option<u32>,
}

/// All ids of the resources a search and filters match, for "Select all".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ResourceIds {
    /// At most 1,000 ids, in list order.
    pub ids: Vec<i64>,
    /// How many resources match in all; more than `ids.len()` when the cap cut the list.
    pub total: u64,
}

/// One (resource, permission) of a bundle.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BundleItem {
    pub resource_id: i64,
    pub resource_name: String,
    pub integration_name: String,
    pub resource_type_name: String,
    pub permission: String,
}

/// A named set of resources with permissions, requested together.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Bundle {
    pub id: i64,
    pub name: String,
    pub description: String,
    /// Distinct resources in the bundle.
    pub resource_count: i64,
    pub items: Vec<BundleItem>,
}

/// Bundles matching a search, one page, with the total count.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BundlePage {
    pub items: Vec<Bundle>,
    pub total: u64,
}

/// Query of `GET /api/v1/bundles`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct BundleQuery {
    /// Full or partial bundle name, case-insensitive.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub search: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offset: Option<u64>,
    /// Page size, 1 to 1000 (default 50).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", param(minimum = 1, maximum = 1000))]
    pub limit: Option<u32>,
}

/// An integration with the resource types (and permissions) the caller may
/// request in it: the first levels of New Request's By App.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct App {
    pub integration: Integration,
    pub resource_types: Vec<ResourceType>,
}

/// Query of `GET /api/v1/apps`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct AppsQuery {
    /// What may be requested on behalf of this user (default: for me).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grantee_id: Option<i64>,
}
