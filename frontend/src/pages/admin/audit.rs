//! Admin → Audit Log: every state change, approval, revoke, extension,
//! credential reveal, admin change and log-in, newest first, filtered by time,
//! actor and request (the filters live in the URL), with exports in CSV and
//! JSON lines carrying the same filters.

use gatehouse_shared::{
    admin::User,
    requests::{AuditEntry, AuditPage},
};
use leptos::prelude::*;
use web_sys::js_sys::{Date, encode_uri_component};

use crate::{
    admin_api::{self, AUDIT_EXPORT_MAX, AuditFilters},
    admin_page::{AdminPage, Loaded, load},
    components::{
        admin_form::{SelectField, TextField},
        admin_frame::AdminFrame,
        admin_table::{AdminTable, Cell, Row},
        error_alert::ErrorAlert,
    },
};

/// A `datetime-local` value (the browser's time zone) as RFC 3339 in UTC.
fn local_to_utc(value: &str) -> Option<String> {
    let date = Date::new(&value.into());
    (!date.get_time().is_nan()).then(|| String::from(date.to_iso_string()))
}

/// An instant as local "2026-11-22 09:05:12".
fn local_time(unix: i64) -> String {
    let date = Date::new(&((unix as f64) * 1000.0).into());
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02}",
        date.get_full_year(),
        date.get_month() + 1,
        date.get_date(),
        date.get_hours(),
        date.get_minutes(),
        date.get_seconds()
    )
}

/// An entry as a row: local time, who, which request (a link filtering by
/// it), what, and the details.
fn audit_row(entry: AuditEntry) -> Row {
    let actor = entry
        .actor
        .map_or_else(|| "Gatehouse".to_owned(), |a| a.display_name);
    let request = entry.request_id.map_or(Cell::Text(String::new()), |id| {
        Cell::Link(format!("/admin/audit?request={id}"), format!("#{id}"))
    });
    Row {
        id: entry.id,
        name: String::new(),
        cells: vec![
            Cell::Text(local_time(entry.at.unix_timestamp())),
            Cell::Text(actor),
            request,
            Cell::Code(entry.action),
            Cell::Long(entry.detail.to_string()),
        ],
    }
}

