//! The server's metrics, rendered for `GET /metrics` in Prometheus' text
//! format: HTTP requests by route template, method and status with their
//! latency, the background worker's last pass, the database pool, and
//! gauges read from the database at scrape time ([`crate::store::metrics`]).
//!
//! Each server (each `AppState`) has a registry of its own, so tests that run
//! several servers in one process do not count each other's requests.

use std::{
    sync::Mutex,
    time::{Duration, Instant},
};

use gatehouse_shared::RequestStatus;
use prometheus::{
    Encoder, Gauge, HistogramOpts, HistogramVec, IntCounterVec, IntGauge, IntGaugeVec, Opts,
    Registry, TextEncoder,
};

use crate::{db::Db, store};

/// The content type of the text format.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";
/// The route label of requests no route matched (the portal, unknown paths),
/// so that arbitrary paths cannot grow the number of series.
pub const UNMATCHED_ROUTE: &str = "unmatched";
/// A scrape whose database reads take longer than this reports the database down.
const SCRAPE_READ_TIMEOUT: Duration = Duration::from_secs(5);
/// Connector kinds and kinds of provisioning work, always reported (as 0
/// when idle), so that an alert on them never sees a missing series.
const CONNECTORS: [&str; 9] = crate::connector::KINDS;
const GRANT_WORK: [&str; 3] = ["grant", "removal", "extension"];

/// Ended requests (Rejected, Revoked, Expired, Failed) are recounted at
/// most this often, in seconds of the server's clock: they only grow, and
/// counting a million takes some 100 ms.
pub const ENDED_RECOUNT_SECONDS: i64 = 300;

/// Latency buckets, in seconds: 1 ms to 10 s.
const LATENCY_BUCKETS: [f64; 14] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

/// What the process counts as it goes.
struct Live {
    registry: Registry,
    http_requests: IntCounterVec,
    http_duration: HistogramVec,
    http_in_flight: IntGauge,
    pool_size: IntGauge,
    pool_in_use: IntGauge,
    database_up: IntGauge,
    worker_last_pass_age: Gauge,
    worker_expiry_lateness: Gauge,
    scrape_duration: Gauge,
}

/// What is read from the database at each scrape; left out of the answer
/// when the read fails (`gatehouse_database_up` says so).
struct Stored {
    registry: Registry,
    requests: IntGaugeVec,
    grants_waiting: IntGaugeVec,
    grants_failing: IntGaugeVec,
    drift_findings: IntGaugeVec,
    outbox_pending: IntGauge,
    outbox_due: IntGauge,
    outbox_retrying: IntGauge,
    outbox_oldest_age: IntGauge,
    expiry_overdue: IntGauge,
    pending_limit_overdue: IntGauge,
}

/// When (clock seconds) the ended requests were counted, and the counts by status.
type EndedCount = (i64, Vec<(String, i64)>);

pub struct Metrics {
    /// None only if the metric definitions themselves were refused (a
    /// programming error a unit test rules out); the server then runs
    /// without metrics rather than not at all.
    families: Option<(Live, Stored)>,
    /// When the last background pass finished, on this process.
    last_pass: Mutex<Option<Instant>>,
    /// One scrape at a time: a scrape resets and refills the stored gauges.
    /// Holds the last count of ended requests and when (clock seconds) it
    /// was taken.
    scraping: tokio::sync::Mutex<Option<EndedCount>>,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

fn register<M: prometheus::core::Collector + Clone + 'static>(
    registry: &Registry,
    metric: M,
) -> prometheus::Result<M> {
    registry.register(Box::new(metric.clone()))?;
    Ok(metric)
}

fn int_gauge(registry: &Registry, name: &str, help: &str) -> prometheus::Result<IntGauge> {
    register(registry, IntGauge::new(name, help)?)
}

fn gauge(registry: &Registry, name: &str, help: &str) -> prometheus::Result<Gauge> {
    register(registry, Gauge::new(name, help)?)
}

fn int_gauge_vec(
    registry: &Registry,
    name: &str,
    help: &str,
    labels: &[&str],
) -> prometheus::Result<IntGaugeVec> {
    register(registry, IntGaugeVec::new(Opts::new(name, help), labels)?)
}

