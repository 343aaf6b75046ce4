//! The committed `openapi/openapi.json` is exactly what the code generates.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[test]
fn committed_openapi_document_matches_the_code() {
    let generated = gatehouse::openapi().to_pretty_json().unwrap();
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../openapi/openapi.json");
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    if committed.trim_end() != generated.trim_end() {
        panic!(
            "openapi/openapi.json is out of date with the code.\n\
             Regenerate it with:\n    cargo run -q -p gatehouse -- openapi > openapi/openapi.json\n\
             and commit the result."
        );
    }
}

#[test]
fn every_operation_declares_its_security_and_error_shape() {
    let doc = serde_json::to_value(gatehouse::openapi()).unwrap();
    let public = [
        "/healthz",
        "/livez",
        "/readyz",
        "/api/v1/session",
        // The log-in page reads the options; the browser goes to the
        // provider and comes back signed out.
        "/api/v1/sso",
        "/api/v1/sso/start",
        "/api/v1/sso/callback",
        // The CLI's one-time code is its credential.
        "/api/v1/sso/cli-token",
        // Hosts fetch the SSH revocation list with curl, holding no credential.
        "/api/v1/ssh/revoked-keys",
    ];
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let responses = operation["responses"].as_object().unwrap();
            let is_public = public.contains(&path.as_str()) && method != "delete";
            if !is_public {
                assert!(
                    operation["security"].is_array(),
                    "{method} {path} has no security"
                );
                assert!(
                    responses.contains_key("401"),
                    "{method} {path} documents no 401"
                );
            }
        }
    }
}
