//! The connection's public vocabulary: states, reasons, errors, options and
//! the effects the host carries out.

use crate::core::backoff::BackoffConfig;
use crate::core::decimal::{cat, display_for_tests};
use crate::core::json::quote;
use crate::core::quality::Quality;
use crate::core::Millis;

/// Where the connection stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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
    /// The server's handshake was unusable (e.g. absurd ping settings).
    ProtocolError,
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
            DisconnectReason::ProtocolError => "protocol error",
        }
    }
}

/// Why an `emitAsync` did not get its ack.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AckError {
    /// No ack within the timeout.
    Timeout {
        /// The event name.
        event: String,
        /// The timeout that ran out.
        timeout_ms: Millis,
    },
    /// The connection dropped after the event was sent.
    Disconnected {
        /// The event name.
        event: String,
    },
    /// The emit buffer is full while disconnected.
    BufferFull {
        /// The buffer limit.
        limit: usize,
    },
    /// The server answered `{success:false, error:{code, message}}`.
    Rejected {
        /// The event name.
        event: String,
        /// The server's stable code, e.g. `ROOM_NOT_FOUND`.
        code: String,
        /// The server's message.
        message: String,
    },
    /// The app left the room before its join was answered.
    Cancelled {
        /// The event name.
        event: String,
        /// The room.
        room: String,
    },
}

impl AckError {
    /// A stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            AckError::Timeout { .. } => "timeout",
            AckError::Disconnected { .. } => "disconnected",
            AckError::BufferFull { .. } => "buffer_full",
            AckError::Rejected { .. } => "rejected",
            AckError::Cancelled { .. } => "cancelled",
        }
    }

    /// What went wrong, in words.
    pub fn message(&self) -> String {
        match self {
            AckError::Timeout { event, timeout_ms } => cat!(
                "no acknowledgement for ",
                quote(event),
                " within ",
                timeout_ms,
                " ms"
            ),
            AckError::Disconnected { event } => cat!(
                "the connection closed before ",
                quote(event),
                " was acknowledged"
            ),
            AckError::BufferFull { limit } => cat!(
                "the emit buffer is full (",
                limit,
                " events waiting for a connection)"
            ),
            AckError::Rejected {
                event,
                code,
                message,
            } => cat!(event, " was rejected by the server (", code, "): ", message),
            AckError::Cancelled { event, room } => cat!(
                event,
                " for ",
                quote(room),
                " was cancelled: the room was left before the join was answered"
            ),
        }
    }
}

/// Errors of the connection's own API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConnectionError {
    /// The URL is not http(s) or ws(s).
    BadUrl(String),
    /// The event name is empty or reserved.
    BadEventName(String, &'static str),
    /// The payload is not valid JSON.
    BadPayload(String),
    /// The token is empty.
    EmptyToken,
    /// The room name is empty or blank.
    BadRoomName(String),
}

impl ConnectionError {
    /// A stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            ConnectionError::BadUrl(_) => "bad_url",
            ConnectionError::BadEventName(..) => "bad_event_name",
            ConnectionError::BadPayload(_) => "bad_payload",
            ConnectionError::EmptyToken => "empty_token",
            ConnectionError::BadRoomName(_) => "bad_room_name",
        }
    }

    /// What went wrong, in words.
    pub fn message(&self) -> String {
        match self {
            ConnectionError::BadUrl(url) => cat!(
                "invalid server URL ",
                quote(url),
                ": expected http://, https://, ws:// or wss://"
            ),
            ConnectionError::BadEventName(name, why) => {
                cat!("invalid event name ", quote(name), ": ", why)
            }
            ConnectionError::BadPayload(why) => cat!("the payload is not valid JSON: ", why),
            ConnectionError::EmptyToken => "connect needs a non-empty token".into(),
            ConnectionError::BadRoomName(room) => cat!(
                "invalid room name ",
                quote(room),
                ": it must be a non-empty string"
            ),
        }
    }
}

display_for_tests!(AckError, ConnectionError);

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
    /// Give up after this many reconnect attempts (`None`: never). Default 10, as in nchat.
    pub max_reconnect_attempts: Option<u32>,
    /// Reconnect delays: 1 s doubling to 30 s, 0–10 % jitter.
    pub backoff: BackoffConfig,
    /// Seed of the jitter.
    pub seed: u64,
    /// Time allowed from opening the socket to being ready (the namespace
    /// CONNECT, then the ready event when there is one).
    pub connect_timeout_ms: Millis,
    /// The server event that says the server is ready for traffic (the nself
    /// server registers its handlers only after emitting `connected`, so
    /// anything sent earlier is lost). `None` for a plain Socket.IO server:
    /// the namespace CONNECT is ready.
    pub ready_event: Option<String>,
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
    /// The transport tried first (`connect` starts over with it).
    pub transport: Transport,
    /// Period of the polls of each joined room while polling.
    pub poll_interval_ms: Millis,
    /// The app gives a fresh token on a 401 (`refreshToken`); without it a
    /// 401 is an auth refusal.
    pub refresh_token: bool,
}

