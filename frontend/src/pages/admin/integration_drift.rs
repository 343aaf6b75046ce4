//! Admin → Integrations → Drift: what the target system holds that
//! Gatehouse did not grant (added by hand) or that should have ended, from
//! the last check, and Check for drift to look now.

use gatehouse_shared::admin::{DriftFinding, DriftReport};
use leptos::prelude::*;

use crate::{
    admin_api, components::error_alert::ErrorAlert, loading::load_answer, request_text::local_time,
    selection::count_of,
};

/// How a check runs, from the report: "Checked every 10 minutes; found
/// access is reported."
fn mode_line(report: &DriftReport) -> String {
    if !report.supported {
        return "This integration's connector cannot list what the target grants.".to_owned();
    }
    let every = match report.interval_minutes {
        1 => "every minute".to_owned(),
        n => format!("every {n} minutes"),
    };
    match report.mode.as_str() {
        "off" => "Off: Gatehouse does not look (Drift mode above).".to_owned(),
        "enforce" => format!("Checked {every}; what is found is reported and removed."),
        _ => format!("Checked {every}; what is found is reported, not removed."),
    }
}

/// The last check in a sentence.
fn summary(report: &DriftReport) -> String {
    let Some(checked) = report.checked_at else {
        return "Not checked yet.".to_owned();
    };
    let when = local_time(checked.unix_timestamp());
    match (&report.error, report.findings.len()) {
        (Some(_), _) => format!("Last checked {when}: the check failed."),
        (None, 0) => format!("Last checked {when}: nothing found."),
        (None, n) => format!(
            "Last checked {when}: {} found.",
            count_of(n as u64, "finding", "findings")
        ),
    }
}

/// "added by hand" or "should have ended".
fn kind_label(kind: &str) -> &'static str {
    match kind {
        "ended" => "should have ended",
        _ => "added by hand",
    }
}

#[component]
pub fn DriftSection(id: i64) -> impl IntoView {
    let last = load_answer::<DriftReport>(move || admin_api::drift(id));
    let check = Action::new_local(move |()| admin_api::check_drift(id));
    // The check just made wins over the report loaded when the editor opened.
    let current = Memo::new(move |_| check.value().get().or_else(|| last.get()));
    let failure = Signal::derive(move || {
        current
            .get()
            .and_then(Result::err)
            .map(|error| error.message)
    });
    let report = move || current.get().and_then(Result::ok);
    view! {
        <section class="drift" aria-labelledby="drift-heading">
            <h3 id="drift-heading">"Drift"</h3>
            <p class="field-hint">
                "Access the target holds that Gatehouse did not grant, or that should have ended. "
                {move || report().map(|r| mode_line(&r))}
            </p>
            <div class="dialog-actions">
                <button
                    type="button"
                    class="button button-small"
                    aria-busy=move || check.pending().get().to_string()
                    disabled=move || check.pending().get()
                    on:click=move |_| {
                        check.dispatch_local(());
                    }
                >
                    "Check for drift"
                </button>
            </div>
            <ErrorAlert message=failure />
            <div class="drift-status" role="status">
                <p>
                    {move || match current.get() {
                        None => "Loading…".to_owned(),
                        Some(Err(_)) => String::new(),
                        Some(Ok(_)) if check.pending().get() => "Checking…".to_owned(),
                        Some(Ok(report)) => summary(&report),
                    }}
                </p>
                {move || {
                    report()
                        .filter(|_| !check.pending().get())
                        .and_then(|r| r.error)
                        .map(|error| view! { <p class="attempt-failed">{error}</p> })
                }}
            </div>
            {move || {
                report()
                    .filter(|r| !r.findings.is_empty())
                    .map(|r| view! { <Findings findings=r.findings /> })
            }}
        </section>
    }
}

#[component]
fn Findings(findings: Vec<DriftFinding>) -> impl IntoView {
    view! {
        <div class="table-scroll">
            <table class="admin-table drift-table" aria-label="Drift findings">
                <thead>
                    <tr>
                        <th scope="col">"Login"</th>
                        <th scope="col">"Resource"</th>
                        <th scope="col">"Permission"</th>
                        <th scope="col">"Kind"</th>
                        <th scope="col">"Since"</th>
                        <th scope="col">"Now"</th>
                    </tr>
                </thead>
                <tbody>
                    {findings
                        .into_iter()
                        .map(|finding| {
                            let now = match finding.removed_at {
                                Some(at) => format!("removed {}", local_time(at.unix_timestamp())),
                                None => "still there".to_owned(),
                            };
                            view! {
                                <tr>
                                    <td data-label="Login"><code>{finding.login}</code></td>
                                    <td data-label="Resource"><code>{finding.resource_path}</code></td>
                                    <td data-label="Permission">{finding.permission.unwrap_or_default()}</td>
                                    <td data-label="Kind">{kind_label(&finding.kind)}</td>
                                    <td data-label="Since">{local_time(finding.first_seen.unix_timestamp())}</td>
                                    <td data-label="Now">{now}</td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
        </div>
    }
}
