//! Scheduled and recurring access: whether an approved request waits for
//! its start (Scheduled), where the windows of a recurring request fall in
//! its flow's time zone, and the worker's pass that starts what is due.
//!
//! A recurring request stays one request, approved once: its `starts_at` is
//! the start of its current (or next) window and `window_index` counts the
//! windows from 0. Its status cycles Scheduled → Granting → Active →
//! Revoking → Scheduled; after its last window it ends Expired, like any
//! request. Each window starts at the offered local time in the flow's time
//! zone, whatever the offset that day (daylight saving), and lasts the
//! offered length. Times come from jiff with its bundled tz database, so the
//! answers do not depend on the host's /usr/share/zoneinfo.

use gatehouse_shared::{
    RequestStatus,
    schedule::{MAX_START_AHEAD, RecurrenceOffer, RequestRecurrence, parse_start_time},
};
use jiff::{Timestamp, ToSpan, tz::TimeZone};
use serde_json::json;

use crate::{
    engine::Engine,
    error::AppError,
    store::{
        self, Conn,
        requests::{Recurrence, RequestRow},
    },
};

/// The status an approved request takes: Scheduled while it waits for its
/// start (or for the worker to pick its window), else Granting. The one
/// place this is decided, for the last approval, an auto-approving flow and
/// a confirmed MFA alike.
pub fn approved_status(row: &RequestRow, now: i64) -> RequestStatus {
    status_once_approved(row.starts_at, row.duration, row.recurrence.is_some(), now)
}

/// [`approved_status`] of a request not written yet (submission).
pub fn status_once_approved(
    starts_at: Option<i64>,
    duration: i64,
    recurring: bool,
    now: i64,
) -> RequestStatus {
    match starts_at {
        // The worker picks the window (the first may have passed meanwhile).
        _ if recurring => RequestStatus::Scheduled,
        // Later, or passed entirely (the worker then ends it Expired).
        Some(start) if start > now || start + duration <= now => RequestStatus::Scheduled,
        _ => RequestStatus::Granting,
    }
}

/// A later start: in the future, at most [`MAX_START_AHEAD`] away.
pub fn check_start(starts_at: i64, now: i64) -> Result<(), AppError> {
    if starts_at <= now {
        return Err(AppError::invalid(
            "starts_at",
            "The start must be in the future; leave it out to start at once.",
        ));
    }
    if starts_at - now > MAX_START_AHEAD {
        return Err(AppError::invalid(
            "starts_at",
            "The start can be at most 90 days ahead.",
        ));
    }
    Ok(())
}

/// The time zone of that IANA name, from the bundled database.
fn zone(name: &str) -> Result<TimeZone, AppError> {
    TimeZone::get(name).map_err(|_| {
        AppError::invalid(
            "recurrence.time_zone",
            format!("Unknown time zone \"{name}\": use an IANA name such as Europe/Berlin."),
        )
    })
}

/// An offer's time zone exists (the rest is checked by the shared rules).
pub fn check_offer(offer: &RecurrenceOffer) -> Result<(), AppError> {
    zone(offer.time_zone.trim()).map(|_| ())
}

/// How many windows a recurrence has in all.
pub fn window_count(recurrence: &Recurrence) -> i64 {
    recurrence.weeks * recurrence.weekdays.len() as i64
}

fn internal(error: jiff::Error) -> AppError {
    AppError::internal(format!("time arithmetic failed: {error}"))
}

/// The start of the first window starting strictly after `after`.
pub fn next_start(recurrence: &Recurrence, after: i64) -> Result<i64, AppError> {
    let tz = zone(&recurrence.time_zone)?;
    let (hour, minute) = parse_start_time(&recurrence.start_time).ok_or_else(|| {
        AppError::internal(format!("stored start time {:?}", recurrence.start_time))
    })?;
    let after_ts = Timestamp::from_second(after).map_err(internal)?;
    let today = after_ts.to_zoned_datetime(tz.clone()).date();
    // Local dates only move forward: the first candidate past `after` is the
    // earliest. A week and a day always hold one.
    for days in 0..=8_i64 {
        let date = today.checked_add(days.days()).map_err(internal)?;
        let weekday = usize::from(date.weekday().to_monday_zero_offset().unsigned_abs());
        if !recurrence.weekdays.iter().any(|d| d.index() == weekday) {
            continue;
        }
        // A start in a gap (clocks jump forward) moves forward with the
        // clock; a start in a fold takes the earlier of the two.
        let start = date
            .at(hour, minute, 0, 0)
            .to_zoned_datetime(tz.clone())
            .map_err(internal)?
            .timestamp()
            .as_second();
        if start > after {
            return Ok(start);
        }
    }
    Err(AppError::internal("a recurrence without weekdays"))
}

/// The first window of a recurrence submitted at `now`: the earliest that
/// has not ended yet (it may be under way).
pub fn first_start(recurrence: &Recurrence, now: i64) -> Result<i64, AppError> {
    next_start(recurrence, now - recurrence.length_seconds)
}

/// The first window after window `index` (starting at `start`) that has
/// not ended by `now`, as (index, start); None when none is left.
fn next_live_window(
    recurrence: &Recurrence,
    mut index: i64,
    mut start: i64,
    now: i64,
    include_current: bool,
) -> Result<Option<(i64, i64)>, AppError> {
    let total = window_count(recurrence);
    if !include_current {
        index += 1;
        start = next_start(recurrence, start)?;
    }
    while start + recurrence.length_seconds <= now {
        index += 1;
        start = next_start(recurrence, start)?;
    }
    Ok((index < total).then_some((index, start)))
}

