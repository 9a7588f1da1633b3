//! The one-time migration of the old whole-document layout, and the
//! quarantine of corrupt entries (kept under the quarantine key, reported).

use super::persist::{self, BadEntry, Parsed};
use super::{Entry, OfflineQueueService, QuarantinedEntry, QueueErrorReason, QueueEvent};
use crate::core::decimal::cat;
use crate::core::delivery::wire::fnv1a64;
use crate::core::Millis;

/// Something set aside, and the key to delete once the quarantine holds it.
#[derive(Debug, Clone)]
pub(super) struct Quarantine {
    pub entry: QuarantinedEntry,
    pub key: Option<String>,
}

impl OfflineQueueService {
    /// Moves what an earlier build stored under `legacy_key` (see
    /// `migrate_legacy`), then the old whole document (v1, nchat's, or v2)
    /// under `storage_key` into one key per message, then deletes it.
    /// Entries already migrated (by another
    /// tab) are left as they are; an entry the store refuses stays in memory
    /// (`persisted: false`, reported) after the old document is deleted, which
    /// frees the space it needs on the next try.
    pub(super) fn migrate(&mut self, now: Millis) {
        if let Some(old) = self.config.legacy_key.clone() {
            if old != self.config.storage_key {
                self.migrate_doc(old.clone(), now);
                self.migrate_legacy(&old);
            }
        }
        self.migrate_doc(self.config.storage_key.clone(), now);
    }

    /// Moves the entries and the quarantine an earlier build stored under
    /// its default prefix `old` to this queue's keys (entries already there
    /// win), then deletes them; one the store refuses stays for the next try.
    fn migrate_legacy(&mut self, old: &str) {
        let prefix = cat!(old, ":m:");
        let keys = match self.store.keys_with_prefix(&prefix) {
            Ok(keys) => keys,
            Err(e) => return self.report_store_error(&e, "read"),
        };
        let moves = keys.into_iter().filter_map(|key| {
            let id = key.strip_prefix(&prefix).filter(|id| !id.is_empty())?;
            let to = self.entry_key(id);
            Some((key, to))
        });
        let quarantine = (cat!(old, ":quarantine"), self.config.quarantine_key.clone());
        for (from, to) in moves.collect::<Vec<_>>().into_iter().chain([quarantine]) {
            let text = match self.store.get(&from) {
                Ok(Some(text)) => text,
                Ok(None) => continue,
                Err(e) => return self.report_store_error(&e, "read"),
            };
            let kept = match self.store.get(&to) {
                Ok(Some(_)) => Ok(()),
                Ok(None) => self.store.set(&to, &text),
                Err(e) => Err(e),
            };
            let moved = kept.and_then(|()| self.store.remove(&from));
            if let Err(e) = moved {
                self.report_store_error(&e, "move an entry of an earlier build into");
            }
        }
    }

    /// Moves the whole document under `doc_key` (see [`Self::migrate`]).
    fn migrate_doc(&mut self, doc_key: String, now: Millis) {
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

    pub(super) fn report_bad(&mut self, bad: Vec<(BadEntry, Option<String>)>, now: Millis) {
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
