//! The LDAP / Active Directory connector: access is membership of a
//! directory group. A grant adds the grantee's directory user to each group
//! approved; removal takes it out again. No credentials are handed out: the
//! grantee signs in to whatever trusts the group with their own account.
//!
//! Resources: `group`, the path is the group's DN and the name its `cn`;
//! the one permission is `member`. Sync lists the groups under
//! `group_base_dn` that match `group_filter`.
//!
//! The grantee is found under `user_base_dn` by `user_attribute` (`uid` by
//! default; `mail`, `sAMAccountName`…) equal to their Gatehouse user name or
//! e-mail address (`user_match`); exactly one entry must match. Membership
//! is either the user's DN in `member` (groupOfNames, Active Directory
//! groups) or, with `membership: memberUid`, the user's `user_attribute`
//! value in `memberUid` (posixGroup).
//!
//! Holdings are every member of the managed groups: a member DN under
//! `user_base_dn` by its user's `user_attribute` value (the login a grant
//! hands out), any other value (a placeholder member, a nested group, a
//! user since deleted) as the group holds it. Active Directory's ranged
//! values (`member;range=0-1499`) are read to the end. When the user is no
//! longer in the directory, a `member` removal is done (no DN resolves to
//! them); a `memberUid` removal still deletes the login.
//!
//! Grants only touch groups under `group_base_dn`; removal works wherever
//! the group is, so that access granted before the base moved still ends.
//! Removal takes the membership away even when someone added it by hand
//! before the grant: the directory cannot tell the two apart.
//!
//! The connection is `ldaps://`, `ldap://` with StartTLS (`start_tls`), or
//! plain `ldap://` (a directory on the same host or a trusted network only).
//! Certificates are checked against Mozilla's roots or the integration's own
//! CA (`ca_cert`, PEM), and must be valid for the URL's host. Each call
//! connects anew (5 s to connect, 10 s for each operation) and binds as
//! `bind_dn` with its password.

use std::{
    collections::{BTreeSet, HashMap, HashSet},
    sync::Arc,
    time::Duration,
};

use ldap3::{
    LdapConn, LdapConnSettings, LdapError, LdapResult, Mod, Scope, SearchEntry, SearchOptions,
    SearchResult,
    adapters::{Adapter, EntriesOnly, PagedResults},
    controls::RawControl,
    ldap_escape,
};
use rustls::pki_types::{CertificateDer, pem::PemObject};
use serde::Deserialize;
use serde_json::Value;

use super::{Connector, Credentials, Discovered, Grant, GrantItem, Holding, Outcome};

const PERMISSIONS: &[&str] = &["member"];
const DEFAULT_GROUP_FILTER: &str =
    "(|(objectClass=groupOfNames)(objectClass=posixGroup)(objectClass=group))";
/// TCP, and TLS or StartTLS when used.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Each operation (bind, search page, modify) once connected.
const OPERATION_TIMEOUT: Duration = Duration::from_secs(10);
/// Entries per page of a paged search (Active Directory's MaxPageSize is 1000).
const PAGE_SIZE: i32 = 500;
/// Active Directory's (and OpenLDAP's) permissive modify: deleting a value
/// that is not there succeeds (Active Directory answers unwillingToPerform
/// without it).
const PERMISSIVE_MODIFY: &str = "1.2.840.113556.1.4.1413";

/// LDAP result codes (RFC 4511, appendix A).
mod code {
    pub const SUCCESS: u32 = 0;
    pub const SIZE_LIMIT_EXCEEDED: u32 = 4;
    pub const NO_SUCH_ATTRIBUTE: u32 = 16;
    pub const ATTRIBUTE_OR_VALUE_EXISTS: u32 = 20;
    pub const NO_SUCH_OBJECT: u32 = 32;
    pub const INVALID_DN_SYNTAX: u32 = 34;
    pub const INVALID_CREDENTIALS: u32 = 49;
    pub const INSUFFICIENT_ACCESS: u32 = 50;
    pub const OBJECT_CLASS_VIOLATION: u32 = 65;
    /// Active Directory's answer to adding a member already there.
    pub const ENTRY_ALREADY_EXISTS: u32 = 68;
}

#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct Settings {
    /// `ldap://host:port` or `ldaps://host:port`.
    url: String,
    bind_dn: String,
    password: String,
    /// Upgrade an `ldap://` connection with StartTLS.
    #[serde(default)]
    start_tls: bool,
    /// The CA that signed the server's certificate (PEM), when it is not one
    /// of Mozilla's roots.
    #[serde(default)]
    ca_cert: Option<String>,
    user_base_dn: String,
    #[serde(default = "default_user_attribute")]
    user_attribute: String,
    /// `username` or `email`: see [`UserMatch`].
    #[serde(default = "default_user_match")]
    user_match: String,
    group_base_dn: String,
    #[serde(default = "default_group_filter")]
    group_filter: String,
    /// `member` or `memberUid`: see [`Membership`].
    #[serde(default = "default_membership")]
    membership: String,
    /// Grant attempts before the request ends Failed (retried with backoff).
    #[serde(default = "grant_attempts")]
    grant_attempts: u32,
}

/// Which of the grantee's fields `user_attribute` is matched with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum UserMatch {
    /// `username`: their Gatehouse user name.
    Username,
    /// `email`: their e-mail address.
    Email,
}

/// How a group holds its members.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Membership {
    /// `member`: the user's DN in `member` (groupOfNames, Active Directory).
    Member,
    /// `memberUid`: the user's `user_attribute` value in `memberUid` (posixGroup).
    MemberUid,
}

impl Membership {
    fn attribute(self) -> &'static str {
        match self {
            Self::Member => "member",
            Self::MemberUid => "memberUid",
        }
    }
}

fn default_user_attribute() -> String {
    "uid".into()
}

fn default_user_match() -> String {
    "username".into()
}

fn default_membership() -> String {
    "member".into()
}

fn default_group_filter() -> String {
    DEFAULT_GROUP_FILTER.into()
}

fn grant_attempts() -> u32 {
    super::GRANT_ATTEMPTS
}

