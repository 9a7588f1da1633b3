//! Incoming receipts (`message:delivered`, `message:read`, nchat's
//! `message:batch-read`, `message:ack`, `message:sent`, `message:failed`),
//! read acks and the `delivery:sync` re-sync.

use super::*;

impl DeliveryEventHandler {
    // ------------------------------------------------------------------
    // Incoming receipts
    // ------------------------------------------------------------------

    /// Handles a server `message:delivered {messageId, clientMessageId, roomName,
    /// userId, deliveredAt}`. Malformed or unknown payloads return `Err` and
    /// change nothing.
    pub fn on_delivered(&mut self, payload: &Value, now: Millis) -> Result<(), DeliveryError> {
        self.on_receipt(Receipt::Delivered, payload, now)
    }

    /// Handles a server `message:read {messageId, clientMessageId, roomName,
    /// userId, readAt}` (a reader also counts as delivered).
    pub fn on_read(&mut self, payload: &Value, now: Millis) -> Result<(), DeliveryError> {
        self.on_receipt(Receipt::Read, payload, now)
    }

    pub(super) fn on_receipt(
        &mut self,
        kind: Receipt,
        payload: &Value,
        now: Millis,
    ) -> Result<(), DeliveryError> {
        let (event, at_field) = match kind {
            Receipt::Delivered => ("message:delivered", "deliveredAt"),
            Receipt::Read => ("message:read", "readAt"),
        };
        let malformed = |reason: &str| DeliveryError::MalformedPayload {
            event: event.to_owned(),
            reason: reason.to_owned(),
        };
        if !payload.is_object() {
            return Err(malformed("expected an object"));
        }
        let user = str_field(payload, "userId").ok_or_else(|| malformed("missing userId"))?;
        let mid = str_field(payload, "messageId");
        let cid = str_field(payload, "clientMessageId");
        if mid.is_none() && cid.is_none() {
            return Err(malformed("missing messageId and clientMessageId"));
        }
        let at = payload.get(at_field).and_then(time::parse).unwrap_or(now);
        let key = cid
            .filter(|c| self.records.contains_key(*c))
            .map(str::to_owned)
            .or_else(|| mid.and_then(|m| self.by_server_id.get(m).cloned()))
            .ok_or_else(|| {
                DeliveryError::UnknownMessage(mid.or(cid).unwrap_or_default().to_owned())
            })?;
        if let Some(m) = mid {
            self.map_server_id(&key, m);
        }
        let user = user.to_owned();
        self.apply_receipts(
            &key,
            kind,
            std::slice::from_ref(&user),
            at,
            Some(&user),
            now,
        );
        Ok(())
    }

    /// Adds recipients and moves the state forward; emits an event when
    /// anything changed.
    pub(super) fn apply_receipts(
        &mut self,
        cid: &str,
        kind: Receipt,
        users: &[String],
        at: Millis,
        user_id: Option<&String>,
        now: Millis,
    ) -> bool {
        let Some(rec) = self.records.get_mut(cid) else {
            return false;
        };
        let mut grew = false;
        for u in users {
            grew |= rec.delivered_to.insert(u.clone());
            if kind == Receipt::Read {
                grew |= rec.read_by.insert(u.clone());
            }
        }
        let target = match kind {
            Receipt::Delivered => DeliveryState::Delivered,
            Receipt::Read => DeliveryState::Read,
        };
        // An empty user list can still move the state (the server says so).
        let moved = rec.state.can_transition_to(target);
        if moved {
            rec.state = target;
            rec.error = None;
        }
        if !(grew || moved) {
            return false;
        }
        rec.updated_at = now;
        let update = DeliveryUpdate {
            status: rec.status(),
            user_id: user_id.cloned(),
            at,
        };
        let event = match kind {
            Receipt::Delivered => DeliveryEvent::Delivered(update),
            Receipt::Read => DeliveryEvent::Read(update),
        };
        self.effects.push_back(DeliveryEffect::Event(event));
        true
    }

    // ------------------------------------------------------------------
    // Read acknowledgements
    // ------------------------------------------------------------------

