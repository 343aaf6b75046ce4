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

use clap::Parser;
use gatehouse::{
    AppState, app,
    args::{AuditCommand, Cli, Command, DbCommand, LogFormat, OpsArgs, SsoArgs},
    clock::SystemClock,
    db::Db,
    demo,
};
use tokio_util::sync::CancellationToken;
use tracing_subscriber::EnvFilter;

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
