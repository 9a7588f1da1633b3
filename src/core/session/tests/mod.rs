//! Host tests of the session with a fake clock and a scripted server: the
//! routing end to end, from commands and frames in to frames, events and
//! completions out.

use serde_json::{json, Value};

use super::*;
use crate::core::connection::ConnectionConfig;
use crate::core::store::MemoryStore;

mod client;
mod conflict;
mod deadlines;
mod dispatch;
mod queue;
mod relay;
mod rooms;
mod services;
mod sse;
mod sync;
mod wire;

/// The Engine.IO handshake: 25 s pings, 20 s timeout (a 45 s window).
const OPEN: &str =
    r#"0{"sid":"e1","upgrades":[],"pingInterval":25000,"pingTimeout":20000,"maxPayload":100000}"#;
/// The real server's ready event, naming the user.
const READY: &str = r#"42["connected",{"socketId":"s1","userId":"me"}]"#;

/// A session on `store`, initialized, not connected.
fn session_on(store: &MemoryStore) -> Session {
    let store = store.clone();
    let mut s = Session::new(Box::new(move || Box::new(store.clone())));
    s.initialize(
        ClientConfig {
            connection: ConnectionConfig {
                url: "http://127.0.0.1:3101".into(),
                quality_interval_ms: 0,
                ..Default::default()
            },
            auth_extra: None,
            online: true,
        },
        0,
    )
    .unwrap();
    drain(&mut s);
    s
}

/// A queue attached to `s` (with the cross-tab `lock`, owner `owner`).
fn attach_queue(s: &mut Session, lock: Option<LockMode>, owner: &str) -> Handle {
    s.attach_queue(
        crate::core::queue::QueueConfig {
            use_flush_lock: lock.is_some(),
            ..Default::default()
        },
        QueueAttach {
            seed: 3,
            lock,
            owner: owner.into(),
        },
        0,
    )
    .unwrap()
}

fn session() -> Session {
    session_on(&MemoryStore::new())
}

fn drain(s: &mut Session) -> Vec<Output> {
    std::iter::from_fn(|| s.poll()).collect()
}

/// The text frames among `outputs`.
fn frames(outputs: &[Output]) -> Vec<String> {
    outputs
        .iter()
        .filter_map(|o| match o {
            Output::Send(f) => Some(f.clone()),
            _ => None,
        })
        .collect()
}

/// The events among `outputs` for `target`.
fn events_of(outputs: &[Output], target: Handle) -> Vec<Event> {
    outputs
        .iter()
        .filter_map(|o| match o {
            Output::Event { target: t, event } if *t == target => Some(event.clone()),
            _ => None,
        })
        .collect()
}

/// The outcome of `ticket` among `outputs` (panics if absent).
fn outcome(outputs: &[Output], ticket: Ticket) -> Result<Answer, SessionError> {
    outputs
        .iter()
        .find_map(|o| match o {
            Output::Done { ticket: t, result } if *t == ticket => Some(result.clone()),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no outcome of {ticket:?} in {outputs:?}"))
}

fn has_outcome(outputs: &[Output], ticket: Ticket) -> bool {
    outputs
        .iter()
        .any(|o| matches!(o, Output::Done { ticket: t, .. } if *t == ticket))
}

/// Connects at `now` up to the ready event (answering no room); returns
/// the outputs from the ready event on.
fn connect(s: &mut Session, now: Millis) -> Vec<Output> {
    let t = s.connect(Some("tok"), now).unwrap();
    open_until_ready(s, now);
    let out = drain(s);
    assert_eq!(outcome(&out, t), Ok(Answer::Unit));
    out
}

/// An opened attempt up to the namespace CONNECT (not ready yet).
fn handshake(s: &mut Session, now: Millis) {
    s.handle_socket_open(now);
    s.handle_socket_frame(OPEN, now);
    s.handle_socket_frame(r#"40{"sid":"s1"}"#, now);
}

fn open_until_ready(s: &mut Session, now: Millis) {
    handshake(s, now);
    s.handle_socket_frame(READY, now);
}

/// Loses the link at `now`, runs the reconnect when due and handshakes
/// up to (not including) the ready event; returns the attempt's instant.
fn drop_and_reconnect(s: &mut Session, now: Millis) -> Millis {
    s.handle_socket_closed(now);
    let at = s.next_deadline().expect("a reconnect deadline");
    s.handle_timeout(at);
    handshake(s, at);
    at
}

/// The ack id of the last frame `42<id>[...]` carrying `needle` (a
/// re-sent request comes before the new one).
fn ack_id(frames: &[String], needle: &str) -> u64 {
    let f = frames
        .iter()
        .rev()
        .find(|f| f.contains(needle))
        .unwrap_or_else(|| panic!("no frame with {needle} in {frames:?}"));
    let digits: String = f[2..].chars().take_while(char::is_ascii_digit).collect();
    digits.parse().unwrap()
}

/// Answers the request carrying `needle` with `answer` (one ack argument).
fn answer(s: &mut Session, frames: &[String], needle: &str, answer: Value, now: Millis) {
    let id = ack_id(frames, needle);
    s.handle_socket_frame(&format!("43{id}[{answer}]"), now);
}

/// A server event frame.
fn server_event(s: &mut Session, name: &str, payload: Value, now: Millis) {
    s.handle_socket_frame(&format!("42{}", json!([name, payload])), now);
}

fn ok() -> Value {
    json!({ "success": true })
}
