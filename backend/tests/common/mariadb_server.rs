//! A real MariaDB server for connector tests (Debian's `mariadb-server`): a
//! fresh data directory in a temp dir, the server on a free loopback port,
//! run as the unprivileged `mysql` user when the tests run as root. The
//! installer's anonymous users are dropped (they would shadow `'name'@'%'`
//! for loopback log-ins), and the connector gets an account of its own with
//! exactly the privileges the README names.

use std::{
    net::TcpListener,
    path::PathBuf,
    process::{Child, Command, Stdio},
    sync::Mutex,
    time::{Duration, Instant},
};

use mysql::{Conn, OptsBuilder, prelude::Queryable};
use serde_json::{Value, json};

/// The connector's own account: least privilege, as in the README.
pub const CONNECTOR_USER: &str = "gatehouse";
pub const CONNECTOR_PASSWORD: &str = "connector-pw-for-tests";

pub struct MariaDb {
    pub port: u16,
    data: PathBuf,
    socket: PathBuf,
    child: Mutex<Option<Child>>,
    /// Takes TLS with a certificate for 127.0.0.1 signed by [`Self::ca_pem`].
    tls: bool,
    _dir: tempfile::TempDir,
}

fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() == 0 }
}

fn binary(name: &str) -> String {
    for dir in ["/usr/sbin", "/usr/bin"] {
        let path = format!("{dir}/{name}");
        if std::path::Path::new(&path).exists() {
            return path;
        }
    }
    panic!("{name} is not installed: scripts/setup-test installs Debian's mariadb-server")
}

impl MariaDb {
    /// A fresh server with the connector's account and the given databases
    /// (each statement run as root over the socket).
    pub fn start(setup: &[&str]) -> Self {
        Self::start_with(setup, false)
    }

    /// The same, also taking TLS (see [`Self::ca_pem`]).
    pub fn start_with_tls(setup: &[&str]) -> Self {
        Self::start_with(setup, true)
    }

    fn start_with(setup: &[&str], tls: bool) -> Self {
        let dir = tempfile::Builder::new()
            .prefix("gatehouse-mariadb-")
            .tempdir()
            .unwrap();
        let data = dir.path().join("data");
        // Temporary tables of its own: servers bootstrapping side by side in
        // one /tmp lost each other's (`Unknown table 'mysql.tmp_user_sys'`).
        std::fs::create_dir(dir.path().join("tmp")).unwrap();
        let user = if is_root() { "mysql" } else { "" };
        if tls {
            super::pg_server::make_certificates(dir.path());
        }
        if is_root() {
            let status = Command::new("chown")
                .args(["-R", "mysql:mysql"])
                .arg(dir.path())
                .status()
                .unwrap();
            assert!(status.success());
        }
        let mut install = Command::new(binary("mariadb-install-db"));
        install.arg(format!("--datadir={}", data.display())).args([
            "--auth-root-authentication-method=socket",
            "--skip-test-db",
            "--no-defaults",
        ]);
        if !user.is_empty() {
            install.arg(format!("--user={user}"));
        }
        install.arg(format!("--tmpdir={}", dir.path().join("tmp").display()));
        let output = install.output().unwrap();
        assert!(
            output.status.success(),
            "mariadb-install-db: {}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let server = Self {
            port,
            socket: dir.path().join("mysqld.sock"),
            data,
            child: Mutex::new(None),
            tls,
            _dir: dir,
        };
        server.up();
        let mut root = server.root();
        root.query_drop("DROP USER IF EXISTS ''@'localhost', ''@'127.0.0.1'")
            .unwrap();
        let host = hostname();
        let _ = root.query_drop(format!("DROP USER IF EXISTS ''@'{host}'"));
        for statement in setup {
            root.query_drop(*statement).unwrap();
        }
        for statement in least_privilege() {
            root.query_drop(statement).unwrap();
        }
        server
    }

