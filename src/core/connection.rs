//! The connection state machine: Engine.IO handshake and heartbeat, Socket.IO
//! namespace connect with auth, reconnection with backoff, offline handling,
//! liveness checks, emit buffering, acks with timeouts and quality sampling.
//!
//! Sans-IO: the host opens and closes the WebSocket, sends text frames and
//! calls [`Connection::handle_timeout`] at [`Connection::next_deadline`].

use std::collections::{BTreeSet, HashMap, VecDeque};

use serde::Serialize;
use thiserror::Error;

use super::backoff::BackoffConfig;
use super::codec::{
    connect_error_message, connect_frame, event_name, event_payload, CodecError, EnginePacket,
    SocketKind, SocketPacket,
};
use super::quality::{LatencyWindow, Quality};
use super::rng::Rng;
use super::Millis;

/// Where the connection stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ConnState {
    /// No connection and none wanted (initial, after `disconnect`, an auth refusal or giving up).
    Disconnected,
    /// The first attempt after `connect` is under way.
    Connecting,
    /// Connected to the namespace.
    Connected,
    /// The link was lost (or the first attempt failed); retrying with backoff.
    Reconnecting,
    /// The browser reports no network; no attempts until it is back.
    Offline,
}

impl ConnState {
    /// The lowercase name used in JavaScript.
    pub fn as_str(self) -> &'static str {
        match self {
            ConnState::Disconnected => "disconnected",
            ConnState::Connecting => "connecting",
            ConnState::Connected => "connected",
            ConnState::Reconnecting => "reconnecting",
            ConnState::Offline => "offline",
        }
    }
}

/// Why the namespace connection ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DisconnectReason {
    /// The app called `disconnect`.
    Client,
    /// The server sent a DISCONNECT packet (not retried, as in socket.io-client).
    Server,
    /// The transport closed or errored.
    TransportClose,
    /// No server ping within `pingInterval + pingTimeout`, or a liveness probe failed.
    PingTimeout,
    /// The connect did not complete within the connect timeout.
    ConnectTimeout,
    /// The browser went offline.
    Offline,
    /// The server refused authentication.
    AuthRefused,
}

impl DisconnectReason {
    /// A short name for JavaScript.
    pub fn as_str(self) -> &'static str {
        match self {
            DisconnectReason::Client => "io client disconnect",
            DisconnectReason::Server => "io server disconnect",
            DisconnectReason::TransportClose => "transport close",
            DisconnectReason::PingTimeout => "ping timeout",
            DisconnectReason::ConnectTimeout => "connect timeout",
            DisconnectReason::Offline => "offline",
            DisconnectReason::AuthRefused => "auth refused",
        }
    }
}

/// Why an `emitAsync` did not get its ack.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum AckError {
    /// No ack within the timeout.
    #[error("no acknowledgement for {event:?} within {timeout_ms} ms")]
    Timeout {
        /// The event name.
        event: String,
        /// The timeout that ran out.
        timeout_ms: Millis,
    },
    /// The connection dropped after the event was sent.
    #[error("the connection closed before {event:?} was acknowledged")]
    Disconnected {
        /// The event name.
        event: String,
    },
    /// The emit buffer is full while disconnected.
    #[error("the emit buffer is full ({limit} events waiting for a connection)")]
    BufferFull {
        /// The buffer limit.
        limit: usize,
    },
}

/// Errors of the connection's own API.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ConnectionError {
    /// The URL is not http(s) or ws(s).
    #[error("invalid server URL {0:?}: expected http://, https://, ws:// or wss://")]
    BadUrl(String),
    /// The event name is empty or reserved.
    #[error("invalid event name {0:?}: {1}")]
    BadEventName(String, &'static str),
    /// The payload is not valid JSON.
    #[error("the payload is not valid JSON: {0}")]
    BadPayload(String),
    /// The token is empty.
    #[error("connect needs a non-empty token")]
    EmptyToken,
}

