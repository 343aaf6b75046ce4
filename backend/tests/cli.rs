//! The CLI against the real binary serving a real PostgreSQL integration:
//! `gatehouse login` stores a token (0600), `gatehouse access` lists the
//! access, `gatehouse connect` fetches fresh credentials and runs psql.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common;

use common::pg_server::PgServer;
use serde_json::{Value, json};

use common::serve_demo as serve;
use common::{all_output as text, cli};

fn call(agent: &ureq::Agent, method: &str, url: &str, auth: (&str, &str), body: Value) -> Value {
    let request = agent.request(method, url).set(auth.0, auth.1);
    let response = if body.is_null() {
        request.call()
    } else {
        request.send_json(body)
    };
    match response {
        Ok(response) => response.into_json().unwrap_or(Value::Null),
        Err(ureq::Error::Status(code, response)) => {
            panic!("{method} {url}: {code} {}", response.into_string().unwrap())
        }
        Err(other) => panic!("{method} {url}: {other}"),
    }
}

/// The real binary with an integration of `connector` for `settings`, an
/// auto-approving flow over it, and alice logged in with the CLI, with
/// `path` (found by `query`) requested read-only and Active.
struct Setup {
    _dir: tempfile::TempDir,
    _server: common::DemoServer,
    url: String,
    agent: ureq::Agent,
    config: std::path::PathBuf,
    token: String,
    id: String,
}

fn setup(connector: &str, settings: Value, query: &str, path: &str) -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let server = serve(dir.path());
    let url = server.url.clone();
    let config = dir.path().join("config");

    // carol (admin) connects the target and an auto-approving flow.
    let agent = ureq::AgentBuilder::new().build();
    let login = agent
        .post(&format!("{url}/api/v1/session"))
        .send_json(json!({"username": "carol", "password": "gatehouse-demo"}))
        .unwrap();
    let cookie = login
        .header("set-cookie")
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let carol = ("Cookie", cookie.as_str());
    let integration = call(
        &agent,
        "POST",
        &format!("{url}/api/v1/admin/integrations"),
        carol,
        json!({"name": "Shop", "kind": connector, "connector": connector, "settings": settings,
               "connection_options": ["terminal", "app"]}),
    );
    let integration = integration["id"].as_i64().unwrap();
    call(
        &agent,
        "POST",
        &format!("{url}/api/v1/admin/integrations/{integration}/sync"),
        carol,
        json!({}),
    );
    call(
        &agent,
        "POST",
        &format!("{url}/api/v1/admin/access-flows"),
        carol,
        json!({"name": "Shop", "grantees": [{"kind": "everyone"}], "scope": [{"kind": "integration", "id": integration}],
               "auto_approve": true, "durations_seconds": [3600], "max_duration_seconds": 3600}),
    );

    // Not logged in yet: a clear message.
    let early = cli(&config, &["access"]);
    assert!(!early.status.success());
    assert!(text(&early).contains("not logged in"), "{}", text(&early));

    let logged_in = cli(&config, &["login", "--server", &url, "--username", "alice"]);
    assert!(logged_in.status.success(), "{}", text(&logged_in));
    let file = config.join("credentials.json");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "only the user reads the token");
    }
    let saved: Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
    let token = format!("Bearer {}", saved["token"].as_str().unwrap());
    let alice = ("Authorization", token.as_str());

    let found = call(
        &agent,
        "GET",
        &format!("{url}/api/v1/resources?q={query}&limit=100"),
        alice,
        Value::Null,
    );
    let resource = found["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["path"] == path)
        .unwrap_or_else(|| panic!("{found}"))["id"]
        .as_i64()
        .unwrap();
    let submitted = call(
        &agent,
        "POST",
        &format!("{url}/api/v1/requests"),
        alice,
        json!({"items": [{"resource_id": resource, "permission": "read-only"}], "duration_seconds": 3600,
               "justification": "Counting orders for the report"}),
    );
    assert_eq!(submitted["requests"][0]["status"], "Active", "{submitted}");
    let id = submitted["requests"][0]["id"].to_string();
    Setup {
        _dir: dir,
        _server: server,
        url,
        agent,
        config,
        token,
        id,
    }
}

