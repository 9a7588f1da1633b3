//! Flushing: the flush state machine, one `message:send` at a time, acks,
//! retries with backoff, timeouts.

use crate::core::json::{Map, Value};

use super::ack::{classify_send_ack, SendAck, SendFailure};
use super::{
    touch, Flush, InFlight, Lock, OfflineQueueService, QueueEffect, QueueError, QueueEvent,
    QueuedMessage, QueuedStatus, QUEUE_REQUEST_TAG,
};
use crate::core::delivery::wire::str_field;
use crate::core::delivery::{EVENT_FAILED, EVENT_SENT};
use crate::core::room::key as room_name;
use crate::core::Millis;

impl OfflineQueueService {
    /// The ack of a `message:send` request, or `Err(text)` for a host-side
    /// timeout / transport error (which counts as a failed attempt).
    pub fn on_response(
        &mut self,
        request_id: u64,
        result: Result<Value, String>,
        now: Millis,
    ) -> Result<(), QueueError> {
        match &self.in_flight {
            Some(f) if f.request_id == request_id => {}
            _ => return Err(QueueError::UnknownRequest(request_id)),
        }
        let Some(inf) = self.in_flight.take() else {
            return Err(QueueError::UnknownRequest(request_id));
        };
        match classify_send_ack(&result, &inf.message.client_message_id) {
            Ok(ack) => self.on_sent(inf, ack, now),
            Err(failure) => self.attempt_failed(&inf.message.id, failure, now),
        }
        self.pump(now);
        Ok(())
    }

    /// nchat's server events `message:sent {clientMessageId, messageId,
    /// sentAt}` and `message:failed {clientMessageId, errorCode, errorMessage,
    /// retryable}` about the message in flight: taken as its ack (a late ack
    /// is then ignored). A failure not `retryable` is final; others are an
    /// attempt like a refused ack.
    pub fn on_message_event(&mut self, name: &str, p: &Value, now: Millis) {
        let cid = str_field(p, "clientMessageId");
        let ours = self
            .in_flight
            .as_ref()
            .map(|f| f.message.client_message_id.as_str());
        if cid.is_none() || cid != ours || !matches!(name, EVENT_SENT | EVENT_FAILED) {
            return;
        }
        let Some(inf) = self.in_flight.take() else {
            return;
        };
        if name == EVENT_SENT {
            let ack = SendAck {
                message_id: str_field(p, "messageId").map(str::to_owned),
                timestamp: p.get("sentAt").and_then(crate::core::time::parse),
                duplicate: false,
            };
            self.on_sent(inf, ack, now);
        } else {
            let id = &inf.message.id;
            if p.get("retryable") == Some(&Value::Bool(false)) {
                let max = self.config.max_retries;
                if let Some(e) = self.position(id).and_then(|i| self.entries.get_mut(i)) {
                    e.msg.retry_count = e.msg.retry_count.max(max);
                }
            }
            let failure = SendFailure {
                error: str_field(p, "errorMessage")
                    .unwrap_or("message:failed")
                    .to_owned(),
                code: str_field(p, "errorCode").map(str::to_owned),
            };
            self.attempt_failed(id, failure, now);
        }
        self.pump(now);
    }

    /// Call at [`next_deadline`](Self::next_deadline): times out the request in
    /// flight (a failed attempt), sends what a retry delay was holding, and
    /// leads after a takeover's wait.
    pub fn handle_timeout(&mut self, now: Millis) {
        if let Lock::Settling { lock_id, until } = self.lock {
            if until <= now {
                self.lead(lock_id, now);
            }
        }
        if self.in_flight.as_ref().is_some_and(|f| f.deadline <= now) {
            if let Some(inf) = self.in_flight.take() {
                let failure = SendFailure {
                    error: crate::core::decimal::cat!(
                        "no answer from the server within ",
                        self.config.request_timeout_ms,
                        " ms"
                    ),
                    code: None,
                };
                self.attempt_failed(&inf.message.id, failure, now);
            }
        }
        self.pump(now);
    }

    /// When to call `handle_timeout` next (`None`: nothing pending).
    pub fn next_deadline(&self) -> Option<Millis> {
        if let Lock::Settling { until, .. } = self.lock {
            return Some(until);
        }
        if let Some(inf) = &self.in_flight {
            return Some(inf.deadline);
        }
        if !matches!(self.flush, Flush::Running { .. }) {
            return None;
        }
        self.entries
            .iter()
            .find(|e| self.is_sendable(&e.msg))
            .and_then(|e| e.next_attempt_at)
    }

