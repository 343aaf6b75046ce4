//! Test harness: a real SQLite file in a temp dir, the demo data, the real
//! router driven with `oneshot`, and a clock the test controls.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use axum::{
    Router,
    body::Body,
    http::{Method, Request, StatusCode, header},
};
pub mod ldap_server;
pub mod mariadb_server;
pub mod moto_server;
pub mod oidc;
pub mod pg_server;
pub mod prometheus;
pub mod ssh_server;
pub mod synthetic;

use gatehouse::{AppState, clock::ManualClock, db::Db, demo};
use http_body_util::BodyExt;
use serde_json::Value;
use tower::ServiceExt;

pub struct TestApp {
    pub router: Router,
    pub clock: ManualClock,
    pub db: Db,
    pub connector: Arc<dyn gatehouse::connector::Connector>,
    /// The key sealing secrets, shared by the router and the worker's state.
    key: [u8; 32],
    _dir: tempfile::TempDir,
}

/// Wait for `work` on the store from a test's blocking code (a thread of
/// its own, or a multi-thread runtime's worker).
pub fn blocking<T>(work: impl std::future::Future<Output = T>) -> T {
    tokio::task::block_in_place(|| tokio::runtime::Handle::current().block_on(work))
}

/// One number `sql` reads from the store, from a test's blocking code.
pub fn query_i64_blocking(db: &Db, sql: &str) -> i64 {
    let sql = sql.to_owned();
    blocking(db.call(move |conn| Ok(conn.query_row(&sql, [], |r| r.get::<_, i64>(0))?))).unwrap()
}

/// The connector of `kind` with `settings`, as the server builds it, for a
/// real target at real times (the wall clock; the demo connector for `demo`).
pub fn real_connector(
    kind: &str,
    settings: &Value,
) -> Result<Arc<dyn gatehouse::connector::Connector>, String> {
    let demo: Arc<dyn gatehouse::connector::Connector> =
        Arc::new(gatehouse::connector::DemoConnector);
    let clock: Arc<dyn gatehouse::clock::Clock> = Arc::new(gatehouse::clock::SystemClock);
    gatehouse::connector::build(kind, Some(settings), &demo, &clock)
}

/// The store under test: a SQLite file in `dir`, or, when
/// `GATEHOUSE_TEST_PG` names a PostgreSQL server (scripts/test starts one), a
/// database of its own there, copied from a migrated template (so that each
/// test does not run every migration again) and migrated by the server.
pub fn test_db(dir: &std::path::Path) -> Db {
    match pg_server() {
        Some(server) => Db::open_postgres(&fresh_pg_database(&server)).unwrap(),
        None => Db::open(&dir.join("gatehouse.db")).unwrap(),
    }
}

/// The PostgreSQL server this run tests on (`GATEHOUSE_TEST_PG`), if any.
fn pg_server() -> Option<String> {
    std::env::var("GATEHOUSE_TEST_PG")
        .ok()
        .filter(|server| !server.is_empty())
}

/// A new database on the test PostgreSQL `server`, copied from the migrated
/// template: its URL.
fn fresh_pg_database(server: &str) -> String {
    let name = format!("test_{:016x}", rand::random::<u64>());
    let admin_url = server.to_owned();
    let created = name.clone();
    // The blocking driver runs its own runtime: off the test's.
    std::thread::spawn(move || {
        let mut admin = postgres::Client::connect(&admin_url, postgres::NoTls)
            .unwrap_or_else(|e| panic!("cannot reach the test PostgreSQL {admin_url}: {e}"));
        let template = migrated_template(&mut admin, &admin_url);
        admin
            .batch_execute(&format!("CREATE DATABASE {created} TEMPLATE {template}"))
            .unwrap();
    })
    .join()
    .unwrap();
    database_url(server, &name)
}

/// What `--db` names for a server process kept in `dir`: the SQLite file
/// there, or, when this run tests PostgreSQL, a database of its own (made
/// at the first call and remembered in `dir`, so that a server started
/// again on `dir` serves the same).
pub fn process_db(dir: &std::path::Path) -> String {
    let Some(server) = pg_server() else {
        return dir.join("gatehouse.db").display().to_string();
    };
    let remembered = dir.join("postgres-url");
    if let Ok(url) = std::fs::read_to_string(&remembered) {
        return url;
    }
    let url = fresh_pg_database(&server);
    std::fs::write(&remembered, &url).unwrap();
    url
}

