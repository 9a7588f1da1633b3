//! `OfflineQueueService`: the offline queue machine ([`crate::core::queue`])
//! of the client's session, on `localStorage`, with the cross-tab flush lock
//! and other tabs' `storage` events (the session routes; the driver carries
//! out).
//!
//! * Sends go out as `message:send` requests through the client; the ack (or
//!   its failure) is fed back to the core. A request that fails because the
//!   link dropped is not counted as an attempt.
//! * The queue flushes when the client connects or reconnects, when the
//!   browser comes back online (while connected) and on `flushQueue()`.
//! * Tabs share the queue through `localStorage`, one key per message
//!   (`<storageKey>:m:<id>`), so no tab can erase another's message. Only
//!   the holder of the cross-tab lock (Web Locks, or a `localStorage` lease
//!   where `navigator.locks` is missing) sends: it keeps the lock while
//!   connected and sends every tab's messages (`core::queue`'s leader
//!   rules); a `storage` event from another tab re-reads the one entry it
//!   changed (`on_storage_changed`).
//! * A message the storage refuses (full, disabled) is still sent; it carries
//!   `persisted: false`, gets its own `queue:error`, and is written as soon as
//!   the storage accepts it (`message:persisted`).
//! * Events raised while loading (a corrupt entry, an unusable storage) are
//!   delivered in a microtask after the constructor returns, so a
//!   `subscribe()` right after `new` sees them.

use crate::core::decimal::cat;
use crate::core::json::{self, Value};
use wasm_bindgen::prelude::*;

use super::args::{self, opt, req, Field, Kind, Res, MAX_SAFE, U32_MAX};
use super::hub::{ApiError, Hub, ServiceRef, Settle};
use super::js::{coded, debug_log, to_js, INVALID};
use crate::core::backoff::BackoffConfig;
use crate::core::queue::{NewMessage, OfflineQueueService as QueueCore, QueueConfig};
use crate::core::session::{Handle, LockMode, QueueAttach, ServiceKind, Session, SessionError};
use crate::core::Millis;

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
    opt("attachments", Kind::Objects(ATTACHMENT)),
];

/// nchat's `QueuedAttachment`.
const ATTACHMENT: &[Field] = &[
    req("id", Kind::Id),
    req("type", Kind::Id),
    req("name", Kind::Str),
    req("size", Kind::UInt(MAX_SAFE)),
    opt("url", Kind::Str),
    opt("localPath", Kind::Str),
];

/// The queue `options.queue` names (its handle, given by `native.ts`),
/// if any.
pub(crate) fn queue_option(options: &JsValue, what: &str, hub: &Hub) -> Res<Option<Handle>> {
    if !options.is_object() {
        return Ok(None);
    }
    let value = js_sys::Reflect::get(options, &JsValue::from_str("queue")).unwrap_or_default();
    if args::absent(&value) {
        return Ok(None);
    }
    queue_arg(&value, &cat!(what, ": options.queue"), hub).map(Some)
}

/// The queue behind a handle from JavaScript (`native.ts` checked it is a
/// queue of the same client): refused once the queue is disposed.
pub(crate) fn queue_arg(value: &JsValue, what: &str, hub: &Hub) -> Res<Handle> {
    let refuse = || -> JsValue {
        js_sys::TypeError::new(
            &[
                what,
                " must be an OfflineQueueService of the same RealtimeClient that is not disposed",
            ]
            .concat(),
        )
        .into()
    };
    let handle = value
        .as_f64()
        .filter(|n| n.fract() == 0.0 && *n >= 1.0 && *n <= f64::from(u32::MAX))
        .map(|n| Handle(n as u32))
        .ok_or_else(refuse)?;
    match hub.read(|s| s.queue(handle).is_ok()) {
        Some(true) => Ok(handle),
        _ => Err(refuse()),
    }
}

pub(super) fn random_u64() -> u64 {
    let hi = (js_sys::Math::random() * 4_294_967_296.0) as u64;
    let lo = (js_sys::Math::random() * 4_294_967_296.0) as u64;
    (hi << 32) | lo
}

/// The offline message queue: persisted in `localStorage`, sent in order
/// through a `RealtimeClient` with the server's de-duplication by
/// `clientMessageId`, retried with backoff, shared safely by several tabs.
pub struct OfflineQueueService {
    svc: ServiceRef,
}

impl OfflineQueueService {
    /// The service's handle in the session.
    pub(crate) fn handle(&self) -> Handle {
        self.svc.handle
    }

