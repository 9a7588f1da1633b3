//! Typed reads of an object's fields, for the documents the package stores
//! and the handshake: what serde's derived `Deserialize` did, as a few
//! plain functions with errors that name the key.

use super::{Map, Value};
use crate::core::decimal::concat;

/// A field that is missing or of the wrong type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FieldError {
    /// The key.
    pub key: &'static str,
    /// What it must be (`"a string"`, `"a non-negative integer"`, ...).
    pub expected: &'static str,
}

impl FieldError {
    /// `"<key> must be <expected>"`.
    pub fn describe(&self) -> String {
        concat(&[self.key, " must be ", self.expected])
    }
}

type Res<T> = Result<T, FieldError>;

const STRING: &str = "a string";
const INTEGER: &str = "a non-negative integer";
const STRINGS: &str = "an array of strings";

impl Map {
    /// Absent and `null` are `None`; anything else goes through `read`.
    fn optional<'a, T>(
        &'a self,
        key: &'static str,
        expected: &'static str,
        read: impl FnOnce(&'a Value) -> Option<T>,
    ) -> Res<Option<T>> {
        match self.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(v) => read(v).map(Some).ok_or(FieldError { key, expected }),
        }
    }

    /// A required string.
    pub fn str_field(&self, key: &'static str) -> Res<String> {
        self.opt_str_field(key)?.ok_or(FieldError {
            key,
            expected: STRING,
        })
    }

    /// An optional string (absent or `null`: `None`).
    pub fn opt_str_field(&self, key: &'static str) -> Res<Option<String>> {
        self.optional(key, STRING, |v| v.as_str().map(str::to_owned))
    }

    /// A required non-negative integer.
    pub fn u64_field(&self, key: &'static str) -> Res<u64> {
        self.opt_u64_field(key)?.ok_or(FieldError {
            key,
            expected: INTEGER,
        })
    }

    /// An optional non-negative integer.
    pub fn opt_u64_field(&self, key: &'static str) -> Res<Option<u64>> {
        self.optional(key, INTEGER, Value::as_u64)
    }

    /// An optional array of strings.
    pub fn opt_strings_field(&self, key: &'static str) -> Res<Option<Vec<String>>> {
        self.optional(key, STRINGS, |v| {
            v.as_array()?
                .iter()
                .map(|s| s.as_str().map(str::to_owned))
                .collect()
        })
    }
}
