//! RFC 6238 time-based one-time codes (HMAC-SHA1, 30-second steps, six
//! digits), as authenticator apps produce them.

use hmac::{Hmac, Mac};
use sha1::Sha1;

use crate::uri::percent_encode;

pub const STEP: i64 = 30;
pub const DIGITS: u32 = 6;

/// The code for one time step (RFC 4226 dynamic truncation).
pub fn code_at(secret: &[u8], unix_time: i64) -> u32 {
    let counter = (unix_time.div_euclid(STEP)) as u64;
    let Ok(mut mac) = Hmac::<Sha1>::new_from_slice(secret) else {
        return u32::MAX;
    };
    mac.update(&counter.to_be_bytes());
    let digest = mac.finalize().into_bytes();
    let offset = (digest[19] & 0x0f) as usize;
    let binary = u32::from_be_bytes([
        digest[offset] & 0x7f,
        digest[offset + 1],
        digest[offset + 2],
        digest[offset + 3],
    ]);
    binary % 10u32.pow(DIGITS)
}

/// Whether `code` is right now, or one step before or after (clock drift).
pub fn verify(secret: &[u8], code: &str, unix_time: i64) -> bool {
    let code = code.trim();
    if code.len() != DIGITS as usize || !code.chars().all(|c| c.is_ascii_digit()) {
        return false;
    }
    let Ok(wanted) = code.parse::<u32>() else {
        return false;
    };
    (-1..=1).any(|drift| code_at(secret, unix_time + drift * STEP) == wanted)
}

/// RFC 4648 base32 without padding, as `otpauth://` URIs carry secrets.
pub fn base32(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut out = String::new();
    let mut buffer: u32 = 0;
    let mut bits = 0;
    for byte in bytes {
        buffer = (buffer << 8) | u32::from(*byte);
        bits += 8;
        while bits >= 5 {
            out.push(ALPHABET[((buffer >> (bits - 5)) & 31) as usize] as char);
            bits -= 5;
        }
    }
    if bits > 0 {
        out.push(ALPHABET[((buffer << (5 - bits)) & 31) as usize] as char);
    }
    out
}

/// The enrolment URI authenticator apps read (usually from a QR code).
pub fn otpauth_uri(issuer: &str, account: &str, secret: &[u8]) -> String {
    format!(
        "otpauth://totp/{}:{}?secret={}&issuer={}&algorithm=SHA1&digits={DIGITS}&period={STEP}",
        percent_encode(issuer),
        percent_encode(account),
        base32(secret),
        percent_encode(issuer)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238 appendix B, SHA-1 rows (8 digits there; the last 6 here).
    #[test]
    fn matches_the_rfc_6238_test_vectors() {
        let secret = b"12345678901234567890";
        for (time, eight_digits) in [
            (59, 94_287_082),
            (1_111_111_109, 7_081_804),
            (1_111_111_111, 14_050_471),
            (1_234_567_890, 89_005_924),
            (2_000_000_000, 69_279_037),
            (20_000_000_000, 65_353_130),
        ] {
            assert_eq!(code_at(secret, time), eight_digits % 1_000_000, "t={time}");
        }
    }

    #[test]
    fn a_code_is_accepted_one_step_either_side_and_not_beyond() {
        let secret = b"12345678901234567890";
        let code = format!("{:06}", code_at(secret, 1_000_000));
        assert!(verify(secret, &code, 1_000_000));
        assert!(verify(secret, &code, 1_000_000 + STEP));
        assert!(verify(secret, &code, 1_000_000 - STEP));
        assert!(!verify(secret, &code, 1_000_000 + 3 * STEP));
        assert!(!verify(secret, "12345", 1_000_000));
        assert!(!verify(secret, "abcdef", 1_000_000));
    }

    #[test]
    fn base32_and_uri_follow_the_formats() {
        assert_eq!(base32(b"foobar"), "MZXW6YTBOI");
        let uri = otpauth_uri("Gatehouse", "alice@example.com", b"foobar");
        assert_eq!(
            uri,
            "otpauth://totp/Gatehouse:alice%40example.com?secret=MZXW6YTBOI&issuer=Gatehouse&algorithm=SHA1&digits=6&period=30"
        );
    }
}
