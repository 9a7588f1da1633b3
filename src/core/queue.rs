//! OfflineQueueService core: messages written while offline, persisted through
//! a [`KeyValueStore`] and sent in order, one at a time, when connected.
//!
//! * **Order and acks.** The queue sends the first sendable message as a
//!   `message:send` [`QueueEffect::Request`] and waits for its ack before the
//!   next one. Messages are ordered by `(createdAt, id)`; `createdAt` strictly
//!   increases within one instance, so one tab's messages keep their order. A
//!   message leaves the queue (and the store) only after a successful ack
//!   (`{success:true}` with or without an id, see [`ack`]). Every attempt reuses
//!   the message's `clientMessageId` (top level and `metadata.clientMessageId`),
//!   so a server or receiver can de-duplicate re-sends.
//! * **Retries.** A failed attempt (error ack, host error, timeout) is retried
//!   after `backoff.delay(n)` (1 s, 2 s, 4 s, 8 s, 16 s, +0–10 % jitter from the
//!   seeded [`Rng`]); the message blocks the ones after it meanwhile, so order
//!   holds. After `max_retries` (5) retries, i.e. the 6th failed attempt, it
//!   becomes `failed`, stays in the queue for [`retry_message`](OfflineQueueService::retry_message),
//!   `message:failed` is emitted (with the server's error code) and later
//!   messages go on. A disconnect does not count as an attempt:
//!   [`on_disconnected`](OfflineQueueService::on_disconnected) puts the
//!   in-flight message back to `queued` and ignores its late answer.
//! * **Flushes.** A flush runs until nothing sendable is left (or the socket
//!   drops) and ends with `queue:flushed {flushId, sent, failed}`.
//!   `flush_queue` returns the flush id (joining a running flush), which is how
//!   a JS `Promise` waits for its result.
//! * **Storage** (layout in `persist.rs`): one key per message, so tabs never rewrite
//!   each other's entries. A tab writes only what it changes: an enqueue is one
//!   write. An entry's key is removed only on its ack or by `remove_message` /
//!   `clear_queue`; before rewriting an entry it did not just create, a tab
//!   re-reads its key and drops the entry if another tab removed it (no
//!   resurrection). A message the store refuses stays in memory with
//!   `persisted: false`, is reported with its own `queue:error`, is still sent,
//!   and is written again on every later store operation and before each send
//!   (`message:persisted` when it succeeds). Corrupt entries are moved to the
//!   quarantine key and reported; the healthy ones load. The old whole-document
//!   layout is migrated once.
//! * **Multi-tab** (with `use_flush_lock`; rules in `leader.rs`). Only the
//!   tab holding the cross-tab flush lock sends: the leader. A connected tab
//!   asks for the lock ([`QueueEffect::AcquireFlushLock`], granted with
//!   [`on_flush_lock_acquired`](OfflineQueueService::on_flush_lock_acquired))
//!   and keeps it while it stays connected, sending every tab's messages (it
//!   hears of them by storage events and re-reads the store before each
//!   send). It lets go ([`QueueEffect::ReleaseFlushLock`]) only when it
//!   cannot send: its link dropped, or it is disposed or unloaded. The lock
//!   does not change hands between flushes because `localStorage` changes
//!   reach other tabs in no order with the lock's grant: a new holder could
//!   still see an entry the old one was acked for and removed, and send it
//!   again. When it does change hands, the new leader waits until its view
//!   shows the old leader's release (the leader record, written after all
//!   of the old leader's changes, so it arrives after them) or, if the old
//!   leader went away without writing it, for [`TAKEOVER_WAIT_MS`]. A flush
//!   in another tab waits for the lock and ends as soon as nothing it sees is
//!   sendable (the leader sent it).

pub mod ack;
mod edit;
mod flush;
mod forms;
mod leader;
mod multitab;
mod persist;
mod quarantine;
mod storage;
mod types;

use crate::core::fifo::Fifo;

use crate::core::vecmap::VecSet;

