//! Find a resource in the whole catalog by name, path or tag and pick it
//! (admin forms: bundle items, access flow scope).

use gatehouse_shared::catalog::Resource;
use leptos::prelude::*;

use crate::admin_api;

const SHOWN: u32 = 8;

#[component]
pub fn ResourcePicker(
    id: &'static str,
    label: &'static str,
    #[prop(optional, into)] hint: Option<&'static str>,
    on_pick: Callback<Resource>,
) -> impl IntoView {
    let text = RwSignal::new(String::new());
    let found = LocalResource::new(move || {
        let text = text.get();
        async move {
            if text.trim().is_empty() {
                Ok(Vec::new())
            } else {
                admin_api::list_resources(&text, None, 0, SHOWN)
                    .await
                    .map(|page| page.items)
            }
        }
    });
    let results = move || found.get().and_then(Result::ok).unwrap_or_default();
    let failure = move || found.get().and_then(Result::err).map(|e| e.message);
    let hint_id = format!("{id}-hint");
    view! {
        <div class="field picker">
            <label for=id>{label}</label>
            <input
                id=id
                type="search"
                autocomplete="off"
                placeholder="Search by name, path or tag"
                aria-describedby=hint_id.clone()
                prop:value=move || text.get()
                on:input=move |event| text.set(event_target_value(&event))
            />
            <p id=hint_id class="field-hint">{hint.unwrap_or("Type to search, then pick a resource.")}</p>
            {move || failure().map(|message| view! { <p class="field-error" role="alert">{message}</p> })}
            <ul class="picker-results" aria-label="Matching resources" hidden=move || results().is_empty()>
                {move || {
                    results()
                        .into_iter()
                        .map(|resource| {
                            let add = format!("Add {}", resource.name);
                            let detail = format!(
                                "{} · {} · {}",
                                resource.integration_name,
                                resource.resource_type_name,
                                resource.path
                            );
                            let name = resource.name.clone();
                            view! {
                                <li>
                                    <button
                                        type="button"
                                        class="picker-result"
                                        aria-label=add
                                        on:click=move |_| {
                                            on_pick.run(resource.clone());
                                            text.set(String::new());
                                        }
                                    >
                                        <span class="resource-name">{name}</span>
                                        <span class="muted">{detail}</span>
                                    </button>
                                </li>
                            }
                        })
                        .collect_view()
                }}
            </ul>
        </div>
    }
}