pub struct LdapConnector {
    settings: Settings,
    user_match: UserMatch,
    membership: Membership,
    /// For `ldaps://` and StartTLS; `None` for plain `ldap://`.
    tls: Option<Arc<rustls::ClientConfig>>,
    /// `user_base_dn` and `group_base_dn`, normalised for comparing.
    user_base: Vec<String>,
    group_base: Vec<String>,
}

impl std::fmt::Debug for LdapConnector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let s = &self.settings;
        f.debug_struct("LdapConnector")
            .field("url", &s.url)
            .field("bind_dn", &s.bind_dn)
            .field("password", &"<redacted>")
            .field("start_tls", &s.start_tls)
            .field("user_base_dn", &s.user_base_dn)
            .field("user_attribute", &s.user_attribute)
            .field("group_base_dn", &s.group_base_dn)
            .field("membership", &self.membership.attribute())
            .finish()
    }
}

impl LdapConnector {
    pub fn from_settings(settings: Value) -> Result<Self, String> {
        let mut settings: Settings =
            serde_json::from_value(settings).map_err(|error| format!("LDAP settings: {error}"))?;
        settings.url = settings.url.trim().to_owned();
        let ldaps = check_url(&settings.url).map_err(|error| format!("LDAP settings: {error}"))?;
        if settings.start_tls && ldaps {
            return Err(
                "LDAP settings: start_tls is for ldap:// URLs; ldaps:// is TLS from the start"
                    .into(),
            );
        }
        if !is_dn(&settings.bind_dn) && !is_user_principal(&settings.bind_dn) {
            return Err(format!(
                "LDAP settings: bind_dn {:?} is not a DN (like cn=gatehouse,ou=services,dc=example,dc=com) \
                 nor an Active Directory user@domain name",
                settings.bind_dn
            ));
        }
        if settings.password.is_empty() {
            // A simple bind without a password is an anonymous bind.
            return Err("LDAP settings: password is empty".into());
        }
        let user_base = normalized_dn("user_base_dn", &settings.user_base_dn)?;
        let group_base = normalized_dn("group_base_dn", &settings.group_base_dn)?;
        settings.user_attribute = settings.user_attribute.trim().to_owned();
        if !is_attribute_type(&settings.user_attribute) {
            return Err(format!(
                "LDAP settings: user_attribute {:?} is not an attribute name (like uid, mail or sAMAccountName)",
                settings.user_attribute
            ));
        }
        settings.group_filter = settings.group_filter.trim().to_owned();
        if !settings.group_filter.starts_with('(')
            || ldap3::parse_filter(&settings.group_filter).is_err()
        {
            return Err(format!(
                "LDAP settings: group_filter {:?} is not an LDAP filter (like {DEFAULT_GROUP_FILTER})",
                settings.group_filter
            ));
        }
        let user_match = match settings.user_match.as_str() {
            "username" => UserMatch::Username,
            "email" => UserMatch::Email,
            other => {
                return Err(format!(
                    "LDAP settings: user_match {other:?} is not username or email"
                ));
            }
        };
        let membership = match settings.membership.as_str() {
            "member" => Membership::Member,
            "memberUid" => Membership::MemberUid,
            other => {
                return Err(format!(
                    "LDAP settings: membership {other:?} is not member (groupOfNames, Active \
                     Directory) or memberUid (posixGroup)"
                ));
            }
        };
        if !(1..=20).contains(&settings.grant_attempts) {
            return Err("LDAP settings: grant_attempts must be 1 to 20".into());
        }
        let ca = settings
            .ca_cert
            .as_deref()
            .map(str::trim)
            .filter(|pem| !pem.is_empty());
        let encrypted = ldaps || settings.start_tls;
        if ca.is_some() && !encrypted {
            return Err(
                "LDAP settings: ca_cert is set but the connection is plain text; use ldaps:// or start_tls"
                    .into(),
            );
        }
        let tls = encrypted.then(|| client_config(ca)).transpose()?;
        Ok(Self {
            settings,
            user_match,
            membership,
            tls,
            user_base,
            group_base,
        })
    }

    /// Connect and bind as `bind_dn`.
    fn connect(&self) -> Result<Session, String> {
        let s = &self.settings;
        let mut options = LdapConnSettings::new().set_conn_timeout(CONNECT_TIMEOUT);
        if let Some(tls) = &self.tls {
            options = options.set_config(tls.clone()).set_starttls(s.start_tls);
        }
        let mut conn = LdapConn::with_settings(options, &s.url).map_err(|error| {
            let reason = match error {
                LdapError::Timeout { .. } => {
                    format!("no answer within {} s", CONNECT_TIMEOUT.as_secs())
                }
                other => describe(&other),
            };
            format!("cannot connect to {}: {reason}", s.url)
        })?;
        let bound = conn
            .with_timeout(OPERATION_TIMEOUT)
            .simple_bind(&s.bind_dn, &s.password)
            .map_err(|error| {
                format!(
                    "binding to {} as {}: {}",
                    s.url,
                    s.bind_dn,
                    describe(&error)
                )
            })?;
        match bound.rc {
            code::SUCCESS => Ok(Session { conn }),
            code::INVALID_CREDENTIALS => Err(format!(
                "invalid credentials for {} at {}",
                s.bind_dn, s.url
            )),
            _ => Err(format!(
                "binding to {} as {}: {}",
                s.url,
                s.bind_dn,
                describe_result(&bound)
            )),
        }
    }

    /// The grantee's value for `user_attribute`, as Gatehouse knows it.
    fn matched(&self, grant: &Grant) -> Option<String> {
        match self.user_match {
            UserMatch::Username => Some(grant.grantee_username.clone()),
            UserMatch::Email => grant.grantee_email.clone(),
        }
        .filter(|value| !value.trim().is_empty())
    }

    fn login(&self, grant: &Grant) -> Result<String, String> {
        self.login_of(grant).ok_or_else(|| {
            format!(
                "{} has no e-mail address, and this integration finds directory users by e-mail",
                grant.grantee_username
            )
        })
    }

