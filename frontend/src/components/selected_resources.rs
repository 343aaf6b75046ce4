//! The resources of the draft with the permission asked for each: pick one
//! per row, or one for all selected resources that offer it; and the bundle
//! chosen on the Bundles tab, if any.

use leptos::prelude::*;

use crate::{draft::use_draft, selection::count_of};

#[component]
pub fn SelectedResources() -> impl IntoView {
    let draft = use_draft().draft;
    let rows = move || draft.with(|d| d.resources.values().cloned().collect::<Vec<_>>());
    // Every permission some selected resource offers, each once.
    let all_permissions = move || {
        draft.with(|d| {
            let mut names: Vec<String> = Vec::new();
            for name in d.resources.values().flat_map(|r| &r.permissions) {
                if !names.contains(name) {
                    names.push(name.clone());
                }
            }
            names
        })
    };
    let apply_to_all = move |permission: String| {
        if permission.is_empty() {
            return;
        }
        draft.update(|d| {
            for resource in d.resources.values_mut() {
                if resource.permissions.contains(&permission) {
                    resource.permission = permission.clone();
                }
            }
        });
    };
    let count = move || {
        let bundled = draft.with(|d| d.bundle.as_ref().map_or(0, |b| b.resource_ids.len()));
        count_of(
            (draft.with(|d| d.resources.len()) + bundled) as u64,
            "resource",
            "resources",
        )
    };
    let bundle_rows = move || {
        draft.with(|d| {
            d.bundle
                .as_ref()
                .map(|b| {
                    b.items
                        .iter()
                        .filter(|i| b.resource_ids.contains(&i.resource_id))
                        .cloned()
                        .collect::<Vec<_>>()
                })
                .unwrap_or_default()
        })
    };
    let bundle_name = move || draft.with(|d| d.bundle.as_ref().map(|b| b.name.clone()));

    view! {
        <section class="selected-resources" aria-labelledby="selected-heading">
            <div class="section-bar">
                <h2 id="selected-heading">"Access to " {count}</h2>
                <Show when=move || { all_permissions().len() > 1 && draft.with(|d| d.resources.len() > 1) }>
                    <div class="field field-inline">
                        <label for="permission-for-all">"Permission for all"</label>
                        <select
                            id="permission-for-all"
                            on:change=move |event| apply_to_all(event_target_value(&event))
                        >
                            <option value="">"Choose…"</option>
                            {move || {
                                all_permissions()
                                    .into_iter()
                                    .map(|name| view! { <option value=name.clone()>{name.clone()}</option> })
                                    .collect_view()
                            }}
                        </select>
                    </div>
                </Show>
            </div>
            {move || {
                bundle_name()
                    .map(|name| {
                        view! {
                            <div class="selected-bundle">
                                <p class="section-bar">
                                    <strong>{format!("Bundle: {name}")}</strong>
                                    <button
                                        type="button"
                                        class="button button-link"
                                        on:click=move |_| draft.update(|d| d.bundle = None)
                                    >
                                        "Remove bundle"
                                    </button>
                                </p>
                                <ul class="selected-list" aria-label="Bundle resources">
                                    {bundle_rows()
                                        .into_iter()
                                        .map(|item| {
                                            view! {
                                                <li class="selected-row selected-row-bundle">
                                                    <div class="selected-name">
                                                        <strong>{item.resource_name}</strong>
                                                        <span class="resource-kind">
                                                            {format!("{} · {}", item.integration_name, item.resource_type_name)}
                                                        </span>
                                                    </div>
                                                    <span class="permission">{item.permission}</span>
                                                </li>
                                            }
                                        })
                                        .collect_view()}
                                </ul>
                            </div>
                        }
                    })
            }}
            <ul class="selected-list">
                <For
                    each=rows
                    key=|resource| (resource.id, resource.permission.clone())
                    children=move |resource| {
                        let id = resource.id;
                        let select_id = format!("permission-{id}");
                        let label_for = select_id.clone();
                        let current = resource.permission.clone();
                        let name = resource.name.clone();
                        view! {
                            <li class="selected-row">
                                <div class="selected-name">
                                    <strong>{resource.name.clone()}</strong>
                                    <span class="resource-kind">
                                        {format!("{} · {}", resource.integration_name, resource.resource_type_name)}
                                    </span>
                                </div>
                                <label class="visually-hidden" for=label_for>
                                    {format!("Permission for {}", resource.name)}
                                </label>
                                <select
                                    id=select_id
                                    class="permission-select"
                                    on:change=move |event| {
                                        let chosen = event_target_value(&event);
                                        draft.update(|d| {
                                            if let Some(r) = d.resources.get_mut(&id) {
                                                r.permission = chosen;
                                            }
                                        });
                                    }
                                >
                                    {resource
                                        .permissions
                                        .iter()
                                        .map(|p| {
                                            view! {
                                                <option value=p.clone() selected=*p == current>
                                                    {p.clone()}
                                                </option>
                                            }
                                        })
                                        .collect_view()}
                                </select>
                                <button
                                    type="button"
                                    class="button button-link"
                                    aria-label=format!("Remove {name}")
                                    on:click=move |_| draft.update(|d| {
                                        d.resources.remove(&id);
                                    })
                                >
                                    "Remove"
                                </button>
                            </li>
                        }
                    }
                />
            </ul>
        </section>
    }
}
