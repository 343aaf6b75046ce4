//! Assist: plain-language text in, ranked suggestions of what the caller may
//! request out (resources with the permission that fits, and bundles), each
//! with a short reason. Also what the permission words of a text ask for.

use serde::{Deserialize, Serialize};

/// `POST /api/v1/assist`: what the requester needs, in their own words.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AssistQuery {
    /// e.g. "I need to read last month's invoices" (1 to 500 characters).
    pub text: String,
    /// Suggest what the caller may request on behalf of this user.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grantee_id: Option<i64>,
    /// At most this many suggestions (1 to 20, default 8).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
}

/// What kind of thing a suggestion adds to the selection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum SuggestionKind {
    Resource,
    Bundle,
}

/// One suggestion, best first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Suggestion {
    pub kind: SuggestionKind,
    /// The resource's id, or the bundle's.
    pub id: i64,
    pub name: String,
    /// The resource's path; the bundle's description.
    pub detail: String,
    /// e.g. "Prod PostgreSQL · table"; "Bundle" for bundles.
    pub source: String,
    /// The permission that fits the text and the caller may request
    /// (None for bundles, which carry their own).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub permission: Option<String>,
    /// e.g. "matches 'invoices' in billing.invoices; you requested it on 3 Nov".
    pub reason: String,
    /// The duration of the caller's last request of it, to pre-fill.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_seconds: Option<i64>,
    /// Relevance, higher is better; only comparable within one answer.
    pub score: f64,
}

/// The answer to `POST /api/v1/assist`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AssistAnswer {
    /// What level the text asks for: `read`, `write`, `admin`, or None.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub intent: Option<Intent>,
    pub suggestions: Vec<Suggestion>,
}

/// The level of access a text asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Intent {
    Read,
    Write,
    Admin,
}

impl Intent {
    /// Read before write before admin.
    pub const fn rank(self) -> u8 {
        match self {
            Intent::Read => 0,
            Intent::Write => 1,
            Intent::Admin => 2,
        }
    }
}

/// The alias table: a word and what it also means ("db" → "database").
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AssistAliases {
    pub aliases: Vec<Alias>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Alias {
    /// One word, lower case, e.g. "k8s".
    pub term: String,
    /// Words it stands for, e.g. ["kubernetes"].
    pub means: Vec<String>,
}

const READ_WORDS: &[&str] = &[
    "read",
    "reading",
    "look",
    "looking",
    "see",
    "view",
    "viewing",
    "check",
    "checking",
    "inspect",
    "inspecting",
    "query",
    "querying",
    "investigate",
    "investigating",
    "debug",
    "debugging",
    "audit",
    "auditing",
    "report",
    "reporting",
    "analyse",
    "analyze",
    "analysing",
    "analyzing",
    "browse",
    "explore",
    "export",
    "download",
    "readonly",
    "read-only",
    "monitor",
    "review",
    "reviewing",
    "count",
    "compare",
    "reconcile",
];
const WRITE_WORDS: &[&str] = &[
    "write",
    "writing",
    "fix",
    "fixing",
    "deploy",
    "deploying",
    "update",
    "updating",
    "change",
    "changing",
    "modify",
    "edit",
    "editing",
    "push",
    "pushing",
    "migrate",
    "migrating",
    "backfill",
    "delete",
    "deleting",
    "insert",
    "patch",
    "patching",
    "release",
    "merge",
    "commit",
    "upload",
    "restore",
    "correct",
    "repair",
    "rotate",
    "write-access",
    "read-write",
];
const ADMIN_WORDS: &[&str] = &[
    "admin",
    "administer",
    "administrator",
    "manage",
    "managing",
    "owner",
    "superuser",
    "configure",
    "configuring",
    "root",
    "maintain",
    "maintainer",
];

/// The strongest level the words of `text` ask for (admin over write over read).
pub fn intent_of(text: &str) -> Option<Intent> {
    let words: Vec<String> = text
        .split(|c: char| !c.is_alphanumeric() && c != '-')
        .map(str::to_lowercase)
        .collect();
    let has = |list: &[&str]| words.iter().any(|w| list.contains(&w.as_str()));
    if has(ADMIN_WORDS) {
        Some(Intent::Admin)
    } else if has(WRITE_WORDS) {
        Some(Intent::Write)
    } else if has(READ_WORDS) {
        Some(Intent::Read)
    } else {
        None
    }
}

/// The level of access a permission name reads as: the only order of
/// permissions Gatehouse knows (the catalog itself stores no rank).
pub fn permission_level(permission: &str) -> Intent {
    let name = permission.to_lowercase();
    if name.contains("admin") || name.contains("owner") || name.contains("maintainer") {
        Intent::Admin
    } else if name.contains("write") || name.contains("edit") || name.contains("developer") {
        Intent::Write
    } else {
        // read, read-only, view, member, assume, …
        Intent::Read
    }
}

/// How well a permission name fits an intent: 0 is the best fit; the least
/// privilege among equals (read before write before admin).
pub fn permission_fit(intent: Option<Intent>, permission: &str) -> u8 {
    let level = permission_level(permission);
    let wanted = intent.unwrap_or(Intent::Read);
    if level == wanted {
        0
    } else if level.rank() > wanted.rank() {
        // More than asked: fits, but grants too much.
        1 + level.rank() - wanted.rank()
    } else {
        // Less than asked: will not do the job.
        4 + wanted.rank() - level.rank()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn looking_reads_fixing_writes_and_managing_administers() {
        assert_eq!(
            intent_of("I need to read last month's invoices"),
            Some(Intent::Read)
        );
        assert_eq!(intent_of("look at the orders table"), Some(Intent::Read));
        assert_eq!(intent_of("fix the deploy scripts"), Some(Intent::Write));
        assert_eq!(intent_of("manage the platform team"), Some(Intent::Admin));
        assert_eq!(intent_of("billing"), None);
    }

    #[test]
    fn the_fitting_permission_is_the_least_that_does_the_job() {
        fn best<'a>(intent: Option<Intent>, names: &[&'a str]) -> Option<&'a str> {
            names
                .iter()
                .min_by_key(|name| permission_fit(intent, name))
                .copied()
        }
        let table = ["read-only", "read-write"];
        assert_eq!(best(Some(Intent::Read), &table), Some("read-only"));
        assert_eq!(best(Some(Intent::Write), &table), Some("read-write"));
        assert_eq!(best(None, &table), Some("read-only"));
        assert_eq!(best(Some(Intent::Admin), &table), Some("read-write"));
        assert_eq!(
            best(Some(Intent::Write), &["read", "write", "admin"]),
            Some("write")
        );
    }
}
