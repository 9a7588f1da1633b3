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

use crate::core::vecmap::{VecMap, VecSet};
use std::collections::VecDeque;

use crate::core::decimal::{cat, display_for_tests};
use crate::core::json::{json, Value};

use super::Millis;
use super::{room, time};
use wire::{parse_ack, str_field, AckError};

/// Request ids issued by the delivery machine have this tag in bits 48+
/// (`request_id >> 48 == 1`), so the host can route acks by id.
pub const DELIVERY_REQUEST_TAG: u64 = 1 << 48;

/// Most ids sent in one `delivery:status` request.
const STATUS_CHUNK: usize = 200;

/// Tunables of the delivery machine.
#[derive(Debug, Clone, PartialEq)]
pub struct DeliveryConfig {
    /// How long read acks are collected before one `message:read` per channel (1 s).
    pub read_batch_ms: Millis,
    /// Timeout given to `delivery:status` requests (10 s).
    pub request_timeout_ms: Millis,
    /// Above this many tracked messages the oldest `read` ones are forgotten (1000).
    pub max_records: usize,
}

impl Default for DeliveryConfig {
    fn default() -> Self {
        Self {
            read_batch_ms: 1_000,
            request_timeout_ms: 10_000,
            max_records: 1_000,
        }
    }
}

/// Delivery state of an outgoing message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryState {
    /// Tracked, not yet handed to the socket (e.g. queued offline).
    Pending,
    /// Emitted, waiting for the server's ack.
    Sending,
    /// The server acknowledged it.
    Sent,
    /// At least one recipient received it.
    Delivered,
    /// At least one recipient read it.
    Read,
    /// Sending failed; can go back to `sending` on retry.
    Failed,
}

impl DeliveryState {
    fn rank(self) -> u8 {
        match self {
            DeliveryState::Pending => 0,
            DeliveryState::Sending | DeliveryState::Failed => 1,
            DeliveryState::Sent => 2,
            DeliveryState::Delivered => 3,
            DeliveryState::Read => 4,
        }
    }

    /// Whether `self -> to` is allowed (forward only; `failed` only before
    /// `sent`; `failed -> sending` for retries).
    pub fn can_transition_to(self, to: DeliveryState) -> bool {
        use DeliveryState::*;
        match (self, to) {
            (a, b) if a == b => false,
            (_, Pending) => false,
            (Pending | Sending, Failed) => true,
            (_, Failed) => false,
            (Failed, Sending) => true,
            (from, to) => to.rank() > from.rank(),
        }
    }

    /// The lowercase name used on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryState::Pending => "pending",
            DeliveryState::Sending => "sending",
            DeliveryState::Sent => "sent",
            DeliveryState::Delivered => "delivered",
            DeliveryState::Read => "read",
            DeliveryState::Failed => "failed",
        }
    }
}

/// Snapshot of one tracked message (camelCase when serialized).
#[derive(Debug, Clone, PartialEq)]
pub struct DeliveryStatus {
    /// Client-generated id given to `track_outgoing`.
    pub client_message_id: String,
    /// Server id, known once the send ack (or a receipt) arrived.
    pub message_id: Option<String>,
    /// Channel of the message.
    pub channel_id: String,
    /// Current state.
    pub state: DeliveryState,
    /// Number of recipients given when tracking.
    pub total_recipients: u32,
    /// Recipients known to have received it (readers included).
    pub delivered_count: u32,
    /// Recipients known to have read it.
    pub read_count: u32,
    /// Ids of recipients who received it, sorted.
    pub delivered_to: Vec<String>,
    /// Ids of recipients who read it, sorted.
    pub read_by: Vec<String>,
    /// Error of the last failure.
    pub error: Option<String>,
    /// Server timestamp of the send ack.
    pub sent_at: Option<Millis>,
    /// When tracking started.
    pub created_at: Millis,
    /// Last change.
    pub updated_at: Millis,
}

/// Data of every delivery event: the message's status plus, for receipts,
/// who and when.
#[derive(Debug, Clone, PartialEq)]
pub struct DeliveryUpdate {
    /// The message after the change.
    pub status: DeliveryStatus,
    /// Recipient behind a receipt (`None` for acks and status syncs).
    pub user_id: Option<String>,
    /// When it happened (server time when given, else the host's `now`).
    pub at: Millis,
}

/// Events for subscribers; serializes as `{event: "message:sent", data: {...}}`.
#[derive(Debug, Clone, PartialEq)]
pub enum DeliveryEvent {
    /// The server acknowledged the message.
    Sent(DeliveryUpdate),
    /// A (new) recipient received the message.
    Delivered(DeliveryUpdate),
    /// A (new) recipient read the message.
    Read(DeliveryUpdate),
    /// Sending failed; `status.error` says why.
    Failed(DeliveryUpdate),
}

