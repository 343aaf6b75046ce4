//! Scheduled and recurring access on the wire: the recurring windows an
//! access flow offers, the recurrence a request follows, and the limits of a
//! later start. The server turns local times into instants (it holds the
//! time zone database); the rules here are the ones that need none.

use serde::{Deserialize, Serialize};

/// A request may start at most this far ahead: 90 days.
pub const MAX_START_AHEAD: i64 = 90 * 24 * 3600;
/// A recurrence lasts at most this many weeks.
pub const MAX_RECURRING_WEEKS: i64 = 52;
/// A recurring window lasts at most a day (windows of two weekdays in a row
/// then never overlap).
pub const MAX_WINDOW_LENGTH: i64 = 24 * 3600;

/// A day of the week, as people write it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Weekday {
    Monday,
    Tuesday,
    Wednesday,
    Thursday,
    Friday,
    Saturday,
    Sunday,
}

impl Weekday {
    pub const ALL: [Weekday; 7] = [
        Weekday::Monday,
        Weekday::Tuesday,
        Weekday::Wednesday,
        Weekday::Thursday,
        Weekday::Friday,
        Weekday::Saturday,
        Weekday::Sunday,
    ];

    /// 0 for Monday to 6 for Sunday.
    pub fn index(self) -> usize {
        Self::ALL.iter().position(|d| *d == self).unwrap_or(0)
    }

    pub fn name(self) -> &'static str {
        match self {
            Weekday::Monday => "Monday",
            Weekday::Tuesday => "Tuesday",
            Weekday::Wednesday => "Wednesday",
            Weekday::Thursday => "Thursday",
            Weekday::Friday => "Friday",
            Weekday::Saturday => "Saturday",
            Weekday::Sunday => "Sunday",
        }
    }
}

/// Recurring windows an access flow offers, e.g. Tuesdays 22:00 for 4
/// hours, Europe/Berlin, for up to 8 weeks. Each window starts at the local
/// time in the time zone, whatever its offset that day (daylight saving),
/// and lasts `length_seconds`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "weekdays": ["Tuesday"],
    "start_time": "22:00",
    "length_seconds": 14400,
    "time_zone": "Europe/Berlin",
    "max_weeks": 8
})))]
pub struct RecurrenceOffer {
    pub weekdays: Vec<Weekday>,
    /// Local start time of each window, `HH:MM` (24-hour clock).
    pub start_time: String,
    /// How long each window lasts, up to a day.
    pub length_seconds: i64,
    /// An IANA time zone name, e.g. `Europe/Berlin`.
    pub time_zone: String,
    /// How many weeks a requester may ask for, 1 to 52.
    pub max_weeks: i64,
}

/// The recurrence a request follows: the flow's offer at submission, the
/// weeks asked for, and where it stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RequestRecurrence {
    pub weekdays: Vec<Weekday>,
    pub start_time: String,
    pub length_seconds: i64,
    pub time_zone: String,
    pub weeks: i64,
    /// The current (or next) window, counted from 1.
    pub window: i64,
    /// How many windows there are in all.
    pub windows: i64,
}

/// `HH:MM` as (hour, minute).
pub fn parse_start_time(text: &str) -> Option<(i8, i8)> {
    let (hour, minute) = text.trim().split_once(':')?;
    if hour.len() != 2 || minute.len() != 2 {
        return None;
    }
    let hour: i8 = hour.parse().ok()?;
    let minute: i8 = minute.parse().ok()?;
    ((0..24).contains(&hour) && (0..60).contains(&minute)).then_some((hour, minute))
}

/// Check an offer on its own terms (the server also checks the time zone
/// exists). Returns the offending field and why.
pub fn validate_offer(offer: &RecurrenceOffer) -> Result<(), (String, String)> {
    let fail =
        |field: &str, message: &str| Err((format!("recurrence.{field}"), message.to_owned()));
    if offer.weekdays.is_empty() {
        return fail("weekdays", "Pick at least one weekday for the windows.");
    }
    if parse_start_time(&offer.start_time).is_none() {
        return fail("start_time", "Give the start time as HH:MM, e.g. 22:00.");
    }
    if offer.length_seconds < 60 || offer.length_seconds > MAX_WINDOW_LENGTH {
        return fail(
            "length_seconds",
            "A window lasts between one minute and 24 hours.",
        );
    }
    if offer.time_zone.trim().is_empty() {
        return fail(
            "time_zone",
            "Name the time zone of the windows, e.g. Europe/Berlin.",
        );
    }
    if offer.max_weeks < 1 || offer.max_weeks > MAX_RECURRING_WEEKS {
        return fail(
            "max_weeks",
            &format!("Offer between 1 and {MAX_RECURRING_WEEKS} weeks."),
        );
    }
    Ok(())
}

/// "Tuesdays 22:00–02:00 (Europe/Berlin)".
pub fn describe(weekdays: &[Weekday], start_time: &str, length_seconds: i64, zone: &str) -> String {
    let days: Vec<String> = weekdays.iter().map(|d| format!("{}s", d.name())).collect();
    let end = parse_start_time(start_time).map(|(h, m)| {
        let minutes = (i64::from(h) * 60 + i64::from(m) + length_seconds / 60).rem_euclid(24 * 60);
        format!("{:02}:{:02}", minutes / 60, minutes % 60)
    });
    format!(
        "{} {}–{} ({zone})",
        days.join(", "),
        start_time,
        end.unwrap_or_default()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn offer() -> RecurrenceOffer {
        RecurrenceOffer {
            weekdays: vec![Weekday::Tuesday],
            start_time: "22:00".into(),
            length_seconds: 4 * 3600,
            time_zone: "Europe/Berlin".into(),
            max_weeks: 8,
        }
    }

    #[test]
    fn start_times_are_hours_and_minutes_of_a_day() {
        assert_eq!(parse_start_time("22:00"), Some((22, 0)));
        assert_eq!(parse_start_time("00:30"), Some((0, 30)));
        for bad in ["24:00", "7:00", "22:60", "22", "ab:cd", ""] {
            assert_eq!(parse_start_time(bad), None, "{bad}");
        }
    }

    #[test]
    fn an_offer_names_days_a_time_a_length_a_zone_and_weeks() {
        assert_eq!(validate_offer(&offer()), Ok(()));
        type Break = fn(&mut RecurrenceOffer);
        let cases: [(Break, &str); 5] = [
            (|o| o.weekdays.clear(), "recurrence.weekdays"),
            (|o| o.start_time = "25:00".into(), "recurrence.start_time"),
            (
                |o| o.length_seconds = 25 * 3600,
                "recurrence.length_seconds",
            ),
            (|o| o.time_zone = " ".into(), "recurrence.time_zone"),
            (|o| o.max_weeks = 53, "recurrence.max_weeks"),
        ];
        for (break_it, field) in cases {
            let mut o = offer();
            break_it(&mut o);
            assert_eq!(validate_offer(&o).map_err(|e| e.0), Err(field.to_owned()));
        }
    }

    #[test]
    fn a_window_is_described_with_its_local_end() {
        let o = offer();
        assert_eq!(
            describe(&o.weekdays, &o.start_time, o.length_seconds, &o.time_zone),
            "Tuesdays 22:00–02:00 (Europe/Berlin)"
        );
    }
}