/// The recurrence as the wire shows it on a request.
pub fn recurrence_view(recurrence: &Recurrence, window_index: i64) -> RequestRecurrence {
    RequestRecurrence {
        weekdays: recurrence.weekdays.clone(),
        start_time: recurrence.start_time.clone(),
        length_seconds: recurrence.length_seconds,
        time_zone: recurrence.time_zone.clone(),
        weeks: recurrence.weeks,
        window: window_index + 1,
        windows: window_count(recurrence),
    }
}

/// The worker's pass: Scheduled requests whose start has come become
/// Granting (the provisioning that follows grants them). Returns how many.
pub async fn start_due(ctx: &Engine, now: i64) -> Result<usize, AppError> {
    // A cheap read first, so that idle passes never take the write lock.
    if !ctx
        .db
        .call(move |conn| store::transitions::any_start_due(conn, now))
        .await?
    {
        return Ok(0);
    }
    ctx.db
        .write(move |tx| {
            let due = store::transitions::starts_due(tx, now)?;
            for id in &due {
                if let Some(row) = store::requests::get(tx, *id)? {
                    start_in(tx, &row, now)?;
                }
            }
            Ok(due.len())
        })
        .await
}

/// Start a Scheduled request whose start has come: its window (the first
/// one not over yet, should the server have been down), or, when its whole
/// time has passed, end it Expired without granting anything.
fn start_in(tx: Conn<'_>, row: &RequestRow, now: i64) -> Result<(), AppError> {
    let start = row.starts_at.unwrap_or(now);
    let window = match &row.recurrence {
        None => (start + row.duration > now).then_some((0, start)),
        Some(recurrence) => next_live_window(recurrence, row.window_index, start, now, true)?,
    };
    let Some((index, start)) = window else {
        store::transitions::expire_unstarted(tx, row.id, now)?;
        return super::record(
            tx,
            now,
            None,
            Some(row.id),
            "expired",
            json!({"reason": "its time passed before it could start"}),
        );
    };
    store::transitions::start_window(tx, row.id, start, index, now)?;
    let mut detail = json!({"starts_at": start, "ends_at": start + row.duration});
    if let Some(recurrence) = &row.recurrence {
        detail["window"] = json!(index + 1);
        detail["windows"] = json!(window_count(recurrence));
    }
    super::record(tx, now, None, Some(row.id), "start_reached", detail)
}

/// A window of a recurring request ended (its access is gone): Scheduled
/// for the next window when one is left. Returns whether it was.
pub fn schedule_next_window(tx: Conn<'_>, id: i64, now: i64) -> Result<bool, AppError> {
    let Some(row) = store::requests::get(tx, id)? else {
        return Ok(false);
    };
    let (Some(recurrence), Some(start)) = (&row.recurrence, row.starts_at) else {
        return Ok(false);
    };
    let Some((index, start)) = next_live_window(recurrence, row.window_index, start, now, false)?
    else {
        return Ok(false);
    };
    store::transitions::schedule_window(tx, id, start, index, now)?;
    super::record(
        tx,
        now,
        None,
        Some(id),
        "window_ended",
        json!({"next_window": index + 1, "windows": window_count(recurrence), "starts_at": start}),
    )?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use gatehouse_shared::schedule::Weekday;

    use super::*;

    fn tuesdays_in_berlin() -> Recurrence {
        Recurrence {
            weekdays: vec![Weekday::Tuesday],
            start_time: "22:00".into(),
            length_seconds: 4 * 3600,
            time_zone: "Europe/Berlin".into(),
            weeks: 8,
        }
    }

    fn at(text: &str) -> i64 {
        text.parse::<Timestamp>()
            .map(|t| t.as_second())
            .unwrap_or(0)
    }

    #[test]
    fn windows_start_at_the_local_time_on_both_sides_of_a_clock_change() {
        let r = tuesdays_in_berlin();
        // Tuesday 2026-10-20 22:00 CEST (UTC+2), then 2026-10-27 22:00 CET (UTC+1).
        let first = next_start(&r, at("2026-10-19T12:00:00Z")).unwrap_or(0);
        assert_eq!(first, at("2026-10-20T20:00:00Z"));
        let second = next_start(&r, first).unwrap_or(0);
        assert_eq!(second, at("2026-10-27T21:00:00Z"));
        assert_eq!(second - first, 7 * 24 * 3600 + 3600);
    }

    #[test]
    fn the_first_window_may_be_under_way() {
        let r = tuesdays_in_berlin();
        let during = at("2026-10-20T21:00:00Z");
        assert_eq!(
            first_start(&r, during).unwrap_or(0),
            at("2026-10-20T20:00:00Z")
        );
    }

    #[test]
    fn an_unknown_time_zone_is_refused_by_name() {
        let offer = RecurrenceOffer {
            weekdays: vec![Weekday::Monday],
            start_time: "09:00".into(),
            length_seconds: 3600,
            time_zone: "Mars/Olympus".into(),
            max_weeks: 4,
        };
        assert!(check_offer(&offer).is_err());
    }

    #[test]
    fn a_later_start_waits_and_a_current_one_grants() {
        use RequestStatus::*;
        assert_eq!(status_once_approved(None, 60, false, 100), Granting);
        assert_eq!(status_once_approved(Some(150), 60, false, 100), Scheduled);
        assert_eq!(status_once_approved(Some(90), 60, false, 100), Granting);
        assert_eq!(status_once_approved(Some(10), 60, true, 100), Scheduled);
    }
}
