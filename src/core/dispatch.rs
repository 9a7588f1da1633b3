//! EventDispatcherService core (nchat's `event-dispatcher.service.ts`): the
//! API layer's bridge to the server. Each `dispatch…` call builds nchat's
//! typed payload, with metadata `{eventId, timestamp, serverVersion}`, and
//! routes it to rooms: the channel's room, and by kind the thread's room,
//! the room of the user concerned, and a `notification` to each mentioned
//! user. `queueEvent` holds events for [`BATCH_MS`] from the first one, then
//! sends them per room: one as itself, several as one `events:batch`.
//!
//! What comes out ([`Dispatched`], drained with
//! [`Dispatcher::drain_effects`]) goes to the local subscribers and, on the
//! client side, to the server as `dispatch` `{event, room, payload}` (the
//! session does both). Ids come from the machine's generator, times from
//! `now`; the batch window is [`Dispatcher::next_deadline`].

use crate::core::conflict::ConflictError;
use crate::core::decimal::{cat, push_hex16};
use crate::core::json::{Map, Value};
use crate::core::rng::Rng;
use crate::core::room::channel_room;
use crate::core::time;
use crate::core::Millis;

/// How long `queueEvent` holds events before they go out, in ms.
pub const BATCH_MS: Millis = 50;

/// The options (the defaults are nchat's).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DispatchConfig {
    /// `meta.serverVersion` of every payload.
    pub server_version: String,
    /// Send each event to the server as `dispatch` (when connected).
    pub is_client_side: bool,
}

impl Default for DispatchConfig {
    fn default() -> Self {
        Self {
            server_version: "0.9.1".into(),
            is_client_side: true,
        }
    }
}

/// Route to the thread's room when the input has a `threadId`.
const THREAD: u8 = 1;
/// Route to the thread's room always.
const THREAD_ALWAYS: u8 = 2;
/// Route to the room of the input's `userId` too.
const USER: u8 = 4;
/// Send a `notification` to each user of the input's `mentions`.
const MENTIONS: u8 = 8;
/// No `meta` in the payload (read receipts).
const NO_META: u8 = 16;

/// One typed event: its name, the payload's keys in order (`key` copies the
/// input's `key`, `key=arg` the input's `arg`, `key@` is the time now) and
/// its routes. Indexed by [`Command::Typed`] in `dispatch…` order.
pub const KINDS: [(&str, &str, u8); 13] = [
    ("message:new", "id channelId user content contentHtml type threadId parentMessageId mentionedUserIds=mentions mentionedRoles mentionedChannelIds=mentionedChannels attachments metadata ttlSeconds expiresAt createdAt", THREAD | MENTIONS),
    ("message:update", "id=messageId channelId content contentHtml editedBy editedAt@ mentionedUserIds metadata", THREAD),
    ("message:delete", "id=messageId channelId threadId deletedBy deletedAt@ hardDelete", THREAD),
    ("message:pin", "messageId channelId pinnedBy pinnedAt@ action", 0),
    ("reaction:add", "messageId channelId emoji user totalCount createdAt@", 0),
    ("reaction:remove", "messageId channelId emoji userId remainingCount", 0),
    ("channel:update", "channelId updates updatedBy updatedAt@", 0),
    ("channel:member_join", "channelId channelName user role addedBy joinedAt@ memberCount", 0),
    ("channel:member_leave", "channelId channelName userId username removedBy reason leftAt@ memberCount", USER),
    ("channel:member_role_update", "channelId userId username previousRole newRole changedBy changedAt@", USER),
    ("thread:created", "threadId channelId parentMessageId startedBy title createdAt@", 0),
    ("thread:stats_update", "threadId channelId messageCount participantCount lastMessageAt recentParticipantIds", THREAD_ALWAYS),
    ("read_receipt:update", "channelId userId lastReadMessageId readAt@ unreadCount", NO_META),
];

/// [`Command::Dispatch`] kind of `dispatchToRooms`: `[event, rooms, payload]`.
pub const TO_ROOMS: usize = 13;
/// Of `dispatchToUsers`: `[event, userIds, payload]`, to each `user:{id}`.
pub const TO_USERS: usize = 14;
/// Of `queueEvent`: `[event, room, payload]`.
pub const QUEUE: usize = 15;

/// A call of the JavaScript API, run by [`Dispatcher::command`].
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    /// `initialize()`.
    Initialize,
    /// `destroy()`: what is queued is dropped.
    Destroy,
    /// `initialized`.
    Initialized,
    /// A `dispatch…` of [`KINDS`] (its index, its arguments as one object:
    /// the data object, or the parameters by nchat's names), or
    /// [`TO_ROOMS`], [`TO_USERS`] or [`QUEUE`] with their arguments as an
    /// array. One command for all keeps the wasm small.
    Dispatch(usize, Value),
}