    /// Runs a command, then pumps; a refusal names `method`.
    fn run<T>(
        &self,
        method: &str,
        f: impl FnOnce(&mut Session, Handle, Millis) -> Result<T, SessionError>,
    ) -> Result<T, JsValue> {
        self.svc.run(f).map_err(|e| match e {
            ApiError::Session(e @ (SessionError::Queue(_) | SessionError::Store(_))) => {
                coded(e.code(), &cat!(method, ": ", e))
            }
            e => e.to_js(None),
        })
    }

    /// Reads the live queue.
    fn read<T>(&self, f: impl FnOnce(&QueueCore) -> T) -> Result<T, JsValue> {
        let disposed = || ApiError::Session(SessionError::Disposed(ServiceKind::Queue)).to_js(None);
        if self.svc.is_disposed() {
            return Err(disposed());
        }
        self.svc
            .read(|s, h| s.queue(h).ok().map(f))
            .ok_or_else(disposed)
    }
}

impl OfflineQueueService {
    /// A queue sending through `client`, loaded from `localStorage`
    /// (`OfflineQueueOptions`; unknown keys are an error). It flushes when the
    /// client (re)connects and when the browser comes back online.
    pub(crate) fn new(hub: &Hub, options: JsValue) -> Result<OfflineQueueService, JsValue> {
        let what = "new OfflineQueueService()";
        let hub = hub.clone();
        let options = args::opt_fields(&options, "options", QUEUE_OPTIONS)?;
        let opts = args::Record::new(options);
        let opts_debug = opts.flag("debug").unwrap_or(false);
        let max_messages = opts.int("maxMessages").map(|n| n as usize);
        let d = QueueConfig::default();
        let b = BackoffConfig::default();
        let lock_mode = match opts.str("crossTabLock").as_deref() {
            None | Some("auto") => Some(LockMode::Auto),
            Some("lease") => Some(LockMode::Lease),
            Some("none") => None,
            Some(other) => {
                return Err(coded(
                    INVALID,
                    &cat!(
                "new OfflineQueueService(): crossTabLock must be 'auto', 'lease' or 'none', not ",
                crate::core::json::quote(other)
            ),
                ))
            }
        };
        let storage_key = match opts.str("storageKey") {
            Some(k) if k.trim().is_empty() => {
                return Err(coded(
                    INVALID,
                    "new OfflineQueueService(): storageKey must be a non-empty string",
                ))
            }
            Some(k) => k,
            None => d.storage_key.clone(),
        };
        if max_messages == Some(0) {
            return Err(js_sys::RangeError::new(
                "new OfflineQueueService(): options.maxMessages must be at least 1",
            )
            .into());
        }
        let config = QueueConfig {
            max_messages: max_messages.unwrap_or(d.max_messages),
            max_bytes: opts.int("maxBytes").map_or(d.max_bytes, |n| n as usize),
            max_retries: opts.int("maxRetries").map_or(d.max_retries, |n| n as u32),
            backoff: BackoffConfig {
                base_ms: opts.int("retryDelayMs").unwrap_or(b.base_ms),
                max_ms: opts.int("retryDelayMaxMs").unwrap_or(b.max_ms),
                jitter: b.jitter,
            },
            request_timeout_ms: opts.int("requestTimeoutMs").unwrap_or(d.request_timeout_ms),
            quarantine_key: cat!(storage_key, ":quarantine"),
            legacy_key: opts
                .str("storageKey")
                .map_or(d.legacy_key.clone(), |_| None),
            storage_key: storage_key.clone(),
            use_flush_lock: lock_mode.is_some(),
        };
        let attach = QueueAttach {
            seed: opts.int("seed").unwrap_or_else(random_u64),
            lock: lock_mode,
            owner: {
                let mut owner = String::from("tab-");
                crate::core::decimal::push_hex16(&mut owner, random_u64());
                owner
            },
        };
        let handle = hub
            .run_quiet(|s, now| s.attach_queue(config, attach, now))
            .map_err(|e| e.to_js(Some(what)))?;
        let debug = opts_debug || hub.debug(Handle::CLIENT);
        // Load-time reports wait for a microtask: `subscribe` right after
        // `new` hears them.
        hub.driver.hold(handle);
        if opts_debug {
            debug_log("queue: opened");
        }
        Ok(OfflineQueueService {
            svc: ServiceRef::new(hub, handle, ServiceKind::Queue, debug),
        })
    }

