//! Assist: plain-language text in, what the caller may request out, ranked.
//!
//! Fully offline: BM25 over each resource's name, path, tags, resource type
//! and integration (and each bundle's name, description and items), with the
//! admins' alias table ("db" → "database"), typo tolerance (one edit in
//! words of four letters or more, two from eight) and prefixes, and a prior
//! from the caller's own past requests and favorites. The index is built once
//! per catalog generation; the caller's access flows then decide what is
//! offered, and with which permission: the one that fits the text's words
//! ("look at" → read-only, "fix" → write), among those the flows allow.

use std::{
    collections::{HashMap, HashSet},
    sync::Arc,
};

use gatehouse_shared::assist::{
    Alias, AssistAnswer, AssistQuery, Intent, Suggestion, SuggestionKind, intent_of, permission_fit,
};

use crate::{
    error::AppError,
    store::{
        self, Conn,
        assist::{BundleDocument, PastItem, ResourceDocument},
        catalog::CatalogCache,
        flows::{CandidateItem, Flow},
    },
};

/// Suggestions answered when the query names no limit.
pub const DEFAULT_SUGGESTIONS: u32 = 8;
pub const MAX_SUGGESTIONS: u32 = 20;
pub const MAX_TEXT_CHARS: usize = 500;

/// BM25's term-frequency saturation and length normalisation.
const K1: f32 = 1.2;
const B: f32 = 0.75;
/// Field weights: a word in the name counts most.
const NAME_WEIGHT: f32 = 3.0;
const TAG_WEIGHT: f32 = 1.5;
const PATH_WEIGHT: f32 = 1.0;
const KIND_WEIGHT: f32 = 1.0;
const DESCRIPTION_WEIGHT: f32 = 1.0;
/// How much a match through an alias, a typo or a prefix is worth.
const ALIAS_WEIGHT: f32 = 0.7;
const FUZZY_WEIGHT: f32 = 0.8;
const PREFIX_WEIGHT: f32 = 0.5;
/// The caller's history lifts what already matches.
const REQUESTED_BOOST: f32 = 1.3;
const FAVORITE_BOOST: f32 = 1.5;
/// Matches weaker than this share of the best are not worth showing.
const RELATIVE_FLOOR: f32 = 0.25;
/// Ranked matches examined for requestability before giving up.
const MAX_EXAMINED: usize = 5000;

/// Check an Assist query's sizes.
pub fn validate_query(query: &AssistQuery) -> Result<(), AppError> {
    let length = query.text.trim().chars().count();
    if length == 0 {
        return Err(AppError::invalid("text", "Describe what you need."));
    }
    if length > MAX_TEXT_CHARS {
        return Err(AppError::invalid(
            "text",
            format!("The description is at most {} characters.", MAX_TEXT_CHARS),
        ));
    }
    if query
        .limit
        .is_some_and(|limit| !(1..=MAX_SUGGESTIONS).contains(&limit))
    {
        return Err(AppError::invalid(
            "limit",
            format!("Ask for 1 to {} suggestions.", MAX_SUGGESTIONS),
        ));
    }
    Ok(())
}

/// The aliases every installation starts with; admins replace them.
pub fn default_aliases() -> Vec<Alias> {
    let alias = |term: &str, means: &[&str]| Alias {
        term: term.into(),
        means: means.iter().map(|m| (*m).into()).collect(),
    };
    vec![
        alias("db", &["database"]),
        alias("dbs", &["database"]),
        alias("prod", &["production"]),
        alias("production", &["prod"]),
        alias("k8s", &["kubernetes"]),
        alias("pg", &["postgresql"]),
        alias("postgres", &["postgresql"]),
        alias("repo", &["repository"]),
        alias("repos", &["repository"]),
        alias("code", &["repository"]),
        alias("documentation", &["docs"]),
        alias("doc", &["docs"]),
        alias("wiki", &["docs"]),
        alias("invoice", &["billing", "finance"]),
        alias("bill", &["billing"]),
        alias("payment", &["billing"]),
        alias("customer", &["customers"]),
        alias("order", &["orders", "commerce"]),
        alias("stock", &["inventory"]),
        alias("log", &["logs"]),
        alias("bucket", &["s3"]),
        alias("role", &["iam"]),
        alias("incident", &["incidentresponder", "on-call"]),
        alias("oncall", &["on-call", "incident"]),
        alias("dashboard", &["reporting", "analytics"]),
        alias("report", &["reporting", "reports"]),
        alias("metrics", &["analytics"]),
        alias("ml", &["models"]),
        alias("model", &["ml"]),
        alias("terraform", &["infra"]),
        alias("infrastructure", &["infra", "terraform"]),
        alias("frontend", &["web"]),
        alias("team", &["member"]),
        alias("aws", &["amazon"]),
        alias("gh", &["github"]),
        alias("personal", &["pii"]),
        alias("pii", &["customers"]),
    ]
}

