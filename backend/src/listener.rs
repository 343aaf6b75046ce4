//! The service on the main address, and the loop that accepts its
//! connections.
//!
//! The server listens before it opens and migrates its database, answering
//! with [`crate::app::starting_app`] (liveness 200, readiness 503) until the
//! application is ready, then with the application. Each request carries
//! the peer's address, as `into_make_service_with_connect_info` would give it.
//!
//! Connections are bounded ([`ConnectionLimits`]): a request head must
//! arrive within `--header-timeout` of the connection opening or of the
//! previous response (so an idle kept-alive connection is closed after the
//! same time), a request body must arrive within `--body-timeout` (else
//! 408), and at most `--max-connections` are open at once: past that, new
//! connections wait in the kernel's listen queue until one closes, and the
//! log says so. (axum's own `serve` gives hyper no timer, so a client that
//! sent half a request head held its connection for ever.)

use std::{
    convert::Infallible,
    net::SocketAddr,
    pin::pin,
    sync::{Arc, OnceLock},
    task::{Context, Poll},
    time::{Duration, Instant},
};

use axum::{Router, body::Body, extract::ConnectInfo, http::Request, response::Response};
use hyper_util::{
    rt::{TokioIo, TokioTimer},
    service::TowerToHyperService,
};
use tokio::{net::TcpListener, sync::Semaphore};
use tokio_util::sync::CancellationToken;
use tower::{Service, ServiceExt, util::Oneshot};
use tower_http::timeout::TimeoutBody;

/// Where the application goes once it is ready.
#[derive(Clone, Default)]
pub struct AppSlot(Arc<OnceLock<Router>>);

impl AppSlot {
    /// From now on requests go to `app` (only the first call counts).
    pub fn fill(&self, app: Router) {
        let _ = self.0.set(app);
    }
}

/// How long a client may take and how many may be connected at once.
#[derive(Debug, Clone, Copy, clap::Args)]
pub struct ConnectionLimits {
    /// Seconds a client has to send a request's head (line and headers),
    /// counted from the connection opening or from the previous response:
    /// a connection that sends none in that time (half a head, or an idle
    /// kept-alive one) is closed.
    #[arg(long = "header-timeout", env = "GATEHOUSE_HEADER_TIMEOUT", default_value_t = 10,
          value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub header_timeout_seconds: u64,
    /// Seconds a client has to send a request's body once its head arrived
    /// (answered 408 when it takes longer).
    #[arg(long = "body-timeout", env = "GATEHOUSE_BODY_TIMEOUT", default_value_t = 30,
          value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub body_timeout_seconds: u64,
    /// Most connections open at once; more wait in the listen queue. Default:
    /// three quarters of the open-file limit (raised to its hard limit at
    /// start), at most 10,000.
    #[arg(long = "max-connections", env = "GATEHOUSE_MAX_CONNECTIONS",
          value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    pub max_connections: Option<u64>,
}

impl Default for ConnectionLimits {
    fn default() -> Self {
        Self {
            header_timeout_seconds: 10,
            body_timeout_seconds: 30,
            max_connections: None,
        }
    }
}

impl ConnectionLimits {
    fn header_timeout(&self) -> Duration {
        Duration::from_secs(self.header_timeout_seconds)
    }

    fn body_timeout(&self) -> Duration {
        Duration::from_secs(self.body_timeout_seconds)
    }

    /// The cap on open connections: as configured, or derived from the
    /// open-file limit.
    pub fn connection_cap(&self) -> usize {
        match self.max_connections {
            Some(cap) => usize::try_from(cap).unwrap_or(usize::MAX),
            None => default_connection_cap(open_file_limit()),
        }
    }
}

/// Three quarters of the open-file limit (the rest is for the database,
/// connectors and files), between 64 and 10,000.
fn default_connection_cap(open_files: u64) -> usize {
    usize::try_from((open_files / 4 * 3).clamp(64, 10_000)).unwrap_or(10_000)
}

/// Raise the soft open-file limit to the hard one (as Go's runtime does),
/// so the connection cap, not the file limit, is what a crowd of clients
/// meets first. Returns the soft limit now in force.
pub fn raise_open_file_limit() -> u64 {
    #[cfg(unix)]
    {
        let Some(limit) = open_files() else {
            return 1024;
        };
        let raised = libc::rlimit {
            rlim_cur: limit.rlim_max,
            rlim_max: limit.rlim_max,
        };
        // SAFETY: setrlimit only reads the struct, which outlives the call.
        if limit.rlim_cur < limit.rlim_max
            && unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &raised) } == 0
        {
            return raised.rlim_cur;
        }
        limit.rlim_cur
    }
    #[cfg(not(unix))]
    {
        1024
    }
}

/// The soft open-file limit (1024 when it cannot be read).
fn open_file_limit() -> u64 {
    #[cfg(unix)]
    {
        open_files().map_or(1024, |limit| limit.rlim_cur)
    }
    #[cfg(not(unix))]
    {
        1024
    }
}

