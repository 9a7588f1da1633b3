//! Offline queues on the session: attach, commands, sends through the
//! connection (never while disconnected, and a lost link is not an
//! attempt), the cross-tab flush lock (held while the queue leads, see
//! `core::queue`), storage events of other tabs, and who waits for the end
//! of a flush.

use super::locks::LockMode;
use super::relay;
use super::services::Machine;
use super::sync::SyncSlot;
use super::{
    route::first_ack_arg, Answer, Event, Handle, LockId, ServiceKind, Session, SessionError,
    Ticket, Waiter,
};
use crate::core::queue::{
    NewMessage, OfflineQueueService, QueueConfig, QueueEffect, QueueError, QueueEvent,
    QueuedMessage,
};
use crate::core::Millis;

/// How a queue starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueAttach {
    /// Seed of ids and jitter (random per tab).
    pub seed: u64,
    /// The cross-tab flush lock; `None` for a single tab.
    pub lock: Option<LockMode>,
    /// This tab's name in a storage lease.
    pub owner: String,
}

/// Who waits for the end of a flush.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum FlushWaiter {
    /// A `flushQueue()`.
    App(Ticket),
    /// A sync's queue step.
    Sync(Handle),
}

/// A queue in the session.
pub(super) struct QueueSlot {
    pub core: OfflineQueueService,
    lock: Option<LockMode>,
    lock_name: String,
    owner: String,
    /// Lock requests by the queue's lock id.
    locks: Vec<(u64, LockId)>,
    /// Who waits for which flush.
    pub waiters: Vec<(u64, FlushWaiter)>,
}

impl Session {
    /// Opens a queue on the session's store (loading what is stored; the
    /// problems found are events waiting in [`Session::poll`]); it flushes
    /// at once when connected.
    pub fn attach_queue(
        &mut self,
        config: QueueConfig,
        attach: QueueAttach,
        now: Millis,
    ) -> Result<Handle, SessionError> {
        self.now = now;
        let storage_key = config.storage_key.clone();
        let store = relay::noting(&self.store, &self.written, self.next_service_handle());
        let mut core = OfflineQueueService::open(config, store, attach.seed, now);
        if self.is_connected() {
            core.on_connected(now);
        }
        let handle = self.add_service(Machine::Queue(Box::new(QueueSlot {
            core,
            lock: attach.lock,
            lock_name: crate::core::decimal::cat!(storage_key, ":flush-lock"),
            owner: attach.owner,
            locks: Vec::new(),
            waiters: Vec::new(),
        })));
        self.route();
        Ok(handle)
    }

    /// The queue machine of `handle` (for reads).
    pub fn queue(&self, handle: Handle) -> Result<&OfflineQueueService, SessionError> {
        self.slot_ref::<QueueSlot>(handle).map(|s| &s.core)
    }

    /// Adds a message.
    pub fn queue_message(
        &mut self,
        handle: Handle,
        message: NewMessage,
        now: Millis,
    ) -> Result<QueuedMessage, SessionError> {
        self.queue_do(handle, now, |q, now| q.queue_message(message, now))
    }

    /// Removes a message that is not in flight.
    pub fn queue_remove(
        &mut self,
        handle: Handle,
        id: &str,
        now: Millis,
    ) -> Result<QueuedMessage, SessionError> {
        self.queue_do(handle, now, |q, now| q.remove_message(id, now))
    }

    /// Replaces a queued message's content; `false` when absent or being
    /// sent; an error for blank text without attachments.
    pub fn queue_update(
        &mut self,
        handle: Handle,
        id: &str,
        content: &str,
        now: Millis,
    ) -> Result<bool, SessionError> {
        self.queue_do(handle, now, |q, now| q.update_content(id, content, now))
    }

    /// Puts a failed message back in line.
    pub fn queue_retry(
        &mut self,
        handle: Handle,
        id: &str,
        now: Millis,
    ) -> Result<(), SessionError> {
        self.queue_do(handle, now, |q, now| q.retry_message(id, now))
    }

    /// Removes every message but the one in flight; returns how many.
    pub fn queue_clear(&mut self, handle: Handle, now: Millis) -> Result<usize, SessionError> {
        self.queue_do(handle, now, |q, now| Ok(q.clear_queue(now)))
    }

