//! `gatehouse request`: ask for access from the terminal, the way the New
//! Request form does — find the resource, pick the permission and duration,
//! show the justification checks and the preview (flow, approvers, MFA),
//! submit, and with `--wait` follow the request (in [`super::requests`])
//! until it is Active or ends.

use std::{
    fmt::Write as _,
    io::{BufRead, IsTerminal, Write},
    process::ExitCode,
    time::Duration,
};

use gatehouse_shared::{
    catalog::{Resource, ResourcePage},
    duration::{format_duration, parse_duration},
    requests::{ItemSelection, PreviewResponse, SubmitRequest, SubmitResponse, UserRef},
    status::RequestStatus,
};
use serde::{Serialize, de::DeserializeOwned};

use super::{
    Saved, Stop, agent, exit, failure, get, load, query,
    requests::{connect_line, ended, follow, user},
};

/// `gatehouse request RESOURCE …`
#[derive(clap::Args, Debug)]
pub struct RequestArgs {
    /// The resource: its path (e.g. `billing/public/invoices`), or a part of
    /// its name or path that matches only it.
    pub resource: String,
    /// The permission (e.g. `read-only`); needed when the resource offers several.
    #[arg(long, short)]
    pub permission: Option<String>,
    /// How long: 30m, 1h, 8h, 2d… (default: the shortest the access flow offers).
    #[arg(long, short, value_parser = duration_arg)]
    pub duration: Option<i64>,
    /// Why you need it (the justification approvers read).
    #[arg(long, short)]
    pub reason: Option<String>,
    /// A ticket ID, e.g. OPS-123.
    #[arg(long)]
    pub ticket: Option<String>,
    /// The ticket's type (e.g. Jira), when the server knows several.
    #[arg(long)]
    pub ticket_type: Option<String>,
    /// Request it for another user (username), where an access flow allows it.
    #[arg(long = "for", value_name = "USER")]
    pub grantee: Option<String>,
    /// Wait until the request is Active (then print how to connect) or ends.
    #[arg(long, short)]
    pub wait: bool,
    /// How long `--wait` waits at most.
    #[arg(long, value_parser = duration_arg, default_value = "15m")]
    pub timeout: i64,
    /// Submit without asking (the default when standard input is not a terminal).
    #[arg(long, short)]
    pub yes: bool,
}

/// A duration as people write it: `90m`, `1h`, `2d` (or seconds).
pub fn duration_arg(text: &str) -> Result<i64, String> {
    parse_duration(text)
        .ok_or_else(|| format!("\"{text}\" is not a duration: write it like 30m, 1h, 8h or 2d"))
}

fn send<T: DeserializeOwned>(
    saved: &Saved,
    path: &str,
    body: &impl Serialize,
) -> Result<T, String> {
    agent()
        .post(&format!("{}{path}", saved.server))
        .set("Authorization", &format!("Bearer {}", saved.token))
        .send_json(body)
        .map_err(failure)?
        .into_json()
        .map_err(|e| format!("unexpected answer from {path}: {e}"))
}

/// Run `gatehouse request`.
pub fn request(args: &RequestArgs) -> ExitCode {
    exit(
        load()
            .map_err(Stop::Fail)
            .and_then(|saved| run(&saved, args)),
    )
}

