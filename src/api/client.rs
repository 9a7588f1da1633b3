//! `RealtimeClient`: Socket.IO over the browser WebSocket.
//!
//! The core [`Connection`] decides; this file carries out its effects (open,
//! send, close, one deadline timer) and calls JavaScript back only after the
//! `RefCell` borrow is released.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::{Rc, Weak};

use js_sys::{Array, Function, Promise};
use wasm_bindgen::prelude::*;

use super::args::{self, Res};
use super::js::{call, debug_log, parse_json, unsubscribe_fn, Callbacks, Deferred, Unsubscribe};
use super::types::{ClientOptions, CLIENT_OPTIONS, CUSTOM_STATUS_WIRE, PRESENCE_STATUSES};
use crate::browser::clock::now_ms;
use crate::browser::device;
use crate::browser::listener::EventListener;
use crate::browser::timer::DeadlineTimer;
use crate::browser::websocket::{Socket, SocketEvent};
use crate::core::connection::{ConnState, Connection, Effect};
use crate::core::quality::Quality;

/// What services built on the client hear, in Rust.
pub(crate) enum ClientEvent<'a> {
    /// Connected (again).
    Connected {
        /// After a lost link.
        reconnected: bool,
    },
    /// The connection ended.
    Disconnected,
    /// A server event, `data = ["name", ...args]` as JSON text.
    Event {
        /// The name.
        name: &'a str,
        /// The payload array.
        data: &'a str,
    },
    /// Browser online status.
    Online(bool),
}

/// A Rust subscriber of client events.
pub(crate) type Hook = Rc<dyn Fn(&ClientEvent)>;

struct Listener {
    id: u32,
    f: Function,
    once: bool,
}

/// Answer of an ack request made from Rust: the ack's args array as JSON
/// text, or why there is none.
pub(crate) type AckCallback = Box<dyn FnOnce(Result<String, String>)>;

/// Who waits for an ack.
enum Pending {
    Js(Deferred),
    Rust(AckCallback),
}

/// What to call once the borrow is released.
enum Out {
    RustAck(AckCallback, Result<String, String>),
    Event {
        name: String,
        data: String,
    },
    State(ConnState, ConnState),
    Online(bool),
    Error {
        code: &'static str,
        message: String,
        event: Option<String>,
    },
    Quality(Quality),
    Settle(Deferred, Result<JsValue, String>),
    Connected {
        reconnected: bool,
    },
    Disconnected(&'static str),
}

pub(crate) struct Inner {
    conn: Option<Connection>,
    debug: bool,
    auth_extra: Option<String>,
    socket: Option<Socket>,
    timer: DeadlineTimer,
    listeners: HashMap<String, Vec<Listener>>,
    state_subs: Callbacks,
    online_subs: Callbacks,
    error_subs: Callbacks,
    quality_subs: Callbacks,
    disconnect_subs: Callbacks,
    requests: HashMap<u64, Pending>,
    latency: HashMap<u64, Deferred>,
    connect_waiters: Vec<Deferred>,
    hooks: Vec<(u32, Hook)>,
    next_id: u32,
    dom: Vec<EventListener>,
    user_id: Option<String>,
}

impl Unsubscribe for Inner {
    fn unsubscribe(&mut self, id: u32) {
        for list in self.listeners.values_mut() {
            list.retain(|l| l.id != id);
        }
        self.listeners.retain(|_, l| !l.is_empty());
        for subs in [
            &mut self.state_subs,
            &mut self.online_subs,
            &mut self.error_subs,
            &mut self.quality_subs,
            &mut self.disconnect_subs,
        ] {
            subs.remove(id);
        }
        self.hooks.retain(|(i, _)| *i != id);
    }
}

impl Inner {
    fn next_id(&mut self) -> u32 {
        self.next_id = self.next_id.wrapping_add(1);
        self.next_id
    }

    fn conn(&mut self) -> Result<&mut Connection, JsError> {
        self.conn.as_mut().ok_or_else(|| {
            JsError::new("RealtimeClient is not initialized: call initialize({ url }) first")
        })
    }
}

/// The shared state behind a client, for the services.
#[derive(Clone)]
pub(crate) struct ClientHandle(Rc<RefCell<Inner>>);

impl ClientHandle {
    /// Subscribes a Rust hook; returns its id.
    pub fn add_hook(&self, hook: Hook) -> u32 {
        let mut inner = self.0.borrow_mut();
        let id = inner.next_id();
        inner.hooks.push((id, hook));
        id
    }

    /// Removes a hook.
    pub fn remove_hook(&self, id: u32) {
        if let Ok(mut inner) = self.0.try_borrow_mut() {
            inner.hooks.retain(|(i, _)| *i != id);
        }
    }

