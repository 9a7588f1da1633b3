//! The SSE backend's wire (`docs/sse-wire.md`) behind the same phases as
//! Socket.IO: the stream (or the polling connect) opens the link, `init`
//! names the session, `connection` is the ready event; sends are HTTP
//! POSTs, one at a time and in order; a polling link asks each joined room
//! for its events every poll interval. Replayed events are dropped by id,
//! a 401 asks the app for a fresh token, and a transport that cannot be
//! opened twice in a row gives way to the next one.

use super::{
    AckError, Buffered, Connection, DisconnectReason, Effect, HttpRequest, Phase, Transport,
};
use crate::core::codec::event_payload;
use crate::core::decimal::cat;
use crate::core::fifo::Fifo;
use crate::core::json::{self, Value};
use crate::core::sse::{SseEvent, SseParser};
use crate::core::Millis;

mod rules;
pub(super) use rules::encode;
use rules::{emit_body, fresh, http_error, map_event};

/// The liveness window of a stream whose `init` gives no ping settings
/// (Socket.IO's defaults: 25 s interval, 20 s timeout).
const DEFAULT_PING_WINDOW: Millis = 45_000;
/// Failed opens in a row before falling back to the next transport.
const FALLBACK_AFTER: u32 = 2;
/// The stream's path.
const STREAM: &str = "/api/realtime/stream";

/// The HTTP side of a connection (unused while Socket.IO runs).
pub(super) struct Wire {
    pub(super) active: Transport,
    pub(super) base: String,
    pub(super) failures: u32,
    /// The active transport opened a link since `connect()`: it works, so
    /// later failed opens are the server's (a restart), not a reason to
    /// fall back.
    pub(super) worked: bool,
    pub(super) token: String,
    pub(super) parser: SseParser,
    /// The id (`<session>.<seq>`) of the stream's last event taken.
    pub(super) last: Option<String>,
    /// Sends waiting for their turn, and the one in flight with its HTTP id.
    pub(super) queue: Fifo<Buffered>,
    pub(super) sending: Option<(u64, Buffered)>,
    pub(super) next_id: u64,
    /// The polling connect in flight.
    pub(super) connecting: Option<u64>,
    pub(super) poll_at: Option<Millis>,
    /// Rooms left in this round of polls, and the poll in flight.
    pub(super) round: Vec<String>,
    pub(super) polling: Option<(u64, String)>,
    /// Per room polled: the server's `now` of its last answer.
    pub(super) since: Vec<(String, u64)>,
    /// The ids of the polled events taken, oldest first.
    pub(super) seen: Vec<String>,
    /// The server's clock as last stated (the `since` of a new room).
    pub(super) server_now: Option<u64>,
    /// A fresh token was asked for and not given yet.
    pub(super) awaiting_token: bool,
    /// A token was asked for since the link was last live: a second 401 is a refusal.
    pub(super) refreshed: bool,
}

impl Wire {
    pub(super) fn new(active: Transport, url: &str) -> Self {
        let url = url.trim_end_matches('/');
        let base = match url.strip_prefix("ws") {
            Some(rest) if rest.starts_with("://") || rest.starts_with("s://") => cat!("http", rest),
            _ => url.to_owned(),
        };
        Self {
            active,
            base,
            failures: 0,
            worked: false,
            token: String::new(),
            parser: SseParser::new(),
            last: None,
            queue: Fifo::new(),
            sending: None,
            next_id: 1,
            connecting: None,
            poll_at: None,
            round: Vec::new(),
            polling: None,
            since: Vec::new(),
            seen: Vec::new(),
            server_now: None,
            awaiting_token: false,
            refreshed: false,
        }
    }

    /// A link opened on the active transport: it works.
    pub(super) fn opened(&mut self) {
        self.failures = 0;
        self.worked = true;
    }

    pub(super) fn id(&mut self) -> u64 {
        let id = self.next_id;
        self.next_id = id.wrapping_add(1).max(1);
        id
    }
}

impl Connection {
    /// Keeps the token for the HTTP wire.
    pub(super) fn set_wire_token(&mut self, token: &str) {
        self.wire.token = token.to_owned();
    }

    /// `connect` starts over with the configured transport and a new session.
    pub(super) fn reset_wire(&mut self) {
        let w = &mut self.wire;
        w.failures = 0;
        w.worked = false;
        w.last = None;
        w.awaiting_token = false;
        w.refreshed = false;
        if w.active != self.cfg.transport {
            w.active = self.cfg.transport;
            self.effects.push_back(Effect::TransportChanged {
                transport: w.active,
                reason: "connect",
            });
        }
    }