fn run(saved: &Saved, args: &RequestArgs) -> Result<(), Stop> {
    let grantee = match &args.grantee {
        Some(username) => Some(find_user(saved, username)?),
        None => None,
    };
    let resource = find_resource(saved, &args.resource, grantee.as_ref())?;
    let permission = pick_permission(&resource, args.permission.as_deref())?;
    let interactive = !args.yes && std::io::stdin().is_terminal();

    let mut form = SubmitRequest {
        grantee_id: grantee.as_ref().map(|g| g.id),
        items: vec![ItemSelection {
            resource_id: resource.id,
            permission: permission.clone(),
        }],
        duration_seconds: args.duration.unwrap_or(0),
        ticket_type: args.ticket_type.clone(),
        ticket_id: args.ticket.clone(),
        justification: args.reason.clone().unwrap_or_default(),
        ..SubmitRequest::default()
    };
    let mut preview: PreviewResponse = send(saved, "/api/v1/requests/preview", &form)?;
    let mut changed = false;
    // The duration: the one asked for, if offered; else the flow's first.
    match args.duration {
        Some(asked) if !preview.durations_seconds.is_empty() => {
            if !preview.durations_seconds.contains(&asked) {
                return Err(Stop::Fail(format!(
                    "{} is not offered for {}: choose --duration {}",
                    format_duration(asked),
                    resource.path,
                    offered(&preview.durations_seconds)
                )));
            }
        }
        Some(_) => {}
        None => {
            if let Some(first) = preview.durations_seconds.first() {
                form.duration_seconds = *first;
                changed = true;
            }
        }
    }
    // A ticket without a type: the only type the server knows, if just one.
    if form.ticket_id.is_some() && form.ticket_type.is_none() && preview.ticket_types.len() == 1 {
        form.ticket_type = preview.ticket_types.first().cloned();
        changed = true;
    }
    let needs_reason = preview.groups.iter().any(|g| g.justification_required);
    if interactive && needs_reason && form.justification.trim().is_empty() {
        form.justification = ask("Reason (what you will do, and why this access): ")?;
        changed = true;
    }
    if changed {
        preview = send(saved, "/api/v1/requests/preview", &form)?;
    }

    eprintln!(
        "{}",
        describe(&resource, &permission, &form, &preview, grantee.as_ref())
    );
    if let Some(covering) = preview.covered_by.first() {
        let held = format!(
            "{} ({}) is already covered by request {} ({}, {})",
            covering.resource_name,
            covering.permission,
            covering.request_id,
            covering.status.label(),
            covering.covering_permission,
        );
        if !args.wait {
            return Err(Stop::Fail(format!(
                "{held}: `--wait` follows it, `gatehouse requests` lists it"
            )));
        }
        // Asking again with --wait picks up where an earlier wait stopped.
        eprintln!("{held}: following it");
        let grantee = grantee.as_ref().map(|g| g.username.as_str());
        return follow(
            saved,
            &[(covering.request_id, covering.status)],
            timeout(args),
            grantee,
        );
    }
    if !preview.problems.is_empty() {
        let mut out = String::from("this request would be refused:");
        for problem in &preview.problems {
            let flag = match problem.field.as_deref() {
                Some("justification") => " (--reason)",
                Some("ticket_id") => " (--ticket)",
                Some("ticket_type") => " (--ticket-type)",
                Some("duration_seconds") => " (--duration)",
                _ => "",
            };
            let _ = write!(out, "\n  {}{flag}", problem.message);
        }
        if preview
            .problems
            .iter()
            .any(|p| p.field.as_deref() == Some("ticket_type"))
        {
            let _ = write!(out, "\n  Ticket types: {}", preview.ticket_types.join(", "));
        }
        return Err(Stop::Fail(out));
    }
    if interactive {
        let answer = ask("Submit this request? [Y/n] ")?;
        if answer.trim().to_lowercase().starts_with('n') {
            return Err(Stop::Fail("not submitted".into()));
        }
    }

    let submitted: SubmitResponse = send(saved, "/api/v1/requests", &form)?;
    let grantee_name = grantee.as_ref().map(|g| g.username.as_str());
    for request in &submitted.requests {
        println!("Request {}: {}", request.id, request.status.label());
    }
    if args.wait {
        let ids: Vec<(i64, RequestStatus)> = submitted
            .requests
            .iter()
            .map(|r| (r.id, r.status))
            .collect();
        return follow(saved, &ids, timeout(args), grantee_name);
    }
    for request in &submitted.requests {
        match request.status {
            RequestStatus::Active => println!("{}", connect_line(request, grantee_name)),
            status if status.is_closed() => return Err(Stop::Fail(ended(request))),
            _ => eprintln!("`gatehouse requests` shows where it stands; `--wait` waits for it."),
        }
    }
    Ok(())
}

