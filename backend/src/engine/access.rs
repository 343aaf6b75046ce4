//! Access Details of an active access: instructions, connection options, the
//! secret shown once, Reset Credentials; and the fulfilments a person does by
//! hand for manual integrations. The portal and Slack both come here.

use gatehouse_shared::{
    RequestStatus,
    access::{
        AccessDetails, ConnectOptions, Fulfilment, FulfilmentInput, GrantState, RevealedSecret,
    },
    rules::Actor,
};
use serde_json::json;

use super::{end_revoking, grant_of, load_visible, open_connector, record, seal, settle_granting};
use crate::{
    connector::{Credentials, manual},
    engine::Engine,
    error::AppError,
    lease::Held,
    secrets::SecretBox,
    store::{self, Conn, access::GrantRow, requests::RequestRow},
};

fn details_of(
    conn: Conn<'_>,
    row: &GrantRow,
    is_grantee: bool,
    active: bool,
) -> Result<AccessDetails, AppError> {
    let facts = store::catalog::integration_facts(conn, row.integration_id)?;
    let offered = |option: &str| facts.options.iter().any(|o| o == option);
    let connect: ConnectOptions = serde_json::from_str(&row.connect).unwrap_or_default();
    let granted = row.state == GrantState::Granted && active;
    let connect = ConnectOptions {
        terminal: connect.terminal.filter(|_| offered("terminal") && granted),
        browser: connect.browser.filter(|_| offered("browser") && granted),
        app: connect.app.filter(|_| offered("app") && granted),
    };
    let cli_command = (granted && offered("terminal") && connect.terminal.is_some())
        .then(|| format!("gatehouse connect {}", row.request_id));
    Ok(AccessDetails {
        request_id: row.request_id,
        integration_id: row.integration_id,
        integration_name: facts.name,
        state: row.state,
        admin_message: facts.admin_message,
        username: row.username.clone(),
        instructions: row.instructions.clone(),
        connect,
        cli_command,
        secret_available: is_grantee && granted && row.secret.is_some(),
        secret_shown: row.version > 0 && row.seen_version >= row.version,
        credentials_rotated: row.seen_version > 0 && row.version > row.seen_version,
        can_reset: is_grantee && granted,
        last_error: row.last_error.clone(),
        attempts: row.attempts,
    })
}

/// The request, if `actor` may see its access details: the grantee, or an admin.
fn load_for_details(conn: Conn<'_>, actor: Actor, id: i64) -> Result<(RequestRow, bool), AppError> {
    let row = load_visible(conn, actor, id)?;
    let is_grantee = row.grantee.id == actor.id;
    if !is_grantee && !actor.is_admin {
        return Err(AppError::Forbidden(
            "Only the grantee sees the access details.".into(),
        ));
    }
    Ok((row, is_grantee))
}

/// Access Details of every integration of a request (the portal and Slack).
pub fn access_details(
    conn: Conn<'_>,
    actor: Actor,
    id: i64,
) -> Result<Vec<AccessDetails>, AppError> {
    let (request, is_grantee) = load_for_details(conn, actor, id)?;
    let active = request.status == RequestStatus::Active;
    store::access::of_request(conn, id)?
        .iter()
        .map(|row| details_of(conn, row, is_grantee, active))
        .collect()
}

/// The grantee's own granted access in one integration of an Active request.
pub(crate) fn own_granted(
    conn: Conn<'_>,
    actor: Actor,
    id: i64,
    integration_id: i64,
) -> Result<GrantRow, AppError> {
    let (request, is_grantee) = load_for_details(conn, actor, id)?;
    if !is_grantee {
        return Err(AppError::Forbidden(
            "Only the grantee receives credentials.".into(),
        ));
    }
    if request.status != RequestStatus::Active {
        return Err(AppError::Conflict(format!(
            "Request {id} is {}; credentials exist only while it is Active.",
            request.status
        )));
    }
    let row = store::access::get(conn, id, integration_id)?.ok_or_else(|| {
        AppError::NotFound(format!("Integration {integration_id} of request {id}"))
    })?;
    if row.state != GrantState::Granted {
        return Err(AppError::Conflict(format!(
            "The access in this integration is {}.",
            row.state.label()
        )));
    }
    Ok(row)
}

