//! Delegated Requests: requests I made on behalf of others.

use leptos::prelude::*;

use crate::{
    api::RequestList,
    components::{page_title::set_page_title, requests_view::RequestsView},
};

#[component]
pub fn DelegatedRequestsPage() -> impl IntoView {
    set_page_title("Delegated Requests");
    view! {
        <RequestsView
            title="Delegated Requests"
            list=RequestList::Delegated
            widgets=false
            empty="You have not requested access for anyone else. Use Request on Behalf of on New Request."
        />
    }
}
