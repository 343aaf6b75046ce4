//! The company's identity provider: its settings (stored, the client secret
//! sealed), and signing in with OpenID Connect — the Authorization Code flow
//! with PKCE, `state` bound to the browser, and the ID token's signature,
//! issuer, audience, expiry and nonce verified by the `openidconnect` crate.
//!
//! Sign-ins under way live in the database (not in this process), so the
//! provider may send the browser back to any replica.

use std::{
    collections::HashMap,
    io::Read,
    sync::Mutex,
    time::{Duration, Instant},
};

use base64::{Engine, engine::general_purpose::STANDARD, engine::general_purpose::URL_SAFE_NO_PAD};
use gatehouse_shared::sso::{SignInOptions, SsoSettingsInput};
use openidconnect::{
    AccessTokenHash, AuthorizationCode, ClientId, ClientSecret, CsrfToken, IssuerUrl, Nonce,
    OAuth2TokenResponse, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, Scope, TokenResponse,
    core::{CoreAuthenticationFlow, CoreClient, CoreProviderMetadata},
};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::{error::AppError, secrets::SecretBox, store, store::Conn};

/// The `settings` row holding the provider's settings.
const SETTINGS_KEY: &str = "sso";
/// The `settings` row holding the SHA-256 of the SCIM bearer token.
pub const SCIM_TOKEN_KEY: &str = "scim_token_sha256";
/// Where the provider sends the browser back, under the public URL.
pub const CALLBACK_PATH: &str = "/api/v1/sso/callback";
pub const START_PATH: &str = "/api/v1/sso/start";
/// How long a sign-in at the provider may take.
pub const LOGIN_WINDOW: time::Duration = time::Duration::minutes(10);
/// The cookie binding a sign-in under way to the browser that started it.
pub const BINDING_COOKIE: &str = "gatehouse_sso";
/// Provider metadata and keys are read again after this long (key rotation).
const METADATA_TTL: Duration = Duration::from_secs(600);

/// The settings as stored: the client secret sealed with the server's key.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct Stored {
    #[serde(flatten)]
    input: SsoSettingsInput,
    /// base64 of the sealed client secret.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    client_secret_sealed: Option<String>,
}

/// The provider's settings, with the client secret opened.
#[derive(Clone, Default)]
pub struct Settings {
    pub input: SsoSettingsInput,
    pub client_secret: Option<String>,
}

impl std::fmt::Debug for Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Settings")
            .field("input", &self.input)
            .field(
                "client_secret",
                &self.client_secret.as_ref().map(|_| "<redacted>"),
            )
            .finish()
    }
}

impl Settings {
    pub fn sign_in_options(&self) -> SignInOptions {
        SignInOptions {
            provider: self
                .input
                .enabled
                .then(|| gatehouse_shared::sso::ProviderButton {
                    name: self.input.display_name.clone(),
                    start_url: START_PATH.into(),
                }),
            passwords: self.passwords_for_everyone(),
        }
    }

    /// Local passwords work for everyone (always, while the provider is off).
    pub fn passwords_for_everyone(&self) -> bool {
        self.input.password_login || !self.input.enabled
    }

    /// Whether this user may sign in with a local password.
    pub fn password_allowed(&self, username: &str) -> bool {
        self.passwords_for_everyone()
            || self
                .input
                .break_glass_admins
                .iter()
                .any(|name| name == username)
    }
}

/// The stored settings (defaults when none were saved).
pub fn load(conn: Conn<'_>, secrets: &SecretBox) -> Result<Settings, AppError> {
    let Some(text) = store::notifications::setting(conn, SETTINGS_KEY)? else {
        return Ok(Settings::default());
    };
    let stored: Stored = serde_json::from_str(&text)?;
    let client_secret = match stored.client_secret_sealed {
        Some(sealed) => {
            let sealed = STANDARD
                .decode(sealed)
                .map_err(|e| AppError::internal(format!("sealed client secret: {e}")))?;
            Some(
                String::from_utf8(secrets.open(&sealed)?)
                    .map_err(|e| AppError::internal(format!("client secret: {e}")))?,
            )
        }
        None => None,
    };
    Ok(Settings {
        input: stored.input,
        client_secret,
    })
}

