//! Looking up a fixed list of property names in one object at once: a single merge of
//! the list (sorted once) with the object's keys (a `serde_json` map iterates its keys in
//! order) instead of one map search per name. The members come back in the list's
//! order, so that checks run, and report their first violation, exactly as one lookup
//! per name would. Should the keys ever not come in order, each name is looked up.

use std::sync::OnceLock;

use serde_json::Value;

use super::fields::Obj;

/// Longest list [`Names::members`] merges (longer ones are looked up name by name).
const MAX_NAMES: usize = 32;

/// A fixed list of property names.
pub(crate) struct Names {
    names: &'static [&'static str],
    /// The names with their positions, sorted by name.
    sorted: OnceLock<Vec<(&'static str, usize)>>,
}

impl Names {
    /// The list `names`.
    pub(crate) const fn new(names: &'static [&'static str]) -> Self {
        Self {
            names,
            sorted: OnceLock::new(),
        }
    }

    /// The members of `map` named in the list, in the list's order.
    pub(crate) fn members<'m>(
        &'static self,
        map: &'m Obj,
    ) -> impl Iterator<Item = (&'static str, &'m Value)> + 'm {
        let merged = (self.names.len() <= MAX_NAMES).then(|| self.find(map));
        self.names.iter().enumerate().filter_map(move |(i, name)| {
            let value = match &merged {
                Some(found) => found.get(i).copied().flatten(),
                None => map.get(*name),
            };
            value.map(|v| (*name, v))
        })
    }

    /// The value of each name in `map` (by position in the list; at most [`MAX_NAMES`]).
    fn find<'m>(&self, map: &'m Obj) -> [Option<&'m Value>; MAX_NAMES] {
        let mut found = [None; MAX_NAMES];
        let sorted = self.sorted.get_or_init(|| {
            let mut sorted: Vec<(&'static str, usize)> =
                self.names.iter().copied().zip(0..).collect();
            sorted.sort_unstable();
            sorted
        });
        let mut next = sorted.iter().peekable();
        let mut previous: Option<&str> = None;
        for (key, value) in map {
            if previous.is_some_and(|p| p >= key.as_str()) {
                return self.look_up(map);
            }
            previous = Some(key);
            while let Some((name, i)) = next.peek() {
                match order(name, key) {
                    std::cmp::Ordering::Less => {}
                    std::cmp::Ordering::Equal => {
                        if let Some(slot) = found.get_mut(*i) {
                            *slot = Some(value);
                        }
                    }
                    std::cmp::Ordering::Greater => break,
                }
                next.next();
            }
        }
        found
    }

    /// [`Names::find`] one name at a time.
    fn look_up<'m>(&self, map: &'m Obj) -> [Option<&'m Value>; MAX_NAMES] {
        let mut found = [None; MAX_NAMES];
        for (slot, name) in found.iter_mut().zip(self.names) {
            *slot = map.get(*name);
        }
        found
    }
}

/// `a.cmp(b)`, deciding on the first byte where it can (most names differ there).
fn order(a: &str, b: &str) -> std::cmp::Ordering {
    match (a.as_bytes().first(), b.as_bytes().first()) {
        (Some(x), Some(y)) if x != y => x.cmp(y),
        _ => a.cmp(b),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const LIST: &[&str] = &["name", "description", "a", "zz", "name_x", "labels"];

    static NAMES: Names = Names::new(LIST);

    #[test]
    fn members_in_list_order() {
        let names = &NAMES;
        let map = json!({"zz": 1, "labels": 2, "id": 3, "a": 4, "name": 5, "x": 6});
        let map = map.as_object().unwrap();
        let got: Vec<(&str, &Value)> = names.members(map).collect();
        let expected: Vec<(&str, &Value)> = LIST
            .iter()
            .filter_map(|n| map.get(*n).map(|v| (*n, v)))
            .collect();
        assert_eq!(got, expected);
        assert_eq!(got.len(), 4);
        assert_eq!(names.members(&Obj::new()).count(), 0);
        assert_eq!(names.find(map), names.look_up(map));
    }

    #[test]
    fn order_is_str_order() {
        let words = [
            "", "a", "ab", "b", "ba", "é", "labels", "lang", "name", "x_", "Z",
        ];
        for a in words {
            for b in words {
                assert_eq!(order(a, b), a.cmp(b), "{a} {b}");
            }
        }
    }

    #[test]
    fn long_lists_are_looked_up() {
        static LONG: Names = Names::new(&[
            "a01", "a02", "a03", "a04", "a05", "a06", "a07", "a08", "a09", "a10", "a11", "a12",
            "a13", "a14", "a15", "a16", "a17", "a18", "a19", "a20", "a21", "a22", "a23", "a24",
            "a25", "a26", "a27", "a28", "a29", "a30", "a31", "a32", "a33", "a34", "z",
        ]);
        let map = json!({"a33": 1, "z": 2, "a01": 3, "b": 4});
        let got: Vec<&str> = LONG
            .members(map.as_object().unwrap())
            .map(|m| m.0)
            .collect();
        assert_eq!(got, ["a01", "a33", "z"]);
    }

    #[test]
    fn the_lists_in_use_fit() {
        use crate::stix::types;
        for list in [
            types::TIMESTAMP_PROPERTIES,
            types::STRING_LIST_PROPERTIES,
            types::STRING_PROPERTIES,
            types::BOOLEAN_PROPERTIES,
        ] {
            assert!(list.len() <= MAX_NAMES);
        }
    }
}
