//! DeliveryEventHandler core: sent / delivered / read receipts of outgoing
//! messages, batched read acknowledgements and status re-synchronisation.
//!
//! States move `pending -> sending -> sent -> delivered -> read`; `failed` is
//! reachable from `pending`/`sending` and is retryable (`failed -> sending`).
//! Transitions only move forward: a late `delivered` never undoes `read`. A
//! message is `delivered` as soon as one recipient has it and `read` as soon
//! as one recipient read it; per-recipient sets give `deliveredCount`,
//! `readCount` against `totalRecipients`. A receipt or a send ack proves the
//! server has the message, so it also lifts a `failed` message forward.
//!
//! Sans-IO: the host drains [`DeliveryEffect`]s with
//! [`DeliveryEventHandler::poll_effect`], calls
//! [`DeliveryEventHandler::handle_timeout`] at
//! [`DeliveryEventHandler::next_deadline`], and answers every
//! [`DeliveryEffect::Request`] with [`DeliveryEventHandler::on_response`].

mod forms;
pub mod wire;

use crate::core::fifo::Fifo;
use crate::core::vecmap::{VecMap, VecSet};

use crate::core::decimal::{cat, display_for_tests};
use crate::core::json::{json, Value};

use super::time;
use super::Millis;
use wire::{parse_ack, str_field, AckError};

mod receipts;
mod types;

pub use types::*;

#[derive(Debug, Clone)]
struct Record {
    client_message_id: String,
    message_id: Option<String>,
    channel_id: String,
    state: DeliveryState,
    total_recipients: u32,
    delivered_to: VecSet<String>,
    read_by: VecSet<String>,
    error: Option<String>,
    sent_at: Option<Millis>,
    created_at: Millis,
    updated_at: Millis,
    seq: u64,
}

fn count(set: &VecSet<String>) -> u32 {
    u32::try_from(set.len()).unwrap_or(u32::MAX)
}

impl Record {
    /// Moves to `sent` when the state allows it; the update to report.
    fn become_sent(&mut self, at: Millis, now: Millis) -> Option<DeliveryUpdate> {
        if !self.state.can_transition_to(DeliveryState::Sent) {
            return None;
        }
        self.state = DeliveryState::Sent;
        self.error = None;
        self.updated_at = now;
        Some(DeliveryUpdate {
            status: self.status(),
            user_id: None,
            at,
        })
    }

