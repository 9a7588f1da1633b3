//! `OfflineQueueService`: the offline queue core ([`crate::core::queue`])
//! wired to a `RealtimeClient`, `localStorage`, the cross-tab flush lock and
//! the `storage` event.
//!
//! * Sends go out as `message:send` requests through the client; the ack (or
//!   its failure) is fed back to the core. A request that fails because the
//!   link dropped is not counted as an attempt.
//! * The queue flushes when the client connects or reconnects, when the
//!   browser comes back online (while connected) and on `flushQueue()`.
//! * Tabs share the queue through `localStorage`, one key per message
//!   (`<storageKey>:m:<id>`), so no tab can erase another's message: every
//!   flush first takes the cross-tab lock (Web Locks, or a `localStorage`
//!   lease where `navigator.locks` is missing), and a `storage` event from
//!   another tab re-reads the one entry it changed (`on_storage_changed`).
//! * A message the storage refuses (full, disabled) is still sent; it carries
//!   `persisted: false`, gets its own `queue:error`, and is written as soon as
//!   the storage accepts it (`message:persisted`).
//! * Events raised while loading (a corrupt entry, an unusable storage) are
//!   delivered in a microtask after the constructor returns, so a
//!   `subscribe()` right after `new` sees them.

use crate::core::vecmap::VecMap;
use std::cell::{Cell, RefCell, RefMut};
use std::rc::{Rc, Weak};

use js_sys::{Function, Promise};
use wasm_bindgen::prelude::*;

use super::args::{self, opt, req, Field, Kind, Record, Res, MAX_SAFE, U32_MAX};
use super::client::{ClientEvent, ClientHandle, RealtimeClient};
use super::driver::{
    add_hook, borrow, disposed, pump, pump_soon, run, subscribe, with_core, Driven, Request,
};
use super::js::{
    call_listeners, debug_log, first_ack_arg, js_error_message, to_js, Callbacks, Deferred,
    Unsubscribe,
};
use crate::browser::clock::now_ms;
use crate::browser::storage::{LocalStorage, LockMode, LockTicket, StorageListener};
use crate::browser::timer::DeadlineTimer;
use crate::core::backoff::BackoffConfig;
use crate::core::decimal::cat;
use crate::core::json::quote;
use crate::core::queue::{
    NewMessage, OfflineQueueService as QueueCore, QueueConfig, QueueEffect, QueueEvent,
};
use crate::core::Millis;

/// Options of `new OfflineQueueService(client, options)`.
#[derive(Debug, Default)]
struct QueueOptions {
    max_messages: Option<usize>,
    max_bytes: Option<usize>,
    max_retries: Option<u32>,
    retry_delay_ms: Option<u64>,
    retry_delay_max_ms: Option<u64>,
    request_timeout_ms: Option<u64>,
    storage_key: Option<String>,
    cross_tab_lock: Option<String>,
    seed: Option<u64>,
    debug: bool,
}

impl QueueOptions {
    fn read(r: &Record) -> Self {
        QueueOptions {
            max_messages: r.int("maxMessages").map(|n| n as usize),
            max_bytes: r.int("maxBytes").map(|n| n as usize),
            max_retries: r.int("maxRetries").map(|n| n as u32),
            retry_delay_ms: r.int("retryDelayMs"),
            retry_delay_max_ms: r.int("retryDelayMaxMs"),
            request_timeout_ms: r.int("requestTimeoutMs"),
            storage_key: r.str("storageKey"),
            cross_tab_lock: r.str("crossTabLock"),
            seed: r.int("seed"),
            debug: r.flag("debug").unwrap_or(false),
        }
    }
}

/// A `NewQueuedMessage` from its checked copy.
fn new_message(r: &Record) -> NewMessage {
    NewMessage {
        channel_id: r.str("channelId").unwrap_or_default(),
        content: r.str("content").unwrap_or_default(),
        message_type: r.str("type").unwrap_or_else(|| "text".into()),
        thread_id: r.str("threadId"),
        mentions: r.strings("mentions").unwrap_or_default(),
        client_message_id: r.str("clientMessageId"),
    }
}

