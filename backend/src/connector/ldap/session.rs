//! One bound connection to the directory: connecting and binding, searches
//! (paged, and Active Directory's ranged values), modifications, and the
//! driver's errors and result codes in words.

use std::time::Duration;

use ldap3::{
    LdapConn, LdapConnSettings, LdapError, LdapResult, Mod, Scope, SearchEntry, SearchOptions,
    SearchResult,
    adapters::{Adapter, EntriesOnly, PagedResults},
    controls::RawControl,
};

use super::LdapConnector;

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
pub(super) mod code {
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

impl LdapConnector {
    /// Connect and bind as `bind_dn`.
    pub(super) fn connect(&self) -> Result<Session, String> {
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
}

/// One bound connection; every operation has [`OPERATION_TIMEOUT`].
pub(super) struct Session {
    conn: LdapConn,
}

/// Why a paged search found nothing to list.
pub(super) enum Paged {
    /// The base DN does not exist.
    NoBase,
    Failed(String),
}

impl Session {
    pub(super) fn search(
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
    pub(super) fn paged(
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
    pub(super) fn member_values(
        &mut self,
        dn: &str,
        attribute: &str,
    ) -> Result<Option<Vec<String>>, String> {
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
    pub(super) fn modify(
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
pub(super) fn values<'e>(entry: &'e SearchEntry, attribute: &str) -> &'e [String] {
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
pub(super) fn describe_result(result: &LdapResult) -> String {
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
