//! One resource in the By Resource list: a checkbox named by the resource,
//! where it lives, its tags and the permissions it offers.

use std::collections::BTreeSet;

use gatehouse_shared::catalog::Resource;
use leptos::prelude::*;

#[component]
pub fn ResourceRow(
    resource: Resource,
    #[prop(into)] selected: Signal<BTreeSet<i64>>,
    /// Called with the resource and whether the box was checked.
    on_toggle: Callback<(Resource, bool)>,
) -> impl IntoView {
    let id = resource.id;
    let whole = resource.clone();
    let input_id = format!("resource-{id}");
    let label_for = input_id.clone();
    let is_selected = move || selected.with(|s| s.contains(&id));
    view! {
        <li class="resource" class:resource-selected=is_selected>
            <input
                type="checkbox"
                class="resource-check"
                id=input_id
                prop:checked=is_selected
                on:change=move |event| on_toggle.run((whole.clone(), event_target_checked(&event)))
            />
            <div class="resource-body">
                <label class="resource-name" for=label_for>
                    {resource.name}
                </label>
                <span class="resource-kind">
                    {format!("{} · {}", resource.integration_name, resource.resource_type_name)}
                </span>
                <span class="resource-path">{resource.path}</span>
                <ul class="tags" aria-label="Tags">
                    {resource
                        .tags
                        .into_iter()
                        .map(|tag| view! { <li class="tag">{tag}</li> })
                        .collect_view()}
                </ul>
            </div>
            <ul class="permissions" aria-label="Permissions">
                {resource
                    .permissions
                    .into_iter()
                    .map(|permission| view! { <li class="permission">{permission.name}</li> })
                    .collect_view()}
            </ul>
        </li>
    }
}
