//! The `gatehouse` command as a client of a Gatehouse server: `login` stores
//! a personal API token (0600) in the user's config directory, `access`
//! lists my active access, `connect` fetches fresh credentials and opens
//! `psql` for a PostgreSQL access (or prints what to run), or gets an SSH
//! certificate and opens `ssh` ([`ssh`]); `request` and `requests` (in
//! [`request`] and [`requests`]) ask for access and list my requests.

mod clients;
pub mod request;
pub mod requests;
pub mod ssh;

use clients::{AwsKeys, MysqlTarget};

use std::{
    fmt::Write as _,
    io::{BufRead, Write},
    path::{Path, PathBuf},
    process::ExitCode,
    time::Duration,
};

use gatehouse_shared::{
    access::{AccessDetails, RevealedSecret},
    auth::CreatedApiToken,
    requests::{AccessRequest, MyAccess, RequestItem},
};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// What `gatehouse login` stores.
#[derive(Serialize, Deserialize)]
pub struct Saved {
    pub server: String,
    pub username: String,
    pub token: String,
}

impl std::fmt::Debug for Saved {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Saved")
            .field("server", &self.server)
            .field("username", &self.username)
            .field("token", &"<redacted>")
            .finish()
    }
}

/// `$GATEHOUSE_CONFIG_DIR`, else `$XDG_CONFIG_HOME/gatehouse`, else `~/.config/gatehouse`.
pub fn config_dir() -> Result<PathBuf, String> {
    if let Some(dir) = std::env::var_os("GATEHOUSE_CONFIG_DIR") {
        return Ok(PathBuf::from(dir));
    }
    if let Some(dir) = std::env::var_os("XDG_CONFIG_HOME").filter(|d| !d.is_empty()) {
        return Ok(PathBuf::from(dir).join("gatehouse"));
    }
    std::env::var_os("HOME")
        .map(|home| PathBuf::from(home).join(".config").join("gatehouse"))
        .ok_or_else(|| "cannot find a config directory: set HOME or GATEHOUSE_CONFIG_DIR".into())
}

fn credentials_file() -> Result<PathBuf, String> {
    Ok(config_dir()?.join("credentials.json"))
}

fn agent() -> ureq::Agent {
    ureq::AgentBuilder::new()
        .timeout(Duration::from_secs(30))
        .redirects(0)
        .build()
}

/// The server's error message, or the transport's.
fn failure(error: ureq::Error) -> String {
    match error {
        ureq::Error::Status(code, response) => {
            let body: Value = response.into_json().unwrap_or(Value::Null);
            match body["message"].as_str() {
                Some(message) => format!("{message} ({code})"),
                None => format!("the server answered {code}"),
            }
        }
        other => format!("cannot reach the server: {other}"),
    }
}

fn read_password(username: &str) -> Result<String, String> {
    if let Ok(password) = std::env::var("GATEHOUSE_PASSWORD") {
        return Ok(password);
    }
    use std::io::IsTerminal;
    if std::io::stdin().is_terminal() {
        return rpassword::prompt_password(format!("Password for {username}: "))
            .map_err(|e| format!("cannot read the password: {e}"));
    }
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|e| format!("cannot read the password: {e}"))?;
    Ok(line.trim_end_matches(['\r', '\n']).to_owned())
}

fn save(saved: &Saved) -> Result<PathBuf, String> {
    let path = credentials_file()?;
    private_dir(
        path.parent()
            .ok_or("the credentials file has no directory")?,
    )?;
    let json = serde_json::to_vec_pretty(saved).map_err(|e| e.to_string())?;
    write_private(&path, &json)?;
    Ok(path)
}

/// Create `dir` (and its parents) only I can enter (0700).
pub(crate) fn private_dir(dir: &Path) -> Result<(), String> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder
        .create(dir)
        .map_err(|e| format!("cannot create {}: {e}", dir.display()))
}

