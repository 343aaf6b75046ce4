//! The state every admin page shares: its filters and the open editor live in
//! the URL (`?edit=new`, `?edit=12`), the list reloads after a change, and
//! one item may be waiting for a delete confirmation.

use gloo_net::http::RequestBuilder;
use leptos::prelude::*;
use leptos_router::{
    NavigateOptions,
    hooks::{use_location, use_navigate, use_query_map},
    params::ParamsMap,
};
use serde::de::DeserializeOwned;

use crate::loading::load_answer;

/// What the `edit` parameter says: nothing open, a new item, or item `id`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Editing {
    New,
    Existing(i64),
}

impl Editing {
    pub fn parse(value: Option<&str>) -> Option<Self> {
        match value? {
            "new" => Some(Editing::New),
            id => id.parse().ok().map(Editing::Existing),
        }
    }
}

#[derive(Clone, Copy)]
pub struct AdminPage {
    query: Memo<ParamsMap>,
    /// Bumped after a save or delete: the page's lists load again.
    pub version: RwSignal<u64>,
    /// The item (id, name) whose delete waits for confirmation.
    pub deleting: RwSignal<Option<(i64, String)>>,
    go: StoredValue<Box<dyn Fn(String)>, LocalStorage>,
}

impl AdminPage {
    pub fn new() -> Self {
        let navigate = use_navigate();
        let location = use_location();
        let go: Box<dyn Fn(String)> = Box::new(move |query: String| {
            let target = format!("{}{query}", location.pathname.get_untracked());
            navigate(
                &target,
                NavigateOptions {
                    scroll: false,
                    ..Default::default()
                },
            );
        });
        AdminPage {
            query: use_query_map(),
            version: RwSignal::new(0),
            deleting: RwSignal::new(None),
            go: StoredValue::new_local(go),
        }
    }

    /// A query parameter, empty values read as absent (tracked).
    pub fn param(self, key: &str) -> Option<String> {
        self.query
            .with(|q| q.get(key))
            .filter(|value| !value.trim().is_empty())
    }

    /// Change some parameters (None removes one) and go there.
    pub fn set_params(self, changes: &[(&'static str, Option<String>)]) {
        let mut query = self.query.get_untracked();
        for (key, value) in changes {
            match value {
                Some(value) if !value.is_empty() => query.replace(*key, value.clone()),
                _ => {
                    query.remove(key);
                }
            }
        }
        let query = query.to_query_string();
        self.go.with_value(|go| go(query));
    }

    /// Which editor is open (tracked).
    pub fn editing(self) -> Option<Editing> {
        Editing::parse(self.param("edit").as_deref())
    }

    pub fn open(self, id: Option<i64>) {
        let value = id.map_or_else(|| "new".to_owned(), |id| id.to_string());
        self.set_params(&[("edit", Some(value))]);
    }

    pub fn close(self) {
        self.set_params(&[("edit", None)]);
    }

    /// A save went through: close the editor and load the lists again.
    pub fn saved(self) {
        self.version.update(|v| *v += 1);
        self.close();
    }
}

/// A list an admin page shows: the last answer (kept while it reloads) and
/// why loading failed.
#[derive(Clone, Copy)]
pub struct Loaded<T: Send + Sync + 'static> {
    pub items: Memo<Option<T>>,
    pub failure: Signal<Option<String>>,
}

/// Load what `request` asks for now, and again whenever `version` changes.
pub fn load<T>(version: RwSignal<u64>, request: impl Fn() -> RequestBuilder + 'static) -> Loaded<T>
where
    T: DeserializeOwned + Clone + PartialEq + Send + Sync + 'static,
{
    let decoded = load_answer::<T>(move || {
        version.track();
        request()
    });
    let items = Memo::new(move |previous: Option<&Option<T>>| match decoded.get() {
        Some(Ok(items)) => Some(items),
        _ => previous.cloned().flatten(),
    });
    let failure = Signal::derive(move || decoded.get().and_then(Result::err).map(|e| e.message));
    Loaded { items, failure }
}

/// The item the open editor is about: `Some(None)` for a new one, `None`
/// while nothing is open (or the item has not loaded yet).
pub fn editing_item<T>(
    page: AdminPage,
    items: Memo<Option<Vec<T>>>,
    id_of: fn(&T) -> i64,
) -> Memo<Option<Option<T>>>
where
    T: Clone + PartialEq + Send + Sync + 'static,
{
    Memo::new(move |_| match page.editing()? {
        Editing::New => Some(None),
        Editing::Existing(id) => items
            .with(|items| {
                items
                    .as_ref()?
                    .iter()
                    .find(|item| id_of(item) == id)
                    .cloned()
            })
            .map(Some),
    })
}

/// "a, b ,, c" → ["a", "b", "c"]: lists typed as comma-separated text.
pub fn split_list(text: &str) -> Vec<String> {
    text.split(',')
        .map(str::trim)
        .filter(|part| !part.is_empty())
        .map(str::to_owned)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_edit_parameter_names_new_or_an_id() {
        assert_eq!(Editing::parse(Some("new")), Some(Editing::New));
        assert_eq!(Editing::parse(Some("12")), Some(Editing::Existing(12)));
        assert_eq!(Editing::parse(Some("x")), None);
        assert_eq!(Editing::parse(None), None);
    }

    #[test]
    fn comma_separated_lists_drop_blanks() {
        assert_eq!(
            split_list(" read, write ,,admin "),
            ["read", "write", "admin"]
        );
        assert!(split_list(" , ").is_empty());
    }
}
