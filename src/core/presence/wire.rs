//! The presence payloads on the wire, both ways.
//!
//! Incoming `presence:changed` comes in two shapes:
//!
//! - the real server's: `{userId, status, customStatus: text | null,
//!   customEmoji: emoji | null}`, sent to every socket (the sender's too);
//!   `{userId, status: 'offline'}` when a user's last socket goes;
//! - the extended test server's and nchat's: `{userId, status,
//!   customStatus?: {text?, emoji?, expiresAt?}, lastSeenAt?}` (nchat also
//!   says `lastSeen`).
//!
//! Outgoing `presence:update` is `{status, customStatus: {text?, emoji?,
//! expiresAt?} | null}` with `expiresAt` an ISO-8601 string: the real server
//! types it `Date` and hands it to a Postgres `TIMESTAMPTZ` column, where a
//! number crashes the handler.

use crate::core::decimal::cat;
use crate::core::json::quote;
use crate::core::json::{json, Map, Value};

use super::{CustomStatus, PresenceError, PresenceStatus, EVENT_CHANGED};
use crate::core::{describe_json as describe, required_str, time, Millis};

fn invalid(reason: impl Into<String>) -> PresenceError {
    PresenceError::InvalidPayload {
        event: EVENT_CHANGED,
        reason: reason.into(),
    }
}

fn opt_string(obj: &Map, key: &str) -> Result<Option<String>, String> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone()).filter(|s| !s.trim().is_empty())),
        other => Err(cat!(key, " must be a string, got ", describe(other))),
    }
}

fn opt_timestamp(obj: &Map, key: &str) -> Result<Option<Millis>, String> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => time::parse(v).map(Some).ok_or_else(|| {
            cat!(
                key,
                " must be a Date, a number of ms since the epoch or an ISO-8601 string, got ",
                describe(Some(v))
            )
        }),
    }
}

/// The wire form of a custom status: `{text?, emoji?, expiresAt?}` with
/// `expiresAt` as ISO-8601 UTC (see the module docs).
pub fn encode_custom_status(custom_status: &CustomStatus) -> Value {
    let mut o = Map::new();
    if let Some(t) = &custom_status.text {
        o.insert("text".into(), Value::String(t.clone()));
    }
    if let Some(e) = &custom_status.emoji {
        o.insert("emoji".into(), Value::String(e.clone()));
    }
    if let Some(x) = custom_status.expires_at.and_then(time::format_iso) {
        o.insert("expiresAt".into(), Value::String(x));
    }
    Value::Object(o)
}

/// The `presence:update` payload: `{status, customStatus}`, the custom
/// status encoded or `null` (which clears it on every server).
pub fn update_payload(status: PresenceStatus, custom_status: Option<&CustomStatus>) -> Value {
    json!({
        "status": status.as_str(),
        "customStatus": custom_status.map_or(Value::Null, encode_custom_status),
    })
}

/// Keys a custom status from the app may have.
pub const CUSTOM_STATUS_KEYS: &[&str] = &["text", "emoji", "expiresAt"];

/// A custom status as the app gives it: `{text?, emoji?, expiresAt?}`, texts
/// as strings (blank ones count as absent), `expiresAt` as ms since the epoch
/// or an ISO-8601 string. Unknown keys and other types are refused. Whether
/// it is empty or expired is checked by the caller.
pub fn parse_custom_status_input(value: &Value) -> Result<CustomStatus, PresenceError> {
    let bad = PresenceError::InvalidCustomStatus;
    let obj = value.as_object().ok_or_else(|| {
        bad(cat!(
            "a custom status must be an object {text?, emoji?, expiresAt?}, got ",
            describe(Some(value))
        ))
    })?;
    if let Some(k) = obj
        .keys()
        .find(|k| !CUSTOM_STATUS_KEYS.contains(&k.as_str()))
    {
        return Err(bad(cat!(
            "unknown option ",
            quote(k),
            " (known: text, emoji, expiresAt)"
        )));
    }
    Ok(CustomStatus {
        text: opt_string(obj, "text").map_err(bad)?,
        emoji: opt_string(obj, "emoji").map_err(bad)?,
        expires_at: opt_timestamp(obj, "expiresAt").map_err(bad)?,
    })
}

