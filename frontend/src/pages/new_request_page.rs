//! New Request: the All Resources tab, where the requester chooses how to
//! access resources (By Resource for now) and picks them.

mod by_resource;

use leptos::prelude::*;

use crate::components::page_title::set_page_title;
use by_resource::ByResource;

#[component]
pub fn NewRequestPage() -> impl IntoView {
    set_page_title("New Request");
    view! {
        <div class="page">
            <h1>"New Request"</h1>
            <div class="tabs" role="tablist" aria-label="What to request">
                <button
                    type="button"
                    role="tab"
                    class="tab"
                    id="tab-all-resources"
                    aria-selected="true"
                    aria-controls="panel-all-resources"
                >
                    "All Resources"
                </button>
            </div>
            <section
                class="tab-panel"
                role="tabpanel"
                id="panel-all-resources"
                aria-labelledby="tab-all-resources"
            >
                <fieldset class="access-method">
                    <legend>"How would you like to access resources?"</legend>
                    <label class="access-method-choice">
                        <input type="radio" name="access-method" value="by-resource" checked />
                        <span>"By Resource"</span>
                    </label>
                </fieldset>
                <ByResource />
            </section>
        </div>
    }
}
