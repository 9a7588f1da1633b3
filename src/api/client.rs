//! `RealtimeClient`: Socket.IO over the browser WebSocket.
//!
//! The session ([`crate::core::session`]) decides; the driver
//! ([`crate::browser::driver`]) carries out its effects. Each method here
//! checks its arguments and forwards one command through the [`Hub`].

use std::cell::Cell;

use js_sys::{Function, Promise};
use wasm_bindgen::prelude::*;

use super::args::{self, Res};
use super::hub::{ApiError, Hub, Settle, Topic};
use super::js::debug_log;
use super::types::{ClientOptions, CLIENT_OPTIONS, PRESENCE_STATUSES};
use crate::browser::device;
use crate::browser::driver::online_now;
use crate::core::connection::Connection;
use crate::core::session::{ClientConfig, Handle, ServiceKind, SessionError};

const CLIENT: Handle = Handle::CLIENT;

/// The error of a refused client call: the session's message (`method`
/// in front of the connection's refusals when given).
fn client_error(e: ApiError, method: Option<&str>) -> JsValue {
    match e {
        ApiError::Session(SessionError::NotInitialized) => e.to_js(None),
        e => e.to_js(method),
    }
}

/// A Socket.IO client over the browser WebSocket, with reconnection,
/// connection quality and offline detection.
#[wasm_bindgen(js_name = RealtimeClient)]
pub struct RealtimeClient {
    hub: Hub,
}

impl Default for RealtimeClient {
    fn default() -> Self {
        Self::new()
    }
}

thread_local! {
    /// Where `__claimClient` leaves the client it was called on.
    static CLAIMED: Cell<Option<Hub>> = const { Cell::new(None) };
}

impl RealtimeClient {
    /// The client behind a JavaScript argument (`what` names it in errors):
    /// only a live `RealtimeClient` passes.
    pub(crate) fn from_js(value: &JsValue, what: &str) -> Res<Hub> {
        args::instance(value, what, "RealtimeClient", "__claimClient", || {
            CLAIMED.with(Cell::take)
        })
    }

    /// A JavaScript object for this client, sharing its state: what the
    /// services' constructors take, for Rust callers holding the client.
    pub fn to_js(&self) -> JsValue {
        JsValue::from(RealtimeClient {
            hub: self.hub.clone(),
        })
    }
}

impl RealtimeClient {
    fn subscribe(&self, topic: Topic, cb: Function) -> Function {
        self.hub.listen(CLIENT, topic, cb, false)
    }

    fn read<T>(&self, f: impl FnOnce(&Connection) -> T, default: T) -> T {
        self.hub
            .read(|s| s.connection().map(f))
            .flatten()
            .unwrap_or(default)
    }

    /// Runs a client command (not-initialized and busy as they are, other
    /// refusals with their message).
    fn command<T>(
        &self,
        f: impl FnOnce(
            &mut crate::core::session::Session,
            crate::core::Millis,
        ) -> Result<T, SessionError>,
    ) -> Res<T> {
        self.hub.run(f).map_err(|e| client_error(e, None))
    }
}

#[wasm_bindgen(js_class = RealtimeClient)]
impl RealtimeClient {
    /// A client; call `initialize` before `connect`.
    #[wasm_bindgen(constructor)]
    pub fn new() -> RealtimeClient {
        RealtimeClient { hub: Hub::new() }
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
        let mut opts: ClientOptions = serde_wasm_bindgen::from_value(checked.into())
            .map_err(|e| JsError::new(&format!("initialize(): invalid options: {e}")))?;
        opts.null_ready_event_means_none(&options);
        let device = serde_json::json!({ "device": device::current() }).to_string();
        let config = ClientConfig {
            connection: opts.to_config(),
            auth_extra: Some(device),
            online: online_now(),
        };
        self.hub.register(CLIENT, ServiceKind::Client, opts.debug);
        self.hub.driver.set_debug(opts.debug);
        self.hub
            .run(|s, now| s.initialize(config, now))
            .map_err(|e| e.to_js(Some("initialize()")))?;
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
        self.hub
            .request(|s, now| s.connect(token, now), Settle::Plain)
            .map_err(|e| client_error(e, Some("connect()")))
    }