#[test]
fn login_access_and_connect_open_psql_with_fresh_credentials() {
    let pg = PgServer::start();
    pg.admin("postgres")
        .batch_execute("CREATE DATABASE shop")
        .unwrap();
    pg.admin("shop")
        .batch_execute("CREATE TABLE orders (id int); INSERT INTO orders VALUES (1), (2), (3);")
        .unwrap();
    let setup = setup("postgresql", pg.settings(), "orders", "shop/public/orders");
    let (url, agent, config, id) = (
        &setup.url,
        &setup.agent,
        setup.config.as_path(),
        setup.id.as_str(),
    );
    let alice = ("Authorization", setup.token.as_str());

    let listed = cli(config, &["access"]);
    assert!(listed.status.success(), "{}", text(&listed));
    let listed = text(&listed);
    assert!(
        listed.contains(id) && listed.contains("shop.public.orders (read-only)"),
        "{listed}"
    );

    // connect: reveals the waiting secret and runs psql with it.
    let connected = cli(
        config,
        &["connect", id, "--", "-tAc", "select count(*) from orders"],
    );
    assert!(connected.status.success(), "{}", text(&connected));
    assert_eq!(String::from_utf8_lossy(&connected.stdout).trim(), "3");
    // Again: the secret was shown, so the CLI resets the credentials first.
    let again = cli(
        config,
        &["connect", id, "--", "-tAc", "select current_user"],
    );
    assert!(again.status.success(), "{}", text(&again));
    assert!(
        String::from_utf8_lossy(&again.stdout)
            .trim()
            .starts_with("gh_alice_")
    );
    let writes = cli(
        config,
        &["connect", id, "--", "-tAc", "insert into orders values (4)"],
    );
    assert!(!writes.status.success());
    assert!(
        text(&writes).contains("permission denied"),
        "{}",
        text(&writes)
    );

    let printed = cli(config, &["connect", id, "--print"]);
    assert!(printed.status.success(), "{}", text(&printed));
    let printed = text(&printed);
    assert!(
        printed.contains("PGPASSWORD='") && printed.contains("psql 'postgresql://gh_alice_"),
        "{printed}"
    );

    let detail = call(
        agent,
        "GET",
        &format!("{url}/api/v1/requests/{id}"),
        alice,
        Value::Null,
    );
    let resets = detail["audit"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["action"] == "credentials_reset")
        .count();
    assert_eq!(
        resets, 3,
        "every connect after the first issued fresh credentials"
    );
}

/// `gatehouse connect` for a MariaDB access runs the `mariadb` client with
/// fresh credentials: it reads what was granted and nothing else.
#[test]
fn connect_opens_the_mariadb_client_with_fresh_credentials() {
    let db = common::mariadb_server::MariaDb::start(&[
        "CREATE DATABASE shop",
        "CREATE TABLE shop.orders (id int)",
        "INSERT INTO shop.orders VALUES (1), (2), (3)",
        "CREATE TABLE shop.payroll (id int)",
        "CREATE DATABASE crm",
    ]);
    let setup = setup("mysql", db.settings(), "orders", "shop/orders");
    let run = |sql: &str| {
        cli(
            &setup.config,
            &["connect", &setup.id, "--", "-N", "-e", sql],
        )
    };
    let counted = run("SELECT count(*) FROM orders");
    assert!(counted.status.success(), "{}", text(&counted));
    assert_eq!(String::from_utf8_lossy(&counted.stdout).trim(), "3");
    let who = run("SELECT CURRENT_USER()");
    assert!(who.status.success(), "{}", text(&who));
    assert!(
        String::from_utf8_lossy(&who.stdout)
            .trim()
            .starts_with("gh_alice_"),
        "{}",
        text(&who)
    );
    let payroll = run("SELECT * FROM payroll");
    assert!(!payroll.status.success());
    assert!(text(&payroll).contains("denied"), "{}", text(&payroll));
    let printed = text(&cli(&setup.config, &["connect", &setup.id, "--print"]));
    assert!(printed.contains("mysql://gh_alice_"), "{printed}");
}
