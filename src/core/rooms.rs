//! The rooms of nchat's `RoomsService` and `RoomManagerService`: which rooms
//! the app joined through them, with their type, member count and members
//! (from the join answer and `user:joined`/`user:left`), when they were
//! joined, their listener counts and metadata; the joins in flight; the
//! room limit; room messages (`message:new`) by room; and the manager's
//! auto-leave, 5 s after a room's listener count fell to 0, as a deadline.
//!
//! Sans-IO: the session sends the joins (through the connection, which keeps
//! every joined room and re-joins it after each reconnect: this machine only
//! hears the answers) and carries out [`RoomsEffect::Leave`].
//!
//! One machine serves both classes; [`RoomsConfig::manager`] picks the
//! manager's rules: room names must be `channel:`, `thread:`, `user:` or
//! `dm:` + id ([`crate::core::room::typed`]); a join while not connected is
//! kept (not joined) and sent with the next connection's re-joins; a room
//! with listeners is not left; events are joined/left/error/reconnected
//! rather than member and message events.

use crate::core::json::{json, Value};
use crate::core::room::typed;
use crate::core::{decimal::cat, Millis};

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests;
mod types;

pub use types::*;

/// The rooms machine. See the module docs.
#[derive(Debug, Default)]
pub struct RoomsMachine {
    cfg: RoomsConfig,
    rooms: Vec<Room>,
    pending: Vec<String>,
    initialized: bool,
    user_id: Option<String>,
    rejoined: Vec<String>,
    effects: Vec<RoomsEffect>,
}

impl RoomsMachine {
    /// A machine with `cfg`.
    pub fn new(cfg: RoomsConfig) -> Self {
        Self {
            cfg,
            ..Self::default()
        }
    }

    /// Its configuration.
    pub fn config(&self) -> &RoomsConfig {
        &self.cfg
    }

    /// `initialize()`: it hears the server's room events from now on.
    pub fn initialize(&mut self) {
        self.initialized = true;
    }

    /// `initialized`.
    pub fn initialized(&self) -> bool {
        self.initialized
    }

    /// `destroy()`: every room is left, everything forgotten; it can be
    /// initialized again.
    pub fn destroy(&mut self) {
        for room in std::mem::take(&mut self.rooms) {
            self.effects.push(RoomsEffect::Leave(room.name));
        }
        self.pending.clear();
        self.rejoined.clear();
        self.initialized = false;
    }

    /// The rooms, in join order.
    pub fn rooms(&self) -> &[Room] {
        &self.rooms
    }

    /// The room `name`.
    pub fn room(&self, name: &str) -> Option<&Room> {
        self.rooms.iter().find(|r| r.name == name)
    }

    fn room_mut(&mut self, name: &str) -> Option<&mut Room> {
        self.rooms.iter_mut().find(|r| r.name == name)
    }

    /// `isInRoom`: tracked (`RoomsService`) or joined (manager).
    pub fn is_in_room(&self, name: &str) -> bool {
        self.room(name)
            .is_some_and(|r| r.is_joined || !self.cfg.manager)
    }

    /// Answers a read as JSON.
    pub fn query(&self, q: RoomsQuery, name: &str) -> Value {
        let m = self.cfg.manager;
        let room = self.room(name);
        match q {
            RoomsQuery::Initialized => self.initialized.into(),
            RoomsQuery::IsInRoom => self.is_in_room(name).into(),
            RoomsQuery::Room => room.map_or(Value::Null, |r| r.to_value(m)),
            RoomsQuery::Rooms => Value::Array(self.rooms.iter().map(|r| r.to_value(m)).collect()),
            RoomsQuery::Members => Value::Array(
                room.map(|r| r.members.iter().map(Member::to_value).collect())
                    .unwrap_or_default(),
            ),
        }
    }

    /// The current user (manager's `setCurrentUserId`).
    pub fn user_id(&self) -> Option<&str> {
        self.user_id.as_deref()
    }

