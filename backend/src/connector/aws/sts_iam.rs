//! STS (caller identity, AssumeRole) and the IAM role reads sync needs.

use super::{
    client::{Client, IAM, STS},
    credentials::{AwsCredentials, parse_time},
    errors::CallError,
    xml,
};

const STS_VERSION: &str = "2011-06-15";
const IAM_VERSION: &str = "2010-05-08";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallerIdentity {
    pub account: String,
    pub arn: String,
    pub user_id: String,
}

/// Credentials from AssumeRole and when they expire (unix seconds).
#[derive(Debug, Clone)]
pub struct TemporaryCredentials {
    pub credentials: AwsCredentials,
    pub expires_at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Role {
    pub name: String,
    pub arn: String,
    /// The role's unique id (`AROA…`): an assumed role's `aws:userid` is
    /// `<role id>:<session name>`.
    pub role_id: String,
    pub path: String,
    /// Seconds (3600 unless the role says otherwise).
    pub max_session_duration: u32,
}

/// A role name from a name or an ARN (`arn:aws:iam::1:role/path/name`).
pub fn role_name(name_or_arn: &str) -> &str {
    if name_or_arn.starts_with("arn:") {
        name_or_arn.rsplit('/').next().unwrap_or(name_or_arn)
    } else {
        name_or_arn
    }
}

fn role_from_xml(member: &str) -> Result<Role, String> {
    Ok(Role {
        name: xml::required(member, "RoleName", "a role")?,
        arn: xml::required(member, "Arn", "a role")?,
        role_id: xml::first(member, "RoleId").unwrap_or_default(),
        path: xml::first(member, "Path").unwrap_or_else(|| "/".into()),
        max_session_duration: xml::first(member, "MaxSessionDuration")
            .and_then(|d| d.parse().ok())
            .unwrap_or(3600),
    })
}

impl Client {
    /// STS GetCallerIdentity: who these credentials are ("Test connection").
    pub fn get_caller_identity(&self) -> Result<CallerIdentity, String> {
        let answer = self.query(STS, STS_VERSION, "GetCallerIdentity", &[])?;
        Ok(CallerIdentity {
            account: xml::required(&answer, "Account", "GetCallerIdentity")?,
            arn: xml::required(&answer, "Arn", "GetCallerIdentity")?,
            user_id: xml::first(&answer, "UserId").unwrap_or_default(),
        })
    }

    /// STS AssumeRole for `duration_seconds` (900 to 43200; AWS also holds
    /// it to the role's MaxSessionDuration, see [`Client::get_role`]).
    pub fn assume_role(
        &self,
        role_arn: &str,
        session_name: &str,
        duration_seconds: u32,
    ) -> Result<TemporaryCredentials, String> {
        if !(900..=43200).contains(&duration_seconds) {
            return Err(format!(
                "a role session must last between 15 minutes and 12 hours, not {duration_seconds} seconds"
            ));
        }
        let valid_name = (2..=64).contains(&session_name.len())
            && session_name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "=,.@-_".contains(c));
        if !valid_name {
            return Err(format!(
                "{session_name:?} cannot be a role session name (2 to 64 letters, digits or =,.@-_)"
            ));
        }
        let duration = duration_seconds.to_string();
        let params = [
            ("RoleArn", role_arn),
            ("RoleSessionName", session_name),
            ("DurationSeconds", &duration),
        ];
        let answer = self
            .query(STS, STS_VERSION, "AssumeRole", &params)
            .map_err(|e| match &e {
                CallError::Api { error, .. } if error.message.contains("MaxSessionDuration") => {
                    format!(
                        "role {role_arn} does not allow sessions of {duration_seconds} seconds: \
                 it is longer than the role's maximum session duration ({})",
                        error.message
                    )
                }
                _ => e.to_string(),
            })?;
        let expiration = xml::required(&answer, "Expiration", "AssumeRole")?;
        Ok(TemporaryCredentials {
            credentials: AwsCredentials {
                access_key_id: xml::required(&answer, "AccessKeyId", "AssumeRole")?,
                secret_access_key: xml::required(&answer, "SecretAccessKey", "AssumeRole")?,
                session_token: Some(xml::required(&answer, "SessionToken", "AssumeRole")?),
            },
            expires_at: parse_time(&expiration).ok_or_else(|| {
                format!("AssumeRole gave an unreadable expiration time {expiration:?}")
            })?,
        })
    }

