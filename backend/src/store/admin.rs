//! Admin writes: create, update and delete catalog entries, access flows,
//! users and groups. Deleting something in use is refused with what uses it.

use crate::store::sql::{Conn, Dialect, OptionalExtension, params};
use gatehouse_shared::{
    admin::{
        AccessFlow, AccessFlowInput, ExtendSettings, Group, ScopeEntry, StepRule, Subject,
        TicketType, User,
    },
    requests::ItemSelection,
};

use crate::{error::AppError, store};

/// Turn a UNIQUE violation into a conflict naming the duplicate.
pub fn unique(error: crate::store::sql::Error, what: &str) -> AppError {
    if error.is_unique_violation() {
        AppError::Conflict(format!("{what} already exists."))
    } else {
        error.into()
    }
}

fn count(conn: Conn<'_>, sql: &str, id: i64) -> Result<i64, AppError> {
    Ok(conn.query_row(sql, [id], |row| row.get(0))?)
}

fn refuse_if_used(conn: Conn<'_>, id: i64, checks: &[(&str, &str)]) -> Result<(), AppError> {
    for (sql, message) in checks {
        let n = count(conn, sql, id)?;
        if n > 0 {
            return Err(AppError::Conflict(message.replace("{n}", &n.to_string())));
        }
    }
    Ok(())
}

/// The database answers a trivial query (the health check).
pub fn ping(conn: Conn<'_>) -> Result<(), AppError> {
    Ok(conn.query_row("SELECT 1", [], |_| Ok(()))?)
}

/// What an access flow (or a group) may refer to by id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Entity {
    User,
    Group,
    Integration,
    ResourceType,
    Resource,
    Bundle,
}

impl Entity {
    fn table(self) -> &'static str {
        match self {
            Entity::User => "users",
            Entity::Group => "groups",
            Entity::Integration => "integrations",
            Entity::ResourceType => "resource_types",
            Entity::Resource => "resources",
            Entity::Bundle => "bundles",
        }
    }
}

/// Whether the user, group, integration… with this id exists.
pub fn exists(conn: Conn<'_>, what: Entity, id: i64) -> Result<bool, AppError> {
    let table = what.table();
    Ok(conn
        .query_row(
            &format!("SELECT 1 FROM {table} WHERE id = ?1"),
            [id],
            |_| Ok(()),
        )
        .optional()?
        .is_some())
}

// ---- integrations ----

/// What an integration is saved with.
pub struct IntegrationRow<'a> {
    pub name: &'a str,
    pub kind: &'a str,
    pub admin_message: Option<&'a str>,
    pub options: &'a [String],
    pub connector: &'a str,
    /// Sealed JSON settings.
    pub settings: Option<Vec<u8>>,
}

pub fn save_integration(
    conn: Conn<'_>,
    id: Option<i64>,
    row: IntegrationRow<'_>,
) -> Result<i64, AppError> {
    let IntegrationRow {
        name,
        kind,
        admin_message,
        options,
        connector,
        settings,
    } = row;
    let options = serde_json::to_string(options)?;
    match id {
        None => {
            let new_id = conn.insert(
                "INSERT INTO integrations (name, kind, admin_message, connection_options, connector, settings)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![name, kind, admin_message, options, connector, settings],
            )
            .map_err(|e| unique(e, &format!("An integration named \"{name}\"")))?;
            Ok(new_id)
        }
        Some(id) => {
            let changed = conn
                .execute(
                    "UPDATE integrations SET name = ?1, kind = ?2, admin_message = ?3, connection_options = ?4,
                         connector = ?6, settings = ?7 WHERE id = ?5",
                    params![name, kind, admin_message, options, id, connector, settings],
                )
                .map_err(|e| unique(e, &format!("An integration named \"{name}\"")))?;
            found(changed, "Integration", id)
        }
    }
}

