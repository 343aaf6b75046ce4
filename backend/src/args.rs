//! The `gatehouse` command's arguments: the commands, and the settings of
//! `serve` that come from flags or the environment (notifications, sign-in
//! with the identity provider, operations). `main.rs` runs them; the
//! client commands' own arguments are in `cli`.

use std::{net::SocketAddr, path::PathBuf, sync::Arc};

use clap::{Parser, Subcommand, ValueEnum};

#[derive(Parser)]
#[command(name = "gatehouse", version, about = "Just-in-time access portal")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
    /// Run the server: REST API, portal and background work.
    Serve {
        /// The store: a SQLite file (a path or `sqlite:PATH`, created when
        /// missing) or a PostgreSQL server (`postgres://user:pass@host/db`,
        /// completed from the PG* variables, TLS as `sslmode` says).
        #[arg(long, env = "GATEHOUSE_DB", default_value = "gatehouse.db")]
        db: String,
        /// Address to listen on.
        #[arg(long, env = "GATEHOUSE_LISTEN", default_value = "127.0.0.1:8080")]
        listen: SocketAddr,
        /// Add the demo catalog and users (alice, bob, carol) when missing.
        #[arg(long, env = "GATEHOUSE_DEMO")]
        demo: bool,
        /// Key that seals secrets at rest (created when missing; default: the
        /// SQLite file's path + ".key", or `gatehouse.key` with PostgreSQL).
        #[arg(long, env = "GATEHOUSE_KEY_FILE")]
        key_file: Option<PathBuf>,
        /// Load balancers or proxies in front of this server (addresses or
        /// CIDR ranges, comma-separated): for connections from them, the
        /// client's address is read from `X-Forwarded-For`.
        #[arg(long, env = "GATEHOUSE_TRUSTED_PROXIES", default_value = "")]
        trusted_proxies: String,
        #[command(flatten)]
        notify: Box<NotifyArgs>,
        #[command(flatten)]
        ops: OpsArgs,
        #[command(flatten)]
        sso: Box<SsoArgs>,
        #[command(flatten)]
        connections: crate::listener::ConnectionLimits,
        #[command(flatten)]
        passwords: crate::passwords::PasswordLimits,
    },
    /// Copy a SQLite store into a new file while the server runs (SQLite's
    /// online backup API); the copy is checked before it gets its name.
    /// Keep the key file with it. For PostgreSQL, use pg_dump.
    Backup {
        /// The SQLite file to copy.
        #[arg(long, env = "GATEHOUSE_DB", default_value = "gatehouse.db")]
        db: String,
        /// The new file to write (never overwritten).
        #[arg(long)]
        to: PathBuf,
    },
    /// Print the OpenAPI document.
    Openapi,
    /// Log in to a Gatehouse server and store a personal API token for the CLI.
    Login {
        /// The server's URL, e.g. https://gatehouse.example.com
        #[arg(long, env = "GATEHOUSE_SERVER")]
        server: String,
        /// Your username (the password is read from GATEHOUSE_PASSWORD or standard input).
        #[arg(long, env = "GATEHOUSE_USER", default_value_t = default_user())]
        username: String,
        /// Days until the stored token stops working.
        #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u32).range(1..=366))]
        days: u32,
        /// Sign in through the browser with the server's identity provider
        /// (the default when the server has passwords turned off).
        #[arg(long)]
        browser: bool,
    },
    /// List my active access.
    Access,
    /// Request access to a resource: preview, submit, and with --wait
    /// follow it until it is Active (then how to connect) or ends.
    Request(crate::cli::request::RequestArgs),
    /// List my requests with their status, newest first.
    Requests(crate::cli::requests::ListArgs),
    /// Serve the MCP tools (suggest, preview, request access…) over stdio
    /// for an AI assistant, as the user `gatehouse login` stored.
    Mcp,
    /// Connect to an active access: fresh credentials, then psql (PostgreSQL)
    /// or the mariadb client (MySQL); for SSH a short-lived certificate for
    /// my own key, then ssh; else the credentials and connection options printed.
    Connect {
        /// The request's id (see `gatehouse access`).
        request_id: i64,
        /// Print the credentials (for SSH, the ssh command line) instead of running it.
        #[arg(long)]
        print: bool,
        /// Extra arguments for the client (psql, mariadb, ssh), after `--`
        /// (e.g. `-- -c 'select 1'`, or `-- uptime`).
        #[arg(last = true)]
        psql_args: Vec<String>,
    },
    /// Work with a store: move it to another (`db copy --from gatehouse.db --to postgres://…`).
    Db {
        #[command(subcommand)]
        command: DbCommand,
    },
    /// Work with the audit log: check its hash chain (`audit verify`).
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
}

