//! Bundles: search with a total, contents, and creation for demo and admin.

use crate::store::sql::{Conn, OptionalExtension, params};
use gatehouse_shared::catalog::{Bundle, BundleItem};

use crate::error::AppError;

fn pattern(search: Option<&str>) -> String {
    let escaped = search
        .unwrap_or_default()
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{escaped}%")
}

pub fn search(
    conn: Conn<'_>,
    search: Option<&str>,
    offset: u64,
    limit: u32,
) -> Result<(Vec<Bundle>, u64), AppError> {
    let pattern = pattern(search);
    let total: i64 = conn.query_row(
        "SELECT COUNT(*) FROM bundles WHERE lower(name) LIKE lower(?1) ESCAPE '\\'",
        [&pattern],
        |row| row.get(0),
    )?;
    let mut statement = conn.prepare_cached(
        "SELECT id FROM bundles WHERE lower(name) LIKE lower(?1) ESCAPE '\\' ORDER BY name, id LIMIT ?2 OFFSET ?3",
    )?;
    let ids = statement
        .query_map(
            params![pattern, limit, i64::try_from(offset).unwrap_or(i64::MAX)],
            |row| row.get(0),
        )?
        .collect::<Result<Vec<i64>, _>>()?;
    let mut bundles = Vec::with_capacity(ids.len());
    for id in ids {
        if let Some(bundle) = get(conn, id)? {
            bundles.push(bundle);
        }
    }
    Ok((bundles, total as u64))
}

pub fn get(conn: Conn<'_>, id: i64) -> Result<Option<Bundle>, AppError> {
    let head = conn
        .prepare_cached("SELECT id, name, description FROM bundles WHERE id = ?1")?
        .query_row([id], |row| {
            Ok((
                row.get::<_, i64>(0)?,
                row.get::<_, String>(1)?,
                row.get::<_, String>(2)?,
            ))
        })
        .optional()?;
    let Some((id, name, description)) = head else {
        return Ok(None);
    };
    let mut statement = conn.prepare_cached(
        "SELECT r.id, r.name, i.name, t.name, p.name FROM bundle_items b
         JOIN resources r ON r.id = b.resource_id JOIN integrations i ON i.id = r.integration_id
         JOIN resource_types t ON t.id = r.resource_type_id JOIN permissions p ON p.id = b.permission_id
         WHERE b.bundle_id = ?1 ORDER BY r.name, r.id, p.id",
    )?;
    let items = statement
        .query_map([id], |row| {
            Ok(BundleItem {
                resource_id: row.get(0)?,
                resource_name: row.get(1)?,
                integration_name: row.get(2)?,
                resource_type_name: row.get(3)?,
                permission: row.get(4)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    let mut resources: Vec<i64> = items.iter().map(|i| i.resource_id).collect();
    resources.dedup();
    Ok(Some(Bundle {
        id,
        name,
        description,
        resource_count: resources.len() as i64,
        items,
    }))
}

/// Insert a bundle unless one of that name exists, with its items; returns its id.
pub fn ensure(
    conn: Conn<'_>,
    name: &str,
    description: &str,
    items: &[(i64, i64)],
) -> Result<i64, AppError> {
    conn.execute(
        "INSERT INTO bundles (name, description) VALUES (?1, ?2) ON CONFLICT (name) DO NOTHING",
        params![name, description],
    )?;
    let id: i64 = conn.query_row("SELECT id FROM bundles WHERE name = ?1", [name], |row| {
        row.get(0)
    })?;
    for (resource_id, permission_id) in items {
        conn.execute(
            "INSERT INTO bundle_items (bundle_id, resource_id, permission_id) VALUES (?1, ?2, ?3) ON CONFLICT DO NOTHING",
            params![id, resource_id, permission_id],
        )?;
    }
    Ok(id)
}