/// Words that say nothing about what is wanted.
const STOPWORDS: &[&str] = &[
    "a",
    "an",
    "the",
    "i",
    "me",
    "my",
    "we",
    "our",
    "us",
    "to",
    "of",
    "in",
    "on",
    "at",
    "for",
    "with",
    "from",
    "by",
    "and",
    "or",
    "but",
    "so",
    "as",
    "is",
    "are",
    "be",
    "it",
    "its",
    "this",
    "that",
    "need",
    "needs",
    "want",
    "would",
    "like",
    "please",
    "can",
    "could",
    "get",
    "give",
    "some",
    "any",
    "all",
    "into",
    "about",
    "last",
    "month",
    "months",
    "week",
    "today",
    "yesterday",
    "now",
    "just",
    "do",
    "does",
    "have",
    "has",
    "let",
    "lets",
    "look",
    "looking",
    "see",
    "reading",
    "writing",
    "permission",
    "permissions",
    "level",
    "which",
    "what",
    "there",
    "up",
    "out",
    "again",
    "new",
    "s",
    "t",
    "m",
    "i'm",
    "im",
    "temporary",
    "quick",
    "help",
    "how",
    "where",
    "find",
    "show",
    "few",
    "hours",
    "hour",
    "minutes",
];

/// Words about the level of access: they may name a resource
/// (ReadOnlyAccess) but mostly say how, so they count for little.
const LOW_WORDS: &[&str] = &[
    "read", "only", "readonly", "write", "view", "access", "admin",
];
const LOW_WORD_WEIGHT: f32 = 0.3;

/// A resource or a bundle in the index.
#[derive(Debug, Clone, Copy)]
enum Doc {
    Resource(usize),
    Bundle(usize),
}

/// The catalog as an inverted index, for one catalog generation.
pub struct AssistIndex {
    resources: Vec<ResourceDocument>,
    bundles: Vec<BundleDocument>,
    docs: Vec<Doc>,
    lengths: Vec<f32>,
    average_length: f32,
    vocabulary: HashMap<String, u32>,
    terms: Vec<String>,
    /// Per term: (document, weighted frequency).
    postings: Vec<Vec<(u32, f32)>>,
    /// Words as written in the catalog and the term each stems to: typos are
    /// measured against these ("biling" is one edit from "billing", two from "bill").
    surfaces: Vec<(String, u32)>,
    /// Per resource type: its permission names, in id order.
    permissions: HashMap<i64, Vec<String>>,
}

/// Words of a text, lower case, camelCase and punctuation split, stemmed.
pub fn words(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for raw in text.split(|c: char| !c.is_alphanumeric()) {
        if raw.is_empty() {
            continue;
        }
        let mut current = String::new();
        let mut previous_lower = false;
        for c in raw.chars() {
            if c.is_uppercase() && previous_lower && !current.is_empty() {
                out.push(std::mem::take(&mut current));
            }
            previous_lower = c.is_lowercase() || c.is_ascii_digit();
            current.extend(c.to_lowercase());
        }
        if !current.is_empty() {
            out.push(current);
        }
    }
    out
}