fn timeout(args: &RequestArgs) -> Duration {
    Duration::from_secs(args.timeout.unsigned_abs())
}

/// A line from standard input, after a prompt on standard error.
fn ask(prompt: &str) -> Result<String, String> {
    eprint!("{prompt}");
    let _ = std::io::stderr().flush();
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|e| format!("cannot read the answer: {e}"))?;
    Ok(line.trim().to_owned())
}

fn find_user(saved: &Saved, username: &str) -> Result<UserRef, Stop> {
    let found: Vec<UserRef> = get(
        saved,
        &format!(
            "/api/v1/users?{}",
            query(&[("search", username), ("limit", "100")])
        ),
    )?;
    found
        .into_iter()
        .find(|u| u.username.eq_ignore_ascii_case(username))
        .ok_or_else(|| Stop::Fail(format!("no user named \"{username}\"")))
}

/// The resource a text names: its exact path, else its exact name, else the
/// one resource whose name or path contains it.
fn find_resource(saved: &Saved, text: &str, grantee: Option<&UserRef>) -> Result<Resource, Stop> {
    let grantee_id = grantee.map(|g| g.id.to_string());
    let mut pairs = vec![("search", text.trim()), ("limit", "1000")];
    if let Some(id) = &grantee_id {
        pairs.push(("grantee_id", id));
    }
    let page: ResourcePage = get(saved, &format!("/api/v1/resources?{}", query(&pairs)))?;
    let lower = text.trim().to_lowercase();
    let exact: Vec<&Resource> = {
        let by_path: Vec<&Resource> = page
            .items
            .iter()
            .filter(|r| r.path.to_lowercase() == lower)
            .collect();
        if by_path.is_empty() {
            page.items
                .iter()
                .filter(|r| r.name.to_lowercase() == lower)
                .collect()
        } else {
            by_path
        }
    };
    let candidates: Vec<&Resource> = if exact.is_empty() {
        let named: Vec<&Resource> = page
            .items
            .iter()
            .filter(|r| {
                r.name.to_lowercase().contains(&lower) || r.path.to_lowercase().contains(&lower)
            })
            .collect();
        if named.is_empty() {
            page.items.iter().collect()
        } else {
            named
        }
    } else {
        exact
    };
    match candidates.as_slice() {
        [] => Err(Stop::Fail(format!(
            "no resource {} may request matches \"{text}\"",
            grantee.map_or("you".to_owned(), |g| g.username.clone())
        ))),
        [one] => Ok((*one).clone()),
        many => {
            const SHOWN: usize = 25;
            let width = many
                .iter()
                .take(SHOWN)
                .map(|r| r.path.chars().count())
                .max()
                .unwrap_or(4);
            let name_width = many
                .iter()
                .take(SHOWN)
                .map(|r| r.name.chars().count())
                .max()
                .unwrap_or(4);
            let mut out = format!(
                "\"{text}\" matches {} resources; name one by its path:\n  {:<width$}  {:<name_width$}  TYPE",
                many.len(),
                "PATH",
                "NAME"
            );
            for r in many.iter().take(SHOWN) {
                let _ = write!(
                    out,
                    "\n  {:<width$}  {:<name_width$}  {} ({})",
                    r.path, r.name, r.resource_type_name, r.integration_name
                );
            }
            if many.len() > SHOWN {
                let _ = write!(out, "\n  … and {} more", many.len() - SHOWN);
            }
            Err(Stop::Choose(out))
        }
    }
}

fn pick_permission(resource: &Resource, asked: Option<&str>) -> Result<String, Stop> {
    let offered: Vec<&str> = resource
        .permissions
        .iter()
        .map(|p| p.name.as_str())
        .collect();
    match (asked, offered.as_slice()) {
        (Some(asked), _) if offered.contains(&asked) => Ok(asked.to_owned()),
        (Some(asked), _) => Err(Stop::Choose(format!(
            "{} does not offer \"{asked}\" to you; choose --permission {}",
            resource.path,
            offered.join(", ")
        ))),
        (None, [one]) => Ok((*one).to_owned()),
        (None, []) => Err(Stop::Fail(format!(
            "{} offers no permission you may request",
            resource.path
        ))),
        (None, _) => Err(Stop::Choose(format!(
            "{} offers several permissions; choose one with --permission: {}",
            resource.path,
            offered.join(", ")
        ))),
    }
}

