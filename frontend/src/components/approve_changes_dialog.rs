//! Approve with changes: narrow a request before approving it — a shorter
//! duration, fewer resources, a lower permission of the same resource —
//! with a note the requester reads. The form offers nothing wider than what
//! was asked; the server checks the same.

use gatehouse_shared::{
    catalog::ResourceType,
    duration::format_duration,
    requests::{ApproveWithChanges, ItemSelection, RequestDetail, RequestItem},
};
use leptos::prelude::*;

use crate::{
    api,
    components::{dialog::Dialog, field_error::FieldError},
    loading::load_answer,
};

/// Durations offered when shortening, in seconds.
const SHORTER: [i64; 10] = [
    900, 1_800, 3_600, 7_200, 14_400, 28_800, 43_200, 86_400, 259_200, 604_800,
];

/// The permissions of `item`'s resource type up to the one asked for
/// (a type lists its permissions weakest first).
pub fn lower_permissions(item: &RequestItem, types: &[ResourceType]) -> Vec<String> {
    let names: Vec<String> = types
        .iter()
        .find(|t| t.name == item.resource_type_name && t.integration_name == item.integration_name)
        .map(|t| t.permissions.iter().map(|p| p.name.clone()).collect())
        .unwrap_or_default();
    match names.iter().position(|name| *name == item.permission) {
        Some(asked) => names[..=asked].iter().rev().cloned().collect(),
        None => vec![item.permission.clone()],
    }
}

/// Durations at most `asked`, longest first, `asked` included.
pub fn shorter_durations(asked: i64) -> Vec<i64> {
    let mut offered: Vec<i64> = SHORTER.iter().copied().filter(|d| *d < asked).collect();
    offered.push(asked);
    offered.reverse();
    offered
}

/// One item of the form: what was asked, whether it is kept, the permission
/// chosen and the permissions on offer.
type ItemRow = (RequestItem, RwSignal<bool>, RwSignal<String>, Vec<String>);

#[component]
pub fn ApproveChangesDialog(
    request_id: i64,
    #[prop(into)] pending: Signal<bool>,
    #[prop(into)] failure: Signal<Option<String>>,
    on_approve: Callback<ApproveWithChanges>,
    on_close: Callback<()>,
) -> impl IntoView {
    let detail = load_answer::<RequestDetail>(move || api::request_detail(request_id));
    let types = load_answer::<Vec<ResourceType>>(api::resource_types);
    view! {
        <Dialog title=format!("Approve request #{request_id} with changes") id="approve-changes" on_close=on_close>
            {move || match (detail.get(), types.get()) {
                (Some(Ok(detail)), Some(Ok(types))) => view! {
                    <ChangesForm detail types pending failure on_approve on_close />
                }
                .into_any(),
                (Some(Err(error)), _) | (_, Some(Err(error))) => {
                    view! { <p class="error" role="alert">{error.message}</p> }.into_any()
                }
                _ => view! { <p class="loading" role="status">"Loading…"</p> }.into_any(),
            }}
        </Dialog>
    }
}

