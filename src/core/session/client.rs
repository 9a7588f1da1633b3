//! The client's commands (the connection's own API, with tickets for what
//! completes later) and the inputs of the socket and the browser.

use super::presence::PresenceSlot;
use super::queue::QueueSlot;
use super::{Output, Session, SessionError, Ticket, Waiter};
use crate::core::connection::{Connection, ConnectionConfig, ConnectionError, HttpRequest};
use crate::core::queue::OfflineQueueService;
use crate::core::room;
use crate::core::Millis;

/// What `initialize` needs besides the connection's options.
#[derive(Debug, Clone, PartialEq)]
pub struct ClientConfig {
    /// The connection's options.
    pub connection: ConnectionConfig,
    /// A JSON object merged into the CONNECT auth payload (`{"device":…}`).
    pub auth_extra: Option<String>,
    /// The browser's online status now (not reported as a change).
    pub online: bool,
}

impl Session {
    /// Configures the client. Calling it again disconnects the old
    /// connection first (its pending requests fail) and starts over;
    /// services stay attached.
    pub fn initialize(&mut self, config: ClientConfig, now: Millis) -> Result<(), SessionError> {
        self.now = now;
        let mut conn = Connection::new(config.connection)?;
        let had_one = self.conn.is_some();
        if had_one {
            self.disconnect(now)?;
        }
        for id in self.requests.ids(|_| true) {
            if let Some(w) = self.requests.remove(id) {
                self.answer(w, Err(SessionError::Reinitialized));
            }
        }
        conn.set_online(config.online, now);
        // The initial status is not a change worth reporting.
        while conn.poll_effect().is_some() {}
        self.conn = Some(conn);
        self.auth_extra = config.auth_extra;
        if had_one {
            self.outputs.push_back(Output::Close);
        }
        self.route();
        Ok(())
    }

    /// Connects with `token`; the ticket completes when connected (ready,
    /// rooms re-joined) or fails (refused, given up, ready timeout, a new
    /// `connect`, `disconnect`). A pending `connect` fails as superseded.
    /// `None`: the last token again (an error before any).
    pub fn connect(&mut self, token: Option<&str>, now: Millis) -> Result<Ticket, SessionError> {
        self.now = now;
        let extra = self.auth_extra.clone();
        let conn = self.conn.as_mut().ok_or(SessionError::NotInitialized)?;
        match token {
            Some(token) => conn.connect(token, extra.as_deref(), now)?,
            None => conn.connect_again(now)?,
        }
        for t in std::mem::take(&mut self.connect_waiters) {
            self.done(t, Err(super::ConnectFailure::Superseded.into()));
        }
        let ticket = self.ticket();
        self.connect_waiters.push(ticket);
        self.route();
        Ok(ticket)
    }

    /// nchat's `updateToken`: later connects use `token`; a live connection
    /// sends it as `auth:refresh`.
    pub fn update_token(&mut self, token: &str, now: Millis) -> Result<(), SessionError> {
        self.with_conn(now, |c, now| Ok(c.update_token(token, now)?))
    }

    /// Disconnects and stops reconnecting; pending requests and `connect`s fail.
    pub fn disconnect(&mut self, now: Millis) -> Result<(), SessionError> {
        let waiters = std::mem::take(&mut self.connect_waiters);
        let r = self.with_conn(now, |c, now| {
            c.disconnect(now);
            Ok(())
        });
        for t in waiters {
            self.done(t, Err(super::ConnectFailure::Disconnected.into()));
        }
        r
    }

    /// Emits `event` with one JSON argument; buffered while not connected.
    /// `false` when the buffer refused it (an `onError` report says so).
    pub fn emit(
        &mut self,
        event: &str,
        arg_json: Option<&str>,
        now: Millis,
    ) -> Result<bool, SessionError> {
        self.with_conn(now, |c, now| Ok(c.emit(event, arg_json, now)?))
    }