    /// The user whose `user_attribute` is `login`: its DN and the value as
    /// the directory spells it. `None` when there is none.
    fn find_user(&self, session: &mut Session, login: &str) -> Result<Option<User>, String> {
        let s = &self.settings;
        let attribute = s.user_attribute.as_str();
        let filter = format!("({attribute}={})", ldap_escape(login));
        let (entries, result) = session.search(
            &s.user_base_dn,
            Scope::Subtree,
            &filter,
            &[attribute],
            Some(2),
        )?;
        match result.rc {
            code::SUCCESS | code::SIZE_LIMIT_EXCEEDED => {}
            code::NO_SUCH_OBJECT => {
                return Err(format!(
                    "user_base_dn {} does not exist in the directory",
                    s.user_base_dn
                ));
            }
            _ => {
                return Err(format!(
                    "searching for {filter} under {}: {}",
                    s.user_base_dn,
                    describe_result(&result)
                ));
            }
        }
        match entries.as_slice() {
            [] => Ok(None),
            [entry] => {
                let wanted = login.to_lowercase();
                let value = values(entry, attribute)
                    .iter()
                    .find(|value| value.to_lowercase() == wanted)
                    .cloned()
                    .unwrap_or_else(|| login.to_owned());
                Ok(Some(User {
                    dn: entry.dn.clone(),
                    value,
                }))
            }
            _ => Err(format!(
                "more than one entry under {} has {attribute}={login}; the user must be unique",
                s.user_base_dn
            )),
        }
    }

    fn not_found(&self, login: &str) -> String {
        format!(
            "user {login} not found in the directory ({}={login} under {})",
            self.settings.user_attribute, self.settings.user_base_dn
        )
    }

    /// The group DNs a grant names, each checked: a group under `group_base_dn`.
    fn groups_to_grant<'g>(&self, items: &'g [GrantItem]) -> Result<Vec<&'g str>, String> {
        let mut groups = Vec::new();
        for item in items {
            if item.permission != "member" {
                return Err(format!(
                    "permission {:?} is not one of {PERMISSIONS:?}",
                    item.permission
                ));
            }
            if item.resource_type != "group" {
                return Err(format!(
                    "resource {} is a {:?}; this integration grants groups",
                    item.resource_path, item.resource_type
                ));
            }
            let group = item.resource_path.as_str();
            let parts = parse_dn(group)
                .map_err(|_| format!("resource path {group:?} is not a group's DN"))?;
            if !parts.ends_with(&self.group_base) {
                return Err(format!(
                    "group {group} is not under {} (group_base_dn)",
                    self.settings.group_base_dn
                ));
            }
            if !groups.contains(&group) {
                groups.push(group);
            }
        }
        Ok(groups)
    }

    /// The group exists and matches `group_filter`.
    fn check_group(&self, session: &mut Session, group: &str) -> Result<(), String> {
        let filter = &self.settings.group_filter;
        let (entries, result) = session.search(group, Scope::Base, filter, &["1.1"], None)?;
        match result.rc {
            code::SUCCESS if !entries.is_empty() => Ok(()),
            code::SUCCESS => Err(format!(
                "{group} is not a group: it does not match group_filter {filter}"
            )),
            code::NO_SUCH_OBJECT => Err(format!("group {group} not found")),
            _ => Err(format!(
                "reading group {group}: {}",
                describe_result(&result)
            )),
        }
    }

    /// What goes in the group for `user`.
    fn member_value(&self, user: &User) -> String {
        match self.membership {
            Membership::Member => user.dn.clone(),
            Membership::MemberUid => user.value.clone(),
        }
    }

    /// Add `value` to `group`; whether it was not there before.
    fn add_member(&self, session: &mut Session, group: &str, value: &str) -> Result<bool, String> {
        let attribute = self.membership.attribute();
        let result = session.modify(
            group,
            Mod::Add(attribute.to_owned(), HashSet::from([value.to_owned()])),
            false,
        )?;
        match result.rc {
            code::SUCCESS => Ok(true),
            code::ATTRIBUTE_OR_VALUE_EXISTS | code::ENTRY_ALREADY_EXISTS => Ok(false),
            code::NO_SUCH_OBJECT => Err(format!("group {group} not found")),
            code::INSUFFICIENT_ACCESS => Err(format!(
                "{} may not change {attribute} of {group} (insufficient access rights)",
                self.settings.bind_dn
            )),
            _ => Err(format!(
                "adding {value} to {attribute} of {group}: {}",
                describe_result(&result)
            )),
        }
    }

    /// Take `value` out of `group`; a group without it, or no group, is fine.
    fn remove_member(&self, session: &mut Session, group: &str, value: &str) -> Result<(), String> {
        let attribute = self.membership.attribute();
        let result = session.modify(
            group,
            Mod::Delete(attribute.to_owned(), HashSet::from([value.to_owned()])),
            true,
        )?;
        match result.rc {
            code::SUCCESS | code::NO_SUCH_ATTRIBUTE | code::NO_SUCH_OBJECT => Ok(()),
            code::OBJECT_CLASS_VIOLATION => Err(format!(
                "cannot remove {value} from {group}: it would leave the group without the \
                 {attribute} its object class requires ({})",
                result.text
            )),
            code::INSUFFICIENT_ACCESS => Err(format!(
                "{} may not change {attribute} of {group} (insufficient access rights)",
                self.settings.bind_dn
            )),
            _ => Err(format!(
                "removing {value} from {attribute} of {group}: {}",
                describe_result(&result)
            )),
        }
    }

    fn credentials(&self, grant: &Grant, login: &str, groups: &[&str]) -> Credentials {
        let until = time::OffsetDateTime::from_unix_timestamp(grant.expires_at)
            .ok()
            .and_then(|t| {
                t.format(&time::format_description::well_known::Rfc3339)
                    .ok()
            })
            .map(|t| format!(" until {t}"))
            .unwrap_or_default();
        let (noun, names) = match groups {
            [one] => ("group", (*one).to_owned()),
            many => ("groups", many.join("; ")),
        };
        Credentials {
            username: Some(login.to_owned()),
            secret: None,
            instructions: Some(format!(
                "Your directory account {login} is a member of the {noun} {names}{until}. \
                 Sign in with your own password; systems that read group membership at \
                 sign-in see it after you sign in again."
            )),
            connect: Default::default(),
        }
    }

    /// The login a member value stands for: `memberUid` values are logins;
    /// a DN under `user_base_dn` is its user's `user_attribute` value; any
    /// other DN (a placeholder, a nested group, a user deleted or elsewhere)
    /// stands for itself.
    fn login_of_member(
        &self,
        session: &mut Session,
        value: &str,
        seen: &mut HashMap<String, String>,
    ) -> Result<String, String> {
        if self.membership == Membership::MemberUid {
            return Ok(value.to_owned());
        }
        let Ok(parts) = parse_dn(value) else {
            return Ok(value.to_owned());
        };
        if !parts.ends_with(&self.user_base) {
            return Ok(value.to_owned());
        }
        let key = parts.join(",");
        if let Some(login) = seen.get(&key) {
            return Ok(login.clone());
        }
        let attribute = self.settings.user_attribute.as_str();
        // The login named in the DN itself (`uid=alice,ou=people,…`): no
        // need to read the entry.
        if let Some((name, login)) = value.split(',').next().and_then(|rdn| rdn.split_once('='))
            && name.trim().eq_ignore_ascii_case(attribute)
            && !login.contains(['\\', '+', '"'])
            && !login.trim().is_empty()
        {
            return Ok(login.trim().to_owned());
        }
        let (entries, result) =
            session.search(value, Scope::Base, "(objectClass=*)", &[attribute], None)?;
        let login = match result.rc {
            code::SUCCESS => entries
                .first()
                .and_then(|entry| values(entry, attribute).first().cloned())
                .unwrap_or_else(|| value.to_owned()),
            code::NO_SUCH_OBJECT | code::INVALID_DN_SYNTAX => value.to_owned(),
            _ => {
                return Err(format!("reading {value}: {}", describe_result(&result)));
            }
        };
        seen.insert(key, login.clone());
        Ok(login)
    }
}

