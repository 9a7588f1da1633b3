//! The checks of every argument JavaScript hands to the exported classes (it
//! may pass anything), and the conversions of results to plain JavaScript
//! values.
//!
//! Every exported constructor and method takes each parameter as a `JsValue`
//! and runs it through one checker of this module before anything else, so a
//! wrong value is refused with a JavaScript error and nothing changes: it
//! never reaches wasm-bindgen's conversions (which trap or coerce silently).
//!
//! # Which error
//!
//! * `TypeError`: the value is not of the type the `.d.ts` declares. A
//!   number, boolean, object, array, Date, symbol, bigint or function where a
//!   string is expected; a non-function callback; anything but a plain object
//!   (arrays, Dates, functions, class instances) for an options or record
//!   object; an unknown key in one (like TypeScript's excess property check);
//!   a key of the wrong type; a JSON payload that cannot be serialized;
//!   `undefined` or `null` for a required parameter or key; anything but a
//!   live instance where a class is expected.
//! * `RangeError`: the type is right but the value is outside what the
//!   parameter allows: an empty string where an id (or event name, token) is
//!   required, a string that is not one of a literal union (`'sleeping'` for
//!   a status), a number that is `NaN`, infinite, negative or (for counts)
//!   not an integer, an invalid Date or unreadable time string.
//! * `Error`: well-formed arguments the call still refuses because of the
//!   object's state or a rule of the domain: not initialized, disposed, an
//!   id already tracked or unknown, a full queue, a subscription limit, a
//!   custom status without text, a malformed server URL, and so on.
//!
//! Absent means `undefined` or `null`: both are accepted for an optional
//! parameter and an optional key, and mean "not given". A required options
//! object (`initialize(options)`) must be given.
//!
//! Messages read `method(): param must be <expected>, got <what came>`; a key
//! of an object is named `param.key`, an array item `param[i]`.

mod schema;

use js_sys::{Array, Function, Object};
use wasm_bindgen::prelude::*;

use crate::core::decimal::cat;
use crate::core::json::quote;
use crate::core::time;
use crate::core::Millis;

pub(crate) use schema::{fields, opt, opt_fields, req, Field, Kind, Record};

/// The result of a check: the value, or the error to throw.
pub(crate) type Res<T> = Result<T, JsValue>;

/// The largest integer a JavaScript number holds exactly.
pub(crate) const MAX_SAFE: f64 = 9_007_199_254_740_991.0;

/// The largest `u32` (and `usize` on wasm32), for counts.
pub(crate) const U32_MAX: f64 = u32::MAX as f64;

/// A number as JavaScript writes it (`String(n)`): the float is printed by
/// the engine, not by Rust code in the wasm.
pub(crate) fn number_text(n: f64) -> String {
    js_sys::Number::from(n)
        .to_string_with_radix(10)
        .map(String::from)
        .unwrap_or_default()
}

/// A short description of a value for error messages.
pub(crate) fn describe(value: &JsValue) -> String {
    if value.is_undefined() {
        "undefined".into()
    } else if value.is_null() {
        "null".into()
    } else if let Some(s) = value.as_string() {
        let short: String = s.chars().take(40).collect();
        cat!("the string ", quote(&short))
    } else if let Some(n) = value.as_f64() {
        cat!("the number ", number_text(n))
    } else if let Some(b) = value.as_bool() {
        cat!(b)
    } else if value.is_symbol() {
        "a symbol".into()
    } else if let Some(b) = value.dyn_ref::<js_sys::BigInt>() {
        let digits = b.to_string(10).map(String::from).unwrap_or_default();
        cat!("the bigint ", digits, "n")
    } else if Array::is_array(value) {
        "an array".into()
    } else if value.is_function() {
        "a function".into()
    } else if is_plain_object(value) {
        "an object".into()
    } else if value.is_object() {
        match class_name(value) {
            Some(name) => cat!("a ", name),
            None => "an object".into(),
        }
    } else {
        cat!("a ", value.js_typeof().as_string().unwrap_or_default())
    }
}

/// The name of an object's constructor (`Date`, `RealtimeClient`).
fn class_name(value: &JsValue) -> Option<String> {
    let ctor = js_sys::Reflect::get(value, &JsValue::from_str("constructor")).ok()?;
    let name = js_sys::Reflect::get(&ctor, &JsValue::from_str("name")).ok()?;
    name.as_string().filter(|n| !n.is_empty())
}

