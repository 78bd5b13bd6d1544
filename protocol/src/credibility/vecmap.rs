//! Small ordered maps and sets backed by one sorted `Vec`.
//!
//! The evidence set keeps, for every STIX id it knows, who claimed, confirmed and refuted
//! it. Almost every id has one to three entries in each, and a `BTreeMap` allocates a
//! whole leaf node (room for 11 entries) for its first one. [`SortedVecMap`] stores the
//! entries contiguously in key order instead: one allocation sized to the entries for
//! small maps (the first few inserts grow the capacity one at a time), amortised
//! doubling beyond that. Lookups are binary searches; inserting a new key shifts the
//! entries after it, which is cheap at these sizes and linear at worst.
//!
//! Iteration is in key order, as with `BTreeMap`, so everything computed from these maps
//! does not depend on the order the entries were inserted in.

use std::borrow::Borrow;

/// Up to this many entries, the capacity grows one entry at a time (no slack).
const EXACT_GROWTH_UP_TO: usize = 4;

/// An ordered map in one sorted `Vec` (see the module docs). Keys are unique.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SortedVecMap<K, V> {
    entries: Vec<(K, V)>,
}

impl<K, V> Default for SortedVecMap<K, V> {
    fn default() -> Self {
        Self {
            entries: Vec::new(),
        }
    }
}

impl<K: Ord, V> SortedVecMap<K, V> {
    /// An empty map (no allocation).
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether there are no entries.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    fn search<Q>(&self, key: &Q) -> Result<usize, usize>
    where
        K: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        self.entries.binary_search_by(|(k, _)| k.borrow().cmp(key))
    }

    /// The value of `key`.
    pub fn get<Q>(&self, key: &Q) -> Option<&V>
    where
        K: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        let i = self.search(key).ok()?;
        self.entries.get(i).map(|(_, v)| v)
    }

    /// The stored key and value of `key`.
    pub fn get_key_value<Q>(&self, key: &Q) -> Option<(&K, &V)>
    where
        K: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        let i = self.search(key).ok()?;
        self.entries.get(i).map(|(k, v)| (k, v))
    }

    /// The value of `key`, mutably.
    pub fn get_mut<Q>(&mut self, key: &Q) -> Option<&mut V>
    where
        K: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        let i = self.search(key).ok()?;
        self.entries.get_mut(i).map(|(_, v)| v)
    }

    /// Whether `key` is present.
    pub fn contains_key<Q>(&self, key: &Q) -> bool
    where
        K: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        self.search(key).is_ok()
    }

    /// Make room for one more entry: exactly one for small maps, amortised beyond.
    fn grow_for_one(&mut self) {
        if self.entries.len() == self.entries.capacity() {
            if self.entries.len() < EXACT_GROWTH_UP_TO {
                self.entries.reserve_exact(1);
            } else {
                self.entries.reserve(1);
            }
        }
    }

    /// Insert `key` → `value`; returns the previous value of `key` (the key itself is
    /// kept, as with `BTreeMap::insert`).
    pub fn insert(&mut self, key: K, value: V) -> Option<V> {
        match self.search(&key) {
            Ok(i) => self
                .entries
                .get_mut(i)
                .map(|(_, v)| std::mem::replace(v, value)),
            Err(i) => {
                self.grow_for_one();
                self.entries.insert(i, (key, value));
                None
            }
        }
    }

    /// The value of `key`, inserting `make()` first if absent (`entry(key).or_insert_with`).
    // The one index below is in bounds: it was found, or an entry was just inserted there.
    #[allow(clippy::indexing_slicing)]
    pub fn get_or_insert_with(&mut self, key: K, make: impl FnOnce() -> V) -> &mut V {
        let i = match self.search(&key) {
            Ok(i) => i,
            Err(i) => {
                self.grow_for_one();
                self.entries.insert(i, (key, make()));
                i
            }
        };
        &mut self.entries[i].1
    }

    /// The value of `key`, inserting `value` first if absent (`entry(key).or_insert`).
    pub fn get_or_insert(&mut self, key: K, value: V) -> &mut V {
        self.get_or_insert_with(key, || value)
    }

    /// The value of `key`, inserting the default first if absent
    /// (`entry(key).or_default`).
    pub fn get_or_default(&mut self, key: K) -> &mut V
    where
        V: Default,
    {
        self.get_or_insert_with(key, V::default)
    }

    /// Remove `key`; returns its value.
    pub fn remove<Q>(&mut self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        let i = self.search(key).ok()?;
        Some(self.entries.remove(i).1)
    }
}