fn found(changed: usize, what: &str, id: i64) -> Result<i64, AppError> {
    if changed == 0 {
        Err(AppError::NotFound(format!("{what} {id}")))
    } else {
        Ok(id)
    }
}

pub fn delete_integration(conn: Conn<'_>, id: i64) -> Result<(), AppError> {
    refuse_if_used(
        conn,
        id,
        &[
            (
                "SELECT COUNT(*) FROM resource_types WHERE integration_id = ?1",
                "The integration has {n} resource types; delete them first.",
            ),
            (
                "SELECT COUNT(*) FROM flow_scope WHERE kind = 'integration' AND ref_id = ?1",
                "{n} access flows are scoped to this integration; change them first.",
            ),
        ],
    )?;
    let changed = conn.execute("DELETE FROM integrations WHERE id = ?1", [id])?;
    found(changed, "Integration", id).map(|_| ())
}

// ---- resource types ----

pub fn save_resource_type(
    conn: Conn<'_>,
    id: Option<i64>,
    integration_id: i64,
    name: &str,
    permissions: &[String],
) -> Result<i64, AppError> {
    let what = format!("A resource type named \"{name}\" in this integration");
    let id = match id {
        None => {
            if !exists(conn, Entity::Integration, integration_id)? {
                return Err(AppError::invalid(
                    "integration_id",
                    format!("Integration {integration_id} does not exist."),
                ));
            }

            conn.insert(
                "INSERT INTO resource_types (integration_id, name) VALUES (?1, ?2)",
                params![integration_id, name],
            )
            .map_err(|e| unique(e, &what))?
        }
        Some(id) => {
            let changed = conn
                .execute(
                    "UPDATE resource_types SET name = ?1 WHERE id = ?2",
                    params![name, id],
                )
                .map_err(|e| unique(e, &what))?;
            found(changed, "Resource type", id)?
        }
    };
    // Permissions no longer listed go, unless requests or bundles use them.
    let mut current =
        conn.prepare("SELECT id, name FROM permissions WHERE resource_type_id = ?1")?;
    let existing = current
        .query_map([id], |row| {
            Ok((row.get::<_, i64>(0)?, row.get::<_, String>(1)?))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    for (permission_id, permission) in existing {
        if permissions.contains(&permission) {
            continue;
        }
        refuse_if_used(
            conn,
            permission_id,
            &[
                (
                    "SELECT COUNT(*) FROM request_items WHERE permission_id = ?1",
                    &format!(
                        "The permission \"{permission}\" is part of {{n}} requests and cannot be removed."
                    ),
                ),
                (
                    "SELECT COUNT(*) FROM bundle_items WHERE permission_id = ?1",
                    &format!(
                        "The permission \"{permission}\" is part of {{n}} bundle items; change the bundles first."
                    ),
                ),
            ],
        )?;
        conn.execute("DELETE FROM permissions WHERE id = ?1", [permission_id])?;
    }
    for permission in permissions {
        conn.execute(
            "INSERT INTO permissions (resource_type_id, name) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
            params![id, permission],
        )?;
    }
    Ok(id)
}

pub fn delete_resource_type(conn: Conn<'_>, id: i64) -> Result<(), AppError> {
    refuse_if_used(
        conn,
        id,
        &[
            (
                "SELECT COUNT(*) FROM resources WHERE resource_type_id = ?1",
                "The resource type has {n} resources; delete them first.",
            ),
            (
                "SELECT COUNT(*) FROM flow_scope WHERE kind = 'resource_type' AND ref_id = ?1",
                "{n} access flows are scoped to this resource type; change them first.",
            ),
        ],
    )?;
    let changed = conn.execute("DELETE FROM resource_types WHERE id = ?1", [id])?;
    found(changed, "Resource type", id).map(|_| ())
}

// ---- resources ----

pub fn save_resource(
    conn: Conn<'_>,
    id: Option<i64>,
    resource_type_id: i64,
    name: &str,
    path: &str,
    tags: &[String],
) -> Result<i64, AppError> {
    let integration_id: Option<i64> = conn
        .query_row(
            "SELECT integration_id FROM resource_types WHERE id = ?1",
            [resource_type_id],
            |row| row.get(0),
        )
        .optional()?;
    let Some(integration_id) = integration_id else {
        return Err(AppError::invalid(
            "resource_type_id",
            format!("Resource type {resource_type_id} does not exist."),
        ));
    };
    let search_text = format!("{name} {path} {}", tags.join(" ")).to_lowercase();
    let tags_json = serde_json::to_string(tags)?;
    let what = format!("A resource with the path \"{path}\" in this integration");
    let id = match id {
        None => {

            conn.insert(
                "INSERT INTO resources (integration_id, resource_type_id, name, path, tags, search_text) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![integration_id, resource_type_id, name, path, tags_json, search_text],
            )
            .map_err(|e| unique(e, &what))?
        }
        Some(id) => {
            let current_type: Option<i64> = conn
                .query_row(
                    "SELECT resource_type_id FROM resources WHERE id = ?1",
                    [id],
                    |row| row.get(0),
                )
                .optional()?;
            match current_type {
                None => return Err(AppError::NotFound(format!("Resource {id}"))),
                Some(current) if current != resource_type_id => {
                    refuse_if_used(
                        conn,
                        id,
                        &[(
                            "SELECT COUNT(*) FROM request_items WHERE resource_id = ?1",
                            "The resource is part of {n} requests; its type cannot change.",
                        )],
                    )?;
                }
                Some(_) => {}
            }
            conn.execute(
                "UPDATE resources SET integration_id = ?1, resource_type_id = ?2, name = ?3, path = ?4, tags = ?5, search_text = ?6 WHERE id = ?7",
                params![integration_id, resource_type_id, name, path, tags_json, search_text, id],
            )
            .map_err(|e| unique(e, &what))?;
            conn.execute("DELETE FROM resource_tags WHERE resource_id = ?1", [id])?;
            id
        }
    };
    for tag in tags {
        conn.execute(
            "INSERT INTO resource_tags (resource_id, tag) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
            params![id, tag],
        )?;
    }
    Ok(id)
}

pub fn delete_resource(conn: Conn<'_>, id: i64) -> Result<(), AppError> {
    refuse_if_used(
        conn,
        id,
        &[
            (
                "SELECT COUNT(*) FROM request_items WHERE resource_id = ?1",
                "The resource is part of {n} requests and is kept for their history.",
            ),
            (
                "SELECT COUNT(*) FROM bundle_items WHERE resource_id = ?1",
                "The resource is in {n} bundle items; change the bundles first.",
            ),
            (
                "SELECT COUNT(*) FROM flow_scope WHERE kind = 'resource' AND ref_id = ?1",
                "{n} access flows are scoped to this resource; change them first.",
            ),
        ],
    )?;
    let changed = conn.execute("DELETE FROM resources WHERE id = ?1", [id])?;
    found(changed, "Resource", id).map(|_| ())
}

// ---- bundles ----

pub fn save_bundle(
    conn: Conn<'_>,
    id: Option<i64>,
    name: &str,
    description: &str,
    items: &[ItemSelection],
) -> Result<i64, AppError> {
    let mut resolved = Vec::with_capacity(items.len());
    let mut lookup = conn.prepare_cached(
        "SELECT p.id FROM resources r JOIN permissions p ON p.resource_type_id = r.resource_type_id WHERE r.id = ?1 AND p.name = ?2",
    )?;
    for (index, item) in items.iter().enumerate() {
        let permission_id: Option<i64> = lookup
            .query_row(params![item.resource_id, item.permission], |row| row.get(0))
            .optional()?;
        let Some(permission_id) = permission_id else {
            return Err(AppError::invalid(
                format!("items[{index}]"),
                format!(
                    "Resource {} does not exist or does not offer \"{}\".",
                    item.resource_id, item.permission
                ),
            ));
        };
        resolved.push((item.resource_id, permission_id));
    }
    let what = format!("A bundle named \"{name}\"");
    let id = match id {
        None => conn
            .insert(
                "INSERT INTO bundles (name, description) VALUES (?1, ?2)",
                params![name, description],
            )
            .map_err(|e| unique(e, &what))?,
        Some(id) => {
            let changed = conn
                .execute(
                    "UPDATE bundles SET name = ?1, description = ?2 WHERE id = ?3",
                    params![name, description, id],
                )
                .map_err(|e| unique(e, &what))?;
            found(changed, "Bundle", id)?;
            conn.execute("DELETE FROM bundle_items WHERE bundle_id = ?1", [id])?;
            id
        }
    };
    for (resource_id, permission_id) in resolved {
        conn.execute(
            "INSERT INTO bundle_items (bundle_id, resource_id, permission_id) VALUES (?1, ?2, ?3) ON CONFLICT DO NOTHING",
            params![id, resource_id, permission_id],
        )?;
    }
    Ok(id)
}

pub fn delete_bundle(conn: Conn<'_>, id: i64) -> Result<(), AppError> {
    refuse_if_used(
        conn,
        id,
        &[(
            "SELECT COUNT(*) FROM flow_scope WHERE kind = 'bundle' AND ref_id = ?1",
            "{n} access flows are scoped to this bundle; change them first.",
        )],
    )?;
    // Requests keep their items; they only forget which bundle they came from.
    conn.execute(
        "UPDATE requests SET bundle_id = NULL WHERE bundle_id = ?1",
        [id],
    )?;
    let changed = conn.execute("DELETE FROM bundles WHERE id = ?1", [id])?;
    found(changed, "Bundle", id).map(|_| ())
}

// ---- access flows ----

fn subject_parts(subject: &Subject) -> (&'static str, i64) {
    match subject {
        Subject::Everyone => ("everyone", 0),
        Subject::User { id } => ("user", *id),
        Subject::Group { id } => ("group", *id),
    }
}

fn subject_from(kind: &str, id: i64) -> Subject {
    match kind {
        "user" => Subject::User { id },
        "group" => Subject::Group { id },
        _ => Subject::Everyone,
    }
}

pub fn save_flow(conn: Conn<'_>, id: Option<i64>, flow: &AccessFlowInput) -> Result<i64, AppError> {
    let what = format!("An access flow named \"{}\"", flow.name);
    let durations = serde_json::to_string(&flow.durations_seconds)?;
    let recurrence = flow
        .recurrence
        .as_ref()
        .map(serde_json::to_string)
        .transpose()?;
    let values = params![
        flow.name,
        flow.auto_approve,
        durations,
        flow.max_duration_seconds,
        flow.justification_required,
        flow.ticket_required,
        flow.mfa_required,
        flow.on_behalf_allowed,
        flow.extend.enabled,
        flow.extend.by_seconds,
        flow.extend.max_count,
        flow.extend.window_seconds,
        flow.assistants_allowed,
        flow.break_glass.enabled,
        flow.break_glass.max_duration_seconds,
        recurrence,
    ];
    let id = match id {
        None => {

            conn.insert(
                "INSERT INTO access_flows (name, auto_approve, durations, max_duration, justification_required, ticket_required,
                    mfa_required, on_behalf_allowed, extend_enabled, extend_by, extend_max_count, extend_window, assistants_allowed,
                    break_glass, break_glass_max_duration, recurrence)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)",
                values,
            )
            .map_err(|e| unique(e, &what))?
        }
        Some(id) => {
            let mut all = values.to_vec();
            all.push(&id);
            let changed = conn
                .execute(
                    "UPDATE access_flows SET name = ?1, auto_approve = ?2, durations = ?3, max_duration = ?4,
                        justification_required = ?5, ticket_required = ?6, mfa_required = ?7, on_behalf_allowed = ?8,
                        extend_enabled = ?9, extend_by = ?10, extend_max_count = ?11, extend_window = ?12,
                        assistants_allowed = ?13, break_glass = ?14, break_glass_max_duration = ?15, recurrence = ?16 WHERE id = ?17",
                    all.as_slice(),
                )
                .map_err(|e| unique(e, &what))?;
            found(changed, "Access flow", id)?;
            for table in [
                "flow_grantees",
                "flow_scope",
                "flow_permissions",
                "flow_approvers",
                "flow_steps",
            ] {
                conn.execute(&format!("DELETE FROM {table} WHERE flow_id = ?1"), [id])?;
            }
            id
        }
    };
    for grantee in &flow.grantees {
        let (kind, subject) = subject_parts(grantee);
        conn.execute(
            "INSERT INTO flow_grantees (flow_id, kind, subject_id) VALUES (?1, ?2, ?3)",
            params![id, kind, subject],
        )?;
    }
    for scope in &flow.scope {
        let (kind, ref_id, tag) = match scope {
            ScopeEntry::Integration { id } => ("integration", *id, ""),
            ScopeEntry::ResourceType { id } => ("resource_type", *id, ""),
            ScopeEntry::Resource { id } => ("resource", *id, ""),
            ScopeEntry::Tag { tag } => ("tag", 0, tag.as_str()),
            ScopeEntry::Bundle { id } => ("bundle", *id, ""),
        };
        conn.execute(
            "INSERT INTO flow_scope (flow_id, kind, ref_id, tag) VALUES (?1, ?2, ?3, ?4)",
            params![id, kind, ref_id, tag],
        )?;
    }
    for permission in &flow.permissions {
        conn.execute(
            "INSERT INTO flow_permissions (flow_id, permission_name) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
            params![id, permission],
        )?;
    }
    for (step, approvers) in flow.approver_steps.iter().enumerate() {
        for approver in approvers {
            let (kind, subject) = subject_parts(approver);
            conn.execute(
                "INSERT INTO flow_approvers (flow_id, step, kind, subject_id) VALUES (?1, ?2, ?3, ?4)",
                params![id, step as i64, kind, subject],
            )?;
        }
    }
    for (step, rule) in flow.step_rules.iter().enumerate() {
        if *rule != StepRule::default() {
            conn.execute(
                "INSERT INTO flow_steps (flow_id, step, required_approvals, rejections_to_reject) VALUES (?1, ?2, ?3, ?4)",
                params![id, step as i64, rule.required_approvals, rule.rejections_to_reject],
            )?;
        }
    }
    Ok(id)
}

