//! Typing indicators for channels, threads and DMs.
//!
//! Outgoing: input changes are debounced (`debounce_ms`) before typing starts,
//! `typing:start` is throttled per room (`throttle_ms`), empty input stops at
//! once, and typing stops by itself `typing_timeout_ms` after the last
//! keystroke; until then `typing:start` is renewed every `keepalive_ms` so
//! servers with a shorter expiry keep the indicator. Incoming: `typing:event` payloads keep per-room lists of other
//! users, each expiring `typing_timeout_ms` after it was last reported;
//! changes are batched (`batch_ms`) into one [`TypingEffect::TypingChanged`].
//!
//! Sans-IO: the host feeds events and `now`, carries out the queued
//! [`TypingEffect`]s and calls [`TypingService::handle_timeout`] at
//! [`TypingService::next_deadline`] (re-read after every call). Nothing is
//! periodic: with nobody typing there is no deadline.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet, VecDeque};

use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use super::presence::parse_timestamp;
pub use super::presence::Visibility;
use super::Millis;

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests;

/// Quiet time after the last input change before typing starts.
pub const DEBOUNCE_MS: Millis = 300;
/// Minimum time between two `typing:start` emissions for one room.
pub const THROTTLE_MS: Millis = 1_000;
/// Typing stops this long after the last keystroke; other users' indicators
/// expire this long after they were last reported.
pub const TYPING_TIMEOUT_MS: Millis = 5_000;
/// Window in which changes are collected into one notification.
pub const BATCH_MS: Millis = 500;
/// While typing, `typing:start` is re-sent this long after the previous one
/// (until the auto-stop), so a server that expires indicators sooner than
/// [`TYPING_TIMEOUT_MS`] (the test server: 3 s after the last start) keeps
/// showing it until we stop.
pub const KEEPALIVE_MS: Millis = 2_000;

/// Client → server: `{roomName, threadId?}`.
pub const EVENT_START: &str = "typing:start";
/// Client → server: `{roomName, threadId?}`.
pub const EVENT_STOP: &str = "typing:stop";
/// Server → client: `{roomName, threadId?, users: [{userId, userName, userAvatar, startedAt}]}`.
pub const EVENT_TYPING: &str = "typing:event";

/// Why a typing call was refused. The service state is unchanged.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TypingError {
    /// An empty channel, thread, DM or user id.
    #[error("{0} must not be empty")]
    EmptyId(&'static str),
    /// `stop_typing(None, Some(thread))`.
    #[error(
        "a thread id needs its channel id: call stop_typing(Some(channel_id), Some(thread_id))"
    )]
    ThreadWithoutChannel,
    /// An incoming payload of the wrong shape; it was dropped.
    #[error("dropped malformed {EVENT_TYPING} payload: {0}")]
    InvalidPayload(String),
}

/// The kind of a typing room.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RoomType {
    /// `channel:{id}`.
    Channel,
    /// `channel:{id}:thread:{threadId}`.
    Thread,
    /// `dm:{id}`.
    Dm,
}

impl RoomType {
    /// `channel`, `thread` or `dm`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Channel => "channel",
            Self::Thread => "thread",
            Self::Dm => "dm",
        }
    }
}

/// `channel:{channel_id}`.
pub fn channel_room_name(channel_id: &str) -> String {
    format!("channel:{channel_id}")
}

/// `channel:{channel_id}:thread:{thread_id}`.
pub fn thread_room_name(channel_id: &str, thread_id: &str) -> String {
    format!("channel:{channel_id}:thread:{thread_id}")
}

/// `dm:{dm_id}`.
pub fn dm_room_name(dm_id: &str) -> String {
    format!("dm:{dm_id}")
}

/// The channel room, or the thread room when `thread_id` is given.
pub fn room_name(channel_id: &str, thread_id: Option<&str>) -> String {
    match thread_id {
        Some(t) => thread_room_name(channel_id, t),
        None => channel_room_name(channel_id),
    }
}

/// A room name taken apart.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RoomInfo {
    /// Channel, thread or DM.
    pub room_type: RoomType,
    /// The channel id (the DM id for DMs; the whole name for unknown formats).
    pub channel_id: String,
    /// The thread id of thread rooms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thread_id: Option<String>,
}