impl<K, V> SortedVecMap<K, V> {
    /// Entries in key order.
    pub fn iter(&self) -> Iter<'_, K, V> {
        self.entries.iter().map(pair)
    }

    /// Keys in order.
    pub fn keys(&self) -> impl DoubleEndedIterator<Item = &K> + ExactSizeIterator + Clone {
        self.entries.iter().map(|(k, _)| k)
    }

    /// Values in key order.
    pub fn values(&self) -> impl DoubleEndedIterator<Item = &V> + ExactSizeIterator + Clone {
        self.entries.iter().map(|(_, v)| v)
    }

    /// Values in key order, mutably.
    pub fn values_mut(&mut self) -> impl DoubleEndedIterator<Item = &mut V> + ExactSizeIterator {
        self.entries.iter_mut().map(|(_, v)| v)
    }

    /// The entries, in key order.
    pub fn as_slice(&self) -> &[(K, V)] {
        &self.entries
    }
}

fn pair<K, V>(e: &(K, V)) -> (&K, &V) {
    (&e.0, &e.1)
}

/// Iterator over a [`SortedVecMap`]'s entries in key order.
pub type Iter<'a, K, V> = std::iter::Map<std::slice::Iter<'a, (K, V)>, fn(&(K, V)) -> (&K, &V)>;

impl<'a, K, V> IntoIterator for &'a SortedVecMap<K, V> {
    type Item = (&'a K, &'a V);
    type IntoIter = Iter<'a, K, V>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

impl<K, V> IntoIterator for SortedVecMap<K, V> {
    type Item = (K, V);
    type IntoIter = std::vec::IntoIter<(K, V)>;

    fn into_iter(self) -> Self::IntoIter {
        self.entries.into_iter()
    }
}

impl<K: Ord, V> FromIterator<(K, V)> for SortedVecMap<K, V> {
    /// Later duplicates replace earlier ones, as with `BTreeMap`.
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        let mut entries: Vec<(K, V)> = iter.into_iter().collect();
        // Stable: among equal keys the last one is kept below.
        entries.sort_by(|a, b| a.0.cmp(&b.0));
        let mut out: Vec<(K, V)> = Vec::with_capacity(entries.len());
        for e in entries {
            match out.last_mut() {
                Some(last) if last.0 == e.0 => *last = e,
                _ => out.push(e),
            }
        }
        out.shrink_to_fit();
        Self { entries: out }
    }
}

/// An ordered set in one sorted `Vec` (a [`SortedVecMap`] without values).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SortedVecSet<T> {
    map: SortedVecMap<T, ()>,
}

impl<T> Default for SortedVecSet<T> {
    fn default() -> Self {
        Self {
            map: SortedVecMap::default(),
        }
    }
}

impl<T: Ord> SortedVecSet<T> {
    /// An empty set (no allocation).
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of elements.
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// Whether there are no elements.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// Whether `value` is present.
    pub fn contains<Q>(&self, value: &Q) -> bool
    where
        T: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        self.map.contains_key(value)
    }

    /// Insert `value`; returns whether it was new (an equal element already present is
    /// kept).
    pub fn insert(&mut self, value: T) -> bool {
        if self.map.contains_key(&value) {
            return false;
        }
        self.map.insert(value, ());
        true
    }

    /// Remove `value`; returns whether it was present.
    pub fn remove<Q>(&mut self, value: &Q) -> bool
    where
        T: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        self.map.remove(value).is_some()
    }
}

impl<T> SortedVecSet<T> {
    /// Elements in order.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &T> + ExactSizeIterator + Clone {
        self.map.keys()
    }
}

