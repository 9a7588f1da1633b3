//! Presence: the current user's status (manual choice, auto-away from idling or
//! a hidden tab, invisible mode), custom status with expiry, heartbeat,
//! subscriptions, and a cache of other users' presence filtered by their
//! privacy settings.
//!
//! The wire shapes (the real server's and the extended test server's) are
//! in `wire.rs`; dates go out as ISO-8601 ([`crate::core::time`]).
//!
//! Sans-IO: the host feeds events and `now`, carries out the queued
//! [`PresenceEffect`]s and calls [`PresenceService::handle_timeout`] at
//! [`PresenceService::next_deadline`]. Re-read `next_deadline()` after every
//! call and keep a single timer armed for it.

use crate::core::fifo::Fifo;

use crate::core::vecmap::{VecMap, VecSet};

use crate::core::json::{json, Value};

use super::Millis;

mod forms;
mod own;
mod privacy;
mod types;
mod wire;

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests;

pub use types::{
    CustomStatus, PresenceConfig, PresenceStatus, PresenceVisibility, PrivacySettings,
    PrivacySettingsUpdate, UserPresence, Visibility,
};
pub use wire::{
    decode_custom_status, encode_custom_status, parse_custom_status_input, update_payload,
    CUSTOM_STATUS_KEYS,
};
use wire::{parse_presence_changed, subscribe_answer};

/// Most users one client may subscribe to.
pub const MAX_SUBSCRIPTIONS: usize = 100;
/// Client → server: `{status, customStatus: {text?, emoji?, expiresAt?: ISO-8601} | null}`
/// ([`update_payload`]); `null` clears the custom status (the real server
/// also clears it when the key is missing).
pub const EVENT_UPDATE: &str = "presence:update";
/// Client → server: `{userIds}`. An extension of the test server that the
/// real server lacks: its answer only fills the cache sooner, presence works
/// from `presence:changed` broadcasts without it.
pub const EVENT_SUBSCRIBE: &str = "presence:subscribe";
/// Server → client, to every socket (the sender's too): `{userId, status,
/// customStatus: text | null, customEmoji}` from the real server, or `{userId,
/// status, customStatus?: {text?, emoji?, expiresAt?}, lastSeenAt?}`; see
/// `wire.rs`.
pub const EVENT_CHANGED: &str = "presence:changed";
/// Client → server: `{userIds}` of users no longer followed (nchat's; sent
/// only when connected, as nchat does).
pub const EVENT_UNSUBSCRIBE: &str = "presence:unsubscribe";
/// Client → server with an ack: `{userIds}`, answered `{success, data:
/// {presences: [{userId, status, customStatus?, lastSeen?}]}}` (nchat's
/// `fetchPresence`).
pub const EVENT_GET: &str = "presence:get";
/// Server → client: `{presences: [...]}` as in a `presence:get` answer; each
/// goes through the cache like a `presence:changed`.
pub const EVENT_BULK: &str = "presence:bulk";

/// Why a presence call was refused. The service state is unchanged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PresenceError {
    /// A status string that is not one of the four statuses.
    UnknownStatus(String),
    /// A visibility string that is not one of the three values.
    UnknownVisibility(String),
    /// The custom status would already be expired.
    CustomStatusExpired {
        /// The requested expiry.
        expires_at: Millis,
        /// The time of the call.
        now: Millis,
    },
    /// A custom status from the app of the wrong shape.
    InvalidCustomStatus(String),
    /// A custom status expiry past the largest date a server can store.
    CustomStatusExpiryOutOfRange(Millis),
    /// A custom status with neither text nor emoji.
    EmptyCustomStatus,
    /// An empty user id.
    EmptyUserId,
    /// Subscribing would exceed [`MAX_SUBSCRIPTIONS`].
    TooManySubscriptions {
        /// Users subscribed now.
        current: usize,
        /// New (not yet subscribed, de-duplicated) users in the request.
        requested: usize,
        /// The limit.
        limit: usize,
    },
    /// Settings for the current user must go through `update_settings`.
    OwnSettings(String),
    /// An incoming payload of the wrong shape; it was dropped.
    InvalidPayload {
        /// The event name.
        event: &'static str,
        /// What was wrong.
        reason: String,
    },
}

