//! The link's life: connect and disconnect, transport events, Engine.IO and
//! Socket.IO frames, attempts with backoff, online status and timers.

use super::identity::jwt_user_id;
use super::{ConnState, Connection, DisconnectReason, Effect, Phase};
use crate::core::codec::{
    connect_error_message, connect_frame, event_name, CodecError, EnginePacket, Handshake,
    SocketKind, SocketPacket,
};
use crate::core::decimal::cat;
use crate::core::Millis;

/// The longest `pingInterval` or `pingTimeout` taken from a server (an hour):
/// anything above is a broken or hostile server, not a setting.
const MAX_PING_MS: u64 = 3_600_000;
/// The largest `maxPayload` taken from a server (1 GiB).
const MAX_PAYLOAD_BYTES: u64 = 1 << 30;

/// The ping window and payload limit of a handshake, or why it is unusable.
fn check_handshake(h: &Handshake) -> Result<(Millis, usize), String> {
    let ping = 1..=MAX_PING_MS;
    if !ping.contains(&h.ping_interval) || !ping.contains(&h.ping_timeout) {
        return Err(cat!(
            "pingInterval ",
            h.ping_interval,
            " / pingTimeout ",
            h.ping_timeout,
            " out of range 1..=",
            MAX_PING_MS,
            " ms"
        ));
    }
    let max_payload = Some(h.max_payload)
        .filter(|m| (1..=MAX_PAYLOAD_BYTES).contains(m))
        .and_then(|m| usize::try_from(m).ok())
        .ok_or_else(|| {
            cat!(
                "maxPayload ",
                h.max_payload,
                " out of range 1..=",
                MAX_PAYLOAD_BYTES
            )
        })?;
    // Both are at most an hour: no overflow.
    Ok((h.ping_interval + h.ping_timeout, max_payload))
}

impl Connection {
    /// Starts connecting with `token`; `extra_auth` (a JSON object) is merged
    /// into the CONNECT auth payload, e.g. `{"device":{…}}`. The token's
    /// `userId`/`sub` claim becomes [`Connection::user_id`].
    pub fn connect(
        &mut self,
        token: &str,
        extra_auth: Option<&str>,
        now: Millis,
    ) -> Result<(), super::ConnectionError> {
        use super::ConnectionError;
        if token.is_empty() {
            return Err(ConnectionError::EmptyToken);
        }
        let mut auth = match extra_auth {
            Some(s) => match crate::core::json::from_str(s) {
                Ok(crate::core::json::Value::Object(m)) => m,
                Ok(_) => return Err(ConnectionError::BadPayload("auth must be an object".into())),
                Err(e) => return Err(ConnectionError::BadPayload(e.describe())),
            },
            None => crate::core::json::Map::new(),
        };
        auth.insert("token".into(), token.into());
        self.auth = Some(crate::core::json::Value::Object(auth).to_text());
        self.user_id = jwt_user_id(token);
        self.set_wire_token(token);
        self.start(now);
        Ok(())
    }

    /// Connects again with the token of the last [`Connection::connect`]
    /// (nchat's `connect()` without a token, and its `reconnect()`).
    pub fn connect_again(&mut self, now: Millis) -> Result<(), super::ConnectionError> {
        if self.auth.is_none() {
            return Err(super::ConnectionError::EmptyToken);
        }
        self.start(now);
        Ok(())
    }

    /// Wants the connection and starts an attempt (or waits for the network).
    fn start(&mut self, now: Millis) {
        self.want = true;
        if self.phase != Phase::Down {
            // A new token on a live or pending connection: start over with it.
            self.drop_transport(DisconnectReason::Client, now);
        }
        self.attempts = 0;
        self.reconnect_at = None;
        self.reset_wire();
        if self.online {
            self.start_attempt(now, false);
        } else {
            self.set_state(ConnState::Offline);
        }
    }

    /// nchat's `updateToken`: the next connects authenticate with `token`,
    /// and a live connection sends it now as `auth:refresh {token}` (never
    /// buffered: a reconnect carries the new token in its CONNECT anyway).
    /// Over HTTP the token goes on every later request instead, and a token
    /// the link waits for after a 401 reconnects now.
    pub fn update_token(&mut self, token: &str, now: Millis) -> Result<(), super::ConnectionError> {
        use crate::core::json::{from_str, Map, Value};
        if token.is_empty() {
            return Err(super::ConnectionError::EmptyToken);
        }
        let mut auth = match self.auth.as_deref().map(from_str) {
            Some(Ok(Value::Object(m))) => m,
            _ => Map::new(),
        };
        auth.insert("token".into(), token.into());
        self.auth = Some(Value::Object(auth).to_text());
        // nchat's `initialize({ token })` then `connect()`: the user is the token's.
        if let Some(user) = jwt_user_id(token) {
            self.user_id = Some(user);
        }
        self.set_wire_token(token);
        if self.token_refreshed(now) || self.wire.active != super::Transport::SocketIo {
            return Ok(());
        }
        let payload = crate::core::json::json!({ "token": token }).to_text();
        self.emit_volatile("auth:refresh", Some(&payload)).map(drop)
    }

