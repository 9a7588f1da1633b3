//! The JSON forms of presence values handed to the app, and the words of
//! its errors.

use super::{
    CustomStatus, PresenceError, PresenceStatus, PresenceVisibility, PrivacySettings, UserPresence,
    Visibility,
};
use crate::core::decimal::{cat, display_for_tests};
use crate::core::json::quote;
use crate::core::json::{to_json_by_name, Map, ToJson, Value};

to_json_by_name!(PresenceStatus, Visibility);

impl ToJson for CustomStatus {
    /// `{text?, emoji?, expiresAt?}` (`expiresAt` in ms).
    fn to_json(&self) -> Value {
        let mut o = Map::new();
        o.push_opt("text", self.text.as_deref());
        o.push_opt("emoji", self.emoji.as_deref());
        o.push_opt("expiresAt", self.expires_at);
        Value::Object(o)
    }
}

impl ToJson for UserPresence {
    fn to_json(&self) -> Value {
        let mut o = Map::new();
        o.push("userId", self.user_id.as_str());
        o.push("status", self.status.as_str());
        o.push_opt(
            "customStatus",
            self.custom_status.as_ref().map(ToJson::to_json),
        );
        o.push_opt("lastSeenAt", self.last_seen_at);
        Value::Object(o)
    }
}

impl ToJson for PrivacySettings {
    fn to_json(&self) -> Value {
        let mut o = Map::new();
        o.push("visibility", self.visibility.as_str());
        o.push("showOnlineStatus", self.show_online_status);
        o.push("showLastSeen", self.show_last_seen);
        o.push("allowReadReceipts", self.allow_read_receipts);
        o.push("invisibleMode", self.invisible_mode);
        Value::Object(o)
    }
}

impl ToJson for PresenceVisibility {
    fn to_json(&self) -> Value {
        let mut o = Map::new();
        o.push("canViewPresence", self.can_view_presence);
        o.push("canViewOnlineStatus", self.can_view_online_status);
        o.push("canViewLastSeen", self.can_view_last_seen);
        o.push("isContact", self.is_contact);
        o.push("isInvisible", self.is_invisible);
        Value::Object(o)
    }
}

impl PresenceError {
    /// A stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            PresenceError::UnknownStatus(_) => "unknown_status",
            PresenceError::UnknownVisibility(_) => "unknown_visibility",
            PresenceError::CustomStatusExpired { .. } => "custom_status_expired",
            PresenceError::InvalidCustomStatus(_) => "invalid_custom_status",
            PresenceError::CustomStatusExpiryOutOfRange(_) => "custom_status_expiry_out_of_range",
            PresenceError::EmptyCustomStatus => "empty_custom_status",
            PresenceError::EmptyUserId => "empty_user_id",
            PresenceError::TooManySubscriptions { .. } => "too_many_subscriptions",
            PresenceError::OwnSettings(_) => "own_settings",
            PresenceError::InvalidPayload { .. } => "invalid_payload",
        }
    }

    /// What went wrong, in words.
    pub fn message(&self) -> String {
        match self {
            PresenceError::UnknownStatus(s) => cat!(
                "unknown presence status ",
                quote(s),
                ": expected one of online, away, busy, offline"
            ),
            PresenceError::UnknownVisibility(s) => cat!(
                "unknown visibility ",
                quote(s),
                ": expected one of everyone, contacts, nobody"
            ),
            PresenceError::CustomStatusExpired { expires_at, now } => cat!(
                "custom status expiry ",
                expires_at,
                " ms is not after now (",
                now,
                " ms): give a future expiresAt, or none for a status that does not expire"
            ),
            PresenceError::InvalidCustomStatus(why) => why.clone(),
            PresenceError::CustomStatusExpiryOutOfRange(ms) => cat!(
                "custom status expiry ",
                ms,
                " ms is past the largest date (+275760-09-13)"
            ),
            PresenceError::EmptyCustomStatus => {
                "custom status needs a text or an emoji; use clear_custom_status to remove it"
                    .into()
            }
            PresenceError::EmptyUserId => "user id must not be empty".into(),
            PresenceError::TooManySubscriptions {
                current,
                requested,
                limit,
            } => cat!(
                "cannot subscribe to ",
                requested,
                " more users: ",
                current,
                " already subscribed and the limit is ",
                limit,
                "; unsubscribe from some users first"
            ),
            PresenceError::OwnSettings(id) => cat!(
                quote(id),
                " is the current user: change your own settings with update_settings"
            ),
            PresenceError::InvalidPayload { event, reason } => {
                cat!("dropped malformed ", event, " payload: ", reason)
            }
        }
    }
}

display_for_tests!(PresenceError);
