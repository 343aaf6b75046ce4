//! The `gatehouse` command: `serve` runs the server, `openapi` prints the API
//! document, `audit verify` checks the audit log, `backup` copies a SQLite
//! store while it runs; `login`, `access`, `request`, `requests` and
//! `connect` are the client side (Connect from the terminal).

use std::{
    net::SocketAddr,
    path::PathBuf,
    process::ExitCode,
    sync::Arc,
    time::{Duration, Instant},
};

use clap::{Parser, Subcommand, ValueEnum};
use gatehouse::{AppState, app, clock::SystemClock, db::Db, demo};
use tokio_util::sync::CancellationToken;
use tracing_subscriber::EnvFilter;

#[derive(Parser)]
#[command(name = "gatehouse", version, about = "Just-in-time access portal")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
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
        connections: gatehouse::listener::ConnectionLimits,
        #[command(flatten)]
        passwords: gatehouse::passwords::PasswordLimits,
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
    Request(gatehouse::cli::request::RequestArgs),
    /// List my requests with their status, newest first.
    Requests(gatehouse::cli::requests::ListArgs),
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
struct NotifyArgs {
    /// The portal's address as people reach it, for links in messages (default: http://LISTEN).
    #[arg(long, env = "GATEHOUSE_PUBLIC_URL")]
    public_url: Option<String>,
    /// Slack bot token (xoxb-…).
    #[arg(long, env = "GATEHOUSE_SLACK_BOT_TOKEN", hide_env_values = true)]
    slack_bot_token: Option<String>,
    /// Slack signing secret, to verify requests from Slack.
    #[arg(long, env = "GATEHOUSE_SLACK_SIGNING_SECRET", hide_env_values = true)]
    slack_signing_secret: Option<String>,
    /// Slack Web API base URL.
    #[arg(long, env = "GATEHOUSE_SLACK_API_URL", default_value = gatehouse::slack::DEFAULT_API_BASE)]
    slack_api_url: String,
    /// The slash command as installed in Slack.
    #[arg(long, env = "GATEHOUSE_SLACK_COMMAND", default_value = gatehouse::slack::DEFAULT_COMMAND)]
    slack_command: String,
    /// SMTP server for e-mail notifications.
    #[arg(long, env = "GATEHOUSE_SMTP_HOST")]
    smtp_host: Option<String>,
    /// SMTP port (default: 465 with tls, 587 with starttls, 25 with none).
    #[arg(long, env = "GATEHOUSE_SMTP_PORT")]
    smtp_port: Option<u16>,
    /// How the SMTP connection is protected.
    #[arg(
        long,
        env = "GATEHOUSE_SMTP_SECURITY",
        value_enum,
        default_value = "starttls"
    )]
    smtp_security: gatehouse::notify::email::SmtpSecurity,
    #[arg(long, env = "GATEHOUSE_SMTP_USERNAME")]
    smtp_username: Option<String>,
    #[arg(long, env = "GATEHOUSE_SMTP_PASSWORD", hide_env_values = true)]
    smtp_password: Option<String>,
    /// Sender of e-mail notifications, e.g. "Gatehouse <gatehouse@example.com>".
    #[arg(long, env = "GATEHOUSE_SMTP_FROM")]
    smtp_from: Option<String>,
}

