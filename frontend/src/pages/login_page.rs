//! The log-in page: "Sign in with <provider>" when the company's identity
//! provider is set up, and username and password (folded away for
//! break-glass admins when passwords are off); a refusal is shown on the
//! form and what was typed stays, success goes on to where the user was headed.

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

/// `return_to` for the provider's way back, percent-encoded.
fn encoded(path: &str) -> String {
    path.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
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
    let options = LocalResource::new(api::sign_in_options);
    let provider = move || {
        options
            .get()
            .and_then(|answer| answer.ok())
            .and_then(|options| options.provider)
    };
    // Until the options arrive the form is open; passwords off fold it away.
    let passwords = move || {
        options
            .get()
            .and_then(|answer| answer.ok())
            .is_none_or(|options| options.passwords)
    };
    let provider_href = move |start_url: &str| {
        let next = destination(query.with_untracked(|q| q.get("next")));
        format!("{start_url}?return_to={}", encoded(&next))
    };

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

    let password_form = move || {
        view! {
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
        }
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
                {move || provider().map(|button| view! {
                    <a class="button button-primary button-wide sso-button" href=provider_href(&button.start_url) rel="external">
                        {format!("Sign in with {}", button.name)}
                    </a>
                    <p class="login-divider muted">
                        {move || if passwords() { "or with your Gatehouse password" } else { "Passwords are turned off here." }}
                    </p>
                })}
                {move || if passwords() {
                    password_form().into_any()
                } else {
                    view! {
                        <details class="break-glass">
                            <summary class="muted">"Break-glass admin: sign in with a password"</summary>
                            {password_form()}
                        </details>
                    }
                    .into_any()
                }}
            </div>
        </main>
    }
}

#[cfg(test)]
mod tests {
    use super::destination;

    #[test]
    fn the_way_back_from_the_provider_is_percent_encoded() {
        assert_eq!(
            super::encoded("/my-requests?tab=a b&x=1"),
            "/my-requests%3Ftab%3Da%20b%26x%3D1"
        );
    }

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
