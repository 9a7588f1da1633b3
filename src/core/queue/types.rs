//! The queue's public types: configuration, messages, events, effects, errors.

use crate::core::json::Value;

use crate::core::backoff::BackoffConfig;
use crate::core::decimal::{cat, display_for_tests};
use crate::core::Millis;

/// Tunables of the offline queue.
#[derive(Debug, Clone, PartialEq)]
pub struct QueueConfig {
    /// Most messages held (queued + failed); more are refused (100).
    pub max_messages: usize,
    /// Most bytes of all stored entries together (1 MiB).
    pub max_bytes: usize,
    /// Retries after the first attempt before a message is `failed` (5).
    pub max_retries: u32,
    /// Delay between attempts (1 s doubling to 30 s, 0–10 % jitter).
    pub backoff: BackoffConfig,
    /// Timeout of one `message:send` request (10 s).
    pub request_timeout_ms: Millis,
    /// Prefix of the store keys: each message is stored under
    /// `<storage_key>:m:<id>`; a whole document under `<storage_key>` itself is
    /// the old layout (nchat's service wrote one there), migrated once
    /// (`nchat:offline-queue`, nchat's key).
    pub storage_key: String,
    /// Store key of the quarantine document (`nchat:offline-queue:quarantine`).
    pub quarantine_key: String,
    /// The prefix earlier builds used by default (`chat-realtime:queue`):
    /// what they stored there moves to `storage_key` once. `None` with a
    /// key of the app's own.
    pub legacy_key: Option<String>,
    /// Send only while holding the cross-tab flush lock, kept while
    /// connected (false).
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
            storage_key: "nchat:offline-queue".into(),
            quarantine_key: "nchat:offline-queue:quarantine".into(),
            legacy_key: Some("chat-realtime:queue".into()),
            use_flush_lock: false,
        }
    }
}

/// Status of a queued message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QueuedStatus {
    /// Waiting to be sent (possibly for a retry delay).
    Queued,
    /// A `message:send` is in flight.
    Sending,
    /// Gave up after all retries; kept for a manual retry.
    Failed,
}

/// A message in the queue (camelCase when serialized).
#[derive(Debug, Clone, PartialEq, Eq)]
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
    pub message_type: String,
    /// Thread of a reply.
    pub thread_id: Option<String>,
    /// Mentioned user ids.
    pub mentions: Vec<String>,
    /// Files sent with it: nchat's `QueuedAttachment`s, references `{id,
    /// type, name, size, url?, localPath?}` (the rule: `persist::check_body`),
    /// stored and sent as given. With some, `content` may be blank.
    pub attachments: Vec<Value>,
    /// When it was queued.
    pub created_at: Millis,
    /// Last change.
    pub updated_at: Millis,
    /// Failed attempts so far.
    pub retry_count: u32,
    /// Current status.
    pub status: QueuedStatus,
    /// Error of the last failed attempt.
    pub last_error: Option<String>,
    /// The server's error code of the last failed attempt (`RATE_LIMITED`,
    /// `ROOM_NOT_FOUND`, ...), when the server rejected it.
    pub last_error_code: Option<String>,
    /// When the last failed attempt ended (nchat's `lastRetryAt`); `None`
    /// before a failure and after `retry_message`.
    pub last_retry_at: Option<Millis>,
    /// Whether the message is in storage, so a reload keeps it. `false` while
    /// the storage refuses it (full or unavailable): it is still sent from
    /// memory, and written as soon as the storage accepts it
    /// (`message:persisted`). Never part of the stored entry itself.
    pub persisted: bool,
}

fn default_type() -> String {
    "text".into()
}

/// Input of [`OfflineQueueService::queue_message`] (camelCase from JS).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMessage {
    /// Target channel.
    pub channel_id: String,
    /// Message text (must not be blank unless there are attachments).
    pub content: String,
    /// Message type, `text` by default.
    pub message_type: String,
    /// Thread of a reply.
    pub thread_id: Option<String>,
    /// Mentioned user ids.
    pub mentions: Vec<String>,
    /// A client message id chosen by the app; generated when absent.
    pub client_message_id: Option<String>,
    /// Files sent with it (see [`QueuedMessage::attachments`]).
    pub attachments: Vec<Value>,
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
            attachments: Vec::new(),
        }
    }
}

