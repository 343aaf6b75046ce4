//! AWS credentials: static keys, or the standard provider chain (environment,
//! shared credentials file, container endpoint, EC2 instance metadata v2).
//! Temporary credentials from the chain are cached until 5 minutes before
//! they expire.

use std::{fmt, sync::Mutex, time::Duration};

use serde::Deserialize;

/// Refresh temporary credentials this long before they expire.
const REFRESH_MARGIN_SECS: i64 = 300;
const IMDS_ENDPOINT: &str = "http://169.254.169.254";
const ECS_HOST: &str = "http://169.254.170.2";

#[derive(Clone, PartialEq, Eq)]
pub struct AwsCredentials {
    pub access_key_id: String,
    pub secret_access_key: String,
    pub session_token: Option<String>,
}

impl fmt::Debug for AwsCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AwsCredentials")
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"<redacted>")
            .field(
                "session_token",
                &self.session_token.as_ref().map(|_| "<redacted>"),
            )
            .finish()
    }
}

impl AwsCredentials {
    pub fn new(access_key_id: &str, secret_access_key: &str, session_token: Option<&str>) -> Self {
        Self {
            access_key_id: access_key_id.to_string(),
            secret_access_key: secret_access_key.to_string(),
            session_token: session_token.map(str::to_string),
        }
    }
}

/// An environment lookup: `std::env::var` or a stand-in for tests.
type Env = dyn Fn(&str) -> Option<String> + Send + Sync;

/// Where credentials come from.
enum Source {
    Static(AwsCredentials),
    Chain(Box<Env>),
}

/// Hands out credentials for each request, caching temporary ones.
pub struct CredentialsProvider {
    source: Source,
    /// Credentials with their expiry (unix seconds), when they have one.
    cache: Mutex<Option<(AwsCredentials, i64)>>,
}

impl fmt::Debug for CredentialsProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.source {
            Source::Static(c) => write!(f, "CredentialsProvider::Static({})", c.access_key_id),
            Source::Chain(_) => write!(f, "CredentialsProvider::Chain"),
        }
    }
}

impl CredentialsProvider {
    /// Fixed keys (from Gatehouse's own configuration).
    pub fn fixed(credentials: AwsCredentials) -> Self {
        Self {
            source: Source::Static(credentials),
            cache: Mutex::new(None),
        }
    }

    /// The standard chain, reading this process's environment.
    pub fn chain() -> Self {
        Self::chain_with_env(|name| std::env::var(name).ok().filter(|v| !v.is_empty()))
    }

    /// The standard chain with another environment (for tests).
    pub fn chain_with_env(env: impl Fn(&str) -> Option<String> + Send + Sync + 'static) -> Self {
        Self {
            source: Source::Chain(Box::new(env)),
            cache: Mutex::new(None),
        }
    }

    /// Static keys when both are given, the chain otherwise.
    pub fn from_keys_or_chain(
        access_key_id: Option<&str>,
        secret_access_key: Option<&str>,
    ) -> Self {
        match (access_key_id, secret_access_key) {
            (Some(id), Some(secret)) if !id.is_empty() && !secret.is_empty() => {
                Self::fixed(AwsCredentials::new(id, secret, None))
            }
            _ => Self::chain(),
        }
    }

    /// Credentials for the next request.
    pub fn credentials(&self) -> Result<AwsCredentials, String> {
        let env = match &self.source {
            Source::Static(c) => return Ok(c.clone()),
            Source::Chain(env) => env,
        };
        let now = now_unix();
        let mut cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((credentials, expiry)) = cache.as_ref()
            && now < expiry - REFRESH_MARGIN_SECS
        {
            return Ok(credentials.clone());
        }
        let (credentials, expiry) = resolve_chain(env.as_ref())?;
        if let Some(expiry) = expiry {
            *cache = Some((credentials.clone(), expiry));
        }
        Ok(credentials)
    }
}

pub fn now_unix() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

