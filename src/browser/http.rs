//! Owned HTTP exchanges over `fetch`: the event stream (its status first,
//! then its body's text as it arrives, then its end) and plain requests
//! (status and body text; status 0 for a network error). The body is decoded
//! with one `TextDecoder` in stream mode, so a character split across chunks
//! arrives whole. Dropping a [`Fetch`] aborts it (`AbortController`) and
//! silences it: nothing is reported after the drop.

use std::cell::Cell;
use std::rc::Rc;

use js_sys::{Object, Promise, Reflect, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::{spawn_local, JsFuture};
use web_sys::{AbortController, RequestInit, Response, TextDecodeOptions, TextDecoder};

use crate::core::decimal::cat;

/// What the stream reports, in this order.
pub enum StreamEvent {
    /// The response's status, with its body text when not 2xx (then nothing follows).
    Open(u16, String),
    /// Text of the body.
    Text(String),
    /// The body ended or failed (before `Open`: a network error).
    Closed,
}

/// An exchange in flight.
pub struct Fetch {
    abort: Option<AbortController>,
    alive: Rc<Cell<bool>>,
}

impl Drop for Fetch {
    fn drop(&mut self) {
        self.alive.set(false);
        if let Some(a) = &self.abort {
            a.abort();
        }
    }
}

/// Headers, the method, the body and the abort signal of a request.
fn init(
    method: &str,
    token: &str,
    session: Option<&str>,
    last_event_id: Option<&str>,
    body: Option<&str>,
    abort: Option<&AbortController>,
) -> RequestInit {
    let headers = Object::new();
    let set = |k: &str, v: &str| {
        let _ = Reflect::set(&headers, &k.into(), &v.into());
    };
    set("authorization", &cat!("Bearer ", token));
    if let Some(s) = session {
        set("x-realtime-session", s);
    }
    if let Some(id) = last_event_id {
        set("last-event-id", id);
    }
    let init = RequestInit::new();
    init.set_method(method);
    // Not through the HTTP cache: Firefox holds a second request for a URL
    // in flight (two clients' streams) until the first ends.
    init.set_cache(web_sys::RequestCache::NoStore);
    if let Some(b) = body {
        set("content-type", "application/json");
        init.set_body(&JsValue::from_str(b));
    }
    init.set_headers(&headers);
    if let Some(a) = abort {
        init.set_signal(Some(&a.signal()));
    }
    init
}

/// Starts `fetch` (`None` without a window: server-side rendering).
fn start(url: &str, init: &RequestInit) -> Option<Promise> {
    Some(web_sys::window()?.fetch_with_str_and_init(url, init))
}

async fn response(promise: Option<Promise>) -> Option<Response> {
    JsFuture::from(promise?).await.ok()?.dyn_into().ok()
}

async fn text(res: &Response) -> String {
    match res.text() {
        Ok(p) => JsFuture::from(p)
            .await
            .ok()
            .and_then(|t| t.as_string())
            .unwrap_or_default(),
        Err(_) => String::new(),
    }
}

impl Fetch {
    /// Opens the event stream at `url`, reporting through `on` (see [`StreamEvent`]).
    pub fn stream(
        url: &str,
        token: &str,
        last_event_id: Option<&str>,
        mut on: impl FnMut(StreamEvent) + 'static,
    ) -> Fetch {
        let abort = AbortController::new().ok();
        let init = init("GET", token, None, last_event_id, None, abort.as_ref());
        let promise = start(url, &init);
        let alive = Rc::new(Cell::new(true));
        let live = alive.clone();
        spawn_local(async move {
            let mut report = |e| {
                if live.get() {
                    on(e)
                }
            };
            let Some(res) = response(promise).await else {
                return report(StreamEvent::Closed);
            };
            let status = res.status();
            if !(200..300).contains(&status) {
                let body = text(&res).await;
                return report(StreamEvent::Open(status, body));
            }
            report(StreamEvent::Open(status, String::new()));
            let reader = res.body().map(|b| b.get_reader());
            let decoder = TextDecoder::new().ok();
            let (Some(reader), Some(decoder)) = (reader, decoder) else {
                return report(StreamEvent::Closed);
            };
            let reader: web_sys::ReadableStreamDefaultReader = reader.unchecked_into();
            let opts = TextDecodeOptions::new();
            opts.set_stream(true);
            while live.get() {
                let Ok(chunk) = JsFuture::from(reader.read()).await else {
                    break;
                };
                let field = |k: &str| Reflect::get(&chunk, &k.into()).ok();
                if field("done").and_then(|d| d.as_bool()).unwrap_or(true) {
                    break;
                }
                let bytes: Option<Uint8Array> = field("value").and_then(|v| v.dyn_into().ok());
                let decoded =
                    bytes.and_then(|b| decoder.decode_with_js_u8_array_and_options(&b, &opts).ok());
                if let Some(t) = decoded.filter(|t| !t.is_empty()) {
                    report(StreamEvent::Text(t));
                }
            }
            report(StreamEvent::Closed);
        });
        Fetch { abort, alive }
    }

    /// A request answered through `on(status, body)` (status 0: a network
    /// error). A `DELETE` is not aborted by the drop (it ends a session
    /// the server should not keep), only silenced.
    pub fn request(
        method: &str,
        url: &str,
        token: &str,
        session: Option<&str>,
        body: Option<&str>,
        on: impl FnOnce(u16, String) + 'static,
    ) -> Fetch {
        let abort = (method != "DELETE")
            .then(|| AbortController::new().ok())
            .flatten();
        let init = init(method, token, session, None, body, abort.as_ref());
        let promise = start(url, &init);
        let alive = Rc::new(Cell::new(true));
        let live = alive.clone();
        spawn_local(async move {
            let (status, body) = match response(promise).await {
                Some(res) => (res.status(), text(&res).await),
                None => (0, String::new()),
            };
            if live.get() {
                on(status, body);
            }
        });
        Fetch { abort, alive }
    }
}
