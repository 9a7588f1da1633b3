//! `SyncService`: the sync core ([`crate::core::sync`]) wired to a
//! `RealtimeClient`, `localStorage` (per-channel last-sync times, shared by
//! tabs through the `storage` event) and, optionally, an offline queue.
//!
//! After a *re*connect (not the first connect) the reconnect sequence runs by
//! itself when `autoSyncOnReconnect` is on (the default): flush the queue,
//! `sync:channels`, `sync:messages` per channel since its last sync,
//! `presence:subscribe`. It starts in a microtask after the client reported
//! the connection, so every service listening to the client (the queue
//! included) has seen the reconnect first.

use std::cell::{Cell, RefCell, RefMut};
use std::rc::{Rc, Weak};

use js_sys::{Function, Promise};
use wasm_bindgen::prelude::*;

use super::args::{self, opt, req, Field, Kind, Record, MAX_SAFE};
use super::client::{ClientEvent, ClientHandle, RealtimeClient};
use super::driver::{
    add_hook, borrow, disposed, pump, pump_soon, subscribe, with_core, Driven, Request,
};
use super::js::{
    call_listeners, debug_log, first_ack_arg, js_error_message, to_js, Callbacks, Deferred,
    Unsubscribe,
};
use super::queue::{queue_option, QueueHandle};
use crate::browser::clock::now_ms;
use crate::browser::storage::{LocalStorage, StorageListener};
use crate::browser::timer::DeadlineTimer;
use crate::core::decimal::cat;
use crate::core::sync::{
    LocalMessage, SyncConfig, SyncEffect, SyncEvent, SyncService as SyncCore, SyncStage,
};

/// Options of `new SyncService(client, options)` (`queue` is read
/// separately: a class instance, not data).
#[derive(Debug, Default)]
struct SyncOptions {
    auto_sync_on_reconnect: Option<bool>,
    presence_user_ids: Option<Vec<String>>,
    storage_key: Option<String>,
    request_timeout_ms: Option<u64>,
    queue_flush_timeout_ms: Option<u64>,
    debug: bool,
}

impl SyncOptions {
    fn read(r: &Record) -> Self {
        SyncOptions {
            auto_sync_on_reconnect: r.flag("autoSyncOnReconnect"),
            presence_user_ids: r.strings("presenceUserIds"),
            storage_key: r.str("storageKey"),
            request_timeout_ms: r.int("requestTimeoutMs"),
            queue_flush_timeout_ms: r.int("queueFlushTimeoutMs"),
            debug: r.flag("debug").unwrap_or(false),
        }
    }
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

struct SyncInner {
    core: Option<SyncCore>,
    client: ClientHandle,
    hook_id: Option<u32>,
    queue: Option<QueueHandle>,
    auto: bool,
    presence_ids: Vec<String>,
    subs: Callbacks,
    sync_waiters: Vec<(u64, Deferred)>,
    message_waiters: Vec<(u64, Deferred)>,
    timer: DeadlineTimer,
    storage_listener: Option<StorageListener>,
    next_id: u32,
    debug: bool,
    pumping: Rc<Cell<bool>>,
}

impl Unsubscribe for SyncInner {
    fn unsubscribe(&mut self, id: u32) {
        self.subs.remove(id);
    }
}

enum Out {
    Request(Request),
    FlushQueue,
    Event(SyncEvent),
}

impl Driven for SyncInner {
    type Core = SyncCore;
    type Out = Out;
    const NAME: &'static str = "SyncService";

    fn core(&mut self) -> Option<&mut SyncCore> {
        self.core.as_mut()
    }

    fn timer(&mut self) -> &mut DeadlineTimer {
        &mut self.timer
    }

    fn next_id(&mut self) -> &mut u32 {
        &mut self.next_id
    }

    fn pumping(&self) -> Option<Rc<Cell<bool>>> {
        Some(self.pumping.clone())
    }

