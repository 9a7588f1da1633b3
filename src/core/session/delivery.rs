//! Delivery handlers on the session: attach, commands, status requests
//! through the connection, and the receipts of the queue they follow.

use super::queue::QueueSlot;
use super::services::Machine;
use super::{route::first_ack_arg, Answer, Event, Handle, Session, SessionError, Ticket, Waiter};
use crate::core::delivery::{
    DeliveryConfig, DeliveryEffect, DeliveryError, DeliveryEventHandler, DeliveryStatus,
};
use crate::core::queue::{QueueEvent, QueuedMessage};
use crate::core::Millis;

/// A `syncDeliveryStatus` call waiting for its requests.
pub(super) struct StatusWaiter {
    pending: Vec<u64>,
    ids: Vec<String>,
    error: Option<SessionError>,
    ticket: Ticket,
}

/// A delivery handler and what it follows.
pub(super) struct DeliverySlot {
    pub core: DeliveryEventHandler,
    /// The queue whose messages it tracks.
    pub queue: Option<Handle>,
    /// `syncDeliveryStatus` calls waiting for their requests.
    pub waiters: Vec<StatusWaiter>,
}

impl Session {
    /// Attaches a delivery handler, following `queue` when given.
    pub fn attach_delivery(
        &mut self,
        config: DeliveryConfig,
        queue: Option<Handle>,
        now: Millis,
    ) -> Result<Handle, SessionError> {
        self.now = now;
        if let Some(q) = queue {
            self.active::<QueueSlot>(q)?;
        }
        let mut core = DeliveryEventHandler::new(config);
        if self.is_connected() {
            core.on_reconnected(now);
        }
        let handle = self.add_service(Machine::Delivery(Box::new(DeliverySlot {
            core,
            queue,
            waiters: Vec::new(),
        })));
        self.route();
        Ok(handle)
    }

    /// The delivery machine of `handle` (for reads).
    pub fn delivery(&self, handle: Handle) -> Result<&DeliveryEventHandler, SessionError> {
        self.slot_ref::<DeliverySlot>(handle).map(|s| &s.core)
    }