    /// Opens an attempt on the current transport.
    pub(super) fn open_transport(&mut self) {
        match self.wire.active {
            Transport::SocketIo => {
                let url = self.ws_url.clone();
                self.effects.push_back(Effect::Open { url });
            }
            Transport::Sse => {
                self.wire.parser = SseParser::new();
                self.ping_window = DEFAULT_PING_WINDOW;
                let last = self.wire.last.clone();
                self.http(HttpRequest::STREAM, "GET", STREAM, None, last);
            }
            Transport::Polling => {
                let id = self.wire.id();
                self.wire.connecting = Some(id);
                self.http(id, "POST", "/api/realtime/connect", None, None);
            }
        }
    }

    /// The effect closing the current transport.
    pub(super) fn close_effect(&self) -> Effect {
        match self.wire.active {
            Transport::SocketIo => Effect::Close,
            _ => Effect::CloseStream,
        }
    }

    /// Queues the request `id` to `path` (the stream, without a session,
    /// when `id` is [`HttpRequest::STREAM`]).
    pub(super) fn http(
        &mut self,
        id: u64,
        method: &'static str,
        path: &str,
        body: Option<String>,
        last_event_id: Option<String>,
    ) {
        let session = self.sid.clone().filter(|_| id != HttpRequest::STREAM);
        self.effects.push_back(Effect::Http(HttpRequest {
            id,
            method,
            url: cat!(self.wire.base, path),
            token: self.wire.token.clone(),
            session,
            body,
            last_event_id,
        }));
    }

    /// `disconnect()` over HTTP: the server ends the session at once.
    pub(super) fn end_session(&mut self) {
        let id = self.wire.id();
        self.http(id, "DELETE", "/api/realtime/session", None, None);
    }

    /// An attempt failed before its handshake: after the second in a row
    /// the next transport takes over (from the next attempt on).
    pub(super) fn open_failed(&mut self) {
        let w = &mut self.wire;
        if w.worked {
            return;
        }
        w.failures = w.failures.saturating_add(1);
        let (next, reason) = match w.active {
            Transport::SocketIo => (Transport::Sse, "websocket unavailable"),
            Transport::Sse => (Transport::Polling, "stream unavailable"),
            // Nothing opens: back to the configured one (a server down for a
            // while must not leave a Socket.IO client polling for good).
            Transport::Polling if self.cfg.transport != Transport::Polling => {
                (self.cfg.transport, "polling unavailable")
            }
            Transport::Polling => return,
        };
        if w.failures >= FALLBACK_AFTER {
            w.failures = 0;
            w.worked = false;
            w.active = next;
            self.effects.push_back(Effect::TransportChanged {
                transport: next,
                reason,
            });
        }
    }

    /// The link is lost: sends not yet made count as made (the Socket.IO
    /// rules of a lost link apply to them: resent or failed), plain emits go
    /// back to the buffer; polls stop. The send in flight keeps the slot
    /// until it is answered, so order holds.
    pub(super) fn wire_lost(&mut self) {
        for b in self.wire.queue.take_all().into_iter().rev() {
            match b.request.and_then(|r| self.requests.get_mut(&r)) {
                Some(r) => r.ack_id = Some(0),
                None if b.request.is_none() => self.buffer.push_front(b),
                None => {}
            }
        }
        let w = &mut self.wire;
        w.connecting = None;
        w.polling = None;
        w.round.clear();
        w.poll_at = None;
    }

    /// Queues an event for the HTTP wire (Socket.IO `send_event`'s twin).
    pub(super) fn http_send(&mut self, data: &str, request: Option<u64>) {
        self.wire.queue.push_back(Buffered {
            data: data.to_owned(),
            request,
        });
        self.pump_sends();
    }

    /// Sends the next queued event when none is in flight.
    fn pump_sends(&mut self) {
        if self.wire.sending.is_some() {
            return;
        }
        let Some(b) = self.wire.queue.pop_front() else {
            return;
        };
        let id = self.wire.id();
        if let Some(r) = b.request.and_then(|r| self.requests.get_mut(&r)) {
            r.ack_id = Some(id);
        }
        let body = emit_body(&b.data, b.request.is_some());
        self.http(id, "POST", "/api/realtime/emit", Some(body), None);
        self.wire.sending = Some((id, b));
    }