impl NotifyArgs {
    fn config(self, listen: SocketAddr) -> Result<gatehouse::notify::NotifyConfig, String> {
        use gatehouse::notify::{
            Secret,
            email::{EmailConfig, SmtpSecurity},
        };
        let slack = match (self.slack_bot_token, self.slack_signing_secret) {
            (Some(token), Some(secret)) if !token.is_empty() && !secret.is_empty() => {
                Some(Arc::new(gatehouse::slack::SlackConfig::new(
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
        Ok(gatehouse::notify::NotifyConfig {
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
struct SsoArgs {
    /// The OpenID Provider's issuer URL (turns sign-in with it on).
    #[arg(long, env = "GATEHOUSE_OIDC_ISSUER")]
    oidc_issuer: Option<String>,
    #[arg(long, env = "GATEHOUSE_OIDC_CLIENT_ID")]
    oidc_client_id: Option<String>,
    #[arg(long, env = "GATEHOUSE_OIDC_CLIENT_SECRET", hide_env_values = true)]
    oidc_client_secret: Option<String>,
    /// The provider's name on the log-in button ("Sign in with …").
    #[arg(
        long,
        env = "GATEHOUSE_OIDC_NAME",
        default_value = "your identity provider"
    )]
    oidc_name: String,
    /// Scopes besides openid, separated by spaces or commas.
    #[arg(long, env = "GATEHOUSE_OIDC_SCOPES", default_value = "email profile")]
    oidc_scopes: String,
    /// The claim listing the user's groups.
    #[arg(long, env = "GATEHOUSE_OIDC_GROUPS_CLAIM", default_value = "groups")]
    oidc_groups_claim: String,
    /// Members of this provider group are admins.
    #[arg(long, env = "GATEHOUSE_OIDC_ADMIN_GROUP")]
    oidc_admin_group: Option<String>,
    /// Turn local passwords off but for the break-glass admins.
    #[arg(long, env = "GATEHOUSE_PASSWORDS_OFF")]
    passwords_off: bool,
    /// Usernames that keep their password when passwords are off (comma-separated).
    #[arg(long, env = "GATEHOUSE_BREAK_GLASS_ADMINS", default_value = "")]
    break_glass_admins: String,
    /// The SCIM bearer token the provider sends (at least 20 characters).
    #[arg(long, env = "GATEHOUSE_SCIM_TOKEN", hide_env_values = true)]
    scim_token: Option<String>,
}

impl SsoArgs {
    fn settings(&self) -> Option<gatehouse_shared::sso::SsoSettingsInput> {
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
struct OpsArgs {
    /// Log lines as text for people, or JSON objects (one a line) for a log
    /// pipeline. Levels and targets: GATEHOUSE_LOG (e.g. `info,tower_http=debug`).
    #[arg(long, env = "GATEHOUSE_LOG_FORMAT", value_enum, default_value = "text")]
    log_format: LogFormat,
    /// Bearer token that GET /metrics asks for (open when unset).
    #[arg(long, env = "GATEHOUSE_METRICS_TOKEN", hide_env_values = true)]
    metrics_token: Option<String>,
    /// Serve GET /metrics (with /healthz and /readyz) on this address
    /// instead of the main one, e.g. 127.0.0.1:9090.
    #[arg(long, env = "GATEHOUSE_METRICS_LISTEN")]
    metrics_listen: Option<SocketAddr>,
    /// Seconds a shutdown (SIGTERM, Ctrl-C) waits for requests in flight and
    /// background passes under way before the process exits anyway.
    #[arg(long, env = "GATEHOUSE_SHUTDOWN_TIMEOUT", default_value_t = 10,
          value_parser = clap::value_parser!(u64).range(0..=3600))]
    shutdown_timeout: u64,
}

#[derive(Clone, Copy, ValueEnum)]
enum LogFormat {
    Text,
    Json,
}

#[derive(Subcommand)]
enum DbCommand {
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
enum AuditCommand {
    /// Recompute the audit log's hash chain; exits 1 when an entry was edited or removed.
    Verify {
        /// The store: a SQLite file or a `postgres://` URL.
        #[arg(long, env = "GATEHOUSE_DB", default_value = "gatehouse.db")]
        db: String,
    },
}

fn copy_store(from: &str, to: &str) -> ExitCode {
    if let gatehouse::db::Location::Sqlite(path) = gatehouse::db::Location::parse(from)
        && !path.is_file()
    {
        eprintln!("gatehouse: no database at {}", path.display());
        return ExitCode::FAILURE;
    }
    let started = std::time::Instant::now();
    let copied = (|| -> Result<gatehouse::store::copy::CopyReport, String> {
        let source = Db::connect(from).map_err(|error| error.to_string())?;
        let target = Db::connect(to).map_err(|error| error.to_string())?;
        let runtime = tokio::runtime::Runtime::new().map_err(|error| error.to_string())?;
        runtime
            .block_on(source.with_source_and_target(&target, gatehouse::store::copy::copy))
            .map_err(|error| match error {
                gatehouse::error::AppError::Conflict(message) => message,
                other => other.to_string(),
            })
    })();
    match copied {
        Ok(report) => {
            for (table, rows) in &report.tables {
                println!("{table:>26}: {rows} rows");
            }
            println!(
                "copied {} rows into {} in {} ms; run `gatehouse audit verify --db …` on it, and keep the key file with it",
                report.rows(),
                gatehouse::db::Location::parse(to).describe(),
                started.elapsed().as_millis()
            );
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("gatehouse: cannot copy: {error}");
            ExitCode::FAILURE
        }
    }
}

fn verify_audit(location: &str) -> ExitCode {
    if let gatehouse::db::Location::Sqlite(path) = gatehouse::db::Location::parse(location)
        && !path.is_file()
    {
        eprintln!("gatehouse: no database at {}", path.display());
        return ExitCode::FAILURE;
    }
    let started = std::time::Instant::now();
    let verdict = Db::connect(location)
        .map_err(|error| error.to_string())
        .and_then(|db| {
            let runtime = tokio::runtime::Runtime::new().map_err(|error| error.to_string())?;
            runtime
                .block_on(db.call(gatehouse::store::audit::verify))
                .map_err(|error| error.to_string())
        });
    match verdict {
        Ok(gatehouse::store::audit::Verdict::Intact { entries, head }) => {
            let head = gatehouse::hex::encode(&head);
            println!(
                "audit log intact: {entries} entries, head {head}, checked in {} ms",
                started.elapsed().as_millis()
            );
            ExitCode::SUCCESS
        }
        Ok(gatehouse::store::audit::Verdict::Broken {
            entries_checked,
            at_id,
            reason,
        }) => {
            println!(
                "audit log BROKEN at entry {at_id}: {reason} ({entries_checked} entries before it are intact)"
            );
            ExitCode::from(1)
        }
        Err(error) => {
            eprintln!("gatehouse: cannot verify the audit log: {error}");
            ExitCode::from(2)
        }
    }
}

fn backup(location: &str, to: &std::path::Path) -> ExitCode {
    let path = match gatehouse::db::Location::parse(location) {
        gatehouse::db::Location::Sqlite(path) => path,
        gatehouse::db::Location::Postgres(_) => {
            eprintln!(
                "gatehouse: backup copies SQLite files; back up PostgreSQL with pg_dump (see the README, \"Backups\")"
            );
            return ExitCode::FAILURE;
        }
    };
    let started = Instant::now();
    match gatehouse::store::backup::backup_sqlite(&path, to) {
        Ok(report) => {
            let mut key = path.clone().into_os_string();
            key.push(".key");
            println!(
                "backed up {} to {}: {} pages, {} KiB, integrity ok, in {} ms; keep the key file ({}) with it",
                path.display(),
                to.display(),
                report.pages,
                report.bytes / 1024,
                started.elapsed().as_millis(),
                PathBuf::from(key).display()
            );
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("gatehouse: cannot back up: {error}");
            ExitCode::FAILURE
        }
    }
}

fn default_user() -> String {
    std::env::var("USER").unwrap_or_default()
}

/// Print a client command's result, or its error on standard error.
fn client(outcome: Result<String, String>) -> ExitCode {
    match outcome {
        Ok(text) => {
            println!("{text}");
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("gatehouse: {error}");
            ExitCode::FAILURE
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Login {
            server,
            username,
            days,
            browser,
        } => {
            if browser || gatehouse::cli::server_wants_browser_sign_in(&server) {
                client(gatehouse::cli::login_with_browser(&server, days, |url| {
                    eprintln!("Sign in in your browser: {url}");
                    // Best effort: a desktop opens it; elsewhere the address is there to copy.
                    let _ = std::process::Command::new("xdg-open")
                        .arg(url)
                        .stdout(std::process::Stdio::null())
                        .stderr(std::process::Stdio::null())
                        .spawn();
                }))
            } else {
                client(gatehouse::cli::login(&server, &username, days))
            }
        }
        Command::Access => client(gatehouse::cli::access()),
        Command::Request(args) => gatehouse::cli::request::request(&args),
        Command::Requests(args) => gatehouse::cli::requests::requests(&args),
        Command::Mcp => gatehouse::mcp::stdio::run(),
        Command::Connect {
            request_id,
            print,
            psql_args,
        } => gatehouse::cli::connect(request_id, print, &psql_args),
        Command::Openapi => match gatehouse::openapi().to_pretty_json() {
            Ok(json) => {
                println!("{json}");
                ExitCode::SUCCESS
            }
            Err(error) => {
                eprintln!("cannot render the OpenAPI document: {error}");
                ExitCode::FAILURE
            }
        },
        Command::Audit {
            command: AuditCommand::Verify { db },
        } => verify_audit(&db),
        Command::Db {
            command: DbCommand::Copy { from, to },
        } => copy_store(&from, &to),
        Command::Backup { db, to } => backup(&db, &to),
        Command::Serve {
            db,
            listen,
            demo,
            key_file,
            trusted_proxies,
            notify,
            ops,
            sso,
            connections,
            passwords,
        } => {
            let filter = EnvFilter::try_from_env("GATEHOUSE_LOG")
                .unwrap_or_else(|_| EnvFilter::new("info,tower_http=warn"));
            // Standard output carries the URL and logins; the log goes to standard error.
            match ops.log_format {
                LogFormat::Text => tracing_subscriber::fmt()
                    .with_env_filter(filter)
                    .with_writer(std::io::stderr)
                    .init(),
                LogFormat::Json => tracing_subscriber::fmt()
                    .json()
                    .with_current_span(true)
                    .with_span_list(true)
                    .with_env_filter(filter)
                    .with_writer(std::io::stderr)
                    .init(),
            }
            let runtime = match tokio::runtime::Runtime::new() {
                Ok(runtime) => runtime,
                Err(error) => {
                    eprintln!("cannot start the async runtime: {error}");
                    return ExitCode::FAILURE;
                }
            };
            let key_file = key_file.unwrap_or_else(|| match gatehouse::db::Location::parse(&db) {
                gatehouse::db::Location::Sqlite(path) => {
                    let mut name = path.into_os_string();
                    name.push(".key");
                    PathBuf::from(name)
                }
                gatehouse::db::Location::Postgres(_) => PathBuf::from("gatehouse.key"),
            });
            let notify = match notify.config(listen) {
                Ok(notify) => notify,
                Err(error) => {
                    eprintln!("gatehouse: {error}");
                    return ExitCode::FAILURE;
                }
            };
            let proxies = match gatehouse::proxy::TrustedProxies::parse(&trusted_proxies) {
                Ok(proxies) => proxies,
                Err(error) => {
                    eprintln!("gatehouse: --trusted-proxies: {error}");
                    return ExitCode::FAILURE;
                }
            };
            let outcome = runtime.block_on(serve(
                db,
                listen,
                Seed { demo, sso: *sso },
                key_file,
                notify,
                ops,
                Intake {
                    proxies,
                    connections,
                    passwords,
                },
            ));
            // What is left (a connector call on the blocking pool past the
            // shutdown timeout) is not waited for.
            runtime.shutdown_timeout(Duration::from_millis(200));
            match outcome {
                Ok(()) => ExitCode::SUCCESS,
                Err(error) => {
                    eprintln!("gatehouse: {error}");
                    ExitCode::FAILURE
                }
            }
        }
    }
}

/// How requests come in (through which proxies) and how much the server
/// takes on at once: connections, password hashing.
struct Intake {
    proxies: gatehouse::proxy::TrustedProxies,
    connections: gatehouse::listener::ConnectionLimits,
    passwords: gatehouse::passwords::PasswordLimits,
}

/// What the server puts in its store at start: the demo, and sign-in
/// settings given as flags.
struct Seed {
    demo: bool,
    sso: SsoArgs,
}

async fn serve(
    db_location: String,
    listen: SocketAddr,
    seed: Seed,
    key_file: PathBuf,
    mut notify: gatehouse::notify::NotifyConfig,
    ops: OpsArgs,
    bounds: Intake,
) -> Result<(), String> {
    let Seed {
        demo: with_demo,
        sso,
    } = seed;
    // Cancelled by SIGTERM or Ctrl-C: the server stops taking connections
    // and the background workers stop after the pass under way.
    let stop = CancellationToken::new();
    tokio::spawn({
        let stop = stop.clone();
        async move {
            shutdown_signal().await;
            tracing::info!("shutting down: finishing requests in flight and background passes");
            stop.cancel();
        }
    });
    let shutdown_timeout = Duration::from_secs(ops.shutdown_timeout);

    // Listen first: while the database opens and migrates, liveness answers
    // 200 and readiness 503 (see gatehouse::listener).
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .map_err(|error| format!("cannot listen on {listen}: {error}"))?;
    let address = listener
        .local_addr()
        .map_err(|error| format!("cannot read the listening address: {error}"))?;
    // Without --public-url, the portal is where we listen (the port picked
    // when asked for port 0: links and the sign-in callback must name it).
    if notify.public_url == format!("http://{listen}") {
        notify.public_url = format!("http://{address}");
    }
    let slot = gatehouse::listener::AppSlot::default();
    let open_files = gatehouse::listener::raise_open_file_limit();
    tracing::debug!(
        open_files,
        max_connections = bounds.connections.connection_cap(),
        "connection limits"
    );
    let server = tokio::spawn(gatehouse::listener::serve(
        listener,
        gatehouse::listener::Switchboard::new(slot.clone()),
        bounds.connections,
        stop.clone(),
    ));
    tracing::debug!(%address, "listening; opening the database");

    // Blocking: connecting and migrating happen before the application answers.
    let opening = tokio::task::spawn_blocking(move || Db::connect(&db_location));
    let db = tokio::select! {
        opened = opening => opened
            .map_err(|error| error.to_string())?
            .map_err(|error| error.to_string())?,
        () = stop.cancelled() => return Err("stopped while opening the database".into()),
    };
    let (secrets, created) = gatehouse::secrets::SecretBox::from_key_file(&key_file)?;
    if created {
        tracing::warn!(
            key_file = %key_file.display(),
            "created a new secret key: back it up with the database; without it, MFA enrolments cannot be read"
        );
    }
    let clock = Arc::new(SystemClock);
    let slack_on = notify.slack.is_some();
    let email_on = notify.email.is_some();
    let mut operations =
        gatehouse::ops::Ops::default().with_metrics_token(ops.metrics_token.as_deref());
    if ops.metrics_listen.is_some() {
        operations = operations.with_metrics_elsewhere();
    }
    let state = AppState::new(db.clone(), clock)
        .with_secrets(secrets)
        .with_notify(notify)
        .with_ops(operations)
        .with_trusted_proxies(bounds.proxies)
        .with_passwords(bounds.passwords.start());
    if with_demo {
        demo::seed_with(&db, &state.passwords, state.now().unix_timestamp())
            .await
            .map_err(|error| format!("cannot add the demo data: {error}"))?;
    }
    gatehouse::idp::apply_at_start(
        &db,
        state.secrets.clone(),
        sso.settings(),
        sso.scim_token.clone(),
        state.now().unix_timestamp(),
    )
    .await
    .map_err(|error| match error {
        gatehouse::error::AppError::Invalid { field, message } => {
            format!("sign-in settings: {field}: {message}")
        }
        other => format!("cannot store the sign-in settings: {other}"),
    })?;
    // Catch up on everything that fell due while the server was down, then keep going.
    if let Err(error) = gatehouse::worker::tick(&state).await {
        tracing::error!(%error, "first background pass failed; retrying in the loop");
    }
    let workers = [
        tokio::spawn(gatehouse::worker::run(state.clone(), stop.clone())),
        tokio::spawn(gatehouse::notify::deliver::run(state.clone(), stop.clone())),
    ];
    let metrics_server = match ops.metrics_listen {
        Some(metrics_listen) => {
            let listener = tokio::net::TcpListener::bind(metrics_listen)
                .await
                .map_err(|error| {
                    format!("cannot listen on {metrics_listen} for metrics: {error}")
                })?;
            let metrics_address = listener
                .local_addr()
                .map_err(|error| format!("cannot read the metrics address: {error}"))?;
            let metrics_slot = gatehouse::listener::AppSlot::default();
            metrics_slot.fill(gatehouse::app::ops_app(state.clone()));
            Some((
                metrics_address,
                tokio::spawn(gatehouse::listener::serve(
                    listener,
                    gatehouse::listener::Switchboard::new(metrics_slot),
                    bounds.connections,
                    stop.clone(),
                )),
            ))
        }
        None => None,
    };
    slot.fill(app(state.clone()));
    say(format_args!("Gatehouse is running at http://{address}/"));
    say(format_args!("  database: {}", db.describe()));
    say(format_args!("  API docs: http://{address}/api/docs"));
    match &metrics_server {
        Some((metrics_address, _)) => {
            say(format_args!("  metrics: http://{metrics_address}/metrics"));
        }
        None => say(format_args!("  metrics: http://{address}/metrics")),
    }
    say(format_args!(
        "  notifications: Slack {}, e-mail {}",
        if slack_on { "on" } else { "off" },
        if email_on { "on" } else { "off" }
    ));
    if with_demo {
        say(format_args!(
            "  demo users (password \"{}\"):",
            demo::DEMO_PASSWORD
        ));
        for (username, _, role, _) in demo::DEMO_USERS {
            say(format_args!("    {username:<6} {role}"));
        }
    }

    stop.cancelled().await;
    state.ops.stop_taking_requests();
    let deadline = tokio::time::Instant::now() + shutdown_timeout;
    let mut unfinished = Vec::new();
    match tokio::time::timeout_at(deadline, server).await {
        Ok(Ok(())) => {}
        Ok(Err(join)) => return Err(format!("server task failed: {join}")),
        Err(_) => unfinished.push("requests in flight"),
    }
    for worker in workers {
        if tokio::time::timeout_at(deadline, worker).await.is_err() {
            unfinished.push("a background pass");
        }
    }
    if let Some((_, metrics_server)) = metrics_server
        && tokio::time::timeout_at(deadline, metrics_server)
            .await
            .is_err()
    {
        unfinished.push("a metrics scrape");
    }
    if unfinished.is_empty() {
        // Nothing of this process works under a lease any more: free them,
        // so another replica takes the work over at once, not after the TTL.
        // (Cut short, a pass may still be calling connectors: its leases
        // then run out by themselves.)
        if let Err(error) = gatehouse::lease::release_all(&db, &state.replica).await {
            tracing::warn!(%error, "cannot free this process's leases; they run out by themselves");
        }
        tracing::info!("shut down");
        Ok(())
    } else {
        Err(format!(
            "shutdown timed out after {} s; cut short: {}",
            shutdown_timeout.as_secs(),
            unfinished.join(", ")
        ))
    }
}

/// Print a line for the person who started the server. A closed standard
/// output (a parent that stopped reading) must not bring the server down.
fn say(line: std::fmt::Arguments<'_>) {
    use std::io::Write;
    let _ = writeln!(std::io::stdout(), "{line}");
}

async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}
