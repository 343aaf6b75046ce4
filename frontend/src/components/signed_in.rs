//! Guards every page but log-in: asks the server who is signed in, and sends
//! anyone who is not (or whose session ends later) to the log-in page.

use leptos::prelude::*;
use leptos_router::{
    NavigateOptions,
    hooks::{use_location, use_navigate},
};

use crate::{api, components::app_shell::AppShell, session::use_session};

/// `/login?next=<where the user was>`.
pub fn login_url(path: &str, search: &str) -> String {
    let here = match search.trim_start_matches('?') {
        "" => path.to_owned(),
        query => format!("{path}?{query}"),
    };
    if here.is_empty() || here == "/" {
        "/login".to_owned()
    } else {
        format!("/login?next={}", web_sys_encode(&here))
    }
}

fn web_sys_encode(text: &str) -> String {
    String::from(web_sys::js_sys::encode_uri_component(text))
}

#[component]
pub fn SignedIn() -> impl IntoView {
    let session = use_session();
    let navigate = use_navigate();
    let location = use_location();

    // Any 401 from the API means the session is gone: back to log-in,
    // remembering where the user was.
    api::on_unauthorized(move || {
        session.me.set(None);
        let path = location.pathname.get_untracked();
        if path != "/login" {
            let target = login_url(&path, &location.search.get_untracked());
            navigate(
                &target,
                NavigateOptions {
                    replace: true,
                    ..Default::default()
                },
            );
        }
    });

    let check = LocalResource::new(move || async move {
        if session.me.get_untracked().is_none() {
            session.me.set(Some(api::get_me().await?));
        }
        Ok::<(), gatehouse_shared::ApiError>(())
    });
    let signed_in = Memo::new(move |_| session.me.with(Option::is_some));

    let waiting = move || match check.get() {
        Some(Err(error)) if error.code != "unauthenticated" => view! {
            <main class="centered-page">
                <div class="panel">
                    <h1>"Gatehouse"</h1>
                    <p role="alert" class="alert">{error.message}</p>
                    <button type="button" class="button" on:click=move |_| check.refetch()>
                        "Try again"
                    </button>
                </div>
            </main>
        }
        .into_any(),
        _ => view! {
            <main class="centered-page">
                <p class="loading" role="status">"Loading…"</p>
            </main>
        }
        .into_any(),
    };

    view! {
        <Show when=move || signed_in.get() fallback=waiting>
            <AppShell />
        </Show>
    }
}
