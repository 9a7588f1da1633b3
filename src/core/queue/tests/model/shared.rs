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
    /// Each tab's latest own write per key: an older change of another tab
    /// reaching its cache later does not undo it (the caches converge to the
    /// truth, as a browser's do).
    pub(super) own: Vec<BTreeMap<String, u64>>,
    /// Entry keys written back after another tab removed them, by a tab
    /// whose view still showed them (a re-read that could not know), with
    /// how often.
    pub(super) resurrected: BTreeMap<String, u32>,
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
        if self.own.len() <= tab {
            self.own.resize(tab + 1, BTreeMap::new());
        }
        self.own[tab].insert(key.to_owned(), self.seq);
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
            if let Some((seq, k, v)) = self.unseen[tab].pop_front() {
                let mine_later = self
                    .own
                    .get(tab)
                    .and_then(|o| o.get(&k))
                    .is_some_and(|&s| s > seq);
                if mine_later {
                    continue;
                }
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
        if s.stale && !s.truth.contains_key(key) && s.caches[self.tab].contains_key(key) {
            *s.resurrected.entry(key.to_owned()).or_default() += 1;
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
