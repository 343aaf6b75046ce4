//! The Search field: shows every keystroke at once, but tells the page only
//! once typing pauses (250 ms), so the list is not reloaded per key.

use std::time::Duration;

use leptos::prelude::*;

const DEBOUNCE: Duration = Duration::from_millis(250);

#[component]
pub fn SearchField(
    /// The search the list currently shows (from the URL).
    #[prop(into)]
    committed: Signal<String>,
    /// Called with the text once typing pauses.
    on_search: Callback<String>,
    /// What can be searched for; resources by default.
    #[prop(optional)]
    placeholder: Option<&'static str>,
) -> impl IntoView {
    let text = RwSignal::new(committed.get_untracked());
    let pending = StoredValue::new_local(None::<TimeoutHandle>);

    // Follow the URL when it changes from elsewhere (Back, a link), but never
    // overwrite what the user is still typing.
    Effect::new(move |_| {
        let committed = committed.get();
        if pending.with_value(Option::is_none) && committed != text.get_untracked() {
            text.set(committed);
        }
    });
    on_cleanup(move || {
        if let Some(Some(handle)) = pending.try_get_value() {
            handle.clear();
        }
    });

    let on_input = move |event| {
        let value = event_target_value(&event);
        text.set(value.clone());
        if let Some(handle) = pending.get_value() {
            handle.clear();
        }
        let fire = value.clone();
        match set_timeout_with_handle(
            move || {
                pending.set_value(None);
                on_search.run(fire);
            },
            DEBOUNCE,
        ) {
            Ok(handle) => pending.set_value(Some(handle)),
            Err(_) => on_search.run(value),
        }
    };

    view! {
        <div class="field search-field">
            <label for="resource-search">"Search"</label>
            <input
                id="resource-search"
                type="search"
                autocomplete="off"
                placeholder=placeholder.unwrap_or("Name, path or tag")
                prop:value=move || text.get()
                on:input=on_input
            />
        </div>
    }
}
