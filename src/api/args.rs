//! Checks of the values JavaScript hands to the service classes (it may pass
//! anything), with errors that say what was expected and what came, and the
//! conversions of results to plain JavaScript values.

use js_sys::{Array, Function};
use serde::Serialize;
use wasm_bindgen::prelude::*;

use crate::core::time;
use crate::core::Millis;

/// A short description of a value for error messages.
pub(crate) fn describe(value: &JsValue) -> String {
    if value.is_undefined() {
        "undefined".into()
    } else if value.is_null() {
        "null".into()
    } else if let Some(s) = value.as_string() {
        let short: String = s.chars().take(40).collect();
        format!("the string {short:?}")
    } else if let Some(n) = value.as_f64() {
        format!("the number {n}")
    } else if let Some(b) = value.as_bool() {
        format!("{b}")
    } else if Array::is_array(value) {
        "an array".into()
    } else if value.is_function() {
        "a function".into()
    } else if value.is_object() {
        "an object".into()
    } else {
        format!("a {}", value.js_typeof().as_string().unwrap_or_default())
    }
}

fn error(what: &str, expected: &str, value: &JsValue) -> JsError {
    JsError::new(&format!(
        "{what} must be {expected}, got {}",
        describe(value)
    ))
}

/// A non-empty string (an id).
pub(crate) fn id(value: &JsValue, what: &str) -> Result<String, JsError> {
    match value.as_string() {
        Some(s) if !s.is_empty() => Ok(s),
        _ => Err(error(what, "a non-empty string", value)),
    }
}

/// An optional id: `undefined` and `null` are `None`.
pub(crate) fn opt_id(value: &JsValue, what: &str) -> Result<Option<String>, JsError> {
    if value.is_undefined() || value.is_null() {
        Ok(None)
    } else {
        id(value, what).map(Some)
    }
}

/// Any string.
pub(crate) fn string(value: &JsValue, what: &str) -> Result<String, JsError> {
    value
        .as_string()
        .ok_or_else(|| error(what, "a string", value))
}

/// A boolean.
pub(crate) fn boolean(value: &JsValue, what: &str) -> Result<bool, JsError> {
    value
        .as_bool()
        .ok_or_else(|| error(what, "true or false", value))
}

/// An array of non-empty strings.
pub(crate) fn ids(value: &JsValue, what: &str) -> Result<Vec<String>, JsError> {
    if !Array::is_array(value) {
        return Err(error(what, "an array of user id strings", value));
    }
    Array::from(value)
        .iter()
        .enumerate()
        .map(|(i, v)| id(&v, &format!("{what}[{i}]")))
        .collect()
}

/// A function.
pub(crate) fn callback(value: &JsValue, what: &str) -> Result<Function, JsError> {
    value
        .dyn_ref::<Function>()
        .cloned()
        .ok_or_else(|| error(what, "a function", value))
}

/// An instant: a `Date`, ms since the epoch, or an ISO 8601 string.
pub(crate) fn timestamp(value: &JsValue, what: &str) -> Result<Millis, JsError> {
    let expected = "a Date, a number of ms since the epoch or an ISO 8601 string";
    if let Some(date) = value.dyn_ref::<js_sys::Date>() {
        let t = date.get_time();
        return if t.is_finite() && t >= 0.0 {
            Ok(t as Millis)
        } else {
            Err(JsError::new(&format!("{what} is an invalid Date")))
        };
    }
    let json = if let Some(n) = value.as_f64() {
        serde_json::Number::from_f64(n).map(serde_json::Value::Number)
    } else {
        value.as_string().map(serde_json::Value::String)
    };
    json.as_ref()
        .and_then(time::parse)
        .ok_or_else(|| error(what, expected, value))
}

/// An optional duration in ms from an options object.
pub(crate) fn duration(value: Option<f64>, what: &str) -> Result<Option<Millis>, JsError> {
    match value {
        None => Ok(None),
        Some(ms) if ms.is_finite() && (0.0..=9_007_199_254_740_991.0).contains(&ms) => {
            Ok(Some(ms as Millis))
        }
        Some(ms) => Err(JsError::new(&format!(
            "{what} must be a non-negative number of milliseconds, got {ms}"
        ))),
    }
}

/// A JavaScript `Date` at `ms`.
pub(crate) fn date(ms: Millis) -> JsValue {
    js_sys::Date::new(&JsValue::from_f64(ms as f64)).into()
}

/// An ISO-8601 text of `ms` for messages.
pub(crate) fn iso(ms: Millis) -> String {
    time::format_iso(ms).unwrap_or_else(|| format!("{ms} ms since the epoch"))
}

/// `value` as plain JavaScript objects and arrays (not Maps).
pub(crate) fn plain<T: Serialize>(value: &T) -> JsValue {
    value
        .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .unwrap_or(JsValue::UNDEFINED)
}

/// Sets `key` on a plain object.
pub(crate) fn set(object: &js_sys::Object, key: &str, value: &JsValue) {
    let _ = js_sys::Reflect::set(object, &JsValue::from_str(key), value);
}

/// Reports a callback of the app that threw, without stopping the others.
pub(crate) fn report_callback_error(what: &str, thrown: &JsValue) {
    let message = thrown
        .dyn_ref::<js_sys::Error>()
        .map(|e| String::from(e.message()))
        .or_else(|| thrown.as_string())
        .unwrap_or_else(|| "a non-Error value was thrown".into());
    web_sys::console::error_1(&JsValue::from_str(&format!(
        "[chat-realtime] a {what} callback threw: {message}"
    )));
}
