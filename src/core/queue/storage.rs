//! The queue's side of the store: one key per message, what a tab may write
//! (only what it changes, never an entry another tab removed), retries of
//! refused writes, and reading other tabs' changes (the one-time migration
//! of the old layout and the quarantine are `quarantine.rs`).

use super::persist;
use super::{Entry, OfflineQueueService, QueueErrorReason, QueueEvent, QueuedMessage};
use crate::core::decimal::cat;
use crate::core::delivery::wire::fnv1a64;
use crate::core::store::StoreError;
use crate::core::vecmap::VecSet;
use crate::core::Millis;

/// What the store holds under one entry key.
enum Read {
    Missing,
    Found(Box<QueuedMessage>),
    /// Corrupt (set aside) or unreadable right now.
    Unusable,
}

fn reason_of(err: &StoreError) -> QueueErrorReason {
    match err {
        StoreError::QuotaExceeded => QueueErrorReason::Quota,
        StoreError::Unavailable => QueueErrorReason::Unavailable,
        StoreError::Other(_) => QueueErrorReason::Storage,
    }
}

impl OfflineQueueService {
    // ------------------------------------------------------------------
    // Keys
    // ------------------------------------------------------------------

    fn entry_prefix(&self) -> String {
        cat!(self.config.storage_key, ":m:")
    }

    pub(super) fn entry_key(&self, id: &str) -> String {
        cat!(self.config.storage_key, ":m:", id)
    }

    /// The message id stored under `key`, if it is one of this queue's entry keys.
    pub(super) fn entry_id(&self, key: &str) -> Option<String> {
        key.strip_prefix(&self.entry_prefix())
            .filter(|id| !id.is_empty())
            .map(str::to_owned)
    }

    // ------------------------------------------------------------------
    // Reports
    // ------------------------------------------------------------------

    /// A store failure not tied to one message: reported once until the
    /// store works again or the reason changes.
    pub(super) fn report_store_error(&mut self, err: &StoreError, action: &str) {
        let reason = reason_of(err);
        if self.store_error != Some(reason) {
            self.store_error = Some(reason);
            self.emit(QueueEvent::Error {
                reason,
                message: cat!(
                    "could not ",
                    action,
                    " the offline queue: ",
                    err.message(),
                    "; messages stay in memory and are still sent"
                ),
                message_id: None,
            });
        }
    }

    /// One message is not stored (`dirty == false`: not at all, a reload
    /// would lose it) or not in its latest state (`dirty == true`).
    pub(super) fn report_unstored(&mut self, id: &str, err: &StoreError, dirty: bool) {
        let message = if dirty {
            cat!(
                "the latest change of queued message ",
                id,
                " could not be stored: ",
                err.message(),
                "; the stored copy is older (a reload keeps the message in that state); it is stored again as soon as the storage accepts it"
            )
        } else {
            cat!(
                "queued message ",
                id,
                " could not be stored: ",
                err.message(),
                "; it is kept in memory (persisted: false) and still sent, and stored as soon as the storage accepts it (a reload before that would lose it)"
            )
        };
        self.emit(QueueEvent::Error {
            reason: reason_of(err),
            message,
            message_id: Some(id.to_owned()),
        });
    }

    // ------------------------------------------------------------------
    // Writes
    // ------------------------------------------------------------------

    /// Writes an entry that is not in the store yet (created here, or set
    /// aside as corrupt there): no other tab can have removed it.
    pub(super) fn write_new(&mut self, id: &str) -> Result<(), StoreError> {
        let Some(p) = self.position(id) else {
            return Ok(());
        };
        let text = persist::encode_entry(&self.entries[p].msg);
        self.store.set(&self.entry_key(id), &text)?;
        let e = &mut self.entries[p];
        e.msg.persisted = true;
        e.dirty = false;
        e.bytes = text.len();
        self.store_error = None;
        Ok(())
    }

