//! The typing service's options, TypeScript declarations, JavaScript
//! values (dates as `Date`) and error messages.

use crate::core::decimal::cat;
use js_sys::Array;
use wasm_bindgen::prelude::*;

use crate::api::args::{self, opt, Field, Kind, Res};
use crate::api::hub::ApiError;
use crate::api::js::coded;
use crate::core::session::SessionError;
use crate::core::typing::{
    RoomTypingChange, TypingConfig, TypingError, TypingPrivacy, TypingUser, Visibility,
};
use crate::core::Millis;

/// `new TypingService(client, options)` options.
#[derive(Debug, Default)]
pub(super) struct TypingOptions {
    pub(super) typing_timeout_ms: Option<f64>,
    pub(super) debounce_ms: Option<f64>,
    pub(super) debounce_max_wait_ms: Option<f64>,
    pub(super) throttle_ms: Option<f64>,
    pub(super) batch_ms: Option<f64>,
    pub(super) keep_alive_ms: Option<f64>,
    pub(super) debug: Option<bool>,
    pub(super) user_id: Option<String>,
    pub(super) privacy_filtering: Option<bool>,
}

pub(super) const TYPING_OPTIONS: &[Field] = &[
    opt("typingTimeoutMs", Kind::Ms),
    opt("debounceMs", Kind::Ms),
    opt("debounceMaxWaitMs", Kind::Ms),
    opt("throttleMs", Kind::Ms),
    opt("batchMs", Kind::Ms),
    opt("keepAliveMs", Kind::Ms),
    opt("privacySettings", Kind::Object(PRIVACY)),
    opt("debug", Kind::Bool),
    opt("userId", Kind::Id),
    opt("enablePrivacyFiltering", Kind::Bool),
];

pub(super) const PRIVACY: &[Field] = &[
    opt("broadcastTyping", Kind::Bool),
    opt(
        "typingVisibility",
        Kind::OneOf(&["everyone", "contacts", "nobody"]),
    ),
];

/// The values of `TypingRoomType`.
pub(super) const ROOM_TYPES: &[&str] = &["channel", "thread", "dm"];

impl TypingOptions {
    /// The options of a record checked against [`TYPING_OPTIONS`]
    /// (`privacySettings` is read on its own).
    pub(super) fn read(r: &args::Record) -> Self {
        TypingOptions {
            typing_timeout_ms: r.num("typingTimeoutMs"),
            debounce_ms: r.num("debounceMs"),
            debounce_max_wait_ms: r.num("debounceMaxWaitMs"),
            throttle_ms: r.num("throttleMs"),
            batch_ms: r.num("batchMs"),
            keep_alive_ms: r.num("keepAliveMs"),
            debug: r.flag("debug"),
            user_id: r.str("userId"),
            privacy_filtering: r.flag("enablePrivacyFiltering"),
        }
    }

    pub(super) fn config(&self) -> Res<TypingConfig> {
        let d = TypingConfig::default();
        let ms = |v: Option<f64>, name: &str, default: Millis| {
            args::duration(v, &cat!("TypingService: ", name)).map(|v| v.unwrap_or(default))
        };
        Ok(TypingConfig {
            debounce_ms: ms(self.debounce_ms, "debounceMs", d.debounce_ms)?,
            debounce_max_wait_ms: ms(
                self.debounce_max_wait_ms,
                "debounceMaxWaitMs",
                d.debounce_max_wait_ms,
            )?,
            throttle_ms: ms(self.throttle_ms, "throttleMs", d.throttle_ms)?,
            typing_timeout_ms: ms(
                self.typing_timeout_ms,
                "typingTimeoutMs",
                d.typing_timeout_ms,
            )?,
            batch_ms: ms(self.batch_ms, "batchMs", d.batch_ms)?,
            keepalive_ms: ms(self.keep_alive_ms, "keepAliveMs", d.keepalive_ms)?,
            privacy_filtering: self.privacy_filtering.unwrap_or(d.privacy_filtering),
            debug: self.debug.unwrap_or(false),
        })
    }
}

/// A partial `TypingPrivacySettings` applied to `current`; `what` names
/// the parameter.
pub(super) fn privacy_update(
    value: &JsValue,
    current: TypingPrivacy,
    what: &str,
) -> Res<TypingPrivacy> {
    let value: JsValue = args::fields(value, what, PRIVACY)?.into();
    let get = |key: &str| js_sys::Reflect::get(&value, &JsValue::from_str(key)).unwrap_or_default();
    let mut privacy = current;
    if let Some(broadcast) = get("broadcastTyping").as_bool() {
        privacy.broadcast_typing = broadcast;
    }
    if let Some(visibility) = get("typingVisibility").as_string() {
        privacy.typing_visibility = match visibility.as_str() {
            "contacts" => Visibility::Contacts,
            "nobody" => Visibility::Nobody,
            _ => Visibility::Everyone,
        };
    }
    Ok(privacy)
}

pub(super) fn typing_error(method: &str, e: TypingError) -> JsValue {
    let code = e.code();
    coded(
        code,
        &match e {
            TypingError::ThreadWithoutChannel => cat!(
                method,
                ": a threadId needs its channelId: call stopTyping(channelId, threadId)"
            ),
            other => cat!(method, ": ", other),
        },
    )
}

/// The error of a refused call, `method` named.
pub(super) fn api_error(method: &str, e: ApiError) -> JsValue {
    match e {
        ApiError::Session(SessionError::Typing(e)) => typing_error(method, e),
        e => e.to_js(Some(method)),
    }
}

pub(super) fn user_js(u: &TypingUser) -> JsValue {
    let o = js_sys::Object::new();
    args::set(&o, "userId", &JsValue::from_str(&u.user_id));
    args::set(&o, "userName", &JsValue::from_str(&u.user_name));
    if let Some(a) = &u.user_avatar {
        args::set(&o, "userAvatar", &JsValue::from_str(a));
    }
    args::set(&o, "startedAt", &args::date(u.started_at));
    o.into()
}

pub(super) fn users_js(users: &[TypingUser]) -> Array {
    users.iter().map(user_js).collect()
}

/// The callback arguments `(channelId, users, threadId, change)`.
pub(crate) fn change_args(change: &RoomTypingChange) -> Array {
    let users = users_js(&change.users);
    let o = js_sys::Object::new();
    args::set(&o, "roomName", &JsValue::from_str(&change.room_name));
    args::set(
        &o,
        "roomType",
        &JsValue::from_str(change.room_type.as_str()),
    );
    args::set(&o, "channelId", &JsValue::from_str(&change.channel_id));
    if let Some(t) = &change.thread_id {
        args::set(&o, "threadId", &JsValue::from_str(t));
    }
    args::set(&o, "users", &users);
    let thread = change
        .thread_id
        .as_deref()
        .map_or(JsValue::UNDEFINED, JsValue::from_str);
    let out = Array::new();
    out.push(&JsValue::from_str(&change.channel_id));
    out.push(&users);
    out.push(&thread);
    out.push(&o);
    out
}
