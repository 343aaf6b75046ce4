//! The SSH connector against the real OpenSSH: the real binary is the
//! user CA, a real `sshd` trusts it (`TrustedUserCAKeys`) and reads its
//! revocation list (`RevokedKeys`); `gatehouse connect` logs in for real with
//! a certificate of minutes; once the access is revoked no new certificate is
//! issued and the old one is refused as soon as the host has the new list.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common;

use std::{path::Path, process::Command};

use axum::http::{Method, StatusCode};
use common::ssh_server::{self, LOGIN, SshServer, free_port};
use common::{TestApp, all_output as text, cli, serve_demo};
use serde_json::{Value, json};
use ssh_key::{Algorithm, Certificate, HashAlg, PrivateKey, PublicKey};
use time::OffsetDateTime;

/// A call to the real server: the status and the body as JSON (or text).
fn call(method: &str, url: &str, auth: Option<(&str, &str)>, body: Value) -> (u16, Value) {
    let mut request = ureq::request(method, url);
    if let Some((name, value)) = auth {
        request = request.set(name, value);
    }
    let response = if body.is_null() {
        request.call()
    } else {
        request.send_json(body)
    };
    let (status, response) = match response {
        Ok(response) => (response.status(), response),
        Err(ureq::Error::Status(code, response)) => (code, response),
        Err(other) => panic!("{method} {url}: {other}"),
    };
    let text = response.into_string().unwrap();
    let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
    (status, body)
}

/// The real binary with an SSH integration for `127.0.0.1:port` (certificates
/// of at most `minutes`), an auto-approving flow over its login [`LOGIN`],
/// and alice logged in with the CLI with that login Active.
struct Setup {
    _dir: tempfile::TempDir,
    server: common::DemoServer,
    config: std::path::PathBuf,
    /// `Authorization` header values.
    alice: String,
    carol: String,
    /// The request and its SSH integration.
    id: String,
    integration: i64,
    /// The CA's public key line, as `GET /api/v1/ssh/ca` gives it.
    ca: String,
}

impl Setup {
    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.server.url)
    }

    fn certificate_url(&self) -> String {
        self.url(&format!(
            "/api/v1/requests/{}/access/{}/certificate",
            self.id, self.integration
        ))
    }
}

fn setup(port: u16, minutes: u32) -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let server = serve_demo(dir.path());
    let url = server.url.clone();
    let config = dir.path().join("config");
    let carol = format!("Bearer {}", common::api_token(&url, "carol"));
    let as_carol = Some(("Authorization", carol.as_str()));

    let (status, ca) = call(
        "GET",
        &format!("{url}/api/v1/ssh/ca"),
        as_carol,
        Value::Null,
    );
    assert_eq!(status, 200, "{ca}");
    let ca = ca.as_str().unwrap().to_owned();
    assert!(ca.starts_with("ssh-ed25519 ") && ca.ends_with('\n'), "{ca}");

    let settings = json!({"host": "127.0.0.1", "port": port, "max_certificate_minutes": minutes,
                          "logins": [LOGIN]});
    let (status, created) = call(
        "POST",
        &format!("{url}/api/v1/admin/integrations"),
        as_carol,
        json!({"name": "Hosts", "kind": "ssh", "connector": "ssh", "settings": settings,
               "connection_options": ["terminal", "app"]}),
    );
    assert_eq!(status, 201, "{created}");
    let integration = created["id"].as_i64().unwrap();
    let sync = format!("{url}/api/v1/admin/integrations/{integration}/sync");
    let (status, synced) = call("POST", &sync, as_carol, json!({}));
    assert_eq!(
        (status, synced["added"].as_i64()),
        (200, Some(1)),
        "{synced}"
    );
    let (status, flow) = call(
        "POST",
        &format!("{url}/api/v1/admin/access-flows"),
        as_carol,
        json!({"name": "Hosts", "grantees": [{"kind": "everyone"}], "scope": [{"kind": "integration", "id": integration}],
               "auto_approve": true, "durations_seconds": [3600], "max_duration_seconds": 3600}),
    );
    assert_eq!(status, 201, "{flow}");

    let logged_in = cli(&config, &["login", "--server", &url, "--username", "alice"]);
    assert!(logged_in.status.success(), "{}", text(&logged_in));
    let saved: Value =
        serde_json::from_slice(&std::fs::read(config.join("credentials.json")).unwrap()).unwrap();
    let alice = format!("Bearer {}", saved["token"].as_str().unwrap());
    let as_alice = Some(("Authorization", alice.as_str()));
    let (_, found) = call(
        "GET",
        &format!("{url}/api/v1/resources?q={LOGIN}&limit=100"),
        as_alice,
        Value::Null,
    );
    let path = format!("127.0.0.1/{LOGIN}");
    let resource = found["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["path"] == path.as_str())
        .unwrap_or_else(|| panic!("{found}"))["id"]
        .as_i64()
        .unwrap();
    let (status, submitted) = call(
        "POST",
        &format!("{url}/api/v1/requests"),
        as_alice,
        json!({"items": [{"resource_id": resource, "permission": "login"}], "duration_seconds": 3600,
               "justification": "Rotating the web server's logs"}),
    );
    assert_eq!(status, 201, "{submitted}");
    assert_eq!(submitted["requests"][0]["status"], "Active", "{submitted}");
    Setup {
        _dir: dir,
        id: submitted["requests"][0]["id"].to_string(),
        server,
        config,
        alice,
        carol,
        integration,
        ca,
    }
}

