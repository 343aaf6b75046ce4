//! SSH access: a short-lived certificate for the grantee's key, the user
//! CA's public key for hosts' `TrustedUserCAKeys`, and the revocation list
//! for their `RevokedKeys`.

use axum::{
    Json,
    extract::State,
    http::header,
    response::{IntoResponse, Response},
};
use gatehouse_shared::ApiError;

use crate::{
    auth::CurrentUser,
    engine::{
        self,
        ssh::{SshCertificate, SshCertificateInput},
    },
    error::AppError,
    extract::{AppJson, AppPath},
    state::AppState,
};

/// An OpenSSH key revocation list, in OpenSSH's binary format (PROTOCOL.krl).
#[derive(utoipa::ToSchema)]
#[schema(value_type = String, format = Binary)]
pub struct KeyRevocationList(Vec<u8>);

impl IntoResponse for KeyRevocationList {
    fn into_response(self) -> Response {
        (
            [
                (header::CONTENT_TYPE, "application/octet-stream"),
                (header::CACHE_CONTROL, "no-store"),
            ],
            self.0,
        )
            .into_response()
    }
}

/// Get an SSH certificate for my public key.
///
/// Signs the key for the logins of my Active SSH access. It is valid from a
/// minute ago for at most the integration's `max_certificate_minutes`, never
/// past the access's end, and is revoked (listed in
/// `GET /api/v1/ssh/revoked-keys`) once the access ends. Every certificate is
/// audited with its serial and the key's fingerprint.
#[utoipa::path(
    post,
    path = "/api/v1/requests/{request_id}/access/{integration_id}/certificate",
    tag = "access",
    security(("session_cookie" = []), ("api_token" = [])),
    params(("request_id" = i64, Path, description = "The request's id"),
        ("integration_id" = i64, Path, description = "The SSH integration's id")),
    request_body = SshCertificateInput,
    responses(
        (status = 200, description = "The certificate, for the key that was sent", body = SshCertificate),
        (status = 400, description = "The public key does not parse, or is of a kind not accepted (Ed25519, or RSA of 2048 bits or more)", body = ApiError),
        (status = 401, description = "Not signed in", body = ApiError),
        (status = 403, description = "Not the grantee", body = ApiError),
        (status = 404, description = "No such request or integration of it", body = ApiError),
        (status = 409, description = "Not Active, not granted, or not an SSH integration", body = ApiError),
    )
)]
pub async fn issue_certificate(
    State(state): State<AppState>,
    user: CurrentUser,
    AppPath((id, integration_id)): AppPath<(i64, i64)>,
    AppJson(input): AppJson<SshCertificateInput>,
) -> Result<Json<SshCertificate>, AppError> {
    let issued =
        engine::ssh::issue_certificate(&state.engine(), user.actor(), id, integration_id, input)
            .await?;
    Ok(Json(issued))
}

/// The SSH user CA's public key (admins).
///
/// One line for the hosts' `TrustedUserCAKeys` file. The CA is made on first
/// use.
#[utoipa::path(
    get,
    path = "/api/v1/ssh/ca",
    tag = "ssh",
    security(("session_cookie" = []), ("api_token" = [])),
    responses(
        (status = 200, description = "`ssh-ed25519 AAAA… gatehouse-user-ca` and a newline", body = String, content_type = "text/plain"),
        (status = 401, description = "Not signed in", body = ApiError),
        (status = 403, description = "Not an admin", body = ApiError),
    )
)]
pub async fn get_ca(
    State(state): State<AppState>,
    user: CurrentUser,
) -> Result<Response, AppError> {
    let line = engine::ssh::ca_public_key(&state.engine(), user.actor()).await?;
    Ok((
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        format!("{line}\n"),
    )
        .into_response())
}

/// The SSH revocation list, for the hosts' `RevokedKeys`.
///
/// The serials of certificates whose access has ended (revoked or expired)
/// and that have not expired yet. Open, so that every host can fetch it (a
/// cron job or timer with curl) without holding a Gatehouse credential: it
/// holds the CA's public key and serial numbers, nothing secret.
#[utoipa::path(
    get,
    path = "/api/v1/ssh/revoked-keys",
    tag = "ssh",
    responses(
        (status = 200, description = "An OpenSSH KRL (binary); revokes nothing while no certificate has ended", body = KeyRevocationList, content_type = "application/octet-stream"),
    )
)]
pub async fn get_revoked_keys(
    State(state): State<AppState>,
) -> Result<KeyRevocationList, AppError> {
    Ok(KeyRevocationList(
        engine::ssh::revoked_keys(&state.engine()).await?,
    ))
}