pub fn delete_flow(conn: Conn<'_>, id: i64) -> Result<(), AppError> {
    refuse_if_used(
        conn,
        id,
        &[(
            "SELECT COUNT(*) FROM requests WHERE flow_id = ?1",
            "{n} requests were made through this access flow; it is kept for their history. Remove its grantees to stop new requests.",
        )],
    )?;
    let changed = conn.execute("DELETE FROM access_flows WHERE id = ?1", [id])?;
    found(changed, "Access flow", id).map(|_| ())
}

/// Step rules as admins wrote them: none past the last step, and none at
/// all when every step uses the default.
fn trimmed_rules(mut rules: Vec<StepRule>, steps: usize) -> Vec<StepRule> {
    rules.truncate(steps);
    while rules.last() == Some(&StepRule::default()) {
        rules.pop();
    }
    rules
}

pub fn list_flows(conn: Conn<'_>) -> Result<Vec<AccessFlow>, AppError> {
    let flows = store::flows::all_flows(conn)?;
    let mut out = Vec::with_capacity(flows.len());
    for flow in flows {
        let mut grantees = conn.prepare_cached(
            "SELECT kind, subject_id FROM flow_grantees WHERE flow_id = ?1 ORDER BY rowid",
        )?;
        let grantees = grantees
            .query_map([flow.id], |row| {
                Ok(subject_from(&row.get::<_, String>(0)?, row.get(1)?))
            })?
            .collect::<Result<Vec<_>, _>>()?;
        let mut steps: Vec<Vec<Subject>> = Vec::new();
        for (step, kind, subject) in &flow.approvers {
            let step = usize::try_from(*step).unwrap_or_default();
            while steps.len() <= step {
                steps.push(Vec::new());
            }
            steps[step].push(subject_from(kind, *subject));
        }
        let step_count = steps.len();
        let mut permissions: Vec<String> = flow.permissions.iter().cloned().collect();
        permissions.sort();
        out.push(AccessFlow {
            id: flow.id,
            flow: AccessFlowInput {
                name: flow.name,
                grantees,
                scope: flow
                    .scope
                    .into_iter()
                    .map(|scope| match scope {
                        store::flows::Scope::Integration(id) => ScopeEntry::Integration { id },
                        store::flows::Scope::ResourceType(id) => ScopeEntry::ResourceType { id },
                        store::flows::Scope::Resource(id) => ScopeEntry::Resource { id },
                        store::flows::Scope::Tag(tag) => ScopeEntry::Tag { tag },
                        store::flows::Scope::Bundle(id) => ScopeEntry::Bundle { id },
                    })
                    .collect(),
                permissions,
                auto_approve: flow.auto_approve,
                approver_steps: steps,
                durations_seconds: flow.durations,
                max_duration_seconds: flow.max_duration,
                justification_required: flow.justification_required,
                ticket_required: flow.ticket_required,
                mfa_required: flow.mfa_required,
                on_behalf_allowed: flow.on_behalf_allowed,
                assistants_allowed: flow.assistants_allowed,
                step_rules: trimmed_rules(flow.step_rules, step_count),
                break_glass: flow.break_glass,
                recurrence: flow.recurrence,
                extend: ExtendSettings {
                    enabled: flow.extend.enabled,
                    by_seconds: flow.extend.by,
                    max_count: flow.extend.max_count,
                    window_seconds: flow.extend.window,
                },
            },
        });
    }
    Ok(out)
}

