//! Request by Resource: search, Resource Type and Permission filters, a paged
//! list of resources to select (at most 1,000), Select all, and Next. The
//! search, filters and page live in the URL; the selection lives in the draft
//! (this tab's session storage), so a reload loses neither.

use std::collections::BTreeSet;

use gatehouse_shared::{
    catalog::{Resource, ResourcePage, ResourceType},
    limits::MAX_PAGE_SIZE,
};
use leptos::prelude::*;
use leptos_router::{
    NavigateOptions,
    hooks::{use_location, use_navigate},
};

use crate::{
    api,
    components::{
        error_alert::ErrorAlert,
        multi_select::{Choice, MultiSelect},
        pager::Pager,
        resource_row::ResourceRow,
        search_field::SearchField,
    },
    draft::{DraftResource, use_draft},
    loading::load_answer,
    resource_filters::{PAGE_SIZE, ResourceFilters, ResourceListUrl},
    selection::{count_of, select_all, select_one, thousands},
};

fn resource_type_choices(types: &[ResourceType]) -> Vec<Choice> {
    types
        .iter()
        .map(|t| Choice {
            value: t.id.to_string(),
            label: format!("{} · {}", t.integration_name, t.name),
        })
        .collect()
}

/// Every permission name across resource types, each once, in catalog order.
fn permission_choices(types: &[ResourceType]) -> Vec<Choice> {
    let mut names: Vec<String> = Vec::new();
    for permission in types.iter().flat_map(|t| &t.permissions) {
        if !names.contains(&permission.name) {
            names.push(permission.name.clone());
        }
    }
    names
        .into_iter()
        .map(|name| Choice {
            value: name.clone(),
            label: name,
        })
        .collect()
}