pub use flush::send_payload;
pub use leader::TAKEOVER_WAIT_MS;
pub use persist::{QuarantinedEntry, QUEUE_SCHEMA_VERSION};
pub use types::*;

use super::decimal::{cat, push_hex};
use super::rng::Rng;
use super::store::KeyValueStore;
use super::Millis;

/// Request ids issued by the queue have this tag in bits 48+ (`id >> 48 == 2`).
pub const QUEUE_REQUEST_TAG: u64 = 2 << 48;

/// Stored `createdAt` values further ahead of the clock than this are not
/// used to order this instance's new messages (a bogus or skewed entry must
/// not push every new message's timestamp far into the future).
const MAX_CLOCK_LEAD_MS: Millis = 60_000;

#[derive(Debug, Clone)]
struct Entry {
    /// `msg.persisted`: its key is known to be in the store.
    msg: QueuedMessage,
    /// Persisted, but its latest change could not be written (the store
    /// holds an older version).
    dirty: bool,
    /// Waiting for a retry delay until then.
    next_attempt_at: Option<Millis>,
    /// Size of its stored text (for the byte budget).
    bytes: usize,
}

impl Entry {
    fn new(msg: QueuedMessage) -> Self {
        let bytes = persist::encode_entry(&msg).len();
        Entry {
            msg,
            dirty: false,
            next_attempt_at: None,
            bytes,
        }
    }

    fn order_key(&self) -> (Millis, &str) {
        (self.msg.created_at, self.msg.id.as_str())
    }
}

#[derive(Debug, Clone)]
struct InFlight {
    request_id: u64,
    message: QueuedMessage,
    deadline: Millis,
}

/// This tab's hold on the cross-tab flush lock (with `use_flush_lock`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Lock {
    /// Not asked for (disconnected, or no lock in use).
    Free,
    /// Asked for with this id, not granted yet.
    Requested(u64),
    /// Granted, but this tab's view still shows another leader: it waits
    /// for that leader's release to reach it, until `until` at the latest.
    Settling {
        /// The request's id.
        lock_id: u64,
        /// When it leads anyway.
        until: Millis,
    },
    /// Held under this id: this tab is the leader that sends.
    Held(u64),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Flush {
    Idle,
    AwaitingLock {
        flush_id: u64,
    },
    Running {
        flush_id: u64,
        sent: u32,
        failed: u32,
    },
}

/// The offline queue state machine (see the module docs). Owns its store.
pub struct OfflineQueueService {
    config: QueueConfig,
    store: Box<dyn KeyValueStore>,
    rng: Rng,
    /// Sorted by `(createdAt, id)`.
    entries: Vec<Entry>,
    /// Ids whose key removal failed: retried, and never adopted from the store.
    pending_removals: VecSet<String>,
    in_flight: Option<InFlight>,
    flush: Flush,
    lock: Lock,
    next_lock_id: u64,
    /// The leader record's key, and this instance's name in it.
    leader_key: String,
    leader_id: String,
    next_flush_id: u64,
    next_request: u64,
    counter: u64,
    last_created_at: Millis,
    connected: bool,
    store_error: Option<QueueErrorReason>,
    quarantine_backlog: Vec<quarantine::Quarantine>,
    seen_bad: VecSet<u64>,
    effects: Fifo<QueueEffect>,
}

impl std::fmt::Debug for OfflineQueueService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OfflineQueueService")
            .field("entries", &self.entries.len())
            .field("flush", &self.flush)
            .field("lock", &self.lock)
            .field("connected", &self.connected)
            .finish_non_exhaustive()
    }
}

