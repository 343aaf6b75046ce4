//! What a grantee already holds or waits for: the items of their requests
//! that are waiting, being granted or Active (the duplicate check).

use crate::store::{
    placeholders,
    sql::{Conn, Value, params_from_iter},
};

use crate::error::AppError;

/// One item of an open request of the grantee.
#[derive(Debug, Clone)]
pub struct HeldItem {
    pub request_id: i64,
    pub resource_id: i64,
    pub permission: String,
    /// The permission's rank within its resource type (weakest first).
    pub rank: i64,
}

/// The items, on these resources, of the grantee's requests that are
/// Pending Approval, Pending MFA, Granting or Active; oldest request first.
pub fn open_items(
    conn: Conn<'_>,
    grantee_id: i64,
    resource_ids: &[i64],
) -> Result<Vec<HeldItem>, AppError> {
    if resource_ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut values = vec![Value::Integer(grantee_id)];
    values.extend(resource_ids.iter().map(|id| Value::Integer(*id)));
    let mut statement = conn.prepare_cached(&format!(
        "SELECT r.id, ri.resource_id, p.name, {} FROM requests r
         JOIN request_items ri ON ri.request_id = r.id
         JOIN permissions p ON p.id = ri.permission_id
         WHERE r.grantee_id = ?1
           AND r.status IN ('Pending Approval', 'Pending MFA', 'Granting', 'Active')
           AND ri.resource_id IN ({})
         ORDER BY r.id, ri.resource_id, p.id",
        crate::store::approvals::RANK,
        placeholders(resource_ids.len())
    ))?;
    let items = statement
        .query_map(params_from_iter(values), |row| {
            Ok(HeldItem {
                request_id: row.get(0)?,
                resource_id: row.get(1)?,
                permission: row.get(2)?,
                rank: row.get(3)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(items)
}
