//! The portal: the build in `dist/` (scripts/build-portal, or Trunk),
//! embedded in the binary and served at `/`. Any path that is not an API path
//! and not a file gets `index.html`, so deep links into the single-page app
//! work; the handler that chooses is `app::serve_portal`.

use std::borrow::Cow;

use axum::{
    body::Body,
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use base64::{Engine, engine::general_purpose::STANDARD};
use gatehouse_shared::auth::Me;
use sha2::{Digest, Sha256};

use crate::error::AppError;

#[derive(rust_embed::Embed)]
#[folder = "$GATEHOUSE_EMBEDDED_PORTAL"]
struct Assets;

/// Shown when the binary was built before the portal was.
const NOT_BUILT: &str = "<!doctype html><meta charset=utf-8><title>Gatehouse</title>\
<h1>Gatehouse</h1><p>The portal was not built into this binary. \
Run <code>scripts/run-demo</code> (or <code>scripts/build</code>) to include it. \
The API is at <a href=\"/api/docs\">/api/docs</a>.</p>";

pub struct Portal {
    /// The Content-Security-Policy for portal pages, allowing exactly the
    /// inline start-up script of `index.html` (written in frontend/index.html,
    /// its URLs filled in by scripts/portal-wasm) by hash, and nothing else
    /// inline.
    pub csp: String,
}

impl Portal {
    pub fn load() -> Self {
        let index = Assets::get("index.html").map(|file| file.data.into_owned());
        let hashes = index
            .as_deref()
            .map(|html| inline_script_hashes(&String::from_utf8_lossy(html)))
            .unwrap_or_default();
        Portal {
            csp: content_security_policy(&hashes),
        }
    }
}

fn content_security_policy(script_hashes: &[String]) -> String {
    let hashes: String = script_hashes
        .iter()
        .map(|hash| format!(" 'sha256-{hash}'"))
        .collect();
    format!(
        "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'{hashes}; style-src 'self'; \
         img-src 'self' data:; connect-src 'self'; font-src 'self'; object-src 'none'; \
         base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )
}

/// SHA-256 (base64) of the body of every `<script>` without a `src`.
fn inline_script_hashes(html: &str) -> Vec<String> {
    let mut hashes = Vec::new();
    let mut rest = html;
    while let Some(start) = rest.find("<script") {
        let after = &rest[start..];
        let Some(tag_end) = after.find('>') else {
            break;
        };
        let tag = &after[..tag_end];
        let body_and_rest = &after[tag_end + 1..];
        let Some(close) = body_and_rest.find("</script>") else {
            break;
        };
        if !tag.contains(" src=") {
            let body = &body_and_rest[..close];
            hashes.push(STANDARD.encode(Sha256::digest(body.as_bytes())));
        }
        rest = &body_and_rest[close..];
    }
    hashes
}

/// What the fallback (`app::serve_portal`) answers for `path` other than the
/// page itself: a portal file, a JSON 404 under `/api`, or a 404 for a
/// missing file; `None` for an app route, which gets [`page`].
/// A file with compressed copies beside it (`scripts/portal-wasm` makes them:
/// brotli at quality 11 and gzip -9) is sent as the brotli copy to a browser
/// that takes `br`, else as the gzip copy to one that takes gzip, else raw.
pub fn file(path: &str, headers: &HeaderMap) -> Option<Response> {
    if path == "/api" || path.starts_with("/api/") {
        return Some(AppError::NotFound(format!("API route {path}")).into_response());
    }
    let file = path.trim_start_matches('/');
    if file.is_empty() || file == "index.html" {
        return None;
    }
    if let Some(asset) = Assets::get(file) {
        let mime = mime_guess::from_path(file).first_or_octet_stream();
        let brotli = Assets::get(&format!("{file}.br"));
        let gzip = Assets::get(&format!("{file}.gz"));
        let has_copy = brotli.is_some() || gzip.is_some();
        let (data, encoding) = match (brotli, gzip) {
            (Some(packed), _) if accepts(headers, "br") => (packed.data, Some("br")),
            (_, Some(packed)) if accepts(headers, "gzip") => (packed.data, Some("gzip")),
            _ => (asset.data, None),
        };
        let mut response =
            file_response(data, mime.as_ref(), "public, max-age=31536000, immutable");
        let headers = response.headers_mut();
        if let Some(encoding) = encoding {
            headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static(encoding));
        }
        if has_copy {
            headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
        }
        return Some(response);
    }
    // A missing file with an extension is a missing file, not an app route.
    file.rsplit('/')
        .next()
        .is_some_and(|name| name.contains('.'))
        .then(|| (StatusCode::NOT_FOUND, "not found").into_response())
}

/// `index.html`, for every app route; with `me`, the signed-in user, and
/// `answers`, the answers to the page's first API reads, in it
/// ([`with_data`]), so the portal need not ask `GET /api/v1/me` and those
/// reads before it can show the page: on a slow network, round trips saved.
pub fn page(me: Option<&Me>, answers: &[(&str, String)]) -> Response {
    let Some(index) = Assets::get("index.html") else {
        return file_response(
            Cow::Borrowed(NOT_BUILT.as_bytes()),
            "text/html; charset=utf-8",
            "no-cache",
        );
    };
    let mut response = match me {
        Some(me) => file_response(
            Cow::Owned(with_data(&index.data, me, answers)),
            "text/html; charset=utf-8",
            // A page with a name on it is kept by no cache.
            "no-store",
        ),
        None => file_response(index.data, "text/html; charset=utf-8", "no-cache"),
    };
    response
        .headers_mut()
        .insert(header::VARY, HeaderValue::from_static("cookie"));
    response
}

/// `index.html` with JSON data blocks before `</head>`, which the portal
/// reads at start: the signed-in user in
/// `<script type="application/json" id="gatehouse-me">` (frontend/src/session.rs)
/// and, when there are any, the answers by URL in `id="gatehouse-answers"`
/// (frontend/src/api.rs), each body as a JSON string, as the portal would
/// have read it. A data block is never run, so the
/// Content-Security-Policy need not allow it; every `<` in the JSON is
/// escaped, so no name can close the element.
fn with_data(index: &[u8], me: &Me, answers: &[(&str, String)]) -> Vec<u8> {
    let block = |id: &str, json: String| {
        format!(
            r#"<script type="application/json" id="{id}">{}</script>"#,
            json.replace('<', "\\u003c")
        )
    };
    let Ok(me) = serde_json::to_string(me) else {
        return index.to_vec();
    };
    let mut blocks = block("gatehouse-me", me);
    if !answers.is_empty() {
        let by_url: serde_json::Map<String, serde_json::Value> = answers
            .iter()
            .map(|(url, answer)| ((*url).to_owned(), answer.as_str().into()))
            .collect();
        blocks += &block(
            "gatehouse-answers",
            serde_json::Value::Object(by_url).to_string(),
        );
    }
    let html = String::from_utf8_lossy(index);
    match html.find("</head>") {
        Some(at) => format!("{}{blocks}{}", &html[..at], &html[at..]).into_bytes(),
        None => index.to_vec(),
    }
}

/// Whether `Accept-Encoding` takes `coding` (by name or `*`, and not `q=0`).
fn accepts(headers: &HeaderMap, coding: &str) -> bool {
    headers
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .any(|offered| {
            let mut parts = offered.split(';').map(str::trim);
            let name = parts.next().unwrap_or_default();
            let refused = parts.any(|param| {
                param
                    .strip_prefix("q=")
                    .and_then(|q| q.parse::<f32>().ok())
                    .is_some_and(|q| q == 0.0)
            });
            (name.eq_ignore_ascii_case(coding) || name == "*") && !refused
        })
}

fn file_response(data: Cow<'static, [u8]>, mime: &str, cache: &'static str) -> Response {
    let mut response = Response::new(Body::from(data.into_owned()));
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(mime) {
        headers.insert(header::CONTENT_TYPE, value);
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accept_encoding(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::ACCEPT_ENCODING,
            HeaderValue::from_str(value).unwrap(),
        );
        headers
    }

    #[test]
    fn a_coding_is_sent_only_to_who_takes_it() {
        let gzip = |value: &str| accepts(&accept_encoding(value), "gzip");
        let brotli = |value: &str| accepts(&accept_encoding(value), "br");
        assert!(gzip("gzip, deflate, br, zstd"));
        assert!(gzip("br;q=1.0, GZIP;q=0.5"));
        assert!(gzip("*"));
        assert!(!gzip("br, zstd"));
        assert!(!gzip("gzip;q=0, br"));
        assert!(!gzip("identity"));
        assert!(!accepts(&HeaderMap::new(), "gzip"));
        assert!(brotli("gzip, deflate, br, zstd"));
        assert!(brotli("BR;q=0.9"));
        assert!(!brotli("gzip, deflate"));
        assert!(!brotli("br;q=0, gzip"));
        // "br" is a coding of its own, not a prefix of a longer name.
        assert!(!brotli("brotli-ish"));
    }

    #[test]
    fn answers_ride_in_the_page_by_url_and_none_can_break_out() {
        let index = b"<html><head></head><body></body></html>";
        let me = Me {
            id: 1,
            username: "alice".into(),
            display_name: "Alice".into(),
            email: "a@example.com".into(),
            is_admin: false,
        };
        let answer = serde_json::json!({"items": [{"justification": "</script><b>x</b>"}]});
        let page = String::from_utf8(with_data(
            index,
            &me,
            &[("/api/v1/requests?limit=20", answer.to_string())],
        ))
        .unwrap();
        let body = data_block(&page, "gatehouse-answers").unwrap();
        assert!(!body.contains('<'), "{body}");
        let by_url: serde_json::Value = serde_json::from_str(body).unwrap();
        let carried = by_url["/api/v1/requests?limit=20"].as_str().unwrap();
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(carried).unwrap(),
            answer
        );
        // No answers, no block.
        let page = String::from_utf8(with_data(index, &me, &[])).unwrap();
        assert!(data_block(&page, "gatehouse-answers").is_none());
    }

    #[test]
    fn the_signed_in_user_rides_in_the_page_and_no_name_can_break_out() {
        let index = b"<html><head><title>Gatehouse</title></head><body></body></html>";
        let me = Me {
            id: 7,
            username: "mallory".into(),
            display_name: "</script><script>alert(1)</script><!--".into(),
            email: "m@example.com".into(),
            is_admin: false,
        };
        let page = String::from_utf8(with_data(index, &me, &[])).unwrap();
        let body = data_block(&page, "gatehouse-me").unwrap();
        assert!(!body.contains('<'), "{body}");
        assert_eq!(serde_json::from_str::<Me>(body).unwrap(), me);
        // Nothing else of the page moved.
        assert_eq!(
            page.replace(
                &format!(r#"<script type="application/json" id="gatehouse-me">{body}</script>"#),
                ""
            ),
            String::from_utf8_lossy(index)
        );
    }

    /// The text of the page's data block `id`, which must sit in its head.
    fn data_block<'a>(page: &'a str, id: &str) -> Option<&'a str> {
        let open = format!(r#"<script type="application/json" id="{id}">"#);
        let start = page.find(&open)? + open.len();
        let end = page[start..].find("</script>")? + start;
        assert!(
            end < page.find("</head>").unwrap(),
            "{id} is not in the head"
        );
        Some(&page[start..end])
    }

    #[test]
    fn only_inline_scripts_are_hashed() {
        let html = r#"<script src="/a.js"></script><script type="module">boot()</script>"#;
        let hashes = inline_script_hashes(html);
        assert_eq!(hashes, vec![STANDARD.encode(Sha256::digest(b"boot()"))]);
        let csp = content_security_policy(&hashes);
        assert!(csp.contains(&format!("'sha256-{}'", hashes[0])));
        assert!(csp.contains("'wasm-unsafe-eval'"));
        assert!(!csp.contains("unsafe-inline"));
        assert!(!csp.contains("'unsafe-eval'"));
    }
}