// ---- users and groups ----

pub fn list_users(conn: Conn<'_>) -> Result<Vec<User>, AppError> {
    let mut statement = conn.prepare(match conn.dialect() {
        Dialect::Sqlite => {
            "SELECT u.id, u.username, u.display_name, u.email, u.is_admin,
                    COALESCE((SELECT json_group_array(group_id) FROM group_members WHERE user_id = u.id), '[]'),
                    u.active, u.idp_username IS NOT NULL OR EXISTS (SELECT 1 FROM user_identities i WHERE i.user_id = u.id)
             FROM users u ORDER BY u.username"
        }
        Dialect::Postgres => {
            "SELECT u.id, u.username, u.display_name, u.email, u.is_admin,
                    COALESCE((SELECT CAST(json_agg(group_id ORDER BY group_id) AS TEXT) FROM group_members WHERE user_id = u.id), '[]'),
                    u.active, (u.idp_username IS NOT NULL OR EXISTS (SELECT 1 FROM user_identities i WHERE i.user_id = u.id))
             FROM users u ORDER BY u.username"
        }
    })?;
    let rows = statement.query_map([], |row| {
        Ok((
            User {
                id: row.get(0)?,
                username: row.get(1)?,
                display_name: row.get(2)?,
                email: row.get(3)?,
                is_admin: row.get(4)?,
                group_ids: Vec::new(),
                active: row.get(6)?,
                from_provider: row.get(7)?,
            },
            row.get::<_, String>(5)?,
        ))
    })?;
    rows.map(|row| {
        let (mut user, groups) = row?;
        user.group_ids = serde_json::from_str(&groups)?;
        Ok(user)
    })
    .collect()
}

