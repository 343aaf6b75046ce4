//! Admin → Integrations: the connected systems, with the connector kind, the
//! message shown on Access Granted and how grantees connect.

use gatehouse_shared::catalog::Integration;
use leptos::prelude::*;

use super::{
    integration_drift::DriftSection,
    integration_settings::{
        CONNECTORS, DRIFT_CONNECTORS, SETTINGS, Setting, SettingRow, least_privilege,
        named_setting, settings_of, shown,
    },
};
use crate::{
    admin_api::{self, Collection},
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
                                    Cell::Warned(i.connector, (i.failing > 0).then(|| format!("{} failing", i.failing))),
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

/// Grants and removals being retried, and why the latest failed.
fn failing_line(failing: i64, last_error: Option<&str>) -> Option<String> {
    let what = match failing {
        0 => return None,
        1 => "1 grant or removal is".to_owned(),
        n => format!("{n} grants or removals are"),
    };
    Some(match last_error {
        Some(reason) => format!("{what} being retried. The latest failure: {reason}"),
        None => format!("{what} being retried."),
    })
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
    let values = SETTINGS
        .map(|row| RwSignal::new(shown(row.kind, saved.as_ref().and_then(|s| s.get(row.key)))));
    let secret_saved = move |key: &str| {
        saved
            .as_ref()
            .and_then(|s| s.get(key))
            .is_some_and(|v| !v.is_null())
    };
    let hints = SETTINGS.map(|row| {
        if row.kind == Setting::Secret && secret_saved(row.key) {
            "Saved and never shown. Leave empty to keep it."
        } else {
            row.hint
        }
    });
    // Drift is checked with the saved settings, so only for a saved connector that lists holdings.
    let failing = existing
        .as_ref()
        .and_then(|i| failing_line(i.failing, i.last_error.as_deref()));
    let drift = existing
        .as_ref()
        .filter(|i| DRIFT_CONNECTORS.contains(&i.connector.as_str()))
        .map(|i| i.id);
    let failure = FormFailure::new();
    // A refusal of the settings shows under the setting it names, else under them all.
    let settings_error = failure.at("settings");
    let named = Memo::new(move |_| {
        let message = settings_error.get()?;
        connector.with(|c| named_setting(c, &message))
    });
    let error_of = move |input: &'static str| {
        Signal::derive(move || {
            (named.get() == Some(input))
                .then(|| settings_error.get())
                .flatten()
        })
    };
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
                    .into_iter()
                    .zip(values)
                    .zip(hints)
                    .map(|((row, value), hint)| {
                        view! {
                            <Show when=move || connector.with(|c| row.belongs_to(c))>
                                {setting_field(row, value, hint, error_of(row.input))}
                            </Show>
                        }
                    })
                    .collect_view()}
                <FieldError
                    id="integration-settings-error".to_owned()
                    message=Signal::derive(move || named.get().is_none().then(|| settings_error.get()).flatten())
                />
                <Show when=move || connector.with(|c| !c.is_empty())>
                    <LeastPrivilege connector />
                </Show>
                <Show when=move || connector.with(|c| c == "ssh")>
                    <SshCa />
                </Show>
                {failing.map(|line| view! { <p class="attempt-failed">{line}</p> })}
                {id.map(|id| view! { <ConnectorChecks id /> })}
                {drift.map(|id| view! { <DriftSection id /> })}
            </fieldset>
        </Editor>
    }
}

/// One setting's field: a text input, a checkbox or a drop-down.
fn setting_field(
    row: SettingRow,
    value: RwSignal<String>,
    hint: &'static str,
    error: Signal<Option<String>>,
) -> AnyView {
    let SettingRow {
        input, label, kind, ..
    } = row;
    match kind {
        Setting::Flag => {
            let hint_id = format!("{input}-hint");
            let error_id = format!("{input}-error");
            view! {
                <div class="field">
                    <label class="choice check-field" for=input>
                        <input
                            type="checkbox"
                            id=input
                            aria-describedby=format!("{hint_id} {error_id}")
                            aria-invalid=move || error.with(Option::is_some).then_some("true")
                            prop:checked=move || value.with(|v| v == "true")
                            on:change=move |event| {
                                value.set(if event_target_checked(&event) { "true".into() } else { String::new() })
                            }
                        />
                        <span>{label}</span>
                    </label>
                    <p id=hint_id class="field-hint">{hint}</p>
                    <FieldError id=error_id message=error />
                </div>
            }
            .into_any()
        }
        Setting::Choice { choices, none } => view! {
            <SelectField
                id=input
                label=label
                choices=Signal::stored(
                    choices.iter().map(|(v, l)| ((*v).to_owned(), (*l).to_owned())).collect::<Vec<_>>(),
                )
                value
                none
                hint
                error
            />
        }
        .into_any(),
        Setting::Text | Setting::Number | Setting::Secret | Setting::List | Setting::Lines => {
            let input_kind = match kind {
                Setting::Secret => "password",
                Setting::Number => "number",
                _ => "text",
            };
            let multiline = kind == Setting::Lines;
            view! { <TextField id=input label=label value kind=input_kind hint multiline error /> }
                .into_any()
        }
    }
}

/// What the connector's own account in the target needs, under its fields.
#[component]
fn LeastPrivilege(connector: RwSignal<String>) -> impl IntoView {
    move || {
        let (text, statements) = least_privilege(&connector.get());
        view! {
            <div class="least-privilege">
                <h3>"What the connector's own account needs"</h3>
                <p>{text}</p>
                {statements.map(|code| view! { <pre><code>{code}</code></pre> })}
            </div>
        }
    }
}

/// The SSH user CA's public key, for the hosts' `TrustedUserCAKeys` file.
#[component]
fn SshCa() -> impl IntoView {
    let key = LocalResource::new(admin_api::ssh_ca);
    view! {
        <div class="least-privilege">
            <h3>"Gatehouse's SSH CA"</h3>
            <p>"Put this line in /etc/ssh/gatehouse_ca.pub on every host this integration covers:"</p>
            {move || match key.get() {
                None => view! { <p class="field-hint">"Loading…"</p> }.into_any(),
                Some(Ok(line)) => view! { <pre><code id="ssh-ca-key">{line}</code></pre> }.into_any(),
                Some(Err(error)) => view! { <p class="attempt-failed">{error.message}</p> }.into_any(),
            }}
        </div>
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
