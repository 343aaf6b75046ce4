//! Request on Behalf of: me by default, or someone found by name in the user
//! directory. Choosing someone else clears the selection, since what may be
//! requested for them differs.

use std::time::Duration;

use gatehouse_shared::requests::UserRef;
use leptos::prelude::*;

use crate::{api, draft::use_draft, session::use_session};

const DEBOUNCE: Duration = Duration::from_millis(250);

#[component]
pub fn GranteePicker() -> impl IntoView {
    let draft = use_draft().draft;
    let session = use_session();
    let text = RwSignal::new(String::new());
    let search = RwSignal::new(String::new());
    let pending = StoredValue::new_local(None::<TimeoutHandle>);
    on_cleanup(move || {
        if let Some(Some(handle)) = pending.try_get_value() {
            handle.clear();
        }
    });

    let found = LocalResource::new(move || {
        let search = search.get();
        async move {
            if search.trim().is_empty() {
                Ok(Vec::new())
            } else {
                api::search_users(search.trim()).await
            }
        }
    });
    let me_id = move || session.me.with(|me| me.as_ref().map(|me| me.id));
    let matches = move || {
        found
            .get()
            .and_then(Result::ok)
            .unwrap_or_default()
            .into_iter()
            .filter(|user| Some(user.id) != me_id())
            .collect::<Vec<UserRef>>()
    };
    let choose = move |grantee: Option<UserRef>| {
        draft.update(|d| {
            if d.grantee.as_ref().map(|g| g.id) != grantee.as_ref().map(|g| g.id) {
                d.resources.clear();
                d.bundle = None;
            }
            d.grantee = grantee;
        });
        text.set(String::new());
        search.set(String::new());
    };
    let on_input = move |event| {
        let value = event_target_value(&event);
        text.set(value.clone());
        if let Some(handle) = pending.get_value() {
            handle.clear();
        }
        if let Ok(handle) = set_timeout_with_handle(move || search.set(value), DEBOUNCE) {
            pending.set_value(Some(handle));
        }
    };
    let current = move || match draft.with(|d| d.grantee.clone()) {
        Some(grantee) => format!("{} ({})", grantee.display_name, grantee.username),
        None => session
            .me
            .with(|me| me.as_ref().map(|me| format!("Me ({})", me.display_name)))
            .unwrap_or_else(|| "Me".to_owned()),
    };

    view! {
        <div class="grantee-picker">
            <div class="field">
                <label for="grantee-search">"Request on Behalf of"</label>
                <p class="grantee-current" id="grantee-current">
                    <span class="grantee-current-label">"Access for: "</span>
                    <strong>{current}</strong>
                    <Show when=move || draft.with(|d| d.grantee.is_some())>
                        <button type="button" class="button button-link" on:click=move |_| choose(None)>
                            "Request for myself"
                        </button>
                    </Show>
                </p>
                <input
                    id="grantee-search"
                    type="search"
                    autocomplete="off"
                    placeholder="Search people by name"
                    aria-describedby="grantee-current"
                    prop:value=move || text.get()
                    on:input=on_input
                />
            </div>
            <Show when=move || !search.with(|s| s.trim().is_empty())>
                <ul class="grantee-results" aria-label="People found">
                    <For
                        each=matches
                        key=|user| user.id
                        children=move |user| {
                            let label = format!("{} ({})", user.display_name, user.username);
                            let chosen = user.clone();
                            view! {
                                <li>
                                    <button
                                        type="button"
                                        class="grantee-result"
                                        on:click=move |_| choose(Some(chosen.clone()))
                                    >
                                        {label}
                                    </button>
                                </li>
                            }
                        }
                    />
                </ul>
            </Show>
        </div>
    }
}