/// A crude English stem: plurals and -ing go, so "invoices" finds "invoice".
pub fn stem(word: &str) -> String {
    let n = word.len();
    if !word.is_ascii() || n <= 3 {
        return word.to_owned();
    }
    if let Some(base) = word.strip_suffix("ies")
        && n > 4
    {
        return format!("{base}y");
    }
    for suffix in ["ches", "shes", "sses", "xes"] {
        if word.ends_with(suffix) {
            return word[..n - 2].to_owned();
        }
    }
    if word.ends_with('s') && !word.ends_with("ss") && !word.ends_with("us") {
        return word[..n - 1].to_owned();
    }
    if let Some(base) = word.strip_suffix("ing")
        && base.len() >= 4
    {
        return base.to_owned();
    }
    word.to_owned()
}

impl AssistIndex {
    pub fn build(conn: Conn<'_>) -> Result<Self, AppError> {
        let resources = store::assist::resource_documents(conn)?;
        let bundles = store::assist::bundle_documents(conn)?;
        let mut permissions: HashMap<i64, Vec<String>> = HashMap::new();
        for (type_id, name) in store::catalog::permission_index(conn)? {
            permissions.entry(type_id).or_default().push(name);
        }
        Ok(Self::from_documents(resources, bundles, permissions))
    }

    pub fn from_documents(
        resources: Vec<ResourceDocument>,
        bundles: Vec<BundleDocument>,
        permissions: HashMap<i64, Vec<String>>,
    ) -> Self {
        let mut index = Self {
            docs: Vec::with_capacity(resources.len() + bundles.len()),
            lengths: Vec::with_capacity(resources.len() + bundles.len()),
            average_length: 1.0,
            vocabulary: HashMap::new(),
            terms: Vec::new(),
            postings: Vec::new(),
            surfaces: Vec::new(),
            permissions,
            resources: Vec::new(),
            bundles: Vec::new(),
        };
        let mut frequencies: HashMap<String, f32> = HashMap::new();
        let mut surfaces: HashMap<String, String> = HashMap::new();
        for (at, resource) in resources.iter().enumerate() {
            frequencies.clear();
            let mut add = |text: &str, weight: f32| {
                for word in words(text) {
                    let stemmed = stem(&word);
                    *frequencies.entry(stemmed.clone()).or_default() += weight;
                    surfaces.entry(word).or_insert(stemmed);
                }
            };
            add(&resource.name, NAME_WEIGHT);
            add(&resource.path, PATH_WEIGHT);
            for tag in &resource.tags {
                add(tag, TAG_WEIGHT);
            }
            add(&resource.resource_type_name, KIND_WEIGHT);
            add(&resource.integration_name, KIND_WEIGHT);
            add(&resource.integration_kind, KIND_WEIGHT);
            index.add_document(Doc::Resource(at), &frequencies);
        }
        for (at, bundle) in bundles.iter().enumerate() {
            frequencies.clear();
            let mut add = |text: &str, weight: f32| {
                for word in words(text) {
                    let stemmed = stem(&word);
                    *frequencies.entry(stemmed.clone()).or_default() += weight;
                    surfaces.entry(word).or_insert(stemmed);
                }
            };
            add(&bundle.name, NAME_WEIGHT);
            add(&bundle.description, DESCRIPTION_WEIGHT);
            for name in &bundle.item_names {
                add(name, PATH_WEIGHT * 0.5);
            }
            add("bundle", KIND_WEIGHT);
            index.add_document(Doc::Bundle(at), &frequencies);
        }
        let total: f32 = index.lengths.iter().sum();
        index.average_length = if index.lengths.is_empty() {
            1.0
        } else {
            (total / index.lengths.len() as f32).max(1.0)
        };
        let mut surfaces: Vec<(String, u32)> = surfaces
            .into_iter()
            .filter_map(|(word, stemmed)| index.vocabulary.get(&stemmed).map(|id| (word, *id)))
            .collect();
        surfaces.sort();
        index.surfaces = surfaces;
        index.resources = resources;
        index.bundles = bundles;
        index
    }

    fn add_document(&mut self, doc: Doc, frequencies: &HashMap<String, f32>) {
        let number = self.docs.len() as u32;
        self.docs.push(doc);
        self.lengths.push(frequencies.values().sum());
        for (term, frequency) in frequencies {
            let id = match self.vocabulary.get(term) {
                Some(id) => *id,
                None => {
                    let id = self.terms.len() as u32;
                    self.vocabulary.insert(term.clone(), id);
                    self.terms.push(term.clone());
                    self.postings.push(Vec::new());
                    id
                }
            };
            self.postings[id as usize].push((number, *frequency));
        }
    }

