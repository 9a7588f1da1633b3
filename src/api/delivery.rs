//! `DeliveryEventHandler`: the delivery core ([`crate::core::delivery`])
//! wired to a `RealtimeClient`.
//!
//! * Incoming `message:delivered` / `message:read` server events move tracked
//!   messages forward (never backward).
//! * Read acknowledgements are batched per channel (1 s by default) and sent
//!   as one `message:read` per channel; held while disconnected.
//! * On every (re)connect, statuses of messages that can still move are
//!   re-requested with `delivery:status`.
//! * Messages the app sends itself are tracked with `trackOutgoing` and
//!   reported with `markSent` / `markFailed`. With a queue (`options.queue`
//!   or `attachQueue`), queued messages are tracked as `pending` and the
//!   queue's `message:sent` / `message:failed` move them on by themselves.

use crate::core::vecmap::VecSet;
use std::cell::{Cell, RefCell, RefMut};
use std::rc::{Rc, Weak};

use crate::core::decimal::cat;
use crate::core::json::Value;
use js_sys::{Function, Promise};
use wasm_bindgen::prelude::*;

use super::args::{self, opt, Field, Kind, Record, U32_MAX};
use super::client::{ClientEvent, ClientHandle, RealtimeClient};
use super::driver::{add_hook, borrow, disposed, pump, run, subscribe, with_core, Driven, Request};
use super::js::{
    call_listeners, debug_log, first_ack_arg, js_error_message, to_js, Callbacks, Deferred,
    Unsubscribe,
};
use super::queue::{queue_arg, queue_option, QueueHandle, QueueHook};
use crate::browser::clock::now_ms;
use crate::browser::timer::DeadlineTimer;
use crate::core::delivery::{
    DeliveryConfig, DeliveryEffect, DeliveryError, DeliveryEvent,
    DeliveryEventHandler as DeliveryCore, DeliveryStatus,
};
use crate::core::queue::{QueueEvent, QueuedMessage};
use crate::core::Millis;

/// Options of `new DeliveryEventHandler(client, options)`.
/// (`queue` is read separately: a class instance, not data.)
#[derive(Debug, Default)]
struct DeliveryOptions {
    read_batch_ms: Option<u64>,
    request_timeout_ms: Option<u64>,
    max_records: Option<usize>,
    debug: bool,
}

impl DeliveryOptions {
    fn read(r: &Record) -> Self {
        DeliveryOptions {
            read_batch_ms: r.int("readBatchMs"),
            request_timeout_ms: r.int("requestTimeoutMs"),
            max_records: r.int("maxRecords").map(|n| n as usize),
            debug: r.flag("debug").unwrap_or(false),
        }
    }
}

const DELIVERY_OPTIONS: &[Field] = &[
    opt("readBatchMs", Kind::IntMs),
    opt("requestTimeoutMs", Kind::IntMs),
    opt("maxRecords", Kind::UInt(U32_MAX)),
    opt("queue", Kind::Any),
    opt("debug", Kind::Bool),
];

struct StatusWaiter {
    pending: VecSet<u64>,
    ids: Vec<String>,
    error: Option<String>,
    deferred: Deferred,
}

struct DeliveryInner {
    core: Option<DeliveryCore>,
    client: ClientHandle,
    hook_id: Option<u32>,
    queue: Option<(QueueHandle, u32)>,
    subs: Callbacks,
    waiters: Vec<StatusWaiter>,
    timer: DeadlineTimer,
    next_id: u32,
    debug: bool,
    pumping: Rc<Cell<bool>>,
}

impl Unsubscribe for DeliveryInner {
    fn unsubscribe(&mut self, id: u32) {
        self.subs.remove(id);
    }
}

enum Out {
    Send { event: String, payload: String },
    Request(Request),
    Event(DeliveryEvent),
}

impl Driven for DeliveryInner {
    type Core = DeliveryCore;
    type Out = Out;
    const NAME: &'static str = "DeliveryEventHandler";