#[component]
pub fn ByResource() -> impl IntoView {
    let location = use_location();
    let navigate = StoredValue::new_local(use_navigate());
    let url = Memo::new(move |_| ResourceListUrl::parse(&location.search.get()));

    // Change the URL (and so the list). Typing replaces the history entry;
    // filters and pages add one, so Back undoes them.
    let go = move |next: ResourceListUrl, replace: bool| {
        let target = format!(
            "{}{}",
            location.pathname.get_untracked(),
            next.to_query_string()
        );
        navigate.with_value(|navigate| {
            navigate(
                &target,
                NavigateOptions {
                    replace,
                    scroll: false,
                    ..Default::default()
                },
            )
        });
    };
    let change_filters = move |change: &dyn Fn(&mut ResourceFilters), replace: bool| {
        let mut next = url.get_untracked();
        change(&mut next.filters);
        next.page = 1;
        go(next, replace);
    };

    let types = load_answer::<Vec<ResourceType>>(api::resource_types);
    let type_list = Memo::new(move |_| types.get().and_then(Result::ok).unwrap_or_default());
    let type_choices = Signal::derive(move || type_list.with(|t| resource_type_choices(t)));
    let permission_choices = Signal::derive(move || type_list.with(|t| permission_choices(t)));
    let types_failure =
        Signal::derive(move || types.get().and_then(Result::err).map(|e| e.message));

    let draft = use_draft().draft;
    let grantee_id = Memo::new(move |_| draft.with(|d| d.grantee.as_ref().map(|g| g.id)));
    let page = load_answer(move || {
        let grantee_id = grantee_id.get();
        url.with(|url| api::resources(&url.filters, grantee_id, url.offset(), PAGE_SIZE))
    });
    let latest = Memo::new(
        move |previous: Option<&Option<gatehouse_shared::catalog::ResourcePage>>| match page.get() {
            Some(Ok(page)) => Some(page),
            _ => previous.cloned().flatten(),
        },
    );
    let page_failure = Signal::derive(move || page.get().and_then(Result::err).map(|e| e.message));
    let total = Signal::derive(move || latest.with(|p| p.as_ref().map(|p| p.total)));
    let pages = Signal::derive(move || {
        total
            .get()
            .map(|total| total.div_ceil(u64::from(PAGE_SIZE)).max(1))
            .unwrap_or(1)
    });
    let loading = Signal::derive(move || page.get().is_none());

    let selected =
        Memo::new(move |_| draft.with(|d| d.resources.keys().copied().collect::<BTreeSet<i64>>()));
    let notice = RwSignal::new(None::<String>);

    let toggle = Callback::new(move |(resource, checked): (Resource, bool)| {
        let mut refused = None;
        draft.update(|d| {
            if checked {
                refused =
                    select_one(&mut d.resources, DraftResource::from_resource(&resource)).err();
            } else {
                d.resources.remove(&resource.id);
            }
        });
        notice.set(refused);
    });

    let select_all_action = Action::new_local(move |filters: &ResourceFilters| {
        let filters = filters.clone();
        let grantee_id = grantee_id.get_untracked();
        async move { api::list_resources(&filters, grantee_id, 0, MAX_PAGE_SIZE).await }
    });
    Effect::new(move |_| match select_all_action.value().get() {
        Some(Ok(matching)) => {
            let matching: ResourcePage = matching;
            let mut refused = None;
            draft.update(|d| refused = select_all(&mut d.resources, &matching).err());
            notice.set(refused);
        }
        Some(Err(error)) => notice.set(Some(error.message)),
        None => {}
    });

    let on_search = Callback::new(move |text: String| {
        change_filters(&|filters| filters.search = text.clone(), true);
    });
    let on_types = Callback::new(move |values: Vec<String>| {
        let ids: Vec<i64> = values.iter().filter_map(|v| v.parse().ok()).collect();
        change_filters(&|filters| filters.resource_type_ids = ids.clone(), false);
    });
    let on_permissions = Callback::new(move |values: Vec<String>| {
        change_filters(&|filters| filters.permissions = values.clone(), false);
    });
    let on_page = Callback::new(move |number: u64| {
        let mut next = url.get_untracked();
        next.page = number;
        go(next, false);
    });

    let chosen_types = Signal::derive(move || {
        url.with(|u| {
            u.filters
                .resource_type_ids
                .iter()
                .map(i64::to_string)
                .collect::<Vec<_>>()
        })
    });
    let chosen_permissions = Signal::derive(move || url.with(|u| u.filters.permissions.clone()));
    let committed_search = Signal::derive(move || url.with(|u| u.filters.search.clone()));
    let filtered = move || url.with(|u| !u.filters.is_empty());

    let result_count = move || {
        total
            .get()
            .map(|total| count_of(total, "resource", "resources"))
            .unwrap_or_else(|| "Loading resources…".to_owned())
    };
    let shown_range = move || {
        latest.with(|p| {
            p.as_ref().and_then(|p| {
                let first = p.offset + 1;
                let last = p.offset + p.items.len() as u64;
                (p.total > u64::from(PAGE_SIZE) && !p.items.is_empty())
                    .then(|| format!("Showing {first}–{last} of {}", thousands(p.total)))
            })
        })
    };
    let items = move || latest.with(|p| p.as_ref().map(|p| p.items.clone()).unwrap_or_default());
    let page_number = Signal::derive(move || url.with(|u| u.page));
    // A stale link may name a page the list no longer reaches.
    let past_the_end = move || {
        latest.with(|p| {
            p.as_ref()
                .is_some_and(|p| p.items.is_empty() && p.total > 0)
        })
    };
    let selected_count = move || {
        format!(
            "{} selected",
            thousands(selected.with(BTreeSet::len) as u64)
        )
    };

    view! {
        <div class="by-resource">
            <div class="filters">
                <SearchField committed=committed_search on_search=on_search />
                <div class="filter-buttons">
                    <MultiSelect
                        label="Resource Type"
                        id="resource-type"
                        choices=type_choices
                        chosen=chosen_types
                        on_change=on_types
                    />
                    <MultiSelect
                        label="Permission"
                        id="permission"
                        choices=permission_choices
                        chosen=chosen_permissions
                        on_change=on_permissions
                    />
                    <Show when=filtered>
                        <button
                            type="button"
                            class="button button-link"
                            on:click=move |_| go(ResourceListUrl::default(), false)
                        >
                            "Clear filters"
                        </button>
                    </Show>
                </div>
            </div>
            <ErrorAlert message=types_failure />

            <div class="list-bar">
                <p class="result-count" role="status" aria-busy=move || loading.get().to_string()>
                    {result_count}
                </p>
                <div class="selection-bar">
                    <p class="selection-count" role="status">
                        {selected_count}
                    </p>
                    <button
                        type="button"
                        class="button"
                        disabled=move || select_all_action.pending().get() || total.get() == Some(0)
                        on:click=move |_| {
                            notice.set(None);
                            select_all_action.dispatch_local(url.get_untracked().filters);
                        }
                    >
                        "Select all"
                    </button>
                    <button
                        type="button"
                        class="button button-quiet"
                        disabled=move || selected.with(BTreeSet::is_empty)
                        on:click=move |_| {
                            notice.set(None);
                            draft.update(|d| d.resources.clear());
                        }
                    >
                        "Clear selection"
                    </button>
                    <a
                        class="button button-primary"
                        href="/new-request/details"
                        class:button-disabled=move || selected.with(BTreeSet::is_empty)
                        aria-disabled=move || selected.with(BTreeSet::is_empty).to_string()
                        on:click=move |event| {
                            if selected.with_untracked(BTreeSet::is_empty) {
                                event.prevent_default();
                                notice.set(Some("Select at least one resource first.".to_owned()));
                            }
                        }
                    >
                        "Next"
                    </a>
                </div>
            </div>
            <ErrorAlert message=notice />
            <ErrorAlert message=page_failure />

            <ul class="resource-list" aria-label="Resources" aria-busy=move || loading.get().to_string()>
                <For
                    each=items
                    key=|resource| resource.id
                    children=move |resource| {
                        view! { <ResourceRow resource selected=selected on_toggle=toggle /> }
                    }
                />
            </ul>
            <Show when=move || total.get() == Some(0)>
                <p class="empty">"No resources match. Try another search or fewer filters."</p>
            </Show>
            <Show when=past_the_end>
                <p class="empty">
                    "This page is past the end of the list. "
                    <button type="button" class="button button-link" on:click=move |_| on_page.run(1)>
                        "Go to the first page"
                    </button>
                </p>
            </Show>
            <div class="list-footer">
                <p class="shown-range">{shown_range}</p>
                <Pager page=page_number pages=pages on_page=on_page />
            </div>
        </div>
    }
}
