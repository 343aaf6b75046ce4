//! `aws_role`: temporary credentials for an IAM role from STS AssumeRole.
//!
//! A resource is a role, its path the role's ARN. A grant assumes the role
//! with the session name [`login_name`] gives the request (`gh_alice_12_3`,
//! the same on every retry) for the rest of the access, at most the role's
//! maximum session and 12 hours, at least STS's 15 minutes; the credentials
//! are the secret, shown once, as `export` lines. Reset (and `gatehouse
//! connect`) assumes it again.
//!
//! STS cannot end a session. A removal therefore puts an inline policy on
//! the role denying everything to that session (`aws:userid` is `<role
//! id>:<session name>` for an assumed role, AWS's documented way to revoke
//! one session), named `gatehouse-revoked-<until>-<session>`, and deletes
//! such policies whose `until` (the latest end a session of that name could
//! have) has passed. The connector's own account needs `sts:AssumeRole`,
//! `iam:GetRole`, `iam:ListRoles`, `iam:ListRolePolicies`,
//! `iam:PutRolePolicy` and `iam:DeleteRolePolicy` on the roles it manages.

use serde::Deserialize;
use serde_json::{Value, json};

use super::{AwsAccess, Client, refuse_unknown};
use crate::connector::{
    Connector, Credentials, Discovered, GRANT_ATTEMPTS, Grant, Outcome, login_name,
};

/// The one permission a role resource has.
pub const ASSUME: &str = "assume";
const PERMISSIONS: &[&str] = &[ASSUME];
/// The resource type Sync gives roles.
pub const RESOURCE_TYPE: &str = "role";
/// STS's shortest and longest role sessions, in seconds.
const SHORTEST: i64 = 900;
const LONGEST: i64 = 43_200;
const POLICY_PREFIX: &str = "gatehouse-revoked-";

/// An `aws_role` integration's settings.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct RoleSettings {
    #[serde(flatten)]
    pub aws: AwsAccess,
    /// Sync lists the roles under this IAM path (default `/`: all).
    #[serde(default)]
    pub role_path_prefix: Option<String>,
    #[serde(default)]
    pub grant_attempts: Option<u32>,
}

impl RoleSettings {
    pub fn parse(settings: &Value) -> Result<Self, String> {
        refuse_unknown(settings, &["role_path_prefix", "grant_attempts"])?;
        let parsed: Self = serde_json::from_value(settings.clone())
            .map_err(|error| format!("AWS settings: {error}"))?;
        parsed.aws.check()?;
        if let Some(prefix) = &parsed.role_path_prefix
            && !(prefix.starts_with('/') && prefix.ends_with('/'))
        {
            return Err(format!(
                "AWS settings: role_path_prefix {prefix:?} must start and end with / (like /gatehouse/)"
            ));
        }
        Ok(parsed)
    }
}

/// A role ARN, checked: `arn:<partition>:iam::<12 digits>:role/<path/name>`.
pub fn role_arn(path: &str) -> Result<&str, String> {
    let parts: Vec<&str> = path.splitn(6, ':').collect();
    let ok = parts.len() == 6
        && parts[0] == "arn"
        && parts[1].starts_with("aws")
        && parts[2] == "iam"
        && parts[3].is_empty()
        && parts[4].len() == 12
        && parts[4].chars().all(|c| c.is_ascii_digit())
        && parts[5].starts_with("role/")
        && parts[5].len() > 5
        && parts[5]
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "/+=,.@_-".contains(c));
    if ok {
        Ok(path)
    } else {
        Err(format!(
            "resource path {path:?} is not an IAM role ARN (arn:aws:iam::123456789012:role/Name)"
        ))
    }
}

#[derive(Debug, Clone)]
pub struct RoleConnector {
    settings: RoleSettings,
    client: Client,
}

impl RoleConnector {
    pub fn from_settings(settings: Value) -> Result<Self, String> {
        let settings = RoleSettings::parse(&settings)?;
        let client = settings.aws.client();
        Ok(Self { settings, client })
    }