#[cfg(unix)]
fn open_files() -> Option<libc::rlimit> {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit only writes the struct, which outlives the call.
    (unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } == 0).then_some(limit)
}

/// Makes one [`Switch`] per connection.
#[derive(Clone)]
pub struct Switchboard {
    slot: AppSlot,
    starting: Router,
}

impl Switchboard {
    pub fn new(slot: AppSlot) -> Self {
        Self {
            slot,
            starting: crate::app::starting_app(),
        }
    }

    fn switch(&self, peer: SocketAddr, body_timeout: Duration) -> Switch {
        Switch {
            board: self.clone(),
            peer,
            body_timeout,
        }
    }
}

/// The service of one connection.
#[derive(Clone)]
pub struct Switch {
    board: Switchboard,
    peer: SocketAddr,
    body_timeout: Duration,
}

impl Service<Request<Body>> for Switch {
    type Response = Response;
    type Error = Infallible;
    type Future = Oneshot<Router, Request<Body>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request<Body>) -> Self::Future {
        let timeout = self.body_timeout;
        let mut request = request.map(|body| Body::new(TimeoutBody::new(timeout, body)));
        request.extensions_mut().insert(ConnectInfo(self.peer));
        let router = match self.board.slot.0.get() {
            Some(app) => app.clone(),
            None => self.board.starting.clone(),
        };
        router.oneshot(request)
    }
}

/// How often the log may say that the connection cap is reached.
const CAP_LOG_EVERY: Duration = Duration::from_secs(60);

/// Accept connections on `listener` and serve each with HTTP/1.1 within
/// `limits`, until `stop`; then stop accepting, let each connection finish
/// the request it is serving, and return when all are closed.
pub async fn serve(
    listener: TcpListener,
    board: Switchboard,
    limits: ConnectionLimits,
    stop: CancellationToken,
) {
    let cap = limits.connection_cap();
    let permits = Arc::new(Semaphore::new(cap));
    // Every connection task holds a receiver; when all are dropped, the
    // last connection has closed.
    let (closed_tx, closed_rx) = tokio::sync::watch::channel(());
    let mut cap_logged: Option<Instant> = None;
    loop {
        if permits.available_permits() == 0
            && cap_logged.is_none_or(|at| at.elapsed() >= CAP_LOG_EVERY)
        {
            tracing::warn!(
                max_connections = cap,
                "connection cap reached: {cap} connections are open; new ones wait in the listen queue until one closes (--max-connections)"
            );
            cap_logged = Some(Instant::now());
        }
        let permit = tokio::select! {
            permit = permits.clone().acquire_owned() => match permit {
                Ok(permit) => permit,
                Err(_) => break,
            },
            () = stop.cancelled() => break,
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    accept_failed(&error).await;
                    continue;
                }
            },
            () = stop.cancelled() => break,
        };
        let _ = stream.set_nodelay(true);
        let service = TowerToHyperService::new(
            board
                .switch(peer, limits.body_timeout())
                .map_request(|request: Request<hyper::body::Incoming>| request.map(Body::new)),
        );
        let header_timeout = limits.header_timeout();
        let stop = stop.clone();
        let closed = closed_rx.clone();
        tokio::spawn(async move {
            let mut builder = hyper::server::conn::http1::Builder::new();
            builder
                .timer(TokioTimer::new())
                .header_read_timeout(header_timeout)
                .keep_alive(true);
            let mut connection = pin!(
                builder
                    .serve_connection(TokioIo::new(stream), service)
                    .with_upgrades()
            );
            tokio::select! {
                outcome = connection.as_mut() => {
                    if let Err(error) = outcome {
                        tracing::debug!(%peer, %error, "connection closed");
                    }
                }
                () = stop.cancelled() => {
                    // Finish the request under way (if any), then close.
                    connection.as_mut().graceful_shutdown();
                    let _ = connection.as_mut().await;
                }
            }
            drop(permit);
            drop(closed);
        });
    }
    drop(closed_rx);
    drop(listener);
    closed_tx.closed().await;
}

/// After a failed accept: a connection that failed before we took it is
/// nothing to wait for; running out of files (or memory) is, or the loop
/// would spin.
async fn accept_failed(error: &std::io::Error) {
    use std::io::ErrorKind;
    if matches!(
        error.kind(),
        ErrorKind::ConnectionAborted | ErrorKind::ConnectionReset | ErrorKind::Interrupted
    ) {
        return;
    }
    tracing::error!(%error, "cannot accept a connection; trying again in 100 ms");
    tokio::time::sleep(Duration::from_millis(100)).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_cap_leaves_room_for_files_and_stays_sane() {
        assert_eq!(default_connection_cap(1024), 768);
        assert_eq!(default_connection_cap(20_000), 10_000);
        assert_eq!(default_connection_cap(16), 64);
        let limits = ConnectionLimits {
            max_connections: Some(5),
            ..ConnectionLimits::default()
        };
        assert_eq!(limits.connection_cap(), 5);
    }
}