#[component]
pub fn AdminAuditPage() -> impl IntoView {
    let page = AdminPage::new();
    let filters = Memo::new(move |_| AuditFilters {
        from: page.param("from").and_then(|v| local_to_utc(&v)),
        to: page.param("to").and_then(|v| local_to_utc(&v)),
        actor_id: page.param("actor").and_then(|v| v.parse().ok()),
        request_id: page.param("request").and_then(|v| v.parse().ok()),
    });
    let first: Loaded<AuditPage> =
        load(page.version, move || admin_api::audit(&filters.get(), None));
    let more = RwSignal::new(Vec::<AuditEntry>::new());
    let next = RwSignal::new(None::<i64>);
    Effect::new(move |_| {
        let cursor = first.items.with(|p| p.as_ref().and_then(|p| p.next_cursor));
        more.set(Vec::new());
        next.set(cursor);
    });
    let load_more = Action::new_local(move |cursor: &i64| {
        let cursor = *cursor;
        let filters = filters.get_untracked();
        async move { admin_api::list_audit(&filters, Some(cursor)).await }
    });
    Effect::new(move |_| {
        if let Some(Ok(AuditPage { items, next_cursor })) = load_more.value().get() {
            more.update(|more| more.extend(items));
            next.set(next_cursor);
        }
    });
    let failure = Signal::derive(move || {
        first.failure.get().or_else(|| {
            load_more
                .value()
                .get()
                .and_then(Result::err)
                .map(|e| e.message)
        })
    });
    let users: Loaded<Vec<User>> = load(page.version, admin_api::users);
    let actor_choices = Signal::derive(move || {
        users
            .items
            .get()
            .unwrap_or_default()
            .into_iter()
            .map(|u| {
                (
                    u.id.to_string(),
                    format!("{} ({})", u.display_name, u.username),
                )
            })
            .collect::<Vec<_>>()
    });

    // The form's fields, filled from the URL and applied to it.
    let from = RwSignal::new(String::new());
    let to = RwSignal::new(String::new());
    let actor = RwSignal::new(String::new());
    let request = RwSignal::new(String::new());
    Effect::new(move |_| {
        from.set(page.param("from").unwrap_or_default());
        to.set(page.param("to").unwrap_or_default());
        actor.set(page.param("actor").unwrap_or_default());
        request.set(page.param("request").unwrap_or_default());
    });
    let apply = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        page.set_params(&[
            ("from", Some(from.get_untracked())),
            ("to", Some(to.get_untracked())),
            ("actor", Some(actor.get_untracked())),
            (
                "request",
                Some(
                    request
                        .get_untracked()
                        .trim()
                        .trim_start_matches('#')
                        .to_owned(),
                ),
            ),
        ]);
    };
    let filtered = move || filters.with(|f| f != &AuditFilters::default());
    let export = move |format: &str| {
        filters.with(|f| {
            admin_api::audit_export_url(f, format, |v| String::from(encode_uri_component(v)))
        })
    };
    let entries = move || {
        let mut entries = first.items.with(|p| p.as_ref().map(|p| p.items.clone()));
        if let Some(entries) = entries.as_mut() {
            more.with(|more| entries.extend(more.iter().cloned()));
        }
        entries
    };

    view! {
        <AdminFrame
            title="Audit Log"
            intro="Every change, decision and log-in, newest first (exports run oldest first). Entries are hash-chained: the command gatehouse audit verify finds any edit."
            page
        >
            <form class="audit-filters" on:submit=apply aria-label="Audit filters">
                <TextField id="audit-from" label="From" value=from kind="datetime-local" />
                <TextField id="audit-to" label="To" value=to kind="datetime-local" />
                <SelectField
                    id="audit-actor"
                    label="Actor"
                    choices=actor_choices
                    value=actor
                    none="Anyone"
                />
                <TextField id="audit-request" label="Request" value=request kind="text" />
                <div class="audit-filter-actions">
                    <button type="submit" class="button button-primary">"Apply filters"</button>
                    <Show when=filtered>
                        <button
                            type="button"
                            class="button button-link"
                            on:click=move |_| page.set_params(&[("from", None), ("to", None), ("actor", None), ("request", None)])
                        >
                            "Clear filters"
                        </button>
                    </Show>
                </div>
            </form>
            <div class="section-bar">
                <h2>"Entries"</h2>
                <div class="export-buttons">
                    <a class="button" href=move || export("csv") download="gatehouse-audit.csv">"Export CSV"</a>
                    <a class="button" href=move || export("jsonl") download="gatehouse-audit.jsonl">"Export JSON lines"</a>
                </div>
            </div>
            <p class="field-hint">{format!("Exports hold the first {AUDIT_EXPORT_MAX} entries the filters match; narrow the time range for more.")}</p>
            <ErrorAlert message=failure />
            <AdminTable
                rows=Signal::derive(move || {
                    entries().map(|entries| entries.into_iter().map(audit_row).collect())
                })
                headers=&["Time", "Actor", "Request", "Action", "Detail"]
                empty="No entries match these filters."
                page
                read_only=true
                label="Audit entries"
            />
            <Show when=move || next.with(Option::is_some)>
                <div class="list-footer">
                    <button
                        type="button"
                        class="button"
                        aria-busy=move || load_more.pending().get().to_string()
                        disabled=move || load_more.pending().get()
                        on:click=move |_| {
                            if let Some(cursor) = next.get_untracked() {
                                load_more.dispatch_local(cursor);
                            }
                        }
                    >
                        "Load more"
                    </button>
                </div>
            </Show>
        </AdminFrame>
    }
}
