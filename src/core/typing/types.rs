//! Value types of the typing service: users, privacy, changes, effects and timing.

use super::{
    RoomType, Visibility, BATCH_MS, DEBOUNCE_MS, KEEPALIVE_MS, THROTTLE_MS, TYPING_TIMEOUT_MS,
};
use crate::core::json::Value;
use crate::core::Millis;

/// Another user typing in a room.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TypingUser {
    /// The user.
    pub user_id: String,
    /// Display name (the user id when the server sent none).
    pub user_name: String,
    /// Avatar URL.
    pub user_avatar: Option<String>,
    /// When they started typing (ms).
    pub started_at: Millis,
}

/// Typing privacy of the current user. Defaults: broadcast, everyone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TypingPrivacy {
    /// Send our typing at all.
    pub broadcast_typing: bool,
    /// Whose typing is shown: everyone, contacts only, or nobody.
    pub typing_visibility: Visibility,
}

impl Default for TypingPrivacy {
    fn default() -> Self {
        Self {
            broadcast_typing: true,
            typing_visibility: Visibility::Everyone,
        }
    }
}

/// The new list of typing users of one room.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoomTypingChange {
    /// Room name, e.g. `channel:c1:thread:t9`.
    pub room_name: String,
    /// Channel, thread or DM.
    pub room_type: RoomType,
    /// Channel id (DM id for DMs).
    pub channel_id: String,
    /// Thread id for thread rooms.
    pub thread_id: Option<String>,
    /// Users typing now (privacy-filtered, without the current user); may be empty.
    pub users: Vec<TypingUser>,
}

/// Something the host must do.
#[derive(Debug, Clone, PartialEq)]
pub enum TypingEffect {
    /// Emit `event` with `payload` on the Socket.IO connection.
    Send {
        /// `typing:start` or `typing:stop`.
        event: &'static str,
        /// `{roomName, threadId?}`.
        payload: Value,
    },
    /// Typing users changed in these rooms (one effect per batch window):
    /// call the `onRoomTypingChange` listeners of each room and the global ones.
    TypingChanged {
        /// One entry per changed room.
        rooms: Vec<RoomTypingChange>,
    },
    /// A debug message (only with `TypingConfig::debug`).
    Log(String),
}

/// Timing parameters of the typing service.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TypingConfig {
    /// Quiet time after the last input change before typing starts.
    pub debounce_ms: Millis,
    /// Start anyway this long after the first keystroke of a burst, so
    /// continuous typing is shown (0: pure debounce, wait for a pause).
    pub debounce_max_wait_ms: Millis,
    /// Minimum time between `typing:start` emissions per room.
    pub throttle_ms: Millis,
    /// Auto-stop after the last keystroke, and expiry of others' indicators.
    pub typing_timeout_ms: Millis,
    /// Batch window for change notifications.
    pub batch_ms: Millis,
    /// Re-send `typing:start` this long after the previous one while typing
    /// (at least `throttle_ms` apart; 0: only on keystrokes).
    pub keepalive_ms: Millis,
    /// Apply the privacy settings (nchat's `enablePrivacyFiltering`, true):
    /// false broadcasts whatever `broadcastTyping` says and shows everyone
    /// typing but the current user, whatever `typingVisibility` says.
    pub privacy_filtering: bool,
    /// Emit [`TypingEffect::Log`] effects.
    pub debug: bool,
}

impl Default for TypingConfig {
    fn default() -> Self {
        Self {
            debounce_ms: DEBOUNCE_MS,
            debounce_max_wait_ms: THROTTLE_MS,
            throttle_ms: THROTTLE_MS,
            typing_timeout_ms: TYPING_TIMEOUT_MS,
            batch_ms: BATCH_MS,
            keepalive_ms: KEEPALIVE_MS,
            privacy_filtering: true,
            debug: false,
        }
    }
}
