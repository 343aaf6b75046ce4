//! How a request reads on cards and panels: its resources in a line, time
//! left, how long ago. Pure functions of the request and "now".

use gatehouse_shared::{
    RequestStatus, duration::format_duration, requests::AccessRequest, schedule,
};

/// "docs (read)", "orders (read-only), billing (read-only) and 3 more".
pub fn resources_summary(request: &AccessRequest) -> String {
    let shown: Vec<String> = request
        .items
        .iter()
        .take(2)
        .map(|item| format!("{} ({})", item.resource_name, item.permission))
        .collect();
    let rest = request.item_count - shown.len() as i64;
    match (shown.len(), rest) {
        (0, _) => "No resources".to_owned(),
        (_, rest) if rest > 0 => format!("{} and {rest} more", shown.join(", ")),
        _ => shown.join(", "),
    }
}

/// Seconds since the Unix epoch, now, from the browser's clock.
pub fn now_unix() -> i64 {
    (web_sys::js_sys::Date::now() / 1000.0) as i64
}

/// "45 minutes left", "Expiring now" for active access.
pub fn time_left(request: &AccessRequest, now: i64) -> Option<String> {
    let expires = request.expires_at?.unix_timestamp();
    let left = expires - now;
    Some(if left <= 0 {
        "Expiring now".to_owned()
    } else if left < 60 {
        "Less than a minute left".to_owned()
    } else {
        format!("{} left", format_duration(left - left % 60))
    })
}

const DAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// An instant in the browser's local time: "Fri 4 Dec 2026, 22:00".
pub fn local_time(unix: i64) -> String {
    let date = web_sys::js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(unix as f64 * 1000.0));
    format!(
        "{} {} {} {}, {:02}:{:02}",
        DAYS[date.get_day() as usize % 7],
        date.get_date(),
        MONTHS[date.get_month() as usize % 12],
        date.get_full_year(),
        date.get_hours(),
        date.get_minutes()
    )
}

/// A `datetime-local` input's value (the browser's local time) as an
/// instant; None when it does not parse.
pub fn from_local_input(value: &str) -> Option<time::OffsetDateTime> {
    let millis = web_sys::js_sys::Date::new(&wasm_bindgen::JsValue::from_str(value)).get_time();
    if millis.is_nan() {
        return None;
    }
    time::OffsetDateTime::from_unix_timestamp((millis / 1000.0).floor() as i64).ok()
}

/// When a Scheduled request starts, as (what, when): ("Starts", "Fri 4 Dec
/// 2026, 22:00"), or ("Next window", …) for recurring access.
pub fn start_of(request: &AccessRequest) -> Option<(&'static str, String)> {
    if request.status != RequestStatus::Scheduled {
        return None;
    }
    let at = local_time(request.starts_at?.unix_timestamp());
    Some(match &request.recurrence {
        Some(_) => ("Next window", at),
        None => ("Starts", at),
    })
}

/// [`start_of`] in a line: "Starts Fri 4 Dec 2026, 22:00".
pub fn start_line(request: &AccessRequest) -> Option<String> {
    start_of(request).map(|(what, at)| format!("{what} {at}"))
}

/// "Tuesdays 22:00–02:00 (Europe/Berlin), window 2 of 8".
pub fn recurrence_line(request: &AccessRequest) -> Option<String> {
    let r = request.recurrence.as_ref()?;
    Some(format!(
        "{}, window {} of {}",
        schedule::describe(&r.weekdays, &r.start_time, r.length_seconds, &r.time_zone),
        r.window,
        r.windows
    ))
}

/// "just now", "5 minutes ago", "2 days ago".
pub fn ago(unix: i64, now: i64) -> String {
    let seconds = now - unix;
    if seconds < 60 {
        "just now".to_owned()
    } else {
        let rounded = if seconds >= 86_400 {
            seconds - seconds % 86_400
        } else if seconds >= 3_600 {
            seconds - seconds % 3_600
        } else {
            seconds - seconds % 60
        };
        format!("{} ago", format_duration(rounded))
    }
}

/// The CSS class of a status badge: `status-active`, `status-pending-approval`.
pub fn status_class(label: &str) -> String {
    format!("status status-{}", label.to_lowercase().replace(' ', "-"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_read_as_people_say_them() {
        assert_eq!(ago(1_000, 1_030), "just now");
        assert_eq!(ago(1_000, 1_000 + 330), "5 minutes ago");
        assert_eq!(ago(0, 2 * 86_400 + 7_200), "2 days ago");
        assert_eq!(ago(0, 3 * 3_600 + 120), "3 hours ago");
    }

    #[test]
    fn status_classes_follow_the_status_names() {
        assert_eq!(
            status_class("Pending Approval"),
            "status status-pending-approval"
        );
        assert_eq!(status_class("Active"), "status status-active");
    }
}