/// Something the host must do.
#[derive(Debug, Clone, PartialEq)]
pub enum PresenceEffect {
    /// Emit `event` with `payload` on the Socket.IO connection.
    Send {
        /// Event name, e.g. `presence:update`.
        event: &'static str,
        /// JSON payload.
        payload: Value,
    },
    /// Another user's presence changed (already filtered for the current
    /// user): call the app's `onPresenceChange` listeners.
    PresenceChanged(UserPresence),
    /// The current user's own status changed (`auto` when idle/hidden-tab
    /// auto-away set it, false for a manual choice or a restore).
    OwnStatusChanged {
        /// The new status.
        status: PresenceStatus,
        /// Whether auto-away is in effect.
        auto: bool,
    },
    /// The current user's custom status changed (set, cleared, or expired).
    OwnCustomStatusChanged(Option<CustomStatus>),
    /// A debug message (only with `PresenceConfig::debug`).
    Log(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct CachedPresence {
    status: PresenceStatus,
    custom_status: Option<CustomStatus>,
    last_seen_at: Option<Millis>,
    /// The [`PresenceService::mark`] of the broadcast that set it (0: none
    /// did), so a snapshot asked for before it cannot undo it.
    heard: u64,
}

/// The presence state machine. See the module docs.
#[derive(Debug, Clone)]
pub struct PresenceService {
    config: PresenceConfig,
    current_user_id: Option<String>,
    connected: bool,
    manual_status: PresenceStatus,
    auto_away: bool,
    custom_status: Option<CustomStatus>,
    settings: PrivacySettings,
    own_last_seen: Option<Millis>,
    last_activity: Option<Millis>,
    last_handled_activity: Option<Millis>,
    hidden_since: Option<Millis>,
    next_heartbeat: Option<Millis>,
    /// `stop_heartbeat` ran (until `start_heartbeat` or the next connection).
    heartbeat_stopped: bool,
    subscriptions: VecSet<String>,
    contacts: VecSet<String>,
    user_settings: VecMap<String, PrivacySettings>,
    cache: VecMap<String, CachedPresence>,
    /// How many broadcasts were taken: see [`Self::mark`].
    heard: u64,
    effects: Fifo<PresenceEffect>,
}

impl Default for PresenceService {
    fn default() -> Self {
        Self::new(PresenceConfig::default())
    }
}

impl PresenceService {
    /// A disconnected service, status `online`, no current user yet.
    pub fn new(config: PresenceConfig) -> Self {
        Self {
            config,
            current_user_id: None,
            connected: false,
            manual_status: PresenceStatus::Online,
            auto_away: false,
            custom_status: None,
            settings: PrivacySettings::default(),
            own_last_seen: None,
            last_activity: None,
            last_handled_activity: None,
            hidden_since: None,
            next_heartbeat: None,
            heartbeat_stopped: false,
            subscriptions: VecSet::new(),
            contacts: VecSet::new(),
            user_settings: VecMap::new(),
            cache: VecMap::new(),
            heard: 0,
            effects: Fifo::new(),
        }
    }

    /// [`Self::new`] with the current user set.
    pub fn with_user(user_id: &str, config: PresenceConfig) -> Result<Self, PresenceError> {
        let mut service = Self::new(config);
        service.set_current_user_id(user_id)?;
        Ok(service)
    }

    /// Set the current (viewing) user.
    pub fn set_current_user_id(&mut self, user_id: &str) -> Result<(), PresenceError> {
        if user_id.is_empty() {
            return Err(PresenceError::EmptyUserId);
        }
        self.current_user_id = Some(user_id.to_owned());
        Ok(())
    }

    /// The current user, if set.
    pub fn current_user_id(&self) -> Option<&str> {
        self.current_user_id.as_deref()
    }

    /// The configuration.
    pub fn config(&self) -> &PresenceConfig {
        &self.config
    }

    /// Whether the host reported the socket connected.
    pub fn is_connected(&self) -> bool {
        self.connected
    }

    // ----- connection -------------------------------------------------------

    /// The socket is (re)connected: sends the current status (with the
    /// custom status: the real server forgets it on every connection) and
    /// all subscriptions, and starts the heartbeat. Call it on every
    /// reconnect.
    pub fn on_connected(&mut self, now: Millis) {
        self.connected = true;
        self.heartbeat_stopped = false;
        if self.last_activity.is_none() {
            self.last_activity = Some(now);
        }
        if self.away_deadline().is_some_and(|d| now >= d) {
            self.auto_away = true;
            self.effects.push_back(PresenceEffect::OwnStatusChanged {
                status: PresenceStatus::Away,
                auto: true,
            });
        }
        self.send_update(now);
        if !self.subscriptions.is_empty() {
            let ids: Vec<&String> = self.subscriptions.iter().collect();
            let payload = json!({ "userIds": ids });
            self.effects.push_back(PresenceEffect::Send {
                event: EVENT_SUBSCRIBE,
                payload,
            });
        }
    }

    /// The socket dropped: stops the heartbeat and records the own last seen.
    pub fn on_disconnected(&mut self, now: Millis) {
        if self.connected {
            self.own_last_seen = Some(now);
        }
        self.connected = false;
        self.next_heartbeat = None;
    }

    // ----- subscriptions ----------------------------------------------------

    /// Subscribe to users' presence. Ids already subscribed and duplicates are
    /// skipped; new ones are sent as `presence:subscribe` when connected (all
    /// are re-sent on reconnect). Fails without subscribing anything if an id
    /// is empty or the total would exceed [`MAX_SUBSCRIPTIONS`]. Returns the
    /// number of newly subscribed users.
    pub fn subscribe_to_users<I, S>(&mut self, user_ids: I) -> Result<usize, PresenceError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let mut new: Vec<String> = Vec::new();
        for id in user_ids {
            let id = id.as_ref();
            if id.is_empty() {
                return Err(PresenceError::EmptyUserId);
            }
            if !self.subscriptions.contains(id) && !new.iter().any(|n| n == id) {
                new.push(id.to_owned());
            }
        }
        if self.subscriptions.len().saturating_add(new.len()) > MAX_SUBSCRIPTIONS {
            return Err(PresenceError::TooManySubscriptions {
                current: self.subscriptions.len(),
                requested: new.len(),
                limit: MAX_SUBSCRIPTIONS,
            });
        }
        self.subscriptions.extend(new.iter().cloned());
        if self.connected && !new.is_empty() {
            self.effects.push_back(PresenceEffect::Send {
                event: EVENT_SUBSCRIBE,
                payload: json!({ "userIds": new }),
            });
        }
        Ok(new.len())
    }

    /// Stop tracking users: they are not re-subscribed on reconnect and
    /// their cached presence goes (as nchat's). Those that were subscribed
    /// are sent as `presence:unsubscribe {userIds}` when connected. Returns
    /// how many were subscribed.
    pub fn unsubscribe_from_users<I, S>(&mut self, user_ids: I) -> usize
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let mut gone: Vec<String> = Vec::new();
        for id in user_ids {
            let id = id.as_ref();
            if self.subscriptions.remove(id) {
                self.cache.remove(id);
                gone.push(id.to_owned());
            }
        }
        if self.connected && !gone.is_empty() {
            self.effects.push_back(PresenceEffect::Send {
                event: EVENT_UNSUBSCRIBE,
                payload: json!({ "userIds": gone }),
            });
        }
        gone.len()
    }