/// Write a file only I can read (0600), replacing what was there.
pub(crate) fn write_private(path: &Path, bytes: &[u8]) -> Result<(), String> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options
        .open(path)
        .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    // An older file may have been created with wider permissions.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        file.set_permissions(std::fs::Permissions::from_mode(0o600))
            .map_err(|e| format!("cannot restrict {}: {e}", path.display()))?;
    }
    file.write_all(bytes)
        .map_err(|e| format!("cannot write {}: {e}", path.display()))
}

pub(crate) fn load() -> Result<Saved, String> {
    let path = credentials_file()?;
    let bytes = std::fs::read(&path)
        .map_err(|_| "not logged in: run `gatehouse login --server URL` first".to_owned())?;
    serde_json::from_slice(&bytes).map_err(|e| format!("{} is damaged: {e}", path.display()))
}

/// Log in with a username and password, create a personal API token for
/// this machine, store it, and end the password session.
pub fn login(server: &str, username: &str, days: u32) -> Result<String, String> {
    let server = server.trim_end_matches('/').to_owned();
    if !(server.starts_with("http://") || server.starts_with("https://")) {
        return Err("--server must be an http:// or https:// URL".into());
    }
    let local = ["http://127.0.0.1", "http://localhost", "http://[::1]"]
        .iter()
        .any(|prefix| server.starts_with(prefix));
    if server.starts_with("http://") && !local {
        eprintln!(
            "warning: {server} is plain HTTP: your password and token cross the network unencrypted"
        );
    }
    let password = read_password(username)?;
    let agent = agent();
    let session = agent
        .post(&format!("{server}/api/v1/session"))
        .send_json(json!({"username": username, "password": password}))
        .map_err(failure)?;
    let cookie = session
        .all("set-cookie")
        .into_iter()
        .find_map(|c| {
            c.split(';').next().filter(|kv| {
                kv.starts_with("gatehouse_session=") || kv.starts_with("__Host-gatehouse_session=")
            })
        })
        .map(str::to_owned)
        .ok_or("the server did not start a session")?;
    let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "this machine".into());
    let created: CreatedApiToken = agent
        .post(&format!("{server}/api/v1/tokens"))
        .set("Cookie", &cookie)
        .send_json(json!({"name": format!("gatehouse CLI on {host}"), "expires_in_days": days}))
        .map_err(failure)?
        .into_json()
        .map_err(|e| format!("unexpected answer to creating a token: {e}"))?;
    // The token is what the CLI uses from now on; the password session ends.
    let _ = agent
        .delete(&format!("{server}/api/v1/session"))
        .set("Cookie", &cookie)
        .call();
    let path = save(&Saved {
        server: server.clone(),
        username: username.to_owned(),
        token: created.secret,
    })?;
    Ok(format!(
        "Logged in to {server} as {username}. Token stored in {} (expires in {days} days).",
        path.display()
    ))
}

/// Whether this server wants sign-in through its identity provider (its
/// passwords are off); false when it cannot say.
pub fn server_wants_browser_sign_in(server: &str) -> bool {
    agent()
        .get(&format!("{}/api/v1/sso", server.trim_end_matches('/')))
        .call()
        .ok()
        .and_then(|answer| answer.into_json::<Value>().ok())
        .is_some_and(|options| options["passwords"] == false && options.get("provider").is_some())
}

/// How long `gatehouse login` waits for the browser to come back.
const BROWSER_WAIT: Duration = Duration::from_secs(300);

