//! The catalog: integrations, resource types with permissions, resources and their search.

mod cache;

use std::{collections::HashMap, sync::Arc};

use crate::store::sql::{Conn, Dialect, OptionalExtension, Value, params, params_from_iter};
pub use cache::{CatalogCache, FilterKey};
use gatehouse_shared::catalog::{Integration, Permission, Resource, ResourceType};

use crate::{
    error::AppError,
    store::{
        self,
        flows::{CandidateItem, Flow, Scope},
        placeholders,
    },
};

/// A validated resource search: what the By Resource list filters on.
#[derive(Debug, Clone, Default)]
pub struct ResourceFilter {
    /// Lower-cased search text; matched anywhere in name, path and tags.
    pub search: Option<String>,
    pub resource_type_ids: Vec<i64>,
    pub permissions: Vec<String>,
    /// Only what these flows let the caller request; None is the whole catalog.
    pub requestable: Option<Vec<Flow>>,
}

/// Every (resource type, permission name): small, read once per listing.
pub type PermissionIndex = Vec<(i64, String)>;

pub fn permission_index(conn: Conn<'_>) -> Result<PermissionIndex, AppError> {
    let mut statement = conn.prepare_cached("SELECT resource_type_id, name FROM permissions")?;
    let rows = statement
        .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(rows)
}

/// `r.resource_type_id IN (…)`: the types offering a permission named in
/// `names` (any, when None) and in the permission filter (any, when empty).
/// None when neither restricts. Deciding this per type, not per row, keeps
/// counting 100k resources cheap.
fn types_offering(
    index: &PermissionIndex,
    names: Option<&[String]>,
    filter: &[String],
    values: &mut Vec<Value>,
) -> Option<String> {
    if names.is_none() && filter.is_empty() {
        return None;
    }
    let mut types: Vec<i64> = index
        .iter()
        .filter(|(_, name)| names.is_none_or(|n| n.contains(name)))
        .filter(|(_, name)| filter.is_empty() || filter.contains(name))
        .map(|(type_id, _)| *type_id)
        .collect();
    types.sort_unstable();
    types.dedup();
    if types.is_empty() {
        return Some("1 = 0".to_owned());
    }
    values.extend(types.iter().map(|id| Value::Integer(*id)));
    Some(format!(
        "r.resource_type_id IN ({})",
        placeholders(types.len())
    ))
}

/// The condition under which one flow lets a resource be requested.
fn flow_condition(
    flow: &Flow,
    index: &PermissionIndex,
    filter: &[String],
    values: &mut Vec<Value>,
) -> Option<String> {
    let mut scopes = Vec::new();
    let ids = |kind: fn(&Scope) -> Option<i64>| -> Vec<i64> {
        flow.scope.iter().filter_map(kind).collect()
    };
    let integrations = ids(|s| {
        if let Scope::Integration(id) = s {
            Some(*id)
        } else {
            None
        }
    });
    let types = ids(|s| {
        if let Scope::ResourceType(id) = s {
            Some(*id)
        } else {
            None
        }
    });
    let resources = ids(|s| {
        if let Scope::Resource(id) = s {
            Some(*id)
        } else {
            None
        }
    });
    let tags: Vec<String> = flow
        .scope
        .iter()
        .filter_map(|s| {
            if let Scope::Tag(tag) = s {
                Some(tag.clone())
            } else {
                None
            }
        })
        .collect();
    for (column, list) in [
        ("r.integration_id", integrations),
        ("r.resource_type_id", types),
        ("r.id", resources),
    ] {
        if !list.is_empty() {
            scopes.push(format!("{column} IN ({})", placeholders(list.len())));
            values.extend(list.into_iter().map(Value::Integer));
        }
    }
    if !tags.is_empty() {
        scopes.push(format!(
            "EXISTS (SELECT 1 FROM resource_tags rt WHERE rt.resource_id = r.id AND rt.tag IN ({}))",
            placeholders(tags.len())
        ));
        values.extend(tags.into_iter().map(Value::Text));
    }
    if scopes.is_empty() {
        // Bundle-only flows make nothing requestable one by one.
        return None;
    }
    let names: Vec<String> = flow.permissions.iter().cloned().collect();
    let scope = format!("({})", scopes.join(" OR "));
    match types_offering(
        index,
        (!names.is_empty()).then_some(names.as_slice()),
        filter,
        values,
    ) {
        Some(types) => Some(format!("({scope} AND {types})")),
        None => Some(scope),
    }
}

