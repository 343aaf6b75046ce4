//! The service on the main address. The server listens before it opens and
//! migrates its database, answering with [`crate::app::starting_app`]
//! (liveness 200, readiness 503) until the application is ready, then with
//! the application. Each request carries the peer's address, as
//! `into_make_service_with_connect_info` would give it.

use std::{
    convert::Infallible,
    net::SocketAddr,
    sync::{Arc, OnceLock},
    task::{Context, Poll},
};

use axum::{
    Router,
    body::Body,
    extract::ConnectInfo,
    http::Request,
    response::Response,
    serve::{IncomingStream, Listener},
};
use tower::{Service, ServiceExt, util::Oneshot};

/// Where the application goes once it is ready.
#[derive(Clone, Default)]
pub struct AppSlot(Arc<OnceLock<Router>>);

impl AppSlot {
    /// From now on requests go to `app` (only the first call counts).
    pub fn fill(&self, app: Router) {
        let _ = self.0.set(app);
    }
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
}

impl<'a, L> Service<IncomingStream<'a, L>> for Switchboard
where
    L: Listener<Addr = SocketAddr>,
{
    type Response = Switch;
    type Error = Infallible;
    type Future = std::future::Ready<Result<Switch, Infallible>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, stream: IncomingStream<'a, L>) -> Self::Future {
        std::future::ready(Ok(Switch {
            board: self.clone(),
            peer: *stream.remote_addr(),
        }))
    }
}

/// The service of one connection.
#[derive(Clone)]
pub struct Switch {
    board: Switchboard,
    peer: SocketAddr,
}

impl Service<Request<Body>> for Switch {
    type Response = Response;
    type Error = Infallible;
    type Future = Oneshot<Router, Request<Body>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, mut request: Request<Body>) -> Self::Future {
        request.extensions_mut().insert(ConnectInfo(self.peer));
        let router = match self.board.slot.0.get() {
            Some(app) => app.clone(),
            None => self.board.starting.clone(),
        };
        router.oneshot(request)
    }
}
