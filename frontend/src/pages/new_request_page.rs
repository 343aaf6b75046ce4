//! New Request: the All Resources tab, where the requester says who gets the
//! access (Request on Behalf of), chooses how to access resources (By
//! Resource for now) and picks them, then goes on with Next.

mod by_resource;

use leptos::prelude::*;

use crate::{
    components::{
        grantee_picker::GranteePicker, new_request_tabs::NewRequestTabs, page_title::set_page_title,
    },
    draft::DraftStore,
};
use by_resource::ByResource;

#[component]
pub fn NewRequestPage() -> impl IntoView {
    set_page_title("New Request");
    DraftStore::provide();
    view! {
        <div class="page">
            <h1>"New Request"</h1>
            <NewRequestTabs current="all" />
            <section class="tab-panel" role="tabpanel" id="panel-all" aria-labelledby="tab-all">
                <GranteePicker />
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