/// Log in through the browser, with the server's identity provider: a
/// loopback listener receives a one-time code, which is traded together
/// with a verifier only this process knows (so another program that sees
/// the code cannot use it) for a personal API token. `open` shows the
/// address to the user (and tries to open a browser).
pub fn login_with_browser(
    server: &str,
    days: u32,
    open: impl FnOnce(&str),
) -> Result<String, String> {
    use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
    use sha2::{Digest, Sha256};
    use std::io::Read;

    let server = server.trim_end_matches('/').to_owned();
    if !(server.starts_with("http://") || server.starts_with("https://")) {
        return Err("--server must be an http:// or https:// URL".into());
    }
    let listener = std::net::TcpListener::bind("127.0.0.1:0")
        .map_err(|e| format!("cannot listen on loopback for the browser's return: {e}"))?;
    let port = listener.local_addr().map_err(|e| e.to_string())?.port();
    let verifier = crate::auth::new_secret();
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    open(&format!(
        "{server}/api/v1/sso/start?cli_port={port}&cli_challenge={challenge}"
    ));
    listener.set_nonblocking(true).map_err(|e| e.to_string())?;
    let deadline = std::time::Instant::now() + BROWSER_WAIT;
    let code = loop {
        let mut stream = match listener.accept() {
            Ok((stream, _)) => stream,
            Err(error) if error.kind() == std::io::ErrorKind::WouldBlock => {
                if std::time::Instant::now() > deadline {
                    return Err("the browser did not come back within 5 minutes".into());
                }
                std::thread::sleep(Duration::from_millis(100));
                continue;
            }
            Err(error) => return Err(format!("waiting for the browser: {error}")),
        };
        stream.set_nonblocking(false).map_err(|e| e.to_string())?;
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .map_err(|e| e.to_string())?;
        let mut head = [0u8; 4096];
        let read = stream.read(&mut head).unwrap_or(0);
        let request = String::from_utf8_lossy(&head[..read]);
        let target = request
            .lines()
            .next()
            .and_then(|line| line.split_whitespace().nth(1))
            .unwrap_or("");
        let code = target
            .strip_prefix("/callback?")
            .and_then(|query| serde_urlencoded::from_str::<Vec<(String, String)>>(query).ok())
            .and_then(|pairs| pairs.into_iter().find(|(k, _)| k == "code").map(|(_, v)| v));
        let body = if code.is_some() {
            "<!doctype html><title>Gatehouse</title><p>Signed in. You can close this tab and go back to the terminal.</p>"
        } else {
            "<!doctype html><title>Gatehouse</title><p>Waiting for the sign-in to finish…</p>"
        };
        let _ = write!(
            stream,
            "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        if let Some(code) = code {
            break code;
        }
    };
    let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "this machine".into());
    let created: CreatedApiToken = agent()
        .post(&format!("{server}/api/v1/sso/cli-token"))
        .send_json(json!({
            "code": code,
            "verifier": verifier,
            "name": format!("gatehouse CLI on {host}"),
            "expires_in_days": days,
        }))
        .map_err(failure)?
        .into_json()
        .map_err(|e| format!("unexpected answer to trading the code: {e}"))?;
    let me: Value = agent()
        .get(&format!("{server}/api/v1/me"))
        .set("Authorization", &format!("Bearer {}", created.secret))
        .call()
        .map_err(failure)?
        .into_json()
        .map_err(|e| format!("unexpected answer from /api/v1/me: {e}"))?;
    let username = me["username"].as_str().unwrap_or_default().to_owned();
    let path = save(&Saved {
        server: server.clone(),
        username: username.clone(),
        token: created.secret,
    })?;
    Ok(format!(
        "Logged in to {server} as {username} (through the identity provider). Token stored in {} (expires in {days} days).",
        path.display()
    ))
}

fn get<T: serde::de::DeserializeOwned>(saved: &Saved, path: &str) -> Result<T, String> {
    agent()
        .get(&format!("{}{path}", saved.server))
        .set("Authorization", &format!("Bearer {}", saved.token))
        .call()
        .map_err(failure)?
        .into_json()
        .map_err(|e| format!("unexpected answer from {path}: {e}"))
}

fn post<T: serde::de::DeserializeOwned>(saved: &Saved, path: &str) -> Result<T, String> {
    agent()
        .post(&format!("{}{path}", saved.server))
        .set("Authorization", &format!("Bearer {}", saved.token))
        .send_json(json!({}))
        .map_err(failure)?
        .into_json()
        .map_err(|e| format!("unexpected answer from {path}: {e}"))
}