    /// Queues a read ack for `message_id` (server id) in `channel_id`. Acks are
    /// collected for `read_batch_ms` after the first one, then one
    /// `message:batch-read-ack {messageIds, channelId, readAt}` is emitted per
    /// channel; duplicate ids in a batch are folded. Without `batch_read_ack`
    /// each goes at once as `message:read-ack {messageId, channelId, readAt}`.
    /// Held while disconnected.
    pub fn acknowledge_read(
        &mut self,
        message_id: &str,
        channel_id: &str,
        now: Millis,
    ) -> Result<(), DeliveryError> {
        non_empty("messageId", message_id)?;
        non_empty("channelId", channel_id)?;
        let ids = self.read_batch.entry(channel_id.to_owned()).or_default();
        if !ids.iter().any(|i| i == message_id) {
            ids.push(message_id.to_owned());
        }
        if !self.config.batch_read_ack {
            self.flush_read_acks(now);
        } else if self.read_deadline.is_none() {
            self.read_deadline = Some(now.saturating_add(self.config.read_batch_ms));
        }
        Ok(())
    }

    /// Emits the pending read acks now (e.g. before the page is hidden). Held
    /// back while disconnected.
    pub fn flush_read_acks(&mut self, now: Millis) {
        self.read_deadline = None;
        if !self.connected {
            return;
        }
        let read_at = time::to_json(now);
        for (channel, ids) in std::mem::take(&mut self.read_batch) {
            if self.config.batch_read_ack {
                self.effects.push_back(DeliveryEffect::Send {
                    event: "message:batch-read-ack".into(),
                    payload: json!({ "messageIds": ids, "channelId": channel, "readAt": read_at.clone() }),
                });
                continue;
            }
            for id in ids {
                self.effects.push_back(DeliveryEffect::Send {
                    event: "message:read-ack".into(),
                    payload: json!({ "messageId": id, "channelId": channel.as_str(), "readAt": read_at.clone() }),
                });
            }
        }
    }

    /// Number of read acks waiting for the next batch.
    pub fn pending_read_acks(&self) -> usize {
        self.read_batch.values().map(Vec::len).sum()
    }

    // ------------------------------------------------------------------
    // Status synchronisation
    // ------------------------------------------------------------------

    /// Asks the server for the statuses of `ids` (client or server ids;
    /// client ids are translated when their server id is known). Returns the
    /// request ids (one per 200 ids; empty when `ids` is empty).
    pub fn sync_delivery_status(&mut self, ids: &[String], now: Millis) -> Vec<u64> {
        let mut wire_ids: Vec<String> = Vec::new();
        for id in ids {
            if id.is_empty() {
                continue;
            }
            let server = self
                .records
                .get(id)
                .and_then(|r| r.message_id.clone())
                .unwrap_or_else(|| id.clone());
            if !wire_ids.contains(&server) {
                wire_ids.push(server);
            }
        }
        let mut out = Vec::new();
        for chunk in wire_ids.chunks(STATUS_CHUNK) {
            self.next_request += 1;
            let request_id = DELIVERY_REQUEST_TAG | self.next_request;
            self.requests.insert(
                request_id,
                now.saturating_add(self.config.request_timeout_ms),
            );
            self.effects.push_back(DeliveryEffect::Request {
                request_id,
                event: EVENT_SYNC.into(),
                payload: json!({ "messageIds": chunk }),
                timeout_ms: self.config.request_timeout_ms,
            });
            out.push(request_id);
        }
        out
    }

    /// The ack of a `delivery:sync` request (`Err(text)` for a timeout or
    /// disconnect). Statuses only move forward; unknown ids are ignored.
    pub fn on_response(
        &mut self,
        request_id: u64,
        result: Result<Value, String>,
        now: Millis,
    ) -> Result<(), DeliveryError> {
        if self.requests.remove(&request_id).is_none() {
            return Err(DeliveryError::UnknownRequest(request_id));
        }
        let data = parse_ack(&result).map_err(|e| match e {
            AckError::Malformed(r) => DeliveryError::MalformedPayload {
                event: EVENT_SYNC.into(),
                reason: r,
            },
            other => DeliveryError::RequestFailed(other.message()),
        })?;
        self.apply_statuses(data, now)
    }

