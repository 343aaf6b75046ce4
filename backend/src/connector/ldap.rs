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

mod members;
mod session;
mod settings;

use std::{
    collections::{BTreeSet, HashMap},
    sync::Arc,
};

use ldap3::Scope;

use super::{Connector, Credentials, Discovered, Grant, GrantItem, Holding, Outcome};
use session::{Paged, code, describe_result, values};
use settings::{Membership, Settings, UserMatch, parse_dn};

const PERMISSIONS: &[&str] = &["member"];

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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

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
}
