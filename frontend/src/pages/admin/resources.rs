//! Admin → Resources: the whole catalog, searched and filtered on the server
//! a page at a time (the search, type and page live in the URL).

use gatehouse_shared::{
    admin::ResourceInput,
    catalog::{Resource, ResourcePage, ResourceType},
};
use leptos::prelude::*;

use crate::{
    admin_api::{self, Collection},
    admin_page::{AdminPage, Loaded, editing_item, load, split_list},
    api,
    components::{
        admin_form::{Editor, FormFailure, SaveAction, SelectField, TextField},
        admin_frame::AdminFrame,
        admin_table::{AdminTable, Cell, Row},
        error_alert::ErrorAlert,
        pager::Pager,
        search_field::SearchField,
    },
    selection::count_of,
};

const PAGE: u32 = 25;

#[component]
pub fn AdminResourcesPage() -> impl IntoView {
    let page = AdminPage::new();
    let search = Signal::derive(move || page.param("search").unwrap_or_default());
    let type_filter = Signal::derive(move || page.param("type").unwrap_or_default());
    let page_number = Signal::derive(move || {
        page.param("page")
            .and_then(|p| p.parse::<u64>().ok())
            .unwrap_or(1)
            .max(1)
    });
    let list: Loaded<ResourcePage> = load(page.version, move || {
        let type_id = type_filter.get().parse().ok();
        let offset = (page_number.get() - 1) * u64::from(PAGE);
        admin_api::resources(&search.get(), type_id, offset, PAGE)
    });
    let items = Memo::new(move |_| list.items.get().map(|p| p.items));
    let total = Signal::derive(move || list.items.with(|p| p.as_ref().map_or(0, |p| p.total)));
    let pages = Signal::derive(move || total.get().div_ceil(u64::from(PAGE)).max(1));
    let editing = editing_item(page, items, |r: &Resource| r.id);

    let types: Loaded<Vec<ResourceType>> = load(page.version, api::resource_types);
    let type_choices = Signal::derive(move || {
        types
            .items
            .get()
            .unwrap_or_default()
            .into_iter()
            .map(|t| {
                (
                    t.id.to_string(),
                    format!("{} · {}", t.integration_name, t.name),
                )
            })
            .collect::<Vec<_>>()
    });
    let chosen_type = RwSignal::new(type_filter.get_untracked());
    Effect::new(move |_| chosen_type.set(type_filter.get()));

    view! {
        <AdminFrame
            title="Resources"
            intro="Everything that can be requested, in every integration. Access flows decide who may request what."
            new_label="New resource"
            collection=Collection::Resources
            page
        >
            <div class="filters admin-filters">
                <SearchField
                    committed=search
                    on_search=Callback::new(move |text: String| {
                        page.set_params(&[("search", Some(text)), ("page", None)]);
                    })
                />
                <SelectField
                    id="type-filter"
                    label="Resource type"
                    choices=type_choices
                    value=chosen_type
                    none="All resource types"
                    on_change=Callback::new(move |chosen: String| {
                        page.set_params(&[("type", Some(chosen)), ("page", None)]);
                    })
                />
            </div>
            <ErrorAlert message=list.failure />
            <p class="result-count" role="status">
                {move || list.items.with(|p| p.as_ref().map(|p| count_of(p.total, "resource", "resources")))}
            </p>
            <AdminTable
                rows=Signal::derive(move || {
                    items.get().map(|items| {
                        items
                            .into_iter()
                            .map(|r| Row {
                                id: r.id,
                                name: r.name.clone(),
                                cells: vec![
                                    Cell::Text(r.name),
                                    Cell::Code(r.path),
                                    Cell::Text(format!("{} · {}", r.integration_name, r.resource_type_name)),
                                    Cell::Text(r.tags.join(", ")),
                                ],
                            })
                            .collect()
                    })
                })
                headers=&["Name", "Path", "Integration · type", "Tags"]
                empty="No resources match. Change the search or the type, or add one with New resource."
                page
            />
            <Pager
                page=page_number
                pages
                on_page=Callback::new(move |n: u64| {
                    page.set_params(&[("page", (n > 1).then(|| n.to_string()))]);
                })
            />
            {move || editing.get().map(|existing| view! { <ResourceEditor existing page type_choices /> })}
        </AdminFrame>
    }
}

#[component]
fn ResourceEditor(
    existing: Option<Resource>,
    page: AdminPage,
    type_choices: Signal<Vec<(String, String)>>,
) -> impl IntoView {
    let id = existing.as_ref().map(|r| r.id);
    let field = |get: fn(&Resource) -> String| {
        RwSignal::new(existing.as_ref().map(get).unwrap_or_default())
    };
    let resource_type = field(|r| r.resource_type_id.to_string());
    let name = field(|r| r.name.clone());
    let path = field(|r| r.path.clone());
    let tags = field(|r| r.tags.join(", "));
    let failure = FormFailure::new();
    let save = SaveAction::new(Collection::Resources, id, page, failure);
    let on_save = Callback::new(move |()| {
        let Ok(resource_type_id) = resource_type.get_untracked().parse() else {
            failure.0.set(Some(
                gatehouse_shared::ApiError::new("validation_failed", "Choose the resource type.")
                    .with_field("resource_type_id"),
            ));
            return;
        };
        save.dispatch(&ResourceInput {
            resource_type_id,
            name: name.get_untracked(),
            path: path.get_untracked(),
            tags: split_list(&tags.get_untracked()),
        });
    });
    view! {
        <Editor
            title=if id.is_some() { "Edit resource" } else { "New resource" }
            page
            failure
            fields=&["resource_type_id", "name", "path", "tags"]
            pending=save.pending()
            on_save
        >
            <SelectField
                id="resource-type"
                label="Integration and resource type"
                choices=type_choices
                value=resource_type
                none="Choose a resource type"
                error=failure.at("resource_type_id")
                disabled=id.is_some()
            />
            <TextField id="resource-name" label="Name" value=name error=failure.at("name") required=true />
            <TextField
                id="resource-path"
                label="Path"
                value=path
                error=failure.at("path")
                hint="Where it lives in the integration, e.g. billing/public/invoices or s3://acme-logs."
                required=true
            />
            <TextField
                id="resource-tags"
                label="Tags"
                value=tags
                error=failure.at("tags")
                hint="Comma-separated, e.g. prod, pii. Access flows can grant by tag."
            />
        </Editor>
    }
}