impl ResourceFilter {
    fn uses_trigram_search(&self) -> bool {
        self.search.as_ref().is_some_and(|s| s.chars().count() >= 3)
    }

    /// The permissions a listed resource offers the caller: its type's,
    /// narrowed to the filter and to what the flows allow.
    fn narrow(&self, resource: &Resource, all: Vec<Permission>) -> Vec<Permission> {
        let tags = HashMap::from([(resource.id, resource.tags.clone())]);
        let no_bundles = std::collections::HashSet::new();
        all.into_iter()
            .filter(|p| self.permissions.is_empty() || self.permissions.contains(&p.name))
            .filter(|p| match &self.requestable {
                None => true,
                Some(flows) => {
                    let item = CandidateItem {
                        resource_id: resource.id,
                        resource_name: String::new(),
                        integration_id: resource.integration_id,
                        resource_type_id: resource.resource_type_id,
                        permission_id: p.id,
                        permission: p.name.clone(),
                        via_bundle: None,
                    };
                    flows
                        .iter()
                        .any(|flow| flow.covers(&item, &tags, &no_bundles))
                }
            })
            .collect()
    }
}

impl ResourceFilter {
    /// `WHERE` clause over `resources r` and its values.
    fn clause(&self, dialect: Dialect, index: &PermissionIndex) -> (String, Vec<Value>) {
        let mut conditions = Vec::new();
        let mut values = Vec::new();
        if let Some(search) = &self.search {
            if self.uses_trigram_search() && dialect == Dialect::Sqlite {
                // The trigram index finds substrings of three characters or more.
                conditions.push(
                    "r.id IN (SELECT rowid FROM resources_search WHERE resources_search MATCH ?)"
                        .to_owned(),
                );
                values.push(Value::Text(format!("\"{}\"", search.replace('"', "\"\""))));
            } else {
                // PostgreSQL's trigram index (pg_trgm) serves LIKE itself;
                // the search text is kept in lower case.
                conditions.push("r.search_text LIKE ? ESCAPE '\\'".to_owned());
                values.push(Value::Text(format!(
                    "%{}%",
                    escape_like(&search.to_lowercase())
                )));
            }
        }
        if !self.resource_type_ids.is_empty() {
            conditions.push(format!(
                "r.resource_type_id IN ({})",
                placeholders(self.resource_type_ids.len())
            ));
            values.extend(self.resource_type_ids.iter().map(|id| Value::Integer(*id)));
        }
        match &self.requestable {
            None => {
                if let Some(types) = types_offering(index, None, &self.permissions, &mut values) {
                    conditions.push(types);
                }
            }
            Some(flows) => {
                let per_flow: Vec<String> = flows
                    .iter()
                    .filter_map(|flow| flow_condition(flow, index, &self.permissions, &mut values))
                    .collect();
                if per_flow.is_empty() {
                    conditions.push("1 = 0".to_owned());
                } else {
                    conditions.push(format!("({})", per_flow.join(" OR ")));
                }
            }
        }
        let clause = if conditions.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", conditions.join(" AND "))
        };
        (clause, values)
    }
}