/// Options of the connection, with the seeds' defaults.
#[derive(Debug, Clone, PartialEq)]
pub struct ConnectionConfig {
    /// Server URL, e.g. `http://localhost:3101`.
    pub url: String,
    /// Socket.IO path.
    pub path: String,
    /// Namespace.
    pub namespace: String,
    /// Reconnect automatically after a lost link.
    pub reconnection: bool,
    /// Give up after this many reconnect attempts (`None`: never).
    pub max_reconnect_attempts: Option<u32>,
    /// Reconnect delays: 1 s doubling to 30 s, 0–10 % jitter.
    pub backoff: BackoffConfig,
    /// Seed of the jitter.
    pub seed: u64,
    /// Time allowed from opening the socket to the namespace CONNECT.
    pub connect_timeout_ms: Millis,
    /// Period of latency samples while connected (0: only on demand).
    pub quality_interval_ms: Millis,
    /// Number of samples averaged.
    pub latency_window: usize,
    /// Time allowed for a latency or liveness probe.
    pub probe_timeout_ms: Millis,
    /// Events kept while disconnected before emits are refused.
    pub buffer_limit: usize,
    /// Default `emitAsync` timeout.
    pub ack_timeout_ms: Millis,
}

impl Default for ConnectionConfig {
    fn default() -> Self {
        Self {
            url: "http://localhost:3101".into(),
            path: "/socket.io".into(),
            namespace: "/".into(),
            reconnection: true,
            max_reconnect_attempts: None,
            backoff: BackoffConfig::default(),
            seed: 0x5EED,
            connect_timeout_ms: 20_000,
            quality_interval_ms: 30_000,
            latency_window: 5,
            probe_timeout_ms: 5_000,
            buffer_limit: 100,
            ack_timeout_ms: 10_000,
        }
    }
}

impl ConnectionConfig {
    /// The WebSocket URL of the Engine.IO endpoint.
    pub fn websocket_url(&self) -> Result<String, ConnectionError> {
        let url = self.url.trim_end_matches('/');
        let rest = [
            ("https://", "wss://"),
            ("http://", "ws://"),
            ("wss://", "wss://"),
            ("ws://", "ws://"),
        ]
        .iter()
        .find_map(|(from, to)| url.strip_prefix(from).map(|r| (*to, r)));
        let Some((scheme, host)) = rest.filter(|(_, r)| !r.is_empty()) else {
            return Err(ConnectionError::BadUrl(self.url.clone()));
        };
        let path = format!("/{}", self.path.trim_matches('/'));
        Ok(format!("{scheme}{host}{path}/?EIO=4&transport=websocket"))
    }
}

/// What the host must do or tell the app.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// Open a WebSocket to `url` (dropping any previous one).
    Open {
        /// The WebSocket URL.
        url: String,
    },
    /// Close and drop the WebSocket; do not report its close back.
    Close,
    /// Send this text frame.
    Send(String),
    /// The state changed.
    StateChanged {
        /// The new state.
        state: ConnState,
        /// The previous state.
        previous: ConnState,
    },
    /// Connected to the namespace.
    Connected {
        /// Socket.IO session id.
        sid: String,
        /// This follows a lost connection.
        reconnected: bool,
        /// The browser was offline since the last connection.
        was_offline: bool,
    },
    /// The namespace connection ended.
    Disconnected {
        /// Why.
        reason: DisconnectReason,
    },
    /// A server event `data = ["name", ...args]`.
    Event {
        /// Event name.
        name: String,
        /// The whole payload array as JSON text.
        data: String,
        /// The ack id when the server wants an answer.
        ack_id: Option<u64>,
    },
    /// An `emit_with_ack` was answered; `data` is the JSON array of ack args.
    AckOk {
        /// The request id returned by `emit_with_ack`.
        request: u64,
        /// Ack args as a JSON array.
        data: String,
    },
    /// An `emit_with_ack` failed.
    AckErr {
        /// The request id.
        request: u64,
        /// Why.
        error: AckError,
    },
    /// The server refused authentication; not retried.
    AuthError {
        /// The server's message.
        message: String,
    },
    /// A frame from the server was malformed; the connection goes on.
    ProtocolError {
        /// What was wrong.
        message: String,
    },
    /// The browser's online status changed.
    OnlineChanged {
        /// `navigator.onLine`.
        online: bool,
    },
    /// A latency sample.
    Latency {
        /// The request id when it answers `measure_latency`.
        request: Option<u64>,
        /// Round trip in ms.
        rtt: Millis,
    },
    /// The quality band or average changed.
    QualityChanged {
        /// The band.
        quality: Quality,
    },
    /// An emit was refused because the buffer is full.
    BufferOverflow {
        /// The refused event.
        event: String,
        /// The limit.
        limit: usize,
    },
    /// A reconnect attempt starts.
    ReconnectAttempt {
        /// 1-based attempt number.
        attempt: u32,
    },
    /// Reconnection gave up after `max_reconnect_attempts`.
    ReconnectFailed {
        /// Attempts made.
        attempts: u32,
    },
}