/// Check and store settings; a missing client secret keeps the stored one.
pub fn save(
    conn: Conn<'_>,
    secrets: &SecretBox,
    mut input: SsoSettingsInput,
) -> Result<Settings, AppError> {
    let before = load(conn, secrets)?;
    let client_secret = match input.client_secret.take() {
        Some(secret) if !secret.is_empty() => Some(secret),
        Some(_) => None,
        None => before.client_secret,
    };
    check(&input)?;
    let client_secret_sealed = match &client_secret {
        Some(secret) => Some(STANDARD.encode(secrets.seal(secret.as_bytes())?)),
        None => None,
    };
    let stored = Stored {
        input: input.clone(),
        client_secret_sealed,
    };
    store::notifications::set_setting(conn, SETTINGS_KEY, &serde_json::to_string(&stored)?)?;
    Ok(Settings {
        input,
        client_secret,
    })
}

/// Settings that cannot work are refused, naming the field.
fn check(input: &SsoSettingsInput) -> Result<(), AppError> {
    let text = |field: &'static str, value: &str, max: usize| -> Result<(), AppError> {
        if value.chars().count() > max {
            return Err(AppError::invalid(
                field,
                format!("At most {max} characters."),
            ));
        }
        Ok(())
    };
    text("display_name", &input.display_name, 60)?;
    text("issuer", &input.issuer, 500)?;
    text("client_id", &input.client_id, 500)?;
    text("groups_claim", &input.groups_claim, 100)?;
    if input.scopes.len() > 20
        || input
            .scopes
            .iter()
            .any(|s| s.is_empty() || s.len() > 100 || s.contains(' '))
    {
        return Err(AppError::invalid(
            "scopes",
            "Scopes are up to 20 single words.",
        ));
    }
    if input.break_glass_admins.len() > 20 {
        return Err(AppError::invalid(
            "break_glass_admins",
            "At most 20 break-glass admins.",
        ));
    }
    if input.enabled {
        if input.display_name.trim().is_empty() {
            return Err(AppError::invalid(
                "display_name",
                "Name the provider for its button, e.g. \"Okta\".",
            ));
        }
        let issuer = openidconnect::url::Url::parse(input.issuer.trim()).map_err(|_| {
            AppError::invalid(
                "issuer",
                "The issuer is a URL, e.g. https://example.okta.com.",
            )
        })?;
        if !matches!(issuer.scheme(), "https" | "http") {
            return Err(AppError::invalid("issuer", "The issuer is an http(s) URL."));
        }
        if input.client_id.trim().is_empty() {
            return Err(AppError::invalid(
                "client_id",
                "Enter the client id the provider gave you.",
            ));
        }
        if input.groups_claim.trim().is_empty() {
            return Err(AppError::invalid(
                "groups_claim",
                "Name the claim that lists groups (usually \"groups\").",
            ));
        }
    } else if !input.password_login {
        return Err(AppError::invalid(
            "password_login",
            "Passwords can be turned off only while sign-in with the identity provider is on.",
        ));
    }
    Ok(())
}

