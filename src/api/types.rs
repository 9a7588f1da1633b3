//! Options and TypeScript declarations of the client.

use wasm_bindgen::prelude::*;

use super::args::{self, opt, req, Field, Kind, Record, MAX_SAFE, U32_MAX};
use crate::core::backoff::BackoffConfig;
use crate::core::connection::{ConnectionConfig, Transport};

/// `initialize()` options as JavaScript passes them.
#[derive(Debug, Default)]
pub(crate) struct ClientOptions {
    pub url: Option<String>,
    pub path: Option<String>,
    pub namespace: Option<String>,
    pub debug: bool,
    pub reconnection: Option<bool>,
    pub max_reconnect_attempts: Option<u32>,
    pub reconnect_delay_ms: Option<u64>,
    pub reconnect_delay_max_ms: Option<u64>,
    pub randomization_factor: Option<f64>,
    pub seed: Option<u64>,
    pub connect_timeout_ms: Option<u64>,
    pub quality_interval_ms: Option<u64>,
    pub latency_window: Option<usize>,
    pub probe_timeout_ms: Option<u64>,
    pub buffer_limit: Option<usize>,
    pub ack_timeout_ms: Option<u64>,
    /// `readyEvent`: absent for the default, `null` for none, or a name.
    pub ready_event: Option<Option<String>>,
    /// nchat's `device` (JSON text) for the handshake's auth; absent: detected.
    pub device: Option<String>,
    /// `transport`: `'socketio'` (default) or `'sse'`.
    pub transport: Option<String>,
    pub poll_interval_ms: Option<u64>,
    /// A `refreshToken` function was given (the JavaScript layer calls it).
    pub refresh_token: bool,
}

/// The values of `PresenceStatus`.
pub(crate) const PRESENCE_STATUSES: &[&str] = &["online", "away", "busy", "offline"];

/// The keys of [`ClientOptions`] and what they hold.
pub(crate) const CLIENT_OPTIONS: &[Field] = &[
    opt("url", Kind::Str),
    opt("path", Kind::Str),
    opt("namespace", Kind::Str),
    opt("debug", Kind::Bool),
    opt("reconnection", Kind::Bool),
    opt("maxReconnectAttempts", Kind::UInt(U32_MAX)),
    opt("reconnectDelayMs", Kind::IntMs),
    opt("reconnectDelayMaxMs", Kind::IntMs),
    opt("randomizationFactor", Kind::Num),
    opt("seed", Kind::UInt(MAX_SAFE)),
    opt("connectTimeoutMs", Kind::IntMs),
    opt("qualityIntervalMs", Kind::IntMs),
    opt("latencyWindow", Kind::UInt(U32_MAX)),
    opt("probeTimeoutMs", Kind::IntMs),
    opt("bufferLimit", Kind::UInt(U32_MAX)),
    opt("ackTimeoutMs", Kind::IntMs),
    opt("readyEvent", Kind::Str),
    opt("transport", Kind::OneOf(&["socketio", "sse"])),
    opt("pollIntervalMs", Kind::IntMs),
    opt("refreshToken", Kind::Any),
    opt("device", Kind::Object(DEVICE)),
];

/// nchat's `DeviceInfo`.
const DEVICE: &[Field] = &[
    req(
        "type",
        Kind::OneOf(&["web", "ios", "android", "desktop", "unknown"]),
    ),
    opt("os", Kind::Str),
    opt("browser", Kind::Str),
    opt("version", Kind::Str),
];

impl ClientOptions {
    /// The options of a checked copy; a `readyEvent` that is an empty
    /// string is refused (`null` means none, see
    /// [`ClientOptions::null_ready_event_means_none`]).
    pub fn read(r: &Record) -> Result<Self, &'static str> {
        let ready_event =
            match r.str("readyEvent") {
                Some(name) if name.is_empty() => return Err(
                    "readyEvent must be a non-empty event name, or null for a server without one",
                ),
                name => name.map(Some),
            };
        Ok(ClientOptions {
            url: r.str("url"),
            path: r.str("path"),
            namespace: r.str("namespace"),
            debug: r.flag("debug").unwrap_or(false),
            reconnection: r.flag("reconnection"),
            max_reconnect_attempts: r.int("maxReconnectAttempts").map(|n| n as u32),
            reconnect_delay_ms: r.int("reconnectDelayMs"),
            reconnect_delay_max_ms: r.int("reconnectDelayMaxMs"),
            randomization_factor: r.num("randomizationFactor"),
            seed: r.int("seed"),
            connect_timeout_ms: r.int("connectTimeoutMs"),
            quality_interval_ms: r.int("qualityIntervalMs"),
            latency_window: r.int("latencyWindow").map(|n| n as usize),
            probe_timeout_ms: r.int("probeTimeoutMs"),
            buffer_limit: r.int("bufferLimit").map(|n| n as usize),
            ack_timeout_ms: r.int("ackTimeoutMs"),
            ready_event,
            device: args::json(&r.get("device"), "device").ok().flatten(),
            transport: r.str("transport"),
            poll_interval_ms: r.int("pollIntervalMs"),
            refresh_token: false,
        })
    }

    /// `{readyEvent: null}` means "no ready event" (the checked copy the
    /// struct is read from drops absent keys, `null` among them).
    pub fn null_ready_event_means_none(&mut self, options: &JsValue) {
        let null = js_sys::Reflect::get(options, &JsValue::from_str("readyEvent"))
            .is_ok_and(|v| v.is_null());
        if null {
            self.ready_event = Some(None);
        }
        self.refresh_token = js_sys::Reflect::get(options, &JsValue::from_str("refreshToken"))
            .is_ok_and(|v| v.is_function());
    }

    /// The core configuration, defaults filled in.
    pub fn to_config(&self) -> ConnectionConfig {
        let d = ConnectionConfig::default();
        let b = BackoffConfig::default();
        ConnectionConfig {
            url: self.url.clone().unwrap_or(d.url),
            path: self.path.clone().unwrap_or(d.path),
            namespace: self.namespace.clone().unwrap_or(d.namespace),
            reconnection: self.reconnection.unwrap_or(d.reconnection),
            max_reconnect_attempts: self.max_reconnect_attempts.or(d.max_reconnect_attempts),
            backoff: BackoffConfig {
                base_ms: self.reconnect_delay_ms.unwrap_or(b.base_ms),
                max_ms: self.reconnect_delay_max_ms.unwrap_or(b.max_ms),
                jitter: self.randomization_factor.unwrap_or(b.jitter),
            },
            seed: self
                .seed
                .unwrap_or_else(|| js_sys::Math::random().to_bits()),
            connect_timeout_ms: self.connect_timeout_ms.unwrap_or(d.connect_timeout_ms),
            quality_interval_ms: self.quality_interval_ms.unwrap_or(d.quality_interval_ms),
            latency_window: self.latency_window.unwrap_or(d.latency_window),
            probe_timeout_ms: self.probe_timeout_ms.unwrap_or(d.probe_timeout_ms),
            buffer_limit: self.buffer_limit.unwrap_or(d.buffer_limit),
            ack_timeout_ms: self.ack_timeout_ms.unwrap_or(d.ack_timeout_ms),
            ready_event: self.ready_event.clone().unwrap_or(d.ready_event),
            transport: match self.transport.as_deref() {
                Some("sse") => Transport::Sse,
                _ => Transport::SocketIo,
            },
            poll_interval_ms: self.poll_interval_ms.unwrap_or(d.poll_interval_ms),
            refresh_token: self.refresh_token,
        }
    }
}
