//! Admin → Bundles: named sets of (resource, permission) that requesters
//! take whole or in part on New Request's Bundles tab.

use gatehouse_shared::{
    admin::BundleInput,
    catalog::{Bundle, BundlePage},
    requests::ItemSelection,
};
use leptos::prelude::*;

use crate::{
    admin_api::{self, Collection},
    admin_page::{AdminPage, Loaded, editing_item, load},
    components::{
        admin_form::{Editor, FormFailure, SaveAction, TextField},
        admin_frame::AdminFrame,
        admin_table::{AdminTable, Cell, Row},
        error_alert::ErrorAlert,
        field_error::FieldError,
        pager::Pager,
        resource_picker::ResourcePicker,
        search_field::SearchField,
    },
    selection::count_of,
};

const PAGE: u32 = 25;

#[component]
pub fn AdminBundlesPage() -> impl IntoView {
    let page = AdminPage::new();
    let search = Signal::derive(move || page.param("search").unwrap_or_default());
    let page_number = Signal::derive(move || {
        page.param("page")
            .and_then(|p| p.parse::<u64>().ok())
            .unwrap_or(1)
            .max(1)
    });
    let list: Loaded<BundlePage> = load(page.version, move || {
        let offset = (page_number.get() - 1) * u64::from(PAGE);
        admin_api::bundles(&search.get(), offset, PAGE)
    });
    let items = Memo::new(move |_| list.items.get().map(|p| p.items));
    let pages = Signal::derive(move || {
        list.items
            .with(|p| p.as_ref().map_or(0, |p| p.total))
            .div_ceil(u64::from(PAGE))
            .max(1)
    });
    let editing = editing_item(page, items, |b: &Bundle| b.id);
    view! {
        <AdminFrame
            title="Bundles"
            intro="Named sets of resources with permissions. An access flow scoping the bundle decides who may request it."
            new_label="New bundle"
            collection=Collection::Bundles
            page
        >
            <div class="filters admin-filters">
                <SearchField
                    placeholder="Bundle name"
                    committed=search
                    on_search=Callback::new(move |text: String| {
                        page.set_params(&[("search", Some(text)), ("page", None)]);
                    })
                />
            </div>
            <ErrorAlert message=list.failure />
            <p class="result-count" role="status">
                {move || list.items.with(|p| p.as_ref().map(|p| count_of(p.total, "bundle", "bundles")))}
            </p>
            <AdminTable
                rows=Signal::derive(move || {
                    items.get().map(|items| {
                        items
                            .into_iter()
                            .map(|b| Row {
                                id: b.id,
                                name: b.name.clone(),
                                cells: vec![
                                    Cell::Text(b.name),
                                    Cell::Long(b.description),
                                    Cell::Long(
                                        b.items
                                            .iter()
                                            .map(|i| format!("{} ({})", i.resource_name, i.permission))
                                            .collect::<Vec<_>>()
                                            .join(", "),
                                    ),
                                ],
                            })
                            .collect()
                    })
                })
                headers=&["Name", "Description", "Resources"]
                empty="No bundles match. Add one with New bundle."
                page
            />
            <Pager
                page=page_number
                pages
                on_page=Callback::new(move |n: u64| {
                    page.set_params(&[("page", (n > 1).then(|| n.to_string()))]);
                })
            />
            {move || editing.get().map(|existing| view! { <BundleEditor existing page /> })}
        </AdminFrame>
    }
}

/// One (resource, permission) of the bundle being edited.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Item {
    key: usize,
    resource_id: i64,
    name: String,
    detail: String,
    permission: String,
    /// The choices for a resource picked here; empty for saved items.
    permissions: Vec<String>,
}

