//! What every handler can reach: the database, the clock and the portal.

use std::sync::Arc;

use crate::{clock::Clock, db::Db, portal::Portal};

#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub clock: Arc<dyn Clock>,
    pub portal: Arc<Portal>,
}

impl AppState {
    pub fn new(db: Db, clock: Arc<dyn Clock>) -> Self {
        Self {
            db,
            clock,
            portal: Arc::new(Portal::load()),
        }
    }

    pub fn now(&self) -> time::OffsetDateTime {
        self.clock.now()
    }
}
