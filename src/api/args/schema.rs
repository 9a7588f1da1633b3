//! Plain-object arguments (options objects, records such as a message) read
//! through a table of their keys: the keys given are copied, each converted
//! as its kind (the layer checked them), and read through [`Record`].

use js_sys::Object;
use wasm_bindgen::prelude::*;

use super::{
    absent, boolean, count, id, invalid, ms, number, one_of, string, strings, timestamp, Res,
    MAX_SAFE,
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
    /// An array of plain objects with these keys.
    Objects(&'static [Field]),
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

/// `value` read through `schema`: a copy holding only the keys of the
/// schema that are given (absent ones dropped, nested objects copied
/// likewise), each of its kind, the required ones present. [`Record`]
/// reads it.
pub(crate) fn fields(value: &JsValue, what: &str, schema: &[Field]) -> Res<Object> {
    if !value.is_object() {
        return Err(invalid(what));
    }
    let copy = Object::new();
    for field in schema {
        let v = js_sys::Reflect::get(value, &JsValue::from_str(field.name)).unwrap_or_default();
        let key_what = [what, ".", field.name].concat();
        if absent(&v) {
            if field.required {
                return Err(invalid(&key_what));
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

    /// The value under `key` (`undefined` when absent).
    pub fn get(&self, key: &str) -> JsValue {
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

/// `v` checked as `kind`; the value to copy, if any.
fn check(v: &JsValue, what: &str, kind: &Kind) -> Res<Option<JsValue>> {
    match kind {
        Kind::Str => string(v, what).map(|_| ()),
        Kind::Id => id(v, what).map(|_| ()),
        Kind::Bool => boolean(v, what).map(|_| ()),
        Kind::Ms => ms(v, what).map(|_| ()),
        Kind::IntMs => count(v, what, MAX_SAFE).map(|_| ()),
        Kind::Num => number(v, what).map(|_| ()),
        Kind::UInt(max) => count(v, what, *max).map(|_| ()),
        Kind::OneOf(allowed) => one_of(v, what, allowed).map(|_| ()),
        Kind::Strings => strings(v, what).map(|_| ()),
        Kind::Timestamp => timestamp(v, what).map(|_| ()),
        Kind::Object(schema) => return fields(v, what, schema).map(|o| Some(o.into())),
        Kind::Objects(schema) => {
            if !js_sys::Array::is_array(v) {
                return Err(invalid(what));
            }
            let (list, copy) = (js_sys::Array::from(v), js_sys::Array::new());
            for i in 0..list.length() {
                copy.push(&fields(&list.get_unchecked(i), what, schema)?.into());
            }
            return Ok(Some(copy.into()));
        }
        Kind::Any => return Ok(None),
    }?;
    Ok(Some(v.clone()))
}
