//! Synchronous key-value storage for the persisting state machines.
//!
//! The browser implements [`KeyValueStore`] over `localStorage`; host tests use
//! [`MemoryStore`], which can simulate a byte quota and a disabled storage.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;

/// Why a storage operation failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreError {
    /// The storage refused the write because its quota is used up.
    QuotaExceeded,
    /// The storage cannot be used at all (disabled, private mode, no window / SSR).
    Unavailable,
    /// Any other failure, with the underlying message.
    Other(String),
}

impl StoreError {
    /// What went wrong, in words.
    pub fn message(&self) -> String {
        match self {
            StoreError::QuotaExceeded => "storage quota exceeded: the browser refused to store more data; free some space (clear old site data) and retry".into(),
            StoreError::Unavailable => "storage unavailable (disabled, private mode or no window): data is kept in memory only for this session".into(),
            StoreError::Other(why) => crate::core::decimal::cat!("storage error: ", why),
        }
    }

    /// A short machine-readable reason: `"quota"`, `"unavailable"` or `"storage"`.
    pub fn reason(&self) -> &'static str {
        match self {
            StoreError::QuotaExceeded => "quota",
            StoreError::Unavailable => "unavailable",
            StoreError::Other(_) => "storage",
        }
    }
}

crate::core::decimal::display_for_tests!(StoreError);

/// A synchronous string key-value store (the shape of `localStorage`).
pub trait KeyValueStore {
    /// The value stored under `key`, `None` when absent.
    fn get(&self, key: &str) -> Result<Option<String>, StoreError>;
    /// Stores `value` under `key`, replacing any previous value.
    fn set(&mut self, key: &str, value: &str) -> Result<(), StoreError>;
    /// Removes `key`; removing an absent key is not an error.
    fn remove(&mut self, key: &str) -> Result<(), StoreError>;
    /// The keys that start with `prefix`, in no particular order (so records
    /// can live under one key each and be enumerated).
    fn keys_with_prefix(&self, prefix: &str) -> Result<Vec<String>, StoreError>;
}

#[derive(Debug, Default)]
struct MemoryInner {
    entries: BTreeMap<String, String>,
    quota: Option<usize>,
    failure: Option<StoreError>,
    writes: u64,
    reads: u64,
    lists: u64,
}

impl MemoryInner {
    fn used(&self) -> usize {
        self.entries.iter().map(|(k, v)| k.len() + v.len()).sum()
    }
}

/// In-memory [`KeyValueStore`] for tests.
///
/// Clones share the same data, like two browser tabs sharing one
/// `localStorage`. A byte quota (keys plus values, in UTF-8 bytes) and a
/// failure switch simulate a full or disabled storage.
#[derive(Debug, Clone, Default)]
pub struct MemoryStore {
    inner: Rc<RefCell<MemoryInner>>,
}

impl MemoryStore {
    /// An empty store without quota.
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty store refusing writes that would exceed `bytes`.
    pub fn with_quota(bytes: usize) -> Self {
        let store = Self::new();
        store.set_quota(Some(bytes));
        store
    }

    /// Sets (or removes, with `None`) the byte quota.
    pub fn set_quota(&self, bytes: Option<usize>) {
        if let Ok(mut inner) = self.inner.try_borrow_mut() {
            inner.quota = bytes;
        }
    }

    /// Makes every operation fail with `failure` (`None` restores normal behaviour).
    pub fn set_failure(&self, failure: Option<StoreError>) {
        if let Ok(mut inner) = self.inner.try_borrow_mut() {
            inner.failure = failure;
        }
    }

    /// Bytes in use (keys plus values).
    pub fn used_bytes(&self) -> usize {
        self.inner.try_borrow().map(|i| i.used()).unwrap_or(0)
    }

    /// Reads `key` ignoring the failure switch.
    pub fn raw(&self, key: &str) -> Option<String> {
        self.inner
            .try_borrow()
            .ok()
            .and_then(|i| i.entries.get(key).cloned())
    }

    /// Writes `key` ignoring quota and failure switch (to plant test data).
    pub fn put_raw(&self, key: &str, value: &str) {
        if let Ok(mut inner) = self.inner.try_borrow_mut() {
            inner.entries.insert(key.to_owned(), value.to_owned());
        }
    }

    /// Removes `key` ignoring the failure switch.
    pub fn remove_raw(&self, key: &str) {
        if let Ok(mut inner) = self.inner.try_borrow_mut() {
            inner.entries.remove(key);
        }
    }

    /// The stored keys, sorted.
    pub fn keys(&self) -> Vec<String> {
        self.inner
            .try_borrow()
            .map(|i| i.entries.keys().cloned().collect())
            .unwrap_or_default()
    }

    /// How many successful `set`/`remove` calls were made.
    pub fn write_count(&self) -> u64 {
        self.inner.try_borrow().map(|i| i.writes).unwrap_or(0)
    }

    /// How many `get` / `keys_with_prefix` calls were answered (to measure
    /// how much storage work an operation does).
    pub fn read_counts(&self) -> (u64, u64) {
        self.inner
            .try_borrow()
            .map(|i| (i.reads, i.lists))
            .unwrap_or((0, 0))
    }
}

fn busy() -> StoreError {
    StoreError::Other("memory store is already borrowed".into())
}

impl KeyValueStore for MemoryStore {
    fn get(&self, key: &str) -> Result<Option<String>, StoreError> {
        let mut inner = self.inner.try_borrow_mut().map_err(|_| busy())?;
        if let Some(err) = &inner.failure {
            return Err(err.clone());
        }
        inner.reads += 1;
        Ok(inner.entries.get(key).cloned())
    }

    fn set(&mut self, key: &str, value: &str) -> Result<(), StoreError> {
        let mut inner = self.inner.try_borrow_mut().map_err(|_| busy())?;
        if let Some(err) = &inner.failure {
            return Err(err.clone());
        }
        if let Some(quota) = inner.quota {
            let old = inner.entries.get(key).map_or(0, |v| key.len() + v.len());
            let new_total = inner.used().saturating_sub(old) + key.len() + value.len();
            if new_total > quota {
                return Err(StoreError::QuotaExceeded);
            }
        }
        inner.entries.insert(key.to_owned(), value.to_owned());
        inner.writes += 1;
        Ok(())
    }

    fn remove(&mut self, key: &str) -> Result<(), StoreError> {
        let mut inner = self.inner.try_borrow_mut().map_err(|_| busy())?;
        if let Some(err) = &inner.failure {
            return Err(err.clone());
        }
        inner.entries.remove(key);
        inner.writes += 1;
        Ok(())
    }

    fn keys_with_prefix(&self, prefix: &str) -> Result<Vec<String>, StoreError> {
        let mut inner = self.inner.try_borrow_mut().map_err(|_| busy())?;
        if let Some(err) = &inner.failure {
            return Err(err.clone());
        }
        inner.lists += 1;
        Ok(inner
            .entries
            .range::<str, _>((
                std::ops::Bound::Included(prefix),
                std::ops::Bound::Unbounded,
            ))
            .take_while(|(k, _)| k.starts_with(prefix))
            .map(|(k, _)| k.clone())
            .collect())
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests;