/// Parses `channel:{id}`, `channel:{id}:thread:{threadId}` and `dm:{id}`.
/// Any other name is treated as a channel whose id is the whole name.
pub fn parse_room_name(name: &str) -> RoomInfo {
    if let Some(dm) = name.strip_prefix("dm:") {
        return RoomInfo {
            room_type: RoomType::Dm,
            channel_id: dm.to_owned(),
            thread_id: None,
        };
    }
    if let Some(rest) = name.strip_prefix("channel:") {
        return match rest.split_once(":thread:") {
            Some((channel, thread)) => RoomInfo {
                room_type: RoomType::Thread,
                channel_id: channel.to_owned(),
                thread_id: Some(thread.to_owned()),
            },
            None => RoomInfo {
                room_type: RoomType::Channel,
                channel_id: rest.to_owned(),
                thread_id: None,
            },
        };
    }
    RoomInfo {
        room_type: RoomType::Channel,
        channel_id: name.to_owned(),
        thread_id: None,
    }
}

/// Another user typing in a room.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TypingUser {
    /// The user.
    pub user_id: String,
    /// Display name (the user id when the server sent none).
    pub user_name: String,
    /// Avatar URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_avatar: Option<String>,
    /// When they started typing (ms).
    pub started_at: Millis,
}

/// Typing privacy of the current user. Defaults: broadcast, everyone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct TypingPrivacy {
    /// Send our typing at all.
    pub broadcast_typing: bool,
    /// Whose typing is shown: everyone, contacts only, or nobody.
    pub typing_visibility: Visibility,
}

impl Default for TypingPrivacy {
    fn default() -> Self {
        Self {
            broadcast_typing: true,
            typing_visibility: Visibility::Everyone,
        }
    }
}

/// The new list of typing users of one room.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RoomTypingChange {
    /// Room name, e.g. `channel:c1:thread:t9`.
    pub room_name: String,
    /// Channel, thread or DM.
    pub room_type: RoomType,
    /// Channel id (DM id for DMs).
    pub channel_id: String,
    /// Thread id for thread rooms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thread_id: Option<String>,
    /// Users typing now (privacy-filtered, without the current user); may be empty.
    pub users: Vec<TypingUser>,
}

/// Something the host must do.
#[derive(Debug, Clone, PartialEq)]
pub enum TypingEffect {
    /// Emit `event` with `payload` on the Socket.IO connection.
    Send {
        /// `typing:start` or `typing:stop`.
        event: &'static str,
        /// `{roomName, threadId?}`.
        payload: Value,
    },
    /// Typing users changed in these rooms (one effect per batch window):
    /// call the `onRoomTypingChange` listeners of each room and the global ones.
    TypingChanged {
        /// One entry per changed room.
        rooms: Vec<RoomTypingChange>,
    },
    /// A debug message (only with `TypingConfig::debug`).
    Log(String),
}

/// Timing parameters of the typing service.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TypingConfig {
    /// Quiet time after the last input change before typing starts.
    pub debounce_ms: Millis,
    /// Start anyway this long after the first keystroke of a burst, so
    /// continuous typing is shown (0: pure debounce, wait for a pause).
    pub debounce_max_wait_ms: Millis,
    /// Minimum time between `typing:start` emissions per room.
    pub throttle_ms: Millis,
    /// Auto-stop after the last keystroke, and expiry of others' indicators.
    pub typing_timeout_ms: Millis,
    /// Batch window for change notifications.
    pub batch_ms: Millis,
    /// Re-send `typing:start` this long after the previous one while typing
    /// (at least `throttle_ms` apart; 0: only on keystrokes).
    pub keepalive_ms: Millis,
    /// Emit [`TypingEffect::Log`] effects.
    pub debug: bool,
}

impl Default for TypingConfig {
    fn default() -> Self {
        Self {
            debounce_ms: DEBOUNCE_MS,
            debounce_max_wait_ms: THROTTLE_MS,
            throttle_ms: THROTTLE_MS,
            typing_timeout_ms: TYPING_TIMEOUT_MS,
            batch_ms: BATCH_MS,
            keepalive_ms: KEEPALIVE_MS,
            debug: false,
        }
    }
}