    /// Writes a changed entry. A stored entry is re-read first: when its key
    /// is gone another tab sent or removed it, so it is dropped here too
    /// instead of being brought back; when another tab stored a newer
    /// version, that one is taken instead (both return false). A refused
    /// write keeps the change in memory (reported, retried later).
    pub(super) fn write_update(&mut self, id: &str) -> bool {
        let Some(p) = self.position(id) else {
            return false;
        };
        if !self.entries[p].msg.persisted {
            if self.write_new(id).is_ok() {
                self.emit_persisted(id);
            }
            return true;
        }
        let key = self.entry_key(id);
        match self.store.get(&key) {
            Ok(None) => {
                self.entries.remove(p);
                return false;
            }
            Ok(Some(text)) => {
                if let Ok(stored) = persist::parse_entry(&text, id) {
                    if self.supersedes(&stored, p, false) {
                        self.entries.remove(p);
                        self.insert(Entry::new(stored));
                        return false;
                    }
                }
            }
            Err(_) => {}
        }
        let text = persist::encode_entry(&self.entries[p].msg);
        match self.store.set(&key, &text) {
            Ok(()) => {
                let e = &mut self.entries[p];
                let was_dirty = std::mem::replace(&mut e.dirty, false);
                e.bytes = text.len();
                self.store_error = None;
                if was_dirty {
                    self.emit_persisted(id);
                }
            }
            Err(err) => {
                let e = &mut self.entries[p];
                if !std::mem::replace(&mut e.dirty, true) {
                    self.report_unstored(id, &err, true);
                }
            }
        }
        true
    }

    fn emit_persisted(&mut self, id: &str) {
        if let Some(message) = self.get_message(id) {
            self.emit(QueueEvent::Persisted { message });
        }
    }

    /// Deletes a sent or removed entry's key; a refused removal is retried
    /// (and the entry is not adopted back meanwhile).
    pub(super) fn remove_stored(&mut self, id: &str) {
        let key = self.entry_key(id);
        match self.store.remove(&key) {
            Ok(()) => {
                self.pending_removals.remove(id);
            }
            Err(e) => {
                self.pending_removals.insert(id.to_owned());
                self.report_store_error(&e, "remove a message from");
            }
        }
    }

    /// Retries what the store refused before: removals, the quarantine, then
    /// every entry that is not (or not in its latest state) stored, oldest
    /// first. Runs before every store operation and before each send.
    pub(super) fn retry_unwritten(&mut self, _now: Millis) {
        if !self.pending_removals.is_empty() {
            for id in std::mem::take(&mut self.pending_removals) {
                self.remove_stored(&id);
            }
        }
        if !self.quarantine_backlog.is_empty() {
            self.quarantine(Vec::new());
        }
        let unwritten: Vec<(String, bool)> = self
            .entries
            .iter()
            .filter(|e| !e.msg.persisted || e.dirty)
            .map(|e| (e.msg.id.clone(), e.msg.persisted))
            .collect();
        for (id, persisted) in unwritten {
            if persisted {
                self.write_update(&id);
            } else if self.write_new(&id).is_ok() {
                self.emit_persisted(&id);
            }
        }
    }

    // ------------------------------------------------------------------
    // Reads
    // ------------------------------------------------------------------

    /// The ids stored under the entry prefix; `None` when the store cannot
    /// be listed.
    fn list_ids(&mut self) -> Option<Vec<String>> {
        let prefix = self.entry_prefix();
        match self.store.keys_with_prefix(&prefix) {
            Ok(keys) => Some(
                keys.iter()
                    .filter_map(|k| k.strip_prefix(&prefix))
                    .filter(|id| !id.is_empty())
                    .map(str::to_owned)
                    .collect(),
            ),
            Err(e) => {
                self.report_store_error(&e, "read");
                None
            }
        }
    }

    fn read(&mut self, id: &str, now: Millis) -> Read {
        let key = self.entry_key(id);
        let text = match self.store.get(&key) {
            Ok(Some(text)) => text,
            Ok(None) => return Read::Missing,
            Err(e) => {
                self.report_store_error(&e, "read");
                return Read::Unusable;
            }
        };
        match persist::parse_entry(&text, id) {
            Ok(msg) => Read::Found(Box::new(msg)),
            Err(bad) => {
                // Reported once per distinct text (a failing quarantine write
                // would otherwise report it on every read).
                if self.seen_bad.insert(fnv1a64(text.as_bytes())) {
                    self.report_bad(vec![(bad, Some(key))], now);
                    // A sound copy in memory replaces the corrupt one.
                    if let Some(p) = self.position(id) {
                        let e = &mut self.entries[p];
                        if e.msg.persisted {
                            e.msg.persisted = false;
                            e.dirty = false;
                            self.report_unstored(
                                id,
                                &StoreError::Other("its stored copy was corrupt".into()),
                                false,
                            );
                        }
                    }
                }
                Read::Unusable
            }
        }
    }