const QUEUE_OPTIONS: &[Field] = &[
    opt("maxMessages", Kind::UInt(U32_MAX)),
    opt("maxBytes", Kind::UInt(U32_MAX)),
    opt("maxRetries", Kind::UInt(U32_MAX)),
    opt("retryDelayMs", Kind::IntMs),
    opt("retryDelayMaxMs", Kind::IntMs),
    opt("requestTimeoutMs", Kind::IntMs),
    opt("storageKey", Kind::Id),
    opt("crossTabLock", Kind::OneOf(&["auto", "lease", "none"])),
    opt("seed", Kind::UInt(MAX_SAFE)),
    opt("debug", Kind::Bool),
];

const NEW_MESSAGE: &[Field] = &[
    req("channelId", Kind::Id),
    req("content", Kind::Str),
    opt("type", Kind::Id),
    opt("threadId", Kind::Id),
    opt("mentions", Kind::Strings),
    opt("clientMessageId", Kind::Id),
];

/// A Rust subscriber of queue events (the delivery handler, the sync service).
pub(crate) type QueueHook = Rc<dyn Fn(&QueueEvent)>;

/// The outcome of a flush asked for from Rust: `(sent, failed)`, or why the
/// queue could not flush (disposed).
pub(crate) type FlushCallback = Box<dyn FnOnce(Result<(u32, u32), String>)>;

enum FlushWaiter {
    Js(Deferred),
    Rust(FlushCallback),
}

pub(crate) struct QueueInner {
    core: Option<QueueCore>,
    client: ClientHandle,
    hook_id: Option<u32>,
    subs: Callbacks,
    rust_subs: Vec<(u32, QueueHook)>,
    waiters: Vec<(u64, FlushWaiter)>,
    timer: DeadlineTimer,
    locks: VecMap<u64, LockTicket>,
    lock_mode: Option<LockMode>,
    lock_name: String,
    owner: String,
    storage_listener: Option<StorageListener>,
    next_id: u32,
    debug: bool,
    pumping: Rc<Cell<bool>>,
    token: u32,
}

impl Unsubscribe for QueueInner {
    fn unsubscribe(&mut self, id: u32) {
        self.subs.remove(id);
        self.rust_subs.retain(|(i, _)| *i != id);
    }
}

thread_local! {
    static REGISTRY: RefCell<VecMap<u32, Weak<RefCell<QueueInner>>>> = const { RefCell::new(VecMap::new()) };
    static NEXT_TOKEN: Cell<u32> = const { Cell::new(0) };
}

/// A weak handle on a queue, for the services that feed from it or flush it.
#[derive(Clone)]
pub(crate) struct QueueHandle(Weak<RefCell<QueueInner>>);

impl QueueHandle {
    /// Subscribes a Rust hook; `None` when the queue is gone or disposed.
    pub fn subscribe(&self, hook: QueueHook) -> Option<u32> {
        let rc = self.0.upgrade()?;
        let mut inner = rc.try_borrow_mut().ok()?;
        inner.core.as_ref()?;
        inner.next_id = inner.next_id.wrapping_add(1);
        let id = inner.next_id;
        inner.rust_subs.push((id, hook));
        Some(id)
    }

    /// Removes a hook.
    pub fn unsubscribe(&self, id: u32) {
        if let Some(rc) = self.0.upgrade() {
            if let Ok(mut inner) = rc.try_borrow_mut() {
                inner.rust_subs.retain(|(i, _)| *i != id);
            }
        };
    }

    /// Flushes (joining a running flush); `done` gets its `{sent, failed}`.
    pub fn flush(&self, done: FlushCallback) {
        let Some(rc) = self.0.upgrade() else {
            done(Err("the offline queue was dropped".into()));
            return;
        };
        let refused = {
            match rc.try_borrow_mut() {
                Ok(mut guard) => {
                    let inner = &mut *guard;
                    match inner.core.as_mut() {
                        Some(core) => {
                            let id = core.flush_queue(now_ms());
                            inner.waiters.push((id, FlushWaiter::Rust(done)));
                            None
                        }
                        None => Some(done),
                    }
                }
                Err(_) => Some(done),
            }
        };
        match refused {
            Some(done) => done(Err("the offline queue is disposed or busy".into())),
            None => pump(&rc),
        }
    }
}