/// A directory user: its DN and its `user_attribute` value.
struct User {
    dn: String,
    value: String,
}

impl Connector for LdapConnector {
    fn grant(&self, grant: &Grant) -> Result<Outcome, String> {
        let login = self.login(grant)?;
        let groups = self.groups_to_grant(&grant.items)?;
        let mut session = self.connect()?;
        let user = self
            .find_user(&mut session, &login)?
            .ok_or_else(|| self.not_found(&login))?;
        // Check every group before touching any.
        for group in &groups {
            self.check_group(&mut session, group)?;
        }
        let value = self.member_value(&user);
        let mut added = Vec::new();
        for group in &groups {
            match self.add_member(&mut session, group, &value) {
                Ok(true) => added.push(*group),
                Ok(false) => {}
                Err(reason) => {
                    // Leave nothing half-granted behind.
                    for group in added {
                        if let Err(cleanup) = self.remove_member(&mut session, group, &value) {
                            tracing::warn!(request = grant.request_id, %cleanup, "undoing a failed LDAP grant failed");
                        }
                    }
                    return Err(reason);
                }
            }
        }
        Ok(Outcome::Done(self.credentials(grant, &user.value, &groups)))
    }

    fn revoke(&self, grant: &Grant) -> Result<Outcome, String> {
        let login = self.login(grant)?;
        let mut session = self.connect()?;
        let user = self.find_user(&mut session, &login)?;
        let value = match (self.membership, user) {
            (_, Some(user)) => self.member_value(&user),
            // A memberUid value is the login itself, whether or not the user is still there.
            (Membership::MemberUid, None) => login,
            // No DN resolves to a user who is gone: nothing to remove.
            (Membership::Member, None) => return Ok(Outcome::Done(Credentials::default())),
        };
        let mut groups = BTreeSet::new();
        for item in &grant.items {
            let group = item.resource_path.as_str();
            if parse_dn(group).is_err() {
                // Not a DN: nothing can be held there.
                tracing::warn!(request = grant.request_id, %group, "LDAP removal skips a path that is not a DN");
                continue;
            }
            if groups.insert(group) {
                self.remove_member(&mut session, group, &value)?;
            }
        }
        Ok(Outcome::Done(Credentials::default()))
    }

    fn check(&self) -> Result<String, String> {
        let s = &self.settings;
        let mut session = self.connect()?;
        let (_, result) = session.search(
            &s.user_base_dn,
            Scope::Base,
            "(objectClass=*)",
            &["1.1"],
            None,
        )?;
        match result.rc {
            code::SUCCESS => {}
            code::NO_SUCH_OBJECT => {
                return Err(format!(
                    "Connected as {}, but user_base_dn {} does not exist.",
                    s.bind_dn, s.user_base_dn
                ));
            }
            _ => {
                return Err(format!(
                    "Connected as {}, but reading user_base_dn {} failed: {}",
                    s.bind_dn,
                    s.user_base_dn,
                    describe_result(&result)
                ));
            }
        }
        let groups = session
            .paged(&s.group_base_dn, &s.group_filter, &["1.1"])
            .map_err(|error| match error {
                Paged::NoBase => format!(
                    "Connected as {}, but group_base_dn {} does not exist.",
                    s.bind_dn, s.group_base_dn
                ),
                Paged::Failed(reason) => format!(
                    "Connected as {}, but searching {} failed: {reason}",
                    s.bind_dn, s.group_base_dn
                ),
            })?;
        let count = match groups.len() {
            1 => "1 group".to_owned(),
            n => format!("{n} groups"),
        };
        Ok(format!(
            "Connected to {} as {}; {count} under {}.",
            s.url, s.bind_dn, s.group_base_dn
        ))
    }

    fn discover(&self) -> Result<Vec<Discovered>, String> {
        let s = &self.settings;
        let mut session = self.connect()?;
        let entries = session
            .paged(&s.group_base_dn, &s.group_filter, &["cn"])
            .map_err(|error| match error {
                Paged::NoBase => format!("group_base_dn {} does not exist", s.group_base_dn),
                Paged::Failed(reason) => format!("searching {}: {reason}", s.group_base_dn),
            })?;
        let mut found: Vec<Discovered> = entries
            .into_iter()
            .map(|entry| Discovered {
                resource_type: "group",
                name: values(&entry, "cn")
                    .first()
                    .cloned()
                    .unwrap_or_else(|| entry.dn.clone()),
                path: entry.dn,
                permissions: PERMISSIONS,
            })
            .collect();
        found.sort_by(|a, b| (&a.name, &a.path).cmp(&(&b.name, &b.path)));
        Ok(found)
    }

