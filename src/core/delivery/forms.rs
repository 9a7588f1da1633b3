//! The JSON forms of delivery statuses and events, as the app sees them.

use super::{DeliveryEvent, DeliveryStatus};
use crate::core::json::{Map, ToJson, Value};

impl DeliveryStatus {
    /// The status's fields, appended to `o`.
    fn fields(&self, o: &mut Map) {
        o.push("clientMessageId", self.client_message_id.as_str());
        o.push("messageId", self.message_id.as_deref());
        o.push("channelId", self.channel_id.as_str());
        o.push("state", self.state.as_str());
        o.push("totalRecipients", self.total_recipients);
        o.push("deliveredCount", self.delivered_count);
        o.push("readCount", self.read_count);
        o.push("deliveredTo", &self.delivered_to);
        o.push("readBy", &self.read_by);
        o.push("error", self.error.as_deref());
        o.push("sentAt", self.sent_at);
        o.push("createdAt", self.created_at);
        o.push("updatedAt", self.updated_at);
    }
}

impl ToJson for DeliveryStatus {
    fn to_json(&self) -> Value {
        let mut o = Map::new();
        self.fields(&mut o);
        Value::Object(o)
    }
}

impl ToJson for DeliveryEvent {
    /// The event's data: the status, `userId` and `at` (the name is
    /// [`DeliveryEvent::name`]).
    fn to_json(&self) -> Value {
        let update = self.update();
        let mut o = Map::new();
        update.status.fields(&mut o);
        o.push("userId", update.user_id.as_deref());
        o.push("at", update.at);
        Value::Object(o)
    }
}