    pub fn resource_count(&self) -> usize {
        self.resources.len()
    }

    /// Index terms a query word reaches, with the weight of each way in and
    /// whether the way is the word itself.
    fn expand(&self, word: &str, aliases: &HashMap<String, Vec<String>>) -> Vec<(u32, f32, Route)> {
        let mut reached: Vec<(u32, f32, Route)> = Vec::new();
        let stemmed = stem(word);
        let push = |reached: &mut Vec<(u32, f32, Route)>, id: u32, weight: f32, route: Route| {
            if let Some(existing) = reached.iter_mut().find(|(t, _, _)| *t == id) {
                if weight > existing.1 {
                    *existing = (id, weight, route);
                }
            } else {
                reached.push((id, weight, route));
            }
        };
        if let Some(id) = self.vocabulary.get(&stemmed) {
            push(&mut reached, *id, 1.0, Route::Exact);
        } else {
            // Typos and prefixes only when the word itself is unknown.
            let length = stemmed.chars().count();
            let allowed = if word.chars().count() >= 8 {
                2
            } else if word.chars().count() >= 4 {
                1
            } else {
                0
            };
            let surface_length = word.chars().count();
            for (surface, id) in &self.surfaces {
                if allowed > 0
                    && surface.chars().count().abs_diff(surface_length) <= allowed
                    && within_edits(word, surface, allowed)
                {
                    push(&mut reached, *id, FUZZY_WEIGHT, Route::Typo);
                }
            }
            for (id, term) in self.terms.iter().enumerate() {
                if length >= 3 && term.chars().count() > length && term.starts_with(&stemmed) {
                    push(&mut reached, id as u32, PREFIX_WEIGHT, Route::Prefix);
                }
            }
        }
        let alias_keys = [word.to_owned(), stemmed.clone()];
        let mut seen = HashSet::new();
        for key in alias_keys {
            for meaning in aliases.get(&key).into_iter().flatten() {
                for part in words(meaning) {
                    let part = stem(&part);
                    if seen.insert(part.clone())
                        && let Some(id) = self.vocabulary.get(&part)
                    {
                        push(&mut reached, *id, ALIAS_WEIGHT, Route::Alias);
                    }
                }
            }
        }
        reached
    }

    fn idf(&self, term: u32) -> f32 {
        let n = self.docs.len() as f32;
        let df = self.postings[term as usize].len() as f32;
        (1.0 + (n - df + 0.5) / (df + 0.5)).ln()
    }
}

/// How a query word reached a document's term.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Route {
    Exact,
    Alias,
    Typo,
    Prefix,
}

/// Whether `a` and `b` are at most `limit` edits apart (Levenshtein).
fn within_edits(a: &str, b: &str, limit: usize) -> bool {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut current = vec![i + 1; b.len() + 1];
        let mut best = current[0];
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(ca != cb);
            current[j + 1] = substitution.min(previous[j + 1] + 1).min(current[j] + 1);
            best = best.min(current[j + 1]);
        }
        if best > limit {
            return false;
        }
        previous = current;
    }
    previous[b.len()] <= limit
}

/// The index of this catalog generation, built on first use.
pub fn index_for(conn: Conn<'_>, cache: &CatalogCache) -> Result<Arc<AssistIndex>, AppError> {
    let generation = store::catalog::generation(conn)?;
    if let Some(index) = cache
        .assist_index(generation)
        .and_then(|any| any.downcast::<AssistIndex>().ok())
    {
        return Ok(index);
    }
    let index = Arc::new(AssistIndex::build(conn)?);
    cache.put_assist_index(generation, index.clone());
    Ok(index)
}

/// The alias table in force: the admins' when saved, else the defaults.
pub fn aliases_in_force(conn: Conn<'_>) -> Result<Vec<Alias>, AppError> {
    Ok(store::assist::aliases(conn)?.unwrap_or_else(default_aliases))
}