impl Live {
    fn new() -> prometheus::Result<Self> {
        let registry = Registry::new();
        Ok(Self {
            http_requests: register(
                &registry,
                IntCounterVec::new(
                    Opts::new(
                        "gatehouse_http_requests_total",
                        "HTTP requests answered, by route template, method and status",
                    ),
                    &["route", "method", "status"],
                )?,
            )?,
            http_duration: register(
                &registry,
                HistogramVec::new(
                    HistogramOpts::new(
                        "gatehouse_http_request_duration_seconds",
                        "Time to answer HTTP requests (until the response head), by route template, method and status",
                    )
                    .buckets(LATENCY_BUCKETS.to_vec()),
                    &["route", "method", "status"],
                )?,
            )?,
            http_in_flight: int_gauge(
                &registry,
                "gatehouse_http_requests_in_flight",
                "HTTP requests being answered now",
            )?,
            pool_size: int_gauge(
                &registry,
                "gatehouse_db_pool_connections",
                "Connections the database pool lends at most at once",
            )?,
            pool_in_use: int_gauge(
                &registry,
                "gatehouse_db_pool_connections_in_use",
                "Database pool connections lent out at the scrape",
            )?,
            database_up: int_gauge(
                &registry,
                "gatehouse_database_up",
                "1 when the scrape could read the database, else 0 (the gauges read from it are then left out)",
            )?,
            worker_last_pass_age: gauge(
                &registry,
                "gatehouse_worker_last_pass_age_seconds",
                "Seconds since this process last finished a background pass (expiry, 7-day limit, provisioning); NaN before the first",
            )?,
            worker_expiry_lateness: gauge(
                &registry,
                "gatehouse_worker_expiry_lateness_seconds",
                "How late after its due time the last expiry pass of this process removed access; NaN before the first",
            )?,
            scrape_duration: gauge(
                &registry,
                "gatehouse_metrics_scrape_duration_seconds",
                "Time this scrape took to read the database",
            )?,
            registry,
        })
    }
}

impl Stored {
    fn new() -> prometheus::Result<Self> {
        let registry = Registry::new();
        Ok(Self {
            requests: int_gauge_vec(
                &registry,
                "gatehouse_access_requests",
                "Access requests by status; the ended ones (Rejected, Revoked, Expired, Failed) are recounted at most every 5 minutes",
                &["status"],
            )?,
            grants_waiting: int_gauge_vec(
                &registry,
                "gatehouse_grants_waiting",
                "Provisioning not done yet, per connector kind and work (grant, removal, extension): (request, integration) pairs",
                &["connector", "work"],
            )?,
            grants_failing: int_gauge_vec(
                &registry,
                "gatehouse_grants_failing",
                "Of the waiting provisioning, the pairs whose last attempt failed and are being retried",
                &["connector", "work"],
            )?,
            drift_findings: int_gauge_vec(
                &registry,
                "gatehouse_drift_findings",
                "Access a target system holds that Gatehouse did not grant or that should have ended, not removed, per connector kind (the last check of each integration)",
                &["connector"],
            )?,
            outbox_pending: int_gauge(
                &registry,
                "gatehouse_outbox_pending",
                "Notifications in the outbox not delivered yet",
            )?,
            outbox_due: int_gauge(
                &registry,
                "gatehouse_outbox_due",
                "Pending notifications due now (not waiting out a retry backoff)",
            )?,
            outbox_retrying: int_gauge(
                &registry,
                "gatehouse_outbox_retrying",
                "Pending notifications whose delivery failed at least once",
            )?,
            outbox_oldest_age: int_gauge(
                &registry,
                "gatehouse_outbox_oldest_pending_age_seconds",
                "Age of the oldest undelivered notification (0 when none)",
            )?,
            expiry_overdue: int_gauge(
                &registry,
                "gatehouse_expiry_overdue_seconds",
                "How long ago the oldest access still Active should have expired (0 when none is overdue): the background work's lag, from the database",
            )?,
            pending_limit_overdue: int_gauge(
                &registry,
                "gatehouse_pending_limit_overdue_seconds",
                "How long past the 7-day limit the oldest request still waiting is (0 when none)",
            )?,
            registry,
        })
    }

    /// Reset, then set from `snapshot`, with every known series present.
    fn fill(&self, snapshot: &store::metrics::Snapshot, ended: &[(String, i64)], now: i64) {
        self.requests.reset();
        for status in RequestStatus::ALL {
            set_vec(&self.requests, &[status.label()], 0);
        }
        for (status, count) in snapshot.requests.iter().chain(ended) {
            set_vec(&self.requests, &[status.as_str()], *count);
        }
        self.grants_waiting.reset();
        self.grants_failing.reset();
        for connector in CONNECTORS {
            for work in GRANT_WORK {
                set_vec(&self.grants_waiting, &[connector, work], 0);
                set_vec(&self.grants_failing, &[connector, work], 0);
            }
        }
        for work in &snapshot.grants {
            let labels = [work.connector.as_str(), work.work.as_str()];
            set_vec(&self.grants_waiting, &labels, work.waiting);
            set_vec(&self.grants_failing, &labels, work.failing);
        }
        self.drift_findings.reset();
        for connector in CONNECTORS {
            set_vec(&self.drift_findings, &[connector], 0);
        }
        for (connector, count) in &snapshot.drift {
            set_vec(&self.drift_findings, &[connector.as_str()], *count);
        }
        let outbox = &snapshot.outbox;
        self.outbox_pending.set(outbox.pending);
        self.outbox_due.set(outbox.due);
        self.outbox_retrying.set(outbox.retrying);
        let age = |since: Option<i64>| since.map_or(0, |at| (now - at).max(0));
        self.outbox_oldest_age.set(age(outbox.oldest_created_at));
        self.expiry_overdue.set(age(snapshot.oldest_overdue_expiry));
        self.pending_limit_overdue.set(age(snapshot
            .oldest_overdue_pending
            .map(|created| created + gatehouse_shared::rules::PENDING_LIMIT)));
    }
}