    /// One report of the host's exchange `id` (see [`HttpRequest::STATUS`]):
    /// the stream's, or a request's answer.
    pub fn on_fetch(&mut self, id: u64, kind: u8, status: u16, text: &str, now: Millis) {
        match (id, kind) {
            (HttpRequest::STREAM, HttpRequest::STATUS) => self.on_stream_open(status, text, now),
            (HttpRequest::STREAM, HttpRequest::TEXT) => self.on_stream_text(text, now),
            (HttpRequest::STREAM, _) => self.on_stream_closed(now),
            _ => self.on_http_done(id, status, text, now),
        }
    }

    /// The stream answered with `status` (`body`: its text when not 2xx).
    pub fn on_stream_open(&mut self, status: u16, body: &str, now: Millis) {
        if self.wire.active == Transport::Sse && self.open_answer(status, body, now) {
            self.liveness_deadline = Some(now.saturating_add(self.ping_window));
        }
    }

    /// The answer opening a link on the active transport (the stream's
    /// status, the polling connect's): true when it opened (2xx); a 401
    /// asks for a token, anything else is a failed open.
    pub(super) fn open_answer(&mut self, status: u16, body: &str, now: Millis) -> bool {
        if self.phase != Phase::Opening {
            return false;
        }
        match status {
            200..=299 => {
                self.phase = Phase::Handshaken;
                self.wire.opened();
                return true;
            }
            401 => self.unauthorized(body, now),
            _ => {
                self.drop_transport(DisconnectReason::TransportClose, now);
                self.open_failed();
            }
        }
        false
    }

    /// Text of the stream's body, cut anywhere.
    pub fn on_stream_text(&mut self, chunk: &str, now: Millis) {
        if self.wire.active != Transport::Sse || self.phase < Phase::Handshaken {
            return;
        }
        self.liveness_deadline = Some(now.saturating_add(self.ping_window));
        // Out while it feeds `self`; back unless the link went down (the
        // next stream starts a new one).
        let mut parser = std::mem::take(&mut self.wire.parser);
        parser.feed(chunk, |e| {
            if self.phase != Phase::Down {
                self.on_sse(e, now);
            }
        });
        if self.phase >= Phase::Handshaken {
            self.wire.parser = parser;
        }
    }

    /// The stream ended or failed (before its status: a network error).
    pub fn on_stream_closed(&mut self, now: Millis) {
        if self.wire.active != Transport::Sse || self.phase == Phase::Down {
            return;
        }
        let opening = self.phase == Phase::Opening;
        self.lost(DisconnectReason::TransportClose, now);
        if opening {
            self.open_failed();
        }
    }

    fn on_sse(&mut self, e: SseEvent, now: Millis) {
        match json::from_str(&e.data) {
            Ok(v) => self.take_event(v, Some(&e), now),
            Err(err) => self.protocol_error(crate::core::codec::CodecError::BadPayload {
                kind: "SSE",
                reason: err.describe(),
            }),
        }
    }

    /// An event of the stream (`v`: its data; `e`: its SSE fields), or of
    /// a poll (`v`: the event, with its own `id`).
    pub(super) fn take_event(&mut self, mut v: Value, e: Option<&SseEvent>, now: Millis) {
        let fresh = match e {
            Some(e) => fresh(&mut self.wire.last, e.id.as_deref()),
            None => self.poll_fresh(v["id"].as_str()),
        };
        let data = v.get_mut("data").map(Value::take).unwrap_or_default();
        let ty = v["type"]
            .as_str()
            .or(e.and_then(|e| e.event.as_deref()))
            .unwrap_or("message");
        match ty {
            "ping" => {}
            "init" => self.on_init(&data, now),
            "connection" if self.phase == Phase::AwaitingReady => {
                self.take_user(&data);
                self.on_ready(now);
            }
            "connection" => {}
            _ if fresh => {
                let (name, payload) = map_event(ty, data);
                let text = event_payload(&name, Some(&payload.to_text()));
                self.on_event(name, &text, None, now);
            }
            _ => {}
        }
    }

    /// `init`: the session (its id goes on every request) and the user.
    pub(super) fn on_init(&mut self, data: &Value, now: Millis) {
        if self.phase != Phase::Handshaken {
            return;
        }
        self.sid = data["sessionId"].as_str().map(str::to_owned);
        self.take_user(data);
        if let (Some(i), Some(t)) = (data["pingInterval"].as_u64(), data["pingTimeout"].as_u64()) {
            if (1..=3_600_000).contains(&i) && (1..=3_600_000).contains(&t) {
                self.ping_window = i + t;
                self.liveness_deadline = Some(now.saturating_add(self.ping_window));
            }
        }
        if let Some(t) = crate::core::time::parse(&data["timestamp"]) {
            self.wire.server_now = Some(t);
        }
        self.phase = Phase::AwaitingReady;
    }