impl OfflineQueueService {
    /// Loads the queue from `store` (migrating the old layout, checking
    /// checksums and quarantining bad entries; problems become `queue:error`
    /// effects). `seed` feeds ids and jitter: pass a random value per tab.
    /// Starts disconnected.
    pub fn open(
        config: QueueConfig,
        store: Box<dyn KeyValueStore>,
        seed: u64,
        now: Millis,
    ) -> Self {
        let leader_key = cat!(config.storage_key, ":leader");
        let mut q = Self {
            config,
            store,
            rng: Rng::new(seed),
            entries: Vec::new(),
            pending_removals: VecSet::new(),
            in_flight: None,
            flush: Flush::Idle,
            lock: Lock::Free,
            next_lock_id: 0,
            // From the seed without drawing from `rng` (ids and jitter stay
            // as they were for a seed).
            leader_key,
            leader_id: {
                let mut id = String::new();
                push_hex(&mut id, Rng::new(!seed).next_u64(), 16);
                id
            },
            next_flush_id: 0,
            next_request: 0,
            counter: 0,
            last_created_at: 0,
            connected: false,
            store_error: None,
            quarantine_backlog: Vec::new(),
            seen_bad: VecSet::new(),
            effects: Fifo::new(),
        };
        q.migrate(now);
        q.reload_all(now);
        let horizon = now.saturating_add(MAX_CLOCK_LEAD_MS);
        q.last_created_at = q
            .entries
            .iter()
            .map(|e| e.msg.created_at)
            .filter(|&t| t <= horizon)
            .max()
            .unwrap_or(0);
        q
    }

    // ------------------------------------------------------------------
    // Queue operations
    // ------------------------------------------------------------------

    /// Adds a message (one store write, `message:queued`) and starts sending
    /// when connected. Refuses with `Full` / `TooLarge` rather than dropping
    /// anything. When the store refuses it, the message is kept and sent
    /// anyway, with `persisted: false` and a `queue:error` naming it.
    pub fn queue_message(
        &mut self,
        new: NewMessage,
        now: Millis,
    ) -> Result<QueuedMessage, QueueError> {
        if new.channel_id.trim().is_empty() {
            return Err(QueueError::InvalidMessage("channelId is empty".into()));
        }
        persist::check_body(&new.content, &new.attachments).map_err(QueueError::InvalidMessage)?;
        if new.message_type.trim().is_empty() {
            return Err(QueueError::InvalidMessage("type is empty".into()));
        }
        if let Some(cid) = &new.client_message_id {
            if cid.trim().is_empty() {
                return Err(QueueError::InvalidMessage(
                    "clientMessageId is empty".into(),
                ));
            }
            if self.entries.iter().any(|e| &e.msg.client_message_id == cid) {
                return Err(QueueError::Duplicate(cid.clone()));
            }
        }
        if self.entries.len() >= self.config.max_messages {
            return Err(QueueError::Full {
                count: self.entries.len(),
                max: self.config.max_messages,
            });
        }
        let created_at = now.max(self.last_created_at.saturating_add(1));
        let (id, generated_cid) = self.generate_ids(created_at);
        let mut mentions: Vec<String> = Vec::new();
        for m in new.mentions {
            if !m.is_empty() && !mentions.contains(&m) {
                mentions.push(m);
            }
        }
        let msg = QueuedMessage {
            id,
            client_message_id: new.client_message_id.unwrap_or(generated_cid),
            channel_id: new.channel_id,
            content: new.content,
            message_type: new.message_type,
            thread_id: new.thread_id.filter(|t| !t.is_empty()),
            mentions,
            attachments: new.attachments,
            created_at,
            updated_at: created_at,
            retry_count: 0,
            status: QueuedStatus::Queued,
            last_error: None,
            last_error_code: None,
            last_retry_at: None,
            persisted: false,
        };
        let entry = Entry::new(msg);
        let bytes = self
            .entries
            .iter()
            .fold(entry.bytes, |sum, e| sum.saturating_add(e.bytes));
        if bytes > self.config.max_bytes {
            return Err(QueueError::TooLarge {
                bytes,
                max: self.config.max_bytes,
            });
        }
        self.last_created_at = created_at;
        // Older unwritten entries first, so they keep their turn.
        self.retry_unwritten(now);
        let id = entry.msg.id.clone();
        self.insert(entry);
        let stored = self.write_new(&id);
        let msg = self.get_message(&id).ok_or(QueueError::NotFound(id))?;
        self.emit(QueueEvent::Queued {
            message: msg.clone(),
        });
        if let Err(err) = stored {
            self.report_unstored(&msg.id, &err, false);
        }
        self.trigger(now, false);
        Ok(msg)
    }

