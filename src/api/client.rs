//! `RealtimeClient`: Socket.IO over the browser WebSocket.
//!
//! The core [`Connection`] decides; this file carries out its effects (open,
//! send, close, one deadline timer) and calls JavaScript back only after the
//! `RefCell` borrow is released.

use crate::core::vecmap::VecMap;
use std::cell::{Cell, RefCell};
use std::rc::{Rc, Weak};

use js_sys::{Function, Promise};
use wasm_bindgen::prelude::*;

use super::args::{self, Record, Res};
use super::js::{debug_log, unsubscribe_fn, Callbacks, Deferred, Unsubscribe};
use super::types::{ClientOptions, CLIENT_OPTIONS, PRESENCE_STATUSES};
use crate::browser::clock::now_ms;
use crate::browser::device;
use crate::browser::listener::EventListener;
use crate::browser::timer::DeadlineTimer;
use crate::browser::websocket::Socket;
use crate::core::connection::Connection;
use crate::core::decimal::cat;
use crate::core::json::quote;

mod pump;
use pump::{pump, replace_socket};

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

pub(crate) struct Inner {
    conn: Option<Connection>,
    debug: bool,
    auth_extra: Option<String>,
    socket: Option<Socket>,
    timer: DeadlineTimer,
    listeners: VecMap<String, Vec<Listener>>,
    state_subs: Callbacks,
    online_subs: Callbacks,
    error_subs: Callbacks,
    quality_subs: Callbacks,
    disconnect_subs: Callbacks,
    requests: VecMap<u64, Pending>,
    latency: VecMap<u64, Deferred>,
    connect_waiters: Vec<Deferred>,
    hooks: Vec<(u32, Hook)>,
    next_id: u32,
    dom: Vec<EventListener>,
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
    pub(crate) fn emit_json(&self, event: &str, arg: Option<&str>) -> Result<bool, JsError> {
        let r = {
            let mut inner = self.0.borrow_mut();
            let now = now_ms();
            inner
                .conn()?
                .emit(event, arg, now)
                .map_err(|e| JsError::new(&e.message()))
        };
        pump(&self.0);
        r
    }