/// Settings given when the server starts (flags and environment, for
/// automated installs): they replace what an admin saved before, audited.
pub async fn apply_at_start(
    db: &crate::db::Db,
    secrets: std::sync::Arc<SecretBox>,
    input: Option<SsoSettingsInput>,
    scim_token: Option<String>,
    now: i64,
) -> Result<(), AppError> {
    if input.is_none() && scim_token.is_none() {
        return Ok(());
    }
    db.write(move |tx| {
        if let Some(input) = input.clone() {
            let saved = save(tx, &secrets, input)?;
            let mut audited = serde_json::to_value(&saved.input)?;
            audited["client_secret_set"] = serde_json::json!(saved.client_secret.is_some());
            store::audit::record(tx, now, None, None, "sso.configured_at_start", audited)?;
        }
        if let Some(token) = &scim_token {
            if token.len() < 20 {
                return Err(AppError::invalid(
                    "scim_token",
                    "The SCIM token is at least 20 characters.",
                ));
            }
            // As the SCIM routes compare it: the hex of the token's SHA-256.
            let hash =
                crate::hex::encode(&<sha2::Sha256 as sha2::Digest>::digest(token.as_bytes()));
            store::notifications::set_setting(tx, SCIM_TOKEN_KEY, &hash)?;
            store::audit::record(
                tx,
                now,
                None,
                None,
                "scim_token.set_at_start",
                serde_json::json!({}),
            )?;
        }
        Ok(())
    })
    .await
}

/// Provider metadata (endpoints and signing keys), read once and kept for a
/// while; shared by every request of this process.
#[derive(Default)]
pub struct Providers {
    known: Mutex<HashMap<String, (Instant, CoreProviderMetadata)>>,
}

impl Providers {
    /// The metadata of `issuer`, from discovery (blocking: call from the
    /// blocking pool). `fresh` skips what is kept (an unknown signing key).
    fn metadata(&self, issuer: &str, fresh: bool) -> Result<CoreProviderMetadata, Refusal> {
        if !fresh
            && let Ok(known) = self.known.lock()
            && let Some((at, metadata)) = known.get(issuer)
            && at.elapsed() < METADATA_TTL
        {
            return Ok(metadata.clone());
        }
        let url = IssuerUrl::new(issuer.to_owned())
            .map_err(|e| Refusal::provider(format!("the issuer {issuer:?} is not a URL: {e}")))?;
        let metadata = CoreProviderMetadata::discover(&url, &http).map_err(|e| {
            Refusal::provider(format!("discovery at {issuer} failed: {}", error_chain(&e)))
        })?;
        if let Ok(mut known) = self.known.lock() {
            known.insert(issuer.to_owned(), (Instant::now(), metadata.clone()));
        }
        Ok(metadata)
    }
}

/// Why a sign-in with the provider was refused: what the person is told
/// (`message`) and what the audit log and server log keep (`detail`).
#[derive(Debug, Clone)]
pub struct Refusal {
    pub code: &'static str,
    pub message: String,
    pub detail: String,
}

impl Refusal {
    fn new(code: &'static str, message: impl Into<String>, detail: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            detail: detail.into(),
        }
    }

    fn provider(detail: String) -> Self {
        Self::new(
            "provider_unreachable",
            "Gatehouse could not talk to the identity provider. Try again, or ask an admin to check the sign-in settings.",
            detail,
        )
    }
}

/// A sign-in about to go to the provider.
pub struct Started {
    /// Where to send the browser.
    pub authorize_url: String,
    /// The `state` (its hash is the row's key).
    pub state: String,
    pub nonce: String,
    pub pkce_verifier: String,
}

/// Build the provider's authorization URL (blocking: discovery).
pub fn start(
    providers: &Providers,
    settings: &Settings,
    redirect_url: &str,
) -> Result<Started, Refusal> {
    let client = make_client(providers, settings, redirect_url, false)?;
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let mut request = client.authorize_url(
        CoreAuthenticationFlow::AuthorizationCode,
        CsrfToken::new_random,
        Nonce::new_random,
    );
    for scope in &settings.input.scopes {
        if scope != "openid" {
            request = request.add_scope(Scope::new(scope.clone()));
        }
    }
    let (url, state, nonce) = request.set_pkce_challenge(challenge).url();
    Ok(Started {
        authorize_url: url.to_string(),
        state: state.secret().clone(),
        nonce: nonce.secret().clone(),
        pkce_verifier: verifier.secret().clone(),
    })
}