    fn take_batch(&mut self) -> Option<Vec<Out>> {
        let effects = self.core.as_mut()?.drain_effects();
        Some(
            effects
                .into_iter()
                .map(|e| match e {
                    SyncEffect::Request {
                        request_id,
                        event,
                        payload,
                        timeout_ms,
                    } => Out::Request(Request {
                        request_id,
                        event,
                        payload: payload.to_text(),
                        timeout_ms,
                    }),
                    SyncEffect::FlushQueue { .. } => Out::FlushQueue,
                    SyncEffect::Event(ev) => Out::Event(ev),
                })
                .collect(),
        )
    }

    fn dispatch(rc: &Rc<RefCell<Self>>, batch: Vec<Out>) {
        for out in batch {
            execute(rc, out);
        }
    }
}

fn execute(rc: &Rc<RefCell<SyncInner>>, out: Out) {
    let Some((client, queue, debug)) = rc
        .try_borrow()
        .ok()
        .map(|i| (i.client.clone(), i.queue.clone(), i.debug))
    else {
        return;
    };
    match out {
        Out::Request(request) => {
            if debug {
                debug_log(&cat!("sync: ", request.event, " ", request.payload));
            }
            let request_id = request.request_id;
            if let Err(e) = request.send(rc, &client, on_ack) {
                on_ack(&Rc::downgrade(rc), request_id, Err(js_error_message(e)));
            }
        }
        Out::FlushQueue => match queue {
            Some(q) => {
                let weak = Rc::downgrade(rc);
                q.flush(Box::new(move |result| {
                    let Some(rc) = weak.upgrade() else { return };
                    let (sent, failed) = result.unwrap_or((0, 0));
                    with_core(&rc, |c, now| {
                        c.on_queue_flushed(sent, failed, now);
                    });
                }));
            }
            None => {
                with_core(rc, |c, now| {
                    c.on_queue_flushed(0, 0, now);
                });
            }
        },
        Out::Event(ev) => dispatch_event(rc, ev, debug),
    }
}

fn dispatch_event(rc: &Rc<RefCell<SyncInner>>, ev: SyncEvent, debug: bool) {
    let Some(fns) = rc.try_borrow().ok().map(|i| i.subs.snapshot()) else {
        return;
    };
    let name = ev.name();
    let data = to_js(&ev);
    if debug {
        let text = js_sys::JSON::stringify(&data)
            .ok()
            .and_then(|s| s.as_string())
            .unwrap_or_default();
        debug_log(&cat!("sync: ", name, " ", text));
    }
    call_listeners("sync", &fns, name, &data);
    // Settle the promises waiting for this outcome.
    let (key, ok, value): (Option<(bool, u64)>, bool, JsValue) = match &ev {
        SyncEvent::Completed { sync_id, result } => (Some((true, *sync_id)), true, to_js(result)),
        SyncEvent::Messages {
            request_id,
            messages,
            conflicts,
            ..
        } => (
            Some((false, *request_id)),
            true,
            to_js(&crate::core::json::json!({ "messages": messages, "conflicts": conflicts })),
        ),
        SyncEvent::Error {
            request_id: Some(request_id),
            stage: SyncStage::Messages,
            message,
            sync_id: None,
            ..
        } => (
            Some((false, *request_id)),
            false,
            JsValue::from_str(message),
        ),
        _ => (None, true, JsValue::UNDEFINED),
    };
    let Some((is_sync, id)) = key else { return };
    let waiters = rc
        .try_borrow_mut()
        .ok()
        .map(|mut i| {
            let list = if is_sync {
                &mut i.sync_waiters
            } else {
                &mut i.message_waiters
            };
            let (mine, rest): (Vec<_>, Vec<_>) = std::mem::take(list)
                .into_iter()
                .partition(|(w, _)| *w == id);
            *list = rest;
            mine
        })
        .unwrap_or_default();
    for (_, d) in waiters {
        if ok {
            d.resolve(&value);
        } else {
            d.reject(&cat!(
                "syncMessages(): ",
                value.as_string().unwrap_or_default()
            ));
        }
    }
}

fn on_ack(weak: &Weak<RefCell<SyncInner>>, request_id: u64, result: Result<String, String>) {
    let Some(rc) = weak.upgrade() else { return };
    with_core(&rc, |c, now| {
        // An unknown id was already timed out by the core itself.
        let _ = c.on_response(request_id, first_ack_arg(result), now);
    });
}

fn on_client_event(weak: &Weak<RefCell<SyncInner>>, event: &ClientEvent) {
    let ClientEvent::Connected { reconnected: true } = event else {
        return;
    };
    let Some(rc) = weak.upgrade() else { return };
    if !rc.try_borrow().is_ok_and(|i| i.auto && i.core.is_some()) {
        return;
    }
    // After every other hook of this reconnect has run.
    let weak = weak.clone();
    wasm_bindgen_futures::spawn_local(async move {
        let Some(rc) = weak.upgrade() else { return };
        let Some((client, ids)) = rc
            .try_borrow()
            .ok()
            .map(|i| (i.client.clone(), i.presence_ids.clone()))
        else {
            return;
        };
        if client.is_connected() {
            with_core(&rc, |c, now| c.sync_on_reconnect(&ids, now));
        }
    });
}

/// Reconnect synchronisation: flushes the offline queue, then re-syncs
/// channels, messages missed per channel and presence; resolves edit
/// conflicts (last write wins, server-initiated edits win).
#[wasm_bindgen(js_name = SyncService)]
pub struct SyncService {
    inner: Rc<RefCell<SyncInner>>,
}

impl SyncService {
    fn borrow(&self) -> Result<RefMut<'_, SyncInner>, JsError> {
        borrow(&self.inner)
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
        let handle = RealtimeClient::from_js(&client, &cat!(what, ": client"))?;
        let checked = args::opt_fields(&options, &cat!(what, ": options"), SYNC_OPTIONS)?;
        let opts = SyncOptions::read(&Record::new(checked));
        let queue = queue_option(&options, "new SyncService()")?;
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
        let core = SyncCore::open(config, Box::new(LocalStorage::new()), now_ms());
        let inner = Rc::new(RefCell::new(SyncInner {
            core: Some(core),
            client: handle.clone(),
            hook_id: None,
            queue,
            auto: opts.auto_sync_on_reconnect.unwrap_or(true),
            presence_ids: opts.presence_user_ids.unwrap_or_default(),
            subs: Callbacks::default(),
            sync_waiters: Vec::new(),
            message_waiters: Vec::new(),
            timer: DeadlineTimer::default(),
            storage_listener: None,
            next_id: 0,
            debug: opts.debug || handle.debug(),
            pumping: Rc::default(),
        }));
        let hook_id = add_hook(&inner, &handle, on_client_event);
        let weak = Rc::downgrade(&inner);
        let listener = StorageListener::new(vec![storage_key], move || {
            if let Some(rc) = weak.upgrade() {
                with_core(&rc, |c, now| c.reload_from_store(now));
            }
        });
        if let Ok(mut i) = inner.try_borrow_mut() {
            i.hook_id = Some(hook_id);
            i.storage_listener = Some(listener);
        }
        pump_soon(&inner);
        Ok(SyncService { inner })
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
        let (promise, deferred) = Deferred::new();
        {
            let mut guard = self.borrow()?;
            let inner = &mut *guard;
            let ids = if explicit {
                ids
            } else {
                inner.presence_ids.clone()
            };
            let core = inner.core.as_mut().ok_or_else(disposed::<SyncInner>)?;
            let id = core.sync_on_reconnect(&ids, now_ms());
            inner.sync_waiters.push((id, deferred));
        }
        pump(&self.inner);
        Ok(promise)
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
        let (promise, deferred) = Deferred::new();
        {
            let mut guard = self.borrow()?;
            let inner = &mut *guard;
            let core = inner.core.as_mut().ok_or_else(disposed::<SyncInner>)?;
            let id = core
                .sync_messages(channel_id, now_ms())
                .map_err(|e| JsError::new(&cat!("syncMessages(): ", e)))?;
            inner.message_waiters.push((id, deferred));
        }
        pump(&self.inner);
        Ok(promise)
    }

