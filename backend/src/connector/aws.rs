//! The AWS connectors, over SigV4-signed calls (hand-written, no AWS SDK)
//! with the standard credential chain:
//!
//! - `aws_identity_center`: a resource is an (account, permission set) pair,
//!   path `<account id>/<permission set id>`; a grant assigns the permission
//!   set in the account to the grantee's Identity Center user (found by user
//!   name or e-mail), a removal deletes the assignment; both wait until
//!   Identity Center reports them done. Holdings are every user's
//!   assignments on the managed pairs (verified removal, drift).
//! - `aws_role`: a resource is an IAM role, path its ARN; a grant hands out
//!   temporary credentials from STS AssumeRole for the rest of the access
//!   (capped by the role's maximum session), shown once; Reset (and
//!   `gatehouse connect`) gets fresh ones. STS sessions cannot be ended, so
//!   a removal denies the session's `aws:userid` (`<role id>:<session>`) in
//!   an inline policy on the role until the longest session it could have
//!   has ended ([`role`]).
//!
//! Settings shared by both: `region`, `access_key_id` and
//! `secret_access_key` (else the machine's credentials: environment, shared
//! file, container or instance role), `endpoint` (a VPC endpoint or a test
//! server; every service goes to it).

mod client;
mod credentials;
mod errors;
mod identity_center;
pub mod role;
mod sigv4;
mod sts_iam;
mod xml;

pub use client::Client;
pub use credentials::{AwsCredentials, CredentialsProvider};
pub use identity_center::{Account, Assignment, PermissionSet, Polling, Principal, SsoInstance};
pub use role::{RoleConnector, RoleSettings};
pub use sts_iam::{CallerIdentity, Role, TemporaryCredentials, role_name};

use serde::Deserialize;
use serde_json::Value;

use super::{Connector, Credentials, Discovered, GRANT_ATTEMPTS, Grant, Holding, Outcome};

/// The one permission an (account, permission set) resource has.
pub const ACCESS: &str = "access";
const PERMISSIONS: &[&str] = &[ACCESS];
/// The resource type Sync gives (account, permission set) pairs.
pub const PERMISSION_SET: &str = "permission_set";

/// Where and as whom a connector calls AWS: the fields both connectors'
/// settings have (flattened into them; [`refuse_unknown`] refuses typos, as
/// serde's `deny_unknown_fields` does not see through `flatten`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct AwsAccess {
    pub region: String,
    #[serde(default)]
    pub access_key_id: Option<String>,
    #[serde(default)]
    pub secret_access_key: Option<String>,
    #[serde(default)]
    pub endpoint: Option<String>,
}

impl AwsAccess {
    pub fn check(&self) -> Result<(), String> {
        let region = self.region.as_str();
        let parts: Vec<&str> = region.split('-').collect();
        let region_ok = parts.len() >= 3
            && parts[0].len() == 2
            && parts.iter().all(|p| {
                !p.is_empty()
                    && p.chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
            })
            && parts
                .last()
                .is_some_and(|p| p.chars().all(|c| c.is_ascii_digit()));
        if !region_ok {
            return Err(format!(
                "AWS settings: region {region:?} is not an AWS region (like eu-west-1)"
            ));
        }
        match (&self.access_key_id, &self.secret_access_key) {
            (Some(id), Some(_)) if is_key_id(id) => {}
            (Some(id), Some(_)) => {
                return Err(format!(
                    "AWS settings: access_key_id {id:?} is not an access key id (AKIA… or ASIA…)"
                ));
            }
            (None, None) => {}
            _ => {
                return Err("AWS settings: give both access_key_id and secret_access_key, or neither (the machine's credentials)".into());
            }
        }
        if let Some(endpoint) = &self.endpoint {
            let loopback = ["http://127.0.0.1", "http://localhost", "http://[::1]"]
                .iter()
                .any(|p| endpoint.starts_with(p));
            if !endpoint.starts_with("https://") && !loopback {
                return Err(format!(
                    "AWS settings: endpoint {endpoint:?} must be an https:// URL"
                ));
            }
        }
        Ok(())
    }

    pub fn client(&self) -> Client {
        let credentials = CredentialsProvider::from_keys_or_chain(
            self.access_key_id.as_deref(),
            self.secret_access_key.as_deref(),
        );
        Client::new(&self.region, self.endpoint.as_deref(), credentials)
    }
}

fn is_key_id(id: &str) -> bool {
    (16..=128).contains(&id.len())
        && id
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
}

/// What a grantee is matched with in the identity store.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum UserMatch {
    /// Their Gatehouse user name is the Identity Center user name.
    #[default]
    Username,
    /// Their e-mail address is the Identity Center user's.
    Email,
}

