//! Who is calling: password hashing, opaque session and API tokens (stored
//! only as hashes), and the [`CurrentUser`] extractor every protected route takes.

use axum::{
    extract::FromRequestParts,
    http::{HeaderMap, Method, header, request::Parts},
};
use axum_extra::extract::CookieJar;
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use gatehouse_shared::{auth::Me, rules::Actor};
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::store::Conn;
use crate::{error::AppError, state::AppState, store, store::users::UserRecord};

/// Name of the portal's session cookie over plain HTTP (over HTTPS it has the
/// `__Host-` prefix: [`crate::transport::session_cookie_name`]).
pub use crate::transport::SESSION_COOKIE;
/// Prefix of personal API tokens, so a leaked one is easy to recognise.
pub const API_TOKEN_PREFIX: &str = "gh_";

/// Hash a password with argon2id and a fresh salt, here and now (the
/// server hashes in its bounded pool, [`crate::passwords::Passwords`]).
pub fn hash_password(password: &str) -> Result<String, AppError> {
    Ok(crate::passwords::hash_with(password, &mut Vec::new())?)
}

/// 32 random bytes, URL-safe base64: the secret half of a session or token.
pub fn new_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// What the database keeps of a secret. SHA-256 suffices: the secret is 256
/// random bits, not a guessable password.
pub fn secret_hash(secret: &str) -> Vec<u8> {
    Sha256::digest(secret.as_bytes()).to_vec()
}

/// How the caller proved who they are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthMethod {
    SessionCookie,
    BearerToken,
}

/// The signed-in user of this request.
#[derive(Debug, Clone)]
pub struct CurrentUser {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub email: String,
    pub is_admin: bool,
    pub method: AuthMethod,
}

impl CurrentUser {
    /// The user the store found for a credential, signed in by `method`.
    pub fn signed_in(user: UserRecord, method: AuthMethod) -> Self {
        Self {
            id: user.id,
            username: user.username,
            display_name: user.display_name,
            email: user.email,
            is_admin: user.is_admin,
            method,
        }
    }

    /// The user as `GET /api/v1/me` answers, and as the portal's page carries it.
    pub fn me(self) -> Me {
        Me {
            id: self.id,
            username: self.username,
            display_name: self.display_name,
            email: self.email,
            is_admin: self.is_admin,
        }
    }

    /// The user as the engine knows who acts.
    pub fn actor(&self) -> Actor {
        Actor {
            id: self.id,
            is_admin: self.is_admin,
        }
    }

    pub fn require_admin(&self) -> Result<(), AppError> {
        if self.is_admin {
            Ok(())
        } else {
            tracing::info!(user = %self.username, "refused: admin only");
            Err(AppError::Forbidden("Only admins can do this.".into()))
        }
    }
}

impl FromRequestParts<AppState> for CurrentUser {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let now = state.now().unix_timestamp();
        if let Some(value) = parts.headers.get(header::AUTHORIZATION) {
            let Some(token) = value.to_str().ok().and_then(|v| v.strip_prefix("Bearer ")) else {
                tracing::info!("refused: Authorization header is not a bearer token");
                return Err(AppError::Unauthenticated);
            };
            let hash = secret_hash(token.trim());
            let found = signed_in(state, now, true, hash, move |conn, hash| {
                store::users::by_api_token(conn, hash, now)
            })
            .await?;
            return match found {
                Some(user) => Ok(CurrentUser::signed_in(user, AuthMethod::BearerToken)),
                None => {
                    tracing::info!("refused: unknown API token");
                    Err(AppError::Unauthenticated)
                }
            };
        }