fn make_client(
    providers: &Providers,
    settings: &Settings,
    redirect_url: &str,
    fresh: bool,
) -> Result<
    CoreClient<
        openidconnect::EndpointSet,
        openidconnect::EndpointNotSet,
        openidconnect::EndpointNotSet,
        openidconnect::EndpointNotSet,
        openidconnect::EndpointMaybeSet,
        openidconnect::EndpointMaybeSet,
    >,
    Refusal,
> {
    let metadata = providers.metadata(settings.input.issuer.trim(), fresh)?;
    let redirect = RedirectUrl::new(redirect_url.to_owned())
        .map_err(|e| Refusal::provider(format!("redirect URL {redirect_url:?}: {e}")))?;
    Ok(CoreClient::from_provider_metadata(
        metadata,
        ClientId::new(settings.input.client_id.trim().to_owned()),
        settings.client_secret.clone().map(ClientSecret::new),
    )
    .set_redirect_uri(redirect))
}

/// Who the provider says signed in, verified.
#[derive(Debug, Clone)]
pub struct Verified {
    pub issuer: String,
    pub subject: String,
    /// Every claim of the ID token, and of UserInfo when the groups were there.
    pub claims: serde_json::Map<String, Value>,
    /// The configured groups claim's values (empty when absent).
    pub groups: Vec<String>,
    /// Whether the groups claim was present at all.
    pub groups_present: bool,
}

/// Trade the code for tokens and verify the ID token (blocking: HTTP).
pub fn finish(
    providers: &Providers,
    settings: &Settings,
    redirect_url: &str,
    code: &str,
    pkce_verifier: &str,
    nonce: &str,
) -> Result<Verified, Refusal> {
    let client = make_client(providers, settings, redirect_url, false)?;
    let token = client
        .exchange_code(AuthorizationCode::new(code.to_owned()))
        .map_err(|e| Refusal::provider(format!("token endpoint: {e}")))?
        .set_pkce_verifier(PkceCodeVerifier::new(pkce_verifier.to_owned()))
        .request(&http)
        .map_err(|e| {
            Refusal::new(
                "code_refused",
                "The identity provider did not accept this sign-in (it may have been used already). Sign in again.",
                format!("code exchange: {}", error_chain(&e)),
            )
        })?;
    let id_token = token.id_token().ok_or_else(|| {
        Refusal::new(
            "no_id_token",
            "The identity provider sent no ID token. Ask an admin to check the sign-in settings.",
            "token response without id_token",
        )
    })?;
    let nonce = Nonce::new(nonce.to_owned());
    let verified = {
        let verifier = client.id_token_verifier();
        match id_token.claims(&verifier, &nonce) {
            Ok(claims) => Ok(claims.clone()),
            // A key the provider rotated in since discovery: read the keys again, once.
            Err(openidconnect::ClaimsVerificationError::SignatureVerification(_)) => {
                let client = make_client(providers, settings, redirect_url, true)?;
                let verifier = client.id_token_verifier();
                id_token.claims(&verifier, &nonce).cloned()
            }
            Err(other) => Err(other),
        }
    };
    let claims = verified.map_err(|e| {
        Refusal::new(
            "id_token_refused",
            "The identity provider's answer did not pass Gatehouse's checks, so nobody was signed in. Sign in again, or ask an admin.",
            format!("ID token: {e}"),
        )
    })?;
    if let Some(expected) = claims.access_token_hash() {
        let verifier = client.id_token_verifier();
        let refuse = |e: String| {
            Refusal::new(
                "id_token_refused",
                "The identity provider's answer did not pass Gatehouse's checks.",
                format!("at_hash: {e}"),
            )
        };
        let alg = id_token.signing_alg().map_err(|e| refuse(e.to_string()))?;
        let key = id_token
            .signing_key(&verifier)
            .map_err(|e| refuse(e.to_string()))?;
        let actual = AccessTokenHash::from_token(token.access_token(), alg, key)
            .map_err(|e| refuse(e.to_string()))?;
        if actual != *expected {
            return Err(Refusal::new(
                "id_token_refused",
                "The identity provider's answer did not pass Gatehouse's checks.",
                "the access token does not match the ID token's at_hash",
            ));
        }
    }
    let subject = claims.subject().as_str().to_owned();
    let issuer = claims.issuer().as_str().to_owned();
    // The token's signature is verified: its payload can be read as it is,
    // with every claim the provider put in (the groups claim is custom).
    let mut all = payload(&id_token.to_string()).ok_or_else(|| {
        Refusal::new(
            "id_token_refused",
            "The identity provider's answer could not be read.",
            "ID token payload is not JSON",
        )
    })?;
    let claim = settings.input.groups_claim.trim();
    if !all.contains_key(claim)
        && let Some(endpoint) = client.user_info_url()
    {
        // Many providers put groups only in UserInfo.
        let info = user_info(endpoint.as_str(), token.access_token().secret())
            .map_err(Refusal::provider)?;
        if info.get("sub").and_then(Value::as_str) != Some(subject.as_str()) {
            return Err(Refusal::new(
                "id_token_refused",
                "The identity provider's answer did not pass Gatehouse's checks.",
                "UserInfo names another subject than the ID token",
            ));
        }
        for (key, value) in info {
            all.entry(key).or_insert(value);
        }
    }
    let (groups, groups_present) = match all.get(claim) {
        Some(Value::Array(items)) => (
            items
                .iter()
                .filter_map(|item| item.as_str().map(str::trim).filter(|s| !s.is_empty()))
                .map(str::to_owned)
                .collect(),
            true,
        ),
        Some(Value::String(one)) if !one.trim().is_empty() => (vec![one.trim().to_owned()], true),
        Some(_) => (Vec::new(), true),
        None => (Vec::new(), false),
    };
    Ok(Verified {
        issuer,
        subject,
        claims: all,
        groups,
        groups_present,
    })
}