    /// Emits `event` with JSON text `arg` (buffered while disconnected).
    pub fn emit_json(&self, event: &str, arg: Option<&str>) -> Result<bool, JsError> {
        let r = {
            let mut inner = self.0.borrow_mut();
            let now = now_ms();
            inner
                .conn()?
                .emit(event, arg, now)
                .map_err(|e| JsError::new(&e.to_string()))
        };
        pump(&self.0);
        r
    }

    /// Emits `event` only if connected.
    pub fn emit_volatile_json(&self, event: &str, arg: Option<&str>) -> Result<bool, JsError> {
        let r = {
            let mut inner = self.0.borrow_mut();
            inner
                .conn()?
                .emit_volatile(event, arg)
                .map_err(|e| JsError::new(&e.to_string()))
        };
        pump(&self.0);
        r
    }

    /// Emits asking for an ack; the promise resolves with the first ack argument.
    pub fn emit_async_json(
        &self,
        event: &str,
        arg: Option<&str>,
        timeout_ms: Option<u64>,
    ) -> Result<Promise, JsError> {
        let (promise, deferred) = Deferred::new();
        {
            let mut inner = self.0.borrow_mut();
            let now = now_ms();
            let request = inner
                .conn()?
                .emit_with_ack(event, arg, timeout_ms, now)
                .map_err(|e| JsError::new(&e.to_string()))?;
            inner.requests.insert(request, Pending::Js(deferred));
        }
        pump(&self.0);
        Ok(promise)
    }

    /// Emits asking for an ack; `callback` gets the ack args (JSON array
    /// text) or the failure, called with no borrow held.
    pub fn emit_with_ack_cb(
        &self,
        event: &str,
        arg: Option<&str>,
        timeout_ms: Option<u64>,
        callback: AckCallback,
    ) -> Result<(), JsError> {
        {
            let mut inner = self.0.borrow_mut();
            let now = now_ms();
            let request = inner
                .conn()?
                .emit_with_ack(event, arg, timeout_ms, now)
                .map_err(|e| JsError::new(&e.to_string()))?;
            inner.requests.insert(request, Pending::Rust(callback));
        }
        pump(&self.0);
        Ok(())
    }

    /// Connected to the namespace.
    pub fn is_connected(&self) -> bool {
        self.0
            .borrow()
            .conn
            .as_ref()
            .is_some_and(Connection::is_connected)
    }

    /// Debug logging is on.
    pub fn debug(&self) -> bool {
        self.0.borrow().debug
    }

