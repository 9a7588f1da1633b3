//! The JSON forms of the queue's values: what the app sees (messages,
//! event data) and the stored entry (read back in `persist`).

use super::{QueueErrorReason, QueueEvent, QueuedMessage, QueuedStatus};
use crate::core::json::{Map, ToJson, Value};

impl QueuedStatus {
    /// The lowercase name (`queued`, `sending`, `failed`).
    pub fn as_str(self) -> &'static str {
        match self {
            QueuedStatus::Queued => "queued",
            QueuedStatus::Sending => "sending",
            QueuedStatus::Failed => "failed",
        }
    }

    /// The status named `name` (exactly as [`QueuedStatus::as_str`] writes it).
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "queued" => Some(QueuedStatus::Queued),
            "sending" => Some(QueuedStatus::Sending),
            "failed" => Some(QueuedStatus::Failed),
            _ => None,
        }
    }
}

impl QueueErrorReason {
    /// The lowercase name (`quota`, `unavailable`, `storage`, `corrupt`).
    pub fn as_str(self) -> &'static str {
        match self {
            QueueErrorReason::Quota => "quota",
            QueueErrorReason::Unavailable => "unavailable",
            QueueErrorReason::Storage => "storage",
            QueueErrorReason::Corrupt => "corrupt",
        }
    }
}

impl QueuedMessage {
    /// The stored fields in declaration order, optional ones only when set:
    /// the entry's canonical form, which its checksum covers (the same text
    /// earlier builds checksummed, so their entries still verify).
    pub(super) fn canonical(&self) -> Map {
        let mut o = Map::new();
        o.push("id", self.id.as_str());
        o.push("clientMessageId", self.client_message_id.as_str());
        o.push("channelId", self.channel_id.as_str());
        o.push("content", self.content.as_str());
        o.push("type", self.message_type.as_str());
        o.push_opt("threadId", self.thread_id.as_deref());
        o.push("mentions", &self.mentions);
        o.push("createdAt", self.created_at);
        o.push("updatedAt", self.updated_at);
        o.push("retryCount", self.retry_count);
        o.push("status", self.status.as_str());
        o.push_opt("lastError", self.last_error.as_deref());
        o.push_opt("lastErrorCode", self.last_error_code.as_deref());
        // Last and only when set: entries stored without them keep their checksum.
        o.push_opt("lastRetryAt", self.last_retry_at);
        if !self.attachments.is_empty() {
            o.push("attachments", Value::Array(self.attachments.clone()));
        }
        o
    }
}

impl ToJson for QueuedMessage {
    /// The app's form: the stored fields, `persisted`, nchat's `timestamp` and `retries`.
    fn to_json(&self) -> Value {
        let mut o = self.canonical();
        o.push("persisted", self.persisted);
        // nchat's names of `createdAt` and `retryCount`.
        o.push("timestamp", self.created_at);
        o.push("retries", self.retry_count);
        Value::Object(o)
    }
}

impl ToJson for QueueEvent {
    /// The event's data (its name is [`QueueEvent::name`]).
    fn to_json(&self) -> Value {
        let mut o = Map::new();
        match self {
            QueueEvent::Queued { message } | QueueEvent::Persisted { message } => {
                o.push("message", message.to_json());
            }
            QueueEvent::Sent {
                message,
                message_id,
                timestamp,
                duplicate,
                flush_id,
            } => {
                o.push("message", message.to_json());
                o.push("messageId", message_id.as_deref());
                o.push("timestamp", *timestamp);
                o.push("duplicate", *duplicate);
                o.push("flushId", *flush_id);
            }
            QueueEvent::Failed {
                message,
                error,
                error_code,
            } => {
                o.push("message", message.to_json());
                o.push("error", error.as_str());
                o.push("errorCode", error_code.as_deref());
            }
            QueueEvent::Flushing { flush_id, count } => {
                o.push("flushId", *flush_id);
                o.push("count", *count);
            }
            QueueEvent::Flushed {
                flush_id,
                sent,
                failed,
            } => {
                o.push("flushId", *flush_id);
                o.push("sent", *sent);
                o.push("failed", *failed);
            }
            QueueEvent::Cleared { count } => o.push("count", *count),
            QueueEvent::Error {
                reason,
                message,
                message_id,
            } => {
                o.push("reason", reason.as_str());
                o.push("message", message.as_str());
                o.push("messageId", message_id.as_deref());
            }
        }
        Value::Object(o)
    }
}
