//! Admin → Resource Types: the kinds of resource in each integration and the
//! permissions (levels of access) each offers.

use gatehouse_shared::{
    admin::ResourceTypeInput,
    catalog::{Integration, ResourceType},
};
use leptos::prelude::*;

use crate::{
    admin_api::Collection,
    admin_page::{AdminPage, Loaded, editing_item, load, split_list},
    api,
    components::{
        admin_form::{Editor, FormFailure, SaveAction, SelectField, TextField},
        admin_frame::AdminFrame,
        admin_table::{AdminTable, Cell, Row},
        error_alert::ErrorAlert,
    },
};

#[component]
pub fn AdminResourceTypesPage() -> impl IntoView {
    let page = AdminPage::new();
    let list: Loaded<Vec<ResourceType>> = load(page.version, api::resource_types);
    let editing = editing_item(page, list.items, |t: &ResourceType| t.id);
    view! {
        <AdminFrame
            title="Resource Types"
            intro="Each integration's kinds of resource (database, table, S3 bucket…) and the permissions they offer."
            new_label="New resource type"
            collection=Collection::ResourceTypes
            page
        >
            <ErrorAlert message=list.failure />
            <AdminTable
                rows=Signal::derive(move || {
                    list.items.get().map(|items| {
                        items
                            .into_iter()
                            .map(|t| Row {
                                id: t.id,
                                name: format!("{} {}", t.integration_name, t.name),
                                cells: vec![
                                    Cell::Text(t.name),
                                    Cell::Text(t.integration_name),
                                    Cell::Text(
                                        t.permissions.iter().map(|p| p.name.as_str()).collect::<Vec<_>>().join(", "),
                                    ),
                                ],
                            })
                            .collect()
                    })
                })
                headers=&["Resource type", "Integration", "Permissions"]
                empty="No resource types yet. Add an integration, then a resource type in it."
                page
            />
            {move || editing.get().map(|existing| view! { <ResourceTypeEditor existing page /> })}
        </AdminFrame>
    }
}

#[component]
fn ResourceTypeEditor(existing: Option<ResourceType>, page: AdminPage) -> impl IntoView {
    let id = existing.as_ref().map(|t| t.id);
    let integrations: Loaded<Vec<Integration>> = load(page.version, api::integrations);
    let choices = Signal::derive(move || {
        integrations
            .items
            .get()
            .unwrap_or_default()
            .into_iter()
            .map(|i| (i.id.to_string(), i.name))
            .collect::<Vec<_>>()
    });
    let integration = RwSignal::new(
        existing
            .as_ref()
            .map(|t| t.integration_id.to_string())
            .unwrap_or_default(),
    );
    let name = RwSignal::new(
        existing
            .as_ref()
            .map(|t| t.name.clone())
            .unwrap_or_default(),
    );
    let permissions = RwSignal::new(
        existing
            .as_ref()
            .map(|t| {
                t.permissions
                    .iter()
                    .map(|p| p.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            })
            .unwrap_or_default(),
    );
    let failure = FormFailure::new();
    let save = SaveAction::new(Collection::ResourceTypes, id, page, failure);
    let on_save = Callback::new(move |()| {
        let Ok(integration_id) = integration.get_untracked().parse() else {
            failure.0.set(Some(
                gatehouse_shared::ApiError::new("validation_failed", "Choose the integration.")
                    .with_field("integration_id"),
            ));
            return;
        };
        save.dispatch(&ResourceTypeInput {
            integration_id,
            name: name.get_untracked(),
            permissions: split_list(&permissions.get_untracked()),
        });
    });
    view! {
        <Editor
            title=if id.is_some() { "Edit resource type" } else { "New resource type" }
            page
            failure
            fields=&["integration_id", "name", "permissions"]
            pending=save.pending()
            on_save
        >
            <SelectField
                id="type-integration"
                label="Integration"
                choices
                value=integration
                none="Choose an integration"
                error=failure.at("integration_id")
                disabled=id.is_some()
            />
            <TextField id="type-name" label="Name" value=name error=failure.at("name") required=true />
            <TextField
                id="type-permissions"
                label="Permissions"
                value=permissions
                error=failure.at("permissions")
                hint="Comma-separated, e.g. read-only, read-write, admin. A permission in use cannot be removed."
            />
        </Editor>
    }
}
