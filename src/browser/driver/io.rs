//! Carrying out one output: the socket (open, send, close and its events),
//! Web Lock requests, and the app's outputs to the sink. Every JavaScript
//! call happens after the borrow that took its input out has ended.

use crate::core::decimal::cat;
use wasm_bindgen::closure::Closure;

use super::{Driver, WeakDriver};
use crate::browser::http::Fetch;
use crate::browser::storage::WebLock;
use crate::browser::websocket::{Socket, SocketEvent};
use crate::core::connection::HttpRequest;
use crate::core::session::{LockId, Output};

fn log(message: &str) {
    web_sys::console::log_1(&cat!("[chat-realtime] ", message).into());
}

impl Driver {
    pub(super) fn carry_out(&self, output: Output) {
        match output {
            Output::Open { url } => self.open(&url),
            Output::Send(frame) => {
                let (sender, debug) = match self.0.try_borrow() {
                    Ok(inner) => (inner.socket.as_ref().map(Socket::sender), inner.debug),
                    Err(_) => return,
                };
                let failed = sender.is_some_and(|s| s.send(&frame).is_err());
                if failed && debug {
                    log("send failed: the socket is not open");
                }
            }
            Output::Close => self.drop_socket(),
            Output::CloseStream => self.drop_fetch(HttpRequest::STREAM),
            Output::Http(request) => self.fetch(request),
            Output::AcquireLock { lock, name } => self.acquire(lock, &name),
            Output::ReleaseLock { lock } => {
                let held = self.0.try_borrow_mut().ok().and_then(|mut i| {
                    let pos = i.locks.iter().position(|(id, _)| *id == lock)?;
                    Some(i.locks.swap_remove(pos))
                });
                // Released (a JavaScript call) after the borrow.
                drop(held);
            }
            Output::StorageChanged { key } => self.tell_page(key),
            Output::Event { target, .. } if self.is_held(target) => {
                if let Ok(mut inner) = self.0.try_borrow_mut() {
                    inner.deferred.push(output);
                }
            }
            app => {
                let sink = match self.0.try_borrow() {
                    Ok(inner) => inner.sink.clone(),
                    Err(_) => return,
                };
                sink(app);
            }
        }
    }

    fn is_held(&self, target: crate::core::session::Handle) -> bool {
        self.0.try_borrow().is_ok_and(|i| i.held.contains(&target))
    }

    /// Takes the socket out and drops (closes) it with no borrow held.
    fn drop_socket(&self) {
        let old = self
            .0
            .try_borrow_mut()
            .ok()
            .and_then(|mut i| i.socket.take());
        drop(old);
    }

    fn open(&self, url: &str) {
        self.drop_socket();
        if self.0.try_borrow().is_ok_and(|i| i.debug) {
            log(&cat!("opening ", url));
        }
        let weak = self.weak();
        match Socket::open(url, move |event| weak.with(|d| d.on_socket(event))) {
            Ok(socket) => {
                let previous = self
                    .0
                    .try_borrow_mut()
                    .ok()
                    .and_then(|mut i| i.socket.replace(socket));
                drop(previous);
            }
            Err(e) => {
                let detail = e.unwrap_or_else(|| {
                    "WebSocket is not available (server-side rendering?)".into()
                });
                let message = cat!("cannot open a WebSocket to ", url, ": ", detail);
                // The pump on the stack drains what this produces.
                self.run(|s, now| s.handle_socket_failed(message, now));
            }
        }
    }

    /// Starts an exchange (a new stream drops the old one first).
    fn fetch(&self, request: HttpRequest) {
        let id = request.id;
        if id == HttpRequest::STREAM {
            self.drop_fetch(id);
        }
        let weak = self.weak();
        let on = Closure::new(move |kind: u8, status: u16, text: String| {
            weak.with(|d| d.on_fetch(id, kind, status, text))
        });
        let fetch = Fetch::start(request, on);
        if let Ok(mut i) = self.0.try_borrow_mut() {
            i.fetches.push((id, fetch));
        }
    }

    /// Takes the exchange `id` out and drops (aborts) it with no borrow held.
    fn drop_fetch(&self, id: u64) {
        let old = self.0.try_borrow_mut().ok().and_then(|mut i| {
            let pos = i.fetches.iter().position(|(r, _)| *r == id)?;
            Some(i.fetches.swap_remove(pos))
        });
        drop(old);
    }

    /// A report of exchange `id`: a request's answer or the stream's end
    /// is its last.
    fn on_fetch(&self, id: u64, kind: u8, status: u16, text: String) {
        if id != HttpRequest::STREAM || kind == HttpRequest::END {
            self.drop_fetch(id);
        }
        self.input(|s, now| s.handle_fetch(id, kind, status, &text, now));
    }

    fn on_socket(&self, event: SocketEvent) {
        let closed = matches!(event, SocketEvent::Closed);
        self.run(|s, now| match event {
            SocketEvent::Open => s.handle_socket_open(now),
            SocketEvent::Text(t) => s.handle_socket_frame(&t, now),
            SocketEvent::Binary => s.handle_socket_binary(now),
            SocketEvent::Closed => s.handle_socket_closed(now),
        });
        if closed {
            self.drop_socket();
        }
        self.pump();
    }

    fn acquire(&self, lock: LockId, name: &str) {
        let weak: WeakDriver = self.weak();
        let granted = move || weak.with(|d| d.input(|s, now| s.handle_lock_granted(lock, now)));
        match WebLock::request(name, granted) {
            Some(web) => {
                if let Ok(mut i) = self.0.try_borrow_mut() {
                    i.locks.push((lock, web));
                }
            }
            None => {
                self.run(|s, now| s.handle_lock_unavailable(lock, now));
            }
        }
    }
}
