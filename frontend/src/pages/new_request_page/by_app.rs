//! Request by App: choose an Integration, then a Resource Type, then one or
//! several Resources and the Permission to ask for; Next adds them to the
//! draft and goes on to Complete Additional Details.

use std::collections::BTreeSet;

use gatehouse_shared::{catalog::App, limits::MAX_PAGE_SIZE};
use leptos::prelude::*;
use leptos_router::{NavigateOptions, hooks::use_navigate};

use crate::{
    api,
    components::error_alert::ErrorAlert,
    draft::{DraftResource, use_draft},
    loading::load_answer,
    resource_filters::ResourceFilters,
    selection::select_one,
};

#[component]
pub fn ByApp() -> impl IntoView {
    let draft = use_draft().draft;
    let navigate = StoredValue::new_local(use_navigate());
    let grantee_id = Memo::new(move |_| draft.with(|d| d.grantee.as_ref().map(|g| g.id)));
    let apps = load_answer::<Vec<App>>(move || api::apps(grantee_id.get()));
    let app_list = Memo::new(move |_| apps.get().and_then(Result::ok).unwrap_or_default());
    let apps_failure = Signal::derive(move || apps.get().and_then(Result::err).map(|e| e.message));

    let integration = RwSignal::new(None::<i64>);
    let resource_type = RwSignal::new(None::<i64>);
    let chosen = RwSignal::new(BTreeSet::<i64>::new());
    let permission = RwSignal::new(String::new());
    let notice = RwSignal::new(None::<String>);

    let app = Memo::new(move |_| {
        let id = integration.get();
        app_list.with(|apps| apps.iter().find(|a| Some(a.integration.id) == id).cloned())
    });
    let types = move || {
        app.with(|a| {
            a.as_ref()
                .map(|a| a.resource_types.clone())
                .unwrap_or_default()
        })
    };
    let permissions = Memo::new(move |_| {
        let id = resource_type.get();
        app.with(|a| {
            a.as_ref()
                .and_then(|a| a.resource_types.iter().find(|t| Some(t.id) == id))
                .map(|t| {
                    t.permissions
                        .iter()
                        .map(|p| p.name.clone())
                        .collect::<Vec<_>>()
                })
                .unwrap_or_default()
        })
    });
    let resources = LocalResource::new(move || {
        let type_id = resource_type.get();
        let grantee_id = grantee_id.get();
        async move {
            match type_id {
                None => Ok(Vec::new()),
                Some(id) => {
                    let filters = ResourceFilters {
                        resource_type_ids: vec![id],
                        ..Default::default()
                    };
                    api::list_resources(&filters, grantee_id, 0, MAX_PAGE_SIZE)
                        .await
                        .map(|page| page.items)
                }
            }
        }
    });
    let resource_list =
        Memo::new(move |_| resources.get().and_then(Result::ok).unwrap_or_default());

    let pick_integration = move |value: String| {
        integration.set(value.parse().ok());
        resource_type.set(None);
        chosen.set(BTreeSet::new());
        permission.set(String::new());
    };
    let pick_type = move |value: String| {
        resource_type.set(value.parse().ok());
        chosen.set(BTreeSet::new());
        permission.set(String::new());
    };
    let next = move |_| {
        let picked: Vec<DraftResource> = resource_list.with_untracked(|list| {
            list.iter()
                .filter(|r| chosen.with_untracked(|c| c.contains(&r.id)))
                .map(DraftResource::from_resource)
                .collect()
        });
        let wanted = permission.get_untracked();
        if picked.is_empty() || wanted.is_empty() {
            notice.set(Some(
                "Select at least one resource and a permission.".to_owned(),
            ));
            return;
        }
        let mut refused = None;
        draft.update(|d| {
            for mut resource in picked {
                if resource.permissions.contains(&wanted) {
                    resource.permission = wanted.clone();
                }
                d.resources.remove(&resource.id);
                if let Err(message) = select_one(&mut d.resources, resource) {
                    refused = Some(message);
                    break;
                }
            }
        });
        match refused {
            Some(message) => notice.set(Some(message)),
            None => navigate.with_value(|navigate| {
                navigate("/new-request/details", NavigateOptions::default())
            }),
        }
    };

    view! {
        <div class="by-app stack">
            <ErrorAlert message=apps_failure />
            <div class="field-row">
                <div class="field">
                    <label for="app-integration">"Integration"</label>
                    <select id="app-integration" on:change=move |event| pick_integration(event_target_value(&event))>
                        <option value="" selected=move || integration.get().is_none()>"Choose an integration…"</option>
                        {move || {
                            app_list
                                .get()
                                .into_iter()
                                .map(|App { integration: i, .. }| {
                                    view! { <option value=i.id.to_string()>{i.name}</option> }
                                })
                                .collect_view()
                        }}
                    </select>
                </div>
                <div class="field">
                    <label for="app-resource-type">"Resource Type"</label>
                    <select
                        id="app-resource-type"
                        disabled=move || integration.get().is_none()
                        on:change=move |event| pick_type(event_target_value(&event))
                    >
                        <option value="" selected=move || resource_type.get().is_none()>"Choose a resource type…"</option>
                        {move || {
                            types()
                                .into_iter()
                                .map(|t| view! { <option value=t.id.to_string()>{t.name}</option> })
                                .collect_view()
                        }}
                    </select>
                </div>
            </div>
            <Show when=move || resource_type.get().is_some()>
                <fieldset class="app-choices">
                    <legend>"Resources"</legend>
                    <ul class="app-resource-list">
                        <For
                            each=move || resource_list.get()
                            key=|resource| resource.id
                            children=move |resource| {
                                let id = resource.id;
                                let input_id = format!("app-resource-{id}");
                                let label_for = input_id.clone();
                                view! {
                                    <li class="choice">
                                        <input
                                            type="checkbox"
                                            id=input_id
                                            prop:checked=move || chosen.with(|c| c.contains(&id))
                                            on:change=move |event| {
                                                let checked = event_target_checked(&event);
                                                chosen.update(|c| {
                                                    if checked {
                                                        c.insert(id);
                                                    } else {
                                                        c.remove(&id);
                                                    }
                                                });
                                            }
                                        />
                                        <label for=label_for>{resource.name}</label>
                                        <span class="resource-path">{resource.path}</span>
                                    </li>
                                }
                            }
                        />
                    </ul>
                </fieldset>
                <fieldset class="app-choices">
                    <legend>"Permission"</legend>
                    <div class="app-permissions">
                        {move || {
                            permissions
                                .get()
                                .into_iter()
                                .map(|name| {
                                    let value = name.clone();
                                    let is_chosen = name.clone();
                                    view! {
                                        <label class="choice">
                                            <input
                                                type="radio"
                                                name="app-permission"
                                                prop:checked=move || permission.with(|p| *p == is_chosen)
                                                on:change=move |_| permission.set(value.clone())
                                            />
                                            <span>{name}</span>
                                        </label>
                                    }
                                })
                                .collect_view()
                        }}
                    </div>
                </fieldset>
            </Show>
            <ErrorAlert message=notice />
            <div class="form-actions">
                <button type="button" class="button button-primary" on:click=next>
                    "Next"
                </button>
            </div>
        </div>
    }
}