impl<T: Ord> FromIterator<T> for SortedVecSet<T> {
    fn from_iter<I: IntoIterator<Item = T>>(iter: I) -> Self {
        Self {
            map: iter.into_iter().map(|v| (v, ())).collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    use proptest::prelude::*;

    #[test]
    fn entries_stay_in_key_order_and_insert_replaces() {
        let mut m = SortedVecMap::new();
        assert!(m.is_empty());
        assert_eq!(m.insert(5, "e"), None);
        assert_eq!(m.insert(1, "a"), None);
        assert_eq!(m.insert(3, "c"), None);
        assert_eq!(m.insert(3, "C"), Some("c"));
        assert_eq!(m.len(), 3);
        assert_eq!(m.keys().copied().collect::<Vec<_>>(), [1, 3, 5]);
        assert_eq!(m.values().copied().collect::<Vec<_>>(), ["a", "C", "e"]);
        assert_eq!(
            m.iter().map(|(k, v)| (*k, *v)).collect::<Vec<_>>(),
            [(1, "a"), (3, "C"), (5, "e")]
        );
        assert_eq!(m.get(&3), Some(&"C"));
        assert_eq!(m.get(&4), None);
        assert!(m.contains_key(&5) && !m.contains_key(&0));
        if let Some(v) = m.get_mut(&1) {
            *v = "A";
        }
        assert_eq!(m.get_key_value(&1), Some((&1, &"A")));
        assert_eq!(m.remove(&1), Some("A"));
        assert_eq!(m.remove(&1), None);
        assert_eq!(m.keys().copied().collect::<Vec<_>>(), [3, 5]);
    }

    #[test]
    fn entry_helpers_insert_once_then_update_in_place() {
        let mut m: SortedVecMap<&str, u32> = SortedVecMap::new();
        *m.get_or_default("b") += 1;
        *m.get_or_default("b") += 1;
        *m.get_or_insert("a", 10) += 1;
        *m.get_or_insert("a", 100) += 1;
        let mut called = false;
        m.get_or_insert_with("a", || {
            called = true;
            0
        });
        assert!(!called, "present: not made again");
        assert_eq!(
            m.iter().map(|(k, v)| (*k, *v)).collect::<Vec<_>>(),
            [("a", 12), ("b", 2)]
        );
    }

    #[test]
    fn small_maps_carry_no_slack() {
        let mut m = SortedVecMap::new();
        for i in 0..EXACT_GROWTH_UP_TO {
            m.insert(i, [0u8; 100]);
            assert_eq!(m.entries.capacity(), i + 1);
        }
    }

    #[test]
    fn collecting_keeps_the_last_duplicate_and_lookups_borrow() {
        let m: SortedVecMap<String, u8> = [("b".to_owned(), 1), ("a".into(), 2), ("b".into(), 3)]
            .into_iter()
            .collect();
        assert_eq!(m.get("b"), Some(&3));
        assert_eq!(m.len(), 2);
        let s: SortedVecSet<u8> = [3, 1, 3, 2].into_iter().collect();
        assert_eq!(s.iter().copied().collect::<Vec<_>>(), [1, 2, 3]);
        let mut s2 = SortedVecSet::new();
        assert!(s2.insert(2) && s2.insert(1) && !s2.insert(2));
        assert!(s2.contains(&1) && !s2.contains(&3) && s2.len() == 2);
    }

    proptest! {
        /// Any sequence of inserts and removes leaves the same entries, in the same
        /// order, as a `BTreeMap` given the same sequence.
        #[test]
        fn behaves_like_a_btreemap(ops in proptest::collection::vec((any::<bool>(), 0u8..32, any::<u16>()), 0..200)) {
            let mut ours = SortedVecMap::new();
            let mut theirs = BTreeMap::new();
            for (insert, k, v) in ops {
                if insert {
                    prop_assert_eq!(ours.insert(k, v), theirs.insert(k, v));
                } else {
                    prop_assert_eq!(ours.remove(&k), theirs.remove(&k));
                }
                prop_assert_eq!(ours.len(), theirs.len());
            }
            let a: Vec<(u8, u16)> = ours.iter().map(|(k, v)| (*k, *v)).collect();
            let b: Vec<(u8, u16)> = theirs.into_iter().collect();
            prop_assert_eq!(a, b);
        }
    }
}
