//! What other tabs do: storage events and the quarantine they share (the
//! cross-tab flush lock is `leader.rs`).

use super::{persist, OfflineQueueService, QuarantinedEntry};
use crate::core::store::StoreError;
use crate::core::Millis;

impl OfflineQueueService {
    /// Re-reads the whole store into memory: entries another tab removed are
    /// dropped, entries it added are adopted, the newer version of an entry
    /// wins, and entries that never reached the store (refused writes) are
    /// kept and written again. Starts sending when connected and something is
    /// sendable.
    pub fn reload_from_store(&mut self, now: Millis) {
        self.retry_unwritten(now);
        self.reload_all(now);
        if self.connected {
            self.trigger(now, false);
        }
        self.settle_waiting_flush();
    }

    /// Another tab changed `key` in the store (a `storage` event; `None`:
    /// the whole storage was cleared). Only that entry is re-read, so a late
    /// event is harmless (the key's current value counts, not the event's)
    /// and a lost one is caught up by the next flush, which re-reads the
    /// store. The leader record (`leader.rs`) may let a waiting holder lead.
    /// Other keys are ignored.
    pub fn on_storage_changed(&mut self, key: Option<&str>, now: Millis) {
        match key.map(|k| self.entry_id(k)) {
            Some(Some(id)) => {
                self.retry_unwritten(now);
                self.recheck(&id, now);
                if self.connected {
                    self.trigger(now, false);
                }
                self.settle_waiting_flush();
            }
            Some(None) if key.is_some_and(|k| self.is_leader_key(k)) => {
                self.on_leader_record_changed(now)
            }
            Some(None) if key != Some(self.config.storage_key.as_str()) => {}
            // A cleared storage, or an old-layout document from an older build.
            _ => {
                self.migrate(now);
                self.reload_from_store(now);
                self.on_leader_record_changed(now);
            }
        }
    }

    /// The entries set aside as corrupt (stored ones, plus any that could not
    /// be written yet).
    pub fn quarantined(&self, now: Millis) -> Vec<QuarantinedEntry> {
        let mut out = match self.store.get(&self.config.quarantine_key) {
            Ok(Some(text)) => persist::parse_quarantine(&text, now),
            _ => Vec::new(),
        };
        out.extend(self.quarantine_backlog.iter().map(|q| q.entry.clone()));
        out
    }

    /// Deletes the quarantine.
    pub fn clear_quarantine(&mut self) -> Result<(), StoreError> {
        self.quarantine_backlog.clear();
        self.store.remove(&self.config.quarantine_key)
    }
}
