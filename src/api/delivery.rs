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

use js_sys::{Function, Promise};
use serde::Deserialize;
use wasm_bindgen::prelude::*;

use super::args::{self, opt, Field, Kind, U32_MAX};
use super::client::RealtimeClient;
use super::hub::{ApiError, ServiceRef, Settle, Topic};
use super::js::to_js;
use super::queue::{queue_arg, queue_option};
use crate::core::delivery::{DeliveryConfig, DeliveryError};
use crate::core::session::{DeliveryCommands, Handle, ServiceKind, SessionError};
use crate::core::Millis;

/// Options of `new DeliveryEventHandler(client, options)`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct DeliveryOptions {
    read_batch_ms: Option<u64>,
    request_timeout_ms: Option<u64>,
    max_records: Option<usize>,
    /// Read separately (a class instance, not data).
    #[serde(default)]
    #[allow(dead_code)]
    queue: Option<serde::de::IgnoredAny>,
    #[serde(default)]
    debug: bool,
}

const DELIVERY_OPTIONS: &[Field] = &[
    opt("readBatchMs", Kind::IntMs),
    opt("requestTimeoutMs", Kind::IntMs),
    opt("maxRecords", Kind::UInt(U32_MAX)),
    opt("queue", Kind::Any),
    opt("debug", Kind::Bool),
];

/// Sent / delivered / read receipts of outgoing messages, batched read
/// acknowledgements and status re-synchronisation.
#[wasm_bindgen(js_name = DeliveryEventHandler)]
pub struct DeliveryEventHandler {
    svc: ServiceRef,
}