    /// Whether the `stored` version replaces the one at `p` in memory: it is
    /// newer, and that one is not in flight. With `ties`, of two different
    /// versions changed in the same millisecond (two tabs) the stored one
    /// wins on reading: it is what every tab reads in the end, so they agree
    /// (only the leader sends what a tab holds).
    fn supersedes(&self, stored: &QueuedMessage, p: usize, ties: bool) -> bool {
        let mine = &self.entries[p].msg;
        let newer = stored.updated_at > mine.updated_at
            || (ties
                && stored.updated_at == mine.updated_at
                && persist::checksum(stored) != persist::checksum(mine));
        newer && !self.is_in_flight(&stored.id)
    }

    /// Takes a stored message into memory: an unknown one is added, a known
    /// one is replaced by a newer stored version (see [`Self::supersedes`]).
    /// An older stored version (another tab wrote it from a view that had
    /// not seen this one) is written over again, so the tabs agree on the
    /// newer one.
    fn adopt(&mut self, stored: QueuedMessage) {
        let Some(p) = self.position(&stored.id) else {
            if !self.pending_removals.contains(&stored.id) {
                self.insert(Entry::new(stored));
            }
            return;
        };
        let newly_persisted = !self.entries[p].msg.persisted;
        self.entries[p].msg.persisted = true;
        if self.supersedes(&stored, p, true) {
            self.entries.remove(p);
            let id = stored.id.clone();
            self.insert(Entry::new(stored));
            if newly_persisted {
                self.emit_persisted(&id);
            }
        } else if newly_persisted {
            let id = stored.id;
            self.emit_persisted(&id);
        } else {
            let e = &self.entries[p];
            if stored.updated_at < e.msg.updated_at && !e.dirty && !self.is_in_flight(&stored.id) {
                self.write_update(&stored.id);
            }
        }
    }

    /// Re-reads entry `id` (another tab may have changed, sent or removed it);
    /// returns whether it is in memory afterwards.
    pub(super) fn recheck(&mut self, id: &str, now: Millis) -> bool {
        if self.pending_removals.contains(id) {
            return false;
        }
        match self.read(id, now) {
            Read::Found(msg) => self.adopt(*msg),
            Read::Missing => {
                if let Some(p) = self.position(id) {
                    let e = &self.entries[p];
                    if e.msg.persisted && !self.is_in_flight(id) {
                        self.entries.remove(p);
                    }
                }
            }
            Read::Unusable => {}
        }
        self.position(id).is_some()
    }

    /// Lists the store: adopts entries this tab has not seen (re-reading the
    /// known ones too when `reread`) and drops stored entries whose key is
    /// gone (sent or removed by another tab). Entries that never reached the
    /// store are kept.
    fn refresh(&mut self, now: Millis, reread: bool) {
        let Some(ids) = self.list_ids() else {
            return;
        };
        let listed: VecSet<String> = ids.into_iter().collect();
        for id in &listed {
            if self.pending_removals.contains(id) {
                continue;
            }
            if reread || self.position(id).is_none() {
                if let Read::Found(msg) = self.read(id, now) {
                    self.adopt(*msg);
                }
            }
        }
        let in_flight = self.in_flight.as_ref().map(|f| f.message.id.clone());
        self.entries.retain(|e| {
            !e.msg.persisted || listed.contains(&e.msg.id) || Some(&e.msg.id) == in_flight.as_ref()
        });
    }

    /// Full re-read of the store.
    pub(super) fn reload_all(&mut self, now: Millis) {
        self.refresh(now, true);
    }

    /// Only what was added or removed since this tab last looked (one listing
    /// of the keys; reads only the entries it has not seen).
    pub(super) fn sync_ids(&mut self, now: Millis) {
        self.refresh(now, false);
    }
}