    /// Emits only when connected; returns whether it was sent.
    pub fn emit_volatile(
        &mut self,
        event: &str,
        arg_json: Option<&str>,
        now: Millis,
    ) -> Result<bool, SessionError> {
        self.with_conn(now, |c, _| Ok(c.emit_volatile(event, arg_json)?))
    }

    /// Emits asking for an ack; the ticket completes with the ack's
    /// arguments ([`super::Answer::Ack`]) or the typed failure. `data`:
    /// nchat's `emitAsync`, the ack's `data` or its refusal
    /// ([`Connection::emit_for_data`]); else the ack as it is (nchat's
    /// `emit` callback).
    pub fn emit_with_ack(
        &mut self,
        event: &str,
        arg_json: Option<&str>,
        timeout_ms: Option<Millis>,
        data: bool,
        now: Millis,
    ) -> Result<Ticket, SessionError> {
        self.conn_request(now, Waiter::App, |c, now| {
            if data {
                c.emit_for_data(event, arg_json, timeout_ms, now)
            } else {
                c.emit_with_ack(event, arg_json, timeout_ms, now)
            }
        })
    }

    /// Joins a channel's room ([`room::room_name`]), kept and re-joined on
    /// every reconnect; the ticket completes with the server's answer.
    pub fn join_channel(&mut self, channel_id: &str, now: Millis) -> Result<Ticket, SessionError> {
        let room = channel_room(channel_id)?;
        self.conn_request(now, Waiter::App, |c, now| c.join_room(&room, None, now))
    }

    /// Leaves a channel's room: it is no longer re-joined.
    pub fn leave_channel(&mut self, channel_id: &str, now: Millis) -> Result<Ticket, SessionError> {
        let room = channel_room(channel_id)?;
        self.conn_request(now, Waiter::App, |c, now| c.leave_room(&room, None, now))
    }

    /// Takes a latency sample; the ticket completes with the round trip.
    pub fn measure_latency(&mut self, now: Millis) -> Result<Ticket, SessionError> {
        self.conn_request(now, Waiter::Latency, |c, now| Ok(c.measure_latency(now)))
    }

    /// Checks the link now (as on `pageshow`).
    pub fn check_connection(&mut self, now: Millis) -> Result<(), SessionError> {
        self.with_conn(now, |c, now| {
            c.check_liveness(now);
            Ok(())
        })
    }

    /// Clears the connection's `was_offline` (nchat's `clearWasOffline()`).
    pub fn clear_was_offline(&mut self, now: Millis) -> Result<(), SessionError> {
        self.with_conn(now, |c, _| {
            c.clear_was_offline();
            Ok(())
        })
    }

    /// A connection request answered later: its id waits with a new ticket.
    fn conn_request(
        &mut self,
        now: Millis,
        waiter: fn(Ticket) -> Waiter,
        f: impl FnOnce(&mut Connection, Millis) -> Result<u64, ConnectionError>,
    ) -> Result<Ticket, SessionError> {
        self.now = now;
        let conn = self.conn.as_mut().ok_or(SessionError::NotInitialized)?;
        let id = f(conn, now)?;
        let ticket = self.ticket();
        self.requests.insert(id, waiter(ticket));
        self.route();
        Ok(ticket)
    }

    // ----- inputs -------------------------------------------------------------

    /// The WebSocket opened.
    pub fn handle_socket_open(&mut self, now: Millis) {
        let _ = self.with_conn(now, |c, now| {
            c.on_transport_open(now);
            Ok(())
        });
    }

    /// A text frame arrived.
    pub fn handle_socket_frame(&mut self, frame: &str, now: Millis) {
        let _ = self.with_conn(now, |c, now| {
            c.on_frame(frame, now);
            Ok(())
        });
    }

    /// A binary frame arrived (not supported; reported).
    pub fn handle_socket_binary(&mut self, now: Millis) {
        let _ = self.with_conn(now, |c, _| {
            c.on_binary_frame();
            Ok(())
        });
    }

    /// The WebSocket closed or failed.
    pub fn handle_socket_closed(&mut self, now: Millis) {
        let _ = self.with_conn(now, |c, now| {
            c.on_transport_closed(now);
            Ok(())
        });
    }

