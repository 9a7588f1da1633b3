//! The connection state machine: Engine.IO handshake and heartbeat, Socket.IO
//! namespace connect with auth, the server's ready event, rooms re-joined on
//! every reconnect, reconnection with backoff, offline handling, liveness
//! checks, emit buffering, acks with timeouts and quality sampling.
//!
//! Sans-IO: the host opens and closes the WebSocket, sends text frames and
//! calls [`Connection::handle_timeout`] at [`Connection::next_deadline`].
//!
//! A link goes through [`Phase`]s: the socket opens, the Engine.IO handshake
//! arrives, the namespace CONNECT is answered, the ready event arrives (the
//! real server registers its handlers only then), the app's rooms are
//! re-joined and answered, and only then is the connection `Connected` and
//! the buffer flushed, so no app traffic reaches a server that would drop it.

use crate::core::fifo::Fifo;

use crate::core::vecmap::{VecMap, VecSet};

use super::quality::{LatencyWindow, Quality};
use super::rng::Rng;
use super::Millis;

mod http;
mod identity;
mod link;
mod poll;
mod probe;
mod ready;
mod requests;
mod rooms;
mod types;

pub use identity::{event_user_id, jwt_user_id};
pub use types::*;

/// How far the current link has come, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Phase {
    /// No transport.
    Down,
    /// The WebSocket is opening or open; waiting for the Engine.IO handshake.
    Opening,
    /// Handshake done; the namespace CONNECT is sent.
    Handshaken,
    /// The namespace is connected; waiting for the server's ready event.
    AwaitingReady,
    /// Ready: the rooms are being re-joined; app traffic still waits.
    Rejoining,
    /// Connected: app traffic flows.
    Live,
}

/// What a request is for, which decides how its answer and a lost link are handled.
enum Kind {
    /// An app `emit_with_ack`; `resend` keeps the payload of one whose
    /// argument carries a `clientMessageId`, re-sent after a lost link;
    /// `data`: answered as nchat's `emitAsync` ([`Connection::emit_for_data`]).
    App { resend: Option<String>, data: bool },
    /// A latency or liveness probe.
    Probe,
    /// An app `join_room`: sent while live, else parked until the re-join
    /// phase answers for its room.
    Join(String),
    /// An app `leave_room` (the room left the set when it was called).
    Leave,
    /// The connection's own re-join of a room; `stale` once the app left the
    /// room while it was in flight (its answer then no longer counts).
    Rejoin { room: String, stale: bool },
}

struct Request {
    event: String,
    deadline: Millis,
    timeout_ms: Millis,
    ack_id: Option<u64>,
    kind: Kind,
}

struct Buffered {
    data: String,
    request: Option<u64>,
}

#[derive(Clone, Copy)]
struct Probe {
    request: u64,
    sent_at: Millis,
    liveness: bool,
    answer: Option<u64>,
}

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
    phase: Phase,
    max_payload: usize,
    ping_window: Millis,
    sid: Option<String>,
    user_id: Option<String>,
    /// The `authenticated` event's argument (JSON text) on this link.
    authenticated: Option<String>,
    liveness_deadline: Option<Millis>,
    connect_deadline: Option<Millis>,
    reconnect_at: Option<Millis>,
    quality_at: Option<Millis>,
    probe: Option<Probe>,
    window: LatencyWindow,
    quality: Quality,
    next_request: u64,
    next_ack: u64,
    requests: VecMap<u64, Request>,
    deadlines: VecSet<(Millis, u64)>,
    ack_to_request: VecMap<u64, u64>,
    buffer: Fifo<Buffered>,
    rooms: Vec<String>,
    rejoin_wait: VecSet<u64>,
    effects: Fifo<Effect>,
    wire: http::Wire,
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
            phase: Phase::Down,
            max_payload: 1_000_000,
            ping_window: 45_000,
            sid: None,
            user_id: None,
            authenticated: None,
            liveness_deadline: None,
            connect_deadline: None,
            reconnect_at: None,
            quality_at: None,
            probe: None,
            window: LatencyWindow::new(cfg.latency_window),
            quality: Quality::Unknown,
            next_request: 1,
            next_ack: 0,
            requests: VecMap::new(),
            deadlines: VecSet::new(),
            ack_to_request: VecMap::new(),
            buffer: Fifo::new(),
            rooms: Vec::new(),
            rejoin_wait: VecSet::new(),
            effects: Fifo::new(),
            wire: http::Wire::new(cfg.transport, &cfg.url),
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

    /// Connected and ready for traffic.
    pub fn is_connected(&self) -> bool {
        self.state == ConnState::Connected
    }

    /// Reconnect attempts in the current sequence.
    pub fn reconnect_attempts(&self) -> u32 {
        self.attempts
    }

    /// The browser went offline since this was last cleared: it stays set
    /// after the reconnect (as in nchat's client) so the app can sync and
    /// then call [`Connection::clear_was_offline`].
    pub fn was_offline(&self) -> bool {
        self.was_offline
    }

    /// Clears [`Connection::was_offline`] (the app has caught up).
    pub fn clear_was_offline(&mut self) {
        self.was_offline = false;
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

    /// The transport that runs (or will on the next attempt).
    pub fn transport(&self) -> Transport {
        self.wire.active
    }

    /// The Socket.IO (or SSE) session id once the namespace is connected.
    pub fn sid(&self) -> Option<&str> {
        self.sid.as_deref()
    }

    /// The user this connection is for: the token's `userId` (else `sub`)
    /// claim from `connect`, replaced by a `userId` the server states in its
    /// ready event or an `authenticated` event.
    pub fn user_id(&self) -> Option<&str> {
        self.user_id.as_deref()
    }

    /// nchat's `auth`: the object of the server's `authenticated` event on
    /// this link (JSON text), as it came; `None` before one and once the
    /// link is lost.
    pub fn authenticated(&self) -> Option<&str> {
        self.authenticated.as_deref()
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
        let quality = self.quality_at.filter(|_| self.phase == Phase::Live);
        [
            self.liveness_deadline,
            self.connect_deadline,
            self.reconnect_at,
            quality,
            probe,
            self.deadlines.first().map(|(d, _)| *d),
            self.wire.poll_at.filter(|_| self.phase == Phase::Live),
        ]
        .into_iter()
        .flatten()
        .min()
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests;
