//! AWS Signature Version 4, by hand (HMAC-SHA256 over a canonical request).
//! Checked against AWS's published SigV4 test-suite vectors (tests below).

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

use super::credentials::AwsCredentials;

type HmacSha256 = Hmac<Sha256>;

pub fn sha256_hex(data: &[u8]) -> String {
    crate::hex::encode(&Sha256::digest(data))
}

fn hmac(key: &[u8], data: &[u8]) -> Vec<u8> {
    let Ok(mut mac) = HmacSha256::new_from_slice(key) else {
        unreachable!("HMAC takes keys of any length")
    };
    mac.update(data);
    mac.finalize().into_bytes().to_vec()
}

/// `20150830T123600Z` for a unix time.
pub fn amz_date(unix: i64) -> String {
    let t =
        time::OffsetDateTime::from_unix_timestamp(unix).unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    format!(
        "{:04}{:02}{:02}T{:02}{:02}{:02}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// RFC 3986 percent-encoding of everything but the unreserved characters, as
/// SigV4 wants for query strings and form bodies.
pub fn uri_encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// What is signed: the method, the (already encoded) path and query, the
/// headers to sign (names in any case; `host` and `x-amz-date` must be among
/// them) and the body.
pub struct SignRequest<'a> {
    pub method: &'a str,
    pub path: &'a str,
    /// `name=value` pairs, unencoded.
    pub query: &'a [(&'a str, &'a str)],
    pub headers: &'a [(&'a str, &'a str)],
    pub body: &'a [u8],
}

fn canonical_request(req: &SignRequest) -> (String, String) {
    let mut query: Vec<(String, String)> = req
        .query
        .iter()
        .map(|(k, v)| (uri_encode(k), uri_encode(v)))
        .collect();
    query.sort();
    let query = query
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&");
    let mut headers: Vec<(String, String)> = req
        .headers
        .iter()
        .map(|(k, v)| {
            let value = v.split_whitespace().collect::<Vec<_>>().join(" ");
            (k.to_ascii_lowercase(), value)
        })
        .collect();
    headers.sort();
    let canonical_headers: String = headers.iter().map(|(k, v)| format!("{k}:{v}\n")).collect();
    let signed = headers
        .iter()
        .map(|(k, _)| k.as_str())
        .collect::<Vec<_>>()
        .join(";");
    let path = if req.path.is_empty() { "/" } else { req.path };
    let creq = format!(
        "{}\n{path}\n{query}\n{canonical_headers}\n{signed}\n{}",
        req.method,
        sha256_hex(req.body)
    );
    (creq, signed)
}

/// The `Authorization` header value for `req` (whose `x-amz-date` header is
/// `amz_date`), scoped to `region` and `service`.
pub fn authorization(
    credentials: &AwsCredentials,
    region: &str,
    service: &str,
    amz_date: &str,
    req: &SignRequest,
) -> String {
    let (creq, signed_headers) = canonical_request(req);
    let date = &amz_date[..8];
    let scope = format!("{date}/{region}/{service}/aws4_request");
    let string_to_sign = format!(
        "AWS4-HMAC-SHA256\n{amz_date}\n{scope}\n{}",
        sha256_hex(creq.as_bytes())
    );
    let k_date = hmac(
        format!("AWS4{}", credentials.secret_access_key).as_bytes(),
        date.as_bytes(),
    );
    let k_region = hmac(&k_date, region.as_bytes());
    let k_service = hmac(&k_region, service.as_bytes());
    let k_signing = hmac(&k_service, b"aws4_request");
    let signature = crate::hex::encode(&hmac(&k_signing, string_to_sign.as_bytes()));
    format!(
        "AWS4-HMAC-SHA256 Credential={}/{scope}, SignedHeaders={signed_headers}, Signature={signature}",
        credentials.access_key_id
    )
}

#[cfg(test)]
mod tests {
    //! Vectors from AWS's SigV4 test suite (aws-sig-v4-test-suite): region
    //! us-east-1, service "service", 2015-08-30T12:36:00Z, key AKIDEXAMPLE.
    use super::*;

    const DATE: &str = "20150830T123600Z";

    fn suite_credentials() -> AwsCredentials {
        AwsCredentials {
            access_key_id: "AKIDEXAMPLE".into(),
            secret_access_key: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY".into(),
            session_token: None,
        }
    }

    fn check(req: SignRequest, signed_headers: &str, signature: &str) {
        let got = authorization(&suite_credentials(), "us-east-1", "service", DATE, &req);
        assert_eq!(
            got,
            format!(
                "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, \
                 SignedHeaders={signed_headers}, Signature={signature}"
            )
        );
    }

    const HOST: (&str, &str) = ("Host", "example.amazonaws.com");
    const STAMP: (&str, &str) = ("X-Amz-Date", DATE);

    #[test]
    fn get_vanilla() {
        check(
            SignRequest {
                method: "GET",
                path: "/",
                query: &[],
                headers: &[HOST, STAMP],
                body: b"",
            },
            "host;x-amz-date",
            "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
        );
    }

    #[test]
    fn post_vanilla() {
        check(
            SignRequest {
                method: "POST",
                path: "/",
                query: &[],
                headers: &[HOST, STAMP],
                body: b"",
            },
            "host;x-amz-date",
            "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b",
        );
    }

    #[test]
    fn get_vanilla_query_order_key_case() {
        check(
            SignRequest {
                method: "GET",
                path: "/",
                query: &[("Param2", "value2"), ("Param1", "value1")],
                headers: &[HOST, STAMP],
                body: b"",
            },
            "host;x-amz-date",
            "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500",
        );
    }

    #[test]
    fn post_vanilla_query() {
        check(
            SignRequest {
                method: "POST",
                path: "/",
                query: &[("Param1", "value1")],
                headers: &[HOST, STAMP],
                body: b"",
            },
            "host;x-amz-date",
            "28038455d6de14eafc1f9222cf5aa6f1a96197d7deb8263271d420d138af7f11",
        );
    }

    #[test]
    fn post_x_www_form_urlencoded() {
        check(
            SignRequest {
                method: "POST",
                path: "/",
                query: &[],
                headers: &[
                    ("Content-Type", "application/x-www-form-urlencoded"),
                    HOST,
                    STAMP,
                ],
                body: b"Param1=value1",
            },
            "content-type;host;x-amz-date",
            "ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a",
        );
    }

    #[test]
    fn date_format() {
        assert_eq!(amz_date(1440938160), DATE);
    }

    #[test]
    fn encoding() {
        assert_eq!(uri_encode("a b/c~d@e.f"), "a%20b%2Fc~d%40e.f");
    }
}