fn set_vec(family: &IntGaugeVec, labels: &[&str], value: i64) {
    if let Ok(gauge) = family.get_metric_with_label_values(labels) {
        gauge.set(value);
    }
}

impl Metrics {
    pub fn new() -> Self {
        let families = Live::new().and_then(|live| Ok((live, Stored::new()?)));
        let families = match families {
            Ok(families) => {
                // No pass has run, and no expiry happened, yet.
                families.0.worker_last_pass_age.set(f64::NAN);
                families.0.worker_expiry_lateness.set(f64::NAN);
                Some(families)
            }
            Err(error) => {
                tracing::error!(%error, "the metric definitions were refused; /metrics will be empty");
                None
            }
        };
        Self {
            families,
            last_pass: Mutex::new(None),
            scraping: tokio::sync::Mutex::new(None),
        }
    }

    /// An HTTP request starts; the guard counts it in flight until dropped.
    pub fn request_started(&self) -> InFlight<'_> {
        if let Some((live, _)) = &self.families {
            live.http_in_flight.inc();
        }
        InFlight(self)
    }

    /// An HTTP request was answered. `route` is the matched route template
    /// (or [`UNMATCHED_ROUTE`]), never the raw path.
    pub fn request_answered(&self, route: &str, method: &str, status: &str, elapsed: Duration) {
        let Some((live, _)) = &self.families else {
            return;
        };
        let labels = [route, method, status];
        if let Ok(counter) = live.http_requests.get_metric_with_label_values(&labels) {
            counter.inc();
        }
        if let Ok(histogram) = live.http_duration.get_metric_with_label_values(&labels) {
            histogram.observe(elapsed.as_secs_f64());
        }
    }

    /// A background pass finished; `expiry_lateness` is how late the
    /// earliest access it expired was removed, when it expired any.
    pub fn worker_pass_finished(&self, expiry_lateness: Option<Duration>) {
        *self
            .last_pass
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(Instant::now());
        if let (Some((live, _)), Some(late)) = (&self.families, expiry_lateness) {
            live.worker_expiry_lateness.set(late.as_secs_f64());
        }
    }

    /// The text format: what the process counted, the pool, and what the
    /// database says now (`now` in Unix seconds).
    pub async fn render(&self, db: &Db, now: i64) -> String {
        let Some((live, stored)) = &self.families else {
            return "# metrics are unavailable: see the server's log\n".to_owned();
        };
        let mut ended = self.scraping.lock().await;
        let count_ended = ended.as_ref().is_none_or(|(counted_at, _)| {
            now - counted_at >= ENDED_RECOUNT_SECONDS || now < *counted_at
        });
        let (size, in_use) = db.pool_use();
        live.pool_size.set(i64::try_from(size).unwrap_or(i64::MAX));
        live.pool_in_use
            .set(i64::try_from(in_use).unwrap_or(i64::MAX));
        let last_pass = *self
            .last_pass
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        live.worker_last_pass_age
            .set(last_pass.map_or(f64::NAN, |at| at.elapsed().as_secs_f64()));

        let started = Instant::now();
        let read = tokio::time::timeout(
            SCRAPE_READ_TIMEOUT,
            db.read(move |conn| store::metrics::snapshot(conn, now, count_ended)),
        )
        .await;
        live.scrape_duration.set(started.elapsed().as_secs_f64());
        let snapshot = match read {
            Ok(Ok(snapshot)) => Some(snapshot),
            Ok(Err(error)) => {
                tracing::warn!(%error, "metrics: cannot read the database");
                None
            }
            Err(_) => {
                tracing::warn!(
                    "metrics: the database read took longer than {SCRAPE_READ_TIMEOUT:?}"
                );
                None
            }
        };
        live.database_up.set(i64::from(snapshot.is_some()));
        let mut families = live.registry.gather();
        if let Some(mut snapshot) = snapshot {
            if let Some(counted) = snapshot.ended.take() {
                *ended = Some((now, counted));
            }
            let ended = ended
                .as_ref()
                .map_or(&[][..], |(_, counts)| counts.as_slice());
            stored.fill(&snapshot, ended, now);
            families.extend(stored.registry.gather());
        }
        families.sort_by(|a, b| a.name().cmp(b.name()));
        let mut text = Vec::new();
        if let Err(error) = TextEncoder::new().encode(&families, &mut text) {
            tracing::error!(%error, "metrics: cannot encode");
        }
        String::from_utf8(text).unwrap_or_default()
    }
}

/// Counts one request in flight while alive.
pub struct InFlight<'a>(&'a Metrics);

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        if let Some((live, _)) = &self.0.families {
            live.http_in_flight.dec();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_metric_definition_is_accepted() {
        let metrics = Metrics::new();
        assert!(metrics.families.is_some());
    }
}
