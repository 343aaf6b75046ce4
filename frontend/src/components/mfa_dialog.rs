//! Confirm with MFA: a request in Pending MFA waits for a code from the
//! requester's authenticator app. Someone not yet enrolled sets the app up
//! here first (the seed is shown once).

use gatehouse_shared::auth::MfaEnrolment;
use gatehouse_shared::auth::MfaStatus;
use leptos::prelude::*;

use crate::{
    api,
    components::{dialog::Dialog, error_alert::ErrorAlert, field_error::FieldError},
    loading::load_answer,
    refresh::use_refresh,
};

#[component]
pub fn MfaDialog(on_close: Callback<()>) -> impl IntoView {
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
