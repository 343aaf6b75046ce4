//! Every connector's settings as form rows, in the order the form shows them.

use super::{Setting, SettingRow};

const POSTGRESQL: &[&str] = &["postgresql"];
const MYSQL: &[&str] = &["mysql"];
const DATABASES: &[&str] = &["postgresql", "mysql"];
const LDAP: &[&str] = &["ldap"];
const WEBHOOK: &[&str] = &["webhook"];
const MANUAL: &[&str] = &["manual"];
const SSH: &[&str] = &["ssh"];
const AWS: &[&str] = &["aws_identity_center", "aws_role"];
const IDENTITY_CENTER: &[&str] = &["aws_identity_center"];
/// The connectors that call a system (and so may call it several times at once).
const CALLING: &[&str] = &[
    "postgresql",
    "mysql",
    "ldap",
    "aws_identity_center",
    "aws_role",
    "webhook",
];
/// The connectors that can list what the target grants (drift).
pub const DRIFT_CONNECTORS: &[&str] = &["postgresql", "mysql", "ldap", "aws_identity_center"];
/// The connectors that retry grants (Grant attempts).
const RETRYING: &[&str] = &[
    "postgresql",
    "mysql",
    "ldap",
    "aws_identity_center",
    "aws_role",
];

const fn row(
    owners: &'static [&'static str],
    key: &'static str,
    label: &'static str,
    input: &'static str,
    kind: Setting,
    hint: &'static str,
) -> SettingRow {
    SettingRow {
        owners,
        key,
        label,
        input,
        kind,
        hint,
    }
}