    /// AssumeRole for `wanted_seconds`, capped first to the role's
    /// MaxSessionDuration (read with IAM GetRole, which needs
    /// `iam:GetRole` on the role). Returns the credentials and the duration
    /// used.
    pub fn assume_role_capped(
        &self,
        role_arn: &str,
        session_name: &str,
        wanted_seconds: u32,
    ) -> Result<(TemporaryCredentials, u32), String> {
        let role = self.get_role(role_arn)?;
        let seconds = wanted_seconds.min(role.max_session_duration);
        Ok((self.assume_role(role_arn, session_name, seconds)?, seconds))
    }

    /// IAM GetRole by name or ARN.
    pub fn get_role(&self, name_or_arn: &str) -> Result<Role, String> {
        let name = role_name(name_or_arn);
        match self.query(IAM, IAM_VERSION, "GetRole", &[("RoleName", name)]) {
            Ok(answer) => role_from_xml(&answer),
            Err(e) if e.code() == Some("NoSuchEntity") => {
                Err(format!("IAM role {name} does not exist"))
            }
            Err(e) => Err(e.to_string()),
        }
    }

    /// IAM ListRoles, every page.
    pub fn list_roles(&self) -> Result<Vec<Role>, String> {
        self.list_roles_paged(1000)
    }

    /// ListRoles with `page_size` roles a page (MaxItems, Marker).
    pub fn list_roles_paged(&self, page_size: u32) -> Result<Vec<Role>, String> {
        let mut roles = Vec::new();
        let mut marker: Option<String> = None;
        let max = page_size.to_string();
        loop {
            let mut params = vec![("MaxItems", max.as_str())];
            if let Some(marker) = &marker {
                params.push(("Marker", marker));
            }
            let answer = self.query(IAM, IAM_VERSION, "ListRoles", &params)?;
            let list = xml::all(&answer, "Roles").first().copied().unwrap_or("");
            for member in xml::all(list, "member") {
                roles.push(role_from_xml(member)?);
            }
            let truncated = xml::first(&answer, "IsTruncated").is_some_and(|t| t == "true");
            marker = xml::first(&answer, "Marker").filter(|m| !m.is_empty());
            if !truncated || marker.is_none() {
                return Ok(roles);
            }
        }
    }

    /// IAM PutRolePolicy: an inline policy `name` on the role.
    pub fn put_role_policy(&self, role: &str, name: &str, document: &str) -> Result<(), String> {
        let params = [
            ("RoleName", role_name(role)),
            ("PolicyName", name),
            ("PolicyDocument", document),
        ];
        self.query(IAM, IAM_VERSION, "PutRolePolicy", &params)
            .map(drop)
            .map_err(|e| e.to_string())
    }

    /// IAM ListRolePolicies: the names of the role's inline policies.
    pub fn list_role_policies(&self, role: &str) -> Result<Vec<String>, String> {
        let mut names = Vec::new();
        let mut marker: Option<String> = None;
        loop {
            let mut params = vec![("RoleName", role_name(role))];
            if let Some(marker) = &marker {
                params.push(("Marker", marker));
            }
            let answer = self
                .query(IAM, IAM_VERSION, "ListRolePolicies", &params)
                .map_err(|e| e.to_string())?;
            let list = xml::all(&answer, "PolicyNames")
                .first()
                .copied()
                .unwrap_or("");
            names.extend(xml::all(list, "member").into_iter().map(xml::unescape));
            let truncated = xml::first(&answer, "IsTruncated").is_some_and(|t| t == "true");
            marker = xml::first(&answer, "Marker").filter(|m| !m.is_empty());
            if !truncated || marker.is_none() {
                return Ok(names);
            }
        }
    }

    /// IAM GetRolePolicy: the inline policy's document (URL-decoded JSON),
    /// `None` when the role has no such policy.
    pub fn get_role_policy(&self, role: &str, name: &str) -> Result<Option<String>, String> {
        let params = [("RoleName", role_name(role)), ("PolicyName", name)];
        match self.query(IAM, IAM_VERSION, "GetRolePolicy", &params) {
            Ok(answer) => {
                let document = xml::required(&answer, "PolicyDocument", "GetRolePolicy")?;
                Ok(Some(
                    crate::uri::percent_decode(&document).unwrap_or(document),
                ))
            }
            Err(e) if e.code() == Some("NoSuchEntity") => Ok(None),
            Err(e) => Err(e.to_string()),
        }
    }

    /// IAM DeleteRolePolicy; a policy already gone counts as deleted.
    pub fn delete_role_policy(&self, role: &str, name: &str) -> Result<(), String> {
        let params = [("RoleName", role_name(role)), ("PolicyName", name)];
        match self.query(IAM, IAM_VERSION, "DeleteRolePolicy", &params) {
            Ok(_) => Ok(()),
            Err(e) if e.code() == Some("NoSuchEntity") => Ok(()),
            Err(e) => Err(e.to_string()),
        }
    }
}
