//! The delivery handler's public types: tunables, states, statuses,
//! updates, events, effects and errors.

use super::*;

/// Request ids issued by the delivery machine have this tag in bits 48+
/// (`request_id >> 48 == 1`), so the host can route acks by id.
pub const DELIVERY_REQUEST_TAG: u64 = 1 << 48;

/// Most ids sent in one `delivery:sync` request.
pub(super) const STATUS_CHUNK: usize = 200;

/// Client → server (nchat's): `{messageIds}`, answered by a
/// [`EVENT_SYNC_RESPONSE`] event (or by the ack's `data`, the same shape).
pub const EVENT_SYNC: &str = "delivery:sync";
/// Server → client (nchat's): `{statuses: [{messageId, state, deliveredCount?,
/// readCount?, totalRecipients?, updatedAt}]}` (`status`, `clientMessageId`,
/// `deliveredTo`, `readBy` also read).
pub const EVENT_SYNC_RESPONSE: &str = "delivery:sync-response";
/// Server → client (nchat's): `{channelId, userId, messageIds, readAt}`.
pub const EVENT_BATCH_READ: &str = "message:batch-read";
/// Server → client (nchat's): `{messageId, status: sent|delivered|read}`.
pub const EVENT_ACK: &str = "message:ack";
/// Server → client (nchat's): `{clientMessageId, messageId, sentAt}`.
pub const EVENT_SENT: &str = "message:sent";
/// Server → client (nchat's): `{clientMessageId, errorCode, errorMessage, retryable}`.
pub const EVENT_FAILED: &str = "message:failed";

/// Tunables of the delivery machine.
#[derive(Debug, Clone, PartialEq)]
pub struct DeliveryConfig {
    /// How long read acks are collected before one `message:batch-read-ack`
    /// per channel (1 s).
    pub read_batch_ms: Millis,
    /// Batch read acks (nchat's `batchReadAck`, true); false sends one
    /// `message:read-ack` per message at once.
    pub batch_read_ack: bool,
    /// Timeout given to `delivery:sync` requests (10 s).
    pub request_timeout_ms: Millis,
    /// Above this many tracked messages the oldest `read` ones are forgotten (1000).
    pub max_records: usize,
    /// Re-request the statuses of unconfirmed messages on every reconnect
    /// (nchat's `autoSyncOnReconnect`, true).
    pub auto_sync_on_reconnect: bool,
}

impl Default for DeliveryConfig {
    fn default() -> Self {
        Self {
            read_batch_ms: 1_000,
            batch_read_ack: true,
            request_timeout_ms: 10_000,
            max_records: 1_000,
            auto_sync_on_reconnect: true,
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
    /// Request `request_id` was answered by a `delivery:sync-response`
    /// event (its statuses already applied), not by its ack.
    Settled {
        /// The request it answered.
        request_id: u64,
    },
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
    /// The `delivery:sync` request failed; statuses are re-requested on reconnect.
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
            DeliveryError::RequestFailed(why) => cat!("delivery:sync failed: ", why),
        }
    }
}

display_for_tests!(DeliveryError);
