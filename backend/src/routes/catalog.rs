//! The catalog as requesters browse it: resources (searched, filtered, paged),
//! resource types with their permissions, and integrations.

use std::sync::Arc;

use axum::{Json, extract::State};
use gatehouse_shared::{
    ApiError,
    catalog::{
        App, AppsQuery, Integration, Resource, ResourceIds, ResourcePage, ResourceQuery,
        ResourceType,
    },
    limits,
};
use serde::{Serialize, Serializer, ser::SerializeStruct};

use crate::{
    auth::CurrentUser,
    engine,
    error::AppError,
    extract::AppQuery,
    routes::{page_size, search_text},
    state::AppState,
    store,
    store::catalog::ResourceFilter,
};

/// Check the query's sizes and turn it into a store filter.
fn filter_from(query: &ResourceQuery, user: &CurrentUser) -> Result<ResourceFilter, AppError> {
    if query.all == Some(true) {
        user.require_admin()?;
    }
    let search = search_text(query.search.as_deref())?.map(|s| s.to_lowercase());
    if query.resource_type_id.len() > limits::MAX_FILTER_VALUES {
        return Err(AppError::invalid(
            "resource_type_id",
            format!(
                "Filter on at most {} resource types.",
                limits::MAX_FILTER_VALUES
            ),
        ));
    }
    if query.permission.len() > limits::MAX_FILTER_VALUES {
        return Err(AppError::invalid(
            "permission",
            format!(
                "Filter on at most {} permissions.",
                limits::MAX_FILTER_VALUES
            ),
        ));
    }
    Ok(ResourceFilter {
        search,
        resource_type_ids: query.resource_type_id.clone(),
        permissions: query.permission.clone(),
        requestable: None,
    })
}

/// A [`ResourcePage`] as it goes on the wire, written straight from the
/// cached items instead of a copy of them.
pub struct ResourcePageBody {
    items: Arc<Vec<Resource>>,
    total: u64,
    offset: u64,
    limit: u32,
}

impl Serialize for ResourcePageBody {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut page = serializer.serialize_struct("ResourcePage", 4)?;
        page.serialize_field("items", self.items.as_slice())?;
        page.serialize_field("total", &self.total)?;
        page.serialize_field("offset", &self.offset)?;
        page.serialize_field("limit", &self.limit)?;
        page.end()
    }
}

/// Resources the caller may request (what some access flow of theirs covers,
/// with only the permissions it allows) matching a search and filters, one
/// page at a time, ordered by name then id (so pages never overlap or skip),
/// with the total count. Admins may pass `all=true` for the whole catalog.
#[utoipa::path(
    get,
    path = "/api/v1/resources",
    tag = "catalog",
    security(("session_cookie" = []), ("api_token" = [])),
    params(ResourceQuery),
    responses(
        (status = 200, description = "One page of matching resources", body = ResourcePage),
        (status = 400, description = "Malformed query string", body = ApiError),
        (status = 401, description = "Not signed in", body = ApiError),
        (status = 403, description = "`all=true` asked by someone who is not an admin", body = ApiError),
        (status = 422, description = "A value outside its limits", body = ApiError,
            example = json!({"code": "validation_failed", "message": "Page size is 1 to 1000.", "field": "limit"})),
    )
)]
pub async fn list_resources(
    State(state): State<AppState>,
    user: CurrentUser,
    AppQuery(query): AppQuery<ResourceQuery>,
) -> Result<Json<ResourcePageBody>, AppError> {
    let filter = filter_from(&query, &user)?;
    let limit = page_size(query.limit)?;
    let offset = query.offset.unwrap_or(0);
    if offset > i64::MAX as u64 {
        return Err(AppError::invalid("offset", "Offset is too large."));
    }
    let lister = engine::lister(&query, user.id);
    let db = state.db.clone();
    let (total, items) = state
        .db
        .read(move |snapshot| {
            // One snapshot: the catalog generation and the rows it names.
            store::catalog::cached_listing(
                snapshot,
                db.catalog_cache(),
                filter,
                lister,
                Some((offset, limit)),
            )
        })
        .await?;
    Ok(Json(ResourcePageBody {
        items: items.unwrap_or_default(),
        total,
        offset,
        limit,
    }))
}