    /// Every other user's cached presence (filtered), sorted by user id:
    /// what nchat's `fetchPresence` resolves with.
    pub fn presences(&self) -> Vec<UserPresence> {
        self.cache
            .iter()
            .map(|(id, raw)| self.view(id, raw))
            .collect()
    }

    /// Subscribed user ids, sorted.
    pub fn subscriptions(&self) -> Vec<String> {
        self.subscriptions.iter().cloned().collect()
    }

    /// Whether `user_id` is subscribed.
    pub fn is_subscribed(&self, user_id: &str) -> bool {
        self.subscriptions.contains(user_id)
    }

    // ----- incoming ---------------------------------------------------------

    /// A `presence:changed` payload from the server. Updates the cache and
    /// emits `PresenceChanged` (filtered) when what the current user sees
    /// changed (so heartbeat re-broadcasts are silent). Malformed payloads are
    /// dropped with an error and change nothing. Payloads about the current
    /// user never reach the app; a server reset of our presence is answered
    /// (see `on_own_echo`). A user going offline without `lastSeenAt` is last
    /// seen `now`.
    pub fn handle_presence_changed(
        &mut self,
        payload: &Value,
        now: Millis,
    ) -> Result<(), PresenceError> {
        self.heard = self.heard.saturating_add(1);
        self.take(payload, now, None)
    }