    /// Closes the connection and stops reconnecting. Buffered plain emits and
    /// the set of rooms are kept for the next `connect`; every request
    /// waiting for an answer fails.
    pub fn disconnect(&mut self, now: Millis) {
        self.want = false;
        self.reconnect_at = None;
        if self.phase != Phase::Down {
            if self.phase >= Phase::AwaitingReady {
                if self.wire.active == super::Transport::SocketIo {
                    let nsp = self.cfg.namespace.clone();
                    self.send_socket(SocketKind::Disconnect, &nsp, None, None);
                } else {
                    self.end_session();
                }
            }
            self.drop_transport(DisconnectReason::Client, now);
        }
        self.fail_all_requests();
        self.attempts = 0;
        self.set_state(ConnState::Disconnected);
    }

    /// The WebSocket opened. Nothing to send: Engine.IO v4 waits for the server's open packet.
    pub fn on_transport_open(&mut self, _now: Millis) {}

    /// The WebSocket closed or failed on its own.
    pub fn on_transport_closed(&mut self, now: Millis) {
        if self.phase != Phase::Down && self.wire.active == super::Transport::SocketIo {
            let opening = self.phase == Phase::Opening;
            self.lost(DisconnectReason::TransportClose, now);
            if opening {
                self.open_failed();
            }
        }
    }

    /// A binary frame arrived: not supported, reported, the connection goes on.
    pub fn on_binary_frame(&mut self) {
        self.protocol_error(CodecError::BinaryUnsupported);
    }

    /// A text frame arrived.
    pub fn on_frame(&mut self, frame: &str, now: Millis) {
        if self.phase == Phase::Down || self.wire.active != super::Transport::SocketIo {
            return;
        }
        match EnginePacket::decode(frame, self.max_payload) {
            Ok(EnginePacket::Open(h)) => {
                self.wire_opened();
                self.on_handshake(&h, now)
            }
            Ok(EnginePacket::Ping(p)) => {
                self.liveness_deadline = Some(now.saturating_add(self.ping_window));
                self.effects
                    .push_back(Effect::Send(EnginePacket::Pong(p).encode()));
            }
            Ok(EnginePacket::Close) => {
                self.drop_transport(DisconnectReason::TransportClose, now);
            }
            Ok(EnginePacket::Message(m)) => self.on_message(m, now),
            Ok(EnginePacket::Pong(_) | EnginePacket::Upgrade | EnginePacket::Noop) => {}
            Err(e) => self.protocol_error(e),
        }
    }

    /// Runs what is due at `now`.
    pub fn handle_timeout(&mut self, now: Millis) {
        if self.liveness_deadline.is_some_and(|d| now >= d) {
            self.drop_transport(DisconnectReason::PingTimeout, now);
        }
        if self.connect_deadline.is_some_and(|d| now >= d) {
            if self.phase == Phase::AwaitingReady {
                if let Some(event) = self.cfg.ready_event.clone() {
                    self.effects.push_back(Effect::ReadyTimeout {
                        event,
                        timeout_ms: self.cfg.connect_timeout_ms,
                    });
                }
            }
            let opening = self.phase == Phase::Opening;
            self.drop_transport(DisconnectReason::ConnectTimeout, now);
            if opening {
                self.open_failed();
            }
        }
        if self.reconnect_at.is_some_and(|d| now >= d) {
            self.reconnect_at = None;
            self.start_attempt(now, true);
        }
        self.probe_timeouts(now);
        self.expire_requests(now);
        self.poll_timeout(now);
    }

    /// The browser's `online`/`offline` events.
    pub fn set_online(&mut self, online: bool, now: Millis) {
        if online == self.online {
            return;
        }
        self.online = online;
        self.effects.push_back(Effect::OnlineChanged { online });
        if !self.want {
            return;
        }
        if online {
            if self.state == ConnState::Offline {
                self.start_attempt(now, self.ever_connected);
            }
        } else {
            self.was_offline = true;
            self.reconnect_at = None;
            if self.phase != Phase::Down {
                self.drop_transport(DisconnectReason::Offline, now);
            }
            self.set_state(ConnState::Offline);
        }
    }

    /// `pageshow` or the tab becoming visible: timers may have been throttled,
    /// so check the link now (a probe while connected, an attempt now while
    /// waiting to reconnect).
    pub fn check_liveness(&mut self, now: Millis) {
        match self.state {
            ConnState::Connected => {
                if self.liveness_deadline.is_some_and(|d| now >= d) {
                    self.drop_transport(DisconnectReason::PingTimeout, now);
                } else if !self.probe.is_some_and(|p| p.liveness) {
                    self.start_probe(true, now);
                }
            }
            ConnState::Reconnecting if self.reconnect_at.is_some() => {
                self.reconnect_at = None;
                self.start_attempt(now, true);
            }
            _ => {}
        }
    }

