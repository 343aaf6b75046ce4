//! `--demo`: a catalog and three users to try Gatehouse with. Idempotent: run
//! it on every start and it adds only what is missing.

use crate::store::Conn;
use crate::{
    db::Db,
    error::AppError,
    store,
    store::{demo::item, users::NewUser},
};

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

/// Seed the demo catalog and users (hashing in a pool of its own).
pub async fn seed(db: &Db, now: i64) -> Result<(), AppError> {
    seed_with(
        db,
        &crate::passwords::Passwords::start(1, std::time::Duration::from_secs(60)),
        now,
    )
    .await
}

/// Seed the demo catalog and users, hashing their passwords in `passwords`
/// (the server's pool, so hashing at start takes no memory of its own).
pub async fn seed_with(
    db: &Db,
    passwords: &crate::passwords::Passwords,
    now: i64,
) -> Result<(), AppError> {
    // Hash outside the write transaction: argon2 is deliberately slow. The
    // demo users share one published password, so one hash serves them all.
    let mut users = Vec::new();
    let mut demo_hash = None;
    for (username, display_name, _, is_admin) in DEMO_USERS {
        let exists = {
            let name = (*username).to_owned();
            db.call(move |conn| store::users::exists(conn, &name))
                .await?
        };
        let hash = match (&demo_hash, exists) {
            (_, true) => String::new(),
            (Some(hash), false) => String::clone(hash),
            (None, false) => {
                let hash = passwords.hash(DEMO_PASSWORD.to_owned()).await?;
                demo_hash = Some(hash.clone());
                hash
            }
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

/// Groups, ticket types, bundles and access flows: one auto-approving, one
/// needing bob, one with two ordered steps (bob, then carol). Written through
/// the same store functions as the admin API, once each.
fn seed_flows(tx: Conn<'_>) -> Result<(), AppError> {
    use gatehouse_shared::admin::{
        AccessFlowInput, ExtendSettings, ScopeEntry,
        Subject::{self, Everyone, Group, User},
    };
    use gatehouse_shared::schedule::{RecurrenceOffer, Weekday};

    let user = |name: &str| store::demo::user_id(tx, name);
    let integration = |name: &str| store::demo::integration_id(tx, name);
    let group = |name: &str, members: &[i64]| -> Result<i64, AppError> {
        match store::demo::group_id(tx, name)? {
            Some(id) => Ok(id),
            None => store::admin::save_group(tx, None, name, members),
        }
    };
    let (alice, bob, carol) = (user("alice")?, user("bob")?, user("carol")?);
    let engineering = group("engineering", &[alice, bob])?;
    group("approvers", &[bob, carol])?;
    store::admin::ensure_ticket_type(tx, "Jira")?;
    store::admin::ensure_ticket_type(tx, "ServiceNow")?;

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

    let flow = |name: &str,
                grantees: Vec<Subject>,
                scope: Vec<ScopeEntry>,
                permissions: &[&str]| AccessFlowInput {
        name: name.to_owned(),
        grantees,
        scope,
        permissions: permissions.iter().map(|p| (*p).to_owned()).collect(),
        auto_approve: true,
        approver_steps: Vec::new(),
        durations_seconds: vec![HOUR, 4 * HOUR],
        max_duration_seconds: 4 * HOUR,
        justification_required: true,
        ticket_required: false,
        mfa_required: false,
        on_behalf_allowed: false,
        extend: ExtendSettings {
            enabled: true,
            by_seconds: HOUR,
            max_count: 2,
            window_seconds: 30 * 60,
        },
        assistants_allowed: true,
        step_rules: Vec::new(),
        break_glass: Default::default(),
        recurrence: None,
    };
    let flows = [
        AccessFlowInput {
            durations_seconds: vec![HOUR, 8 * HOUR, 24 * HOUR],
            max_duration_seconds: 24 * HOUR,
            justification_required: false,
            on_behalf_allowed: true,
            extend: ExtendSettings {
                enabled: true,
                by_seconds: HOUR,
                max_count: 2,
                window_seconds: 15 * 60,
            },
            ..flow(
                "GitHub self-service",
                vec![Everyone],
                vec![
                    ScopeEntry::Integration {
                        id: integration("GitHub")?,
                    },
                    ScopeEntry::Bundle { id: onboarding },
                ],
                &["read", "member"],
            )
        },
        AccessFlowInput {
            extend: ExtendSettings {
                enabled: true,
                by_seconds: HOUR,
                max_count: 1,
                window_seconds: 30 * 60,
            },
            ..flow(
                "On-call break-glass",
                vec![Group { id: engineering }],
                vec![ScopeEntry::Bundle { id: on_call }],
                &[],
            )
        },
        AccessFlowInput {
            auto_approve: false,
            approver_steps: vec![vec![User { id: bob }]],
            durations_seconds: vec![HOUR, 4 * HOUR, 8 * HOUR],
            max_duration_seconds: 8 * HOUR,
            on_behalf_allowed: true,
            // The weekly maintenance window.
            recurrence: Some(RecurrenceOffer {
                weekdays: vec![Weekday::Tuesday],
                start_time: "22:00".into(),
                length_seconds: 4 * HOUR,
                time_zone: "Europe/Berlin".into(),
                max_weeks: 8,
            }),
            ..flow(
                "Production databases",
                vec![Group { id: engineering }],
                vec![ScopeEntry::Integration {
                    id: integration("Prod PostgreSQL")?,
                }],
                &["read-only", "read-write"],
            )
        },
        AccessFlowInput {
            auto_approve: false,
            approver_steps: vec![vec![User { id: bob }], vec![User { id: carol }]],
            ticket_required: true,
            extend: ExtendSettings::default(),
            ..flow(
                "AWS production",
                vec![Everyone],
                vec![ScopeEntry::Integration {
                    id: integration("AWS Production")?,
                }],
                &[],
            )
        },
    ];
    for input in &flows {
        if store::demo::flow_id(tx, &input.name)?.is_none() {
            store::admin::save_flow(tx, None, input)?;
        }
    }
    Ok(())
}

fn seed_catalog(tx: Conn<'_>) -> Result<(), AppError> {
    use store::catalog::{ensure_integration, ensure_resource, ensure_resource_type};

    let postgres = ensure_integration(
        tx,
        "Prod PostgreSQL",
        "postgresql",
        Some("Connect through the bastion: psql is on every jump host. Sessions are recorded."),
        &["terminal", "app"],
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

    let aws = ensure_integration(tx, "AWS Production", "aws", None, &["browser"])?;
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

    let github = ensure_integration(tx, "GitHub", "github", None, &["browser"])?;
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
