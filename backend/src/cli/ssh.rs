//! `gatehouse connect` for an SSH access: my own Ed25519 key (made once, in
//! `ssh/id_ed25519` beside the CLI's credentials.json, 0600), a certificate
//! for it from the server, valid for minutes (`id_ed25519-cert.pub`), then
//! `ssh` in place of this process. No private key ever leaves the machine.

use std::{
    path::{Path, PathBuf},
    process::ExitCode,
};

use gatehouse_shared::access::AccessDetails;
use serde_json::json;
use ssh_key::{Algorithm, LineEnding, PrivateKey};

use super::{Saved, agent, config_dir, failure, minute, private_dir, shell_quote, write_private};
use crate::engine::ssh::SshCertificate;

/// Where the key and its certificate are: `<config>/ssh/`.
pub fn key_dir() -> Result<PathBuf, String> {
    Ok(config_dir()?.join("ssh"))
}

/// Connect if `details` is an SSH access: `Ok(None)` when it is not (the
/// caller goes on with credentials), else how ssh (or printing) ended.
pub fn connect(
    saved: &Saved,
    details: &AccessDetails,
    print_only: bool,
    extra: &[String],
) -> Result<Option<ExitCode>, String> {
    let says_ssh = details
        .connect
        .app
        .as_deref()
        .is_some_and(|link| link.starts_with("ssh://"));
    // An access that never had a secret may be SSH whose integration does not
    // offer the app link: ask, and go on as before if it is not.
    let may_be_ssh = !details.secret_available && !details.secret_shown;
    if !says_ssh && !may_be_ssh {
        return Ok(None);
    }
    let dir = key_dir()?;
    let key_path = dir.join("id_ed25519");
    let public = user_key(&key_path, &saved.username)?;
    let issued = match certificate(saved, details, &public) {
        Ok(issued) => issued,
        Err(error) if !says_ssh && error.contains("not an SSH integration") => return Ok(None),
        Err(error) => return Err(error),
    };
    let target = Target::of(&issued)?;
    let cert_path = dir.join("id_ed25519-cert.pub");
    write_private(&cert_path, format!("{}\n", issued.certificate).as_bytes())?;
    let args = target.ssh_args(&key_path, &cert_path, extra);
    let until = minute(issued.valid_until);
    if print_only {
        let line: Vec<String> = args.iter().map(|arg| shell_quote(arg)).collect();
        println!("ssh {}", line.join(" "));
        eprintln!("(certificate valid until {until} UTC)");
        return Ok(Some(ExitCode::SUCCESS));
    }
    eprintln!(
        "Connecting to {} as {} (certificate valid until {until} UTC)…",
        target.host, target.login
    );
    let mut command = std::process::Command::new("ssh");
    command.args(&args);
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        let error = command.exec();
        eprintln!(
            "gatehouse: cannot run ssh ({error}); run `gatehouse connect {} --print` and connect by hand",
            details.request_id
        );
        Ok(Some(ExitCode::FAILURE))
    }
    #[cfg(not(unix))]
    Ok(Some(super::run_client(command, details.request_id)))
}

/// Where ssh goes, as the server's answer names it.
#[derive(Debug, PartialEq, Eq)]
struct Target {
    login: String,
    host: String,
    port: u16,
}

impl Target {
    /// Only names that cannot pass for an ssh option or break the command.
    fn of(issued: &SshCertificate) -> Result<Self, String> {
        let plain = |v: &str| {
            !v.is_empty()
                && !v.starts_with('-')
                && !v.chars().any(|c| c.is_control() || c.is_whitespace())
                && !v.contains('@')
        };
        let login = issued.principals.first().cloned().unwrap_or_default();
        let host = issued.host.trim_matches(['[', ']']).to_owned();
        if !plain(&login) || !plain(&host) || issued.port == 0 {
            return Err(format!(
                "the server named an unusable SSH target ({login:?} at {host:?})"
            ));
        }
        Ok(Self {
            login,
            host,
            port: issued.port,
        })
    }

