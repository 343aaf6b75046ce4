//! Admin → Integrations: the connector kinds, the settings each one takes
//! (as form fields), how the form's values become the settings object, and
//! what each connector's own account in the target system needs.

use crate::admin_page::split_list;

/// The connectors that grant access, as (value, label).
pub const CONNECTORS: [(&str, &str); 9] = [
    ("demo", "Demo (grants nothing real)"),
    ("postgresql", "PostgreSQL roles"),
    ("mysql", "MySQL / MariaDB users"),
    ("ldap", "LDAP / Active Directory groups"),
    ("ssh", "SSH certificates"),
    ("aws_identity_center", "AWS IAM Identity Center"),
    ("aws_role", "AWS IAM roles (temporary keys)"),
    ("webhook", "Webhook"),
    ("manual", "Manual (a person fulfils)"),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Setting {
    Text,
    Number,
    /// Never shown back: empty keeps what is saved.
    Secret,
    /// Comma-separated in the form, a list in the settings.
    List,
    /// Several lines (a PEM certificate).
    Lines,
    /// Yes or no (a checkbox), a JSON bool; unchecked is left out (no).
    Flag,
    /// One of (value, label); the empty choice, named `none`, keeps the default.
    Choice {
        choices: &'static [(&'static str, &'static str)],
        none: &'static str,
    },
}

/// One field of the form: the settings key it fills, for which connectors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SettingRow {
    /// The connectors that take this setting.
    pub owners: &'static [&'static str],
    pub key: &'static str,
    pub label: &'static str,
    /// The input's id (unique in the form).
    pub input: &'static str,
    pub kind: Setting,
    pub hint: &'static str,
}

impl SettingRow {
    pub fn belongs_to(&self, connector: &str) -> bool {
        self.owners.contains(&connector)
    }
}

mod privilege;
mod rows;

pub use privilege::least_privilege;
pub use rows::{DRIFT_CONNECTORS, SETTINGS};

/// The settings object of `connector` from the form's values (empty ones
/// left out, so defaults apply and saved secrets stay).
pub fn settings_of(connector: &str, values: &[String]) -> Result<serde_json::Value, String> {
    let mut settings = serde_json::Map::new();
    for (row, value) in SETTINGS.iter().zip(values) {
        let value = value.trim();
        if !row.belongs_to(connector) || value.is_empty() {
            continue;
        }
        let json = match row.kind {
            Setting::Number => value
                .parse::<u64>()
                .map(serde_json::Value::from)
                .map_err(|_| format!("{} is a whole number.", row.label))?,
            Setting::List => serde_json::Value::from(split_list(value)),
            Setting::Flag if value == "true" => serde_json::Value::Bool(true),
            Setting::Flag => continue,
            Setting::Text | Setting::Secret | Setting::Lines | Setting::Choice { .. } => {
                serde_json::Value::from(value)
            }
        };
        settings.insert(row.key.to_owned(), json);
    }
    Ok(serde_json::Value::Object(settings))
}

/// The field a refusal of `connector`'s settings is about (its input id):
/// the setting whose key the message names first, as a word ("LDAP
/// settings: bind_dn … is not a DN"), or whose label starts it (the form's
/// own "Port is a whole number."). None when it names none, or lists them
/// all (an unknown field).
pub fn named_setting(connector: &str, message: &str) -> Option<&'static str> {
    if message.contains("unknown field") {
        return None;
    }
    let rows = || SETTINGS.iter().filter(|row| row.belongs_to(connector));
    if let Some(row) = rows().find(|row| {
        message
            .strip_prefix(row.label)
            .is_some_and(|rest| rest.starts_with(' '))
    }) {
        return Some(row.input);
    }
    let word = |c: char| c.is_ascii_alphanumeric() || c == '_';
    rows()
        .filter_map(|row| {
            message
                .match_indices(row.key)
                .find(|(at, key)| {
                    let before = message[..*at].chars().next_back();
                    let after = message[at + key.len()..].chars().next();
                    !before.is_some_and(word) && !after.is_some_and(word)
                })
                .map(|(at, _)| (at, row.input))
        })
        .min()
        .map(|(_, input)| input)
}