/// The claims of a compact JWT, unverified: call only on a verified token.
fn payload(jwt: &str) -> Option<serde_json::Map<String, Value>> {
    let part = jwt.split('.').nth(1)?;
    let bytes = URL_SAFE_NO_PAD.decode(part.trim_end_matches('=')).ok()?;
    match serde_json::from_slice(&bytes).ok()? {
        Value::Object(map) => Some(map),
        _ => None,
    }
}

fn user_info(url: &str, access_token: &str) -> Result<serde_json::Map<String, Value>, String> {
    let response = agent()
        .get(url)
        .set("Authorization", &format!("Bearer {access_token}"))
        .set("Accept", "application/json")
        .call()
        .map_err(|e| format!("UserInfo at {url}: {e}"))?;
    let mut body = Vec::new();
    response
        .into_reader()
        .take(MAX_RESPONSE)
        .read_to_end(&mut body)
        .map_err(|e| format!("UserInfo at {url}: {e}"))?;
    match serde_json::from_slice(&body) {
        Ok(Value::Object(map)) => Ok(map),
        _ => Err(format!(
            "UserInfo at {url} did not answer a JSON object (signed UserInfo is not supported)"
        )),
    }
}

/// The user the claims describe, for the store.
pub fn claimed(verified: &Verified) -> store::identity::Claimed {
    let text = |name: &str| {
        verified
            .claims
            .get(name)
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    };
    let email = text("email").unwrap_or_default();
    let email_verified = match verified.claims.get("email_verified") {
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) => s.eq_ignore_ascii_case("true"),
        _ => false,
    };
    let wanted = text("preferred_username")
        .or_else(|| (!email.is_empty()).then(|| email.clone()))
        .unwrap_or_else(|| verified.subject.clone());
    let username = username_from(&wanted);
    let display_name = text("name")
        .or_else(|| match (text("given_name"), text("family_name")) {
            (Some(given), Some(family)) => Some(format!("{given} {family}")),
            (Some(one), None) | (None, Some(one)) => Some(one),
            (None, None) => None,
        })
        .unwrap_or_else(|| username.clone());
    store::identity::Claimed {
        issuer: verified.issuer.clone(),
        subject: verified.subject.clone(),
        username,
        display_name: display_name.chars().take(100).collect(),
        email: email.chars().take(254).collect(),
        email_verified,
    }
}

