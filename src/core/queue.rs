//! OfflineQueueService core: messages written while offline, persisted through
//! a [`KeyValueStore`] and sent in order, one at a time, when connected.
//!
//! * **Order and acks.** The queue sends the first sendable message as a
//!   `message:send` [`QueueEffect::Request`] and waits for its ack before the
//!   next one. A message leaves the queue (and the store) only after a
//!   successful ack. Every attempt reuses the message's `clientMessageId`, so
//!   the server de-duplicates re-sends.
//! * **Retries.** A failed attempt (error ack, host error, timeout) is retried
//!   after `backoff.delay(n)` (1 s, 2 s, 4 s, 8 s, 16 s, +0–10 % jitter from the
//!   seeded [`Rng`]); the message blocks the ones after it meanwhile, so order
//!   holds. After `max_retries` (5) retries, i.e. the 6th failed attempt, it
//!   becomes `failed`, stays in the queue for [`retry_message`](OfflineQueueService::retry_message),
//!   `message:failed` is emitted and later messages go on. A disconnect does
//!   not count as an attempt: [`on_disconnected`](OfflineQueueService::on_disconnected)
//!   puts the in-flight message back to `queued` and ignores its late answer.
//! * **Flushes.** A flush runs until nothing sendable is left (or the socket
//!   drops) and ends with `queue:flushed {flushId, sent, failed}`.
//!   `flush_queue` returns the flush id (joining a running flush), which is how
//!   a JS `Promise` waits for its result.
//! * **Storage.** The store is the source of truth shared by tabs: every change
//!   is read-modify-write merged with what the store holds, and the store is
//!   re-read right before each send, so a message another tab already sent
//!   (removed) is not sent again. Storage failures only emit `queue:error`;
//!   messages stay in memory and are still sent. Corrupt entries are moved to
//!   the quarantine key and reported; the healthy ones load.
//! * **Multi-tab locking.** With `use_flush_lock`, a flush first emits
//!   [`QueueEffect::AcquireFlushLock`] and waits for
//!   [`on_flush_lock_acquired`](OfflineQueueService::on_flush_lock_acquired);
//!   it emits [`QueueEffect::ReleaseFlushLock`] when it ends.

mod persist;

use std::collections::{BTreeSet, VecDeque};

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

pub use persist::{QuarantinedEntry, QUEUE_SCHEMA_VERSION};

use super::backoff::BackoffConfig;
use super::delivery::wire::{fnv1a64, parse_ack, parse_timestamp, room_name, str_field};
use super::rng::Rng;
use super::store::{KeyValueStore, StoreError};
use super::Millis;

/// Request ids issued by the queue have this tag in bits 48+ (`id >> 48 == 2`).
pub const QUEUE_REQUEST_TAG: u64 = 2 << 48;

/// Tunables of the offline queue.
#[derive(Debug, Clone, PartialEq)]
pub struct QueueConfig {
    /// Most messages held (queued + failed); more are refused (100).
    pub max_messages: usize,
    /// Most bytes of the serialized queue document (1 MiB).
    pub max_bytes: usize,
    /// Retries after the first attempt before a message is `failed` (5).
    pub max_retries: u32,
    /// Delay between attempts (1 s doubling to 30 s, 0–10 % jitter).
    pub backoff: BackoffConfig,
    /// Timeout of one `message:send` request (10 s).
    pub request_timeout_ms: Millis,
    /// Store key of the queue document (`chat-realtime:queue`).
    pub storage_key: String,
    /// Store key of the quarantine document (`chat-realtime:queue:quarantine`).
    pub quarantine_key: String,
    /// Ask the host for a cross-tab lock before each flush (false).
    pub use_flush_lock: bool,
}

impl Default for QueueConfig {
    fn default() -> Self {
        Self {
            max_messages: 100,
            max_bytes: 1024 * 1024,
            max_retries: 5,
            backoff: BackoffConfig::default(),
            request_timeout_ms: 10_000,
            storage_key: "chat-realtime:queue".into(),
            quarantine_key: "chat-realtime:queue:quarantine".into(),
            use_flush_lock: false,
        }
    }
}

/// Status of a queued message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum QueuedStatus {
    /// Waiting to be sent (possibly for a retry delay).
    Queued,
    /// A `message:send` is in flight.
    Sending,
    /// Gave up after all retries; kept for a manual retry.
    Failed,
}

