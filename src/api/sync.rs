//! `SyncService`: the sync machine ([`crate::core::sync`]) of the client's
//! session, on `localStorage` (per-channel last-sync times, shared by tabs
//! through the `storage` event) and, optionally, an offline queue.
//!
//! After a *re*connect (not the first connect) the reconnect sequence runs by
//! itself when `autoSyncOnReconnect` is on (the default): flush the queue,
//! `sync:channels`, `sync:messages` per channel since its last sync,
//! `presence:subscribe`. It starts once every other service of the session
//! (the queue included) has seen the reconnect.

use js_sys::{Function, Promise};
use serde::Deserialize;
use wasm_bindgen::prelude::*;

use super::args::{self, opt, req, Field, Kind, MAX_SAFE};
use super::client::RealtimeClient;
use super::hub::{ApiError, ServiceRef, Settle, Topic};
use super::queue::queue_option;
use crate::core::session::{Handle, ServiceKind, Session, SessionError, SyncAttach};
use crate::core::sync::{LocalMessage, SyncConfig, SyncService as SyncCore};
use crate::core::Millis;

/// Options of `new SyncService(client, options)`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct SyncOptions {
    /// Read separately (a class instance, not data).
    #[serde(default)]
    #[allow(dead_code)]
    queue: Option<serde::de::IgnoredAny>,
    auto_sync_on_reconnect: Option<bool>,
    presence_user_ids: Option<Vec<String>>,
    storage_key: Option<String>,
    request_timeout_ms: Option<u64>,
    queue_flush_timeout_ms: Option<u64>,
    #[serde(default)]
    debug: bool,
}

const SYNC_OPTIONS: &[Field] = &[
    opt("queue", Kind::Any),
    opt("autoSyncOnReconnect", Kind::Bool),
    opt("presenceUserIds", Kind::Strings),
    opt("storageKey", Kind::Id),
    opt("requestTimeoutMs", Kind::IntMs),
    opt("queueFlushTimeoutMs", Kind::IntMs),
    opt("debug", Kind::Bool),
];

const LOCAL_MESSAGE: &[Field] = &[
    req("id", Kind::Id),
    req("content", Kind::Str),
    opt("editedAt", Kind::UInt(MAX_SAFE)),
];

/// Reconnect synchronisation: flushes the offline queue, then re-syncs
/// channels, messages missed per channel and presence; resolves edit
/// conflicts (last write wins, server-initiated edits win).
#[wasm_bindgen(js_name = SyncService)]
pub struct SyncService {
    svc: ServiceRef,
}

impl SyncService {
    /// Runs a command, then pumps; a refusal names `method`.
    fn run<T>(
        &self,
        method: &str,
        f: impl FnOnce(&mut Session, Handle, Millis) -> Result<T, SessionError>,
    ) -> Result<T, JsValue> {
        self.svc.run(f).map_err(|e| match e {
            ApiError::Session(e @ SessionError::Sync(_)) => {
                JsError::new(&format!("{method}: {e}")).into()
            }
            e => e.to_js(None),
        })
    }

    /// Reads the live service.
    fn read<T>(&self, f: impl FnOnce(&SyncCore) -> T) -> Result<T, JsValue> {
        let disposed = || ApiError::Session(SessionError::Disposed(ServiceKind::Sync)).to_js(None);
        if self.svc.is_disposed() {
            return Err(disposed());
        }
        self.svc
            .read(|s, h| s.sync(h).ok().map(f))
            .ok_or_else(disposed)
    }
}

#[wasm_bindgen(js_class = SyncService)]
impl SyncService {
    /// A sync service on `client` (`SyncServiceOptions`; unknown keys are an
    /// error). `options.queue` is flushed first in every reconnect sync.
    #[wasm_bindgen(constructor)]
    pub fn new(
        #[wasm_bindgen(unchecked_param_type = "RealtimeClient")] client: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "SyncServiceOptions")] options: JsValue,
    ) -> Result<SyncService, JsValue> {
        let what = "new SyncService()";
        let hub = RealtimeClient::from_js(&client, &format!("{what}: client"))?;
        let checked = args::opt_fields(&options, &format!("{what}: options"), SYNC_OPTIONS)?;
        let opts: SyncOptions = match checked {
            None => SyncOptions::default(),
            Some(checked) => serde_wasm_bindgen::from_value(checked.into())
                .map_err(|e| JsError::new(&format!("new SyncService(): invalid options: {e}")))?,
        };
        let queue = queue_option(&options, "new SyncService()", &hub)?;
        let d = SyncConfig::default();
        let storage_key = match opts.storage_key {
            Some(k) if k.trim().is_empty() => {
                return Err(JsError::new(
                    "new SyncService(): storageKey must be a non-empty string",
                )
                .into())
            }
            Some(k) => k,
            None => d.storage_key.clone(),
        };
        let config = SyncConfig {
            request_timeout_ms: opts.request_timeout_ms.unwrap_or(d.request_timeout_ms),
            queue_flush_timeout_ms: opts
                .queue_flush_timeout_ms
                .unwrap_or(d.queue_flush_timeout_ms),
            storage_key: storage_key.clone(),
            max_local_messages: d.max_local_messages,
        };
        let attach = SyncAttach {
            queue,
            auto: opts.auto_sync_on_reconnect.unwrap_or(true),
            presence_user_ids: opts.presence_user_ids.unwrap_or_default(),
        };
        let handle = hub
            .run_quiet(|s, now| s.attach_sync(config, attach, now))
            .map_err(|e| e.to_js(Some(what)))?;
        let debug = opts.debug || hub.debug(Handle::CLIENT);
        // Load-time reports (an unreadable state) wait for a microtask.
        hub.driver.hold(handle);
        Ok(SyncService {
            svc: ServiceRef::new(hub, handle, ServiceKind::Sync, debug),
        })
    }