/// My active access, one line each.
pub fn access() -> Result<String, String> {
    let saved = load()?;
    let mine: MyAccess = get(&saved, "/api/v1/my-access")?;
    if mine.sessions.is_empty() {
        return Ok("No active access. Request some in the portal or with the API.".into());
    }
    let mut out = format!(
        "{:<8} {:<22} {:<10} RESOURCES\n",
        "ID", "EXPIRES (UTC)", "STATUS"
    );
    for request in mine.sessions {
        let _ = writeln!(
            out,
            "{:<8} {:<22} {:<10} {}",
            request.id,
            request.expires_at.map_or_else(|| "-".into(), minute),
            request.status.label(),
            items_line(&request, |item| &item.resource_name),
        );
    }
    Ok(out.trim_end().to_owned())
}

/// A time as `YYYY-MM-DD HH:MM` (the CLI's tables and messages say UTC).
pub(crate) use gatehouse_shared::duration::minute;

/// A request's first items as `name (permission)`, named by `name`, and
/// how many more it holds.
pub(crate) fn items_line(request: &AccessRequest, name: impl Fn(&RequestItem) -> &str) -> String {
    let shown: Vec<String> = request
        .items
        .iter()
        .map(|item| format!("{} ({})", name(item), item.permission))
        .collect();
    let more = request.item_count - request.items.len() as i64;
    if more > 0 {
        format!("{} and {more} more", shown.join(", "))
    } else {
        shown.join(", ")
    }
}

/// What `connect` will run or print.
pub struct Connection {
    pub details: AccessDetails,
    pub secret: RevealedSecret,
}

/// Fresh credentials for a request's access: the waiting secret, or new
/// ones (Reset Credentials) when it was shown already.
pub fn fresh_credentials(request_id: i64) -> Result<Connection, String> {
    let saved = load()?;
    let details = active_details(&saved, request_id)?;
    credentials_for(&saved, details)
}

/// My active access in a request (its first integration that has one).
fn active_details(saved: &Saved, request_id: i64) -> Result<AccessDetails, String> {
    let all: Vec<AccessDetails> = get(saved, &format!("/api/v1/requests/{request_id}/access"))?;
    all.into_iter()
        .find(|d| d.can_reset)
        .ok_or_else(|| format!("request {request_id} has no active access of yours to connect to"))
}

fn credentials_for(saved: &Saved, details: AccessDetails) -> Result<Connection, String> {
    let request_id = details.request_id;
    let base = format!(
        "/api/v1/requests/{request_id}/access/{}",
        details.integration_id
    );
    if !details.secret_available {
        let _: AccessDetails = post(saved, &format!("{base}/reset"))?;
    }
    let secret: RevealedSecret = post(saved, &format!("{base}/reveal"))?;
    Ok(Connection { details, secret })
}

/// Connect: open `psql` for a PostgreSQL access or the `mariadb` client for
/// a MySQL one (extra arguments go to the client), `ssh` with a fresh
/// certificate for an SSH access, or print the credentials and the ways to
/// connect.
pub fn connect(request_id: i64, print_only: bool, psql_args: &[String]) -> ExitCode {
    let connection = load().and_then(|saved| {
        let details = active_details(&saved, request_id)?;
        if let Some(code) = ssh::connect(&saved, &details, print_only, psql_args)? {
            return Ok(Err(code));
        }
        credentials_for(&saved, details).map(Ok)
    });
    let connection = match connection {
        Ok(Ok(connection)) => connection,
        Ok(Err(done)) => return done,
        Err(error) => {
            eprintln!("gatehouse: {error}");
            return ExitCode::FAILURE;
        }
    };
    let Connection { details, secret } = connection;
    if let Some(keys) = AwsKeys::parse(&secret.secret) {
        return keys.use_them(&details.integration_name, print_only, psql_args, request_id);
    }
    // Only a plain URI is handed to psql: no query part that could point it
    // at another host (`?host=`, `?hostaddr=`) with the secret in its environment.
    let uri = details
        .connect
        .app
        .clone()
        .filter(|link| link.starts_with("postgresql://") && !link.contains('?'));
    if !print_only && let Some(target) = details.connect.app.as_deref().and_then(MysqlTarget::parse)
    {
        return target.open(
            &details.integration_name,
            &secret.secret,
            psql_args,
            request_id,
        );
    }
    match uri {
        Some(uri) if !print_only => {
            eprintln!(
                "Connecting to {} as {} (credentials issued for this session)…",
                details.integration_name,
                secret.username.as_deref().unwrap_or("?")
            );
            let mut command = std::process::Command::new("psql");
            command
                .arg(&uri)
                .args(psql_args)
                .env("PGPASSWORD", &secret.secret);
            run_client(command, request_id)
        }
        _ => {
            println!("{}", describe(&details, &secret));
            ExitCode::SUCCESS
        }
    }
}

