//! Typing indicators for channels, threads and DMs.
//!
//! Outgoing: input changes are debounced (`debounce_ms`) before typing starts,
//! `typing:start` is throttled per room (`throttle_ms`), empty input stops at
//! once, and typing stops by itself `typing_timeout_ms` after the last
//! keystroke; until then `typing:start` is renewed every `keepalive_ms` so
//! servers with a shorter expiry keep the indicator. Incoming: `typing:event`
//! payloads keep per-room lists of other users, each expiring
//! `typing_timeout_ms` after it was last reported: the real server never
//! says when an entry expires, so the client expires them itself. Changes
//! are batched (`batch_ms`) into one [`TypingEffect::TypingChanged`]. Users
//! without a name (the real server sends none) show a known name
//! ([`TypingService::set_user_names`], or one an earlier event carried), else
//! their id.
//!
//! Rooms follow [`crate::core::room`]: a channel id `c1` types in
//! `channel:c1`, `dm:42` (as a channel id or [`TypingService::start_typing_in_dm`]`("42")`)
//! in `dm:42`; a thread types in its channel's room with a `threadId` and is
//! keyed `channel:c1:thread:t1`.
//!
//! Sans-IO: the host feeds events and `now`, carries out the queued
//! [`TypingEffect`]s and calls [`TypingService::handle_timeout`] at
//! [`TypingService::next_deadline`] (re-read after every call). Nothing is
//! periodic: with nobody typing there is no deadline.

use crate::core::fifo::Fifo;

use crate::core::vecmap::{VecMap, VecSet};

use crate::core::json::Value;

pub use super::presence::Visibility;
pub use super::room::{RoomInfo, RoomType};
use super::{room, Millis};

mod forms;
mod incoming;
mod own;
#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests;
mod types;
mod wire;

pub use types::{RoomTypingChange, TypingConfig, TypingEffect, TypingPrivacy, TypingUser};
pub use wire::format_typing_text;
use wire::{parse_typing_event, ParsedUser, RoomUpdate, Target};

/// Most user names remembered for users whose typing events carry none.
pub const MAX_KNOWN_NAMES: usize = 5_000;

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
/// Server → client: `{roomName, threadId?, users: [{userId, startedAt, userName?, userAvatar?}]}`.
pub const EVENT_TYPING: &str = "typing:event";
/// Server → client (nchat's): `{updates: [typing:event payload + roomType]}`,
/// several rooms at once; each update counts as one `typing:event`
/// ([`TypingService::handle_typing_event`] takes both).
pub const EVENT_BATCH: &str = "typing:batch";

/// Why a typing call was refused. The service state is unchanged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TypingError {
    /// An empty channel, thread, DM or user id.
    EmptyId(&'static str),
    /// `stop_typing(None, Some(thread))`.
    ThreadWithoutChannel,
    /// An incoming payload of the wrong shape; it was dropped.
    InvalidPayload(String),
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

/// The typing state machine. See the module docs.
#[derive(Debug, Clone)]
pub struct TypingService {
    config: TypingConfig,
    current_user_id: Option<String>,
    connected: bool,
    privacy: TypingPrivacy,
    contacts: VecSet<String>,
    own: VecMap<String, OwnRoom>,
    /// The own room typed in last (nchat's `currentContext`).
    current: Option<String>,
    last_start_sent: VecMap<String, Millis>,
    remote: VecMap<String, Vec<RemoteUser>>,
    names: VecMap<String, String>,
    notified: VecMap<String, Vec<TypingUser>>,
    dirty: VecSet<String>,
    batch_at: Option<Millis>,
    effects: Fifo<TypingEffect>,
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
            contacts: VecSet::new(),
            own: VecMap::new(),
            current: None,
            last_start_sent: VecMap::new(),
            remote: VecMap::new(),
            names: VecMap::new(),
            notified: VecMap::new(),
            dirty: VecSet::new(),
            batch_at: None,
            effects: Fifo::new(),
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
        self.connected && (self.privacy.broadcast_typing || !self.config.privacy_filtering)
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
        if self.privacy.broadcast_typing
            && !privacy.broadcast_typing
            && self.config.privacy_filtering
        {
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

    /// Adds (`true`) or removes (`false`) one contact (nchat's `addContact`
    /// and `removeContact`); re-filters as [`Self::set_contacts`] when the
    /// list changed.
    pub fn set_contact(&mut self, user_id: &str, is_contact: bool, now: Millis) {
        let changed = if is_contact {
            self.contacts.insert(user_id.to_owned())
        } else {
            self.contacts.remove(user_id)
        };
        if changed && self.privacy.typing_visibility == Visibility::Contacts {
            self.mark_all_dirty(now);
        }
    }

    /// Whether `user_id` is one of the current user's contacts.
    pub fn is_contact(&self, user_id: &str) -> bool {
        self.contacts.contains(user_id)
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
            let info = room::parse(&key);
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
        self.effects.take_all()
    }
}
