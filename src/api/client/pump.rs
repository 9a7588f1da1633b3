//! Carries out the connection's effects. Three steps, so no `RefCell`
//! borrow is held while JavaScript runs: under the borrow, effects become
//! socket actions ([`Io`]) and callbacks ([`Out`]); then the socket actions
//! run (open, send, close, logs); then listeners are called and promises
//! settled.

use std::cell::RefCell;
use std::rc::{Rc, Weak};

use js_sys::{Array, Function};
use wasm_bindgen::prelude::*;

use super::{ClientEvent, Hook, Inner, Pending};
use crate::api::js::{call, debug_log, parse_json, Deferred};
use crate::browser::clock::now_ms;
use crate::browser::websocket::{Socket, SocketEvent};
use crate::core::connection::{AckError, ConnState, Effect};
use crate::core::decimal::cat;
use crate::core::json::quote;
use crate::core::quality::Quality;

/// A socket action, run after the borrow is released.
enum Io {
    Open(String),
    Close,
    Send(String),
    Log(String),
}

/// What to call once the borrow is released.
pub(super) enum Out {
    RustAck(super::AckCallback, Result<String, String>),
    Event {
        name: String,
        data: String,
    },
    State(ConnState, ConnState),
    Online(bool),
    /// An `onError` report; `props` are extra string properties (`event`, `room`, …).
    Error {
        code: &'static str,
        message: String,
        props: Vec<(&'static str, String)>,
    },
    Quality(Quality),
    Settle(Deferred, Result<JsValue, String>),
    /// Rejects an `emitAsync`/`joinChannel`/`leaveChannel` promise.
    Fail(Deferred, AckError),
    Connected {
        reconnected: bool,
    },
    Disconnected(&'static str),
}

/// Carries out the connection's effects, then calls JavaScript back.
pub(super) fn pump(rc: &Rc<RefCell<Inner>>) {
    let mut out = Vec::new();
    loop {
        let mut io = Vec::new();
        {
            let Ok(mut guard) = rc.try_borrow_mut() else {
                return; // an outer pump on the stack will drain
            };
            let inner = &mut *guard;
            if inner.conn.is_none() {
                return;
            }
            while let Some(effect) = inner.conn.as_mut().and_then(|c| c.poll_effect()) {
                translate(inner, effect, &mut io, &mut out);
            }
        }
        // Opening can fail at once; the core's answer is one more round.
        if !run_io(rc, io, &mut out) {
            break;
        }
    }
    arm_timer(rc);
    let hooks: Vec<Hook> = match rc.try_borrow() {
        Ok(inner) => inner.hooks.iter().map(|(_, h)| h.clone()).collect(),
        Err(_) => Vec::new(),
    };
    dispatch(rc, out, &hooks);
}

/// One effect, under the borrow: no JavaScript here.
fn translate(inner: &mut Inner, effect: Effect, io: &mut Vec<Io>, out: &mut Vec<Out>) {
    let debug = inner.debug;
    let log = |io: &mut Vec<Io>, m: String| {
        if debug {
            io.push(Io::Log(m));
        }
    };
    match effect {
        Effect::Open { url } => {
            log(io, cat!("opening ", url));
            io.push(Io::Open(url));
        }
        Effect::Close => io.push(Io::Close),
        Effect::Send(frame) => io.push(Io::Send(frame)),
        Effect::StateChanged { state, previous } => {
            log(
                io,
                cat!("state ", previous.as_str(), " -> ", state.as_str()),
            );
            out.push(Out::State(state, previous));
        }
        Effect::Connected { reconnected, .. } => {
            for d in inner.connect_waiters.drain(..) {
                out.push(Out::Settle(d, Ok(JsValue::UNDEFINED)));
            }
            out.push(Out::Connected { reconnected });
        }
        Effect::Disconnected { reason } => out.push(Out::Disconnected(reason.as_str())),
        Effect::Event { name, data, .. } => out.push(Out::Event { name, data }),
        Effect::AckOk { request, data } => match inner.requests.remove(&request) {
            Some(Pending::Js(d)) => {
                let first = Array::from(&parse_json(&data)).get(0);
                out.push(Out::Settle(d, Ok(first)));
            }
            Some(Pending::Rust(cb)) => out.push(Out::RustAck(cb, Ok(data))),
            None => {}
        },
        Effect::AckErr { request, error } => match inner.requests.remove(&request) {
            Some(Pending::Js(d)) => out.push(Out::Fail(d, error)),
            Some(Pending::Rust(cb)) => out.push(Out::RustAck(cb, Err(error.message()))),
            None => {
                if let Some(d) = inner.latency.remove(&request) {
                    out.push(Out::Settle(d, Err(error.message())));
                }
            }
        },
        Effect::AuthError { message } => {
            for d in inner.connect_waiters.drain(..) {
                out.push(Out::Settle(
                    d,
                    Err(cat!("authentication failed: ", message)),
                ));
            }
            out.push(error("auth", message, vec![]));
        }
        Effect::ProtocolError { message } => out.push(error("protocol", message, vec![])),
        Effect::OnlineChanged { online } => out.push(Out::Online(online)),
        Effect::Latency { request, rtt } => {
            if let Some(d) = request.and_then(|r| inner.latency.remove(&r)) {
                out.push(Out::Settle(d, Ok(JsValue::from_f64(rtt as f64))));
            }
        }
        Effect::QualityChanged { quality } => out.push(Out::Quality(quality)),
        Effect::BufferOverflow { event, limit } => out.push(error(
            "buffer_overflow",
            cat!(
                "emit of ",
                quote(&event),
                " refused: ",
                limit,
                " events already wait for a connection"
            ),
            vec![("event", event)],
        )),
        Effect::ReconnectAttempt { attempt } => log(io, cat!("reconnect attempt ", attempt)),
        Effect::ReconnectFailed { attempts } => {
            let message = cat!("gave up reconnecting after ", attempts, " attempts");
            for d in inner.connect_waiters.drain(..) {
                out.push(Out::Settle(d, Err(message.clone())));
            }
            out.push(error("reconnect_failed", message, vec![]));
        }
        Effect::ReadyTimeout { event, timeout_ms } => {
            let message = cat!("the server did not send ", quote(&event), " within ", timeout_ms, " ms of connecting; retrying. For a plain Socket.IO server without a ready event, pass readyEvent: null to initialize()");
            for d in inner.connect_waiters.drain(..) {
                out.push(Out::Settle(d, Err(message.clone())));
            }
            out.push(error("ready_timeout", message, vec![("event", event)]));
        }
        Effect::RejoinFailed {
            room,
            code,
            message,
        } => out.push(error(
            "rejoin_failed",
            cat!(
                "re-joining room ",
                quote(&room),
                " failed (",
                code,
                "): ",
                message
            ),
            vec![("room", room), ("serverCode", code)],
        )),
    }
}

fn error(code: &'static str, message: String, props: Vec<(&'static str, String)>) -> Out {
    Out::Error {
        code,
        message,
        props,
    }
}

/// Runs the socket actions with no borrow held; true if the core was fed
/// (a socket could not be opened) and has effects to pump again.
fn run_io(rc: &Rc<RefCell<Inner>>, io: Vec<Io>, out: &mut Vec<Out>) -> bool {
    let mut fed = false;
    for action in io {
        match action {
            Io::Log(message) => debug_log(&message),
            Io::Close => replace_socket(rc, None),
            Io::Send(frame) => {
                let sender = match rc.try_borrow() {
                    Ok(inner) => inner.socket.as_ref().map(Socket::sender),
                    Err(_) => None,
                };
                if let Some(s) = sender {
                    if s.send(&frame).is_err() && rc.try_borrow().is_ok_and(|i| i.debug) {
                        debug_log("send failed: the socket is not open");
                    }
                }
            }
            Io::Open(url) => {
                replace_socket(rc, None);
                match open_socket(&url, Rc::downgrade(rc)) {
                    Ok(s) => replace_socket(rc, Some(s)),
                    Err(message) => {
                        out.push(error("transport", message, vec![]));
                        if let Ok(mut inner) = rc.try_borrow_mut() {
                            if let Some(conn) = inner.conn.as_mut() {
                                conn.on_transport_closed(now_ms());
                                fed = true;
                            }
                        }
                    }
                }
            }
        }
    }
    fed
}

/// Puts `socket` in place; the previous one is dropped (closed) after the
/// borrow is released.
pub(super) fn replace_socket(rc: &Rc<RefCell<Inner>>, socket: Option<Socket>) {
    let previous = match rc.try_borrow_mut() {
        Ok(mut inner) => std::mem::replace(&mut inner.socket, socket),
        Err(_) => socket,
    };
    drop(previous);
}

/// Aims the deadline timer (a `setTimeout` call) with the timer taken out
/// of the borrow.
fn arm_timer(rc: &Rc<RefCell<Inner>>) {
    let Ok(mut inner) = rc.try_borrow_mut() else {
        return;
    };
    let deadline = inner.conn.as_ref().and_then(|c| c.next_deadline());
    let mut timer = std::mem::take(&mut inner.timer);
    drop(inner);
    let weak = Rc::downgrade(rc);
    timer.arm(deadline, move || on_timer(&weak));
    if let Ok(mut inner) = rc.try_borrow_mut() {
        inner.timer = timer;
    }
}

fn open_socket(url: &str, weak: Weak<RefCell<Inner>>) -> Result<Socket, String> {
    Socket::open(url, move |event| on_socket(&weak, event)).map_err(|e| {
        let detail = e
            .dyn_ref::<js_sys::Error>()
            .map(|e| String::from(e.message()))
            .unwrap_or_else(|| "WebSocket is not available (server-side rendering?)".into());
        cat!("cannot open a WebSocket to ", url, ": ", detail)
    })
}

fn on_socket(weak: &Weak<RefCell<Inner>>, event: SocketEvent) {
    let Some(rc) = weak.upgrade() else { return };
    let closed = matches!(event, SocketEvent::Closed);
    {
        let Ok(mut inner) = rc.try_borrow_mut() else {
            return;
        };
        let now = now_ms();
        let Some(conn) = inner.conn.as_mut() else {
            return;
        };
        match event {
            SocketEvent::Open => conn.on_transport_open(now),
            SocketEvent::Text(t) => conn.on_frame(&t, now),
            SocketEvent::Binary => conn.on_binary_frame(),
            SocketEvent::Closed => conn.on_transport_closed(now),
        }
    }
    if closed {
        replace_socket(&rc, None);
    }
    pump(&rc);
}

fn on_timer(weak: &Weak<RefCell<Inner>>) {
    let Some(rc) = weak.upgrade() else { return };
    {
        let Ok(mut inner) = rc.try_borrow_mut() else {
            return;
        };
        inner.timer.fired();
        if let Some(conn) = inner.conn.as_mut() {
            conn.handle_timeout(now_ms());
        }
    }
    pump(&rc);
}

/// The `Error` a failed request's promise rejects with: the message, the
/// `event`, and for a server rejection its `code` (e.g. `ROOM_NOT_FOUND`).
fn ack_error(error: &AckError) -> JsValue {
    let err = js_sys::Error::new(&error.message());
    let event = match error {
        AckError::Timeout { event, .. }
        | AckError::Disconnected { event }
        | AckError::Rejected { event, .. }
        | AckError::Cancelled { event, .. } => Some(event.as_str()),
        AckError::BufferFull { .. } => None,
    };
    if let Some(e) = event {
        let _ = js_sys::Reflect::set(&err, &"event".into(), &e.into());
    }
    if let AckError::Rejected { code, .. } = error {
        let _ = js_sys::Reflect::set(&err, &"code".into(), &code.as_str().into());
    }
    err.into()
}

/// Calls listeners and settles promises, with no borrow held.
pub(super) fn dispatch(rc: &Rc<RefCell<Inner>>, out: Vec<Out>, hooks: &[Hook]) {
    for o in out {
        match o {
            Out::Event { name, data } => {
                for h in hooks {
                    h(&ClientEvent::Event {
                        name: &name,
                        data: &data,
                    });
                }
                let fns = {
                    let Ok(mut inner) = rc.try_borrow_mut() else {
                        continue;
                    };
                    let Some(list) = inner.listeners.get_mut(&name) else {
                        continue;
                    };
                    let fns: Vec<Function> = list.iter().map(|l| l.f.clone()).collect();
                    list.retain(|l| !l.once);
                    if list.is_empty() {
                        inner.listeners.remove(&name);
                    }
                    fns
                };
                if fns.is_empty() {
                    continue;
                }
                let args = Array::from(&parse_json(&data));
                args.shift();
                for f in fns {
                    if let Err(e) = call(&f, &args) {
                        report_listener_error(rc, &name, &e);
                    }
                }
            }
            Out::State(state, previous) => {
                let fns = rc.borrow().state_subs.snapshot();
                let args = Array::of2(&state.as_str().into(), &previous.as_str().into());
                call_all(rc, "stateChange", &fns, &args);
            }
            Out::Online(online) => {
                for h in hooks {
                    h(&ClientEvent::Online(online));
                }
                let fns = rc.borrow().online_subs.snapshot();
                call_all(rc, "offlineStatusChange", &fns, &Array::of1(&online.into()));
            }
            Out::Quality(q) => {
                let fns = rc.borrow().quality_subs.snapshot();
                call_all(rc, "qualityChange", &fns, &Array::of1(&q.as_str().into()));
            }
            Out::Error {
                code,
                message,
                props,
            } => {
                let (fns, debug) = {
                    let inner = rc.borrow();
                    (inner.error_subs.snapshot(), inner.debug)
                };
                if debug || fns.is_empty() {
                    debug_log(&cat!(code, ": ", message));
                }
                let err = js_sys::Object::new();
                let _ = js_sys::Reflect::set(&err, &"code".into(), &code.into());
                let _ = js_sys::Reflect::set(&err, &"message".into(), &message.into());
                for (key, value) in props {
                    let _ = js_sys::Reflect::set(&err, &key.into(), &value.into());
                }
                for f in fns {
                    let _ = call(&f, &Array::of1(&err));
                }
            }
            Out::RustAck(cb, result) => cb(result),
            Out::Settle(d, Ok(v)) => d.resolve(&v),
            Out::Settle(d, Err(m)) => d.reject(&m),
            Out::Fail(d, error) => d.reject_with(&ack_error(&error)),
            Out::Connected { reconnected } => {
                for h in hooks {
                    h(&ClientEvent::Connected { reconnected });
                }
            }
            Out::Disconnected(reason) => {
                for h in hooks {
                    h(&ClientEvent::Disconnected);
                }
                let fns = rc.borrow().disconnect_subs.snapshot();
                call_all(rc, "disconnect", &fns, &Array::of1(&reason.into()));
            }
        }
    }
}

fn call_all(rc: &Rc<RefCell<Inner>>, what: &str, fns: &[Function], args: &Array) {
    for f in fns {
        if let Err(e) = call(f, args) {
            report_listener_error(rc, what, &e);
        }
    }
}

fn report_listener_error(rc: &Rc<RefCell<Inner>>, event: &str, thrown: &JsValue) {
    let message = thrown
        .dyn_ref::<js_sys::Error>()
        .map(|e| String::from(e.message()))
        .or_else(|| thrown.as_string())
        .unwrap_or_else(|| "a non-Error value was thrown".into());
    dispatch(
        rc,
        vec![error(
            "listener",
            cat!("a listener of ", quote(event), " threw: ", message),
            vec![("event", event.into())],
        )],
        &[],
    );
}
