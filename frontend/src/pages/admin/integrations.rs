//! Admin → Integrations: the connected systems, with the connector kind, the
//! message shown on Access Granted and how grantees connect.

use gatehouse_shared::catalog::Integration;
use leptos::prelude::*;

use crate::{
    admin_api::{self, Collection},
    admin_page::split_list,
    admin_page::{AdminPage, Loaded, editing_item, load},
    components::{
        admin_form::{CheckField, Editor, FormFailure, SaveAction, SelectField, TextField},
        admin_frame::AdminFrame,
        admin_table::{AdminTable, Cell, Row},
        error_alert::ErrorAlert,
        field_error::FieldError,
    },
};

const OPTIONS: [(&str, &str); 3] = [
    ("terminal", "Terminal"),
    ("browser", "Browser"),
    ("app", "App"),
];

/// The connectors that grant access, as (value, label).
const CONNECTORS: [(&str, &str); 4] = [
    ("demo", "Demo (grants nothing real)"),
    ("postgresql", "PostgreSQL roles"),
    ("webhook", "Webhook"),
    ("manual", "Manual (a person fulfils)"),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Setting {
    Text,
    Number,
    /// Never shown back: empty keeps what is saved.
    Secret,
    /// Comma-separated in the form, a list in the settings.
    List,
    /// Several lines (a PEM certificate).
    Lines,
}

/// Each connector's settings: (connector, key, label, input id, kind, hint).
const SETTINGS: [(&str, &str, &str, &str, Setting, &str); 13] = [
    ("postgresql", "host", "Host", "pg-host", Setting::Text, ""),
    (
        "postgresql",
        "port",
        "Port",
        "pg-port",
        Setting::Number,
        "Default 5432.",
    ),
    (
        "postgresql",
        "user",
        "Admin user",
        "pg-user",
        Setting::Text,
        "Creates and drops the grantees' roles.",
    ),
    (
        "postgresql",
        "password",
        "Admin password",
        "pg-password",
        Setting::Secret,
        "",
    ),
    (
        "postgresql",
        "database",
        "Database",
        "pg-database",
        Setting::Text,
        "Default postgres.",
    ),
    (
        "postgresql",
        "connect_host",
        "Host grantees connect to",
        "pg-connect-host",
        Setting::Text,
        "When it differs from Host: a bastion or a proxy.",
    ),
    (
        "postgresql",
        "ssl_mode",
        "TLS",
        "pg-ssl-mode",
        Setting::Text,
        "verify-full (default): encrypted, the server's certificate checked; disable: plain text.",
    ),
    (
        "postgresql",
        "ssl_root_cert",
        "CA certificate (PEM)",
        "pg-ssl-root-cert",
        Setting::Lines,
        "The CA that signed the server's certificate, when it is not a public one.",
    ),
    (
        "webhook",
        "url",
        "URL",
        "hook-url",
        Setting::Text,
        "Receives signed grant, extend and revoke events.",
    ),
    (
        "webhook",
        "secret",
        "Signing secret",
        "hook-secret",
        Setting::Secret,
        "At least 16 characters.",
    ),
    (
        "webhook",
        "grant_attempts",
        "Grant attempts",
        "hook-attempts",
        Setting::Number,
        "Default 5; then the request ends Failed.",
    ),
    (
        "webhook",
        "timeout_seconds",
        "Timeout in seconds",
        "hook-timeout",
        Setting::Number,
        "Default 10.",
    ),
    (
        "manual",
        "fulfillers",
        "Fulfillers",
        "manual-fulfillers",
        Setting::List,
        "Usernames, comma-separated, who mark grants and removals done (admins always may).",
    ),
];

/// The settings object of `connector` from the form's values (empty ones
/// left out, so defaults apply and saved secrets stay).
fn settings_of(connector: &str, values: &[String]) -> Result<serde_json::Value, String> {
    let mut settings = serde_json::Map::new();
    for ((owner, key, label, _, kind, _), value) in SETTINGS.iter().zip(values) {
        let value = value.trim();
        if *owner != connector || value.is_empty() {
            continue;
        }
        let json = match kind {
            Setting::Number => value
                .parse::<u64>()
                .map(serde_json::Value::from)
                .map_err(|_| format!("{label} is a whole number."))?,
            Setting::List => serde_json::Value::from(split_list(value)),
            Setting::Text | Setting::Secret | Setting::Lines => serde_json::Value::from(value),
        };
        settings.insert((*key).to_owned(), json);
    }
    Ok(serde_json::Value::Object(settings))
}

#[component]
pub fn AdminIntegrationsPage() -> impl IntoView {
    let page = AdminPage::new();
    let list: Loaded<Vec<Integration>> = load(page.version, admin_api::integrations);
    let editing = editing_item(page, list.items, |i: &Integration| i.id);
    view! {
        <AdminFrame
            title="Integrations"
            intro="Connected systems. Their resource types, permissions and resources are on the next tabs."
            new_label="New integration"
            collection=Collection::Integrations
            page
        >
            <ErrorAlert message=list.failure />
            <AdminTable
                rows=Signal::derive(move || {
                    list.items.get().map(|items| {
                        items
                            .into_iter()
                            .map(|i| Row {
                                id: i.id,
                                name: i.name.clone(),
                                cells: vec![
                                    Cell::Text(i.name),
                                    Cell::Code(i.kind),
                                    Cell::Text(i.connector),
                                    Cell::Text(i.connection_options.join(", ")),
                                    Cell::Long(i.admin_message.unwrap_or_default()),
                                ],
                            })
                            .collect()
                    })
                })
                headers=&["Name", "Kind", "Connector", "Connect by", "Message from your admin"]
                empty="No integrations yet. Add one with New integration."
                page
            />
            {move || editing.get().map(|existing| view! { <IntegrationEditor existing page /> })}
        </AdminFrame>
    }
}

#[component]
fn IntegrationEditor(existing: Option<Integration>, page: AdminPage) -> impl IntoView {
    let id = existing.as_ref().map(|i| i.id);
    let title = if id.is_some() {
        "Edit integration"
    } else {
        "New integration"
    };
    let text = |get: fn(&Integration) -> String| {
        RwSignal::new(existing.as_ref().map(get).unwrap_or_default())
    };
    let name = text(|i| i.name.clone());
    let kind = text(|i| i.kind.clone());
    let message = text(|i| i.admin_message.clone().unwrap_or_default());
    let options = OPTIONS.map(|(value, label)| {
        let chosen = existing.as_ref().map_or(value == "terminal", |i| {
            i.connection_options.iter().any(|o| o == value)
        });
        (value, label, RwSignal::new(chosen))
    });
    let connector = text(|i| i.connector.clone());
    if connector.get_untracked().is_empty() {
        connector.set("demo".to_owned());
    }
    let saved = existing.as_ref().and_then(|i| i.settings.clone());
    let values = SETTINGS.map(|(_, key, _, _, kind, _)| {
        let value = match saved.as_ref().and_then(|s| s.get(key)) {
            Some(serde_json::Value::String(text)) if kind != Setting::Secret => text.clone(),
            Some(serde_json::Value::Number(n)) => n.to_string(),
            Some(serde_json::Value::Array(items)) => items
                .iter()
                .filter_map(|i| i.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            _ => String::new(),
        };
        RwSignal::new(value)
    });
    let secret_saved = move |key: &str| {
        saved
            .as_ref()
            .and_then(|s| s.get(key))
            .is_some_and(|v| !v.is_null())
    };
    let hints = SETTINGS.map(|(_, key, _, _, kind, hint)| {
        if kind == Setting::Secret && secret_saved(key) {
            "Saved and never shown. Leave empty to keep it."
        } else {
            hint
        }
    });
    let failure = FormFailure::new();
    let save = SaveAction::new(Collection::Integrations, id, page, failure);
    let on_save = Callback::new(move |()| {
        let chosen = connector.get_untracked();
        let values: Vec<String> = values.iter().map(|v| v.get_untracked()).collect();
        let settings = match settings_of(&chosen, &values) {
            Ok(settings) => (chosen != "demo").then_some(settings),
            Err(message) => {
                failure.0.set(Some(
                    gatehouse_shared::ApiError::new("validation_failed", message)
                        .with_field("settings"),
                ));
                return;
            }
        };
        let connection_options: Vec<&str> = options
            .iter()
            .filter(|(_, _, on)| on.get_untracked())
            .map(|(value, _, _)| *value)
            .collect();
        let message = message.get_untracked();
        save.dispatch(&serde_json::json!({
            "name": name.get_untracked(),
            "kind": kind.get_untracked(),
            "admin_message": (!message.trim().is_empty()).then_some(message),
            "connection_options": connection_options,
            "connector": chosen,
            "settings": settings,
        }));
    });
    view! {
        <Editor
            title
            page
            failure
            fields=&["name", "kind", "admin_message", "connection_options", "connector", "settings"]
            pending=save.pending()
            on_save
        >
            <TextField id="integration-name" label="Name" value=name error=failure.at("name") required=true />
            <TextField
                id="integration-kind"
                label="Kind"
                value=kind
                error=failure.at("kind")
                hint="What the system is, e.g. postgresql, aws, github."
                required=true
            />
            <TextField
                id="integration-message"
                label="Message from your admin"
                value=message
                error=failure.at("admin_message")
                hint="Shown to requesters on Access Granted."
                multiline=true
            />
            <fieldset class="choices">
                <legend>"Connect by"</legend>
                {options
                    .into_iter()
                    .map(|(value, label, on)| {
                        let id: &'static str = match value {
                            "terminal" => "connect-terminal",
                            "browser" => "connect-browser",
                            _ => "connect-app",
                        };
                        view! { <CheckField id label checked=on /> }
                    })
                    .collect_view()}
                <FieldError id="connection-options-error".to_owned() message=failure.at("connection_options") />
            </fieldset>
            <fieldset class="choices">
                <legend>"Grants access through"</legend>
                <SelectField
                    id="integration-connector"
                    label="Connector"
                    choices=Signal::stored(
                        CONNECTORS.iter().map(|(v, l)| ((*v).to_owned(), (*l).to_owned())).collect::<Vec<_>>(),
                    )
                    value=connector
                    none="Choose a connector"
                    error=failure.at("connector")
                />
                {SETTINGS
                    .iter()
                    .zip(values)
                    .zip(hints)
                    .map(|((&(owner, _, label, input_id, kind, _), value), hint)| {
                        let input_kind = match kind {
                            Setting::Secret => "password",
                            Setting::Number => "number",
                            Setting::Text | Setting::List | Setting::Lines => "text",
                        };
                        let multiline = kind == Setting::Lines;
                        view! {
                            <Show when=move || connector.with(|c| c == owner)>
                                <TextField id=input_id label=label value kind=input_kind hint multiline />
                            </Show>
                        }
                    })
                    .collect_view()}
                <FieldError id="integration-settings-error".to_owned() message=failure.at("settings") />
                {id.map(|id| view! { <ConnectorChecks id /> })}
            </fieldset>
        </Editor>
    }
}

/// Test connection and Sync catalog, with the saved settings.
#[component]
fn ConnectorChecks(id: i64) -> impl IntoView {
    let test = Action::new_local(move |()| admin_api::test_integration(id));
    let sync = Action::new_local(move |()| admin_api::sync_integration(id));
    let outcome = move || {
        let tested = test.value().get().map(|answer| match answer {
            Ok(check) if check.ok => format!("Connection works: {}", check.message),
            Ok(check) => format!("Connection failed: {}", check.message),
            Err(error) => error.message,
        });
        let synced = sync.value().get().map(|answer| match answer {
            Ok(result) => format!(
                "Catalog synced: {} found, {} new.",
                result.found, result.added
            ),
            Err(error) => error.message,
        });
        [tested, synced]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" ")
    };
    view! {
        <p class="field-hint">"These use the saved settings: save first."</p>
        <div class="dialog-actions">
            <button
                type="button"
                class="button button-small"
                aria-busy=move || test.pending().get().to_string()
                on:click=move |_| {
                    test.dispatch_local(());
                }
            >
                "Test connection"
            </button>
            <button
                type="button"
                class="button button-small"
                aria-busy=move || sync.pending().get().to_string()
                on:click=move |_| {
                    sync.dispatch_local(());
                }
            >
                "Sync catalog"
            </button>
        </div>
        <p class="field-hint" role="status">{outcome}</p>
    }
}