    fn generate_ids(&mut self, created_at: Millis) -> (String, String) {
        loop {
            self.counter = self.counter.wrapping_add(1);
            let a = self.rng.next_u64();
            let b = self.rng.next_u64();
            let mut id = cat!("q_", created_at, '_');
            push_hex(&mut id, self.counter, 0);
            id.push('_');
            push_hex(&mut id, a >> 32, 8);
            let mut cid = cat!("cm_", created_at, '_');
            push_hex(&mut cid, self.counter, 0);
            cid.push('_');
            push_hex(&mut cid, b, 16);
            let taken = self
                .entries
                .iter()
                .any(|e| e.msg.id == id || e.msg.client_message_id == cid);
            if !taken {
                return (id, cid);
            }
        }
    }

    /// The messages in order (queued, sending and failed).
    pub fn get_queued_messages(&self) -> Vec<QueuedMessage> {
        self.entries.iter().map(|e| e.msg.clone()).collect()
    }

    /// One message by entry id.
    pub fn get_message(&self, id: &str) -> Option<QueuedMessage> {
        self.position(id).map(|p| self.entries[p].msg.clone())
    }

    /// Number of messages held (queued + sending + failed).
    pub fn get_queue_length(&self) -> usize {
        self.entries.len()
    }

    /// Removes a message that is not in flight (also one this tab has not
    /// heard of yet but the store holds).
    pub fn remove_message(&mut self, id: &str, now: Millis) -> Result<QueuedMessage, QueueError> {
        self.retry_unwritten(now);
        if self.is_in_flight(id) {
            return Err(QueueError::InFlight(id.to_owned()));
        }
        // Re-read it: another tab may have sent or removed it, or stored it
        // without this tab hearing of it yet.
        if !self.recheck(id, now) {
            return Err(QueueError::NotFound(id.to_owned()));
        }
        let pos = self
            .position(id)
            .ok_or_else(|| QueueError::NotFound(id.to_owned()))?;
        let entry = self.entries.remove(pos);
        self.remove_stored(id);
        Ok(entry.msg)
    }

    /// `failed -> queued` with the retry count reset; sends when connected.
    pub fn retry_message(&mut self, id: &str, now: Millis) -> Result<(), QueueError> {
        self.retry_unwritten(now);
        self.recheck(id, now);
        let entry = self
            .position(id)
            .and_then(|p| self.entries.get_mut(p))
            .ok_or_else(|| QueueError::NotFound(id.to_owned()))?;
        if entry.msg.status != QueuedStatus::Failed {
            return Err(QueueError::NotFailed(id.to_owned()));
        }
        entry.msg.status = QueuedStatus::Queued;
        entry.msg.retry_count = 0;
        entry.msg.last_error = None;
        entry.msg.last_error_code = None;
        entry.msg.last_retry_at = None;
        touch(&mut entry.msg, now);
        entry.next_attempt_at = None;
        self.write_update(id);
        self.trigger(now, false);
        Ok(())
    }

    /// Removes every message except the one in flight (also those this tab
    /// has not heard of yet); emits `queue:cleared {count}` and returns the count.
    pub fn clear_queue(&mut self, now: Millis) -> usize {
        self.retry_unwritten(now);
        self.reload_all(now);
        let in_flight = self.in_flight.as_ref().map(|f| f.message.id.clone());
        let mut removed = Vec::new();
        self.entries.retain(|e| {
            let keep = Some(&e.msg.id) == in_flight.as_ref();
            if !keep {
                removed.push(e.msg.id.clone());
            }
            keep
        });
        for id in &removed {
            self.remove_stored(id);
        }
        let count = removed.len();
        self.emit(QueueEvent::Cleared { count });
        count
    }

