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

/// The code of an argument the layer would have refused (its checks were
/// bypassed) or of options that do not fit together.
pub(crate) const INVALID: &str = "invalid_argument";

/// An `Error` with `message` and the stable `code` of what refused (the
/// message is for people; programs test the code).
pub(crate) fn coded(code: &str, message: &str) -> JsValue {
    let err = js_sys::Error::new(message);
    let _ = js_sys::Reflect::set(&err, &JsValue::from_str("code"), &JsValue::from_str(code));
    err.into()
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