pub struct UserFields<'a> {
    pub username: &'a str,
    pub display_name: &'a str,
    pub email: &'a str,
    pub is_admin: bool,
    pub password_hash: Option<&'a str>,
}

pub fn save_user(
    conn: Conn<'_>,
    id: Option<i64>,
    user: &UserFields<'_>,
    now: i64,
) -> Result<i64, AppError> {
    let what = format!("A user named \"{}\"", user.username);
    match id {
        None => {
            let hash = user
                .password_hash
                .ok_or_else(|| AppError::invalid("password", "Set a password for the new user."))?;
            let new_id = conn.insert(
                "INSERT INTO users (username, display_name, email, password_hash, is_admin, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![user.username, user.display_name, user.email, hash, user.is_admin, now],
            )
            .map_err(|e| unique(e, &what))?;
            Ok(new_id)
        }
        Some(id) => {
            let changed = conn
                .execute(
                    "UPDATE users SET username = ?1, display_name = ?2, email = ?3, is_admin = ?4,
                        password_hash = COALESCE(?5, password_hash) WHERE id = ?6",
                    params![
                        user.username,
                        user.display_name,
                        user.email,
                        user.is_admin,
                        user.password_hash,
                        id
                    ],
                )
                .map_err(|e| unique(e, &what))?;
            if user.password_hash.is_some() {
                // A new password signs the user out everywhere.
                conn.execute("DELETE FROM sessions WHERE user_id = ?1", [id])?;
            }
            found(changed, "User", id)
        }
    }
}

