//! Confirm with MFA: a request in Pending MFA waits for a code from the
//! requester's authenticator app. Someone not yet enrolled sets the app up
//! here first (the seed is shown once).

use gatehouse_shared::auth::MfaEnrolment;
use gatehouse_shared::auth::MfaStatus;
use leptos::{
    prelude::*,
    wasm_split::{SplitLoaderError, wasm_split},
};

use crate::{
    api,
    components::{dialog::Dialog, error_alert::ErrorAlert, field_error::FieldError},
    loading::load_answer,
    refresh::use_refresh,
};

/// The MFA dialog as a download of its own (`split_mfa.wasm`, with the QR
/// code drawing): only requests on flows that ask for MFA open it, once a
/// session, so it is not in the portal's first download. While it loads,
/// nothing shows; if the download fails, a dialog says so.
#[component]
pub fn LazyMfaDialog(on_close: Callback<()>) -> impl IntoView {
    Suspend::new(async move {
        match mfa_dialog_view(on_close).await {
            Ok(dialog) => dialog,
            Err(_) => view! {
                <Dialog title="Confirm with MFA" id="mfa" on_close=on_close>
                    <p class="alert" role="alert">
                        "The MFA dialog could not be downloaded. Check the connection and try \
                         again, or reload the page if Gatehouse was updated since you opened it."
                    </p>
                </Dialog>
            }
            .into_any(),
        }
    })
}

/// The split point (see `app::admin_view`).
#[wasm_split(mfa, wasm_split_path = ::leptos::wasm_split, fallible)]
fn mfa_dialog_view(on_close: Callback<()>) -> Result<AnyView, SplitLoaderError> {
    Ok(view! { <MfaDialog on_close=on_close /> }.into_any())
}

#[component]
fn MfaDialog(on_close: Callback<()>) -> impl IntoView {
    let refresh = use_refresh();
    let status = load_answer::<MfaStatus>(api::mfa);
    let enrolment = RwSignal::new(None::<MfaEnrolment>);
    let code = RwSignal::new(String::new());
    let failure = RwSignal::new(None::<String>);
    let enrol = Action::new_local(|()| api::enrol_mfa());
    Effect::new(move |_| match enrol.value().get() {
        Some(Ok(seed)) => enrolment.set(Some(seed)),
        Some(Err(error)) => failure.set(Some(error.message)),
        None => {}
    });
    let confirm = Action::new_local(|code: &String| api::confirm_mfa(code.clone()));
    Effect::new(move |_| match confirm.value().get() {
        Some(Ok(_)) => {
            refresh.bump();
            on_close.run(());
        }
        Some(Err(error)) => failure.set(Some(error.message)),
        None => {}
    });
    let enrolled = move || {
        enrolment.with(Option::is_some)
            || status
                .get()
                .and_then(Result::ok)
                .is_some_and(|status| status.enrolled)
    };
    let loaded = move || status.get().is_some();
    let on_submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        failure.set(None);
        confirm.dispatch_local(code.get_untracked().trim().to_owned());
    };
    view! {
        <Dialog title="Confirm with MFA" id="mfa" on_close=on_close>
            <Show when=loaded fallback=|| view! { <p class="loading" role="status">"Loading…"</p> }>
                <Show
                    when=enrolled
                    fallback=move || {
                        view! {
                            <p>"This access flow asks for a code from an authenticator app. Set one up first."</p>
                            <ErrorAlert message=failure />
                            <div class="dialog-actions">
                                <button
                                    type="button"
                                    class="button button-primary"
                                    disabled=move || enrol.pending().get()
                                    on:click=move |_| {
                                        failure.set(None);
                                        enrol.dispatch_local(());
                                    }
                                >
                                    "Set up an authenticator app"
                                </button>
                            </div>
                        }
                    }
                >
                    {move || {
                        enrolment
                            .get()
                            .map(|seed| {
                                view! {
                                    <div class="admin-message">
                                        <h3>"Add this key to your authenticator app"</h3>
                                        <p class="muted">"It is shown only once."</p>
                                        <p>
                                            <code class="secret" aria-label="Setup key">{seed.secret}</code>
                                        </p>
                                        <div
                                            class="qr"
                                            role="img"
                                            aria-label="QR code for your authenticator app"
                                            inner_html=qr_svg(&seed.otpauth_uri)
                                        ></div>
                                        <p class="muted secret-uri">{seed.otpauth_uri}</p>
                                    </div>
                                }
                            })
                    }}
                    <form class="stack" on:submit=on_submit novalidate>
                        <div class="field">
                            <label for="mfa-code">"Code from your authenticator app"</label>
                            <input
                                id="mfa-code"
                                type="text"
                                inputmode="numeric"
                                autocomplete="one-time-code"
                                aria-describedby="mfa-code-error"
                                prop:value=move || code.get()
                                on:input=move |event| code.set(event_target_value(&event))
                            />
                            <FieldError id="mfa-code-error".to_owned() message=failure />
                        </div>
                        <div class="dialog-actions">
                            <button
                                type="submit"
                                class="button button-primary"
                                disabled=move || confirm.pending().get()
                            >
                                "Confirm"
                            </button>
                        </div>
                    </form>
                </Show>
            </Show>
        </Dialog>
    }
}

/// The enrolment URI as a QR code in SVG, drawn here: the seed never leaves
/// the browser for an image service.
fn qr_svg(uri: &str) -> String {
    match qrcode::QrCode::new(uri.as_bytes()) {
        Ok(code) => code
            .render::<qrcode::render::svg::Color<'_>>()
            .min_dimensions(200, 200)
            .quiet_zone(true)
            .build(),
        Err(_) => String::new(),
    }
}
