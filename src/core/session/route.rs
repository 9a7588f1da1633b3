//! The routing loop: the connection's effects to the host, the app and the
//! services; the services' effects through the connection; answers back to
//! whoever asked.

use crate::core::json::Value;

use super::delivery::DeliverySlot;
use super::queue::QueueSlot;
use super::rooms::RoomsSlot;
use super::sync::SyncSlot;
use super::{
    Answer, ClientError, ConnectFailure, Event, Handle, Output, Session, SessionError, Waiter,
};
use crate::core::connection::{Connection, Effect};

/// The first argument of an ack (`Ok` is the JSON array of its arguments):
/// `null` when there is none; an error for text that is not an array.
pub(super) fn first_ack_arg(result: Result<String, SessionError>) -> Result<Value, String> {
    let text = result.map_err(|e| e.message())?;
    match crate::core::json::from_str(&text) {
        Ok(Value::Array(mut args)) if !args.is_empty() => Ok(args.swap_remove(0)),
        Ok(Value::Array(_)) => Ok(Value::Null),
        _ => Err(crate::core::decimal::cat!(
            "malformed acknowledgement: ",
            text
        )),
    }
}

impl Session {
    /// Routes until no machine has anything left, then recomputes the deadline.
    pub(super) fn route(&mut self) {
        loop {
            let mut busy = false;
            while let Some(effect) = self.conn.as_mut().and_then(Connection::poll_effect) {
                busy = true;
                self.on_conn_effect(effect);
            }
            for handle in self.services.iter().map(|s| s.handle).collect::<Vec<_>>() {
                busy |= self.drain_service(handle);
            }
            busy |= self.relay_writes();
            if !busy {
                break;
            }
        }
        self.update_deadline();
    }

    fn on_conn_effect(&mut self, effect: Effect) {
        let client = Handle::CLIENT;
        match effect {
            Effect::Open { url } => self.outputs.push_back(Output::Open { url }),
            Effect::Close => self.outputs.push_back(Output::Close),
            Effect::Send(frame) => self.outputs.push_back(Output::Send(frame)),
            Effect::CloseStream => self.outputs.push_back(Output::CloseStream),
            Effect::Http(request) => self.outputs.push_back(Output::Http(request)),
            Effect::TransportChanged { transport, reason } => {
                self.event(client, Event::Transport { transport, reason })
            }
            Effect::RefreshToken => self.event(client, Event::RefreshToken),
            Effect::StateChanged { state, previous } => {
                self.event(client, Event::State { state, previous })
            }
            Effect::Connected {
                reconnected,
                attempts,
                was_offline,
                ..
            } => {
                for t in std::mem::take(&mut self.connect_waiters) {
                    self.done(t, Ok(Answer::Unit));
                }
                if reconnected || was_offline {
                    self.event(
                        client,
                        Event::Reconnected {
                            attempts,
                            was_offline,
                        },
                    );
                }
                self.services_connected(reconnected);
            }
            Effect::Disconnected { reason } => {
                self.cancel_queue_sends();
                self.services_disconnected();
                self.event(client, Event::Disconnected(reason));
            }
            Effect::Event { name, data, .. } => {
                self.services_event(&name, &data);
                self.event(client, Event::Server { name, data });
            }
            Effect::AckOk { request, data } => {
                if let Some(w) = self.requests.remove(request) {
                    self.answer(w, Ok(data));
                }
            }
            Effect::AckErr { request, error } => {
                if let Some(w) = self.requests.remove(request) {
                    self.answer(w, Err(error.into()));
                }
            }
            Effect::AuthError { message } => {
                self.fail_connect(ConnectFailure::Auth {
                    message: message.clone(),
                });
                self.event(client, Event::Error(ClientError::Auth { message }));
            }
            Effect::ProtocolError { message } => {
                self.event(client, Event::Error(ClientError::Protocol { message }))
            }
            Effect::OnlineChanged { online } => {
                if online {
                    self.services_online();
                }
                self.event(client, Event::Online(online));
            }
            Effect::Latency { request, rtt } => {
                if let Some(Waiter::Latency(t)) = request.and_then(|r| self.requests.remove(r)) {
                    self.done(t, Ok(Answer::Latency(rtt)));
                }
                // Each sample moves the average: the app hears it instead of polling.
                if let Some(avg) = self.conn.as_ref().and_then(Connection::average_latency) {
                    self.event(client, Event::Latency(avg));
                }
            }
            Effect::QualityChanged { quality } => self.event(client, Event::Quality(quality)),
            Effect::BufferOverflow { event, limit } => self.event(
                client,
                Event::Error(ClientError::BufferOverflow { event, limit }),
            ),
            Effect::ReconnectAttempt { attempt } => {
                self.event(client, Event::ReconnectAttempt(attempt))
            }
            Effect::ReconnectFailed { attempts } => {
                self.fail_connect(ConnectFailure::ReconnectFailed { attempts });
                self.event(
                    client,
                    Event::Error(ClientError::ReconnectFailed { attempts }),
                );
            }
            Effect::ReadyTimeout { event, timeout_ms } => {
                let error = ClientError::ReadyTimeout { event, timeout_ms };
                self.fail_connect(ConnectFailure::ReadyTimeout(error.clone()));
                self.event(client, Event::Error(error));
            }
            Effect::Rejoined { room, data } => self.on_conn_rooms(&room, Ok(&data)),
            Effect::RejoinFailed {
                room,
                code,
                message,
            } => {
                self.on_conn_rooms(&room, Err((&code, &message)));
                self.event(
                    client,
                    Event::Error(ClientError::RejoinFailed {
                        room,
                        code,
                        message,
                    }),
                )
            }
        }
    }

