//! `DeliveryEventHandler`: the delivery core ([`crate::core::delivery`])
//! wired to a `RealtimeClient`.
//!
//! * Incoming `message:delivered` / `message:read` server events move tracked
//!   messages forward (never backward).
//! * Read acknowledgements are batched per channel (1 s by default) and sent
//!   as one `message:batch-read-ack` per channel (`batchReadAck: false`: one
//!   `message:read-ack` each, at once); held while disconnected.
//! * On every (re)connect, statuses of messages that can still move are
//!   re-requested with `delivery:sync` (answered by `delivery:sync-response`).
//! * nchat's `message:sent`, `message:failed`, `message:ack` and
//!   `message:batch-read` from the server move tracked messages too.
//! * Messages the app sends itself are tracked with `trackOutgoing` and
//!   reported with `markSent` / `markFailed`. With a queue (`options.queue`
//!   or `attachQueue`), queued messages are tracked as `pending` and the
//!   queue's `message:sent` / `message:failed` move them on by themselves.

use crate::core::decimal::cat;
use wasm_bindgen::prelude::*;

use super::args::{self, opt, Field, Kind, U32_MAX};
use super::hub::{ApiError, Hub, ServiceRef, Settle};
use super::js::{coded, to_js};
use super::queue::{queue_arg, queue_option};
use crate::core::delivery::{DeliveryConfig, DeliveryError};
use crate::core::session::{DeliveryCommands, Handle, ServiceKind, SessionError};
use crate::core::Millis;

const DELIVERY_OPTIONS: &[Field] = &[
    opt("readBatchMs", Kind::IntMs),
    opt("batchReadAck", Kind::Bool),
    opt("autoSyncOnReconnect", Kind::Bool),
    opt("requestTimeoutMs", Kind::IntMs),
    opt("maxRecords", Kind::UInt(U32_MAX)),
    opt("queue", Kind::Any),
    opt("debug", Kind::Bool),
];

/// Sent / delivered / read receipts of outgoing messages, batched read
/// acknowledgements and status re-synchronisation.
pub struct DeliveryEventHandler {
    svc: ServiceRef,
}

impl DeliveryEventHandler {
    /// The service's handle in the session.
    pub(crate) fn handle(&self) -> Handle {
        self.svc.handle
    }

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
                    coded(e.code(), &cat!(method, ": ", e))
                }
                e => e.to_js(None),
            })
    }

    /// The error of a call on a disposed handler.
    fn disposed_error() -> JsValue {
        ApiError::Session(SessionError::Disposed(ServiceKind::Delivery)).to_js(None)
    }
}

impl DeliveryEventHandler {
    /// A handler listening to `client` (`DeliveryOptions`; unknown keys are
    /// an error). With `options.queue`, see `attachQueue`.
    pub(crate) fn new(hub: &Hub, options: JsValue) -> Result<DeliveryEventHandler, JsValue> {
        let what = "new DeliveryEventHandler()";
        let hub = hub.clone();
        let opts = args::Record::new(args::opt_fields(&options, "options", DELIVERY_OPTIONS)?);
        let queue = queue_option(&options, "new DeliveryEventHandler()", &hub)?;
        let d = DeliveryConfig::default();
        let config = DeliveryConfig {
            read_batch_ms: opts.int("readBatchMs").unwrap_or(d.read_batch_ms),
            batch_read_ack: opts.flag("batchReadAck").unwrap_or(d.batch_read_ack),
            request_timeout_ms: opts.int("requestTimeoutMs").unwrap_or(d.request_timeout_ms),
            max_records: opts.int("maxRecords").map_or(d.max_records, |n| n as usize),
            auto_sync_on_reconnect: opts
                .flag("autoSyncOnReconnect")
                .unwrap_or(d.auto_sync_on_reconnect),
        };
        let handle = hub
            .run_quiet(|s, now| s.attach_delivery(config, queue, now))
            .map_err(|e| e.to_js(Some(what)))?;
        let debug = opts.flag("debug").unwrap_or(false) || hub.debug(Handle::CLIENT);
        hub.driver.pump();
        Ok(DeliveryEventHandler {
            svc: ServiceRef::new(hub, handle, ServiceKind::Delivery, debug),
        })
    }

    /// Starts tracking a message the app is emitting now (state `sending`);
    /// returns its status. Throws for empty ids or an id already tracked.
    pub fn track_outgoing(
        &self,
        client_message_id: JsValue,
        channel_id: JsValue,
        total_recipients: JsValue,
    ) -> Result<JsValue, JsValue> {
        let m = "trackOutgoing()";
        let client_message_id = &args::id(&client_message_id, "clientMessageId")?;
        let channel_id = &args::id(&channel_id, "channelId")?;
        let total =
            args::opt_count(&total_recipients, "totalRecipients", U32_MAX)?.map_or(0, |t| t as u32);
        let status = self.run(m, |c, now| {
            c.track_outgoing(client_message_id, channel_id, total, now)
        })?;
        Ok(to_js(&status))
    }

