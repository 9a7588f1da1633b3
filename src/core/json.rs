//! A small JSON value with a strict parser and a writer, in place of
//! serde_json, which with its error messages and float printing and parsing
//! was a large share of the wasm.
//!
//! * [`Value`] has the subset of `serde_json::Value`'s API the package uses
//!   (`get`, `as_str`, `as_u64`, indexing that yields `Null`, the [`json!`]
//!   macro), so code reads the same.
//! * Objects are a [`Map`] backed by a `Vec` of pairs in insertion order:
//!   the objects on this wire are small, and one `Vec` instantiation is far
//!   less code than a tree map per element type. Parsing keeps duplicate
//!   keys; lookups take the last one, as `JSON.parse` does.
//! * Numbers ([`Number`]) are exact integers (`u64`, or `i64` when negative)
//!   or, for any other number, the text as it was parsed, written back
//!   unchanged: no float is ever parsed or printed here. Numbers Rust itself
//!   writes are integers (milliseconds, counts).
//! * The parser ([`from_str`], in `parse`) follows RFC 8259 strictly, limits
//!   nesting to 127 levels (like serde_json), refuses lone surrogates and
//!   never panics; its [`Error`] carries a stable code. [`validate`] checks
//!   text without building anything.
//! * The writer (`Value::to_text`, in `write`) escapes as serde_json does,
//!   so stored checksums computed over serde_json's text still match.

mod convert;
mod fields;
#[cfg(all(test, not(target_arch = "wasm32")))]
mod host_test_impls;
mod macros;
mod map;
mod number;
mod parse;
mod write;

use std::ops::Index;

pub(crate) use convert::to_json_by_name;
pub use convert::ToJson;
pub use fields::FieldError;
pub(crate) use macros::json;
pub use map::Map;
pub use number::Number;
pub use parse::{from_slice, from_str, leading_str, validate, Error, ErrorCode};
pub use write::push_str as push_json_str;

/// `s` as a JSON string literal, quotes included (how messages quote a
/// value, like `{:?}` did).
pub fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    push_json_str(&mut out, s);
    out
}

/// A JSON value.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Value {
    /// `null`.
    #[default]
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// A number (see [`Number`]).
    Number(Number),
    /// A string.
    String(String),
    /// An array.
    Array(Vec<Value>),
    /// An object.
    Object(Map),
}

/// The `null` that missing keys and indexes yield.
static NULL: Value = Value::Null;

/// What [`Value::get`] accepts: a key of an object or an index of an array.
pub trait JsonIndex {
    /// The value at this key or index of `value`, if any.
    fn index_into<'v>(&self, value: &'v Value) -> Option<&'v Value>;
    /// The same, mutably.
    fn index_into_mut<'v>(&self, value: &'v mut Value) -> Option<&'v mut Value>;
}

impl JsonIndex for str {
    fn index_into<'v>(&self, value: &'v Value) -> Option<&'v Value> {
        value.as_object().and_then(|m| m.get(self))
    }
    fn index_into_mut<'v>(&self, value: &'v mut Value) -> Option<&'v mut Value> {
        value.as_object_mut().and_then(|m| m.get_mut(self))
    }
}

impl JsonIndex for String {
    fn index_into<'v>(&self, value: &'v Value) -> Option<&'v Value> {
        self.as_str().index_into(value)
    }
    fn index_into_mut<'v>(&self, value: &'v mut Value) -> Option<&'v mut Value> {
        self.as_str().index_into_mut(value)
    }
}

impl JsonIndex for usize {
    fn index_into<'v>(&self, value: &'v Value) -> Option<&'v Value> {
        value.as_array().and_then(|a| a.get(*self))
    }
    fn index_into_mut<'v>(&self, value: &'v mut Value) -> Option<&'v mut Value> {
        value.as_array_mut().and_then(|a| a.get_mut(*self))
    }
}

impl<T: JsonIndex + ?Sized> JsonIndex for &T {
    fn index_into<'v>(&self, value: &'v Value) -> Option<&'v Value> {
        (**self).index_into(value)
    }
    fn index_into_mut<'v>(&self, value: &'v mut Value) -> Option<&'v mut Value> {
        (**self).index_into_mut(value)
    }
}

impl Value {
    /// The value at a key (objects) or index (arrays), if any.
    pub fn get<I: JsonIndex>(&self, index: I) -> Option<&Value> {
        index.index_into(self)
    }

    /// The value at a key or index, mutably.
    pub fn get_mut<I: JsonIndex>(&mut self, index: I) -> Option<&mut Value> {
        index.index_into_mut(self)
    }

    /// The string, if this is one.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// The boolean, if this is one.
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }

    /// The number as a `u64`, if it is a non-negative integer that fits.
    pub fn as_u64(&self) -> Option<u64> {
        match self {
            Value::Number(n) => n.as_u64(),
            _ => None,
        }
    }

    /// The number as an `i64`, if it is an integer that fits.
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Value::Number(n) => n.as_i64(),
            _ => None,
        }
    }

    /// The array, if this is one.
    pub fn as_array(&self) -> Option<&Vec<Value>> {
        match self {
            Value::Array(a) => Some(a),
            _ => None,
        }
    }

    /// The array, mutably.
    pub fn as_array_mut(&mut self) -> Option<&mut Vec<Value>> {
        match self {
            Value::Array(a) => Some(a),
            _ => None,
        }
    }

    /// The object, if this is one.
    pub fn as_object(&self) -> Option<&Map> {
        match self {
            Value::Object(m) => Some(m),
            _ => None,
        }
    }

    /// The object, mutably.
    pub fn as_object_mut(&mut self) -> Option<&mut Map> {
        match self {
            Value::Object(m) => Some(m),
            _ => None,
        }
    }

    /// Whether this is `null`.
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// Whether this is a string.
    pub fn is_string(&self) -> bool {
        matches!(self, Value::String(_))
    }

    /// Whether this is an object.
    pub fn is_object(&self) -> bool {
        matches!(self, Value::Object(_))
    }

    /// Whether this is an array.
    pub fn is_array(&self) -> bool {
        matches!(self, Value::Array(_))
    }

    /// Takes the value out, leaving `null`.
    pub fn take(&mut self) -> Value {
        std::mem::take(self)
    }
}

impl<I: JsonIndex> Index<I> for Value {
    type Output = Value;

    /// `value["key"]` / `value[0]`: `null` when absent (never panics).
    fn index(&self, index: I) -> &Value {
        index.index_into(self).unwrap_or(&NULL)
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests;