    fn core(&mut self) -> Option<&mut DeliveryCore> {
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
                    DeliveryEffect::Send { event, payload } => Out::Send {
                        event,
                        payload: payload.to_text(),
                    },
                    DeliveryEffect::Request {
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
                    DeliveryEffect::Event(ev) => Out::Event(ev),
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

fn execute(rc: &Rc<RefCell<DeliveryInner>>, out: Out) {
    let Some((client, debug)) = rc.try_borrow().ok().map(|i| (i.client.clone(), i.debug)) else {
        return;
    };
    match out {
        Out::Send { event, payload } => {
            if let Err(e) = client.emit_json(&event, Some(&payload)) {
                debug_log(&cat!(
                    "delivery: could not send ",
                    event,
                    ": ",
                    js_error_message(e)
                ));
            } else if debug {
                debug_log(&cat!("delivery: sent ", event, " ", payload));
            }
        }
        Out::Request(request) => {
            let request_id = request.request_id;
            if let Err(e) = request.send(rc, &client, on_ack) {
                on_ack(&Rc::downgrade(rc), request_id, Err(js_error_message(e)));
            }
        }
        Out::Event(ev) => {
            let Some(fns) = rc.try_borrow().ok().map(|i| i.subs.snapshot()) else {
                return;
            };
            let data = to_js(&ev);
            if debug {
                let u = ev.update();
                debug_log(&cat!(
                    "delivery: ",
                    ev.name(),
                    " ",
                    u.status.client_message_id,
                    " -> ",
                    u.status.state.as_str()
                ));
            }
            call_listeners("delivery", &fns, ev.name(), &data);
        }
    }
}

fn on_ack(weak: &Weak<RefCell<DeliveryInner>>, request_id: u64, result: Result<String, String>) {
    let Some(rc) = weak.upgrade() else { return };
    let settled = {
        let Ok(mut guard) = rc.try_borrow_mut() else {
            return;
        };
        let inner = &mut *guard;
        let Some(core) = inner.core.as_mut() else {
            return;
        };
        let outcome = core.on_response(request_id, first_ack_arg(result), now_ms());
        let error = match outcome {
            Ok(()) => None,
            Err(DeliveryError::UnknownRequest(_)) => Some(
                "delivery:status got no answer in time; statuses are re-requested on reconnect"
                    .to_owned(),
            ),
            Err(e) => Some(e.message()),
        };
        let mut done = Vec::new();
        let mut rest = Vec::new();
        for mut w in std::mem::take(&mut inner.waiters) {
            if w.pending.remove(&request_id) {
                if w.error.is_none() {
                    w.error = error.clone();
                }
                if w.pending.is_empty() {
                    let statuses: Vec<DeliveryStatus> =
                        w.ids.iter().filter_map(|id| core.status(id)).collect();
                    done.push((w, statuses));
                    continue;
                }
            }
            rest.push(w);
        }
        inner.waiters = rest;
        done
    };
    pump(&rc);
    for (w, statuses) in settled {
        match w.error {
            Some(e) => w.deferred.reject(&cat!("syncDeliveryStatus(): ", e)),
            None => w.deferred.resolve(&to_js(&statuses)),
        }
    }
}

fn on_client_event(weak: &Weak<RefCell<DeliveryInner>>, event: &ClientEvent) {
    let Some(rc) = weak.upgrade() else { return };
    match event {
        ClientEvent::Connected { .. } => {
            with_core(&rc, |c, now| {
                c.on_reconnected(now);
            });
        }
        ClientEvent::Disconnected => {
            with_core(&rc, |c, now| c.on_disconnected(now));
        }
        ClientEvent::Event { name, data } => {
            let read = match *name {
                "message:delivered" => false,
                "message:read" => true,
                _ => return,
            };
            let payload = crate::core::json::from_str(data)
                .ok()
                .and_then(|v| match v {
                    Value::Array(mut a) if a.len() > 1 => Some(a.swap_remove(1)),
                    _ => None,
                })
                .unwrap_or(Value::Null);
            let debug = rc.try_borrow().is_ok_and(|i| i.debug);
            let outcome = with_core(&rc, |c, now| {
                if read {
                    c.on_read(&payload, now)
                } else {
                    c.on_delivered(&payload, now)
                }
            });
            if let Some(Err(e)) = outcome {
                if debug {
                    debug_log(&cat!("delivery: ", e));
                }
            }
        }
        ClientEvent::Online(_) => {}
    }
}

/// Makes sure a queued message is tracked (it may predate the attachment).
fn ensure_tracked(core: &mut DeliveryCore, msg: &QueuedMessage, now: Millis) {
    if core.status(&msg.client_message_id).is_none() {
        let _ = core.track_queued(&msg.client_message_id, &msg.channel_id, 0, now);
    }
}

fn on_queue_event(weak: &Weak<RefCell<DeliveryInner>>, event: &QueueEvent) {
    let Some(rc) = weak.upgrade() else { return };
    match event {
        QueueEvent::Queued { message } => {
            with_core(&rc, |c, now| ensure_tracked(c, message, now));
        }
        QueueEvent::Sent {
            message,
            message_id,
            timestamp,
            ..
        } => {
            with_core(&rc, |c, now| {
                ensure_tracked(c, message, now);
                let _ = c.on_sent(
                    &message.client_message_id,
                    message_id.as_deref(),
                    timestamp.unwrap_or(now),
                    now,
                );
            });
        }
        QueueEvent::Failed { message, error, .. } => {
            with_core(&rc, |c, now| {
                ensure_tracked(c, message, now);
                let _ = c.on_failed(&message.client_message_id, error, now);
            });
        }
        _ => {}
    }
}

/// Sent / delivered / read receipts of outgoing messages, batched read
/// acknowledgements and status re-synchronisation.
#[wasm_bindgen(js_name = DeliveryEventHandler)]
pub struct DeliveryEventHandler {
    inner: Rc<RefCell<DeliveryInner>>,
}

impl DeliveryEventHandler {
    fn borrow(&self) -> Result<RefMut<'_, DeliveryInner>, JsError> {
        borrow(&self.inner)
    }

    fn run<T>(
        &self,
        f: impl FnOnce(&mut DeliveryCore, Millis) -> Result<T, JsError>,
    ) -> Result<T, JsError> {
        run(&self.inner, f)
    }

    fn attach(&self, queue: QueueHandle) -> Result<(), JsError> {
        self.detach_queue();
        let weak = Rc::downgrade(&self.inner);
        let hook: QueueHook = Rc::new(move |ev: &QueueEvent| on_queue_event(&weak, ev));
        let id = queue
            .subscribe(hook)
            .ok_or_else(|| JsError::new("attachQueue(): the OfflineQueueService is disposed"))?;
        let mut inner = self.borrow()?;
        inner.queue = Some((queue, id));
        Ok(())
    }
}

#[wasm_bindgen(js_class = DeliveryEventHandler)]
impl DeliveryEventHandler {
    /// A handler listening to `client` (`DeliveryOptions`; unknown keys are
    /// an error). With `options.queue`, see `attachQueue`.
    #[wasm_bindgen(constructor)]
    pub fn new(
        #[wasm_bindgen(unchecked_param_type = "RealtimeClient")] client: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "DeliveryOptions")] options: JsValue,
    ) -> Result<DeliveryEventHandler, JsValue> {
        let what = "new DeliveryEventHandler()";
        let handle = RealtimeClient::from_js(&client, &cat!(what, ": client"))?;
        let checked = args::opt_fields(&options, &cat!(what, ": options"), DELIVERY_OPTIONS)?;
        let opts = DeliveryOptions::read(&Record::new(checked));
        let queue = queue_option(&options, "new DeliveryEventHandler()")?;
        let d = DeliveryConfig::default();
        let config = DeliveryConfig {
            read_batch_ms: opts.read_batch_ms.unwrap_or(d.read_batch_ms),
            request_timeout_ms: opts.request_timeout_ms.unwrap_or(d.request_timeout_ms),
            max_records: opts.max_records.unwrap_or(d.max_records),
        };
        let mut core = DeliveryCore::new(config);
        if handle.is_connected() {
            core.on_reconnected(now_ms());
        }
        let inner = Rc::new(RefCell::new(DeliveryInner {
            core: Some(core),
            client: handle.clone(),
            hook_id: None,
            queue: None,
            subs: Callbacks::default(),
            waiters: Vec::new(),
            timer: DeadlineTimer::default(),
            next_id: 0,
            debug: opts.debug || handle.debug(),
            pumping: Rc::default(),
        }));
        let hook_id = add_hook(&inner, &handle, on_client_event);
        if let Ok(mut i) = inner.try_borrow_mut() {
            i.hook_id = Some(hook_id);
        }
        let handler = DeliveryEventHandler { inner };
        if let Some(q) = queue {
            handler.attach(q)?;
        }
        pump(&handler.inner);
        Ok(handler)
    }

    /// Starts tracking a message the app is emitting now (state `sending`);
    /// returns its status. Throws for empty ids or an id already tracked.
    #[wasm_bindgen(js_name = trackOutgoing, unchecked_return_type = "DeliveryStatus")]
    pub fn track_outgoing(
        &self,
        #[wasm_bindgen(js_name = clientMessageId, unchecked_param_type = "string")]
        client_message_id: JsValue,
        #[wasm_bindgen(js_name = channelId, unchecked_param_type = "string")] channel_id: JsValue,
        #[wasm_bindgen(js_name = totalRecipients, unchecked_optional_param_type = "number")]
        total_recipients: JsValue,
    ) -> Result<JsValue, JsValue> {
        let m = "trackOutgoing()";
        let client_message_id = &args::id(&client_message_id, &cat!(m, ": clientMessageId"))?;
        let channel_id = &args::id(&channel_id, &cat!(m, ": channelId"))?;
        let total = args::opt_count(&total_recipients, &cat!(m, ": totalRecipients"), U32_MAX)?
            .map_or(0, |t| t as u32);
        let status = self.run(|c, now| {
            c.track_outgoing(client_message_id, channel_id, total, now)
                .map_err(|e| JsError::new(&cat!("trackOutgoing(): ", e)))
        })?;
        Ok(to_js(&status))
    }

    /// The server acknowledged the message: records its server id and moves
    /// it to `sent` (emits `message:sent`). `timestamp` defaults to now.
    #[wasm_bindgen(js_name = markSent)]
    pub fn mark_sent(
        &self,
        #[wasm_bindgen(js_name = clientMessageId, unchecked_param_type = "string")]
        client_message_id: JsValue,
        #[wasm_bindgen(js_name = messageId, unchecked_param_type = "string")] message_id: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "number")] timestamp: JsValue,
    ) -> Result<(), JsValue> {
        let m = "markSent()";
        let client_message_id = &args::id(&client_message_id, &cat!(m, ": clientMessageId"))?;
        let message_id = &args::id(&message_id, &cat!(m, ": messageId"))?;
        let timestamp = args::opt_ms(&timestamp, &cat!(m, ": timestamp"))?;
        Ok(self.run(|c, now| {
            let at = timestamp.unwrap_or(now);
            c.on_sent(client_message_id, message_id.as_str(), at, now)
                .map_err(|e| JsError::new(&cat!("markSent(): ", e)))
        })?)
    }

    /// Sending failed: `failed` with `error` (emits `message:failed`).
    /// Refused once the server has the message.
    #[wasm_bindgen(js_name = markFailed)]
    pub fn mark_failed(
        &self,
        #[wasm_bindgen(js_name = clientMessageId, unchecked_param_type = "string")]
        client_message_id: JsValue,
        #[wasm_bindgen(unchecked_param_type = "string")] error: JsValue,
    ) -> Result<(), JsValue> {
        let client_message_id = &args::id(&client_message_id, "markFailed(): clientMessageId")?;
        let error = &args::string(&error, "markFailed(): error")?;
        Ok(self.run(|c, now| {
            c.on_failed(client_message_id, error, now)
                .map_err(|e| JsError::new(&cat!("markFailed(): ", e)))
        })?)
    }

    /// A `pending` or `failed` message is being (re-)sent: `sending`.
    #[wasm_bindgen(js_name = markSending)]
    pub fn mark_sending(
        &self,
        #[wasm_bindgen(js_name = clientMessageId, unchecked_param_type = "string")]
        client_message_id: JsValue,
    ) -> Result<(), JsValue> {
        let client_message_id = &args::id(&client_message_id, "markSending(): clientMessageId")?;
        Ok(self.run(|c, now| {
            c.mark_sending(client_message_id, now)
                .map_err(|e| JsError::new(&cat!("markSending(): ", e)))
        })?)
    }

    /// Acknowledges that this user read `messageId` (server id) in
    /// `channelId`. Acks are batched per channel and sent every
    /// `readBatchMs` as one `message:read`; held while disconnected.
    #[wasm_bindgen(js_name = acknowledgeRead)]
    pub fn acknowledge_read(
        &self,
        #[wasm_bindgen(js_name = messageId, unchecked_param_type = "string")] message_id: JsValue,
        #[wasm_bindgen(js_name = channelId, unchecked_param_type = "string")] channel_id: JsValue,
    ) -> Result<(), JsValue> {
        let message_id = &args::id(&message_id, "acknowledgeRead(): messageId")?;
        let channel_id = &args::id(&channel_id, "acknowledgeRead(): channelId")?;
        Ok(self.run(|c, now| {
            c.acknowledge_read(message_id, channel_id, now)
                .map_err(|e| JsError::new(&cat!("acknowledgeRead(): ", e)))
        })?)
    }

    /// Sends the batched read acks now (e.g. before the page is hidden).
    #[wasm_bindgen(js_name = flushReadAcks)]
    pub fn flush_read_acks(&self) -> Result<(), JsError> {
        self.run(|c, now| {
            c.flush_read_acks(now);
            Ok(())
        })
    }

    /// Asks the server for the statuses of `ids` (client or server ids).
    /// Resolves with the statuses of those that are tracked, after applying
    /// the answer; rejects when the request fails.
    #[wasm_bindgen(js_name = syncDeliveryStatus, unchecked_return_type = "Promise<DeliveryStatus[]>")]
    pub fn sync_delivery_status(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string[]")] ids: JsValue,
    ) -> Result<Promise, JsValue> {
        let ids = args::ids(&ids, "syncDeliveryStatus(): ids")?;
        let (promise, deferred) = Deferred::new();
        let immediate = {
            let mut guard = self.borrow()?;
            let inner = &mut *guard;
            let core = inner.core.as_mut().ok_or_else(disposed::<DeliveryInner>)?;
            let requests = core.sync_delivery_status(&ids, now_ms());
            if requests.is_empty() {
                let statuses: Vec<DeliveryStatus> =
                    ids.iter().filter_map(|id| core.status(id)).collect();
                Some((deferred, statuses))
            } else {
                inner.waiters.push(StatusWaiter {
                    pending: requests.into_iter().collect(),
                    ids,
                    error: None,
                    deferred,
                });
                None
            }
        };
        if let Some((d, statuses)) = immediate {
            d.resolve(&to_js(&statuses));
        }
        pump(&self.inner);
        Ok(promise)
    }

    /// The status of a message by client or server id.
    #[wasm_bindgen(js_name = getStatus, unchecked_return_type = "DeliveryStatus | undefined")]
    pub fn get_status(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] id: JsValue,
    ) -> Result<JsValue, JsValue> {
        let id = &args::id(&id, "getStatus(): id")?;
        let inner = self.borrow()?;
        let core = inner.core.as_ref().ok_or_else(disposed::<DeliveryInner>)?;
        Ok(core.status(id).map_or(JsValue::UNDEFINED, |s| to_js(&s)))
    }

    /// Stops tracking a message; returns whether it was tracked.
    pub fn untrack(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] id: JsValue,
    ) -> Result<bool, JsValue> {
        let id = &args::id(&id, "untrack(): id")?;
        Ok(self.run(|c, _| Ok(c.untrack(id)))?)
    }