    /// The user the server authenticated (its last `authenticated` event).
    pub fn user_id(&self) -> Option<String> {
        self.0.borrow().user_id.clone()
    }
}

/// `userId` of an `authenticated` event's data (`["authenticated", {userId}]`).
pub(crate) fn authenticated_user_id(data: &str) -> Option<String> {
    let value: serde_json::Value = serde_json::from_str(data).ok()?;
    value
        .get(1)?
        .get("userId")?
        .as_str()
        .filter(|id| !id.is_empty())
        .map(str::to_owned)
}

/// Carries out the connection's effects, then calls JavaScript back.
fn pump(rc: &Rc<RefCell<Inner>>) {
    let mut out = Vec::new();
    let hooks;
    {
        let Ok(mut guard) = rc.try_borrow_mut() else {
            return; // an outer pump on the stack will drain
        };
        let inner = &mut *guard;
        let Some(conn) = inner.conn.as_mut() else {
            return;
        };
        while let Some(effect) = conn.poll_effect() {
            match effect {
                Effect::Open { url } => {
                    if inner.debug {
                        debug_log(&format!("opening {url}"));
                    }
                    inner.socket = None;
                    match open_socket(&url, Rc::downgrade(rc)) {
                        Ok(s) => inner.socket = Some(s),
                        Err(message) => {
                            out.push(Out::Error {
                                code: "transport",
                                message,
                                event: None,
                            });
                            conn.on_transport_closed(now_ms());
                        }
                    }
                }
                Effect::Close => inner.socket = None,
                Effect::Send(frame) => {
                    if let Some(s) = &inner.socket {
                        if s.send(&frame).is_err() && inner.debug {
                            debug_log("send failed: the socket is not open");
                        }
                    }
                }
                Effect::StateChanged { state, previous } => {
                    if inner.debug {
                        debug_log(&format!(
                            "state {} -> {}",
                            previous.as_str(),
                            state.as_str()
                        ));
                    }
                    out.push(Out::State(state, previous));
                }
                Effect::Connected { reconnected, .. } => {
                    for d in inner.connect_waiters.drain(..) {
                        out.push(Out::Settle(d, Ok(JsValue::UNDEFINED)));
                    }
                    out.push(Out::Connected { reconnected });
                }
                Effect::Disconnected { reason } => out.push(Out::Disconnected(reason.as_str())),
                Effect::Event { name, data, .. } => {
                    if name == "authenticated" {
                        if let Some(id) = authenticated_user_id(&data) {
                            inner.user_id = Some(id);
                        }
                    }
                    out.push(Out::Event { name, data });
                }
                Effect::AckOk { request, data } => match inner.requests.remove(&request) {
                    Some(Pending::Js(d)) => {
                        let first = Array::from(&parse_json(&data)).get(0);
                        out.push(Out::Settle(d, Ok(first)));
                    }
                    Some(Pending::Rust(cb)) => out.push(Out::RustAck(cb, Ok(data))),
                    None => {}
                },
                Effect::AckErr { request, error } => match inner.requests.remove(&request) {
                    Some(Pending::Js(d)) => out.push(Out::Settle(d, Err(error.to_string()))),
                    Some(Pending::Rust(cb)) => out.push(Out::RustAck(cb, Err(error.to_string()))),
                    None => {
                        if let Some(d) = inner.latency.remove(&request) {
                            out.push(Out::Settle(d, Err(error.to_string())));
                        }
                    }
                },
                Effect::AuthError { message } => {
                    for d in inner.connect_waiters.drain(..) {
                        out.push(Out::Settle(
                            d,
                            Err(format!("authentication failed: {message}")),
                        ));
                    }
                    out.push(Out::Error {
                        code: "auth",
                        message,
                        event: None,
                    });
                }
                Effect::ProtocolError { message } => {
                    out.push(Out::Error {
                        code: "protocol",
                        message,
                        event: None,
                    });
                }
                Effect::OnlineChanged { online } => out.push(Out::Online(online)),
                Effect::Latency { request, rtt } => {
                    if let Some(d) = request.and_then(|r| inner.latency.remove(&r)) {
                        out.push(Out::Settle(d, Ok(JsValue::from_f64(rtt as f64))));
                    }
                }
                Effect::QualityChanged { quality } => out.push(Out::Quality(quality)),
                Effect::BufferOverflow { event, limit } => out.push(Out::Error {
                    code: "buffer_overflow",
                    message: format!(
                        "emit of {event:?} refused: {limit} events already wait for a connection"
                    ),
                    event: Some(event),
                }),
                Effect::ReconnectAttempt { attempt } => {
                    if inner.debug {
                        debug_log(&format!("reconnect attempt {attempt}"));
                    }
                }
                Effect::ReconnectFailed { attempts } => {
                    let message = format!("gave up reconnecting after {attempts} attempts");
                    for d in inner.connect_waiters.drain(..) {
                        out.push(Out::Settle(d, Err(message.clone())));
                    }
                    out.push(Out::Error {
                        code: "reconnect_failed",
                        message,
                        event: None,
                    });
                }
            }
        }
        let weak = Rc::downgrade(rc);
        inner
            .timer
            .arm(conn.next_deadline(), move || on_timer(&weak));
        hooks = inner
            .hooks
            .iter()
            .map(|(_, h)| h.clone())
            .collect::<Vec<_>>();
    }
    dispatch(rc, out, &hooks);
}

fn open_socket(url: &str, weak: Weak<RefCell<Inner>>) -> Result<Socket, String> {
    Socket::open(url, move |event| on_socket(&weak, event)).map_err(|e| {
        let detail = e
            .dyn_ref::<js_sys::Error>()
            .map(|e| String::from(e.message()))
            .unwrap_or_else(|| "WebSocket is not available (server-side rendering?)".into());
        format!("cannot open a WebSocket to {url}: {detail}")
    })
}

fn on_socket(weak: &Weak<RefCell<Inner>>, event: SocketEvent) {
    let Some(rc) = weak.upgrade() else { return };
    {
        let Ok(mut inner) = rc.try_borrow_mut() else {
            return;
        };
        let now = now_ms();
        let inner = &mut *inner;
        let Some(conn) = inner.conn.as_mut() else {
            return;
        };
        match event {
            SocketEvent::Open => conn.on_transport_open(now),
            SocketEvent::Text(t) => conn.on_frame(&t, now),
            SocketEvent::Binary => conn.on_binary_frame(),
            SocketEvent::Closed => {
                inner.socket = None;
                conn.on_transport_closed(now);
            }
        }
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

/// Calls listeners and settles promises, with no borrow held.
fn dispatch(rc: &Rc<RefCell<Inner>>, out: Vec<Out>, hooks: &[Hook]) {
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
                    let mut inner = rc.borrow_mut();
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
                event,
            } => {
                let (fns, debug) = {
                    let inner = rc.borrow();
                    (inner.error_subs.snapshot(), inner.debug)
                };
                if debug || fns.is_empty() {
                    debug_log(&format!("{code}: {message}"));
                }
                let err = js_sys::Object::new();
                let _ = js_sys::Reflect::set(&err, &"code".into(), &code.into());
                let _ = js_sys::Reflect::set(&err, &"message".into(), &message.into());
                if let Some(e) = event {
                    let _ = js_sys::Reflect::set(&err, &"event".into(), &e.into());
                }
                for f in fns {
                    let _ = call(&f, &Array::of1(&err));
                }
            }
            Out::RustAck(cb, result) => cb(result),
            Out::Settle(d, Ok(v)) => d.resolve(&v),
            Out::Settle(d, Err(m)) => d.reject(&m),
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
        vec![Out::Error {
            code: "listener",
            message: format!("a listener of {event:?} threw: {message}"),
            event: Some(event.into()),
        }],
        &[],
    );
}

/// A Socket.IO client over the browser WebSocket, with reconnection,
/// connection quality and offline detection.
#[wasm_bindgen(js_name = RealtimeClient)]
pub struct RealtimeClient {
    inner: Rc<RefCell<Inner>>,
}

impl Default for RealtimeClient {
    fn default() -> Self {
        Self::new()
    }
}

thread_local! {
    /// Where `__claimClient` leaves the client it was called on.
    static CLAIMED: Cell<Option<ClientHandle>> = const { Cell::new(None) };
}

impl RealtimeClient {
    /// The client behind a JavaScript argument (`what` names it in errors):
    /// only a live `RealtimeClient` passes.
    pub(crate) fn from_js(value: &JsValue, what: &str) -> Res<ClientHandle> {
        args::instance(value, what, "RealtimeClient", "__claimClient", || {
            CLAIMED.with(Cell::take)
        })
    }