    /// The server acknowledged the message: records its server id and moves
    /// it to `sent` (emits `message:sent`). `timestamp` defaults to now.
    pub fn mark_sent(
        &self,
        client_message_id: JsValue,
        message_id: JsValue,
        timestamp: JsValue,
    ) -> Result<(), JsValue> {
        let m = "markSent()";
        let client_message_id = &args::id(&client_message_id, "clientMessageId")?;
        let message_id = &args::id(&message_id, "messageId")?;
        let timestamp = args::opt_ms(&timestamp, "timestamp")?;
        self.run(m, |c, now| {
            let at = timestamp.unwrap_or(now);
            c.mark_sent(client_message_id, message_id, at, now)
        })
    }

    /// Sending failed: `failed` with `error` (emits `message:failed`).
    /// Refused once the server has the message.
    pub fn mark_failed(&self, client_message_id: JsValue, error: JsValue) -> Result<(), JsValue> {
        let client_message_id = &args::id(&client_message_id, "clientMessageId")?;
        let error = &args::string(&error, "error")?;
        self.run("markFailed()", |c, now| {
            c.mark_failed(client_message_id, error, now)
        })
    }

    /// A `pending` or `failed` message is being (re-)sent: `sending`.
    pub fn mark_sending(&self, client_message_id: JsValue) -> Result<(), JsValue> {
        let client_message_id = &args::id(&client_message_id, "clientMessageId")?;
        self.run("markSending()", |c, now| {
            c.mark_sending(client_message_id, now)
        })
    }

    /// Acknowledges that this user read `messageId` (server id) in
    /// `channelId`. Acks are batched per channel and sent every
    /// `readBatchMs` as one `message:read`; held while disconnected.
    pub fn acknowledge_read(
        &self,
        message_id: JsValue,
        channel_id: JsValue,
    ) -> Result<(), JsValue> {
        let message_id = &args::id(&message_id, "messageId")?;
        let channel_id = &args::id(&channel_id, "channelId")?;
        self.run("acknowledgeRead()", |c, now| {
            c.acknowledge_read(message_id, channel_id, now)
        })
    }

    /// Sends the batched read acks now (e.g. before the page is hidden).
    pub fn flush_read_acks(&self) -> Result<(), JsValue> {
        self.svc
            .run(|s, h, now| {
                s.delivery_do(h, now, |c, now| {
                    c.flush_read_acks(now);
                    Ok(())
                })
            })
            .map_err(|e| e.to_js(None))
    }

    /// Asks the server for the statuses of `ids` (client or server ids).
    /// Resolves with the statuses of those that are tracked, after applying
    /// the answer; rejects when the request fails.
    pub fn sync_delivery_status(&self, ids: JsValue) -> Result<f64, JsValue> {
        let ids = args::ids(&ids, "ids")?;
        self.svc
            .request(
                |s, h, now| s.delivery_sync_status(h, ids, now),
                Settle::Statuses,
            )
            .map_err(|e| e.to_js(None))
    }

    /// The status of a message by client or server id.
    pub fn get_status(&self, id: JsValue) -> Result<JsValue, JsValue> {
        let id = &args::id(&id, "id")?;
        if self.svc.is_disposed() {
            return Err(Self::disposed_error());
        }
        let status = self
            .svc
            .read(|s, h| s.delivery(h).ok().and_then(|d| d.status(id)));
        Ok(status.map_or(JsValue::UNDEFINED, |s| to_js(&s)))
    }

    /// Stops tracking a message; returns whether it was tracked.
    pub fn untrack(&self, id: JsValue) -> Result<bool, JsValue> {
        let id = &args::id(&id, "id")?;
        self.run("untrack()", |c, _| Ok(c.untrack(id)))
    }

    /// Feeds this handler from `queue`: queued messages are tracked as
    /// `pending`, and the queue's `message:sent` / `message:failed` move them
    /// to `sent` / `failed`. Replaces a previously attached queue.
    pub fn attach_queue(&self, queue: JsValue) -> Result<(), JsValue> {
        let queue = queue_arg(&queue, "queue", &self.svc.hub)?;
        if self.svc.is_disposed() {
            return Err(Self::disposed_error());
        }
        self.svc
            .run(|s, h, _| s.delivery_attach_queue(h, Some(queue)))
            .map_err(|e| e.to_js(Some("attachQueue()")))
    }

    /// Stops listening to the attached queue, if any.
    pub fn detach_queue(&self) {
        let _ = self.svc.run(|s, h, _| s.delivery_attach_queue(h, None));
    }

    /// `callback(event, data)` for `message:sent`, `message:delivered`,
    /// `message:read` and `message:failed`; JavaScript registers the
    /// callback once this check passes (the service is not disposed).
    pub fn subscribe(&self) -> Result<(), JsValue> {
        if self.svc.is_disposed() {
            return Err(Self::disposed_error());
        }
        Ok(())
    }

    /// Stops listening to the client and the queue, drops pending read acks
    /// and rejects pending `syncDeliveryStatus()` promises. Idempotent.
    pub fn dispose(&self) {
        self.svc.dispose();
    }
}
