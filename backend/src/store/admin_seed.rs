//! Writing groups, flows and ticket types (used by the demo and by admin routes).

use rusqlite::{Connection, params};

use crate::{error::AppError, store::flows::Scope};

pub fn ensure_group(conn: &Connection, name: &str, members: &[i64]) -> Result<i64, AppError> {
    conn.execute(
        "INSERT INTO groups (name) VALUES (?1) ON CONFLICT (name) DO NOTHING",
        [name],
    )?;
    let id: i64 = conn.query_row("SELECT id FROM groups WHERE name = ?1", [name], |row| {
        row.get(0)
    })?;
    for member in members {
        conn.execute(
            "INSERT INTO group_members (group_id, user_id) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
            params![id, member],
        )?;
    }
    Ok(id)
}

pub fn ensure_ticket_type(conn: &Connection, name: &str) -> Result<(), AppError> {
    conn.execute(
        "INSERT INTO ticket_types (name) VALUES (?1) ON CONFLICT (name) DO NOTHING",
        [name],
    )?;
    Ok(())
}

/// A grantee of a flow.
pub enum Grantee {
    Everyone,
    User(i64),
    Group(i64),
}

/// An approver at one step.
pub enum Approver {
    User(i64),
    Group(i64),
}

pub struct NewFlow<'a> {
    pub name: &'a str,
    pub auto_approve: bool,
    pub durations: &'a [i64],
    pub max_duration: i64,
    pub justification_required: bool,
    pub ticket_required: bool,
    pub on_behalf_allowed: bool,
    pub extend_enabled: bool,
    pub extend_by: i64,
    pub extend_max_count: i64,
    pub extend_window: i64,
    pub grantees: &'a [Grantee],
    pub scope: &'a [Scope],
    pub permissions: &'a [&'a str],
    /// Approvers per ordered step.
    pub steps: &'a [&'a [Approver]],
}

/// Insert a flow unless one of that name exists; returns its id.
pub fn ensure_flow(conn: &Connection, flow: &NewFlow<'_>) -> Result<i64, AppError> {
    if let Ok(id) = conn.query_row(
        "SELECT id FROM access_flows WHERE name = ?1",
        [flow.name],
        |row| row.get(0),
    ) {
        return Ok(id);
    }
    conn.execute(
        "INSERT INTO access_flows (name, auto_approve, durations, max_duration, justification_required, ticket_required,
            on_behalf_allowed, extend_enabled, extend_by, extend_max_count, extend_window)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
        params![
            flow.name,
            flow.auto_approve,
            serde_json::to_string(flow.durations)?,
            flow.max_duration,
            flow.justification_required,
            flow.ticket_required,
            flow.on_behalf_allowed,
            flow.extend_enabled,
            flow.extend_by,
            flow.extend_max_count,
            flow.extend_window
        ],
    )?;
    let id = conn.last_insert_rowid();
    for grantee in flow.grantees {
        let (kind, subject) = match grantee {
            Grantee::Everyone => ("everyone", 0),
            Grantee::User(id) => ("user", *id),
            Grantee::Group(id) => ("group", *id),
        };
        conn.execute(
            "INSERT INTO flow_grantees (flow_id, kind, subject_id) VALUES (?1, ?2, ?3)",
            params![id, kind, subject],
        )?;
    }
    for scope in flow.scope {
        let (kind, ref_id, tag) = match scope {
            Scope::Integration(x) => ("integration", *x, ""),
            Scope::ResourceType(x) => ("resource_type", *x, ""),
            Scope::Resource(x) => ("resource", *x, ""),
            Scope::Tag(t) => ("tag", 0, t.as_str()),
            Scope::Bundle(x) => ("bundle", *x, ""),
        };
        conn.execute(
            "INSERT INTO flow_scope (flow_id, kind, ref_id, tag) VALUES (?1, ?2, ?3, ?4)",
            params![id, kind, ref_id, tag],
        )?;
    }
    for permission in flow.permissions {
        conn.execute(
            "INSERT INTO flow_permissions (flow_id, permission_name) VALUES (?1, ?2)",
            params![id, permission],
        )?;
    }
    for (step, approvers) in flow.steps.iter().enumerate() {
        for approver in *approvers {
            let (kind, subject) = match approver {
                Approver::User(id) => ("user", *id),
                Approver::Group(id) => ("group", *id),
            };
            conn.execute(
                "INSERT INTO flow_approvers (flow_id, step, kind, subject_id) VALUES (?1, ?2, ?3, ?4)",
                params![id, step as i64, kind, subject],
            )?;
        }
    }
    Ok(id)
}