    /// The Engine.IO open packet: only the first of a link counts, and only
    /// with sane numbers (an absurd one drops the link, to be retried).
    fn on_handshake(&mut self, h: &Handshake, now: Millis) {
        if self.phase != Phase::Opening {
            return self.protocol_error(CodecError::BadHandshake(
                "an open packet after the handshake is ignored".into(),
            ));
        }
        match check_handshake(h) {
            Ok((window, max_payload)) => {
                self.phase = Phase::Handshaken;
                self.max_payload = max_payload;
                self.ping_window = window;
                self.liveness_deadline = Some(now.saturating_add(window));
                let frame = connect_frame(&self.cfg.namespace, self.auth.as_deref());
                self.effects.push_back(Effect::Send(frame));
            }
            Err(reason) => {
                self.protocol_error(CodecError::BadHandshake(reason));
                self.drop_transport(DisconnectReason::ProtocolError, now);
            }
        }
    }

    fn on_message(&mut self, msg: &str, now: Millis) {
        let packet = match SocketPacket::decode(msg) {
            Ok(p) => p,
            Err(e) => return self.protocol_error(e),
        };
        if packet.nsp != self.cfg.namespace {
            return;
        }
        match packet.kind {
            SocketKind::Connect => self.on_namespace_connected(packet.data, now),
            SocketKind::ConnectError => self.refuse_auth(connect_error_message(packet.data), now),
            SocketKind::Disconnect => {
                self.want = false;
                self.reconnect_at = None;
                self.drop_transport(DisconnectReason::Server, now);
                self.set_state(ConnState::Disconnected);
            }
            SocketKind::Event => {
                let data = packet.data.unwrap_or("[]");
                match event_name(data) {
                    Ok(name) => self.on_event(name, data, packet.id, now),
                    Err(e) => self.protocol_error(e),
                }
            }
            SocketKind::Ack => self.on_ack(packet.id, packet.data.unwrap_or("[]"), now),
        }
    }

    /// The server refused the token: not retried, every request fails.
    pub(super) fn refuse_auth(&mut self, message: String, now: Millis) {
        self.want = false;
        self.reconnect_at = None;
        self.drop_transport(DisconnectReason::AuthRefused, now);
        self.fail_all_requests();
        self.attempts = 0;
        self.set_state(ConnState::Disconnected);
        self.effects.push_back(Effect::AuthError { message });
    }

    pub(super) fn start_attempt(&mut self, now: Millis, reconnecting: bool) {
        if reconnecting {
            self.attempts = self.attempts.saturating_add(1);
            self.effects.push_back(Effect::ReconnectAttempt {
                attempt: self.attempts,
            });
            self.set_state(ConnState::Reconnecting);
        } else {
            self.set_state(ConnState::Connecting);
        }
        self.phase = Phase::Opening;
        self.connect_deadline = Some(now.saturating_add(self.cfg.connect_timeout_ms));
        self.open_transport();
    }

    /// Closes the transport on our side and handles the loss.
    pub(super) fn drop_transport(&mut self, reason: DisconnectReason, now: Millis) {
        if self.phase == Phase::Down {
            return;
        }
        let close = self.close_effect();
        self.effects.push_back(close);
        self.lost(reason, now);
    }

    pub(super) fn lost(&mut self, reason: DisconnectReason, now: Millis) {
        let was_live = self.phase == Phase::Live;
        self.phase = Phase::Down;
        self.sid = None;
        self.authenticated = None;
        self.liveness_deadline = None;
        self.connect_deadline = None;
        self.quality_at = None;
        self.max_payload = 1_000_000;
        self.cancel_probe();
        self.wire_lost();
        self.requests_on_link_lost();
        if was_live {
            self.effects.push_back(Effect::Disconnected { reason });
        }
        let retry = self.want
            && self.cfg.reconnection
            && !matches!(
                reason,
                DisconnectReason::Client | DisconnectReason::Server | DisconnectReason::AuthRefused
            );
        if !retry {
            if reason != DisconnectReason::Client {
                // `connect` and `disconnect` set the state that follows themselves.
                self.set_state(ConnState::Disconnected);
            }
            return;
        }
        if !self.online {
            self.set_state(ConnState::Offline);
            return;
        }
        if self
            .cfg
            .max_reconnect_attempts
            .is_some_and(|max| self.attempts >= max)
        {
            self.effects.push_back(Effect::ReconnectFailed {
                attempts: self.attempts,
            });
            self.want = false;
            self.attempts = 0;
            self.set_state(ConnState::Disconnected);
            return;
        }
        let delay = self.cfg.backoff.delay(self.attempts, &mut self.rng);
        self.reconnect_at = Some(now.saturating_add(delay));
        self.set_state(ConnState::Reconnecting);
    }

    pub(super) fn protocol_error(&mut self, e: CodecError) {
        self.effects.push_back(Effect::ProtocolError {
            message: e.message(),
        });
    }

    pub(super) fn set_state(&mut self, state: ConnState) {
        if state != self.state {
            let previous = self.state;
            self.state = state;
            self.effects
                .push_back(Effect::StateChanged { state, previous });
        }
    }
}
