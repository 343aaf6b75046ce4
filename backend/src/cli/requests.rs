//! Following and listing requests: `gatehouse requests` (mine, with their
//! status) and what `gatehouse request --wait` does after submitting — poll
//! until Active (then the `connect` line) or ended (then why).

use std::{
    fmt::Write as _,
    process::ExitCode,
    time::{Duration, Instant},
};

use gatehouse_shared::{
    duration::format_duration,
    requests::{AccessRequest, RequestDetail, RequestPage, UserRef},
    status::RequestStatus,
};

use super::{Saved, Stop, exit, get, items_line, load, minute, query};

/// `gatehouse requests …`
#[derive(clap::Args, Debug)]
pub struct ListArgs {
    /// Only these statuses (repeatable): active, pending-approval, pending-mfa,
    /// scheduled, granting, rejected, revoking, revoked, expired, failed.
    #[arg(long, short, value_parser = status_arg)]
    pub status: Vec<RequestStatus>,
    /// At most this many, newest first.
    #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub limit: u32,
}

/// A status by its name, in any case, with `-`, `_` or a space between words.
pub fn status_arg(text: &str) -> Result<RequestStatus, String> {
    let squash = |s: &str| {
        s.chars()
            .filter(|c| c.is_alphanumeric())
            .collect::<String>()
            .to_lowercase()
    };
    RequestStatus::ALL
        .into_iter()
        .find(|status| squash(status.label()) == squash(text))
        .ok_or_else(|| {
            let known: Vec<String> = RequestStatus::ALL
                .iter()
                .map(|s| s.label().to_lowercase().replace(' ', "-"))
                .collect();
            format!("unknown status \"{text}\"; one of {}", known.join(", "))
        })
}

pub(super) fn user(user: &UserRef) -> String {
    format!("{} ({})", user.display_name, user.username)
}

pub(super) fn connect_line(request: &AccessRequest, grantee: Option<&str>) -> String {
    let until = request
        .expires_at
        .map(|t| format!(" until {} UTC", minute(t)))
        .unwrap_or_default();
    let who = grantee.map_or("Connect".to_owned(), |g| format!("{g} connects"));
    format!(
        "Request {} is Active{until}. {who} with:\n  gatehouse connect {}",
        request.id, request.id
    )
}

/// Why a closed request ended, in a sentence.
pub(super) fn ended(request: &AccessRequest) -> String {
    let id = request.id;
    match request.status {
        RequestStatus::Rejected => format!(
            "request {id} was rejected: {}",
            request
                .rejection_reason
                .as_deref()
                .unwrap_or("no reason given")
        ),
        RequestStatus::Failed => format!(
            "request {id} failed: {}",
            request
                .failure_reason
                .as_deref()
                .unwrap_or("no reason given")
        ),
        RequestStatus::Revoked => format!(
            "request {id} was revoked{}{}",
            request
                .revoked_by
                .as_ref()
                .map(|u| format!(" by {}", user(u)))
                .unwrap_or_default(),
            request
                .revoke_reason
                .as_deref()
                .map(|r| format!(": {r}"))
                .unwrap_or_default()
        ),
        status => format!("request {id} is {}", status.label()),
    }
}

