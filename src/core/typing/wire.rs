//! `typing:event` payloads in, `typing:start`/`typing:stop` payloads out.
//!
//! Incoming, the real server sends `{roomName, threadId?, users: [{userId,
//! startedAt: ISO-8601}]}` (no names, and nothing when an entry expires);
//! the extended test server adds `userName` and `userAvatar`; some clients
//! send a single `{roomName, userId, isTyping}`. Room names follow
//! [`crate::core::room`].

use crate::core::decimal::cat;
use crate::core::json::{json, Map, Value};
use crate::core::vecmap::VecMap;

use super::{TypingError, TypingUser};
use crate::core::{describe_json as describe, optional_str, required_str, room, time, Millis};

/// Where we type: internal key plus what goes on the wire.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Target {
    /// The room, or the thread key for a thread.
    pub key: String,
    /// The Socket.IO room (a thread's channel room).
    wire_room: String,
    thread_id: Option<String>,
    /// The id the app gave, and whether it is a DM's (nchat's `TypingContext`).
    id: String,
    dm: bool,
}

impl Target {
    /// A channel (any room name, see [`room::channel_room`]) or one of its threads.
    pub fn channel(channel_id: &str, thread_id: Option<&str>) -> Result<Self, TypingError> {
        if channel_id.is_empty() {
            return Err(TypingError::EmptyId("channel id"));
        }
        if thread_id.is_some_and(str::is_empty) {
            return Err(TypingError::EmptyId("thread id"));
        }
        Ok(Self {
            key: room::key(channel_id, thread_id),
            wire_room: room::channel_room(channel_id),
            thread_id: thread_id.map(str::to_owned),
            id: channel_id.to_owned(),
            dm: false,
        })
    }

    /// A DM: `dm:{id}`.
    pub fn dm(dm_id: &str) -> Result<Self, TypingError> {
        if dm_id.is_empty() {
            return Err(TypingError::EmptyId("DM id"));
        }
        let room = room::dm_room(dm_id);
        Ok(Self {
            key: room.clone(),
            wire_room: room,
            thread_id: None,
            id: dm_id.to_owned(),
            dm: true,
        })
    }

    /// nchat's `TypingContext`: `{roomName (the id as given), roomType, threadId?}`.
    pub fn context(&self) -> Value {
        let kind = match (self.dm, &self.thread_id) {
            (true, _) => "dm",
            (_, Some(_)) => "thread",
            _ => "channel",
        };
        let mut o = Map::new();
        o.push("roomName", self.id.as_str());
        o.push("roomType", kind);
        o.push_opt("threadId", self.thread_id.as_deref());
        Value::Object(o)
    }

    /// `{roomName, threadId?}`.
    pub fn payload(&self) -> Value {
        match &self.thread_id {
            Some(t) => json!({ "roomName": self.wire_room, "threadId": t }),
            None => json!({ "roomName": self.wire_room }),
        }
    }
}

/// A user entry of a `typing:event` payload.
pub(super) struct ParsedUser {
    pub user_id: String,
    user_name: Option<String>,
    user_avatar: Option<String>,
    started_at: Option<Millis>,
}

impl ParsedUser {
    /// The name the payload gave, if any.
    pub fn user_name(&self) -> Option<&str> {
        self.user_name.as_deref()
    }

    /// The user to show. Name: the payload's, else a known one (`names`),
    /// else the previous entry's, else the user id (the real server sends
    /// none). `startedAt`: the payload's, else the previous one, else `now`.
    pub fn into_user(
        self,
        previous: Option<&TypingUser>,
        names: &VecMap<String, String>,
        now: Millis,
    ) -> TypingUser {
        let user_name = self
            .user_name
            .or_else(|| names.get(&self.user_id).cloned())
            .or_else(|| previous.map(|p| p.user_name.clone()))
            .unwrap_or_else(|| self.user_id.clone());
        TypingUser {
            user_name,
            started_at: self
                .started_at
                .or(previous.map(|p| p.started_at))
                .unwrap_or(now),
            user_id: self.user_id,
            user_avatar: self.user_avatar,
        }
    }
}

/// What a validated `typing:event` payload says about its room.
pub(super) enum RoomUpdate {
    /// The complete list of users typing in the room.
    Replace(Vec<ParsedUser>),
    /// One user started (`true`) or stopped typing.
    Single(ParsedUser, bool),
}

