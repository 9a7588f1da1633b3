//! [`Map`]: a JSON object as a `Vec` of pairs.

use super::Value;

/// A JSON object: key/value pairs in insertion order (see the module docs).
#[derive(Debug, Clone, Default)]
pub struct Map {
    pub(super) entries: Vec<(String, Value)>,
}

impl Map {
    /// An empty object.
    pub const fn new() -> Self {
        Self {
            entries: Vec::new(),
        }
    }

    /// Number of pairs (duplicate keys counted).
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when there are no pairs.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    fn position(&self, key: &str) -> Option<usize> {
        self.entries.iter().rposition(|(k, _)| k == key)
    }

    /// The value of `key` (the last one if the key is repeated).
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.position(key)
            .and_then(|i| self.entries.get(i))
            .map(|(_, v)| v)
    }

    /// The value of `key`, mutably.
    pub fn get_mut(&mut self, key: &str) -> Option<&mut Value> {
        let i = self.position(key)?;
        self.entries.get_mut(i).map(|(_, v)| v)
    }

    /// Whether `key` is present.
    pub fn contains_key(&self, key: &str) -> bool {
        self.position(key).is_some()
    }

    /// Sets `key` (replacing its value where it is, else appending); the
    /// previous value.
    pub fn insert(&mut self, key: String, value: Value) -> Option<Value> {
        match self.position(&key).and_then(|i| self.entries.get_mut(i)) {
            Some((_, v)) => Some(std::mem::replace(v, value)),
            None => {
                self.entries.push((key, value));
                None
            }
        }
    }

    /// Appends a pair without looking for the key (the parser keeps what
    /// the text says; builders that know their keys are new).
    pub fn push(&mut self, key: &str, value: impl Into<Value>) {
        self.entries.push((key.to_owned(), value.into()));
    }

    /// Appends `key` only when `value` is `Some` (for optional fields).
    pub fn push_opt<T: Into<Value>>(&mut self, key: &str, value: Option<T>) {
        if let Some(v) = value {
            self.push(key, v);
        }
    }

    /// Removes every pair of `key`; the value it had.
    pub fn remove(&mut self, key: &str) -> Option<Value> {
        let mut last = None;
        while let Some(i) = self.position(key) {
            let (_, v) = self.entries.remove(i);
            last.get_or_insert(v);
        }
        last
    }

    /// The pairs in order.
    pub fn iter(&self) -> impl Iterator<Item = (&String, &Value)> {
        self.entries.iter().map(|(k, v)| (k, v))
    }

    /// The keys in order.
    pub fn keys(&self) -> impl Iterator<Item = &String> {
        self.entries.iter().map(|(k, _)| k)
    }

    /// The values in order.
    pub fn values(&self) -> impl Iterator<Item = &Value> {
        self.entries.iter().map(|(_, v)| v)
    }
}

/// Equal when both have the same keys with equal values, in any order (as
/// for serde_json's map); with repeated keys, the last value counts.
impl PartialEq for Map {
    fn eq(&self, other: &Self) -> bool {
        let same = |a: &Map, b: &Map| a.keys().all(|k| a.get(k) == b.get(k));
        same(self, other) && same(other, self)
    }
}

impl Eq for Map {}

impl IntoIterator for Map {
    type Item = (String, Value);
    type IntoIter = std::vec::IntoIter<(String, Value)>;

    fn into_iter(self) -> Self::IntoIter {
        self.entries.into_iter()
    }
}

impl FromIterator<(String, Value)> for Map {
    fn from_iter<I: IntoIterator<Item = (String, Value)>>(iter: I) -> Self {
        let mut map = Map::new();
        for (k, v) in iter {
            map.insert(k, v);
        }
        map
    }
}