impl DeliveryEvent {
    /// The event name (`message:sent`, ...).
    pub fn name(&self) -> &'static str {
        match self {
            DeliveryEvent::Sent(_) => "message:sent",
            DeliveryEvent::Delivered(_) => "message:delivered",
            DeliveryEvent::Read(_) => "message:read",
            DeliveryEvent::Failed(_) => "message:failed",
        }
    }

    /// The event's data.
    pub fn update(&self) -> &DeliveryUpdate {
        match self {
            DeliveryEvent::Sent(u)
            | DeliveryEvent::Delivered(u)
            | DeliveryEvent::Read(u)
            | DeliveryEvent::Failed(u) => u,
        }
    }
}

/// Something the host must do.
#[derive(Debug, Clone, PartialEq)]
pub enum DeliveryEffect {
    /// Emit `event` with `payload` on the socket (no ack needed).
    Send {
        /// Socket.IO event name.
        event: String,
        /// JSON payload.
        payload: Value,
    },
    /// Emit with an ack; answer with `on_response(request_id, ..)`, or with an
    /// `Err` on timeout / disconnect.
    Request {
        /// Id to answer with.
        request_id: u64,
        /// Socket.IO event name.
        event: String,
        /// JSON payload.
        payload: Value,
        /// Give up after this long (the machine also forgets it then).
        timeout_ms: Millis,
    },
    /// Deliver to subscribers.
    Event(DeliveryEvent),
}

/// Errors of the delivery machine. State is unchanged when one is returned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeliveryError {
    /// An argument was empty or out of range.
    InvalidArgument(String),
    /// `track_outgoing` for an id already tracked.
    AlreadyTracked(String),
    /// No tracked message matches (never tracked, or forgotten).
    UnknownMessage(String),
    /// The transition would move backwards.
    InvalidTransition {
        /// Client message id.
        id: String,
        /// Current state.
        from: DeliveryState,
        /// Refused target state.
        to: DeliveryState,
    },
    /// A server payload did not have the documented shape; it was dropped.
    MalformedPayload {
        /// Event or request name.
        event: String,
        /// What was wrong.
        reason: String,
    },
    /// `on_response` with an id that is not pending.
    UnknownRequest(u64),
    /// The `delivery:status` request failed; statuses are re-requested on reconnect.
    RequestFailed(String),
}

impl DeliveryError {
    /// A stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            DeliveryError::InvalidArgument(_) => "invalid_argument",
            DeliveryError::AlreadyTracked(_) => "already_tracked",
            DeliveryError::UnknownMessage(_) => "unknown_message",
            DeliveryError::InvalidTransition { .. } => "invalid_transition",
            DeliveryError::MalformedPayload { .. } => "malformed_payload",
            DeliveryError::UnknownRequest(_) => "unknown_request",
            DeliveryError::RequestFailed(_) => "request_failed",
        }
    }

    /// What went wrong, in words.
    pub fn message(&self) -> String {
        match self {
            DeliveryError::InvalidArgument(why) => cat!("invalid argument: ", why),
            DeliveryError::AlreadyTracked(id) => cat!(
                "message ",
                id,
                " is already tracked; use mark_sending to retry it"
            ),
            DeliveryError::UnknownMessage(id) => {
                cat!("unknown message ", id, ": it is not tracked by this client")
            }
            DeliveryError::InvalidTransition { id, from, to } => cat!(
                "message ",
                id,
                " cannot go from ",
                from.as_str(),
                " to ",
                to.as_str(),
                ": delivery states only move forward"
            ),
            DeliveryError::MalformedPayload { event, reason } => {
                cat!("malformed ", event, " payload dropped: ", reason)
            }
            DeliveryError::UnknownRequest(id) => cat!(
                "no pending delivery request ",
                id,
                " (already answered or timed out)"
            ),
            DeliveryError::RequestFailed(why) => cat!("delivery:status failed: ", why),
        }
    }
}