    fn apply_statuses(&mut self, data: &Value, now: Millis) -> Result<(), DeliveryError> {
        let statuses = data
            .get("statuses")
            .and_then(Value::as_array)
            .ok_or_else(|| DeliveryError::MalformedPayload {
                event: EVENT_SYNC.into(),
                reason: "missing statuses array".into(),
            })?;
        for st in statuses {
            self.apply_status(st, now);
        }
        Ok(())
    }

    /// A server event for delivery, by name: the receipts `message:delivered`
    /// and `message:read`; nchat's `delivery:sync-response` (the answer of
    /// the oldest pending `delivery:sync`, the server answering in order,
    /// which then ends with [`DeliveryEffect::Settled`]; or unasked news),
    /// `message:batch-read` (each id read by `userId`), `message:ack` (a
    /// status), `message:sent` (the server's id) and `message:failed`.
    /// Unknown messages are ignored, except where the client's own id is
    /// named (receipts, `message:sent`, `message:failed`: an error).
    pub fn on_server_event(
        &mut self,
        name: &str,
        p: &Value,
        now: Millis,
    ) -> Result<(), DeliveryError> {
        let cid = str_field(p, "clientMessageId").unwrap_or_default();
        match name {
            "message:delivered" => self.on_receipt(Receipt::Delivered, p, now)?,
            "message:read" => self.on_receipt(Receipt::Read, p, now)?,
            EVENT_SYNC_RESPONSE => {
                self.apply_statuses(p, now)?;
                if let Some((request_id, _)) = self.requests.pop_first() {
                    self.effects
                        .push_back(DeliveryEffect::Settled { request_id });
                }
            }
            EVENT_ACK => self.apply_status(p, now),
            EVENT_SENT => {
                let at = p.get("sentAt").and_then(time::parse).unwrap_or(now);
                self.on_sent(cid, str_field(p, "messageId"), at, now)?
            }
            EVENT_FAILED => {
                let why = str_field(p, "errorMessage").or(str_field(p, "errorCode"));
                self.on_failed(cid, why.unwrap_or_default(), now)?
            }
            _ => {
                let user = str_field(p, "userId").map(str::to_owned);
                let ids = p.get("messageIds").and_then(Value::as_array);
                let (Some(user), Some(ids)) = (user, ids) else {
                    return Err(DeliveryError::MalformedPayload {
                        event: name.into(),
                        reason: "missing userId or messageIds".into(),
                    });
                };
                let at = p.get("readAt").and_then(time::parse).unwrap_or(now);
                for id in ids.iter().filter_map(Value::as_str) {
                    if let Some(key) = self.resolve(id) {
                        let users = std::slice::from_ref(&user);
                        self.apply_receipts(&key, Receipt::Read, users, at, Some(&user), now);
                    }
                }
            }
        }
        Ok(())
    }

    pub(super) fn apply_status(&mut self, st: &Value, now: Millis) {
        let mid = str_field(st, "messageId");
        let cid = str_field(st, "clientMessageId");
        let key = cid
            .filter(|c| self.records.contains_key(*c))
            .map(str::to_owned)
            .or_else(|| mid.and_then(|m| self.resolve(m)));
        let Some(key) = key else {
            return;
        };
        if let Some(m) = mid {
            self.map_server_id(&key, m);
        }
        let users = |name: &str| -> Vec<String> {
            st.get(name)
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(Value::as_str)
                        .filter(|s| !s.is_empty())
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default()
        };
        let delivered = users("deliveredTo");
        let read = users("readBy");
        let state = st
            .get("status")
            .or_else(|| st.get("state"))
            .and_then(Value::as_str)
            .unwrap_or("");
        if state == "failed" {
            let _ = self.on_failed(&key, "Sync reported failure", now);
        }
        if state == "sent" {
            if let Some(rec) = self.records.get_mut(&key) {
                if let Some(update) = rec.become_sent(now, now) {
                    self.effects
                        .push_back(DeliveryEffect::Event(DeliveryEvent::Sent(update)));
                }
            }
        }
        if state == "delivered" || !delivered.is_empty() {
            self.apply_receipts(&key, Receipt::Delivered, &delivered, now, None, now);
        }
        if state == "read" || !read.is_empty() {
            self.apply_receipts(&key, Receipt::Read, &read, now, None, now);
        }
    }
}
