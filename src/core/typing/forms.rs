//! The JSON forms of typing values, and the words of its errors.

use super::{RoomType, RoomTypingChange, TypingError, TypingPrivacy, TypingUser, EVENT_TYPING};
use crate::core::decimal::{cat, display_for_tests};
use crate::core::json::{to_json_by_name, Map, ToJson, Value};

to_json_by_name!(RoomType);

impl ToJson for TypingUser {
    fn to_json(&self) -> Value {
        let mut o = Map::new();
        o.push("userId", self.user_id.as_str());
        o.push("userName", self.user_name.as_str());
        o.push_opt("userAvatar", self.user_avatar.as_deref());
        o.push("startedAt", self.started_at);
        Value::Object(o)
    }
}

impl ToJson for TypingPrivacy {
    fn to_json(&self) -> Value {
        let mut o = Map::new();
        o.push("broadcastTyping", self.broadcast_typing);
        o.push("typingVisibility", self.typing_visibility.as_str());
        Value::Object(o)
    }
}

impl ToJson for RoomTypingChange {
    fn to_json(&self) -> Value {
        let mut o = Map::new();
        o.push("roomName", self.room_name.as_str());
        o.push("roomType", self.room_type.as_str());
        o.push("channelId", self.channel_id.as_str());
        o.push_opt("threadId", self.thread_id.as_deref());
        o.push("users", self.users.to_json());
        Value::Object(o)
    }
}

impl TypingError {
    /// A stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            TypingError::EmptyId(_) => "empty_id",
            TypingError::ThreadWithoutChannel => "thread_without_channel",
            TypingError::InvalidPayload(_) => "invalid_payload",
        }
    }

    /// What went wrong, in words.
    pub fn message(&self) -> String {
        match self {
            TypingError::EmptyId(what) => cat!(what, " must not be empty"),
            TypingError::ThreadWithoutChannel => {
                "a thread id needs its channel id: call stop_typing(Some(channel_id), Some(thread_id))"
                    .into()
            }
            TypingError::InvalidPayload(why) => {
                cat!("dropped malformed ", EVENT_TYPING, " payload: ", why)
            }
        }
    }
}

display_for_tests!(TypingError);