/// Notifications and the Slack app. Slack is on when both its bot token and
/// signing secret are set; e-mail when an SMTP host and a sender are set.
#[derive(clap::Args)]
pub struct NotifyArgs {
    /// The portal's address as people reach it, for links in messages (default: http://LISTEN).
    #[arg(long, env = "GATEHOUSE_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// Slack bot token (xoxb-…).
    #[arg(long, env = "GATEHOUSE_SLACK_BOT_TOKEN", hide_env_values = true)]
    pub slack_bot_token: Option<String>,
    /// Slack signing secret, to verify requests from Slack.
    #[arg(long, env = "GATEHOUSE_SLACK_SIGNING_SECRET", hide_env_values = true)]
    pub slack_signing_secret: Option<String>,
    /// Slack Web API base URL.
    #[arg(long, env = "GATEHOUSE_SLACK_API_URL", default_value = crate::slack::DEFAULT_API_BASE)]
    pub slack_api_url: String,
    /// The slash command as installed in Slack.
    #[arg(long, env = "GATEHOUSE_SLACK_COMMAND", default_value = crate::slack::DEFAULT_COMMAND)]
    pub slack_command: String,
    /// SMTP server for e-mail notifications.
    #[arg(long, env = "GATEHOUSE_SMTP_HOST")]
    pub smtp_host: Option<String>,
    /// SMTP port (default: 465 with tls, 587 with starttls, 25 with none).
    #[arg(long, env = "GATEHOUSE_SMTP_PORT")]
    pub smtp_port: Option<u16>,
    /// How the SMTP connection is protected.
    #[arg(
        long,
        env = "GATEHOUSE_SMTP_SECURITY",
        value_enum,
        default_value = "starttls"
    )]
    pub smtp_security: crate::notify::email::SmtpSecurity,
    #[arg(long, env = "GATEHOUSE_SMTP_USERNAME")]
    pub smtp_username: Option<String>,
    #[arg(long, env = "GATEHOUSE_SMTP_PASSWORD", hide_env_values = true)]
    pub smtp_password: Option<String>,
    /// Sender of e-mail notifications, e.g. "Gatehouse <gatehouse@example.com>".
    #[arg(long, env = "GATEHOUSE_SMTP_FROM")]
    pub smtp_from: Option<String>,
}

impl NotifyArgs {
    pub fn config(self, listen: SocketAddr) -> Result<crate::notify::NotifyConfig, String> {
        use crate::notify::{
            Secret,
            email::{EmailConfig, SmtpSecurity},
        };
        let slack = match (self.slack_bot_token, self.slack_signing_secret) {
            (Some(token), Some(secret)) if !token.is_empty() && !secret.is_empty() => {
                Some(Arc::new(crate::slack::SlackConfig::new(
                    Secret::new(token),
                    Secret::new(secret),
                    &self.slack_api_url,
                    &self.slack_command,
                )))
            }
            (None, None) => None,
            _ => {
                return Err("Slack needs both --slack-bot-token and --slack-signing-secret".into());
            }
        };
        let email = match (self.smtp_host, self.smtp_from) {
            (Some(host), Some(from)) => {
                let port = self.smtp_port.unwrap_or(match self.smtp_security {
                    SmtpSecurity::Tls => 465,
                    SmtpSecurity::Starttls => 587,
                    SmtpSecurity::None => 25,
                });
                let mut config = EmailConfig::plain(&host, port, &from)?;
                config.security = self.smtp_security;
                config.username = self.smtp_username;
                config.password = self.smtp_password.map(Secret::new);
                Some(Arc::new(config))
            }
            (None, None) => None,
            _ => return Err("e-mail needs both --smtp-host and --smtp-from".into()),
        };
        Ok(crate::notify::NotifyConfig {
            public_url: self
                .public_url
                .unwrap_or_else(|| format!("http://{listen}"))
                .trim_end_matches('/')
                .to_owned(),
            slack,
            email,
        })
    }
}

