//! nchat's steps run on their own (`syncChannels`, `syncPresence`), the
//! cancelling of a running reconnect sync (`cancelSync`) and nchat's rule
//! for two versions of a message (`reconcileConflicts`).

use super::steps::channel_list;
use super::*;

impl SyncService {
    /// Asks `sync:channels` outside a reconnect sync; the answer is a
    /// [`SyncEffect::Answer`] `{synced, errors}` with the returned id
    /// (`{synced: 0, errors: 1}` when the request fails, as nchat's).
    pub fn sync_channels(&mut self, now: Millis) -> u64 {
        self.request("sync:channels", json!({}), Kind::Channels, now)
    }

    /// Re-subscribes `user_ids` (`presence:subscribe`) outside a reconnect
    /// sync; answered `{synced}`: how many were acknowledged (0 when the
    /// request fails or there is nobody, as nchat's).
    pub fn sync_presence(&mut self, user_ids: Vec<String>, now: Millis) -> u64 {
        if user_ids.is_empty() {
            self.next_request += 1;
            let request_id = SYNC_REQUEST_TAG | self.next_request;
            self.answer(request_id, json!({ "synced": 0 }));
            return request_id;
        }
        self.request(
            "presence:subscribe",
            json!({ "userIds": &user_ids }),
            Kind::Presence { user_ids },
            now,
        )
    }

    /// Ends the running reconnect sync without completing it: its awaited
    /// request is dropped (a late answer is ignored), `sync_status` is
    /// `idle` again and `sync:failed {syncId, error: "cancelled"}` is
    /// emitted. Returns its id; `None` when none runs.
    pub fn cancel_sync(&mut self) -> Option<u64> {
        let run = self.run.take()?;
        if let Waiting::Request(id) = run.waiting {
            self.pending.remove(&id);
        }
        self.completed = false;
        self.emit(SyncEvent::Failed {
            sync_id: run.sync_id,
            error: "cancelled",
        });
        Some(run.sync_id)
    }

    pub(super) fn answer(&mut self, request_id: u64, value: Value) {
        self.effects
            .push_back(SyncEffect::Answer { request_id, value });
    }

    pub(super) fn answer_channels(&mut self, request_id: u64, outcome: Result<&Value, String>) {
        let (synced, errors) = match channel_list(outcome) {
            Ok((channels, bad)) => (to_u32(channels.len()), bad),
            Err(_) => (0, 1),
        };
        self.answer(request_id, json!({ "synced": synced, "errors": errors }));
    }
}

/// nchat's rule of `reconcileConflicts(local, remote)`: whether the
/// server's version wins, as it does when it is as recent or more
/// (`updatedAt`, else `createdAt`) or `isEdited`. A time that does not
/// parse compares false, as nchat's `NaN` does.
pub fn reconcile(local: &Value, remote: &Value) -> bool {
    let at = |m: &Value| {
        m.get("updatedAt")
            .filter(|v| !v.is_null())
            .or_else(|| m.get("createdAt"))
            .and_then(time::parse)
    };
    remote.get("isEdited").and_then(Value::as_bool) == Some(true)
        || matches!((at(remote), at(local)), (Some(r), Some(l)) if r >= l)
}
