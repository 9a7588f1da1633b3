//! Small JavaScript helpers shared by the API classes: promises, listener
//! lists, JSON conversions and unsubscribe functions.

use std::cell::RefCell;
use std::rc::Weak;

use js_sys::{Array, Function, Promise, JSON};
use wasm_bindgen::prelude::*;

use crate::core::decimal::cat;
use crate::core::json::quote;
use crate::core::json::{self, ToJson, Value};

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
    web_sys::console::log_1(&JsValue::from_str(&cat!("[chat-realtime] ", message)));
}

/// The message of a `JsError` (for errors raised by another API call).
pub(crate) fn js_error_message(err: JsError) -> String {
    let value = JsValue::from(err);
    value
        .dyn_ref::<js_sys::Error>()
        .map(|e| String::from(e.message()))
        .or_else(|| value.as_string())
        .unwrap_or_else(|| "unknown error".into())
}

/// The message of a thrown JavaScript value.
pub(crate) fn thrown_message(thrown: &JsValue) -> String {
    thrown
        .dyn_ref::<js_sys::Error>()
        .map(|e| String::from(e.message()))
        .or_else(|| thrown.as_string())
        .unwrap_or_else(|| "a non-Error value was thrown".into())
}

/// A value's JSON form as a plain JavaScript value: its text, built by
/// `JSON.parse` (one call, no object built field by field from Rust).
pub(crate) fn to_js<T: ToJson + ?Sized>(value: &T) -> JsValue {
    parse_json(&value.to_json().to_text())
}

/// The first argument of an ack (`result` is the ack's args as a JSON array
/// text, as `ClientHandle::emit_with_ack_cb` reports it).
pub(crate) fn first_ack_arg(result: Result<String, String>) -> Result<Value, String> {
    let text = result?;
    match json::from_str(&text) {
        Ok(Value::Array(mut args)) if !args.is_empty() => Ok(args.swap_remove(0)),
        Ok(Value::Array(_)) => Ok(Value::Null),
        _ => Err(cat!("malformed acknowledgement: ", text)),
    }
}

/// Calls every listener with `(event, data)`; a listener that throws is
/// logged and the others still run.
pub(crate) fn call_listeners(what: &str, fns: &[Function], event: &str, data: &JsValue) {
    let args = Array::of2(&JsValue::from_str(event), data);
    for f in fns {
        if let Err(e) = call(f, &args) {
            debug_log(&cat!(
                "a ",
                what,
                " listener of ",
                quote(event),
                " threw: ",
                thrown_message(&e)
            ));
        }
    }
}
