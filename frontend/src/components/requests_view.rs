//! A page of requests (My Requests, Delegated Requests, Favorites): the
//! Status filter, optionally the status widgets, the cards, and the details
//! panel of the open request. Filter and open request live in the URL.

use gatehouse_shared::RequestStatus;
use leptos::prelude::*;
use leptos_router::{
    NavigateOptions,
    hooks::{use_location, use_navigate},
};

use crate::{
    api::RequestList,
    components::{
        multi_select::{Choice, MultiSelect},
        request_list::RequestCards,
        request_panel::RequestPanel,
        requests_tabs::RequestsTabs,
        status_widgets::StatusWidgets,
    },
    request_list_url::RequestListUrl,
};

#[component]
pub fn RequestsView(
    title: &'static str,
    list: RequestList,
    /// The Active / Pending Approval / Pending MFA widgets (My Requests only).
    widgets: bool,
    empty: &'static str,
    /// Offer Request again on each card (Favorites).
    #[prop(optional)]
    again: bool,
) -> impl IntoView {
    let location = use_location();
    let navigate = StoredValue::new_local(use_navigate());
    let url = Memo::new(move |_| RequestListUrl::parse(&location.search.get()));
    let go = move |next: RequestListUrl| {
        let target = format!(
            "{}{}",
            location.pathname.get_untracked(),
            next.to_query_string()
        );
        navigate.with_value(|navigate| {
            navigate(
                &target,
                NavigateOptions {
                    scroll: false,
                    ..Default::default()
                },
            )
        });
    };
    let statuses = Signal::derive(move || url.with(|u| u.statuses.clone()));
    let choices = Signal::derive(|| {
        RequestStatus::ALL
            .iter()
            .map(|s| Choice {
                value: s.label().to_owned(),
                label: s.label().to_owned(),
            })
            .collect::<Vec<_>>()
    });
    let chosen = Signal::derive(move || {
        url.with(|u| {
            u.statuses
                .iter()
                .map(|s| s.label().to_owned())
                .collect::<Vec<_>>()
        })
    });
    let on_statuses = Callback::new(move |values: Vec<String>| {
        let mut next = url.get_untracked();
        next.statuses = values
            .iter()
            .filter_map(|v| RequestStatus::from_label(v))
            .collect();
        next.statuses.sort();
        go(next);
    });
    let on_widget = Callback::new(move |status: RequestStatus| {
        let mut next = url.get_untracked();
        next.toggle(status);
        go(next);
    });
    let on_open = Callback::new(move |id: i64| {
        let mut next = url.get_untracked();
        next.open = Some(id);
        go(next);
    });
    let on_close = Callback::new(move |()| {
        let mut next = url.get_untracked();
        next.open = None;
        go(next);
    });

    view! {
        <div class="page">
            <div class="page-heading">
                <h1>{title}</h1>
                <a class="button button-primary" href="/new-request">"New Request"</a>
            </div>
            <RequestsTabs />
            <div class="requests-bar">
                <MultiSelect
                    label="Status"
                    id="status"
                    choices=choices
                    chosen=chosen
                    on_change=on_statuses
                />
                <Show when=move || url.with(|u| !u.statuses.is_empty())>
                    <button
                        type="button"
                        class="button button-link"
                        on:click=move |_| {
                            let mut next = url.get_untracked();
                            next.statuses.clear();
                            go(next);
                        }
                    >
                        "Clear filters"
                    </button>
                </Show>
                {widgets.then(|| view! { <StatusWidgets chosen=statuses on_toggle=on_widget /> })}
            </div>
            <RequestCards list statuses on_open empty again />
            {move || {
                url.with(|u| u.open)
                    .map(|id| view! { <RequestPanel id on_close /> })
            }}
        </div>
    }
}
