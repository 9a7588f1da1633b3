//! Small JavaScript helpers shared by the API classes: promises, JSON
//! conversions, listener calls and unsubscribe functions.

use std::cell::RefCell;
use std::rc::Weak;

use js_sys::{Array, Function, Promise, JSON};
use wasm_bindgen::prelude::*;

/// Something that can drop a listener by id.
pub(crate) trait Unsubscribe {
    /// Removes listener `id`.
    fn unsubscribe(&mut self, id: u32);
}

/// An idempotent `() => void` that removes listener `id` from `target`.
///
/// A plain closure (freed with the function when JavaScript collects it, as
/// the package is built with weak refs) rather than an `inline_js` helper:
/// an inline snippet is a separate module the browser fetches only after the
/// glue, one more round trip before the wasm download can start.
pub(crate) fn unsubscribe_fn(target: Weak<RefCell<dyn Unsubscribe>>, id: u32) -> Function {
    let mut target = Some(target);
    Closure::<dyn FnMut()>::new(move || {
        if let Some(t) = target.take().and_then(|w| w.upgrade()) {
            if let Ok(mut t) = t.try_borrow_mut() {
                t.unsubscribe(id);
            }
        }
    })
    .into_js_value()
    .unchecked_into()
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
    pub(crate) fn reject(self, message: &str) {
        self.reject_with(&js_sys::Error::new(message));
    }

    /// Rejects with `reason` (e.g. an `Error` with extra properties).
    pub fn reject_with(self, reason: &JsValue) {
        let _ = self.reject.call1(&JsValue::UNDEFINED, reason);
    }
}

/// Calls `f(args…)`, returning the thrown value if it throws.
pub(crate) fn call(f: &Function, args: &Array) -> Result<(), JsValue> {
    f.apply(&JsValue::UNDEFINED, args).map(|_| ())
}

/// `JSON.parse(text)`, `undefined` if it fails.
pub(crate) fn parse_json(text: &str) -> JsValue {
    JSON::parse(text).unwrap_or(JsValue::UNDEFINED)
}

/// Logs with the package prefix.
pub(crate) fn debug_log(message: &str) {
    web_sys::console::log_1(&JsValue::from_str(&format!("[chat-realtime] {message}")));
}

/// The message of a thrown JavaScript value.
pub(crate) fn thrown_message(thrown: &JsValue) -> String {
    thrown
        .dyn_ref::<js_sys::Error>()
        .map(|e| String::from(e.message()))
        .or_else(|| thrown.as_string())
        .unwrap_or_else(|| "a non-Error value was thrown".into())
}

/// A serializable value as a plain JavaScript value (through JSON, so maps
/// become objects and `None` becomes `null`).
pub(crate) fn to_js<T: serde::Serialize + ?Sized>(value: &T) -> JsValue {
    serde_json::to_string(value)
        .map(|s| parse_json(&s))
        .unwrap_or(JsValue::UNDEFINED)
}

/// The `data` of an event serialized as `{event, data}`, as a JavaScript value.
pub(crate) fn event_data<T: serde::Serialize>(event: &T) -> JsValue {
    match serde_json::to_value(event) {
        Ok(serde_json::Value::Object(mut obj)) => obj
            .remove("data")
            .map(|d| parse_json(&d.to_string()))
            .unwrap_or(JsValue::UNDEFINED),
        _ => JsValue::UNDEFINED,
    }
}

/// Calls every listener with `(event, data)`; a listener that throws is
/// logged and the others still run.
pub(crate) fn call_listeners(what: &str, fns: &[Function], event: &str, data: &JsValue) {
    let args = Array::of2(&JsValue::from_str(event), data);
    for f in fns {
        if let Err(e) = call(f, &args) {
            debug_log(&format!(
                "a {what} listener of {event:?} threw: {}",
                thrown_message(&e)
            ));
        }
    }
}