pub fn delete_user(conn: Conn<'_>, id: i64) -> Result<(), AppError> {
    refuse_if_used(
        conn,
        id,
        &[
            (
                "SELECT COUNT(*) FROM requests WHERE requester_id = ?1 OR grantee_id = ?1",
                "The user is part of {n} requests and is kept for their history.",
            ),
            (
                "SELECT COUNT(*) FROM approvals WHERE approver_id = ?1",
                "The user decided {n} approvals and is kept for their history.",
            ),
            (
                "SELECT COUNT(*) FROM audit_log WHERE actor_id = ?1",
                "The user appears in {n} audit entries and is kept for the audit trail.",
            ),
            (
                "SELECT COUNT(*) FROM flow_approvers WHERE kind = 'user' AND subject_id = ?1",
                "The user approves in {n} access flow steps; change those flows first.",
            ),
            (
                "SELECT COUNT(*) FROM flow_grantees WHERE kind = 'user' AND subject_id = ?1",
                "The user is a grantee of {n} access flows; change those flows first.",
            ),
        ],
    )?;
    let changed = conn.execute("DELETE FROM users WHERE id = ?1", [id])?;
    found(changed, "User", id).map(|_| ())
}

pub fn list_groups(conn: Conn<'_>) -> Result<Vec<Group>, AppError> {
    let mut statement = conn.prepare(match conn.dialect() {
        Dialect::Sqlite => {
            "SELECT g.id, g.name, COALESCE((SELECT json_group_array(user_id) FROM (SELECT user_id FROM group_members WHERE group_id = g.id ORDER BY user_id)), '[]')
             FROM groups g ORDER BY g.name"
        }
        Dialect::Postgres => {
            "SELECT g.id, g.name, COALESCE((SELECT CAST(json_agg(user_id ORDER BY user_id) AS TEXT) FROM group_members WHERE group_id = g.id), '[]')
             FROM groups g ORDER BY g.name"
        }
    })?;
    let rows = statement.query_map([], |row| {
        Ok((
            row.get::<_, i64>(0)?,
            row.get::<_, String>(1)?,
            row.get::<_, String>(2)?,
        ))
    })?;
    rows.map(|row| {
        let (id, name, members) = row?;
        Ok(Group {
            id,
            name,
            member_ids: serde_json::from_str(&members)?,
        })
    })
    .collect()
}

