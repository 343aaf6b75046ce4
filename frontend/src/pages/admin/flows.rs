//! Admin → Access Flows: who may request what, who approves, for how long,
//! what the form asks for, and whether access can be extended.

use gatehouse_shared::{
    ApiError,
    admin::{
        AccessFlow, AccessFlowInput, BreakGlassSettings, ExtendSettings, Group, ScopeEntry,
        StepRule, Subject, User, validate_flow,
    },
    catalog::{Bundle, BundlePage, Integration, Resource, ResourceType},
    duration::{format_duration, parse_duration},
};
use leptos::prelude::*;

use crate::{
    admin_api::{self, Collection},
    admin_page::{AdminPage, Loaded, editing_item, load, split_list},
    api,
    components::{
        admin_form::{CheckField, Editor, FormFailure, SaveAction, TextField},
        admin_frame::AdminFrame,
        admin_table::{AdminTable, Cell, Row},
        error_alert::ErrorAlert,
        field_error::FieldError,
        multi_select::{Choice, MultiSelect},
        resource_picker::ResourcePicker,
    },
};

/// Everything a flow's ids refer to, to name them and offer them.
#[derive(Debug, Clone, Default, PartialEq)]
struct Directory {
    users: Vec<User>,
    groups: Vec<Group>,
    integrations: Vec<Integration>,
    types: Vec<ResourceType>,
    bundles: Vec<Bundle>,
    /// The resources flows scope one by one.
    resources: Vec<Resource>,
}

fn resource_label(resource: &Resource) -> String {
    format!("{} ({})", resource.name, resource.integration_name)
}

/// The directory, whole once every part of it has loaded; `flows` names the
/// resources to look up.
fn directory(version: RwSignal<u64>, flows: Memo<Option<Vec<AccessFlow>>>) -> Loaded<Directory> {
    let users: Loaded<Vec<User>> = load(version, admin_api::users);
    let groups: Loaded<Vec<Group>> = load(version, admin_api::groups);
    let integrations: Loaded<Vec<Integration>> = load(version, api::integrations);
    let types: Loaded<Vec<ResourceType>> = load(version, api::resource_types);
    let bundles: Loaded<BundlePage> = load(version, || admin_api::bundles("", 0, 1000));
    let resources: Loaded<Vec<Resource>> = load(version, move || {
        let mut ids: Vec<i64> = flows.with(|flows| {
            flows
                .iter()
                .flatten()
                .flat_map(|flow| &flow.flow.scope)
                .filter_map(|entry| match entry {
                    ScopeEntry::Resource { id } => Some(*id),
                    _ => None,
                })
                .collect()
        });
        ids.sort_unstable();
        ids.dedup();
        admin_api::resources_by_id(&ids)
    });
    let items = Memo::new(move |_| {
        Some(Directory {
            users: users.items.get()?,
            groups: groups.items.get()?,
            integrations: integrations.items.get()?,
            types: types.items.get()?,
            bundles: bundles.items.get()?.items,
            resources: resources.items.get()?,
        })
    });
    let failure = Signal::derive(move || {
        [
            users.failure,
            groups.failure,
            integrations.failure,
            types.failure,
            bundles.failure,
            resources.failure,
        ]
        .into_iter()
        .find_map(|failure| failure.get())
    });
    Loaded { items, failure }
}

impl Directory {
    fn subject(&self, subject: &Subject) -> String {
        match subject {
            Subject::Everyone => "Everyone".to_owned(),
            Subject::User { id } => self
                .users
                .iter()
                .find(|u| u.id == *id)
                .map_or_else(|| format!("User #{id}"), |u| u.display_name.clone()),
            Subject::Group { id } => self
                .groups
                .iter()
                .find(|g| g.id == *id)
                .map_or_else(|| format!("Group #{id}"), |g| format!("Group {}", g.name)),
        }
    }