    /// Feeds this handler from `queue`: queued messages are tracked as
    /// `pending`, and the queue's `message:sent` / `message:failed` move them
    /// to `sent` / `failed`. Replaces a previously attached queue.
    #[wasm_bindgen(js_name = attachQueue)]
    pub fn attach_queue(
        &self,
        #[wasm_bindgen(unchecked_param_type = "OfflineQueueService")] queue: JsValue,
    ) -> Result<(), JsValue> {
        let queue = queue_arg(&queue, "attachQueue(): queue")?;
        if self.borrow()?.core.is_none() {
            return Err(disposed::<DeliveryInner>().into());
        }
        Ok(self.attach(queue)?)
    }

    /// Stops listening to the attached queue, if any.
    #[wasm_bindgen(js_name = detachQueue)]
    pub fn detach_queue(&self) {
        let old = self
            .inner
            .try_borrow_mut()
            .ok()
            .and_then(|mut i| i.queue.take());
        if let Some((q, id)) = old {
            q.unsubscribe(id);
        }
    }

    /// `callback(event, data)` for `message:sent`, `message:delivered`,
    /// `message:read` and `message:failed`; returns an unsubscribe function.
    #[wasm_bindgen(unchecked_return_type = "() => void")]
    pub fn subscribe(
        &self,
        #[wasm_bindgen(unchecked_param_type = "DeliveryListener")] callback: JsValue,
    ) -> Result<Function, JsValue> {
        let callback = args::callback(&callback, "subscribe(): callback")?;
        Ok(subscribe(&self.inner, |i| &mut i.subs, callback)?)
    }