    /// The one role a grant names.
    fn role_of<'a>(&self, grant: &'a Grant) -> Result<&'a str, String> {
        match grant.items.as_slice() {
            [item] if item.permission == ASSUME => role_arn(&item.resource_path),
            [item] => Err(format!(
                "permission {:?} is not {ASSUME:?}",
                item.permission
            )),
            _ => Err(
                "an AWS role access names exactly one role: request each role on its own".into(),
            ),
        }
    }

    /// Assume the grant's role for the rest of its access.
    fn assume(&self, grant: &Grant) -> Result<Credentials, String> {
        let arn = self.role_of(grant)?;
        let session = login_name(grant, 40);
        let role = self.client.get_role(arn)?;
        let now = super::credentials::now_unix();
        let longest = i64::from(role.max_session_duration).min(LONGEST);
        let seconds = (grant.expires_at - now).clamp(SHORTEST, longest.max(SHORTEST));
        let seconds = u32::try_from(seconds).unwrap_or(3600);
        let issued = self.client.assume_role(&role.arn, &session, seconds)?;
        let until = time::OffsetDateTime::from_unix_timestamp(issued.expires_at)
            .map(|t| format!("{} UTC", gatehouse_shared::duration::minute(t)))
            .unwrap_or_default();
        let shorter = if issued.expires_at + 60 < grant.expires_at {
            " The role allows shorter sessions than your access: `gatehouse connect` (or Reset Credentials) gets fresh ones."
        } else {
            ""
        };
        let keys = issued.credentials;
        let secret = format!(
            "export AWS_ACCESS_KEY_ID={}\nexport AWS_SECRET_ACCESS_KEY={}\nexport AWS_SESSION_TOKEN={}\n",
            keys.access_key_id,
            keys.secret_access_key,
            keys.session_token.unwrap_or_default()
        );
        Ok(Credentials {
            username: Some(session),
            secret: Some(secret),
            instructions: Some(format!(
                "Temporary credentials for {} in account {}, valid until {until}. Paste the export lines into a shell, or let the CLI get fresh ones: `eval \"$(gatehouse connect {id})\"`, or `gatehouse connect {id} -- aws sts get-caller-identity` to run one command with them.{shorter}",
                role.name,
                arn.split(':').nth(4).unwrap_or_default(),
                id = grant.request_id
            )),
            connect: gatehouse_shared::access::ConnectOptions {
                terminal: Some(format!("gatehouse connect {}", grant.request_id)),
                browser: None,
                app: None,
            },
        })
    }

    /// Deny the grant's session on its role, and drop denials that ended.
    fn deny_session(&self, grant: &Grant) -> Result<(), String> {
        let arn = self.role_of(grant)?;
        let session = grant.login.clone().unwrap_or_else(|| login_name(grant, 40));
        let role = match self.client.get_role(arn) {
            Ok(role) => role,
            // The role is gone, and its sessions with it.
            Err(error) if error.contains("does not exist") => return Ok(()),
            Err(error) => return Err(error),
        };
        let now = super::credentials::now_unix();
        // A session of this name ends at the latest this long after now.
        let until = now + LONGEST;
        let policies = self.client.list_role_policies(&role.name)?;
        let denied = format!("-{session}");
        if policies
            .iter()
            .any(|name| name.starts_with(POLICY_PREFIX) && name.ends_with(&denied))
        {
            return Ok(()); // denied already: removing again changes nothing
        }
        for name in policies {
            let ended = name
                .strip_prefix(POLICY_PREFIX)
                .and_then(|rest| rest.split('-').next())
                .and_then(|t| t.parse::<i64>().ok())
                .is_some_and(|t| t < now);
            if ended {
                self.client.delete_role_policy(&role.name, &name)?;
            }
        }
        let document = json!({
            "Version": "2012-10-17",
            "Statement": [{
                "Sid": "GatehouseRevokedSession",
                "Effect": "Deny",
                "Action": "*",
                "Resource": "*",
                "Condition": {"StringLike": {"aws:userid": format!("{}:{session}", role.role_id)}}
            }]
        });
        let name = format!("{POLICY_PREFIX}{until}-{session}");
        self.client
            .put_role_policy(&role.name, &name, &document.to_string())
    }
}

impl Connector for RoleConnector {
    fn grant(&self, grant: &Grant) -> Result<Outcome, String> {
        Ok(Outcome::Done(self.assume(grant)?))
    }

    fn revoke(&self, grant: &Grant) -> Result<Outcome, String> {
        self.deny_session(grant)?;
        Ok(Outcome::Done(Credentials::default()))
    }

    fn reset_credentials(&self, grant: &Grant) -> Result<Credentials, String> {
        self.assume(grant)
    }

    fn check(&self) -> Result<String, String> {
        let me = self.client.get_caller_identity()?;
        let roles = self.discover()?;
        Ok(format!(
            "Signed in to AWS as {} (account {}); {} roles to offer.",
            me.arn,
            me.account,
            roles.len()
        ))
    }

    fn discover(&self) -> Result<Vec<Discovered>, String> {
        let prefix = self.settings.role_path_prefix.as_deref().unwrap_or("/");
        Ok(self
            .client
            .list_roles()?
            .into_iter()
            .filter(|role| role.path.starts_with(prefix))
            .filter(|role| !role.path.starts_with("/aws-service-role/"))
            .map(|role| Discovered {
                resource_type: RESOURCE_TYPE,
                name: role.name,
                path: role.arn,
                permissions: PERMISSIONS,
            })
            .collect())
    }

    fn login_of(&self, grant: &Grant) -> Option<String> {
        Some(grant.login.clone().unwrap_or_else(|| login_name(grant, 40)))
    }

    fn grant_attempts(&self) -> u32 {
        self.settings.grant_attempts.unwrap_or(GRANT_ATTEMPTS)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn settings_and_role_arns_are_checked() {
        assert!(RoleSettings::parse(&json!({"region": "us-east-1"})).is_ok());
        assert!(
            RoleSettings::parse(&json!({"region": "us-east-1", "role_path_prefix": "gatehouse"}))
                .is_err()
        );
        assert!(RoleSettings::parse(&json!({"region": "us-east-1", "roles": []})).is_err());
        assert!(role_arn("arn:aws:iam::123456789012:role/ops/Admin").is_ok());
        for bad in [
            "arn:aws:iam::123456789012:user/alice",
            "arn:aws:iam::1234:role/Admin",
            "arn:aws:s3:::bucket",
            "Admin",
        ] {
            assert!(role_arn(bad).is_err(), "{bad}");
        }
    }
}
