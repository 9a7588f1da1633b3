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
//!    `sync:messages {roomName, since, limit}` per channel, `since` being that
//!    channel's persisted last-sync time (0 if none), `limit` the config's
//!    `max_messages_per_channel`; emits `sync:messages` and `sync:conflict`;
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

use crate::core::fifo::Fifo;
use crate::core::vecmap::{VecMap, VecSet};

use crate::core::json::{self, json, Map, Value};

use super::decimal::cat;
use super::delivery::wire::{parse_ack, str_field};
use super::room::{channel_id_of, channel_room};
use super::store::{KeyValueStore, StoreError};
use super::time;
use super::Millis;

mod forms;
mod own;
mod steps;
mod types;

pub use own::reconcile;
pub use types::*;

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
    todo: Fifo<String>,
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

/// The stored timestamps: `{version, lastSyncAt?, channels: {id: ms}}`, or
/// nchat's `{lastSyncTimestamp, channelSyncTimestamps: {id: ms}}`.
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
        let at = |k: &'static str| match doc.get(k) {
            None | Some(Value::Null) => Ok(None),
            Some(_) => doc.opt_u64_field(k).map_err(|e| e.describe()),
        };
        let mut channels = Map::new();
        for k in ["channelSyncTimestamps", "channels"] {
            match doc.get(k) {
                None | Some(Value::Null) => {}
                Some(Value::Object(m)) => {
                    for (channel, t) in m.clone() {
                        channels.insert(channel, t);
                    }
                }
                Some(_) => return Err(cat!(k, " must be an object")),
            }
        }
        Ok(StoredState {
            last_sync_at: at("lastSyncAt")?.or(at("lastSyncTimestamp")?),
            channels,
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
    /// A reconnect sync finished since this service was made.
    completed: bool,
    effects: Fifo<SyncEffect>,
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
            completed: false,
            effects: Fifo::new(),
        };
        s.reload_from_store(now);
        s.migrate_legacy(now);
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
            todo: Fifo::new(),
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

    /// Syncs one channel by hand since `since` (nchat's argument), else
    /// since its last-sync time. Returns the request id; the outcome is a
    /// `sync:messages` (with `conflicts`) or `sync:error` event carrying that
    /// `requestId`.
    pub fn sync_messages(
        &mut self,
        channel_id: &str,
        since: Option<Millis>,
        now: Millis,
    ) -> Result<u64, SyncError> {
        if channel_id.trim().is_empty() {
            return Err(SyncError::InvalidArgument(
                "channelId must not be empty".into(),
            ));
        }
        Ok(self.request_messages(channel_id, since, now))
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
                } else {
                    self.answer_channels(request_id, outcome);
                }
            }
            Kind::Messages { channel_id } => {
                self.on_messages(request_id, &channel_id, outcome, awaited, now);
            }
            Kind::Presence { user_ids } => {
                if awaited {
                    self.on_presence(request_id, user_ids, outcome, now);
                } else {
                    let n = if outcome.is_ok() { user_ids.len() } else { 0 };
                    self.answer(request_id, json!({ "synced": to_u32(n) }));
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
        self.effects.take_all()
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

    /// nchat's `syncStatus`: `"syncing"` while a reconnect sync runs,
    /// `"completed"` once one finished, else `"idle"`. A sequence never
    /// fails as a whole: a failed step is a `sync:error` and counted in the
    /// result.
    pub fn sync_status(&self) -> &'static str {
        match (self.run.is_some(), self.completed) {
            (true, _) => "syncing",
            (_, true) => "completed",
            _ => "idle",
        }
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

    fn request_messages(&mut self, channel_id: &str, since: Option<Millis>, now: Millis) -> u64 {
        let since =
            since.unwrap_or_else(|| self.channel_times.get(channel_id).copied().unwrap_or(0));
        self.request(
            "sync:messages",
            json!({
                "roomName": channel_room(channel_id),
                "since": since,
                "limit": self.config.max_messages_per_channel
            }),
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
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests;