/// Sign-in with the company's identity provider, for automated installs:
/// given at start, these replace what an admin saved (Admin → Sign-in).
#[derive(clap::Args)]
pub struct SsoArgs {
    /// The OpenID Provider's issuer URL (turns sign-in with it on).
    #[arg(long, env = "GATEHOUSE_OIDC_ISSUER")]
    pub oidc_issuer: Option<String>,
    #[arg(long, env = "GATEHOUSE_OIDC_CLIENT_ID")]
    pub oidc_client_id: Option<String>,
    #[arg(long, env = "GATEHOUSE_OIDC_CLIENT_SECRET", hide_env_values = true)]
    pub oidc_client_secret: Option<String>,
    /// The provider's name on the log-in button ("Sign in with …").
    #[arg(
        long,
        env = "GATEHOUSE_OIDC_NAME",
        default_value = "your identity provider"
    )]
    pub oidc_name: String,
    /// Scopes besides openid, separated by spaces or commas.
    #[arg(long, env = "GATEHOUSE_OIDC_SCOPES", default_value = "email profile")]
    pub oidc_scopes: String,
    /// The claim listing the user's groups.
    #[arg(long, env = "GATEHOUSE_OIDC_GROUPS_CLAIM", default_value = "groups")]
    pub oidc_groups_claim: String,
    /// Members of this provider group are admins.
    #[arg(long, env = "GATEHOUSE_OIDC_ADMIN_GROUP")]
    pub oidc_admin_group: Option<String>,
    /// Turn local passwords off but for the break-glass admins.
    #[arg(long, env = "GATEHOUSE_PASSWORDS_OFF")]
    pub passwords_off: bool,
    /// Usernames that keep their password when passwords are off (comma-separated).
    #[arg(long, env = "GATEHOUSE_BREAK_GLASS_ADMINS", default_value = "")]
    pub break_glass_admins: String,
    /// The SCIM bearer token the provider sends (at least 20 characters).
    #[arg(long, env = "GATEHOUSE_SCIM_TOKEN", hide_env_values = true)]
    pub scim_token: Option<String>,
}

impl SsoArgs {
    pub fn settings(&self) -> Option<gatehouse_shared::sso::SsoSettingsInput> {
        let issuer = self.oidc_issuer.clone()?;
        let list = |text: &str| -> Vec<String> {
            text.split([',', ' '])
                .map(str::trim)
                .filter(|w| !w.is_empty())
                .map(str::to_owned)
                .collect()
        };
        Some(gatehouse_shared::sso::SsoSettingsInput {
            enabled: true,
            display_name: self.oidc_name.clone(),
            issuer,
            client_id: self.oidc_client_id.clone().unwrap_or_default(),
            client_secret: self.oidc_client_secret.clone(),
            scopes: list(&self.oidc_scopes),
            groups_claim: self.oidc_groups_claim.clone(),
            admin_group: self.oidc_admin_group.clone(),
            password_login: !self.passwords_off,
            break_glass_admins: list(&self.break_glass_admins),
        })
    }
}

/// How the server is run and observed: logs, metrics, shutdown.
#[derive(clap::Args)]
pub struct OpsArgs {
    /// Log lines as text for people, or JSON objects (one a line) for a log
    /// pipeline. Levels and targets: GATEHOUSE_LOG (e.g. `info,tower_http=debug`).
    #[arg(long, env = "GATEHOUSE_LOG_FORMAT", value_enum, default_value = "text")]
    pub log_format: LogFormat,
    /// Bearer token that GET /metrics asks for (open when unset).
    #[arg(long, env = "GATEHOUSE_METRICS_TOKEN", hide_env_values = true)]
    pub metrics_token: Option<String>,
    /// Serve GET /metrics (with /healthz and /readyz) on this address
    /// instead of the main one, e.g. 127.0.0.1:9090.
    #[arg(long, env = "GATEHOUSE_METRICS_LISTEN")]
    pub metrics_listen: Option<SocketAddr>,
    /// Seconds a shutdown (SIGTERM, Ctrl-C) waits for requests in flight and
    /// background passes under way before the process exits anyway.
    #[arg(long, env = "GATEHOUSE_SHUTDOWN_TIMEOUT", default_value_t = 10,
          value_parser = clap::value_parser!(u64).range(0..=3600))]
    pub shutdown_timeout: u64,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Subcommand)]
pub enum DbCommand {
    /// Copy every table (users, flows, requests, audit log, sealed secrets,
    /// outbox) into an empty store; refuses a target that holds any row.
    /// Copy the key file too: sealed secrets need it.
    Copy {
        /// The store to copy: a SQLite file or a `postgres://` URL.
        #[arg(long)]
        from: String,
        /// The empty store to fill (migrated first).
        #[arg(long)]
        to: String,
    },
}

#[derive(Subcommand)]
pub enum AuditCommand {
    /// Recompute the audit log's hash chain; exits 1 when an entry was edited or removed.
    Verify {
        /// The store: a SQLite file or a `postgres://` URL.
        #[arg(long, env = "GATEHOUSE_DB", default_value = "gatehouse.db")]
        db: String,
    },
}

/// Whom `gatehouse login` signs in as unless told: the account's user name.
fn default_user() -> String {
    std::env::var("USER").unwrap_or_default()
}
