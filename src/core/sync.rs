//! SyncService core: the reconnect sequence, incremental message sync with
//! per-channel timestamps, and edit-conflict resolution.
//!
//! [`SyncService::sync_on_reconnect`] runs, in order, one step at a time:
//!
//! 1. **queue** (progress 10): [`SyncEffect::FlushQueue`]; the host flushes the
//!    offline queue and reports `{sent, failed}` with
//!    [`SyncService::on_queue_flushed`];
//! 2. **channels** (30): `sync:channels {}`; emits `sync:channels`;
//! 3. **messages** (40, then up to 90 as channels complete): one
//!    `sync:messages {roomName, since}` per channel, `since` being that
//!    channel's persisted last-sync time (0 if none); emits `sync:messages`
//!    and `sync:conflict`;
//! 4. **presence** (95): `presence:subscribe {userIds}` with the ids given to
//!    `sync_on_reconnect` (skipped when empty); emits `sync:presence`;
//!
//! then `sync:progress 100` and `sync:completed {syncId, result}`. A failing
//! step (error ack, host error, timeout) is counted in the result's `errors`,
//! reported with `sync:error`, and the sequence continues; when `sync:channels`
//! fails, the channels synced before (persisted) are used. Only one sync runs
//! at a time: calling `sync_on_reconnect` while one runs returns the running
//! sync's id (join it by waiting for `sync:completed` with that id).
//!
//! Conflicts: the app registers the messages it shows with
//! [`SyncService::record_local_message`]. A server message with the same id and
//! different content is a conflict: the server wins when `editedBy == "server"`,
//! otherwise the later `editedAt` wins (server `editedAt`, else its
//! `timestamp`; ties and a local message without `editedAt` go to the server).
//! `sync:messages` leaves out the server versions that lost, so merging it
//! never overwrites a winning local edit.

use crate::core::vecmap::{VecMap, VecSet};
use std::collections::VecDeque;

use crate::core::json::{self, json, Map, Value};

use super::decimal::cat;
use super::delivery::wire::{parse_ack, str_field};
use super::room::{channel_id_of, channel_room};
use super::store::{KeyValueStore, StoreError};
use super::time;
use super::Millis;

/// Request ids issued by the sync service have this tag in bits 48+ (`id >> 48 == 3`).
pub const SYNC_REQUEST_TAG: u64 = 3 << 48;

/// Tunables of the sync service.
#[derive(Debug, Clone, PartialEq)]
pub struct SyncConfig {
    /// Timeout of each request (30 s).
    pub request_timeout_ms: Millis,
    /// How long to wait for the host's queue-flush report (120 s).
    pub queue_flush_timeout_ms: Millis,
    /// Store key of the sync timestamps (`chat-realtime:sync`).
    pub storage_key: String,
    /// Most local messages remembered for conflict checks (oldest dropped) (5000).
    pub max_local_messages: usize,
}

