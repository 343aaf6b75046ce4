//! SSH access: certificates for the grantee of an Active SSH access, the
//! CA's public key for hosts, and the revocation list of certificates whose
//! access has ended (see [`crate::connector::ssh`]).

use gatehouse_shared::rules::Actor;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use ssh_key::PrivateKey;

use super::{access::own_granted, grant_of, record};
use crate::{
    connector::{
        self,
        ssh::{
            SshSettings,
            ca::{self, CertificateFacts},
        },
    },
    engine::Engine,
    error::AppError,
    secrets::SecretBox,
    store::{self, Conn, ssh::IssuedCertificate, tokens::timestamp},
};

/// A public key to certify, for an SSH access.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SshCertificateInput {
    /// An OpenSSH public key line, as in a `.pub` file: `ssh-ed25519 AAAA… you@laptop`
    /// (Ed25519, also on a security key, or RSA of 2048 bits or more).
    pub public_key: String,
}

/// A short-lived OpenSSH user certificate for the key that was sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SshCertificate {
    /// The certificate line (`ssh-ed25519-cert-v01@openssh.com AAAA…`), to
    /// save beside the key as `<key>-cert.pub`.
    pub certificate: String,
    /// When hosts stop accepting it: at most the integration's
    /// `max_certificate_minutes` from now, and never past the access's end.
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub valid_until: time::OffsetDateTime,
    /// The logins it is valid for.
    pub principals: Vec<String>,
    /// Its serial, as the revocation list names it.
    pub serial: u64,
    /// `gatehouse:<request>:<user>`, as the host's log shows it.
    pub key_id: String,
    /// The host to log in to.
    pub host: String,
    /// The host's SSH port.
    pub port: u16,
}

/// A certificate starts this long before it is issued, so that a host whose
/// clock is a little behind takes it too.
pub const BACKDATE_SECONDS: i64 = 60;
/// Certificates that ended longer ago than this leave the revocation list
/// (hosts refuse them by their end already, even with a slow clock).
const REVOKED_KEPT_SECONDS: i64 = 86_400;

/// The CA key, made on first use (and audited, as done by `actor`).
fn ca_key(
    tx: Conn<'_>,
    secrets: &SecretBox,
    actor: Option<i64>,
    now: i64,
) -> Result<(PrivateKey, String), AppError> {
    if let Some(row) = store::ssh::ca(tx)? {
        let key = ca::from_bytes(&secrets.open(&row.sealed_key)?).map_err(AppError::internal)?;
        return Ok((key, row.public_key));
    }
    let key = ca::generate().map_err(AppError::internal)?;
    let public = ca::public_line(&key).map_err(AppError::internal)?;
    let sealed = secrets.seal(&ca::to_bytes(&key).map_err(AppError::internal)?)?;
    if !store::ssh::insert_ca(tx, &sealed, &public, now)? {
        // Another writer made it first: theirs is the CA.
        return ca_key(tx, secrets, actor, now);
    }
    record(
        tx,
        now,
        actor,
        None,
        "ssh_ca_created",
        json!({"fingerprint": ca::fingerprint(key.public_key())}),
    )?;
    Ok((key, public))
}

/// The CA's public key line for `TrustedUserCAKeys` (admins), made on first use.
pub async fn ca_public_key(ctx: &Engine, actor: Actor) -> Result<String, AppError> {
    if !actor.is_admin {
        return Err(AppError::Forbidden(
            "Only admins read the SSH CA's public key.".into(),
        ));
    }
    let now = ctx.now().unix_timestamp();
    let secrets = ctx.secrets.clone();
    ctx.db
        .write(move |tx| ca_key(tx, &secrets, Some(actor.id), now).map(|(_, public)| public))
        .await
}

/// The OpenSSH key revocation list: the serials of certificates whose access
/// has ended and that are not expired yet.
pub async fn revoked_keys(ctx: &Engine) -> Result<Vec<u8>, AppError> {
    let now = ctx.now().unix_timestamp();
    let (ca, serials) = ctx
        .db
        .call(move |conn| {
            let ca = store::ssh::ca(conn)?;
            let serials = store::ssh::revoked_serials(conn, now - REVOKED_KEPT_SECONDS)?;
            Ok((ca, serials))
        })
        .await?;
    let ca = ca
        .map(|row| ssh_key::PublicKey::from_openssh(&row.public_key))
        .transpose()
        .map_err(|error| AppError::internal(format!("the stored SSH CA public key: {error}")))?;
    let serials: Vec<u64> = serials
        .into_iter()
        .filter_map(|serial| u64::try_from(serial).ok())
        .collect();
    let generated = u64::try_from(now).unwrap_or_default();
    ca::krl(ca.as_ref(), &serials, generated).map_err(AppError::internal)
}

