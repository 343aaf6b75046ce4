//! The main navigation. Add a page by adding a line to [`PAGES`]; Approvals
//! shows how many requests wait on me.

use leptos::prelude::*;
use leptos_router::components::A;

use crate::{
    api::{self, RequestList},
    refresh::use_refresh,
};

/// (label, path) of every page in the main navigation, in order.
const PAGES: &[(&str, &str)] = &[
    ("My Access", "/my-access"),
    ("My Requests", "/my-requests"),
    ("New Request", "/new-request"),
    ("Approvals", "/approvals"),
];

#[component]
pub fn MainNav() -> impl IntoView {
    let refresh = use_refresh();
    let waiting = LocalResource::new(move || {
        refresh.version.get();
        api::list_requests(RequestList::Approvals, &[], None, 100)
    });
    let count = move || {
        waiting.get().and_then(Result::ok).map(|page| {
            let n = page.items.len();
            if page.next_cursor.is_some() {
                format!("{n}+")
            } else {
                n.to_string()
            }
        })
    };
    view! {
        <nav class="main-nav" aria-label="Main">
            <ul>
                {PAGES
                    .iter()
                    .map(|(label, path)| {
                        let badge = (*path == "/approvals").then(|| {
                            view! {
                                <span class="nav-count" hidden=move || matches!(count().as_deref(), None | Some("0"))>
                                    <span class="visually-hidden">", waiting: "</span>
                                    {count}
                                </span>
                            }
                        });
                        view! {
                            <li>
                                <A href=*path>{*label} {badge}</A>
                            </li>
                        }
                    })
                    .collect_view()}
            </ul>
        </nav>
    }
}
