//! The JSON forms of what sync hands the app (event data, the result of a
//! sync, channels, messages and conflicts) and the words of its errors.

use super::{
    ChannelCounts, Conflict, ConflictSide, MessageCounts, PresenceCounts, QueueFlushCounts,
    Resolution, SyncError, SyncEvent, SyncResult, SyncStage, SyncedChannel, SyncedMessage,
};
use crate::core::decimal::{cat, display_for_tests};
use crate::core::json::{Map, ToJson, Value};

impl SyncStage {
    /// The lowercase name (`queue`, `channels`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            SyncStage::Queue => "queue",
            SyncStage::Channels => "channels",
            SyncStage::Messages => "messages",
            SyncStage::Presence => "presence",
            SyncStage::Completed => "completed",
            SyncStage::Storage => "storage",
        }
    }
}

impl Resolution {
    /// `server` or `local`.
    pub fn as_str(self) -> &'static str {
        match self {
            Resolution::Server => "server",
            Resolution::Local => "local",
        }
    }
}

impl ToJson for SyncResult {
    fn to_json(&self) -> Value {
        let MessageCounts {
            synced,
            conflicts,
            errors,
        } = self.messages;
        let mut messages = Map::new();
        messages.push("synced", synced);
        messages.push("conflicts", conflicts);
        messages.push("errors", errors);
        let ChannelCounts { synced, errors } = self.channels;
        let mut channels = Map::new();
        channels.push("synced", synced);
        channels.push("errors", errors);
        let PresenceCounts { synced } = self.presence;
        let mut presence = Map::new();
        presence.push("synced", synced);
        let QueueFlushCounts { sent, failed } = self.queue_flushed;
        let mut queue = Map::new();
        queue.push("sent", sent);
        queue.push("failed", failed);
        let mut o = Map::new();
        o.push("messages", messages);
        o.push("channels", channels);
        o.push("presence", presence);
        o.push("queueFlushed", queue);
        o.push("timestamp", self.timestamp);
        o.push("duration", self.duration);
        Value::Object(o)
    }
}

impl ToJson for SyncedChannel {
    fn to_json(&self) -> Value {
        let mut o = Map::new();
        o.push("channelId", self.channel_id.as_str());
        o.push("roomName", self.room_name.as_str());
        o.push("members", &self.members);
        o.push("lastMessageAt", self.last_message_at);
        Value::Object(o)
    }
}

impl ToJson for SyncedMessage {
    fn to_json(&self) -> Value {
        let mut o = Map::new();
        o.push("id", self.id.as_str());
        o.push("clientMessageId", self.client_message_id.as_deref());
        o.push("channelId", self.channel_id.as_str());
        o.push("roomName", self.room_name.as_str());
        o.push("userId", self.user_id.as_deref());
        o.push("content", self.content.as_str());
        o.push("timestamp", self.timestamp);
        o.push("editedAt", self.edited_at);
        o.push("editedBy", self.edited_by.as_deref());
        Value::Object(o)
    }
}

impl ToJson for ConflictSide {
    fn to_json(&self) -> Value {
        let mut o = Map::new();
        o.push("content", self.content.as_str());
        o.push("editedAt", self.edited_at);
        o.push("editedBy", self.edited_by.as_deref());
        Value::Object(o)
    }
}

/// The fields a conflict and a `sync:conflict` event share.
fn conflict_fields(
    o: &mut Map,
    (message_id, channel_id): (&str, &str),
    local: &ConflictSide,
    server: &ConflictSide,
    resolution: Resolution,
) {
    o.push("messageId", message_id);
    o.push("channelId", channel_id);
    o.push("local", local.to_json());
    o.push("server", server.to_json());
    o.push("resolution", resolution.as_str());
}

impl ToJson for Conflict {
    fn to_json(&self) -> Value {
        let mut o = Map::new();
        conflict_fields(
            &mut o,
            (&self.message_id, &self.channel_id),
            &self.local,
            &self.server,
            self.resolution,
        );
        Value::Object(o)
    }
}

impl ToJson for SyncEvent {
    /// The event's data (its name is [`SyncEvent::name`]).
    fn to_json(&self) -> Value {
        let mut o = Map::new();
        match self {
            SyncEvent::Started { sync_id, timestamp } => {
                o.push("syncId", *sync_id);
                o.push("timestamp", *timestamp);
            }
            SyncEvent::Progress {
                sync_id,
                progress,
                stage,
            } => {
                o.push("syncId", *sync_id);
                o.push("progress", *progress);
                o.push("stage", stage.as_str());
            }
            SyncEvent::Channels { sync_id, channels } => {
                o.push("syncId", *sync_id);
                o.push("channels", channels.to_json());
            }
            SyncEvent::Messages {
                sync_id,
                request_id,
                channel_id,
                room_name,
                messages,
                conflicts,
            } => {
                o.push("syncId", *sync_id);
                o.push("requestId", *request_id);
                o.push("channelId", channel_id.as_str());
                o.push("roomName", room_name.as_str());
                o.push("messages", messages.to_json());
                o.push("conflicts", conflicts.to_json());
            }
            SyncEvent::Conflict {
                sync_id,
                message_id,
                channel_id,
                local,
                server,
                resolution,
            } => {
                o.push("syncId", *sync_id);
                conflict_fields(&mut o, (message_id, channel_id), local, server, *resolution);
            }
            SyncEvent::Presence {
                sync_id,
                user_ids,
                data,
            } => {
                o.push("syncId", *sync_id);
                o.push("userIds", user_ids);
                o.push("data", data);
            }
            SyncEvent::Completed { sync_id, result } => {
                o.push("syncId", *sync_id);
                o.push("result", result.to_json());
            }
            SyncEvent::Failed { sync_id, error } => {
                o.push("syncId", *sync_id);
                o.push("error", *error);
            }
            SyncEvent::Error {
                sync_id,
                request_id,
                stage,
                channel_id,
                message,
            } => {
                o.push("syncId", *sync_id);
                o.push("requestId", *request_id);
                o.push("stage", stage.as_str());
                o.push("channelId", channel_id.as_deref());
                o.push("message", message.as_str());
            }
        }
        Value::Object(o)
    }
}

impl SyncError {
    /// A stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            SyncError::InvalidArgument(_) => "invalid_argument",
            SyncError::UnknownRequest(_) => "unknown_request",
            SyncError::Cancelled => "cancelled",
        }
    }

    /// What went wrong, in words.
    pub fn message(&self) -> String {
        match self {
            SyncError::InvalidArgument(why) => cat!("invalid argument: ", why),
            SyncError::UnknownRequest(id) => cat!(
                "no pending sync request ",
                id,
                " (already answered or timed out)"
            ),
            SyncError::Cancelled => "the sync was cancelled (cancelSync())".into(),
        }
    }
}

display_for_tests!(SyncError);
