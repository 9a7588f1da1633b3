//! An owned browser WebSocket whose handlers are removed and socket closed on drop.
//!
//! The socket is driven by a small JavaScript snippet (as `fetch` in
//! `http.rs`): one callback for its four events, with the signature of the
//! HTTP one, instead of web-sys's WebSocket bindings and a closure per event.

use wasm_bindgen::prelude::*;

#[wasm_bindgen(inline_js = r#"
export function wsOpen(url, on) {
  let ws;
  try {
    ws = new WebSocket(url);
  } catch (e) {
    throw e instanceof Error ? String(e.message) : null;
  }
  ws.binaryType = 'arraybuffer';
  ws.onopen = () => on(0, 0, '');
  ws.onmessage = (e) => typeof e.data === 'string' ? on(1, 0, e.data) : on(2, 0, '');
  ws.onclose = ws.onerror = () => on(3, 0, '');
  return ws;
}
export function wsSend(ws, text) {
  ws.send(text);
}
export function wsClose(ws) {
  ws.onopen = ws.onmessage = ws.onclose = ws.onerror = null;
  try { ws.close(); } catch (e) {}
}
"#)]
extern "C" {
    #[wasm_bindgen(catch, js_name = wsOpen)]
    fn ws_open(url: &str, on: &Closure<dyn FnMut(u8, u16, String)>) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(catch, js_name = wsSend)]
    fn ws_send(ws: &JsValue, text: &str) -> Result<(), JsValue>;
    #[wasm_bindgen(js_name = wsClose)]
    fn ws_close(ws: &JsValue);
}

/// What the socket reports.
pub enum SocketEvent {
    /// The connection opened.
    Open,
    /// A text frame.
    Text(String),
    /// A binary frame (not supported by the protocol layer).
    Binary,
    /// The connection closed or failed.
    Closed,
}

/// A WebSocket with its handler.
pub struct Socket {
    ws: JsValue,
    _on: Closure<dyn FnMut(u8, u16, String)>,
}

impl Socket {
    /// Opens `url`, reporting through `handler`. Fails if WebSocket is missing
    /// (server-side rendering) or the URL is refused, with the error's
    /// message (`None` for a thrown value that is not an `Error`).
    pub fn open(
        url: &str,
        mut handler: impl FnMut(SocketEvent) + 'static,
    ) -> Result<Self, Option<String>> {
        let on = Closure::new(move |kind: u8, _: u16, text: String| {
            handler(match kind {
                0 => SocketEvent::Open,
                1 => SocketEvent::Text(text),
                2 => SocketEvent::Binary,
                _ => SocketEvent::Closed,
            })
        });
        let ws = ws_open(url, &on).map_err(|e| e.as_string())?;
        Ok(Self { ws, _on: on })
    }

    /// A handle that sends on this socket, so the owner can send without
    /// holding the borrow that keeps the `Socket`.
    pub fn sender(&self) -> SocketSender {
        SocketSender(self.ws.clone())
    }
}

/// Sends on a socket owned elsewhere; it does not keep the handlers or close
/// the socket.
pub struct SocketSender(JsValue);

impl SocketSender {
    /// Sends a text frame; errors (socket not open) are returned, not thrown.
    pub fn send(&self, text: &str) -> Result<(), JsValue> {
        ws_send(&self.0, text)
    }
}

impl Drop for Socket {
    fn drop(&mut self) {
        ws_close(&self.ws);
    }
}
