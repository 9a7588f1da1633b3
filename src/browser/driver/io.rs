//! Carrying out one output: the socket (open, send, close and its events),
//! Web Lock requests, and the app's outputs to the sink. Every JavaScript
//! call happens after the borrow that took its input out has ended.

use crate::core::decimal::cat;

use super::{Driver, WeakDriver};
use crate::browser::http::{Fetch, StreamEvent};
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
            Output::OpenStream {
                url,
                token,
                last_event_id,
            } => {
                self.drop_stream();
                let weak = self.weak();
                let stream = Fetch::stream(&url, &token, last_event_id, move |e| {
                    weak.with(|d| d.on_stream(e))
                });
                if let Ok(mut i) = self.0.try_borrow_mut() {
                    i.stream = Some(stream);
                }
            }
            Output::CloseStream => self.drop_stream(),
            Output::Http(HttpRequest {
                id,
                method,
                url,
                token,
                session,
                body,
            }) => {
                let weak = self.weak();
                let request =
                    Fetch::request(method, &url, &token, session, body, move |status, text| {
                        weak.with(|d| d.on_http(id, status, &text))
                    });
                if let Ok(mut i) = self.0.try_borrow_mut() {
                    i.requests.push((id, request));
                }
            }
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

    /// Takes the stream out and drops (aborts) it with no borrow held.
    fn drop_stream(&self) {
        let old = self
            .0
            .try_borrow_mut()
            .ok()
            .and_then(|mut i| i.stream.take());
        drop(old);
    }

    fn on_stream(&self, event: StreamEvent) {
        let closed = matches!(event, StreamEvent::Closed);
        self.run(|s, now| match event {
            StreamEvent::Open(status, body) => s.handle_stream_open(status, &body, now),
            StreamEvent::Text(t) => s.handle_stream_text(&t, now),
            StreamEvent::Closed => s.handle_stream_closed(now),
        });
        if closed {
            self.drop_stream();
        }
        self.pump();
    }

    fn on_http(&self, id: u64, status: u16, body: &str) {
        let done = self.0.try_borrow_mut().ok().and_then(|mut i| {
            let pos = i.requests.iter().position(|(r, _)| *r == id)?;
            Some(i.requests.swap_remove(pos))
        });
        drop(done);
        self.input(|s, now| s.handle_http_done(id, status, body, now));
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