impl DeliveryEventHandler {
    /// Runs a command, then pumps; a refusal names `method`.
    fn run<T>(
        &self,
        method: &str,
        f: impl FnOnce(&mut DeliveryCommands<'_>, Millis) -> Result<T, DeliveryError>,
    ) -> Result<T, JsValue> {
        self.svc
            .run(|s, h, now| s.delivery_do(h, now, f))
            .map_err(|e| match e {
                ApiError::Session(SessionError::Delivery(e)) => {
                    JsError::new(&format!("{method}: {e}")).into()
                }
                e => e.to_js(None),
            })
    }

    /// The error of a call on a disposed handler.
    fn disposed_error() -> JsValue {
        ApiError::Session(SessionError::Disposed(ServiceKind::Delivery)).to_js(None)
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
        let hub = RealtimeClient::from_js(&client, &format!("{what}: client"))?;
        let checked = args::opt_fields(&options, &format!("{what}: options"), DELIVERY_OPTIONS)?;
        let opts: DeliveryOptions = match checked {
            None => DeliveryOptions::default(),
            Some(checked) => serde_wasm_bindgen::from_value(checked.into()).map_err(|e| {
                JsError::new(&format!("new DeliveryEventHandler(): invalid options: {e}"))
            })?,
        };
        let queue = queue_option(&options, "new DeliveryEventHandler()", &hub)?;
        let d = DeliveryConfig::default();
        let config = DeliveryConfig {
            read_batch_ms: opts.read_batch_ms.unwrap_or(d.read_batch_ms),
            request_timeout_ms: opts.request_timeout_ms.unwrap_or(d.request_timeout_ms),
            max_records: opts.max_records.unwrap_or(d.max_records),
        };
        let handle = hub
            .run_quiet(|s, now| s.attach_delivery(config, queue, now))
            .map_err(|e| e.to_js(Some(what)))?;
        let debug = opts.debug || hub.debug(Handle::CLIENT);
        hub.driver.pump();
        Ok(DeliveryEventHandler {
            svc: ServiceRef::new(hub, handle, ServiceKind::Delivery, debug),
        })
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
        let client_message_id = &args::id(&client_message_id, &format!("{m}: clientMessageId"))?;
        let channel_id = &args::id(&channel_id, &format!("{m}: channelId"))?;
        let total = args::opt_count(&total_recipients, &format!("{m}: totalRecipients"), U32_MAX)?
            .map_or(0, |t| t as u32);
        let status = self.run(m, |c, now| {
            c.track_outgoing(client_message_id, channel_id, total, now)
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
        let client_message_id = &args::id(&client_message_id, &format!("{m}: clientMessageId"))?;
        let message_id = &args::id(&message_id, &format!("{m}: messageId"))?;
        let timestamp = args::opt_ms(&timestamp, &format!("{m}: timestamp"))?;
        self.run(m, |c, now| {
            let at = timestamp.unwrap_or(now);
            c.mark_sent(client_message_id, message_id, at, now)
        })
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
        self.run("markFailed()", |c, now| {
            c.mark_failed(client_message_id, error, now)
        })
    }

    /// A `pending` or `failed` message is being (re-)sent: `sending`.
    #[wasm_bindgen(js_name = markSending)]
    pub fn mark_sending(
        &self,
        #[wasm_bindgen(js_name = clientMessageId, unchecked_param_type = "string")]
        client_message_id: JsValue,
    ) -> Result<(), JsValue> {
        let client_message_id = &args::id(&client_message_id, "markSending(): clientMessageId")?;
        self.run("markSending()", |c, now| {
            c.mark_sending(client_message_id, now)
        })
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
        self.run("acknowledgeRead()", |c, now| {
            c.acknowledge_read(message_id, channel_id, now)
        })
    }

    /// Sends the batched read acks now (e.g. before the page is hidden).
    #[wasm_bindgen(js_name = flushReadAcks)]
    pub fn flush_read_acks(&self) -> Result<(), JsError> {
        self.svc
            .run(|s, h, now| {
                s.delivery_do(h, now, |c, now| {
                    c.flush_read_acks(now);
                    Ok(())
                })
            })
            .map_err(|e| e.to_error(None))
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
        self.svc
            .request(
                |s, h, now| s.delivery_sync_status(h, ids, now),
                Settle::Statuses,
            )
            .map_err(|e| e.to_js(None))
    }

    /// The status of a message by client or server id.
    #[wasm_bindgen(js_name = getStatus, unchecked_return_type = "DeliveryStatus | undefined")]
    pub fn get_status(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] id: JsValue,
    ) -> Result<JsValue, JsValue> {
        let id = &args::id(&id, "getStatus(): id")?;
        if self.svc.is_disposed() {
            return Err(Self::disposed_error());
        }
        let status = self
            .svc
            .read(|s, h| s.delivery(h).ok().and_then(|d| d.status(id)));
        Ok(status.map_or(JsValue::UNDEFINED, |s| to_js(&s)))
    }

    /// Stops tracking a message; returns whether it was tracked.
    pub fn untrack(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] id: JsValue,
    ) -> Result<bool, JsValue> {
        let id = &args::id(&id, "untrack(): id")?;
        self.run("untrack()", |c, _| Ok(c.untrack(id)))
    }

    /// Feeds this handler from `queue`: queued messages are tracked as
    /// `pending`, and the queue's `message:sent` / `message:failed` move them
    /// to `sent` / `failed`. Replaces a previously attached queue.
    #[wasm_bindgen(js_name = attachQueue)]
    pub fn attach_queue(
        &self,
        #[wasm_bindgen(unchecked_param_type = "OfflineQueueService")] queue: JsValue,
    ) -> Result<(), JsValue> {
        let queue = queue_arg(&queue, "attachQueue(): queue", &self.svc.hub)?;
        if self.svc.is_disposed() {
            return Err(Self::disposed_error());
        }
        self.svc
            .run(|s, h, _| s.delivery_attach_queue(h, Some(queue)))
            .map_err(|e| e.to_js(Some("attachQueue()")))
    }

    /// Stops listening to the attached queue, if any.
    #[wasm_bindgen(js_name = detachQueue)]
    pub fn detach_queue(&self) {
        let _ = self.svc.run(|s, h, _| s.delivery_attach_queue(h, None));
    }

    /// `callback(event, data)` for `message:sent`, `message:delivered`,
    /// `message:read` and `message:failed`; returns an unsubscribe function.
    #[wasm_bindgen(unchecked_return_type = "() => void")]
    pub fn subscribe(
        &self,
        #[wasm_bindgen(unchecked_param_type = "DeliveryListener")] callback: JsValue,
    ) -> Result<Function, JsValue> {
        let callback = args::callback(&callback, "subscribe(): callback")?;
        if self.svc.is_disposed() {
            return Err(Self::disposed_error());
        }
        Ok(self.svc.listen(Topic::All, callback))
    }

    /// Stops listening to the client and the queue, drops pending read acks
    /// and rejects pending `syncDeliveryStatus()` promises. Idempotent.
    pub fn dispose(&self) {
        self.svc.dispose();
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