struct Request {
    event: String,
    deadline: Millis,
    timeout_ms: Millis,
    ack_id: Option<u64>,
}

struct Buffered {
    frame_body: Buffer,
    request: Option<u64>,
}

enum Buffer {
    Event { name: String, data: String },
}

#[derive(Clone, Copy)]
struct Probe {
    request: u64,
    sent_at: Millis,
    liveness: bool,
    answer: Option<u64>,
}

const PROBE_EVENT: &str = "ping";
const PROBE_REPLY: &str = "pong";
const RESERVED: [&str; 6] = [
    "connect",
    "connect_error",
    "disconnect",
    "disconnecting",
    "newListener",
    "removeListener",
];

/// The connection state machine.
pub struct Connection {
    cfg: ConnectionConfig,
    ws_url: String,
    state: ConnState,
    want: bool,
    auth: Option<String>,
    online: bool,
    was_offline: bool,
    ever_connected: bool,
    attempts: u32,
    rng: Rng,
    transport_open: bool,
    ns_connected: bool,
    max_payload: usize,
    ping_window: Millis,
    sid: Option<String>,
    liveness_deadline: Option<Millis>,
    connect_deadline: Option<Millis>,
    reconnect_at: Option<Millis>,
    quality_at: Option<Millis>,
    probe: Option<Probe>,
    window: LatencyWindow,
    quality: Quality,
    next_request: u64,
    next_ack: u64,
    requests: HashMap<u64, Request>,
    deadlines: BTreeSet<(Millis, u64)>,
    ack_to_request: HashMap<u64, u64>,
    buffer: VecDeque<Buffered>,
    effects: VecDeque<Effect>,
}

impl Connection {
    /// A disconnected connection with `cfg`.
    pub fn new(cfg: ConnectionConfig) -> Result<Self, ConnectionError> {
        let ws_url = cfg.websocket_url()?;
        Ok(Self {
            ws_url,
            state: ConnState::Disconnected,
            want: false,
            auth: None,
            online: true,
            was_offline: false,
            ever_connected: false,
            attempts: 0,
            rng: Rng::new(cfg.seed),
            transport_open: false,
            ns_connected: false,
            max_payload: 1_000_000,
            ping_window: 45_000,
            sid: None,
            liveness_deadline: None,
            connect_deadline: None,
            reconnect_at: None,
            quality_at: None,
            probe: None,
            window: LatencyWindow::new(cfg.latency_window),
            quality: Quality::Unknown,
            next_request: 1,
            next_ack: 0,
            requests: HashMap::new(),
            deadlines: BTreeSet::new(),
            ack_to_request: HashMap::new(),
            buffer: VecDeque::new(),
            effects: VecDeque::new(),
            cfg,
        })
    }

    /// The configuration.
    pub fn config(&self) -> &ConnectionConfig {
        &self.cfg
    }

