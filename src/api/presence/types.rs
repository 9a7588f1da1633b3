//! The presence service's options, TypeScript declarations, JavaScript
//! values (dates as `Date`) and error messages.

use crate::core::decimal::cat;
use wasm_bindgen::prelude::*;

use crate::api::args::{self, opt, Field, Kind, Res};
use crate::api::hub::ApiError;
use crate::api::js::coded;
use crate::core::presence::{CustomStatus, PresenceConfig, PresenceError, UserPresence};
use crate::core::session::SessionError;
use crate::core::Millis;

/// `new PresenceService(client, options)` options.
#[derive(Debug, Default)]
pub(super) struct PresenceOptions {
    pub(super) idle_timeout_ms: Option<f64>,
    pub(super) hidden_away_delay_ms: Option<f64>,
    pub(super) heartbeat_interval_ms: Option<f64>,
    pub(super) activity_throttle_ms: Option<f64>,
    pub(super) debug: Option<bool>,
    pub(super) user_id: Option<String>,
    pub(super) detect_activity: Option<bool>,
}

pub(super) const PRESENCE_OPTIONS: &[Field] = &[
    opt("idleTimeoutMs", Kind::Ms),
    opt("hiddenAwayDelayMs", Kind::Ms),
    opt("heartbeatIntervalMs", Kind::Ms),
    opt("activityThrottleMs", Kind::Ms),
    opt("debug", Kind::Bool),
    opt("userId", Kind::Id),
    opt("detectActivity", Kind::Bool),
];

/// The values of `PresenceVisibility`.
pub(super) const VISIBILITIES: &[&str] = &["everyone", "contacts", "nobody"];

pub(super) const SETTINGS: &[Field] = &[
    opt("visibility", Kind::OneOf(VISIBILITIES)),
    opt("showOnlineStatus", Kind::Bool),
    opt("showLastSeen", Kind::Bool),
    opt("allowReadReceipts", Kind::Bool),
    opt("invisibleMode", Kind::Bool),
];

pub(super) const CUSTOM_STATUS: &[Field] = &[
    opt("text", Kind::Str),
    opt("emoji", Kind::Str),
    opt("expiresAt", Kind::Timestamp),
];

impl PresenceOptions {
    /// The options of a record checked against [`PRESENCE_OPTIONS`].
    pub(super) fn read(r: &args::Record) -> Self {
        PresenceOptions {
            idle_timeout_ms: r.num("idleTimeoutMs"),
            hidden_away_delay_ms: r.num("hiddenAwayDelayMs"),
            heartbeat_interval_ms: r.num("heartbeatIntervalMs"),
            activity_throttle_ms: r.num("activityThrottleMs"),
            debug: r.flag("debug"),
            user_id: r.str("userId"),
            detect_activity: r.flag("detectActivity"),
        }
    }

    pub(super) fn config(&self) -> Res<PresenceConfig> {
        let d = PresenceConfig::default();
        let ms = |v: Option<f64>, name: &str, default: Millis| {
            args::duration(v, &cat!("PresenceService: ", name)).map(|v| v.unwrap_or(default))
        };
        Ok(PresenceConfig {
            idle_timeout_ms: ms(self.idle_timeout_ms, "idleTimeoutMs", d.idle_timeout_ms)?,
            hidden_away_delay_ms: ms(
                self.hidden_away_delay_ms,
                "hiddenAwayDelayMs",
                d.hidden_away_delay_ms,
            )?,
            heartbeat_interval_ms: ms(
                self.heartbeat_interval_ms,
                "heartbeatIntervalMs",
                d.heartbeat_interval_ms,
            )?,
            activity_throttle_ms: ms(
                self.activity_throttle_ms,
                "activityThrottleMs",
                d.activity_throttle_ms,
            )?,
            debug: self.debug.unwrap_or(false),
        })
    }
}

/// The error of a refused call, in the words of the JavaScript API.
pub(super) fn presence_error(method: &str, e: PresenceError) -> JsValue {
    let code = e.code();
    let message = match e {
        PresenceError::EmptyCustomStatus => cat!(
            method,
            ": a custom status needs a text or an emoji; call clearCustomStatus() to remove it"
        ),
        PresenceError::CustomStatusExpired { expires_at, now } => cat!(
            method,
            ": expiresAt ",
            args::iso(expires_at),
            " is not in the future (now is ",
            args::iso(now),
            "): give a later time, or none for a status that does not expire"
        ),
        PresenceError::OwnSettings(id) => cat!(
            method,
            ": ",
            crate::core::json::quote(&id),
            " is the current user: change your own settings with updatePresenceSettings()"
        ),
        PresenceError::TooManySubscriptions {
            current,
            requested,
            limit,
        } => cat!(
            method,
            ": cannot subscribe to ",
            requested,
            " more users: ",
            current,
            " already subscribed \
             and the limit is ",
            limit,
            "; call unsubscribeFromUsers() for some first"
        ),
        other => cat!(method, ": ", other),
    };
    coded(code, &message)
}

/// A custom status as a JavaScript object (`expiresAt` a `Date`).
pub(crate) fn custom_status_js(cs: &CustomStatus) -> JsValue {
    let o = js_sys::Object::new();
    if let Some(t) = &cs.text {
        args::set(&o, "text", &JsValue::from_str(t));
    }
    if let Some(e) = &cs.emoji {
        args::set(&o, "emoji", &JsValue::from_str(e));
    }
    if let Some(x) = cs.expires_at {
        args::set(&o, "expiresAt", &args::date(x));
    }
    o.into()
}

/// A presence as a JavaScript object (`lastSeenAt` a `Date`).
pub(crate) fn presence_js(p: &UserPresence) -> JsValue {
    let o = js_sys::Object::new();
    args::set(&o, "userId", &JsValue::from_str(&p.user_id));
    args::set(&o, "status", &JsValue::from_str(p.status.as_str()));
    if let Some(cs) = &p.custom_status {
        args::set(&o, "customStatus", &custom_status_js(cs));
    }
    if let Some(t) = p.last_seen_at {
        args::set(&o, "lastSeenAt", &args::date(t));
    }
    o.into()
}

/// The error of a refused call, `method` named, in the words of the
/// JavaScript API.
pub(super) fn api_error(method: &str, e: ApiError) -> JsValue {
    match e {
        ApiError::Session(SessionError::Presence(e)) => presence_error(method, e),
        e => e.to_js(Some(method)),
    }
}
