//! After Submit Request: the Access Granted pop-up when a flow approved
//! automatically (with the admin's message about the integration, if any),
//! or the Pending Approval pop-up that leads to My Requests.

use gatehouse_shared::catalog::Integration;
use gatehouse_shared::{RequestStatus, requests::AccessRequest};
use leptos::prelude::*;
use leptos_router::components::A;

use crate::{
    api,
    components::dialog::Dialog,
    loading::load_answer,
    request_text::{resources_summary, status_class},
};

fn granted(request: &AccessRequest) -> bool {
    matches!(
        request.status,
        RequestStatus::Active | RequestStatus::Granting
    )
}

#[component]
pub fn SubmittedDialog(requests: Vec<AccessRequest>, on_close: Callback<()>) -> impl IntoView {
    let any_granted = requests.iter().any(granted);
    let scheduled = requests
        .iter()
        .any(|r| r.status == RequestStatus::Scheduled);
    let waiting = requests
        .iter()
        .filter(|r| !granted(r) && r.status != RequestStatus::Scheduled)
        .count();
    let title = if any_granted {
        "Access Granted"
    } else if scheduled {
        "Access Scheduled"
    } else {
        "Pending Approval"
    };
    let granted_integrations: Vec<String> = requests
        .iter()
        .filter(|r| granted(r))
        .flat_map(|r| r.items.iter().map(|i| i.integration_name.clone()))
        .collect();
    let integrations = load_answer::<Vec<Integration>>(api::integrations);
    let messages = move || {
        integrations
            .get()
            .and_then(Result::ok)
            .unwrap_or_default()
            .into_iter()
            .filter(|i| granted_integrations.contains(&i.name))
            .filter_map(|i| i.admin_message.map(|message| (i.name, message)))
            .collect::<Vec<_>>()
    };
    let rows = requests
        .into_iter()
        .map(|request| {
            let label = request.status.label();
            view! {
                <li class="submitted-row">
                    <span class=status_class(label)>{label}</span>
                    <span class="submitted-flow">{request.flow_name.clone()}</span>
                    <span class="muted">{resources_summary(&request)}</span>
                </li>
            }
        })
        .collect_view();

    view! {
        <Dialog title=title id="submitted" on_close=on_close>
            <p>
                {if any_granted {
                    "Your access is ready to use."
                } else if scheduled {
                    "Your access is approved and starts at its scheduled time. You will see it on My Requests."
                } else {
                    "Your request was sent to its approvers. You will see its status on My Requests."
                }}
            </p>
            <ul class="submitted-list" aria-label="Requests created">{rows}</ul>
            {move || {
                messages()
                    .into_iter()
                    .map(|(name, message)| {
                        view! {
                            <div class="admin-message">
                                <h3>"Message from your admin about this integration"</h3>
                                <p class="muted">{name}</p>
                                <p>{message}</p>
                            </div>
                        }
                    })
                    .collect_view()
            }}
            <Show when=move || { any_granted && waiting > 0 }>
                <p class="muted">
                    {match waiting {
                        1 => "1 request is Pending Approval; follow it on My Requests.".to_owned(),
                        n => format!("{n} requests are Pending Approval; follow them on My Requests."),
                    }}
                </p>
            </Show>
            <div class="dialog-actions">
                <Show when=move || any_granted>
                    <A href="/my-access" attr:class="button button-primary">
                        "Use Access"
                    </A>
                </Show>
                <A href="/my-requests" attr:class="button">
                    "My Requests"
                </A>
            </div>
        </Dialog>
    }
}