/// A message in the queue (camelCase when serialized).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct QueuedMessage {
    /// Queue entry id.
    pub id: String,
    /// Id the server de-duplicates by; the same for every attempt.
    pub client_message_id: String,
    /// Target channel.
    pub channel_id: String,
    /// Message text.
    pub content: String,
    /// Message type (`text`, `file`, `image`, `voice`, `system`, ...).
    #[serde(rename = "type")]
    pub message_type: String,
    /// Thread of a reply.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thread_id: Option<String>,
    /// Mentioned user ids.
    #[serde(default)]
    pub mentions: Vec<String>,
    /// When it was queued.
    pub created_at: Millis,
    /// Last change.
    pub updated_at: Millis,
    /// Failed attempts so far.
    #[serde(default)]
    pub retry_count: u32,
    /// Current status.
    pub status: QueuedStatus,
    /// Error of the last failed attempt.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
}

fn default_type() -> String {
    "text".into()
}

/// Input of [`OfflineQueueService::queue_message`] (camelCase from JS).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NewMessage {
    /// Target channel.
    pub channel_id: String,
    /// Message text (must not be blank).
    pub content: String,
    /// Message type, `text` by default.
    #[serde(rename = "type", default = "default_type")]
    pub message_type: String,
    /// Thread of a reply.
    #[serde(default)]
    pub thread_id: Option<String>,
    /// Mentioned user ids.
    #[serde(default)]
    pub mentions: Vec<String>,
    /// A client message id chosen by the app; generated when absent.
    #[serde(default)]
    pub client_message_id: Option<String>,
}

impl NewMessage {
    /// A text message with no thread, mentions or chosen id.
    pub fn text(channel_id: &str, content: &str) -> Self {
        Self {
            channel_id: channel_id.into(),
            content: content.into(),
            message_type: default_type(),
            thread_id: None,
            mentions: Vec::new(),
            client_message_id: None,
        }
    }
}

/// Why a `queue:error` was emitted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum QueueErrorReason {
    /// The storage quota is full.
    Quota,
    /// Storage is disabled / unavailable.
    Unavailable,
    /// Another storage failure.
    Storage,
    /// Stored data was corrupt or tampered with and was set aside.
    Corrupt,
}

/// Events for subscribers; serialize as `{event: "queue:flushed", data: {...}}`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "event", content = "data", rename_all_fields = "camelCase")]
pub enum QueueEvent {
    /// A message was added.
    #[serde(rename = "message:queued")]
    Queued {
        /// The new entry.
        message: QueuedMessage,
    },
    /// The server acknowledged a queued message; it left the queue.
    #[serde(rename = "message:sent")]
    Sent {
        /// The entry as it was sent.
        message: QueuedMessage,
        /// Server id from the ack.
        message_id: String,
        /// Server timestamp from the ack.
        timestamp: Option<Millis>,
        /// The server had it already (de-duplicated by clientMessageId).
        duplicate: bool,
        /// The flush that sent it.
        flush_id: Option<u64>,
    },
    /// A message gave up after all retries (kept as `failed`).
    #[serde(rename = "message:failed")]
    Failed {
        /// The entry, now `failed`.
        message: QueuedMessage,
        /// Last error.
        error: String,
    },
    /// A flush started.
    #[serde(rename = "queue:flushing")]
    Flushing {
        /// Id returned by `flush_queue`.
        flush_id: u64,
        /// Messages to send.
        count: usize,
    },
    /// A flush ended: the result of `flushQueue()`.
    #[serde(rename = "queue:flushed")]
    Flushed {
        /// Id returned by `flush_queue`.
        flush_id: u64,
        /// Messages acknowledged during the flush.
        sent: u32,
        /// Messages that became `failed` during the flush.
        failed: u32,
    },
    /// `clear_queue` removed messages.
    #[serde(rename = "queue:cleared")]
    Cleared {
        /// How many.
        count: usize,
    },
    /// Storage or integrity problem; nothing in memory was lost.
    #[serde(rename = "queue:error")]
    Error {
        /// Machine-readable reason.
        reason: QueueErrorReason,
        /// Human-readable explanation.
        message: String,
        /// Entry concerned, when there is exactly one.
        message_id: Option<String>,
    },
}

impl QueueEvent {
    /// The event name (`message:queued`, `queue:flushed`, ...).
    pub fn name(&self) -> &'static str {
        match self {
            QueueEvent::Queued { .. } => "message:queued",
            QueueEvent::Sent { .. } => "message:sent",
            QueueEvent::Failed { .. } => "message:failed",
            QueueEvent::Flushing { .. } => "queue:flushing",
            QueueEvent::Flushed { .. } => "queue:flushed",
            QueueEvent::Cleared { .. } => "queue:cleared",
            QueueEvent::Error { .. } => "queue:error",
        }
    }
}

