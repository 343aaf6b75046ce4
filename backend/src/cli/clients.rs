//! The clients `gatehouse connect` runs with fresh credentials: the
//! `mariadb`/`mysql` client for a MySQL access, and any command (the AWS CLI)
//! with an AWS role session's keys in its environment.

use std::process::ExitCode;

use super::run_client;

/// A MySQL access: `mysql://user@host:port/database` as the connector writes it.
pub struct MysqlTarget {
    user: String,
    host: String,
    port: u16,
    database: String,
}

impl MysqlTarget {
    pub fn parse(link: &str) -> Option<Self> {
        let rest = link.strip_prefix("mysql://")?;
        let (user, rest) = rest.split_once('@')?;
        let (address, database) = rest.split_once('/')?;
        let (host, port) = address.rsplit_once(':')?;
        let plain =
            |v: &str| !v.is_empty() && !v.starts_with('-') && !v.chars().any(char::is_control);
        let target = Self {
            user: user.to_owned(),
            host: crate::uri::percent_decode(host)?,
            port: port.parse().ok()?,
            database: crate::uri::percent_decode(database)?,
        };
        (plain(&target.user) && plain(&target.host) && !target.database.starts_with('-'))
            .then_some(target)
    }

    /// Run the `mariadb` client (or `mysql`), the password in its environment.
    pub fn open(&self, name: &str, password: &str, extra: &[String], request_id: i64) -> ExitCode {
        eprintln!(
            "Connecting to {name} as {} (credentials issued for this session)…",
            self.user
        );
        let client = ["mariadb", "mysql"]
            .into_iter()
            .find(|program| {
                std::env::var_os("PATH").is_some_and(|path| {
                    std::env::split_paths(&path).any(|dir| dir.join(program).is_file())
                })
            })
            .unwrap_or("mysql");
        let mut command = std::process::Command::new(client);
        command
            .arg(format!("--host={}", self.host))
            .arg(format!("--port={}", self.port))
            .arg(format!("--user={}", self.user))
            .args(extra)
            .env("MYSQL_PWD", password);
        if !self.database.is_empty() {
            command.arg(format!("--database={}", self.database));
        }
        run_client(command, request_id)
    }
}

/// An AWS role session's keys, from the `export` lines the connector hands out.
#[derive(Debug, PartialEq, Eq)]
pub struct AwsKeys {
    /// (variable, value) in the order given.
    vars: Vec<(String, String)>,
}

impl AwsKeys {
    const NAMES: [&str; 3] = [
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
    ];

    /// The three variables, each a plain word, or `None` for another secret.
    pub fn parse(secret: &str) -> Option<Self> {
        let mut vars = Vec::new();
        for name in Self::NAMES {
            let value = secret
                .lines()
                .find_map(|line| line.strip_prefix(&format!("export {name}=")))?
                .trim();
            let plain = !value.is_empty()
                && value
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "+/=".contains(c));
            if !plain {
                return None;
            }
            vars.push((name.to_owned(), value.to_owned()));
        }
        Some(Self { vars })
    }

    /// Run `command` with the keys in its environment (`gatehouse connect 12
    /// -- aws s3 ls`), or print the export lines for `eval "$(gatehouse
    /// connect 12)"`.
    pub fn use_them(
        &self,
        name: &str,
        print_only: bool,
        command: &[String],
        request_id: i64,
    ) -> ExitCode {
        match command.split_first() {
            Some((program, args)) if !print_only => {
                eprintln!("Running {program} with a fresh session of {name}…");
                let mut child = std::process::Command::new(program);
                child.args(args).env_remove("AWS_PROFILE");
                for (var, value) in &self.vars {
                    child.env(var, value);
                }
                run_client(child, request_id)
            }
            _ => {
                for (var, value) in &self.vars {
                    println!("export {var}={value}");
                }
                eprintln!(
                    "# a fresh session of {name}: eval \"$(gatehouse connect {request_id})\", or gatehouse connect {request_id} -- aws …"
                );
                ExitCode::SUCCESS
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_mysql_link_becomes_client_arguments_or_nothing() {
        let target = MysqlTarget::parse("mysql://gh_alice_3_4@db.internal:3307/shop%20db").unwrap();
        assert_eq!(
            (
                target.user.as_str(),
                target.host.as_str(),
                target.port,
                target.database.as_str()
            ),
            ("gh_alice_3_4", "db.internal", 3307, "shop db")
        );
        assert!(MysqlTarget::parse("postgresql://a@b:1/c").is_none());
        assert!(MysqlTarget::parse("mysql://a@-evil:1/c").is_none());
        assert!(MysqlTarget::parse("mysql://a@b:1/--init-command=x").is_none());
        assert!(MysqlTarget::parse("mysql://a@b:port/c").is_none());
    }

    #[test]
    fn aws_keys_come_only_from_plain_export_lines() {
        let keys = AwsKeys::parse(
            "export AWS_ACCESS_KEY_ID=ASIAEXAMPLE\nexport AWS_SECRET_ACCESS_KEY=abc/def+g=\nexport AWS_SESSION_TOKEN=tok\n",
        )
        .unwrap();
        assert_eq!(
            keys.vars[1],
            ("AWS_SECRET_ACCESS_KEY".to_owned(), "abc/def+g=".to_owned())
        );
        assert!(AwsKeys::parse("a database password").is_none());
        assert!(AwsKeys::parse("export AWS_ACCESS_KEY_ID=A;rm -rf\nexport AWS_SECRET_ACCESS_KEY=b\nexport AWS_SESSION_TOKEN=c").is_none());
    }
}