/// A saved setting as the form shows it (secrets never: they are "(set)").
pub fn shown(kind: Setting, saved: Option<&serde_json::Value>) -> String {
    match saved {
        Some(serde_json::Value::String(text)) if kind != Setting::Secret => text.clone(),
        Some(serde_json::Value::Number(n)) => n.to_string(),
        Some(serde_json::Value::Bool(true)) => "true".to_owned(),
        Some(serde_json::Value::Array(items)) => items
            .iter()
            .filter_map(|i| i.as_str())
            .collect::<Vec<_>>()
            .join(", "),
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn values(pairs: &[(&str, &str)]) -> Vec<String> {
        SETTINGS
            .iter()
            .map(|row| {
                pairs
                    .iter()
                    .find(|(input, _)| *input == row.input)
                    .map(|(_, value)| (*value).to_owned())
                    .unwrap_or_default()
            })
            .collect()
    }

    #[test]
    fn inputs_are_unique_and_every_connector_is_known() {
        for (i, row) in SETTINGS.iter().enumerate() {
            assert!(
                SETTINGS[i + 1..]
                    .iter()
                    .all(|other| other.input != row.input),
                "{} twice",
                row.input
            );
            for owner in row.owners {
                assert!(
                    CONNECTORS.iter().any(|(value, _)| value == owner),
                    "{owner}"
                );
            }
        }
    }

    #[test]
    fn ldap_settings_take_a_bool_and_choices() {
        let form = values(&[
            ("ldap-url", " ldap://dir.internal "),
            ("ldap-start-tls", "true"),
            ("ldap-bind-dn", "cn=gatehouse,dc=example,dc=com"),
            ("ldap-password", "secret"),
            ("ldap-membership", "memberUid"),
            ("target-attempts", "3"),
            ("drift-mode", "enforce"),
            ("drift-interval", "30"),
            ("pg-host", "ignored: another connector's"),
        ]);
        assert_eq!(
            settings_of("ldap", &form).unwrap(),
            json!({"url": "ldap://dir.internal", "start_tls": true,
                "bind_dn": "cn=gatehouse,dc=example,dc=com", "password": "secret",
                "membership": "memberUid", "grant_attempts": 3, "drift": "enforce",
                "drift_interval_minutes": 30})
        );
        // Unchecked: left out, so the default (no) applies.
        let form = values(&[("ldap-url", "ldaps://dir.internal")]);
        assert_eq!(
            settings_of("ldap", &form).unwrap(),
            json!({"url": "ldaps://dir.internal"})
        );
    }

    #[test]
    fn shared_rows_serve_each_of_their_connectors() {
        let form = values(&[
            ("mysql-host", "shop-db"),
            ("db-password", "pw"),
            ("db-ssl-mode", "disable"),
            ("mysql-port", "3307"),
        ]);
        assert_eq!(
            settings_of("mysql", &form).unwrap(),
            json!({"host": "shop-db", "port": 3307, "password": "pw", "ssl_mode": "disable"})
        );
        assert_eq!(
            settings_of("postgresql", &form).unwrap(),
            json!({"password": "pw", "ssl_mode": "disable"})
        );
        let form = values(&[("drift-interval", "often")]);
        assert_eq!(
            settings_of("postgresql", &form).unwrap_err(),
            "Check for drift every (minutes) is a whole number."
        );
    }

    #[test]
    fn a_refusal_goes_to_the_setting_it_names() {
        let ldap = |message| named_setting("ldap", message);
        assert_eq!(
            ldap(
                "LDAP settings: bind_dn \"x\" is not a DN (like cn=gatehouse,dc=example,dc=com) \
                 nor an Active Directory user@domain name"
            ),
            Some("ldap-bind-dn")
        );
        assert_eq!(
            ldap("LDAP settings: missing field `user_base_dn`"),
            Some("ldap-user-base")
        );
        assert_eq!(
            named_setting("mysql", "MySQL settings: host is empty"),
            Some("mysql-host")
        );
        assert_eq!(
            named_setting("postgresql", "ssl_root_cert is not a PEM certificate"),
            Some("db-ssl-root-cert")
        );
        // drift is not drift_interval_minutes.
        assert_eq!(
            named_setting(
                "postgresql",
                "drift_interval_minutes must be a whole number from 1 to 1440"
            ),
            Some("drift-interval")
        );
        assert_eq!(
            named_setting(
                "mysql",
                "Check for drift every (minutes) is a whole number."
            ),
            Some("drift-interval")
        );
        assert_eq!(
            named_setting("webhook", "Grant attempts is a whole number."),
            Some("hook-attempts")
        );
        assert_eq!(
            named_setting(
                "postgresql",
                "unknown variant `prefer`, expected `verify-full` or `disable`"
            ),
            None
        );
        assert_eq!(
            named_setting(
                "mysql",
                "MySQL settings: unknown field `x`, expected one of `host`, `port`"
            ),
            None
        );
    }

    #[test]
    fn saved_settings_show_in_the_form_but_secrets_never() {
        assert_eq!(shown(Setting::Flag, Some(&json!(true))), "true");
        assert_eq!(shown(Setting::Flag, Some(&json!(false))), "");
        assert_eq!(shown(Setting::Secret, Some(&json!("(set)"))), "");
        assert_eq!(shown(Setting::Number, Some(&json!(3306))), "3306");
        assert_eq!(
            shown(Setting::List, Some(&json!(["bob", "dan"]))),
            "bob, dan"
        );
    }
}
