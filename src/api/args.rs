//! The conversions of the arguments JavaScript hands to `Native::call` into
//! Rust values, and of results into plain JavaScript values.
//!
//! The TypeScript layer (`js/src/check.ts`) checks every argument's type and
//! range before it calls the wasm and builds the messages users see; here a
//! value that still does not convert (the layer was bypassed) is refused
//! with one short `TypeError` naming the parameter, never a trap. Refusals
//! that depend on state or on the domain (not initialized, disposed, a full
//! queue, a custom status without text) stay the wasm's, as `Error`s.
//!
//! Absent means `undefined` or `null`: "not given" for an optional
//! parameter or key.

mod schema;

use js_sys::Array;
use wasm_bindgen::prelude::*;

use crate::core::decimal::cat;
use crate::core::time;
use crate::core::Millis;

pub(crate) use schema::{fields, opt, opt_fields, req, Field, Kind, Record};

/// The result of a check: the value, or the error to throw.
pub(crate) type Res<T> = Result<T, JsValue>;

/// The largest integer a JavaScript number holds exactly.
pub(crate) const MAX_SAFE: f64 = 9_007_199_254_740_991.0;

/// The largest `u32` (and `usize` on wasm32), for counts.
pub(crate) const U32_MAX: f64 = u32::MAX as f64;

/// A JavaScript array of `items` (one `push` import serves every length).
pub(crate) fn list(items: &[&JsValue]) -> Array {
    let out = Array::new();
    for item in items {
        out.push(item);
    }
    out
}

/// The error of a value that does not convert (`what` names it).
pub(crate) fn invalid(what: &str) -> JsValue {
    js_sys::TypeError::new(&[what, " is not a valid value"].concat()).into()
}

/// `undefined` or `null`: not given.
pub(crate) fn absent(value: &JsValue) -> bool {
    value.is_undefined() || value.is_null()
}

/// Any string.
pub(crate) fn string(value: &JsValue, what: &str) -> Res<String> {
    value.as_string().ok_or_else(|| invalid(what))
}

/// A non-empty string (an id, an event name, a token).
pub(crate) fn id(value: &JsValue, what: &str) -> Res<String> {
    value
        .as_string()
        .filter(|s| !s.is_empty())
        .ok_or_else(|| invalid(what))
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
    value.as_bool().ok_or_else(|| invalid(what))
}

/// One of the strings of a literal union.
pub(crate) fn one_of(value: &JsValue, what: &str, allowed: &[&str]) -> Res<String> {
    value
        .as_string()
        .filter(|s| allowed.contains(&s.as_str()))
        .ok_or_else(|| invalid(what))
}

/// An array whose items pass `item`.
fn array<T>(value: &JsValue, what: &str, item: impl Fn(&JsValue, &str) -> Res<T>) -> Res<Vec<T>> {
    if !Array::is_array(value) {
        return Err(invalid(what));
    }
    Array::from(value).iter().map(|v| item(&v, what)).collect()
}

/// An array of non-empty strings.
pub(crate) fn ids(value: &JsValue, what: &str) -> Res<Vec<String>> {
    array(value, what, id)
}

/// An array of strings.
pub(crate) fn strings(value: &JsValue, what: &str) -> Res<Vec<String>> {
    array(value, what, string)
}

/// A finite number.
pub(crate) fn number(value: &JsValue, what: &str) -> Res<f64> {
    value
        .as_f64()
        .filter(|n| n.is_finite())
        .ok_or_else(|| invalid(what))
}

/// A finite non-negative number of milliseconds (fractions dropped).
pub(crate) fn ms(value: &JsValue, what: &str) -> Res<Millis> {
    let n = number(value, what)?;
    if (0.0..=MAX_SAFE).contains(&n) {
        Ok(n as Millis)
    } else {
        Err(invalid(what))
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
    let n = number(value, what)?;
    if n >= 0.0 && n.fract() == 0.0 && n <= max {
        Ok(n)
    } else {
        Err(invalid(what))
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

#[wasm_bindgen(
    inline_js = "export function dateMs(v) { return v instanceof Date ? v.getTime() : undefined; }"
)]
extern "C" {
    /// A `Date`'s time (NaN when invalid), `undefined` for any other value:
    /// one import with no conversion, for `instanceof` and `getTime`.
    #[wasm_bindgen(js_name = dateMs)]
    fn date_ms(value: &JsValue) -> JsValue;
}

/// An instant: a `Date`, ms since the epoch, or an ISO 8601 string. A
/// value of the right type the core cannot read as an instant (`'soon'`, an
/// invalid Date) is a `RangeError`: that rule is the core's
/// ([`time::parse`]), not the layer's.
pub(crate) fn timestamp(value: &JsValue, what: &str) -> Res<Millis> {
    let unreadable = || -> JsValue {
        js_sys::RangeError::new(
            &[
                what,
                " must be a Date, a number of ms since the epoch or an ISO 8601 string",
            ]
            .concat(),
        )
        .into()
    };
    let t = date_ms(value);
    if !t.is_undefined() {
        let t = t.as_f64().unwrap_or(f64::NAN);
        return if t.is_finite() && t >= 0.0 {
            Ok(t as Millis)
        } else {
            Err(unreadable())
        };
    }
    let ms = if let Some(n) = value.as_f64() {
        time::from_f64(n)
    } else if let Some(s) = value.as_string() {
        time::parse_str(&s)
    } else {
        return Err(invalid(what));
    };
    ms.ok_or_else(unreadable)
}

/// A payload as JSON text; `undefined` gives `None` (no argument).
pub(crate) fn json(value: &JsValue, what: &str) -> Res<Option<String>> {
    if value.is_undefined() {
        return Ok(None);
    }
    js_sys::JSON::stringify(value)
        .ok()
        .and_then(|s| s.as_string())
        .map(Some)
        .ok_or_else(|| invalid(what))
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

/// An optional duration read through an options struct (its schema already
/// checked it), in whole milliseconds.
pub(crate) fn duration(value: Option<f64>, what: &str) -> Res<Option<Millis>> {
    value.map(|v| ms(&JsValue::from_f64(v), what)).transpose()
}