/// The wire a connection runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    /// Engine.IO/Socket.IO over a WebSocket.
    SocketIo,
    /// A Server-Sent Events stream, with HTTP sends.
    Sse,
    /// HTTP polls of each joined room, with HTTP sends.
    Polling,
}

impl Transport {
    /// The name JavaScript knows.
    pub fn as_str(self) -> &'static str {
        match self {
            Transport::SocketIo => "socketio",
            Transport::Sse => "sse",
            Transport::Polling => "polling",
        }
    }
}

impl Default for ConnectionConfig {
    fn default() -> Self {
        Self {
            url: "http://localhost:3101".into(),
            path: "/socket.io".into(),
            namespace: "/".into(),
            reconnection: true,
            max_reconnect_attempts: Some(10),
            backoff: BackoffConfig::default(),
            seed: 0x5EED,
            connect_timeout_ms: 20_000,
            ready_event: Some("connected".into()),
            quality_interval_ms: 30_000,
            latency_window: 5,
            probe_timeout_ms: 5_000,
            buffer_limit: 100,
            ack_timeout_ms: 10_000,
            transport: Transport::SocketIo,
            poll_interval_ms: 3_000,
            refresh_token: false,
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
        Ok(cat!(
            scheme,
            host,
            '/',
            self.path.trim_matches('/'),
            "/?EIO=4&transport=websocket"
        ))
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
    /// Abort and drop the stream; do not report its end.
    CloseStream,
    /// Make an HTTP request (`body`: JSON) and report its status and body
    /// text with `id` (status 0: a network error); or, with the id
    /// [`HttpRequest::STREAM`], open the event stream, dropping any previous
    /// one, and report its status, then its text, then its end.
    Http(HttpRequest),
    /// The transport changed (a fallback, or `connect` going back to the configured one).
    TransportChanged {
        /// The one that runs now.
        transport: Transport,
        /// Why.
        reason: &'static str,
    },
    /// The server refused the token (401): the app is asked for a fresh
    /// one (`update_token`, which reconnects) or says it has none
    /// (`refresh_failed`).
    RefreshToken,
    /// Send this text frame.
    Send(String),
    /// The state changed.
    StateChanged {
        /// The new state.
        state: ConnState,
        /// The previous state.
        previous: ConnState,
    },
    /// Connected and ready: the ready event arrived, the rooms are re-joined
    /// and the buffered emits are flushed after this.
    Connected {
        /// Socket.IO session id.
        sid: String,
        /// This follows a lost connection.
        reconnected: bool,
        /// Reconnect attempts it took (0 for the first connection).
        attempts: u32,
        /// The browser went offline since `clear_was_offline`.
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
    /// A request (`emit_with_ack`, `join_room`, `leave_room`) was answered;
    /// `data` is the JSON array of ack args.
    AckOk {
        /// The request id returned by `emit_with_ack`, `join_room` or `leave_room`.
        request: u64,
        /// Ack args as a JSON array.
        data: String,
    },
    /// A request failed (for a room join: rejected, timed out, cancelled).
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
    /// The namespace connected but the ready event did not arrive within the
    /// connect timeout; the transport is dropped and retried with backoff.
    ReadyTimeout {
        /// The awaited event.
        event: String,
        /// The timeout that ran out.
        timeout_ms: Millis,
    },
    /// Re-joining a room on (re)connect failed, and no app request waited
    /// for that join. A rejection removes the room from the set; a timeout
    /// (`code` [`REJOIN_TIMEOUT_CODE`]) keeps it for the next reconnect.
    RejoinFailed {
        /// The room.
        room: String,
        /// The server's code, e.g. `ROOM_NOT_FOUND`.
        code: String,
        /// The server's message.
        message: String,
    },
    /// A room was re-joined on (re)connect: `data` is the server's answer
    /// (the ack's JSON array), e.g. its member count.
    Rejoined {
        /// The room.
        room: String,
        /// The ack's arguments.
        data: String,
    },
}

/// The code of a [`Effect::RejoinFailed`] whose join was not answered in time.
pub const REJOIN_TIMEOUT_CODE: &str = "TIMEOUT";

/// One HTTP request of the SSE backend's wire, for the host to make (the
/// connection's [`Effect::Http`], handed on unchanged as the session's
/// output).
#[derive(Debug, Clone, PartialEq)]
pub struct HttpRequest {
    /// Answers carry it back.
    pub id: u64,
    /// `GET`, `POST` or `DELETE`.
    pub method: &'static str,
    /// The URL.
    pub url: String,
    /// The JWT (`Authorization: Bearer`).
    pub token: String,
    /// The `X-Realtime-Session` header.
    pub session: Option<String>,
    /// The JSON body.
    pub body: Option<String>,
    /// The stream's `Last-Event-ID`, to resume after.
    pub last_event_id: Option<String>,
}

impl HttpRequest {
    /// The id of the event stream (requests count from 1).
    pub const STREAM: u64 = 0;
    /// What the host reports of an exchange, by kind: its status (and, but
    /// for a 2xx stream, its body text) ...
    pub const STATUS: u8 = 0;
    /// ... then, for the stream, text of the body as it arrives ...
    pub const TEXT: u8 = 1;
    /// ... then its end (before a status: a network error).
    pub const END: u8 = 2;
}