pub fn save_group(
    conn: Conn<'_>,
    id: Option<i64>,
    name: &str,
    members: &[i64],
) -> Result<i64, AppError> {
    for (index, member) in members.iter().enumerate() {
        if !exists(conn, Entity::User, *member)? {
            return Err(AppError::invalid(
                format!("member_ids[{index}]"),
                format!("User {member} does not exist."),
            ));
        }
    }
    let what = format!("A group named \"{name}\"");
    let id = match id {
        None => conn
            .insert("INSERT INTO groups (name) VALUES (?1)", [name])
            .map_err(|e| unique(e, &what))?,
        Some(id) => {
            let changed = conn
                .execute(
                    "UPDATE groups SET name = ?1 WHERE id = ?2",
                    params![name, id],
                )
                .map_err(|e| unique(e, &what))?;
            found(changed, "Group", id)?;
            conn.execute("DELETE FROM group_members WHERE group_id = ?1", [id])?;
            id
        }
    };
    for member in members {
        conn.execute(
            "INSERT INTO group_members (group_id, user_id) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
            params![id, member],
        )?;
    }
    Ok(id)
}

pub fn delete_group(conn: Conn<'_>, id: i64) -> Result<(), AppError> {
    refuse_if_used(
        conn,
        id,
        &[
            (
                "SELECT COUNT(*) FROM flow_grantees WHERE kind = 'group' AND subject_id = ?1",
                "The group is a grantee of {n} access flows; change those flows first.",
            ),
            (
                "SELECT COUNT(*) FROM flow_approvers WHERE kind = 'group' AND subject_id = ?1",
                "The group approves in {n} access flow steps; change those flows first.",
            ),
        ],
    )?;
    let changed = conn.execute("DELETE FROM groups WHERE id = ?1", [id])?;
    found(changed, "Group", id).map(|_| ())
}

