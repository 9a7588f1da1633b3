//! Rooms services on the session (`RoomsService`, `RoomManagerService`):
//! attach, commands, and where their joins, leaves and events go. Joins go
//! through the connection, which keeps the room and re-joins it after every
//! reconnect; the machine hears those re-joins (`on_conn_rooms`).

use crate::core::json::Value;

use super::route::first_ack_arg;
use super::{Answer, Event, Handle, Session, SessionError, Ticket, Waiter};
use crate::core::connection::ConnectionError;
use crate::core::rooms::{sent_value, JoinStep, RoomsConfig, RoomsEffect, RoomsMachine};
use crate::core::Millis;

/// A command of a rooms service (see [`Session::rooms_do`]).
#[derive(Debug)]
pub enum RoomsCmd<'a> {
    /// `initialize()`.
    Initialize,
    /// `destroy()`.
    Destroy,
    /// `joinRoom(name, {metadata, force})`, with the join timeout.
    Join {
        /// The room.
        name: &'a str,
        /// The app's metadata.
        metadata: Option<Value>,
        /// Again even when joined.
        force: bool,
        /// The join's timeout (default: the client's ack timeout).
        timeout: Option<Millis>,
    },
    /// `sendMessage`: `message:send` with `payload`.
    Send {
        /// The room (must be joined).
        room: &'a str,
        /// The whole payload.
        payload: Value,
    },
    /// `leaveRoom(name)`.
    Leave(&'a str),
    /// `addRoomListener` (`true`) or `removeRoomListener`.
    Listener(&'a str, bool),
    /// The manager's `setCurrentUserId`.
    SetUser(Option<String>),
}

/// A join or send waiting for its answer.
#[derive(Debug)]
struct Wait {
    id: u64,
    /// The app's promise (`None`: the manager's join kept while offline).
    ticket: Option<Ticket>,
    /// The room joined, or `None` for a `message:send`.
    room: Option<String>,
}

/// A rooms service in the session.
pub(super) struct RoomsSlot {
    pub core: RoomsMachine,
    waits: Vec<Wait>,
}

impl Session {
    /// Attaches a rooms service (`config.manager`: a `RoomManagerService`).
    pub fn attach_rooms(&mut self, config: RoomsConfig, now: Millis) -> Handle {
        self.now = now;
        let slot = RoomsSlot {
            core: RoomsMachine::new(config),
            waits: Vec::new(),
        };
        self.add_service(super::services::Machine::Rooms(Box::new(slot)))
    }

    /// The rooms machine of `handle` (for reads).
    pub fn rooms(&self, handle: Handle) -> Result<&RoomsMachine, SessionError> {
        self.slot_ref::<RoomsSlot>(handle).map(|s| &s.core)
    }

    /// Runs a command of the rooms service `handle`; a join or send gives
    /// the ticket of its answer (`Answer::Json`: the room, or `{messageId}`).
    pub fn rooms_do(
        &mut self,
        handle: Handle,
        cmd: RoomsCmd<'_>,
        now: Millis,
    ) -> Result<Option<Ticket>, SessionError> {
        self.now = now;
        let connected = self.is_connected();
        let m = &mut self.slot::<RoomsSlot>(handle)?.core;
        let mut ticket = None;
        match cmd {
            RoomsCmd::Initialize => m.initialize(),
            RoomsCmd::Destroy => m.destroy(),
            RoomsCmd::Leave(name) => {
                m.leave(name);
            }
            RoomsCmd::Listener(name, add) => m.listener(name, add, now),
            RoomsCmd::SetUser(user) => {
                let (old, new) = m.set_user(user);
                if let Some(old) = old {
                    m.leave(&old);
                }
                if let Some(new) = new {
                    let join = RoomsCmd::Join {
                        name: &new,
                        metadata: None,
                        force: false,
                        timeout: None,
                    };
                    if let Err(e) = self.rooms_do(handle, join, now) {
                        self.event(handle, Event::Dropped(e));
                    }
                }
            }
            RoomsCmd::Join {
                name,
                metadata,
                force,
                timeout,
            } => {
                if name.trim().is_empty() {
                    return Err(ConnectionError::BadRoomName(name.into()).into());
                }
                let step = m.join(name, metadata, force, connected, now)?;
                let t = self.ticket();
                ticket = Some(t);
                let (send, wait) = match step {
                    JoinStep::Done(v) => {
                        self.done(t, Ok(Answer::Json(v)));
                        (false, None)
                    }
                    JoinStep::Send(Some(v)) => {
                        self.done(t, Ok(Answer::Json(v)));
                        (true, None)
                    }
                    JoinStep::Send(None) => (true, Some(t)),
                };
                if send {
                    self.rooms_send_join(handle, name, wait, timeout);
                }
            }
            RoomsCmd::Send { room, payload } => {
                m.check_send(room, connected)?;
                let conn = self.conn.as_mut().ok_or(SessionError::NotInitialized)?;
                let id = conn.emit_with_ack("message:send", Some(&payload.to_text()), None, now)?;
                let t = self.ticket();
                ticket = Some(t);
                self.wait(handle, id, Some(t), None);
            }
        }
        self.route();
        Ok(ticket)
    }

    /// `id` is answered to the rooms service `handle`.
    fn wait(&mut self, handle: Handle, id: u64, ticket: Option<Ticket>, room: Option<String>) {
        self.requests.insert(id, Waiter::Service(handle, id));
        if let Ok(s) = self.slot::<RoomsSlot>(handle) {
            s.waits.push(Wait { id, ticket, room });
        }
    }

    /// Sends `room:join` through the connection for the machine's join.
    fn rooms_send_join(
        &mut self,
        handle: Handle,
        name: &str,
        ticket: Option<Ticket>,
        timeout_ms: Option<Millis>,
    ) {
        let now = self.now;
        let sent = match self.conn.as_mut() {
            Some(c) => c
                .join_room(name, timeout_ms, now)
                .map_err(SessionError::from),
            None => Err(SessionError::NotInitialized),
        };
        match sent {
            Ok(id) => self.wait(handle, id, ticket, Some(name.to_owned())),
            Err(e) => {
                if let Ok(s) = self.slot::<RoomsSlot>(handle) {
                    s.core.on_join_answer(name, Err((e.code(), "")), true, now);
                }
                if let Some(t) = ticket {
                    self.done(t, Err(e));
                }
            }
        }
    }

    pub(super) fn rooms_effects(&mut self, handle: Handle, effects: Vec<RoomsEffect>) {
        let now = self.now;
        for effect in effects {
            match effect {
                RoomsEffect::Leave(room) => {
                    if let Some(c) = self.conn.as_mut() {
                        let _ = c.leave_room(&room, None, now);
                    }
                }
                RoomsEffect::Event(e) => self.event(handle, Event::Rooms(e)),
            }
        }
    }

    /// The answer of a join or send of service `handle`.
    pub(super) fn rooms_answer(
        &mut self,
        handle: Handle,
        id: u64,
        result: Result<String, SessionError>,
    ) {
        let now = self.now;
        let Ok(slot) = self.slot::<RoomsSlot>(handle) else {
            return;
        };
        let Some(pos) = slot.waits.iter().position(|w| w.id == id) else {
            return;
        };
        let wait = slot.waits.remove(pos);
        let outcome = match result {
            Err(e) => {
                if let Some(room) = &wait.room {
                    let explicit = wait.ticket.is_some();
                    let message = e.message();
                    slot.core
                        .on_join_answer(room, Err((e.code(), &message)), explicit, now);
                }
                Err(e)
            }
            Ok(text) => {
                let answer = first_ack_arg(Ok(text)).unwrap_or_default();
                Ok(Answer::Json(match &wait.room {
                    Some(room) => slot
                        .core
                        .on_join_answer(room, Ok(&answer), wait.ticket.is_some(), now)
                        .unwrap_or_default(),
                    None => sent_value(&answer),
                }))
            }
        };
        if let Some(t) = wait.ticket {
            self.done(t, outcome);
        }
    }

    /// What the connection did with the rooms on a (re)connect, to every
    /// rooms service: a re-join's answer, or its failure.
    pub(super) fn on_conn_rooms(&mut self, room: &str, answer: Result<&str, (&str, &str)>) {
        let now = self.now;
        let kept = self
            .conn
            .as_ref()
            .is_some_and(|c| c.rooms().iter().any(|r| r == room));
        let answer = answer.map(|data| first_ack_arg(Ok(data.to_owned())).unwrap_or_default());
        for h in self.handles::<RoomsSlot>() {
            if let Ok(s) = self.slot::<RoomsSlot>(h) {
                match &answer {
                    Ok(v) => s.core.on_rejoined(room, v, now),
                    Err((code, message)) => s.core.on_rejoin_failed(room, code, message, !kept),
                }
            }
        }
    }

    /// The connection is lost: each rooms service hears it; the rooms of one
    /// without `autoRejoinOnReconnect` are dropped from the connection.
    pub(super) fn rooms_disconnected(&mut self) {
        let now = self.now;
        let mut drop = Vec::new();
        for h in self.handles::<RoomsSlot>() {
            if let Ok(s) = self.slot::<RoomsSlot>(h) {
                drop.extend(s.core.on_disconnected());
            }
        }
        if let Some(c) = self.conn.as_mut() {
            for room in drop {
                let _ = c.leave_room(&room, None, now);
            }
        }
    }
}