    pub(super) fn is_in_flight(&self, id: &str) -> bool {
        self.in_flight.as_ref().is_some_and(|f| f.message.id == id)
    }

    fn is_sendable(&self, m: &QueuedMessage) -> bool {
        m.status != QueuedStatus::Failed && !self.is_in_flight(&m.id)
    }

    pub(super) fn has_sendable(&self) -> bool {
        self.entries.iter().any(|e| self.is_sendable(&e.msg))
    }

    fn sendable_count(&self) -> usize {
        self.entries
            .iter()
            .filter(|e| self.is_sendable(&e.msg))
            .count()
    }

    /// Starts (or joins) a flush. Automatic triggers (`explicit == false`)
    /// only start one when connected with something to send.
    pub(super) fn trigger(&mut self, now: Millis, explicit: bool) -> Option<u64> {
        match self.flush {
            Flush::Running { flush_id, .. } => {
                self.pump(now);
                Some(flush_id)
            }
            Flush::AwaitingLock { flush_id } => Some(flush_id),
            Flush::Idle => {
                let ready = self.connected && self.sendable_count() > 0;
                if !explicit && !ready {
                    return None;
                }
                self.next_flush_id = self.next_flush_id.wrapping_add(1);
                let flush_id = self.next_flush_id;
                if !ready {
                    self.emit(QueueEvent::Flushed {
                        flush_id,
                        sent: 0,
                        failed: 0,
                    });
                } else if self.config.use_flush_lock && !matches!(self.lock, Lock::Held(_)) {
                    // The leader sends; this flush ends when it has (or
                    // when this tab becomes the leader).
                    self.flush = Flush::AwaitingLock { flush_id };
                    self.request_lock();
                } else {
                    self.start_flush(flush_id, now);
                }
                Some(flush_id)
            }
        }
    }

    pub(super) fn start_flush(&mut self, flush_id: u64, now: Millis) {
        // Another tab may have sent, failed or queued messages meanwhile.
        self.retry_unwritten(now);
        self.reload_all(now);
        self.flush = Flush::Running {
            flush_id,
            sent: 0,
            failed: 0,
        };
        let count = self.sendable_count();
        self.emit(QueueEvent::Flushing { flush_id, count });
        self.pump(now);
    }

    /// Ends the flush. The flush lock stays with this tab (see the module
    /// docs): only [`Self::release_lock`] lets it go.
    pub(super) fn finish(&mut self) {
        let (flush_id, sent, failed) = match self.flush {
            Flush::Idle => return,
            Flush::AwaitingLock { flush_id } => (flush_id, 0, 0),
            Flush::Running {
                flush_id,
                sent,
                failed,
            } => (flush_id, sent, failed),
        };
        self.flush = Flush::Idle;
        self.emit(QueueEvent::Flushed {
            flush_id,
            sent,
            failed,
        });
    }

    /// Sends the next message when nothing is in flight and no retry delay
    /// holds the head; ends the flush when nothing is sendable.
    pub(super) fn pump(&mut self, now: Millis) {
        // Each round sends, waits, ends, or saw the store drop or change the
        // head; the bound only guards against a store that keeps changing.
        let rounds = self.entries.len().saturating_mul(2).saturating_add(8);
        for _ in 0..rounds {
            if !matches!(self.flush, Flush::Running { .. }) || self.in_flight.is_some() {
                return;
            }
            if !self.connected {
                self.finish();
                return;
            }
            let waiting = |q: &Self| {
                q.entries
                    .iter()
                    .find(|e| q.is_sendable(&e.msg))
                    .is_some_and(|e| e.next_attempt_at.is_some_and(|t| t > now))
            };
            if waiting(self) {
                return;
            }
            // Catch up on what other tabs stored (their storage events may be
            // late or lost), so their messages go out in their order.
            self.retry_unwritten(now);
            self.sync_ids(now);
            let Some(head) = self.entries.iter().find(|e| self.is_sendable(&e.msg)) else {
                self.finish();
                return;
            };
            if head.next_attempt_at.is_some_and(|t| t > now) {
                return;
            }
            let id = head.msg.id.clone();
            // Re-read it right before sending: another tab may have sent,
            // removed or failed it.
            if !self.recheck(&id, now) {
                continue;
            }
            match self.position(&id) {
                Some(pos) if self.is_sendable(&self.entries[pos].msg) => {
                    self.send_entry(pos, now);
                    return;
                }
                _ => continue,
            }
        }
        self.finish();
    }

