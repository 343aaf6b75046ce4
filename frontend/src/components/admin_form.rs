//! The pieces of every admin form: labelled fields that show the server's
//! refusal next to the field it names, Save and Cancel, Edit and Delete
//! buttons on a row, and the delete confirmation.

use gatehouse_shared::ApiError;
use leptos::prelude::*;
use serde::Serialize;

use crate::{
    admin_api::{self, Collection},
    admin_page::AdminPage,
    api::client_error,
    components::{
        confirm_dialog::ConfirmDialog, dialog::Dialog, error_alert::ErrorAlert,
        field_error::FieldError,
    },
};

/// The server's refusal of a form, shown by the field it names.
#[derive(Debug, Clone, Copy)]
pub struct FormFailure(pub RwSignal<Option<ApiError>>);

impl FormFailure {
    pub fn new() -> Self {
        FormFailure(RwSignal::new(None))
    }

    /// The message when the refusal names `field`.
    pub fn at(self, field: &'static str) -> Signal<Option<String>> {
        Signal::derive(move || {
            self.0.with(|error| {
                error
                    .as_ref()
                    .filter(|e| e.field.as_deref() == Some(field))
                    .map(|e| e.message.clone())
            })
        })
    }

    /// The message when the refusal names none of the form's `fields`.
    pub fn elsewhere(self, fields: &'static [&'static str]) -> Signal<Option<String>> {
        Signal::derive(move || {
            self.0.with(|error| {
                error
                    .as_ref()
                    .filter(|e| e.field.as_deref().is_none_or(|f| !fields.contains(&f)))
                    .map(|e| e.message.clone())
            })
        })
    }
}

/// Saving an editor's input: closes the editor and reloads the page's lists
/// when it goes through, keeps everything typed and shows the refusal when not.
/// The input travels as JSON text, so one action type serves every editor.
#[derive(Clone, Copy)]
pub struct SaveAction {
    save: Action<String, Result<(), ApiError>>,
    failure: FormFailure,
}

impl SaveAction {
    pub fn new(
        collection: Collection,
        id: Option<i64>,
        page: AdminPage,
        failure: FormFailure,
    ) -> Self {
        let save = Action::new_local(move |body: &String| {
            let body = body.clone();
            async move { admin_api::save(collection, id, body).await }
        });
        Effect::new(move |_| match save.value().get() {
            Some(Ok(())) => page.saved(),
            Some(Err(error)) => failure.0.set(Some(error)),
            None => {}
        });
        SaveAction { save, failure }
    }

    pub fn dispatch(self, input: &impl Serialize) {
        match serde_json::to_string(input) {
            Ok(body) => {
                self.save.dispatch_local(body);
            }
            Err(error) => self.failure.0.set(Some(client_error(&error))),
        }
    }

    pub fn pending(self) -> Memo<bool> {
        self.save.pending()
    }
}

/// A labelled text input (or text area) with an optional hint and the
/// server's refusal under it.
#[component]
pub fn TextField(
    id: &'static str,
    #[prop(into)] label: String,
    value: RwSignal<String>,
    #[prop(optional, into)] error: Signal<Option<String>>,
    #[prop(optional)] hint: Option<&'static str>,
    /// The input's `type`; text by default.
    #[prop(optional)]
    kind: Option<&'static str>,
    #[prop(optional)] multiline: bool,
    #[prop(optional)] required: bool,
) -> impl IntoView {
    let hint = hint.filter(|hint| !hint.is_empty());
    let error_id = format!("{id}-error");
    let hint_id = format!("{id}-hint");
    let described_by = if hint.is_some() {
        format!("{hint_id} {error_id}")
    } else {
        error_id.clone()
    };
    let invalid = move || error.with(Option::is_some).then_some("true");
    let control = if multiline {
        view! {
            <textarea
                id=id
                rows="3"
                aria-describedby=described_by
                aria-invalid=invalid
                prop:value=move || value.get()
                on:input=move |event| value.set(event_target_value(&event))
            ></textarea>
        }
        .into_any()
    } else {
        view! {
            <input
                id=id
                type=kind.unwrap_or("text")
                autocomplete="off"
                required=required
                aria-describedby=described_by
                aria-invalid=invalid
                prop:value=move || value.get()
                on:input=move |event| value.set(event_target_value(&event))
            />
        }
        .into_any()
    };
    view! {
        <div class="field">
            <label for=id>{label}</label>
            {control}
            {hint.map(|hint| view! { <p id=hint_id class="field-hint">{hint}</p> })}
            <FieldError id=error_id message=error />
        </div>
    }
}

