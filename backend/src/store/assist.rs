//! What Assist reads: the catalog as documents to index, the bundles, the
//! caller's past requests and favorites, and the admins' alias table.

use std::collections::HashMap;

use crate::store::sql::{Conn, params};
use gatehouse_shared::assist::Alias;

use crate::{error::AppError, store};

/// One resource as Assist indexes it.
#[derive(Debug, Clone)]
pub struct ResourceDocument {
    pub id: i64,
    pub name: String,
    pub path: String,
    pub tags: Vec<String>,
    pub integration_id: i64,
    pub integration_name: String,
    pub integration_kind: String,
    pub resource_type_id: i64,
    pub resource_type_name: String,
}

/// One bundle as Assist indexes it, with its items' names.
#[derive(Debug, Clone)]
pub struct BundleDocument {
    pub id: i64,
    pub name: String,
    pub description: String,
    pub item_names: Vec<String>,
}

/// Something the caller requested before (for themselves), newest first.
#[derive(Debug, Clone)]
pub struct PastItem {
    pub resource_id: i64,
    pub permission: String,
    pub requested_at: i64,
    pub duration: i64,
    pub favorite: bool,
}

/// Every resource, in id order.
pub fn resource_documents(conn: Conn<'_>) -> Result<Vec<ResourceDocument>, AppError> {
    let mut statement = conn.prepare(
        "SELECT r.id, r.name, r.path, r.tags, r.integration_id, i.name, i.kind, r.resource_type_id, t.name
         FROM resources r
         JOIN integrations i ON i.id = r.integration_id
         JOIN resource_types t ON t.id = r.resource_type_id
         ORDER BY r.id",
    )?;
    let rows = statement.query_map([], |row| {
        Ok((
            ResourceDocument {
                id: row.get(0)?,
                name: row.get(1)?,
                path: row.get(2)?,
                tags: Vec::new(),
                integration_id: row.get(4)?,
                integration_name: row.get(5)?,
                integration_kind: row.get(6)?,
                resource_type_id: row.get(7)?,
                resource_type_name: row.get(8)?,
            },
            row.get::<_, String>(3)?,
        ))
    })?;
    let mut documents = Vec::new();
    for row in rows {
        let (mut document, tags) = row?;
        document.tags = serde_json::from_str(&tags)?;
        documents.push(document);
    }
    Ok(documents)
}

/// Every bundle with the names of the resources it holds.
pub fn bundle_documents(conn: Conn<'_>) -> Result<Vec<BundleDocument>, AppError> {
    let mut names: HashMap<i64, Vec<String>> = HashMap::new();
    {
        let mut statement = conn.prepare(
            "SELECT b.bundle_id, r.name FROM bundle_items b JOIN resources r ON r.id = b.resource_id ORDER BY b.bundle_id, r.name",
        )?;
        let rows = statement.query_map([], |row| Ok((row.get::<_, i64>(0)?, row.get(1)?)))?;
        for row in rows {
            let (bundle, name) = row?;
            names.entry(bundle).or_default().push(name);
        }
    }
    let mut statement = conn.prepare("SELECT id, name, description FROM bundles ORDER BY id")?;
    let rows = statement.query_map([], |row| {
        Ok((row.get::<_, i64>(0)?, row.get(1)?, row.get(2)?))
    })?;
    let mut bundles = Vec::new();
    for row in rows {
        let (id, name, description) = row?;
        bundles.push(BundleDocument {
            id,
            name,
            description,
            item_names: names.remove(&id).unwrap_or_default(),
        });
    }
    Ok(bundles)
}

/// What `user_id` requested for themselves, newest first (at most `limit`
/// items), each marked when the request is one of their favorites.
pub fn past_items(conn: Conn<'_>, user_id: i64, limit: i64) -> Result<Vec<PastItem>, AppError> {
    let mut statement = conn.prepare_cached(
        "SELECT i.resource_id, p.name, r.created_at, r.duration,
                EXISTS (SELECT 1 FROM favorites f WHERE f.user_id = ?1 AND f.request_id = r.id)
         FROM requests r
         JOIN request_items i ON i.request_id = r.id
         JOIN permissions p ON p.id = i.permission_id
         WHERE r.requester_id = ?1 AND r.grantee_id = ?1
         ORDER BY r.created_at DESC, r.id DESC
         LIMIT ?2",
    )?;
    let items = statement
        .query_map(params![user_id, limit], |row| {
            Ok(PastItem {
                resource_id: row.get(0)?,
                permission: row.get(1)?,
                requested_at: row.get(2)?,
                duration: row.get(3)?,
                favorite: row.get(4)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(items)
}

const ALIASES_KEY: &str = "assist_aliases";

/// The alias table as admins last saved it; None when never saved.
pub fn aliases(conn: Conn<'_>) -> Result<Option<Vec<Alias>>, AppError> {
    match store::notifications::setting(conn, ALIASES_KEY)? {
        Some(json) => Ok(Some(serde_json::from_str(&json)?)),
        None => Ok(None),
    }
}

pub fn set_aliases(conn: Conn<'_>, aliases: &[Alias]) -> Result<(), AppError> {
    store::notifications::set_setting(conn, ALIASES_KEY, &serde_json::to_string(aliases)?)
}
