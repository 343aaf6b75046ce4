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

/// Undo [`percent_encode`]; `None` when a `%` is not followed by two hex
/// digits or the bytes are not UTF-8.
pub fn percent_decode(value: &str) -> Option<String> {
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decoding_undoes_encoding() {
        for value in ["db?host=evil", "a-b._~Z9 é", ""] {
            assert_eq!(
                percent_decode(&percent_encode(value)).as_deref(),
                Some(value)
            );
        }
        assert_eq!(percent_decode("%4"), None);
        assert_eq!(percent_decode("%zz"), None);
    }

    #[test]
    fn only_unreserved_characters_stay_as_they_are() {
        assert_eq!(percent_encode("db?host=evil"), "db%3Fhost%3Devil");
        assert_eq!(percent_encode("a-b._~Z9 é"), "a-b._~Z9%20%C3%A9");
    }
}