    /// A JavaScript object for this client, sharing its state: what the
    /// services' constructors take, for Rust callers holding the client.
    pub fn to_js(&self) -> JsValue {
        JsValue::from(RealtimeClient {
            inner: self.inner.clone(),
        })
    }
}

impl RealtimeClient {
    pub(crate) fn handle(&self) -> ClientHandle {
        ClientHandle(self.inner.clone())
    }

    fn subscribe(&self, pick: fn(&mut Inner) -> &mut Callbacks, cb: Function) -> Function {
        let id = {
            let mut inner = self.inner.borrow_mut();
            let id = inner.next_id();
            pick(&mut inner).add(id, cb);
            id
        };
        self.unsub(id)
    }

    fn unsub(&self, id: u32) -> Function {
        let weak: Weak<RefCell<dyn Unsubscribe>> =
            Rc::downgrade(&self.inner) as Weak<RefCell<dyn Unsubscribe>>;
        unsubscribe_fn(weak, id)
    }

    fn listen(&self, event: &str, cb: Function, once: bool) -> Result<Function, JsError> {
        if event.is_empty() {
            return Err(JsError::new(
                "on(): the event name must be a non-empty string",
            ));
        }
        let id = {
            let mut inner = self.inner.borrow_mut();
            let id = inner.next_id();
            inner
                .listeners
                .entry(event.to_owned())
                .or_default()
                .push(Listener { id, f: cb, once });
            id
        };
        Ok(self.unsub(id))
    }

    fn with_conn<T>(&self, f: impl FnOnce(&mut Connection) -> T) -> Result<T, JsError> {
        let r = {
            let mut inner = self.inner.borrow_mut();
            f(inner.conn()?)
        };
        pump(&self.inner);
        Ok(r)
    }

    fn read<T>(&self, f: impl FnOnce(&Connection) -> T, default: T) -> T {
        self.inner.borrow().conn.as_ref().map_or(default, f)
    }

