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

use crate::core::connection::HttpRequest;

#[wasm_bindgen(inline_js = r#"
export function httpStart(url, method, token, session, lastEventId, body, stream, on) {
  const ctl = typeof AbortController == 'function' ? new AbortController() : null;
  const state = { live: true, ctl };
  const headers = { authorization: 'Bearer ' + token };
  if (session) headers['x-realtime-session'] = session;
  if (lastEventId) headers['last-event-id'] = lastEventId;
  if (body) headers['content-type'] = 'application/json';
  const say = (kind, status = 0, text = '') => state.live && on(kind, status, text);
  (async () => {
    let res;
    try {
      res = await fetch(url, { method, headers, body: body || undefined, cache: 'no-store', signal: ctl?.signal });
      if (!stream || !res.ok) return say(0, res.status, await res.text());
      say(0, res.status);
      const reader = res.body.getReader(), decoder = new TextDecoder();
      for (let r; !(r = await reader.read()).done && state.live; ) {
        const text = decoder.decode(r.value, { stream: true });
        if (text) say(1, 0, text);
      }
    } catch (e) {
      if (!stream) return say(0, res?.status);
    }
    say(2);
  })();
  return state;
}
export function httpStop(state, abort) {
  state.live = false;
  if (abort) try { state.ctl?.abort(); } catch (e) {}
}
"#)]
extern "C" {
    #[allow(clippy::too_many_arguments)]
    #[wasm_bindgen(js_name = httpStart)]
    fn http_start(
        url: &str,
        method: &str,
        token: &str,
        session: &str,
        last_event_id: &str,
        body: &str,
        stream: bool,
        on: &Closure<dyn FnMut(u8, u16, String)>,
    ) -> JsValue;
    #[wasm_bindgen(js_name = httpStop)]
    fn http_stop(state: &JsValue, abort: bool);
}

/// What `fetch` reports: `on(kind, status, text)`, `kind` one of
/// `crate::core::connection::fetch` (a request's answer is `OPEN`).
pub type OnFetch = Closure<dyn FnMut(u8, u16, String)>;

/// An exchange in flight. (The snippet takes an empty session, event id
/// or body as none: strings cross without the glue of `Option`s.)
pub struct Fetch {
    state: JsValue,
    abort: bool,
    _on: OnFetch,
}

impl Drop for Fetch {
    fn drop(&mut self) {
        http_stop(&self.state, self.abort);
    }
}

impl Fetch {
    /// Starts `r` (the event stream when its id is
    /// [`HttpRequest::STREAM`]). A `DELETE` is not aborted by the drop (it
    /// ends a session the server should not keep), only silenced.
    pub fn start(r: HttpRequest, on: OnFetch) -> Fetch {
        let state = http_start(
            &r.url,
            r.method,
            &r.token,
            r.session.as_deref().unwrap_or_default(),
            r.last_event_id.as_deref().unwrap_or_default(),
            r.body.as_deref().unwrap_or_default(),
            r.id == HttpRequest::STREAM,
            &on,
        );
        Fetch {
            state,
            abort: r.method != "DELETE",
            _on: on,
        }
    }
}