    /// Stops listening to the client and the queue, drops pending read acks
    /// and rejects pending `syncDeliveryStatus()` promises. Idempotent.
    pub fn dispose(&self) {
        dispose(self);
    }
}

fn dispose(handler: &DeliveryEventHandler) {
    handler.detach_queue();
    let taken = {
        let Ok(mut guard) = handler.inner.try_borrow_mut() else {
            return;
        };
        let inner = &mut *guard;
        if inner.core.is_none() {
            return;
        }
        inner.core = None;
        inner.subs = Callbacks::default();
        inner.timer.arm(None, || {});
        (
            inner.hook_id.take(),
            inner.client.clone(),
            std::mem::take(&mut inner.waiters),
        )
    };
    let (hook_id, client, waiters) = taken;
    if let Some(id) = hook_id {
        client.remove_hook(id);
    }
    for w in waiters {
        w.deferred
            .reject("syncDeliveryStatus(): the DeliveryEventHandler was disposed");
    }
}

impl Drop for DeliveryEventHandler {
    fn drop(&mut self) {
        dispose(self);
    }
}

#[wasm_bindgen(typescript_custom_section)]
const TS_DELIVERY: &'static str = r#"
/** Delivery states; they only move forward (`failed` is retryable). */
export type DeliveryState = 'pending' | 'sending' | 'sent' | 'delivered' | 'read' | 'failed';

