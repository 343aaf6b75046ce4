//! A real PostgreSQL server for connector tests: a fresh cluster in a temp
//! dir (initdb from Debian's `postgresql` package), on a free loopback port,
//! with password (SCRAM) log-in over TCP. As root, the server runs as the
//! `postgres` user, since PostgreSQL refuses to run as root.

use std::{
    net::TcpListener,
    path::{Path, PathBuf},
    process::Command,
    time::{Duration, Instant},
};

pub const ADMIN: &str = "gh_admin";

/// Run blocking PostgreSQL client work from inside a (multi-threaded) tokio
/// test: the `postgres` client drives its own runtime on each call.
pub fn sync<T>(work: impl FnOnce() -> T) -> T {
    if tokio::runtime::Handle::try_current().is_ok() {
        tokio::task::block_in_place(work)
    } else {
        work()
    }
}
pub const ADMIN_PASSWORD: &str = "admin-pw-for-tests";

pub struct PgServer {
    pub port: u16,
    bin: PathBuf,
    data: PathBuf,
    log: PathBuf,
    run_as_postgres: bool,
    /// Started with `ssl = on` and a certificate from [`make_certificates`].
    tls: bool,
    _dir: tempfile::TempDir,
}

/// A CA and, signed by it, a certificate for 127.0.0.1 (EC P-256, two days),
/// made with openssl in `dir`: ca.crt, server.crt, server.key.
pub fn make_certificates(dir: &Path) {
    let openssl = |args: &[&str]| {
        let output = Command::new("openssl")
            .args(args)
            .current_dir(dir)
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "openssl {args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    };
    let ec = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
    ];
    openssl(
        &[
            &["req", "-x509"][..],
            &ec,
            &[
                "-keyout",
                "ca.key",
                "-out",
                "ca.crt",
                "-days",
                "2",
                "-subj",
                "/CN=Gatehouse test CA",
                "-addext",
                "basicConstraints=critical,CA:TRUE",
                "-addext",
                "keyUsage=critical,keyCertSign,cRLSign",
            ],
        ]
        .concat(),
    );
    openssl(
        &[
            &["req"][..],
            &ec,
            &[
                "-keyout",
                "server.key",
                "-out",
                "server.csr",
                "-subj",
                "/CN=127.0.0.1",
            ],
        ]
        .concat(),
    );
    std::fs::write(
        dir.join("server.ext"),
        "subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n\
         keyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n",
    )
    .unwrap();
    openssl(&[
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "ca.crt",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        "server.crt",
        "-days",
        "2",
        "-extfile",
        "server.ext",
    ]);
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(
        dir.join("server.key"),
        std::fs::Permissions::from_mode(0o600),
    )
    .unwrap();
}

/// The newest installed PostgreSQL's bin directory.
fn bin_dir() -> PathBuf {
    let mut found: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|e| e.path().join("bin"))
                .filter(|p| p.join("initdb").exists())
                .collect()
        })
        .unwrap_or_default();
    found.sort();
    found.pop().unwrap_or_else(|| {
        panic!(
            "PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb). \
             scripts/setup installs Debian's postgresql package; run it first."
        )
    })
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

impl PgServer {
    /// A server taking plain connections only.
    pub fn start() -> Self {
        Self::start_with(false)
    }

    /// A server that also takes TLS, with a certificate for 127.0.0.1 signed
    /// by its own CA ([`Self::ca_pem`]), and every connection logged.
    pub fn start_with_tls() -> Self {
        Self::start_with(true)
    }

    fn start_with(tls: bool) -> Self {
        let bin = bin_dir();
        let dir = tempfile::Builder::new()
            .prefix("gatehouse-pg-")
            .tempdir()
            .unwrap();
        let run_as_postgres = is_root();
        let data = dir.path().join("data");
        let pwfile = dir.path().join("pw");
        std::fs::write(&pwfile, ADMIN_PASSWORD).unwrap();
        if tls {
            make_certificates(dir.path());
        }
        if run_as_postgres {
            let status = Command::new("chown")
                .args(["-R", "postgres:postgres"])
                .arg(dir.path())
                .status()
                .unwrap();
            assert!(status.success());
        }
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let server = Self {
            port,
            log: dir.path().join("postgres.log"),
            bin,
            data,
            run_as_postgres,
            tls,
            _dir: dir,
        };
        server.run(
            "initdb",
            &[
                "-D",
                server.data.to_str().unwrap(),
                "-U",
                ADMIN,
                "--pwfile",
                pwfile.to_str().unwrap(),
                "--auth-host=scram-sha-256",
                "--auth-local=scram-sha-256",
                "-E",
                "UTF8",
                "--no-sync",
            ],
        );
        server.up();
        server
    }