        let jar = CookieJar::from_headers(&parts.headers);
        let name = crate::transport::session_cookie_name(crate::transport::Https::of(parts));
        let Some(cookie) = jar.get(name) else {
            tracing::debug!("refused: no session cookie or token");
            return Err(AppError::Unauthenticated);
        };
        let hash = secret_hash(cookie.value());
        let found = signed_in(state, now, false, hash, move |conn, hash| {
            store::sessions::user_for(conn, hash, now)
        })
        .await?;
        let Some(user) = found else {
            tracing::info!("refused: unknown or expired session");
            return Err(AppError::Unauthenticated);
        };
        if !is_same_origin_write(&parts.method, &parts.headers) {
            tracing::warn!(user = %user.username, "refused: cross-origin write with a session cookie");
            return Err(AppError::Forbidden(
                "Cross-origin requests cannot use the portal session.".into(),
            ));
        }
        Ok(CurrentUser::signed_in(user, AuthMethod::SessionCookie))
    }
}

/// The user a session cookie (`is_token` false) or API token with this hash
/// belongs to at `now`, from [`crate::memo`] when the same credential was
/// looked up in this second with no write since. Unknown credentials are
/// never kept, so guessing fills nothing.
async fn signed_in(
    state: &AppState,
    now: i64,
    is_token: bool,
    hash: Vec<u8>,
    lookup: impl FnOnce(Conn<'_>, &[u8]) -> Result<Option<UserRecord>, AppError> + Send + 'static,
) -> Result<Option<UserRecord>, AppError> {
    let tag = state.memo_tag(now).await;
    let key = (is_token, hash);
    if let Some(user) = tag.and_then(|tag| state.memos.signed_in.get(tag, &key)) {
        return Ok(Some(user));
    }
    let (found, key) = state
        .db
        .call(move |conn| Ok((lookup(conn, &key.1)?, key)))
        .await?;
    if let (Some(tag), Some(user)) = (tag, &found) {
        state.memos.signed_in.put(tag, key, user.clone());
    }
    Ok(found)
}

/// Cookie-authenticated writes must come from our own origin (CSRF defence,
/// on top of SameSite=Strict). Browsers label every request with
/// `Sec-Fetch-Site` (Fetch Metadata) and send `Origin` on writes; a write is
/// refused when either says it came from another origin. Clients that send
/// neither are not browsers, and cannot be made to carry a victim's cookie.
fn is_same_origin_write(method: &Method, headers: &HeaderMap) -> bool {
    if matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS) {
        return true;
    }
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
        // "none": typed by the user; "same-origin": our own portal.
        if !matches!(site, "same-origin" | "none") {
            return false;
        }
    }
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        return true;
    };
    let Some(host) = headers.get(header::HOST).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let origin_host = origin
        .split_once("://")
        .map(|(_, rest)| rest)
        .unwrap_or_default();
    origin_host.eq_ignore_ascii_case(host)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_random_and_hashes_are_stable() {
        let a = new_secret();
        assert_ne!(a, new_secret());
        assert_eq!(secret_hash(&a), secret_hash(&a));
        assert_eq!(secret_hash(&a).len(), 32);
    }

    #[test]
    fn cross_origin_cookie_writes_are_refused() {
        let mut headers = HeaderMap::new();
        headers.insert(header::HOST, "127.0.0.1:8080".parse().unwrap());
        headers.insert(header::ORIGIN, "http://127.0.0.1:8080".parse().unwrap());
        assert!(is_same_origin_write(&Method::POST, &headers));
        headers.insert(header::ORIGIN, "http://evil.example".parse().unwrap());
        assert!(!is_same_origin_write(&Method::POST, &headers));
        assert!(is_same_origin_write(&Method::GET, &headers));
    }

    #[test]
    fn fetch_metadata_refuses_cross_site_and_same_site_writes() {
        let mut headers = HeaderMap::new();
        headers.insert(header::HOST, "gatehouse.example.com".parse().unwrap());
        for (site, allowed) in [
            ("same-origin", true),
            ("none", true),
            ("same-site", false),
            ("cross-site", false),
        ] {
            headers.insert("sec-fetch-site", site.parse().unwrap());
            assert_eq!(
                is_same_origin_write(&Method::POST, &headers),
                allowed,
                "{site}"
            );
            assert_eq!(
                is_same_origin_write(&Method::DELETE, &headers),
                allowed,
                "{site}"
            );
            assert!(
                is_same_origin_write(&Method::GET, &headers),
                "reads are never refused: {site}"
            );
        }
    }
}