    fn status(&self) -> DeliveryStatus {
        DeliveryStatus {
            client_message_id: self.client_message_id.clone(),
            message_id: self.message_id.clone(),
            channel_id: self.channel_id.clone(),
            state: self.state,
            total_recipients: self.total_recipients,
            delivered_count: count(&self.delivered_to),
            read_count: count(&self.read_by),
            delivered_to: self.delivered_to.iter().cloned().collect(),
            read_by: self.read_by.iter().cloned().collect(),
            error: self.error.clone(),
            sent_at: self.sent_at,
            created_at: self.created_at,
            updated_at: self.updated_at,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Receipt {
    Delivered,
    Read,
}

/// The delivery state machine (see the module docs).
#[derive(Debug)]
pub struct DeliveryEventHandler {
    config: DeliveryConfig,
    records: VecMap<String, Record>,
    by_server_id: VecMap<String, String>,
    read_batch: VecMap<String, Vec<String>>,
    read_deadline: Option<Millis>,
    requests: VecMap<u64, Millis>,
    next_request: u64,
    next_seq: u64,
    connected: bool,
    effects: Fifo<DeliveryEffect>,
}

impl Default for DeliveryEventHandler {
    fn default() -> Self {
        Self::new(DeliveryConfig::default())
    }
}

fn non_empty(name: &str, value: &str) -> Result<(), DeliveryError> {
    if value.trim().is_empty() {
        Err(DeliveryError::InvalidArgument(cat!(
            name,
            " must not be empty"
        )))
    } else {
        Ok(())
    }
}

impl DeliveryEventHandler {
    /// A handler with `config`. It starts disconnected: read acks are held
    /// until [`on_reconnected`](Self::on_reconnected).
    pub fn new(config: DeliveryConfig) -> Self {
        Self {
            config,
            records: VecMap::new(),
            by_server_id: VecMap::new(),
            read_batch: VecMap::new(),
            read_deadline: None,
            requests: VecMap::new(),
            next_request: 0,
            next_seq: 0,
            connected: false,
            effects: Fifo::new(),
        }
    }

    // ------------------------------------------------------------------
    // Outgoing messages
    // ------------------------------------------------------------------

    /// Starts tracking a message being emitted now (state `sending`).
    pub fn track_outgoing(
        &mut self,
        client_message_id: &str,
        channel_id: &str,
        total_recipients: u32,
        now: Millis,
    ) -> Result<DeliveryStatus, DeliveryError> {
        self.track(
            client_message_id,
            channel_id,
            total_recipients,
            DeliveryState::Sending,
            now,
        )
    }

    /// Starts tracking a message that is queued, not yet emitted (state `pending`).
    pub fn track_queued(
        &mut self,
        client_message_id: &str,
        channel_id: &str,
        total_recipients: u32,
        now: Millis,
    ) -> Result<DeliveryStatus, DeliveryError> {
        self.track(
            client_message_id,
            channel_id,
            total_recipients,
            DeliveryState::Pending,
            now,
        )
    }

    fn track(
        &mut self,
        cid: &str,
        channel_id: &str,
        total: u32,
        state: DeliveryState,
        now: Millis,
    ) -> Result<DeliveryStatus, DeliveryError> {
        non_empty("clientMessageId", cid)?;
        non_empty("channelId", channel_id)?;
        if self.records.contains_key(cid) {
            return Err(DeliveryError::AlreadyTracked(cid.to_owned()));
        }
        self.next_seq += 1;
        let record = Record {
            client_message_id: cid.to_owned(),
            message_id: None,
            channel_id: channel_id.to_owned(),
            state,
            total_recipients: total,
            delivered_to: VecSet::new(),
            read_by: VecSet::new(),
            error: None,
            sent_at: None,
            created_at: now,
            updated_at: now,
            seq: self.next_seq,
        };
        let status = record.status();
        self.records.insert(cid.to_owned(), record);
        self.evict();
        Ok(status)
    }

    fn evict(&mut self) {
        while self.records.len() > self.config.max_records {
            let oldest_read = self
                .records
                .values()
                .filter(|r| r.state == DeliveryState::Read)
                .min_by_key(|r| r.seq)
                .map(|r| r.client_message_id.clone());
            match oldest_read {
                Some(cid) => {
                    self.untrack(&cid);
                }
                None => break,
            }
        }
    }

    /// Stops tracking a message (by client or server id). Returns whether it was tracked.
    pub fn untrack(&mut self, id: &str) -> bool {
        let Some(cid) = self.resolve(id) else {
            return false;
        };
        if let Some(rec) = self.records.remove(&cid) {
            if let Some(mid) = rec.message_id {
                self.by_server_id.remove(&mid);
            }
            true
        } else {
            false
        }
    }

    /// Moves a tracked message to `to` if its state allows it; the record,
    /// for the caller to finish updating.
    fn transition(
        &mut self,
        client_message_id: &str,
        to: DeliveryState,
    ) -> Result<&mut Record, DeliveryError> {
        let rec = self
            .records
            .get_mut(client_message_id)
            .ok_or_else(|| DeliveryError::UnknownMessage(client_message_id.to_owned()))?;
        if !rec.state.can_transition_to(to) {
            return Err(DeliveryError::InvalidTransition {
                id: client_message_id.to_owned(),
                from: rec.state,
                to,
            });
        }
        rec.state = to;
        Ok(rec)
    }

    /// `pending`/`failed -> sending` (the message is being (re-)emitted).
    pub fn mark_sending(
        &mut self,
        client_message_id: &str,
        now: Millis,
    ) -> Result<(), DeliveryError> {
        let rec = self.transition(client_message_id, DeliveryState::Sending)?;
        rec.error = None;
        rec.updated_at = now;
        Ok(())
    }

    /// The send ack arrived: maps `server_id` (when the ack carries one; the
    /// real server's `{success:true}` does not) to the client id and moves to
    /// `sent` (emits `message:sent`). When a receipt already moved the message
    /// further, only the id mapping and `sentAt` are recorded.
    pub fn on_sent<'a>(
        &mut self,
        client_message_id: &str,
        server_id: impl Into<Option<&'a str>>,
        timestamp: Millis,
        now: Millis,
    ) -> Result<(), DeliveryError> {
        let server_id: Option<&str> = server_id.into();
        if let Some(sid) = server_id {
            non_empty("messageId", sid)?;
        }
        let rec = self
            .records
            .get(client_message_id)
            .ok_or_else(|| DeliveryError::UnknownMessage(client_message_id.to_owned()))?;
        if let Some(sid) = server_id {
            if let Some(other) = self.by_server_id.get(sid) {
                if other != client_message_id {
                    return Err(DeliveryError::InvalidArgument(cat!(
                        "server id ",
                        sid,
                        " already belongs to message ",
                        other
                    )));
                }
            }
            if let Some(existing) = &rec.message_id {
                if existing != sid {
                    return Err(DeliveryError::InvalidArgument(cat!(
                        "message ",
                        client_message_id,
                        " already has server id ",
                        existing
                    )));
                }
            }
            self.map_server_id(client_message_id, sid);
        }
        let Some(rec) = self.records.get_mut(client_message_id) else {
            return Ok(());
        };
        rec.sent_at = Some(timestamp);
        rec.updated_at = now;
        if let Some(update) = rec.become_sent(timestamp, now) {
            self.effects
                .push_back(DeliveryEffect::Event(DeliveryEvent::Sent(update)));
        }
        Ok(())
    }

    /// Sending failed for good (e.g. the queue gave up): `failed`, emits
    /// `message:failed` with `error`. Refused once the server has the message.
    pub fn on_failed(
        &mut self,
        client_message_id: &str,
        error: &str,
        now: Millis,
    ) -> Result<(), DeliveryError> {
        let rec = self.transition(client_message_id, DeliveryState::Failed)?;
        rec.error = Some(if error.is_empty() {
            "unknown error".to_owned()
        } else {
            error.to_owned()
        });
        rec.updated_at = now;
        let update = DeliveryUpdate {
            status: rec.status(),
            user_id: None,
            at: now,
        };
        self.effects
            .push_back(DeliveryEffect::Event(DeliveryEvent::Failed(update)));
        Ok(())
    }

    fn map_server_id(&mut self, cid: &str, server_id: &str) {
        if let Some(rec) = self.records.get_mut(cid) {
            if rec.message_id.is_none() && !self.by_server_id.contains_key(server_id) {
                rec.message_id = Some(server_id.to_owned());
                self.by_server_id
                    .insert(server_id.to_owned(), cid.to_owned());
            }
        }
    }

    /// The client id of a tracked message given its client or server id.
    fn resolve(&self, id: &str) -> Option<String> {
        if self.records.contains_key(id) {
            Some(id.to_owned())
        } else {
            self.by_server_id.get(id).cloned()
        }
    }

    /// The status of a message by client or server id.
    pub fn status(&self, id: &str) -> Option<DeliveryStatus> {
        self.resolve(id)
            .and_then(|cid| self.records.get(&cid))
            .map(Record::status)
    }

    /// All tracked messages, oldest first.
    pub fn statuses(&self) -> Vec<DeliveryStatus> {
        let mut v: Vec<&Record> = self.records.values().collect();
        crate::core::sort::sort_by(&mut v, |a, b| a.seq < b.seq);
        v.into_iter().map(Record::status).collect()
    }

    // ------------------------------------------------------------------
    // Connection and time
    // ------------------------------------------------------------------

    /// Call on every (re)connect, the first one included: emits held read
    /// acks and (with `auto_sync_on_reconnect`) re-requests the statuses of
    /// every `sent`/`delivered` message (those that can still move).
    /// Returns the request ids.
    pub fn on_reconnected(&mut self, now: Millis) -> Vec<u64> {
        self.connected = true;
        if !self.read_batch.is_empty() {
            self.flush_read_acks(now);
        }
        if !self.config.auto_sync_on_reconnect {
            return Vec::new();
        }
        let mut pending: Vec<&Record> = self
            .records
            .values()
            .filter(|r| {
                matches!(r.state, DeliveryState::Sent | DeliveryState::Delivered)
                    && r.message_id.is_some()
            })
            .collect();
        crate::core::sort::sort_by(&mut pending, |a, b| a.seq < b.seq);
        let ids: Vec<String> = pending
            .into_iter()
            .filter_map(|r| r.message_id.clone())
            .collect();
        self.sync_delivery_status(&ids, now)
    }

    /// Call when the socket drops: read acks are held until reconnect.
    pub fn on_disconnected(&mut self, _now: Millis) {
        self.connected = false;
    }

    /// When [`handle_timeout`](Self::handle_timeout) should be called next
    /// (`None`: nothing pending).
    pub fn next_deadline(&self) -> Option<Millis> {
        let req = self.requests.values().copied().min();
        match (self.read_deadline, req) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Flushes a due read batch and forgets timed-out requests.
    pub fn handle_timeout(&mut self, now: Millis) {
        if self.read_deadline.is_some_and(|d| d <= now) {
            self.flush_read_acks(now);
        }
        self.requests.retain(|_, deadline| *deadline > now);
    }

    /// The next effect for the host.
    pub fn poll_effect(&mut self) -> Option<DeliveryEffect> {
        self.effects.pop_front()
    }

    /// All pending effects, in order.
    pub fn drain_effects(&mut self) -> Vec<DeliveryEffect> {
        self.effects.take_all()
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests;