    /// Every member of the managed groups, by login where it is a user
    /// under `user_base_dn`, else by the value the group holds.
    fn holdings(&self, resources: &[String]) -> Result<Option<Vec<Holding>>, String> {
        let mut session = self.connect()?;
        let attribute = self.membership.attribute();
        let mut seen = HashMap::new();
        let mut found = BTreeSet::new();
        for group in resources {
            if parse_dn(group).is_err() {
                // Not a DN: nothing can be held there.
                continue;
            }
            let Some(members) = session.member_values(group, attribute)? else {
                continue;
            };
            for value in &members {
                let login = self.login_of_member(&mut session, value, &mut seen)?;
                found.insert(Holding {
                    login,
                    resource_path: group.clone(),
                    permission: Some("member".into()),
                });
            }
        }
        Ok(Some(found.into_iter().collect()))
    }

    /// Take a member out of a group (drift, when enforcing): a user found
    /// by the login, else the value as the group holds it.
    fn remove_holding(&self, holding: &Holding) -> Result<(), String> {
        let mut session = self.connect()?;
        let value = match self.find_user(&mut session, &holding.login)? {
            Some(user) => self.member_value(&user),
            None => holding.login.clone(),
        };
        self.remove_member(&mut session, &holding.resource_path, &value)
    }

    fn login_of(&self, grant: &Grant) -> Option<String> {
        grant.login.clone().or_else(|| self.matched(grant))
    }

    fn grant_attempts(&self) -> u32 {
        self.settings.grant_attempts
    }
}

/// One bound connection; every operation has [`OPERATION_TIMEOUT`].
struct Session {
    conn: LdapConn,
}

/// Why a paged search found nothing to list.
enum Paged {
    /// The base DN does not exist.
    NoBase,
    Failed(String),
}

impl Session {
    fn search(
        &mut self,
        base: &str,
        scope: Scope,
        filter: &str,
        attributes: &[&str],
        size_limit: Option<i32>,
    ) -> Result<(Vec<SearchEntry>, LdapResult), String> {
        if let Some(limit) = size_limit {
            self.conn
                .with_search_options(SearchOptions::new().sizelimit(limit));
        }
        let SearchResult(entries, result) = self
            .conn
            .with_timeout(OPERATION_TIMEOUT)
            .search(base, scope, filter, attributes.to_vec())
            .map_err(|error| describe(&error))?;
        Ok((
            entries.into_iter().map(SearchEntry::construct).collect(),
            result,
        ))
    }

    /// Every entry under `base` matching `filter`, a page at a time (no
    /// server size limit applies to the whole).
    fn paged(
        &mut self,
        base: &str,
        filter: &str,
        attributes: &[&str],
    ) -> Result<Vec<SearchEntry>, Paged> {
        let attributes: Vec<String> = attributes.iter().map(|a| (*a).to_owned()).collect();
        let adapters: Vec<Box<dyn Adapter<'_, String, Vec<String>>>> = vec![
            Box::new(EntriesOnly::new()),
            Box::new(PagedResults::new(PAGE_SIZE)),
        ];
        let mut stream = self
            .conn
            .with_timeout(OPERATION_TIMEOUT)
            .streaming_search_with(adapters, base, Scope::Subtree, filter, attributes)
            .map_err(|error| Paged::Failed(describe(&error)))?;
        let mut entries = Vec::new();
        while let Some(entry) = stream
            .next()
            .map_err(|error| Paged::Failed(describe(&error)))?
        {
            entries.push(SearchEntry::construct(entry));
        }
        let result = stream.result();
        match result.rc {
            code::SUCCESS => Ok(entries),
            code::NO_SUCH_OBJECT => Err(Paged::NoBase),
            _ => Err(Paged::Failed(describe_result(&result))),
        }
    }

    /// Every value of `attribute` in the entry `dn`; `None` when there is
    /// no such entry. Active Directory hands out large groups' members a
    /// range at a time (`member;range=0-1499`): the rest is asked for until
    /// the last range (`…-*`).
    fn member_values(&mut self, dn: &str, attribute: &str) -> Result<Option<Vec<String>>, String> {
        let mut all = Vec::new();
        let mut asked = attribute.to_owned();
        loop {
            let (entries, result) =
                self.search(dn, Scope::Base, "(objectClass=*)", &[&asked], None)?;
            match result.rc {
                code::SUCCESS => {}
                code::NO_SUCH_OBJECT | code::INVALID_DN_SYNTAX => return Ok(None),
                _ => {
                    return Err(format!(
                        "reading the members of {dn}: {}",
                        describe_result(&result)
                    ));
                }
            }
            let Some(entry) = entries.first() else {
                return Ok(None);
            };
            let ranged = entry
                .attrs
                .iter()
                .find_map(|(name, values)| Some((next_range(name, attribute)?, values)));
            match ranged {
                None => {
                    all.extend(values(entry, attribute).iter().cloned());
                    return Ok(Some(all));
                }
                Some((next, values)) => {
                    all.extend(values.iter().cloned());
                    match next {
                        Some(next) if !values.is_empty() => {
                            asked = format!("{attribute};range={next}-*");
                        }
                        _ => return Ok(Some(all)),
                    }
                }
            }
        }
    }

    /// One modification; `permissive`: Active Directory's permissive modify.
    fn modify(
        &mut self,
        dn: &str,
        change: Mod<String>,
        permissive: bool,
    ) -> Result<LdapResult, String> {
        if permissive {
            self.conn.with_controls(RawControl {
                ctype: PERMISSIVE_MODIFY.into(),
                crit: false,
                val: None,
            });
        }
        self.conn
            .with_timeout(OPERATION_TIMEOUT)
            .modify(dn, vec![change])
            .map_err(|error| describe(&error))
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        let _ = self.conn.unbind();
    }
}