    /// Takes what the session must do.
    pub fn drain_effects(&mut self) -> Vec<RoomsEffect> {
        std::mem::take(&mut self.effects)
    }

    fn event(&mut self, e: RoomsEvent) {
        self.effects.push(RoomsEffect::Event(e));
    }

    fn state(&mut self) {
        if !self.cfg.manager {
            let names = self.rooms.iter().map(|r| r.name.clone()).collect();
            self.event(RoomsEvent::State(names));
        }
    }

    /// Starts a join of `name` (`force`: again even when joined). On `Send`
    /// the join is pending until [`Self::on_join_answer`].
    pub fn join(
        &mut self,
        name: &str,
        metadata: Option<Value>,
        force: bool,
        connected: bool,
        now: Millis,
    ) -> Result<JoinStep, RoomsError> {
        let manager = self.cfg.manager;
        let existing = self.room(name);
        if let Some(r) = existing.filter(|r| (r.is_joined || !manager) && !force) {
            return Ok(JoinStep::Done(r.to_value(manager)));
        }
        let exists = existing.is_some();
        if self.pending.iter().any(|p| p == name) {
            return Err(RoomsError::Pending(name.into()));
        }
        let count = self.rooms.len().saturating_add(self.pending.len());
        if !exists && count >= self.cfg.max_rooms as usize {
            return Err(RoomsError::Limit(self.cfg.max_rooms));
        }
        let (room_type, id) = match typed(name) {
            Some((t, id)) => (t, id),
            None if manager => return Err(RoomsError::InvalidName(name.into())),
            None => ("channel", ""),
        };
        if !manager && !connected {
            return Err(RoomsError::NotConnected);
        }
        self.pending.push(name.to_owned());
        if !manager {
            return Ok(JoinStep::Send(None));
        }
        let room = match self.room_mut(name) {
            Some(r) => r,
            None => {
                self.rooms.push(Room {
                    name: name.to_owned(),
                    room_type: room_type.to_owned(),
                    resource_id: id.to_owned(),
                    member_count: None,
                    members: Vec::new(),
                    joined_at: now,
                    is_joined: false,
                    listener_count: 0,
                    metadata: None,
                    leave_at: None,
                });
                let last = self.rooms.len() - 1;
                &mut self.rooms[last]
            }
        };
        if metadata.is_some() {
            room.metadata = metadata;
        }
        room.joined_at = now;
        Ok(JoinStep::Send((!connected).then(|| room.to_value(true))))
    }

    /// The answer to a join: `Ok` the ack's first argument, `Err` the
    /// failure (`explicit`: the app waits for this answer; else the join
    /// was kept while offline). Returns the room on success.
    pub fn on_join_answer(
        &mut self,
        name: &str,
        answer: Result<&Value, (&str, &str)>,
        explicit: bool,
        now: Millis,
    ) -> Option<Value> {
        self.pending.retain(|p| p != name);
        let manager = self.cfg.manager;
        let answer = match answer {
            Ok(a) => a,
            Err((code, message)) => {
                if manager && !explicit && self.room(name).is_some() {
                    self.event(RoomsEvent::Error {
                        room: name.into(),
                        code: code.into(),
                        message: message.into(),
                    });
                }
                return None;
            }
        };
        if !manager && self.room(name).is_none() {
            self.rooms.push(Room {
                name: name.to_owned(),
                room_type: "channel".into(),
                resource_id: String::new(),
                member_count: None,
                members: Vec::new(),
                joined_at: now,
                is_joined: true,
                listener_count: 0,
                metadata: None,
                leave_at: None,
            });
        }
        let room = self.room_mut(name)?;
        let was = room.is_joined;
        room.is_joined = true;
        room.joined_at = now;
        room.take_answer(answer, now);
        if !manager {
            if let Some(n) = answer
                .get("data")
                .and_then(|d| d.get("roomName"))
                .or(answer.get("roomName"))
                .and_then(Value::as_str)
            {
                n.clone_into(&mut room.name);
            }
        }
        let value = room.to_value(manager);
        if manager && (explicit || !was) {
            self.event(RoomsEvent::Joined(value.clone()));
        }
        self.state();
        Some(value)
    }

