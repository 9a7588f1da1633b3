//! Helpers of the browser tests: the test server's control API, recorders
//! of callbacks, and waiting for a condition.
#![allow(dead_code)]

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use chat_realtime::api::RealtimeClient;
use gloo_timers::future::TimeoutFuture;
use js_sys::{Function, Promise};
use serde_json::Value;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{Request, RequestInit, Response};

/// The realtime server's URL (port fixed at build time by the Makefile).
pub fn server_url() -> String {
    format!(
        "http://127.0.0.1:{}",
        option_env!("REALTIME_PORT").unwrap_or("39101")
    )
}

/// The second instance's URL (scale-out: both share one Redis).
pub fn server_url_b() -> String {
    format!(
        "http://127.0.0.1:{}",
        option_env!("REALTIME_PORT_B").unwrap_or("39103")
    )
}

fn control_url(path: &str) -> String {
    format!(
        "http://127.0.0.1:{}{path}",
        option_env!("CONTROL_PORT").unwrap_or("39102")
    )
}

fn control_url_b(path: &str) -> String {
    format!(
        "http://127.0.0.1:{}{path}",
        option_env!("CONTROL_PORT_B").unwrap_or("39104")
    )
}

/// Calls the control API of instance A.
pub async fn control(method: &str, path: &str, body: Option<Value>) -> Value {
    request(control_url(path), method, body).await
}

/// POST to the control API of instance B.
pub async fn post_b(path: &str, body: Value) -> Value {
    request(control_url_b(path), "POST", Some(body)).await
}

/// GET from the control API of instance B.
pub async fn get_b(path: &str) -> Value {
    request(control_url_b(path), "GET", None).await
}

async fn request(url: String, method: &str, body: Option<Value>) -> Value {
    let opts = RequestInit::new();
    opts.set_method(method);
    if let Some(b) = body {
        opts.set_body(&JsValue::from_str(&b.to_string()));
    }
    let req = Request::new_with_str_and_init(&url, &opts).unwrap();
    req.headers()
        .set("content-type", "application/json")
        .unwrap();
    let window = web_sys::window().unwrap();
    let resp: Response = JsFuture::from(window.fetch_with_request(&req))
        .await
        .unwrap()
        .unchecked_into();
    let text = JsFuture::from(resp.text().unwrap())
        .await
        .unwrap()
        .as_string()
        .unwrap();
    serde_json::from_str(&text).unwrap_or(Value::Null)
}

/// POST with a JSON body.
pub async fn post(path: &str, body: Value) -> Value {
    control("POST", path, Some(body)).await
}

/// GET.
pub async fn get(path: &str) -> Value {
    control("GET", path, None).await
}

/// The rooms the browser tests use: they must exist, as on the real server.
pub const ROOMS: [&str; 4] = ["channel:general", "channel:team", "r", "dm:d1"];

/// Resets the test server (both instances share its rooms through Redis)
/// with extensions on, and creates [`ROOMS`]. Sockets still connected are
/// disconnected first (`io server disconnect`: they do not come back): a
/// test that panicked never dropped its clients, and their services would
/// go on acting as its users (re-sending a status the server reset, typing)
/// in the tests after it.
pub async fn reset() {
    post("/disconnect", serde_json::json!({})).await;
    post_b("/disconnect", serde_json::json!({})).await;
    post("/reset", serde_json::json!({})).await;
    post_b("/reset", serde_json::json!({})).await;
    post("/rooms", serde_json::json!({ "names": ROOMS })).await;
}

