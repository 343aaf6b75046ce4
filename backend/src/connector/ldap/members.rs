//! What grants, removals and holdings are made of: the grantee's directory
//! user, a group checked before granting, a member added or taken out, and
//! the login a member value stands for.

use std::collections::{HashMap, HashSet};

use ldap3::{Mod, Scope, ldap_escape};

use super::{
    LdapConnector,
    session::{Session, code, describe_result, values},
    settings::{Membership, parse_dn},
};

/// A directory user: its DN and its `user_attribute` value.
pub(super) struct User {
    pub(super) dn: String,
    pub(super) value: String,
}

impl LdapConnector {
    /// The user whose `user_attribute` is `login`: its DN and the value as
    /// the directory spells it. `None` when there is none.
    pub(super) fn find_user(
        &self,
        session: &mut Session,
        login: &str,
    ) -> Result<Option<User>, String> {
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

    pub(super) fn not_found(&self, login: &str) -> String {
        format!(
            "user {login} not found in the directory ({}={login} under {})",
            self.settings.user_attribute, self.settings.user_base_dn
        )
    }

    /// The group exists and matches `group_filter`.
    pub(super) fn check_group(&self, session: &mut Session, group: &str) -> Result<(), String> {
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
    pub(super) fn member_value(&self, user: &User) -> String {
        match self.membership {
            Membership::Member => user.dn.clone(),
            Membership::MemberUid => user.value.clone(),
        }
    }

    /// Add `value` to `group`; whether it was not there before.
    pub(super) fn add_member(
        &self,
        session: &mut Session,
        group: &str,
        value: &str,
    ) -> Result<bool, String> {
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
    pub(super) fn remove_member(
        &self,
        session: &mut Session,
        group: &str,
        value: &str,
    ) -> Result<(), String> {
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

    /// The login a member value stands for: `memberUid` values are logins;
    /// a DN under `user_base_dn` is its user's `user_attribute` value; any
    /// other DN (a placeholder, a nested group, a user deleted or elsewhere)
    /// stands for itself.
    pub(super) fn login_of_member(
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
        // The entry is read, not guessed from the DN: a member whose user
        // was deleted is held by its DN, not by a login (its removal is done).
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