/// The queue behind `options.queue` (`undefined`/`null` give none).
pub(crate) fn queue_option(options: &JsValue, what: &str) -> Res<Option<QueueHandle>> {
    if !options.is_object() {
        return Ok(None);
    }
    let value = js_sys::Reflect::get(options, &JsValue::from_str("queue")).unwrap_or_default();
    if args::absent(&value) {
        return Ok(None);
    }
    queue_arg(&value, &cat!(what, ": options.queue")).map(Some)
}

/// The queue behind a JavaScript argument (`what` names it in errors). Only
/// an `OfflineQueueService` of this module that is neither freed nor
/// disposed is accepted.
pub(crate) fn queue_arg(value: &JsValue, what: &str) -> Res<QueueHandle> {
    let refuse = || {
        args::type_error(
            what,
            "an OfflineQueueService of this module that is not disposed",
            value,
        )
    };
    let token_fn = js_sys::Reflect::get(value, &JsValue::from_str("__queueToken"))
        .ok()
        .and_then(|f| f.dyn_into::<Function>().ok())
        .ok_or_else(refuse)?;
    let token = token_fn
        .call0(value)
        .ok()
        .and_then(|t| t.as_f64())
        .ok_or_else(refuse)? as u32;
    let weak = REGISTRY
        .with(|r| r.try_borrow().ok().and_then(|r| r.get(&token).cloned()))
        .ok_or_else(refuse)?;
    let alive = weak
        .upgrade()
        .is_some_and(|rc| rc.try_borrow().is_ok_and(|i| i.core.is_some()));
    if !alive {
        return Err(refuse());
    }
    Ok(QueueHandle(weak))
}

pub(crate) enum Out {
    Request(Request),
    Event(QueueEvent),
    Acquire(u64),
    Release(u64),
}

impl Driven for QueueInner {
    type Core = QueueCore;
    type Out = Out;
    const NAME: &'static str = "OfflineQueueService";

    fn core(&mut self) -> Option<&mut QueueCore> {
        self.core.as_mut()
    }

    fn timer(&mut self) -> &mut DeadlineTimer {
        &mut self.timer
    }

    fn next_id(&mut self) -> &mut u32 {
        &mut self.next_id
    }

    /// Re-entrant calls (from listeners, acks, lock grants) only queue
    /// effects; the outermost pump drains them in order.
    fn pumping(&self) -> Option<Rc<Cell<bool>>> {
        Some(self.pumping.clone())
    }