    /// How many broadcasts the cache has taken so far. A request for a
    /// snapshot (`presence:subscribe`, `presence:get`) keeps the mark of when
    /// it was sent: its answer may arrive after a newer broadcast (over SSE
    /// the answer is an HTTP response, the broadcast is on the stream), and
    /// must not undo it.
    pub fn mark(&self) -> u64 {
        self.heard
    }

    /// One presence into the cache: a broadcast (`since` `None`), or a
    /// snapshot's entry, skipped when a broadcast after `since` set it.
    fn take(
        &mut self,
        payload: &Value,
        now: Millis,
        since: Option<u64>,
    ) -> Result<(), PresenceError> {
        let msg = parse_presence_changed(payload)?;
        if self.current_user_id.as_deref() == Some(msg.user_id.as_str()) {
            self.on_own_echo(&msg, now);
            return Ok(());
        }
        let prev = self.cache.get(&msg.user_id);
        if let (Some(since), Some(p)) = (since, prev) {
            if p.heard > since {
                return Ok(());
            }
        }
        let last_seen_at = msg.last_seen_at.or_else(|| {
            let went_offline = msg.status == PresenceStatus::Offline
                && prev.is_some_and(|p| p.status != PresenceStatus::Offline);
            if went_offline {
                Some(now)
            } else {
                prev.and_then(|p| p.last_seen_at)
            }
        });
        let raw = CachedPresence {
            status: msg.status,
            custom_status: msg.custom_status.filter(|cs| !cs.is_expired(now)),
            last_seen_at,
            heard: if since.is_some() {
                prev.map_or(0, |p| p.heard)
            } else {
                self.heard
            },
        };
        let old_view = prev.map(|p| self.view(&msg.user_id, p));
        let view = self.view(&msg.user_id, &raw);
        self.cache.insert(msg.user_id, raw);
        if old_view.as_ref() != Some(&view) {
            self.effects
                .push_back(PresenceEffect::PresenceChanged(view));
        }
        Ok(())
    }

    /// The server's word about the current user. The real server resets a
    /// user to `online` without custom status whenever one of their sockets
    /// connects (this one, before it listens to us, or another tab), and
    /// tells every socket. When such a reset contradicts what this tab
    /// broadcasts, the status is sent again. Only reset-shaped echoes are
    /// corrected, so two tabs with different statuses cannot ping-pong.
    fn on_own_echo(&mut self, echo: &wire::PresenceChanged, now: Millis) {
        let is_reset = echo.status == PresenceStatus::Online && echo.custom_status.is_none();
        let want_reset = self.broadcast_status() == PresenceStatus::Online
            && self.broadcast_custom_status().is_none();
        if self.connected && is_reset && !want_reset {
            self.log(|| "the server reset our presence: sending it again".to_owned());
            self.send_update(now);
        }
    }

