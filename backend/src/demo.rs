//! `--demo`: a catalog and three users to try Gatehouse with. Idempotent: run
//! it on every start and it adds only what is missing.

use crate::{auth, db::Db, error::AppError, store, store::users::NewUser};

/// The password of every demo user, printed at start.
pub const DEMO_PASSWORD: &str = "gatehouse-demo";

/// (username, display name, role shown at start, is admin)
pub const DEMO_USERS: &[(&str, &str, &str, bool)] = &[
    ("alice", "Alice Requester", "requester", false),
    ("bob", "Bob Approver", "approver", false),
    ("carol", "Carol Admin", "admin", true),
];

struct DemoType {
    name: &'static str,
    permissions: &'static [&'static str],
}

const DATABASES: &[(&str, &[&str])] = &[
    ("billing", &["prod", "finance", "pii"]),
    ("orders", &["prod", "commerce"]),
    ("analytics", &["prod", "reporting"]),
    ("customers", &["prod", "pii"]),
    ("inventory", &["prod", "commerce"]),
];
const TABLES: &[&str] = &["accounts", "events", "invoices", "line_items", "audit_log"];
const BUCKETS: &[&str] = &[
    "acme-logs",
    "acme-backups",
    "acme-data-lake",
    "acme-invoices",
    "acme-ml-models",
    "acme-static-site",
    "acme-terraform-state",
    "acme-exports",
    "acme-uploads",
    "acme-reports",
    "acme-cdn-assets",
    "acme-audit-archive",
];
const ROLES: &[&str] = &[
    "ReadOnlyAccess",
    "DeveloperAccess",
    "BillingAdmin",
    "SecurityAudit",
    "IncidentResponder",
    "PowerUser",
];
const REPOSITORIES: &[&str] = &[
    "api-gateway",
    "billing-service",
    "checkout-web",
    "data-pipeline",
    "deploy-scripts",
    "design-system",
    "docs",
    "identity-service",
    "infra-terraform",
    "mobile-app",
    "notifications",
    "orders-service",
    "reporting",
    "search-service",
    "warehouse-etl",
];
const TEAMS: &[&str] = &["platform", "payments", "data", "security", "mobile"];

/// Seed the demo catalog and users.
pub async fn seed(db: &Db, now: i64) -> Result<(), AppError> {
    // Hash outside the write transaction: argon2 is deliberately slow.
    let mut users = Vec::new();
    for (username, display_name, _, is_admin) in DEMO_USERS {
        let exists = {
            let name = (*username).to_owned();
            db.call(move |conn| store::users::exists(conn, &name))
                .await?
        };
        let hash = if exists {
            String::new()
        } else {
            let password = DEMO_PASSWORD.to_owned();
            tokio::task::spawn_blocking(move || auth::hash_password(&password))
                .await
                .map_err(|error| AppError::internal(format!("hashing failed: {error}")))??
        };
        users.push((*username, *display_name, *is_admin, hash));
    }
    db.write(move |tx| {
        for (username, display_name, is_admin, hash) in &users {
            if hash.is_empty() {
                continue;
            }
            store::users::ensure(
                tx,
                &NewUser {
                    username,
                    display_name,
                    email: &format!("{username}@example.com"),
                    password_hash: hash,
                    is_admin: *is_admin,
                },
                now,
            )?;
        }
        seed_catalog(tx)?;
        seed_flows(tx)
    })
    .await
}

const HOUR: i64 = 3_600;

fn id_of(tx: &rusqlite::Transaction<'_>, sql: &str, key: &str) -> Result<i64, AppError> {
    Ok(tx.query_row(sql, [key], |row| row.get(0))?)
}

/// (resource path, permission) → (resource id, permission id)
fn item(
    tx: &rusqlite::Transaction<'_>,
    path: &str,
    permission: &str,
) -> Result<(i64, i64), AppError> {
    Ok(tx.query_row(
        "SELECT r.id, p.id FROM resources r JOIN permissions p ON p.resource_type_id = r.resource_type_id
         WHERE r.path = ?1 AND p.name = ?2",
        rusqlite::params![path, permission],
        |row| Ok((row.get(0)?, row.get(1)?)),
    )?)
}