/// The values of `attribute` in `entry` (attribute names are case-insensitive;
/// the server answers with its own spelling).
fn values<'e>(entry: &'e SearchEntry, attribute: &str) -> &'e [String] {
    entry
        .attrs
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case(attribute))
        .map(|(_, values)| values.as_slice())
        .unwrap_or(&[])
}

/// For an attribute handed out a range at a time (`member;range=0-1499`):
/// `Some` with where the next range starts, or `Some(None)` after the last
/// (`member;range=1500-*`). `None` for any other attribute.
fn next_range(name: &str, attribute: &str) -> Option<Option<u64>> {
    let (base, option) = name.split_once(';')?;
    if !base.eq_ignore_ascii_case(attribute) {
        return None;
    }
    let range = option
        .get(..6)
        .filter(|prefix| prefix.eq_ignore_ascii_case("range="))
        .map(|_| &option[6..])?;
    let (_, end) = range.split_once('-')?;
    if end == "*" {
        return Some(None);
    }
    end.parse::<u64>().ok().map(|end| Some(end + 1))
}

/// Check an `ldap://` or `ldaps://` URL naming a host (and port) only;
/// whether it is `ldaps://`.
fn check_url(url: &str) -> Result<bool, String> {
    let example = "like ldaps://ldap.example.com:636";
    let lower = url.to_ascii_lowercase();
    let (ldaps, rest) = if lower.starts_with("ldaps://") {
        (true, &url["ldaps://".len()..])
    } else if lower.starts_with("ldap://") {
        (false, &url["ldap://".len()..])
    } else {
        return Err(format!(
            "url {url:?} must start with ldap:// or ldaps:// ({example})"
        ));
    };
    let authority = rest.strip_suffix('/').unwrap_or(rest);
    if authority.is_empty() {
        return Err(format!("url {url:?} names no host ({example})"));
    }
    if authority
        .chars()
        .any(|c| "/?#@ \\".contains(c) || c.is_control())
    {
        return Err(format!(
            "url {url:?} must be the scheme, host and port only ({example})"
        ));
    }
    let (host, port) = match authority.strip_prefix('[') {
        Some(bracketed) => match bracketed.split_once(']') {
            Some((host, "")) => (host, None),
            Some((host, rest)) => match rest.strip_prefix(':') {
                Some(port) => (host, Some(port)),
                None => return Err(format!("url {url:?} has a malformed host")),
            },
            None => return Err(format!("url {url:?} has a malformed host")),
        },
        None => match authority.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        },
    };
    if host.is_empty() || host.contains(['[', ']']) {
        return Err(format!("url {url:?} has a malformed host"));
    }
    if let Some(port) = port
        && !port.parse::<u16>().is_ok_and(|p| p != 0)
    {
        return Err(format!("url {url:?} has an invalid port {port:?}"));
    }
    Ok(ldaps)
}

/// The RDNs of a DN (RFC 4514: `attr=value` parts separated by commas,
/// `+` within a multi-valued RDN, `\` escapes), normalised for comparing:
/// lower case, without the spaces around separators.
fn parse_dn(dn: &str) -> Result<Vec<String>, ()> {
    let mut rdns = Vec::new();
    let mut rdn: Vec<String> = Vec::new();
    let mut current = String::new();
    // How much of `current` ends with an escape (spaces before it stay).
    let mut escaped = 0;
    let mut chars = dn.trim().chars();
    let mut finish =
        |current: &mut String, escaped: &mut usize, rdn: &mut Vec<String>, end_of_rdn: bool| {
            let part = std::mem::take(current);
            let keep = std::mem::take(escaped);
            let equals = part.find('=').ok_or(())?;
            let attribute = part[..equals].trim();
            let raw = &part[equals + 1..];
            let end = raw
                .trim_end_matches(' ')
                .len()
                .max(keep.saturating_sub(equals + 1));
            let value = raw[..end].trim_start();
            if !is_attribute_type(attribute) || value.is_empty() {
                return Err(());
            }
            rdn.push(format!(
                "{}={}",
                attribute.to_lowercase(),
                value.to_lowercase()
            ));
            if end_of_rdn {
                rdn.sort();
                rdns.push(rdn.join("+"));
                rdn.clear();
            }
            Ok(())
        };
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                let next = chars.next().ok_or(())?;
                current.push('\\');
                current.push(next);
                if next.is_ascii_hexdigit() {
                    let second = chars.next().filter(char::is_ascii_hexdigit).ok_or(())?;
                    current.push(second);
                }
                escaped = current.len();
            }
            ',' | ';' => finish(&mut current, &mut escaped, &mut rdn, true)?,
            '+' => finish(&mut current, &mut escaped, &mut rdn, false)?,
            '"' | '<' | '>' | '\0' => return Err(()),
            c => current.push(c),
        }
    }
    finish(&mut current, &mut escaped, &mut rdn, true)?;
    Ok(rdns)
}

fn is_dn(dn: &str) -> bool {
    parse_dn(dn).is_ok()
}

/// `dn` normalised, or an error naming `field`.
fn normalized_dn(field: &str, dn: &str) -> Result<Vec<String>, String> {
    parse_dn(dn).map_err(|()| {
        format!(
            "LDAP settings: {field} {dn:?} is not a DN (attr=value parts separated by commas, \
             like ou=groups,dc=example,dc=com)"
        )
    })
}

/// `user@domain`, as Active Directory takes for a simple bind.
fn is_user_principal(name: &str) -> bool {
    name.split_once('@').is_some_and(|(user, domain)| {
        !user.is_empty()
            && domain.contains('.')
            && !name.chars().any(|c| c.is_whitespace() || c.is_control())
            && !domain.contains('@')
    })
}

/// An attribute name (`uid`, `sAMAccountName`) or numeric OID.
fn is_attribute_type(name: &str) -> bool {
    let mut chars = name.chars();
    match chars.next() {
        Some(first) if first.is_ascii_alphabetic() => {
            chars.all(|c| c.is_ascii_alphanumeric() || c == '-')
        }
        Some(first) if first.is_ascii_digit() => {
            !name.ends_with('.')
                && !name.contains("..")
                && name.chars().all(|c| c.is_ascii_digit() || c == '.')
        }
        _ => false,
    }
}