/// Where we type: internal key plus what goes on the wire.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Target {
    key: String,
    wire_room: String,
    thread_id: Option<String>,
}

impl Target {
    fn channel(channel_id: &str, thread_id: Option<&str>) -> Result<Self, TypingError> {
        if channel_id.is_empty() {
            return Err(TypingError::EmptyId("channel id"));
        }
        if thread_id.is_some_and(str::is_empty) {
            return Err(TypingError::EmptyId("thread id"));
        }
        Ok(Self {
            key: room_name(channel_id, thread_id),
            wire_room: channel_room_name(channel_id),
            thread_id: thread_id.map(str::to_owned),
        })
    }

    fn dm(dm_id: &str) -> Result<Self, TypingError> {
        if dm_id.is_empty() {
            return Err(TypingError::EmptyId("DM id"));
        }
        Ok(Self {
            key: dm_room_name(dm_id),
            wire_room: dm_room_name(dm_id),
            thread_id: None,
        })
    }

    fn payload(&self) -> Value {
        match &self.thread_id {
            Some(t) => json!({ "roomName": self.wire_room, "threadId": t }),
            None => json!({ "roomName": self.wire_room }),
        }
    }
}

/// Our own typing in one room.
#[derive(Debug, Clone)]
struct OwnRoom {
    target: Target,
    /// A start is pending until the input settles.
    debounce_at: Option<Millis>,
    /// First keystroke of the pending burst (for `debounce_max_wait_ms`).
    burst_start: Millis,
    /// Typing has started (after the debounce or an explicit start).
    active: bool,
    /// The server was told `typing:start` and not yet `typing:stop`.
    server_typing: bool,
    /// A start was throttled and goes out when the window ends.
    start_pending: bool,
    /// Typing stops here.
    auto_stop_at: Millis,
}

#[derive(Debug, Clone)]
struct RemoteUser {
    user: TypingUser,
    last_seen: Millis,
}

/// A user entry of a `typing:event` payload.
struct ParsedUser {
    user_id: String,
    user_name: Option<String>,
    user_avatar: Option<String>,
    started_at: Option<Millis>,
}

