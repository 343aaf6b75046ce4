//! A real OpenLDAP server for connector tests: `slapd` (Debian's `slapd`
//! package) with an mdb database in a temp dir, on a free loopback port,
//! seeded with `slapadd`, and read and changed by hand with `ldap-utils`
//! (`ldapsearch`, `ldapmodify`), never through the connector.
//!
//! The directory under `dc=example,dc=com`:
//!
//! - `ou=people`: alice, bob and carol (`uid=<name>`, inetOrgPerson, with
//!   `mail: <name>@example.com`), and `cn=nobody` ([`NOBODY`]), an
//!   organizationalRole without `uid`: the standing member of the
//!   groupOfNames groups, since a groupOfNames must have at least one
//!   member. Holdings list it by its DN.
//! - `ou=groups`: `cn=ops` and `cn=dba` (groupOfNames, [`NOBODY`] their one
//!   member) and `cn=deploy` (posixGroup, gidNumber 5000, no memberUid).
//!
//! `slapd` runs in the foreground (`-d`), its log in the temp dir; it is
//! killed when the server is dropped.

use std::{
    net::TcpListener,
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    sync::Mutex,
    time::{Duration, Instant},
};

pub const SUFFIX: &str = "dc=example,dc=com";
pub const ROOT_DN: &str = "cn=admin,dc=example,dc=com";
pub const ROOT_PASSWORD: &str = "admin-pw-for-tests";
pub const PEOPLE: &str = "ou=people,dc=example,dc=com";
pub const GROUPS: &str = "ou=groups,dc=example,dc=com";
pub const OPS: &str = "cn=ops,ou=groups,dc=example,dc=com";
pub const DBA: &str = "cn=dba,ou=groups,dc=example,dc=com";
pub const DEPLOY: &str = "cn=deploy,ou=groups,dc=example,dc=com";
/// The standing member of `cn=ops` and `cn=dba` (not a user: no `uid`).
pub const NOBODY: &str = "cn=nobody,ou=people,dc=example,dc=com";

/// The DN of the seeded user `name` (alice, bob, carol).
pub fn user_dn(name: &str) -> String {
    format!("uid={name},{PEOPLE}")
}

