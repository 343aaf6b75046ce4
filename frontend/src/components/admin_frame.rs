//! The frame of every Admin page: the admins-only gate, the section tabs,
//! the heading with its "New …" button, and the page's editor and delete
//! confirmation.

use leptos::prelude::*;
use leptos_router::components::{A, Outlet};

use crate::{
    admin_api::Collection,
    admin_page::AdminPage,
    components::{admin_form::DeleteDialog, page_title::set_page_title},
    session::use_session,
};

const SECTIONS: &[(&str, &str)] = &[
    ("Access Flows", "/admin/access-flows"),
    ("Bundles", "/admin/bundles"),
    ("Resources", "/admin/resources"),
    ("Resource Types", "/admin/resource-types"),
    ("Integrations", "/admin/integrations"),
    ("Users", "/admin/users"),
    ("Groups", "/admin/groups"),
    ("Ticket Types", "/admin/ticket-types"),
    ("Audit Log", "/admin/audit"),
    ("Sign-in", "/admin/sso"),
];

/// Whether the signed-in user is an admin (the server checks every call too).
pub fn is_admin() -> bool {
    use_session()
        .me
        .with_untracked(|me| me.as_ref().is_some_and(|me| me.is_admin))
}

#[component]
pub fn AdminFrame(
    title: &'static str,
    intro: &'static str,
    /// The "New …" button, when the page creates things.
    #[prop(optional)]
    new_label: Option<&'static str>,
    /// Where deletes go, when the page deletes things.
    #[prop(optional)]
    collection: Option<Collection>,
    page: AdminPage,
    children: Children,
) -> impl IntoView {
    set_page_title(&format!("{title} · Admin"));
    view! {
        <div class="page">
            <nav class="view-tabs admin-tabs" aria-label="Admin sections">
                {SECTIONS
                    .iter()
                    .map(|(label, path)| view! { <A href=*path>{*label}</A> })
                    .collect_view()}
            </nav>
            <div class="page-heading">
                <h1>{title}</h1>
                {new_label.map(|label| view! {
                    <button type="button" class="button button-primary" on:click=move |_| page.open(None)>
                        {label}
                    </button>
                })}
            </div>
            <p class="muted page-intro">{intro}</p>
            {children()}
            {collection.map(|collection| view! { <DeleteDialog collection page /> })}
        </div>
    }
}

/// Every Admin page sits behind this: requesters see why they cannot go on
/// (and nothing is asked of the server, which would refuse anyway).
#[component]
pub fn AdminGate() -> impl IntoView {
    if is_admin() {
        view! { <Outlet /> }.into_any()
    } else {
        set_page_title("Admin");
        view! {
            <div class="page">
                <h1>"Admin"</h1>
                <p class="alert" role="alert">
                    "Only admins can open the Admin pages. Ask an admin if the catalog or an access flow needs a change."
                </p>
            </div>
        }
        .into_any()
    }
}
