//! What the registry keeps of card versions it has already read. A version never changes once
//! written — a change is a new version with a new id — except when directory codes are re-numbered
//! in place, which rebuilds the search index and clears every such cache. So a value kept by version
//! id is never stale, and a new version is always read afresh: what is kept cannot hide a change.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};

/// Values made from card versions, by version id. Bounded: emptied when full (the next reads make
/// them again), which costs less than keeping an order of use on every read.
pub(crate) struct VersionCache<V> {
    values: Mutex<HashMap<i64, V>>,
    max: usize,
}

impl<V: Clone> VersionCache<V> {
    pub(crate) fn new(max: usize) -> Self {
        VersionCache { values: Mutex::new(HashMap::new()), max }
    }

    fn values(&self) -> MutexGuard<'_, HashMap<i64, V>> {
        self.values.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn get(&self, version: i64) -> Option<V> {
        self.values().get(&version).cloned()
    }

    /// The values kept of `versions`, and the versions of which nothing is kept.
    pub(crate) fn get_many(&self, versions: &[i64]) -> (Vec<V>, Vec<i64>) {
        let values = self.values();
        let mut found = Vec::with_capacity(versions.len());
        let mut missing = Vec::new();
        for version in versions {
            match values.get(version) {
                Some(value) => found.push(value.clone()),
                None => missing.push(*version),
            }
        }
        (found, missing)
    }

    pub(crate) fn keep(&self, version: i64, value: V) {
        let mut values = self.values();
        if values.len() >= self.max {
            values.clear();
        }
        values.insert(version, value);
    }

    /// Drops what is kept of `versions` (versions superseded by newer ones).
    pub(crate) fn forget(&self, versions: &[i64]) {
        let mut values = self.values();
        for version in versions {
            values.remove(version);
        }
    }

    pub(crate) fn clear(&self) {
        self.values().clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_cache_starts_again_and_keeps_what_came_last() {
        let cache = VersionCache::new(2);
        cache.keep(1, "a");
        cache.keep(2, "b");
        assert_eq!(cache.get_many(&[1, 2, 3]), (vec!["a", "b"], vec![3]));
        cache.keep(3, "c");
        assert_eq!((cache.get(1), cache.get(3)), (None, Some("c")));
        cache.keep(4, "d");
        cache.forget(&[3, 5]);
        assert_eq!((cache.get(3), cache.get(4)), (None, Some("d")));
        cache.clear();
        assert_eq!(cache.get(4), None);
    }
}
