// The endpoint links of the credential chain (container, EC2 IMDSv2) against
// a tiny fake HTTP server, and caching of temporary credentials.

use crate::common::moto_server::fake_http;
use gatehouse::connector::aws::CredentialsProvider;

const CREDS: &str = r#"{"AccessKeyId":"ASIAFAKE","SecretAccessKey":"s3cr3t","Token":"tok","Expiration":"2099-01-01T00:00:00Z"}"#;

#[test]
fn container_endpoint_with_token_and_cache() {
    let (port, server) = fake_http(vec![(200, CREDS.into())]);
    let url = format!("http://127.0.0.1:{port}/v2/credentials/abc");
    let provider = CredentialsProvider::chain_with_env(move |name| match name {
        "AWS_CONTAINER_CREDENTIALS_FULL_URI" => Some(url.clone()),
        "AWS_CONTAINER_AUTHORIZATION_TOKEN" => Some("Bearer ecs-token".into()),
        _ => None,
    });
    let first = provider.credentials().unwrap();
    assert_eq!(first.access_key_id, "ASIAFAKE");
    assert_eq!(first.session_token.as_deref(), Some("tok"));
    // Cached: the fake server answers only once.
    assert_eq!(provider.credentials().unwrap(), first);
    let requests = server.join().unwrap();
    assert!(
        requests[0].starts_with("GET /v2/credentials/abc "),
        "{}",
        requests[0]
    );
    assert!(requests[0].contains("ecs-token"));
}

#[test]
fn imds_v2_token_then_role_credentials() {
    let (port, server) = fake_http(vec![
        (200, "imds-session-token".into()),
        (200, "gatehouse-instance-role\n".into()),
        (200, CREDS.into()),
    ]);
    let endpoint = format!("http://127.0.0.1:{port}");
    let provider = CredentialsProvider::chain_with_env(move |name| {
        (name == "AWS_EC2_METADATA_SERVICE_ENDPOINT").then(|| endpoint.clone())
    });
    assert_eq!(provider.credentials().unwrap().access_key_id, "ASIAFAKE");
    let requests = server.join().unwrap();
    assert!(requests[0].starts_with("PUT /latest/api/token "));
    assert!(
        requests[0]
            .to_ascii_lowercase()
            .contains("x-aws-ec2-metadata-token-ttl-seconds: 21600")
    );
    assert!(
        requests[2]
            .starts_with("GET /latest/meta-data/iam/security-credentials/gatehouse-instance-role ")
    );
    assert!(requests[2].contains("imds-session-token"));
}

#[test]
fn nothing_configured_is_a_clear_error() {
    let provider = CredentialsProvider::chain_with_env(|name| {
        (name == "AWS_EC2_METADATA_DISABLED").then(|| "true".to_string())
    });
    let error = provider.credentials().unwrap_err();
    assert!(error.starts_with("no AWS credentials found"), "{error}");
}