    /// The link is gone: a queue's send in flight is the queue's to retry
    /// (it puts the message back in line), so the connection must not send
    /// it again by itself after the reconnect (twice in all).
    fn cancel_queue_sends(&mut self) {
        let queues = self.handles::<QueueSlot>();
        let ids = self
            .requests
            .ids(|w| matches!(w, Waiter::Service(h, _) if queues.contains(h)));
        for id in ids {
            self.requests.remove(id);
            if let Some(c) = self.conn.as_mut() {
                c.cancel(id);
            }
        }
    }

    fn fail_connect(&mut self, failure: ConnectFailure) {
        for t in std::mem::take(&mut self.connect_waiters) {
            self.done(t, Err(failure.clone().into()));
        }
    }

    /// The answer (the ack's JSON array) or failure of a request, to its waiter.
    pub(super) fn answer(&mut self, waiter: Waiter, result: Result<String, SessionError>) {
        match waiter {
            Waiter::App(t) => self.done(t, result.map(Answer::Ack)),
            Waiter::Latency(t) => {
                if let Err(e) = result {
                    self.done(t, Err(e));
                }
            }
            Waiter::Subscribe(h, m) => self.subscribe_answer(h, m, first_ack_arg(result)),
            Waiter::Fetch(h, t, m) => self.fetch_answer(h, t, m, first_ack_arg(result)),
            Waiter::Service(h, id) => {
                if self.active::<DeliverySlot>(h).is_ok() {
                    self.delivery_answer(h, id, result);
                } else if self.active::<QueueSlot>(h).is_ok() {
                    self.queue_answer(h, id, result);
                } else if self.active::<SyncSlot>(h).is_ok() {
                    self.sync_answer(h, id, first_ack_arg(result));
                } else if self.active::<RoomsSlot>(h).is_ok() {
                    self.rooms_answer(h, id, result);
                }
            }
        }
    }

    /// Emits `event` for service `handle` (volatile: only when connected); a
    /// refusal reaches the app as [`Event::Dropped`].
    pub(super) fn emit_for(
        &mut self,
        handle: Handle,
        event: &str,
        payload: &Value,
        volatile: bool,
    ) {
        let now = self.now;
        let text = payload.to_text();
        let r = match self.conn.as_mut() {
            None => Err(SessionError::NotInitialized),
            Some(c) if volatile => c.emit_volatile(event, Some(&text)).map_err(Into::into),
            Some(c) => c.emit(event, Some(&text), now).map_err(Into::into),
        };
        if let Err(e) = r {
            self.event(handle, Event::Dropped(e));
        }
    }

    /// Sends a request for `waiter`; its answer comes back through [`Self::answer`].
    pub(super) fn request_for(
        &mut self,
        waiter: Waiter,
        event: &str,
        payload: &Value,
        timeout_ms: Option<crate::core::Millis>,
    ) -> Result<(), SessionError> {
        let now = self.now;
        let conn = self.conn.as_mut().ok_or(SessionError::NotInitialized)?;
        let id = conn.emit_with_ack(event, Some(&payload.to_text()), timeout_ms, now)?;
        self.requests.insert(id, waiter);
        Ok(())
    }
}
