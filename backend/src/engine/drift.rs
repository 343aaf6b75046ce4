//! Drift: access in a target system that Gatehouse did not grant, or that
//! should have ended. Each integration whose connector lists what the target
//! grants ([`Connector::holdings`]) is reconciled every
//! `drift_interval_minutes` (default 10) under the `drift` lease, so one
//! replica does it: what the target holds on the integration's resources is
//! compared with the access Gatehouse has granted or is granting. The rest is
//! a finding (an audit entry when first seen, `gatehouse_drift_findings` in
//! `/metrics`, Admin → Integrations → Drift), and removed when the
//! integration's `drift` is `enforce`.

use std::collections::{BTreeSet, HashSet};

use gatehouse_shared::admin::{DriftFinding, DriftReport};
use serde_json::json;

use crate::{
    connector::{self, Connector, DriftMode, Grant, Holding},
    engine::Engine,
    error::AppError,
    lease::Held,
    store::{self, drift::Finding, leases},
};

/// Reconcile every integration that is due, if this process gets the lease.
pub async fn check_due(ctx: &Engine) -> Result<usize, AppError> {
    let now = ctx.now().unix_timestamp();
    let due = ctx
        .db
        .call(move |conn| store::drift::due(conn, now))
        .await?;
    if due.is_empty() {
        return Ok(0);
    }
    let Some(lease) = Held::try_take(&ctx.db, &ctx.clock, leases::DRIFT, &ctx.replica).await?
    else {
        return Ok(0);
    };
    let mut checked = 0;
    for integration in due {
        if !lease.alive().check() {
            break;
        }
        if let Err(error) = check(ctx, integration).await {
            tracing::error!(integration, %error, "drift check failed; retried at its next time");
        }
        checked += 1;
    }
    lease.release().await;
    Ok(checked)
}

/// What one check needs from the database.
struct Known {
    name: String,
    kind: String,
    sealed: Option<Vec<u8>>,
    paths: Vec<String>,
    live: Vec<Grant>,
    ended: HashSet<String>,
}

/// Reconcile one integration now; its report afterwards.
pub async fn check(ctx: &Engine, integration: i64) -> Result<DriftReport, AppError> {
    let now = ctx.now().unix_timestamp();
    let known = ctx
        .db
        .call(move |conn| {
            let (kind, sealed) = store::catalog::integration_connector(conn, integration)?
                .ok_or_else(|| AppError::NotFound(format!("Integration {integration}")))?;
            let name = store::catalog::integration_facts(conn, integration)?.name;
            let live = store::drift::live_requests(conn, integration)?
                .into_iter()
                .map(|request| {
                    super::provision::grant_of(conn, (request, integration), now)
                        .map(|(_, _, grant)| grant)
                })
                .collect::<Result<_, _>>()?;
            Ok(Known {
                name,
                kind,
                sealed,
                paths: store::drift::managed_paths(conn, integration)?,
                live,
                ended: store::drift::ended_logins(conn, integration)?
                    .into_iter()
                    .collect(),
            })
        })
        .await?;
    let settings = connector::open_settings(&ctx.secrets, known.sealed.as_deref())
        .map_err(AppError::internal)?;
    let (mode, minutes) =
        connector::drift_settings(settings.as_ref()).unwrap_or((DriftMode::Report, 10));
    let next = now + minutes * 60;
    let built = super::provision::open_connector(ctx, &known.kind, known.sealed.as_deref());
    let paths = known.paths.clone();
    let live = known.live.clone();
    let outcome = tokio::task::spawn_blocking(move || {
        let connector: std::sync::Arc<dyn Connector> = built?;
        if mode == DriftMode::Off {
            return Ok(None);
        }
        let Some(holdings) = connector.holdings(&paths)? else {
            return Ok(None);
        };
        let mut found = unexpected(connector.as_ref(), &live, holdings);
        if mode == DriftMode::Enforce {
            for (holding, removed) in &mut found {
                match connector.remove_holding(holding) {
                    Ok(()) => *removed = true,
                    Err(reason) => {
                        tracing::warn!(login = %holding.login, path = %holding.resource_path, %reason, "removing drift failed");
                    }
                }
            }
        }
        Ok::<_, String>(Some(found))
    })
    .await
    .map_err(|error| AppError::internal(format!("drift task failed: {error}")))?;
    let name = known.name.clone();
    ctx.db
        .write(move |tx| match &outcome {
            Err(reason) => {
                store::drift::set_checked(tx, integration, now, next, Some(reason))?;
                Ok(())
            }
            Ok(None) => store::drift::record_check(tx, integration, &[], now, next),
            Ok(Some(found)) => {
                let before = store::drift::findings(tx, integration)?;
                let findings: Vec<Finding> = found
                    .iter()
                    .map(|(holding, removed)| Finding {
                        login: holding.login.clone(),
                        resource_path: holding.resource_path.clone(),
                        permission: holding.permission.clone(),
                        kind: if known.ended.contains(&holding.login) {
                            "ended"
                        } else {
                            "unknown"
                        },
                        first_seen: now,
                        removed_at: removed.then_some(now),
                    })
                    .collect();
                for finding in &findings {
                    let seen = before.iter().any(|b| {
                        b.login == finding.login && b.resource_path == finding.resource_path
                    });
                    let detail = json!({"integration": name, "integration_id": integration,
                        "login": finding.login, "resource_path": finding.resource_path,
                        "kind": finding.kind});
                    if !seen {
                        super::record(tx, now, None, None, "drift_found", detail.clone())?;
                    }
                    if finding.removed_at.is_some() {
                        super::record(tx, now, None, None, "drift_removed", detail)?;
                    }
                }
                store::drift::record_check(tx, integration, &findings, now, next)
            }
        })
        .await?;
    report(ctx, integration).await
}

