//! The sync service's public types: tunables, stages, results, synced
//! channels and messages, conflicts, events, effects and errors.

use super::*;

/// Request ids issued by the sync service have this tag in bits 48+ (`id >> 48 == 3`).
pub const SYNC_REQUEST_TAG: u64 = 3 << 48;

/// Tunables of the sync service.
#[derive(Debug, Clone, PartialEq)]
pub struct SyncConfig {
    /// Timeout of each request (30 s).
    pub request_timeout_ms: Millis,
    /// How long to wait for the host's queue-flush report (120 s).
    pub queue_flush_timeout_ms: Millis,
    /// Store key of the sync timestamps (`nchat:sync-state`, nchat's key).
    pub storage_key: String,
    /// The key earlier builds used by default (`chat-realtime:sync`): read
    /// once into `storage_key`, then removed. `None` with a key of the app's own.
    pub legacy_key: Option<String>,
    /// Most local messages remembered for conflict checks (oldest dropped) (5000).
    pub max_local_messages: usize,
    /// Most messages asked for per channel, the `limit` of `sync:messages`
    /// (nchat's `maxMessagesPerChannel`, 50).
    pub max_messages_per_channel: u32,
}

impl Default for SyncConfig {
    fn default() -> Self {
        Self {
            request_timeout_ms: 30_000,
            queue_flush_timeout_ms: 120_000,
            storage_key: "nchat:sync-state".into(),
            legacy_key: Some("chat-realtime:sync".into()),
            max_local_messages: 5_000,
            max_messages_per_channel: 50,
        }
    }
}

/// Step of the reconnect sequence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyncStage {
    /// Offline queue flush.
    Queue,
    /// `sync:channels`.
    Channels,
    /// `sync:messages` per channel.
    Messages,
    /// `presence:subscribe`.
    Presence,
    /// Done.
    Completed,
    /// Persisting / loading the sync timestamps.
    Storage,
}

/// `messages` part of [`SyncResult`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MessageCounts {
    /// Valid server messages received.
    pub synced: u32,
    /// Conflicts resolved.
    pub conflicts: u32,
    /// Failed channel requests plus malformed messages.
    pub errors: u32,
}

/// `channels` part of [`SyncResult`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ChannelCounts {
    /// Channels received.
    pub synced: u32,
    /// Failed request (1) plus malformed channel entries.
    pub errors: u32,
}

/// `presence` part of [`SyncResult`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PresenceCounts {
    /// Users whose presence subscription was acknowledged.
    pub synced: u32,
}

/// `queueFlushed` part of [`SyncResult`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct QueueFlushCounts {
    /// Queued messages sent.
    pub sent: u32,
    /// Queued messages that failed.
    pub failed: u32,
}

/// Result of a reconnect sync (the seeds' shape, camelCase).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SyncResult {
    /// Message counts.
    pub messages: MessageCounts,
    /// Channel counts.
    pub channels: ChannelCounts,
    /// Presence counts.
    pub presence: PresenceCounts,
    /// Offline-queue flush counts.
    pub queue_flushed: QueueFlushCounts,
    /// When the sync started.
    pub timestamp: Millis,
    /// How long it took.
    pub duration: Millis,
}

/// A channel from `sync:channels`.
#[derive(Debug, Clone, PartialEq)]
pub struct SyncedChannel {
    /// Channel id (from `roomName`, or `channelId` when given).
    pub channel_id: String,
    /// Room name.
    pub room_name: String,
    /// `members` as the server sent it (list or count), `null` if absent.
    pub members: Value,
    /// Last message time.
    pub last_message_at: Option<Millis>,
}

/// A message from `sync:messages`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncedMessage {
    /// Server id.
    pub id: String,
    /// Client id given when sending.
    pub client_message_id: Option<String>,
    /// Channel id.
    pub channel_id: String,
    /// Room name.
    pub room_name: String,
    /// Author.
    pub user_id: Option<String>,
    /// Text.
    pub content: String,
    /// Creation time.
    pub timestamp: Millis,
    /// Last edit time.
    pub edited_at: Option<Millis>,
    /// Who edited (`"server"` for server-initiated edits).
    pub edited_by: Option<String>,
}

/// A message the app shows, registered for conflict checks (camelCase from JS).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalMessage {
    /// Server id.
    pub id: String,
    /// Text as the app has it.
    pub content: String,
    /// When the local edit was made.
    pub edited_at: Option<Millis>,
}

/// Which side won a conflict.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resolution {
    /// The server's version is kept.
    Server,
    /// The local version is kept.
    Local,
}

/// One side of a conflict.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConflictSide {
    /// Text.
    pub content: String,
    /// Edit time.
    pub edited_at: Option<Millis>,
    /// Editor (server side only).
    pub edited_by: Option<String>,
}

/// A resolved conflict.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conflict {
    /// Message id.
    pub message_id: String,
    /// Channel id.
    pub channel_id: String,
    /// Local version.
    pub local: ConflictSide,
    /// Server version.
    pub server: ConflictSide,
    /// Winner.
    pub resolution: Resolution,
}

