//! Favorites: my starred requests, to request again in one step.

use leptos::prelude::*;

use crate::{
    api::RequestList,
    components::{page_title::set_page_title, requests_view::RequestsView},
};

#[component]
pub fn FavoritesPage() -> impl IntoView {
    set_page_title("Favorites");
    view! {
        <RequestsView
            title="Favorites"
            list=RequestList::Favorites
            widgets=false
            again=true
            empty="No favorites yet. Star an expired or revoked request to find it here."
        />
    }
}
