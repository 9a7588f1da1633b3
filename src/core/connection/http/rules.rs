//! The SSE backend's wire rules that need no connection: event ids, the
//! event table of `docs/sse-wire.md`, request bodies, error answers and
//! query encoding.

use crate::core::decimal::cat;
use crate::core::json::{self, Value};

/// `<session>.<seq>` split, when it is one (a session id holds no `.`).
fn parse_id(id: &str) -> Option<(&str, u64)> {
    let (session, seq) = id.split_once('.')?;
    Some((session, seq.parse().ok()?))
}

/// Whether the event `id` comes after `last` (another session's, or one
/// without a usable id, always does); if so it becomes `last`.
pub(in crate::core::connection) fn fresh(last: &mut Option<String>, id: Option<&str>) -> bool {
    let Some((id, (session, seq))) = id.and_then(|id| Some((id, parse_id(id)?))) else {
        return true;
    };
    if last
        .as_deref()
        .and_then(parse_id)
        .is_some_and(|(s, n)| s == session && seq <= n)
    {
        return false;
    }
    *last = Some(id.to_owned());
    true
}

/// The app event of an SSE event type and its data (the doc's table).
pub(in crate::core::connection) fn map_event(ty: &str, mut data: Value) -> (String, Value) {
    match ty {
        "channel_message" | "message" => {
            if let Some(o) = data.as_object_mut() {
                if o.get("channelId") == o.get("roomName") {
                    o.remove("channelId");
                }
            }
            ("message:new".into(), data)
        }
        "presence" => ("presence:changed".into(), data),
        "channel_event" | "broadcast" => match data.get("event").and_then(Value::as_str) {
            Some(name) => {
                let name = name.to_owned();
                (
                    name,
                    data.get_mut("data").map(Value::take).unwrap_or_default(),
                )
            }
            None => (ty.to_owned(), data),
        },
        _ => (ty.to_owned(), data),
    }
}

/// `{"event": name, "data": arg}` of a Socket.IO payload `["name", arg]`;
/// `"ack": false` when no answer is wanted (the server answers at once).
pub(in crate::core::connection) fn emit_body(payload: &str, ack: bool) -> String {
    let mut v = json::from_str(payload).unwrap_or_default();
    let mut o = json::Map::new();
    o.push("event", v.get_mut(0).map(Value::take).unwrap_or_default());
    o.push("data", v.get_mut(1).map(Value::take).unwrap_or_default());
    if !ack {
        o.push("ack", false);
    }
    Value::Object(o).to_text()
}

/// The server's `{"error":{code,message}}`, else the status.
pub(in crate::core::connection) fn http_error(status: u16, body: &str) -> (String, String) {
    let v = json::from_str(body).unwrap_or_default();
    let text = |k: &str| v["error"][k].as_str().map(str::to_owned);
    let code = text("code").unwrap_or_else(|| cat!("HTTP_", status));
    let message = text("message").unwrap_or_else(|| cat!("HTTP ", status));
    (code, message)
}

/// `s` percent-encoded for a query string.
pub(in crate::core::connection) fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push('%');
            crate::core::decimal::push_hex(&mut out, u64::from(b), 2);
        }
    }
    out
}