/// `server`'s URL with the database `name`.
fn database_url(server: &str, name: &str) -> String {
    let (base, query) = server.split_once('?').unwrap_or((server, ""));
    let base = base.rsplit_once('/').map_or(base, |(host, _)| host);
    if query.is_empty() {
        format!("{base}/{name}")
    } else {
        format!("{base}/{name}?{query}")
    }
}

/// A database on the test server with every migration of this build run,
/// made by the first test that asks (the others wait on an advisory lock)
/// and named after the migrations' text, so a changed migration makes a
/// new one.
fn migrated_template(admin: &mut postgres::Client, server: &str) -> String {
    use sha2::{Digest, Sha256};
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/src/migrations/postgres");
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .collect();
    files.sort();
    let mut hash = Sha256::new();
    for file in files {
        hash.update(file.file_name().unwrap().as_encoded_bytes());
        hash.update(std::fs::read(&file).unwrap());
    }
    let digest = hash.finalize();
    let name = format!(
        "template_{}",
        digest[..8]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    );
    let key = i64::from_be_bytes(digest[..8].try_into().unwrap());
    admin
        .execute("SELECT pg_advisory_lock($1)", &[&key])
        .unwrap();
    let exists = admin
        .query_opt("SELECT 1 FROM pg_database WHERE datname = $1", &[&name])
        .unwrap()
        .is_some();
    if !exists {
        // Made under another name and renamed when done, so a test killed
        // half-way leaves no half-migrated template behind.
        let building = format!("{name}_building");
        // (One statement per call: a batch is one transaction, which
        // CREATE and DROP DATABASE refuse.)
        admin
            .batch_execute(&format!("DROP DATABASE IF EXISTS {building}"))
            .unwrap();
        admin
            .batch_execute(&format!("CREATE DATABASE {building}"))
            .unwrap();
        drop(Db::open_postgres(&database_url(server, &building)).unwrap());
        admin
            .batch_execute(&format!("ALTER DATABASE {building} RENAME TO {name}"))
            .unwrap();
    }
    admin
        .execute("SELECT pg_advisory_unlock($1)", &[&key])
        .unwrap();
    name
}

/// Whether this run tests PostgreSQL (tests that open the SQLite file
/// beside the server, as another process would, only run on SQLite).
pub fn on_postgres() -> bool {
    std::env::var("GATEHOUSE_TEST_PG").is_ok_and(|v| !v.is_empty())
}

/// A justification that passes all three feedback checks.
pub const GOOD_WHY: &str = "Debugging failed invoice exports for OPS-1423; I need read access because the job logs point here";

/// alice asks for the orders database (Production databases, bob approves).
/// Tests calling it twice want two requests: a second is a deliberate
/// duplicate (tests/duplicates.rs asks without `allow_duplicate`).
pub async fn pending_orders_request(app: &TestApp, alice: &str) -> i64 {
    let orders = app.resource("orders").await;
    let answer = app
        .post(
            "/api/v1/requests",
            alice,
            serde_json::json!({"items": [{"resource_id": orders, "permission": "read-only"}], "duration_seconds": 3600, "justification": GOOD_WHY, "allow_duplicate": true}),
        )
        .await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.body);
    assert_eq!(answer.body["requests"][0]["status"], "Pending Approval");
    answer.body["requests"][0]["id"].as_i64().unwrap()
}

/// alice gets auto-approved read access to the docs repository (again, on
/// purpose, when a test calls it twice).
pub async fn active_docs_request(app: &TestApp, alice: &str) -> i64 {
    let docs = app.resource("acme/docs").await;
    let answer = app
        .post(
            "/api/v1/requests",
            alice,
            serde_json::json!({"items": [{"resource_id": docs, "permission": "read"}], "duration_seconds": 3600, "allow_duplicate": true}),
        )
        .await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.body);
    answer.body["requests"][0]["id"].as_i64().unwrap()
}

pub struct Answer {
    pub status: StatusCode,
    pub headers: axum::http::HeaderMap,
    pub body: Value,
}

impl TestApp {
    pub async fn with_demo() -> Self {
        Self::starting_at(time::macros::datetime!(2026-11-02 09:00 UTC)).await
    }