    /// ssh's arguments: the key and its certificate only, then the extra ones
    /// (options are taken after the destination too, then the command).
    fn ssh_args(&self, key: &Path, cert: &Path, extra: &[String]) -> Vec<String> {
        let host = if self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        };
        let mut args = vec![
            "-i".to_owned(),
            key.display().to_string(),
            "-o".to_owned(),
            format!("CertificateFile={}", cert.display()),
            "-o".to_owned(),
            "IdentitiesOnly=yes".to_owned(),
            "-p".to_owned(),
            self.port.to_string(),
            format!("{}@{host}", self.login),
        ];
        args.extend(extra.iter().cloned());
        args
    }
}

/// The public key line of my key at `path`, made (Ed25519, 0600) when missing.
fn user_key(path: &Path, username: &str) -> Result<String, String> {
    private_dir(path.parent().ok_or("the key has no directory")?)?;
    let key = if path.exists() {
        // ssh refuses a key others can read.
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
                .map_err(|e| format!("cannot restrict {}: {e}", path.display()))?;
        }
        PrivateKey::read_openssh_file(path)
            .map_err(|e| format!("cannot read your SSH key {}: {e}", path.display()))?
    } else {
        let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "gatehouse-cli".into());
        let mut key = PrivateKey::random(&mut rand::rngs::OsRng, Algorithm::Ed25519)
            .map_err(|e| format!("cannot make an SSH key: {e}"))?;
        key.set_comment(format!("{username}@{host} (gatehouse)"));
        // Written 0600.
        key.write_openssh_file(path, LineEnding::LF)
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        eprintln!("Made your SSH key {}", path.display());
        key
    };
    let public = key
        .public_key()
        .to_openssh()
        .map_err(|e| format!("cannot encode your SSH public key: {e}"))?;
    let public_path = path.with_extension("pub");
    if !public_path.exists() {
        write_private(&public_path, format!("{public}\n").as_bytes())?;
    }
    Ok(public)
}

/// A certificate for `public` from the server.
fn certificate(
    saved: &Saved,
    details: &AccessDetails,
    public: &str,
) -> Result<SshCertificate, String> {
    let path = format!(
        "/api/v1/requests/{}/access/{}/certificate",
        details.request_id, details.integration_id
    );
    agent()
        .post(&format!("{}{path}", saved.server))
        .set("Authorization", &format!("Bearer {}", saved.token))
        .send_json(json!({ "public_key": public }))
        .map_err(failure)?
        .into_json()
        .map_err(|e| format!("unexpected answer from {path}: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn issued(login: &str, host: &str, port: u16) -> SshCertificate {
        SshCertificate {
            certificate: String::new(),
            valid_until: time::OffsetDateTime::UNIX_EPOCH,
            principals: vec![login.to_owned()],
            serial: 1,
            key_id: String::new(),
            host: host.to_owned(),
            port,
        }
    }

    #[test]
    fn the_ssh_line_uses_only_the_gatehouse_key_and_refuses_odd_targets() {
        let target = Target::of(&issued("deploy", "::1", 2222)).unwrap();
        let args = target.ssh_args(
            Path::new("/k/id_ed25519"),
            Path::new("/k/id_ed25519-cert.pub"),
            &["uptime".to_owned()],
        );
        assert_eq!(
            args,
            [
                "-i",
                "/k/id_ed25519",
                "-o",
                "CertificateFile=/k/id_ed25519-cert.pub",
                "-o",
                "IdentitiesOnly=yes",
                "-p",
                "2222",
                "deploy@[::1]",
                "uptime"
            ]
        );
        assert!(Target::of(&issued("-oProxyCommand=x", "h", 22)).is_err());
        assert!(Target::of(&issued("a", "-oProxyCommand=x", 22)).is_err());
        assert!(Target::of(&issued("a b", "h", 22)).is_err());
        assert!(Target::of(&issued("a", "h", 0)).is_err());
    }

    #[test]
    fn the_key_is_made_once_and_only_i_read_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ssh").join("id_ed25519");
        let first = user_key(&path, "alice").unwrap();
        assert!(first.starts_with("ssh-ed25519 "));
        assert_eq!(user_key(&path, "alice").unwrap(), first);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode(&path), 0o600);
            assert_eq!(mode(path.parent().unwrap()), 0o700);
        }
    }
}