    /// Deletes the quarantine.
    pub fn queue_clear_quarantine(
        &mut self,
        handle: Handle,
        now: Millis,
    ) -> Result<(), SessionError> {
        self.on_slot(handle, now, |s: &mut QueueSlot, _| {
            Ok(s.core.clear_quarantine()?)
        })
    }

    /// Flushes (joining a running flush); the ticket completes with
    /// [`Answer::Flushed`].
    pub fn queue_flush(&mut self, handle: Handle, now: Millis) -> Result<Ticket, SessionError> {
        let ticket = self.ticket();
        self.on_slot(handle, now, |s: &mut QueueSlot, now| {
            let id = s.core.flush_queue(now);
            s.waiters.push((id, FlushWaiter::App(ticket)));
            Ok(ticket)
        })
    }

    fn queue_do<T>(
        &mut self,
        handle: Handle,
        now: Millis,
        f: impl FnOnce(&mut OfflineQueueService, Millis) -> Result<T, QueueError>,
    ) -> Result<T, SessionError> {
        self.on_slot(handle, now, |s: &mut QueueSlot, now| {
            Ok(f(&mut s.core, now)?)
        })
    }

    /// Another tab changed `key` in the storage (`None`: cleared): the
    /// queues and syncs that keep data there, and lease waiters, look again.
    pub fn handle_storage_changed(&mut self, key: Option<&str>, now: Millis) {
        self.now = now;
        for s in &mut self.services {
            match &mut s.machine {
                // The queue tells its keys from others itself.
                Machine::Queue(q) => q.core.on_storage_changed(key, now),
                Machine::Sync(y) if y.watches(key) => y.core.reload_from_store(now),
                _ => {}
            }
        }
        self.leases_storage_changed(key, now);
        self.route();
    }

    /// Starts a flush sent for `sync` (its queue step); `false` when the
    /// queue is gone.
    pub(super) fn flush_for_sync(&mut self, queue: Handle, sync: Handle) -> bool {
        let now = self.now;
        let Ok(q) = self.slot::<QueueSlot>(queue) else {
            return false;
        };
        let id = q.core.flush_queue(now);
        q.waiters.push((id, FlushWaiter::Sync(sync)));
        true
    }

    pub(super) fn queue_effects(&mut self, handle: Handle, effects: Vec<QueueEffect>) {
        for effect in effects {
            match effect {
                QueueEffect::Request {
                    request_id,
                    event,
                    payload,
                    timeout_ms,
                } => {
                    if !self.is_connected() {
                        // The link dropped before the queue heard it: not an attempt.
                        self.with_queue(handle, |q, now| q.on_disconnected(now));
                        continue;
                    }
                    let waiter = Waiter::Service(handle, request_id);
                    if let Err(e) = self.request_for(waiter, &event, &payload, Some(timeout_ms)) {
                        self.queue_answer(handle, request_id, Err(e));
                    }
                }
                QueueEffect::Event(ev) => {
                    self.deliveries_follow(handle, &ev);
                    let flushed = match ev {
                        QueueEvent::Flushed {
                            flush_id,
                            sent,
                            failed,
                        } => Some((flush_id, sent, failed)),
                        _ => None,
                    };
                    self.event(handle, Event::Queue(ev));
                    if let Some((flush_id, sent, failed)) = flushed {
                        self.flush_ended(handle, flush_id, sent, failed);
                    }
                }
                QueueEffect::AcquireFlushLock { lock_id } => {
                    self.acquire_flush_lock(handle, lock_id)
                }
                QueueEffect::ReleaseFlushLock { lock_id } => {
                    self.release_flush_lock(handle, lock_id)
                }
            }
        }
    }

    /// A flush ended: who waited for it hears `{sent, failed}`. The flush
    /// lock stays (the queue lets it go when it cannot send any more).
    fn flush_ended(&mut self, handle: Handle, flush_id: u64, sent: u32, failed: u32) {
        let Ok(q) = self.slot::<QueueSlot>(handle) else {
            return;
        };
        let (mine, rest): (Vec<_>, Vec<_>) = std::mem::take(&mut q.waiters)
            .into_iter()
            .partition(|(id, _)| *id == flush_id);
        q.waiters = rest;
        for (_, w) in mine {
            self.flush_answer(w, Some((sent, failed)));
        }
    }

