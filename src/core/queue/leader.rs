//! The cross-tab flush lock (with `use_flush_lock`): the one tab that sends
//! (the leader), when the lock changes hands, and the leader record that
//! makes a change of hands safe.
//!
//! * A connected tab asks for the lock and keeps it while it stays
//!   connected; it lets go only when it cannot send (link lost, disposed) or
//!   the host took it away (a storage lease another tab took over). A flush
//!   in a tab without the lock waits for it, and ends once nothing this tab
//!   sees is sendable: the leader sent (or failed) it.
//! * `localStorage` changes reach other tabs in the order one tab made them,
//!   but in no order with the lock's grant. So the leader keeps a record
//!   under `<storageKey>:leader`: `held <id>` when it starts leading, and
//!   `released <id>` as its last change before it lets go. A new holder
//!   whose view shows no record, its own, or a release has seen every
//!   change the previous leader made while leading (its removals of sent
//!   messages among them) and leads at once. One whose view shows another
//!   leader's `held` is behind that leader's release, or the leader went
//!   away without writing it (a closed or crashed tab): it waits until the
//!   record changes (a storage event) or for [`TAKEOVER_WAIT_MS`], then
//!   re-reads the store and leads. While the store refuses the record (it
//!   is full), the next holder cannot know it is behind.

use super::{Flush, Lock, OfflineQueueService, QueueEffect};
use crate::core::decimal::cat;
use crate::core::Millis;

/// How long a new holder of the flush lock waits, at most, for the previous
/// leader's release to reach its view of the store (the previous leader may
/// have gone away without writing it).
pub const TAKEOVER_WAIT_MS: Millis = 1_000;

impl OfflineQueueService {
    /// Whether `key` is the store key of the leader record.
    pub(super) fn is_leader_key(&self, key: &str) -> bool {
        key == self.leader_key
    }

    /// Whether this tab's view says another tab leads now.
    fn other_leads(&self) -> bool {
        matches!(self.store.get(&self.leader_key), Ok(Some(text))
            if text.strip_prefix("held ").is_some_and(|id| id != self.leader_id))
    }

    /// Writes the leader record `<state> <id>` (best effort, see the module
    /// docs).
    fn record(&mut self, state: &str) {
        let text = cat!(state, ' ', self.leader_id);
        let _ = self.store.set(&self.leader_key, &text);
    }

    /// Asks for the flush lock unless it is held or asked for (connected,
    /// with `use_flush_lock`).
    pub(super) fn request_lock(&mut self) {
        if !self.config.use_flush_lock || !self.connected || !matches!(self.lock, Lock::Free) {
            return;
        }
        self.next_lock_id = self.next_lock_id.wrapping_add(1);
        let lock_id = self.next_lock_id;
        self.lock = Lock::Requested(lock_id);
        self.effects
            .push_back(QueueEffect::AcquireFlushLock { lock_id });
    }

    /// The host acquired the lock requested by `AcquireFlushLock { lock_id }`:
    /// this tab leads, at once or once the previous leader's release reaches
    /// it (see the module docs). A stale id (withdrawn meanwhile) is
    /// answered with `ReleaseFlushLock`.
    pub fn on_flush_lock_acquired(&mut self, lock_id: u64, now: Millis) {
        let asked = matches!(self.lock, Lock::Requested(id) if id == lock_id);
        if !asked || !self.connected {
            if asked {
                self.lock = Lock::Free;
            }
            self.effects
                .push_back(QueueEffect::ReleaseFlushLock { lock_id });
            return;
        }
        if self.other_leads() {
            self.lock = Lock::Settling {
                lock_id,
                until: now.saturating_add(TAKEOVER_WAIT_MS),
            };
        } else {
            self.lead(lock_id, now);
        }
    }

    /// The leader record changed (a storage event): a holder waiting for the
    /// previous leader's release leads once its view no longer shows that
    /// leader.
    pub(super) fn on_leader_record_changed(&mut self, now: Millis) {
        if let Lock::Settling { lock_id, .. } = self.lock {
            if !self.other_leads() {
                self.lead(lock_id, now);
            }
        }
    }

    /// Starts leading: records it, takes in every tab's messages (re-reading
    /// the store) and flushes.
    pub(super) fn lead(&mut self, lock_id: u64, now: Millis) {
        self.lock = Lock::Held(lock_id);
        self.record("held");
        match self.flush {
            Flush::AwaitingLock { flush_id } => self.start_flush(flush_id, now),
            Flush::Running { .. } => self.pump(now),
            Flush::Idle => {
                self.retry_unwritten(now);
                self.reload_all(now);
                self.trigger(now, false);
            }
        }
    }

    /// The host took the lock `lock_id` away (a storage lease another tab
    /// took over after this one failed to renew it in time): a running flush
    /// ends after the request in flight (its answer is still taken), and
    /// this tab asks again, behind the new leader.
    pub fn on_flush_lock_lost(&mut self, lock_id: u64, now: Millis) {
        match self.lock {
            Lock::Held(id) | Lock::Settling { lock_id: id, .. } if id == lock_id => {}
            _ => return,
        }
        self.lock = Lock::Free;
        // The host forgets the lost request; the record is the new leader's.
        self.effects
            .push_back(QueueEffect::ReleaseFlushLock { lock_id });
        if matches!(self.flush, Flush::Running { .. }) {
            self.finish();
        }
        self.request_lock();
        self.trigger(now, false);
    }

    /// Lets the flush lock go (or withdraws the request): this tab cannot
    /// send (disconnected, or going away). A leader first writes its release
    /// into the record, after all its other changes.
    pub fn release_lock(&mut self) {
        let lock_id = match std::mem::replace(&mut self.lock, Lock::Free) {
            Lock::Free => return,
            Lock::Requested(id) | Lock::Settling { lock_id: id, .. } => id,
            Lock::Held(id) => {
                // Not over another leader's record (one that took over a
                // lease this tab had lost without hearing it yet).
                if !self.other_leads() {
                    self.record("released");
                }
                id
            }
        };
        self.effects
            .push_back(QueueEffect::ReleaseFlushLock { lock_id });
    }

    /// Whether this tab holds the flush lock and leads (sends).
    pub fn holds_flush_lock(&self) -> bool {
        matches!(self.lock, Lock::Held(_))
    }

    /// A flush waiting for the lock ends once nothing this tab sees is
    /// sendable: the leader sent (or failed) it.
    pub(super) fn settle_waiting_flush(&mut self) {
        if matches!(self.flush, Flush::AwaitingLock { .. }) && !self.has_sendable() {
            self.finish();
        }
    }
}
