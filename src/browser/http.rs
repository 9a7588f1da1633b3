//! Owned HTTP exchanges over `fetch`: the event stream (its status first,
//! then its body's text as it arrives, then its end) and plain requests
//! (status and body text; status 0 for a network error). The body is decoded
//! with one `TextDecoder` in stream mode, so a character split across chunks
//! arrives whole. Dropping a [`Fetch`] aborts it (`AbortController`; a
//! `DELETE` is let go) and silences it: nothing is reported after the drop.
//!
//! The `fetch` loop is a small JavaScript snippet (as the Web Lock's in
//! `storage.rs`): one import and one callback, instead of the bindings of
//! `Response`, `ReadableStream`, `TextDecoder` and a future per read.

use wasm_bindgen::prelude::*;

#[wasm_bindgen(inline_js = r#"
export function httpStart(url, method, token, session, lastEventId, body, stream, on) {
  const state = { live: true, ctl: typeof AbortController === 'function' ? new AbortController() : null };
  const headers = { authorization: 'Bearer ' + token };
  if (session) headers['x-realtime-session'] = session;
  if (lastEventId) headers['last-event-id'] = lastEventId;
  if (body != null) headers['content-type'] = 'application/json';
  const say = (kind, status, text) => { if (state.live) on(kind, status, text); };
  (async () => {
    let res;
    try {
      res = await fetch(url, { method, headers, body: body ?? undefined, cache: 'no-store', signal: state.ctl?.signal });
      if (!stream || !res.ok) return say(0, res.status, await res.text());
      say(0, res.status, '');
      const reader = res.body.getReader();
      const decoder = new TextDecoder();
      for (;;) {
        const { done, value } = await reader.read();
        if (done || !state.live) break;
        const text = decoder.decode(value, { stream: true });
        if (text) say(1, 0, text);
      }
    } catch (e) {
      if (!stream) return say(0, res ? res.status : 0, '');
    }
    say(2, 0, '');
  })();
  return state;
}
export function httpStop(state, abort) {
  state.live = false;
  if (abort && state.ctl) try { state.ctl.abort(); } catch (e) {}
}
"#)]
extern "C" {
    #[allow(clippy::too_many_arguments)]
    #[wasm_bindgen(js_name = httpStart)]
    fn http_start(
        url: &str,
        method: &str,
        token: &str,
        session: Option<String>,
        last_event_id: Option<String>,
        body: Option<String>,
        stream: bool,
        on: &Closure<dyn FnMut(u8, u16, String)>,
    ) -> JsValue;
    #[wasm_bindgen(js_name = httpStop)]
    fn http_stop(state: &JsValue, abort: bool);
}

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
    state: JsValue,
    abort: bool,
    _on: Closure<dyn FnMut(u8, u16, String)>,
}

impl Drop for Fetch {
    fn drop(&mut self) {
        http_stop(&self.state, self.abort);
    }
}

/// The request for `fetch`: what it says goes to `on(kind, status, text)`.
struct Spec<'a> {
    url: &'a str,
    method: &'a str,
    token: &'a str,
    session: Option<String>,
    last_event_id: Option<String>,
    body: Option<String>,
}

fn start(spec: Spec<'_>, stream: bool, on: Closure<dyn FnMut(u8, u16, String)>) -> Fetch {
    let state = http_start(
        spec.url,
        spec.method,
        spec.token,
        spec.session,
        spec.last_event_id,
        spec.body,
        stream,
        &on,
    );
    Fetch {
        state,
        abort: spec.method != "DELETE",
        _on: on,
    }
}

impl Fetch {
    /// Opens the event stream at `url`, reporting through `on` (see [`StreamEvent`]).
    pub fn stream(
        url: &str,
        token: &str,
        last_event_id: Option<String>,
        mut on: impl FnMut(StreamEvent) + 'static,
    ) -> Fetch {
        let spec = Spec {
            url,
            method: "GET",
            token,
            session: None,
            last_event_id,
            body: None,
        };
        let on = Closure::new(move |kind: u8, status: u16, text: String| {
            on(match kind {
                0 => StreamEvent::Open(status, text),
                1 => StreamEvent::Text(text),
                _ => StreamEvent::Closed,
            })
        });
        start(spec, true, on)
    }

    /// A request answered through `on(status, body)` (status 0: a network
    /// error). A `DELETE` is not aborted by the drop (it ends a session the
    /// server should not keep), only silenced.
    pub fn request(
        method: &'static str,
        url: &str,
        token: &str,
        session: Option<String>,
        body: Option<String>,
        on: impl FnOnce(u16, String) + 'static,
    ) -> Fetch {
        let spec = Spec {
            url,
            method,
            token,
            session,
            last_event_id: None,
            body,
        };
        let mut on = Some(on);
        let on = Closure::new(move |_: u8, status: u16, text: String| {
            if let Some(f) = on.take() {
                f(status, text)
            }
        });
        start(spec, false, on)
    }
}