    fn scope(&self, entry: &ScopeEntry) -> String {
        match entry {
            ScopeEntry::Integration { id } => self
                .integrations
                .iter()
                .find(|i| i.id == *id)
                .map_or_else(|| format!("Integration #{id}"), |i| i.name.clone()),
            ScopeEntry::ResourceType { id } => self
                .types
                .iter()
                .find(|t| t.id == *id)
                .map_or_else(|| format!("Resource type #{id}"), type_label),
            ScopeEntry::Resource { id } => format!("Resource {}", self.resource_name(*id)),
            ScopeEntry::Tag { tag } => format!("Tag {tag}"),
            ScopeEntry::Bundle { id } => self
                .bundles
                .iter()
                .find(|b| b.id == *id)
                .map_or_else(|| format!("Bundle #{id}"), |b| format!("Bundle {}", b.name)),
        }
    }

    /// A scoped resource as the picker labels it: name (integration); its id
    /// when it no longer exists.
    fn resource_name(&self, id: i64) -> String {
        self.resources
            .iter()
            .find(|r| r.id == id)
            .map_or_else(|| format!("#{id}"), resource_label)
    }

    /// Users and groups as choices (`user:1`, `group:2`), with Everyone first when asked.
    fn subject_choices(&self, everyone: bool) -> Vec<Choice> {
        let mut choices = Vec::new();
        if everyone {
            choices.push(Choice {
                value: "everyone".into(),
                label: "Everyone".into(),
            });
        }
        choices.extend(self.groups.iter().map(|g| Choice {
            value: format!("group:{}", g.id),
            label: format!("Group {}", g.name),
        }));
        choices.extend(self.users.iter().map(|u| Choice {
            value: format!("user:{}", u.id),
            label: u.display_name.clone(),
        }));
        choices
    }

    /// A flow as a row of the list, its ids named.
    fn row(&self, flow: AccessFlow) -> Row {
        let f = flow.flow;
        let names = |subjects: &[Subject], glue: &str| {
            subjects
                .iter()
                .map(|s| self.subject(s))
                .collect::<Vec<_>>()
                .join(glue)
        };
        let what: Vec<String> = f.scope.iter().map(|s| self.scope(s)).collect();
        let permissions = (!f.permissions.is_empty())
            .then(|| format!("Permissions: {}", f.permissions.join(", ")));
        let approval = if f.auto_approve {
            "Auto-approve".to_owned()
        } else {
            let steps = f
                .approver_steps
                .iter()
                .enumerate()
                .map(
                    |(index, step)| match f.step_rule(index).required_approvals {
                        1 => names(step, " or "),
                        n => format!("{n} of {}", names(step, ", ")),
                    },
                )
                .collect::<Vec<_>>()
                .join(", then ");
            if f.break_glass.enabled {
                format!(
                    "{steps}; break-glass up to {}",
                    format_duration(f.break_glass.max_duration_seconds)
                )
            } else {
                steps
            }
        };
        let durations: Vec<String> = f
            .durations_seconds
            .iter()
            .map(|d| format_duration(*d))
            .collect();
        Row {
            id: flow.id,
            name: f.name.clone(),
            cells: vec![
                Cell::Text(f.name),
                Cell::Text(names(&f.grantees, ", ")),
                Cell::Noted(what.join(", "), permissions),
                Cell::Text(approval),
                Cell::Text(durations.join(", ")),
            ],
        }
    }

    /// Every permission name some resource type offers.
    fn permission_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self
            .types
            .iter()
            .flat_map(|t| t.permissions.iter().map(|p| p.name.clone()))
            .collect();
        names.sort();
        names.dedup();
        names
    }
}

fn type_label(t: &ResourceType) -> String {
    format!("{} · {}", t.integration_name, t.name)
}

fn subject_value(subject: &Subject) -> String {
    match subject {
        Subject::Everyone => "everyone".to_owned(),
        Subject::User { id } => format!("user:{id}"),
        Subject::Group { id } => format!("group:{id}"),
    }
}

fn subject_of(value: &str) -> Option<Subject> {
    match value.split_once(':') {
        None if value == "everyone" => Some(Subject::Everyone),
        Some(("user", id)) => id.parse().ok().map(|id| Subject::User { id }),
        Some(("group", id)) => id.parse().ok().map(|id| Subject::Group { id }),
        _ => None,
    }
}