/// The chain in order; env and file credentials are read afresh each time
/// (they may be rotated), endpoint credentials come with an expiry.
fn resolve_chain(env: &Env) -> Result<(AwsCredentials, Option<i64>), String> {
    if let Some(credentials) = from_env(env)? {
        return Ok((credentials, None));
    }
    if let Some(credentials) = from_shared_file(env)? {
        return Ok((credentials, None));
    }
    if let Some((credentials, expiry)) = from_container(env)? {
        return Ok((credentials, Some(expiry)));
    }
    if env("AWS_EC2_METADATA_DISABLED").is_some_and(|v| v.eq_ignore_ascii_case("true")) {
        return Err(no_credentials("instance metadata is disabled"));
    }
    let endpoint = env("AWS_EC2_METADATA_SERVICE_ENDPOINT").unwrap_or_else(|| IMDS_ENDPOINT.into());
    match from_imds(&endpoint) {
        Ok((credentials, expiry)) => Ok((credentials, Some(expiry))),
        Err(reason) => Err(no_credentials(&reason)),
    }
}

fn no_credentials(imds: &str) -> String {
    format!(
        "no AWS credentials found: none configured, no AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY \
         in the environment, no shared credentials file profile, no container credentials \
         endpoint, and the EC2 instance metadata service gave none ({imds})"
    )
}

fn from_env(env: &Env) -> Result<Option<AwsCredentials>, String> {
    match (env("AWS_ACCESS_KEY_ID"), env("AWS_SECRET_ACCESS_KEY")) {
        (Some(id), Some(secret)) => Ok(Some(AwsCredentials {
            access_key_id: id,
            secret_access_key: secret,
            session_token: env("AWS_SESSION_TOKEN"),
        })),
        (Some(_), None) => Err("AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not".into()),
        _ => Ok(None),
    }
}

fn from_shared_file(env: &Env) -> Result<Option<AwsCredentials>, String> {
    let path = match env("AWS_SHARED_CREDENTIALS_FILE") {
        Some(path) => path,
        None => match env("HOME") {
            Some(home) => format!("{home}/.aws/credentials"),
            None => return Ok(None),
        },
    };
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("cannot read the AWS credentials file {path}: {e}")),
    };
    let explicit = env("AWS_PROFILE");
    let profile = explicit.clone().unwrap_or_else(|| "default".into());
    let values = parse_profile(&text, &profile);
    match values {
        None if explicit.is_some() => Err(format!(
            "profile {profile} is not in the AWS credentials file {path}"
        )),
        None => Ok(None),
        Some(values) => {
            let get = |k: &str| values.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
            match (get("aws_access_key_id"), get("aws_secret_access_key")) {
                (Some(id), Some(secret)) => Ok(Some(AwsCredentials {
                    access_key_id: id,
                    secret_access_key: secret,
                    session_token: get("aws_session_token"),
                })),
                _ => Err(format!(
                    "profile {profile} in the AWS credentials file {path} lacks \
                     aws_access_key_id or aws_secret_access_key"
                )),
            }
        }
    }
}

/// `key = value` lines of `[profile]` in an INI file, or None when absent.
pub(crate) fn parse_profile(text: &str, profile: &str) -> Option<Vec<(String, String)>> {
    let mut found = None;
    let mut in_profile = false;
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            in_profile = name.trim() == profile;
            if in_profile && found.is_none() {
                found = Some(Vec::new());
            }
            continue;
        }
        if in_profile && let (Some((k, v)), Some(values)) = (line.split_once('='), found.as_mut()) {
            values.push((k.trim().to_ascii_lowercase(), v.trim().to_string()));
        }
    }
    found
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct EndpointCredentials {
    access_key_id: String,
    secret_access_key: String,
    token: Option<String>,
    expiration: String,
}

impl EndpointCredentials {
    fn into_credentials(self, what: &str) -> Result<(AwsCredentials, i64), String> {
        let expiry = parse_time(&self.expiration).ok_or_else(|| {
            format!(
                "{what} gave an unreadable expiration time {:?}",
                self.expiration
            )
        })?;
        Ok((
            AwsCredentials {
                access_key_id: self.access_key_id,
                secret_access_key: self.secret_access_key,
                session_token: self.token,
            },
            expiry,
        ))
    }
}

