//! The rooms machine's vocabulary: its configuration, rooms and members
//! (with their JSON forms), events, effects, reads and refusals.

use crate::core::json::{json, Map, Value};
use crate::core::{decimal::cat, time, Millis};

/// The manager leaves a room this long after its listener count fell to 0.
pub const AUTO_LEAVE_MS: Millis = 5_000;

/// How a rooms machine behaves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoomsConfig {
    /// `RoomManagerService`'s rules (else `RoomsService`'s).
    pub manager: bool,
    /// `maxRooms` / `maxTrackedRooms` (default 100).
    pub max_rooms: u32,
    /// `autoRejoinOnReconnect` (default true): off, the rooms are not
    /// re-joined after the connection is lost.
    pub auto_rejoin: bool,
}

impl Default for RoomsConfig {
    fn default() -> Self {
        Self {
            manager: false,
            max_rooms: 100,
            auto_rejoin: true,
        }
    }
}

/// A member of a room.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    /// The user.
    pub user_id: String,
    /// Their name, when the server gives it.
    pub user_name: Option<String>,
    /// Their avatar, when the server gives it.
    pub user_avatar: Option<String>,
    /// When they joined (the event's `timestamp`, else when it arrived).
    pub joined_at: Millis,
}

impl Member {
    /// `{userId, userName?, userAvatar?, joinedAt}` (ms).
    pub fn to_value(&self) -> Value {
        let mut o = Map::new();
        o.push("userId", &self.user_id);
        o.push_opt("userName", self.user_name.as_ref());
        o.push_opt("userAvatar", self.user_avatar.as_ref());
        o.push("joinedAt", self.joined_at);
        Value::Object(o)
    }

    /// A member from a server object (`userId` required) or a bare user id.
    pub(super) fn parse(v: &Value, now: Millis) -> Option<Member> {
        let s = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_owned);
        let user_id = v.as_str().map(str::to_owned).or_else(|| s("userId"))?;
        Some(Member {
            user_id,
            user_name: s("userName"),
            user_avatar: s("userAvatar"),
            joined_at: ["timestamp", "joinedAt"]
                .iter()
                .find_map(|k| v.get(*k).and_then(time::parse))
                .unwrap_or(now),
        })
    }
}

/// A room the app joined (or, with the manager, asked to join).
#[derive(Debug, Clone, PartialEq)]
pub struct Room {
    /// The name the app joined it by.
    pub name: String,
    /// `channel`, `thread`, `user` or `dm` (the manager's parse); the
    /// server's `type`, else `channel` (`RoomsService`).
    pub room_type: String,
    /// The id after the type (the manager's `resourceId`).
    pub resource_id: String,
    /// The server's member count, moved by `user:joined`/`user:left`.
    pub member_count: Option<u64>,
    /// The members known (the join answer's list, then the events).
    pub members: Vec<Member>,
    /// When it was (last) joined.
    pub joined_at: Millis,
    /// Joined on the server now.
    pub is_joined: bool,
    /// The manager's local listeners.
    pub listener_count: u32,
    /// The app's metadata.
    pub metadata: Option<Value>,
    /// The manager's auto-leave check.
    pub(super) leave_at: Option<Millis>,
}

impl Room {
    /// nchat's `Room` (`RoomsService`) or `RoomInfo` (manager) object.
    pub fn to_value(&self, manager: bool) -> Value {
        let mut o = Map::new();
        o.push("name", &self.name);
        o.push("type", &self.room_type);
        if manager {
            o.push("resourceId", &self.resource_id);
            o.push("joinedAt", self.joined_at);
            o.push("isJoined", self.is_joined);
            o.push("listenerCount", self.listener_count);
        } else {
            o.push("visibility", "public");
            o.push_opt("memberCount", self.member_count);
        }
        o.push_opt("metadata", self.metadata.as_ref());
        Value::Object(o)
    }

    /// Takes the member count and list of a join answer (`{success, data:
    /// {roomName, memberCount, members?}}` or the same fields at the top).
    pub(super) fn take_answer(&mut self, answer: &Value, now: Millis) {
        let field = |k: &str| answer.get("data").and_then(|d| d.get(k)).or(answer.get(k));
        if let Some(n) = field("memberCount").and_then(Value::as_u64) {
            self.member_count = Some(n);
        }
        if let Some(t) = field("type").and_then(Value::as_str) {
            if !t.is_empty() && self.resource_id.is_empty() {
                t.clone_into(&mut self.room_type);
            }
        }
        if let Some(list) = field("members").and_then(Value::as_array) {
            self.members = list.iter().filter_map(|m| Member::parse(m, now)).collect();
        }
    }
}

