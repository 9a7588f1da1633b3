//! Pure, sans-IO core: protocol codec and state machines.
//!
//! Every time-dependent call takes `now` in milliseconds ([`Millis`]); state
//! machines queue effects for the host to carry out and report the next instant
//! they need to be woken with `next_deadline()`.

pub mod ack;
pub mod backoff;
pub mod codec;
pub mod conflict;
pub mod connection;
pub mod decimal;
pub mod delivery;
pub mod dispatch;
pub mod fifo;
pub mod json;
pub mod presence;
pub mod quality;
pub mod queue;
pub mod rng;
pub mod room;
pub mod rooms;
pub mod session;
pub mod sort;
pub mod sse;
pub mod store;
pub mod sync;
#[cfg(all(test, not(target_arch = "wasm32")))]
mod test_support;
pub mod time;
pub mod typing;
pub mod vecmap;

/// Milliseconds since the Unix epoch (or any fixed origin, as long as it is monotonic enough).
pub type Millis = u64;

pub use room::room_name;

/// `obj[key]` as a non-empty string, or the reason it is not (for the
/// parsers of server payloads, which wrap it in their own error type).
pub(crate) fn required_str<'a>(obj: &'a json::Map, key: &str) -> Result<&'a str, String> {
    match obj.get(key) {
        Some(json::Value::String(s)) if !s.is_empty() => Ok(s),
        other => Err(decimal::concat(&[
            key,
            " must be a non-empty string, got ",
            &describe_json(other),
        ])),
    }
}

/// Like [`required_str`], but absent or `null` is `None`.
pub(crate) fn optional_str<'a>(obj: &'a json::Map, key: &str) -> Result<Option<&'a str>, String> {
    match obj.get(key) {
        None | Some(json::Value::Null) => Ok(None),
        _ => required_str(obj, key).map(Some),
    }
}

/// A short description of a JSON value from the network for error messages
/// (never the whole value: it may be huge).
pub(crate) fn describe_json(value: Option<&json::Value>) -> String {
    use json::Value;
    match value {
        None => "nothing".into(),
        Some(Value::Null) => "null".into(),
        Some(Value::Bool(true)) => "true".into(),
        Some(Value::Bool(false)) => "false".into(),
        Some(Value::Number(n)) => {
            let mut out = String::from("the number ");
            n.write(&mut out);
            out
        }
        Some(Value::String(s)) => {
            let short: String = s.chars().take(40).collect();
            let mut out = String::from("the string ");
            json::push_json_str(&mut out, &short);
            out
        }
        Some(Value::Array(_)) => "an array".into(),
        Some(Value::Object(_)) => "an object".into(),
    }
}