/// Everything Assist needs to answer one caller, read from the store.
pub struct Caller {
    pub flows: Vec<Flow>,
    pub history: Vec<PastItem>,
    pub aliases: Vec<Alias>,
}

/// Suggestions for `user_id` (for themselves, or on behalf of the query's
/// grantee): the whole use case, inside one read snapshot.
pub fn suggest(
    conn: Conn<'_>,
    cache: &CatalogCache,
    user_id: i64,
    query: &AssistQuery,
) -> Result<AssistAnswer, AppError> {
    let on_behalf = query.grantee_id.is_some_and(|grantee| grantee != user_id);
    let index = index_for(conn, cache)?;
    let caller = Caller {
        flows: store::catalog::requestable_flows(conn, user_id, on_behalf)?,
        history: if on_behalf {
            Vec::new()
        } else {
            store::assist::past_items(conn, user_id, 500)?
        },
        aliases: aliases_in_force(conn)?,
    };
    let limit = query.limit.unwrap_or(DEFAULT_SUGGESTIONS) as usize;
    rank(&index, &caller, &query.text, limit, |bundle_id| {
        store::flows::bundle_candidates(conn, bundle_id)
    })
}

/// Rank the index for a text, keep what the caller's flows allow.
pub fn rank(
    index: &AssistIndex,
    caller: &Caller,
    text: &str,
    limit: usize,
    mut bundle_items: impl FnMut(i64) -> Result<Vec<CandidateItem>, AppError>,
) -> Result<AssistAnswer, AppError> {
    let intent = intent_of(text);
    let aliases: HashMap<String, Vec<String>> = caller
        .aliases
        .iter()
        .map(|alias| (alias.term.to_lowercase(), alias.means.clone()))
        .collect();
    let mut query_words: Vec<String> = Vec::new();
    for word in words(text) {
        if !STOPWORDS.contains(&word.as_str()) && !query_words.contains(&word) {
            query_words.push(word);
        }
    }
    query_words.truncate(32);

    let mut scores = vec![0f32; index.docs.len()];
    // Per document: which query words matched, and which of them exactly.
    let mut matched = vec![(0u32, 0u32); index.docs.len()];
    let mut touched: Vec<u32> = Vec::new();
    let mut ways: Vec<Vec<(u32, Route)>> = Vec::with_capacity(query_words.len());
    for (position, word) in query_words.iter().enumerate() {
        let reached = index.expand(word, &aliases);
        ways.push(reached.iter().map(|(t, _, r)| (*t, *r)).collect());
        // A document counts a query word once through its best way in, and
        // once more through its best alias ("invoice" also means "billing").
        let mut direct: HashMap<u32, (f32, Route)> = HashMap::new();
        let mut through_alias: HashMap<u32, f32> = HashMap::new();
        let weight_of_word = if LOW_WORDS.contains(&word.as_str()) {
            LOW_WORD_WEIGHT
        } else {
            1.0
        };
        for (term, weight, route) in reached {
            let idf = index.idf(term);
            for (doc, frequency) in &index.postings[term as usize] {
                let length = index.lengths[*doc as usize];
                let saturation = frequency * (K1 + 1.0)
                    / (frequency + K1 * (1.0 - B + B * length / index.average_length));
                let gained = weight_of_word * weight * idf * saturation;
                if route == Route::Alias {
                    let entry = through_alias.entry(*doc).or_insert(0.0);
                    *entry = entry.max(gained);
                } else {
                    let entry = direct.entry(*doc).or_insert((0.0, route));
                    if gained > entry.0 {
                        *entry = (gained, route);
                    }
                }
            }
        }
        for (doc, gained) in through_alias {
            let at = doc as usize;
            if scores[at] == 0.0 {
                touched.push(doc);
            }
            scores[at] += gained;
            matched[at].0 |= 1 << position;
        }
        for (doc, (gained, route)) in direct {
            let at = doc as usize;
            if scores[at] == 0.0 {
                touched.push(doc);
            }
            scores[at] += gained;
            matched[at].0 |= 1 << position;
            if route == Route::Exact {
                matched[at].1 |= 1 << position;
            }
        }
    }

    // The caller's history lifts what already matches.
    let mut history: HashMap<i64, &PastItem> = HashMap::new();
    for item in &caller.history {
        history.entry(item.resource_id).or_insert(item);
    }
    for doc in &touched {
        if let Doc::Resource(at) = index.docs[*doc as usize]
            && let Some(past) = history.get(&index.resources[at].id)
        {
            let boost = if caller
                .history
                .iter()
                .any(|p| p.resource_id == past.resource_id && p.favorite)
            {
                FAVORITE_BOOST
            } else {
                REQUESTED_BOOST
            };
            scores[*doc as usize] *= boost;
        }
    }
    touched.sort_by(|a, b| {
        scores[*b as usize]
            .total_cmp(&scores[*a as usize])
            .then(a.cmp(b))
    });
    let top = touched.first().map(|d| scores[*d as usize]).unwrap_or(0.0);

    let mut suggestions = Vec::new();
    let bundle_scope: HashSet<(i64, i64, i64)> = HashSet::new();
    for doc in touched.iter().take(MAX_EXAMINED) {
        if suggestions.len() >= limit {
            break;
        }
        let score = scores[*doc as usize];
        if score < top * RELATIVE_FLOOR {
            break;
        }
        let (mask, exact) = matched[*doc as usize];
        let matched_words = describe_matches(index, &query_words, &ways, mask, exact);
        match index.docs[*doc as usize] {
            Doc::Resource(at) => {
                let resource = &index.resources[at];
                let Some(permission) =
                    fitting_permission(index, caller, resource, intent, &bundle_scope)
                else {
                    continue;
                };
                let mut reason = format!("matches {matched_words} in {}", resource.name);
                reason.push_str(&permission_reason(&permission, intent));
                let mut duration = None;
                if let Some(past) = history.get(&resource.id) {
                    reason.push_str(&format!(
                        "; you requested it on {}",
                        day_month(past.requested_at)
                    ));
                    if caller
                        .history
                        .iter()
                        .any(|p| p.resource_id == resource.id && p.favorite)
                    {
                        reason.push_str(" (a favorite)");
                    }
                    duration = Some(past.duration);
                }
                suggestions.push(Suggestion {
                    kind: SuggestionKind::Resource,
                    id: resource.id,
                    name: resource.name.clone(),
                    detail: resource.path.clone(),
                    source: format!(
                        "{} · {}",
                        resource.integration_name, resource.resource_type_name
                    ),
                    permission: Some(permission),
                    reason,
                    duration_seconds: duration,
                    score: f64::from(score),
                });
            }
            Doc::Bundle(at) => {
                let bundle = &index.bundles[at];
                let items = bundle_items(bundle.id)?;
                if items.is_empty() || !bundle_requestable(caller, &items) {
                    continue;
                }
                suggestions.push(Suggestion {
                    kind: SuggestionKind::Bundle,
                    id: bundle.id,
                    name: bundle.name.clone(),
                    detail: bundle.description.clone(),
                    source: "Bundle".into(),
                    permission: None,
                    reason: format!(
                        "matches {matched_words} in the bundle {} ({} items)",
                        bundle.name,
                        items.len()
                    ),
                    duration_seconds: None,
                    score: f64::from(score),
                });
            }
        }
    }
    Ok(AssistAnswer {
        intent,
        suggestions,
    })
}