#[component]
fn ChangesForm(
    detail: RequestDetail,
    types: Vec<ResourceType>,
    pending: Signal<bool>,
    failure: Signal<Option<String>>,
    on_approve: Callback<ApproveWithChanges>,
    on_close: Callback<()>,
) -> impl IntoView {
    let asked = detail.request.duration_seconds;
    let items = detail.request.items.clone();
    let duration = RwSignal::new(asked);
    // Per item: kept, and the permission chosen.
    let rows: Vec<ItemRow> = items
        .iter()
        .map(|item| {
            (
                item.clone(),
                RwSignal::new(true),
                RwSignal::new(item.permission.clone()),
                lower_permissions(item, &types),
            )
        })
        .collect();
    let rows = StoredValue::new(rows);
    let note = RwSignal::new(String::new());
    let problem = RwSignal::new(None::<String>);
    let error = Signal::derive(move || problem.get().or_else(|| failure.get()));
    let on_submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        let text = note.get_untracked().trim().to_owned();
        let kept: Vec<ItemSelection> = rows.with_value(|rows| {
            rows.iter()
                .filter(|(_, keep, _, _)| keep.get_untracked())
                .map(|(item, _, permission, _)| ItemSelection {
                    resource_id: item.resource_id,
                    permission: permission.get_untracked(),
                })
                .collect()
        });
        let unchanged_items = kept.len() == items.len()
            && kept
                .iter()
                .zip(&items)
                .all(|(k, i)| k.permission == i.permission);
        let chosen = duration.get_untracked();
        problem.set(if text.is_empty() {
            Some("Say why you changed the request: the requester will read it.".to_owned())
        } else if kept.is_empty() {
            Some("Keep at least one resource, or reject the request.".to_owned())
        } else if unchanged_items && chosen == asked {
            Some("Nothing changed: shorten the duration, or lower or remove a resource.".to_owned())
        } else {
            None
        });
        if problem.get_untracked().is_none() {
            on_approve.run(ApproveWithChanges {
                duration_seconds: (chosen != asked).then_some(chosen),
                items: (!unchanged_items).then_some(kept),
                note: text,
            });
        }
    };
    view! {
        <form class="stack" on:submit=on_submit novalidate>
            <p class="muted">"You can only narrow the request. The requester sees what changed and your note."</p>
            <div class="field">
                <label for="change-duration">"Duration"</label>
                <select
                    id="change-duration"
                    on:change=move |event| {
                        if let Ok(seconds) = event_target_value(&event).parse() {
                            duration.set(seconds);
                        }
                    }
                >
                    {shorter_durations(asked)
                        .into_iter()
                        .map(|seconds| {
                            let label = if seconds == asked {
                                format!("{} (as asked)", format_duration(seconds))
                            } else {
                                format_duration(seconds)
                            };
                            view! { <option value=seconds.to_string() selected=seconds == asked>{label}</option> }
                        })
                        .collect_view()}
                </select>
            </div>
            <fieldset class="choices">
                <legend>"Resources"</legend>
                <ul class="change-items">
                    {rows
                        .get_value()
                        .into_iter()
                        .map(|(item, keep, permission, choices)| {
                            let id = format!("change-keep-{}-{}", item.resource_id, item.permission);
                            let select_id = format!("change-permission-{}-{}", item.resource_id, item.permission);
                            view! {
                                <li class="change-item">
                                    <input
                                        type="checkbox"
                                        id=id.clone()
                                        prop:checked=move || keep.get()
                                        on:change=move |event| keep.set(event_target_checked(&event))
                                    />
                                    <label for=id>{format!("Keep {}", item.resource_name)}</label>
                                    <label class="visually-hidden" for=select_id.clone()>
                                        {format!("Permission on {}", item.resource_name)}
                                    </label>
                                    <select
                                        id=select_id
                                        disabled=move || !keep.get()
                                        on:change=move |event| permission.set(event_target_value(&event))
                                    >
                                        {choices
                                            .into_iter()
                                            .map(|name| {
                                                let selected = name == item.permission;
                                                view! { <option value=name.clone() selected=selected>{name.clone()}</option> }
                                            })
                                            .collect_view()}
                                    </select>
                                </li>
                            }
                        })
                        .collect_view()}
                </ul>
            </fieldset>
            <div class="field">
                <label for="change-note">"Why (required; the requester sees it)"</label>
                <textarea
                    id="change-note"
                    rows="3"
                    required
                    aria-describedby="change-note-error"
                    aria-invalid=move || error.with(Option::is_some).to_string()
                    prop:value=move || note.get()
                    on:input=move |event| note.set(event_target_value(&event))
                ></textarea>
                <FieldError id="change-note-error".to_owned() message=error />
            </div>
            <div class="dialog-actions">
                <button
                    type="submit"
                    class="button button-primary"
                    aria-busy=move || pending.get().to_string()
                    disabled=move || pending.get()
                >
                    "Approve with changes"
                </button>
                <button type="button" class="button button-quiet" on:click=move |_| on_close.run(())>
                    "Cancel"
                </button>
            </div>
        </form>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use gatehouse_shared::catalog::Permission;

    fn item(permission: &str) -> RequestItem {
        RequestItem {
            resource_id: 1,
            resource_name: "orders".into(),
            resource_path: "orders".into(),
            integration_name: "Prod PostgreSQL".into(),
            resource_type_name: "database".into(),
            permission: permission.into(),
        }
    }

    #[test]
    fn only_the_asked_permission_and_weaker_ones_are_offered() {
        let types = vec![ResourceType {
            id: 1,
            integration_id: 1,
            integration_name: "Prod PostgreSQL".into(),
            name: "database".into(),
            permissions: ["read-only", "read-write", "admin"]
                .iter()
                .enumerate()
                .map(|(i, name)| Permission {
                    id: i as i64,
                    name: (*name).into(),
                })
                .collect(),
        }];
        assert_eq!(
            lower_permissions(&item("read-write"), &types),
            ["read-write", "read-only"]
        );
        assert_eq!(lower_permissions(&item("read-only"), &types), ["read-only"]);
        assert_eq!(lower_permissions(&item("unknown"), &[]), ["unknown"]);
    }

    #[test]
    fn durations_offered_are_never_longer_than_asked() {
        assert_eq!(shorter_durations(3_600), [3_600, 1_800, 900]);
        assert!(shorter_durations(14_400).iter().all(|d| *d <= 14_400));
        assert_eq!(shorter_durations(600), [600]);
    }
}
