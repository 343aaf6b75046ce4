//! A version number bumped after any change to a request, so every list,
//! count and panel showing requests loads again.

use leptos::prelude::*;

#[derive(Debug, Clone, Copy)]
pub struct Refresh {
    pub version: RwSignal<u64>,
}

impl Refresh {
    pub fn provide() -> Self {
        let refresh = Refresh {
            version: RwSignal::new(0),
        };
        provide_context(refresh);
        refresh
    }

    /// Something changed: load again.
    pub fn bump(self) {
        self.version.update(|v| *v += 1);
    }
}

pub fn use_refresh() -> Refresh {
    expect_context::<Refresh>()
}
