//! Small JavaScript helpers shared by the API classes: promises, listener
//! lists, JSON conversions and unsubscribe functions.

use std::cell::RefCell;
use std::rc::Weak;

use js_sys::{Array, Function, Promise, JSON};
use wasm_bindgen::prelude::*;

#[wasm_bindgen(
    inline_js = "export function unsubscriber(sub) { return () => { if (sub) { const s = sub; sub = null; s.unsubscribe(); } }; }"
)]
extern "C" {
    fn unsubscriber(sub: Subscription) -> Function;
}

/// Something that can drop a listener by id.
pub(crate) trait Unsubscribe {
    /// Removes listener `id`.
    fn unsubscribe(&mut self, id: u32);
}

/// A handle JavaScript holds inside an unsubscribe function.
#[wasm_bindgen]
pub struct Subscription {
    target: Weak<RefCell<dyn Unsubscribe>>,
    id: u32,
}

#[wasm_bindgen]
impl Subscription {
    /// Removes the listener; the handle is consumed.
    pub fn unsubscribe(self) {
        if let Some(t) = self.target.upgrade() {
            if let Ok(mut t) = t.try_borrow_mut() {
                t.unsubscribe(self.id);
            }
        }
    }
}

/// An idempotent `() => void` that removes listener `id` from `target`.
pub(crate) fn unsubscribe_fn(target: Weak<RefCell<dyn Unsubscribe>>, id: u32) -> Function {
    unsubscriber(Subscription { target, id })
}

/// A list of JavaScript callbacks with ids.
#[derive(Default)]
pub(crate) struct Callbacks {
    entries: Vec<(u32, Function)>,
}

impl Callbacks {
    /// Adds `f` under `id`.
    pub fn add(&mut self, id: u32, f: Function) {
        self.entries.push((id, f));
    }

    /// Removes `id`; true if it was there.
    pub fn remove(&mut self, id: u32) -> bool {
        let before = self.entries.len();
        self.entries.retain(|(i, _)| *i != id);
        before != self.entries.len()
    }

    /// True when there are none.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// A copy of the callbacks, to call after the owner's borrow is released.
    pub fn snapshot(&self) -> Vec<Function> {
        self.entries.iter().map(|(_, f)| f.clone()).collect()
    }
}

/// A pending promise's settle functions.
pub(crate) struct Deferred {
    resolve: Function,
    reject: Function,
}

impl Deferred {
    /// A new promise and its settle functions.
    pub fn new() -> (Promise, Self) {
        let mut slot = None;
        let promise = Promise::new(&mut |resolve, reject| slot = Some((resolve, reject)));
        let (resolve, reject) =
            slot.unwrap_or_else(|| (Function::new_no_args(""), Function::new_no_args("")));
        (promise, Self { resolve, reject })
    }

    /// Resolves with `value`.
    pub fn resolve(self, value: &JsValue) {
        let _ = self.resolve.call1(&JsValue::UNDEFINED, value);
    }

    /// Rejects with an `Error` carrying `message`.
    pub fn reject(self, message: &str) {
        let _ = self
            .reject
            .call1(&JsValue::UNDEFINED, &js_sys::Error::new(message));
    }
}

/// Calls `f(args…)`, returning the thrown value if it throws.
pub(crate) fn call(f: &Function, args: &Array) -> Result<(), JsValue> {
    f.apply(&JsValue::UNDEFINED, args).map(|_| ())
}

/// `JSON.stringify(value)`; `undefined` gives `None`.
pub(crate) fn to_json(value: &JsValue) -> Result<Option<String>, JsError> {
    if value.is_undefined() {
        return Ok(None);
    }
    JSON::stringify(value)
        .map_err(|_| {
            JsError::new("the payload cannot be serialized to JSON (cyclic or a BigInt?)")
        })?
        .as_string()
        .map(Some)
        .ok_or_else(|| {
            JsError::new("the payload cannot be serialized to JSON (a function or a symbol?)")
        })
}

/// `JSON.parse(text)`, `undefined` if it fails.
pub(crate) fn parse_json(text: &str) -> JsValue {
    JSON::parse(text).unwrap_or(JsValue::UNDEFINED)
}

/// Logs with the package prefix.
pub(crate) fn debug_log(message: &str) {
    web_sys::console::log_1(&JsValue::from_str(&format!("[chat-realtime] {message}")));
}