impl Default for SyncConfig {
    fn default() -> Self {
        Self {
            request_timeout_ms: 30_000,
            queue_flush_timeout_ms: 120_000,
            storage_key: "chat-realtime:sync".into(),
            max_local_messages: 5_000,
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
}

/// Errors of the sync API (nothing changes when one is returned).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SyncError {
    /// An argument was empty.
    InvalidArgument(String),
    /// `on_response` with an id that is not pending.
    UnknownRequest(u64),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Waiting {
    Flush { deadline: Millis },
    Request(u64),
}

#[derive(Debug, Clone)]
struct Run {
    sync_id: u64,
    started_at: Millis,
    result: SyncResult,
    presence_ids: Vec<String>,
    todo: VecDeque<String>,
    total: usize,
    done: usize,
    waiting: Waiting,
}

#[derive(Debug, Clone)]
enum Kind {
    Channels,
    Messages { channel_id: String },
    Presence { user_ids: Vec<String> },
}

#[derive(Debug, Clone)]
struct Pending {
    deadline: Millis,
    kind: Kind,
}

/// The stored timestamps: `{version, lastSyncAt?, channels: {id: ms}}`.
#[derive(Debug, Default)]
struct StoredState {
    last_sync_at: Option<Millis>,
    channels: Map,
}

impl StoredState {
    /// Reads the stored document (every key optional, unknown keys ignored).
    fn parse(text: &str) -> Result<Self, String> {
        let doc = json::from_str(text).map_err(|e| e.describe())?;
        let doc = doc.as_object().ok_or("not a JSON object")?;
        doc.opt_u64_field("version").map_err(|e| e.describe())?;
        Ok(StoredState {
            last_sync_at: doc.opt_u64_field("lastSyncAt").map_err(|e| e.describe())?,
            channels: match doc.get("channels") {
                None => Map::new(),
                Some(Value::Object(m)) => m.clone(),
                Some(_) => return Err("channels must be an object".into()),
            },
        })
    }
}

/// The sync state machine (see the module docs). Owns its store.
pub struct SyncService {
    config: SyncConfig,
    store: Box<dyn KeyValueStore>,
    channel_times: VecMap<String, Millis>,
    last_sync_at: Option<Millis>,
    locals: VecMap<String, (LocalMessage, u64)>,
    local_seq: u64,
    run: Option<Run>,
    pending: VecMap<u64, Pending>,
    next_request: u64,
    next_sync_id: u64,
    store_error: Option<&'static str>,
    effects: VecDeque<SyncEffect>,
}

impl std::fmt::Debug for SyncService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SyncService")
            .field("channel_times", &self.channel_times)
            .field("syncing", &self.run.is_some())
            .finish_non_exhaustive()
    }
}

fn to_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

impl SyncService {
    /// Loads the persisted sync timestamps (an unreadable state only emits
    /// `sync:error` with stage `storage` and starts from scratch).
    pub fn open(config: SyncConfig, store: Box<dyn KeyValueStore>, now: Millis) -> Self {
        let mut s = Self {
            config,
            store,
            channel_times: VecMap::new(),
            last_sync_at: None,
            locals: VecMap::new(),
            local_seq: 0,
            run: None,
            pending: VecMap::new(),
            next_request: 0,
            next_sync_id: 0,
            store_error: None,
            effects: VecDeque::new(),
        };
        s.reload_from_store(now);
        s
    }

    // ------------------------------------------------------------------
    // Public API
    // ------------------------------------------------------------------

    /// Starts the reconnect sequence (see the module docs) and returns its id;
    /// while one runs, returns the running one's id (`presence_user_ids` of
    /// the second call are ignored).
    pub fn sync_on_reconnect(&mut self, presence_user_ids: &[String], now: Millis) -> u64 {
        if let Some(run) = &self.run {
            return run.sync_id;
        }
        self.next_sync_id += 1;
        let sync_id = self.next_sync_id;
        let mut presence_ids: Vec<String> = Vec::new();
        for id in presence_user_ids {
            if !id.is_empty() && !presence_ids.contains(id) {
                presence_ids.push(id.clone());
            }
        }
        self.run = Some(Run {
            sync_id,
            started_at: now,
            result: SyncResult {
                timestamp: now,
                ..SyncResult::default()
            },
            presence_ids,
            todo: VecDeque::new(),
            total: 0,
            done: 0,
            waiting: Waiting::Flush {
                deadline: now.saturating_add(self.config.queue_flush_timeout_ms),
            },
        });
        self.emit(SyncEvent::Started {
            sync_id,
            timestamp: now,
        });
        self.progress(10, SyncStage::Queue);
        self.effects.push_back(SyncEffect::FlushQueue { sync_id });
        sync_id
    }

    /// The host's report of the queue flush asked for by `FlushQueue`.
    /// Returns `false` (and changes nothing) when no sync is waiting for one.
    pub fn on_queue_flushed(&mut self, sent: u32, failed: u32, now: Millis) -> bool {
        match &mut self.run {
            Some(run) if matches!(run.waiting, Waiting::Flush { .. }) => {
                run.result.queue_flushed = QueueFlushCounts { sent, failed };
                self.step_channels(now);
                true
            }
            _ => false,
        }
    }