fn new_key() -> PrivateKey {
    PrivateKey::random(&mut rand::rngs::OsRng, Algorithm::Ed25519).unwrap()
}

fn public_line(key: &PrivateKey) -> String {
    key.public_key().to_openssh().unwrap()
}

/// `GET /api/v1/ssh/revoked-keys` as a host's timer fetches it: no credential.
fn fetch_revoked_keys(setup: &Setup) -> Vec<u8> {
    let response = ureq::get(&setup.url("/api/v1/ssh/revoked-keys"))
        .call()
        .unwrap();
    assert_eq!(
        response.header("content-type"),
        Some("application/octet-stream")
    );
    let mut krl = Vec::new();
    std::io::Read::read_to_end(&mut response.into_reader(), &mut krl).unwrap();
    krl
}

/// `ssh-keygen -Q`: whether OpenSSH finds `cert` revoked by the list `krl`.
fn revoked_by(krl: &[u8], cert: &Path) -> bool {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("list.krl");
    std::fs::write(&file, krl).unwrap();
    let checked = Command::new("ssh-keygen")
        .arg("-Q")
        .arg("-f")
        .arg(file)
        .arg(cert)
        .output()
        .unwrap();
    let said = text(&checked);
    assert!(said.contains(": ok") || said.contains("REVOKED"), "{said}");
    !checked.status.success() && said.contains("REVOKED")
}