/// Run a database client; its exit code is ours.
pub(crate) fn run_client(mut command: std::process::Command, request_id: i64) -> ExitCode {
    match command.status() {
        Ok(status) if status.success() => ExitCode::SUCCESS,
        Ok(status) => ExitCode::from(status.code().unwrap_or(1).clamp(1, 255) as u8),
        Err(error) => {
            eprintln!(
                "gatehouse: cannot run {} ({error}); run `gatehouse connect {request_id} --print` and connect by hand",
                command.get_program().to_string_lossy()
            );
            ExitCode::FAILURE
        }
    }
}

fn describe(details: &AccessDetails, secret: &RevealedSecret) -> String {
    let mut out = format!("{}\n", details.integration_name);
    if let Some(username) = &secret.username {
        let _ = writeln!(out, "  username:  {username}");
    }
    let _ = writeln!(
        out,
        "  secret:    {}  (shown once; keep it safe)",
        secret.secret
    );
    if let Some(instructions) = &details.instructions {
        let _ = writeln!(out, "  how:       {instructions}");
    }
    if let Some(app) = details
        .connect
        .app
        .as_ref()
        .filter(|l| l.starts_with("postgresql://"))
    {
        let _ = writeln!(
            out,
            "  run:       PGPASSWORD={} psql {}",
            shell_quote(&secret.secret),
            shell_quote(app)
        );
    } else if let Some(terminal) = &details.connect.terminal {
        let _ = writeln!(out, "  terminal:  {terminal}");
    }
    if let Some(browser) = &details.connect.browser {
        let _ = writeln!(out, "  browser:   {browser}");
    }
    if let Some(app) = &details.connect.app {
        let _ = writeln!(out, "  app:       {app}");
    }
    out.trim_end().to_owned()
}

/// A POSIX shell word: single-quoted, with `'` written as `'\''`; control
/// characters from the server are dropped so they cannot drive the terminal.
fn shell_quote(value: &str) -> String {
    let clean: String = value.chars().filter(|c| !c.is_control()).collect();
    format!("'{}'", clean.replace('\'', "'\\''"))
}

/// Why the command stopped: a choice the user must make (exit 2), or a
/// refusal or failure (exit 1).
pub(crate) enum Stop {
    Choose(String),
    Fail(String),
}

impl From<String> for Stop {
    fn from(message: String) -> Self {
        Stop::Fail(message)
    }
}

/// The exit code of a command that stopped as `outcome` says, the reason on stderr.
pub(crate) fn exit(outcome: Result<(), Stop>) -> ExitCode {
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(Stop::Choose(message)) => {
            eprintln!("gatehouse: {message}");
            ExitCode::from(2)
        }
        Err(Stop::Fail(message)) => {
            eprintln!("gatehouse: {message}");
            ExitCode::FAILURE
        }
    }
}

/// `pairs` as a URL query string.
pub(crate) fn query(pairs: &[(&str, &str)]) -> String {
    serde_urlencoded::to_string(pairs).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn printed_commands_are_quoted_for_the_shell() {
        assert_eq!(shell_quote("a'b"), "'a'\\''b'");
        assert_eq!(shell_quote("x\u{1b}[2Jy"), "'x[2Jy'");
    }
}
