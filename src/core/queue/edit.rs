//! nchat's `updateQueuedMessage`: a queued message's text changed before it is sent.

use super::{touch, OfflineQueueService, QueueError};
use crate::core::Millis;

impl OfflineQueueService {
    /// Replaces the content of queued message `id` (stored at once, so
    /// every tab sends the new text). Returns `false` when there is no such
    /// message, or it is being sent now (what goes out cannot change).
    /// Blank text on a message without attachments is refused as
    /// `queue_message` refuses it: stored, it would be set aside at the next
    /// load instead of sent.
    pub fn update_content(
        &mut self,
        id: &str,
        content: &str,
        now: Millis,
    ) -> Result<bool, QueueError> {
        self.retry_unwritten(now);
        if self.is_in_flight(id) || !self.recheck(id, now) {
            return Ok(false);
        }
        let Some(entry) = self.position(id).and_then(|p| self.entries.get_mut(p)) else {
            return Ok(false);
        };
        super::persist::check_body(content, &entry.msg.attachments)
            .map_err(QueueError::InvalidMessage)?;
        content.clone_into(&mut entry.msg.content);
        touch(&mut entry.msg, now);
        self.write_update(id);
        Ok(true)
    }
}