    fn attach_dom(&self) {
        let Some(window) = web_sys::window() else {
            return;
        };
        let weak = Rc::downgrade(&self.inner);
        let mut dom = Vec::new();
        let on = |kind: &'static str, weak: Weak<RefCell<Inner>>, f: fn(&mut Connection, u64)| {
            EventListener::new(&window, kind, move |_| {
                let Some(rc) = weak.upgrade() else { return };
                if let Ok(mut inner) = rc.try_borrow_mut() {
                    if let Some(c) = inner.conn.as_mut() {
                        f(c, now_ms());
                    }
                }
                pump(&rc);
            })
        };
        dom.extend(on("online", weak.clone(), |c, now| c.set_online(true, now)));
        dom.extend(on("offline", weak.clone(), |c, now| {
            c.set_online(false, now)
        }));
        dom.extend(on("pageshow", weak.clone(), |c, now| c.check_liveness(now)));
        if let Some(doc) = window.document() {
            let w = weak.clone();
            let d = doc.clone();
            dom.extend(EventListener::new(&doc, "visibilitychange", move |_| {
                if d.visibility_state() != web_sys::VisibilityState::Visible {
                    return;
                }
                let Some(rc) = w.upgrade() else { return };
                if let Ok(mut inner) = rc.try_borrow_mut() {
                    if let Some(c) = inner.conn.as_mut() {
                        c.check_liveness(now_ms());
                    }
                }
                pump(&rc);
            }));
        }
        let online = window.navigator().on_line();
        let mut inner = self.inner.borrow_mut();
        inner.dom = dom;
        if let Some(c) = inner.conn.as_mut() {
            c.set_online(online, now_ms());
            // The initial status is not a change worth reporting.
            while c.poll_effect().is_some() {}
        }
    }
}

#[wasm_bindgen(js_class = RealtimeClient)]
impl RealtimeClient {
    /// A client; call `initialize` before `connect`.
    #[wasm_bindgen(constructor)]
    pub fn new() -> RealtimeClient {
        RealtimeClient {
            inner: Rc::new(RefCell::new(Inner {
                conn: None,
                debug: false,
                auth_extra: None,
                socket: None,
                timer: DeadlineTimer::default(),
                listeners: HashMap::new(),
                state_subs: Callbacks::default(),
                online_subs: Callbacks::default(),
                error_subs: Callbacks::default(),
                quality_subs: Callbacks::default(),
                disconnect_subs: Callbacks::default(),
                requests: HashMap::new(),
                latency: HashMap::new(),
                connect_waiters: Vec::new(),
                hooks: Vec::new(),
                next_id: 0,
                dom: Vec::new(),
                user_id: None,
            })),
        }
    }

    /// Configures the client (`RealtimeClientOptions`; `{}` for the
    /// defaults). Calling it again disconnects and starts over with the new
    /// options; listeners are kept. The object is required: a call without
    /// one throws rather than silently resetting a configured URL.
    pub fn initialize(
        &self,
        #[wasm_bindgen(unchecked_param_type = "RealtimeClientOptions")] options: JsValue,
    ) -> Result<(), JsValue> {
        let options = args::fields(&options, "initialize(): options", CLIENT_OPTIONS)?;
        let opts: ClientOptions = serde_wasm_bindgen::from_value(options.into())
            .map_err(|e| JsError::new(&format!("initialize(): invalid options: {e}")))?;
        let conn = Connection::new(opts.to_config())
            .map_err(|e| JsError::new(&format!("initialize(): {e}")))?;
        {
            let mut inner = self.inner.borrow_mut();
            if let Some(old) = inner.conn.as_mut() {
                old.disconnect(now_ms());
            }
            inner.socket = None;
            inner.debug = opts.debug;
            inner.conn = Some(conn);
            let device = serde_json::json!({ "device": device::current() }).to_string();
            inner.auth_extra = Some(device);
        }
        self.attach_dom();
        if opts.debug {
            debug_log("initialized");
        }
        Ok(())
    }

