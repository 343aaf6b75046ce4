//! The New Request draft this tab is building: who gets the access and the
//! selected resources with the permission chosen for each. It lives in the
//! tab's session storage, so a reload, Next and Back lose nothing.

use std::collections::BTreeMap;

use gatehouse_shared::{
    catalog::Resource,
    requests::{ItemSelection, UserRef},
};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

const DRAFT_KEY: &str = "gatehouse.new-request.draft";

/// A selected resource, with what the list row showed about it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DraftResource {
    pub id: i64,
    pub name: String,
    pub path: String,
    pub integration_name: String,
    pub resource_type_name: String,
    /// The permissions the row offered (narrowed to what the flows allow).
    pub permissions: Vec<String>,
    /// The one asked for; the first offered unless the requester chose.
    pub permission: String,
}

impl DraftResource {
    pub fn from_resource(resource: &Resource) -> Self {
        let permissions: Vec<String> = resource
            .permissions
            .iter()
            .map(|p| p.name.clone())
            .collect();
        DraftResource {
            id: resource.id,
            name: resource.name.clone(),
            path: resource.path.clone(),
            integration_name: resource.integration_name.clone(),
            resource_type_name: resource.resource_type_name.clone(),
            permission: permissions.first().cloned().unwrap_or_default(),
            permissions,
        }
    }
}

/// Selected resources by id.
pub type Selection = BTreeMap<i64, DraftResource>;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Draft {
    /// Someone else to receive the access; `None` means me.
    pub grantee: Option<UserRef>,
    pub resources: Selection,
}

impl Draft {
    /// The form's items: each selected resource with its permission.
    pub fn items(&self) -> Vec<ItemSelection> {
        self.resources
            .values()
            .map(|r| ItemSelection {
                resource_id: r.id,
                permission: r.permission.clone(),
            })
            .collect()
    }
}

/// The draft, shared by the New Request steps through a typed context.
#[derive(Debug, Clone, Copy)]
pub struct DraftStore {
    pub draft: RwSignal<Draft>,
}

impl DraftStore {
    /// Read the draft from session storage and save every change back.
    pub fn provide() -> Self {
        let draft = RwSignal::new(load());
        Effect::new(move |_| draft.with(save));
        let store = DraftStore { draft };
        provide_context(store);
        store
    }
}

pub fn use_draft() -> DraftStore {
    expect_context::<DraftStore>()
}

fn load() -> Draft {
    window()
        .session_storage()
        .ok()
        .flatten()
        .and_then(|storage| storage.get_item(DRAFT_KEY).ok().flatten())
        .and_then(|json| serde_json::from_str(&json).ok())
        .unwrap_or_default()
}

fn save(draft: &Draft) {
    let Some(storage) = window().session_storage().ok().flatten() else {
        return;
    };
    let result = if *draft == Draft::default() {
        storage.remove_item(DRAFT_KEY)
    } else {
        match serde_json::to_string(draft) {
            Ok(json) => storage.set_item(DRAFT_KEY, &json),
            Err(_) => Ok(()),
        }
    };
    // Storage may be full or disabled; the draft still works in memory.
    let _ = result;
}