    /// `leaveRoom`: false when not tracked (or, with the manager, while it
    /// has listeners).
    pub fn leave(&mut self, name: &str) -> bool {
        let Some(pos) = self.rooms.iter().position(|r| r.name == name) else {
            return false;
        };
        if self.cfg.manager && self.rooms[pos].listener_count > 0 {
            return false;
        }
        self.rooms.remove(pos);
        self.effects.push(RoomsEffect::Leave(name.to_owned()));
        if self.cfg.manager {
            self.event(RoomsEvent::Left(name.to_owned()));
        }
        self.state();
        true
    }

    /// `sendMessage`'s checks: connected and in the room.
    pub fn check_send(&self, name: &str, connected: bool) -> Result<(), RoomsError> {
        if !connected {
            return Err(RoomsError::NotConnected);
        }
        if self.room(name).is_none() {
            return Err(RoomsError::NotInRoom(name.into()));
        }
        Ok(())
    }

    /// `addRoomListener` (`add`) or `removeRoomListener`; the last removal
    /// of a non-user room schedules its auto-leave check.
    pub fn listener(&mut self, name: &str, add: bool, now: Millis) {
        let Some(r) = self.room_mut(name) else { return };
        if add {
            r.listener_count = r.listener_count.saturating_add(1);
        } else if r.listener_count > 0 {
            r.listener_count -= 1;
            if r.listener_count == 0 && r.room_type != "user" && r.leave_at.is_none() {
                r.leave_at = Some(now.saturating_add(AUTO_LEAVE_MS));
            }
        }
    }

    /// The manager's `setCurrentUserId`: the room to leave (the previous
    /// user's) and the one to join (the new user's).
    pub fn set_user(&mut self, user: Option<String>) -> (Option<String>, Option<String>) {
        let previous = std::mem::replace(&mut self.user_id, user.clone());
        let old = previous
            .filter(|p| user.as_deref() != Some(p))
            .map(|p| cat!("user:", p));
        (old, user.map(|u| cat!("user:", u)))
    }

    /// When the next auto-leave check is due.
    pub fn next_deadline(&self) -> Option<Millis> {
        self.rooms.iter().filter_map(|r| r.leave_at).min()
    }

    /// Runs the auto-leave checks due at `now`.
    pub fn handle_timeout(&mut self, now: Millis) {
        let mut due = Vec::new();
        for r in &mut self.rooms {
            if r.leave_at.is_some_and(|t| t <= now) {
                r.leave_at = None;
                if r.listener_count == 0 {
                    due.push(r.name.clone());
                }
            }
        }
        for name in due {
            self.leave(&name);
        }
    }

    /// The connection is lost: members are stale (`RoomsService`), rooms
    /// not joined (manager). Returns the rooms the connection must drop
    /// (all, without `autoRejoinOnReconnect`), which `RoomsService` forgets.
    pub fn on_disconnected(&mut self) -> Vec<String> {
        self.rejoined.clear();
        for r in &mut self.rooms {
            if self.cfg.manager {
                r.is_joined = false;
            } else {
                r.members.clear();
            }
        }
        if self.cfg.auto_rejoin {
            return Vec::new();
        }
        let names: Vec<String> = self.rooms.iter().map(|r| r.name.clone()).collect();
        if !self.cfg.manager && !names.is_empty() {
            self.rooms.clear();
            self.state();
        }
        names
    }

