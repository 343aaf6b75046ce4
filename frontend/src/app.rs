//! The app's routes: log-in on its own, every other page inside the signed-in shell.

use leptos::prelude::*;
use leptos_router::{
    components::{ParentRoute, Redirect, Route, Router, Routes},
    path,
};

use crate::{
    components::signed_in::SignedIn,
    pages::{
        login_page::LoginPage, new_request_page::NewRequestPage, not_found_page::NotFoundPage,
    },
    session::Session,
};

#[component]
pub fn App() -> impl IntoView {
    Session::provide();
    view! {
        <Router>
            <Routes fallback=NotFoundPage>
                <Route path=path!("/login") view=LoginPage />
                <ParentRoute path=path!("") view=SignedIn>
                    <Route path=path!("/") view=|| view! { <Redirect path="/new-request" /> } />
                    <Route path=path!("/new-request") view=NewRequestPage />
                </ParentRoute>
            </Routes>
        </Router>
    }
}