/// An object literal (or `Object.create(null)`): not an array, function,
/// Date or class instance. Objects of another realm count too.
pub(crate) fn is_plain_object(value: &JsValue) -> bool {
    if !value.is_object() || value.is_function() || Array::is_array(value) {
        return false;
    }
    let proto = Object::get_prototype_of(value);
    proto.is_null() || Object::get_prototype_of(&proto).is_null()
}

/// A `TypeError` saying what `what` must be and what came.
pub(crate) fn type_error(what: &str, expected: &str, value: &JsValue) -> JsValue {
    js_sys::TypeError::new(&cat!(
        what,
        " must be ",
        expected,
        ", got ",
        describe(value)
    ))
    .into()
}

/// A `RangeError` saying what `what` must be and what came.
pub(crate) fn range_error(what: &str, expected: &str, value: &JsValue) -> JsValue {
    js_sys::RangeError::new(&cat!(
        what,
        " must be ",
        expected,
        ", got ",
        describe(value)
    ))
    .into()
}

/// `undefined` or `null`: not given.
pub(crate) fn absent(value: &JsValue) -> bool {
    value.is_undefined() || value.is_null()
}

/// Any string.
pub(crate) fn string(value: &JsValue, what: &str) -> Res<String> {
    value
        .as_string()
        .ok_or_else(|| type_error(what, "a string", value))
}

/// A non-empty string (an id, an event name, a token).
pub(crate) fn id(value: &JsValue, what: &str) -> Res<String> {
    const EXPECTED: &str = "a non-empty string";
    match value.as_string() {
        Some(s) if s.is_empty() => Err(range_error(what, EXPECTED, value)),
        Some(s) => Ok(s),
        None => Err(type_error(what, EXPECTED, value)),
    }
}

/// An optional id.
pub(crate) fn opt_id(value: &JsValue, what: &str) -> Res<Option<String>> {
    if absent(value) {
        Ok(None)
    } else {
        id(value, what).map(Some)
    }
}

/// A boolean.
pub(crate) fn boolean(value: &JsValue, what: &str) -> Res<bool> {
    value
        .as_bool()
        .ok_or_else(|| type_error(what, "a boolean (true or false)", value))
}

