//! A real moto server (PyPI `moto[server]`) for the AWS tests: on a free
//! loopback port, with IAM auth on after the first calls, which make an
//! admin user and its access key. Everything after that is signature- and
//! key-checked (403 for a wrong secret or an unknown key).
//!
//! The server runs under `sh`, which kills it when the test process's pipe
//! to it closes: on Drop, and also when a test binary holding the server in
//! a `static` exits.

use std::{
    io::Write,
    net::{TcpListener, TcpStream},
    process::{Child, ChildStdin, Command, Stdio},
    sync::Mutex,
    time::{Duration, Instant},
};

use gatehouse::connector::aws::{AwsCredentials, Client, CredentialsProvider};

pub const REGION: &str = "us-east-1";
/// moto's default account.
pub const ACCOUNT: &str = "123456789012";
/// The calls moto lets through unchecked: CreateUser, CreateAccessKey, PutUserPolicy.
const NO_AUTH_CALLS: u32 = 3;

pub struct Moto {
    pub port: u16,
    pub admin: AwsCredentials,
    child: Mutex<Option<(Child, ChildStdin)>>,
    _dir: tempfile::TempDir,
}

fn binary() -> String {
    let venv = concat!(env!("CARGO_MANIFEST_DIR"), "/../.venv/bin/moto_server");
    for path in [
        venv,
        "/root/.pyenv/shims/moto_server",
        "/usr/local/bin/moto_server",
        "/usr/bin/moto_server",
    ] {
        if std::path::Path::new(path).exists() {
            return path.to_string();
        }
    }
    "moto_server".to_string()
}

impl Moto {
    pub fn start() -> Self {
        let dir = tempfile::Builder::new()
            .prefix("gatehouse-moto-")
            .tempdir()
            .unwrap();
        let log = dir.path().join("moto.log");
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        // `read` returns when our end of stdin closes; then the server goes.
        let script =
            r#""$0" -H 127.0.0.1 -p "$1" >"$2" 2>&1 & pid=$!; read _ignored; kill $pid; wait $pid"#;
        let mut child = Command::new("sh")
            .args([
                "-c",
                script,
                &binary(),
                &port.to_string(),
                log.to_str().unwrap(),
            ])
            .env("INITIAL_NO_AUTH_ACTION_COUNT", NO_AUTH_CALLS.to_string())
            .env("MOTO_ALLOW_NONEXISTENT_REGION", "false")
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        let stdin = child.stdin.take().unwrap();
        let deadline = Instant::now() + Duration::from_secs(30);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "moto_server did not start: {}",
                std::fs::read_to_string(&log).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        let mut server = Self {
            port,
            admin: AwsCredentials::new("unused", "unused", None),
            child: Mutex::new(Some((child, stdin))),
            _dir: dir,
        };
        server.admin = server.make_admin();
        server
    }

    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// A client for this server with these credentials.
    pub fn client_with(&self, credentials: AwsCredentials) -> Client {
        Client::new(
            REGION,
            Some(&self.endpoint()),
            CredentialsProvider::fixed(credentials),
        )
    }

    /// A client with the admin key.
    pub fn admin(&self) -> Client {
        self.client_with(self.admin.clone())
    }

    /// The unchecked calls: an IAM user allowed everything, and its key.
    fn make_admin(&self) -> AwsCredentials {
        let setup = self.client_with(AwsCredentials::new("AKIASETUPSETUPSETUP0", "setup", None));
        setup
            .raw_query("iam", "CreateUser", &[("UserName", "gatehouse-admin")])
            .unwrap();
        let key = setup
            .raw_query("iam", "CreateAccessKey", &[("UserName", "gatehouse-admin")])
            .unwrap();
        let policy = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#;
        setup
            .raw_query(
                "iam",
                "PutUserPolicy",
                &[
                    ("UserName", "gatehouse-admin"),
                    ("PolicyName", "all"),
                    ("PolicyDocument", policy),
                ],
            )
            .unwrap();
        let field = |tag: &str| {
            let start = key.find(&format!("<{tag}>")).unwrap() + tag.len() + 2;
            let end = key[start..].find('<').unwrap() + start;
            key[start..end].to_string()
        };
        AwsCredentials::new(&field("AccessKeyId"), &field("SecretAccessKey"), None)
    }

    pub fn stop(&self) {
        if let Some((mut child, stdin)) = self.child.lock().unwrap().take() {
            drop(stdin);
            let _ = child.wait();
        }
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A one-shot HTTP server answering each request on `port` with the next of
/// `answers` (status, body); for what moto cannot do (failed assignments,
/// container credentials).
pub fn fake_http(answers: Vec<(u16, String)>) -> (u16, std::thread::JoinHandle<Vec<String>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let handle = std::thread::spawn(move || {
        let mut requests = Vec::new();
        for (status, body) in answers {
            let (mut stream, _) = listener.accept().unwrap();
            requests.push(read_request(&mut stream));
            let head = format!(
                "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            );
            stream.write_all(head.as_bytes()).unwrap();
            stream.write_all(body.as_bytes()).unwrap();
        }
        requests
    });
    (port, handle)
}

fn read_request(stream: &mut TcpStream) -> String {
    use std::io::Read;
    let mut data = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let n = stream.read(&mut buf).unwrap();
        data.extend_from_slice(&buf[..n]);
        let text = String::from_utf8_lossy(&data).to_string();
        if let Some(end) = text.find("\r\n\r\n") {
            let length = text[..end]
                .lines()
                .find_map(|l| {
                    l.to_ascii_lowercase()
                        .strip_prefix("content-length:")
                        .map(|v| v.trim().parse::<usize>().unwrap())
                })
                .unwrap_or(0);
            if data.len() >= end + 4 + length {
                return text;
            }
        }
        if n == 0 {
            return text;
        }
    }
}

/// A TCP relay in front of a server, which can stop answering: the
/// conformance suite's outage, with the server (and its state) kept behind
/// it. Down, it cuts the open connections and refuses new ones.
pub struct Relay {
    pub port: u16,
    down: std::sync::Arc<std::sync::atomic::AtomicBool>,
    open: std::sync::Arc<Mutex<Vec<TcpStream>>>,
}

impl Relay {
    pub fn start(to: u16) -> Self {
        use std::sync::{Arc, atomic::AtomicBool, atomic::Ordering};
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let down = Arc::new(AtomicBool::new(false));
        let open: Arc<Mutex<Vec<TcpStream>>> = Arc::default();
        let (is_down, opened) = (down.clone(), open.clone());
        std::thread::spawn(move || {
            for client in listener.incoming() {
                let Ok(client) = client else { continue };
                if is_down.load(Ordering::SeqCst) {
                    continue; // dropped: the connection is closed at once
                }
                let Ok(server) = TcpStream::connect(("127.0.0.1", to)) else {
                    continue;
                };
                let mut list = opened.lock().unwrap();
                list.push(client.try_clone().unwrap());
                list.push(server.try_clone().unwrap());
                drop(list);
                for (mut from, mut to) in [
                    (client.try_clone().unwrap(), server.try_clone().unwrap()),
                    (server, client),
                ] {
                    std::thread::spawn(move || {
                        let _ = std::io::copy(&mut from, &mut to);
                        let _ = to.shutdown(std::net::Shutdown::Both);
                    });
                }
            }
        });
        Self { port, down, open }
    }

    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn set_down(&self, down: bool) {
        self.down.store(down, std::sync::atomic::Ordering::SeqCst);
        if down {
            for stream in self.open.lock().unwrap().drain(..) {
                let _ = stream.shutdown(std::net::Shutdown::Both);
            }
        }
    }
}