display_for_tests!(DeliveryError);

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
    effects: VecDeque<DeliveryEffect>,
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
            effects: VecDeque::new(),
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
        if rec.state.can_transition_to(DeliveryState::Sent) {
            rec.state = DeliveryState::Sent;
            rec.error = None;
            let update = DeliveryUpdate {
                status: rec.status(),
                user_id: None,
                at: timestamp,
            };
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
        v.sort_unstable_by_key(|r| r.seq);
        v.into_iter().map(Record::status).collect()
    }

    // ------------------------------------------------------------------
    // Incoming receipts
    // ------------------------------------------------------------------

    /// Handles a server `message:delivered {messageId, clientMessageId, roomName,
    /// userId, deliveredAt}`. Malformed or unknown payloads return `Err` and
    /// change nothing.
    pub fn on_delivered(&mut self, payload: &Value, now: Millis) -> Result<(), DeliveryError> {
        self.on_receipt(Receipt::Delivered, payload, now)
    }

    /// Handles a server `message:read {messageId, clientMessageId, roomName,
    /// userId, readAt}` (a reader also counts as delivered).
    pub fn on_read(&mut self, payload: &Value, now: Millis) -> Result<(), DeliveryError> {
        self.on_receipt(Receipt::Read, payload, now)
    }

    fn on_receipt(
        &mut self,
        kind: Receipt,
        payload: &Value,
        now: Millis,
    ) -> Result<(), DeliveryError> {
        let (event, at_field) = match kind {
            Receipt::Delivered => ("message:delivered", "deliveredAt"),
            Receipt::Read => ("message:read", "readAt"),
        };
        let malformed = |reason: &str| DeliveryError::MalformedPayload {
            event: event.to_owned(),
            reason: reason.to_owned(),
        };
        if !payload.is_object() {
            return Err(malformed("expected an object"));
        }
        let user = str_field(payload, "userId").ok_or_else(|| malformed("missing userId"))?;
        let mid = str_field(payload, "messageId");
        let cid = str_field(payload, "clientMessageId");
        if mid.is_none() && cid.is_none() {
            return Err(malformed("missing messageId and clientMessageId"));
        }
        let at = payload.get(at_field).and_then(time::parse).unwrap_or(now);
        let key = cid
            .filter(|c| self.records.contains_key(*c))
            .map(str::to_owned)
            .or_else(|| mid.and_then(|m| self.by_server_id.get(m).cloned()))
            .ok_or_else(|| {
                DeliveryError::UnknownMessage(mid.or(cid).unwrap_or_default().to_owned())
            })?;
        if let Some(m) = mid {
            self.map_server_id(&key, m);
        }
        let user = user.to_owned();
        self.apply_receipts(
            &key,
            kind,
            std::slice::from_ref(&user),
            at,
            Some(&user),
            now,
        );
        Ok(())
    }

    /// Adds recipients and moves the state forward; emits an event when
    /// anything changed.
    fn apply_receipts(
        &mut self,
        cid: &str,
        kind: Receipt,
        users: &[String],
        at: Millis,
        user_id: Option<&String>,
        now: Millis,
    ) -> bool {
        let Some(rec) = self.records.get_mut(cid) else {
            return false;
        };
        let mut grew = false;
        for u in users {
            grew |= rec.delivered_to.insert(u.clone());
            if kind == Receipt::Read {
                grew |= rec.read_by.insert(u.clone());
            }
        }
        let target = match kind {
            Receipt::Delivered => DeliveryState::Delivered,
            Receipt::Read => DeliveryState::Read,
        };
        // An empty user list can still move the state (the server says so).
        let moved = rec.state.can_transition_to(target);
        if moved {
            rec.state = target;
            rec.error = None;
        }
        if !(grew || moved) {
            return false;
        }
        rec.updated_at = now;
        let update = DeliveryUpdate {
            status: rec.status(),
            user_id: user_id.cloned(),
            at,
        };
        let event = match kind {
            Receipt::Delivered => DeliveryEvent::Delivered(update),
            Receipt::Read => DeliveryEvent::Read(update),
        };
        self.effects.push_back(DeliveryEffect::Event(event));
        true
    }

    // ------------------------------------------------------------------
    // Read acknowledgements
    // ------------------------------------------------------------------

    /// Queues a read ack for `message_id` (server id) in `channel_id`. Acks are
    /// collected for `read_batch_ms` after the first one, then one
    /// `message:read {roomName, messageIds}` is emitted per channel; duplicate
    /// ids in a batch are folded.
    pub fn acknowledge_read(
        &mut self,
        message_id: &str,
        channel_id: &str,
        now: Millis,
    ) -> Result<(), DeliveryError> {
        non_empty("messageId", message_id)?;
        non_empty("channelId", channel_id)?;
        let ids = self.read_batch.entry(channel_id.to_owned()).or_default();
        if !ids.iter().any(|i| i == message_id) {
            ids.push(message_id.to_owned());
        }
        if self.read_deadline.is_none() {
            self.read_deadline = Some(now.saturating_add(self.config.read_batch_ms));
        }
        Ok(())
    }

    /// Emits the pending read acks now (e.g. before the page is hidden). Held
    /// back while disconnected.
    pub fn flush_read_acks(&mut self, _now: Millis) {
        self.read_deadline = None;
        if !self.connected {
            return;
        }
        for (channel, ids) in std::mem::take(&mut self.read_batch) {
            if ids.is_empty() {
                continue;
            }
            self.effects.push_back(DeliveryEffect::Send {
                event: "message:read".into(),
                payload: json!({ "roomName": room::channel_room(&channel), "messageIds": ids }),
            });
        }
    }

    /// Number of read acks waiting for the next batch.
    pub fn pending_read_acks(&self) -> usize {
        self.read_batch.values().map(Vec::len).sum()
    }

    // ------------------------------------------------------------------
    // Status synchronisation
    // ------------------------------------------------------------------

    /// Asks the server for the statuses of `ids` (client or server ids;
    /// client ids are translated when their server id is known). Returns the
    /// request ids (one per 200 ids; empty when `ids` is empty).
    pub fn sync_delivery_status(&mut self, ids: &[String], now: Millis) -> Vec<u64> {
        let mut wire_ids: Vec<String> = Vec::new();
        for id in ids {
            if id.is_empty() {
                continue;
            }
            let server = self
                .records
                .get(id)
                .and_then(|r| r.message_id.clone())
                .unwrap_or_else(|| id.clone());
            if !wire_ids.contains(&server) {
                wire_ids.push(server);
            }
        }
        let mut out = Vec::new();
        for chunk in wire_ids.chunks(STATUS_CHUNK) {
            self.next_request += 1;
            let request_id = DELIVERY_REQUEST_TAG | self.next_request;
            self.requests.insert(
                request_id,
                now.saturating_add(self.config.request_timeout_ms),
            );
            self.effects.push_back(DeliveryEffect::Request {
                request_id,
                event: "delivery:status".into(),
                payload: json!({ "messageIds": chunk }),
                timeout_ms: self.config.request_timeout_ms,
            });
            out.push(request_id);
        }
        out
    }

    /// The ack of a `delivery:status` request (`Err(text)` for a timeout or
    /// disconnect). Statuses only move forward; unknown ids are ignored.
    pub fn on_response(
        &mut self,
        request_id: u64,
        result: Result<Value, String>,
        now: Millis,
    ) -> Result<(), DeliveryError> {
        if self.requests.remove(&request_id).is_none() {
            return Err(DeliveryError::UnknownRequest(request_id));
        }
        let data = parse_ack(&result).map_err(|e| match e {
            AckError::Malformed(r) => DeliveryError::MalformedPayload {
                event: "delivery:status".into(),
                reason: r,
            },
            other => DeliveryError::RequestFailed(other.message()),
        })?;
        let statuses = data
            .get("statuses")
            .and_then(Value::as_array)
            .ok_or_else(|| DeliveryError::MalformedPayload {
                event: "delivery:status".into(),
                reason: "missing data.statuses array".into(),
            })?;
        for st in statuses {
            self.apply_status(st, now);
        }
        Ok(())
    }

    fn apply_status(&mut self, st: &Value, now: Millis) {
        let mid = str_field(st, "messageId");
        let cid = str_field(st, "clientMessageId");
        let key = cid
            .filter(|c| self.records.contains_key(*c))
            .map(str::to_owned)
            .or_else(|| mid.and_then(|m| self.resolve(m)));
        let Some(key) = key else {
            return;
        };
        if let Some(m) = mid {
            self.map_server_id(&key, m);
        }
        let users = |name: &str| -> Vec<String> {
            st.get(name)
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(Value::as_str)
                        .filter(|s| !s.is_empty())
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default()
        };
        let delivered = users("deliveredTo");
        let read = users("readBy");
        let state = st.get("status").and_then(Value::as_str).unwrap_or("");
        if state == "sent" {
            if let Some(rec) = self.records.get_mut(&key) {
                if rec.state.can_transition_to(DeliveryState::Sent) {
                    rec.state = DeliveryState::Sent;
                    rec.error = None;
                    rec.updated_at = now;
                    let update = DeliveryUpdate {
                        status: rec.status(),
                        user_id: None,
                        at: now,
                    };
                    self.effects
                        .push_back(DeliveryEffect::Event(DeliveryEvent::Sent(update)));
                }
            }
        }
        if state == "delivered" || !delivered.is_empty() {
            self.apply_receipts(&key, Receipt::Delivered, &delivered, now, None, now);
        }
        if state == "read" || !read.is_empty() {
            self.apply_receipts(&key, Receipt::Read, &read, now, None, now);
        }
    }

    // ------------------------------------------------------------------
    // Connection and time
    // ------------------------------------------------------------------

    /// Call on every (re)connect, the first one included: emits held read
    /// acks and re-requests the statuses of every `sent`/`delivered` message
    /// (those that can still move). Returns the request ids.
    pub fn on_reconnected(&mut self, now: Millis) -> Vec<u64> {
        self.connected = true;
        if !self.read_batch.is_empty() {
            self.flush_read_acks(now);
        }
        let mut pending: Vec<&Record> = self
            .records
            .values()
            .filter(|r| {
                matches!(r.state, DeliveryState::Sent | DeliveryState::Delivered)
                    && r.message_id.is_some()
            })
            .collect();
        pending.sort_unstable_by_key(|r| r.seq);
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
        self.effects.drain(..).collect()
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests;
