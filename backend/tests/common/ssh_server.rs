//! A real OpenSSH server for the SSH connector's tests (Debian's
//! `openssh-server`): `sshd` on a free loopback port with a config, host key
//! and log of its own in a temp dir. It trusts the CA the test gives it
//! (`TrustedUserCAKeys`), reads revocations from a file the test writes
//! (`RevokedKeys`, read again at every log-in) and accepts nothing else: no
//! authorized_keys, no passwords, no PAM. Log-ins go to the local account
//! [`LOGIN`], made here if missing (the tests run as root).

use std::{
    net::TcpListener,
    path::{Path, PathBuf},
    process::{Child, Command, Output, Stdio},
    sync::Mutex,
    time::{Duration, Instant},
};

/// The account certificates log in to.
pub const LOGIN: &str = "ghssh";

pub struct SshServer {
    pub port: u16,
    dir: tempfile::TempDir,
    child: Mutex<Option<Child>>,
}

/// A port nobody listens on now.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn run(command: &mut Command) -> Output {
    let output = command
        .output()
        .unwrap_or_else(|e| panic!("{command:?}: {e}"));
    assert!(
        output.status.success(),
        "{command:?}: {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

/// The log-in account, with a password that is not locked (sshd refuses a
/// locked account even with a valid certificate) but matches nothing.
fn ensure_login_account() {
    static MADE: Mutex<bool> = Mutex::new(false);
    let mut made = MADE.lock().unwrap();
    if *made {
        return;
    }
    let exists = Command::new("id")
        .arg(LOGIN)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .unwrap()
        .success();
    if !exists {
        let output = Command::new("useradd")
            .args(["-m", "-s", "/bin/sh", LOGIN])
            .output()
            .unwrap();
        // 9: made meanwhile by another test process.
        assert!(
            output.status.success() || output.status.code() == Some(9),
            "useradd {LOGIN}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    run(Command::new("usermod").args(["-p", "*", LOGIN]));
    *made = true;
}

impl SshServer {
    /// sshd on `port` trusting the CA public key line `ca`, with an empty
    /// revocation list.
    pub fn start(port: u16, ca: &str) -> Self {
        assert!(
            Path::new("/usr/sbin/sshd").exists(),
            "sshd is not installed: scripts/setup-test installs Debian's openssh-server"
        );
        ensure_login_account();
        // sshd's privilege separation directory.
        std::fs::create_dir_all("/run/sshd").unwrap();
        let dir = tempfile::Builder::new()
            .prefix("gatehouse-sshd-")
            .tempdir()
            .unwrap();
        let host_key = dir.path().join("host_key");
        run(Command::new("ssh-keygen")
            .args(["-q", "-t", "ed25519", "-N", "", "-f"])
            .arg(&host_key));
        std::fs::write(dir.path().join("ca.pub"), format!("{}\n", ca.trim())).unwrap();
        let server = Self {
            port,
            dir,
            child: Mutex::new(None),
        };
        server.set_revoked(b"");
        let config = format!(
            "Port {port}\n\
             ListenAddress 127.0.0.1\n\
             HostKey {host_key}\n\
             PidFile {dir}/sshd.pid\n\
             TrustedUserCAKeys {dir}/ca.pub\n\
             RevokedKeys {dir}/revoked.krl\n\
             AuthorizedKeysFile none\n\
             PasswordAuthentication no\n\
             KbdInteractiveAuthentication no\n\
             UsePAM no\n\
             StrictModes no\n\
             LogLevel VERBOSE\n",
            host_key = host_key.display(),
            dir = server.dir.path().display(),
        );
        let config_path = server.dir.path().join("sshd_config");
        std::fs::write(&config_path, config).unwrap();
        let log = std::fs::File::create(server.log_path()).unwrap();
        // sshd wants its absolute path; -D: stay in front, -e: log to stderr.
        let child = Command::new("/usr/sbin/sshd")
            .arg("-D")
            .arg("-e")
            .arg("-f")
            .arg(config_path)
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap();
        *server.child.lock().unwrap() = Some(child);
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "sshd did not start: {}",
                server.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        server
    }

    fn log_path(&self) -> PathBuf {
        self.dir.path().join("sshd.log")
    }

    /// What sshd logged so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.log_path()).unwrap_or_default()
    }

    /// Replace the revocation list sshd reads (as a host's timer would).
    pub fn set_revoked(&self, krl: &[u8]) {
        let path = self.dir.path().join("revoked.krl");
        let fresh = self.dir.path().join("revoked.krl.new");
        std::fs::write(&fresh, krl).unwrap();
        std::fs::rename(fresh, path).unwrap();
    }

    pub fn revoked_path(&self) -> PathBuf {
        self.dir.path().join("revoked.krl")
    }

    /// `ssh` straight to this server as [`LOGIN`] with `key` and its
    /// certificate `cert`, running `command`; nothing asked, no host key kept.
    pub fn ssh(&self, key: &Path, cert: &Path, command: &str) -> Output {
        Command::new("ssh")
            .arg("-i")
            .arg(key)
            .arg("-o")
            .arg(format!("CertificateFile={}", cert.display()))
            .args(client_options())
            .arg("-p")
            .arg(self.port.to_string())
            .arg(format!("{LOGIN}@127.0.0.1"))
            .arg(command)
            .stdin(Stdio::null())
            .output()
            .unwrap()
    }
}

/// ssh options for a test: no questions, no known_hosts, only the key given.
pub fn client_options() -> [&'static str; 10] {
    [
        "-o",
        "StrictHostKeyChecking=no",
        "-o",
        "UserKnownHostsFile=/dev/null",
        "-o",
        "BatchMode=yes",
        "-o",
        "IdentitiesOnly=yes",
        "-o",
        "LogLevel=ERROR",
    ]
}

impl Drop for SshServer {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.lock().unwrap().take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}