/// One of the strings of a literal union.
pub(crate) fn one_of(value: &JsValue, what: &str, allowed: &[&str]) -> Res<String> {
    let expected = cat!(
        "one of ",
        allowed
            .iter()
            .map(|a| cat!("'", a, "'"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    match value.as_string() {
        Some(s) if allowed.contains(&s.as_str()) => Ok(s),
        Some(_) => Err(range_error(what, &expected, value)),
        None => Err(type_error(what, &expected, value)),
    }
}

/// An array whose items pass `item`.
fn array<T>(
    value: &JsValue,
    what: &str,
    expected: &str,
    item: impl Fn(&JsValue, &str) -> Res<T>,
) -> Res<Vec<T>> {
    if !Array::is_array(value) {
        return Err(type_error(what, expected, value));
    }
    Array::from(value)
        .iter()
        .enumerate()
        .map(|(i, v)| item(&v, &cat!(what, "[", i, "]")))
        .collect()
}

/// An array of non-empty strings.
pub(crate) fn ids(value: &JsValue, what: &str) -> Res<Vec<String>> {
    array(value, what, "an array of non-empty strings", id)
}

/// An array of strings.
pub(crate) fn strings(value: &JsValue, what: &str) -> Res<Vec<String>> {
    array(value, what, "an array of strings", string)
}

/// A function.
pub(crate) fn callback(value: &JsValue, what: &str) -> Res<Function> {
    value
        .dyn_ref::<Function>()
        .cloned()
        .ok_or_else(|| type_error(what, "a function", value))
}

/// An optional function.
pub(crate) fn opt_callback(value: &JsValue, what: &str) -> Res<Option<Function>> {
    if absent(value) {
        Ok(None)
    } else {
        callback(value, what).map(Some)
    }
}

/// A finite number.
pub(crate) fn number(value: &JsValue, what: &str, expected: &str) -> Res<f64> {
    match value.as_f64() {
        Some(n) if n.is_finite() => Ok(n),
        Some(_) => Err(range_error(what, expected, value)),
        None => Err(type_error(what, expected, value)),
    }
}

/// A finite non-negative number of milliseconds (fractions dropped).
pub(crate) fn ms(value: &JsValue, what: &str) -> Res<Millis> {
    const EXPECTED: &str = "a finite non-negative number of milliseconds";
    let n = number(value, what, EXPECTED)?;
    if (0.0..=MAX_SAFE).contains(&n) {
        Ok(n as Millis)
    } else {
        Err(range_error(what, EXPECTED, value))
    }
}

/// An optional number of milliseconds.
pub(crate) fn opt_ms(value: &JsValue, what: &str) -> Res<Option<Millis>> {
    if absent(value) {
        Ok(None)
    } else {
        ms(value, what).map(Some)
    }
}

/// A non-negative integer up to `max`.
pub(crate) fn count(value: &JsValue, what: &str, max: f64) -> Res<f64> {
    // The bounds are whole numbers (U32_MAX, MAX_SAFE).
    let expected = cat!("a non-negative integer (at most ", max as u64, ")");
    let n = number(value, what, &expected)?;
    if n >= 0.0 && n.fract() == 0.0 && n <= max {
        Ok(n)
    } else {
        Err(range_error(what, &expected, value))
    }
}

/// An optional non-negative integer up to `max`.
pub(crate) fn opt_count(value: &JsValue, what: &str, max: f64) -> Res<Option<f64>> {
    if absent(value) {
        Ok(None)
    } else {
        count(value, what, max).map(Some)
    }
}

/// An instant: a `Date`, ms since the epoch, or an ISO 8601 string.
pub(crate) fn timestamp(value: &JsValue, what: &str) -> Res<Millis> {
    const EXPECTED: &str = "a Date, a number of ms since the epoch or an ISO 8601 string";
    if let Some(date) = value.dyn_ref::<js_sys::Date>() {
        let t = date.get_time();
        return if t.is_finite() && t >= 0.0 {
            Ok(t as Millis)
        } else {
            Err(range_error(what, "a valid Date", value))
        };
    }
    let ms = if let Some(n) = value.as_f64() {
        time::from_f64(n)
    } else if let Some(s) = value.as_string() {
        time::parse_str(&s)
    } else {
        return Err(type_error(what, EXPECTED, value));
    };
    ms.ok_or_else(|| range_error(what, EXPECTED, value))
}

/// A payload as JSON text; `undefined` gives `None` (no argument).
pub(crate) fn json(value: &JsValue, what: &str) -> Res<Option<String>> {
    const EXPECTED: &str =
        "a JSON-serializable value (no BigInt, symbol, function or cycle at the top)";
    if value.is_undefined() {
        return Ok(None);
    }
    js_sys::JSON::stringify(value)
        .ok()
        .and_then(|s| s.as_string())
        .map(Some)
        .ok_or_else(|| type_error(what, EXPECTED, value))
}

/// An instance of one of this package's classes, found through its hidden
/// method `claim`: the method (run by wasm-bindgen's glue on the instance's
/// own pointer) leaves the instance's state where `take` finds it. So only a
/// live instance passes: not a look-alike object, not a freed instance (the
/// glue throws for those), not another class.
pub(crate) fn instance<T>(
    value: &JsValue,
    what: &str,
    class: &str,
    claim: &str,
    take: impl Fn() -> Option<T>,
) -> Res<T> {
    let refuse = || type_error(what, &cat!("a ", class, " that is not freed"), value);
    let _stale = take();
    if !value.is_object() {
        return Err(refuse());
    }
    let method = js_sys::Reflect::get(value, &JsValue::from_str(claim))
        .ok()
        .and_then(|f| f.dyn_into::<Function>().ok())
        .ok_or_else(refuse)?;
    method.call0(value).map_err(|_| refuse())?;
    take().ok_or_else(refuse)
}

/// A JavaScript `Date` at `ms`.
pub(crate) fn date(ms: Millis) -> JsValue {
    js_sys::Date::new(&JsValue::from_f64(ms as f64)).into()
}

/// An ISO-8601 text of `ms` for messages.
pub(crate) fn iso(ms: Millis) -> String {
    time::format_iso(ms).unwrap_or_else(|| cat!(ms, " ms since the epoch"))
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
    web_sys::console::error_1(&JsValue::from_str(&cat!(
        "[chat-realtime] a ",
        what,
        " callback threw: ",
        message
    )));
}

/// An optional duration read through an options struct (its schema already
/// checked it), in whole milliseconds.
pub(crate) fn duration(value: Option<f64>, what: &str) -> Res<Option<Millis>> {
    value.map(|v| ms(&JsValue::from_f64(v), what)).transpose()
}