/// One event for one room.
#[derive(Debug, Clone, PartialEq)]
pub struct Dispatched {
    /// The event name.
    pub event: String,
    /// The room.
    pub room: String,
    /// The payload.
    pub payload: Value,
}

/// The dispatcher machine.
#[derive(Debug)]
pub struct Dispatcher {
    config: DispatchConfig,
    rng: Rng,
    initialized: bool,
    /// `queueEvent`s waiting for the batch deadline: (event, room, payload).
    pending: Vec<(String, String, Value)>,
    flush_at: Option<Millis>,
    out: Vec<Dispatched>,
}

/// A thread's room (nchat's `getThreadRoom`).
fn thread_room(id: &str) -> String {
    cat!("thread:", id)
}

/// A user's own room (nchat's `getUserRoom`).
fn user_room(id: &str) -> String {
    cat!("user:", id)
}

/// The first `units` UTF-16 code units of `s` (JavaScript's `substring`),
/// never splitting a character.
fn head(s: &str, units: usize) -> &str {
    let mut n = 0;
    for (i, c) in s.char_indices() {
        n += c.len_utf16();
        if n > units {
            return s.get(..i).unwrap_or(s);
        }
    }
    s
}

/// A non-empty string of `input` at `key`.
fn text<'a>(input: &'a Value, key: &str) -> Option<&'a str> {
    input
        .get(key)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
}

impl Dispatcher {
    /// A dispatcher; `seed` feeds the event ids (a random value per tab).
    pub fn new(config: DispatchConfig, seed: u64) -> Self {
        Self {
            config,
            rng: Rng::new(seed),
            initialized: false,
            pending: Vec::new(),
            flush_at: None,
            out: Vec::new(),
        }
    }

    /// Whether events go to the server too.
    pub fn is_client_side(&self) -> bool {
        self.config.is_client_side
    }

    /// When the queued events go out.
    pub fn next_deadline(&self) -> Option<Millis> {
        self.flush_at
    }

    /// What was dispatched since the last call.
    pub fn drain_effects(&mut self) -> Vec<Dispatched> {
        std::mem::take(&mut self.out)
    }

    /// Runs `command`: its value (`initialized`), `None` for none.
    pub fn command(
        &mut self,
        command: Command,
        now: Millis,
    ) -> Result<Option<Value>, ConflictError> {
        match command {
            Command::Initialize => self.initialized = true,
            Command::Destroy => {
                self.pending.clear();
                self.flush_at = None;
                self.initialized = false;
            }
            Command::Initialized => return Ok(Some(Value::Bool(self.initialized))),
            Command::Dispatch(kind @ TO_ROOMS..=QUEUE, args) => {
                let event = args
                    .get(0)
                    .and_then(Value::as_str)
                    .ok_or(ConflictError("eventType"))?;
                let target = args.get(1).unwrap_or(&Value::Null);
                let payload = args.get(2).cloned().unwrap_or_default();
                if kind == QUEUE {
                    let room = target.as_str().ok_or(ConflictError("roomName"))?;
                    self.pending
                        .push((event.to_owned(), room.to_owned(), payload));
                    self.flush_at.get_or_insert(now.saturating_add(BATCH_MS));
                    return Ok(None);
                }
                // Ids that are not strings are skipped (JavaScript checks them).
                let ids = target.as_array().ok_or(ConflictError("rooms"))?;
                for id in ids.iter().filter_map(Value::as_str) {
                    let room = match kind {
                        TO_USERS => user_room(id),
                        _ => id.to_owned(),
                    };
                    self.send(event, room, payload.clone());
                }
            }
            Command::Dispatch(kind, input) => self.typed(kind, &input, now)?,
        }
        Ok(None)
    }

    /// Sends what is queued once the batch window ended: per room (in the
    /// order rooms first came), one event as itself, several as
    /// `events:batch` `{events: [{type, payload}]}`.
    pub fn handle_timeout(&mut self, now: Millis) {
        if self.flush_at.is_none_or(|at| at > now) {
            return;
        }
        self.flush_at = None;
        let mut pending = std::mem::take(&mut self.pending);
        while let Some(room) = pending.first().map(|(_, r, _)| r.clone()) {
            let (mine, rest) = pending.into_iter().partition(|(_, r, _)| *r == room);
            pending = rest;
            let mut mine: Vec<(String, String, Value)> = mine;
            if mine.len() == 1 {
                if let Some((event, room, payload)) = mine.pop() {
                    self.send(&event, room, payload);
                }
                continue;
            }
            let events = mine.into_iter().map(|(event, _, payload)| {
                let mut item = Map::new();
                item.push("type", event);
                item.push("payload", payload);
                Value::Object(item)
            });
            let mut batch = Map::new();
            batch.push("events", Value::Array(events.collect()));
            self.send("events:batch", room, Value::Object(batch));
        }
    }