/// Every connector's settings, in the order the form shows them.
pub const SETTINGS: [SettingRow; 44] = [
    row(POSTGRESQL, "host", "Host", "pg-host", Setting::Text, ""),
    row(
        POSTGRESQL,
        "port",
        "Port",
        "pg-port",
        Setting::Number,
        "Default 5432.",
    ),
    row(
        POSTGRESQL,
        "user",
        "Admin user",
        "pg-user",
        Setting::Text,
        "Creates and drops the grantees' roles.",
    ),
    row(MYSQL, "host", "Host", "mysql-host", Setting::Text, ""),
    row(
        MYSQL,
        "port",
        "Port",
        "mysql-port",
        Setting::Number,
        "Default 3306.",
    ),
    row(
        MYSQL,
        "user",
        "Admin user",
        "mysql-user",
        Setting::Text,
        "Creates and drops the grantees' users.",
    ),
    row(
        DATABASES,
        "password",
        "Admin password",
        "db-password",
        Setting::Secret,
        "",
    ),
    row(
        POSTGRESQL,
        "database",
        "Database",
        "pg-database",
        Setting::Text,
        "Default postgres.",
    ),
    row(
        DATABASES,
        "connect_host",
        "Host grantees connect to",
        "db-connect-host",
        Setting::Text,
        "When it differs from Host: a bastion or a proxy.",
    ),
    row(
        DATABASES,
        "ssl_mode",
        "TLS",
        "db-ssl-mode",
        Setting::Text,
        "verify-full (default): encrypted, the server's certificate checked; disable: plain text.",
    ),
    row(
        DATABASES,
        "ssl_root_cert",
        "CA certificate (PEM)",
        "db-ssl-root-cert",
        Setting::Lines,
        "The CA that signed the server's certificate, when it is not a public one.",
    ),
    row(
        LDAP,
        "url",
        "Directory URL",
        "ldap-url",
        Setting::Text,
        "ldaps://host:636, or ldap://host:389 (with StartTLS, or on a trusted network only).",
    ),
    row(
        LDAP,
        "start_tls",
        "Use StartTLS",
        "ldap-start-tls",
        Setting::Flag,
        "For ldap:// URLs: upgrade the connection to TLS before binding.",
    ),
    row(
        LDAP,
        "ca_cert",
        "CA certificate (PEM)",
        "ldap-ca-cert",
        Setting::Lines,
        "The CA that signed the directory's certificate, when it is not a public one.",
    ),
    row(
        LDAP,
        "bind_dn",
        "Bind DN",
        "ldap-bind-dn",
        Setting::Text,
        "Gatehouse's own account, e.g. cn=gatehouse,ou=services,dc=example,dc=com (or gatehouse@example.com on Active Directory).",
    ),
    row(
        LDAP,
        "password",
        "Bind password",
        "ldap-password",
        Setting::Secret,
        "",
    ),
    row(
        LDAP,
        "user_base_dn",
        "Users under",
        "ldap-user-base",
        Setting::Text,
        "Where grantees' entries are, e.g. ou=people,dc=example,dc=com.",
    ),
    row(
        LDAP,
        "user_attribute",
        "User attribute",
        "ldap-user-attribute",
        Setting::Text,
        "The attribute that names a grantee: uid (default), mail, sAMAccountName…",
    ),
    row(
        LDAP,
        "user_match",
        "Matched with",
        "ldap-user-match",
        Setting::Choice {
            choices: &[
                ("username", "Their Gatehouse user name"),
                ("email", "Their e-mail address"),
            ],
            none: "Default (their Gatehouse user name)",
        },
        "What the user attribute must equal: exactly one entry must match.",
    ),
    row(
        LDAP,
        "group_base_dn",
        "Groups under",
        "ldap-group-base",
        Setting::Text,
        "The groups Gatehouse may grant, e.g. ou=groups,dc=example,dc=com.",
    ),
    row(
        LDAP,
        "group_filter",
        "Group filter",
        "ldap-group-filter",
        Setting::Text,
        "Which entries Sync lists as groups. Default: groupOfNames, posixGroup and group.",
    ),
    row(
        LDAP,
        "membership",
        "Membership",
        "ldap-membership",
        Setting::Choice {
            choices: &[
                (
                    "member",
                    "member: the user's DN (groupOfNames, Active Directory)",
                ),
                (
                    "memberUid",
                    "memberUid: the user attribute's value (posixGroup)",
                ),
            ],
            none: "Default (member)",
        },
        "",
    ),
    row(
        SSH,
        "host",
        "Host",
        "ssh-host",
        Setting::Text,
        "The server grantees log in to, as they reach it: db1.internal, 10.0.0.5.",
    ),
    row(
        SSH,
        "port",
        "Port",
        "ssh-port",
        Setting::Number,
        "Default 22.",
    ),
    row(
        SSH,
        "logins",
        "Logins",
        "ssh-logins",
        Setting::List,
        "The accounts on the host people may ask for, comma-separated (deploy, app); Sync makes one resource of each.",
    ),
    row(
        SSH,
        "max_certificate_minutes",
        "Certificate minutes",
        "ssh-minutes",
        Setting::Number,
        "How long one certificate is valid at most: 1 to 60, default 10. A revoke takes effect within this time.",
    ),
    row(
        AWS,
        "region",
        "Region",
        "aws-region",
        Setting::Text,
        "Where the calls go, e.g. eu-west-1 (Identity Center's home region).",
    ),
    row(
        IDENTITY_CENTER,
        "instance_arn",
        "Instance ARN",
        "aws-instance",
        Setting::Text,
        "arn:aws:sso:::instance/ssoins-…, from IAM Identity Center → Settings.",
    ),
    row(
        IDENTITY_CENTER,
        "identity_store_id",
        "Identity store id",
        "aws-store",
        Setting::Text,
        "d-…; read from the instance when left empty.",
    ),
    row(
        IDENTITY_CENTER,
        "user_match",
        "Users matched by",
        "aws-user-match",
        Setting::Choice {
            choices: &[
                (
                    "username",
                    "Their Gatehouse user name is the Identity Center user name",
                ),
                ("email", "Their e-mail address"),
            ],
            none: "Default (user name)",
        },
        "",
    ),
    row(
        IDENTITY_CENTER,
        "portal_url",
        "AWS access portal URL",
        "aws-portal",
        Setting::Text,
        "https://d-….awsapps.com/start, shown to grantees.",
    ),
    row(
        &["aws_role"],
        "role_path_prefix",
        "Roles under path",
        "aws-role-path",
        Setting::Text,
        "Sync offers the roles under this IAM path, e.g. /gatehouse/ (default: all).",
    ),
    row(
        AWS,
        "access_key_id",
        "Access key id",
        "aws-key-id",
        Setting::Text,
        "Leave empty to use the machine's credentials (environment, shared file, container or instance role).",
    ),
    row(
        AWS,
        "secret_access_key",
        "Secret access key",
        "aws-secret",
        Setting::Secret,
        "",
    ),
    row(
        AWS,
        "endpoint",
        "Endpoint",
        "aws-endpoint",
        Setting::Text,
        "Only for a VPC endpoint: every call goes to this https:// URL.",
    ),
    row(
        RETRYING,
        "grant_attempts",
        "Grant attempts",
        "target-attempts",
        Setting::Number,
        "Default 10, retried with backoff for about 13 minutes; then the request ends Failed.",
    ),
    row(
        WEBHOOK,
        "url",
        "URL",
        "hook-url",
        Setting::Text,
        "Receives signed grant, extend and revoke events.",
    ),
    row(
        WEBHOOK,
        "secret",
        "Signing secret",
        "hook-secret",
        Setting::Secret,
        "At least 16 characters.",
    ),
    row(
        WEBHOOK,
        "grant_attempts",
        "Grant attempts",
        "hook-attempts",
        Setting::Number,
        "Default 5; then the request ends Failed.",
    ),
    row(
        WEBHOOK,
        "timeout_seconds",
        "Timeout in seconds",
        "hook-timeout",
        Setting::Number,
        "Default 10.",
    ),
    row(
        MANUAL,
        "fulfillers",
        "Fulfillers",
        "manual-fulfillers",
        Setting::List,
        "Usernames, comma-separated, who mark grants and removals done (admins always may).",
    ),
    row(
        CALLING,
        "max_concurrent_calls",
        "Calls at once",
        "max-calls",
        Setting::Number,
        "Grants and removals of different requests run side by side, up to this many: 1 to 64, default 4.",
    ),
    row(
        DRIFT_CONNECTORS,
        "drift",
        "Drift mode",
        "drift-mode",
        Setting::Choice {
            choices: &[
                (
                    "report",
                    "Report what the target holds that Gatehouse did not grant",
                ),
                ("enforce", "Report it and remove it"),
                ("off", "Do not look"),
            ],
            none: "Default (report)",
        },
        "Access added by hand, or that should have ended, found in the target system.",
    ),
    row(
        DRIFT_CONNECTORS,
        "drift_interval_minutes",
        "Check for drift every (minutes)",
        "drift-interval",
        Setting::Number,
        "1 to 1440; default 10.",
    ),
];