    /// Start (or start again) the server and wait until it takes log-ins.
    pub fn up(&self) {
        let mut command = Command::new(binary("mariadbd"));
        let dir = self.data.parent().unwrap();
        command.arg("--no-defaults");
        if is_root() {
            // mariadbd drops to the mysql user itself.
            command.arg("--user=mysql");
        }
        command
            .arg(format!("--datadir={}", self.data.display()))
            .arg(format!("--socket={}", self.socket.display()))
            .arg(format!("--port={}", self.port))
            .arg("--bind-address=127.0.0.1")
            .arg(format!("--pid-file={}", dir.join("mysqld.pid").display()))
            .arg(format!("--tmpdir={}", dir.join("tmp").display()))
            .arg(format!("--log-error={}", dir.join("error.log").display()))
            .args([
                "--skip-name-resolve",
                "--innodb-buffer-pool-size=16M",
                "--innodb-log-file-size=8M",
                "--innodb-flush-log-at-trx-commit=0",
                "--performance-schema=OFF",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        if self.tls {
            for (option, file) in [
                ("ssl-cert", "server.crt"),
                ("ssl-key", "server.key"),
                ("ssl-ca", "ca.crt"),
            ] {
                command.arg(format!("--{option}={}", dir.join(file).display()));
            }
        }
        *self.child.lock().unwrap() = Some(command.spawn().unwrap());
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if Conn::new(self.socket_opts()).is_ok() {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "MariaDB did not start: {}",
                std::fs::read_to_string(dir.join("error.log")).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Stop the server; [`Self::up`] starts it again with the same data.
    pub fn down(&self) {
        if let Some(mut child) = self.child.lock().unwrap().take() {
            // SAFETY: kill has no memory preconditions.
            unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
            let _ = child.wait();
        }
        // Until the port is free again.
        let deadline = Instant::now() + Duration::from_secs(30);
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
            assert!(Instant::now() < deadline, "MariaDB did not stop");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn socket_opts(&self) -> OptsBuilder {
        OptsBuilder::new()
            .socket(Some(self.socket.display().to_string()))
            .user(Some(
                std::env::var("USER").unwrap_or_else(|_| "root".into()),
            ))
            .prefer_socket(true)
    }

    /// root (the OS user running the tests) over the socket (unix_socket
    /// authentication).
    pub fn root(&self) -> Conn {
        Conn::new(self.socket_opts()).unwrap()
    }

    /// A log-in over TCP as `user`; the server's message when refused.
    pub fn log_in(&self, user: &str, password: &str) -> Result<Conn, String> {
        Conn::new(
            OptsBuilder::new()
                .ip_or_hostname(Some("127.0.0.1"))
                .tcp_port(self.port)
                .user(Some(user))
                .pass(Some(password))
                .prefer_socket(false)
                .tcp_connect_timeout(Some(Duration::from_secs(5))),
        )
        .map_err(|error| match error {
            mysql::Error::MySqlError(e) => e.message,
            other => other.to_string(),
        })
    }

    /// The settings an integration needs to reach this server.
    pub fn settings(&self) -> Value {
        json!({"host": "127.0.0.1", "port": self.port, "user": CONNECTOR_USER,
               "password": CONNECTOR_PASSWORD, "ssl_mode": "disable"})
    }

    /// The CA that signed the server's certificate (PEM), with TLS.
    pub fn ca_pem(&self) -> String {
        std::fs::read_to_string(self.data.parent().unwrap().join("ca.crt")).unwrap()
    }

    /// The accounts named like Gatehouse's (`gh_…`), as root sees them.
    pub fn gatehouse_users(&self) -> Vec<String> {
        self.root()
            .query("SELECT User FROM mysql.user WHERE User LIKE 'gh\\_%' ORDER BY User")
            .unwrap()
    }
}

impl Drop for MariaDb {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.lock().unwrap().take() {
            // SAFETY: kill has no memory preconditions.
            unsafe { libc::kill(child.id() as i32, libc::SIGKILL) };
            let _ = child.wait();
        }
    }
}

fn hostname() -> String {
    std::fs::read_to_string("/etc/hostname")
        .unwrap_or_default()
        .trim()
        .to_owned()
}

/// The connector account's privileges, as the README gives them.
pub fn least_privilege() -> Vec<String> {
    let account = format!("'{CONNECTOR_USER}'@'%'");
    vec![
        format!("CREATE USER {account} IDENTIFIED BY '{CONNECTOR_PASSWORD}'"),
        format!("GRANT CREATE USER, PROCESS, CONNECTION ADMIN ON *.* TO {account}"),
        format!("GRANT SELECT ON mysql.user TO {account}"),
        format!("GRANT SELECT ON mysql.db TO {account}"),
        format!("GRANT SELECT ON mysql.tables_priv TO {account}"),
        format!("GRANT ALL PRIVILEGES ON `shop`.* TO {account} WITH GRANT OPTION"),
        format!("GRANT ALL PRIVILEGES ON `crm`.* TO {account} WITH GRANT OPTION"),
    ]
}