    /// Runs the reconnect sequence now (joining one that runs) and resolves
    /// with its `SyncResult`. `presenceUserIds` replaces the configured ids
    /// for this run.
    #[wasm_bindgen(js_name = syncOnReconnect, unchecked_return_type = "Promise<SyncResult>")]
    pub fn sync_on_reconnect(
        &self,
        #[wasm_bindgen(js_name = presenceUserIds, unchecked_optional_param_type = "string[]")]
        presence_user_ids: JsValue,
    ) -> Result<Promise, JsValue> {
        let explicit = !args::absent(&presence_user_ids);
        let ids = if explicit {
            args::strings(&presence_user_ids, "syncOnReconnect(): presenceUserIds")?
        } else {
            Vec::new()
        };
        let ids = explicit.then_some(ids);
        self.svc
            .request(|s, h, now| s.sync_on_reconnect(h, ids, now), Settle::Sync)
            .map_err(|e| e.to_js(None))
    }

    /// Syncs one channel since its last sync time; resolves with
    /// `{messages, conflicts}` (server versions that lost a conflict left
    /// out), rejects when the request fails.
    #[wasm_bindgen(js_name = syncMessages, unchecked_return_type = "Promise<SyncMessagesResult>")]
    pub fn sync_messages(
        &self,
        #[wasm_bindgen(js_name = channelId, unchecked_param_type = "string")] channel_id: JsValue,
    ) -> Result<Promise, JsValue> {
        let channel_id = &args::id(&channel_id, "syncMessages(): channelId")?;
        self.svc
            .request(
                |s, h, now| s.sync_messages(h, channel_id, now),
                Settle::SyncMessages,
            )
            .map_err(|e| match e {
                ApiError::Session(e @ SessionError::Sync(_)) => {
                    JsError::new(&format!("syncMessages(): {e}")).into()
                }
                e => e.to_js(None),
            })
    }

    /// Registers (or updates) a message the app shows, `{id, content,
    /// editedAt?}`, so a differing server version is detected as a conflict.
    #[wasm_bindgen(js_name = recordLocalMessage)]
    pub fn record_local_message(
        &self,
        #[wasm_bindgen(unchecked_param_type = "LocalMessage")] message: JsValue,
    ) -> Result<(), JsValue> {
        let message = args::fields(&message, "recordLocalMessage(): message", LOCAL_MESSAGE)?;
        let msg: LocalMessage = serde_wasm_bindgen::from_value(message.into())
            .map_err(|e| JsError::new(&format!("recordLocalMessage(): invalid message: {e}")))?;
        self.run("recordLocalMessage()", |s, h, now| {
            s.sync_record_local(h, msg, now)
        })
    }

    /// Forgets a registered local message; returns whether it was known.
    #[wasm_bindgen(js_name = forgetLocalMessage)]
    pub fn forget_local_message(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] id: JsValue,
    ) -> Result<bool, JsValue> {
        let id = &args::id(&id, "forgetLocalMessage(): id")?;
        self.run("forgetLocalMessage()", |s, h, now| {
            s.sync_forget_local(h, id, now)
        })
    }

    /// Replaces the users whose presence is re-subscribed after a reconnect.
    #[wasm_bindgen(js_name = setPresenceUserIds)]
    pub fn set_presence_user_ids(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string[]")] ids: JsValue,
    ) -> Result<(), JsValue> {
        let ids = args::strings(&ids, "setPresenceUserIds(): ids")?;
        self.run("setPresenceUserIds()", |s, h, _| {
            s.sync_set_presence_ids(h, ids)
        })
    }

    /// The last sync time of `channelId`, or of the last completed reconnect
    /// sync without an argument; `undefined` if never synced.
    #[wasm_bindgen(js_name = getLastSyncTime)]
    pub fn get_last_sync_time(
        &self,
        #[wasm_bindgen(js_name = channelId, unchecked_optional_param_type = "string")]
        channel_id: JsValue,
    ) -> Result<Option<f64>, JsValue> {
        let channel_id = args::opt_id(&channel_id, "getLastSyncTime(): channelId")?;
        let t = self.read(|core| match channel_id {
            Some(c) => core.channel_sync_timestamp(&c),
            None => core.last_sync_timestamp(),
        })?;
        Ok(t.map(|t| t as f64))
    }

    /// Whether a reconnect sync is running.
    #[wasm_bindgen(getter, js_name = isSyncing)]
    pub fn is_syncing(&self) -> bool {
        self.read(SyncCore::is_syncing).unwrap_or(false)
    }

    /// `callback(event, data)` for every sync event; returns an unsubscribe
    /// function.
    #[wasm_bindgen(unchecked_return_type = "() => void")]
    pub fn subscribe(
        &self,
        #[wasm_bindgen(unchecked_param_type = "SyncListener")] callback: JsValue,
    ) -> Result<Function, JsValue> {
        let callback = args::callback(&callback, "subscribe(): callback")?;
        self.read(|_| ())?;
        Ok(self.svc.listen(Topic::All, callback))
    }

    /// Stops listening to the client and other tabs and rejects pending
    /// promises. Stored sync times stay. Idempotent.
    pub fn dispose(&self) {
        self.svc.dispose();
    }
}