    /// Syncs one channel by hand since its last-sync time. Returns the request
    /// id; the outcome is a `sync:messages` (with `conflicts`) or `sync:error`
    /// event carrying that `requestId`.
    pub fn sync_messages(&mut self, channel_id: &str, now: Millis) -> Result<u64, SyncError> {
        if channel_id.trim().is_empty() {
            return Err(SyncError::InvalidArgument(
                "channelId must not be empty".into(),
            ));
        }
        Ok(self.request_messages(channel_id, now))
    }

    /// The ack of a request (`Err(text)` for a timeout or disconnect).
    pub fn on_response(
        &mut self,
        request_id: u64,
        result: Result<Value, String>,
        now: Millis,
    ) -> Result<(), SyncError> {
        let pending = self
            .pending
            .remove(&request_id)
            .ok_or(SyncError::UnknownRequest(request_id))?;
        let outcome = parse_ack(&result).map_err(|e| e.message());
        let awaited = self
            .run
            .as_ref()
            .is_some_and(|r| r.waiting == Waiting::Request(request_id));
        match pending.kind {
            Kind::Channels => {
                if awaited {
                    self.on_channels(request_id, outcome, now);
                }
            }
            Kind::Messages { channel_id } => {
                self.on_messages(request_id, &channel_id, outcome, awaited, now);
            }
            Kind::Presence { user_ids } => {
                if awaited {
                    self.on_presence(request_id, user_ids, outcome, now);
                }
            }
        }
        Ok(())
    }

    /// Call at [`next_deadline`](Self::next_deadline): times out requests and
    /// a queue flush that never reported (each counted as a failed step).
    pub fn handle_timeout(&mut self, now: Millis) {
        if let Some(run) = &self.run {
            if let Waiting::Flush { deadline } = run.waiting {
                if deadline <= now {
                    let sync_id = run.sync_id;
                    self.emit(SyncEvent::Error {
                        sync_id: Some(sync_id),
                        request_id: None,
                        stage: SyncStage::Queue,
                        channel_id: None,
                        message: cat!(
                            "the offline queue flush did not report within ",
                            self.config.queue_flush_timeout_ms,
                            " ms; continuing"
                        ),
                    });
                    self.step_channels(now);
                }
            }
        }
        while let Some(id) = self
            .pending
            .iter()
            .find(|(_, p)| p.deadline <= now)
            .map(|(id, _)| *id)
        {
            let error = cat!(
                "no answer from the server within ",
                self.config.request_timeout_ms,
                " ms"
            );
            let _ = self.on_response(id, Err(error), now);
        }
    }

