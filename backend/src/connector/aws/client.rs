//! The signed HTTP client: JSON 1.1 and Query protocol calls, and AWS error
//! answers turned into sentences.

use std::{sync::Arc, time::Duration};

use serde_json::Value;

use super::{
    credentials::{CredentialsProvider, now_unix},
    errors::{CallError, parse_error},
    sigv4,
};

/// One AWS service as the client reaches it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Service {
    /// Host prefix: `https://{host}.{region}.amazonaws.com` (or global).
    pub host: &'static str,
    /// The SigV4 service name.
    pub signing_name: &'static str,
    /// Global services are signed for us-east-1 and have no region in the host.
    pub global: bool,
    /// What people call it, for error messages.
    pub label: &'static str,
}

pub(crate) const SSO_ADMIN: Service = Service {
    host: "sso",
    signing_name: "sso",
    global: false,
    label: "IAM Identity Center",
};
pub(crate) const IDENTITY_STORE: Service = Service {
    host: "identitystore",
    signing_name: "identitystore",
    global: false,
    label: "the identity store",
};
pub(crate) const ORGANIZATIONS: Service = Service {
    host: "organizations.us-east-1",
    signing_name: "organizations",
    global: true,
    label: "AWS Organizations",
};
pub(crate) const STS: Service = Service {
    host: "sts",
    signing_name: "sts",
    global: false,
    label: "AWS STS",
};
pub(crate) const IAM: Service = Service {
    host: "iam",
    signing_name: "iam",
    global: true,
    label: "AWS IAM",
};

/// A signed AWS client for one region and one set of credentials.
#[derive(Clone, Debug)]
pub struct Client {
    region: String,
    endpoint: Option<String>,
    credentials: Arc<CredentialsProvider>,
    agent: ureq::Agent,
}

impl Client {
    /// `endpoint`: `None` for the real AWS endpoints, or one URL for every
    /// service (moto in tests: `http://127.0.0.1:PORT`).
    pub fn new(region: &str, endpoint: Option<&str>, credentials: CredentialsProvider) -> Self {
        let agent = ureq::AgentBuilder::new()
            .timeout_connect(Duration::from_secs(5))
            .timeout_read(Duration::from_secs(15))
            .timeout_write(Duration::from_secs(15))
            .redirects(0)
            .build();
        Self {
            region: region.to_string(),
            endpoint: endpoint.map(|e| e.trim_end_matches('/').to_string()),
            credentials: Arc::new(credentials),
            agent,
        }
    }

    /// The same endpoint and region with other credentials (e.g. from AssumeRole).
    pub fn with_credentials(&self, credentials: CredentialsProvider) -> Self {
        Self {
            credentials: Arc::new(credentials),
            ..self.clone()
        }
    }

    pub fn region(&self) -> &str {
        &self.region
    }

    fn url_and_region(&self, service: Service) -> (String, String) {
        let signing_region = if service.global {
            "us-east-1".to_string()
        } else {
            self.region.clone()
        };
        let url = match &self.endpoint {
            Some(endpoint) => format!("{endpoint}/"),
            None if service.global => format!("https://{}.amazonaws.com/", service.host),
            None => format!("https://{}.{}.amazonaws.com/", service.host, self.region),
        };
        (url, signing_region)
    }

