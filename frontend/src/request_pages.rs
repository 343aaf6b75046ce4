//! The pages of a request list fetched so far: the first page (loaded again
//! whenever the filter or any request changes) plus those "Load more" added.

use gatehouse_shared::{
    RequestStatus,
    requests::{AccessRequest, RequestPage},
};
use leptos::prelude::*;

use crate::{
    api::{self, RequestList},
    loading::load_answer,
    refresh::use_refresh,
};

const PAGE: u32 = 20;

#[derive(Clone, Copy)]
pub struct RequestPages {
    first: Memo<Option<RequestPage>>,
    more: RwSignal<Vec<AccessRequest>>,
    next: RwSignal<Option<i64>>,
    load_more: Action<i64, Result<RequestPage, gatehouse_shared::ApiError>>,
    /// Why the list or its next page could not be loaded.
    pub failure: Signal<Option<String>>,
}

impl RequestPages {
    pub fn new(list: RequestList, statuses: Signal<Vec<RequestStatus>>) -> Self {
        Self::sized(list, statuses, PAGE)
    }

    /// Pages of `page` requests (the review console loads as many as it
    /// can decide at once).
    pub fn sized(list: RequestList, statuses: Signal<Vec<RequestStatus>>, page: u32) -> Self {
        let refresh = use_refresh();
        let resource = load_answer(move || {
            refresh.version.track();
            statuses.with(|statuses| api::requests(list, statuses, None, page))
        });
        let first = Memo::new(
            move |previous: Option<&Option<RequestPage>>| match resource.get() {
                Some(Ok(page)) => Some(page),
                _ => previous.cloned().flatten(),
            },
        );
        let more = RwSignal::new(Vec::<AccessRequest>::new());
        let next = RwSignal::new(None::<i64>);
        Effect::new(move |_| {
            let cursor = first.with(|p| p.as_ref().and_then(|p| p.next_cursor));
            more.set(Vec::new());
            next.set(cursor);
        });
        let load_more = Action::new_local(move |cursor: &i64| {
            let cursor = *cursor;
            let statuses = statuses.get_untracked();
            async move { api::list_requests(list, &statuses, Some(cursor), page).await }
        });
        Effect::new(move |_| {
            if let Some(Ok(page)) = load_more.value().get() {
                more.update(|more| more.extend(page.items));
                next.set(page.next_cursor);
            }
        });
        let failure = Signal::derive(move || {
            resource
                .get()
                .and_then(Result::err)
                .or_else(|| load_more.value().get().and_then(Result::err))
                .map(|error| error.message)
        });
        RequestPages {
            first,
            more,
            next,
            load_more,
            failure,
        }
    }

    /// Every request loaded so far, newest first.
    pub fn items(self) -> Vec<AccessRequest> {
        let mut items = self
            .first
            .with(|p| p.as_ref().map(|p| p.items.clone()).unwrap_or_default());
        self.more.with(|more| items.extend(more.iter().cloned()));
        items
    }

    /// Nothing has arrived yet.
    pub fn loading(self) -> bool {
        self.first.with(Option::is_none)
    }

    /// Loaded, and nothing matches.
    pub fn is_empty(self) -> bool {
        self.first
            .with(|p| p.as_ref().is_some_and(|p| p.items.is_empty()))
    }

    pub fn has_more(self) -> bool {
        self.next.with(Option::is_some)
    }

    pub fn loading_more(self) -> bool {
        self.load_more.pending().get()
    }

    pub fn load_more(self) {
        if let Some(cursor) = self.next.get_untracked() {
            self.load_more.dispatch_local(cursor);
        }
    }
}