    /// The connection re-joined `name` after a reconnect (`answer`: the
    /// ack's first argument).
    pub fn on_rejoined(&mut self, name: &str, answer: &Value, now: Millis) {
        let manager = self.cfg.manager;
        let Some(r) = self.room_mut(name) else { return };
        let was = r.is_joined;
        r.is_joined = true;
        r.take_answer(answer, now);
        if manager && !was {
            r.joined_at = now;
            let v = r.to_value(true);
            self.rejoined.push(name.to_owned());
            self.event(RoomsEvent::Joined(v));
        }
    }

    /// A re-join failed (`dropped`: the server refused it, so the
    /// connection no longer keeps it).
    pub fn on_rejoin_failed(&mut self, name: &str, code: &str, message: &str, dropped: bool) {
        if self.room(name).is_none() {
            return;
        }
        if self.cfg.manager {
            self.event(RoomsEvent::Error {
                room: name.into(),
                code: code.into(),
                message: message.into(),
            });
        } else if dropped {
            self.rooms.retain(|r| r.name != name);
            self.state();
        }
    }

    /// Connected with every room re-joined: the manager says which rooms
    /// came back; `RoomsService` reports its rooms again.
    pub fn on_connected(&mut self, reconnected: bool) {
        let rejoined = std::mem::take(&mut self.rejoined);
        if !reconnected || !self.initialized {
            return;
        }
        if self.cfg.manager {
            if !rejoined.is_empty() {
                self.event(RoomsEvent::Reconnected(rejoined));
            }
        } else if !self.rooms.is_empty() {
            self.state();
        }
    }

    /// A server event (`payload`: its first argument); heard once initialized.
    pub fn on_event(&mut self, name: &str, payload: &Value, now: Millis) {
        if !self.initialized {
            return;
        }
        let Some(room) = payload.get("roomName").and_then(Value::as_str) else {
            return;
        };
        let room = room.to_owned();
        let manager = self.cfg.manager;
        match name {
            "user:joined" if !manager => {
                let Some(member) = Member::parse(payload, now) else {
                    return;
                };
                if let Some(r) = self.room_mut(&room) {
                    // A known member joining again (a re-join) is not one more.
                    let before = r.members.len();
                    r.members.retain(|m| m.user_id != member.user_id);
                    if r.members.len() == before {
                        r.member_count = r.member_count.map(|n| n.saturating_add(1));
                    }
                    r.members.push(member.clone());
                }
                self.event(RoomsEvent::UserJoined { room, member });
            }
            "user:left" if !manager => {
                let Some(user) = payload.get("userId").and_then(Value::as_str) else {
                    return;
                };
                if let Some(r) = self.room_mut(&room) {
                    r.members.retain(|m| m.user_id != user);
                    r.member_count = r.member_count.map(|n| n.saturating_sub(1));
                }
                let user_id = user.to_owned();
                self.event(RoomsEvent::UserLeft { room, user_id });
            }
            "message:new" if !manager => {
                let message = payload.clone();
                self.event(RoomsEvent::Message { room, message });
            }
            "room:joined" if manager => {
                let ok = payload.get("success").and_then(Value::as_bool) == Some(true);
                let Some(r) = self.room_mut(&room) else {
                    return;
                };
                r.is_joined = ok;
                if let Some(e) = payload.get("error").and_then(Value::as_str).filter(|_| !ok) {
                    let message = e.to_owned();
                    let code = "ROOM_JOIN_FAILED".into();
                    self.event(RoomsEvent::Error {
                        room,
                        code,
                        message,
                    });
                }
            }
            _ => {}
        }
    }
}

/// `{messageId}` of a `message:send` answer (`""` when the server gives no id,
/// as the nself server does).
pub fn sent_value(answer: &Value) -> Value {
    let id = match crate::core::ack::classify_ack_value(answer) {
        crate::core::ack::AckOutcome::Accepted { message_id } => message_id,
        _ => None,
    };
    json!({ "messageId": id.unwrap_or_default() })
}
