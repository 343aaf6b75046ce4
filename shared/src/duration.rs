//! Durations as people write and read them: `30m`, `8h`, `1d` ⇄ seconds;
//! and a moment as people read it, to the minute.

/// A moment as `YYYY-MM-DD HH:MM` (the caller says which zone: the server's
/// messages say UTC).
pub fn minute(at: time::OffsetDateTime) -> String {
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}",
        at.year(),
        u8::from(at.month()),
        at.day(),
        at.hour(),
        at.minute()
    )
}

/// Parse `90s`, `30m`, `8h`, `2d` (or a bare number of seconds).
pub fn parse_duration(text: &str) -> Option<i64> {
    let text = text.trim();
    let (number, unit) = match text.char_indices().last()? {
        (index, c) if c.is_ascii_alphabetic() => (&text[..index], c.to_ascii_lowercase()),
        _ => (text, 's'),
    };
    let value: i64 = number.trim().parse().ok()?;
    if value <= 0 {
        return None;
    }
    let unit_seconds = match unit {
        's' => 1,
        'm' => 60,
        'h' => 3_600,
        'd' => 86_400,
        'w' => 604_800,
        _ => return None,
    };
    value.checked_mul(unit_seconds)
}

/// "30 minutes", "1 hour", "8 hours", "2 days", "1 day 4 hours".
pub fn format_duration(seconds: i64) -> String {
    let plural = |n: i64, unit: &str| {
        if n == 1 {
            format!("1 {unit}")
        } else {
            format!("{n} {unit}s")
        }
    };
    let days = seconds / 86_400;
    let hours = seconds % 86_400 / 3_600;
    let minutes = seconds % 3_600 / 60;
    let mut parts = Vec::new();
    if days > 0 {
        parts.push(plural(days, "day"));
    }
    if hours > 0 {
        parts.push(plural(hours, "hour"));
    }
    if minutes > 0 && days == 0 {
        parts.push(plural(minutes, "minute"));
    }
    if parts.is_empty() {
        return plural(seconds.max(0), "second");
    }
    parts.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse_in_every_unit() {
        assert_eq!(parse_duration("90s"), Some(90));
        assert_eq!(parse_duration("30m"), Some(1_800));
        assert_eq!(parse_duration("8h"), Some(28_800));
        assert_eq!(parse_duration("2D"), Some(172_800));
        assert_eq!(parse_duration("3600"), Some(3_600));
        assert_eq!(parse_duration("0h"), None);
        assert_eq!(parse_duration("-1h"), None);
        assert_eq!(parse_duration("1y"), None);
        assert_eq!(parse_duration(""), None);
        assert_eq!(parse_duration("99999999999999999w"), None);
    }

    #[test]
    fn durations_read_as_people_say_them() {
        assert_eq!(format_duration(1_800), "30 minutes");
        assert_eq!(format_duration(3_600), "1 hour");
        assert_eq!(format_duration(28_800), "8 hours");
        assert_eq!(format_duration(100_800), "1 day 4 hours");
        assert_eq!(format_duration(45), "45 seconds");
    }
}
