//! New Request: the All Resources tab, where the requester says who gets the
//! access (Request on Behalf of), may describe what they need in plain words, chooses how to access resources (By
//! Resource or By App, kept in the URL as `?by=app`) and picks them, then
//! goes on with Next.

mod by_app;
mod by_resource;

use leptos::prelude::*;
use leptos_router::{
    NavigateOptions,
    hooks::{use_location, use_navigate},
};

use crate::{
    components::{
        assist_box::AssistBox, grantee_picker::GranteePicker, new_request_tabs::NewRequestTabs,
        page_title::set_page_title,
    },
    draft::DraftStore,
};
use by_app::ByApp;
use by_resource::ByResource;

#[component]
pub fn NewRequestPage() -> impl IntoView {
    set_page_title("New Request");
    DraftStore::provide();
    let location = use_location();
    let navigate = StoredValue::new_local(use_navigate());
    let by_app = Memo::new(move |_| location.search.with(|s| s.contains("by=app")));
    let switch = move |to_app: bool| {
        let target = if to_app {
            "/new-request?by=app"
        } else {
            "/new-request"
        };
        navigate.with_value(|navigate| navigate(target, NavigateOptions::default()));
    };
    view! {
        <div class="page">
            <h1>"New Request"</h1>
            <NewRequestTabs current="all" />
            <section class="tab-panel" role="tabpanel" id="panel-all" aria-labelledby="tab-all">
                <GranteePicker />
                <AssistBox />
                <fieldset class="access-method">
                    <legend>"How would you like to access resources?"</legend>
                    <div class="access-methods">
                        <label class="access-method-choice">
                            <input
                                type="radio"
                                name="access-method"
                                value="by-resource"
                                prop:checked=move || !by_app.get()
                                on:change=move |_| switch(false)
                            />
                            <span>"By Resource"</span>
                        </label>
                        <label class="access-method-choice">
                            <input
                                type="radio"
                                name="access-method"
                                value="by-app"
                                prop:checked=move || by_app.get()
                                on:change=move |_| switch(true)
                            />
                            <span>"By App"</span>
                        </label>
                    </div>
                </fieldset>
                <Show when=move || by_app.get() fallback=|| view! { <ByResource /> }>
                    <ByApp />
                </Show>
            </section>
        </div>
    }
}
