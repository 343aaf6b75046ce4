//! The main navigation. Add a page by adding a line to [`PAGES`]; Approvals
//! shows how many requests wait on me; Admin shows only to admins.

use gatehouse_shared::requests::ApprovalCount;
use leptos::prelude::*;
use leptos_router::hooks::use_location;

use crate::{api, components::admin_frame::is_admin, loading::load_answer, refresh::use_refresh};

/// Whether the page at `path` belongs to the navigation entry `entry`
/// (Delegated Requests and Favorites are views of My Requests; the New
/// Request steps are New Request).
fn is_current(entry: &str, path: &str) -> bool {
    match entry {
        "/my-requests" => matches!(path, "/my-requests" | "/delegated-requests" | "/favorites"),
        "/new-request" => path == entry || path.starts_with("/new-request/"),
        "/admin" => path == entry || path.starts_with("/admin/"),
        _ => path == entry,
    }
}

/// (label, path) of every page in the main navigation, in order.
const PAGES: &[(&str, &str)] = &[
    ("My Access", "/my-access"),
    ("My Requests", "/my-requests"),
    ("New Request", "/new-request"),
    ("Approvals", "/approvals"),
    ("Admin", "/admin"),
];

#[component]
pub fn MainNav() -> impl IntoView {
    let refresh = use_refresh();
    let location = use_location();
    let waiting = load_answer::<ApprovalCount>(move || {
        refresh.version.track();
        api::approval_count()
    });
    let count = move || {
        waiting
            .get()
            .and_then(Result::ok)
            .map(|count| count.waiting.to_string())
    };
    view! {
        <nav class="main-nav" aria-label="Main">
            <ul>
                {PAGES
                    .iter()
                    .filter(|(_, path)| *path != "/admin" || is_admin())
                    .map(|(label, path)| {
                        let badge = (*path == "/approvals").then(|| {
                            view! {
                                <span class="nav-count" hidden=move || matches!(count().as_deref(), None | Some("0"))>
                                    <span class="visually-hidden">", waiting: "</span>
                                    {count}
                                </span>
                            }
                        });
                        let entry = *path;
                        let current = move || {
                            location
                                .pathname
                                .with(|here| is_current(entry, here))
                                .then_some("page")
                        };
                        view! {
                            <li>
                                <a href=entry aria-current=current>
                                    {*label}
                                    {badge}
                                </a>
                            </li>
                        }
                    })
                    .collect_view()}
            </ul>
        </nav>
    }
}

#[cfg(test)]
mod tests {
    use super::is_current;

    #[test]
    fn request_views_and_new_request_steps_light_up_their_entry() {
        assert!(is_current("/my-requests", "/favorites"));
        assert!(is_current("/my-requests", "/delegated-requests"));
        assert!(is_current("/new-request", "/new-request/details"));
        assert!(!is_current("/new-request", "/new-requests"));
        assert!(!is_current("/approvals", "/my-requests"));
        assert!(is_current("/admin", "/admin/access-flows"));
        assert!(!is_current("/admin", "/administrator"));
    }
}