pub struct LdapServer {
    port: u16,
    /// The `ldaps://` port, for a server started with TLS.
    tls_port: Option<u16>,
    config: PathBuf,
    log: PathBuf,
    child: Mutex<Option<Child>>,
    dir: tempfile::TempDir,
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn run(program: &str, args: &[&str], input: Option<&str>) -> String {
    use std::io::Write;
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| {
            panic!("cannot run {program} ({e}); the LDAP tests need Debian's slapd and ldap-utils")
        });
    // Written from a thread: the program's output would fill its pipe
    // (and stall it) while a large input is still being written.
    let mut stdin = child.stdin.take().unwrap();
    let input = input.unwrap_or("").to_owned();
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let output = child.wait_with_output().unwrap();
    writer.join().unwrap().unwrap();
    assert!(
        output.status.success(),
        "{program} {args:?} failed: {}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

fn seed() -> String {
    let mut ldif = format!(
        "dn: {SUFFIX}\nobjectClass: dcObject\nobjectClass: organization\ndc: example\no: Example\n\n\
         dn: {PEOPLE}\nobjectClass: organizationalUnit\nou: people\n\n\
         dn: {GROUPS}\nobjectClass: organizationalUnit\nou: groups\n\n\
         dn: {NOBODY}\nobjectClass: organizationalRole\ncn: nobody\n\
         description: The standing member: a groupOfNames needs one\n\n"
    );
    for name in ["alice", "bob", "carol"] {
        let mut display = name.to_owned();
        display[..1].make_ascii_uppercase();
        ldif.push_str(&format!(
            "dn: {}\nobjectClass: inetOrgPerson\nuid: {name}\ncn: {display}\nsn: Example\n\
             mail: {name}@example.com\n\n",
            user_dn(name)
        ));
    }
    for group in [OPS, DBA] {
        let cn = group.split(['=', ',']).nth(1).unwrap();
        ldif.push_str(&format!(
            "dn: {group}\nobjectClass: groupOfNames\ncn: {cn}\nmember: {NOBODY}\n\n"
        ));
    }
    ldif.push_str(&format!(
        "dn: {DEPLOY}\nobjectClass: posixGroup\ncn: deploy\ngidNumber: 5000\n\n"
    ));
    ldif
}

/// A CA and, signed by it, a certificate for IP 127.0.0.1 only (EC P-256,
/// two days), made with openssl in `dir`: ca.crt, server.crt, server.key.
fn make_certificates(dir: &Path) {
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
    let key = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
    ];
    openssl(
        &[
            &["req", "-x509"][..],
            &key,
            &[
                "-keyout",
                "ca.key",
                "-out",
                "ca.crt",
                "-days",
                "2",
                "-subj",
                "/CN=Gatehouse LDAP test CA",
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
            &key,
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
        "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n\
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
}

impl LdapServer {
    /// A server on `ldap://127.0.0.1:<port>/`, plain text only.
    pub fn start() -> Self {
        Self::start_with(false)
    }

    /// A server that also takes StartTLS on [`Self::url`] and TLS on
    /// [`Self::ldaps_url`], with a certificate for IP 127.0.0.1 only (not
    /// for `localhost`) signed by its own CA ([`Self::ca_pem`]).
    pub fn start_with_tls() -> Self {
        Self::start_with(true)
    }

    fn start_with(tls: bool) -> Self {
        let dir = tempfile::Builder::new()
            .prefix("gatehouse-ldap-")
            .tempdir()
            .unwrap();
        let root = dir.path();
        std::fs::create_dir(root.join("data")).unwrap();
        let hash = run("slappasswd", &["-s", ROOT_PASSWORD], None);
        let mut config = String::new();
        for schema in ["core", "cosine", "nis", "inetorgperson"] {
            config.push_str(&format!("include /etc/ldap/schema/{schema}.schema\n"));
        }
        config.push_str(&format!(
            "pidfile {dir}/slapd.pid\nargsfile {dir}/slapd.args\n\
             modulepath /usr/lib/ldap\nmoduleload back_mdb\n",
            dir = root.display()
        ));
        if tls {
            make_certificates(root);
            config.push_str(&format!(
                "TLSCACertificateFile {dir}/ca.crt\nTLSCertificateFile {dir}/server.crt\n\
                 TLSCertificateKeyFile {dir}/server.key\n",
                dir = root.display()
            ));
        }
        config.push_str(&format!(
            "database mdb\nsuffix \"{SUFFIX}\"\nrootdn \"{ROOT_DN}\"\nrootpw {}\n\
             directory {}/data\n",
            hash.trim(),
            root.display()
        ));
        let config_path = root.join("slapd.conf");
        std::fs::write(&config_path, config).unwrap();
        run(
            "slapadd",
            &["-f", config_path.to_str().unwrap(), "-q"],
            Some(&seed()),
        );
        let server = Self {
            port: free_port(),
            tls_port: tls.then(free_port),
            config: config_path,
            log: root.join("slapd.log"),
            child: Mutex::new(None),
            dir,
        };
        server.start_again();
        server
    }

    /// Start the stopped server again: same port, same data. Waits until
    /// it answers.
    pub fn start_again(&self) {
        let mut child = self.child.lock().unwrap();
        assert!(child.is_none(), "the LDAP server is already running");
        let mut listen = self.url();
        if let Some(tls) = self.ldaps_url() {
            listen = format!("{listen} {tls}");
        }
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)
            .unwrap();
        // -d: stay in the foreground (and log connections and operations).
        *child = Some(
            Command::new("slapd")
                .args(["-d", "stats", "-f"])
                .arg(&self.config)
                .args(["-h", &listen])
                .stdin(Stdio::null())
                .stdout(log.try_clone().unwrap())
                .stderr(log)
                .spawn()
                .expect("cannot run slapd; the LDAP tests need Debian's slapd package"),
        );
        drop(child);
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let answered = Command::new("ldapwhoami")
                .args(["-x", "-H", &self.url(), "-D", ROOT_DN, "-w", ROOT_PASSWORD])
                .output()
                .is_ok_and(|o| o.status.success());
            if answered {
                return;
            }
            if let Some(status) = self
                .child
                .lock()
                .unwrap()
                .as_mut()
                .and_then(|c| c.try_wait().unwrap())
            {
                panic!("slapd exited ({status}):\n{}", self.log());
            }
            assert!(
                Instant::now() < deadline,
                "slapd did not answer:\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Stop the server (SIGTERM, waiting for it to exit): nothing listens
    /// on its port until [`Self::start_again`].
    pub fn stop(&self) {
        let Some(mut child) = self.child.lock().unwrap().take() else {
            return;
        };
        let pid = child.id() as libc::pid_t;
        // SAFETY: signalling our own child, which has not been reaped yet.
        unsafe {
            libc::kill(pid, libc::SIGCONT);
            libc::kill(pid, libc::SIGTERM);
        }
        let deadline = Instant::now() + Duration::from_secs(10);
        while child.try_wait().unwrap().is_none() {
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Freeze the server (SIGSTOP): connections are still accepted by the
    /// kernel, but nothing answers, as with a hung server. Returns once
    /// every thread of slapd has stopped.
    pub fn pause(&self) {
        let pid = self.signal(libc::SIGSTOP);
        let stopped = || {
            std::fs::read_dir(format!("/proc/{pid}/task"))
                .unwrap()
                .all(|task| {
                    let stat = std::fs::read_to_string(task.unwrap().path().join("stat"))
                        .unwrap_or_default();
                    // The state follows the command's closing parenthesis.
                    let state = stat.rsplit_once(") ").map(|(_, rest)| rest.chars().next());
                    matches!(state, Some(Some('T' | 't')) | None)
                })
        };
        let deadline = Instant::now() + Duration::from_secs(10);
        while !stopped() {
            assert!(Instant::now() < deadline, "slapd did not stop");
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Thaw a [`Self::pause`]d server.
    pub fn resume(&self) {
        self.signal(libc::SIGCONT);
    }

    /// Send `signal` to slapd; its pid.
    fn signal(&self, signal: libc::c_int) -> libc::pid_t {
        let child = self.child.lock().unwrap();
        let pid = child.as_ref().expect("the LDAP server is stopped").id() as libc::pid_t;
        // SAFETY: signalling our own child, which has not been reaped yet.
        unsafe {
            libc::kill(pid, signal);
        }
        pid
    }

    /// `ldap://127.0.0.1:<port>` (StartTLS too, with [`Self::start_with_tls`]).
    pub fn url(&self) -> String {
        format!("ldap://127.0.0.1:{}", self.port)
    }

    /// `ldaps://127.0.0.1:<port>`, with [`Self::start_with_tls`].
    pub fn ldaps_url(&self) -> Option<String> {
        self.tls_port
            .map(|port| format!("ldaps://127.0.0.1:{port}"))
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The CA that signed the server's certificate (PEM), with
    /// [`Self::start_with_tls`].
    pub fn ca_pem(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("ca.crt")).unwrap()
    }

    /// The connector's settings for this server: plain `ldap://`, bound as
    /// the rootdn, users by `uid` under `ou=people`, groups under
    /// `ou=groups`, membership by DN in `member`. One grant attempt.
    pub fn settings(&self) -> serde_json::Value {
        serde_json::json!({
            "url": self.url(),
            "bind_dn": ROOT_DN,
            "password": ROOT_PASSWORD,
            "user_base_dn": PEOPLE,
            "group_base_dn": GROUPS,
            "grant_attempts": 1,
        })
    }

    /// The values of `member` and `memberUid` of the entry `group_dn`, as
    /// the server has them (read with ldapsearch); empty when there is no
    /// such entry.
    pub fn members(&self, group_dn: &str) -> Vec<String> {
        let output = Command::new("ldapsearch")
            .args(["-x", "-LLL", "-o", "ldif-wrap=no", "-H", &self.url()])
            .args(["-D", ROOT_DN, "-w", ROOT_PASSWORD, "-s", "base", "-b"])
            .arg(group_dn)
            .args(["(objectClass=*)", "member", "memberUid"])
            .output()
            .unwrap();
        // 32: no such object.
        if output.status.code() == Some(32) {
            return Vec::new();
        }
        assert!(
            output.status.success(),
            "ldapsearch {group_dn}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let mut members = Vec::new();
        for line in String::from_utf8(output.stdout).unwrap().lines() {
            let Some((attribute, value)) = line.split_once(':') else {
                continue;
            };
            if attribute.eq_ignore_ascii_case("member")
                || attribute.eq_ignore_ascii_case("memberUid")
            {
                assert!(
                    !value.starts_with(':'),
                    "a base64 value in {group_dn}: {line}"
                );
                members.push(value.trim_start().to_owned());
            }
        }
        members
    }

    /// Add `value` to the group `group_dn` by hand: to `member` for a
    /// groupOfNames, to `memberUid` for a posixGroup (`value` without `=`).
    pub fn add_member_by_hand(&self, group_dn: &str, value: &str) {
        let attribute = if value.contains('=') {
            "member"
        } else {
            "memberUid"
        };
        self.modify(&format!(
            "dn: {group_dn}\nchangetype: modify\nadd: {attribute}\n{attribute}: {value}\n"
        ));
    }

    /// Apply LDIF changes (`changetype: add`, `modify`, `delete`…) with
    /// ldapmodify, as the rootdn.
    pub fn modify(&self, ldif: &str) {
        run(
            "ldapmodify",
            &["-x", "-H", &self.url(), "-D", ROOT_DN, "-w", ROOT_PASSWORD],
            Some(ldif),
        );
    }

    /// slapd's log so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for LdapServer {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.get_mut().ok().and_then(Option::take) {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}
