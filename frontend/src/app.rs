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
                    <Route path=path!("/new-request") view={Lazy::<Split<{ page::NEW_REQUEST }>>::new()} />
                    <Route path=path!("/new-request/bundles") view={Lazy::<Split<{ page::NEW_REQUEST_BUNDLES }>>::new()} />
                    <Route path=path!("/new-request/details") view={Lazy::<Split<{ page::NEW_REQUEST_DETAILS }>>::new()} />
                    <Route path=path!("/my-access") view={Lazy::<Split<{ page::MY_ACCESS }>>::new()} />
                    <Route path=path!("/my-requests") view=MyRequestsPage />
                    <Route path=path!("/delegated-requests") view=DelegatedRequestsPage />
                    <Route path=path!("/favorites") view=FavoritesPage />
                    <Route path=path!("/approvals") view={Lazy::<Split<{ page::APPROVALS }>>::new()} />
                    <ParentRoute path=path!("/admin") view=AdminGate>
                        <Route path=path!("") view=|| view! { <Redirect path="/admin/access-flows" /> } />
                        <Route path=path!("/access-flows") view={Lazy::<Split<{ page::ADMIN_FLOWS }>>::new()} />
                        <Route path=path!("/bundles") view={Lazy::<Split<{ page::ADMIN_BUNDLES }>>::new()} />
                        <Route path=path!("/resources") view={Lazy::<Split<{ page::ADMIN_RESOURCES }>>::new()} />
                        <Route path=path!("/resource-types") view={Lazy::<Split<{ page::ADMIN_RESOURCE_TYPES }>>::new()} />
                        <Route path=path!("/integrations") view={Lazy::<Split<{ page::ADMIN_INTEGRATIONS }>>::new()} />
                        <Route path=path!("/users") view={Lazy::<Split<{ page::ADMIN_USERS }>>::new()} />
                        <Route path=path!("/groups") view={Lazy::<Split<{ page::ADMIN_GROUPS }>>::new()} />
                        <Route path=path!("/ticket-types") view={Lazy::<Split<{ page::ADMIN_TICKET_TYPES }>>::new()} />
                        <Route path=path!("/audit") view={Lazy::<Split<{ page::ADMIN_AUDIT }>>::new()} />
                        <Route path=path!("/sso") view={Lazy::<Split<{ page::ADMIN_SIGN_IN }>>::new()} />
                    </ParentRoute>
                </ParentRoute>
            </Routes>
        </Router>
    }
}

/// The pages downloaded on first use, by number ([`Split`]).
mod page {
    // The requester's pages other than My Requests: `requester_view`.
    pub const NEW_REQUEST: u8 = 0;
    pub const NEW_REQUEST_BUNDLES: u8 = 1;
    pub const NEW_REQUEST_DETAILS: u8 = 2;
    pub const MY_ACCESS: u8 = 3;
    // Approvals: `approvals_view`.
    pub const APPROVALS: u8 = 10;
    // Admin: `admin_view`.
    pub const ADMIN_FLOWS: u8 = 20;
    pub const ADMIN_BUNDLES: u8 = 21;
    pub const ADMIN_RESOURCES: u8 = 22;
    pub const ADMIN_RESOURCE_TYPES: u8 = 23;
    pub const ADMIN_INTEGRATIONS: u8 = 24;
    pub const ADMIN_USERS: u8 = 25;
    pub const ADMIN_GROUPS: u8 = 26;
    pub const ADMIN_TICKET_TYPES: u8 = 27;
    pub const ADMIN_AUDIT: u8 = 28;
    pub const ADMIN_SIGN_IN: u8 = 29;
}

/// A page that is not in the portal's first download: the log-in page, the
/// signed-in shell and My Requests (with its Delegated and Favorites views)
/// are (what everyone sees first); the rest
/// sit behind three split points, each of which `scripts/portal-wasm` turns
/// into a wasm module of its own, fetched the first time one of its pages
/// opens (and, for the requester pages, ahead of time once the first page
/// is up: see `prefetch`):
/// - the requester's other pages ([`requester_view`]): New Request (with
///   Assist) and My Access;
/// - Approvals ([`approvals_view`]), which only approvers open;
/// - Admin ([`admin_view`]), which only admins open.
struct Split<const PAGE: u8>;

impl<const PAGE: u8> LazyRoute for Split<PAGE> {
    fn data() -> Self {
        Self
    }

    async fn view(_this: Self) -> AnyView {
        let (module, name) = match PAGE {
            page::APPROVALS => (approvals_view().await, "Approvals"),
            page::ADMIN_FLOWS.. => (admin_view(PAGE).await, "Admin"),
            page::MY_ACCESS => (requester_view(PAGE).await, "My Access"),
            _ => (requester_view(PAGE).await, "New Request"),
        };
        module.unwrap_or_else(|_| not_downloaded(name))
    }
}

/// The requester pages' split point (see [`admin_view`]).
#[wasm_split(requester, wasm_split_path = ::leptos::wasm_split, fallible)]
fn requester_view(page: u8) -> Result<AnyView, SplitLoaderError> {
    Ok(match page {
        page::NEW_REQUEST => view! { <NewRequestPage /> }.into_any(),
        page::NEW_REQUEST_BUNDLES => view! { <NewRequestBundlesPage /> }.into_any(),
        page::NEW_REQUEST_DETAILS => view! { <NewRequestDetailsPage /> }.into_any(),
        page::MY_ACCESS => view! { <MyAccessPage /> }.into_any(),
        _ => view! { <NotFoundPage /> }.into_any(),
    })
}

/// The Approvals page's split point (see [`admin_view`]).
#[wasm_split(approvals, wasm_split_path = ::leptos::wasm_split, fallible)]
fn approvals_view() -> Result<AnyView, SplitLoaderError> {
    Ok(view! { <ApprovalsPage /> }.into_any())
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
        page::ADMIN_FLOWS => view! { <AdminFlowsPage /> }.into_any(),
        page::ADMIN_BUNDLES => view! { <AdminBundlesPage /> }.into_any(),
        page::ADMIN_RESOURCES => view! { <AdminResourcesPage /> }.into_any(),
        page::ADMIN_RESOURCE_TYPES => view! { <AdminResourceTypesPage /> }.into_any(),
        page::ADMIN_INTEGRATIONS => view! { <AdminIntegrationsPage /> }.into_any(),
        page::ADMIN_USERS => view! { <AdminUsersPage /> }.into_any(),
        page::ADMIN_GROUPS => view! { <AdminGroupsPage /> }.into_any(),
        page::ADMIN_TICKET_TYPES => view! { <AdminTicketTypesPage /> }.into_any(),
        page::ADMIN_AUDIT => view! { <AdminAuditPage /> }.into_any(),
        page::ADMIN_SIGN_IN => view! { <AdminSignInPage /> }.into_any(),
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