    /// Tells a flush waiter the counts (`None`: the queue went away).
    fn flush_answer(&mut self, waiter: FlushWaiter, counts: Option<(u32, u32)>) {
        match waiter {
            FlushWaiter::App(t) => {
                let result = counts
                    .map(|(sent, failed)| Answer::Flushed { sent, failed })
                    .ok_or(SessionError::Disposed(ServiceKind::Queue));
                self.done(t, result);
            }
            FlushWaiter::Sync(h) => {
                let (sent, failed) = counts.unwrap_or((0, 0));
                let now = self.now;
                if let Ok(s) = self.slot::<SyncSlot>(h) {
                    s.core.on_queue_flushed(sent, failed, now);
                }
            }
        }
    }

    fn acquire_flush_lock(&mut self, handle: Handle, lock_id: u64) {
        let now = self.now;
        let Ok(q) = self.slot::<QueueSlot>(handle) else {
            return;
        };
        let Some(mode) = q.lock else {
            q.core.on_flush_lock_acquired(lock_id, now);
            return;
        };
        let (name, owner) = (q.lock_name.clone(), q.owner.clone());
        let lock = self.request_lock(handle, lock_id, name, owner, mode);
        if let Ok(q) = self.slot::<QueueSlot>(handle) {
            q.locks.push((lock_id, lock));
        }
    }

    fn release_flush_lock(&mut self, handle: Handle, lock_id: u64) {
        let Ok(q) = self.slot::<QueueSlot>(handle) else {
            return;
        };
        let (mine, rest): (Vec<_>, Vec<_>) = std::mem::take(&mut q.locks)
            .into_iter()
            .partition(|(id, _)| *id == lock_id);
        q.locks = rest;
        for (_, lock) in mine {
            self.release_lock(lock);
        }
    }

    /// The queue's lock request `lock_id` is granted.
    pub(super) fn queue_lock_granted(&mut self, handle: Handle, lock_id: u64) {
        self.with_queue(handle, |q, now| q.on_flush_lock_acquired(lock_id, now));
    }

    /// The queue's lock `lock_id` was taken over by another tab.
    pub(super) fn queue_lock_lost(&mut self, handle: Handle, lock_id: u64) {
        self.with_queue(handle, |q, now| q.on_flush_lock_lost(lock_id, now));
    }

    /// The answer of a `message:send`; a failure while the link is down is
    /// not an attempt (the message goes back in line).
    pub(super) fn queue_answer(
        &mut self,
        handle: Handle,
        request_id: u64,
        result: Result<String, SessionError>,
    ) {
        let link_lost = result.is_err() && !self.is_connected();
        self.with_queue(handle, |q, now| {
            if link_lost {
                q.on_disconnected(now);
            } else {
                let _ = q.on_response(request_id, first_ack_arg(result), now);
            }
        });
    }

    fn with_queue(&mut self, handle: Handle, f: impl FnOnce(&mut OfflineQueueService, Millis)) {
        let now = self.now;
        if let Ok(q) = self.slot::<QueueSlot>(handle) {
            f(&mut q.core, now);
        }
    }

    /// A queue goes: it lets its lock go (a leader records its release
    /// first), flush waiters hear it, and the handlers following it stop.
    pub(super) fn queue_detached(&mut self, handle: Handle, slot: &mut QueueSlot) {
        slot.core.release_lock();
        // Its ReleaseFlushLock is carried out here, for every request.
        let _ = slot.core.drain_effects();
        for (_, lock) in std::mem::take(&mut slot.locks) {
            self.release_lock(lock);
        }
        for (_, w) in std::mem::take(&mut slot.waiters) {
            self.flush_answer(w, None);
        }
        for s in &mut self.services {
            if let Machine::Delivery(d) = &mut s.machine {
                if d.queue == Some(handle) {
                    d.queue = None;
                }
            }
        }
    }
}
