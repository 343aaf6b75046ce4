//! The app's routes: log-in on its own, every other page inside the signed-in shell.

use leptos::prelude::*;
use leptos_router::{
    components::{ParentRoute, Redirect, Route, Router, Routes},
    path,
};

use crate::{
    components::{admin_frame::AdminGate, signed_in::SignedIn},
    pages::{
        admin::{
            audit::AdminAuditPage,
            bundles::AdminBundlesPage,
            flows::AdminFlowsPage,
            integrations::AdminIntegrationsPage,
            people::{AdminGroupsPage, AdminUsersPage},
            resource_types::AdminResourceTypesPage,
            resources::AdminResourcesPage,
            ticket_types::AdminTicketTypesPage,
        },
        approvals_page::ApprovalsPage,
        delegated_requests_page::DelegatedRequestsPage,
        favorites_page::FavoritesPage,
        login_page::LoginPage,
        my_access_page::MyAccessPage,
        my_requests_page::MyRequestsPage,
        new_request_bundles_page::NewRequestBundlesPage,
        new_request_details_page::NewRequestDetailsPage,
        new_request_page::NewRequestPage,
        not_found_page::NotFoundPage,
    },
    refresh::Refresh,
    session::Session,
};

#[component]
pub fn App() -> impl IntoView {
    Session::provide();
    Refresh::provide();
    view! {
        <Router>
            <Routes fallback=NotFoundPage>
                <Route path=path!("/login") view=LoginPage />
                <ParentRoute path=path!("") view=SignedIn>
                    <Route path=path!("/") view=|| view! { <Redirect path="/new-request" /> } />
                    <Route path=path!("/new-request") view=NewRequestPage />
                    <Route path=path!("/new-request/bundles") view=NewRequestBundlesPage />
                    <Route path=path!("/new-request/details") view=NewRequestDetailsPage />
                    <Route path=path!("/my-access") view=MyAccessPage />
                    <Route path=path!("/my-requests") view=MyRequestsPage />
                    <Route path=path!("/delegated-requests") view=DelegatedRequestsPage />
                    <Route path=path!("/favorites") view=FavoritesPage />
                    <Route path=path!("/approvals") view=ApprovalsPage />
                    <ParentRoute path=path!("/admin") view=AdminGate>
                        <Route path=path!("") view=|| view! { <Redirect path="/admin/access-flows" /> } />
                        <Route path=path!("/access-flows") view=AdminFlowsPage />
                        <Route path=path!("/bundles") view=AdminBundlesPage />
                        <Route path=path!("/resources") view=AdminResourcesPage />
                        <Route path=path!("/resource-types") view=AdminResourceTypesPage />
                        <Route path=path!("/integrations") view=AdminIntegrationsPage />
                        <Route path=path!("/users") view=AdminUsersPage />
                        <Route path=path!("/groups") view=AdminGroupsPage />
                        <Route path=path!("/ticket-types") view=AdminTicketTypesPage />
                        <Route path=path!("/audit") view=AdminAuditPage />
                    </ParentRoute>
                </ParentRoute>
            </Routes>
        </Router>
    }
}
