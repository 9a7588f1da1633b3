//! What other tabs do: storage events, the cross-tab flush lock, and the
//! quarantine they share.

use super::{persist, Flush, OfflineQueueService, QuarantinedEntry, QueueEffect};
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
    }

    /// Another tab changed `key` in the store (a `storage` event; `None`:
    /// the whole storage was cleared). Only that entry is re-read, so a late
    /// event is harmless (the key's current value counts, not the event's)
    /// and a lost one is caught up by the next flush, which re-reads the
    /// store. Keys that are not the queue's are ignored.
    pub fn on_storage_changed(&mut self, key: Option<&str>, now: Millis) {
        match key.map(|k| self.entry_id(k)) {
            Some(Some(id)) => {
                self.retry_unwritten(now);
                self.recheck(&id, now);
                if self.connected {
                    self.trigger(now, false);
                }
            }
            Some(None) if key != Some(self.config.storage_key.as_str()) => {}
            // A cleared storage, or an old-layout document from an older build.
            _ => {
                self.migrate(now);
                self.reload_from_store(now);
            }
        }
    }

    /// The host acquired the lock requested by `AcquireFlushLock { flush_id }`.
    /// A stale id (the flush already ended) is answered with `ReleaseFlushLock`.
    pub fn on_flush_lock_acquired(&mut self, flush_id: u64, now: Millis) {
        match self.flush {
            Flush::AwaitingLock { flush_id: id } if id == flush_id => self.start_flush(id, now),
            _ => self
                .effects
                .push_back(QueueEffect::ReleaseFlushLock { flush_id }),
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