impl ParsedUser {
    /// `startedAt` from the payload, else from `previous`, else `now`.
    fn into_user(self, previous: Option<&TypingUser>, now: Millis) -> TypingUser {
        TypingUser {
            user_name: self.user_name.unwrap_or_else(|| self.user_id.clone()),
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
enum RoomUpdate {
    /// The complete list of users typing in the room.
    Replace(Vec<ParsedUser>),
    /// One user started (`true`) or stopped typing.
    Single(ParsedUser, bool),
}

fn invalid(reason: impl Into<String>) -> TypingError {
    TypingError::InvalidPayload(reason.into())
}

fn describe(v: Option<&Value>) -> String {
    v.map_or_else(|| "nothing".to_owned(), Value::to_string)
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
        other => Err(invalid(format!(
            "each user must be an object or a user id string, got {other}"
        ))),
    }
}

fn parse_user_fields(obj: &Map<String, Value>) -> Result<ParsedUser, TypingError> {
    let user_id = match obj.get("userId") {
        Some(Value::String(s)) if !s.is_empty() => s.clone(),
        other => {
            return Err(invalid(format!(
                "userId must be a non-empty string, got {}",
                describe(other)
            )))
        }
    };
    let opt_str = |key: &str| match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone()).filter(|s| !s.is_empty())),
        Some(other) => Err(invalid(format!("{key} must be a string, got {other}"))),
    };
    let started_at = match obj.get("startedAt") {
        None | Some(Value::Null) => None,
        Some(v) => Some(parse_timestamp(v).ok_or_else(|| {
            invalid(format!(
                "startedAt must be a ms timestamp or an ISO 8601 string, got {v}"
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

/// The room key and update of a `typing:event` payload.
fn parse_typing_event(payload: &Value) -> Result<(String, RoomUpdate), TypingError> {
    let obj = payload
        .as_object()
        .ok_or_else(|| invalid(format!("expected an object, got {payload}")))?;
    let room = match obj.get("roomName") {
        Some(Value::String(s)) if !s.is_empty() => s.as_str(),
        other => {
            return Err(invalid(format!(
                "roomName must be a non-empty string, got {}",
                describe(other)
            )))
        }
    };
    let thread_id = match obj.get("threadId") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if !s.is_empty() => Some(s.as_str()),
        Some(other) => {
            return Err(invalid(format!(
                "threadId must be a non-empty string, got {other}"
            )))
        }
    };
    let key = match thread_id {
        Some(t) if !room.ends_with(&format!(":thread:{t}")) => format!("{room}:thread:{t}"),
        _ => room.to_owned(),
    };
    let update = match obj.get("users") {
        Some(Value::Array(items)) => {
            let mut users: Vec<ParsedUser> = Vec::with_capacity(items.len());
            for item in items {
                let user = parse_user(item)?;
                if !users.iter().any(|u| u.user_id == user.user_id) {
                    users.push(user);
                }
            }
            RoomUpdate::Replace(users)
        }
        Some(other) => return Err(invalid(format!("users must be an array, got {other}"))),
        None if obj.contains_key("userId") => {
            let user = parse_user_fields(obj)?;
            let typing = match obj.get("isTyping") {
                None | Some(Value::Null) => true,
                Some(Value::Bool(b)) => *b,
                Some(other) => {
                    return Err(invalid(format!("isTyping must be a boolean, got {other}")))
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
        [a] => format!("{} is typing...", a.user_name),
        [a, b] => format!("{} and {} are typing...", a.user_name, b.user_name),
        [a, b, c] => format!(
            "{}, {}, and {} are typing...",
            a.user_name, b.user_name, c.user_name
        ),
        [a, b, rest @ ..] => format!(
            "{}, {}, and {} others are typing...",
            a.user_name,
            b.user_name,
            rest.len()
        ),
    }
}

/// The typing state machine. See the module docs.
#[derive(Debug, Clone)]
pub struct TypingService {
    config: TypingConfig,
    current_user_id: Option<String>,
    connected: bool,
    privacy: TypingPrivacy,
    contacts: HashSet<String>,
    own: BTreeMap<String, OwnRoom>,
    last_start_sent: HashMap<String, Millis>,
    remote: BTreeMap<String, Vec<RemoteUser>>,
    notified: HashMap<String, Vec<TypingUser>>,
    dirty: BTreeSet<String>,
    batch_at: Option<Millis>,
    effects: VecDeque<TypingEffect>,
}

impl Default for TypingService {
    fn default() -> Self {
        Self::new(TypingConfig::default())
    }
}

impl TypingService {
    /// A disconnected service without a current user.
    pub fn new(config: TypingConfig) -> Self {
        Self {
            config,
            current_user_id: None,
            connected: false,
            privacy: TypingPrivacy::default(),
            contacts: HashSet::new(),
            own: BTreeMap::new(),
            last_start_sent: HashMap::new(),
            remote: BTreeMap::new(),
            notified: HashMap::new(),
            dirty: BTreeSet::new(),
            batch_at: None,
            effects: VecDeque::new(),
        }
    }

    /// [`Self::new`] with the current user set.
    pub fn with_user(user_id: &str, config: TypingConfig) -> Result<Self, TypingError> {
        let mut service = Self::new(config);
        service.set_current_user_id(user_id)?;
        Ok(service)
    }

    /// Set the current user, whose own typing events are never shown.
    pub fn set_current_user_id(&mut self, user_id: &str) -> Result<(), TypingError> {
        if user_id.is_empty() {
            return Err(TypingError::EmptyId("user id"));
        }
        self.current_user_id = Some(user_id.to_owned());
        Ok(())
    }

    /// The current user, if set.
    pub fn current_user_id(&self) -> Option<&str> {
        self.current_user_id.as_deref()
    }

    /// The configuration.
    pub fn config(&self) -> &TypingConfig {
        &self.config
    }

    /// Whether the host reported the socket connected.
    pub fn is_connected(&self) -> bool {
        self.connected
    }

    fn log(&mut self, message: impl FnOnce() -> String) {
        if self.config.debug {
            self.effects.push_back(TypingEffect::Log(message()));
        }
    }

    fn can_send(&self) -> bool {
        self.connected && self.privacy.broadcast_typing
    }

    // ----- connection and privacy -------------------------------------------

    /// The socket is connected; typing may be sent from now on.
    pub fn on_connected(&mut self, _now: Millis) {
        self.connected = true;
    }

    /// The socket dropped: our own typing state is cleared, nothing is queued.
    pub fn on_disconnected(&mut self, _now: Millis) {
        self.connected = false;
        self.own.clear();
        self.last_start_sent.clear();
    }

    /// The current privacy settings.
    pub fn privacy(&self) -> TypingPrivacy {
        self.privacy
    }

    /// Change privacy. Turning `broadcastTyping` off stops (and tells the
    /// server about) any typing in progress, then sends nothing more.
    /// Changing `typingVisibility` re-filters shown users (batched).
    pub fn set_privacy(&mut self, privacy: TypingPrivacy, now: Millis) {
        if self.privacy.broadcast_typing && !privacy.broadcast_typing {
            self.stop_all(now);
        }
        let refilter = self.privacy.typing_visibility != privacy.typing_visibility;
        self.privacy = privacy;
        if refilter {
            self.mark_all_dirty(now);
        }
    }

    /// Replace the current user's contacts (used by `typingVisibility: contacts`).
    pub fn set_contacts<I, S>(&mut self, contact_ids: I, now: Millis)
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.contacts = contact_ids.into_iter().map(Into::into).collect();
        if self.privacy.typing_visibility == Visibility::Contacts {
            self.mark_all_dirty(now);
        }
    }

    // ----- own typing ---------------------------------------------------------

    /// Start typing now in a channel (or its thread): sends `typing:start`
    /// unless one went out for this room within `throttle_ms`, and (re)arms
    /// the auto-stop. Does nothing while disconnected or not broadcasting.
    pub fn start_typing(
        &mut self,
        channel_id: &str,
        thread_id: Option<&str>,
        now: Millis,
    ) -> Result<(), TypingError> {
        let target = Target::channel(channel_id, thread_id)?;
        self.start(target, now);
        Ok(())
    }

    /// [`Self::start_typing`] in a thread.
    pub fn start_typing_in_thread(
        &mut self,
        channel_id: &str,
        thread_id: &str,
        now: Millis,
    ) -> Result<(), TypingError> {
        self.start_typing(channel_id, Some(thread_id), now)
    }

    /// [`Self::start_typing`] in a DM (`dm:{dm_id}`).
    pub fn start_typing_in_dm(&mut self, dm_id: &str, now: Millis) -> Result<(), TypingError> {
        let target = Target::dm(dm_id)?;
        self.start(target, now);
        Ok(())
    }

    /// Stop typing in a channel room (`thread_id: None`) or a thread room, or
    /// in every room when `channel_id` is `None`. Sends `typing:stop` for rooms
    /// the server was told we type in.
    pub fn stop_typing(
        &mut self,
        channel_id: Option<&str>,
        thread_id: Option<&str>,
        now: Millis,
    ) -> Result<(), TypingError> {
        match channel_id {
            None if thread_id.is_some() => Err(TypingError::ThreadWithoutChannel),
            None => {
                self.stop_all(now);
                Ok(())
            }
            Some(channel_id) => {
                let target = Target::channel(channel_id, thread_id)?;
                self.stop_room(&target.key, now);
                Ok(())
            }
        }
    }

    /// Stop typing in a DM.
    pub fn stop_typing_in_dm(&mut self, dm_id: &str, now: Millis) -> Result<(), TypingError> {
        let target = Target::dm(dm_id)?;
        self.stop_room(&target.key, now);
        Ok(())
    }

    /// The message input of a channel (or thread) changed to `value`.
    /// Non-blank: typing starts once the input settles for `debounce_ms`
    /// (or `debounce_max_wait_ms` into a burst); while typing, keystrokes
    /// re-arm the auto-stop and re-send `typing:start` at most once per
    /// `throttle_ms`. Blank: stops at once.
    pub fn handle_input_change(
        &mut self,
        channel_id: &str,
        value: &str,
        thread_id: Option<&str>,
        now: Millis,
    ) -> Result<(), TypingError> {
        let target = Target::channel(channel_id, thread_id)?;
        self.input(target, value, now);
        Ok(())
    }

    /// [`Self::handle_input_change`] for a DM.
    pub fn handle_input_change_in_dm(
        &mut self,
        dm_id: &str,
        value: &str,
        now: Millis,
    ) -> Result<(), TypingError> {
        let target = Target::dm(dm_id)?;
        self.input(target, value, now);
        Ok(())
    }

    /// Whether we are typing (started, not stopped) in a channel or thread.
    pub fn is_typing(&self, channel_id: &str, thread_id: Option<&str>) -> bool {
        self.is_typing_in_room(&room_name(channel_id, thread_id))
    }

    /// Whether we are typing in the room with this name.
    pub fn is_typing_in_room(&self, room_name: &str) -> bool {
        self.own.get(room_name).is_some_and(|r| r.active)
    }

    /// Room names we are typing in.
    pub fn own_typing_rooms(&self) -> Vec<String> {
        self.own
            .iter()
            .filter(|(_, r)| r.active)
            .map(|(k, _)| k.clone())
            .collect()
    }

    /// When `typing:start` is re-sent to keep the server's indicator alive:
    /// `keepalive_ms` after the last one, if that is before the auto-stop.
    fn keepalive_at(&self, key: &str, room: &OwnRoom) -> Option<Millis> {
        if self.config.keepalive_ms == 0
            || !room.active
            || !room.server_typing
            || room.start_pending
        {
            return None;
        }
        let interval = self.config.keepalive_ms.max(self.config.throttle_ms);
        let at = self.last_start_sent.get(key)?.saturating_add(interval);
        (at < room.auto_stop_at).then_some(at)
    }

    fn prune_throttle(&mut self, now: Millis) {
        let throttle = self.config.throttle_ms;
        let own = &self.own;
        self.last_start_sent
            .retain(|key, &mut at| own.contains_key(key) || now < at.saturating_add(throttle));
    }

    fn room_entry(&mut self, target: Target, now: Millis) -> &mut OwnRoom {
        self.own.entry(target.key.clone()).or_insert(OwnRoom {
            target,
            debounce_at: None,
            burst_start: now,
            active: false,
            server_typing: false,
            start_pending: false,
            auto_stop_at: now,
        })
    }

    fn start(&mut self, target: Target, now: Millis) {
        if !self.can_send() {
            self.log(|| {
                format!(
                    "not sending typing in {}: offline or not broadcasting",
                    target.key
                )
            });
            return;
        }
        self.prune_throttle(now);
        let timeout = self.config.typing_timeout_ms;
        let key = target.key.clone();
        let room = self.room_entry(target, now);
        room.debounce_at = None;
        room.auto_stop_at = now.saturating_add(timeout);
        self.request_start(&key, now);
    }

    fn input(&mut self, target: Target, value: &str, now: Millis) {
        if value.trim().is_empty() {
            self.stop_room(&target.key, now);
            return;
        }
        if !self.can_send() {
            return;
        }
        self.prune_throttle(now);
        let config = self.config;
        let key = target.key.clone();
        let room = self.room_entry(target, now);
        room.auto_stop_at = now.saturating_add(config.typing_timeout_ms);
        if room.active {
            self.request_start(&key, now);
            return;
        }
        if room.debounce_at.is_none() {
            room.burst_start = now;
        }
        let mut at = now.saturating_add(config.debounce_ms);
        if config.debounce_max_wait_ms > 0 {
            at = at.min(room.burst_start.saturating_add(config.debounce_max_wait_ms));
        }
        room.debounce_at = Some(at);
    }

    /// Marks the room typing and sends `typing:start` unless throttled, in
    /// which case it goes out when the throttle window ends.
    fn request_start(&mut self, key: &str, now: Millis) {
        let throttle = self.config.throttle_ms;
        let allowed = self
            .last_start_sent
            .get(key)
            .is_none_or(|&at| now >= at.saturating_add(throttle));
        let Some(room) = self.own.get_mut(key) else {
            return;
        };
        room.active = true;
        if allowed {
            room.server_typing = true;
            room.start_pending = false;
            let payload = room.target.payload();
            self.last_start_sent.insert(key.to_owned(), now);
            self.effects.push_back(TypingEffect::Send {
                event: EVENT_START,
                payload,
            });
        } else {
            room.start_pending = true;
        }
    }

    fn stop_room(&mut self, key: &str, now: Millis) {
        let Some(room) = self.own.remove(key) else {
            return;
        };
        if room.server_typing && self.connected {
            self.effects.push_back(TypingEffect::Send {
                event: EVENT_STOP,
                payload: room.target.payload(),
            });
        }
        self.prune_throttle(now);
    }

    fn stop_all(&mut self, now: Millis) {
        let keys: Vec<String> = self.own.keys().cloned().collect();
        for key in keys {
            self.stop_room(&key, now);
        }
    }

    // ----- incoming -----------------------------------------------------------

    fn is_visible(&self, user_id: &str) -> bool {
        match self.privacy.typing_visibility {
            Visibility::Everyone => true,
            Visibility::Contacts => self.contacts.contains(user_id),
            Visibility::Nobody => false,
        }
    }

    fn visible_users(&self, key: &str) -> Vec<TypingUser> {
        self.remote
            .get(key)
            .map(|users| {
                users
                    .iter()
                    .filter(|u| self.is_visible(&u.user.user_id))
                    .map(|u| u.user.clone())
                    .collect()
            })
            .unwrap_or_default()
    }

    fn mark_dirty(&mut self, key: &str, now: Millis) {
        self.dirty.insert(key.to_owned());
        if self.batch_at.is_none() {
            self.batch_at = Some(now.saturating_add(self.config.batch_ms));
        }
    }

    fn mark_all_dirty(&mut self, now: Millis) {
        let keys: BTreeSet<String> = self
            .remote
            .keys()
            .chain(self.notified.keys())
            .cloned()
            .collect();
        for key in keys {
            self.mark_dirty(&key, now);
        }
    }

    /// A `typing:event` payload from the server: `{roomName, threadId?, users}`
    /// replaces the room's list (a `{roomName, threadId?, userId, userName?,
    /// userAvatar?, isTyping?}` payload updates one user). The current user is
    /// skipped; users expire `typing_timeout_ms` after their last report.
    /// Malformed payloads are dropped with an error and change nothing.
    pub fn handle_typing_event(&mut self, payload: &Value, now: Millis) -> Result<(), TypingError> {
        let (key, update) = parse_typing_event(payload)?;
        let me = self.current_user_id.as_deref();
        let previous = self.remote.get(&key).map(Vec::as_slice).unwrap_or(&[]);
        let find = |id: &str| {
            previous
                .iter()
                .find(|p| p.user.user_id == id)
                .map(|p| &p.user)
        };
        let seen = |parsed: ParsedUser| {
            let prev = find(&parsed.user_id);
            RemoteUser {
                user: parsed.into_user(prev, now),
                last_seen: now,
            }
        };
        let next: Vec<RemoteUser> = match update {
            RoomUpdate::Replace(users) => users
                .into_iter()
                .filter(|u| Some(u.user_id.as_str()) != me)
                .map(seen)
                .collect(),
            RoomUpdate::Single(user, typing) => {
                let mut list: Vec<RemoteUser> = previous
                    .iter()
                    .filter(|p| p.user.user_id != user.user_id)
                    .cloned()
                    .collect();
                if typing && Some(user.user_id.as_str()) != me {
                    list.push(seen(user));
                }
                list
            }
        };
        if next.is_empty() {
            self.remote.remove(&key);
        } else {
            self.remote.insert(key.clone(), next);
        }
        self.mark_dirty(&key, now);
        Ok(())
    }

    /// Users typing in a channel or thread (privacy-filtered, without the
    /// current user), in the order the server listed them.
    pub fn get_typing_users(&self, channel_id: &str, thread_id: Option<&str>) -> Vec<TypingUser> {
        self.visible_users(&room_name(channel_id, thread_id))
    }

    /// Users typing in the room with this name (e.g. `dm:{id}`).
    pub fn get_typing_users_in_room(&self, room_name: &str) -> Vec<TypingUser> {
        self.visible_users(room_name)
    }

    /// [`format_typing_text`] of [`Self::get_typing_users`].
    pub fn get_typing_text(&self, channel_id: &str, thread_id: Option<&str>) -> String {
        format_typing_text(&self.get_typing_users(channel_id, thread_id))
    }

    /// [`format_typing_text`] of [`Self::get_typing_users_in_room`].
    pub fn get_typing_text_in_room(&self, room_name: &str) -> String {
        format_typing_text(&self.get_typing_users_in_room(room_name))
    }

    /// Forget every other user's typing (batched notification) and stop our own.
    pub fn clear_all_typing_state(&mut self, now: Millis) {
        self.stop_all(now);
        self.mark_all_dirty(now);
        self.remote.clear();
    }

    // ----- timers -------------------------------------------------------------

    /// The earliest instant [`Self::handle_timeout`] must run, or `None` when
    /// nothing is pending (nobody typing, no notification waiting).
    pub fn next_deadline(&self) -> Option<Millis> {
        let throttle = self.config.throttle_ms;
        let own = self.own.iter().flat_map(|(key, r)| {
            let pending = r
                .start_pending
                .then(|| self.last_start_sent.get(key))
                .flatten()
                .map(|&at| at.saturating_add(throttle));
            [
                Some(r.auto_stop_at),
                r.debounce_at,
                pending,
                self.keepalive_at(key, r),
            ]
            .into_iter()
            .flatten()
        });
        let timeout = self.config.typing_timeout_ms;
        let remote = self
            .remote
            .values()
            .flatten()
            .map(|u| u.last_seen.saturating_add(timeout));
        own.chain(remote).chain(self.batch_at).min()
    }

    /// Run what is due at `now`: auto-stop, debounced and throttled starts,
    /// expiry of others' indicators, and the batched notification.
    pub fn handle_timeout(&mut self, now: Millis) {
        enum Due {
            Stop,
            Start,
        }
        let throttle = self.config.throttle_ms;
        let due: Vec<(String, Due)> = self
            .own
            .iter()
            .filter_map(|(key, room)| {
                let throttle_over = self
                    .last_start_sent
                    .get(key)
                    .is_none_or(|&at| now >= at.saturating_add(throttle));
                if now >= room.auto_stop_at {
                    Some((key.clone(), Due::Stop))
                } else if room.debounce_at.is_some_and(|d| now >= d)
                    || (room.start_pending && throttle_over)
                    || self.keepalive_at(key, room).is_some_and(|k| now >= k)
                {
                    Some((key.clone(), Due::Start))
                } else {
                    None
                }
            })
            .collect();
        for (key, due) in due {
            match due {
                Due::Stop => self.stop_room(&key, now),
                Due::Start => {
                    if let Some(room) = self.own.get_mut(&key) {
                        room.debounce_at = None;
                    }
                    self.request_start(&key, now);
                }
            }
        }

        let timeout = self.config.typing_timeout_ms;
        let mut expired_rooms = Vec::new();
        for (key, users) in self.remote.iter_mut() {
            let before = users.len();
            users.retain(|u| now < u.last_seen.saturating_add(timeout));
            if users.len() != before {
                expired_rooms.push(key.clone());
            }
        }
        self.remote.retain(|_, users| !users.is_empty());
        for key in expired_rooms {
            self.mark_dirty(&key, now);
        }

        if self.batch_at.is_some_and(|b| now >= b) {
            self.flush_batch();
        }
    }

    fn flush_batch(&mut self) {
        self.batch_at = None;
        let dirty = std::mem::take(&mut self.dirty);
        let mut rooms = Vec::new();
        for key in dirty {
            let users = self.visible_users(&key);
            let previous = self.notified.get(&key).map(Vec::as_slice).unwrap_or(&[]);
            if users == previous {
                continue;
            }
            if users.is_empty() {
                self.notified.remove(&key);
            } else {
                self.notified.insert(key.clone(), users.clone());
            }
            let info = parse_room_name(&key);
            rooms.push(RoomTypingChange {
                room_name: key,
                room_type: info.room_type,
                channel_id: info.channel_id,
                thread_id: info.thread_id,
                users,
            });
        }
        if !rooms.is_empty() {
            self.effects
                .push_back(TypingEffect::TypingChanged { rooms });
        }
    }

    // ----- effects ------------------------------------------------------------

    /// The next queued effect.
    pub fn poll_effect(&mut self) -> Option<TypingEffect> {
        self.effects.pop_front()
    }

    /// All queued effects, oldest first.
    pub fn drain_effects(&mut self) -> Vec<TypingEffect> {
        self.effects.drain(..).collect()
    }
}