    /// The WebSocket could not be opened at all (`message` says why): an
    /// `onError` report, then the attempt counts as a closed transport.
    pub fn handle_socket_failed(&mut self, message: String, now: Millis) {
        self.event(
            super::Handle::CLIENT,
            super::Event::Error(super::ClientError::Transport { message }),
        );
        self.handle_socket_closed(now);
    }

    /// One report of the host's exchange `id` of an [`Output::Http`]
    /// (kinds: [`HttpRequest::STATUS`]), then routes.
    pub fn handle_fetch(&mut self, id: u64, kind: u8, status: u16, text: &str, now: Millis) {
        self.now = now;
        if let Some(c) = self.conn.as_mut() {
            c.on_fetch(id, kind, status, text, now);
            self.route();
        }
    }

    /// The event stream answered with `status` (`body`: its text when not 2xx).
    pub fn handle_stream_open(&mut self, status: u16, body: &str, now: Millis) {
        self.handle_fetch(HttpRequest::STREAM, HttpRequest::STATUS, status, body, now);
    }

    /// Text of the stream's body, cut anywhere.
    pub fn handle_stream_text(&mut self, chunk: &str, now: Millis) {
        self.handle_fetch(HttpRequest::STREAM, HttpRequest::TEXT, 0, chunk, now);
    }

    /// The stream ended or failed.
    pub fn handle_stream_closed(&mut self, now: Millis) {
        self.handle_fetch(HttpRequest::STREAM, HttpRequest::END, 0, "", now);
    }

    /// An [`Output::Http`] request was answered (status 0: a network error).
    pub fn handle_http_done(&mut self, id: u64, status: u16, body: &str, now: Millis) {
        self.handle_fetch(id, HttpRequest::STATUS, status, body, now);
    }

    /// The app could not give a fresh token after [`super::Event::RefreshToken`]:
    /// the 401 becomes an auth refusal.
    pub fn refresh_failed(&mut self, message: &str, now: Millis) -> Result<(), SessionError> {
        let c = self.conn.as_mut().ok_or(SessionError::NotInitialized)?;
        self.now = now;
        c.refresh_failed(message, now);
        self.route();
        Ok(())
    }

    /// The browser's `online`/`offline` events.
    pub fn handle_online(&mut self, online: bool, now: Millis) {
        let _ = self.with_conn(now, |c, now| {
            c.set_online(online, now);
            Ok(())
        });
    }

    /// `pageshow`: timers may have been throttled; the link is checked.
    pub fn handle_page_show(&mut self, now: Millis) {
        self.now = now;
        self.each_queue(|q| q.on_page_show(now));
        let _ = self.check_connection(now);
        self.route();
    }

    /// The page is going away (`pagehide`): the queues let the flush lock
    /// go, so another tab leads at once.
    pub fn handle_page_hide(&mut self, now: Millis) {
        self.now = now;
        self.each_queue(OfflineQueueService::on_page_hide);
        self.route();
    }

    /// Runs `f` on every attached queue.
    fn each_queue(&mut self, f: impl Fn(&mut OfflineQueueService)) {
        for h in self.handles::<QueueSlot>() {
            if let Ok(q) = self.slot::<QueueSlot>(h) {
                f(&mut q.core);
            }
        }
    }

    /// The page became hidden or visible: presence hears it; becoming
    /// visible checks the link.
    pub fn handle_visibility(&mut self, hidden: bool, now: Millis) {
        self.now = now;
        for h in self.handles::<PresenceSlot>() {
            if let Ok(p) = self.slot::<PresenceSlot>(h) {
                p.core.on_visibility_change(hidden, now);
            }
        }
        if !hidden {
            if let Some(c) = self.conn.as_mut() {
                c.check_liveness(now);
            }
        }
        self.route();
    }
}

/// The room of a channel id, refused when blank.
fn channel_room(channel_id: &str) -> Result<String, SessionError> {
    room::room_name(channel_id)
        .map_err(|_| ConnectionError::BadRoomName(channel_id.to_owned()).into())
}