    /// Current state.
    pub fn state(&self) -> ConnState {
        self.state
    }

    /// Connected to the namespace.
    pub fn is_connected(&self) -> bool {
        self.state == ConnState::Connected
    }

    /// Reconnect attempts in the current sequence.
    pub fn reconnect_attempts(&self) -> u32 {
        self.attempts
    }

    /// The browser was offline since the last connection.
    pub fn was_offline(&self) -> bool {
        self.was_offline
    }

    /// The browser's last reported online status.
    pub fn is_online(&self) -> bool {
        self.online
    }

    /// Quality band of the average latency.
    pub fn quality(&self) -> Quality {
        self.quality
    }

    /// Average latency over the window, in ms.
    pub fn average_latency(&self) -> Option<f64> {
        self.window.average()
    }

    /// The Socket.IO session id while connected.
    pub fn sid(&self) -> Option<&str> {
        self.sid.as_deref()
    }

    /// Events waiting for a connection.
    pub fn buffered(&self) -> usize {
        self.buffer.len()
    }

    /// Next effect for the host.
    pub fn poll_effect(&mut self) -> Option<Effect> {
        self.effects.pop_front()
    }

    /// The earliest instant `handle_timeout` must run, if any.
    pub fn next_deadline(&self) -> Option<Millis> {
        let probe = self
            .probe
            .and_then(|p| self.requests.get(&p.request).map(|r| r.deadline));
        let quality = self.quality_at.filter(|_| self.ns_connected);
        [
            self.liveness_deadline,
            self.connect_deadline,
            self.reconnect_at,
            quality,
            probe,
            self.deadlines.first().map(|(d, _)| *d),
        ]
        .into_iter()
        .flatten()
        .min()
    }

    /// Starts connecting with `token`; `extra_auth` (a JSON object) is merged
    /// into the CONNECT auth payload, e.g. `{"device":{…}}`.
    pub fn connect(
        &mut self,
        token: &str,
        extra_auth: Option<&str>,
        now: Millis,
    ) -> Result<(), ConnectionError> {
        if token.is_empty() {
            return Err(ConnectionError::EmptyToken);
        }
        let mut auth = match extra_auth {
            Some(s) => match serde_json::from_str::<serde_json::Value>(s) {
                Ok(serde_json::Value::Object(m)) => m,
                Ok(_) => return Err(ConnectionError::BadPayload("auth must be an object".into())),
                Err(e) => return Err(ConnectionError::BadPayload(e.to_string())),
            },
            None => serde_json::Map::new(),
        };
        auth.insert("token".into(), token.into());
        self.auth = Some(serde_json::Value::Object(auth).to_string());
        self.want = true;
        if self.transport_open {
            // A new token on a live or pending connection: start over with it.
            self.drop_transport(DisconnectReason::Client, now);
        }
        self.attempts = 0;
        self.reconnect_at = None;
        if self.online {
            self.start_attempt(now, false);
        } else {
            self.set_state(ConnState::Offline);
        }
        Ok(())
    }

    /// Closes the connection and stops reconnecting. Buffered emits are kept
    /// for the next `connect`; emits waiting for an ack fail.
    pub fn disconnect(&mut self, now: Millis) {
        self.want = false;
        self.reconnect_at = None;
        if self.transport_open {
            if self.ns_connected {
                let nsp = self.cfg.namespace.clone();
                self.send_socket(SocketKind::Disconnect, &nsp, None, None);
            }
            self.drop_transport(DisconnectReason::Client, now);
        }
        self.fail_requests(true);
        self.attempts = 0;
        self.set_state(ConnState::Disconnected);
    }

    /// The WebSocket opened. Nothing to send: Engine.IO v4 waits for the server's open packet.
    pub fn on_transport_open(&mut self, _now: Millis) {}

    /// The WebSocket closed or failed on its own.
    pub fn on_transport_closed(&mut self, now: Millis) {
        if self.transport_open {
            self.transport_open = false;
            self.lost(DisconnectReason::TransportClose, now);
        }
    }