/// Reveal the secret once, wiping the stored copy (the portal and Slack).
pub fn reveal_in(
    tx: Conn<'_>,
    secrets: &SecretBox,
    actor: Actor,
    id: i64,
    integration_id: i64,
    now: i64,
) -> Result<RevealedSecret, AppError> {
    let row = own_granted(tx, actor, id, integration_id)?;
    let Some(sealed) = row.secret else {
        return Err(AppError::Conflict(if row.version == 0 {
            "This access has no secret; follow the instructions.".into()
        } else {
            "The secret was shown once already. Use Reset Credentials to get new ones.".into()
        }));
    };
    let secret = String::from_utf8(secrets.open(&sealed)?)
        .map_err(|_| AppError::internal("a stored secret is not UTF-8"))?;
    store::access::wipe_secret(tx, (id, integration_id))?;
    record(
        tx,
        now,
        Some(actor.id),
        Some(id),
        "credentials_revealed",
        json!({"integration_id": integration_id, "version": row.version}),
    )?;
    Ok(RevealedSecret {
        request_id: id,
        integration_id,
        username: row.username,
        secret,
    })
}

/// Reset Credentials: the connector issues new ones (the old stop working);
/// the new secret waits to be revealed once.
pub async fn reset_credentials(
    ctx: &Engine,
    actor: Actor,
    id: i64,
    integration_id: i64,
) -> Result<AccessDetails, AppError> {
    // One connector call at a time (this process's lock, then the lease that
    // every process takes to call connectors): two resets at once could
    // leave the stored secret different from the one the system has.
    let _guard = ctx.provisioning.lock.lock().await;
    let lease = Held::take(
        &ctx.db,
        &ctx.clock,
        store::leases::PROVISIONING,
        &ctx.replica,
        super::provision::ACTION_PATIENCE,
    )
    .await?
    .ok_or_else(|| {
        AppError::Unavailable("another server is provisioning access; try again shortly".into())
    })?;
    let reset = reset_held(ctx, &lease, actor, id, integration_id).await;
    lease.release().await;
    reset
}

async fn reset_held(
    ctx: &Engine,
    lease: &Held,
    actor: Actor,
    id: i64,
    integration_id: i64,
) -> Result<AccessDetails, AppError> {
    let now = ctx.now().unix_timestamp();
    let (kind, sealed, grant) = ctx
        .db
        .call(move |conn| {
            own_granted(conn, actor, id, integration_id)?;
            grant_of(conn, (id, integration_id), now)
        })
        .await?;
    let connector = open_connector(ctx, &kind, sealed.as_deref());
    let issued: Result<Credentials, String> =
        tokio::task::spawn_blocking(move || connector.and_then(|c| c.reset_credentials(&grant)))
            .await
            .map_err(|error| AppError::internal(format!("reset task failed: {error}")))?;
    let credentials = issued.map_err(|reason| {
        AppError::invalid(
            "integration_id",
            format!("New credentials could not be issued: {reason}"),
        )
    })?;
    let secrets: std::sync::Arc<SecretBox> = ctx.secrets.clone();
    let fence = lease.fence();
    ctx.db
        .write(move |tx| {
            crate::lease::check(tx, &fence)?;
            own_granted(tx, actor, id, integration_id)?;
            let handed = seal(&secrets, &credentials)?;
            store::access::replace_credentials(tx, (id, integration_id), handed)?;
            record(
                tx,
                now,
                Some(actor.id),
                Some(id),
                "credentials_reset",
                json!({"integration_id": integration_id}),
            )?;
            let row = store::access::get(tx, id, integration_id)?
                .ok_or_else(|| AppError::internal("grant vanished during reset"))?;
            details_of(tx, &row, true, true)
        })
        .await
}

/// The manual integrations `actor` (signed in as `username`) fulfils: all of
/// them for admins.
fn fulfilled_by(
    conn: Conn<'_>,
    secrets: &SecretBox,
    actor: Actor,
    username: &str,
) -> Result<Vec<i64>, AppError> {
    let mut mine = Vec::new();
    for (id, sealed) in store::catalog::manual_integrations(conn)? {
        // One broken integration must not hide the others' work.
        if actor.is_admin
            || manual::fulfillers(secrets, id, sealed.as_deref())
                .iter()
                .any(|name| name == username)
        {
            mine.push(id);
        }
    }
    Ok(mine)
}

