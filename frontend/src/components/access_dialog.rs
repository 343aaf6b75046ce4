//! Access Details and Connect for an active access, per integration of the
//! request. Access Details shows the instructions and the credentials; the
//! secret is shown once (Show secret), after which only Reset Credentials
//! issues new ones. Connect lists Open in my Terminal / Browser / App.
//! While a request is Granting or Revoking, [`AccessProgress`] shows where
//! each integration stands and why the last attempt failed.

use gatehouse_shared::{
    RequestStatus,
    access::{AccessDetails, GrantState, RevealedSecret},
};
use leptos::prelude::*;

use crate::{
    access_api,
    components::{dialog::Dialog, error_alert::ErrorAlert},
    loading::load_answer,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccessView {
    Details,
    Connect,
}

#[component]
pub fn AccessDialog(
    request_id: i64,
    /// The request's status: what a failed attempt was trying to do.
    status: RequestStatus,
    view: AccessView,
    on_close: Callback<()>,
) -> impl IntoView {
    let version = RwSignal::new(0u32);
    let details = load_answer::<Vec<AccessDetails>>(move || {
        version.track();
        access_api::access(request_id)
    });
    let failure = Signal::derive(move || details.get().and_then(Result::err).map(|e| e.message));
    let title = match view {
        AccessView::Details => format!("Access Details: request {request_id}"),
        AccessView::Connect => format!("Connect: request {request_id}"),
    };
    view! {
        <Dialog title=title id="access" on_close=on_close>
            <ErrorAlert message=failure />
            {move || match details.get() {
                None => view! { <p class="loading" role="status">"Loading…"</p> }.into_any(),
                Some(Err(_)) => ().into_any(),
                Some(Ok(list)) if list.is_empty() => view! {
                    <p class="empty">"Nothing has been granted for this request yet."</p>
                }.into_any(),
                Some(Ok(list)) => list
                    .into_iter()
                    .map(|entry| match view {
                        AccessView::Details => view! { <DetailsEntry entry status version /> }.into_any(),
                        AccessView::Connect => view! { <ConnectEntry entry /> }.into_any(),
                    })
                    .collect_view()
                    .into_any(),
            }}
        </Dialog>
    }
}

/// Why the last attempt failed while it is retried: "Granting failed:
/// <reason> — retried, attempt 3".
pub fn failure_line(entry: &AccessDetails, status: RequestStatus) -> Option<String> {
    let reason = entry.last_error.as_deref()?;
    let what = match (entry.state, status) {
        (GrantState::Pending, _) | (_, RequestStatus::Granting) => "Granting failed",
        (_, RequestStatus::Revoking) => "Removing failed",
        (_, RequestStatus::Active) => "Moving the end of this access failed",
        _ => "The last attempt failed",
    };
    Some(format!(
        "{what}: {reason} — retried, attempt {}",
        entry.attempts.max(1)
    ))
}

/// Where one integration stands while the request is Granting or Revoking.
fn progress_of(entry: &AccessDetails, status: RequestStatus) -> &'static str {
    match (entry.state, status) {
        (GrantState::Pending, _) => "being granted",
        (GrantState::Waiting, _) => "waiting for a person to grant it",
        (GrantState::Granted, RequestStatus::Revoking) => "being removed",
        (GrantState::Granted, _) => "granted",
        (GrantState::Removing, _) => "waiting for a person to remove it",
        (GrantState::Removed, _) => "removed",
    }
}

/// While a request is Granting or Revoking: each integration's progress, and
/// why its last attempt failed while it is retried (the request's panel).
#[component]
pub fn AccessProgress(request_id: i64, status: RequestStatus) -> impl IntoView {
    let refresh = crate::refresh::use_refresh();
    let details = load_answer::<Vec<AccessDetails>>(move || {
        refresh.version.track();
        access_api::access(request_id)
    });
    let failure = Signal::derive(move || details.get().and_then(Result::err).map(|e| e.message));
    let heading = match status {
        RequestStatus::Revoking => "Removing access",
        _ => "Granting access",
    };
    view! {
        <section class="panel-section access-progress" aria-labelledby="progress-heading">
            <h3 id="progress-heading">{heading}</h3>
            <ErrorAlert message=failure />
            {move || match details.get() {
                None => view! { <p class="loading" role="status">"Loading…"</p> }.into_any(),
                Some(Err(_)) => ().into_any(),
                Some(Ok(list)) if list.is_empty() => view! {
                    <p class="muted">"Not started yet."</p>
                }.into_any(),
                Some(Ok(list)) => view! {
                    <ul class="progress-list">
                        {list
                            .into_iter()
                            .map(|entry| view! {
                                <li>
                                    <strong>{entry.integration_name.clone()}</strong>
                                    {format!(": {}", progress_of(&entry, status))}
                                    {failure_line(&entry, status).map(|line| view! {
                                        <p class="attempt-failed">{line}</p>
                                    })}
                                </li>
                            })
                            .collect_view()}
                    </ul>
                }.into_any(),
            }}
        </section>
    }
}

fn state_note(state: GrantState) -> Option<&'static str> {
    match state {
        GrantState::Granted => None,
        GrantState::Pending => Some("Granting failed and is being retried."),
        GrantState::Waiting => Some("Waiting for a person to grant this access."),
        GrantState::Removing => Some("Waiting for a person to remove this access."),
        GrantState::Removed => Some("This access has been removed."),
    }
}