/// Why a `queue:error` was emitted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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
#[derive(Debug, Clone, PartialEq)]
pub enum QueueEvent {
    /// A message was added.
    Queued {
        /// The new entry.
        message: QueuedMessage,
    },
    /// The server acknowledged a queued message; it left the queue.
    Sent {
        /// The entry as it was sent.
        message: QueuedMessage,
        /// Server id from the ack; the real server's ack (`{success:true}`)
        /// carries none.
        message_id: Option<String>,
        /// Server timestamp from the ack.
        timestamp: Option<Millis>,
        /// The server had it already (de-duplicated by clientMessageId).
        duplicate: bool,
        /// The flush that sent it.
        flush_id: Option<u64>,
    },
    /// A message gave up after all retries (kept as `failed`).
    Failed {
        /// The entry, now `failed`.
        message: QueuedMessage,
        /// Last error.
        error: String,
        /// The server's error code of the last attempt, when it rejected it.
        error_code: Option<String>,
    },
    /// A message the storage had refused (`persisted: false`, reported with
    /// `queue:error`) is stored now: a reload keeps it.
    Persisted {
        /// The entry, now `persisted`.
        message: QueuedMessage,
    },
    /// A flush started.
    Flushing {
        /// Id returned by `flush_queue`.
        flush_id: u64,
        /// Messages to send.
        count: usize,
    },
    /// A flush ended: the result of `flushQueue()`.
    Flushed {
        /// Id returned by `flush_queue`.
        flush_id: u64,
        /// Messages acknowledged during the flush.
        sent: u32,
        /// Messages that became `failed` during the flush.
        failed: u32,
    },
    /// `clear_queue` removed messages.
    Cleared {
        /// How many.
        count: usize,
    },
    /// Storage or integrity problem; nothing in memory was lost. With a
    /// `message_id` and reason `quota` / `unavailable` / `storage`, that
    /// message is not (or not in its latest state) stored: one event per
    /// message, each time it happens.
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
            QueueEvent::Persisted { .. } => "message:persisted",
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
    /// Ask for the cross-tab flush lock, then call
    /// `on_flush_lock_acquired(lock_id, now)` (and `on_flush_lock_lost` if it
    /// is taken away). Held until `ReleaseFlushLock` with the same id.
    AcquireFlushLock {
        /// Id of this request.
        lock_id: u64,
    },
    /// Release the cross-tab flush lock `lock_id`, or withdraw the request.
    ReleaseFlushLock {
        /// Id of the request.
        lock_id: u64,
    },
}

/// Errors of the queue API. Nothing is changed or lost when one is returned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QueueError {
    /// The message-count limit is reached; the oldest are never dropped.
    Full {
        /// Messages held.
        count: usize,
        /// Limit.
        max: usize,
    },
    /// The byte budget would be exceeded.
    TooLarge {
        /// Size the queue would have.
        bytes: usize,
        /// Limit.
        max: usize,
    },
    /// The input is not a valid message.
    InvalidMessage(String),
    /// The chosen clientMessageId is already queued.
    Duplicate(String),
    /// No entry with this id.
    NotFound(String),
    /// The entry is being sent right now.
    InFlight(String),
    /// Only `failed` entries can be retried by hand.
    NotFailed(String),
    /// `on_response` with an id that is not pending.
    UnknownRequest(u64),
}

impl QueueError {
    /// A stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            QueueError::Full { .. } => "queue_full",
            QueueError::TooLarge { .. } => "queue_too_large",
            QueueError::InvalidMessage(_) => "invalid_message",
            QueueError::Duplicate(_) => "duplicate",
            QueueError::NotFound(_) => "not_found",
            QueueError::InFlight(_) => "in_flight",
            QueueError::NotFailed(_) => "not_failed",
            QueueError::UnknownRequest(_) => "unknown_request",
        }
    }

    /// What went wrong, in words.
    pub fn message(&self) -> String {
        match self {
            QueueError::Full { count, max } => cat!(
                "offline queue is full (",
                count,
                " of ",
                max,
                " messages): wait for it to flush, or remove or retry failed messages"
            ),
            QueueError::TooLarge { bytes, max } => cat!(
                "offline queue storage budget exceeded (",
                bytes,
                " > ",
                max,
                " bytes of stored entries): wait for it to flush, remove messages or shorten this one"
            ),
            QueueError::InvalidMessage(why) => cat!("invalid message: ", why),
            QueueError::Duplicate(id) => cat!("a queued message already uses clientMessageId ", id),
            QueueError::NotFound(id) => cat!("no queued message with id ", id),
            QueueError::InFlight(id) => cat!(
                "message ",
                id,
                " is being sent right now; wait for the server's answer"
            ),
            QueueError::NotFailed(id) => cat!(
                "message ",
                id,
                " has not failed; only failed messages can be retried"
            ),
            QueueError::UnknownRequest(id) => cat!(
                "no pending queue request ",
                id,
                " (already answered, timed out or cancelled by a disconnect)"
            ),
        }
    }
}

display_for_tests!(QueueError);
