//! Conveniences of host tests only (never in the wasm): float literals
//! (`json!(1.5)`, through serde_json's shortest text; non-finite numbers
//! are `null` as in serde_json), `value["key"] = ...`, and `Display` for
//! `format!` and `to_string`.

use super::{from_str, Error, ToJson, Value};

impl From<f64> for Value {
    fn from(f: f64) -> Self {
        match serde_json::Number::from_f64(f) {
            Some(n) => from_str(&n.to_string()).unwrap_or(Value::Null),
            None => Value::Null,
        }
    }
}

impl ToJson for f64 {
    fn to_json(&self) -> Value {
        Value::from(*self)
    }
}

/// `value["key"] = ...` as in serde_json: sets the key (a `null` becomes
/// an object); panics on anything else, which only a test can do.
impl std::ops::IndexMut<&str> for Value {
    fn index_mut(&mut self, key: &str) -> &mut Value {
        if self.is_null() {
            *self = Value::Object(super::Map::new());
        }
        let Value::Object(map) = self else {
            panic!("cannot index {self:?} with {key:?}");
        };
        if !map.contains_key(key) {
            map.push(key, Value::Null);
        }
        map.get_mut(key).expect("just inserted")
    }
}

impl std::fmt::Display for Value {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.to_text())
    }
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.describe())
    }
}
