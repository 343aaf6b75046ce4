//! A generated catalog of any size, shaped like a real estate of databases,
//! buckets, roles and repositories, to bury the demo catalog in: Assist's
//! 100k recall test and `scripts/bench-assist` (through
//! `examples/assist_catalog.rs`) use the same one. Deterministic.

/// One generated resource: (integration, resource type, name, path, tags).
pub type Synthetic = (&'static str, &'static str, String, String, Vec<String>);

const DOMAINS: &[&str] = &[
    "ledger",
    "payments",
    "shipping",
    "crm",
    "hr",
    "marketing",
    "support",
    "search",
    "auth",
    "telemetry",
    "pricing",
    "catalog",
    "fraud",
    "risk",
    "payroll",
    "tax",
    "returns",
    "loyalty",
    "messaging",
    "scheduling",
    "warehouse",
    "fleet",
    "partners",
    "vendors",
    "compliance",
];
const TABLES: &[&str] = &[
    "users",
    "sessions",
    "events",
    "orders",
    "invoices",
    "refunds",
    "payouts",
    "audit_log",
    "accounts",
    "line_items",
    "shipments",
    "tickets",
    "contacts",
    "campaigns",
    "documents",
    "transactions",
    "subscriptions",
    "addresses",
    "notes",
    "jobs",
];
const ENVIRONMENTS: &[&str] = &["prod", "staging", "dev", "qa"];
const PURPOSES: &[&str] = &[
    "logs",
    "backups",
    "exports",
    "uploads",
    "archive",
    "artifacts",
    "snapshots",
    "reports",
];
const SERVICES: &[&str] = &[
    "api", "worker", "web", "cli", "sdk", "service", "jobs", "gateway",
];
const ROLE_KINDS: &[&str] = &["ReadOnly", "Operator", "Deployer", "Auditor", "Admin"];

/// `count` resources, spread over the demo's integrations and types.
pub fn catalog(count: usize) -> Vec<Synthetic> {
    let mut out = Vec::with_capacity(count);
    let mut n = 0usize;
    while out.len() < count {
        let domain = DOMAINS[n % DOMAINS.len()];
        let environment = ENVIRONMENTS[(n / DOMAINS.len()) % ENVIRONMENTS.len()];
        let shard = n / (DOMAINS.len() * ENVIRONMENTS.len());
        let tags = vec![environment.to_owned(), domain.to_owned()];
        match n % 10 {
            0..=5 => {
                let table = TABLES[(n / 7) % TABLES.len()];
                let database = format!("{domain}_{environment}_{shard}");
                out.push((
                    "Prod PostgreSQL",
                    "table",
                    format!("{database}.{table}"),
                    format!("{database}/public/{table}"),
                    tags,
                ));
            }
            6 | 7 => {
                let purpose = PURPOSES[(n / 3) % PURPOSES.len()];
                let bucket = format!("acme-{domain}-{purpose}-{environment}-{shard}");
                out.push((
                    "AWS Production",
                    "S3 bucket",
                    bucket.clone(),
                    format!("s3://{bucket}"),
                    tags,
                ));
            }
            8 => {
                let kind = ROLE_KINDS[(n / 5) % ROLE_KINDS.len()];
                let role = format!(
                    "{}{kind}{}{shard}",
                    capitalised(domain),
                    capitalised(environment)
                );
                out.push((
                    "AWS Production",
                    "IAM role",
                    role.clone(),
                    format!("arn:aws:iam::123456789012:role/{role}"),
                    tags,
                ));
            }
            _ => {
                let service = SERVICES[(n / 11) % SERVICES.len()];
                let repository = format!("{domain}-{service}-{environment}-{shard}");
                out.push((
                    "GitHub",
                    "repository",
                    repository.clone(),
                    format!("acme/{repository}"),
                    vec!["code".to_owned(), domain.to_owned()],
                ));
            }
        }
        n += 1;
    }
    out
}

fn capitalised(word: &str) -> String {
    let mut chars = word.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}