/// "'invoices'", "'db' (as database)", "'invocies' (read as invoice)".
fn describe_matches(
    index: &AssistIndex,
    query_words: &[String],
    ways: &[Vec<(u32, Route)>],
    mask: u32,
    exact: u32,
) -> String {
    let mut parts = Vec::new();
    for (position, word) in query_words.iter().enumerate() {
        if mask & (1 << position) == 0 {
            continue;
        }
        if exact & (1 << position) != 0 {
            parts.push(format!("'{word}'"));
            continue;
        }
        let other = ways[position]
            .iter()
            .find(|(_, route)| *route != Route::Exact)
            .map(|(term, route)| (index.terms[*term as usize].as_str(), *route));
        parts.push(match other {
            Some((term, Route::Alias)) => format!("'{word}' (as {term})"),
            Some((term, Route::Typo)) => format!("'{word}' (read as {term})"),
            Some((term, _)) => format!("'{word}' (as in {term}…)"),
            None => format!("'{word}'"),
        });
    }
    parts.join(", ")
}

fn permission_reason(permission: &str, intent: Option<Intent>) -> String {
    let fit = permission_fit(intent, permission);
    match intent {
        Some(Intent::Read) if fit == 0 => format!("; {permission}, as you asked to read"),
        Some(Intent::Write) if fit == 0 => format!("; {permission}, as the work changes things"),
        Some(Intent::Admin) if fit == 0 => format!("; {permission}, as you asked to administer"),
        Some(_) if fit >= 4 => format!("; {permission} is the most your access flows allow"),
        Some(_) => format!("; {permission} is the least your access flows allow that does it"),
        None => format!("; {permission}, the least it offers"),
    }
}

