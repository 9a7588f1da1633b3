//! The queue's side of the store: one key per message, what a tab may write
//! (only what it changes, never an entry another tab removed), retries of
//! refused writes, reading other tabs' changes, the one-time migration of the
//! old layout, and the quarantine.

use super::persist::{self, BadEntry, Parsed};
use super::{
    Entry, OfflineQueueService, QuarantinedEntry, QueueErrorReason, QueueEvent, QueuedMessage,
};
use crate::core::decimal::cat;
use crate::core::delivery::wire::fnv1a64;
use crate::core::store::StoreError;
use crate::core::vecmap::VecSet;
use crate::core::Millis;

/// Something set aside, and the key to delete once the quarantine holds it.
#[derive(Debug, Clone)]
pub(super) struct Quarantine {
    pub entry: QuarantinedEntry,
    pub key: Option<String>,
}

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

    fn entry_key(&self, id: &str) -> String {
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
    fn report_store_error(&mut self, err: &StoreError, action: &str) {
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
    /// instead of being brought back (returns false). A refused write keeps
    /// the change in memory (reported, retried later).
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
        if let Ok(None) = self.store.get(&key) {
            self.entries.remove(p);
            return false;
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

    /// Takes a stored message into memory: an unknown one is added, a known
    /// one is replaced by a newer stored version (never while in flight).
    fn adopt(&mut self, stored: QueuedMessage) {
        let Some(p) = self.position(&stored.id) else {
            if !self.pending_removals.contains(&stored.id) {
                self.insert(Entry::new(stored));
            }
            return;
        };
        let newly_persisted = !self.entries[p].msg.persisted;
        self.entries[p].msg.persisted = true;
        let newer = stored.updated_at > self.entries[p].msg.updated_at;
        if newer && !self.is_in_flight(&stored.id) {
            self.entries.remove(p);
            let id = stored.id.clone();
            self.insert(Entry::new(stored));
            if newly_persisted {
                self.emit_persisted(&id);
            }
        } else if newly_persisted {
            let id = stored.id;
            self.emit_persisted(&id);
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

    // ------------------------------------------------------------------
    // Migration and quarantine
    // ------------------------------------------------------------------

    /// Moves the old whole document (v1 or v2) under `storage_key` into one
    /// key per message, then deletes it. Entries already migrated (by another
    /// tab) are left as they are; an entry the store refuses stays in memory
    /// (`persisted: false`, reported) after the old document is deleted, which
    /// frees the space it needs on the next try.
    pub(super) fn migrate(&mut self, now: Millis) {
        let doc_key = self.config.storage_key.clone();
        let text = match self.store.get(&doc_key) {
            Ok(Some(text)) => text,
            Ok(None) => return,
            Err(e) => {
                self.report_store_error(&e, "read");
                return;
            }
        };
        let (messages, bad) = match persist::parse_document(&text) {
            Parsed::Unparsable { reason } => {
                if self.seen_bad.insert(fnv1a64(text.as_bytes())) {
                    self.quarantine(vec![Quarantine {
                        entry: QuarantinedEntry {
                            quarantined_at: now,
                            reason: reason.clone(),
                            raw: text,
                            id: None,
                        },
                        key: Some(doc_key),
                    }]);
                    let message = cat!(
                        "the stored offline queue is unreadable (",
                        reason,
                        "); it was set aside under '",
                        self.config.quarantine_key,
                        "' and the queue continues without it"
                    );
                    self.emit(QueueEvent::Error {
                        reason: QueueErrorReason::Corrupt,
                        message,
                        message_id: None,
                    });
                }
                return;
            }
            Parsed::Doc { messages, bad } => (messages, bad),
        };
        let new_bad: Vec<(BadEntry, Option<String>)> = bad
            .into_iter()
            .filter(|b| self.seen_bad.insert(fnv1a64(b.raw.as_bytes())))
            .map(|b| (b, None))
            .collect();
        if !new_bad.is_empty() {
            self.report_bad(new_bad, now);
        }
        let mut refused = Vec::new();
        for msg in messages {
            let key = self.entry_key(&msg.id);
            if let Ok(Some(_)) = self.store.get(&key) {
                continue;
            }
            if self.store.set(&key, &persist::encode_entry(&msg)).is_err() {
                refused.push(msg);
            }
        }
        if let Err(e) = self.store.remove(&doc_key) {
            self.report_store_error(&e, "remove the old stored form of");
        }
        for mut msg in refused {
            let key = self.entry_key(&msg.id);
            if let Err(e) = self.store.set(&key, &persist::encode_entry(&msg)) {
                msg.persisted = false;
                let id = msg.id.clone();
                self.insert(Entry::new(msg));
                self.report_unstored(&id, &e, false);
            }
        }
    }

    fn report_bad(&mut self, bad: Vec<(BadEntry, Option<String>)>, now: Millis) {
        let one = bad.len() == 1;
        let message = cat!(
            bad.len(),
            " stored queue entr",
            if one { "y" } else { "ies" },
            " failed the integrity check (",
            bad.iter()
                .map(|(b, _)| b.reason.as_str())
                .collect::<Vec<_>>()
                .join("; "),
            ") and ",
            if one { "was" } else { "were" },
            " set aside under '",
            self.config.quarantine_key,
            "'; the other entries were loaded"
        );
        let message_id = match bad.as_slice() {
            [(one, _)] => one.id.clone(),
            _ => None,
        };
        self.quarantine(
            bad.into_iter()
                .map(|(b, key)| Quarantine {
                    entry: QuarantinedEntry {
                        quarantined_at: now,
                        reason: b.reason,
                        raw: b.raw,
                        id: b.id,
                    },
                    key,
                })
                .collect(),
        );
        self.emit(QueueEvent::Error {
            reason: QueueErrorReason::Corrupt,
            message,
            message_id,
        });
    }

    /// Adds entries to the quarantine document, then deletes their keys
    /// (kept in memory, and the keys kept, until the document is written).
    pub(super) fn quarantine(&mut self, mut new: Vec<Quarantine>) {
        let mut pending = std::mem::take(&mut self.quarantine_backlog);
        pending.append(&mut new);
        let existing = match self.store.get(&self.config.quarantine_key) {
            Ok(Some(text)) => persist::parse_quarantine(
                &text,
                pending.first().map_or(0, |q| q.entry.quarantined_at),
            ),
            Ok(None) => Vec::new(),
            Err(e) => {
                self.report_store_error(&e, "set aside corrupt data of");
                self.quarantine_backlog = pending;
                return;
            }
        };
        let entries: Vec<QuarantinedEntry> = pending.iter().map(|q| q.entry.clone()).collect();
        let text = persist::append_quarantine(existing, &entries);
        if let Err(e) = self.store.set(&self.config.quarantine_key, &text) {
            self.report_store_error(&e, "set aside corrupt data of");
            self.quarantine_backlog = pending;
            return;
        }
        for q in pending {
            let Some(key) = q.key else { continue };
            // Only if it still holds what was set aside (a sound copy may
            // have been written over it meanwhile).
            if self.store.get(&key).ok().flatten().as_deref() != Some(q.entry.raw.as_str()) {
                continue;
            }
            if let Err(e) = self.store.remove(&key) {
                self.report_store_error(&e, "set aside corrupt data of");
            }
        }
    }
}