/// The TLS side: rustls (ring), trusting Mozilla's roots, or only the given
/// CA when there is one.
fn client_config(ca_cert: Option<&str>) -> Result<Arc<rustls::ClientConfig>, String> {
    const NOT_PEM: &str = "LDAP settings: ca_cert is not a PEM certificate";
    let mut roots = rustls::RootCertStore::empty();
    match ca_cert {
        Some(pem) => {
            let certificates = CertificateDer::pem_slice_iter(pem.as_bytes())
                .collect::<Result<Vec<_>, _>>()
                .map_err(|_| NOT_PEM.to_owned())?;
            if certificates.is_empty() {
                return Err("LDAP settings: ca_cert holds no certificate".into());
            }
            for certificate in certificates {
                roots.add(certificate).map_err(|_| NOT_PEM.to_owned())?;
            }
        }
        None => roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned()),
    }
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|error| format!("TLS: {error}"))?
    .with_root_certificates(roots)
    .with_no_client_auth();
    Ok(Arc::new(config))
}

/// The driver's error, with its causes, in words.
fn describe(error: &LdapError) -> String {
    match error {
        LdapError::LdapResult { result } => describe_result(result),
        LdapError::Timeout { .. } => {
            format!("no answer within {} s", OPERATION_TIMEOUT.as_secs())
        }
        LdapError::OpSend { .. } | LdapError::ResultRecv { .. } | LdapError::IdScrubSend { .. } => {
            "the server closed the connection".into()
        }
        LdapError::Io { source } => {
            match source
                .get_ref()
                .and_then(|inner| inner.downcast_ref::<rustls::Error>())
            {
                Some(rustls::Error::InvalidCertificate(
                    rustls::CertificateError::UnknownIssuer,
                )) => "TLS: the server's certificate is not signed by a CA this integration \
                     trusts (ca_cert when set, else Mozilla's roots)"
                    .into(),
                Some(tls) => format!("TLS: {tls}"),
                None => source.to_string(),
            }
        }
        other => {
            let mut text = other.to_string();
            let mut cause = std::error::Error::source(other);
            while let Some(inner) = cause {
                let more = inner.to_string();
                if !text.contains(&more) {
                    text.push_str(&format!(": {more}"));
                }
                cause = inner.source();
            }
            text
        }
    }
}