    /// The demo with the clock starting at `start` (tests against real
    /// systems start at the real time, so that expiries they hand out hold).
    pub async fn starting_at(start: time::OffsetDateTime) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let db = test_db(dir.path());
        Self::over(dir, db, start).await
    }

    /// The demo on the store `db`.
    pub async fn on(db: Db) -> Self {
        let dir = tempfile::tempdir().unwrap();
        Self::over(dir, db, time::macros::datetime!(2026-11-02 09:00 UTC)).await
    }

    /// The demo on a SQLite file, whichever store this run tests.
    pub async fn on_sqlite() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(&dir.path().join("gatehouse.db")).unwrap();
        Self::over(dir, db, time::macros::datetime!(2026-11-02 09:00 UTC)).await
    }

    /// A router with this app's clock and key over another store (what a
    /// server moved to a copy of the database would answer).
    pub fn router_over(&self, db: Db) -> Router {
        gatehouse::app(
            AppState::new(db, Arc::new(self.clock.clone()))
                .with_connector(self.connector.clone())
                .with_secrets(gatehouse::secrets::SecretBox::new(self.key)),
        )
    }

    async fn over(dir: tempfile::TempDir, db: Db, start: time::OffsetDateTime) -> Self {
        let clock = ManualClock::new(start);
        demo::seed(&db, clock_now(&clock)).await.unwrap();
        let mut app = Self {
            router: Router::new(),
            clock,
            db,
            connector: Arc::new(gatehouse::connector::DemoConnector),
            key: rand::random(),
            _dir: dir,
        };
        app.router = gatehouse::app(app.state());
        app
    }

    pub async fn send(&self, request: Request<Body>) -> Answer {
        send(&self.router, request).await
    }

    /// A request with an optional session cookie and JSON body.
    pub async fn call(
        &self,
        method: Method,
        uri: &str,
        cookie: Option<&str>,
        body: Option<Value>,
    ) -> Answer {
        self.send(request(method, uri, cookie, body)).await
    }

    /// Log in and return the `name=value` cookie to send back.
    pub async fn login(&self, username: &str) -> String {
        login(&self.router, username).await
    }

    /// A session cookie for `username` made in the store, as a log-in would
    /// make it but without checking the password: for tests of what a
    /// session may do (tests/session.rs signs in for real).
    pub async fn session(&self, username: &str) -> String {
        let secret = gatehouse::auth::new_secret();
        let hash = gatehouse::auth::secret_hash(&secret);
        let now = clock_now(&self.clock);
        let username = username.to_owned();
        self.db
            .write(move |tx| {
                let (user, _) = gatehouse::store::users::for_login(tx, &username)?
                    .unwrap_or_else(|| panic!("no user {username}"));
                gatehouse::store::sessions::create(tx, user.id, &hash, now, now + 8 * 3600)
            })
            .await
            .unwrap();
        format!("{}={secret}", gatehouse::auth::SESSION_COOKIE)
    }

    pub async fn get(&self, uri: &str, cookie: &str) -> Answer {
        self.call(Method::GET, uri, Some(cookie), None).await
    }
}

/// Send `request` through `router`; the answer's body as JSON (or as text).
pub async fn send(router: &Router, request: Request<Body>) -> Answer {
    let response = router.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    let body = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()))
    };
    Answer {
        status,
        headers,
        body,
    }
}

/// A request with an optional session cookie and JSON body.
pub fn request(
    method: Method,
    uri: &str,
    cookie: Option<&str>,
    body: Option<Value>,
) -> Request<Body> {
    let mut builder = Request::builder().method(method).uri(uri);
    if let Some(cookie) = cookie {
        builder = builder.header(header::COOKIE, cookie);
    }
    match body {
        Some(json) => builder
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(json.to_string()))
            .unwrap(),
        None => builder.body(Body::empty()).unwrap(),
    }
}

/// Log in as a demo user; the `name=value` cookie to send back.
pub async fn login(router: &Router, username: &str) -> String {
    let body = serde_json::json!({"username": username, "password": demo::DEMO_PASSWORD});
    let answer = send(
        router,
        request(Method::POST, "/api/v1/session", None, Some(body)),
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK, "{:?}", answer.body);
    let set_cookie = answer.headers[header::SET_COOKIE].to_str().unwrap();
    set_cookie.split(';').next().unwrap().to_owned()
}

/// Id of the resource at `path`.
pub async fn resource_id(db: &Db, path: &str) -> i64 {
    let path = path.to_owned();
    db.call(move |conn| {
        Ok(
            conn.query_row("SELECT id FROM resources WHERE path = ?1", [path], |r| {
                r.get(0)
            })?,
        )
    })
    .await
    .unwrap()
}