/// The permission of `resource` that fits the intent best among those the
/// caller's flows allow; None when no flow covers it.
fn fitting_permission(
    index: &AssistIndex,
    caller: &Caller,
    resource: &ResourceDocument,
    intent: Option<Intent>,
    bundle_scope: &HashSet<(i64, i64, i64)>,
) -> Option<String> {
    let tags = HashMap::from([(resource.id, resource.tags.clone())]);
    index
        .permissions
        .get(&resource.resource_type_id)?
        .iter()
        .enumerate()
        .filter(|(_, permission)| {
            let item = CandidateItem {
                resource_id: resource.id,
                resource_name: resource.name.clone(),
                integration_id: resource.integration_id,
                resource_type_id: resource.resource_type_id,
                permission_id: 0,
                permission: (*permission).clone(),
                via_bundle: None,
            };
            caller
                .flows
                .iter()
                .any(|flow| flow.covers(&item, &tags, bundle_scope))
        })
        .min_by_key(|(order, permission)| (permission_fit(intent, permission), *order))
        .map(|(_, permission)| permission.clone())
}

/// Whether some flow of the caller covers every item of a bundle asked for
/// as that bundle.
fn bundle_requestable(caller: &Caller, items: &[CandidateItem]) -> bool {
    let scope: HashSet<(i64, i64, i64)> = items
        .iter()
        .filter_map(|item| {
            item.via_bundle
                .map(|bundle| (bundle, item.resource_id, item.permission_id))
        })
        .collect();
    // Tags matter only to tag-scoped flows; an empty map makes them decline.
    let tags = HashMap::new();
    items.iter().all(|item| {
        caller
            .flows
            .iter()
            .any(|flow| flow.covers(item, &tags, &scope))
    })
}

/// "3 Nov" for a Unix time (UTC).
fn day_month(at: i64) -> String {
    match time::OffsetDateTime::from_unix_timestamp(at) {
        Ok(date) => {
            let month = format!("{:?}", date.month());
            format!("{} {}", date.day(), &month[..3.min(month.len())])
        }
        Err(_) => "an earlier day".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_split_camel_case_paths_and_punctuation() {
        assert_eq!(
            words("billing/public/invoices"),
            ["billing", "public", "invoices"]
        );
        assert_eq!(words("IncidentResponder"), ["incident", "responder"]);
        assert_eq!(words("acme-data-lake"), ["acme", "data", "lake"]);
        assert_eq!(words("billing.line_items"), ["billing", "line", "items"]);
    }

    #[test]
    fn stems_meet_plurals_and_gerunds() {
        assert_eq!(stem("invoices"), "invoice");
        assert_eq!(stem("invoice"), "invoice");
        assert_eq!(stem("policies"), "policy");
        assert_eq!(stem("logs"), "log");
        assert_eq!(stem("billing"), "bill");
        assert_eq!(stem("status"), "status");
    }

    #[test]
    fn one_typo_is_forgiven_in_a_word_of_four_letters_or_more() {
        assert!(within_edits("invoces", "invoice", 1) || within_edits("invoce", "invoice", 1));
        assert!(within_edits("analytcs", "analytics", 2));
        assert!(!within_edits("orders", "billing", 2));
    }

    #[test]
    fn a_day_reads_as_day_and_month() {
        assert_eq!(day_month(1_762_128_000), "3 Nov");
    }
}