/// A labelled drop-down of (value, label) choices, with an empty first
/// choice named `none` and the server's refusal under it.
#[component]
pub fn SelectField(
    id: &'static str,
    #[prop(into)] label: String,
    #[prop(into)] choices: Signal<Vec<(String, String)>>,
    value: RwSignal<String>,
    none: &'static str,
    #[prop(optional, into)] error: Signal<Option<String>>,
    #[prop(optional)] disabled: bool,
    /// Told of every choice the user makes (filters).
    #[prop(optional)]
    on_change: Option<Callback<String>>,
    #[prop(optional)] hint: Option<&'static str>,
) -> impl IntoView {
    let hint = hint.filter(|hint| !hint.is_empty());
    let error_id = format!("{id}-error");
    let hint_id = format!("{id}-hint");
    let described_by = if hint.is_some() {
        format!("{hint_id} {error_id}")
    } else {
        error_id.clone()
    };
    view! {
        <div class="field">
            <label for=id>{label}</label>
            <select
                id=id
                disabled=disabled
                aria-describedby=described_by
                on:change=move |event| {
                    let chosen = event_target_value(&event);
                    value.set(chosen.clone());
                    if let Some(on_change) = on_change {
                        on_change.run(chosen);
                    }
                }
            >
                <option value="" selected=move || value.with(String::is_empty)>{none}</option>
                {move || {
                    let chosen = value.get();
                    choices
                        .get()
                        .into_iter()
                        .map(|(v, label)| {
                            let selected = v == chosen;
                            view! { <option value=v selected=selected>{label}</option> }
                        })
                        .collect_view()
                }}
            </select>
            {hint.map(|hint| view! { <p id=hint_id class="field-hint">{hint}</p> })}
            <FieldError id=error_id message=error />
        </div>
    }
}

/// A checkbox with its label to the right.
#[component]
pub fn CheckField(
    id: &'static str,
    #[prop(into)] label: String,
    checked: RwSignal<bool>,
) -> impl IntoView {
    view! {
        <label class="choice check-field" for=id>
            <input
                type="checkbox"
                id=id
                prop:checked=move || checked.get()
                on:change=move |event| checked.set(event_target_checked(&event))
            />
            <span>{label}</span>
        </label>
    }
}

/// An editor: a side panel over the list holding the form, the refusal no
/// field claims, and Save / Cancel. Escape or X closes it.
#[component]
pub fn Editor(
    #[prop(into)] title: String,
    page: AdminPage,
    failure: FormFailure,
    /// The fields the form shows; a refusal naming another goes on top.
    fields: &'static [&'static str],
    #[prop(into)] pending: Signal<bool>,
    on_save: Callback<()>,
    children: Children,
) -> impl IntoView {
    let on_submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        failure.0.set(None);
        on_save.run(());
    };
    view! {
        <Dialog title id="editor" on_close=Callback::new(move |()| page.close()) panel=true>
            <form class="stack admin-form" novalidate on:submit=on_submit>
                {children()}
                <ErrorAlert message=failure.elsewhere(fields) />
                <FormActions pending page />
            </form>
        </Dialog>
    }
}

/// Save and Cancel at the foot of an editor.
#[component]
pub fn FormActions(#[prop(into)] pending: Signal<bool>, page: AdminPage) -> impl IntoView {
    view! {
        <div class="dialog-actions">
            <button
                type="submit"
                class="button button-primary"
                aria-busy=move || pending.get().to_string()
                disabled=move || pending.get()
            >
                "Save"
            </button>
            <button type="button" class="button button-quiet" on:click=move |_| page.close()>
                "Cancel"
            </button>
        </div>
    }
}

/// Edit and Delete for one row, named after the item for screen readers.
#[component]
pub fn RowActions(id: i64, name: String, page: AdminPage) -> impl IntoView {
    let edit_label = format!("Edit {name}");
    let delete_label = format!("Delete {name}");
    view! {
        <span class="row-actions">
            <button
                type="button"
                class="button button-small"
                aria-label=edit_label
                on:click=move |_| page.open(Some(id))
            >
                "Edit"
            </button>
            <button
                type="button"
                class="button button-small button-quiet"
                aria-label=delete_label
                on:click=move |_| page.deleting.set(Some((id, name.clone())))
            >
                "Delete"
            </button>
        </span>
    }
}

/// "Delete …?" for the page's pending delete; the server's refusal (still
/// in use) is shown inside.
#[component]
pub fn DeleteDialog(collection: Collection, page: AdminPage) -> impl IntoView {
    let failure = RwSignal::new(None::<String>);
    let remove = Action::new_local(move |id: &i64| admin_api::delete(collection, *id));
    Effect::new(move |_| match remove.value().get() {
        Some(Ok(())) => {
            page.deleting.set(None);
            page.version.update(|v| *v += 1);
        }
        Some(Err(error)) => failure.set(Some(error.message)),
        None => {}
    });
    move || {
        page.deleting.get().map(|(id, name)| {
            view! {
                <ConfirmDialog
                    title=format!("Delete {name}?")
                    message="This cannot be undone. Gatehouse refuses while anything still uses it."
                    confirm_label="Delete"
                    pending=remove.pending()
                    failure=failure
                    on_confirm=Callback::new(move |()| {
                        failure.set(None);
                        remove.dispatch_local(id);
                    })
                    on_close=Callback::new(move |()| {
                        failure.set(None);
                        page.deleting.set(None);
                    })
                />
            }
        })
    }
}
