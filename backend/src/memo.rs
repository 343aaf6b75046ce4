//! Answers kept for as long as they are exactly what a fresh read would give.
//!
//! A [`Memo`] holds answers for one [`Tag`]: the database's data generation
//! ([`crate::db::Db::generation`], which moves on after every commit, by this
//! server or any other process) and the clock's current second (answers such
//! as "may extend now" depend on the time, at one-second resolution). The tag
//! is read *before* the work that computes an answer, so a commit made before
//! the read is always in it; when either part of the tag moves on, every kept
//! answer is dropped.
//!
//! This is what lets a burst of identical reads (a page polled by many tabs,
//! a script, a load test) skip the database: the first read does the work,
//! the others share it until something changes.

use std::{collections::HashMap, hash::Hash, sync::Mutex};

/// (data generation, clock second).
pub type Tag = (u64, i64);

pub struct Memo<K, V> {
    state: Mutex<State<K, V>>,
    max_entries: usize,
}

struct State<K, V> {
    tag: Tag,
    entries: HashMap<K, V>,
}

impl<K: Eq + Hash, V: Clone> Memo<K, V> {
    /// A memo keeping at most `max_entries` answers per tag (further ones are
    /// computed but not kept).
    pub fn new(max_entries: usize) -> Self {
        Self {
            state: Mutex::new(State {
                tag: (0, i64::MIN),
                entries: HashMap::new(),
            }),
            max_entries,
        }
    }

    /// The answer kept for `key` under `tag`, if any.
    pub fn get(&self, tag: Tag, key: &K) -> Option<V> {
        self.with(tag, |entries| entries.get(key).cloned())
            .flatten()
    }

    /// Keep `value` for `key` under `tag`. A tag older than the newest one
    /// seen is ignored: its answer may miss a later write.
    pub fn put(&self, tag: Tag, key: K, value: V) {
        let max_entries = self.max_entries;
        self.with(tag, |entries| {
            if entries.len() < max_entries {
                entries.insert(key, value);
            }
        });
    }

    fn with<T>(&self, tag: Tag, work: impl FnOnce(&mut HashMap<K, V>) -> T) -> Option<T> {
        let mut state = self
            .state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if tag > state.tag {
            state.tag = tag;
            state.entries.clear();
        }
        (tag == state.tag).then(|| work(&mut state.entries))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_answer_is_kept_for_its_generation_and_second_only() {
        let memo = Memo::new(8);
        memo.put((1, 100), "page", 7);
        assert_eq!(memo.get((1, 100), &"page"), Some(7));
        assert_eq!(memo.get((2, 100), &"page"), None, "a write happened");
        assert_eq!(memo.get((1, 100), &"page"), None, "dropped for good");
        memo.put((2, 100), "page", 8);
        assert_eq!(memo.get((2, 101), &"page"), None, "the clock moved on");
    }

    #[test]
    fn an_answer_computed_before_a_newer_tag_was_seen_is_not_kept() {
        let memo = Memo::new(8);
        assert_eq!(memo.get((5, 100), &"page"), None);
        memo.put((4, 100), "page", 1);
        assert_eq!(memo.get((4, 100), &"page"), None);
        assert_eq!(memo.get((5, 100), &"page"), None);
    }

    #[test]
    fn no_more_than_the_limit_is_kept() {
        let memo = Memo::new(2);
        for key in 0..5 {
            memo.put((1, 1), key, key);
        }
        let kept = (0..5).filter(|k| memo.get((1, 1), k).is_some()).count();
        assert_eq!(kept, 2);
    }
}
