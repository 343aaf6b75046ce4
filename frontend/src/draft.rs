//! The New Request draft this tab is building: who gets the access and the
//! selected resources with the permission chosen for each. It lives in the
//! tab's session storage, so a reload, Next and Back lose nothing.

use std::collections::{BTreeMap, BTreeSet};

use gatehouse_shared::{
    catalog::{Bundle, BundleItem, Resource},
    requests::{BundleSelection, ItemSelection, UserRef},
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

/// A bundle taken on the Bundles tab: all its resources, or those ticked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DraftBundle {
    pub id: i64,
    pub name: String,
    pub items: Vec<BundleItem>,
    pub resource_ids: BTreeSet<i64>,
}

impl DraftBundle {
    /// The whole bundle (the default when a bundle card is chosen).
    pub fn whole(bundle: &Bundle) -> Self {
        DraftBundle {
            id: bundle.id,
            name: bundle.name.clone(),
            items: bundle.items.clone(),
            resource_ids: bundle.items.iter().map(|i| i.resource_id).collect(),
        }
    }

    /// Every distinct resource of the bundle.
    pub fn all_resource_ids(&self) -> BTreeSet<i64> {
        self.items.iter().map(|i| i.resource_id).collect()
    }

    /// What the form sends: no list when the whole bundle is taken.
    pub fn selection(&self) -> BundleSelection {
        let whole = self.resource_ids == self.all_resource_ids();
        BundleSelection {
            bundle_id: self.id,
            resource_ids: (!whole).then(|| self.resource_ids.iter().copied().collect()),
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Draft {
    /// Someone else to receive the access; `None` means me.
    pub grantee: Option<UserRef>,
    pub resources: Selection,
    /// A bundle from the Bundles tab, if one was chosen.
    #[serde(default)]
    pub bundle: Option<DraftBundle>,
    /// A duration to start the details step with (an Assist suggestion's
    /// last duration), kept only when the flows offer it.
    #[serde(default)]
    pub duration_seconds: Option<i64>,
}

impl Draft {
    /// Nothing chosen yet (no resource, no bundle resource).
    pub fn is_empty(&self) -> bool {
        self.resources.is_empty()
            && self
                .bundle
                .as_ref()
                .is_none_or(|b| b.resource_ids.is_empty())
    }

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

#[cfg(test)]
mod tests {
    use super::*;

    fn bundle() -> Bundle {
        let item = |resource_id: i64, permission: &str| BundleItem {
            resource_id,
            resource_name: format!("r{resource_id}"),
            integration_name: "GitHub".into(),
            resource_type_name: "repository".into(),
            permission: permission.into(),
        };
        Bundle {
            id: 3,
            name: "New engineer onboarding".into(),
            description: String::new(),
            resource_count: 2,
            items: vec![item(1, "read"), item(1, "write"), item(2, "read")],
        }
    }

    #[test]
    fn a_whole_bundle_is_sent_without_a_resource_list() {
        let whole = DraftBundle::whole(&bundle());
        assert_eq!(whole.selection().resource_ids, None);
        let mut part = whole.clone();
        part.resource_ids.remove(&1);
        assert_eq!(part.selection().resource_ids, Some(vec![2]));
    }

    #[test]
    fn a_draft_with_a_bundle_subset_is_not_empty_until_nothing_is_ticked() {
        let mut draft = Draft {
            bundle: Some(DraftBundle::whole(&bundle())),
            ..Default::default()
        };
        assert!(!draft.is_empty());
        if let Some(bundle) = draft.bundle.as_mut() {
            bundle.resource_ids.clear();
        }
        assert!(draft.is_empty());
    }
}
