//! The log-in page: username and password; a refusal is shown on the form
//! and what was typed stays, success goes on to where the user was headed.

use gatehouse_shared::auth::LoginRequest;
use leptos::prelude::*;
use leptos_router::{
    NavigateOptions,
    hooks::{use_navigate, use_query_map},
};

use crate::{
    api,
    components::{error_alert::ErrorAlert, page_title::set_page_title},
    session::use_session,
};

/// Where to go after log-in: the `next` page if it is one of ours, else New Request.
fn destination(next: Option<String>) -> String {
    next.filter(|next| next.starts_with('/') && !next.starts_with("//") && !next.starts_with("/\\"))
        .filter(|next| !next.starts_with("/login"))
        .unwrap_or_else(|| "/new-request".to_owned())
}

#[component]
pub fn LoginPage() -> impl IntoView {
    set_page_title("Log in");
    let session = use_session();
    let navigate = use_navigate();
    let query = use_query_map();
    let username = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let failure = RwSignal::new(None::<String>);

    let log_in = Action::new_local(|login: &LoginRequest| {
        let login = login.clone();
        async move { api::log_in(&login).await }
    });
    Effect::new(move |_| match log_in.value().get() {
        Some(Ok(me)) => {
            session.me.set(Some(me));
            let next = destination(query.with_untracked(|q| q.get("next")));
            navigate(
                &next,
                NavigateOptions {
                    replace: true,
                    ..Default::default()
                },
            );
        }
        Some(Err(error)) => failure.set(Some(error.message)),
        None => {}
    });

    // Effects first run once the view is in the page with its handlers: from
    // then on the form works. e2e/measure/first-visit.mjs reads this mark.
    Effect::new(|_| {
        if let Some(performance) = window().performance() {
            // Only a measurement: nothing to do if the browser refuses it.
            let _ = performance.mark("gatehouse:login-interactive");
        }
    });

    let submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        failure.set(None);
        log_in.dispatch_local(LoginRequest {
            username: username.get_untracked(),
            password: password.get_untracked(),
        });
    };

    view! {
        <main class="centered-page">
            <div class="panel login-panel">
                <p class="brand brand-large">
                    <svg class="brand-mark" viewBox="0 0 24 24" aria-hidden="true" focusable="false">
                        <path d="M4 21V9l8-6 8 6v12h-5v-6a3 3 0 0 0-6 0v6H4z" fill="currentColor" />
                    </svg>
                    <span>"Gatehouse"</span>
                </p>
                <h1>"Log in"</h1>
                <p class="hint">"Ask for the access you need, for as long as you need it."</p>
                <form class="stack" on:submit=submit novalidate>
                    <ErrorAlert message=failure />
                    <div class="field">
                        <label for="username">"Username"</label>
                        <input
                            id="username"
                            name="username"
                            type="text"
                            autocomplete="username"
                            autofocus
                            autocapitalize="none"
                            spellcheck="false"
                            required
                            prop:value=move || username.get()
                            on:input=move |event| username.set(event_target_value(&event))
                        />
                    </div>
                    <div class="field">
                        <label for="password">"Password"</label>
                        <input
                            id="password"
                            name="password"
                            type="password"
                            autocomplete="current-password"
                            required
                            prop:value=move || password.get()
                            on:input=move |event| password.set(event_target_value(&event))
                        />
                    </div>
                    <button
                        type="submit"
                        class="button button-primary button-wide"
                        aria-busy=move || log_in.pending().get().to_string()
                        disabled=move || log_in.pending().get()
                    >
                        "Log in"
                    </button>
                </form>
            </div>
        </main>
    }
}

#[cfg(test)]
mod tests {
    use super::destination;

    #[test]
    fn after_log_in_the_user_returns_only_to_pages_of_ours() {
        assert_eq!(
            destination(Some("/new-request?search=billing".into())),
            "/new-request?search=billing"
        );
        assert_eq!(destination(None), "/new-request");
        assert_eq!(
            destination(Some("https://evil.example/".into())),
            "/new-request"
        );
        assert_eq!(destination(Some("//evil.example/".into())), "/new-request");
        assert_eq!(destination(Some("/\\evil.example/".into())), "/new-request");
        assert_eq!(destination(Some("/login".into())), "/new-request");
    }
}