    /// A binary frame arrived: not supported, reported, the connection goes on.
    pub fn on_binary_frame(&mut self) {
        self.protocol_error(CodecError::BinaryUnsupported);
    }

    /// A text frame arrived.
    pub fn on_frame(&mut self, frame: &str, now: Millis) {
        if !self.transport_open {
            return;
        }
        match EnginePacket::decode(frame, self.max_payload) {
            Ok(EnginePacket::Open(h)) => {
                self.max_payload = usize::try_from(h.max_payload).unwrap_or(usize::MAX);
                self.liveness_deadline = Some(now + h.ping_interval + h.ping_timeout);
                self.ping_window = h.ping_interval + h.ping_timeout;
                let auth = self.auth.clone();
                self.effects.push_back(Effect::Send(connect_frame(
                    &self.cfg.namespace,
                    auth.as_deref(),
                )));
            }
            Ok(EnginePacket::Ping(p)) => {
                self.liveness_deadline = Some(now + self.ping_window);
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
}

impl Connection {
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
            SocketKind::ConnectError => {
                let message = connect_error_message(packet.data);
                self.want = false;
                self.reconnect_at = None;
                self.drop_transport(DisconnectReason::AuthRefused, now);
                self.fail_requests(true);
                self.attempts = 0;
                self.set_state(ConnState::Disconnected);
                self.effects.push_back(Effect::AuthError { message });
            }
            SocketKind::Disconnect => {
                self.want = false;
                self.reconnect_at = None;
                self.drop_transport(DisconnectReason::Server, now);
                self.set_state(ConnState::Disconnected);
            }
            SocketKind::Event => {
                let data = packet.data.unwrap_or("[]");
                match event_name(data) {
                    Ok(name) => {
                        if name == PROBE_REPLY {
                            self.finish_probe(None, now);
                        }
                        self.effects.push_back(Effect::Event {
                            name,
                            data: data.to_owned(),
                            ack_id: packet.id,
                        });
                    }
                    Err(e) => self.protocol_error(e),
                }
            }
            SocketKind::Ack => {
                let Some(request) = packet.id.and_then(|id| self.ack_to_request.remove(&id)) else {
                    return;
                };
                if self.probe.is_some_and(|p| p.request == request) {
                    self.finish_probe(Some(request), now);
                    return;
                }
                if let Some(r) = self.requests.remove(&request) {
                    self.deadlines.remove(&(r.deadline, request));
                    self.effects.push_back(Effect::AckOk {
                        request,
                        data: packet.data.unwrap_or("[]").to_owned(),
                    });
                }
            }
        }
    }

    fn on_namespace_connected(&mut self, data: Option<&str>, now: Millis) {
        #[derive(serde::Deserialize)]
        struct Ok {
            sid: Option<String>,
        }
        let sid = data
            .and_then(|d| serde_json::from_str::<Ok>(d).ok())
            .and_then(|o| o.sid)
            .unwrap_or_default();
        self.ns_connected = true;
        self.connect_deadline = None;
        self.sid = Some(sid.clone());
        let reconnected = self.ever_connected;
        self.ever_connected = true;
        self.attempts = 0;
        self.set_state(ConnState::Connected);
        self.effects.push_back(Effect::Connected {
            sid,
            reconnected,
            was_offline: self.was_offline,
        });
        self.was_offline = false;
        if self.cfg.quality_interval_ms > 0 {
            self.quality_at = Some(now);
        }
        while let Some(b) = self.buffer.pop_front() {
            if let Some(r) = b.request {
                if !self.requests.contains_key(&r) {
                    continue; // timed out while waiting
                }
            }
            let Buffer::Event { name, data } = b.frame_body;
            self.send_event(&name, &data, b.request);
        }
    }

    /// Emits `name` with one JSON argument (`None`: no argument). Sent at once
    /// when connected, else buffered; `false` when refused (buffer full; a
    /// `BufferOverflow` effect reports it).
    pub fn emit(
        &mut self,
        name: &str,
        arg_json: Option<&str>,
        _now: Millis,
    ) -> Result<bool, ConnectionError> {
        let data = Self::payload(name, arg_json)?;
        if self.ns_connected {
            self.send_event(name, &data, None);
            return Ok(true);
        }
        Ok(self.buffer_event(name, data, None))
    }

    /// Emits only if connected; dropped otherwise. Returns whether it was sent.
    pub fn emit_volatile(
        &mut self,
        name: &str,
        arg_json: Option<&str>,
    ) -> Result<bool, ConnectionError> {
        let data = Self::payload(name, arg_json)?;
        if self.ns_connected {
            self.send_event(name, &data, None);
        }
        Ok(self.ns_connected)
    }

    /// Emits `name` asking for an ack; returns a request id answered by
    /// `AckOk` or `AckErr` (timeout, disconnect, full buffer).
    pub fn emit_with_ack(
        &mut self,
        name: &str,
        arg_json: Option<&str>,
        timeout_ms: Option<Millis>,
        now: Millis,
    ) -> Result<u64, ConnectionError> {
        let data = Self::payload(name, arg_json)?;
        let timeout_ms = timeout_ms.unwrap_or(self.cfg.ack_timeout_ms);
        let request = self.new_request(name, timeout_ms, now);
        if self.ns_connected {
            self.send_event(name, &data, Some(request));
        } else if !self.buffer_event(name, data, Some(request)) {
            self.fail_request(
                request,
                AckError::BufferFull {
                    limit: self.cfg.buffer_limit,
                },
            );
        }
        Ok(request)
    }

    /// Answers a server event that asked for an ack, with one JSON argument.
    pub fn ack(&mut self, ack_id: u64, arg_json: Option<&str>) -> Result<(), ConnectionError> {
        let data = match arg_json {
            Some(a) => {
                Self::check_json(a)?;
                format!("[{a}]")
            }
            None => "[]".into(),
        };
        if self.ns_connected {
            let nsp = self.cfg.namespace.clone();
            self.send_socket(SocketKind::Ack, &nsp, Some(ack_id), Some(&data));
        }
        Ok(())
    }

    /// Takes a latency sample now; answered by a `Latency` effect with the
    /// returned request id, or an `AckErr` on timeout.
    pub fn measure_latency(&mut self, now: Millis) -> u64 {
        self.start_probe(false, now)
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
            if self.transport_open {
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

    /// Runs what is due at `now`.
    pub fn handle_timeout(&mut self, now: Millis) {
        if self.liveness_deadline.is_some_and(|d| now >= d) {
            self.drop_transport(DisconnectReason::PingTimeout, now);
        }
        if self.connect_deadline.is_some_and(|d| now >= d) {
            self.drop_transport(DisconnectReason::ConnectTimeout, now);
        }
        if self.reconnect_at.is_some_and(|d| now >= d) {
            self.reconnect_at = None;
            self.start_attempt(now, true);
        }
        if let Some(p) = self.probe {
            if self
                .requests
                .get(&p.request)
                .is_some_and(|r| now >= r.deadline)
            {
                self.probe = None;
                self.remove_request(p.request);
                if p.liveness {
                    self.drop_transport(DisconnectReason::PingTimeout, now);
                } else if let Some(answer) = p.answer {
                    self.fail_request_untracked(answer, "ping", self.cfg.probe_timeout_ms);
                }
            }
        }
        if self.ns_connected && self.quality_at.is_some_and(|d| now >= d) {
            self.quality_at = Some(now + self.cfg.quality_interval_ms);
            if self.probe.is_none() {
                self.start_probe(false, now);
            }
        }
        while let Some(&(deadline, request)) = self.deadlines.first() {
            if deadline > now {
                break;
            }
            if let Some(r) = self.requests.get(&request) {
                let error = AckError::Timeout {
                    event: r.event.clone(),
                    timeout_ms: r.timeout_ms,
                };
                self.fail_request(request, error);
            } else {
                self.deadlines.pop_first();
            }
        }
    }

    fn payload(name: &str, arg_json: Option<&str>) -> Result<String, ConnectionError> {
        if name.is_empty() {
            return Err(ConnectionError::BadEventName(name.into(), "it is empty"));
        }
        if RESERVED.contains(&name) {
            return Err(ConnectionError::BadEventName(
                name.into(),
                "it is reserved by Socket.IO",
            ));
        }
        if let Some(a) = arg_json {
            Self::check_json(a)?;
        }
        Ok(event_payload(name, arg_json))
    }

    fn check_json(text: &str) -> Result<(), ConnectionError> {
        serde_json::from_str::<serde::de::IgnoredAny>(text)
            .map(|_| ())
            .map_err(|e| ConnectionError::BadPayload(e.to_string()))
    }

    fn buffer_event(&mut self, name: &str, data: String, request: Option<u64>) -> bool {
        if self.buffer.len() >= self.cfg.buffer_limit {
            self.effects.push_back(Effect::BufferOverflow {
                event: name.into(),
                limit: self.cfg.buffer_limit,
            });
            return false;
        }
        self.buffer.push_back(Buffered {
            frame_body: Buffer::Event {
                name: name.into(),
                data,
            },
            request,
        });
        true
    }

    fn new_request(&mut self, event: &str, timeout_ms: Millis, now: Millis) -> u64 {
        let request = self.next_request;
        self.next_request += 1;
        let deadline = now.saturating_add(timeout_ms);
        self.requests.insert(
            request,
            Request {
                event: event.into(),
                deadline,
                timeout_ms,
                ack_id: None,
            },
        );
        self.deadlines.insert((deadline, request));
        request
    }

    fn remove_request(&mut self, request: u64) -> Option<Request> {
        let r = self.requests.remove(&request)?;
        self.deadlines.remove(&(r.deadline, request));
        if let Some(id) = r.ack_id {
            self.ack_to_request.remove(&id);
        }
        Some(r)
    }

    fn fail_request(&mut self, request: u64, error: AckError) {
        if self.remove_request(request).is_some() {
            self.effects.push_back(Effect::AckErr { request, error });
        }
    }

    fn fail_request_untracked(&mut self, request: u64, event: &str, timeout_ms: Millis) {
        self.effects.push_back(Effect::AckErr {
            request,
            error: AckError::Timeout {
                event: event.into(),
                timeout_ms,
            },
        });
    }

    /// Fails requests already sent (their answers are lost with the link);
    /// with `all`, also those still buffered.
    fn fail_requests(&mut self, all: bool) {
        let mut ids: Vec<u64> = self
            .requests
            .iter()
            .filter(|(_, r)| all || r.ack_id.is_some())
            .map(|(id, _)| *id)
            .collect();
        ids.sort_unstable();
        for id in ids {
            let event = self
                .requests
                .get(&id)
                .map(|r| r.event.clone())
                .unwrap_or_default();
            self.fail_request(id, AckError::Disconnected { event });
        }
        if all {
            self.buffer.retain(|b| b.request.is_none());
        }
    }

    fn send_event(&mut self, _name: &str, data: &str, request: Option<u64>) {
        let ack_id = request.map(|r| {
            let id = self.next_ack;
            self.next_ack += 1;
            self.ack_to_request.insert(id, r);
            if let Some(req) = self.requests.get_mut(&r) {
                req.ack_id = Some(id);
            }
            id
        });
        let nsp = self.cfg.namespace.clone();
        self.send_socket(SocketKind::Event, &nsp, ack_id, Some(data));
    }

    fn send_socket(&mut self, kind: SocketKind, nsp: &str, id: Option<u64>, data: Option<&str>) {
        let frame = SocketPacket {
            kind,
            nsp,
            id,
            data,
        }
        .encode_frame();
        self.effects.push_back(Effect::Send(frame));
    }

    fn start_probe(&mut self, liveness: bool, now: Millis) -> u64 {
        let answer = if liveness {
            None
        } else {
            Some(self.next_request_id())
        };
        if let Some(p) = self.probe.as_mut() {
            // One probe in flight at a time: a new request rides on it.
            p.liveness |= liveness;
            let replaced = answer.and_then(|a| p.answer.replace(a));
            let request = p.request;
            if let Some(old) = replaced {
                self.fail_request_untracked(old, PROBE_EVENT, 0);
            }
            return answer.unwrap_or(request);
        }
        let request = self.new_request(PROBE_EVENT, self.cfg.probe_timeout_ms, now);
        self.probe = Some(Probe {
            request,
            sent_at: now,
            liveness,
            answer,
        });
        if self.ns_connected {
            let arg = format!("{{\"timestamp\":{now}}}");
            let data = event_payload(PROBE_EVENT, Some(&arg));
            self.send_event(PROBE_EVENT, &data, Some(request));
        }
        answer.unwrap_or(request)
    }

    fn next_request_id(&mut self) -> u64 {
        let id = self.next_request;
        self.next_request += 1;
        id
    }

    fn finish_probe(&mut self, _request: Option<u64>, now: Millis) {
        let Some(p) = self.probe.take() else {
            return;
        };
        self.remove_request(p.request);
        let rtt = now.saturating_sub(p.sent_at);
        self.window.push(rtt);
        self.effects.push_back(Effect::Latency {
            request: p.answer,
            rtt,
        });
        let q = self.window.quality();
        if q != self.quality {
            self.quality = q;
            self.effects
                .push_back(Effect::QualityChanged { quality: q });
        }
    }

    fn start_attempt(&mut self, now: Millis, reconnecting: bool) {
        if reconnecting {
            self.attempts += 1;
            self.effects.push_back(Effect::ReconnectAttempt {
                attempt: self.attempts,
            });
            self.set_state(ConnState::Reconnecting);
        } else {
            self.set_state(ConnState::Connecting);
        }
        self.transport_open = true;
        self.connect_deadline = Some(now + self.cfg.connect_timeout_ms);
        self.effects.push_back(Effect::Open {
            url: self.ws_url.clone(),
        });
    }

    /// Closes the transport on our side and handles the loss.
    fn drop_transport(&mut self, reason: DisconnectReason, now: Millis) {
        if !self.transport_open {
            return;
        }
        self.transport_open = false;
        self.effects.push_back(Effect::Close);
        self.lost(reason, now);
    }

    fn lost(&mut self, reason: DisconnectReason, now: Millis) {
        let was_connected = self.ns_connected;
        self.ns_connected = false;
        self.sid = None;
        self.liveness_deadline = None;
        self.connect_deadline = None;
        self.quality_at = None;
        if let Some(p) = self.probe.take() {
            self.remove_request(p.request);
            if let Some(a) = p.answer {
                self.effects.push_back(Effect::AckErr {
                    request: a,
                    error: AckError::Disconnected {
                        event: PROBE_EVENT.into(),
                    },
                });
            }
        }
        self.ack_to_request.clear();
        self.fail_requests(false);
        if was_connected {
            self.effects.push_back(Effect::Disconnected { reason });
        }
        let retry = self.want
            && self.cfg.reconnection
            && !matches!(
                reason,
                DisconnectReason::Client | DisconnectReason::Server | DisconnectReason::AuthRefused
            );
        if !retry {
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
        self.reconnect_at = Some(now + delay);
        self.set_state(ConnState::Reconnecting);
    }

    fn protocol_error(&mut self, e: CodecError) {
        self.effects.push_back(Effect::ProtocolError {
            message: e.to_string(),
        });
    }

    fn set_state(&mut self, state: ConnState) {
        if state != self.state {
            let previous = self.state;
            self.state = state;
            self.effects
                .push_back(Effect::StateChanged { state, previous });
        }
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests;