#[test]
fn connect_logs_in_with_a_certificate_until_the_access_is_revoked() {
    let port = free_port();
    let setup = setup(port, 5);
    let sshd = SshServer::start(port, &setup.ca);
    let config = setup.config.as_path();
    let id = setup.id.as_str();

    // gatehouse connect: a key of my own, a certificate for it, then ssh.
    let mut connect = vec!["connect", id, "--"];
    connect.extend(ssh_server::client_options());
    connect.extend(["echo", "ok"]);
    let connected = cli(config, &connect);
    assert!(
        connected.status.success(),
        "{}\nsshd: {}",
        text(&connected),
        sshd.log()
    );
    assert_eq!(String::from_utf8_lossy(&connected.stdout).trim(), "ok");
    let key = config.join("ssh").join("id_ed25519");
    let cert = config.join("ssh").join("id_ed25519-cert.pub");
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&key).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "only the user reads the key");
    }
    let log = sshd.log();
    assert!(
        log.contains(&format!("Accepted certificate ID \"gatehouse:{id}:alice\"")),
        "{log}"
    );

    // --print: the ssh line, with a fresh certificate in place.
    let printed = cli(config, &["connect", id, "--print"]);
    assert!(printed.status.success(), "{}", text(&printed));
    let line = String::from_utf8_lossy(&printed.stdout);
    assert!(
        line.starts_with("ssh '-i' ")
            && line.contains("CertificateFile=")
            && line.contains(&format!("'{LOGIN}@127.0.0.1'"))
            && line.contains(&format!("'-p' '{port}'")),
        "{line}"
    );

    // Every certificate is in the audit trail, by serial and fingerprint,
    // and the private key is nowhere.
    let as_alice = Some(("Authorization", setup.alice.as_str()));
    let (_, detail) = call(
        "GET",
        &setup.url(&format!("/api/v1/requests/{id}")),
        as_alice,
        Value::Null,
    );
    let issued: Vec<&Value> = detail["audit"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["action"] == "ssh_certificate_issued")
        .collect();
    assert_eq!(issued.len(), 2, "{detail}");
    let public = PublicKey::read_openssh_file(&key.with_extension("pub")).unwrap();
    for entry in &issued {
        assert!(entry["detail"]["serial"].as_u64().unwrap() > 0);
        assert_eq!(
            entry["detail"]["fingerprint"],
            public.fingerprint(HashAlg::Sha256).to_string()
        );
    }
    let private = std::fs::read_to_string(&key).unwrap();
    let body_line = private.lines().nth(1).unwrap();
    assert!(!detail.to_string().contains(body_line));
    assert!(!detail.to_string().contains("PRIVATE KEY"));

    // While the access is Active the list does not name its certificates.
    let active_list = fetch_revoked_keys(&setup);
    assert!(!revoked_by(&active_list, &cert));

    // Revoked: no new certificate, and connect says so.
    let (status, revoked) = call(
        "POST",
        &setup.url(&format!("/api/v1/requests/{id}/revoke")),
        as_alice,
        json!({"reason": "done with the logs"}),
    );
    assert_eq!(status, 200, "{revoked}");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let (_, now) = call(
            "GET",
            &setup.url(&format!("/api/v1/requests/{id}")),
            as_alice,
            Value::Null,
        );
        if now["status"] == "Revoked" {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "{now}");
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    let (status, refused) = call(
        "POST",
        &setup.certificate_url(),
        as_alice,
        json!({"public_key": public.to_openssh().unwrap()}),
    );
    assert_eq!(status, 409, "{refused}");
    assert!(refused["message"].as_str().unwrap().contains("Revoked"));
    let again = cli(config, &connect);
    assert!(!again.status.success());
    assert!(
        text(&again).contains("no active access"),
        "{}",
        text(&again)
    );

    // The last certificate is still within its minutes: the host takes it
    // until its revocation list says otherwise.
    let before = sshd.ssh(&key, &cert, "echo still");
    assert_eq!(
        String::from_utf8_lossy(&before.stdout).trim(),
        "still",
        "{}",
        text(&before)
    );

    // The list, as a host's timer fetches it, names it now.
    let krl = fetch_revoked_keys(&setup);
    assert!(revoked_by(&krl, &cert), "ssh-keygen -Q finds it revoked");

    sshd.set_revoked(&krl);
    let after = sshd.ssh(&key, &cert, "echo still");
    assert!(!after.status.success(), "{}", text(&after));
    assert!(!String::from_utf8_lossy(&after.stdout).contains("still"));
    assert!(
        sshd.log().to_lowercase().contains("revoked"),
        "{}",
        sshd.log()
    );
}

