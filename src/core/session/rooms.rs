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

    /// Runs a plain command on the machine, then routes.
    pub fn rooms_do<T>(
        &mut self,
        handle: Handle,
        now: Millis,
        f: impl FnOnce(&mut RoomsMachine, Millis) -> T,
    ) -> Result<T, SessionError> {
        self.on_slot(handle, now, |s: &mut RoomsSlot, now| {
            Ok(f(&mut s.core, now))
        })
    }

    /// `joinRoom(name, {metadata, force})`: the ticket resolves with the room
    /// (`Answer::Json`) or fails with the server's refusal.
    pub fn rooms_join(
        &mut self,
        handle: Handle,
        name: &str,
        metadata: Option<Value>,
        force: bool,
        timeout_ms: Option<Millis>,
        now: Millis,
    ) -> Result<Ticket, SessionError> {
        self.now = now;
        if name.trim().is_empty() {
            return Err(ConnectionError::BadRoomName(name.into()).into());
        }
        let connected = self.is_connected();
        let step = self
            .slot::<RoomsSlot>(handle)?
            .core
            .join(name, metadata, force, connected, now)?;
        let ticket = self.ticket();
        match step {
            JoinStep::Done(v) => self.done(ticket, Ok(Answer::Json(v))),
            JoinStep::Send(now_value) => {
                let wait = match now_value {
                    Some(v) => {
                        self.done(ticket, Ok(Answer::Json(v)));
                        None
                    }
                    None => Some(ticket),
                };
                self.rooms_send_join(handle, name, wait, timeout_ms);
            }
        }
        self.route();
        Ok(ticket)
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
        let room = Some(name.to_owned());
        match sent {
            Ok(id) => {
                self.requests.insert(id, Waiter::Service(handle, id));
                if let Ok(s) = self.slot::<RoomsSlot>(handle) {
                    s.waits.push(Wait { id, ticket, room });
                }
            }
            Err(e) => {
                if let Ok(s) = self.slot::<RoomsSlot>(handle) {
                    let _ = s.core.on_join_answer(name, Err((e.code(), "")), true, now);
                }
                if let Some(t) = ticket {
                    self.done(t, Err(e));
                }
            }
        }
    }

    /// `sendMessage(room, payload)`: `message:send` once the checks pass;
    /// the ticket resolves with `{messageId}`.
    pub fn rooms_send(
        &mut self,
        handle: Handle,
        room: &str,
        payload: &Value,
        now: Millis,
    ) -> Result<Ticket, SessionError> {
        self.now = now;
        let connected = self.is_connected();
        self.slot::<RoomsSlot>(handle)?
            .core
            .check_send(room, connected)?;
        let conn = self.conn.as_mut().ok_or(SessionError::NotInitialized)?;
        let id = conn.emit_with_ack("message:send", Some(&payload.to_text()), None, now)?;
        self.requests.insert(id, Waiter::Service(handle, id));
        let ticket = self.ticket();
        let wait = Wait {
            id,
            ticket: Some(ticket),
            room: None,
        };
        self.slot::<RoomsSlot>(handle)?.waits.push(wait);
        self.route();
        Ok(ticket)
    }

    /// The manager's `setCurrentUserId`: leaves the previous user's room,
    /// joins the new user's (its outcome is only reported).
    pub fn rooms_set_user(
        &mut self,
        handle: Handle,
        user: Option<String>,
        now: Millis,
    ) -> Result<(), SessionError> {
        self.now = now;
        let (old, new) = self.slot::<RoomsSlot>(handle)?.core.set_user(user);
        if let Some(old) = old {
            self.slot::<RoomsSlot>(handle)?.core.leave(&old);
        }
        if let Some(new) = new {
            let r = self.rooms_join(handle, &new, None, false, None, now);
            if let Err(e) = r {
                self.event(handle, Event::Dropped(e));
            }
        }
        self.route();
        Ok(())
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
        let answer = match &result {
            Ok(_) => first_ack_arg(result.clone()).unwrap_or(Value::Null),
            Err(_) => Value::Null,
        };
        let outcome = match (&wait.room, result) {
            (Some(room), Ok(_)) => slot
                .core
                .on_join_answer(room, Ok(&answer), wait.ticket.is_some(), now)
                .map(Answer::Json)
                .ok_or(SessionError::Disposed(super::ServiceKind::Rooms)),
            (Some(room), Err(e)) => {
                let explicit = wait.ticket.is_some();
                let message = e.message();
                let _ = slot
                    .core
                    .on_join_answer(room, Err((e.code(), &message)), explicit, now);
                Err(e)
            }
            (None, r) => r.map(|_| Answer::Json(sent_value(&answer))),
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