    /// Emits `event` only if connected.
    pub(crate) fn emit_volatile_json(
        &self,
        event: &str,
        arg: Option<&str>,
    ) -> Result<bool, JsError> {
        let r = {
            let mut inner = self.0.borrow_mut();
            inner
                .conn()?
                .emit_volatile(event, arg)
                .map_err(|e| JsError::new(&e.message()))
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
                .map_err(|e| JsError::new(&e.message()))?;
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
                .map_err(|e| JsError::new(&e.message()))?;
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

    /// The user of the connection: the token's `userId`/`sub` claim, or
    /// what the server's ready or `authenticated` event says.
    pub fn user_id(&self) -> Option<String> {
        self.0
            .borrow()
            .conn
            .as_ref()
            .and_then(|c| c.user_id().map(str::to_owned))
    }
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
        let previous = std::mem::replace(&mut inner.dom, dom);
        if let Some(c) = inner.conn.as_mut() {
            c.set_online(online, now_ms());
            // The initial status is not a change worth reporting.
            while c.poll_effect().is_some() {}
        }
        drop(inner);
        // Removing the old listeners calls JavaScript: after the borrow.
        drop(previous);
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
                listeners: VecMap::new(),
                state_subs: Callbacks::default(),
                online_subs: Callbacks::default(),
                error_subs: Callbacks::default(),
                quality_subs: Callbacks::default(),
                disconnect_subs: Callbacks::default(),
                requests: VecMap::new(),
                latency: VecMap::new(),
                connect_waiters: Vec::new(),
                hooks: Vec::new(),
                next_id: 0,
                dom: Vec::new(),
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
        let checked = args::fields(&options, "initialize(): options", CLIENT_OPTIONS)?;
        let mut opts = ClientOptions::read(&Record::new(Some(checked)))
            .map_err(|e| JsError::new(&cat!("initialize(): invalid options: ", e)))?;
        opts.null_ready_event_means_none(&options);
        let conn = Connection::new(opts.to_config())
            .map_err(|e| JsError::new(&cat!("initialize(): ", e)))?;
        // The old connection ends properly: its DISCONNECT is sent, its
        // socket closed and its pending promises rejected.
        if self.inner.borrow().conn.is_some() {
            self.disconnect()?;
        }
        let device = crate::core::json::json!({ "device": device::current() }).to_text();
        let (stale_requests, stale_latency) = {
            let mut inner = self.inner.borrow_mut();
            inner.debug = opts.debug;
            inner.conn = Some(conn);
            inner.auth_extra = Some(device);
            // Request ids start over with the new connection.
            let requests: Vec<Pending> = inner.requests.drain().map(|(_, p)| p).collect();
            let latency: Vec<Deferred> = inner.latency.drain().map(|(_, d)| d).collect();
            (requests, latency)
        };
        replace_socket(&self.inner, None);
        let reason = "initialize() was called again";
        for p in stale_requests {
            match p {
                Pending::Js(d) => d.reject(reason),
                Pending::Rust(cb) => cb(Err(reason.into())),
            }
        }
        for d in stale_latency {
            d.reject(reason);
        }
        self.attach_dom();
        if opts.debug {
            debug_log("initialized");
        }
        Ok(())
    }

    /// Connects with a JWT; resolves when connected (the server's ready
    /// event arrived and the rooms are re-joined), rejects on an
    /// authentication refusal (not retried), `disconnect()`, when the ready
    /// event does not come in time (`readyEvent`), or when reconnection gives
    /// up. Network failures are retried with backoff.
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
                .map_err(|e| JsError::new(&cat!("connect(): ", e)))?;
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
    /// resolves with the server's answer. The room is kept and re-joined on
    /// every reconnect before buffered emits flush; while disconnected the
    /// promise waits for the next connection's re-join. Rejects with an
    /// `Error` whose `code` is the server's (e.g. `ROOM_NOT_FOUND`: the room
    /// is dropped) and `event` is `room:join`, or on timeout.
    #[wasm_bindgen(js_name = joinChannel, unchecked_return_type = "Promise<{ success: boolean; data?: unknown; error?: { code: string; message: string } }>")]
    pub fn join_channel(
        &self,
        #[wasm_bindgen(js_name = channelId, unchecked_param_type = "string")] channel_id: JsValue,
    ) -> Result<Promise, JsValue> {
        let channel_id = &args::id(&channel_id, "joinChannel(): channelId")?;
        Ok(self.room_request(false, channel_id)?)
    }

    /// Leaves a channel's room: it is no longer re-joined. While
    /// disconnected it resolves at once with `{ success: true }`; a server
    /// refusal rejects with an `Error` with `code` and `event`.
    #[wasm_bindgen(js_name = leaveChannel, unchecked_return_type = "Promise<{ success: boolean; data?: unknown; error?: { code: string; message: string } }>")]
    pub fn leave_channel(
        &self,
        #[wasm_bindgen(js_name = channelId, unchecked_param_type = "string")] channel_id: JsValue,
    ) -> Result<Promise, JsValue> {
        let channel_id = &args::id(&channel_id, "leaveChannel(): channelId")?;
        Ok(self.room_request(true, channel_id)?)
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
        let arg = crate::core::json::json!({ "roomName": room }).to_text();
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

    /// Sends `presence:update {status, customStatus?}`, built by the same
    /// core code as `PresenceService` (`expiresAt` goes out as ISO-8601).
    /// `customStatus`: `undefined` leaves it out, `null` clears it.
    #[wasm_bindgen(js_name = updatePresence)]
    pub fn update_presence(
        &self,
        #[wasm_bindgen(unchecked_param_type = "PresenceStatus")] status: JsValue,
        #[wasm_bindgen(js_name = customStatus, unchecked_optional_param_type = "CustomStatusInput | null")]
        custom_status: JsValue,
    ) -> Result<(), JsValue> {
        use crate::core::presence::{update_payload, PresenceStatus};
        let what = "updatePresence()";
        let status = args::one_of(&status, &cat!(what, ": status"), PRESENCE_STATUSES)?;
        let status: PresenceStatus = status
            .parse()
            .map_err(|_| JsError::new(&cat!(what, ": unknown status ", quote(&status))))?;
        let mut payload = if args::absent(&custom_status) {
            update_payload(status, None)
        } else {
            let cs = super::presence::custom_status_input(
                &custom_status,
                &cat!(what, ": customStatus"),
            )?;
            if cs.is_empty() {
                return Err(JsError::new(&cat!(
                    what,
                    ": customStatus needs a text or an emoji; pass null to clear it"
                ))
                .into());
            }
            update_payload(status, Some(&cs))
        };
        if custom_status.is_undefined() {
            if let Some(o) = payload.as_object_mut() {
                o.remove("customStatus");
            }
        }
        Ok(self
            .handle()
            .emit_json(
                crate::core::presence::EVENT_UPDATE,
                Some(&payload.to_text()),
            )
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

    /// The user id: the token's `userId` (else `sub`) claim from `connect`,
    /// replaced by a `userId` in the server's ready or `authenticated` event;
    /// `undefined` before `connect` or for a token without claims.
    #[wasm_bindgen(getter, js_name = userId)]
    pub fn user_id(&self) -> Option<String> {
        self.read(|c| c.user_id().map(str::to_owned), None)
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
    /// `joinChannel`/`leaveChannel`: through the core's room set, so the
    /// room is re-joined on every reconnect (or no longer).
    fn room_request(&self, leave: bool, channel_id: &str) -> Result<Promise, JsError> {
        let room = crate::core::room_name(channel_id).map_err(|e| JsError::new(&e))?;
        let (promise, deferred) = Deferred::new();
        {
            let mut inner = self.inner.borrow_mut();
            let now = now_ms();
            let conn = inner.conn()?;
            let request = if leave {
                conn.leave_room(&room, None, now)
            } else {
                conn.join_room(&room, None, now)
            }
            .map_err(|e| JsError::new(&e.message()))?;
            inner.requests.insert(request, Pending::Js(deferred));
        }
        pump(&self.inner);
        Ok(promise)
    }
}
