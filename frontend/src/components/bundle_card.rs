//! One bundle card: choose the bundle (all its resources by default), open
//! its resources with the Resources button to take only some, and Show
//! selected to see just those ticked.

use std::collections::BTreeSet;

use gatehouse_shared::catalog::Bundle;
use leptos::prelude::*;

use crate::{
    draft::{DraftBundle, use_draft},
    selection::count_of,
};

#[component]
pub fn BundleCard(bundle: Bundle) -> impl IntoView {
    let draft = use_draft().draft;
    let id = bundle.id;
    let chosen = Memo::new(move |_| draft.with(|d| d.bundle.as_ref().is_some_and(|b| b.id == id)));
    let ticked = Memo::new(move |_| {
        draft.with(|d| {
            d.bundle
                .as_ref()
                .filter(|b| b.id == id)
                .map(|b| b.resource_ids.clone())
                .unwrap_or_default()
        })
    });
    let open = RwSignal::new(false);
    let only_selected = RwSignal::new(false);
    let whole = DraftBundle::whole(&bundle);
    let choose = {
        let whole = whole.clone();
        move || {
            draft.update(|d| {
                if d.bundle.as_ref().is_none_or(|b| b.id != id) {
                    d.bundle = Some(whole.clone());
                }
            })
        }
    };
    let tick = {
        let whole = whole.clone();
        move |resource_id: i64, checked: bool| {
            draft.update(|d| {
                let bundle = match d.bundle.as_mut() {
                    Some(bundle) if bundle.id == id => bundle,
                    _ => {
                        let mut fresh = whole.clone();
                        fresh.resource_ids = BTreeSet::new();
                        d.bundle.insert(fresh)
                    }
                };
                if checked {
                    bundle.resource_ids.insert(resource_id);
                } else {
                    bundle.resource_ids.remove(&resource_id);
                }
            })
        }
    };
    // One row per resource, with every permission the bundle gives on it.
    let mut resources: Vec<(i64, String, String, Vec<String>)> = Vec::new();
    for item in &bundle.items {
        match resources.iter_mut().find(|r| r.0 == item.resource_id) {
            Some(row) => row.3.push(item.permission.clone()),
            None => resources.push((
                item.resource_id,
                item.resource_name.clone(),
                format!("{} · {}", item.integration_name, item.resource_type_name),
                vec![item.permission.clone()],
            )),
        }
    }
    let total = resources.len();
    let radio_id = format!("bundle-{id}");
    let label_for = radio_id.clone();
    let list_id = format!("bundle-{id}-resources");
    let controls = list_id.clone();
    let name = bundle.name.clone();
    let summary = move || {
        let n = ticked.with(BTreeSet::len);
        if chosen.get() {
            format!("{n} of {total} resources selected")
        } else {
            count_of(total as u64, "resource", "resources")
        }
    };

    view! {
        <li class="bundle-card" class:bundle-chosen=move || chosen.get()>
            <div class="bundle-head">
                <input
                    type="radio"
                    name="bundle"
                    id=radio_id
                    class="resource-check"
                    prop:checked=move || chosen.get()
                    on:change=move |_| choose()
                />
                <div class="bundle-text">
                    <label for=label_for class="resource-name">{bundle.name.clone()}</label>
                    <span class="muted">{bundle.description.clone()}</span>
                    <span class="bundle-count">{summary}</span>
                </div>
                <button
                    type="button"
                    class="icon-button"
                    aria-label=format!("Resources of {name}")
                    aria-expanded=move || open.get().to_string()
                    aria-controls=controls
                    on:click=move |_| open.update(|o| *o = !*o)
                >
                    <svg viewBox="0 0 24 24" aria-hidden="true" focusable="false">
                        <path d="M4 6h16M4 12h16M4 18h10" stroke="currentColor" stroke-width="2" fill="none" />
                    </svg>
                </button>
            </div>
            <div class="bundle-resources" id=list_id hidden=move || !open.get()>
                <button
                    type="button"
                    class="button button-small button-quiet"
                    aria-pressed=move || only_selected.get().to_string()
                    on:click=move |_| only_selected.update(|o| *o = !*o)
                >
                    "Show selected"
                </button>
                <ul class="bundle-resource-list" aria-label=format!("Resources of {}", bundle.name)>
                    {resources
                        .into_iter()
                        .map(|(resource_id, resource_name, kind, permissions)| {
                            let input_id = format!("bundle-{id}-resource-{resource_id}");
                            let label_for = input_id.clone();
                            let is_ticked = move || ticked.with(|t| t.contains(&resource_id));
                            let tick = tick.clone();
                            view! {
                                <li
                                    class="bundle-resource"
                                    hidden=move || only_selected.get() && !is_ticked()
                                >
                                    <input
                                        type="checkbox"
                                        class="resource-check"
                                        id=input_id
                                        prop:checked=is_ticked
                                        on:change=move |event| tick(resource_id, event_target_checked(&event))
                                    />
                                    <label for=label_for>{resource_name}</label>
                                    <span class="resource-kind">{kind}</span>
                                    <span class="permission">{permissions.join(", ")}</span>
                                </li>
                            }
                        })
                        .collect_view()}
                </ul>
            </div>
        </li>
    }
}