/** Options of `new DeliveryEventHandler(client, options)`. Unknown keys are an error. */
export interface DeliveryOptions {
  /** How long read acks are collected before one `message:read` per channel. Default 1000. */
  readBatchMs?: number;
  /** Timeout of `delivery:status` requests. Default 10000. */
  requestTimeoutMs?: number;
  /** Above this many tracked messages the oldest `read` ones are forgotten. Default 1000. */
  maxRecords?: number;
  /** Track the messages of this queue (see `attachQueue`). */
  queue?: OfflineQueueService;
  /** Log with a `[chat-realtime]` prefix. Default: the client's `debug`. */
  debug?: boolean;
}

/** Status of a tracked outgoing message. */
export interface DeliveryStatus {
  clientMessageId: string;
  /** Server id, once known. */
  messageId: string | null;
  channelId: string;
  state: DeliveryState;
  totalRecipients: number;
  /** Recipients known to have received it (readers included). */
  deliveredCount: number;
  readCount: number;
  deliveredTo: string[];
  readBy: string[];
  /** Error of the last failure. */
  error: string | null;
  /** Server timestamp of the send ack. */
  sentAt: number | null;
  createdAt: number;
  updatedAt: number;
}

/** Data of every delivery event: the status after the change, plus who and when. */
export interface DeliveryUpdate extends DeliveryStatus {
  /** Recipient behind a receipt; null for acks and status syncs. */
  userId: string | null;
  /** When it happened (server time when known). */
  at: number;
}

/** Data of each delivery event. */
export interface DeliveryEventMap {
  'message:sent': DeliveryUpdate;
  'message:delivered': DeliveryUpdate;
  'message:read': DeliveryUpdate;
  /** `error` says why. */
  'message:failed': DeliveryUpdate;
}
/** Delivery event names. */
export type DeliveryEventName = keyof DeliveryEventMap;
/** `subscribe` callback of `DeliveryEventHandler`: `(event, data)`. */
export type DeliveryListener = (...args: { [K in DeliveryEventName]: [event: K, data: DeliveryEventMap[K]] }[DeliveryEventName]) => void;
"#;