    /// The `userId` of an `init` or `connection`, when it has one.
    fn take_user(&mut self, data: &Value) {
        if let Some(user) = data["userId"].as_str() {
            self.user_id = Some(user.to_owned());
        }
    }

    /// An HTTP request was answered (status 0: a network error).
    pub fn on_http_done(&mut self, id: u64, status: u16, body: &str, now: Millis) {
        let w = &mut self.wire;
        if let Some((_, b)) = w.sending.take_if(|(i, _)| *i == id) {
            self.on_send_answer(id, b, status, body, now);
            self.pump_sends();
        } else if w.connecting.take_if(|i| *i == id).is_some() {
            self.on_connect_answer(status, body, now);
        } else if let Some((_, room)) = w.polling.take_if(|(i, _)| *i == id) {
            self.on_poll_answer(&room, status, body, now);
        }
    }

    fn on_send_answer(&mut self, id: u64, b: Buffered, status: u16, body: &str, now: Millis) {
        // Still the link's: not re-buffered or failed by a lost link since.
        let current = self.phase != Phase::Down
            && b.request
                .is_none_or(|r| self.requests.get(&r).is_some_and(|q| q.ack_id == Some(id)));
        match status {
            200..=299 => {
                let Some(r) = b.request.filter(|r| self.requests.contains_key(r)) else {
                    return;
                };
                // Taken after all: not to be sent again.
                self.buffer.retain(|x| x.request != Some(r));
                // `null`: the server's socket was not acked (as a Socket.IO
                // emit without an answer, it waits: for its timeout, or for
                // an event that settles it, e.g. `delivery:sync-response`).
                let ack = json::from_str(body).unwrap_or_default();
                if !ack["ack"].is_null() {
                    self.settle(r, &cat!('[', ack["ack"].to_text(), ']'), now);
                }
            }
            _ if !current => {}
            401 | 404 => {
                // Not taken: first in line again once the link is back.
                if let Some(q) = b.request.and_then(|r| self.requests.get_mut(&r)) {
                    q.ack_id = None;
                }
                if status == 401 {
                    self.unauthorized(body, now);
                } else {
                    self.drop_transport(DisconnectReason::TransportClose, now);
                }
                self.buffer.push_front(b);
            }
            0 => self.drop_transport(DisconnectReason::TransportClose, now),
            _ => {
                let (code, message) = http_error(status, body);
                match b.request {
                    Some(r) => {
                        let event = self.remove_request(r).map(|q| q.event).unwrap_or_default();
                        self.effects.push_back(Effect::AckErr {
                            request: r,
                            error: AckError::Rejected {
                                event,
                                code,
                                message,
                            },
                        });
                    }
                    None => self.protocol_error(crate::core::codec::CodecError::BadPayload {
                        kind: "HTTP",
                        reason: cat!(code, ": ", message),
                    }),
                }
            }
        }
    }

    /// A 401: the app is asked for a fresh token once (then the link waits
    /// for it); without a callback, or a second time before the link was
    /// live again, it is an auth refusal. Never a reason to fall back.
    pub(super) fn unauthorized(&mut self, body: &str, now: Millis) {
        let (_, message) = http_error(401, body);
        if !self.cfg.refresh_token || self.wire.refreshed {
            return self.refuse_auth(message, now);
        }
        self.wire.refreshed = true;
        self.wire.awaiting_token = true;
        self.drop_transport(DisconnectReason::TransportClose, now);
        // No attempt with the refused token: `update_token` starts the next.
        self.reconnect_at = None;
        self.effects.push_back(Effect::RefreshToken);
    }

    /// The app's answer to [`Effect::RefreshToken`]: a new token reconnects
    /// now (whether it was awaited).
    pub(super) fn token_refreshed(&mut self, now: Millis) -> bool {
        if !std::mem::take(&mut self.wire.awaiting_token) {
            return false;
        }
        if self.want && self.phase == Phase::Down {
            self.start_attempt(now, true);
        }
        true
    }

    /// The app could not give a fresh token: the 401 is an auth refusal.
    pub fn refresh_failed(&mut self, message: &str, now: Millis) {
        // Not after a `disconnect()` meanwhile: nothing is refused then.
        if std::mem::take(&mut self.wire.awaiting_token) && self.want {
            self.refuse_auth(message.to_owned(), now);
        }
    }

    /// The WebSocket's handshake arrived: its failures in a row end.
    pub(super) fn wire_opened(&mut self) {
        self.wire.opened();
    }

    /// Live again: a later 401 may ask for a token again.
    pub(super) fn wire_live(&mut self) {
        self.wire.refreshed = false;
    }
}