    /// When to call `handle_timeout` next (`None`: nothing pending).
    pub fn next_deadline(&self) -> Option<Millis> {
        let flush = self.run.as_ref().and_then(|r| match r.waiting {
            Waiting::Flush { deadline } => Some(deadline),
            Waiting::Request(_) => None,
        });
        let req = self.pending.values().map(|p| p.deadline).min();
        match (flush, req) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// The next effect for the host.
    pub fn poll_effect(&mut self) -> Option<SyncEffect> {
        self.effects.pop_front()
    }

    /// All pending effects, in order.
    pub fn drain_effects(&mut self) -> Vec<SyncEffect> {
        self.effects.drain(..).collect()
    }

    /// Registers (or updates) a message the app shows, for conflict checks.
    pub fn record_local_message(&mut self, msg: LocalMessage) -> Result<(), SyncError> {
        if msg.id.trim().is_empty() {
            return Err(SyncError::InvalidArgument(
                "message id must not be empty".into(),
            ));
        }
        self.local_seq += 1;
        self.locals.insert(msg.id.clone(), (msg, self.local_seq));
        while self.locals.len() > self.config.max_local_messages {
            let oldest = self
                .locals
                .iter()
                .min_by_key(|(_, (_, seq))| *seq)
                .map(|(id, _)| id.clone());
            match oldest {
                Some(id) => {
                    self.locals.remove(&id);
                }
                None => break,
            }
        }
        Ok(())
    }

    /// Forgets a registered local message. Returns whether it was known.
    pub fn forget_local_message(&mut self, id: &str) -> bool {
        self.locals.remove(id).is_some()
    }

    /// The local version of a message, as registered or updated by a sync.
    pub fn local_message(&self, id: &str) -> Option<LocalMessage> {
        self.locals.get(id).map(|(m, _)| m.clone())
    }

    /// Last-sync time of a channel (the `since` of its next sync).
    pub fn channel_sync_timestamp(&self, channel_id: &str) -> Option<Millis> {
        self.channel_times.get(channel_id).copied()
    }

    /// When the last reconnect sync completed.
    pub fn last_sync_timestamp(&self) -> Option<Millis> {
        self.last_sync_at
    }

    /// Whether a reconnect sync is running.
    pub fn is_syncing(&self) -> bool {
        self.run.is_some()
    }

    /// The id of the running reconnect sync.
    pub fn current_sync_id(&self) -> Option<u64> {
        self.run.as_ref().map(|r| r.sync_id)
    }

    /// Merges timestamps persisted by another tab (later times win).
    pub fn reload_from_store(&mut self, _now: Millis) {
        match self.store.get(&self.config.storage_key) {
            Ok(Some(text)) => match StoredState::parse(&text) {
                Ok(state) => self.merge_stored(state),
                Err(e) => self.emit(SyncEvent::Error {
                    sync_id: None,
                    request_id: None,
                    stage: SyncStage::Storage,
                    channel_id: None,
                    message: cat!(
                        "stored sync state is unreadable (",
                        e,
                        "); channels will be fully re-synced"
                    ),
                }),
            },
            Ok(None) => {}
            Err(e) => self.report_store_error(&e, "read"),
        }
    }

    // ------------------------------------------------------------------
    // Steps
    // ------------------------------------------------------------------

    fn emit(&mut self, event: SyncEvent) {
        self.effects.push_back(SyncEffect::Event(event));
    }

    fn progress(&mut self, progress: u8, stage: SyncStage) {
        if let Some(sync_id) = self.run.as_ref().map(|r| r.sync_id) {
            self.emit(SyncEvent::Progress {
                sync_id,
                progress,
                stage,
            });
        }
    }

    fn request(&mut self, event: &str, payload: Value, kind: Kind, now: Millis) -> u64 {
        self.next_request += 1;
        let request_id = SYNC_REQUEST_TAG | self.next_request;
        self.pending.insert(
            request_id,
            Pending {
                deadline: now.saturating_add(self.config.request_timeout_ms),
                kind,
            },
        );
        self.effects.push_back(SyncEffect::Request {
            request_id,
            event: event.into(),
            payload,
            timeout_ms: self.config.request_timeout_ms,
        });
        request_id
    }

    fn request_messages(&mut self, channel_id: &str, now: Millis) -> u64 {
        let since = self.channel_times.get(channel_id).copied().unwrap_or(0);
        self.request(
            "sync:messages",
            json!({ "roomName": channel_room(channel_id), "since": since }),
            Kind::Messages {
                channel_id: channel_id.to_owned(),
            },
            now,
        )
    }

    fn wait_for(&mut self, request_id: u64) {
        if let Some(run) = &mut self.run {
            run.waiting = Waiting::Request(request_id);
        }
    }

    fn sync_id(&self) -> Option<u64> {
        self.run.as_ref().map(|r| r.sync_id)
    }

    fn step_channels(&mut self, now: Millis) {
        self.progress(30, SyncStage::Channels);
        let id = self.request("sync:channels", json!({}), Kind::Channels, now);
        self.wait_for(id);
    }

    fn on_channels(&mut self, request_id: u64, outcome: Result<&Value, String>, now: Millis) {
        let sync_id = self.sync_id();
        let (todo, synced, errors) = match outcome.and_then(|data| {
            data.get("channels")
                .and_then(Value::as_array)
                .ok_or_else(|| "malformed server answer: data.channels missing".to_owned())
        }) {
            Ok(list) => {
                let mut channels: Vec<SyncedChannel> = Vec::new();
                let mut bad: u32 = 0;
                for v in list {
                    match parse_channel(v) {
                        Some(c) if !channels.iter().any(|x| x.channel_id == c.channel_id) => {
                            channels.push(c)
                        }
                        Some(_) => {}
                        None => bad = bad.saturating_add(1),
                    }
                }
                let todo: VecDeque<String> =
                    channels.iter().map(|c| c.channel_id.clone()).collect();
                let synced = to_u32(channels.len());
                if let Some(sync_id) = sync_id {
                    self.emit(SyncEvent::Channels { sync_id, channels });
                }
                (todo, synced, bad)
            }
            Err(message) => {
                self.emit(SyncEvent::Error {
                    sync_id,
                    request_id: Some(request_id),
                    stage: SyncStage::Channels,
                    channel_id: None,
                    message: cat!(message, "; syncing the channels known from earlier syncs"),
                });
                (self.channel_times.keys().cloned().collect(), 0, 1)
            }
        };
        if let Some(run) = &mut self.run {
            run.result.channels.synced = synced;
            run.result.channels.errors = run.result.channels.errors.saturating_add(errors);
            run.total = todo.len();
            run.done = 0;
            run.todo = todo;
        }
        self.progress(40, SyncStage::Messages);
        self.next_channel(now);
    }

    fn next_channel(&mut self, now: Millis) {
        let next = self.run.as_mut().and_then(|r| r.todo.pop_front());
        match next {
            Some(channel_id) => {
                let id = self.request_messages(&channel_id, now);
                self.wait_for(id);
            }
            None => self.step_presence(now),
        }
    }

    fn on_messages(
        &mut self,
        request_id: u64,
        channel_id: &str,
        outcome: Result<&Value, String>,
        awaited: bool,
        now: Millis,
    ) {
        let sync_id = if awaited { self.sync_id() } else { None };
        let counts = match outcome {
            Ok(data) => self.process_messages(channel_id, data, sync_id, request_id, now),
            Err(message) => {
                self.emit(SyncEvent::Error {
                    sync_id,
                    request_id: Some(request_id),
                    stage: SyncStage::Messages,
                    channel_id: Some(channel_id.to_owned()),
                    message,
                });
                MessageCounts {
                    errors: 1,
                    ..MessageCounts::default()
                }
            }
        };
        if !awaited {
            return;
        }
        let mut pct = None;
        if let Some(run) = &mut self.run {
            let m = &mut run.result.messages;
            m.synced = m.synced.saturating_add(counts.synced);
            m.conflicts = m.conflicts.saturating_add(counts.conflicts);
            m.errors = m.errors.saturating_add(counts.errors);
            run.done = run.done.saturating_add(1);
            let total = run.total.max(1);
            let share = run.done.min(total).saturating_mul(50) / total;
            pct = Some(40 + u8::try_from(share.min(50)).unwrap_or(50));
        }
        if let Some(p) = pct {
            self.progress(p, SyncStage::Messages);
        }
        self.next_channel(now);
    }

    fn process_messages(
        &mut self,
        channel_id: &str,
        data: &Value,
        sync_id: Option<u64>,
        request_id: u64,
        now: Millis,
    ) -> MessageCounts {
        let mut counts = MessageCounts::default();
        let Some(list) = data.get("messages").and_then(Value::as_array) else {
            self.emit(SyncEvent::Error {
                sync_id,
                request_id: Some(request_id),
                stage: SyncStage::Messages,
                channel_id: Some(channel_id.to_owned()),
                message: "malformed server answer: data.messages missing".into(),
            });
            counts.errors = 1;
            return counts;
        };
        let mut apply: Vec<SyncedMessage> = Vec::new();
        let mut conflicts: Vec<Conflict> = Vec::new();
        let mut newest: Option<Millis> = None;
        let mut seen: VecSet<String> = VecSet::new();
        for v in list {
            let Some(msg) = parse_message(v, channel_id) else {
                counts.errors = counts.errors.saturating_add(1);
                continue;
            };
            if !seen.insert(msg.id.clone()) {
                continue;
            }
            counts.synced = counts.synced.saturating_add(1);
            let t = msg.edited_at.unwrap_or(0).max(msg.timestamp);
            newest = Some(newest.map_or(t, |n| n.max(t)));
            let local = self.locals.get(&msg.id).map(|(m, _)| m.clone());
            match local {
                Some(local) if local.content != msg.content => {
                    let resolution = resolve(&local, &msg);
                    let conflict = Conflict {
                        message_id: msg.id.clone(),
                        channel_id: channel_id.to_owned(),
                        local: ConflictSide {
                            content: local.content.clone(),
                            edited_at: local.edited_at,
                            edited_by: None,
                        },
                        server: ConflictSide {
                            content: msg.content.clone(),
                            edited_at: msg.edited_at,
                            edited_by: msg.edited_by.clone(),
                        },
                        resolution,
                    };
                    self.emit(SyncEvent::Conflict {
                        sync_id,
                        message_id: conflict.message_id.clone(),
                        channel_id: conflict.channel_id.clone(),
                        local: conflict.local.clone(),
                        server: conflict.server.clone(),
                        resolution,
                    });
                    conflicts.push(conflict);
                    counts.conflicts = counts.conflicts.saturating_add(1);
                    if resolution == Resolution::Server {
                        if let Some((l, _)) = self.locals.get_mut(&msg.id) {
                            l.content = msg.content.clone();
                            l.edited_at = msg.edited_at.or(Some(msg.timestamp));
                        }
                        apply.push(msg);
                    }
                }
                _ => apply.push(msg),
            }
        }
        let server_time = data.get("serverTime").and_then(time::parse);
        if let Some(t) = server_time.or(newest) {
            let entry = self.channel_times.entry(channel_id.to_owned()).or_insert(0);
            *entry = (*entry).max(t);
            self.persist(now);
        }
        self.emit(SyncEvent::Messages {
            sync_id,
            request_id,
            channel_id: channel_id.to_owned(),
            room_name: channel_room(channel_id),
            messages: apply,
            conflicts,
        });
        counts
    }

    fn step_presence(&mut self, now: Millis) {
        self.progress(95, SyncStage::Presence);
        let ids = self
            .run
            .as_ref()
            .map(|r| r.presence_ids.clone())
            .unwrap_or_default();
        if ids.is_empty() {
            self.complete(now);
            return;
        }
        let id = self.request(
            "presence:subscribe",
            json!({ "userIds": ids }),
            Kind::Presence { user_ids: ids },
            now,
        );
        self.wait_for(id);
    }

    fn on_presence(
        &mut self,
        request_id: u64,
        user_ids: Vec<String>,
        outcome: Result<&Value, String>,
        now: Millis,
    ) {
        let sync_id = self.sync_id();
        match outcome {
            Ok(data) => {
                let data = data.clone();
                if let Some(run) = &mut self.run {
                    run.result.presence.synced = to_u32(user_ids.len());
                }
                if let Some(sync_id) = sync_id {
                    self.emit(SyncEvent::Presence {
                        sync_id,
                        user_ids,
                        data,
                    });
                }
            }
            Err(message) => self.emit(SyncEvent::Error {
                sync_id,
                request_id: Some(request_id),
                stage: SyncStage::Presence,
                channel_id: None,
                message,
            }),
        }
        self.complete(now);
    }

    fn complete(&mut self, now: Millis) {
        self.progress(100, SyncStage::Completed);
        let Some(mut run) = self.run.take() else {
            return;
        };
        run.result.duration = now.saturating_sub(run.started_at);
        self.last_sync_at = Some(self.last_sync_at.map_or(now, |t| t.max(now)));
        self.persist(now);
        self.emit(SyncEvent::Completed {
            sync_id: run.sync_id,
            result: run.result,
        });
    }

    // ------------------------------------------------------------------
    // Storage
    // ------------------------------------------------------------------

    fn merge_stored(&mut self, state: StoredState) {
        if let Some(t) = state.last_sync_at {
            self.last_sync_at = Some(self.last_sync_at.map_or(t, |x| x.max(t)));
        }
        for (channel, v) in state.channels {
            if channel.is_empty() {
                continue;
            }
            if let Some(t) = time::parse(&v) {
                let e = self.channel_times.entry(channel).or_insert(0);
                *e = (*e).max(t);
            }
        }
    }

    fn report_store_error(&mut self, err: &StoreError, action: &str) {
        let reason = err.reason();
        if self.store_error != Some(reason) {
            self.store_error = Some(reason);
            self.emit(SyncEvent::Error {
                sync_id: self.sync_id(),
                request_id: None,
                stage: SyncStage::Storage,
                channel_id: None,
                message: cat!(
                    "could not ",
                    action,
                    " the sync timestamps: ",
                    err.message(),
                    "; they are kept in memory"
                ),
            });
        }
    }

    /// Read-merge-write of the timestamps (later times win across tabs).
    fn persist(&mut self, _now: Millis) {
        if let Ok(Some(text)) = self.store.get(&self.config.storage_key) {
            if let Ok(state) = StoredState::parse(&text) {
                self.merge_stored(state);
            }
        }
        let mut channels = Map::new();
        for (k, v) in &self.channel_times {
            channels.insert(k.clone(), Value::from(*v));
        }
        let doc = json!({
            "version": 1,
            "lastSyncAt": self.last_sync_at,
            "channels": channels,
        });
        match self.store.set(&self.config.storage_key, &doc.to_text()) {
            Ok(()) => self.store_error = None,
            Err(e) => self.report_store_error(&e, "save"),
        }
    }
}

fn resolve(local: &LocalMessage, server: &SyncedMessage) -> Resolution {
    if server.edited_by.as_deref() == Some("server") {
        return Resolution::Server;
    }
    let server_time = server.edited_at.unwrap_or(server.timestamp);
    match local.edited_at {
        Some(local_time) if local_time > server_time => Resolution::Local,
        _ => Resolution::Server,
    }
}

fn parse_channel(v: &Value) -> Option<SyncedChannel> {
    let room = str_field(v, "roomName");
    let channel_id = str_field(v, "channelId")
        .map(str::to_owned)
        .or_else(|| room.map(channel_id_of))?;
    let room_name = room
        .map(str::to_owned)
        .unwrap_or_else(|| channel_room(&channel_id));
    Some(SyncedChannel {
        channel_id,
        room_name,
        members: v.get("members").cloned().unwrap_or(Value::Null),
        last_message_at: v.get("lastMessageAt").and_then(time::parse),
    })
}

fn parse_message(v: &Value, channel_id: &str) -> Option<SyncedMessage> {
    let id = str_field(v, "id")?.to_owned();
    let content = v.get("content").and_then(Value::as_str)?.to_owned();
    let timestamp = v
        .get("timestamp")
        .or_else(|| v.get("createdAt"))
        .and_then(time::parse)?;
    Some(SyncedMessage {
        id,
        client_message_id: str_field(v, "clientMessageId").map(str::to_owned),
        channel_id: channel_id.to_owned(),
        room_name: str_field(v, "roomName")
            .map(str::to_owned)
            .unwrap_or_else(|| channel_room(channel_id)),
        user_id: str_field(v, "userId").map(str::to_owned),
        content,
        timestamp,
        edited_at: v.get("editedAt").and_then(time::parse),
        edited_by: str_field(v, "editedBy").map(str::to_owned),
    })
}

mod forms;

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests;