/// Events for subscribers; serialize as `{event: "sync:progress", data: {...}}`.
#[derive(Debug, Clone, PartialEq)]
pub enum SyncEvent {
    /// A reconnect sync started.
    Started {
        /// Id returned by `sync_on_reconnect`.
        sync_id: u64,
        /// Start time.
        timestamp: Millis,
    },
    /// Progress 0–100 and the current step.
    Progress {
        /// Sync id.
        sync_id: u64,
        /// Percent.
        progress: u8,
        /// Current step.
        stage: SyncStage,
    },
    /// The channel list arrived.
    Channels {
        /// Sync id.
        sync_id: u64,
        /// Channels.
        channels: Vec<SyncedChannel>,
    },
    /// Messages of one channel to merge into the app.
    Messages {
        /// Sync id, `None` for a manual `sync_messages`.
        sync_id: Option<u64>,
        /// Request id (returned by `sync_messages`).
        request_id: u64,
        /// Channel id.
        channel_id: String,
        /// Room name.
        room_name: String,
        /// Server messages to apply (those that lost a conflict left out).
        messages: Vec<SyncedMessage>,
        /// Conflicts found in this batch.
        conflicts: Vec<Conflict>,
    },
    /// A conflict was resolved.
    Conflict {
        /// Sync id, `None` for a manual `sync_messages`.
        sync_id: Option<u64>,
        /// Message id.
        message_id: String,
        /// Channel id.
        channel_id: String,
        /// Local version.
        local: ConflictSide,
        /// Server version.
        server: ConflictSide,
        /// Winner.
        resolution: Resolution,
    },
    /// The presence subscription was acknowledged; `data` is the ack's data
    /// for the presence machine.
    Presence {
        /// Sync id.
        sync_id: u64,
        /// Users subscribed.
        user_ids: Vec<String>,
        /// Ack data as sent by the server.
        data: Value,
    },
    /// The sync finished: the result of `syncOnReconnect()`.
    Completed {
        /// Sync id.
        sync_id: u64,
        /// Counts and timing.
        result: SyncResult,
    },
    /// A reconnect sync ended without completing (`cancel_sync`): nchat's
    /// `sync:failed`; its `sync_on_reconnect` callers fail with `Cancelled`.
    Failed {
        /// Sync id.
        sync_id: u64,
        /// Why (`cancelled`).
        error: &'static str,
    },
    /// A step failed (the sequence continues) or storage failed.
    Error {
        /// Sync id, if during a reconnect sync.
        sync_id: Option<u64>,
        /// Request concerned.
        request_id: Option<u64>,
        /// Failing step.
        stage: SyncStage,
        /// Channel concerned.
        channel_id: Option<String>,
        /// What went wrong.
        message: String,
    },
}

impl SyncEvent {
    /// The event name (`sync:started`, ...).
    pub fn name(&self) -> &'static str {
        match self {
            SyncEvent::Started { .. } => "sync:started",
            SyncEvent::Progress { .. } => "sync:progress",
            SyncEvent::Channels { .. } => "sync:channels",
            SyncEvent::Messages { .. } => "sync:messages",
            SyncEvent::Conflict { .. } => "sync:conflict",
            SyncEvent::Presence { .. } => "sync:presence",
            SyncEvent::Completed { .. } => "sync:completed",
            SyncEvent::Failed { .. } => "sync:failed",
            SyncEvent::Error { .. } => "sync:error",
        }
    }
}

/// Something the host must do.
#[derive(Debug, Clone, PartialEq)]
pub enum SyncEffect {
    /// Emit with an ack; answer with `on_response(request_id, ..)` (`Err(text)`
    /// on timeout / disconnect; the service also times out by itself).
    Request {
        /// Id to answer with.
        request_id: u64,
        /// Socket.IO event.
        event: String,
        /// JSON payload.
        payload: Value,
        /// Give up after this long.
        timeout_ms: Millis,
    },
    /// Flush the offline queue (`flush_queue`), then report its
    /// `queue:flushed {sent, failed}` with `on_queue_flushed`.
    FlushQueue {
        /// Sync waiting for it.
        sync_id: u64,
    },
    /// Deliver to subscribers.
    Event(SyncEvent),
    /// The answer of a step run on its own (`sync_channels`, `sync_presence`):
    /// `{synced, errors}` or `{synced}`; it never fails (nchat's).
    Answer {
        /// The id `sync_channels` / `sync_presence` returned.
        request_id: u64,
        /// The counts.
        value: Value,
    },
}

/// Errors of the sync API (nothing changes when one is returned).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SyncError {
    /// An argument was empty.
    InvalidArgument(String),
    /// `on_response` with an id that is not pending.
    UnknownRequest(u64),
    /// The reconnect sync waited for was cancelled (`cancel_sync`).
    Cancelled,
}