/// Seconds as an admin would type them: `30m`, `4h`, `1d`.
fn compact(seconds: i64) -> String {
    match seconds {
        s if s > 0 && s % 86_400 == 0 => format!("{}d", s / 86_400),
        s if s > 0 && s % 3_600 == 0 => format!("{}h", s / 3_600),
        s if s > 0 && s % 60 == 0 => format!("{}m", s / 60),
        s => format!("{s}s"),
    }
}

fn invalid(field: &str, message: &str) -> ApiError {
    ApiError::new("validation_failed", message).with_field(field)
}

#[component]
pub fn AdminFlowsPage() -> impl IntoView {
    let page = AdminPage::new();
    let flows: Loaded<Vec<AccessFlow>> = load(page.version, admin_api::flows);
    let names = directory(page.version, flows.items);
    let editing = editing_item(page, flows.items, |f: &AccessFlow| f.id);
    view! {
        <AdminFrame
            title="Access Flows"
            intro="Who may request what, who approves, for how long. A requester only sees what some flow of theirs allows."
            new_label="New access flow"
            collection=Collection::AccessFlows
            page
        >
            <ErrorAlert message=flows.failure />
            <ErrorAlert message=names.failure />
            <AdminTable
                rows=Signal::derive(move || {
                    let dir = names.items.get()?;
                    flows.items.get().map(|items| items.into_iter().map(|flow| dir.row(flow)).collect())
                })
                headers=&["Name", "Who may request", "What", "Approval", "Durations"]
                empty="No access flows yet: nobody can request anything. Add one with New access flow."
                page
            />
            {move || {
                let dir = names.items.get()?;
                editing.get().map(|existing| view! { <FlowEditor existing dir page /> })
            }}
        </AdminFrame>
    }
}

/// One approval step being edited.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Step {
    key: usize,
    approvers: Vec<String>,
    /// Approvals the step needs, as typed.
    required: RwSignal<String>,
    /// Rejections that reject, as typed.
    rejections: RwSignal<String>,
}

impl Step {
    fn new(key: usize, approvers: Vec<String>, rule: StepRule) -> Self {
        Self {
            key,
            approvers,
            required: RwSignal::new(rule.required_approvals.to_string()),
            rejections: RwSignal::new(rule.rejections_to_reject.to_string()),
        }
    }
}