#[component]
fn DetailsEntry(
    entry: AccessDetails,
    status: RequestStatus,
    version: RwSignal<u32>,
) -> impl IntoView {
    let (request_id, integration_id) = (entry.request_id, entry.integration_id);
    let revealed = RwSignal::new(None::<RevealedSecret>);
    let failure = RwSignal::new(None::<String>);
    let reveal = Action::new_local(move |()| access_api::reveal(request_id, integration_id));
    Effect::new(move |_| match reveal.value().get() {
        Some(Ok(secret)) => revealed.set(Some(secret)),
        Some(Err(error)) => failure.set(Some(error.message)),
        None => {}
    });
    let reset = Action::new_local(move |()| access_api::reset(request_id, integration_id));
    Effect::new(move |_| match reset.value().get() {
        Some(Ok(_)) => {
            revealed.set(None);
            version.update(|v| *v += 1);
        }
        Some(Err(error)) => failure.set(Some(error.message)),
        None => {}
    });
    let heading = format!("access-{integration_id}");
    let labelled_by = heading.clone();
    let secret_available = entry.secret_available;
    let secret_shown = entry.secret_shown;
    // Only an access that handed out a secret has credentials to reset
    // (a directory group membership has none: the grantee's own account).
    let can_reset = entry.can_reset && secret_shown;
    let failed = failure_line(&entry, status);
    let note = if failed.is_some() && entry.state == GrantState::Pending {
        None
    } else {
        state_note(entry.state)
    };
    view! {
        <section class="access-entry" aria-labelledby=labelled_by>
            <h3 id=heading>
                {entry.integration_name.clone()}
                {entry.credentials_rotated.then(|| view! {
                    <span class="tag tag-warning">"Credentials rotated"</span>
                })}
            </h3>
            {note.map(|note| view! { <p class="notice">{note}</p> })}
            {failed.map(|line| view! { <p class="attempt-failed">{line}</p> })}
            {entry.admin_message.clone().map(|message| view! {
                <p class="admin-message"><strong>"From your admin: "</strong>{message}</p>
            })}
            {entry.instructions.clone().map(|text| view! { <p class="instructions">{text}</p> })}
            <dl class="credentials">
                {entry.username.clone().map(|username| view! {
                    <dt>"Username"</dt>
                    <dd><code class="copyable">{username}</code></dd>
                })}
                {move || revealed.get().map(|secret| view! {
                    <dt>"Secret"</dt>
                    <dd><code class="copyable" aria-label="Secret">{secret.secret}</code></dd>
                })}
            </dl>
            <ErrorAlert message=failure />
            {move || {
                if revealed.with(Option::is_some) {
                    view! {
                        <p class="notice" role="status">
                            "Copy the secret now and store it safely: Gatehouse shows it only once."
                        </p>
                    }.into_any()
                } else if secret_available {
                    view! {
                        <p class="hint">"The secret is shown once. Have a safe place ready before you show it."</p>
                        <button
                            type="button"
                            class="button button-primary"
                            aria-busy=move || reveal.pending().get().to_string()
                            disabled=move || reveal.pending().get()
                            on:click=move |_| {
                                failure.set(None);
                                reveal.dispatch_local(());
                            }
                        >
                            "Show secret"
                        </button>
                    }.into_any()
                } else if secret_shown {
                    view! {
                        <p class="hint">
                            "The secret was shown once already. Reset Credentials to get new ones (this also lets you Connect again)."
                        </p>
                    }.into_any()
                } else {
                    ().into_any()
                }
            }}
            {can_reset.then(|| view! {
                <button
                    type="button"
                    class="button"
                    aria-busy=move || reset.pending().get().to_string()
                    disabled=move || reset.pending().get()
                    on:click=move |_| {
                        failure.set(None);
                        reset.dispatch_local(());
                    }
                >
                    "Reset Credentials"
                </button>
            })}
        </section>
    }
}

#[component]
fn ConnectEntry(entry: AccessDetails) -> impl IntoView {
    let heading = format!("connect-{}", entry.integration_id);
    let labelled_by = heading.clone();
    let options = entry.connect.clone();
    let nothing = options.is_empty();
    view! {
        <section class="access-entry" aria-labelledby=labelled_by>
            <h3 id=heading>{entry.integration_name.clone()}</h3>
            {state_note(entry.state).map(|note| view! { <p class="notice">{note}</p> })}
            {options.terminal.clone().map(|command| view! {
                <div class="connect-option">
                    <h4>"Open in my Terminal"</h4>
                    {entry.cli_command.clone().map(|cli| view! {
                        <p class="hint">"With the Gatehouse CLI logged in (gatehouse login --server …), this fetches fresh credentials and connects:"</p>
                        <pre><code class="copyable" aria-label="CLI command">{cli}</code></pre>
                        <p class="hint">"Or connect yourself with the credentials from Access Details:"</p>
                    })}
                    <pre><code class="copyable" aria-label="Terminal command">{command}</code></pre>
                </div>
            })}
            {options.browser.clone().map(|url| view! {
                <div class="connect-option">
                    <a class="button" href=url target="_blank" rel="noopener noreferrer">"Open in Browser"</a>
                </div>
            })}
            {options.app.clone().map(|link| view! {
                <div class="connect-option">
                    <a class="button" href=link>"Open in App"</a>
                </div>
            })}
            {(nothing && entry.state == GrantState::Granted).then(|| view! {
                <p class="empty">"No connection option for this access. Use Access Details for the credentials and instructions."</p>
            })}
        </section>
    }
}