/// Manual grants and removals waiting on `actor` (an admin, or a fulfiller
/// the integration names by `username`).
pub fn fulfilments(
    conn: Conn<'_>,
    secrets: &SecretBox,
    actor: Actor,
    username: &str,
) -> Result<Vec<Fulfilment>, AppError> {
    let mine = fulfilled_by(conn, secrets, actor, username)?;
    if mine.is_empty() {
        return Ok(Vec::new());
    }
    store::access::waiting_on_people(conn, Some(&mine))?
        .into_iter()
        .map(|row| fulfilment_of(conn, row))
        .collect()
}

fn fulfilment_of(conn: Conn<'_>, row: GrantRow) -> Result<Fulfilment, AppError> {
    let facts = store::requests::fulfilment_facts(conn, row.request_id, row.integration_id)?;
    Ok(Fulfilment {
        request_id: row.request_id,
        integration_id: row.integration_id,
        integration_name: facts.integration_name,
        state: row.state,
        grantee: facts.grantee,
        items: facts.items,
        expires_at: facts.expires_at,
    })
}

/// The lengths a fulfilment's fields may have.
pub fn check_fulfilment(input: &FulfilmentInput) -> Result<(), AppError> {
    for (field, value, max) in [
        ("username", &input.username, 200),
        ("secret", &input.secret, 1_000),
        ("instructions", &input.instructions, 2_000),
    ] {
        if value.as_ref().is_some_and(|v| v.chars().count() > max) {
            return Err(AppError::invalid(
                field,
                format!("At most {max} characters."),
            ));
        }
    }
    Ok(())
}

/// Mark a manual grant (or removal) done, by `actor` signed in as `username`.
/// A grant may hand the grantee a log-in, a secret (shown to them once) and
/// instructions ([`check_fulfilment`] first).
#[allow(clippy::too_many_arguments)]
pub fn fulfil_in(
    tx: Conn<'_>,
    secrets: &SecretBox,
    actor: Actor,
    username: &str,
    id: i64,
    integration_id: i64,
    input: &FulfilmentInput,
    now: i64,
) -> Result<Fulfilment, AppError> {
    if !actor.is_admin && !fulfilled_by(tx, secrets, actor, username)?.contains(&integration_id) {
        return Err(AppError::Forbidden(
            "Only admins and this integration's fulfillers mark manual access done.".into(),
        ));
    }
    let row = store::access::get(tx, id, integration_id)?
        .filter(|row| matches!(row.state, GrantState::Waiting | GrantState::Removing))
        .ok_or_else(|| {
            AppError::NotFound(format!(
                "A manual grant or removal of request {id} in integration {integration_id}"
            ))
        })?;
    if row.state == GrantState::Waiting {
        let status = store::requests::status_label(tx, id)?;
        if status != RequestStatus::Granting.label() {
            return Err(AppError::Conflict(format!(
                "Request {id} is {status}; there is nothing to grant any more."
            )));
        }
        let credentials = Credentials {
            username: input.username.clone().filter(|u| !u.trim().is_empty()),
            secret: input.secret.clone().filter(|s| !s.is_empty()),
            instructions: input.instructions.clone().filter(|i| !i.trim().is_empty()),
            connect: ConnectOptions::default(),
        };
        let handed = seal(secrets, &credentials)?;
        store::access::set_granted(tx, (id, integration_id), handed, None, now)?;
        record(
            tx,
            now,
            Some(actor.id),
            Some(id),
            "access_granted",
            json!({"integration_id": integration_id, "by_hand": true}),
        )?;
        settle_granting(tx, id, now)?;
    } else {
        store::access::set_state(tx, (id, integration_id), GrantState::Removed, now)?;
        record(
            tx,
            now,
            Some(actor.id),
            Some(id),
            "access_removed",
            json!({"integration_id": integration_id, "by_hand": true}),
        )?;
        if !store::access::access_gone(tx, Some(id))?.is_empty() {
            end_revoking(tx, id, now)?;
        }
    }
    let row = store::access::get(tx, id, integration_id)?
        .ok_or_else(|| AppError::internal("grant vanished"))?;
    fulfilment_of(tx, row)
}