    /// Disconnects and stops reconnecting. Pending `connect` and `emitAsync`
    /// promises reject; plain emits stay buffered for the next `connect`.
    pub fn disconnect(&self) -> Result<(), JsValue> {
        self.command(|s, now| s.disconnect(now))
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
        Ok(self
            .hub
            .listen(CLIENT, Topic::Server(event.clone()), callback, false))
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
        Ok(self
            .hub
            .listen(CLIENT, Topic::Server(event.clone()), callback, true))
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
        self.hub
            .unlisten(CLIENT, &Topic::Server(event.clone()), callback.as_ref());
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
        self.command(|s, now| s.emit(event, json.as_deref(), now).map(|_| ()))
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
        self.command(|s, now| s.emit_volatile(event, json.as_deref(), now))
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
        self.hub
            .request(
                |s, now| s.emit_with_ack(event, json.as_deref(), timeout, now),
                Settle::Ack,
            )
            .map_err(|e| client_error(e, None))
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
        self.hub
            .request(|s, now| s.join_channel(channel_id, now), Settle::Ack)
            .map_err(|e| client_error(e, None))
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
        self.hub
            .request(|s, now| s.leave_channel(channel_id, now), Settle::Ack)
            .map_err(|e| client_error(e, None))
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
        self.command(|s, now| s.emit_volatile(event, Some(&arg), now).map(|_| ()))
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
        let status = args::one_of(&status, &format!("{what}: status"), PRESENCE_STATUSES)?;
        let status: PresenceStatus = status
            .parse()
            .map_err(|_| JsError::new(&format!("{what}: unknown status {status:?}")))?;
        let mut payload = if args::absent(&custom_status) {
            update_payload(status, None)
        } else {
            let cs = super::presence::custom_status_input(
                &custom_status,
                &format!("{what}: customStatus"),
            )?;
            if cs.is_empty() {
                return Err(JsError::new(&format!(
                    "{what}: customStatus needs a text or an emoji; pass null to clear it"
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
        let payload = payload.to_string();
        self.command(|s, now| {
            s.emit(crate::core::presence::EVENT_UPDATE, Some(&payload), now)
                .map(|_| ())
        })
    }

    /// Measures the round trip now; resolves with it in ms.
    #[wasm_bindgen(js_name = measureLatency, unchecked_return_type = "Promise<number>")]
    pub fn measure_latency(&self) -> Result<Promise, JsError> {
        self.hub
            .request(|s, now| s.measure_latency(now), Settle::Plain)
            .map_err(|e| e.to_error(None))
    }

    /// Checks the link now (as on `pageshow` or when the tab becomes visible).
    #[wasm_bindgen(js_name = checkConnection)]
    pub fn check_connection(&self) -> Result<(), JsError> {
        self.hub
            .run(|s, now| s.check_connection(now))
            .map_err(|e| e.to_error(None))
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
        Ok(self.subscribe(Topic::State, callback))
    }

    /// `cb(isOnline)` when the browser goes offline or back online.
    #[wasm_bindgen(js_name = onOfflineStatusChange, unchecked_return_type = "() => void")]
    pub fn on_offline_status_change(
        &self,
        #[wasm_bindgen(unchecked_param_type = "(isOnline: boolean) => void")] callback: JsValue,
    ) -> Result<Function, JsValue> {
        let callback = args::callback(&callback, "onOfflineStatusChange(): callback")?;
        Ok(self.subscribe(Topic::Online, callback))
    }

    /// `cb(error: RealtimeError)` for auth refusals, malformed frames,
    /// throwing listeners, buffer overflow and transport failures.
    #[wasm_bindgen(js_name = onError, unchecked_return_type = "() => void")]
    pub fn on_error(
        &self,
        #[wasm_bindgen(unchecked_param_type = "(error: RealtimeError) => void")] callback: JsValue,
    ) -> Result<Function, JsValue> {
        let callback = args::callback(&callback, "onError(): callback")?;
        Ok(self.subscribe(Topic::Error, callback))
    }

    /// `cb(quality)` when the quality band changes.
    #[wasm_bindgen(js_name = onQualityChange, unchecked_return_type = "() => void")]
    pub fn on_quality_change(
        &self,
        #[wasm_bindgen(unchecked_param_type = "(quality: ConnectionQuality) => void")]
        callback: JsValue,
    ) -> Result<Function, JsValue> {
        let callback = args::callback(&callback, "onQualityChange(): callback")?;
        Ok(self.subscribe(Topic::Quality, callback))
    }

    /// `cb(reason)` when the connection ends.
    #[wasm_bindgen(js_name = onDisconnect, unchecked_return_type = "() => void")]
    pub fn on_disconnect(
        &self,
        #[wasm_bindgen(unchecked_param_type = "(reason: DisconnectReason) => void")]
        callback: JsValue,
    ) -> Result<Function, JsValue> {
        let callback = args::callback(&callback, "onDisconnect(): callback")?;
        Ok(self.subscribe(Topic::Disconnect, callback))
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
        self.hub.driver.timer_wakeups() as f64
    }

    /// Hands this client to the argument check of a service constructor
    /// ([`RealtimeClient::from_js`]).
    #[doc(hidden)]
    #[wasm_bindgen(js_name = __claimClient, skip_typescript)]
    pub fn claim_client(&self) {
        CLAIMED.with(|c| c.set(Some(self.hub.clone())));
    }
}
