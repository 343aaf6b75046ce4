//! How the draft will be handled: one line per access flow with its
//! resources, approvers per step (or auto-approval) and maximum duration.

use gatehouse_shared::{duration::format_duration, requests::PreviewGroup};
use leptos::prelude::*;

use crate::selection::count_of;

fn approvers(group: &PreviewGroup) -> String {
    if group.auto_approve {
        return "Auto-approved".to_owned();
    }
    let steps: Vec<String> = group
        .approver_steps
        .iter()
        .enumerate()
        .map(|(index, step)| {
            let names: Vec<&str> = step.iter().map(|u| u.display_name.as_str()).collect();
            let required = group.required_approvals.get(index).copied().unwrap_or(1);
            if names.is_empty() {
                "no approver available".to_owned()
            } else if required > 1 {
                format!("{required} of {}", names.join(", "))
            } else {
                names.join(" or ")
            }
        })
        .collect();
    match steps.len() {
        0 => "Needs approval".to_owned(),
        1 => format!("Approval by {}", steps[0]),
        _ => format!("Approval by {}", steps.join(", then ")),
    }
}

#[component]
pub fn RequestPreview(#[prop(into)] groups: Signal<Vec<PreviewGroup>>) -> impl IntoView {
    view! {
        <section class="preview" aria-labelledby="preview-heading">
            <h2 id="preview-heading">"What happens next"</h2>
            <Show
                when=move || groups.with(|g| !g.is_empty())
                fallback=|| view! { <p class="muted">"Working out which access flows apply…"</p> }
            >
                <p class="muted">
                    {move || match groups.with(Vec::len) {
                        1 => "Your selection becomes one request.".to_owned(),
                        n => format!("Your selection becomes {n} requests, one per access flow."),
                    }}
                </p>
                <ul class="preview-groups">
                    {move || {
                        groups
                            .get()
                            .into_iter()
                            .map(|group| {
                                view! {
                                    <li class="preview-group">
                                        <strong class="preview-flow">{group.flow_name.clone()}</strong>
                                        <span>{count_of(group.item_count as u64, "resource", "resources")}</span>
                                        <span class="preview-approval" class:auto=group.auto_approve>
                                            {approvers(&group)}
                                        </span>
                                        <span>
                                            {format!("Maximum duration {}", format_duration(group.max_duration_seconds))}
                                        </span>
                                        <Show when=move || group.justification_required>
                                            <span class="muted">"Justification required"</span>
                                        </Show>
                                        <Show when=move || group.ticket_required>
                                            <span class="muted">"Ticket required"</span>
                                        </Show>
                                    </li>
                                }
                            })
                            .collect_view()
                    }}
                </ul>
            </Show>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use gatehouse_shared::requests::UserRef;

    use super::*;

    fn user(name: &str) -> UserRef {
        UserRef {
            id: 1,
            username: name.to_lowercase(),
            display_name: name.to_owned(),
        }
    }

    #[test]
    fn a_quorum_step_says_how_many_of_its_approvers_it_needs() {
        let mut group = PreviewGroup {
            flow_id: 1,
            flow_name: "Production databases".into(),
            item_count: 1,
            auto_approve: false,
            approver_steps: vec![
                vec![user("Bob"), user("Carol"), user("Dan")],
                vec![user("Erin")],
            ],
            durations_seconds: vec![3600],
            max_duration_seconds: 3600,
            justification_required: true,
            ticket_required: false,
            mfa_required: false,
            required_approvals: vec![2, 1],
            break_glass_max_seconds: None,
            recurrence: None,
        };
        assert_eq!(
            approvers(&group),
            "Approval by 2 of Bob, Carol, Dan, then Erin"
        );
        group.required_approvals.clear();
        assert_eq!(
            approvers(&group),
            "Approval by Bob or Carol or Dan, then Erin"
        );
    }
}