/// A Gatehouse username from what the provider calls the user: the local
/// part of an e-mail-shaped name, only letters, digits, '.', '_' and '-'.
pub fn username_from(wanted: &str) -> String {
    let local = wanted.split('@').next().unwrap_or(wanted);
    let mut name: String = local
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .take(gatehouse_shared::limits::MAX_USERNAME_LENGTH - 4)
        .collect();
    name = name.trim_matches('-').to_owned();
    if name.is_empty() { "user".into() } else { name }
}

/// Largest answer read from the provider.
const MAX_RESPONSE: u64 = 1024 * 1024;

fn agent() -> ureq::Agent {
    ureq::AgentBuilder::new()
        .timeout(Duration::from_secs(10))
        // Following redirects would let a provider's answer point us anywhere.
        .redirects(0)
        .build()
}

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct HttpError(String);

/// The HTTP client `openidconnect` calls: ureq, on the blocking pool.
fn http(request: openidconnect::HttpRequest) -> Result<openidconnect::HttpResponse, HttpError> {
    let url = request.uri().to_string();
    let mut call = agent().request(request.method().as_str(), &url);
    for (name, value) in request.headers() {
        // ureq writes these itself; twice would be a malformed request.
        if matches!(
            name.as_str(),
            "content-length" | "host" | "transfer-encoding"
        ) {
            continue;
        }
        let value = value
            .to_str()
            .map_err(|e| HttpError(format!("header {name}: {e}")))?;
        call = call.set(name.as_str(), value);
    }
    let answer = if request.body().is_empty() {
        call.call()
    } else {
        call.send_bytes(request.body())
    };
    let response = match answer {
        Ok(response) => response,
        // The library reads the provider's error body (e.g. invalid_grant).
        Err(ureq::Error::Status(_, response)) => response,
        Err(error) => return Err(HttpError(format!("{url}: {error}"))),
    };
    let mut builder = openidconnect::http::Response::builder().status(response.status());
    for name in response.headers_names() {
        if let Some(value) = response.header(&name) {
            builder = builder.header(name.as_str(), value);
        }
    }
    let mut body = Vec::new();
    response
        .into_reader()
        .take(MAX_RESPONSE)
        .read_to_end(&mut body)
        .map_err(|e| HttpError(format!("{url}: {e}")))?;
    builder
        .body(body)
        .map_err(|e| HttpError(format!("{url}: {e}")))
}

fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_come_from_what_the_provider_calls_people() {
        assert_eq!(username_from("Alice.Smith@example.com"), "alice.smith");
        assert_eq!(username_from("bob"), "bob");
        assert_eq!(username_from("José Núñez"), "jos--n--ez");
        assert_eq!(username_from("@@@"), "user");
        assert!(username_from(&"x".repeat(200)).len() <= 60);
    }

    #[test]
    fn passwords_off_leave_only_break_glass_admins() {
        let mut settings = Settings::default();
        assert!(
            settings.password_allowed("alice"),
            "no provider: passwords for all"
        );
        settings.input.enabled = true;
        settings.input.password_login = false;
        settings.input.break_glass_admins = vec!["admin".into()];
        assert!(settings.password_allowed("admin"));
        assert!(!settings.password_allowed("alice"));
        assert!(!settings.sign_in_options().passwords);
    }

    #[test]
    fn passwords_cannot_be_turned_off_without_a_provider() {
        let input = SsoSettingsInput {
            password_login: false,
            ..SsoSettingsInput::default()
        };
        assert!(check(&input).is_err());
    }

    #[test]
    fn a_jwt_payload_is_read_as_json() {
        let body = URL_SAFE_NO_PAD.encode(br#"{"sub":"42","groups":["dba"]}"#);
        let claims = payload(&format!("e30.{body}.sig")).unwrap();
        assert_eq!(claims["groups"][0], "dba");
        assert!(payload("not a jwt").is_none());
    }
}