fn custom_status_fields(cs: &Map) -> Result<CustomStatus, PresenceError> {
    Ok(CustomStatus {
        text: opt_string(cs, "text").map_err(invalid)?,
        emoji: opt_string(cs, "emoji").map_err(invalid)?,
        expires_at: opt_timestamp(cs, "expiresAt").map_err(invalid)?,
    })
}

/// A custom status as it arrives in `presence:changed` or a
/// `presence:subscribe` answer: an object `{text?, emoji?, expiresAt?}`, a
/// string holding the JSON text of one, or any other string, read as the
/// text (the real server sends the text). `None` for an empty one. Errors
/// only for an object with mistyped fields.
pub fn decode_custom_status(value: &Value) -> Result<Option<CustomStatus>, PresenceError> {
    let custom_status = match value {
        Value::Null => None,
        Value::Object(cs) => Some(custom_status_fields(cs)?),
        Value::String(text) => {
            let structured = text
                .trim_start()
                .starts_with('{')
                .then(|| crate::core::json::from_str(text).ok())
                .flatten()
                .and_then(|v| match v {
                    Value::Object(cs) => custom_status_fields(&cs).ok(),
                    _ => None,
                });
            structured.or_else(|| {
                Some(CustomStatus {
                    text: Some(text.clone()).filter(|t| !t.trim().is_empty()),
                    ..CustomStatus::default()
                })
            })
        }
        other => {
            return Err(invalid(cat!(
                "customStatus must be an object or a string, got ",
                describe(Some(other))
            )))
        }
    };
    Ok(custom_status.filter(|cs| !cs.is_empty()))
}

/// A validated `presence:changed` payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PresenceChanged {
    pub user_id: String,
    pub status: PresenceStatus,
    pub custom_status: Option<CustomStatus>,
    pub last_seen_at: Option<Millis>,
}

/// Either shape of `presence:changed` (module docs). The real server's
/// `customEmoji` joins its text into one custom status; an object's own
/// `emoji` wins over it.
pub(crate) fn parse_presence_changed(payload: &Value) -> Result<PresenceChanged, PresenceError> {
    let obj = payload
        .as_object()
        .ok_or_else(|| invalid(cat!("expected an object, got ", describe(Some(payload)))))?;
    let user_id = required_str(obj, "userId").map_err(invalid)?.to_owned();
    let status = match obj.get("status") {
        Some(Value::String(s)) => s
            .parse::<PresenceStatus>()
            .map_err(|e| invalid(e.message()))?,
        other => {
            return Err(invalid(cat!(
                "status must be a string, got ",
                describe(other)
            )))
        }
    };
    let mut custom_status = match obj.get("customStatus") {
        None => None,
        Some(v) => decode_custom_status(v)?,
    };
    if let Some(emoji) = opt_string(obj, "customEmoji").map_err(invalid)? {
        let cs = custom_status.get_or_insert_with(CustomStatus::default);
        cs.emoji.get_or_insert(emoji);
    }
    let last_seen_at = match opt_timestamp(obj, "lastSeenAt").map_err(invalid)? {
        Some(t) => Some(t),
        None => opt_timestamp(obj, "lastSeen").map_err(invalid)?,
    };
    Ok(PresenceChanged {
        user_id,
        status,
        custom_status,
        last_seen_at,
    })
}

/// The presences of a `presence:subscribe` answer (an extension of the test
/// server): `{success, data: {presences}}` or `{presences}`. `Err` with the
/// reason when there is no usable answer (timeout, refusal, other shape).
pub(crate) fn subscribe_answer<'a>(
    event: &'static str,
    answer: &'a Result<Value, String>,
) -> Result<&'a Vec<Value>, PresenceError> {
    let fail = |reason: String| PresenceError::InvalidPayload { event, reason };
    let value = answer.as_ref().map_err(|e| {
        fail(cat!(
            "no answer (",
            e,
            "); presence still follows presence:changed"
        ))
    })?;
    if value.get("success") == Some(&Value::Bool(false)) {
        return Err(fail(cat!(
            "refused: ",
            value
                .get("error")
                .map_or_else(|| "no reason".into(), Value::to_text)
        )));
    }
    value
        .get("data")
        .and_then(|d| d.get("presences"))
        .or_else(|| value.get("presences"))
        .and_then(Value::as_array)
        .ok_or_else(|| fail(cat!("answer without presences: ", describe(Some(value)))))
}