fn invalid(reason: impl Into<String>) -> TypingError {
    TypingError::InvalidPayload(reason.into())
}

fn parse_user(item: &Value) -> Result<ParsedUser, TypingError> {
    match item {
        Value::String(id) if !id.is_empty() => Ok(ParsedUser {
            user_id: id.clone(),
            user_name: None,
            user_avatar: None,
            started_at: None,
        }),
        Value::Object(obj) => parse_user_fields(obj),
        other => Err(invalid(cat!(
            "each user must be an object or a user id string, got ",
            describe(Some(other))
        ))),
    }
}

fn parse_user_fields(obj: &Map) -> Result<ParsedUser, TypingError> {
    let user_id = required_str(obj, "userId").map_err(invalid)?.to_owned();
    let opt_str = |key: &str| match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone()).filter(|s| !s.is_empty())),
        other => Err(invalid(cat!(
            key,
            " must be a string, got ",
            describe(other)
        ))),
    };
    let started_at = match obj.get("startedAt") {
        None | Some(Value::Null) => None,
        Some(v) => Some(time::parse(v).ok_or_else(|| {
            invalid(cat!(
                "startedAt must be a number of ms or an ISO-8601 string, got ",
                describe(Some(v))
            ))
        })?),
    };
    Ok(ParsedUser {
        user_id,
        user_name: opt_str("userName")?,
        user_avatar: opt_str("userAvatar")?,
        started_at,
    })
}

/// The room key (the thread key with a `threadId`) and update of a
/// `typing:event` payload.
pub(super) fn parse_typing_event(payload: &Value) -> Result<(String, RoomUpdate), TypingError> {
    let obj = payload
        .as_object()
        .ok_or_else(|| invalid(cat!("expected an object, got ", describe(Some(payload)))))?;
    let room = required_str(obj, "roomName").map_err(invalid)?;
    let thread_id = optional_str(obj, "threadId").map_err(invalid)?;
    let key = match thread_id {
        Some(t) if !room.ends_with(&room::thread_key("", t)) => room::thread_key(room, t),
        _ => room.to_owned(),
    };
    let update = match obj.get("users") {
        Some(Value::Array(items)) => {
            // The real server lists a user once per `typing:start` outside a
            // thread: one entry each, started at their earliest row.
            let mut users: Vec<ParsedUser> = Vec::new();
            let mut index: VecMap<String, usize> = VecMap::new();
            for item in items {
                let user = parse_user(item)?;
                match index.get(&user.user_id).and_then(|&i| users.get_mut(i)) {
                    Some(kept) => {
                        kept.started_at = match (kept.started_at, user.started_at) {
                            (Some(a), Some(b)) => Some(a.min(b)),
                            (a, b) => a.or(b),
                        };
                    }
                    None => {
                        index.insert(user.user_id.clone(), users.len());
                        users.push(user);
                    }
                }
            }
            RoomUpdate::Replace(users)
        }
        Some(other) => {
            return Err(invalid(cat!(
                "users must be an array, got ",
                describe(Some(other))
            )))
        }
        None if obj.contains_key("userId") => {
            let user = parse_user_fields(obj)?;
            let typing = match obj.get("isTyping") {
                None | Some(Value::Null) => true,
                Some(Value::Bool(b)) => *b,
                other => {
                    return Err(invalid(cat!(
                        "isTyping must be a boolean, got ",
                        describe(other)
                    )))
                }
            };
            RoomUpdate::Single(user, typing)
        }
        None => return Err(invalid("missing users (or userId)")),
    };
    Ok((key, update))
}

/// Formats a typing line: `""`, `"Alice is typing..."`, `"Alice and Bob are
/// typing..."`, `"Alice, Bob, and Charlie are typing..."`, `"Alice, Bob, and
/// 2 others are typing..."`.
pub fn format_typing_text(users: &[TypingUser]) -> String {
    match users {
        [] => String::new(),
        [a] => cat!(a.user_name, " is typing..."),
        [a, b] => cat!(a.user_name, " and ", b.user_name, " are typing..."),
        [a, b, c] => cat!(
            a.user_name,
            ", ",
            b.user_name,
            ", and ",
            c.user_name,
            " are typing..."
        ),
        [a, b, rest @ ..] => cat!(
            a.user_name,
            ", ",
            b.user_name,
            ", and ",
            rest.len(),
            " others are typing..."
        ),
    }
}