    fn take_batch(&mut self) -> Option<Vec<Out>> {
        let effects = self.core.as_mut()?.drain_effects();
        Some(
            effects
                .into_iter()
                .map(|e| match e {
                    QueueEffect::Request {
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
                    QueueEffect::Event(ev) => Out::Event(ev),
                    QueueEffect::AcquireFlushLock { flush_id } => Out::Acquire(flush_id),
                    QueueEffect::ReleaseFlushLock { flush_id } => Out::Release(flush_id),
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

fn execute(rc: &Rc<RefCell<QueueInner>>, out: Out) {
    match out {
        Out::Request(request) => {
            let Some(client) = rc.try_borrow().ok().map(|i| i.client.clone()) else {
                return;
            };
            if !client.is_connected() {
                // The link dropped before the hook told us: not an attempt.
                with_core(rc, |c, now| c.on_disconnected(now));
                return;
            }
            let request_id = request.request_id;
            if let Err(e) = request.send(rc, &client, on_ack) {
                let message = js_error_message(e);
                with_core(rc, |c, now| {
                    let _ = c.on_response(request_id, Err(message), now);
                });
            }
        }
        Out::Event(ev) => dispatch_event(rc, ev),
        Out::Acquire(flush_id) => {
            let params = rc
                .try_borrow()
                .ok()
                .map(|i| (i.lock_mode, i.lock_name.clone(), i.owner.clone(), i.debug));
            let Some((mode, name, owner, debug)) = params else {
                return;
            };
            let Some(mode) = mode else {
                with_core(rc, |c, now| c.on_flush_lock_acquired(flush_id, now));
                return;
            };
            let weak = Rc::downgrade(rc);
            let ticket = LockTicket::request(&name, mode, &owner, move || {
                if let Some(rc) = weak.upgrade() {
                    if debug {
                        debug_log(&cat!("queue: flush lock granted for flush ", flush_id));
                    }
                    with_core(&rc, |c, now| c.on_flush_lock_acquired(flush_id, now));
                }
            });
            if debug {
                debug_log(&cat!(
                    "queue: flush ",
                    flush_id,
                    " waits for the cross-tab lock (",
                    if ticket.uses_web_locks() {
                        "Web Locks"
                    } else {
                        "localStorage lease"
                    },
                    ")"
                ));
            }
            let previous = rc
                .try_borrow_mut()
                .ok()
                .and_then(|mut i| i.locks.insert(flush_id, ticket));
            drop(previous);
        }
        Out::Release(flush_id) => release_lock(rc, flush_id),
    }
}

fn release_lock(rc: &Rc<RefCell<QueueInner>>, flush_id: u64) {
    let ticket = rc
        .try_borrow_mut()
        .ok()
        .and_then(|mut i| i.locks.remove(&flush_id));
    // Dropped here, with no borrow held.
    drop(ticket);
}

fn dispatch_event(rc: &Rc<RefCell<QueueInner>>, ev: QueueEvent) {
    let Some((fns, hooks, debug)) = rc
        .try_borrow()
        .ok()
        .map(|i| (i.subs.snapshot(), i.rust_subs.clone(), i.debug))
    else {
        return;
    };
    let name = ev.name();
    let data = to_js(&ev);
    if debug {
        let text = js_sys::JSON::stringify(&data)
            .ok()
            .and_then(|s| s.as_string())
            .unwrap_or_default();
        debug_log(&cat!("queue: ", name, " ", text));
    }
    for (_, h) in &hooks {
        h(&ev);
    }
    call_listeners("queue", &fns, name, &data);
    if let QueueEvent::Flushed {
        flush_id,
        sent,
        failed,
    } = ev
    {
        // A flush that ended while waiting for the lock gives the request up.
        release_lock(rc, flush_id);
        let waiters = rc
            .try_borrow_mut()
            .ok()
            .map(|mut i| {
                let (mine, rest): (Vec<_>, Vec<_>) = std::mem::take(&mut i.waiters)
                    .into_iter()
                    .partition(|(id, _)| *id == flush_id);
                i.waiters = rest;
                mine
            })
            .unwrap_or_default();
        for (_, w) in waiters {
            match w {
                FlushWaiter::Js(d) => d.resolve(&to_js(&crate::core::json::json!({
                    "sent": sent,
                    "failed": failed,
                }))),
                FlushWaiter::Rust(cb) => cb(Ok((sent, failed))),
            }
        }
    }
}

fn on_ack(weak: &Weak<RefCell<QueueInner>>, request_id: u64, result: Result<String, String>) {
    let Some(rc) = weak.upgrade() else { return };
    let Some(client) = rc.try_borrow().ok().map(|i| i.client.clone()) else {
        return;
    };
    let link_lost = result.is_err() && !client.is_connected();
    with_core(&rc, |c, now| {
        if link_lost {
            // A disconnect is not a failed attempt: the message goes back to
            // `queued` and is sent again after the reconnect.
            c.on_disconnected(now);
        } else {
            let _ = c.on_response(request_id, first_ack_arg(result), now);
        }
    });
}

fn on_client_event(weak: &Weak<RefCell<QueueInner>>, event: &ClientEvent) {
    let Some(rc) = weak.upgrade() else { return };
    match event {
        ClientEvent::Connected { .. } => {
            with_core(&rc, |c, now| c.on_connected(now));
        }
        ClientEvent::Disconnected => {
            with_core(&rc, |c, now| c.on_disconnected(now));
        }
        ClientEvent::Online(true) => {
            with_core(&rc, |c, now| c.on_online(now));
        }
        ClientEvent::Online(false) | ClientEvent::Event { .. } => {}
    }
}

fn random_u64() -> u64 {
    let hi = (js_sys::Math::random() * 4_294_967_296.0) as u64;
    let lo = (js_sys::Math::random() * 4_294_967_296.0) as u64;
    (hi << 32) | lo
}

/// The offline message queue: persisted in `localStorage`, sent in order
/// through a `RealtimeClient` with the server's de-duplication by
/// `clientMessageId`, retried with backoff, shared safely by several tabs.
#[wasm_bindgen(js_name = OfflineQueueService)]
pub struct OfflineQueueService {
    inner: Rc<RefCell<QueueInner>>,
}

impl OfflineQueueService {
    fn borrow(&self) -> Result<RefMut<'_, QueueInner>, JsError> {
        borrow(&self.inner)
    }

    fn run<T>(
        &self,
        f: impl FnOnce(&mut QueueCore, Millis) -> Result<T, JsError>,
    ) -> Result<T, JsError> {
        run(&self.inner, f)
    }

    fn read<T>(&self, f: impl FnOnce(&QueueCore) -> T) -> Result<T, JsError> {
        let inner = self.borrow()?;
        let core = inner.core.as_ref().ok_or_else(disposed::<QueueInner>)?;
        Ok(f(core))
    }
}

#[wasm_bindgen(js_class = OfflineQueueService)]
impl OfflineQueueService {
    /// A queue sending through `client`, loaded from `localStorage`
    /// (`OfflineQueueOptions`; unknown keys are an error). It flushes when the
    /// client (re)connects and when the browser comes back online.
    #[wasm_bindgen(constructor)]
    pub fn new(
        #[wasm_bindgen(unchecked_param_type = "RealtimeClient")] client: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "OfflineQueueOptions")] options: JsValue,
    ) -> Result<OfflineQueueService, JsValue> {
        let what = "new OfflineQueueService()";
        let handle = RealtimeClient::from_js(&client, &cat!(what, ": client"))?;
        let options = args::opt_fields(&options, &cat!(what, ": options"), QUEUE_OPTIONS)?;
        let opts = QueueOptions::read(&Record::new(options));
        let d = QueueConfig::default();
        let b = BackoffConfig::default();
        let lock_mode = match opts.cross_tab_lock.as_deref() {
            None | Some("auto") => Some(LockMode::Auto),
            Some("lease") => Some(LockMode::Lease),
            Some("none") => None,
            Some(other) => {
                return Err(JsError::new(&cat!(
                "new OfflineQueueService(): crossTabLock must be 'auto', 'lease' or 'none', not ",
                quote(other)
            ))
                .into())
            }
        };
        let storage_key = match opts.storage_key {
            Some(k) if k.trim().is_empty() => {
                return Err(JsError::new(
                    "new OfflineQueueService(): storageKey must be a non-empty string",
                )
                .into())
            }
            Some(k) => k,
            None => d.storage_key.clone(),
        };
        if opts.max_messages == Some(0) {
            return Err(js_sys::RangeError::new(
                "new OfflineQueueService(): options.maxMessages must be at least 1",
            )
            .into());
        }
        let config = QueueConfig {
            max_messages: opts.max_messages.unwrap_or(d.max_messages),
            max_bytes: opts.max_bytes.unwrap_or(d.max_bytes),
            max_retries: opts.max_retries.unwrap_or(d.max_retries),
            backoff: BackoffConfig {
                base_ms: opts.retry_delay_ms.unwrap_or(b.base_ms),
                max_ms: opts.retry_delay_max_ms.unwrap_or(b.max_ms),
                jitter: b.jitter,
            },
            request_timeout_ms: opts.request_timeout_ms.unwrap_or(d.request_timeout_ms),
            quarantine_key: cat!(storage_key, ":quarantine"),
            storage_key: storage_key.clone(),
            use_flush_lock: lock_mode.is_some(),
        };
        let seed = opts.seed.unwrap_or_else(random_u64);
        let mut core = QueueCore::open(config, Box::new(LocalStorage::new()), seed, now_ms());
        if handle.is_connected() {
            core.on_connected(now_ms());
        }
        let token = NEXT_TOKEN.with(|t| {
            let v = t.get().wrapping_add(1);
            t.set(v);
            v
        });
        let inner = Rc::new(RefCell::new(QueueInner {
            core: Some(core),
            client: handle.clone(),
            hook_id: None,
            subs: Callbacks::default(),
            rust_subs: Vec::new(),
            waiters: Vec::new(),
            timer: DeadlineTimer::default(),
            locks: VecMap::new(),
            lock_mode,
            lock_name: cat!(storage_key, ":flush-lock"),
            owner: {
                let mut owner = String::from("tab-");
                crate::core::decimal::push_hex16(&mut owner, random_u64());
                owner
            },
            storage_listener: None,
            next_id: 0,
            debug: opts.debug || handle.debug(),
            pumping: Rc::default(),
            token,
        }));
        let hook_id = add_hook(&inner, &handle, on_client_event);
        let weak = Rc::downgrade(&inner);
        let entry_prefix = cat!(storage_key, ":m:");
        let listener = StorageListener::watching(
            move |k| k == storage_key || k.starts_with(&entry_prefix),
            move |key| {
                if let Some(rc) = weak.upgrade() {
                    with_core(&rc, |c, now| c.on_storage_changed(key.as_deref(), now));
                }
            },
        );
        if let Ok(mut i) = inner.try_borrow_mut() {
            i.hook_id = Some(hook_id);
            i.storage_listener = Some(listener);
        }
        REGISTRY.with(|r| {
            if let Ok(mut r) = r.try_borrow_mut() {
                r.retain(|_, w| w.strong_count() > 0);
                r.insert(token, Rc::downgrade(&inner));
            }
        });
        pump_soon(&inner);
        if opts.debug {
            debug_log("queue: opened");
        }
        Ok(OfflineQueueService { inner })
    }

    /// Adds a message (`{channelId, content, type?, threadId?, mentions?,
    /// clientMessageId?}`) and returns the queued entry. Throws, changing
    /// nothing, when the input is invalid or the queue is full (count or
    /// byte budget): the oldest messages are never dropped.
    #[wasm_bindgen(js_name = queueMessage, unchecked_return_type = "QueuedMessage")]
    pub fn queue_message(
        &self,
        #[wasm_bindgen(unchecked_param_type = "NewQueuedMessage")] message: JsValue,
    ) -> Result<JsValue, JsValue> {
        let message = args::fields(&message, "queueMessage(): message", NEW_MESSAGE)?;
        let new = new_message(&Record::new(Some(message)));
        let queued = self.run(|c, now| {
            c.queue_message(new, now)
                .map_err(|e| JsError::new(&cat!("queueMessage(): ", e)))
        })?;
        Ok(to_js(&queued))
    }

    /// The messages in order (queued, sending and failed).
    #[wasm_bindgen(js_name = getQueuedMessages, unchecked_return_type = "QueuedMessage[]")]
    pub fn get_queued_messages(&self) -> Result<JsValue, JsError> {
        self.read(|c| to_js(&c.get_queued_messages()))
    }

    /// Number of messages held (queued, sending and failed).
    #[wasm_bindgen(js_name = getQueueLength)]
    pub fn get_queue_length(&self) -> Result<u32, JsError> {
        self.read(|c| u32::try_from(c.get_queue_length()).unwrap_or(u32::MAX))
    }

    /// Removes a message that is not being sent; returns it.
    #[wasm_bindgen(js_name = removeMessage, unchecked_return_type = "QueuedMessage")]
    pub fn remove_message(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] id: JsValue,
    ) -> Result<JsValue, JsValue> {
        let id = &args::id(&id, "removeMessage(): id")?;
        let msg = self.run(|c, now| {
            c.remove_message(id, now)
                .map_err(|e| JsError::new(&cat!("removeMessage(): ", e)))
        })?;
        Ok(to_js(&msg))
    }

    /// Puts a `failed` message back in line with its retry count reset.
    #[wasm_bindgen(js_name = retryMessage)]
    pub fn retry_message(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] id: JsValue,
    ) -> Result<(), JsValue> {
        let id = &args::id(&id, "retryMessage(): id")?;
        Ok(self.run(|c, now| {
            c.retry_message(id, now)
                .map_err(|e| JsError::new(&cat!("retryMessage(): ", e)))
        })?)
    }

    /// Removes every message except one being sent; returns how many.
    #[wasm_bindgen(js_name = clearQueue)]
    pub fn clear_queue(&self) -> Result<u32, JsError> {
        self.run(|c, now| Ok(u32::try_from(c.clear_queue(now)).unwrap_or(u32::MAX)))
    }

    /// Sends everything sendable now, in order (joining a running flush).
    /// Resolves with `{sent, failed}` when the flush ends; with zeros at once
    /// when disconnected or empty.
    #[wasm_bindgen(js_name = flushQueue, unchecked_return_type = "Promise<QueueFlushResult>")]
    pub fn flush_queue(&self) -> Result<Promise, JsError> {
        let (promise, deferred) = Deferred::new();
        {
            let mut guard = self.borrow()?;
            let inner = &mut *guard;
            let core = inner.core.as_mut().ok_or_else(disposed::<QueueInner>)?;
            let id = core.flush_queue(now_ms());
            inner.waiters.push((id, FlushWaiter::Js(deferred)));
        }
        pump(&self.inner);
        Ok(promise)
    }

    /// Whether a flush is running or waiting for the cross-tab lock.
    #[wasm_bindgen(getter, js_name = isFlushing)]
    pub fn is_flushing(&self) -> bool {
        self.read(QueueCore::is_flushing).unwrap_or(false)
    }

    /// Entries set aside because they were corrupt or tampered with.
    #[wasm_bindgen(js_name = getQuarantined, unchecked_return_type = "QuarantinedEntry[]")]
    pub fn get_quarantined(&self) -> Result<JsValue, JsError> {
        self.read(|c| to_js(&c.quarantined(now_ms())))
    }

    /// Deletes the entries set aside as corrupt.
    #[wasm_bindgen(js_name = clearQuarantine)]
    pub fn clear_quarantine(&self) -> Result<(), JsError> {
        self.run(|c, _| {
            c.clear_quarantine()
                .map_err(|e| JsError::new(&cat!("clearQuarantine(): ", e)))
        })
    }

    /// `callback(event, data)` for every queue event; returns an
    /// unsubscribe function.
    #[wasm_bindgen(unchecked_return_type = "() => void")]
    pub fn subscribe(
        &self,
        #[wasm_bindgen(unchecked_param_type = "QueueListener")] callback: JsValue,
    ) -> Result<Function, JsValue> {
        let callback = args::callback(&callback, "subscribe(): callback")?;
        Ok(subscribe(&self.inner, |i| &mut i.subs, callback)?)
    }

    /// Stops listening to the client and the browser, releases the cross-tab
    /// lock and rejects pending `flushQueue()` promises. What is stored stays
    /// stored: a new queue on the same key picks it up. Idempotent.
    pub fn dispose(&self) {
        dispose(&self.inner);
    }

    #[doc(hidden)]
    #[wasm_bindgen(js_name = __queueToken, skip_typescript)]
    pub fn queue_token(&self) -> u32 {
        self.inner.try_borrow().map(|i| i.token).unwrap_or(0)
    }
}

fn dispose(rc: &Rc<RefCell<QueueInner>>) {
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
        inner.rust_subs.clear();
        inner.timer.arm(None, || {});
        (
            inner.hook_id.take(),
            inner.client.clone(),
            std::mem::take(&mut inner.waiters),
            std::mem::take(&mut inner.locks),
            inner.storage_listener.take(),
            inner.token,
        )
    };
    let (hook_id, client, waiters, locks, listener, token) = taken;
    if let Some(id) = hook_id {
        client.remove_hook(id);
    }
    drop(locks);
    drop(listener);
    REGISTRY.with(|r| {
        if let Ok(mut r) = r.try_borrow_mut() {
            r.remove(&token);
        }
    });
    for (_, w) in waiters {
        match w {
            FlushWaiter::Js(d) => d.reject("the OfflineQueueService was disposed"),
            FlushWaiter::Rust(cb) => cb(Err("the offline queue was disposed".into())),
        }
    }
}

impl Drop for OfflineQueueService {
    fn drop(&mut self) {
        dispose(&self.inner);
    }
}

#[wasm_bindgen(typescript_custom_section)]
const TS_QUEUE: &'static str = r#"
/** Message types the chat app sends. */
export type MessageType = 'text' | 'file' | 'image' | 'voice' | 'system';
/** Status of a queued message. */
export type QueuedMessageStatus = 'queued' | 'sending' | 'failed';

/** Options of `new OfflineQueueService(client, options)`. Unknown keys are an error. */
export interface OfflineQueueOptions {
  /** Most messages held (queued + failed); more are refused. Default 100. */
  maxMessages?: number;
  /** Byte budget of all stored entries together (serialized JSON). Default 1048576. */
  maxBytes?: number;
  /** Retries after the first attempt before a message is `failed`. Default 5. */
  maxRetries?: number;
  /** First retry delay, doubling per retry (+0–10 % jitter). Default 1000. */
  retryDelayMs?: number;
  /** Retry delay cap. Default 30000. */
  retryDelayMaxMs?: number;
  /** Time allowed for the server's ack of one send. Default 10000. */
  requestTimeoutMs?: number;
  /** localStorage key prefix of the queue: each message under `<key>:m:<id>`, corrupt entries under `<key>:quarantine`, the lease under `<key>:flush-lock`; an old whole-queue document under `<key>` is migrated once. Default `chat-realtime:queue`. */
  storageKey?: string;
  /** Cross-tab flush lock: Web Locks with a localStorage lease fallback (`auto`, default), always the lease, or none (single tab). */
  crossTabLock?: 'auto' | 'lease' | 'none';
  /** Seed of ids and jitter (tests). Default: random per instance. */
  seed?: number;
  /** Log with a `[chat-realtime]` prefix. Default: the client's `debug`. */
  debug?: boolean;
}

/** Input of `queueMessage`. */
export interface NewQueuedMessage {
  channelId: string;
  content: string;
  /** Default `text`. */
  type?: MessageType;
  threadId?: string;
  /** Mentioned user ids. */
  mentions?: string[];
  /** Id the server de-duplicates by; generated when absent. */
  clientMessageId?: string;
}

/** A message in the offline queue. */
export interface QueuedMessage {
  id: string;
  clientMessageId: string;
  channelId: string;
  content: string;
  type: MessageType;
  threadId?: string;
  mentions: string[];
  /** ms since the epoch. */
  createdAt: number;
  updatedAt: number;
  /** Failed attempts so far. */
  retryCount: number;
  status: QueuedMessageStatus;
  /** Error of the last failed attempt. */
  lastError?: string;
  /** The server's error code of the last failed attempt (`{success:false, error:{code}}`). */
  lastErrorCode?: string;
  /** In storage, so a reload keeps it. `false` while the storage refuses it (full, disabled): still sent from memory, reported with `queue:error`, stored as soon as possible (`message:persisted`). */
  persisted: boolean;
}

/** Result of `flushQueue()`. */
export interface QueueFlushResult {
  sent: number;
  failed: number;
}

/** Why a `queue:error` was emitted. */
export type QueueErrorReason = 'quota' | 'unavailable' | 'storage' | 'corrupt';

/** A stored entry set aside because it failed its integrity check. */
export interface QuarantinedEntry {
  quarantinedAt: number;
  reason: string;
  /** The original text. */
  raw: string;
  id: string | null;
}

/** Data of each queue event. */
export interface QueueEventMap {
  'message:queued': { message: QueuedMessage };
  /** `messageId` is `null` when the server's ack carries no id (the real server answers `{success:true}`). */
  'message:sent': { message: QueuedMessage; messageId: string | null; timestamp: number | null; duplicate: boolean; flushId: number | null };
  /** `errorCode`: the server's code when it rejected the last attempt. */
  'message:failed': { message: QueuedMessage; error: string; errorCode: string | null };
  /** A message that had `persisted: false` is stored now. */
  'message:persisted': { message: QueuedMessage };
  'queue:flushing': { flushId: number; count: number };
  'queue:flushed': { flushId: number; sent: number; failed: number };
  'queue:cleared': { count: number };
  /** With a `messageId` and reason quota/unavailable/storage: that message is not stored (or not in its latest state); one event per message, each time. */
  'queue:error': { reason: QueueErrorReason; message: string; messageId: string | null };
}
/** Queue event names. */
export type QueueEventName = keyof QueueEventMap;
/** `subscribe` callback of `OfflineQueueService`: `(event, data)`, narrowed by `event`. */
export type QueueListener = (...args: { [K in QueueEventName]: [event: K, data: QueueEventMap[K]] }[QueueEventName]) => void;
"#;