    /// Runs a delivery command `f`, then routes.
    pub fn delivery_do<T>(
        &mut self,
        handle: Handle,
        now: Millis,
        f: impl FnOnce(&mut DeliveryCommands<'_>, Millis) -> Result<T, DeliveryError>,
    ) -> Result<T, SessionError> {
        self.on_slot(handle, now, |s: &mut DeliverySlot, now| {
            Ok(f(&mut DeliveryCommands(&mut s.core), now)?)
        })
    }

    /// Asks the server for the statuses of `ids`; the ticket completes with
    /// the statuses of those tracked once every answer is in (at once when
    /// nothing needs asking).
    pub fn delivery_sync_status(
        &mut self,
        handle: Handle,
        ids: Vec<String>,
        now: Millis,
    ) -> Result<Ticket, SessionError> {
        let ticket = self.ticket();
        let immediate = self.on_slot(handle, now, |s: &mut DeliverySlot, now| {
            let requests = s.core.sync_delivery_status(&ids, now);
            if requests.is_empty() {
                return Ok(Some(statuses(&s.core, &ids)));
            }
            s.waiters.push(StatusWaiter {
                pending: requests.into_iter().collect(),
                ids,
                error: None,
                ticket,
            });
            Ok(None)
        })?;
        if let Some(statuses) = immediate {
            self.done(ticket, Ok(Answer::Statuses(statuses)));
        }
        Ok(ticket)
    }

    /// Follows `queue` (replacing any), or nothing with `None`.
    pub fn delivery_attach_queue(
        &mut self,
        handle: Handle,
        queue: Option<Handle>,
    ) -> Result<(), SessionError> {
        if let Some(q) = queue {
            self.active::<QueueSlot>(q)?;
        }
        self.slot::<DeliverySlot>(handle)?.queue = queue;
        Ok(())
    }

    pub(super) fn delivery_effects(&mut self, handle: Handle, effects: Vec<DeliveryEffect>) {
        for effect in effects {
            match effect {
                DeliveryEffect::Send { event, payload } => {
                    self.emit_for(handle, &event, &payload, false)
                }
                DeliveryEffect::Request {
                    request_id,
                    event,
                    payload,
                    timeout_ms,
                } => {
                    let waiter = Waiter::Service(handle, request_id);
                    if let Err(e) = self.request_for(waiter, &event, &payload, Some(timeout_ms)) {
                        self.delivery_answer(handle, request_id, Err(e));
                    }
                }
                DeliveryEffect::Event(ev) => self.event(handle, Event::Delivery(ev)),
                DeliveryEffect::Settled { request_id } => {
                    self.delivery_settle(handle, request_id, None)
                }
            }
        }
    }

    /// The answer of a `delivery:status` request: applied, then the
    /// `syncDeliveryStatus` calls it completes.
    pub(super) fn delivery_answer(
        &mut self,
        handle: Handle,
        request_id: u64,
        result: Result<String, SessionError>,
    ) {
        let now = self.now;
        let Ok(s) = self.slot::<DeliverySlot>(handle) else {
            return;
        };
        let error = s
            .core
            .on_response(request_id, first_ack_arg(result), now)
            .err()
            .map(SessionError::from);
        self.delivery_settle(handle, request_id, error);
    }

    /// Request `request_id` of `handle` is over (`error` when it failed):
    /// the `syncDeliveryStatus` calls waiting for it complete once all
    /// theirs are.
    pub(super) fn delivery_settle(
        &mut self,
        handle: Handle,
        request_id: u64,
        mut error: Option<SessionError>,
    ) {
        let Ok(s) = self.slot::<DeliverySlot>(handle) else {
            return;
        };
        let mut done = Vec::new();
        for mut w in std::mem::take(&mut s.waiters) {
            if let Some(pos) = w.pending.iter().position(|id| *id == request_id) {
                w.pending.swap_remove(pos);
                if w.error.is_none() {
                    w.error = error.take();
                }
                if w.pending.is_empty() {
                    let result = match w.error {
                        Some(e) => Err(e),
                        None => Ok(Answer::Statuses(statuses(&s.core, &w.ids))),
                    };
                    done.push((w.ticket, result));
                    continue;
                }
            }
            s.waiters.push(w);
        }
        for (ticket, result) in done {
            self.done(ticket, result);
        }
    }

    /// A queue event moves the receipts of every handler following the
    /// queue; their own events go out before the queue's.
    pub(super) fn deliveries_follow(&mut self, queue: Handle, event: &QueueEvent) {
        let now = self.now;
        let mut moved = Vec::new();
        for s in &mut self.services {
            let Machine::Delivery(d) = &mut s.machine else {
                continue;
            };
            if d.queue != Some(queue) {
                continue;
            }
            let core = &mut d.core;
            match event {
                QueueEvent::Queued { message } => ensure_tracked(core, message, now),
                QueueEvent::Sent {
                    message,
                    message_id,
                    timestamp,
                    ..
                } => {
                    ensure_tracked(core, message, now);
                    let at = timestamp.unwrap_or(now);
                    let id = message_id.as_deref();
                    let _ = core.on_sent(&message.client_message_id, id, at, now);
                }
                QueueEvent::Failed { message, error, .. } => {
                    ensure_tracked(core, message, now);
                    let _ = core.on_failed(&message.client_message_id, error, now);
                }
                _ => continue,
            }
            moved.push(s.handle);
        }
        for h in moved {
            self.drain_service(h);
        }
    }

    /// A handler goes: its status calls fail.
    pub(super) fn delivery_detached(&mut self, slot: &mut DeliverySlot) {
        slot.queue = None;
        for w in std::mem::take(&mut slot.waiters) {
            self.done(
                w.ticket,
                Err(SessionError::Disposed(super::ServiceKind::Delivery)),
            );
        }
    }
}

/// The statuses of the tracked ones among `ids`.
fn statuses(core: &DeliveryEventHandler, ids: &[String]) -> Vec<DeliveryStatus> {
    ids.iter().filter_map(|id| core.status(id)).collect()
}

/// Makes sure a queued message is tracked (it may predate the attachment).
fn ensure_tracked(core: &mut DeliveryEventHandler, msg: &QueuedMessage, now: Millis) {
    if core.status(&msg.client_message_id).is_none() {
        let _ = core.track_queued(&msg.client_message_id, &msg.channel_id, 0, now);
    }
}

/// The app's commands of a delivery handler.
pub struct DeliveryCommands<'a>(&'a mut DeliveryEventHandler);

impl DeliveryCommands<'_> {
    /// Tracks a message being emitted now.
    pub fn track_outgoing(
        &mut self,
        client_message_id: &str,
        channel_id: &str,
        total_recipients: u32,
        now: Millis,
    ) -> Result<DeliveryStatus, DeliveryError> {
        self.0
            .track_outgoing(client_message_id, channel_id, total_recipients, now)
    }

    /// The server acknowledged a message.
    pub fn mark_sent(
        &mut self,
        client_message_id: &str,
        message_id: &str,
        timestamp: Millis,
        now: Millis,
    ) -> Result<(), DeliveryError> {
        self.0
            .on_sent(client_message_id, message_id, timestamp, now)
    }

    /// Sending failed.
    pub fn mark_failed(
        &mut self,
        client_message_id: &str,
        error: &str,
        now: Millis,
    ) -> Result<(), DeliveryError> {
        self.0.on_failed(client_message_id, error, now)
    }

    /// A message is being (re-)sent.
    pub fn mark_sending(
        &mut self,
        client_message_id: &str,
        now: Millis,
    ) -> Result<(), DeliveryError> {
        self.0.mark_sending(client_message_id, now)
    }

    /// Queues a read ack.
    pub fn acknowledge_read(
        &mut self,
        message_id: &str,
        channel_id: &str,
        now: Millis,
    ) -> Result<(), DeliveryError> {
        self.0.acknowledge_read(message_id, channel_id, now)
    }

    /// Sends the batched read acks now.
    pub fn flush_read_acks(&mut self, now: Millis) {
        self.0.flush_read_acks(now);
    }

    /// Stops tracking a message.
    pub fn untrack(&mut self, id: &str) -> bool {
        self.0.untrack(id)
    }
}