    /// Registers (or updates) a message the app shows, `{id, content,
    /// editedAt?}`, so a differing server version is detected as a conflict.
    #[wasm_bindgen(js_name = recordLocalMessage)]
    pub fn record_local_message(
        &self,
        #[wasm_bindgen(unchecked_param_type = "LocalMessage")] message: JsValue,
    ) -> Result<(), JsValue> {
        let message = args::fields(&message, "recordLocalMessage(): message", LOCAL_MESSAGE)?;
        let r = Record::new(Some(message));
        let msg = LocalMessage {
            id: r.str("id").unwrap_or_default(),
            content: r.str("content").unwrap_or_default(),
            edited_at: r.int("editedAt"),
        };
        let mut inner = self.borrow()?;
        let core = inner.core.as_mut().ok_or_else(disposed::<SyncInner>)?;
        Ok(core
            .record_local_message(msg)
            .map_err(|e| JsError::new(&cat!("recordLocalMessage(): ", e)))?)
    }

    /// Forgets a registered local message; returns whether it was known.
    #[wasm_bindgen(js_name = forgetLocalMessage)]
    pub fn forget_local_message(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] id: JsValue,
    ) -> Result<bool, JsValue> {
        let id = &args::id(&id, "forgetLocalMessage(): id")?;
        let mut inner = self.borrow()?;
        let core = inner.core.as_mut().ok_or_else(disposed::<SyncInner>)?;
        Ok(core.forget_local_message(id))
    }

    /// Replaces the users whose presence is re-subscribed after a reconnect.
    #[wasm_bindgen(js_name = setPresenceUserIds)]
    pub fn set_presence_user_ids(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string[]")] ids: JsValue,
    ) -> Result<(), JsValue> {
        let ids = args::strings(&ids, "setPresenceUserIds(): ids")?;
        self.borrow()?.presence_ids = ids;
        Ok(())
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
        let inner = self.borrow()?;
        let core = inner.core.as_ref().ok_or_else(disposed::<SyncInner>)?;
        let t = match channel_id {
            Some(c) => core.channel_sync_timestamp(&c),
            None => core.last_sync_timestamp(),
        };
        Ok(t.map(|t| t as f64))
    }

    /// Whether a reconnect sync is running.
    #[wasm_bindgen(getter, js_name = isSyncing)]
    pub fn is_syncing(&self) -> bool {
        self.inner
            .try_borrow()
            .ok()
            .and_then(|i| i.core.as_ref().map(SyncCore::is_syncing))
            .unwrap_or(false)
    }

    /// `callback(event, data)` for every sync event; returns an unsubscribe
    /// function.
    #[wasm_bindgen(unchecked_return_type = "() => void")]
    pub fn subscribe(
        &self,
        #[wasm_bindgen(unchecked_param_type = "SyncListener")] callback: JsValue,
    ) -> Result<Function, JsValue> {
        let callback = args::callback(&callback, "subscribe(): callback")?;
        Ok(subscribe(&self.inner, |i| &mut i.subs, callback)?)
    }

    /// Stops listening to the client and other tabs and rejects pending
    /// promises. Stored sync times stay. Idempotent.
    pub fn dispose(&self) {
        dispose(&self.inner);
    }
}

fn dispose(rc: &Rc<RefCell<SyncInner>>) {
    let taken = {
        let Ok(mut guard) = rc.try_borrow_mut() else {
            return;
        };
        let inner = &mut *guard;
        if inner.core.is_none() {
            return;
        }
        inner.core = None;
        inner.subs = Callbacks::default();
        inner.queue = None;
        inner.timer.arm(None, || {});
        let mut waiters = std::mem::take(&mut inner.sync_waiters);
        waiters.append(&mut inner.message_waiters);
        (
            inner.hook_id.take(),
            inner.client.clone(),
            waiters,
            inner.storage_listener.take(),
        )
    };
    let (hook_id, client, waiters, listener) = taken;
    if let Some(id) = hook_id {
        client.remove_hook(id);
    }
    drop(listener);
    for (_, d) in waiters {
        d.reject("the SyncService was disposed");
    }
}

impl Drop for SyncService {
    fn drop(&mut self) {
        dispose(&self.inner);
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
