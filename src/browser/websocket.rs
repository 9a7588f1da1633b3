//! An owned browser WebSocket whose handlers are removed and socket closed on drop.

use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{CloseEvent, Event, MessageEvent, WebSocket};

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

/// A WebSocket with its handlers.
pub struct Socket {
    ws: WebSocket,
    _on_open: Closure<dyn FnMut(Event)>,
    _on_message: Closure<dyn FnMut(MessageEvent)>,
    _on_close: Closure<dyn FnMut(CloseEvent)>,
    _on_error: Closure<dyn FnMut(Event)>,
}

impl Socket {
    /// Opens `url`, reporting through `handler`. Fails if WebSocket is missing
    /// (server-side rendering) or the URL is refused.
    pub fn open(
        url: &str,
        handler: impl FnMut(SocketEvent) + Clone + 'static,
    ) -> Result<Self, JsValue> {
        let ws = WebSocket::new(url)?;
        ws.set_binary_type(web_sys::BinaryType::Arraybuffer);
        let mut h = handler.clone();
        let on_open = Closure::<dyn FnMut(Event)>::new(move |_| h(SocketEvent::Open));
        let mut h = handler.clone();
        let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |e: MessageEvent| {
            match e.data().as_string() {
                Some(text) => h(SocketEvent::Text(text)),
                None => h(SocketEvent::Binary),
            }
        });
        let mut h = handler.clone();
        let on_close = Closure::<dyn FnMut(CloseEvent)>::new(move |_| h(SocketEvent::Closed));
        let mut h = handler;
        let on_error = Closure::<dyn FnMut(Event)>::new(move |_| h(SocketEvent::Closed));
        ws.set_onopen(Some(on_open.as_ref().unchecked_ref()));
        ws.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        ws.set_onclose(Some(on_close.as_ref().unchecked_ref()));
        ws.set_onerror(Some(on_error.as_ref().unchecked_ref()));
        Ok(Self {
            ws,
            _on_open: on_open,
            _on_message: on_message,
            _on_close: on_close,
            _on_error: on_error,
        })
    }

    /// A handle that sends on this socket, so the owner can send without
    /// holding the borrow that keeps the `Socket`.
    pub fn sender(&self) -> SocketSender {
        SocketSender(self.ws.clone())
    }
}

/// Sends on a socket owned elsewhere; it does not keep the handlers or close
/// the socket.
pub struct SocketSender(WebSocket);

impl SocketSender {
    /// Sends a text frame; errors (socket not open) are returned, not thrown.
    pub fn send(&self, text: &str) -> Result<(), JsValue> {
        self.0.send_with_str(text)
    }
}

impl Drop for Socket {
    fn drop(&mut self) {
        self.ws.set_onopen(None);
        self.ws.set_onmessage(None);
        self.ws.set_onclose(None);
        self.ws.set_onerror(None);
        let _ = self.ws.close();
    }
}
