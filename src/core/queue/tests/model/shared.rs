//! The store the model's tabs share, optionally with a stale cache per tab.

use std::cell::RefCell;
use std::collections::{BTreeMap, VecDeque};
use std::rc::Rc;

use crate::core::store::{KeyValueStore, StoreError};

/// One change another tab has not seen yet: `(seq, key, value)`.
type Change = (u64, String, Option<String>);

/// The store shared by the tabs: the truth, plus (with `stale`) each tab's
/// cached copy that other tabs' changes reach only when propagated.
#[derive(Default)]
pub(super) struct Shared {
    pub(super) truth: BTreeMap<String, String>,
    pub(super) stale: bool,
    pub(super) caches: Vec<BTreeMap<String, String>>,
    /// Changes not yet in each tab's cache (stale mode).
    pub(super) unseen: Vec<VecDeque<Change>>,
    /// Storage events not yet delivered to each tab: `(seq, key)`.
    pub(super) events: Vec<VecDeque<(u64, String)>>,
    pub(super) seq: u64,
    pub(super) quota: Option<usize>,
}

impl Shared {
    pub(super) fn used(&self) -> usize {
        self.truth.iter().map(|(k, v)| k.len() + v.len()).sum()
    }

    pub(super) fn view(&self, tab: usize) -> &BTreeMap<String, String> {
        if self.stale {
            &self.caches[tab]
        } else {
            &self.truth
        }
    }

    fn write(&mut self, tab: usize, key: &str, value: Option<&str>) {
        self.seq += 1;
        match value {
            Some(v) => {
                self.truth.insert(key.to_owned(), v.to_owned());
                self.caches[tab].insert(key.to_owned(), v.to_owned());
            }
            None => {
                self.truth.remove(key);
                self.caches[tab].remove(key);
            }
        }
        for o in 0..self.caches.len() {
            if o != tab {
                self.unseen[o].push_back((self.seq, key.to_owned(), value.map(str::to_owned)));
                self.events[o].push_back((self.seq, key.to_owned()));
            }
        }
    }

    /// Brings tab `tab`'s cache up to change `upto` (inclusive).
    pub(super) fn propagate(&mut self, tab: usize, upto: u64) {
        while self.unseen[tab].front().is_some_and(|c| c.0 <= upto) {
            if let Some((_, k, v)) = self.unseen[tab].pop_front() {
                match v {
                    Some(v) => self.caches[tab].insert(k, v),
                    None => self.caches[tab].remove(&k),
                };
            }
        }
    }
}

/// Tab `tab`'s handle on the shared store.
pub(super) struct TabStore {
    pub(super) shared: Rc<RefCell<Shared>>,
    pub(super) tab: usize,
}

impl KeyValueStore for TabStore {
    fn get(&self, key: &str) -> Result<Option<String>, StoreError> {
        Ok(self.shared.borrow().view(self.tab).get(key).cloned())
    }

    fn set(&mut self, key: &str, value: &str) -> Result<(), StoreError> {
        let mut s = self.shared.borrow_mut();
        if let Some(quota) = s.quota {
            let old = s.truth.get(key).map_or(0, |v| key.len() + v.len());
            if s.used() - old + key.len() + value.len() > quota {
                return Err(StoreError::QuotaExceeded);
            }
        }
        s.write(self.tab, key, Some(value));
        Ok(())
    }

    fn remove(&mut self, key: &str) -> Result<(), StoreError> {
        self.shared.borrow_mut().write(self.tab, key, None);
        Ok(())
    }

    fn keys_with_prefix(&self, prefix: &str) -> Result<Vec<String>, StoreError> {
        Ok(self
            .shared
            .borrow()
            .view(self.tab)
            .keys()
            .filter(|k| k.starts_with(prefix))
            .cloned()
            .collect())
    }
}