/// An `aws_identity_center` integration's settings.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct IdentityCenterSettings {
    #[serde(flatten)]
    pub aws: AwsAccess,
    /// `arn:aws:sso:::instance/ssoins-…`.
    pub instance_arn: String,
    /// `d-…`; read from the instance when left out.
    #[serde(default)]
    pub identity_store_id: Option<String>,
    #[serde(default)]
    pub user_match: UserMatch,
    /// The AWS access portal (`https://d-….awsapps.com/start`), shown to grantees.
    #[serde(default)]
    pub portal_url: Option<String>,
    #[serde(default)]
    pub grant_attempts: Option<u32>,
}

/// Refuse a field that is neither [`AwsAccess`]'s nor one of `own` (a typo).
fn refuse_unknown(settings: &Value, own: &[&str]) -> Result<(), String> {
    let shared = ["region", "access_key_id", "secret_access_key", "endpoint"];
    if let Value::Object(map) = settings
        && let Some(key) = map
            .keys()
            .find(|k| !own.contains(&k.as_str()) && !shared.contains(&k.as_str()))
    {
        return Err(format!(
            "AWS settings: unknown field `{key}`, expected one of {:?}",
            [&shared[..], own].concat()
        ));
    }
    Ok(())
}

impl IdentityCenterSettings {
    pub fn parse(settings: &Value) -> Result<Self, String> {
        refuse_unknown(
            settings,
            &[
                "instance_arn",
                "identity_store_id",
                "user_match",
                "portal_url",
                "grant_attempts",
            ],
        )?;
        let parsed: Self = serde_json::from_value(settings.clone())
            .map_err(|error| format!("AWS settings: {error}"))?;
        parsed.aws.check()?;
        if instance_id(&parsed.instance_arn).is_none() {
            return Err(format!(
                "AWS settings: instance_arn {:?} is not an IAM Identity Center instance ARN (arn:aws:sso:::instance/ssoins-…)",
                parsed.instance_arn
            ));
        }
        if let Some(store) = &parsed.identity_store_id
            && !(store.starts_with("d-") && store.len() <= 64)
        {
            return Err(format!(
                "AWS settings: identity_store_id {store:?} is not an identity store id (d-…)"
            ));
        }
        if let Some(url) = &parsed.portal_url
            && !url.starts_with("https://")
        {
            return Err("AWS settings: portal_url must be an https:// URL".into());
        }
        Ok(parsed)
    }
}

/// `ssoins-…` from `arn:aws:sso:::instance/ssoins-…`.
fn instance_id(arn: &str) -> Option<&str> {
    let (prefix, id) = arn.rsplit_once(":instance/")?;
    let ok = prefix.starts_with("arn:aws")
        && prefix.ends_with(":sso::")
        && id.starts_with("ssoins-")
        && id.len() <= 64
        && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
    ok.then_some(id)
}

/// An (account, permission set) resource path, checked.
fn pair(path: &str) -> Result<(&str, &str), String> {
    let (account, set) = path
        .split_once('/')
        .ok_or_else(|| format!("resource path {path:?} is not <account id>/<permission set id>"))?;
    let account_ok = account.len() == 12 && account.chars().all(|c| c.is_ascii_digit());
    let set_ok =
        set.starts_with("ps-") && set.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
    if !account_ok || !set_ok {
        return Err(format!(
            "resource path {path:?} is not <12-digit account id>/<ps-… permission set id>"
        ));
    }
    Ok((account, set))
}

#[derive(Debug, Clone)]
pub struct IdentityCenterConnector {
    settings: IdentityCenterSettings,
    client: Client,
}

impl IdentityCenterConnector {
    pub fn from_settings(settings: Value) -> Result<Self, String> {
        let settings = IdentityCenterSettings::parse(&settings)?;
        let client = settings.aws.client();
        Ok(Self { settings, client })
    }

    /// The instance's permission set ARNs, listed once per call (ARNs
    /// differ between AWS and its emulators, so they are read, not built).
    fn permission_sets(&self) -> Result<Vec<String>, String> {
        self.client.permission_set_arns(&self.settings.instance_arn)
    }

    /// The ARN of the permission set `ps-…` among `arns`; a clear error when
    /// it was deleted.
    fn permission_set_arn(&self, arns: &[String], id: &str) -> Result<String, String> {
        let suffix = format!("/{id}");
        arns.iter()
            .find(|arn| arn.ends_with(&suffix))
            .cloned()
            .ok_or_else(|| {
                format!(
                    "permission set {id} does not exist in IAM Identity Center instance {} (deleted?)",
                    self.settings.instance_arn
                )
            })
    }

