//! The frame of every signed-in page: brand, main navigation, who is signed
//! in with a Log out button, and the page itself.

use leptos::prelude::*;
use leptos_router::{NavigateOptions, components::Outlet, hooks::use_navigate};

use crate::{
    api,
    components::{error_alert::ErrorAlert, main_nav::MainNav},
    session::{forget_tab_state, use_session},
};

#[component]
pub fn AppShell() -> impl IntoView {
    let session = use_session();
    let navigate = use_navigate();
    let display_name = move || {
        session
            .me
            .with(|me| me.as_ref().map(|me| me.display_name.clone()))
            .unwrap_or_default()
    };

    let log_out = Action::new_local(|_: &()| api::log_out());
    let failure = RwSignal::new(None::<String>);
    Effect::new(move |_| match log_out.value().get() {
        Some(Ok(())) => {
            forget_tab_state();
            session.me.set(None);
            navigate(
                "/login",
                NavigateOptions {
                    replace: true,
                    ..Default::default()
                },
            );
        }
        Some(Err(error)) => failure.set(Some(error.message)),
        None => {}
    });

    view! {
        <header class="app-header">
            <div class="app-header-inner">
                <a class="brand" href="/new-request">
                    <svg class="brand-mark" viewBox="0 0 24 24" aria-hidden="true" focusable="false">
                        <path d="M4 21V9l8-6 8 6v12h-5v-6a3 3 0 0 0-6 0v6H4z" fill="currentColor" />
                    </svg>
                    <span>"Gatehouse"</span>
                </a>
                <MainNav />
                <div class="account">
                    <span class="account-name">{display_name}</span>
                    <button
                        type="button"
                        class="button button-quiet"
                        on:click=move |_| {
                            log_out.dispatch_local(());
                        }
                        disabled=move || log_out.pending().get()
                    >
                        "Log out"
                    </button>
                </div>
            </div>
        </header>
        <ErrorAlert message=failure />
        <main id="main" class="app-main">
            <Outlet />
        </main>
    }
}
