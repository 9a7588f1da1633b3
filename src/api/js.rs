//! Small JavaScript helpers shared by the API modules: JSON conversions
//! and the debug log.

use js_sys::JSON;

use crate::core::decimal::cat;
use crate::core::json::ToJson;
use wasm_bindgen::prelude::*;

/// `JSON.parse(text)`, `undefined` if it fails.
pub(crate) fn parse_json(text: &str) -> JsValue {
    JSON::parse(text).unwrap_or(JsValue::UNDEFINED)
}

/// Logs with the package prefix.
pub(crate) fn debug_log(message: &str) {
    web_sys::console::log_1(&JsValue::from_str(&cat!("[chat-realtime] ", message)));
}

/// A value's JSON form as a plain JavaScript value: its text, built by
/// `JSON.parse` (one call, no object built field by field from Rust).
pub(crate) fn to_js<T: ToJson + ?Sized>(value: &T) -> JsValue {
    parse_json(&value.to_json().to_text())
}