/// Sign the grantee's public key for the logins of an Active SSH access:
/// valid from a minute ago until the integration's `max_certificate_minutes`
/// from now, or the access's end if that comes first. Only the grantee;
/// every certificate is audited (serial and the key's fingerprint).
pub async fn issue_certificate(
    ctx: &Engine,
    actor: Actor,
    id: i64,
    integration_id: i64,
    input: SshCertificateInput,
) -> Result<SshCertificate, AppError> {
    let now = ctx.now().unix_timestamp();
    let secrets = ctx.secrets.clone();
    ctx.db
        .write(move |tx| issue_in(tx, &secrets, actor, (id, integration_id), &input, now))
        .await
}

fn issue_in(
    tx: Conn<'_>,
    secrets: &SecretBox,
    actor: Actor,
    (id, integration_id): (i64, i64),
    input: &SshCertificateInput,
    now: i64,
) -> Result<SshCertificate, AppError> {
    own_granted(tx, actor, id, integration_id)?;
    let (kind, sealed, grant) = grant_of(tx, (id, integration_id), now)?;
    if kind != "ssh" {
        return Err(AppError::Conflict(format!(
            "{} is not an SSH integration: it issues no certificates.",
            grant.integration_name
        )));
    }
    let unusable = |reason: String| {
        AppError::Conflict(format!(
            "{} cannot issue certificates: {reason}",
            grant.integration_name
        ))
    };
    let settings = connector::open_settings(secrets, sealed.as_deref())
        .and_then(|settings| SshSettings::parse(&settings.unwrap_or(Value::Null)))
        .map_err(unusable)?;
    let principals = settings.logins_of(&grant.items).map_err(unusable)?;
    let subject = ca::parse_user_key(&input.public_key).map_err(AppError::BadRequest)?;
    let longest = i64::from(settings.max_certificate_minutes) * 60;
    let valid_before = grant.expires_at.min(now + longest);
    if valid_before <= now {
        return Err(AppError::Conflict(format!(
            "Request {id}'s access ends now; it gets no more certificates."
        )));
    }
    let valid_after = now - BACKDATE_SECONDS;
    let (ca_key, _) = ca_key(tx, secrets, Some(actor.id), now)?;
    let serial = ca::new_serial();
    let key_id = format!("gatehouse:{id}:{}", grant.grantee_username);
    let unix = |t: i64| u64::try_from(t).map_err(|_| AppError::internal("time before 1970"));
    let certificate = ca::sign(
        &ca_key,
        &subject,
        &CertificateFacts {
            serial,
            key_id: &key_id,
            principals: &principals,
            valid_after: unix(valid_after)?,
            valid_before: unix(valid_before)?,
        },
    )
    .map_err(AppError::internal)?;
    let line = certificate
        .to_openssh()
        .map_err(|error| AppError::internal(format!("encoding the certificate: {error}")))?;
    let fingerprint = ca::fingerprint(&subject);
    let serial_column =
        i64::try_from(serial).map_err(|_| AppError::internal("serial out of range"))?;
    let principals_json =
        serde_json::to_string(&principals).map_err(|e| AppError::internal(e.to_string()))?;
    store::ssh::record_certificate(
        tx,
        &IssuedCertificate {
            serial: serial_column,
            request_id: id,
            integration_id,
            user_id: actor.id,
            key_fingerprint: &fingerprint,
            principals: &principals_json,
            valid_after,
            valid_before,
            issued_at: now,
        },
    )?;
    record(
        tx,
        now,
        Some(actor.id),
        Some(id),
        "ssh_certificate_issued",
        json!({
            "integration_id": integration_id,
            "serial": serial,
            "fingerprint": fingerprint,
            "key_id": key_id,
            "principals": principals,
            "valid_after": valid_after,
            "valid_before": valid_before,
        }),
    )?;
    Ok(SshCertificate {
        certificate: line,
        valid_until: timestamp(valid_before)?,
        principals,
        serial,
        key_id,
        host: settings.host.trim().to_owned(),
        port: settings.port,
    })
}