fn offered(durations: &[i64]) -> String {
    durations
        .iter()
        .map(|d| short_duration(*d))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `90m`, `1h`, `2d`: how `--duration` takes it.
fn short_duration(seconds: i64) -> String {
    match seconds {
        s if s % 86_400 == 0 => format!("{}d", s / 86_400),
        s if s % 3_600 == 0 => format!("{}h", s / 3_600),
        s if s % 60 == 0 => format!("{}m", s / 60),
        s => format!("{s}s"),
    }
}

/// What will be submitted and how it will be handled, as the form shows it.
fn describe(
    resource: &Resource,
    permission: &str,
    form: &SubmitRequest,
    preview: &PreviewResponse,
    grantee: Option<&UserRef>,
) -> String {
    let mut out = format!(
        "Resource    {}  ({}, {} in {})\nPermission  {permission}\n",
        resource.path, resource.name, resource.resource_type_name, resource.integration_name
    );
    if let Some(grantee) = grantee {
        let _ = writeln!(out, "For         {}", user(grantee));
    }
    let _ = writeln!(
        out,
        "Duration    {}{}",
        if form.duration_seconds > 0 {
            format_duration(form.duration_seconds)
        } else {
            "none offered".to_owned()
        },
        if preview.durations_seconds.len() > 1 {
            format!("  (offered: {})", offered(&preview.durations_seconds))
        } else {
            String::new()
        }
    );
    if let Some(ticket) = &form.ticket_id {
        let _ = writeln!(
            out,
            "Ticket      {ticket}{}",
            form.ticket_type
                .as_deref()
                .map(|t| format!(" ({t})"))
                .unwrap_or_default()
        );
    }
    let reason = form.justification.trim();
    let _ = writeln!(
        out,
        "Reason      {}",
        if reason.is_empty() { "(none)" } else { reason }
    );
    let feedback = &preview.justification_feedback;
    let mark = |holds: bool| if holds { "✓" } else { "○" };
    let _ = writeln!(
        out,
        "            {}\n            {} Describes the task you are working on\n            {} Explains why this level of access is required\n            {} Includes a ticket ID",
        if feedback.complete {
            "Clear justification: approvers have what they need."
        } else {
            "A clear justification speeds up approval. It should:"
        },
        mark(feedback.describes_task),
        mark(feedback.explains_access_level),
        mark(feedback.includes_ticket),
    );
    for group in &preview.groups {
        let handling = if group.auto_approve {
            "approved automatically".to_owned()
        } else {
            let steps: Vec<String> = group
                .approver_steps
                .iter()
                .enumerate()
                .map(|(index, approvers)| {
                    let names: Vec<String> = approvers.iter().map(user).collect();
                    let needed = group.required_approvals.get(index).copied().unwrap_or(1);
                    let who = if names.is_empty() {
                        "no approver available".to_owned()
                    } else {
                        names.join(" or ")
                    };
                    if needed > 1 {
                        format!("{needed} of {who}")
                    } else {
                        who
                    }
                })
                .collect();
            format!("needs approval by {}", steps.join(", then "))
        };
        let _ = writeln!(out, "Flow        {}: {handling}", group.flow_name);
        if group.mfa_required {
            let _ = writeln!(
                out,
                "            MFA: confirm a code from your authenticator (in the portal) before it is granted"
            );
        }
    }
    out.trim_end().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_are_offered_as_they_are_typed() {
        assert_eq!(offered(&[3_600, 5_400, 86_400, 90]), "1h, 90m, 1d, 90s");
        assert!(duration_arg("soon").unwrap_err().contains("30m, 1h"));
    }
}