    fn identity_store(&self) -> Result<String, String> {
        if let Some(store) = &self.settings.identity_store_id {
            return Ok(store.clone());
        }
        self.client
            .list_instances()?
            .into_iter()
            .find(|i| i.instance_arn == self.settings.instance_arn)
            .map(|i| i.identity_store_id)
            .ok_or_else(|| {
                format!(
                    "IAM Identity Center instance {} not found in {}",
                    self.settings.instance_arn,
                    self.client.region()
                )
            })
    }

    /// The grantee's name in the identity store, as the settings match it.
    fn login(&self, grant: &Grant) -> Result<String, String> {
        match self.settings.user_match {
            UserMatch::Username => Ok(grant.grantee_username.clone()),
            UserMatch::Email => grant.grantee_email.clone().ok_or_else(|| {
                format!(
                    "{} has no e-mail address to find them in the identity store",
                    grant.grantee_username
                )
            }),
        }
    }

    fn user_id(&self, store: &str, login: &str) -> Result<String, String> {
        match self.settings.user_match {
            UserMatch::Username => self.client.find_user_by_name(store, login),
            UserMatch::Email => self.client.find_user_by_email(store, login),
        }
    }

    /// Assign (`create`) or unassign every item of the grant.
    fn apply(&self, grant: &Grant, create: bool) -> Result<String, String> {
        let login = self.login(grant)?;
        let store = self.identity_store()?;
        let user = match self.user_id(&store, &login) {
            Ok(user) => user,
            // Nobody to remove access from.
            Err(error) if !create && error.contains("not found") => return Ok(login),
            Err(error) => return Err(error),
        };
        let arns = self.permission_sets()?;
        for item in &grant.items {
            let (account, set) = pair(&item.resource_path)?;
            let arn = self.permission_set_arn(&arns, set)?;
            let assignment = Assignment {
                instance_arn: &self.settings.instance_arn,
                account_id: account,
                permission_set_arn: &arn,
                user_id: &user,
            };
            if create {
                self.client
                    .create_account_assignment(&assignment, Polling::default())?;
            } else {
                self.client
                    .delete_account_assignment(&assignment, Polling::default())?;
            }
        }
        Ok(login)
    }

    fn credentials(&self, login: String) -> Credentials {
        let portal = self.settings.portal_url.clone();
        let instructions = match &portal {
            Some(url) => format!(
                "Sign in to the AWS access portal ({url}) as {login}: the account and permission set are listed there."
            ),
            None => format!(
                "Sign in to your AWS access portal as {login}: the account and permission set are listed there."
            ),
        };
        Credentials {
            username: Some(login),
            secret: None,
            instructions: Some(instructions),
            connect: gatehouse_shared::access::ConnectOptions {
                terminal: None,
                browser: portal,
                app: None,
            },
        }
    }

    /// The user name (or e-mail, as matched) of an identity store user.
    fn name_of(&self, store: &str, user_id: &str) -> Result<String, String> {
        let user = self.client.raw_json(
            "identitystore",
            "DescribeUser",
            &serde_json::json!({"IdentityStoreId": store, "UserId": user_id}),
        )?;
        let name = match self.settings.user_match {
            UserMatch::Username => user["UserName"].as_str().map(str::to_owned),
            UserMatch::Email => user["Emails"].as_array().and_then(|emails| {
                emails
                    .iter()
                    .find(|e| e["Primary"].as_bool().unwrap_or(false))
                    .or_else(|| emails.first())
                    .and_then(|e| e["Value"].as_str())
                    .map(str::to_owned)
            }),
        };
        Ok(name.unwrap_or_else(|| user_id.to_owned()))
    }
}

impl Connector for IdentityCenterConnector {
    fn grant(&self, grant: &Grant) -> Result<Outcome, String> {
        let login = self.apply(grant, true)?;
        Ok(Outcome::Done(self.credentials(login)))
    }

    fn revoke(&self, grant: &Grant) -> Result<Outcome, String> {
        self.apply(grant, false)?;
        Ok(Outcome::Done(Credentials::default()))
    }

    fn check(&self) -> Result<String, String> {
        let me = self.client.get_caller_identity()?;
        let store = self.identity_store()?;
        let sets = self
            .client
            .list_permission_sets(&self.settings.instance_arn)?;
        Ok(format!(
            "Signed in to AWS as {} (account {}); IAM Identity Center instance {} with identity store {store} and {} permission sets.",
            me.arn,
            me.account,
            self.settings.instance_arn,
            sets.len()
        ))
    }

