//! `RealtimeClient`: Socket.IO over the browser WebSocket.
//!
//! The session ([`crate::core::session`]) decides; the driver
//! ([`crate::browser::driver`]) carries out its effects. Each method here
//! checks its arguments and forwards one command through the [`Hub`].

use crate::core::decimal::cat;
use crate::core::json::{Map, ToJson, Value};
use js_sys::Function;
use wasm_bindgen::prelude::*;

use super::args::{self, Res};
use super::hub::{ApiError, Hub, Settle};
use super::js::{coded, debug_log, parse_json, INVALID};
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
pub struct RealtimeClient {
    hub: Hub,
}

impl RealtimeClient {
    /// The client's hub (the services attach to it).
    pub(crate) fn hub(&self) -> &Hub {
        &self.hub
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

impl RealtimeClient {
    /// A client whose events go to `sink`; call `initialize` before `connect`.
    pub fn new(sink: Function) -> RealtimeClient {
        RealtimeClient {
            hub: Hub::new(sink),
        }
    }

    /// Configures the client (`RealtimeClientOptions`; `{}` for the
    /// defaults). Calling it again disconnects and starts over with the new
    /// options; listeners are kept. The object is required: a call without
    /// one throws rather than silently resetting a configured URL.
    pub fn initialize(&self, options: JsValue) -> Result<(), JsValue> {
        let checked = args::fields(&options, "options", CLIENT_OPTIONS)?;
        let mut opts = ClientOptions::read(&args::Record::new(Some(checked)))
            .map_err(|e| coded(INVALID, &cat!("initialize(): invalid options: ", e)))?;
        opts.null_ready_event_means_none(&options);
        // nchat's `auth: {token, device}`: the app's device, else the detected one.
        let detected = || device::current().to_json().to_text();
        let device = cat!(
            "{\"device\":",
            opts.device.take().unwrap_or_else(detected),
            "}"
        );
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
    /// Without a token: the last one again (nchat's `connect()`).
    pub fn connect(&self, token: JsValue) -> Result<f64, JsValue> {
        let token = args::opt_id(&token, "token")?;
        self.hub
            .request(|s, now| s.connect(token.as_deref(), now), Settle::Plain)
            .map_err(|e| client_error(e, Some("connect()")))
    }

    /// nchat's `updateToken`: later (re)connects use `token`; a live
    /// connection sends it at once as `auth:refresh {token}`.
    pub fn update_token(&self, token: JsValue) -> Result<(), JsValue> {
        let token = &args::id(&token, "token")?;
        self.command(|s, now| s.update_token(token, now))
    }

    /// Disconnects and stops reconnecting. Pending `connect` and `emitAsync`
    /// promises reject; plain emits stay buffered for the next `connect`.
    pub fn disconnect(&self) -> Result<(), JsValue> {
        self.command(|s, now| s.disconnect(now))
    }

    /// Sends `event` with `data` (any JSON value); buffered while disconnected.
    /// A full buffer is reported through `onError` (`buffer_overflow`).
    pub fn emit(&self, event: JsValue, data: JsValue) -> Result<(), JsValue> {
        let event = &args::id(&event, "event")?;
        let json = args::json(&data, "data")?;
        self.command(|s, now| s.emit(event, json.as_deref(), now).map(|_| ()))
    }

    /// Sends `event` only if connected; returns whether it was sent.
    pub fn emit_volatile(&self, event: JsValue, data: JsValue) -> Result<bool, JsValue> {
        let event = &args::id(&event, "event")?;
        let json = args::json(&data, "data")?;
        self.command(|s, now| s.emit_volatile(event, json.as_deref(), now))
    }

    /// Sends `event` and resolves with the server's acknowledgement (`data`:
    /// nchat's `emitAsync`, its `data` or its refusal); rejects on timeout
    /// (default `ackTimeoutMs`), on disconnect or with a full buffer.
    pub fn emit_async(
        &self,
        event: JsValue,
        data: JsValue,
        timeout_ms: JsValue,
        unwrap: bool,
    ) -> Result<f64, JsValue> {
        let event = &args::id(&event, "event")?;
        let json = args::json(&data, "data")?;
        let timeout = args::opt_ms(&timeout_ms, "timeoutMs")?;
        self.hub
            .request(
                |s, now| s.emit_with_ack(event, json.as_deref(), timeout, unwrap, now),
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
    pub fn join_channel(&self, channel_id: JsValue) -> Result<f64, JsValue> {
        let channel_id = &args::id(&channel_id, "channelId")?;
        self.hub
            .request(|s, now| s.join_channel(channel_id, now), Settle::Ack)
            .map_err(|e| client_error(e, None))
    }

    /// Leaves a channel's room: it is no longer re-joined. While
    /// disconnected it resolves at once with `{ success: true }`; a server
    /// refusal rejects with an `Error` with `code` and `event`.
    pub fn leave_channel(&self, channel_id: JsValue) -> Result<f64, JsValue> {
        let channel_id = &args::id(&channel_id, "channelId")?;
        self.hub
            .request(|s, now| s.leave_channel(channel_id, now), Settle::Ack)
            .map_err(|e| client_error(e, None))
    }

    /// Sends `typing:start` or `typing:stop` for a channel (volatile).
    pub fn send_typing(&self, channel_id: JsValue, is_typing: JsValue) -> Result<(), JsValue> {
        let channel_id = &args::id(&channel_id, "channelId")?;
        let is_typing = args::boolean(&is_typing, "isTyping")?;
        let room = crate::core::room_name(channel_id).map_err(|e| coded("bad_room_name", &e))?;
        let mut payload = Map::new();
        payload.push("roomName", room);
        let arg = Value::Object(payload).to_text();
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
    pub fn update_presence(&self, status: JsValue, custom_status: JsValue) -> Result<(), JsValue> {
        use crate::core::presence::{update_payload, PresenceStatus};
        let what = "updatePresence()";
        let status = args::one_of(&status, "status", PRESENCE_STATUSES)?;
        let status: PresenceStatus = status.parse().map_err(|_| {
            coded(
                INVALID,
                &cat!(what, ": unknown status ", crate::core::json::quote(&status)),
            )
        })?;
        let mut payload = if args::absent(&custom_status) {
            update_payload(status, None)
        } else {
            let cs = super::presence::custom_status_input(&custom_status, "customStatus")?;
            if cs.is_empty() {
                return Err(coded(
                    "empty_custom_status",
                    &cat!(
                        what,
                        ": customStatus needs a text or an emoji; pass null to clear it"
                    ),
                ));
            }
            update_payload(status, Some(&cs))
        };
        if custom_status.is_undefined() {
            if let Some(o) = payload.as_object_mut() {
                o.remove("customStatus");
            }
        }
        let payload = payload.to_text();
        self.command(|s, now| {
            s.emit(crate::core::presence::EVENT_UPDATE, Some(&payload), now)
                .map(|_| ())
        })
    }

    /// Measures the round trip now; resolves with it in ms.
    pub fn measure_latency(&self) -> Result<f64, JsValue> {
        self.hub
            .request(|s, now| s.measure_latency(now), Settle::Plain)
            .map_err(|e| e.to_js(None))
    }

    /// Checks the link now (as on `pageshow` or when the tab becomes visible).
    pub fn check_connection(&self) -> Result<(), JsValue> {
        self.hub
            .run(|s, now| s.check_connection(now))
            .map_err(|e| e.to_js(None))
    }

    /// Clears `wasOffline` once the app has caught up after being offline.
    pub fn clear_was_offline(&self) -> Result<(), JsValue> {
        self.command(|s, now| s.clear_was_offline(now))
    }

    /// Connected to the server.
    pub fn is_connected(&self) -> bool {
        self.read(Connection::is_connected, false)
    }

    /// `ConnectionState`.
    pub fn state(&self) -> String {
        self.read(|c| c.state().as_str(), "disconnected").into()
    }

    /// `ConnectionQuality`.
    pub fn connection_quality(&self) -> String {
        self.read(|c| c.quality().as_str(), "unknown").into()
    }

    /// Average round trip over the window in ms, `undefined` before a sample.
    pub fn average_latency(&self) -> Option<f64> {
        self.read(Connection::average_latency, None)
    }

    /// Reconnect attempts in the current sequence.
    pub fn reconnect_attempts(&self) -> u32 {
        self.read(Connection::reconnect_attempts, 0)
    }

    /// The browser was offline since the last connection.
    pub fn was_offline(&self) -> bool {
        self.read(Connection::was_offline, false)
    }

    /// The browser's last reported online status.
    pub fn is_online(&self) -> bool {
        self.read(Connection::is_online, true)
    }

    /// The user id: the token's `userId` (else `sub`) claim from `connect`,
    /// replaced by a `userId` in the server's ready or `authenticated` event;
    /// `undefined` before `connect` or for a token without claims.
    pub fn user_id(&self) -> Option<String> {
        self.read(|c| c.user_id().map(str::to_owned), None)
    }

    /// nchat's `auth`: the server's `authenticated` event on this link, else `null`.
    pub fn auth(&self) -> JsValue {
        self.read(|c| c.authenticated().map(parse_json), None)
            .unwrap_or(JsValue::NULL)
    }

    /// The transport that runs: `'socketio' | 'sse' | 'polling'`.
    pub fn transport(&self) -> String {
        self.read(|c| c.transport().as_str(), "socketio").into()
    }

    /// The app's `refreshToken` failed (`message`): the 401 it answered is
    /// an auth refusal.
    pub fn refresh_failed(&self, message: JsValue) -> Result<(), JsValue> {
        let message = message.as_string().unwrap_or_default();
        self.command(|s, now| s.refresh_failed(&message, now))
    }

    /// The Socket.IO session id while connected.
    pub fn socket_id(&self) -> Option<String> {
        self.read(|c| c.sid().map(str::to_owned), None)
    }

    /// Timers set so far (for idle-cost measurements).
    pub fn timer_wakeups(&self) -> f64 {
        self.hub.driver.timer_wakeups() as f64
    }
}
