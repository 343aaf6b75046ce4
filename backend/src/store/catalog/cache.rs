//! Catalog pages, counts and callers' flows kept in memory for one catalog
//! generation.
//!
//! The generation is a counter in the database (`catalog_generation`) that
//! triggers move forward on every write to the catalog, bundle, flow and group
//! tables (migration 0005), whoever writes. A reader takes it in the same read
//! transaction as its queries, so what it caches is exactly what that
//! generation holds; seeing a newer generation empties the cache. Entries are
//! bounded: when a map is full, the least recently used half goes.

use std::{
    any::Any,
    collections::HashMap,
    hash::Hash,
    sync::{Arc, Mutex},
};

use gatehouse_shared::catalog::Resource;

use crate::store::flows::Flow;

/// Callers (user, on behalf of someone else) whose flows are kept.
const FLOW_ENTRIES: usize = 4096;
/// (flows, filter) whose total count is kept: a few dozen bytes each.
const COUNT_ENTRIES: usize = 4096;
/// (flows, filter, page) whose resources are kept: about 15 KB each at 50 per page.
const PAGE_ENTRIES: usize = 256;

/// What a listing depends on besides the page: the flows that decide what
/// the caller may request (their ids; None for an admin's whole catalog)
/// and the search and filters.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct FilterKey {
    pub flows: Option<Vec<i64>>,
    pub search: Option<String>,
    pub resource_type_ids: Vec<i64>,
    pub permissions: Vec<String>,
}

#[derive(Default)]
pub struct CatalogCache {
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    generation: i64,
    flows: Lru<(i64, bool), Arc<Vec<Flow>>>,
    counts: Lru<FilterKey, u64>,
    pages: Lru<(FilterKey, u64, u32), Arc<Vec<Resource>>>,
    /// Assist's index of this generation (the engine's type: the store
    /// only keeps it with the generation it was built from).
    assist: Option<Arc<dyn Any + Send + Sync>>,
}

impl CatalogCache {
    fn with<T>(&self, generation: i64, work: impl FnOnce(&mut State) -> T) -> Option<T> {
        let mut state = self
            .state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if generation > state.generation {
            *state = State {
                generation,
                ..State::default()
            };
        }
        // An older reader (it began before a write committed) neither reads
        // nor fills the newer generation's entries.
        (generation == state.generation).then(|| work(&mut state))
    }

    pub fn flows(&self, generation: i64, caller: (i64, bool)) -> Option<Arc<Vec<Flow>>> {
        self.with(generation, |s| s.flows.get(&caller)).flatten()
    }

    pub fn put_flows(&self, generation: i64, caller: (i64, bool), flows: Arc<Vec<Flow>>) {
        self.with(generation, |s| s.flows.put(caller, flows, FLOW_ENTRIES));
    }

    pub fn count(&self, generation: i64, key: &FilterKey) -> Option<u64> {
        self.with(generation, |s| s.counts.get(key)).flatten()
    }

    pub fn put_count(&self, generation: i64, key: FilterKey, total: u64) {
        self.with(generation, |s| s.counts.put(key, total, COUNT_ENTRIES));
    }

    pub fn page(&self, generation: i64, key: &(FilterKey, u64, u32)) -> Option<Arc<Vec<Resource>>> {
        self.with(generation, |s| s.pages.get(key)).flatten()
    }

    pub fn put_page(
        &self,
        generation: i64,
        key: (FilterKey, u64, u32),
        resources: Arc<Vec<Resource>>,
    ) {
        self.with(generation, |s| s.pages.put(key, resources, PAGE_ENTRIES));
    }

    pub fn assist_index(&self, generation: i64) -> Option<Arc<dyn Any + Send + Sync>> {
        self.with(generation, |s| s.assist.clone()).flatten()
    }

    pub fn put_assist_index(&self, generation: i64, index: Arc<dyn Any + Send + Sync>) {
        self.with(generation, |s| s.assist = Some(index));
    }
}

/// A map that, when full, keeps only its most recently used half.
struct Lru<K, V> {
    entries: HashMap<K, (V, u64)>,
    tick: u64,
}

impl<K, V> Default for Lru<K, V> {
    fn default() -> Self {
        Self {
            entries: HashMap::new(),
            tick: 0,
        }
    }
}

impl<K: Hash + Eq, V: Clone> Lru<K, V> {
    fn get(&mut self, key: &K) -> Option<V> {
        self.tick += 1;
        let tick = self.tick;
        self.entries.get_mut(key).map(|(value, used)| {
            *used = tick;
            value.clone()
        })
    }

    fn put(&mut self, key: K, value: V, capacity: usize) {
        if self.entries.len() >= capacity && !self.entries.contains_key(&key) {
            let mut ticks: Vec<u64> = self.entries.values().map(|(_, used)| *used).collect();
            let middle = ticks.len() / 2;
            let (_, cut, _) = ticks.select_nth_unstable(middle);
            let cut = *cut;
            self.entries.retain(|_, (_, used)| *used > cut);
        }
        self.tick += 1;
        self.entries.insert(key, (value, self.tick));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(search: &str) -> FilterKey {
        FilterKey {
            flows: Some(vec![1]),
            search: Some(search.to_owned()),
            resource_type_ids: Vec::new(),
            permissions: Vec::new(),
        }
    }

    #[test]
    fn a_newer_generation_empties_the_cache_and_an_older_one_is_ignored() {
        let cache = CatalogCache::default();
        cache.put_count(1, key("a"), 10);
        assert_eq!(cache.count(1, &key("a")), Some(10));
        assert_eq!(cache.count(2, &key("a")), None);
        // A reader still on generation 1 neither sees nor fills generation 2.
        cache.put_count(1, key("a"), 10);
        assert_eq!(cache.count(1, &key("a")), None);
        assert_eq!(cache.count(2, &key("a")), None);
        cache.put_count(2, key("a"), 11);
        assert_eq!(cache.count(2, &key("a")), Some(11));
    }

    #[test]
    fn a_full_map_keeps_the_recently_used_half() {
        let mut lru: Lru<u32, u32> = Lru::default();
        for n in 0..8 {
            lru.put(n, n, 8);
        }
        assert_eq!(lru.get(&0), Some(0));
        lru.put(100, 100, 8);
        assert!(lru.entries.len() <= 8);
        assert_eq!(lru.get(&0), Some(0), "recently used survives");
        assert_eq!(lru.get(&100), Some(100));
        assert_eq!(lru.get(&1), None, "least recently used goes");
    }
}
