//! Manual access waiting on me (an admin, or a fulfiller the integration
//! names): grant it by hand and hand over a log-in, a secret (shown to the
//! grantee once) and instructions; or confirm it was removed. Shown on the
//! Approvals page only when something waits.

use gatehouse_shared::access::{Fulfilment, FulfilmentInput, GrantState};
use leptos::prelude::*;

use crate::{access_api, components::error_alert::ErrorAlert, loading::load_answer};

#[component]
pub fn Fulfilments() -> impl IntoView {
    let version = RwSignal::new(0u32);
    let list = load_answer::<Vec<Fulfilment>>(move || {
        version.track();
        access_api::fulfilments()
    });
    let items = move || list.get().and_then(Result::ok).unwrap_or_default();
    let failure = Signal::derive(move || list.get().and_then(Result::err).map(|e| e.message));
    view! {
        <ErrorAlert message=failure />
        <Show when=move || !items().is_empty()>
            <section class="fulfilments" aria-labelledby="fulfilments-heading">
                <h2 id="fulfilments-heading">"To do by hand"</h2>
                <p class="muted">
                    "These integrations are granted and removed by a person. Do it in the system, then mark it done here."
                </p>
                <ul class="approval-cards" aria-label="To do by hand">
                    <For
                        each=items
                        key=|f| (f.request_id, f.integration_id, f.state)
                        children=move |fulfilment| view! { <FulfilmentCard fulfilment version /> }
                    />
                </ul>
            </section>
        </Show>
    }
}

#[component]
fn FulfilmentCard(fulfilment: Fulfilment, version: RwSignal<u32>) -> impl IntoView {
    let (request_id, integration_id) = (fulfilment.request_id, fulfilment.integration_id);
    let granting = fulfilment.state == GrantState::Waiting;
    let username = RwSignal::new(String::new());
    let secret = RwSignal::new(String::new());
    let instructions = RwSignal::new(String::new());
    let failure = RwSignal::new(None::<String>);
    let done = Action::new_local(move |input: &FulfilmentInput| {
        access_api::fulfil(request_id, integration_id, input.clone())
    });
    Effect::new(move |_| match done.value().get() {
        Some(Ok(_)) => version.update(|v| *v += 1),
        Some(Err(error)) => failure.set(Some(error.message)),
        None => {}
    });
    let submit = move |_| {
        failure.set(None);
        let filled = |signal: RwSignal<String>| {
            Some(signal.get_untracked()).filter(|v| !v.trim().is_empty())
        };
        done.dispatch_local(FulfilmentInput {
            username: filled(username),
            secret: filled(secret),
            instructions: filled(instructions),
        });
    };
    let what = if granting { "Grant" } else { "Remove" };
    let heading = format!(
        "{what} {} access for {} (request {request_id})",
        fulfilment.integration_name, fulfilment.grantee
    );
    let label = heading.clone();
    let field = |label: &'static str, value: RwSignal<String>, kind: &'static str| {
        let id = format!(
            "fulfil-{request_id}-{integration_id}-{}",
            label.to_lowercase().replace(' ', "-")
        );
        view! {
            <div class="field">
                <label for=id.clone()>{label}</label>
                <input
                    id=id
                    type=kind
                    autocomplete="off"
                    prop:value=move || value.get()
                    on:input=move |event| value.set(event_target_value(&event))
                />
            </div>
        }
    };
    view! {
        <li class="approval-card">
            <article aria-label=label>
            <h3 class="approval-title">{heading}</h3>
            <ul class="plain-list">
                {fulfilment.items.iter().map(|item| view! { <li><code>{item.clone()}</code></li> }).collect_view()}
            </ul>
            {(!granting).then(|| view! {
                <p class="muted">"The access has ended: remove it from the system."</p>
            })}
            {granting.then(|| view! {
                <p class="hint">"Optional: what the grantee needs. The secret is shown to them once."</p>
                <div class="fulfil-fields">
                    {field("Log-in name", username, "text")}
                    {field("Secret", secret, "password")}
                    {field("Instructions", instructions, "text")}
                </div>
            })}
            <ErrorAlert message=failure />
            <div class="dialog-actions">
                <button
                    type="button"
                    class="button button-primary"
                    aria-busy=move || done.pending().get().to_string()
                    disabled=move || done.pending().get()
                    on:click=submit
                >
                    {if granting { "Mark granted" } else { "Mark removed" }}
                </button>
            </div>
            </article>
        </li>
    }
}
