//! Pieces of URIs.

/// Percent-encode everything but unreserved characters (RFC 3986).
pub fn percent_encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_unreserved_characters_stay_as_they_are() {
        assert_eq!(percent_encode("db?host=evil"), "db%3Fhost%3Devil");
        assert_eq!(percent_encode("a-b._~Z9 é"), "a-b._~Z9%20%C3%A9");
    }
}