    fn send_entry(&mut self, pos: usize, now: Millis) {
        let Some(entry) = self.entries.get_mut(pos) else {
            return;
        };
        // Memory only: the stored entry stays `queued`, so a reload or another
        // tab sends it again if this attempt never gets its answer.
        entry.msg.status = QueuedStatus::Sending;
        entry.next_attempt_at = None;
        let msg = entry.msg.clone();
        self.next_request = self.next_request.wrapping_add(1);
        let request_id = QUEUE_REQUEST_TAG | (self.next_request & ((1 << 48) - 1));
        self.in_flight = Some(InFlight {
            request_id,
            message: msg.clone(),
            deadline: now.saturating_add(self.config.request_timeout_ms),
        });
        self.effects.push_back(QueueEffect::Request {
            request_id,
            event: "message:send".into(),
            payload: send_payload(&msg),
            timeout_ms: self.config.request_timeout_ms,
        });
    }

    fn on_sent(&mut self, inf: InFlight, ack: SendAck, _now: Millis) {
        let id = &inf.message.id;
        if let Some(p) = self.position(id) {
            self.entries.remove(p);
        }
        self.remove_stored(id);
        let flush_id = match &mut self.flush {
            Flush::Running { flush_id, sent, .. } => {
                *sent = sent.saturating_add(1);
                Some(*flush_id)
            }
            _ => None,
        };
        self.emit(QueueEvent::Sent {
            message: inf.message,
            message_id: ack.message_id,
            timestamp: ack.timestamp,
            duplicate: ack.duplicate,
            flush_id,
        });
    }

    fn attempt_failed(&mut self, id: &str, failure: SendFailure, now: Millis) {
        let max = self.config.max_retries;
        let Some(entry) = self.position(id).and_then(|p| self.entries.get_mut(p)) else {
            // Removed (by hand, in some tab) while it was in flight.
            return;
        };
        entry.msg.retry_count = entry.msg.retry_count.saturating_add(1);
        entry.msg.last_error = Some(failure.error.clone());
        entry.msg.last_error_code = failure.code.clone();
        entry.msg.last_retry_at = Some(now);
        touch(&mut entry.msg, now);
        let gave_up = entry.msg.retry_count > max;
        if gave_up {
            entry.msg.status = QueuedStatus::Failed;
            entry.next_attempt_at = None;
        } else {
            entry.msg.status = QueuedStatus::Queued;
            let delay = self
                .config
                .backoff
                .delay(entry.msg.retry_count.saturating_sub(1), &mut self.rng);
            entry.next_attempt_at = Some(now.saturating_add(delay));
        }
        if !self.write_update(id) || !gave_up {
            return;
        }
        if let Flush::Running { failed, .. } = &mut self.flush {
            *failed = failed.saturating_add(1);
        }
        if let Some(message) = self.get_message(id) {
            self.emit(QueueEvent::Failed {
                message,
                error: failure.error,
                error_code: failure.code,
            });
        }
    }
}

/// The `message:send` payload of a queued message. `roomName` is the
/// channel's room; a reply carries `threadId` besides. `clientMessageId` is
/// sent at the top level and in `metadata` (the real server forwards only
/// `metadata` to the room, so receivers can tell re-sends apart);
/// `attachments` go as nchat sends them.
pub fn send_payload(msg: &QueuedMessage) -> Value {
    let mut p = Map::new();
    p.insert(
        "roomName".into(),
        Value::String(room_name(&msg.channel_id, None)),
    );
    p.insert("content".into(), Value::String(msg.content.clone()));
    p.insert(
        "clientMessageId".into(),
        Value::String(msg.client_message_id.clone()),
    );
    let mut metadata = Map::new();
    metadata.insert(
        "clientMessageId".into(),
        Value::String(msg.client_message_id.clone()),
    );
    p.insert("metadata".into(), Value::Object(metadata));
    p.insert("type".into(), Value::String(msg.message_type.clone()));
    if let Some(t) = &msg.thread_id {
        p.insert("threadId".into(), Value::String(t.clone()));
    }
    if !msg.mentions.is_empty() {
        p.insert(
            "mentions".into(),
            Value::Array(msg.mentions.iter().cloned().map(Value::String).collect()),
        );
    }
    // nchat's `attachments`, as stored.
    if !msg.attachments.is_empty() {
        p.insert("attachments".into(), Value::Array(msg.attachments.clone()));
    }
    Value::Object(p)
}
