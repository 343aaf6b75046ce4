//! A version number bumped after any change to a request, so every list,
//! count and panel showing requests loads again.

use gatehouse_shared::{ApiError, requests::AccessRequest};
use leptos::prelude::*;

use crate::api::{self, RequestAction};

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

/// Acting on request `id` from a card or panel: when it goes through, `done`
/// runs and everything showing requests loads again; a refusal's message goes
/// to `failure`.
pub fn request_action(
    id: i64,
    failure: RwSignal<Option<String>>,
    done: Callback<()>,
) -> Action<RequestAction, Result<AccessRequest, ApiError>> {
    let refresh = use_refresh();
    let act =
        Action::new_local(move |action: &RequestAction| api::act_on_request(id, action.clone()));
    Effect::new(move |_| match act.value().get() {
        Some(Ok(_)) => {
            done.run(());
            refresh.bump();
        }
        Some(Err(error)) => failure.set(Some(error.message)),
        None => {}
    });
    act
}
