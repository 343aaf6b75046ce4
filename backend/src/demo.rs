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
        seed_catalog(tx)
    })
    .await
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