#[test]
fn certificates_go_to_the_grantee_only_for_keys_that_parse_and_last_minutes() {
    let setup = setup(free_port(), 5);
    let url = setup.certificate_url();
    let key = new_key();
    let body = json!({"public_key": public_line(&key)});

    // Nobody else: not an admin (403), not someone the request is hidden from
    // (404), not without signing in (401).
    let carol = Some(("Authorization", setup.carol.as_str()));
    let (status, refused) = call("POST", &url, carol, body.clone());
    assert_eq!(status, 403, "{refused}");
    assert!(refused["code"].is_string(), "{refused}");
    let bob = format!("Bearer {}", common::api_token(&setup.server.url, "bob"));
    let (status, hidden) = call("POST", &url, Some(("Authorization", &bob)), body.clone());
    assert_eq!(status, 404, "{hidden}");
    let (status, _) = call("POST", &url, None, body.clone());
    assert_eq!(status, 401);
    // The CA's line is for admins.
    let alice = Some(("Authorization", setup.alice.as_str()));
    let (status, _) = call("GET", &setup.url("/api/v1/ssh/ca"), alice, Value::Null);
    assert_eq!(status, 403);

    // A key that does not parse, or is too weak: 400 with the JSON error.
    for bad in ["ssh-ed25519 AAAAnotbase64", "hello", ""] {
        let (status, error) = call("POST", &url, alice, json!({"public_key": bad}));
        assert_eq!(status, 400, "{bad}: {error}");
        assert!(error["message"].is_string(), "{error}");
    }

    // The grantee: a certificate for the login, at most 5 minutes.
    let (status, issued) = call("POST", &url, alice, body);
    let now = OffsetDateTime::now_utc();
    assert_eq!(status, 200, "{issued}");
    let until = OffsetDateTime::parse(
        issued["valid_until"].as_str().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    assert!(until <= now + time::Duration::minutes(5), "{issued}");
    assert!(until > now + time::Duration::minutes(4), "{issued}");
    assert_eq!(issued["principals"], json!([LOGIN]));
    let cert = Certificate::from_openssh(issued["certificate"].as_str().unwrap()).unwrap();
    assert_eq!(
        cert.valid_before() - cert.valid_after(),
        6 * 60,
        "5 min, from a minute ago"
    );
    assert_eq!(cert.valid_before() as i64, until.unix_timestamp());
    assert_eq!(cert.valid_principals(), [LOGIN]);
    assert_eq!(cert.key_id(), format!("gatehouse:{}:alice", setup.id));
    assert_eq!(cert.serial(), issued["serial"].as_u64().unwrap());
    assert_eq!(cert.public_key(), key.public_key().key_data());
    let ca = PublicKey::from_openssh(&setup.ca).unwrap();
    let ca_fingerprint = ca.fingerprint(HashAlg::Sha256);
    cert.validate_at(now.unix_timestamp() as u64, [&ca_fingerprint])
        .unwrap();
    assert!(
        cert.validate_at(until.unix_timestamp() as u64 + 1, [&ca_fingerprint])
            .is_err()
    );
    // Each certificate has its own serial.
    let (_, second) = call(
        "POST",
        &url,
        alice,
        json!({"public_key": public_line(&new_key())}),
    );
    assert_ne!(second["serial"], issued["serial"]);
}

/// Through the router with a clock the test moves: a certificate never
/// outlasts the access, and expired access is revoked like revoked access.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn certificates_end_with_the_access_and_expired_access_is_in_the_list() {
    let app = TestApp::with_demo().await;
    let carol = app.login("carol").await;
    let alice = app.login("alice").await;
    let settings =
        json!({"host": "bastion.internal", "max_certificate_minutes": 60, "logins": ["deploy"]});
    let created = app
        .post(
            "/api/v1/admin/integrations",
            &carol,
            json!({"name": "Bastion", "kind": "ssh", "connector": "ssh", "settings": settings}),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.body);
    let integration = created.body["id"].as_i64().unwrap();
    let synced = app
        .post(
            &format!("/api/v1/admin/integrations/{integration}/sync"),
            &carol,
            json!({}),
        )
        .await;
    assert_eq!(synced.status, 200, "{}", synced.body);
    let flow = app
        .post(
            "/api/v1/admin/access-flows",
            &carol,
            json!({"name": "Bastion", "grantees": [{"kind": "everyone"}], "scope": [{"kind": "integration", "id": integration}],
                   "auto_approve": true, "durations_seconds": [3600], "max_duration_seconds": 3600}),
        )
        .await;
    assert_eq!(flow.status, 201, "{}", flow.body);
    let resource = app.resource("bastion.internal/deploy").await;
    let submitted = app
        .post(
            "/api/v1/requests",
            &alice,
            json!({"items": [{"resource_id": resource, "permission": "login"}], "duration_seconds": 3600,
                   "justification": "Deploying the hotfix by hand"}),
        )
        .await;
    assert_eq!(submitted.status, 201, "{}", submitted.body);
    let id = submitted.body["requests"][0]["id"].as_i64().unwrap();
    app.tick().await;
    let request = app.get(&format!("/api/v1/requests/{id}"), &alice).await;
    assert_eq!(request.body["status"], "Active", "{}", request.body);
    let ends = request.body["expires_at"].as_str().unwrap().to_owned();

    // Access Details say how to connect; there is no secret.
    let details = app
        .get(&format!("/api/v1/requests/{id}/access"), &alice)
        .await;
    assert_eq!(details.body[0]["username"], "deploy", "{}", details.body);
    assert_eq!(details.body[0]["secret_available"], false);

    let url = format!("/api/v1/requests/{id}/access/{integration}/certificate");
    let mut certificates = Vec::new();
    for minutes in [0, 50] {
        app.clock.advance(time::Duration::minutes(minutes));
        let issued = app
            .post(&url, &alice, json!({"public_key": public_line(&new_key())}))
            .await;
        assert_eq!(issued.status, 200, "{}", issued.body);
        // 60 minutes at most, and never past the access's end.
        assert_eq!(issued.body["valid_until"], ends.as_str(), "{}", issued.body);
        certificates.push(issued.body);
        assert!(
            revoked_serials(&app).await.is_empty(),
            "nothing is revoked while the access is Active"
        );
    }

    app.clock.advance(time::Duration::minutes(11));
    app.tick().await;
    let request = app.get(&format!("/api/v1/requests/{id}"), &alice).await;
    assert_eq!(request.body["status"], "Expired", "{}", request.body);
    let late = app
        .post(&url, &alice, json!({"public_key": public_line(&new_key())}))
        .await;
    assert_eq!(late.status, StatusCode::CONFLICT, "{}", late.body);
    let mut listed = revoked_serials(&app).await;
    listed.sort_unstable();
    let mut issued: Vec<u64> = certificates
        .iter()
        .map(|c| c["serial"].as_u64().unwrap())
        .collect();
    issued.sort_unstable();
    assert_eq!(listed, issued);
}

/// The serials `GET /api/v1/ssh/revoked-keys` lists (read back from the KRL's
/// one certificate section), checked by OpenSSH's own reader too.
async fn revoked_serials(app: &TestApp) -> Vec<u64> {
    use http_body_util::BodyExt;
    use tower::ServiceExt;
    let request = common::request(Method::GET, "/api/v1/ssh/revoked-keys", None, None);
    let response = app.router.clone().oneshot(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let krl = response.into_body().collect().await.unwrap().to_bytes();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("list.krl");
    std::fs::write(&file, krl).unwrap();
    let listed = Command::new("ssh-keygen")
        .arg("-Q")
        .arg("-l")
        .arg("-f")
        .arg(file)
        .output()
        .unwrap();
    assert!(listed.status.success(), "{}", text(&listed));
    // ssh-keygen -Q -l: `serial: N` per revoked serial.
    String::from_utf8_lossy(&listed.stdout)
        .lines()
        .filter_map(|line| line.trim().strip_prefix("serial: "))
        .map(|serial| serial.trim().parse().unwrap())
        .collect()
}