/// What the target holds that no live grant accounts for. A holding is
/// accounted for when a live grant's login holds it on one of the grant's
/// paths, or on a path above or below one (PostgreSQL lists per database).
fn unexpected(
    connector: &dyn Connector,
    live: &[Grant],
    holdings: Vec<Holding>,
) -> Vec<(Holding, bool)> {
    let expected: BTreeSet<(String, String)> = live
        .iter()
        .filter_map(|grant| connector.login_of(grant).map(|login| (login, grant)))
        .flat_map(|(login, grant)| {
            grant
                .items
                .iter()
                .map(move |item| (login.clone(), item.resource_path.clone()))
        })
        .collect();
    holdings
        .into_iter()
        .filter(|holding| {
            !expected.iter().any(|(login, path)| {
                *login == holding.login && related(path, &holding.resource_path)
            })
        })
        .map(|holding| (holding, false))
        .collect()
}

/// The same path, or one inside the other.
fn related(a: &str, b: &str) -> bool {
    a == b
        || a.strip_prefix(b).is_some_and(|rest| rest.starts_with('/'))
        || b.strip_prefix(a).is_some_and(|rest| rest.starts_with('/'))
}

/// The integration's last check and findings.
pub async fn report(ctx: &Engine, integration: i64) -> Result<DriftReport, AppError> {
    let (kind, sealed, last, findings) = ctx
        .db
        .call(move |conn| {
            let (kind, sealed) = store::catalog::integration_connector(conn, integration)?
                .ok_or_else(|| AppError::NotFound(format!("Integration {integration}")))?;
            Ok((
                kind,
                sealed,
                store::drift::last_check(conn, integration)?,
                store::drift::findings(conn, integration)?,
            ))
        })
        .await?;
    let settings =
        connector::open_settings(&ctx.secrets, sealed.as_deref()).map_err(AppError::internal)?;
    let (mode, minutes) =
        connector::drift_settings(settings.as_ref()).unwrap_or((DriftMode::Report, 10));
    let at = |unix: i64| {
        time::OffsetDateTime::from_unix_timestamp(unix)
            .map_err(|e| AppError::internal(e.to_string()))
    };
    Ok(DriftReport {
        integration_id: integration,
        mode: mode.label().into(),
        interval_minutes: minutes,
        supported: store::drift::LISTED_KINDS.contains(&format!("'{kind}'")),
        checked_at: last.as_ref().map(|(checked, _)| at(*checked)).transpose()?,
        error: last.and_then(|(_, error)| error),
        findings: findings
            .into_iter()
            .map(|finding| {
                Ok(DriftFinding {
                    login: finding.login,
                    resource_path: finding.resource_path,
                    permission: finding.permission,
                    kind: finding.kind.into(),
                    first_seen: at(finding.first_seen)?,
                    removed_at: finding.removed_at.map(at).transpose()?,
                })
            })
            .collect::<Result<_, AppError>>()?,
    })
}

#[cfg(test)]
mod tests {
    use super::related;

    #[test]
    fn paths_relate_when_one_holds_the_other() {
        assert!(related("shop", "shop"));
        assert!(related("shop/public/orders", "shop"));
        assert!(related("shop", "shop/orders"));
        assert!(!related("shop", "shopping"));
        assert!(!related("shop/a", "shop/b"));
    }
}