    fn send(&mut self, event: &str, room: String, payload: Value) {
        self.out.push(Dispatched {
            event: event.to_owned(),
            room,
            payload,
        });
    }

    /// A random (version 4) UUID.
    fn uuid(&mut self) -> String {
        let hi = (self.rng.next_u64() & !0xF000) | 0x4000;
        let lo = (self.rng.next_u64() >> 2) | (1 << 63);
        let mut hex = String::with_capacity(32);
        push_hex16(&mut hex, hi);
        push_hex16(&mut hex, lo);
        let mut out = String::with_capacity(36);
        for (i, c) in hex.chars().enumerate() {
            if matches!(i, 8 | 12 | 16 | 20) {
                out.push('-');
            }
            out.push(c);
        }
        out
    }

    /// A `dispatch…` of [`KINDS`]: the payload, then its rooms.
    fn typed(&mut self, kind: usize, input: &Value, now: Millis) -> Result<(), ConflictError> {
        let &(event, keys, routes) = KINDS.get(kind).ok_or(ConflictError("kind"))?;
        let channel = text(input, "channelId").ok_or(ConflictError("channelId"))?;
        let at = time::to_json(now);
        let mut payload = Map::new();
        if routes & NO_META == 0 {
            let mut meta = Map::new();
            meta.push("eventId", self.uuid());
            meta.push("timestamp", at.clone());
            meta.push("serverVersion", self.config.server_version.as_str());
            payload.push("meta", meta);
        }
        for token in keys.split(' ') {
            if let Some(key) = token.strip_suffix('@') {
                payload.push(key, at.clone());
                continue;
            }
            let (key, arg) = token.split_once('=').unwrap_or((token, token));
            let value = input.get(arg).filter(|v| !v.is_null()).cloned();
            // `data.type || 'text'`; `hardDelete = false`. (Attachments
            // keep nchat's keys only: the JavaScript layer refuses others.)
            let value = match (key, value) {
                ("type", v) => Some(
                    v.filter(|v| v.as_str() != Some(""))
                        .unwrap_or("text".into()),
                ),
                ("hardDelete", v) => Some(v.unwrap_or(Value::Bool(false))),
                (_, v) => v,
            };
            payload.push_opt(key, value);
        }
        let payload = Value::Object(payload);
        let thread = text(input, "threadId");
        let mut rooms = vec![channel_room(channel)];
        match (routes & (THREAD | THREAD_ALWAYS), thread) {
            (0, _) => {}
            (_, Some(t)) => rooms.push(thread_room(t)),
            (THREAD_ALWAYS, None) => return Err(ConflictError("threadId")),
            _ => {}
        }
        if routes & USER != 0 {
            rooms.push(user_room(
                text(input, "userId").ok_or(ConflictError("userId"))?,
            ));
        }
        for room in rooms {
            self.send(event, room, payload.clone());
        }
        if routes & MENTIONS != 0 {
            self.mentions(input, channel, thread, at);
        }
        Ok(())
    }

    /// `notification` `{id, type: 'mention', title, body, data, createdAt}`
    /// to each mentioned user's room.
    fn mentions(&mut self, input: &Value, channel: &str, thread: Option<&str>, at: Value) {
        let Some(Value::Array(users)) = input.get("mentions") else {
            return;
        };
        let user = input.get("user").unwrap_or(&Value::Null);
        let name = text(user, "displayName")
            .or_else(|| user.get("username").and_then(Value::as_str))
            .unwrap_or("");
        let content = input.get("content").and_then(Value::as_str).unwrap_or("");
        let mut data = Map::new();
        data.push("channelId", channel);
        data.push_opt("messageId", input.get("id").cloned());
        data.push_opt("threadId", thread);
        for id in users.iter().filter_map(Value::as_str) {
            let mut n = Map::new();
            n.push("id", self.uuid());
            n.push("type", "mention");
            n.push("title", cat!(name, " mentioned you"));
            n.push("body", head(content, 100));
            n.push("data", data.clone());
            n.push("createdAt", at.clone());
            self.send("notification", user_room(id), Value::Object(n));
        }
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests;