fn clock_now(clock: &ManualClock) -> i64 {
    use gatehouse::clock::Clock;
    clock.now().unix_timestamp()
}

impl TestApp {
    /// Like `with_demo`, with another connector.
    pub async fn with_connector(connector: Arc<dyn gatehouse::connector::Connector>) -> Self {
        let mut app = Self::with_demo().await;
        app.connector = connector;
        app.router = gatehouse::app(app.state());
        app
    }

    /// A state over the same database and clock (what the worker runs with).
    pub fn state(&self) -> AppState {
        AppState::new(self.db.clone(), Arc::new(self.clock.clone()))
            .with_connector(self.connector.clone())
            .with_secrets(gatehouse::secrets::SecretBox::new(self.key))
    }

    pub async fn post(&self, uri: &str, cookie: &str, body: Value) -> Answer {
        self.call(Method::POST, uri, Some(cookie), Some(body)).await
    }

    /// Id of the demo resource at `path`.
    pub async fn resource(&self, path: &str) -> i64 {
        resource_id(&self.db, path).await
    }

    pub async fn user_id(&self, username: &str) -> i64 {
        let username = username.to_owned();
        self.db
            .call(move |conn| {
                Ok(conn.query_row(
                    "SELECT id FROM users WHERE username = ?1",
                    [username],
                    |r| r.get(0),
                )?)
            })
            .await
            .unwrap()
    }

    /// Add a plain user with the demo password (hashed once per test
    /// process: argon2 is slow on purpose, and the salt needs no variety here).
    pub async fn add_user(&self, username: &str) -> i64 {
        static DEMO_HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();
        let hash = DEMO_HASH
            .get_or_init(|| gatehouse::auth::hash_password(demo::DEMO_PASSWORD).unwrap())
            .clone();
        let username = username.to_owned();
        self.db
            .write(move |tx| {
                gatehouse::store::users::ensure(
                    tx,
                    &gatehouse::store::users::NewUser {
                        username: &username,
                        display_name: &username,
                        email: "x@example.com",
                        password_hash: &hash,
                        is_admin: false,
                    },
                    0,
                )
            })
            .await
            .unwrap()
    }

    /// Change the access flow `name` as `edit` says, through the admin API
    /// as `admin`.
    pub async fn edit_flow(&self, admin: &str, name: &str, edit: impl FnOnce(&mut Value)) {
        let flows = self.get("/api/v1/admin/access-flows", admin).await;
        let mut flow = flows
            .body
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["name"] == name)
            .unwrap()
            .clone();
        let id = flow["id"].as_i64().unwrap();
        flow.as_object_mut().unwrap().remove("id");
        edit(&mut flow);
        let uri = format!("/api/v1/admin/access-flows/{id}");
        let answer = self.call(Method::PUT, &uri, Some(admin), Some(flow)).await;
        assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    }

    /// Add `user` to the group `name` through the admin API as `admin`; the
    /// group's id.
    pub async fn join_group(&self, admin: &str, name: &str, user: i64) -> i64 {
        let groups = self.get("/api/v1/admin/groups", admin).await;
        let group = groups
            .body
            .as_array()
            .unwrap()
            .iter()
            .find(|g| g["name"] == name)
            .unwrap()
            .clone();
        let id = group["id"].as_i64().unwrap();
        let mut members: Vec<i64> = group["member_ids"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m.as_i64().unwrap())
            .collect();
        members.push(user);
        let body = serde_json::json!({"name": name, "member_ids": members});
        let uri = format!("/api/v1/admin/groups/{id}");
        let answer = self.call(Method::PUT, &uri, Some(admin), Some(body)).await;
        assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
        id
    }

    /// The app's clock as the server's parts take it (leases, the outbox).
    pub fn clock(&self) -> Arc<dyn gatehouse::clock::Clock> {
        Arc::new(self.clock.clone())
    }

    /// Run one background pass, as the worker does every second.
    pub async fn tick(&self) {
        gatehouse::worker::tick(&self.state()).await.unwrap();
    }

    /// One background pass for a set-up that only waits for work to be done:
    /// on a loaded machine a pass may outlive its lease and stop (the
    /// worker's next pass goes on), which the caller's next pass absorbs.
    pub async fn tick_until_done(&self) {
        if let Err(error) = gatehouse::worker::tick(&self.state()).await {
            eprintln!("a background pass stopped ({error}); the next one goes on");
        }
    }
}

