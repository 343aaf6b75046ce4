//! The app's routes: log-in on its own, every other page inside the signed-in shell.

use leptos::{
    prelude::*,
    wasm_split::{SplitLoaderError, wasm_split},
};
use leptos_router::{
    Lazy, LazyRoute,
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
            sign_in::AdminSignInPage,
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
                    <Route path=path!("/approvals") view={Lazy::<ApprovalsRoute>::new()} />
                    <ParentRoute path=path!("/admin") view=AdminGate>
                        <Route path=path!("") view=|| view! { <Redirect path="/admin/access-flows" /> } />
                        <Route path=path!("/access-flows") view={Lazy::<AdminRoute<{ admin::FLOWS }>>::new()} />
                        <Route path=path!("/bundles") view={Lazy::<AdminRoute<{ admin::BUNDLES }>>::new()} />
                        <Route path=path!("/resources") view={Lazy::<AdminRoute<{ admin::RESOURCES }>>::new()} />
                        <Route path=path!("/resource-types") view={Lazy::<AdminRoute<{ admin::RESOURCE_TYPES }>>::new()} />
                        <Route path=path!("/integrations") view={Lazy::<AdminRoute<{ admin::INTEGRATIONS }>>::new()} />
                        <Route path=path!("/users") view={Lazy::<AdminRoute<{ admin::USERS }>>::new()} />
                        <Route path=path!("/groups") view={Lazy::<AdminRoute<{ admin::GROUPS }>>::new()} />
                        <Route path=path!("/ticket-types") view={Lazy::<AdminRoute<{ admin::TICKET_TYPES }>>::new()} />
                        <Route path=path!("/audit") view={Lazy::<AdminRoute<{ admin::AUDIT }>>::new()} />
                        <Route path=path!("/sso") view={Lazy::<AdminRoute<{ admin::SIGN_IN }>>::new()} />
                    </ParentRoute>
                </ParentRoute>
            </Routes>
        </Router>
    }
}

/// Approvals: only approvers open it, so, like Admin, it is downloaded on
/// first use ([`approvals_view`]).
struct ApprovalsRoute;

impl LazyRoute for ApprovalsRoute {
    fn data() -> Self {
        Self
    }

    async fn view(_this: Self) -> AnyView {
        approvals_view()
            .await
            .unwrap_or_else(|_| not_downloaded("Approvals"))
    }
}

/// The Approvals page's split point (see [`admin_view`]).
#[wasm_split(approvals, wasm_split_path = ::leptos::wasm_split, fallible)]
fn approvals_view() -> Result<AnyView, SplitLoaderError> {
    Ok(view! { <ApprovalsPage /> }.into_any())
}

/// The Admin pages by number, for [`AdminRoute`].
mod admin {
    pub const FLOWS: u8 = 0;
    pub const BUNDLES: u8 = 1;
    pub const RESOURCES: u8 = 2;
    pub const RESOURCE_TYPES: u8 = 3;
    pub const INTEGRATIONS: u8 = 4;
    pub const USERS: u8 = 5;
    pub const GROUPS: u8 = 6;
    pub const TICKET_TYPES: u8 = 7;
    pub const AUDIT: u8 = 8;
    pub const SIGN_IN: u8 = 9;
}

/// An Admin page. Only admins open these, so they are one part of the portal
/// that is downloaded on first use ([`admin_view`]), not with the rest.
struct AdminRoute<const PAGE: u8>;

impl<const PAGE: u8> LazyRoute for AdminRoute<PAGE> {
    fn data() -> Self {
        Self
    }

    async fn view(_this: Self) -> AnyView {
        admin_view(PAGE)
            .await
            .unwrap_or_else(|_| not_downloaded("Admin"))
    }
}

/// Every Admin page behind one split point: `scripts/portal-wasm` moves what
/// only this function reaches into its own wasm module (`split_admin.wasm`),
/// fetched the first time an admin opens Admin; one split point for all nine
/// pages keeps it one file (plus a small chunk shared with Approvals).
/// `fallible`: a failed download is an answer, not a panic, and the next
/// visit tries again.
#[wasm_split(admin, wasm_split_path = ::leptos::wasm_split, fallible)]
fn admin_view(page: u8) -> Result<AnyView, SplitLoaderError> {
    Ok(match page {
        admin::FLOWS => view! { <AdminFlowsPage /> }.into_any(),
        admin::BUNDLES => view! { <AdminBundlesPage /> }.into_any(),
        admin::RESOURCES => view! { <AdminResourcesPage /> }.into_any(),
        admin::RESOURCE_TYPES => view! { <AdminResourceTypesPage /> }.into_any(),
        admin::INTEGRATIONS => view! { <AdminIntegrationsPage /> }.into_any(),
        admin::USERS => view! { <AdminUsersPage /> }.into_any(),
        admin::GROUPS => view! { <AdminGroupsPage /> }.into_any(),
        admin::TICKET_TYPES => view! { <AdminTicketTypesPage /> }.into_any(),
        admin::AUDIT => view! { <AdminAuditPage /> }.into_any(),
        admin::SIGN_IN => view! { <AdminSignInPage /> }.into_any(),
        _ => view! { <NotFoundPage /> }.into_any(),
    })
}

/// What a page downloaded on first use shows when the download failed: the
/// connection dropped (opening the page again retries), or Gatehouse was
/// updated since this tab loaded, so its modules are gone (only a reload
/// helps).
fn not_downloaded(page: &'static str) -> AnyView {
    view! {
        <div class="page">
            <h1>{page}</h1>
            <p class="alert" role="alert">
                {format!(
                    "{page} could not be downloaded. Check the connection and open {page} again, \
                     or reload the page if Gatehouse was updated since you opened it."
                )}
            </p>
            <button type="button" class="button" on:click=|_| {
                let _ = window().location().reload();
            }>"Reload the page"</button>
        </div>
    }
    .into_any()
}