/// A signed token for `sub`.
pub async fn token(sub: &str) -> String {
    get(&format!("/token?sub={sub}&name={sub}")).await["token"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// Sleeps `ms`.
pub async fn sleep(ms: u32) {
    TimeoutFuture::new(ms).await;
}

/// Waits until `cond` holds, polling every 20 ms; panics with `what` after `timeout_ms`.
pub async fn wait_until(what: &str, timeout_ms: f64, mut cond: impl FnMut() -> bool) -> f64 {
    let start = js_sys::Date::now();
    loop {
        if cond() {
            return js_sys::Date::now() - start;
        }
        if js_sys::Date::now() - start > timeout_ms {
            panic!("timed out after {timeout_ms} ms waiting for {what}");
        }
        sleep(20).await;
    }
}

/// Awaits a promise.
pub async fn settle(p: Promise) -> Result<JsValue, JsValue> {
    JsFuture::from(p).await
}

/// The message of a rejected promise's Error.
pub fn error_message(e: &JsValue) -> String {
    e.dyn_ref::<js_sys::Error>()
        .map(|e| String::from(e.message()))
        .unwrap_or_else(|| format!("{e:?}"))
}

/// Records what a JS callback receives, as JSON text of its arguments.
#[derive(Clone)]
pub struct Recorder {
    pub calls: Rc<RefCell<Vec<Value>>>,
    closure: Rc<Closure<dyn FnMut(JsValue, JsValue)>>,
}

impl Recorder {
    /// A recorder of the first argument (the second when `second`).
    pub fn new() -> Self {
        let calls: Rc<RefCell<Vec<Value>>> = Rc::default();
        let c = calls.clone();
        let closure =
            Closure::<dyn FnMut(JsValue, JsValue)>::new(move |a: JsValue, _b: JsValue| {
                c.borrow_mut().push(to_value(&a));
            });
        Self {
            calls,
            closure: Rc::new(closure),
        }
    }

    /// The callback to hand to the API.
    pub fn f(&self) -> Function {
        self.closure
            .as_ref()
            .as_ref()
            .unchecked_ref::<Function>()
            .clone()
    }

    /// Calls so far.
    pub fn len(&self) -> usize {
        self.calls.borrow().len()
    }

    /// All recorded first arguments.
    pub fn all(&self) -> Vec<Value> {
        self.calls.borrow().clone()
    }

    /// The recorded values that are strings.
    pub fn strings(&self) -> Vec<String> {
        self.calls
            .borrow()
            .iter()
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect()
    }
}

/// A client initialized against the test server with `extra` options.
pub fn client(extra: Value) -> RealtimeClient {
    let c = RealtimeClient::new();
    let mut opts = serde_json::json!({ "url": server_url(), "qualityIntervalMs": 0 });
    if let (Some(o), Some(e)) = (opts.as_object_mut(), extra.as_object()) {
        for (k, v) in e {
            o.insert(k.clone(), v.clone());
        }
    }
    c.initialize(js(opts)).unwrap();
    c
}

/// JSON to a JS value (plain objects, not Maps).
pub fn js(v: Value) -> JsValue {
    js_sys::JSON::parse(&v.to_string()).unwrap()
}

/// A client connected as `sub`.
pub async fn connected(sub: &str, extra: Value) -> RealtimeClient {
    let c = client(extra);
    let t = token(sub).await;
    settle(c.connect((&t).into()).unwrap())
        .await
        .expect("connect");
    c
}

/// A client of instance B (scale-out: the same Redis), connected as `sub`;
/// it stays connected while instance A is dropped or restarted.
pub async fn connected_b(sub: &str) -> RealtimeClient {
    let c = RealtimeClient::new();
    c.initialize(js(serde_json::json!({
        "url": server_url_b(), "qualityIntervalMs": 0,
        "reconnectDelayMs": 100, "reconnectDelayMaxMs": 300,
    })))
    .unwrap();
    settle(c.connect((&token(sub).await).into()).unwrap())
        .await
        .expect("connect to instance B");
    c
}

/// Dispatches a plain DOM event on window.
pub fn fire_window_event(kind: &str) {
    let window = web_sys::window().unwrap();
    let e = web_sys::Event::new(kind).unwrap();
    window.dispatch_event(&e).unwrap();
}

/// Records the `(event, data)` calls of a service's `subscribe` callback.
#[derive(Clone)]
pub struct EventRecorder {
    pub calls: Rc<RefCell<Vec<(String, Value)>>>,
    closure: Rc<Closure<dyn FnMut(JsValue, JsValue)>>,
}

impl EventRecorder {
    /// An empty recorder.
    pub fn new() -> Self {
        let calls: Rc<RefCell<Vec<(String, Value)>>> = Rc::default();
        let c = calls.clone();
        let closure = Closure::<dyn FnMut(JsValue, JsValue)>::new(move |e: JsValue, d: JsValue| {
            c.borrow_mut()
                .push((e.as_string().unwrap_or_default(), to_value(&d)));
        });
        Self {
            calls,
            closure: Rc::new(closure),
        }
    }

    /// The callback to hand to `subscribe`.
    pub fn f(&self) -> Function {
        self.closure
            .as_ref()
            .as_ref()
            .unchecked_ref::<Function>()
            .clone()
    }

    /// Event names in order.
    pub fn names(&self) -> Vec<String> {
        self.calls.borrow().iter().map(|(n, _)| n.clone()).collect()
    }

    /// The data of every `name` event.
    pub fn of(&self, name: &str) -> Vec<Value> {
        self.calls
            .borrow()
            .iter()
            .filter(|(n, _)| n == name)
            .map(|(_, d)| d.clone())
            .collect()
    }

    /// How many `name` events.
    pub fn count(&self, name: &str) -> usize {
        self.calls
            .borrow()
            .iter()
            .filter(|(n, _)| n == name)
            .count()
    }
}

/// `window.localStorage`.
pub fn local_storage() -> web_sys::Storage {
    web_sys::window().unwrap().local_storage().unwrap().unwrap()
}

/// Empties `localStorage`.
pub fn clear_storage() {
    local_storage().clear().unwrap();
}

/// The server's record: clientMessageIds and contents in arrival order, and
/// the send counts per clientMessageId.
pub async fn received() -> (Vec<String>, Vec<String>, Value) {
    let r = get("/received").await;
    let list = r["messages"].as_array().cloned().unwrap_or_default();
    let cids = list
        .iter()
        .map(|m| m["clientMessageId"].as_str().unwrap_or("").to_owned())
        .collect();
    let contents = list
        .iter()
        .map(|m| m["content"].as_str().unwrap_or("").to_owned())
        .collect();
    (cids, contents, r["sendCounts"].clone())
}

/// Starts a control call without waiting for it; the flag turns true when
/// it answered (e.g. `/restart`, which answers when the server is back).
pub fn spawn_control(method: &'static str, path: &'static str, body: Value) -> Rc<Cell<bool>> {
    let done: Rc<Cell<bool>> = Rc::default();
    let d = done.clone();
    wasm_bindgen_futures::spawn_local(async move {
        control(method, path, Some(body)).await;
        d.set(true);
    });
    done
}

/// Waits until the realtime port stopped listening (during a `/restart`).
pub async fn wait_server_down() {
    let start = js_sys::Date::now();
    loop {
        if get("/faults").await["listening"] == Value::Bool(false) {
            return;
        }
        assert!(
            js_sys::Date::now() - start < 5000.0,
            "server never went down"
        );
        sleep(20).await;
    }
}

/// Calls `obj.method(...args)` as JavaScript would.
pub fn call_method(obj: &JsValue, method: &str, args: &[JsValue]) -> Result<JsValue, JsValue> {
    let f: Function = js_sys::Reflect::get(obj, &JsValue::from_str(method))?.dyn_into()?;
    let arr = js_sys::Array::new();
    for a in args {
        arr.push(a);
    }
    f.apply(obj, &arr)
}

/// Dispatches a `storage` event for `key` on window, as another tab's
/// write would.
pub fn fire_storage_event(key: &str) {
    let f = Function::new_with_args(
        "key",
        "window.dispatchEvent(new StorageEvent('storage', { key, storageArea: window.localStorage }));",
    );
    f.call1(&JsValue::NULL, &JsValue::from_str(key)).unwrap();
}

/// A JS object `{...json, [name]: value}`.
pub fn js_with(json: Value, name: &str, value: &JsValue) -> JsValue {
    let o = js(json);
    js_sys::Reflect::set(&o, &JsValue::from_str(name), value).unwrap();
    o
}

/// The value of an API call that must succeed.
pub fn ok<T, E: Into<JsValue>>(r: Result<T, E>) -> T {
    match r {
        Ok(v) => v,
        Err(e) => panic!("unexpected error: {}", error_message(&e.into())),
    }
}

/// The message of the error an API call must fail with.
pub fn err<T, E: Into<JsValue>>(r: Result<T, E>) -> String {
    match r {
        Ok(_) => panic!("expected an error"),
        Err(e) => error_message(&e.into()),
    }
}

/// The message of the `TypeError` an API call must fail with (a wrong type
/// of argument); panics for any other outcome.
pub fn type_err<T, E: Into<JsValue>>(r: Result<T, E>) -> String {
    thrown_as::<js_sys::TypeError, _, _>(r, "TypeError")
}

/// The message of the `RangeError` an API call must fail with (an argument
/// of the right type but outside its values); panics for any other outcome.
pub fn range_err<T, E: Into<JsValue>>(r: Result<T, E>) -> String {
    thrown_as::<js_sys::RangeError, _, _>(r, "RangeError")
}

fn thrown_as<C: JsCast, T, E: Into<JsValue>>(r: Result<T, E>, name: &str) -> String {
    match r {
        Ok(_) => panic!("expected a {name}, the call succeeded"),
        Err(e) => {
            let e: JsValue = e.into();
            assert!(
                e.is_instance_of::<C>(),
                "expected a {name}, got {}",
                error_message(&e)
            );
            error_message(&e)
        }
    }
}

/// Calls `method` of a JavaScript object with `args` (for objects held as
/// JavaScript values, as the services' constructors take them).
pub fn call_js(target: &JsValue, method: &str, args: &[JsValue]) -> Result<JsValue, JsValue> {
    let f: Function = js_sys::Reflect::get(target, &JsValue::from_str(method))?.dyn_into()?;
    f.apply(target, &args.iter().collect::<js_sys::Array>())
}

/// Converts a JS value (plain data) to JSON; `undefined` (and what JSON
/// cannot hold) gives `null`, Dates their ISO strings.
pub fn to_value(v: &JsValue) -> Value {
    js_sys::JSON::stringify(v)
        .ok()
        .and_then(|s| s.as_string())
        .and_then(|s| serde_json::from_str(&s).ok())
        .unwrap_or(Value::Null)
}