#[component]
fn FlowEditor(existing: Option<AccessFlow>, dir: Directory, page: AdminPage) -> impl IntoView {
    let id = existing.as_ref().map(|f| f.id);
    let flow = existing.map(|f| f.flow).unwrap_or(AccessFlowInput {
        name: String::new(),
        grantees: Vec::new(),
        scope: Vec::new(),
        permissions: Vec::new(),
        auto_approve: false,
        approver_steps: vec![Vec::new()],
        durations_seconds: vec![3_600],
        max_duration_seconds: 3_600,
        justification_required: true,
        ticket_required: false,
        mfa_required: false,
        on_behalf_allowed: false,
        extend: ExtendSettings::default(),
        assistants_allowed: true,
        step_rules: Vec::new(),
        break_glass: BreakGlassSettings::default(),
        recurrence: None,
    });
    // Recurring windows are set through the API; the editor keeps them.
    let recurrence = StoredValue::new(flow.recurrence.clone());
    let ids_of = |wanted: fn(&ScopeEntry) -> Option<i64>| {
        RwSignal::new(
            flow.scope
                .iter()
                .filter_map(wanted)
                .map(|id| id.to_string())
                .collect::<Vec<_>>(),
        )
    };
    let name = RwSignal::new(flow.name.clone());
    let grantees = RwSignal::new(flow.grantees.iter().map(subject_value).collect::<Vec<_>>());
    let integrations = ids_of(|s| match s {
        ScopeEntry::Integration { id } => Some(*id),
        _ => None,
    });
    let types = ids_of(|s| match s {
        ScopeEntry::ResourceType { id } => Some(*id),
        _ => None,
    });
    let bundles = ids_of(|s| match s {
        ScopeEntry::Bundle { id } => Some(*id),
        _ => None,
    });
    let resources = RwSignal::new(
        flow.scope
            .iter()
            .filter_map(|s| match s {
                ScopeEntry::Resource { id } => Some((*id, dir.resource_name(*id))),
                _ => None,
            })
            .collect::<Vec<_>>(),
    );
    let tags = RwSignal::new(
        flow.scope
            .iter()
            .filter_map(|s| match s {
                ScopeEntry::Tag { tag } => Some(tag.as_str()),
                _ => None,
            })
            .collect::<Vec<_>>()
            .join(", "),
    );
    let permissions = RwSignal::new(flow.permissions.clone());
    let auto_approve = RwSignal::new(flow.auto_approve);
    let steps = RwSignal::new(
        flow.approver_steps
            .iter()
            .enumerate()
            .map(|(key, step)| {
                Step::new(
                    key,
                    step.iter().map(subject_value).collect(),
                    flow.step_rule(key),
                )
            })
            .collect::<Vec<_>>(),
    );
    let next_step = StoredValue::new(steps.with_untracked(Vec::len));
    let durations = RwSignal::new(
        flow.durations_seconds
            .iter()
            .map(|d| compact(*d))
            .collect::<Vec<_>>()
            .join(", "),
    );
    let max_duration = RwSignal::new(compact(flow.max_duration_seconds));
    let justification = RwSignal::new(flow.justification_required);
    let ticket = RwSignal::new(flow.ticket_required);
    let mfa = RwSignal::new(flow.mfa_required);
    let on_behalf = RwSignal::new(flow.on_behalf_allowed);
    let assistants = RwSignal::new(flow.assistants_allowed);
    let extend = RwSignal::new(flow.extend.enabled);
    let extend_by = RwSignal::new(if flow.extend.by_seconds > 0 {
        compact(flow.extend.by_seconds)
    } else {
        "1h".to_owned()
    });
    let extend_count = RwSignal::new(flow.extend.max_count.max(1).to_string());
    let break_glass = RwSignal::new(flow.break_glass.enabled);
    let break_glass_max = RwSignal::new(compact(flow.break_glass.max_duration_seconds));
    let extend_window = RwSignal::new(if flow.extend.enabled {
        compact(flow.extend.window_seconds)
    } else {
        "30m".to_owned()
    });

    let grantee_choices = Signal::stored(dir.subject_choices(true));
    let approver_choices = Signal::stored(dir.subject_choices(false));
    let integration_choices = Signal::stored(
        dir.integrations
            .iter()
            .map(|i| Choice {
                value: i.id.to_string(),
                label: i.name.clone(),
            })
            .collect::<Vec<_>>(),
    );
    let type_choices = Signal::stored(
        dir.types
            .iter()
            .map(|t| Choice {
                value: t.id.to_string(),
                label: type_label(t),
            })
            .collect::<Vec<_>>(),
    );
    let bundle_choices = Signal::stored(
        dir.bundles
            .iter()
            .map(|b| Choice {
                value: b.id.to_string(),
                label: b.name.clone(),
            })
            .collect::<Vec<_>>(),
    );
    let permission_choices = Signal::stored(
        dir.permission_names()
            .into_iter()
            .map(|p| Choice {
                value: p.clone(),
                label: p,
            })
            .collect::<Vec<_>>(),
    );

    let failure = FormFailure::new();
    let save = SaveAction::new(Collection::AccessFlows, id, page, failure);
    let read = move || -> Result<AccessFlowInput, ApiError> {
        let ids = |list: RwSignal<Vec<String>>| -> Vec<i64> {
            list.with_untracked(|l| l.iter().filter_map(|v| v.parse().ok()).collect())
        };
        let mut scope: Vec<ScopeEntry> = Vec::new();
        scope.extend(
            ids(integrations)
                .into_iter()
                .map(|id| ScopeEntry::Integration { id }),
        );
        scope.extend(
            ids(types)
                .into_iter()
                .map(|id| ScopeEntry::ResourceType { id }),
        );
        scope.extend(resources.with_untracked(|r| {
            r.iter()
                .map(|(id, _)| ScopeEntry::Resource { id: *id })
                .collect::<Vec<_>>()
        }));
        scope.extend(
            split_list(&tags.get_untracked())
                .into_iter()
                .map(|tag| ScopeEntry::Tag { tag }),
        );
        scope.extend(ids(bundles).into_iter().map(|id| ScopeEntry::Bundle { id }));
        let durations_seconds = split_list(&durations.get_untracked())
            .iter()
            .map(|d| parse_duration(d))
            .collect::<Option<Vec<i64>>>()
            .ok_or_else(|| {
                invalid(
                    "durations_seconds",
                    "Write durations like 30m, 4h or 1d, separated by commas.",
                )
            })?;
        let max_duration_seconds = parse_duration(&max_duration.get_untracked())
            .ok_or_else(|| invalid("max_duration_seconds", "Write the maximum like 8h or 1d."))?;
        let extend = if extend.get_untracked() {
            let window = extend_window.get_untracked();
            ExtendSettings {
                enabled: true,
                by_seconds: parse_duration(&extend_by.get_untracked())
                    .ok_or_else(|| invalid("extend", "Write the extension length like 1h."))?,
                max_count: extend_count
                    .get_untracked()
                    .trim()
                    .parse()
                    .map_err(|_| invalid("extend", "Give the number of extensions allowed."))?,
                window_seconds: if window.trim() == "0" {
                    0
                } else {
                    parse_duration(&window)
                        .ok_or_else(|| invalid("extend", "Write the window like 30m (or 0)."))?
                },
            }
        } else {
            ExtendSettings::default()
        };
        let auto = auto_approve.get_untracked();
        let count = |text: String, what: &str| {
            text.trim()
                .parse::<i64>()
                .map_err(|_| invalid("step_rules", &format!("Give the {what} as a number.")))
        };
        let step_rules = if auto {
            Vec::new()
        } else {
            let mut rules = Vec::new();
            for step in steps.get_untracked() {
                rules.push(StepRule {
                    required_approvals: count(step.required.get_untracked(), "approvals needed")?,
                    rejections_to_reject: count(
                        step.rejections.get_untracked(),
                        "rejections that reject",
                    )?,
                });
            }
            while rules.last() == Some(&StepRule::default()) {
                rules.pop();
            }
            rules
        };
        let break_glass = BreakGlassSettings {
            enabled: break_glass.get_untracked(),
            max_duration_seconds: if break_glass.get_untracked() {
                parse_duration(&break_glass_max.get_untracked()).ok_or_else(|| {
                    invalid("break_glass", "Write the break-glass maximum like 1h.")
                })?
            } else {
                BreakGlassSettings::default().max_duration_seconds
            },
        };
        let flow = AccessFlowInput {
            name: name.get_untracked(),
            grantees: grantees.with_untracked(|g| g.iter().filter_map(|v| subject_of(v)).collect()),
            scope,
            permissions: permissions.get_untracked(),
            auto_approve: auto,
            approver_steps: if auto {
                Vec::new()
            } else {
                steps.with_untracked(|steps| {
                    steps
                        .iter()
                        .map(|s| s.approvers.iter().filter_map(|v| subject_of(v)).collect())
                        .collect()
                })
            },
            durations_seconds,
            max_duration_seconds,
            justification_required: justification.get_untracked(),
            ticket_required: ticket.get_untracked(),
            mfa_required: mfa.get_untracked(),
            on_behalf_allowed: on_behalf.get_untracked(),
            extend,
            assistants_allowed: assistants.get_untracked(),
            step_rules,
            break_glass,
            recurrence: recurrence.get_value(),
        };
        validate_flow(&flow).map_err(|(field, message)| invalid(&field, &message))?;
        Ok(flow)
    };
    let on_save = Callback::new(move |()| match read() {
        Ok(flow) => {
            save.dispatch(&flow);
        }
        Err(error) => failure.0.set(Some(error)),
    });
    let on_pick = Callback::new(move |resource: Resource| {
        resources.update(|r| {
            if !r.iter().any(|(id, _)| *id == resource.id) {
                r.push((resource.id, resource_label(&resource)));
            }
        });
    });
    let add_step = move |_| {
        let key = next_step.get_value();
        next_step.set_value(key + 1);
        steps.update(|s| s.push(Step::new(key, Vec::new(), StepRule::default())));
    };

    view! {
        <Editor
            title=if id.is_some() { "Edit access flow" } else { "New access flow" }
            page
            failure
            fields=&[
                "name", "grantees", "scope", "permissions", "approver_steps", "step_rules",
                "break_glass", "durations_seconds", "max_duration_seconds", "extend",
            ]
            pending=save.pending()
            on_save
        >
            <TextField id="flow-name" label="Name" value=name error=failure.at("name") required=true />
            <fieldset class="choices">
                <legend>"Who may request"</legend>
                <MultiSelect
                    label="Grantees"
                    id="flow-grantees"
                    choices=grantee_choices
                    chosen=grantees
                    on_change=Callback::new(move |v| grantees.set(v))
                />
                <FieldError id="flow-grantees-error".to_owned() message=failure.at("grantees") />
                <CheckField id="flow-on-behalf" label="Allow requesting on behalf of others" checked=on_behalf />
                <CheckField id="flow-assistants" label="Accept requests made through AI assistants (MCP)" checked=assistants />
            </fieldset>
            <fieldset class="choices">
                <legend>"What may be requested"</legend>
                <div class="filter-buttons">
                    <MultiSelect
                        label="Integrations"
                        id="flow-integrations"
                        choices=integration_choices
                        chosen=integrations
                        on_change=Callback::new(move |v| integrations.set(v))
                    />
                    <MultiSelect
                        label="Resource types"
                        id="flow-types"
                        choices=type_choices
                        chosen=types
                        on_change=Callback::new(move |v| types.set(v))
                    />
                    <MultiSelect
                        label="Bundles"
                        id="flow-bundles"
                        choices=bundle_choices
                        chosen=bundles
                        on_change=Callback::new(move |v| bundles.set(v))
                    />
                </div>
                <ul class="bundle-items" aria-label="Resources in the scope" hidden=move || resources.with(Vec::is_empty)>
                    {move || {
                        resources
                            .get()
                            .into_iter()
                            .map(|(id, label)| {
                                let remove = format!("Remove {label}");
                                view! {
                                    <li class="bundle-item">
                                        <span class="bundle-item-name">{label}</span>
                                        <button
                                            type="button"
                                            class="button button-small button-quiet"
                                            aria-label=remove
                                            on:click=move |_| resources.update(|r| r.retain(|(i, _)| *i != id))
                                        >
                                            "Remove"
                                        </button>
                                    </li>
                                }
                            })
                            .collect_view()
                    }}
                </ul>
                <ResourcePicker id="flow-resource" label="Add a resource" on_pick />
                <TextField
                    id="flow-tags"
                    label="Tags"
                    value=tags
                    hint="Resources with any of these tags, comma-separated, e.g. prod, pii."
                />
                <FieldError id="flow-scope-error".to_owned() message=failure.at("scope") />
                <MultiSelect
                    label="Permissions"
                    id="flow-permissions"
                    choices=permission_choices
                    chosen=permissions
                    on_change=Callback::new(move |v| permissions.set(v))
                />
                <p class="field-hint">"None chosen: every permission the resources offer."</p>
                <FieldError id="flow-permissions-error".to_owned() message=failure.at("permissions") />
            </fieldset>
            <fieldset class="choices">
                <legend>"Approval"</legend>
                <CheckField id="flow-auto-approve" label="Auto-approve" checked=auto_approve />
                <Show when=move || !auto_approve.get()>
                    <p class="field-hint">"Steps are decided in order. A step needs as many distinct approvers as you say (a quorum, e.g. 2 of a group); by default one approval approves and one rejection rejects. Requesters and grantees never count."</p>
                    <For
                        each=move || steps.get().into_iter().enumerate()
                        key=|(index, step)| (*index, step.key)
                        children=move |(index, step)| {
                            let key = step.key;
                            let (required, rejections) = (step.required, step.rejections);
                            let chosen = Signal::derive(move || {
                                steps.with(|s| s.iter().find(|s| s.key == key).map(|s| s.approvers.clone()).unwrap_or_default())
                            });
                            view! {
                                <div class="flow-step">
                                    <MultiSelect
                                        label=format!("Step {} approvers", index + 1)
                                        id=format!("flow-step-{key}")
                                        choices=approver_choices
                                        chosen
                                        on_change=Callback::new(move |v: Vec<String>| {
                                            steps.update(|s| {
                                                if let Some(step) = s.iter_mut().find(|s| s.key == key) {
                                                    step.approvers = v;
                                                }
                                            });
                                        })
                                    />
                                    <label class="step-count">
                                        "Approvals needed"
                                        <input
                                            type="number"
                                            min="1"
                                            max="20"
                                            id=format!("flow-step-{key}-required")
                                            prop:value=move || required.get()
                                            on:input=move |event| required.set(event_target_value(&event))
                                        />
                                    </label>
                                    <label class="step-count">
                                        "Rejections that reject"
                                        <input
                                            type="number"
                                            min="1"
                                            max="20"
                                            id=format!("flow-step-{key}-rejections")
                                            prop:value=move || rejections.get()
                                            on:input=move |event| rejections.set(event_target_value(&event))
                                        />
                                    </label>
                                    <button
                                        type="button"
                                        class="button button-small button-quiet"
                                        aria-label=format!("Remove step {}", index + 1)
                                        on:click=move |_| steps.update(|s| s.retain(|s| s.key != key))
                                    >
                                        "Remove"
                                    </button>
                                </div>
                            }
                        }
                    />
                    <button type="button" class="button button-small" on:click=add_step>"Add approval step"</button>
                </Show>
                <FieldError id="flow-approvers-error".to_owned() message=failure.at("approver_steps") />
                <FieldError id="flow-step-rules-error".to_owned() message=failure.at("step_rules") />
                <CheckField id="flow-mfa" label="Require MFA" checked=mfa />
                <CheckField
                    id="flow-break-glass"
                    label="Break-glass lane: grantees may approve their own request at once, with a reason; approvers are told and review it afterwards"
                    checked=break_glass
                />
                <Show when=move || break_glass.get()>
                    <TextField
                        id="flow-break-glass-max"
                        label="Break-glass access lasts at most"
                        value=break_glass_max
                        hint="e.g. 1h; at most 24h."
                    />
                </Show>
                <FieldError id="flow-break-glass-error".to_owned() message=failure.at("break_glass") />
            </fieldset>
            <fieldset class="choices">
                <legend>"Duration and form"</legend>
                <div class="field-row">
                    <TextField
                        id="flow-durations"
                        label="Durations offered"
                        value=durations
                        error=failure.at("durations_seconds")
                        hint="Comma-separated, e.g. 1h, 4h, 1d."
                    />
                    <TextField
                        id="flow-max-duration"
                        label="Maximum duration"
                        value=max_duration
                        error=failure.at("max_duration_seconds")
                        hint="At most 90 days."
                    />
                </div>
                <CheckField id="flow-justification" label="Justification required" checked=justification />
                <CheckField id="flow-ticket" label="Ticket required" checked=ticket />
            </fieldset>
            <fieldset class="choices">
                <legend>"Extend"</legend>
                <CheckField id="flow-extend" label="Allow extending" checked=extend />
                <Show when=move || extend.get()>
                    <div class="field-row">
                        <TextField id="flow-extend-by" label="Each extension adds" value=extend_by />
                        <TextField id="flow-extend-count" label="Extensions allowed" value=extend_count kind="number" />
                        <TextField
                            id="flow-extend-window"
                            label="Offered when expiry is within"
                            value=extend_window
                        />
                    </div>
                </Show>
                <FieldError id="flow-extend-error".to_owned() message=failure.at("extend") />
            </fieldset>
        </Editor>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_are_written_as_admins_type_them() {
        assert_eq!(compact(3_600), "1h");
        assert_eq!(compact(1_800), "30m");
        assert_eq!(compact(86_400), "1d");
        assert_eq!(compact(90), "90s");
        for seconds in [60, 3_600, 7_200, 86_400, 45] {
            assert_eq!(parse_duration(&compact(seconds)), Some(seconds));
        }
    }

    #[test]
    fn subjects_survive_their_choice_values() {
        for subject in [
            Subject::Everyone,
            Subject::User { id: 3 },
            Subject::Group { id: 7 },
        ] {
            assert_eq!(subject_of(&subject_value(&subject)), Some(subject));
        }
        assert_eq!(subject_of("robot:1"), None);
    }
}