    /// Adds a message (`{channelId, content, type?, threadId?, mentions?,
    /// clientMessageId?}`) and returns the queued entry. Throws, changing
    /// nothing, when the input is invalid or the queue is full (count or
    /// byte budget): the oldest messages are never dropped.
    pub fn queue_message(&self, message: JsValue) -> Result<JsValue, JsValue> {
        let r = args::Record::new(Some(args::fields(&message, "message", NEW_MESSAGE)?));
        let new = NewMessage {
            channel_id: r.str("channelId").unwrap_or_default(),
            content: r.str("content").unwrap_or_default(),
            message_type: r.str("type").unwrap_or_else(|| "text".into()),
            thread_id: r.str("threadId"),
            mentions: r.strings("mentions").unwrap_or_default(),
            client_message_id: r.str("clientMessageId"),
            // Checked and copied by the schema; the core checks the rule.
            attachments: match args::json(&r.get("attachments"), "message.attachments")? {
                Some(text) => match json::from_str(&text) {
                    Ok(Value::Array(list)) => list,
                    _ => return Err(args::invalid("message.attachments")),
                },
                None => Vec::new(),
            },
        };
        let queued = self.run("queueMessage()", |s, h, now| s.queue_message(h, new, now))?;
        Ok(to_js(&queued))
    }

    /// The messages in order (queued, sending and failed).
    pub fn get_queued_messages(&self) -> Result<JsValue, JsValue> {
        self.read(|c| to_js(&c.get_queued_messages()))
    }

    /// Number of messages held (queued, sending and failed).
    pub fn get_queue_length(&self) -> Result<u32, JsValue> {
        self.read(|c| u32::try_from(c.get_queue_length()).unwrap_or(u32::MAX))
    }

    /// Removes a message that is not being sent; returns it.
    pub fn remove_message(&self, id: JsValue) -> Result<JsValue, JsValue> {
        let id = &args::id(&id, "id")?;
        let msg = self.run("removeMessage()", |s, h, now| s.queue_remove(h, id, now))?;
        Ok(to_js(&msg))
    }

    /// nchat's `updateQueuedMessage(id, {content})`: whether it changed.
    pub fn update_message(&self, id: JsValue, content: JsValue) -> Result<bool, JsValue> {
        let id = &args::id(&id, "id")?;
        let content = &args::string(&content, "content")?;
        self.run("updateQueuedMessage()", |s, h, now| {
            s.queue_update(h, id, content, now)
        })
    }

    /// Puts a `failed` message back in line with its retry count reset.
    pub fn retry_message(&self, id: JsValue) -> Result<(), JsValue> {
        let id = &args::id(&id, "id")?;
        self.run("retryMessage()", |s, h, now| s.queue_retry(h, id, now))
    }

    /// Removes every message except one being sent; returns how many.
    pub fn clear_queue(&self) -> Result<u32, JsValue> {
        let n = self.run("clearQueue()", |s, h, now| s.queue_clear(h, now))?;
        Ok(u32::try_from(n).unwrap_or(u32::MAX))
    }

    /// Sends everything sendable now, in order (joining a running flush).
    /// Resolves with `{sent, failed}` when the flush ends; with zeros at once
    /// when disconnected or empty.
    pub fn flush_queue(&self) -> Result<f64, JsValue> {
        self.svc
            .request(|s, h, now| s.queue_flush(h, now), Settle::Flush)
            .map_err(|e| e.to_js(None))
    }

    /// Whether a flush is running or waiting for the cross-tab lock.
    pub fn is_flushing(&self) -> bool {
        self.read(QueueCore::is_flushing).unwrap_or(false)
    }

    /// Entries set aside because they were corrupt or tampered with.
    pub fn get_quarantined(&self) -> Result<JsValue, JsValue> {
        self.read(|c| to_js(&c.quarantined(crate::browser::clock::now_ms())))
    }

    /// Deletes the entries set aside as corrupt.
    pub fn clear_quarantine(&self) -> Result<(), JsValue> {
        self.run("clearQuarantine()", |s, h, now| {
            s.queue_clear_quarantine(h, now)
        })
    }

    /// `callback(event, data)` for every queue event; JavaScript registers the
    /// callback once this check passes (the service is not disposed).
    pub fn subscribe(&self) -> Result<(), JsValue> {
        self.read(|_| ())?;
        Ok(())
    }

    /// Stops listening to the client and the browser, releases the cross-tab
    /// lock and rejects pending `flushQueue()` promises. What is stored stays
    /// stored: a new queue on the same key picks it up. Idempotent.
    pub fn dispose(&self) {
        self.svc.dispose();
    }
}