#[component]
fn BundleEditor(existing: Option<Bundle>, page: AdminPage) -> impl IntoView {
    let id = existing.as_ref().map(|b| b.id);
    let name = RwSignal::new(
        existing
            .as_ref()
            .map(|b| b.name.clone())
            .unwrap_or_default(),
    );
    let description = RwSignal::new(
        existing
            .as_ref()
            .map(|b| b.description.clone())
            .unwrap_or_default(),
    );
    let rows = RwSignal::new(
        existing
            .map(|b| b.items)
            .unwrap_or_default()
            .into_iter()
            .enumerate()
            .map(|(key, item)| Item {
                key,
                resource_id: item.resource_id,
                name: item.resource_name,
                detail: format!("{} · {}", item.integration_name, item.resource_type_name),
                permission: item.permission,
                permissions: Vec::new(),
            })
            .collect::<Vec<_>>(),
    );
    let next_key = StoredValue::new(rows.with_untracked(Vec::len));
    let on_pick = Callback::new(move |resource: gatehouse_shared::catalog::Resource| {
        let key = next_key.get_value();
        next_key.set_value(key + 1);
        let permissions: Vec<String> = resource
            .permissions
            .iter()
            .map(|p| p.name.clone())
            .collect();
        rows.update(|rows| {
            rows.push(Item {
                key,
                resource_id: resource.id,
                name: resource.name,
                detail: format!(
                    "{} · {}",
                    resource.integration_name, resource.resource_type_name
                ),
                permission: permissions.first().cloned().unwrap_or_default(),
                permissions,
            });
        });
    });
    let failure = FormFailure::new();
    let save = SaveAction::new(Collection::Bundles, id, page, failure);
    let on_save = Callback::new(move |()| {
        save.dispatch(&BundleInput {
            name: name.get_untracked(),
            description: description.get_untracked(),
            items: rows.with_untracked(|rows| {
                rows.iter()
                    .map(|row| ItemSelection {
                        resource_id: row.resource_id,
                        permission: row.permission.clone(),
                    })
                    .collect()
            }),
        });
    });
    view! {
        <Editor
            title=if id.is_some() { "Edit bundle" } else { "New bundle" }
            page
            failure
            fields=&["name", "description", "items"]
            pending=save.pending()
            on_save
        >
            <TextField id="bundle-name" label="Name" value=name error=failure.at("name") required=true />
            <TextField
                id="bundle-description"
                label="Description"
                value=description
                error=failure.at("description")
                multiline=true
            />
            <fieldset class="choices">
                <legend>{move || format!("Resources in the bundle ({})", rows.with(Vec::len))}</legend>
                <ul class="bundle-items" aria-label="Resources in the bundle">
                    <For
                        each=move || rows.get()
                        key=|row| row.key
                        children=move |row| {
                            let key = row.key;
                            let remove_label = format!("Remove {}", row.name);
                            let select_id = format!("bundle-permission-{key}");
                            let permission = if row.permissions.is_empty() {
                                view! { <span class="permission">{row.permission.clone()}</span> }.into_any()
                            } else {
                                let chosen = row.permission.clone();
                                view! {
                                    <label class="visually-hidden" for=select_id.clone()>
                                        {format!("Permission for {}", row.name)}
                                    </label>
                                    <select
                                        id=select_id
                                        on:change=move |event| {
                                            let value = event_target_value(&event);
                                            rows.update(|rows| {
                                                if let Some(row) = rows.iter_mut().find(|r| r.key == key) {
                                                    row.permission = value;
                                                }
                                            });
                                        }
                                    >
                                        {row
                                            .permissions
                                            .iter()
                                            .map(|p| view! { <option value=p.clone() selected=*p == chosen>{p.clone()}</option> })
                                            .collect_view()}
                                    </select>
                                }
                                .into_any()
                            };
                            view! {
                                <li class="bundle-item">
                                    <span class="bundle-item-name">
                                        <span class="resource-name">{row.name.clone()}</span>
                                        <span class="muted">{row.detail.clone()}</span>
                                    </span>
                                    {permission}
                                    <button
                                        type="button"
                                        class="button button-small button-quiet"
                                        aria-label=remove_label
                                        on:click=move |_| rows.update(|rows| rows.retain(|r| r.key != key))
                                    >
                                        "Remove"
                                    </button>
                                </li>
                            }
                        }
                    />
                </ul>
                <FieldError id="bundle-items-error".to_owned() message=failure.at("items") />
                <ResourcePicker id="bundle-add" label="Add a resource" on_pick />
            </fieldset>
        </Editor>
    }
}
