//! My Requests: the requests that give me access, with the status widgets.

use leptos::prelude::*;

use crate::{
    api::RequestList,
    components::{page_title::set_page_title, requests_view::RequestsView},
};

#[component]
pub fn MyRequestsPage() -> impl IntoView {
    set_page_title("My Requests");
    view! {
        <RequestsView
            title="My Requests"
            list=RequestList::Mine
            widgets=true
            empty="No requests here yet. Ask for access with New Request, or change the status filter."
        />
    }
}