/// Poll the requests every second until each is Active (or Scheduled), or
/// ends, or `timeout` passes.
pub(super) fn follow(
    saved: &Saved,
    ids: &[(i64, RequestStatus)],
    timeout: Duration,
    grantee: Option<&str>,
) -> Result<(), Stop> {
    let deadline = Instant::now() + timeout;
    // The status printed last (at submission, then each change), and
    // whether who it waits on was said yet.
    let mut open: Vec<(i64, RequestStatus, bool)> = ids
        .iter()
        .map(|(id, status)| (*id, *status, false))
        .collect();
    let mut failures = Vec::new();
    loop {
        let mut still_open = Vec::new();
        for (id, printed, told) in open {
            let detail: RequestDetail = get(saved, &format!("/api/v1/requests/{id}"))?;
            let request = &detail.request;
            let waiting = match request.status {
                RequestStatus::PendingApproval if !detail.waiting_on.is_empty() => {
                    let names: Vec<String> = detail.waiting_on.iter().map(user).collect();
                    format!("waiting on {}", names.join(", "))
                }
                RequestStatus::PendingMfa => format!(
                    "confirm a code from your authenticator at {}/my-requests",
                    saved.server
                ),
                _ => String::new(),
            };
            let changed = printed != request.status;
            if changed {
                let mut line = format!("Request {id}: {}", request.status.label());
                if !waiting.is_empty() {
                    let _ = write!(line, " ({waiting})");
                }
                eprintln!("{line}");
            } else if !told && !waiting.is_empty() {
                eprintln!("Request {id}: {waiting}");
            }
            let told = (told && !changed) || !waiting.is_empty();
            match request.status {
                RequestStatus::Active => println!("{}", connect_line(request, grantee)),
                RequestStatus::Scheduled => println!(
                    "Request {id} is approved and starts {}; then: gatehouse connect {id}",
                    request
                        .starts_at
                        .map(|t| format!("at {} UTC", minute(t)))
                        .unwrap_or_else(|| "later".into())
                ),
                status if status.is_closed() || status == RequestStatus::Revoking => {
                    failures.push(ended(request));
                }
                status => still_open.push((id, status, told)),
            }
        }
        if still_open.is_empty() {
            return match failures.is_empty() {
                true => Ok(()),
                false => Err(Stop::Fail(failures.join("\n"))),
            };
        }
        if Instant::now() >= deadline {
            let waiting: Vec<String> = still_open
                .iter()
                .map(|(id, status, _)| format!("request {id} is still {}", status.label()))
                .collect();
            failures.push(format!(
                "stopped waiting after {}: {} (`gatehouse requests` shows it)",
                format_duration(timeout.as_secs() as i64),
                waiting.join(", ")
            ));
            return Err(Stop::Fail(failures.join("\n")));
        }
        open = still_open;
        std::thread::sleep(Duration::from_secs(1));
    }
}

/// Run `gatehouse requests`: mine, newest first, one line each.
pub fn requests(args: &ListArgs) -> ExitCode {
    exit(load().map_err(Stop::Fail).and_then(|saved| {
        println!("{}", list(&saved, args)?);
        Ok(())
    }))
}

fn list(saved: &Saved, args: &ListArgs) -> Result<String, String> {
    let limit = args.limit.to_string();
    let mut pairs = vec![("limit", limit.as_str())];
    for status in &args.status {
        pairs.push(("status", status.label()));
    }
    let page: RequestPage = get(saved, &format!("/api/v1/requests?{}", query(&pairs)))?;
    if page.items.is_empty() {
        return Ok(if args.status.is_empty() {
            "No requests yet. Ask for access with `gatehouse request RESOURCE`.".into()
        } else {
            "No requests with that status.".into()
        });
    }
    let mut out = format!(
        "{:<8} {:<17} {:<18} RESOURCES\n",
        "ID", "STATUS", "UNTIL (UTC)"
    );
    for request in &page.items {
        let _ = writeln!(
            out,
            "{:<8} {:<17} {:<18} {}",
            request.id,
            request.status.label(),
            request
                .ended_at
                .or(request.expires_at)
                .map_or_else(|| "-".into(), minute),
            items_line(request, |item| &item.resource_path),
        );
    }
    if page.next_cursor.is_some() {
        let _ = writeln!(out, "(more: raise --limit)");
    }
    Ok(out.trim_end().to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_are_read_in_any_spelling() {
        assert_eq!(
            status_arg("pending-approval"),
            Ok(RequestStatus::PendingApproval)
        );
        assert_eq!(status_arg("Pending MFA"), Ok(RequestStatus::PendingMfa));
        assert_eq!(status_arg("ACTIVE"), Ok(RequestStatus::Active));
        assert!(status_arg("approved").is_err());
    }
}