/// The ids of all resources the search and filters match (at most 1,000, the
/// most one request may hold), for "Select all".
#[utoipa::path(
    get,
    path = "/api/v1/resources/ids",
    tag = "catalog",
    security(("session_cookie" = []), ("api_token" = [])),
    params(ResourceQuery),
    responses(
        (status = 200, description = "Matching ids, capped at 1,000, and the full count", body = ResourceIds),
        (status = 400, description = "Malformed query string", body = ApiError),
        (status = 401, description = "Not signed in", body = ApiError),
        (status = 403, description = "`all=true` asked by someone who is not an admin", body = ApiError),
        (status = 422, description = "A value outside its limits", body = ApiError),
    )
)]
pub async fn list_resource_ids(
    State(state): State<AppState>,
    user: CurrentUser,
    AppQuery(query): AppQuery<ResourceQuery>,
) -> Result<Json<ResourceIds>, AppError> {
    let mut filter = filter_from(&query, &user)?;
    let lister = engine::lister(&query, user.id);
    let db = state.db.clone();
    let ids = state
        .db
        .read(move |snapshot| {
            let (total, _) = store::catalog::cached_listing(
                snapshot,
                db.catalog_cache(),
                filter.clone(),
                lister,
                None,
            )?;
            engine::restrict_to_requestable(snapshot, &mut filter, &query, user.id)?;
            let ids =
                store::catalog::resource_ids(snapshot, &filter, limits::MAX_RESOURCES_PER_FORM)?;
            Ok(ResourceIds { ids, total })
        })
        .await?;
    Ok(Json(ids))
}

/// Every resource type with its integration and permissions (the filter choices).
#[utoipa::path(
    get,
    path = "/api/v1/resource-types",
    tag = "catalog",
    security(("session_cookie" = []), ("api_token" = [])),
    responses(
        (status = 200, description = "All resource types", body = [ResourceType]),
        (status = 401, description = "Not signed in", body = ApiError),
    )
)]
pub async fn list_resource_types(
    State(state): State<AppState>,
    _user: CurrentUser,
) -> Result<Json<Vec<ResourceType>>, AppError> {
    Ok(Json(
        state.db.call(store::catalog::list_resource_types).await?,
    ))
}

/// Every integration (connected system).
#[utoipa::path(
    get,
    path = "/api/v1/integrations",
    tag = "catalog",
    security(("session_cookie" = []), ("api_token" = [])),
    responses(
        (status = 200, description = "All integrations", body = [Integration]),
        (status = 401, description = "Not signed in", body = ApiError),
    )
)]
pub async fn list_integrations(
    State(state): State<AppState>,
    _user: CurrentUser,
) -> Result<Json<Vec<Integration>>, AppError> {
    Ok(Json(
        state.db.call(store::catalog::list_integrations).await?,
    ))
}

/// By App: the integrations, resource types and permissions the caller may
/// request (for themselves, or on behalf of `grantee_id`). The resources of a
/// type come from `GET /api/v1/resources?resource_type_id=…`.
#[utoipa::path(
    get,
    path = "/api/v1/apps",
    tag = "catalog",
    security(("session_cookie" = []), ("api_token" = [])),
    params(AppsQuery),
    responses(
        (status = 200, description = "Requestable integrations with their types and permissions", body = [App]),
        (status = 400, description = "Malformed query", body = ApiError),
        (status = 401, description = "Not signed in", body = ApiError),
    )
)]
pub async fn list_apps(
    State(state): State<AppState>,
    user: CurrentUser,
    AppQuery(query): AppQuery<AppsQuery>,
) -> Result<Json<Vec<App>>, AppError> {
    let apps = state
        .db
        .call(move |conn| engine::requestable_apps(conn, user.id, query.grantee_id))
        .await?;
    Ok(Json(apps))
}

#[cfg(test)]
mod tests {
    use gatehouse_shared::catalog::Permission;

    use super::*;

    #[test]
    fn the_page_body_is_written_as_a_resource_page() {
        let resource = Resource {
            id: 7,
            name: "ledger".into(),
            path: "db/public/ledger".into(),
            tags: vec!["pii".into()],
            integration_id: 1,
            integration_name: "PostgreSQL".into(),
            resource_type_id: 2,
            resource_type_name: "table".into(),
            permissions: vec![Permission {
                id: 3,
                name: "read-only".into(),
            }],
        };
        let page = ResourcePage {
            items: vec![resource.clone()],
            total: 9,
            offset: 50,
            limit: 25,
        };
        let body = ResourcePageBody {
            items: Arc::new(vec![resource]),
            total: 9,
            offset: 50,
            limit: 25,
        };
        assert_eq!(
            serde_json::to_string(&body).unwrap(),
            serde_json::to_string(&page).unwrap()
        );
    }
}