/// RFC 3339 / ISO 8601 time (`2015-08-30T12:36:00Z`, fractions allowed) as
/// unix seconds.
pub fn parse_time(text: &str) -> Option<i64> {
    time::OffsetDateTime::parse(text.trim(), &time::format_description::well_known::Rfc3339)
        .ok()
        .map(|t| t.unix_timestamp())
}

fn metadata_agent(timeout: Duration) -> ureq::Agent {
    ureq::AgentBuilder::new()
        .timeout_connect(timeout)
        .timeout(timeout * 2)
        .redirects(0)
        .build()
}

fn from_container(env: &Env) -> Result<Option<(AwsCredentials, i64)>, String> {
    let url = if let Some(relative) = env("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI") {
        format!("{ECS_HOST}{relative}")
    } else if let Some(full) = env("AWS_CONTAINER_CREDENTIALS_FULL_URI") {
        full
    } else {
        return Ok(None);
    };
    let token = match env("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE") {
        Some(file) => Some(
            std::fs::read_to_string(&file)
                .map_err(|e| {
                    format!("cannot read the container authorization token file {file}: {e}")
                })?
                .trim()
                .to_string(),
        ),
        None => env("AWS_CONTAINER_AUTHORIZATION_TOKEN"),
    };
    let mut request = metadata_agent(Duration::from_secs(2)).get(&url);
    if let Some(token) = &token {
        request = request.set("Authorization", token);
    }
    let what = "the container credentials endpoint";
    let body: EndpointCredentials = request
        .call()
        .map_err(|e| {
            format!(
                "{what} ({url}) failed: {}",
                super::errors::describe_transport(e)
            )
        })?
        .into_json()
        .map_err(|e| format!("{what} gave an unreadable answer: {e}"))?;
    body.into_credentials(what).map(Some)
}

/// IMDSv2: a session token by PUT, then the instance role's credentials.
fn from_imds(endpoint: &str) -> Result<(AwsCredentials, i64), String> {
    let agent = metadata_agent(Duration::from_secs(1));
    let base = endpoint.trim_end_matches('/');
    let token = agent
        .put(&format!("{base}/latest/api/token"))
        .set("X-aws-ec2-metadata-token-ttl-seconds", "21600")
        .call()
        .map_err(|e| {
            format!(
                "no instance metadata token: {}",
                super::errors::describe_transport(e)
            )
        })?
        .into_string()
        .map_err(|e| e.to_string())?;
    let get = |path: &str| -> Result<String, String> {
        agent
            .get(&format!(
                "{base}/latest/meta-data/iam/security-credentials/{path}"
            ))
            .set("X-aws-ec2-metadata-token", &token)
            .call()
            .map_err(|e| {
                format!(
                    "instance metadata: {}",
                    super::errors::describe_transport(e)
                )
            })?
            .into_string()
            .map_err(|e| e.to_string())
    };
    let role = get("")?;
    let role = role.lines().next().map(str::trim).unwrap_or("");
    if role.is_empty() {
        return Err("the instance has no IAM role".into());
    }
    let body: EndpointCredentials = serde_json::from_str(&get(role)?)
        .map_err(|e| format!("instance metadata gave unreadable credentials: {e}"))?;
    body.into_credentials("the instance metadata service")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_redacts() {
        let c = AwsCredentials::new("AKIA1", "very-secret", Some("tok-secret"));
        let shown = format!("{c:?}");
        assert!(shown.contains("AKIA1"));
        assert!(!shown.contains("very-secret") && !shown.contains("tok-secret"));
    }

    #[test]
    fn profiles() {
        let text = "[default]\naws_access_key_id = A\n[other]\n# c\nAWS_SECRET_ACCESS_KEY=s\n";
        assert_eq!(
            parse_profile(text, "default").unwrap(),
            vec![("aws_access_key_id".into(), "A".into())]
        );
        assert_eq!(parse_profile(text, "other").unwrap()[0].1, "s");
        assert!(parse_profile(text, "none").is_none());
    }

    #[test]
    fn times() {
        assert_eq!(parse_time("2015-08-30T12:36:00Z"), Some(1440938160));
        assert_eq!(parse_time("2015-08-30T12:36:00.000Z"), Some(1440938160));
    }
}