/// What the app hears.
#[derive(Debug, Clone, PartialEq)]
pub enum RoomsEvent {
    /// `onRoomStateChange`: the joined room names.
    State(Vec<String>),
    /// `onUserJoin`.
    UserJoined {
        /// The room.
        room: String,
        /// Who.
        member: Member,
    },
    /// `onUserLeave`.
    UserLeft {
        /// The room.
        room: String,
        /// Who.
        user_id: String,
    },
    /// `onRoomMessage` of `room` and `onMessage`: the `message:new` payload.
    Message {
        /// The message's `roomName`.
        room: String,
        /// The payload as the server sent it.
        message: Value,
    },
    /// `onRoomJoined`: the room's `RoomInfo`.
    Joined(Value),
    /// `onRoomLeft`.
    Left(String),
    /// `onRoomError`.
    Error {
        /// The room.
        room: String,
        /// The server's code (or `TIMEOUT`).
        code: String,
        /// What went wrong.
        message: String,
    },
    /// `onReconnected`: the rooms re-joined after a reconnect.
    Reconnected(Vec<String>),
}

impl RoomsEvent {
    /// The event as the app's listeners get it: a topic, the listener's
    /// arguments and, for a room message, its room (`onRoomMessage`).
    pub fn wire(self) -> (&'static str, Value, Option<String>) {
        let names = |v: Vec<String>| Value::Array(v.into_iter().map(Value::String).collect());
        let (topic, args, room) = match self {
            Self::State(v) => ("roomState", vec![names(v)], None),
            Self::UserJoined { room, member } => {
                ("userJoin", vec![room.into(), member.to_value()], None)
            }
            Self::UserLeft { room, user_id } => {
                ("userLeave", vec![room.into(), user_id.into()], None)
            }
            Self::Message { room, message } => ("message", vec![message], Some(room)),
            Self::Joined(v) => ("roomJoined", vec![v], None),
            Self::Left(room) => ("roomLeft", vec![room.into()], None),
            Self::Error {
                room,
                code,
                message,
            } => (
                "roomError",
                vec![room.into(), json!({"code": code, "message": message})],
                None,
            ),
            Self::Reconnected(v) => ("reconnected", vec![names(v)], None),
        };
        (topic, Value::Array(args), room)
    }
}

/// A read of a rooms machine (by the room name given with it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RoomsQuery {
    /// `initialized`.
    Initialized,
    /// `isInRoom(name)`.
    IsInRoom,
    /// `getRoom(name)`: the room or `null`.
    Room,
    /// Every room, in join order.
    Rooms,
    /// `getRoomMembers(name)`.
    Members,
}

/// What the machine asks of the session.
#[derive(Debug, Clone, PartialEq)]
pub enum RoomsEffect {
    /// Leave this room on the connection.
    Leave(String),
    /// Tell the app.
    Event(RoomsEvent),
}

/// A refused rooms call (nchat's messages).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RoomsError {
    /// Not connected (`RoomsService` joins and sends).
    NotConnected,
    /// A join of the room is in flight.
    Pending(String),
    /// The room limit.
    Limit(u32),
    /// Not a `type:id` room name (manager).
    InvalidName(String),
    /// `sendMessage` to a room not joined.
    NotInRoom(String),
}

impl RoomsError {
    /// nchat's message.
    pub fn message(&self) -> String {
        match self {
            Self::NotConnected => "Not connected to realtime server".into(),
            Self::Pending(r) => cat!("Join already pending for room: ", r),
            Self::Limit(n) => cat!("Maximum room limit (", *n, ") reached"),
            Self::InvalidName(r) => cat!("Invalid room name: ", r),
            Self::NotInRoom(r) => cat!("Not in room: ", r),
        }
    }

    /// The stable code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::NotConnected => "not_connected",
            Self::Pending(_) => "join_pending",
            Self::Limit(_) => "room_limit",
            Self::InvalidName(_) => "invalid_room",
            Self::NotInRoom(_) => "not_in_room",
        }
    }
}

/// What a join asks of the session.
#[derive(Debug, Clone, PartialEq)]
pub enum JoinStep {
    /// Nothing to send: resolve with this room (already joined).
    Done(Value),
    /// Send `room:join`; with `Some`, resolve with that room now (the
    /// manager's join while not connected: answered by the re-join).
    Send(Option<Value>),
}
