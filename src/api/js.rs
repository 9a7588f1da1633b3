//! Small JavaScript helpers shared by the API modules: JSON conversions
//! and the debug log.

use js_sys::JSON;
use wasm_bindgen::prelude::*;

/// `JSON.parse(text)`, `undefined` if it fails.
pub(crate) fn parse_json(text: &str) -> JsValue {
    JSON::parse(text).unwrap_or(JsValue::UNDEFINED)
}

/// Logs with the package prefix.
pub(crate) fn debug_log(message: &str) {
    web_sys::console::log_1(&JsValue::from_str(&format!("[chat-realtime] {message}")));
}

/// A serializable value as a plain JavaScript value (through JSON, so maps
/// become objects and `None` becomes `null`).
pub(crate) fn to_js<T: serde::Serialize + ?Sized>(value: &T) -> JsValue {
    serde_json::to_string(value)
        .map(|s| parse_json(&s))
        .unwrap_or(JsValue::UNDEFINED)
}

/// The `data` of an event serialized as `{event, data}`, as a JavaScript value.
pub(crate) fn event_data<T: serde::Serialize>(event: &T) -> JsValue {
    match serde_json::to_value(event) {
        Ok(serde_json::Value::Object(mut obj)) => obj
            .remove("data")
            .map(|d| parse_json(&d.to_string()))
            .unwrap_or(JsValue::UNDEFINED),
        _ => JsValue::UNDEFINED,
    }
}
