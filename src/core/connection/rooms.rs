//! The rooms the app joined: kept in join order, re-joined on every
//! reconnect, dropped when the server refuses them or the app leaves.

use super::{AckError, Connection, ConnectionError, Effect, Kind, Phase};
use crate::core::codec::event_payload;
use crate::core::Millis;

/// The event joining a room, `{roomName}`.
pub(super) const JOIN_EVENT: &str = "room:join";
/// The event leaving a room, `{roomName}`.
pub(super) const LEAVE_EVENT: &str = "room:leave";
/// The answer to a leave while not ready: nothing to leave on the server.
const LEFT_OFFLINE: &str = r#"[{"success":true}]"#;

/// The `[event, {roomName}]` payload.
pub(super) fn room_payload(event: &str, room: &str) -> String {
    let arg = crate::core::json::json!({ "roomName": room }).to_text();
    event_payload(event, Some(&arg))
}

fn check_room(room: &str) -> Result<(), ConnectionError> {
    if room.trim().is_empty() {
        return Err(ConnectionError::BadRoomName(room.into()));
    }
    Ok(())
}

impl Connection {
    /// The rooms the app joined, in join order: re-joined on every reconnect.
    pub fn rooms(&self) -> &[String] {
        &self.rooms
    }

    /// Joins `room`; returns a request id answered by `AckOk` (the server's
    /// ack args) or `AckErr` (`Rejected` with the server's code, which also
    /// removes the room from [`Connection::rooms`]; `Timeout`; `Cancelled`
    /// when the app leaves first). The room is added to the set at once.
    /// Sent now when connected; otherwise not buffered but answered by the
    /// re-join phase of the next connection.
    pub fn join_room(
        &mut self,
        room: &str,
        timeout_ms: Option<Millis>,
        now: Millis,
    ) -> Result<u64, ConnectionError> {
        check_room(room)?;
        if !self.rooms.iter().any(|r| r == room) {
            self.rooms.push(room.to_owned());
        }
        let timeout = timeout_ms.unwrap_or(self.cfg.ack_timeout_ms);
        let request = self.new_request(JOIN_EVENT, timeout, now, Kind::Join(room.to_owned()));
        match self.phase {
            Phase::Live => self.send_event(&room_payload(JOIN_EVENT, room), Some(request)),
            Phase::Rejoining if !self.rejoin_in_flight(room) => self.send_rejoin(room, now),
            _ => {} // parked: the re-join phase answers it
        }
        Ok(request)
    }

    /// Leaves `room`: it is removed from the set at once and joins of it
    /// still waiting for the re-join phase fail with `Cancelled`. Sent with an
    /// ack when the server is ready; otherwise answered at once with
    /// `[{"success":true}]` (the next connection simply does not re-join it).
    pub fn leave_room(
        &mut self,
        room: &str,
        timeout_ms: Option<Millis>,
        now: Millis,
    ) -> Result<u64, ConnectionError> {
        check_room(room)?;
        self.rooms.retain(|r| r != room);
        for request in self.take_parked_joins(room) {
            self.effects.push_back(Effect::AckErr {
                request,
                error: AckError::Cancelled {
                    event: JOIN_EVENT.into(),
                    room: room.to_owned(),
                },
            });
        }
        for r in self.requests.values_mut() {
            if let Kind::Rejoin {
                room: ref name,
                ref mut stale,
            } = r.kind
            {
                if name == room {
                    *stale = true;
                }
            }
        }
        if self.phase < Phase::Rejoining {
            let request = self.next_request_id();
            self.effects.push_back(Effect::AckOk {
                request,
                data: LEFT_OFFLINE.into(),
            });
            return Ok(request);
        }
        let timeout = timeout_ms.unwrap_or(self.cfg.ack_timeout_ms);
        let request = self.new_request(LEAVE_EVENT, timeout, now, Kind::Leave);
        self.send_event(&room_payload(LEAVE_EVENT, room), Some(request));
        Ok(request)
    }

    /// A sent (not stale) re-join of `room` waits for its answer.
    fn rejoin_in_flight(&self, room: &str) -> bool {
        self.requests
            .values()
            .any(|r| matches!(&r.kind, Kind::Rejoin { room: name, stale: false } if name == room))
    }

    /// Removes the app's joins of `room` waiting for the re-join phase; their
    /// ids in order.
    pub(super) fn take_parked_joins(&mut self, room: &str) -> Vec<u64> {
        let ids: Vec<u64> = self
            .requests
            .iter()
            .filter(|(_, r)| {
                r.ack_id.is_none() && matches!(&r.kind, Kind::Join(name) if name == room)
            })
            .map(|(id, _)| *id)
            .collect();
        // In id order already: the map iterates by key.
        for id in &ids {
            self.remove_request(*id);
        }
        ids
    }

    /// The answer to an app join sent while live.
    pub(super) fn on_join_answer(&mut self, request: u64, room: &str, data: &str) {
        match crate::core::ack::classify_ack(data) {
            crate::core::ack::AckOutcome::Rejected { code, message } => {
                self.rooms.retain(|r| r != room);
                self.push_rejected(request, JOIN_EVENT, &code, &message);
            }
            _ => self.effects.push_back(Effect::AckOk {
                request,
                data: data.to_owned(),
            }),
        }
    }

    /// Fails `request` with the server's rejection.
    pub(super) fn push_rejected(&mut self, request: u64, event: &str, code: &str, message: &str) {
        self.effects.push_back(Effect::AckErr {
            request,
            error: AckError::Rejected {
                event: event.into(),
                code: code.into(),
                message: message.into(),
            },
        });
    }
}