/// A result code by its name, with the server's message.
fn describe_result(result: &LdapResult) -> String {
    let name = match result.rc {
        1 => "operationsError",
        2 => "protocolError",
        3 => "timeLimitExceeded",
        4 => "sizeLimitExceeded",
        7 => "authMethodNotSupported",
        8 => "strongerAuthRequired",
        10 => "referral",
        11 => "adminLimitExceeded",
        12 => "unavailableCriticalExtension",
        13 => "confidentialityRequired",
        16 => "noSuchAttribute",
        17 => "undefinedAttributeType",
        18 => "inappropriateMatching",
        19 => "constraintViolation",
        20 => "attributeOrValueExists",
        21 => "invalidAttributeSyntax",
        32 => "noSuchObject",
        34 => "invalidDNSyntax",
        48 => "inappropriateAuthentication",
        49 => "invalidCredentials",
        50 => "insufficientAccessRights",
        51 => "busy",
        52 => "unavailable",
        53 => "unwillingToPerform",
        64 => "namingViolation",
        65 => "objectClassViolation",
        68 => "entryAlreadyExists",
        80 => "other",
        _ => "error",
    };
    let text = result.text.trim();
    if text.is_empty() {
        format!("{name} (result code {})", result.rc)
    } else {
        format!("{name} (result code {}): {text}", result.rc)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn settings() -> Value {
        json!({
            "url": "ldap://ldap.example.com:389",
            "bind_dn": "cn=admin,dc=example,dc=com",
            "password": "pw",
            "user_base_dn": "ou=people,dc=example,dc=com",
            "group_base_dn": "ou=groups,dc=example,dc=com",
        })
    }

    fn with(change: impl FnOnce(&mut Value)) -> Result<LdapConnector, String> {
        let mut value = settings();
        change(&mut value);
        LdapConnector::from_settings(value)
    }

    #[test]
    fn defaults_are_uid_member_and_the_usual_group_classes() {
        let connector = with(|_| {}).unwrap();
        let s = &connector.settings;
        assert_eq!(s.user_attribute, "uid");
        assert_eq!(connector.user_match, UserMatch::Username);
        assert_eq!(connector.membership, Membership::Member);
        assert_eq!(s.group_filter, DEFAULT_GROUP_FILTER);
        assert_eq!(connector.grant_attempts(), super::super::GRANT_ATTEMPTS);
        assert!(connector.tls.is_none());
        let debug = format!("{connector:?}");
        assert!(!debug.contains("\"pw\""), "{debug}");
    }

    #[test]
    fn urls_are_ldap_or_ldaps_with_a_host() {
        assert_eq!(check_url("ldap://h"), Ok(false));
        assert_eq!(check_url("ldaps://h.example.com:636/"), Ok(true));
        assert_eq!(check_url("LDAPS://[::1]:636"), Ok(true));
        for bad in [
            "http://h",
            "ldapi:///run/slapd.sock",
            "ldap://",
            "ldap://h:0",
            "ldap://h:99999",
            "ldap://h/dc=example",
            "ldap://u@h",
            "ldap://h:389:1",
            "h:389",
        ] {
            assert!(check_url(bad).is_err(), "{bad}");
        }
        let error = with(|s| s["url"] = "https://x".into()).unwrap_err();
        assert!(error.contains("ldap:// or ldaps://"), "{error}");
    }

    #[test]
    fn start_tls_is_not_for_ldaps_and_a_ca_needs_tls() {
        let error = with(|s| {
            s["url"] = "ldaps://h".into();
            s["start_tls"] = true.into();
        })
        .unwrap_err();
        assert!(error.contains("start_tls"), "{error}");
        assert!(
            with(|s| s["start_tls"] = true.into())
                .unwrap()
                .tls
                .is_some()
        );
        let error = with(|s| s["ca_cert"] = "-----BEGIN CERTIFICATE-----".into()).unwrap_err();
        assert!(error.contains("plain text"), "{error}");
        let error = with(|s| {
            s["url"] = "ldaps://h".into();
            s["ca_cert"] = "not a certificate".into();
        })
        .unwrap_err();
        assert!(error.contains("ca_cert"), "{error}");
    }

    #[test]
    fn dns_are_checked_and_compared_loosely() {
        assert_eq!(
            parse_dn("CN=Ops, OU=Groups,dc=Example,DC=com").unwrap(),
            ["cn=ops", "ou=groups", "dc=example", "dc=com"]
        );
        assert_eq!(
            parse_dn(r"cn=Smith\, John+uid=js,ou=people").unwrap(),
            [r"cn=smith\, john+uid=js", "ou=people"]
        );
        assert!(parse_dn(r"cn=a\2Cb,dc=x").is_ok());
        assert!(parse_dn("1.2.3=x").is_ok());
        for bad in [
            "",
            "   ",
            "example.com",
            "cn=",
            "=x",
            "cn=a,,dc=x",
            "cn=a,",
            "c n=a",
            r"cn=a\",
            r"cn=a\2",
            "cn=\"quoted\"",
            "1.=x",
        ] {
            assert!(parse_dn(bad).is_err(), "{bad:?}");
        }
        let error = with(|s| s["group_base_dn"] = "groups".into()).unwrap_err();
        assert!(error.contains("group_base_dn"), "{error}");
        let error = with(|s| s["user_base_dn"] = "".into()).unwrap_err();
        assert!(error.contains("user_base_dn"), "{error}");
        let error = with(|s| s["bind_dn"] = "admin".into()).unwrap_err();
        assert!(error.contains("bind_dn"), "{error}");
        assert!(with(|s| s["bind_dn"] = "gatehouse@corp.example.com".into()).is_ok());
    }

    #[test]
    fn other_settings_are_checked() {
        let error = with(|s| s["colour"] = "blue".into()).unwrap_err();
        assert!(error.contains("unknown field"), "{error}");
        let error = with(|s| s["user_attribute"] = "uid)(x=*".into()).unwrap_err();
        assert!(error.contains("user_attribute"), "{error}");
        assert!(with(|s| s["user_attribute"] = "sAMAccountName".into()).is_ok());
        let error = with(|s| s["group_filter"] = "objectClass=group".into()).unwrap_err();
        assert!(error.contains("group_filter"), "{error}");
        let error = with(|s| s["group_filter"] = "(cn=a".into()).unwrap_err();
        assert!(error.contains("group_filter"), "{error}");
        let error = with(|s| s["membership"] = "uniqueMember".into()).unwrap_err();
        assert!(error.contains("membership"), "{error}");
        assert!(with(|s| s["membership"] = "memberUid".into()).is_ok());
        let error = with(|s| s["user_match"] = "phone".into()).unwrap_err();
        assert!(error.contains("user_match"), "{error}");
        let error = with(|s| s["grant_attempts"] = 0.into()).unwrap_err();
        assert!(error.contains("grant_attempts"), "{error}");
        let error = with(|s| s["password"] = "".into()).unwrap_err();
        assert!(error.contains("password"), "{error}");
        let error = with(|s| {
            s.as_object_mut().unwrap().remove("group_base_dn");
        })
        .unwrap_err();
        assert!(error.contains("group_base_dn"), "{error}");
    }

    #[test]
    fn the_login_is_the_matched_field_unless_the_grant_has_one() {
        let mut grant = Grant {
            request_id: 1,
            integration_id: 2,
            integration_name: "directory".into(),
            integration_kind: "ldap".into(),
            grantee_username: "alice".into(),
            grantee_email: Some("alice@example.com".into()),
            expires_at: 0,
            login: None,
            items: vec![],
        };
        let by_name = with(|_| {}).unwrap();
        let by_mail = with(|s| {
            s["user_match"] = "email".into();
            s["user_attribute"] = "mail".into();
        })
        .unwrap();
        assert_eq!(by_name.login_of(&grant).as_deref(), Some("alice"));
        assert_eq!(
            by_mail.login_of(&grant).as_deref(),
            Some("alice@example.com")
        );
        grant.grantee_email = None;
        assert_eq!(by_mail.login_of(&grant), None);
        assert!(by_mail.login(&grant).unwrap_err().contains("e-mail"));
        grant.login = Some("Alice".into());
        assert_eq!(by_mail.login_of(&grant).as_deref(), Some("Alice"));
    }

    #[test]
    fn grants_stay_under_the_group_base() {
        let connector = with(|_| {}).unwrap();
        let item = |path: &str, permission: &str| GrantItem {
            resource_type: "group".into(),
            resource_path: path.into(),
            permission: permission.into(),
        };
        let items = [
            item("cn=ops,ou=groups,dc=example,dc=com", "member"),
            item("CN=dba, OU=Groups, DC=example, DC=com", "member"),
        ];
        assert_eq!(connector.groups_to_grant(&items).unwrap().len(), 2);
        let outside = [item("cn=admins,ou=system,dc=example,dc=com", "member")];
        let error = connector.groups_to_grant(&outside).unwrap_err();
        assert!(error.contains("not under"), "{error}");
        let wrong = [item("cn=ops,ou=groups,dc=example,dc=com", "owner")];
        assert!(connector.groups_to_grant(&wrong).is_err());
    }

    #[test]
    fn ranged_values_are_followed_to_the_last_range() {
        assert_eq!(
            next_range("member;range=0-1499", "member"),
            Some(Some(1500))
        );
        assert_eq!(next_range("Member;Range=1500-*", "member"), Some(None));
        assert_eq!(next_range("member", "member"), None);
        assert_eq!(next_range("memberUid;range=0-9", "member"), None);
        assert_eq!(next_range("member;binary", "member"), None);
        assert_eq!(next_range("member;range=0-x", "member"), None);
    }

    #[test]
    fn results_are_named() {
        let result = LdapResult {
            rc: 50,
            matched: String::new(),
            text: "no write access to parent".into(),
            refs: vec![],
            ctrls: vec![],
        };
        assert_eq!(
            describe_result(&result),
            "insufficientAccessRights (result code 50): no write access to parent"
        );
    }
}