/// Log in to a running server at `url` as a demo user and create an API
/// token; its secret (tests of the real binary).
pub fn api_token(url: &str, username: &str) -> String {
    let agent = ureq::AgentBuilder::new().build();
    let login = agent
        .post(&format!("{url}/api/v1/session"))
        .send_json(
            serde_json::json!({"username": username, "password": gatehouse::demo::DEMO_PASSWORD}),
        )
        .unwrap();
    let cookie = login
        .header("set-cookie")
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let created: serde_json::Value = agent
        .post(&format!("{url}/api/v1/tokens"))
        .set("Cookie", &cookie)
        .send_json(serde_json::json!({"name": "test"}))
        .unwrap()
        .into_json()
        .unwrap();
    created["secret"].as_str().unwrap().to_owned()
}

/// Every audit entry's action and detail, oldest first.
pub async fn audit_log(app: &TestApp) -> Vec<(String, Value)> {
    app.db
        .call(|conn| {
            let mut statement = conn.prepare("SELECT action, detail FROM audit_log ORDER BY id")?;
            let rows = statement
                .query_map([], |row| {
                    Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?))
                })?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows
                .into_iter()
                .map(|(action, detail)| {
                    (action, serde_json::from_str(&detail).unwrap_or(Value::Null))
                })
                .collect())
        })
        .await
        .unwrap()
}

/// The real binary serving the demo on a SQLite file in `dir`, on a free
/// loopback port; killed when dropped.
pub struct DemoServer {
    child: std::process::Child,
    pub url: String,
}

impl Drop for DemoServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl DemoServer {
    /// How the process ended, if it did within `within`.
    pub fn exited(&mut self, within: std::time::Duration) -> Option<std::process::ExitStatus> {
        let deadline = std::time::Instant::now() + within;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return Some(status);
            }
            if std::time::Instant::now() > deadline {
                return None;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
    }
}

pub fn serve_demo(dir: &std::path::Path) -> DemoServer {
    serve_demo_with(dir, &[])
}

/// [`serve_demo`] with more environment (`GATEHOUSE_CRASH_AT`…); run again
/// on the same `dir`, it serves the same database with the same key.
pub fn serve_demo_with(dir: &std::path::Path, env: &[(&str, &str)]) -> DemoServer {
    use std::io::BufRead;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_gatehouse"))
        .args(["serve", "--demo", "--listen", "127.0.0.1:0", "--db"])
        .arg(process_db(dir))
        .arg("--key-file")
        .arg(dir.join("gatehouse.key"))
        .envs(env.iter().copied())
        .env("GATEHOUSE_LOG", "warn")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut reader = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    reader.read_line(&mut line).unwrap();
    std::thread::spawn(move || std::io::copy(&mut reader, &mut std::io::sink()));
    let url = line
        .trim()
        .strip_prefix("Gatehouse is running at ")
        .unwrap()
        .trim_end_matches('/')
        .to_owned();
    DemoServer { child, url }
}

/// Make a SCIM token as carol (the demo admin).
pub async fn scim_token(app: &TestApp) -> String {
    let carol = app.login("carol").await;
    let made = app
        .post("/api/v1/admin/scim-token", &carol, Value::Null)
        .await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.body);
    made.body["token"].as_str().unwrap().to_owned()
}

/// A SCIM request with the bearer `token` and, if any, a body sent as
/// `application/scim+json` text.
pub async fn scim_send(
    app: &TestApp,
    method: Method,
    uri: &str,
    token: &str,
    body: Option<String>,
) -> Answer {
    let mut builder = Request::builder()
        .method(method)
        .uri(uri)
        .header(header::AUTHORIZATION, format!("Bearer {token}"));
    let body = match body {
        Some(text) => {
            builder = builder.header(header::CONTENT_TYPE, "application/scim+json");
            Body::from(text)
        }
        None => Body::empty(),
    };
    app.send(builder.body(body).unwrap()).await
}

/// Run the `gatehouse` CLI with its config in `config` (standard input not
/// a terminal, the demo password for log-ins).
pub fn cli(config: &std::path::Path, args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_gatehouse"))
        .args(args)
        .env("GATEHOUSE_CONFIG_DIR", config)
        .env("GATEHOUSE_PASSWORD", demo::DEMO_PASSWORD)
        .env_remove("GATEHOUSE_SERVER")
        .output()
        .unwrap()
}

/// What a command wrote, standard output then standard error.
pub fn all_output(output: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}
