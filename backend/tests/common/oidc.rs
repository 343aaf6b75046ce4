//! A real OpenID Provider (the npm package oidc-provider, run by Node from
//! e2e/oidc/provider.mjs) and a small browser that signs in on its page.

use std::{
    collections::HashMap,
    io::{BufRead, BufReader, Read},
    process::{Child, Command, Stdio},
    time::Duration,
};

/// The provider's process; killed when dropped.
pub struct OidcProvider {
    pub issuer: String,
    child: Child,
}

/// Where the in-process test app's callback is (its default public URL).
pub const CALLBACK: &str = "http://127.0.0.1:8080/api/v1/sso/callback";
pub const CLIENT_ID: &str = "gatehouse";
pub const CLIENT_SECRET: &str = "gatehouse-secret";

impl OidcProvider {
    /// Start the provider; `claims_in_id_token` puts the scopes' claims
    /// (e-mail, name, groups) in the ID token, not only in UserInfo.
    pub fn start(claims_in_id_token: bool) -> Self {
        Self::run("provider.mjs", claims_in_id_token, CALLBACK)
    }

    /// The provider with another registered callback (a server on a real port).
    pub fn start_for(callback: &str) -> Self {
        Self::run("provider.mjs", false, callback)
    }

    /// The hostile provider (e2e/oidc/hostile.mjs): its ID token is broken
    /// in the way the `login_hint` of the authorization URL names.
    pub fn hostile() -> Self {
        Self::run("hostile.mjs", false, CALLBACK)
    }

    fn run(script: &str, claims_in_id_token: bool, callback: &str) -> Self {
        let root = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
        let script = format!("{root}/e2e/oidc/{script}");
        assert!(
            std::path::Path::new(&format!("{root}/e2e/node_modules/oidc-provider")).is_dir(),
            "the OpenID Provider's npm package is missing: run scripts/setup-test (it installs e2e/node_modules)"
        );
        let mut child = Command::new("node")
            .arg(&script)
            .env("OIDC_REDIRECT_URIS", callback)
            .env(
                "OIDC_CLAIMS_IN_ID_TOKEN",
                if claims_in_id_token { "1" } else { "0" },
            )
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("node runs e2e/oidc/provider.mjs (scripts/setup-test installs Node)");
        let stdout = child.stdout.take().unwrap();
        let mut stdout = BufReader::new(stdout);
        let mut line = String::new();
        stdout.read_line(&mut line).unwrap();
        // Keep reading what it prints: a closed pipe would kill it (EPIPE).
        std::thread::spawn(move || std::io::copy(&mut stdout, &mut std::io::sink()));
        let issuer = line
            .trim()
            .strip_prefix("issuer ")
            .unwrap_or_else(|| panic!("the provider printed {line:?}"))
            .to_owned();
        Self { issuer, child }
    }

    /// Replace a person's claims at the provider.
    pub fn set_person(&self, login: &str, claims: serde_json::Value) {
        let answer = ureq::put(&format!("{}/__test/users/{login}", self.issuer))
            .send_string(&claims.to_string())
            .unwrap();
        assert_eq!(answer.status(), 204);
    }
}

impl Drop for OidcProvider {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A browser at the provider: keeps its cookies, follows its redirects, and
/// fills its sign-in form.
#[derive(Default)]
pub struct ProviderBrowser {
    cookies: HashMap<String, String>,
}

impl ProviderBrowser {
    /// From the provider's authorization URL, sign in as `login`, and return
    /// the URL the provider sends the browser back to (Gatehouse's callback).
    pub fn sign_in(&mut self, authorize_url: &str, login: &str) -> String {
        self.sign_in_until(authorize_url, login, CALLBACK)
    }

    /// [`Self::sign_in`], stopping at the first URL that starts with `stop`.
    pub fn sign_in_until(&mut self, authorize_url: &str, login: &str, stop: &str) -> String {
        let agent = ureq::AgentBuilder::new()
            .redirects(0)
            .timeout(Duration::from_secs(10))
            .build();
        let mut url = authorize_url.to_owned();
        let mut form: Option<(String, Vec<(String, String)>)> = None;
        for _ in 0..20 {
            if url.starts_with(stop) {
                return url;
            }
            let response = match form.take() {
                Some((action, fields)) => {
                    let pairs: Vec<(&str, &str)> = fields
                        .iter()
                        .map(|(k, v)| (k.as_str(), v.as_str()))
                        .collect();
                    agent
                        .post(&action)
                        .set("Connection", "close")
                        .set("Cookie", &self.cookie_header())
                        .send_form(&pairs)
                }
                None => agent
                    .get(&url)
                    .set("Connection", "close")
                    .set("Cookie", &self.cookie_header())
                    .call(),
            };
            let response = match response {
                Ok(response) => response,
                Err(ureq::Error::Status(code, response)) => {
                    panic!(
                        "the provider answered {code} at {url}: {}",
                        response.into_string().unwrap_or_default()
                    )
                }
                Err(error) => panic!("cannot reach the provider at {url}: {error}"),
            };
            for set in response.all("set-cookie") {
                if let Some((name, value)) = set.split(';').next().and_then(|kv| kv.split_once('='))
                {
                    self.cookies
                        .insert(name.trim().to_owned(), value.trim().to_owned());
                }
            }
            if (300..400).contains(&response.status()) {
                let location = response.header("location").unwrap().to_owned();
                url = if location.starts_with("http") {
                    location
                } else {
                    format!("{}{location}", origin(&url))
                };
                continue;
            }
            let mut page = String::new();
            response.into_reader().read_to_string(&mut page).unwrap();
            let action = page
                .split("action=\"")
                .nth(1)
                .and_then(|rest| rest.split('"').next())
                .unwrap_or_else(|| panic!("no form on the provider's page at {url}: {page}"));
            let action = if action.starts_with("http") {
                action.to_owned()
            } else {
                format!("{}{action}", origin(&url))
            };
            let fields = if page.contains("name=\"login\"") {
                vec![
                    ("prompt".into(), "login".into()),
                    ("login".into(), login.into()),
                    ("password".into(), "any password".into()),
                ]
            } else {
                vec![("prompt".into(), "consent".into())]
            };
            url = action.clone();
            form = Some((action, fields));
        }
        panic!("the provider never sent the browser back to Gatehouse");
    }

    /// GET `url` with the cookies held; the answer's status, headers we
    /// need and body, keeping the cookies it sets.
    pub fn get(&mut self, url: &str) -> (u16, Option<String>, Option<String>, String) {
        let agent = ureq::AgentBuilder::new().redirects(0).build();
        let response = match agent.get(url).set("Cookie", &self.cookie_header()).call() {
            Ok(response) => response,
            Err(ureq::Error::Status(_, response)) => response,
            Err(error) => panic!("GET {url}: {error}"),
        };
        for set in response.all("set-cookie") {
            if let Some((name, value)) = set.split(';').next().and_then(|kv| kv.split_once('=')) {
                self.cookies
                    .insert(name.trim().to_owned(), value.trim().to_owned());
            }
        }
        let status = response.status();
        let location = response.header("location").map(str::to_owned);
        let refresh = response.header("refresh").map(str::to_owned);
        (
            status,
            location,
            refresh,
            response.into_string().unwrap_or_default(),
        )
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }
}

fn origin(url: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap();
    let host = rest.split('/').next().unwrap();
    format!("{scheme}://{host}")
}
