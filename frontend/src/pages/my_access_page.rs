//! My Access: my active sessions, the three most recent closed requests and
//! my favorites, with Request again; a card opens the request's panel.

use gatehouse_shared::requests::{AccessRequest, MyAccess};
use leptos::prelude::*;
use leptos_router::{
    NavigateOptions,
    hooks::{use_location, use_navigate},
};

use crate::{
    api,
    components::{
        error_alert::ErrorAlert, page_title::set_page_title, request_card::RequestCard,
        request_panel::RequestPanel,
    },
    loading::load_answer,
    refresh::use_refresh,
    request_list_url::RequestListUrl,
};

#[component]
pub fn MyAccessPage() -> impl IntoView {
    set_page_title("My Access");
    let refresh = use_refresh();
    let location = use_location();
    let navigate = StoredValue::new_local(use_navigate());
    let url = Memo::new(move |_| RequestListUrl::parse(&location.search.get()));
    let open = move |id: Option<i64>| {
        let next = RequestListUrl {
            open: id,
            ..Default::default()
        };
        let target = format!("/my-access{}", next.to_query_string());
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
    let on_open = Callback::new(move |id: i64| open(Some(id)));
    let on_close = Callback::new(move |()| open(None));
    let access = load_answer(move || {
        refresh.version.track();
        api::my_access()
    });
    let latest = Memo::new(
        move |previous: Option<&Option<MyAccess>>| match access.get() {
            Some(Ok(access)) => Some(access),
            _ => previous.cloned().flatten(),
        },
    );
    let failure = RwSignal::new(None::<String>);
    let load_failure =
        Signal::derive(move || access.get().and_then(Result::err).map(|e| e.message));
    let section = move |title: &'static str,
                        id: &'static str,
                        pick: fn(&MyAccess) -> Vec<AccessRequest>,
                        empty: &'static str,
                        again: bool,
                        connect: bool| {
        let items = move || latest.with(|a| a.as_ref().map(pick).unwrap_or_default());
        view! {
            <section class="access-section" aria-labelledby=id>
                <h2 id=id>{title}</h2>
                <ul class="request-cards" aria-label=title>
                    <For
                        each=items
                        key=|request| (request.id, request.status, request.is_favorite)
                        children=move |request| view! { <RequestCard request on_open failure again connect /> }
                    />
                </ul>
                <Show when=move || latest.with(|a| a.as_ref().is_some_and(|a| pick(a).is_empty()))>
                    <p class="empty">{empty}</p>
                </Show>
            </section>
        }
    };
    view! {
        <div class="page">
            <div class="page-heading">
                <h1>"My Access"</h1>
                <a class="button button-primary" href="/new-request">"New Request"</a>
            </div>
            <ErrorAlert message=load_failure />
            <ErrorAlert message=failure />
            <Show when=move || latest.with(Option::is_none)>
                <p class="loading" role="status">"Loading…"</p>
            </Show>
            {section("My Sessions", "sessions-heading", |a| a.sessions.clone(), "No active access. Ask for some with New Request.", false, true)}
            {section("Closed Requests", "closed-heading", |a| a.closed.clone(), "No closed requests yet.", true, false)}
            {section("Favorites", "favorites-heading", |a| a.favorites.clone(), "No favorites yet.", true, false)}
            {move || url.with(|u| u.open).map(|id| view! { <RequestPanel id on_close /> })}
        </div>
    }
}
