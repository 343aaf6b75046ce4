//! Admin → Integrations: the connected systems, with the connector kind, the
//! message shown on Access Granted and how grantees connect.

use gatehouse_shared::catalog::Integration;
use leptos::prelude::*;

use crate::{
    admin_api::Collection,
    admin_page::{AdminPage, editing_item, load},
    api,
    components::{
        admin_form::{CheckField, Editor, FormFailure, RowActions, TextField, save_action},
        admin_frame::AdminFrame,
        error_alert::ErrorAlert,
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
    let list = load(page.version, api::list_integrations);
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
            {move || match list.items.get() {
                None => view! { <p class="loading" role="status">"Loading…"</p> }.into_any(),
                Some(items) if items.is_empty() => view! {
                    <p class="empty">"No integrations yet. Add one with New integration."</p>
                }
                .into_any(),
                Some(items) => view! {
                    <div class="table-scroll">
                        <table class="admin-table">
                            <thead>
                                <tr>
                                    <th scope="col">"Name"</th>
                                    <th scope="col">"Connector"</th>
                                    <th scope="col">"Connect by"</th>
                                    <th scope="col">"Message from your admin"</th>
                                    <th scope="col"><span class="visually-hidden">"Actions"</span></th>
                                </tr>
                            </thead>
                            <tbody>
                                {items
                                    .into_iter()
                                    .map(|item| view! {
                                        <tr>
                                            <th scope="row">{item.name.clone()}</th>
                                            <td><code>{item.kind.clone()}</code></td>
                                            <td>{item.connection_options.join(", ")}</td>
                                            <td class="cell-long">{item.admin_message.clone().unwrap_or_default()}</td>
                                            <td><RowActions id=item.id name=item.name page /></td>
                                        </tr>
                                    })
                                    .collect_view()}
                            </tbody>
                        </table>
                    </div>
                }
                .into_any(),
            }}
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
    let failure = FormFailure::new();
    let save = save_action(Collection::Integrations, id, page, failure);
    // The connector and its settings are left out: on update they stay, on
    // create the server picks its default.
    let on_save = Callback::new(move |()| {
        let connection_options: Vec<&str> = options
            .iter()
            .filter(|(_, _, on)| on.get_untracked())
            .map(|(value, _, _)| *value)
            .collect();
        let message = message.get_untracked();
        save.dispatch_local(serde_json::json!({
            "name": name.get_untracked(),
            "kind": kind.get_untracked(),
            "admin_message": (!message.trim().is_empty()).then_some(message),
            "connection_options": connection_options,
        }));
    });
    view! {
        <Editor
            title
            page
            failure
            fields=&["name", "kind", "admin_message", "connection_options"]
            pending=save.pending()
            on_save
        >
            <TextField id="integration-name" label="Name" value=name error=failure.at("name") required=true />
            <TextField
                id="integration-kind"
                label="Connector"
                value=kind
                error=failure.at("kind")
                hint="The connector kind, e.g. postgresql, aws, github, webhook."
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
                <crate::components::field_error::FieldError
                    id="connection-options-error".to_owned()
                    message=failure.at("connection_options")
                />
            </fieldset>
        </Editor>
    }
}