    /// The answer to `presence:subscribe` (`Err(text)` when none came: a
    /// timeout or a disconnect), asked at [`Self::mark`] `since`. Its
    /// presences go into the cache, except where a broadcast heard since
    /// then is newer; returns how many were read. A missing answer is not
    /// retried: the real server has no such event, and presence keeps
    /// following `presence:changed` broadcasts.
    pub fn handle_subscribe_answer(
        &mut self,
        answer: &Result<Value, String>,
        since: u64,
        now: Millis,
    ) -> Result<usize, PresenceError> {
        self.handle_presences(EVENT_SUBSCRIBE, answer, Some(since), now)
    }

    /// A list of presences under `event`: the answer of `presence:subscribe`
    /// or `presence:get` asked at mark `since`, or a `presence:bulk` payload
    /// (`Ok` of it, `since` `None`: taken as broadcasts); as
    /// [`Self::handle_subscribe_answer`].
    pub fn handle_presences(
        &mut self,
        event: &'static str,
        answer: &Result<Value, String>,
        since: Option<u64>,
        now: Millis,
    ) -> Result<usize, PresenceError> {
        let list = subscribe_answer(event, answer)?.clone();
        Ok(list
            .iter()
            .filter(|p| match since {
                Some(_) => self.take(p, now, since).is_ok(),
                None => self.handle_presence_changed(p, now).is_ok(),
            })
            .count())
    }

    // ----- timers -----------------------------------------------------------

    /// The earliest instant [`Self::handle_timeout`] must run, or `None` when
    /// nothing is pending (disconnected and no custom status expiring).
    pub fn next_deadline(&self) -> Option<Millis> {
        let heartbeat = self.next_heartbeat.filter(|_| self.connected);
        let own_expiry = self.custom_status.as_ref().and_then(|cs| cs.expires_at);
        let others_expiry = self
            .cache
            .values()
            .filter_map(|p| p.custom_status.as_ref()?.expires_at)
            .min();
        [heartbeat, self.away_deadline(), own_expiry, others_expiry]
            .into_iter()
            .flatten()
            .min()
    }

    /// Run what is due at `now`: custom status expiry, auto-away, heartbeat.
    pub fn handle_timeout(&mut self, now: Millis) {
        if self
            .custom_status
            .as_ref()
            .is_some_and(|cs| cs.is_expired(now))
        {
            self.log(|| crate::core::decimal::cat!("custom status expired at ", now));
            self.change_own(now, |s| s.custom_status = None);
        }
        let expired: Vec<String> = self
            .cache
            .iter()
            .filter(|(_, p)| {
                p.custom_status
                    .as_ref()
                    .is_some_and(|cs| cs.is_expired(now))
            })
            .map(|(id, _)| id.clone())
            .collect();
        for id in expired {
            if let Some(raw) = self.cache.get_mut(&id) {
                raw.custom_status = None;
            }
            if let Some(view) = self.get_presence(&id) {
                self.effects
                    .push_back(PresenceEffect::PresenceChanged(view));
            }
        }
        self.evaluate_idle(now);
        if self.connected && self.next_heartbeat.is_some_and(|h| now >= h) {
            self.send_update(now);
        }
    }

    // ----- effects ----------------------------------------------------------

    /// The next queued effect.
    pub fn poll_effect(&mut self) -> Option<PresenceEffect> {
        self.effects.pop_front()
    }

    /// All queued effects, oldest first.
    pub fn drain_effects(&mut self) -> Vec<PresenceEffect> {
        self.effects.take_all()
    }
}