    /// Connects with a JWT; resolves when connected, rejects on an
    /// authentication refusal (not retried), `disconnect()`, or when
    /// reconnection gives up. Network failures are retried with backoff.
    #[wasm_bindgen(unchecked_return_type = "Promise<void>")]
    pub fn connect(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] token: JsValue,
    ) -> Result<Promise, JsValue> {
        let token = &args::id(&token, "connect(): token")?;
        let (promise, deferred) = Deferred::new();
        {
            let mut inner = self.inner.borrow_mut();
            let extra = inner.auth_extra.clone();
            let now = now_ms();
            inner
                .conn()?
                .connect(token, extra.as_deref(), now)
                .map_err(|e| JsError::new(&format!("connect(): {e}")))?;
            let pending: Vec<Deferred> = inner.connect_waiters.drain(..).collect();
            inner.connect_waiters.push(deferred);
            drop(inner);
            for d in pending {
                d.reject("connect() was called again with a new token");
            }
        }
        pump(&self.inner);
        Ok(promise)
    }

    /// Disconnects and stops reconnecting. Pending `connect` and `emitAsync`
    /// promises reject; plain emits stay buffered for the next `connect`.
    pub fn disconnect(&self) -> Result<(), JsValue> {
        let waiters: Vec<Deferred> = self.inner.borrow_mut().connect_waiters.drain(..).collect();
        self.with_conn(|c| c.disconnect(now_ms()))?;
        for d in waiters {
            d.reject("disconnect() was called");
        }
        Ok(())
    }

    /// Listens to server event `event`; returns an unsubscribe function.
    /// Listeners survive reconnects. One that throws is reported via `onError`.
    #[wasm_bindgen(unchecked_return_type = "() => void")]
    pub fn on(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] event: JsValue,
        #[wasm_bindgen(unchecked_param_type = "(...args: any[]) => void")] callback: JsValue,
    ) -> Result<Function, JsValue> {
        let event = &args::id(&event, "on(): event")?;
        let callback = args::callback(&callback, "on(): callback")?;
        Ok(self.listen(event, callback, false)?)
    }

    /// Listens to the next `event` only.
    #[wasm_bindgen(unchecked_return_type = "() => void")]
    pub fn once(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] event: JsValue,
        #[wasm_bindgen(unchecked_param_type = "(...args: any[]) => void")] callback: JsValue,
    ) -> Result<Function, JsValue> {
        let event = &args::id(&event, "once(): event")?;
        let callback = args::callback(&callback, "once(): callback")?;
        Ok(self.listen(event, callback, true)?)
    }

    /// Removes `callback` from `event`, or every listener of `event` without one.
    pub fn off(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] event: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "(...args: any[]) => void")]
        callback: JsValue,
    ) -> Result<(), JsValue> {
        let event = &args::id(&event, "off(): event")?;
        let callback = args::opt_callback(&callback, "off(): callback")?;
        let mut inner = self.inner.borrow_mut();
        if let Some(list) = inner.listeners.get_mut(event) {
            match callback {
                Some(cb) => list.retain(|l| l.f != cb),
                None => list.clear(),
            }
            if list.is_empty() {
                inner.listeners.remove(event);
            }
        }
        Ok(())
    }

    /// Sends `event` with `data` (any JSON value); buffered while disconnected.
    /// A full buffer is reported through `onError` (`buffer_overflow`).
    pub fn emit(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] event: JsValue,
        #[wasm_bindgen(unchecked_param_type = "unknown")] data: JsValue,
    ) -> Result<(), JsValue> {
        let event = &args::id(&event, "emit(): event")?;
        let json = args::json(&data, "emit(): data")?;
        Ok(self
            .handle()
            .emit_json(event, json.as_deref())
            .map(|_| ())?)
    }

    /// Sends `event` only if connected; returns whether it was sent.
    #[wasm_bindgen(js_name = emitVolatile)]
    pub fn emit_volatile(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] event: JsValue,
        #[wasm_bindgen(unchecked_param_type = "unknown")] data: JsValue,
    ) -> Result<bool, JsValue> {
        let event = &args::id(&event, "emitVolatile(): event")?;
        let json = args::json(&data, "emitVolatile(): data")?;
        Ok(self.handle().emit_volatile_json(event, json.as_deref())?)
    }

    /// Sends `event` and resolves with the server's acknowledgement; rejects
    /// on timeout (default `ackTimeoutMs`), on disconnect or with a full buffer.
    #[wasm_bindgen(js_name = emitAsync, unchecked_return_type = "Promise<unknown>")]
    pub fn emit_async(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] event: JsValue,
        #[wasm_bindgen(unchecked_param_type = "unknown")] data: JsValue,
        #[wasm_bindgen(js_name = timeoutMs, unchecked_optional_param_type = "number")]
        timeout_ms: JsValue,
    ) -> Result<Promise, JsValue> {
        let event = &args::id(&event, "emitAsync(): event")?;
        let json = args::json(&data, "emitAsync(): data")?;
        let timeout = args::opt_ms(&timeout_ms, "emitAsync(): timeoutMs")?;
        Ok(self
            .handle()
            .emit_async_json(event, json.as_deref(), timeout)?)
    }

    /// Joins a channel's room (`channel:{id}` unless the id has a `:`);
    /// resolves with the server's answer.
    #[wasm_bindgen(js_name = joinChannel, unchecked_return_type = "Promise<{ success: boolean; data?: unknown; error?: { code: string; message: string } }>")]
    pub fn join_channel(
        &self,
        #[wasm_bindgen(js_name = channelId, unchecked_param_type = "string")] channel_id: JsValue,
    ) -> Result<Promise, JsValue> {
        let channel_id = &args::id(&channel_id, "joinChannel(): channelId")?;
        Ok(self.room_request("room:join", channel_id)?)
    }

    /// Leaves a channel's room.
    #[wasm_bindgen(js_name = leaveChannel, unchecked_return_type = "Promise<{ success: boolean; data?: unknown; error?: { code: string; message: string } }>")]
    pub fn leave_channel(
        &self,
        #[wasm_bindgen(js_name = channelId, unchecked_param_type = "string")] channel_id: JsValue,
    ) -> Result<Promise, JsValue> {
        let channel_id = &args::id(&channel_id, "leaveChannel(): channelId")?;
        Ok(self.room_request("room:leave", channel_id)?)
    }

    /// Sends `typing:start` or `typing:stop` for a channel (volatile).
    #[wasm_bindgen(js_name = sendTyping)]
    pub fn send_typing(
        &self,
        #[wasm_bindgen(js_name = channelId, unchecked_param_type = "string")] channel_id: JsValue,
        #[wasm_bindgen(js_name = isTyping, unchecked_param_type = "boolean")] is_typing: JsValue,
    ) -> Result<(), JsValue> {
        let channel_id = &args::id(&channel_id, "sendTyping(): channelId")?;
        let is_typing = args::boolean(&is_typing, "sendTyping(): isTyping")?;
        let room = crate::core::room_name(channel_id).map_err(|e| JsError::new(&e))?;
        let arg = serde_json::json!({ "roomName": room }).to_string();
        let event = if is_typing {
            "typing:start"
        } else {
            "typing:stop"
        };
        Ok(self
            .handle()
            .emit_volatile_json(event, Some(&arg))
            .map(|_| ())?)
    }

    /// Sends `presence:update {status, customStatus?}`.
    #[wasm_bindgen(js_name = updatePresence)]
    pub fn update_presence(
        &self,
        #[wasm_bindgen(unchecked_param_type = "PresenceStatus")] status: JsValue,
        #[wasm_bindgen(js_name = customStatus, unchecked_optional_param_type = "{ text?: string; emoji?: string; expiresAt?: number } | null")]
        custom_status: JsValue,
    ) -> Result<(), JsValue> {
        let what = "updatePresence()";
        let status = &args::one_of(&status, &format!("{what}: status"), PRESENCE_STATUSES)?;
        args::opt_fields(
            &custom_status,
            &format!("{what}: customStatus"),
            CUSTOM_STATUS_WIRE,
        )?;
        let mut payload = serde_json::json!({ "status": status });
        if let Some(cs) = args::json(&custom_status, &format!("{what}: customStatus"))? {
            let v: serde_json::Value =
                serde_json::from_str(&cs).map_err(|e| JsError::new(&e.to_string()))?;
            payload["customStatus"] = v;
        }
        Ok(self
            .handle()
            .emit_json("presence:update", Some(&payload.to_string()))
            .map(|_| ())?)
    }

    /// Measures the round trip now; resolves with it in ms.
    #[wasm_bindgen(js_name = measureLatency, unchecked_return_type = "Promise<number>")]
    pub fn measure_latency(&self) -> Result<Promise, JsError> {
        let (promise, deferred) = Deferred::new();
        {
            let mut inner = self.inner.borrow_mut();
            let now = now_ms();
            let request = inner.conn()?.measure_latency(now);
            inner.latency.insert(request, deferred);
        }
        pump(&self.inner);
        Ok(promise)
    }

    /// Checks the link now (as on `pageshow` or when the tab becomes visible).
    #[wasm_bindgen(js_name = checkConnection)]
    pub fn check_connection(&self) -> Result<(), JsError> {
        self.with_conn(|c| c.check_liveness(now_ms()))
    }

    /// `cb(state, previous)` on every state change; returns an unsubscribe function.
    #[wasm_bindgen(js_name = onStateChange, unchecked_return_type = "() => void")]
    pub fn on_state_change(
        &self,
        #[wasm_bindgen(
            unchecked_param_type = "(state: ConnectionState, previous: ConnectionState) => void"
        )]
        callback: JsValue,
    ) -> Result<Function, JsValue> {
        let callback = args::callback(&callback, "onStateChange(): callback")?;
        Ok(self.subscribe(|i| &mut i.state_subs, callback))
    }

    /// `cb(isOnline)` when the browser goes offline or back online.
    #[wasm_bindgen(js_name = onOfflineStatusChange, unchecked_return_type = "() => void")]
    pub fn on_offline_status_change(
        &self,
        #[wasm_bindgen(unchecked_param_type = "(isOnline: boolean) => void")] callback: JsValue,
    ) -> Result<Function, JsValue> {
        let callback = args::callback(&callback, "onOfflineStatusChange(): callback")?;
        Ok(self.subscribe(|i| &mut i.online_subs, callback))
    }

    /// `cb(error: RealtimeError)` for auth refusals, malformed frames,
    /// throwing listeners, buffer overflow and transport failures.
    #[wasm_bindgen(js_name = onError, unchecked_return_type = "() => void")]
    pub fn on_error(
        &self,
        #[wasm_bindgen(unchecked_param_type = "(error: RealtimeError) => void")] callback: JsValue,
    ) -> Result<Function, JsValue> {
        let callback = args::callback(&callback, "onError(): callback")?;
        Ok(self.subscribe(|i| &mut i.error_subs, callback))
    }

    /// `cb(quality)` when the quality band changes.
    #[wasm_bindgen(js_name = onQualityChange, unchecked_return_type = "() => void")]
    pub fn on_quality_change(
        &self,
        #[wasm_bindgen(unchecked_param_type = "(quality: ConnectionQuality) => void")]
        callback: JsValue,
    ) -> Result<Function, JsValue> {
        let callback = args::callback(&callback, "onQualityChange(): callback")?;
        Ok(self.subscribe(|i| &mut i.quality_subs, callback))
    }

    /// `cb(reason)` when the connection ends.
    #[wasm_bindgen(js_name = onDisconnect, unchecked_return_type = "() => void")]
    pub fn on_disconnect(
        &self,
        #[wasm_bindgen(unchecked_param_type = "(reason: DisconnectReason) => void")]
        callback: JsValue,
    ) -> Result<Function, JsValue> {
        let callback = args::callback(&callback, "onDisconnect(): callback")?;
        Ok(self.subscribe(|i| &mut i.disconnect_subs, callback))
    }

    /// Connected to the server.
    #[wasm_bindgen(getter, js_name = isConnected)]
    pub fn is_connected(&self) -> bool {
        self.read(Connection::is_connected, false)
    }

    /// `ConnectionState`.
    #[wasm_bindgen(getter, unchecked_return_type = "ConnectionState")]
    pub fn state(&self) -> String {
        self.read(|c| c.state().as_str(), "disconnected").into()
    }

    /// `ConnectionQuality`.
    #[wasm_bindgen(getter, js_name = connectionQuality, unchecked_return_type = "ConnectionQuality")]
    pub fn connection_quality(&self) -> String {
        self.read(|c| c.quality().as_str(), "unknown").into()
    }

    /// Average round trip over the window in ms, `undefined` before a sample.
    #[wasm_bindgen(getter, js_name = averageLatency)]
    pub fn average_latency(&self) -> Option<f64> {
        self.read(Connection::average_latency, None)
    }

    /// Reconnect attempts in the current sequence.
    #[wasm_bindgen(getter, js_name = reconnectAttempts)]
    pub fn reconnect_attempts(&self) -> u32 {
        self.read(Connection::reconnect_attempts, 0)
    }

    /// The browser was offline since the last connection.
    #[wasm_bindgen(getter, js_name = wasOffline)]
    pub fn was_offline(&self) -> bool {
        self.read(Connection::was_offline, false)
    }

    /// The browser's last reported online status.
    #[wasm_bindgen(getter, js_name = isOnline)]
    pub fn is_online(&self) -> bool {
        self.read(Connection::is_online, true)
    }

    /// The user id the server authenticated (from its `authenticated`
    /// event), `undefined` before the first connection.
    #[wasm_bindgen(getter, js_name = userId)]
    pub fn user_id(&self) -> Option<String> {
        self.inner.borrow().user_id.clone()
    }

    /// The Socket.IO session id while connected.
    #[wasm_bindgen(getter, js_name = socketId)]
    pub fn socket_id(&self) -> Option<String> {
        self.read(|c| c.sid().map(str::to_owned), None)
    }

    /// Timers set so far (for idle-cost measurements).
    #[wasm_bindgen(getter, js_name = timerWakeups)]
    pub fn timer_wakeups(&self) -> f64 {
        self.inner.borrow().timer.wakeups() as f64
    }

    /// Hands this client to the argument check of a service constructor
    /// ([`RealtimeClient::from_js`]).
    #[doc(hidden)]
    #[wasm_bindgen(js_name = __claimClient, skip_typescript)]
    pub fn claim_client(&self) {
        CLAIMED.with(|c| c.set(Some(self.handle())));
    }
}

impl RealtimeClient {
    fn room_request(&self, event: &str, channel_id: &str) -> Result<Promise, JsError> {
        let room = crate::core::room_name(channel_id).map_err(|e| JsError::new(&e))?;
        let arg = serde_json::json!({ "roomName": room }).to_string();
        self.handle().emit_async_json(event, Some(&arg), None)
    }
}
