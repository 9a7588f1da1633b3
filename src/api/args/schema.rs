//! Plain-object arguments (options objects, records such as a message)
//! checked against a table of their keys, so every key is named when it is
//! unknown or of the wrong kind.

use crate::core::decimal::cat;
use crate::core::json::quote;
use js_sys::Object;
use wasm_bindgen::prelude::*;

use super::{
    absent, boolean, count, id, is_plain_object, ms, number, one_of, string, strings, timestamp,
    type_error, Res, MAX_SAFE,
};

/// What a key holds.
pub(crate) enum Kind {
    /// Any string.
    Str,
    /// A non-empty string.
    Id,
    /// A boolean.
    Bool,
    /// A finite non-negative number of milliseconds.
    Ms,
    /// A non-negative integer number of milliseconds.
    IntMs,
    /// A finite number.
    Num,
    /// A non-negative integer up to the bound.
    UInt(f64),
    /// One of these strings.
    OneOf(&'static [&'static str]),
    /// An array of strings.
    Strings,
    /// A `Date`, ms since the epoch or an ISO 8601 string.
    Timestamp,
    /// A nested plain object with these keys.
    Object(&'static [Field]),
    /// Checked by the caller (a class instance); left out of the copy.
    Any,
}

/// A key of an object argument.
pub(crate) struct Field {
    /// The key.
    pub name: &'static str,
    /// What it holds.
    pub kind: Kind,
    /// Whether it must be given.
    pub required: bool,
}

/// An optional key.
pub(crate) const fn opt(name: &'static str, kind: Kind) -> Field {
    Field {
        name,
        kind,
        required: false,
    }
}

/// A required key.
pub(crate) const fn req(name: &'static str, kind: Kind) -> Field {
    Field {
        name,
        kind,
        required: true,
    }
}

/// `value` checked against `schema`: a plain object with no other keys, each
/// key of its kind and the required ones given. Returns a copy holding only
/// the keys given (absent ones dropped, nested objects copied likewise),
/// which [`Record`] then reads.
pub(crate) fn fields(value: &JsValue, what: &str, schema: &[Field]) -> Res<Object> {
    if !is_plain_object(value) {
        return Err(type_error(what, "a plain object", value));
    }
    for key in Object::keys(value.unchecked_ref::<Object>()).iter() {
        let key = key.as_string().unwrap_or_default();
        if !schema.iter().any(|f| f.name == key) {
            let known: Vec<&str> = schema.iter().map(|f| f.name).collect();
            return Err(js_sys::TypeError::new(&cat!(
                what,
                " has an unknown key ",
                quote(&key),
                "; known keys: ",
                known.join(", ")
            ))
            .into());
        }
    }
    let copy = Object::new();
    for field in schema {
        let v = js_sys::Reflect::get(value, &JsValue::from_str(field.name)).unwrap_or_default();
        let key_what = cat!(what, ".", field.name);
        if absent(&v) {
            if field.required {
                return Err(type_error(&key_what, expected(&field.kind), &v));
            }
            continue;
        }
        if let Some(checked) = check(&v, &key_what, &field.kind)? {
            super::set(&copy, field.name, &checked);
        }
    }
    Ok(copy)
}

/// An optional object argument checked against `schema`.
pub(crate) fn opt_fields(value: &JsValue, what: &str, schema: &[Field]) -> Res<Option<Object>> {
    if absent(value) {
        Ok(None)
    } else {
        fields(value, what, schema).map(Some)
    }
}

/// A checked copy of an object argument ([`fields`], [`opt_fields`]) to
/// read: each key is absent or of the kind its schema says, so each read is
/// a lookup, not a check (an absent object reads as all keys absent).
pub(crate) struct Record(Option<Object>);

impl Record {
    /// The record of a checked copy.
    pub fn new(checked: Option<Object>) -> Self {
        Self(checked)
    }

    fn get(&self, key: &str) -> JsValue {
        self.0
            .as_ref()
            .and_then(|o| js_sys::Reflect::get(o, &JsValue::from_str(key)).ok())
            .unwrap_or_default()
    }

    /// A string key (`Str`, `Id`, `OneOf`).
    pub fn str(&self, key: &str) -> Option<String> {
        self.get(key).as_string()
    }

    /// A number key (`Num`, `Ms`).
    pub fn num(&self, key: &str) -> Option<f64> {
        self.get(key).as_f64()
    }

    /// An integer key (`IntMs`, `UInt`): whole, not negative and within its
    /// bound, so the cast is exact.
    pub fn int(&self, key: &str) -> Option<u64> {
        self.num(key).map(|n| n as u64)
    }

    /// A boolean key.
    pub fn flag(&self, key: &str) -> Option<bool> {
        self.get(key).as_bool()
    }

    /// A `Strings` key.
    pub fn strings(&self, key: &str) -> Option<Vec<String>> {
        let v = self.get(key);
        js_sys::Array::is_array(&v).then(|| {
            js_sys::Array::from(&v)
                .iter()
                .filter_map(|s| s.as_string())
                .collect()
        })
    }
}

/// What a missing required key should have been.
fn expected(kind: &Kind) -> &'static str {
    match kind {
        Kind::Str => "a string",
        Kind::Id => "a non-empty string",
        Kind::Bool => "a boolean (true or false)",
        Kind::Ms | Kind::IntMs => "a non-negative number of milliseconds",
        Kind::Num => "a finite number",
        Kind::UInt(_) => "a non-negative integer",
        Kind::OneOf(_) => "one of its string values",
        Kind::Strings => "an array of strings",
        Kind::Timestamp => "a Date, a number of ms since the epoch or an ISO 8601 string",
        Kind::Object(_) => "a plain object",
        Kind::Any => "given",
    }
}

/// `v` checked as `kind`; the value to copy, if any.
fn check(v: &JsValue, what: &str, kind: &Kind) -> Res<Option<JsValue>> {
    match kind {
        Kind::Str => string(v, what).map(|_| ()),
        Kind::Id => id(v, what).map(|_| ()),
        Kind::Bool => boolean(v, what).map(|_| ()),
        Kind::Ms => ms(v, what).map(|_| ()),
        Kind::IntMs => count(v, what, MAX_SAFE).map(|_| ()),
        Kind::Num => number(v, what, "a finite number").map(|_| ()),
        Kind::UInt(max) => count(v, what, *max).map(|_| ()),
        Kind::OneOf(allowed) => one_of(v, what, allowed).map(|_| ()),
        Kind::Strings => strings(v, what).map(|_| ()),
        Kind::Timestamp => timestamp(v, what).map(|_| ()),
        Kind::Object(schema) => return fields(v, what, schema).map(|o| Some(o.into())),
        Kind::Any => return Ok(None),
    }?;
    Ok(Some(v.clone()))
}