    /// Sends everything sendable, in order, if connected. Returns the flush id
    /// that the final `queue:flushed {flushId, sent, failed}` carries (a
    /// running flush is joined; when disconnected or empty the result is
    /// emitted at once with zeros).
    pub fn flush_queue(&mut self, now: Millis) -> u64 {
        if !matches!(self.flush, Flush::Running { .. }) {
            self.retry_unwritten(now);
            self.reload_all(now);
        }
        let id = self.trigger(now, true).unwrap_or_default();
        self.settle_waiting_flush();
        id
    }

    /// Whether a flush is running or waiting for the lock.
    pub fn is_flushing(&self) -> bool {
        self.flush != Flush::Idle
    }

    /// Whether `on_connected` was called since the last disconnect.
    pub fn is_connected(&self) -> bool {
        self.connected
    }

    // ------------------------------------------------------------------
    // Connection, answers and time
    // ------------------------------------------------------------------

    /// The socket is (re)connected: asks for the flush lock (to lead), and
    /// starts a flush when anything is sendable.
    pub fn on_connected(&mut self, now: Millis) {
        self.connected = true;
        self.request_lock();
        self.trigger(now, false);
    }

    /// The page is going away (closed, reloaded, or into the back/forward
    /// cache): a leader lets the flush lock go now, its release recorded
    /// after all its other changes, so the next tab leads at once instead of
    /// after [`TAKEOVER_WAIT_MS`].
    pub fn on_page_hide(&mut self) {
        if self.flush != Flush::Idle {
            self.finish();
        }
        self.release_lock();
    }

    /// The page is shown again (back from the cache): a connected queue asks
    /// to lead again and flushes what is sendable.
    pub fn on_page_show(&mut self, now: Millis) {
        self.request_lock();
        self.trigger(now, false);
    }

    /// The browser is back online: flushes if the socket is connected.
    pub fn on_online(&mut self, now: Millis) {
        if self.connected {
            self.trigger(now, false);
        }
    }

    /// The socket dropped: the in-flight message goes back to `queued`
    /// without using an attempt (its late answer is ignored), retry delays are
    /// cleared, a running flush ends with its counts so far, and the flush
    /// lock goes to a tab that can send.
    pub fn on_disconnected(&mut self, _now: Millis) {
        self.connected = false;
        if let Some(inf) = self.in_flight.take() {
            // The stored entry never says `sending`: nothing to write.
            if let Some(p) = self.position(&inf.message.id) {
                self.entries[p].msg.status = QueuedStatus::Queued;
            }
        }
        for e in &mut self.entries {
            e.next_attempt_at = None;
        }
        if self.flush != Flush::Idle {
            self.finish();
        }
        self.release_lock();
    }

    /// The next effect for the host.
    pub fn poll_effect(&mut self) -> Option<QueueEffect> {
        self.effects.pop_front()
    }

    /// All pending effects, in order.
    pub fn drain_effects(&mut self) -> Vec<QueueEffect> {
        self.effects.take_all()
    }

    // ------------------------------------------------------------------
    // Internals: memory
    // ------------------------------------------------------------------

    fn position(&self, id: &str) -> Option<usize> {
        self.entries.iter().position(|e| e.msg.id == id)
    }

    /// Inserts keeping the `(createdAt, id)` order.
    fn insert(&mut self, entry: Entry) {
        let at = self
            .entries
            .partition_point(|e| e.order_key() < entry.order_key());
        self.entries.insert(at, entry);
    }

    fn emit(&mut self, event: QueueEvent) {
        self.effects.push_back(QueueEffect::Event(event));
    }
}

/// Marks a change: `updatedAt` never goes backwards for an entry, so this
/// instance's latest version wins the merge even if the clock stepped back.
fn touch(msg: &mut QueuedMessage, now: Millis) {
    msg.updated_at = now.max(msg.updated_at.saturating_add(1));
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests;