#[wasm_bindgen(typescript_custom_section)]
const TS_SYNC: &'static str = r#"
/** Options of `new SyncService(client, options)`. Unknown keys are an error. */
export interface SyncServiceOptions {
  /** Flushed first in every reconnect sync. */
  queue?: OfflineQueueService;
  /** Run `syncOnReconnect()` after every reconnect. Default true. */
  autoSyncOnReconnect?: boolean;
  /** Users whose presence is re-subscribed after a reconnect. */
  presenceUserIds?: string[];
  /** localStorage key of the last-sync times. Default `chat-realtime:sync`. */
  storageKey?: string;
  /** Timeout of each request. Default 30000. */
  requestTimeoutMs?: number;
  /** How long to wait for the queue flush. Default 120000. */
  queueFlushTimeoutMs?: number;
  /** Log with a `[chat-realtime]` prefix. Default: the client's `debug`. */
  debug?: boolean;
}

/** Step of the reconnect sequence. */
export type SyncStage = 'queue' | 'channels' | 'messages' | 'presence' | 'completed' | 'storage';

/** Result of `syncOnReconnect()`. */
export interface SyncResult {
  messages: { synced: number; conflicts: number; errors: number };
  channels: { synced: number; errors: number };
  presence: { synced: number };
  queueFlushed: { sent: number; failed: number };
  /** When the sync started. */
  timestamp: number;
  /** How long it took, ms. */
  duration: number;
}

/** A channel from `sync:channels`. */
export interface SyncedChannel {
  channelId: string;
  roomName: string;
  /** As the server sent it: member ids or a count. */
  members: string[] | number | null;
  lastMessageAt: number | null;
}

/** A server message from `sync:messages`. */
export interface SyncedMessage {
  id: string;
  clientMessageId: string | null;
  channelId: string;
  roomName: string;
  userId: string | null;
  content: string;
  timestamp: number;
  editedAt: number | null;
  /** `server` for server-initiated edits. */
  editedBy: string | null;
}

/** One side of a conflict. */
export interface SyncConflictSide {
  content: string;
  editedAt: number | null;
  editedBy: string | null;
}

/** A resolved edit conflict. */
export interface SyncConflict {
  messageId: string;
  channelId: string;
  local: SyncConflictSide;
  server: SyncConflictSide;
  resolution: 'server' | 'local';
}

/** Result of `syncMessages(channelId)`. */
export interface SyncMessagesResult {
  /** Server messages to apply (versions that lost a conflict left out). */
  messages: SyncedMessage[];
  conflicts: SyncConflict[];
}

/** A message the app shows, for conflict checks. */
export interface LocalMessage {
  id: string;
  content: string;
  /** When the local edit was made, ms since the epoch. */
  editedAt?: number;
}

/** A user's presence as `presence:subscribe` answers it. */
export interface SyncPresence {
  userId: string;
  status: PresenceStatus;
  customStatus?: { text?: string; emoji?: string; expiresAt?: number | string | null } | null;
  lastSeenAt?: number;
}

/** Data of each sync event. */
export interface SyncEventMap {
  'sync:started': { syncId: number; timestamp: number };
  'sync:progress': { syncId: number; progress: number; stage: SyncStage };
  'sync:channels': { syncId: number; channels: SyncedChannel[] };
  'sync:messages': { syncId: number | null; requestId: number; channelId: string; roomName: string; messages: SyncedMessage[]; conflicts: SyncConflict[] };
  'sync:conflict': { syncId: number | null; messageId: string; channelId: string; local: SyncConflictSide; server: SyncConflictSide; resolution: 'server' | 'local' };
  'sync:presence': { syncId: number; userIds: string[]; data: { presences: SyncPresence[] } };
  'sync:completed': { syncId: number; result: SyncResult };
  'sync:error': { syncId: number | null; requestId: number | null; stage: SyncStage; channelId: string | null; message: string };
}
/** Sync event names. */
export type SyncEventName = keyof SyncEventMap;
/** `subscribe` callback of `SyncService`: `(event, data)`. */
export type SyncListener = (...args: { [K in SyncEventName]: [event: K, data: SyncEventMap[K]] }[SyncEventName]) => void;
"#;
