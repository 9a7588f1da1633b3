//! Host tests of the connection with a fake clock, and their shared helpers.

use super::*;
use crate::core::backoff::BackoffConfig;

mod emits;
mod link;
mod overflow;
mod ready;
mod resend;
mod rooms;
mod sse;

const OPEN: &str =
    r#"0{"sid":"e1","upgrades":[],"pingInterval":1000,"pingTimeout":500,"maxPayload":1000}"#;
/// The real server's ready event.
const READY: &str = r#"42["connected",{"socketId":"s1","serverTime":"2024-01-01T00:00:00.000Z","protocolVersion":"1.0"}]"#;

fn conn(cfg: ConnectionConfig) -> Connection {
    Connection::new(cfg).unwrap()
}

fn cfg() -> ConnectionConfig {
    ConnectionConfig {
        url: "http://127.0.0.1:3101".into(),
        quality_interval_ms: 0,
        ..Default::default()
    }
}

/// The effect opening the event stream.
fn stream_request(url: String, token: &str, last_event_id: Option<String>) -> HttpRequest {
    HttpRequest {
        id: HttpRequest::STREAM,
        method: "GET",
        url,
        token: token.into(),
        session: None,
        body: None,
        last_event_id,
    }
}

fn drain(c: &mut Connection) -> Vec<Effect> {
    std::iter::from_fn(|| c.poll_effect()).collect()
}

fn sent(effects: &[Effect]) -> Vec<String> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::Send(s) => Some(s.clone()),
            _ => None,
        })
        .collect()
}

fn states(effects: &[Effect]) -> Vec<ConnState> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::StateChanged { state, .. } => Some(*state),
            _ => None,
        })
        .collect()
}

/// Attempts opened: a WebSocket, a stream or a polling connect.
fn opens(effects: &[Effect]) -> usize {
    effects
        .iter()
        .filter(|e| match e {
            Effect::Open { .. } => true,
            Effect::Http(r) if r.id == HttpRequest::STREAM => true,
            Effect::Http(r) => r.url.ends_with("/connect"),
            _ => false,
        })
        .count()
}

/// Fails the attempt `effects` opened, whichever transport it is on.
fn fail_attempt(c: &mut Connection, effects: &[Effect], now: Millis) {
    for e in effects {
        match e {
            Effect::Open { .. } => c.on_transport_closed(now),
            Effect::Http(r) if r.id == HttpRequest::STREAM => c.on_stream_closed(now),
            Effect::Http(r) if r.url.ends_with("/connect") => c.on_http_done(r.id, 0, "", now),
            _ => {}
        }
    }
}

/// The index of the first effect matching `f` (panics if none).
fn position(effects: &[Effect], f: impl Fn(&Effect) -> bool) -> usize {
    effects
        .iter()
        .position(f)
        .unwrap_or_else(|| panic!("no such effect in {effects:?}"))
}

fn is_connected_effect(e: &Effect) -> bool {
    matches!(e, Effect::Connected { .. })
}

/// The handshake, namespace CONNECT and ready event of an opened attempt.
fn ready(c: &mut Connection, now: Millis) {
    c.on_transport_open(now);
    c.on_frame(OPEN, now);
    c.on_frame(r#"40{"sid":"s1"}"#, now);
    c.on_frame(READY, now);
}

/// Connects fully at `now`, returning the effects.
fn connected(c: &mut Connection, now: Millis) -> Vec<Effect> {
    c.connect("tok", Some(r#"{"device":{"type":"web"}}"#), now)
        .unwrap();
    ready(c, now);
    drain(c)
}

/// Loses the link at `now` and runs the reconnect attempt when it is due;
/// returns the instant of the attempt (the socket is opening).
fn drop_and_reattempt(c: &mut Connection, now: Millis) -> Millis {
    c.on_transport_closed(now);
    let at = c.next_deadline().unwrap();
    c.handle_timeout(at);
    at
}

/// The ack id of the frame `42<id>[...]` that carries `needle`.
fn ack_id_of(frames: &[String], needle: &str) -> u64 {
    let f = frames
        .iter()
        .find(|f| f.contains(needle))
        .unwrap_or_else(|| panic!("no frame with {needle} in {frames:?}"));
    let digits: String = f[2..].chars().take_while(char::is_ascii_digit).collect();
    digits.parse().unwrap()
}
