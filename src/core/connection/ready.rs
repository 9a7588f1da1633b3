//! From the namespace CONNECT to `Connected`: the ready event, then the
//! re-join of every room the app joined, answered before any buffered app
//! traffic is flushed.

use super::identity::{event_object, event_user_id};
use super::rooms::JOIN_EVENT;
use super::{ConnState, Connection, Effect, Kind, Phase, REJOIN_TIMEOUT_CODE};
use crate::core::ack::{classify_ack, AckOutcome};
use crate::core::Millis;

/// The event that reports who the server authenticated (older servers).
const AUTHENTICATED_EVENT: &str = "authenticated";

impl Connection {
    pub(super) fn on_namespace_connected(&mut self, data: Option<&str>, now: Millis) {
        if self.phase != Phase::Handshaken {
            return self.protocol_error(crate::core::codec::CodecError::BadPayload {
                kind: "CONNECT",
                reason: "a namespace CONNECT outside the handshake is ignored".into(),
            });
        }
        let sid = data
            .and_then(|d| crate::core::json::from_str(d).ok())
            .and_then(|o| o.get("sid").and_then(|s| s.as_str()).map(str::to_owned))
            .unwrap_or_default();
        self.sid = Some(sid);
        self.phase = Phase::AwaitingReady;
        if self.cfg.ready_event.is_none() {
            self.on_ready(now);
        }
    }

    pub(super) fn on_event(&mut self, name: String, data: &str, ack_id: Option<u64>, now: Millis) {
        if name == super::probe::PROBE_REPLY {
            self.finish_probe(now);
        }
        let ready =
            self.phase == Phase::AwaitingReady && self.cfg.ready_event.as_deref() == Some(&name);
        if ready || name == AUTHENTICATED_EVENT {
            if let Some(id) = event_user_id(data) {
                self.user_id = Some(id);
            }
        }
        if name == AUTHENTICATED_EVENT {
            self.authenticated = event_object(data);
        }
        self.effects.push_back(Effect::Event {
            name,
            data: data.to_owned(),
            ack_id,
        });
        if ready {
            self.on_ready(now);
        }
    }

    /// The server is ready: re-join every room, then go live.
    pub(super) fn on_ready(&mut self, now: Millis) {
        self.phase = Phase::Rejoining;
        self.connect_deadline = None;
        for room in self.rooms.clone() {
            self.send_rejoin(&room, now);
        }
        self.maybe_go_live(now);
    }

    /// Sends the connection's own `room:join` for `room`; going live waits for it.
    pub(super) fn send_rejoin(&mut self, room: &str, now: Millis) {
        let kind = Kind::Rejoin {
            room: room.to_owned(),
            stale: false,
        };
        let request = self.new_request(JOIN_EVENT, self.cfg.ack_timeout_ms, now, kind);
        self.rejoin_wait.insert(request);
        self.send_event(&super::rooms::room_payload(JOIN_EVENT, room), Some(request));
    }

    /// A re-join was answered: the app's joins parked for the room share the
    /// answer; a rejection drops the room from the set.
    /// A `stale` re-join (the app left the room meanwhile) only stops being awaited.
    pub(super) fn on_rejoin_answer(
        &mut self,
        request: u64,
        (room, stale): (&str, bool),
        data: &str,
        now: Millis,
    ) {
        self.rejoin_wait.remove(&request);
        if !stale && self.rooms.iter().any(|r| r == room) {
            let parked = self.take_parked_joins(room);
            match classify_ack(data) {
                AckOutcome::Rejected { code, message } => {
                    self.rooms.retain(|r| r != room);
                    for &id in &parked {
                        self.push_rejected(id, JOIN_EVENT, &code, &message);
                    }
                    if parked.is_empty() {
                        self.effects.push_back(Effect::RejoinFailed {
                            room: room.to_owned(),
                            code,
                            message,
                        });
                    }
                }
                AckOutcome::Accepted { .. } | AckOutcome::Malformed { .. } => {
                    self.effects.push_back(Effect::Rejoined {
                        room: room.to_owned(),
                        data: data.to_owned(),
                    });
                    for request in parked {
                        self.effects.push_back(Effect::AckOk {
                            request,
                            data: data.to_owned(),
                        });
                    }
                }
            }
        }
        self.maybe_go_live(now);
    }

    /// A re-join was not answered in time: the room stays in the set (the
    /// server did not refuse it) and is tried again on the next reconnect.
    pub(super) fn on_rejoin_timeout(
        &mut self,
        request: u64,
        (room, stale): (&str, bool),
        timeout_ms: Millis,
        now: Millis,
    ) {
        self.rejoin_wait.remove(&request);
        if !stale && self.rooms.iter().any(|r| r == room) {
            let parked = self.take_parked_joins(room);
            if parked.is_empty() {
                self.effects.push_back(Effect::RejoinFailed {
                    room: room.to_owned(),
                    code: REJOIN_TIMEOUT_CODE.into(),
                    message: crate::core::decimal::cat!(
                        "no answer to ",
                        JOIN_EVENT,
                        " within ",
                        timeout_ms,
                        " ms"
                    ),
                });
            }
            for request in parked {
                self.effects.push_back(Effect::AckErr {
                    request,
                    error: super::AckError::Timeout {
                        event: JOIN_EVENT.into(),
                        timeout_ms,
                    },
                });
            }
        }
        self.maybe_go_live(now);
    }

    fn maybe_go_live(&mut self, now: Millis) {
        if self.phase == Phase::Rejoining && self.rejoin_wait.is_empty() {
            self.go_live(now);
        }
    }

    /// Ready and re-joined: report `Connected`, then flush the buffer in order.
    fn go_live(&mut self, now: Millis) {
        self.phase = Phase::Live;
        self.wire_live();
        let reconnected = self.ever_connected;
        self.ever_connected = true;
        let attempts = std::mem::take(&mut self.attempts);
        self.set_state(ConnState::Connected);
        self.effects.push_back(Effect::Connected {
            sid: self.sid.clone().unwrap_or_default(),
            reconnected,
            attempts,
            was_offline: self.was_offline,
        });
        if self.cfg.quality_interval_ms > 0 {
            self.quality_at = Some(now);
        }
        while let Some(b) = self.buffer.pop_front() {
            if let Some(r) = b.request {
                if !self.requests.contains_key(&r) {
                    continue; // timed out while waiting
                }
            }
            self.send_event(&b.data, b.request);
        }
        self.send_waiting_probe(now);
    }
}
