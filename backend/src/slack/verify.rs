//! Slack request signatures (v0): `v0=` + hex HMAC-SHA256 of
//! `v0:{timestamp}:{body}` under the signing secret, compared in constant
//! time; timestamps more than five minutes from now are refused, and so is a
//! signature already seen (a replay).

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// How far a request's timestamp may be from now.
pub const MAX_SKEW: i64 = 5 * 60;

/// Why a request was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    MissingHeaders,
    BadTimestamp,
    Stale,
    BadSignature,
    Replayed,
}

impl Refusal {
    pub fn message(self) -> &'static str {
        match self {
            Refusal::MissingHeaders => "Missing X-Slack-Signature or X-Slack-Request-Timestamp.",
            Refusal::BadTimestamp => "X-Slack-Request-Timestamp is not a Unix time.",
            Refusal::Stale => "The request timestamp is more than five minutes from now.",
            Refusal::BadSignature => "The Slack signature does not match.",
            Refusal::Replayed => "This signed request was already received.",
        }
    }
}

/// The signature Slack would send for this body and timestamp.
pub fn sign(secret: &[u8], timestamp: &str, body: &[u8]) -> String {
    match mac(secret, timestamp, body) {
        Some(mac) => format!("v0={}", crate::hex::encode(&mac.finalize().into_bytes())),
        None => String::new(),
    }
}

/// HMAC-SHA256 over `v0:{timestamp}:{body}`. HMAC takes keys of any length,
/// so this is None only in theory.
fn mac(secret: &[u8], timestamp: &str, body: &[u8]) -> Option<Hmac<Sha256>> {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).ok()?;
    mac.update(b"v0:");
    mac.update(timestamp.as_bytes());
    mac.update(b":");
    mac.update(body);
    Some(mac)
}

/// Check the signature and the timestamp (not the replay: that needs the store).
pub fn check(
    secret: &[u8],
    timestamp: Option<&str>,
    signature: Option<&str>,
    body: &[u8],
    now: i64,
) -> Result<(), Refusal> {
    let (Some(timestamp), Some(signature)) = (timestamp, signature) else {
        return Err(Refusal::MissingHeaders);
    };
    let at: i64 = timestamp
        .trim()
        .parse()
        .map_err(|_| Refusal::BadTimestamp)?;
    if (now - at).abs() > MAX_SKEW {
        return Err(Refusal::Stale);
    }
    let given = signature
        .strip_prefix("v0=")
        .and_then(crate::hex::decode)
        .ok_or(Refusal::BadSignature)?;
    // verify_slice compares in constant time.
    mac(secret, timestamp, body)
        .ok_or(Refusal::BadSignature)?
        .verify_slice(&given)
        .map_err(|_| Refusal::BadSignature)
}

#[cfg(test)]
mod tests {
    use super::*;

    // Slack's documented example.
    const SECRET: &str = "8f742231b10e8888abcd99yyyzzz85a5";
    const TIMESTAMP: &str = "1531420618";
    const BODY: &str = "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c";
    const SIGNATURE: &str = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503";

    #[test]
    fn slacks_documented_example_verifies() {
        assert_eq!(
            sign(SECRET.as_bytes(), TIMESTAMP, BODY.as_bytes()),
            SIGNATURE
        );
        let now = TIMESTAMP.parse::<i64>().unwrap();
        assert_eq!(
            check(
                SECRET.as_bytes(),
                Some(TIMESTAMP),
                Some(SIGNATURE),
                BODY.as_bytes(),
                now
            ),
            Ok(())
        );
    }

    #[test]
    fn refusals() {
        let now = TIMESTAMP.parse::<i64>().unwrap();
        let secret = SECRET.as_bytes();
        let body = BODY.as_bytes();
        assert_eq!(
            check(secret, None, Some(SIGNATURE), body, now),
            Err(Refusal::MissingHeaders)
        );
        assert_eq!(
            check(secret, Some("soon"), Some(SIGNATURE), body, now),
            Err(Refusal::BadTimestamp)
        );
        assert_eq!(
            check(secret, Some(TIMESTAMP), Some(SIGNATURE), body, now + 301),
            Err(Refusal::Stale)
        );
        assert_eq!(
            check(secret, Some(TIMESTAMP), Some(SIGNATURE), body, now - 301),
            Err(Refusal::Stale)
        );
        assert_eq!(
            check(secret, Some(TIMESTAMP), Some(SIGNATURE), body, now + 300),
            Ok(())
        );
        assert_eq!(
            check(secret, Some(TIMESTAMP), Some(SIGNATURE), b"text=other", now),
            Err(Refusal::BadSignature)
        );
        assert_eq!(
            check(
                b"another secret",
                Some(TIMESTAMP),
                Some(SIGNATURE),
                body,
                now
            ),
            Err(Refusal::BadSignature)
        );
        assert_eq!(
            check(secret, Some(TIMESTAMP), Some("v0=zz"), body, now),
            Err(Refusal::BadSignature)
        );
        assert_eq!(
            check(secret, Some(TIMESTAMP), Some("a2114d57"), body, now),
            Err(Refusal::BadSignature)
        );
    }
}
