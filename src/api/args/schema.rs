//! Plain-object arguments (options objects, records such as a message) read
//! through a table of their keys: the keys given are copied for the serde
//! structs, each converted as its kind (the layer checked them).

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
/// likewise), each of its kind, the required ones present. This is what
/// the serde structs then read.
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
        Kind::Any => return Ok(None),
    }?;
    Ok(Some(v.clone()))
}