    fn discover(&self) -> Result<Vec<Discovered>, String> {
        let instance = &self.settings.instance_arn;
        let sets = self.client.list_permission_sets(instance)?;
        let mut accounts = match self.client.list_accounts() {
            Ok(accounts) => accounts
                .into_iter()
                .filter(|a| a.status.is_empty() || a.status == "ACTIVE")
                .map(|a| (a.id, a.name))
                .collect::<Vec<_>>(),
            Err(_) => Vec::new(),
        };
        // Not an organization's management account (or none): this account only.
        if accounts.is_empty() {
            let me = self.client.get_caller_identity()?;
            accounts.push((me.account.clone(), me.account));
        }
        let mut found = Vec::new();
        for (account, account_name) in &accounts {
            for set in &sets {
                let id = set.arn.rsplit('/').next().unwrap_or_default();
                found.push(Discovered {
                    resource_type: PERMISSION_SET,
                    name: format!("{} in {account_name} ({account})", set.name),
                    path: format!("{account}/{id}"),
                    permissions: PERMISSIONS,
                });
            }
        }
        Ok(found)
    }

    fn holdings(&self, resources: &[String]) -> Result<Option<Vec<Holding>>, String> {
        let store = self.identity_store()?;
        let mut names = std::collections::HashMap::new();
        let mut holdings = Vec::new();
        let arns = self.permission_sets()?;
        for path in resources {
            let Ok((account, set)) = pair(path) else {
                continue;
            };
            let arn = self.permission_set_arn(&arns, set)?;
            let principals =
                self.client
                    .list_account_assignments(&self.settings.instance_arn, account, &arn)?;
            // Groups are standing access an admin set up, not a person's grant.
            for principal in principals.iter().filter(|p| p.principal_type == "USER") {
                let name = match names.get(&principal.principal_id) {
                    Some(name) => String::clone(name),
                    None => {
                        let name = self.name_of(&store, &principal.principal_id)?;
                        names.insert(principal.principal_id.clone(), name.clone());
                        name
                    }
                };
                holdings.push(Holding {
                    login: name,
                    resource_path: path.clone(),
                    permission: Some(ACCESS.into()),
                });
            }
        }
        holdings.sort();
        Ok(Some(holdings))
    }

    fn remove_holding(&self, holding: &Holding) -> Result<(), String> {
        let store = self.identity_store()?;
        let (account, set) = pair(&holding.resource_path)?;
        let user = match self.user_id(&store, &holding.login) {
            Ok(user) => user,
            Err(error) if error.contains("not found") => return Ok(()),
            Err(error) => return Err(error),
        };
        let arn = self.permission_set_arn(&self.permission_sets()?, set)?;
        self.client.delete_account_assignment(
            &Assignment {
                instance_arn: &self.settings.instance_arn,
                account_id: account,
                permission_set_arn: &arn,
                user_id: &user,
            },
            Polling::default(),
        )
    }

    fn login_of(&self, grant: &Grant) -> Option<String> {
        self.login(grant).ok()
    }

    fn grant_attempts(&self) -> u32 {
        self.settings.grant_attempts.unwrap_or(GRANT_ATTEMPTS)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const INSTANCE: &str = "arn:aws:sso:::instance/ssoins-1234567890abcdef";

    #[test]
    fn settings_are_checked() {
        let ok = IdentityCenterSettings::parse(
            &json!({"region": "eu-west-1", "instance_arn": INSTANCE}),
        )
        .unwrap();
        assert_eq!(ok.user_match, UserMatch::Username);
        for bad in [
            json!({"region": "Europe", "instance_arn": INSTANCE}),
            json!({"region": "eu-west-1", "instance_arn": "arn:aws:iam::1:role/x"}),
            json!({"region": "eu-west-1", "instance_arn": INSTANCE, "access_key_id": "AKIAEXAMPLE0000000"}),
            json!({"region": "eu-west-1", "instance_arn": INSTANCE, "access_key_id": "not a key", "secret_access_key": "x"}),
            json!({"region": "eu-west-1", "instance_arn": INSTANCE, "endpoint": "http://sso.example.com"}),
            json!({"region": "eu-west-1", "instance_arn": INSTANCE, "identity_store_id": "store"}),
            json!({"region": "eu-west-1", "instance_arn": INSTANCE, "user_match": "uid"}),
            json!({"region": "eu-west-1", "instance_arn": INSTANCE, "pasword": "x"}),
        ] {
            assert!(IdentityCenterSettings::parse(&bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn paths_name_an_account_and_a_permission_set() {
        assert_eq!(
            pair("111122223333/ps-0123abcd").unwrap(),
            ("111122223333", "ps-0123abcd")
        );
        for bad in [
            "111122223333",
            "1111/ps-1",
            "111122223333/AdministratorAccess",
        ] {
            assert!(pair(bad).is_err(), "{bad}");
        }
    }
}