/// Every ticket type, by name.
pub fn ticket_types(conn: Conn<'_>) -> Result<Vec<TicketType>, AppError> {
    let mut statement = conn.prepare_cached("SELECT id, name FROM ticket_types ORDER BY name")?;
    let rows = statement.query_map([], |row| {
        Ok(TicketType {
            id: row.get(0)?,
            name: row.get(1)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Add a ticket type; a name taken is a conflict.
pub fn create_ticket_type(conn: Conn<'_>, name: &str) -> Result<TicketType, AppError> {
    let new_id = conn
        .insert("INSERT INTO ticket_types (name) VALUES (?1)", [name])
        .map_err(|error| unique(error, &format!("A ticket type named {name}")))?;
    Ok(TicketType {
        id: new_id,
        name: name.to_owned(),
    })
}

/// Rename a ticket type; requests keep the name they were made with.
pub fn rename_ticket_type(conn: Conn<'_>, id: i64, name: &str) -> Result<TicketType, AppError> {
    let changed = conn
        .execute(
            "UPDATE ticket_types SET name = ?2 WHERE id = ?1",
            params![id, name],
        )
        .map_err(|error| unique(error, &format!("A ticket type named {name}")))?;
    found(changed, "Ticket type", id)?;
    Ok(TicketType {
        id,
        name: name.to_owned(),
    })
}

/// Remove a ticket type. Requests keep the name they were made with.
pub fn delete_ticket_type(conn: Conn<'_>, id: i64) -> Result<(), AppError> {
    let changed = conn.execute("DELETE FROM ticket_types WHERE id = ?1", [id])?;
    found(changed, "Ticket type", id).map(|_| ())
}

/// Add a ticket type unless it exists.
pub fn ensure_ticket_type(conn: Conn<'_>, name: &str) -> Result<(), AppError> {
    conn.execute(
        "INSERT INTO ticket_types (name) VALUES (?1) ON CONFLICT (name) DO NOTHING",
        [name],
    )?;
    Ok(())
}
