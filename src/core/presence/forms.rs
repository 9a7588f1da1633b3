//! The JSON forms of presence values handed to the app.

use super::{
    CustomStatus, PresenceStatus, PresenceVisibility, PrivacySettings, UserPresence, Visibility,
};
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