    /// POST a signed body to `/` and return the answer text, or the error.
    fn post(
        &self,
        service: Service,
        action: &str,
        content_type: &str,
        extra: &[(&str, &str)],
        body: &[u8],
    ) -> Result<String, CallError> {
        let credentials = self.credentials.credentials().map_err(CallError::Other)?;
        let (url, signing_region) = self.url_and_region(service);
        let host = url
            .split("://")
            .nth(1)
            .unwrap_or("")
            .split('/')
            .next()
            .unwrap_or("")
            .to_string();
        let host = host
            .strip_suffix(":443")
            .filter(|_| url.starts_with("https:"))
            .unwrap_or(&host)
            .to_string();
        let date = sigv4::amz_date(now_unix());
        let mut headers: Vec<(&str, &str)> = vec![
            ("Content-Type", content_type),
            ("Host", &host),
            ("X-Amz-Date", &date),
        ];
        if let Some(token) = &credentials.session_token {
            headers.push(("X-Amz-Security-Token", token));
        }
        headers.extend_from_slice(extra);
        let request = sigv4::SignRequest {
            method: "POST",
            path: "/",
            query: &[],
            headers: &headers,
            body,
        };
        let authorization = sigv4::authorization(
            &credentials,
            &signing_region,
            service.signing_name,
            &date,
            &request,
        );
        let mut http = self.agent.post(&url);
        for (name, value) in &headers {
            http = http.set(name, value);
        }
        http = http.set("Authorization", &authorization);
        match http.send_bytes(body) {
            Ok(response) => response.into_string().map_err(|e| {
                CallError::Other(format!(
                    "{} {action}: reading the answer failed: {e}",
                    service.label
                ))
            }),
            Err(ureq::Error::Status(status, response)) => {
                let error_type = response.header("x-amzn-ErrorType").map(str::to_string);
                let body = response.into_string().unwrap_or_default();
                Err(CallError::Api {
                    service: service.label,
                    action: action.to_string(),
                    error: parse_error(status, error_type.as_deref(), &body),
                })
            }
            Err(ureq::Error::Transport(t)) => Err(CallError::Other(format!(
                "cannot reach {} at {url}: {t}",
                service.label
            ))),
        }
    }

    /// Any JSON 1.1 call to sso-admin, identitystore or organizations (for
    /// set-up and calls this module has no helper for).
    pub fn raw_json(&self, service: &str, action: &str, input: &Value) -> Result<Value, String> {
        let (service, prefix) = match service {
            "sso-admin" => (SSO_ADMIN, "SWBExternalService"),
            "identitystore" => (IDENTITY_STORE, "AWSIdentityStore"),
            "organizations" => (ORGANIZATIONS, "AWSOrganizationsV20161128"),
            other => return Err(format!("no JSON service {other} here")),
        };
        Ok(self.json(service, prefix, action, input)?)
    }

    /// Any Query call to sts or iam; the XML answer as text.
    pub fn raw_query(
        &self,
        service: &str,
        action: &str,
        params: &[(&str, &str)],
    ) -> Result<String, String> {
        let (service, version) = match service {
            "sts" => (STS, "2011-06-15"),
            "iam" => (IAM, "2010-05-08"),
            other => return Err(format!("no Query service {other} here")),
        };
        Ok(self.query(service, version, action, params)?)
    }

    /// An AWS JSON 1.1 call: `X-Amz-Target: {prefix}.{action}`.
    pub(crate) fn json(
        &self,
        service: Service,
        target_prefix: &str,
        action: &str,
        input: &Value,
    ) -> Result<Value, CallError> {
        let target = format!("{target_prefix}.{action}");
        let body = input.to_string().into_bytes();
        let text = self.post(
            service,
            action,
            "application/x-amz-json-1.1",
            &[("X-Amz-Target", &target)],
            &body,
        )?;
        if text.trim().is_empty() {
            return Ok(Value::Object(Default::default()));
        }
        serde_json::from_str(&text).map_err(|e| {
            CallError::Other(format!(
                "{} {action} gave an answer that is not JSON: {e}",
                service.label
            ))
        })
    }

    /// An AWS Query call (form body, XML answer).
    pub(crate) fn query(
        &self,
        service: Service,
        version: &str,
        action: &str,
        params: &[(&str, &str)],
    ) -> Result<String, CallError> {
        let mut body = format!(
            "Action={}&Version={}",
            sigv4::uri_encode(action),
            sigv4::uri_encode(version)
        );
        for (name, value) in params {
            body.push_str(&format!(
                "&{}={}",
                sigv4::uri_encode(name),
                sigv4::uri_encode(value)
            ));
        }
        self.post(
            service,
            action,
            "application/x-www-form-urlencoded; charset=utf-8",
            &[],
            body.as_bytes(),
        )
    }
}