/// Something the host must do.
// Effects are short-lived; boxing the event would only burden matching.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum QueueEffect {
    /// Emit with an ack and answer with `on_response(request_id, ..)`
    /// (`Err(text)` on timeout; after `on_disconnected` the answer is ignored).
    Request {
        /// Id to answer with.
        request_id: u64,
        /// Socket.IO event (`message:send`).
        event: String,
        /// JSON payload.
        payload: Value,
        /// Give up after this long (the queue also times out by itself).
        timeout_ms: Millis,
    },
    /// Deliver to subscribers.
    Event(QueueEvent),
    /// Acquire the cross-tab flush lock, then call `on_flush_lock_acquired(flush_id, now)`.
    AcquireFlushLock {
        /// Flush waiting for the lock.
        flush_id: u64,
    },
    /// Release the cross-tab flush lock taken for `flush_id`.
    ReleaseFlushLock {
        /// Flush that held the lock.
        flush_id: u64,
    },
}

/// Errors of the queue API. Nothing is changed or lost when one is returned.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QueueError {
    /// The message-count limit is reached; the oldest are never dropped.
    #[error("offline queue is full ({count} of {max} messages): wait for it to flush, or remove or retry failed messages")]
    Full {
        /// Messages held.
        count: usize,
        /// Limit.
        max: usize,
    },
    /// The byte budget would be exceeded.
    #[error("offline queue storage budget exceeded ({bytes} > {max} bytes serialized): wait for it to flush, remove messages or shorten this one")]
    TooLarge {
        /// Size the queue would have.
        bytes: usize,
        /// Limit.
        max: usize,
    },
    /// The input is not a valid message.
    #[error("invalid message: {0}")]
    InvalidMessage(String),
    /// The chosen clientMessageId is already queued.
    #[error("a queued message already uses clientMessageId {0}")]
    Duplicate(String),
    /// No entry with this id.
    #[error("no queued message with id {0}")]
    NotFound(String),
    /// The entry is being sent right now.
    #[error("message {0} is being sent right now; wait for the server's answer")]
    InFlight(String),
    /// Only `failed` entries can be retried by hand.
    #[error("message {0} has not failed; only failed messages can be retried")]
    NotFailed(String),
    /// `on_response` with an id that is not pending.
    #[error(
        "no pending queue request {0} (already answered, timed out or cancelled by a disconnect)"
    )]
    UnknownRequest(u64),
}

#[derive(Debug, Clone)]
struct Entry {
    msg: QueuedMessage,
    /// Its id is known to be in the store.
    persisted: bool,
    /// Waiting for a retry delay until then.
    next_attempt_at: Option<Millis>,
}

#[derive(Debug, Clone)]
struct InFlight {
    request_id: u64,
    message: QueuedMessage,
    deadline: Millis,
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

#[derive(Debug, Default)]
struct StoredView {
    messages: Vec<QueuedMessage>,
    bad_ids: BTreeSet<String>,
    /// The store content is known (read and parsed).
    authoritative: bool,
    needs_rewrite: bool,
}

/// The offline queue state machine (see the module docs). Owns its store.
pub struct OfflineQueueService {
    config: QueueConfig,
    store: Box<dyn KeyValueStore>,
    rng: Rng,
    entries: Vec<Entry>,
    tombstones: BTreeSet<String>,
    in_flight: Option<InFlight>,
    flush: Flush,
    next_flush_id: u64,
    next_request: u64,
    counter: u64,
    connected: bool,
    store_error: Option<QueueErrorReason>,
    quarantine_backlog: Vec<QuarantinedEntry>,
    seen_bad: BTreeSet<u64>,
    effects: VecDeque<QueueEffect>,
}

impl std::fmt::Debug for OfflineQueueService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OfflineQueueService")
            .field("entries", &self.entries.len())
            .field("flush", &self.flush)
            .field("connected", &self.connected)
            .finish_non_exhaustive()
    }
}

impl OfflineQueueService {
    /// Loads the queue from `store` (migrating, checking checksums and
    /// quarantining bad entries; problems become `queue:error` effects).
    /// `seed` feeds ids and jitter: pass a random value per tab. Starts
    /// disconnected.
    pub fn open(
        config: QueueConfig,
        store: Box<dyn KeyValueStore>,
        seed: u64,
        now: Millis,
    ) -> Self {
        let mut q = Self {
            config,
            store,
            rng: Rng::new(seed),
            entries: Vec::new(),
            tombstones: BTreeSet::new(),
            in_flight: None,
            flush: Flush::Idle,
            next_flush_id: 0,
            next_request: 0,
            counter: 0,
            connected: false,
            store_error: None,
            quarantine_backlog: Vec::new(),
            seen_bad: BTreeSet::new(),
            effects: VecDeque::new(),
        };
        if let Some(view) = q.read_store(now) {
            let rewrite = view.needs_rewrite;
            q.entries = view
                .messages
                .into_iter()
                .map(|mut msg| {
                    if msg.status == QueuedStatus::Sending {
                        msg.status = QueuedStatus::Queued;
                    }
                    Entry {
                        msg,
                        persisted: view.authoritative,
                        next_attempt_at: None,
                    }
                })
                .collect();
            if rewrite {
                q.write();
            }
        }
        q
    }