fn escape_like(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

pub fn count_resources(conn: Conn<'_>, filter: &ResourceFilter) -> Result<u64, AppError> {
    let (clause, values) = filter.clause(conn.dialect(), &permission_index(conn)?);
    Ok(conn.query_row(
        &format!("SELECT COUNT(*) FROM resources r {clause}"),
        params_from_iter(values),
        |row| row.get::<_, i64>(0),
    )? as u64)
}

/// The catalog generation: moved forward by triggers on every write to the
/// catalog, bundle, flow and group tables (migration 0005).
pub fn generation(conn: Conn<'_>) -> Result<i64, AppError> {
    Ok(conn
        .prepare_cached("SELECT n FROM catalog_generation WHERE id = 1")?
        .query_row([], |row| row.get(0))?)
}

/// Flows and pages as the cache shares them.
pub type SharedFlows = Arc<Vec<Flow>>;
pub type SharedResources = Arc<Vec<Resource>>;

/// Whose catalog is listed: an admin's whole catalog, or what a caller may
/// request (for themselves, or on behalf of someone else).
#[derive(Debug, Clone, Copy)]
pub enum Lister {
    Everything,
    Caller { user_id: i64, on_behalf: bool },
}

/// The flows that decide what `user_id` may request (only those allowing it
/// on behalf of others when `on_behalf`).
pub fn requestable_flows(
    conn: Conn<'_>,
    user_id: i64,
    on_behalf: bool,
) -> Result<Vec<Flow>, AppError> {
    let mut flows = store::flows::flows_for_grantee(conn, user_id)?;
    if on_behalf {
        flows.retain(|flow| flow.on_behalf_allowed);
    }
    Ok(flows)
}

/// The flows of `lister` (None: the whole catalog), from the cache when
/// this generation has them, and the cache key of `filter` for them.
fn lister_key(
    conn: Conn<'_>,
    cache: &CatalogCache,
    generation: i64,
    filter: &ResourceFilter,
    lister: Lister,
) -> Result<(Option<SharedFlows>, FilterKey), AppError> {
    let flows = match lister {
        Lister::Everything => None,
        Lister::Caller { user_id, on_behalf } => {
            Some(match cache.flows(generation, (user_id, on_behalf)) {
                Some(flows) => flows,
                None => {
                    let flows = Arc::new(requestable_flows(conn, user_id, on_behalf)?);
                    cache.put_flows(generation, (user_id, on_behalf), Arc::clone(&flows));
                    flows
                }
            })
        }
    };
    let key = FilterKey {
        flows: flows
            .as_ref()
            .map(|flows| flows.iter().map(|flow| flow.id).collect()),
        search: filter.search.clone(),
        resource_type_ids: filter.resource_type_ids.clone(),
        permissions: filter.permissions.clone(),
    };
    Ok((flows, key))
}

/// How many resources `filter` (whose `requestable` is ignored) matches for
/// `lister`, and one page of them when `page` is (offset, limit); from the
/// cache when the catalog has not changed since they were read. Run it inside
/// one read transaction, so the generation and the rows read are of the same
/// snapshot.
pub fn cached_listing(
    conn: Conn<'_>,
    cache: &CatalogCache,
    mut filter: ResourceFilter,
    lister: Lister,
    page: Option<(u64, u32)>,
) -> Result<(u64, Option<SharedResources>), AppError> {
    let generation = generation(conn)?;
    let (flows, key) = lister_key(conn, cache, generation, &filter, lister)?;
    let page_key = page.map(|(offset, limit)| (key.clone(), offset, limit));
    let cached_items = page_key
        .as_ref()
        .and_then(|page_key| cache.page(generation, page_key));
    let cached_total = cache.count(generation, &key);
    if let Some(total) = cached_total
        && (page.is_none() || cached_items.is_some())
    {
        return Ok((total, cached_items));
    }
    filter.requestable = flows.map(|flows| flows.as_ref().clone());
    let items = match (page_key, cached_items) {
        (Some(_), Some(items)) => Some(items),
        (Some(page_key), None) => {
            let (_, offset, limit) = page_key;
            let items = Arc::new(list_resources(conn, &filter, offset, limit)?);
            cache.put_page(generation, page_key, Arc::clone(&items));
            Some(items)
        }
        (None, _) => None,
    };
    let total = match cached_total {
        Some(total) => total,
        None => {
            let total = count_resources(conn, &filter)?;
            cache.put_count(generation, key, total);
            total
        }
    };
    Ok((total, items))
}

/// A resource row (`r.id, r.name, r.path, r.tags, r.integration_id, i.name,
/// r.resource_type_id, t.name`) and its tags as stored (JSON), before permissions.
fn resource_row(row: &crate::store::sql::Row<'_>) -> crate::store::sql::Result<(Resource, String)> {
    Ok((
        Resource {
            id: row.get(0)?,
            name: row.get(1)?,
            path: row.get(2)?,
            tags: Vec::new(),
            integration_id: row.get(4)?,
            integration_name: row.get(5)?,
            resource_type_id: row.get(6)?,
            resource_type_name: row.get(7)?,
            permissions: Vec::new(),
        },
        row.get::<_, String>(3)?,
    ))
}

/// One page of resources in a stable order (name, then id).
pub fn list_resources(
    conn: Conn<'_>,
    filter: &ResourceFilter,
    offset: u64,
    limit: u32,
) -> Result<Vec<Resource>, AppError> {
    let (clause, mut values) = filter.clause(conn.dialect(), &permission_index(conn)?);
    values.push(Value::Integer(i64::from(limit)));
    values.push(Value::Integer(i64::try_from(offset).unwrap_or(i64::MAX)));
    // Without a trigram search, walk the name index and stop after one page;
    // with one, the matches are few and sorting them is cheaper.
    let walk_names = if filter.uses_trigram_search() || conn.dialect() == Dialect::Postgres {
        ""
    } else {
        "INDEXED BY resources_by_name"
    };
    let mut statement = conn.prepare_cached(&format!(
        "SELECT r.id, r.name, r.path, r.tags, r.integration_id, i.name, r.resource_type_id, t.name
         FROM resources r {walk_names}
         JOIN integrations i ON i.id = r.integration_id
         JOIN resource_types t ON t.id = r.resource_type_id
         {clause}
         ORDER BY r.name, r.id
         LIMIT ? OFFSET ?"
    ))?;
    let rows = statement.query_map(params_from_iter(values), resource_row)?;
    let mut resources = Vec::new();
    for row in rows {
        let (mut resource, tags) = row?;
        resource.tags = serde_json::from_str(&tags)?;
        resources.push(resource);
    }
    let type_ids: Vec<i64> = resources.iter().map(|r| r.resource_type_id).collect();
    let permissions = permissions_by_type(conn, &type_ids)?;
    for resource in &mut resources {
        let all = permissions
            .get(&resource.resource_type_id)
            .cloned()
            .unwrap_or_default();
        resource.permissions = filter.narrow(resource, all);
    }
    Ok(resources)
}

/// The ids of every resource the filter matches, in list order, at most `cap`.
pub fn resource_ids(
    conn: Conn<'_>,
    filter: &ResourceFilter,
    cap: usize,
) -> Result<Vec<i64>, AppError> {
    let (clause, mut values) = filter.clause(conn.dialect(), &permission_index(conn)?);
    values.push(Value::Integer(i64::try_from(cap).unwrap_or(i64::MAX)));
    let mut statement = conn.prepare(&format!(
        "SELECT r.id FROM resources r {clause} ORDER BY r.name, r.id LIMIT ?"
    ))?;
    let ids = statement
        .query_map(params_from_iter(values), |row| row.get(0))?
        .collect::<Result<Vec<i64>, _>>()?;
    Ok(ids)
}

fn permissions_by_type(
    conn: Conn<'_>,
    type_ids: &[i64],
) -> Result<HashMap<i64, Vec<Permission>>, AppError> {
    let mut unique: Vec<i64> = type_ids.to_vec();
    unique.sort_unstable();
    unique.dedup();
    let mut by_type: HashMap<i64, Vec<Permission>> = HashMap::new();
    if unique.is_empty() {
        return Ok(by_type);
    }
    let mut statement = conn.prepare(&format!(
        "SELECT resource_type_id, id, name FROM permissions WHERE resource_type_id IN ({}) ORDER BY id",
        placeholders(unique.len())
    ))?;
    let rows = statement.query_map(params_from_iter(unique), |row| {
        Ok((
            row.get::<_, i64>(0)?,
            Permission {
                id: row.get(1)?,
                name: row.get(2)?,
            },
        ))
    })?;
    for row in rows {
        let (type_id, permission) = row?;
        by_type.entry(type_id).or_default().push(permission);
    }
    Ok(by_type)
}

pub fn list_resource_types(conn: Conn<'_>) -> Result<Vec<ResourceType>, AppError> {
    let mut statement = conn.prepare(
        "SELECT t.id, t.integration_id, i.name, t.name FROM resource_types t
         JOIN integrations i ON i.id = t.integration_id ORDER BY i.name, t.name",
    )?;
    let mut types = statement
        .query_map([], |row| {
            Ok(ResourceType {
                id: row.get(0)?,
                integration_id: row.get(1)?,
                integration_name: row.get(2)?,
                name: row.get(3)?,
                permissions: Vec::new(),
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    let ids: Vec<i64> = types.iter().map(|t| t.id).collect();
    let mut permissions = permissions_by_type(conn, &ids)?;
    for resource_type in &mut types {
        resource_type.permissions = permissions.remove(&resource_type.id).unwrap_or_default();
    }
    Ok(types)
}

pub fn list_integrations(conn: Conn<'_>) -> Result<Vec<Integration>, AppError> {
    let mut statement = conn.prepare(
        "SELECT id, name, kind, admin_message, connection_options, connector FROM integrations ORDER BY name",
    )?;
    let integrations = statement
        .query_map([], |row| {
            Ok((
                Integration {
                    id: row.get(0)?,
                    name: row.get(1)?,
                    kind: row.get(2)?,
                    admin_message: row.get(3)?,
                    connection_options: Vec::new(),
                    connector: row.get(5)?,
                    settings: None,
                    failing: 0,
                    last_error: None,
                },
                row.get::<_, String>(4)?,
            ))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    integrations
        .into_iter()
        .map(|(mut integration, options)| {
            integration.connection_options = serde_json::from_str(&options)?;
            Ok(integration)
        })
        .collect()
}

/// Insert an integration unless one of that name exists; returns its id.
pub fn ensure_integration(
    conn: Conn<'_>,
    name: &str,
    kind: &str,
    admin_message: Option<&str>,
    connection_options: &[&str],
) -> Result<i64, AppError> {
    conn.execute(
        "INSERT INTO integrations (name, kind, admin_message, connection_options) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (name) DO NOTHING",
        params![name, kind, admin_message, serde_json::to_string(connection_options)?],
    )?;
    Ok(conn.query_row(
        "SELECT id FROM integrations WHERE name = ?1",
        [name],
        |row| row.get(0),
    )?)
}

/// Insert a resource type and its permissions unless present; returns its id.
pub fn ensure_resource_type(
    conn: Conn<'_>,
    integration_id: i64,
    name: &str,
    permissions: &[&str],
) -> Result<i64, AppError> {
    conn.execute(
        "INSERT INTO resource_types (integration_id, name) VALUES (?1, ?2)
         ON CONFLICT (integration_id, name) DO NOTHING",
        params![integration_id, name],
    )?;
    let id: i64 = conn.query_row(
        "SELECT id FROM resource_types WHERE integration_id = ?1 AND name = ?2",
        params![integration_id, name],
        |row| row.get(0),
    )?;
    for permission in permissions {
        conn.execute(
            "INSERT INTO permissions (resource_type_id, name) VALUES (?1, ?2)
             ON CONFLICT (resource_type_id, name) DO NOTHING",
            params![id, permission],
        )?;
    }
    Ok(id)
}

/// Insert a resource unless its path exists in the integration; returns its id.
pub fn ensure_resource(
    conn: Conn<'_>,
    integration_id: i64,
    resource_type_id: i64,
    name: &str,
    path: &str,
    tags: &[&str],
) -> Result<i64, AppError> {
    let search_text = format!("{name} {path} {}", tags.join(" ")).to_lowercase();
    conn.execute(
        "INSERT INTO resources (integration_id, resource_type_id, name, path, tags, search_text)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (integration_id, path) DO NOTHING",
        params![
            integration_id,
            resource_type_id,
            name,
            path,
            serde_json::to_string(tags)?,
            search_text
        ],
    )?;
    let id: i64 = conn.query_row(
        "SELECT id FROM resources WHERE integration_id = ?1 AND path = ?2",
        params![integration_id, path],
        |row| row.get(0),
    )?;
    for tag in tags {
        conn.execute(
            "INSERT INTO resource_tags (resource_id, tag) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
            params![id, tag],
        )?;
    }
    Ok(id)
}

/// One resource with its permissions.
pub fn get_resource(conn: Conn<'_>, id: i64) -> Result<Option<Resource>, AppError> {
    let mut statement = conn.prepare_cached(
        "SELECT r.id, r.name, r.path, r.tags, r.integration_id, i.name, r.resource_type_id, t.name
         FROM resources r JOIN integrations i ON i.id = r.integration_id JOIN resource_types t ON t.id = r.resource_type_id
         WHERE r.id = ?1",
    )?;
    let mut rows = statement.query_map([id], resource_row)?;
    let Some(row) = rows.next() else {
        return Ok(None);
    };
    let (mut resource, tags) = row?;
    resource.tags = serde_json::from_str(&tags)?;
    resource.permissions = permissions_by_type(conn, &[resource.resource_type_id])?
        .remove(&resource.resource_type_id)
        .unwrap_or_default();
    Ok(Some(resource))
}

/// What Access Details shows of an integration.
#[derive(Debug, Clone)]
pub struct IntegrationFacts {
    pub name: String,
    pub admin_message: Option<String>,
    /// The connection options it offers (terminal, browser, app).
    pub options: Vec<String>,
}

/// An integration's name, admin message and connection options.
pub fn integration_facts(conn: Conn<'_>, id: i64) -> Result<IntegrationFacts, AppError> {
    let (name, admin_message, options): (String, Option<String>, String) = conn.query_row(
        "SELECT name, admin_message, connection_options FROM integrations WHERE id = ?1",
        [id],
        |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
    )?;
    Ok(IntegrationFacts {
        name,
        admin_message,
        options: serde_json::from_str(&options)?,
    })
}

/// Per integration: how many grants and removals are being retried after a
/// failure, and the latest failure's reason.
pub fn failing_integrations(conn: Conn<'_>) -> Result<Vec<(i64, i64, Option<String>)>, AppError> {
    Ok(conn
        .prepare_cached(
            "SELECT g.integration_id, CAST(COUNT(*) AS BIGINT),
                    (SELECT l.last_error FROM access_grants l
                     WHERE l.integration_id = g.integration_id AND l.attempts > 0
                       AND l.last_error IS NOT NULL AND l.state <> 'removed'
                     ORDER BY l.next_attempt_at DESC LIMIT 1)
             FROM access_grants g
             WHERE g.attempts > 0 AND g.last_error IS NOT NULL AND g.state <> 'removed'
             GROUP BY g.integration_id",
        )?
        .query_map([], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))?
        .collect::<Result<_, _>>()?)
}

/// An integration's settings as stored: sealed with the server key.
pub type SealedSettings = Option<Vec<u8>>;

/// An integration's connector and sealed settings; None when there is no
/// such integration.
pub fn integration_connector(
    conn: Conn<'_>,
    id: i64,
) -> Result<Option<(String, SealedSettings)>, AppError> {
    Ok(conn
        .query_row(
            "SELECT connector, settings FROM integrations WHERE id = ?1",
            [id],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )
        .optional()?)
}

/// Every manual integration: (id, sealed settings).
pub fn manual_integrations(conn: Conn<'_>) -> Result<Vec<(i64, SealedSettings)>, AppError> {
    let manual = conn
        .prepare_cached("SELECT id, settings FROM integrations WHERE connector = 'manual'")?
        .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))?
        .collect::<Result<_, _>>()?;
    Ok(manual)
}

/// How many accesses granted through the integration are still live
/// (pending, waiting, granted or being removed).
pub fn live_grants_in(conn: Conn<'_>, integration_id: i64) -> Result<i64, AppError> {
    Ok(conn.query_row(
        &format!(
            "SELECT COUNT(*) FROM access_grants WHERE integration_id = ?1
                         AND state IN {}",
            store::access::LIVE_STATES
        ),
        [integration_id],
        |row| row.get(0),
    )?)
}

/// Whether the integration has a resource at this path.
pub fn has_resource_at(conn: Conn<'_>, integration_id: i64, path: &str) -> Result<bool, AppError> {
    Ok(conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM resources WHERE integration_id = ?1 AND path = ?2)",
        params![integration_id, path],
        |row| row.get(0),
    )?)
}
