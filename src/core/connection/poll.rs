//! The polling fallback (`GET /poll?channelId=…&since=…`, seed `002_*`):
//! the connect answer stands for `init` and `connection`, then each joined
//! room is asked for its events every poll interval, one request at a time,
//! with the server's own `now` as the next `since`.

use super::http::encode;
use super::{Connection, DisconnectReason, Phase, Transport};
use crate::core::decimal::cat;
use crate::core::json::{self, Value};
use crate::core::Millis;

/// Ids of polled events kept to drop them when they come again (an event to
/// everyone is in every room's answer, with the same id).
const POLL_IDS_KEPT: usize = 1_000;

impl Connection {
    /// The polling connect: its `init` stands for `init` and `connection`.
    pub(super) fn on_connect_answer(&mut self, status: u16, body: &str, now: Millis) {
        if self.wire.active == Transport::Polling && self.open_answer(status, body, now) {
            let v = json::from_str(body).unwrap_or_default();
            self.on_init(&v["data"], now);
            self.wire.poll_at = Some(now.saturating_add(self.cfg.poll_interval_ms));
            self.on_ready(now);
        }
    }

    /// Starts a round of polls when due.
    pub(super) fn poll_timeout(&mut self, now: Millis) {
        if self.phase == Phase::Live && self.wire.poll_at.is_some_and(|d| now >= d) {
            self.wire.poll_at = None;
            self.wire.round = self.rooms.clone();
            self.pump_polls(now);
        }
    }

    /// Polls the next room of the round; after the last, the next round's time.
    pub(super) fn pump_polls(&mut self, now: Millis) {
        let Some(room) = self.wire.round.pop() else {
            self.wire.poll_at = Some(now.saturating_add(self.cfg.poll_interval_ms));
            return;
        };
        let since = self
            .wire
            .since
            .iter()
            .find(|(r, _)| *r == room)
            .map(|(_, s)| *s)
            .or(self.wire.server_now);
        let mut path = cat!("/poll?channelId=", encode(&room));
        if let Some(since) = since {
            path.push_str("&since=");
            crate::core::decimal::push_u64(&mut path, since);
        }
        let id = self.wire.id();
        self.http(id, "GET", &path, None, None);
        self.wire.polling = Some((id, room));
    }

    pub(super) fn on_poll_answer(&mut self, room: &str, status: u16, body: &str, now: Millis) {
        if self.phase != Phase::Live {
            return;
        }
        match status {
            200..=299 => {
                let mut v = json::from_str(body).unwrap_or_default();
                if let Some(t) = v["now"].as_u64() {
                    match self.wire.since.iter_mut().find(|(r, _)| r == room) {
                        Some(s) => s.1 = t,
                        None => self.wire.since.push((room.to_owned(), t)),
                    }
                    self.wire.server_now = self.wire.server_now.max(Some(t));
                }
                let events = match v.get_mut("events").map(Value::take) {
                    Some(Value::Array(events)) => events,
                    _ => Vec::new(),
                };
                for e in events {
                    if self.phase != Phase::Live {
                        return;
                    }
                    self.take_event(e, None, now);
                }
            }
            401 => return self.unauthorized(body, now),
            0 | 404 => return self.drop_transport(DisconnectReason::TransportClose, now),
            _ => {}
        }
        self.pump_polls(now);
    }

    /// A polled event's `id` was not taken yet (kept if so).
    pub(super) fn poll_fresh(&mut self, id: Option<&str>) -> bool {
        let Some(id) = id else {
            return true;
        };
        let seen = &mut self.wire.seen;
        if seen.iter().any(|s| s == id) {
            return false;
        }
        if seen.len() >= POLL_IDS_KEPT {
            seen.remove(0);
        }
        seen.push(id.to_owned());
        true
    }
}
