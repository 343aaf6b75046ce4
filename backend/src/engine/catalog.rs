//! The catalog as a requester may use it: what their access flows let them
//! request, for themselves or on behalf of someone (the portal's By App and
//! resource lists, and Slack's Request Access modal).

use gatehouse_shared::catalog::{App, ResourceQuery, ResourceType};

use crate::{
    error::AppError,
    store::{
        self, Conn,
        catalog::{Lister, ResourceFilter},
    },
};

/// Narrow the filter to what the caller's access flows let them request (for
/// themselves, or on behalf of `grantee_id`), unless an admin asked for all.
pub fn restrict_to_requestable(
    conn: Conn<'_>,
    filter: &mut ResourceFilter,
    query: &ResourceQuery,
    user_id: i64,
) -> Result<(), AppError> {
    filter.requestable = match lister(query, user_id) {
        Lister::Everything => None,
        Lister::Caller { user_id, on_behalf } => {
            Some(store::catalog::requestable_flows(conn, user_id, on_behalf)?)
        }
    };
    Ok(())
}

/// Whose catalog a query lists: everything (an admin's `all=true`), or what
/// the caller may request for themselves or on behalf of `grantee_id`.
pub fn lister(query: &ResourceQuery, user_id: i64) -> Lister {
    if query.all == Some(true) {
        Lister::Everything
    } else {
        Lister::Caller {
            user_id,
            on_behalf: query.grantee_id.is_some_and(|grantee| grantee != user_id),
        }
    }
}

/// The integrations, resource types and permissions `user_id` may request
/// (for themselves, or on behalf of `grantee_id`): By App, in the portal and in Slack.
pub fn requestable_apps(
    conn: Conn<'_>,
    user_id: i64,
    grantee_id: Option<i64>,
) -> Result<Vec<App>, AppError> {
    let resource_query = ResourceQuery {
        grantee_id,
        ..ResourceQuery::default()
    };
    let mut filter = ResourceFilter::default();
    restrict_to_requestable(conn, &mut filter, &resource_query, user_id)?;
    let integrations = store::catalog::list_integrations(conn)?;
    let mut apps: Vec<App> = Vec::new();
    for resource_type in store::catalog::list_resource_types(conn)? {
        let mut permissions = Vec::new();
        for permission in &resource_type.permissions {
            let probe = ResourceFilter {
                resource_type_ids: vec![resource_type.id],
                permissions: vec![permission.name.clone()],
                ..filter.clone()
            };
            if !store::catalog::resource_ids(conn, &probe, 1)?.is_empty() {
                permissions.push(permission.clone());
            }
        }
        if permissions.is_empty() {
            continue;
        }
        let resource_type = ResourceType {
            permissions,
            ..resource_type
        };
        match apps
            .iter_mut()
            .find(|app| app.integration.id == resource_type.integration_id)
        {
            Some(app) => app.resource_types.push(resource_type),
            None => {
                if let Some(integration) = integrations
                    .iter()
                    .find(|i| i.id == resource_type.integration_id)
                {
                    apps.push(App {
                        integration: integration.clone(),
                        resource_types: vec![resource_type],
                    });
                }
            }
        }
    }
    apps.sort_by(|a, b| a.integration.name.cmp(&b.integration.name));
    Ok(apps)
}

/// The requestable resources of one type for `user_id` (for themselves or on
/// behalf of `grantee_id`), optionally searched and narrowed to a permission.
pub fn requestable_filter(
    conn: Conn<'_>,
    user_id: i64,
    grantee_id: Option<i64>,
    resource_type_id: i64,
    search: Option<String>,
    permission: Option<String>,
) -> Result<ResourceFilter, AppError> {
    let query = ResourceQuery {
        grantee_id,
        ..ResourceQuery::default()
    };
    let mut filter = ResourceFilter {
        search: search.map(|s| s.to_lowercase()),
        resource_type_ids: vec![resource_type_id],
        permissions: permission.into_iter().collect(),
        requestable: None,
    };
    restrict_to_requestable(conn, &mut filter, &query, user_id)?;
    Ok(filter)
}