    // ------------------------------------------------------------------
    // Queue operations
    // ------------------------------------------------------------------

    /// Adds a message (persisted, `message:queued`) and starts sending when
    /// connected. Refuses with `Full` / `TooLarge` rather than dropping anything.
    pub fn queue_message(
        &mut self,
        new: NewMessage,
        now: Millis,
    ) -> Result<QueuedMessage, QueueError> {
        if new.channel_id.trim().is_empty() {
            return Err(QueueError::InvalidMessage("channelId is empty".into()));
        }
        if new.content.trim().is_empty() {
            return Err(QueueError::InvalidMessage("content is empty".into()));
        }
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
        let (id, generated_cid) = self.generate_ids(now);
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
            created_at: now,
            updated_at: now,
            retry_count: 0,
            status: QueuedStatus::Queued,
            last_error: None,
        };
        let bytes = persist::encode(self.entries.iter().map(|e| &e.msg).chain([&msg])).len();
        if bytes > self.config.max_bytes {
            return Err(QueueError::TooLarge {
                bytes,
                max: self.config.max_bytes,
            });
        }
        self.entries.push(Entry {
            msg: msg.clone(),
            persisted: false,
            next_attempt_at: None,
        });
        self.emit(QueueEvent::Queued {
            message: msg.clone(),
        });
        self.commit(now);
        self.trigger(now, false);
        Ok(msg)
    }

    fn generate_ids(&mut self, now: Millis) -> (String, String) {
        loop {
            self.counter += 1;
            let a = self.rng.next_u64();
            let b = self.rng.next_u64();
            let id = format!("q_{now}_{:x}_{:08x}", self.counter, a >> 32);
            let cid = format!("cm_{now}_{:x}_{b:016x}", self.counter);
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
        self.entries
            .iter()
            .find(|e| e.msg.id == id)
            .map(|e| e.msg.clone())
    }

    /// Number of messages held (queued + sending + failed).
    pub fn get_queue_length(&self) -> usize {
        self.entries.len()
    }

    /// Removes a message that is not in flight.
    pub fn remove_message(&mut self, id: &str, now: Millis) -> Result<QueuedMessage, QueueError> {
        self.refresh(now);
        if self.is_in_flight(id) {
            return Err(QueueError::InFlight(id.to_owned()));
        }
        let pos = self
            .entries
            .iter()
            .position(|e| e.msg.id == id)
            .ok_or_else(|| QueueError::NotFound(id.to_owned()))?;
        let entry = self.entries.remove(pos);
        self.tombstones.insert(entry.msg.id.clone());
        self.commit(now);
        Ok(entry.msg)
    }

    /// `failed -> queued` with the retry count reset; sends when connected.
    pub fn retry_message(&mut self, id: &str, now: Millis) -> Result<(), QueueError> {
        self.refresh(now);
        let entry = self
            .entries
            .iter_mut()
            .find(|e| e.msg.id == id)
            .ok_or_else(|| QueueError::NotFound(id.to_owned()))?;
        if entry.msg.status != QueuedStatus::Failed {
            return Err(QueueError::NotFailed(id.to_owned()));
        }
        entry.msg.status = QueuedStatus::Queued;
        entry.msg.retry_count = 0;
        entry.msg.last_error = None;
        touch(&mut entry.msg, now);
        entry.next_attempt_at = None;
        self.commit(now);
        self.trigger(now, false);
        Ok(())
    }

    /// Removes every message except the one in flight; emits
    /// `queue:cleared {count}` and returns the count.
    pub fn clear_queue(&mut self, now: Millis) -> usize {
        self.refresh(now);
        let in_flight = self.in_flight.as_ref().map(|f| f.message.id.clone());
        let before = self.entries.len();
        let mut kept = Vec::new();
        for e in std::mem::take(&mut self.entries) {
            if Some(&e.msg.id) == in_flight.as_ref() {
                kept.push(e);
            } else {
                self.tombstones.insert(e.msg.id);
            }
        }
        self.entries = kept;
        let count = before - self.entries.len();
        self.commit(now);
        self.emit(QueueEvent::Cleared { count });
        count
    }

    /// Sends everything sendable, in order, if connected. Returns the flush id
    /// that the final `queue:flushed {flushId, sent, failed}` carries (a
    /// running flush is joined; when disconnected or empty the result is
    /// emitted at once with zeros).
    pub fn flush_queue(&mut self, now: Millis) -> u64 {
        if self.flush == Flush::Idle {
            self.refresh(now);
        }
        self.trigger(now, true).unwrap_or_default()
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

    /// The socket is (re)connected: starts a flush when anything is sendable.
    pub fn on_connected(&mut self, now: Millis) {
        self.connected = true;
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
    /// cleared and a running flush ends with its counts so far.
    pub fn on_disconnected(&mut self, now: Millis) {
        self.connected = false;
        if let Some(inf) = self.in_flight.take() {
            if let Some(e) = self.entries.iter_mut().find(|e| e.msg.id == inf.message.id) {
                e.msg.status = QueuedStatus::Queued;
                touch(&mut e.msg, now);
            }
            self.commit(now);
        }
        for e in &mut self.entries {
            e.next_attempt_at = None;
        }
        if self.flush != Flush::Idle {
            self.finish();
        }
    }

    /// The ack of a `message:send` request, or `Err(text)` for a host-side
    /// timeout / transport error (which counts as a failed attempt).
    pub fn on_response(
        &mut self,
        request_id: u64,
        result: Result<Value, String>,
        now: Millis,
    ) -> Result<(), QueueError> {
        match &self.in_flight {
            Some(f) if f.request_id == request_id => {}
            _ => return Err(QueueError::UnknownRequest(request_id)),
        }
        let Some(inf) = self.in_flight.take() else {
            return Err(QueueError::UnknownRequest(request_id));
        };
        match parse_send_ack(&result, &inf.message.client_message_id) {
            Ok(ack) => self.on_sent(inf, ack, now),
            Err(error) => self.attempt_failed(&inf.message.id, error, now),
        }
        self.pump(now);
        Ok(())
    }

    /// Call at [`next_deadline`](Self::next_deadline): times out the request in
    /// flight (a failed attempt) and sends what a retry delay was holding.
    pub fn handle_timeout(&mut self, now: Millis) {
        if self.in_flight.as_ref().is_some_and(|f| f.deadline <= now) {
            if let Some(inf) = self.in_flight.take() {
                let error = format!(
                    "no answer from the server within {} ms",
                    self.config.request_timeout_ms
                );
                self.attempt_failed(&inf.message.id, error, now);
            }
        }
        self.pump(now);
    }

    /// When to call `handle_timeout` next (`None`: nothing pending).
    pub fn next_deadline(&self) -> Option<Millis> {
        if let Some(inf) = &self.in_flight {
            return Some(inf.deadline);
        }
        if !matches!(self.flush, Flush::Running { .. }) {
            return None;
        }
        self.entries
            .iter()
            .find(|e| self.is_sendable(e))
            .and_then(|e| e.next_attempt_at)
    }

    /// The next effect for the host.
    pub fn poll_effect(&mut self) -> Option<QueueEffect> {
        self.effects.pop_front()
    }

    /// All pending effects, in order.
    pub fn drain_effects(&mut self) -> Vec<QueueEffect> {
        self.effects.drain(..).collect()
    }

    // ------------------------------------------------------------------
    // Multi-tab
    // ------------------------------------------------------------------

    /// Another tab changed the store (a `storage` event): merges the stored
    /// queue into memory. Entries another tab removed are dropped, entries it
    /// added are adopted, the newer version of an entry wins, and entries that
    /// never reached the store (failed writes) are kept. Starts sending when
    /// connected and something is sendable.
    pub fn reload_from_store(&mut self, now: Millis) {
        self.refresh(now);
        if self.connected {
            self.trigger(now, false);
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
        out.extend(self.quarantine_backlog.iter().cloned());
        out
    }

    /// Deletes the quarantine.
    pub fn clear_quarantine(&mut self) -> Result<(), StoreError> {
        self.quarantine_backlog.clear();
        self.store.remove(&self.config.quarantine_key)
    }

    // ------------------------------------------------------------------
    // Internals: flushing
    // ------------------------------------------------------------------

    fn is_in_flight(&self, id: &str) -> bool {
        self.in_flight.as_ref().is_some_and(|f| f.message.id == id)
    }

    fn is_sendable(&self, e: &Entry) -> bool {
        e.msg.status != QueuedStatus::Failed && !self.is_in_flight(&e.msg.id)
    }

    fn has_sendable(&self) -> bool {
        self.entries.iter().any(|e| self.is_sendable(e))
    }

    fn sendable_count(&self) -> usize {
        self.entries.iter().filter(|e| self.is_sendable(e)).count()
    }

    fn emit(&mut self, event: QueueEvent) {
        self.effects.push_back(QueueEffect::Event(event));
    }

    /// Starts (or joins) a flush. Automatic triggers (`explicit == false`)
    /// only start one when connected with something to send.
    fn trigger(&mut self, now: Millis, explicit: bool) -> Option<u64> {
        match self.flush {
            Flush::Running { flush_id, .. } => {
                self.pump(now);
                Some(flush_id)
            }
            Flush::AwaitingLock { flush_id } => Some(flush_id),
            Flush::Idle => {
                let ready = self.connected && self.has_sendable();
                if !explicit && !ready {
                    return None;
                }
                self.next_flush_id += 1;
                let flush_id = self.next_flush_id;
                if !ready {
                    self.emit(QueueEvent::Flushed {
                        flush_id,
                        sent: 0,
                        failed: 0,
                    });
                } else if self.config.use_flush_lock {
                    self.flush = Flush::AwaitingLock { flush_id };
                    self.effects
                        .push_back(QueueEffect::AcquireFlushLock { flush_id });
                } else {
                    self.start_flush(flush_id, now);
                }
                Some(flush_id)
            }
        }
    }

    fn start_flush(&mut self, flush_id: u64, now: Millis) {
        if self.config.use_flush_lock {
            // Another tab may have sent messages while it held the lock.
            self.refresh(now);
        }
        self.flush = Flush::Running {
            flush_id,
            sent: 0,
            failed: 0,
        };
        let count = self.sendable_count();
        self.emit(QueueEvent::Flushing { flush_id, count });
        self.pump(now);
    }

    fn finish(&mut self) {
        let (flush_id, sent, failed, locked) = match self.flush {
            Flush::Idle => return,
            Flush::AwaitingLock { flush_id } => (flush_id, 0, 0, false),
            Flush::Running {
                flush_id,
                sent,
                failed,
            } => (flush_id, sent, failed, self.config.use_flush_lock),
        };
        self.flush = Flush::Idle;
        self.emit(QueueEvent::Flushed {
            flush_id,
            sent,
            failed,
        });
        if locked {
            self.effects
                .push_back(QueueEffect::ReleaseFlushLock { flush_id });
        }
    }

    /// Sends the next message when nothing is in flight and no retry delay
    /// holds the head; ends the flush when nothing is sendable.
    fn pump(&mut self, now: Millis) {
        // Each round either sends, waits, ends, or saw the store drop the
        // head entry; the bound only guards against a store that keeps
        // changing under us.
        for _ in 0..=self.entries.len().saturating_add(2) {
            if !matches!(self.flush, Flush::Running { .. }) || self.in_flight.is_some() {
                return;
            }
            if !self.connected {
                self.finish();
                return;
            }
            let Some(head) = self.entries.iter().find(|e| self.is_sendable(e)) else {
                self.finish();
                return;
            };
            if head.next_attempt_at.is_some_and(|t| t > now) {
                return;
            }
            let id = head.msg.id.clone();
            // Re-read the store right before sending: another tab may have
            // sent (removed) this message meanwhile.
            self.refresh(now);
            let head_now = self
                .entries
                .iter()
                .position(|e| self.is_sendable(e))
                .filter(|&p| self.entries.get(p).is_some_and(|e| e.msg.id == id));
            if let Some(pos) = head_now {
                self.send_entry(pos, now);
                return;
            }
        }
    }

    fn send_entry(&mut self, pos: usize, now: Millis) {
        let Some(entry) = self.entries.get_mut(pos) else {
            return;
        };
        entry.msg.status = QueuedStatus::Sending;
        touch(&mut entry.msg, now);
        entry.next_attempt_at = None;
        let msg = entry.msg.clone();
        self.next_request += 1;
        let request_id = QUEUE_REQUEST_TAG | self.next_request;
        self.in_flight = Some(InFlight {
            request_id,
            message: msg.clone(),
            deadline: now.saturating_add(self.config.request_timeout_ms),
        });
        self.effects.push_back(QueueEffect::Request {
            request_id,
            event: "message:send".into(),
            payload: send_payload(&msg),
            timeout_ms: self.config.request_timeout_ms,
        });
        self.commit(now);
    }

    fn on_sent(&mut self, inf: InFlight, ack: SendAck, now: Millis) {
        self.entries.retain(|e| e.msg.id != inf.message.id);
        self.tombstones.insert(inf.message.id.clone());
        self.commit(now);
        let flush_id = match &mut self.flush {
            Flush::Running { flush_id, sent, .. } => {
                *sent = sent.saturating_add(1);
                Some(*flush_id)
            }
            _ => None,
        };
        self.emit(QueueEvent::Sent {
            message: inf.message,
            message_id: ack.message_id,
            timestamp: ack.timestamp,
            duplicate: ack.duplicate,
            flush_id,
        });
    }

    fn attempt_failed(&mut self, id: &str, error: String, now: Millis) {
        let max = self.config.max_retries;
        let Some(entry) = self.entries.iter_mut().find(|e| e.msg.id == id) else {
            return;
        };
        entry.msg.retry_count = entry.msg.retry_count.saturating_add(1);
        entry.msg.last_error = Some(error.clone());
        touch(&mut entry.msg, now);
        if entry.msg.retry_count > max {
            entry.msg.status = QueuedStatus::Failed;
            entry.next_attempt_at = None;
            let message = entry.msg.clone();
            if let Flush::Running { failed, .. } = &mut self.flush {
                *failed = failed.saturating_add(1);
            }
            self.commit(now);
            self.emit(QueueEvent::Failed { message, error });
        } else {
            entry.msg.status = QueuedStatus::Queued;
            let delay = self
                .config
                .backoff
                .delay(entry.msg.retry_count - 1, &mut self.rng);
            entry.next_attempt_at = Some(now.saturating_add(delay));
            self.commit(now);
        }
    }

    // ------------------------------------------------------------------
    // Internals: storage
    // ------------------------------------------------------------------

    fn report_store_error(&mut self, err: &StoreError, action: &str) {
        let reason = match err {
            StoreError::QuotaExceeded => QueueErrorReason::Quota,
            StoreError::Unavailable => QueueErrorReason::Unavailable,
            StoreError::Other(_) => QueueErrorReason::Storage,
        };
        if self.store_error != Some(reason) {
            self.store_error = Some(reason);
            self.emit(QueueEvent::Error {
                reason,
                message: format!(
                    "could not {action} the offline queue: {err}; messages stay in memory and are still sent"
                ),
                message_id: None,
            });
        }
    }

    /// Reads and parses the stored queue. `None` when the store cannot be read.
    fn read_store(&mut self, now: Millis) -> Option<StoredView> {
        let text = match self.store.get(&self.config.storage_key) {
            Ok(Some(text)) => text,
            Ok(None) => {
                return Some(StoredView {
                    authoritative: true,
                    ..StoredView::default()
                })
            }
            Err(e) => {
                self.report_store_error(&e, "read");
                return None;
            }
        };
        match persist::parse(&text) {
            persist::Parsed::Unparsable { reason } => {
                // Reported once per distinct text (a failing repair write
                // would otherwise report it on every read).
                if self.seen_bad.insert(fnv1a64(text.as_bytes())) {
                    self.quarantine(vec![QuarantinedEntry {
                        quarantined_at: now,
                        reason: reason.clone(),
                        raw: text,
                        id: None,
                    }]);
                    let message = format!(
                        "the stored offline queue is unreadable ({reason}); it was set aside under '{}' and the queue continues without it",
                        self.config.quarantine_key
                    );
                    self.emit(QueueEvent::Error {
                        reason: QueueErrorReason::Corrupt,
                        message,
                        message_id: None,
                    });
                }
                Some(StoredView {
                    authoritative: false,
                    needs_rewrite: true,
                    ..StoredView::default()
                })
            }
            persist::Parsed::Doc {
                messages,
                bad,
                migrated_from,
            } => {
                let bad_ids: BTreeSet<String> = bad.iter().filter_map(|b| b.id.clone()).collect();
                let needs_rewrite = !bad.is_empty() || migrated_from.is_some();
                let new_bad: Vec<persist::BadEntry> = bad
                    .into_iter()
                    .filter(|b| self.seen_bad.insert(fnv1a64(b.raw.as_bytes())))
                    .collect();
                if !new_bad.is_empty() {
                    self.report_bad_entries(new_bad, now);
                }
                Some(StoredView {
                    messages,
                    bad_ids,
                    authoritative: true,
                    needs_rewrite,
                })
            }
        }
    }

    fn report_bad_entries(&mut self, bad: Vec<persist::BadEntry>, now: Millis) {
        let message = format!(
            "{} stored queue entr{} failed the integrity check ({}) and {} set aside under '{}'; the other entries were loaded",
            bad.len(),
            if bad.len() == 1 { "y" } else { "ies" },
            bad.iter()
                .map(|b| b.reason.as_str())
                .collect::<Vec<_>>()
                .join("; "),
            if bad.len() == 1 { "was" } else { "were" },
            self.config.quarantine_key
        );
        let message_id = match bad.as_slice() {
            [one] => one.id.clone(),
            _ => None,
        };
        self.quarantine(
            bad.into_iter()
                .map(|b| QuarantinedEntry {
                    quarantined_at: now,
                    reason: b.reason,
                    raw: b.raw,
                    id: b.id,
                })
                .collect(),
        );
        self.emit(QueueEvent::Error {
            reason: QueueErrorReason::Corrupt,
            message,
            message_id,
        });
    }

    /// Adds entries to the quarantine document (kept in memory until written).
    fn quarantine(&mut self, mut new: Vec<QuarantinedEntry>) {
        let mut pending = std::mem::take(&mut self.quarantine_backlog);
        pending.append(&mut new);
        let existing = match self.store.get(&self.config.quarantine_key) {
            Ok(Some(text)) => {
                persist::parse_quarantine(&text, pending.first().map_or(0, |e| e.quarantined_at))
            }
            Ok(None) => Vec::new(),
            Err(e) => {
                self.report_store_error(&e, "set aside corrupt data of");
                self.quarantine_backlog = pending;
                return;
            }
        };
        let text = persist::append_quarantine(existing, &pending);
        if let Err(e) = self.store.set(&self.config.quarantine_key, &text) {
            self.report_store_error(&e, "set aside corrupt data of");
            self.quarantine_backlog = pending;
        }
    }

    /// Merges the stored view with memory (see `reload_from_store`).
    fn merge(&self, view: Option<&StoredView>) -> Vec<Entry> {
        let Some(view) = view else {
            return self.entries.clone();
        };
        let mut out: Vec<Entry> = Vec::new();
        let stored_ids: BTreeSet<&str> = view.messages.iter().map(|m| m.id.as_str()).collect();
        for s in &view.messages {
            if self.tombstones.contains(&s.id) {
                continue;
            }
            match self.entries.iter().find(|e| e.msg.id == s.id) {
                Some(mine) => {
                    let keep_mine = self.is_in_flight(&s.id) || mine.msg.updated_at >= s.updated_at;
                    out.push(Entry {
                        msg: if keep_mine {
                            mine.msg.clone()
                        } else {
                            s.clone()
                        },
                        persisted: true,
                        next_attempt_at: mine.next_attempt_at,
                    });
                }
                None => out.push(Entry {
                    msg: s.clone(),
                    persisted: true,
                    next_attempt_at: None,
                }),
            }
        }
        for mine in &self.entries {
            if stored_ids.contains(mine.msg.id.as_str()) {
                continue;
            }
            let removed_elsewhere = view.authoritative
                && mine.persisted
                && !view.bad_ids.contains(&mine.msg.id)
                && !self.is_in_flight(&mine.msg.id);
            if !removed_elsewhere {
                let mut e = mine.clone();
                e.persisted = false;
                out.push(e);
            }
        }
        out.sort_by_key(|e| e.msg.created_at);
        out
    }

    /// Re-reads the store into memory; writes only to repair it (migration,
    /// quarantined entries).
    fn refresh(&mut self, now: Millis) {
        let view = self.read_store(now);
        self.entries = self.merge(view.as_ref());
        if view.is_some_and(|v| v.needs_rewrite) {
            self.write();
        }
    }

    /// Read-modify-write: merges with the store, then writes the result.
    fn commit(&mut self, now: Millis) {
        let view = self.read_store(now);
        self.entries = self.merge(view.as_ref());
        self.write();
    }

    fn write(&mut self) {
        if !self.quarantine_backlog.is_empty() {
            self.quarantine(Vec::new());
        }
        let text = persist::encode(self.entries.iter().map(|e| &e.msg));
        match self.store.set(&self.config.storage_key, &text) {
            Ok(()) => {
                for e in &mut self.entries {
                    e.persisted = true;
                }
                self.tombstones.clear();
                self.store_error = None;
            }
            Err(e) => self.report_store_error(&e, "save"),
        }
    }
}

/// Marks a change: `updatedAt` never goes backwards for an entry, so this
/// instance's latest version wins the merge even if the clock stepped back.
fn touch(msg: &mut QueuedMessage, now: Millis) {
    msg.updated_at = now.max(msg.updated_at.saturating_add(1));
}

struct SendAck {
    message_id: String,
    timestamp: Option<Millis>,
    duplicate: bool,
}

fn parse_send_ack(result: &Result<Value, String>, cid: &str) -> Result<SendAck, String> {
    let data = parse_ack(result).map_err(|e| e.to_string())?;
    let message_id = str_field(data, "id")
        .ok_or("malformed server answer: data.id missing")?
        .to_owned();
    if let Some(acked) = str_field(data, "clientMessageId") {
        if acked != cid {
            return Err(format!(
                "malformed server answer: ack is for clientMessageId {acked}, expected {cid}"
            ));
        }
    }
    Ok(SendAck {
        message_id,
        timestamp: data.get("timestamp").and_then(parse_timestamp),
        duplicate: data
            .get("duplicate")
            .and_then(Value::as_bool)
            .unwrap_or(false),
    })
}

/// The `message:send` payload of a queued message. `roomName` is the
/// channel's room; a reply carries `threadId` besides.
pub fn send_payload(msg: &QueuedMessage) -> Value {
    let mut p = Map::new();
    p.insert(
        "roomName".into(),
        Value::String(room_name(&msg.channel_id, None)),
    );
    p.insert("content".into(), Value::String(msg.content.clone()));
    p.insert(
        "clientMessageId".into(),
        Value::String(msg.client_message_id.clone()),
    );
    p.insert("type".into(), Value::String(msg.message_type.clone()));
    if let Some(t) = &msg.thread_id {
        p.insert("threadId".into(), Value::String(t.clone()));
    }
    if !msg.mentions.is_empty() {
        p.insert(
            "mentions".into(),
            Value::Array(msg.mentions.iter().cloned().map(Value::String).collect()),
        );
    }
    Value::Object(p)
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests;