    fn command(&self, program: &str) -> Command {
        let path = self.bin.join(program);
        if self.run_as_postgres {
            let mut command = Command::new("runuser");
            command.args(["-u", "postgres", "--"]).arg(path);
            command
        } else {
            Command::new(path)
        }
    }

    fn run(&self, program: &str, args: &[&str]) {
        let output = self.command(program).args(args).output().unwrap();
        assert!(
            output.status.success(),
            "{program} failed: {}\n{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }

    /// Start (or start again) the server and wait until it takes log-ins.
    pub fn up(&self) {
        let dir = self.data.parent().unwrap().display();
        let mut options = format!(
            "-p {} -k {dir} -c listen_addresses=127.0.0.1 -c fsync=off",
            self.port,
        );
        if self.tls {
            options.push_str(&format!(
                " -c ssl=on -c ssl_cert_file={dir}/server.crt -c ssl_key_file={dir}/server.key \
                 -c log_connections=on"
            ));
        }
        self.run(
            "pg_ctl",
            &[
                "-D",
                self.data.to_str().unwrap(),
                "-l",
                self.log.to_str().unwrap(),
                "-o",
                &options,
                "-w",
                "start",
            ],
        );
        let deadline = Instant::now() + Duration::from_secs(30);
        while self.log_in(ADMIN, ADMIN_PASSWORD, "postgres").is_err() {
            assert!(Instant::now() < deadline, "PostgreSQL did not take log-ins");
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Stop the server (fast shutdown).
    pub fn down(&self) {
        self.run(
            "pg_ctl",
            &[
                "-D",
                self.data.to_str().unwrap(),
                "-m",
                "fast",
                "-w",
                "stop",
            ],
        );
    }

    pub fn try_connect(
        &self,
        user: &str,
        password: &str,
        database: &str,
    ) -> Result<postgres::Client, postgres::Error> {
        sync(|| {
            postgres::Config::new()
                .host("127.0.0.1")
                .port(self.port)
                .user(user)
                .password(password)
                .dbname(database)
                .connect_timeout(Duration::from_secs(5))
                .connect(postgres::NoTls)
        })
    }

    /// Whether `user` can log in; the error is PostgreSQL's message.
    pub fn log_in(&self, user: &str, password: &str, database: &str) -> Result<(), String> {
        sync(|| match self.try_connect(user, password, database) {
            Ok(client) => {
                drop(client);
                Ok(())
            }
            Err(error) => Err(error
                .as_db_error()
                .map(|e| e.message().to_owned())
                .unwrap_or_else(|| error.to_string())),
        })
    }

    fn try_admin(&self, database: &str) -> Result<postgres::Client, postgres::Error> {
        self.try_connect(ADMIN, ADMIN_PASSWORD, database)
    }

    pub fn admin(&self, database: &str) -> postgres::Client {
        self.try_admin(database).unwrap()
    }

    /// The settings an integration needs to reach this server: TLS checked
    /// against this server's CA when it has one, plain text otherwise.
    pub fn settings(&self) -> serde_json::Value {
        let mut settings = serde_json::json!({
            "host": "127.0.0.1",
            "port": self.port,
            "user": ADMIN,
            "password": ADMIN_PASSWORD,
            "database": "postgres",
            "ssl_mode": "disable",
        });
        if self.tls {
            settings["ssl_mode"] = "verify-full".into();
            settings["ssl_root_cert"] = self.ca_pem().into();
        }
        settings
    }

    /// The CA that signed this server's certificate (PEM).
    pub fn ca_pem(&self) -> String {
        std::fs::read_to_string(self.data.parent().unwrap().join("ca.crt")).unwrap()
    }

    /// The server's log so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    pub fn data_dir(&self) -> &Path {
        &self.data
    }
}

impl Drop for PgServer {
    fn drop(&mut self) {
        let _ = self
            .command("pg_ctl")
            .args([
                "-D",
                self.data.to_str().unwrap(),
                "-m",
                "immediate",
                "-w",
                "stop",
            ])
            .output();
    }
}
