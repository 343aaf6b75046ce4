//! The LDAP connector's settings, checked when the integration is saved:
//! the defaults, URLs, DNs and attribute names, and the TLS client
//! configuration.

use std::sync::Arc;

use serde::Deserialize;
use serde_json::Value;

use super::LdapConnector;

const DEFAULT_GROUP_FILTER: &str =
    "(|(objectClass=groupOfNames)(objectClass=posixGroup)(objectClass=group))";

#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Settings {
    /// `ldap://host:port` or `ldaps://host:port`.
    pub(super) url: String,
    pub(super) bind_dn: String,
    pub(super) password: String,
    /// Upgrade an `ldap://` connection with StartTLS.
    #[serde(default)]
    pub(super) start_tls: bool,
    /// The CA that signed the server's certificate (PEM), when it is not one
    /// of Mozilla's roots.
    #[serde(default)]
    ca_cert: Option<String>,
    pub(super) user_base_dn: String,
    #[serde(default = "default_user_attribute")]
    pub(super) user_attribute: String,
    /// `username` or `email`: see [`UserMatch`].
    #[serde(default = "default_user_match")]
    user_match: String,
    pub(super) group_base_dn: String,
    #[serde(default = "default_group_filter")]
    pub(super) group_filter: String,
    /// `member` or `memberUid`: see [`Membership`].
    #[serde(default = "default_membership")]
    membership: String,
    /// Grant attempts before the request ends Failed (retried with backoff).
    #[serde(default = "grant_attempts")]
    pub(super) grant_attempts: u32,
}

/// Which of the grantee's fields `user_attribute` is matched with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum UserMatch {
    /// `username`: their Gatehouse user name.
    Username,
    /// `email`: their e-mail address.
    Email,
}

/// How a group holds its members.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Membership {
    /// `member`: the user's DN in `member` (groupOfNames, Active Directory).
    Member,
    /// `memberUid`: the user's `user_attribute` value in `memberUid` (posixGroup).
    MemberUid,
}

impl Membership {
    pub(super) fn attribute(self) -> &'static str {
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
    crate::connector::GRANT_ATTEMPTS
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
pub(super) fn parse_dn(dn: &str) -> Result<Vec<String>, ()> {
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
    super::super::tls_client(ca_cert, "LDAP settings: ca_cert").map(Arc::new)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::connector::Connector;
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
        assert_eq!(connector.grant_attempts(), crate::connector::GRANT_ATTEMPTS);
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
}