/// Groups, ticket types, bundles and access flows: one auto-approving, one
/// needing bob, one with two ordered steps (bob, then carol).
fn seed_flows(tx: &rusqlite::Transaction<'_>) -> Result<(), AppError> {
    use store::admin_seed::{
        Approver, Grantee, NewFlow, ensure_flow, ensure_group, ensure_ticket_type,
    };
    use store::flows::Scope;

    let user = |name: &str| id_of(tx, "SELECT id FROM users WHERE username = ?1", name);
    let integration = |name: &str| id_of(tx, "SELECT id FROM integrations WHERE name = ?1", name);
    let (alice, bob, carol) = (user("alice")?, user("bob")?, user("carol")?);
    let engineering = ensure_group(tx, "engineering", &[alice, bob])?;
    ensure_group(tx, "approvers", &[bob, carol])?;
    ensure_ticket_type(tx, "Jira")?;
    ensure_ticket_type(tx, "ServiceNow")?;

    let on_call = store::bundles::ensure(
        tx,
        "On-call responder",
        "What the on-call engineer needs during an incident.",
        &[
            item(tx, "orders", "read-only")?,
            item(
                tx,
                "arn:aws:iam::123456789012:role/IncidentResponder",
                "assume",
            )?,
            item(tx, "s3://acme-logs", "read-only")?,
        ],
    )?;
    store::bundles::ensure(
        tx,
        "Billing analyst",
        "Read access to billing data for month-end close.",
        &[
            item(tx, "billing", "read-only")?,
            item(tx, "billing/public/invoices", "read-only")?,
            item(tx, "s3://acme-invoices", "read-only")?,
        ],
    )?;
    let onboarding = store::bundles::ensure(
        tx,
        "New engineer onboarding",
        "Code and team membership for a new engineer's first weeks.",
        &[
            item(tx, "acme/api-gateway", "read")?,
            item(tx, "acme/docs", "read")?,
            item(tx, "acme/design-system", "read")?,
            item(tx, "acme/teams/platform", "member")?,
        ],
    )?;

    ensure_flow(
        tx,
        &NewFlow {
            name: "GitHub self-service",
            auto_approve: true,
            durations: &[HOUR, 8 * HOUR, 24 * HOUR],
            max_duration: 24 * HOUR,
            justification_required: false,
            ticket_required: false,
            on_behalf_allowed: true,
            extend_enabled: true,
            extend_by: HOUR,
            extend_max_count: 2,
            extend_window: 15 * 60,
            grantees: &[Grantee::Everyone],
            scope: &[
                Scope::Integration(integration("GitHub")?),
                Scope::Bundle(onboarding),
            ],
            permissions: &["read", "member"],
            steps: &[],
        },
    )?;
    ensure_flow(
        tx,
        &NewFlow {
            name: "On-call break-glass",
            auto_approve: true,
            durations: &[HOUR, 4 * HOUR],
            max_duration: 4 * HOUR,
            justification_required: true,
            ticket_required: false,
            on_behalf_allowed: false,
            extend_enabled: true,
            extend_by: HOUR,
            extend_max_count: 1,
            extend_window: 30 * 60,
            grantees: &[Grantee::Group(engineering)],
            scope: &[Scope::Bundle(on_call)],
            permissions: &[],
            steps: &[],
        },
    )?;
    ensure_flow(
        tx,
        &NewFlow {
            name: "Production databases",
            auto_approve: false,
            durations: &[HOUR, 4 * HOUR, 8 * HOUR],
            max_duration: 8 * HOUR,
            justification_required: true,
            ticket_required: false,
            on_behalf_allowed: true,
            extend_enabled: true,
            extend_by: HOUR,
            extend_max_count: 2,
            extend_window: 30 * 60,
            grantees: &[Grantee::Group(engineering)],
            scope: &[Scope::Integration(integration("Prod PostgreSQL")?)],
            permissions: &["read-only", "read-write"],
            steps: &[&[Approver::User(bob)]],
        },
    )?;
    ensure_flow(
        tx,
        &NewFlow {
            name: "AWS production",
            auto_approve: false,
            durations: &[HOUR, 4 * HOUR],
            max_duration: 4 * HOUR,
            justification_required: true,
            ticket_required: true,
            on_behalf_allowed: false,
            extend_enabled: false,
            extend_by: 0,
            extend_max_count: 0,
            extend_window: 0,
            grantees: &[Grantee::Everyone],
            scope: &[Scope::Integration(integration("AWS Production")?)],
            permissions: &[],
            steps: &[&[Approver::User(bob)], &[Approver::User(carol)]],
        },
    )?;
    Ok(())
}

fn seed_catalog(tx: &rusqlite::Transaction<'_>) -> Result<(), AppError> {
    use store::catalog::{ensure_integration, ensure_resource, ensure_resource_type};

    let postgres = ensure_integration(
        tx,
        "Prod PostgreSQL",
        "postgresql",
        Some("Connect through the bastion: psql is on every jump host. Sessions are recorded."),
    )?;
    let database = DemoType {
        name: "database",
        permissions: &["read-only", "read-write", "admin"],
    };
    let table = DemoType {
        name: "table",
        permissions: &["read-only", "read-write"],
    };
    let database_id = ensure_resource_type(tx, postgres, database.name, database.permissions)?;
    let table_id = ensure_resource_type(tx, postgres, table.name, table.permissions)?;
    for (name, tags) in DATABASES {
        ensure_resource(tx, postgres, database_id, name, name, tags)?;
        for table in TABLES {
            let path = format!("{name}/public/{table}");
            ensure_resource(
                tx,
                postgres,
                table_id,
                &format!("{name}.{table}"),
                &path,
                tags,
            )?;
        }
    }

    let aws = ensure_integration(tx, "AWS Production", "aws", None)?;
    let bucket_id =
        ensure_resource_type(tx, aws, "S3 bucket", &["read-only", "read-write", "admin"])?;
    let role_id = ensure_resource_type(tx, aws, "IAM role", &["assume"])?;
    for bucket in BUCKETS {
        ensure_resource(
            tx,
            aws,
            bucket_id,
            bucket,
            &format!("s3://{bucket}"),
            &["prod", "storage"],
        )?;
    }
    for role in ROLES {
        ensure_resource(
            tx,
            aws,
            role_id,
            role,
            &format!("arn:aws:iam::123456789012:role/{role}"),
            &["prod", "iam"],
        )?;
    }

    let github = ensure_integration(tx, "GitHub", "github", None)?;
    let repository_id =
        ensure_resource_type(tx, github, "repository", &["read", "write", "admin"])?;
    let team_id = ensure_resource_type(tx, github, "team", &["member", "maintainer"])?;
    for repository in REPOSITORIES {
        ensure_resource(
            tx,
            github,
            repository_id,
            repository,
            &format!("acme/{repository}"),
            &["code"],
        )?;
    }
    for team in TEAMS {
        ensure_resource(
            tx,
            github,
            team_id,
            team,
            &format!("acme/teams/{team}"),
            &["team"],
        )?;
    }
    Ok(())
}
