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

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet, VecDeque};

use serde_json::{json, Value};

use super::{time, Millis};

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

/// Why a presence call was refused. The service state is unchanged.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PresenceError {
    /// A status string that is not one of the four statuses.
    #[error("unknown presence status {0:?}: expected one of online, away, busy, offline")]
    UnknownStatus(String),
    /// A visibility string that is not one of the three values.
    #[error("unknown visibility {0:?}: expected one of everyone, contacts, nobody")]
    UnknownVisibility(String),
    /// The custom status would already be expired.
    #[error(
        "custom status expiry {expires_at} ms is not after now ({now} ms): \
         give a future expiresAt, or none for a status that does not expire"
    )]
    CustomStatusExpired {
        /// The requested expiry.
        expires_at: Millis,
        /// The time of the call.
        now: Millis,
    },
    /// A custom status from the app of the wrong shape.
    #[error("{0}")]
    InvalidCustomStatus(String),
    /// A custom status expiry past the largest date a server can store.
    #[error("custom status expiry {0} ms is past the largest date (+275760-09-13)")]
    CustomStatusExpiryOutOfRange(Millis),
    /// A custom status with neither text nor emoji.
    #[error("custom status needs a text or an emoji; use clear_custom_status to remove it")]
    EmptyCustomStatus,
    /// An empty user id.
    #[error("user id must not be empty")]
    EmptyUserId,
    /// Subscribing would exceed [`MAX_SUBSCRIPTIONS`].
    #[error(
        "cannot subscribe to {requested} more users: {current} already subscribed \
         and the limit is {limit}; unsubscribe from some users first"
    )]
    TooManySubscriptions {
        /// Users subscribed now.
        current: usize,
        /// New (not yet subscribed, de-duplicated) users in the request.
        requested: usize,
        /// The limit.
        limit: usize,
    },
    /// Settings for the current user must go through `update_settings`.
    #[error("{0:?} is the current user: change your own settings with update_settings")]
    OwnSettings(String),
    /// An incoming payload of the wrong shape; it was dropped.
    #[error("dropped malformed {event} payload: {reason}")]
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
    subscriptions: BTreeSet<String>,
    contacts: HashSet<String>,
    user_settings: HashMap<String, PrivacySettings>,
    cache: BTreeMap<String, CachedPresence>,
    effects: VecDeque<PresenceEffect>,
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
            subscriptions: BTreeSet::new(),
            contacts: HashSet::new(),
            user_settings: HashMap::new(),
            cache: BTreeMap::new(),
            effects: VecDeque::new(),
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

    // ----- own status -------------------------------------------------------

    /// The current user's status: `away` during auto-away, otherwise the one chosen.
    pub fn own_status(&self) -> PresenceStatus {
        if self.auto_away {
            PresenceStatus::Away
        } else {
            self.manual_status
        }
    }

    /// The status the user chose with [`Self::set_status`] (ignores auto-away).
    pub fn manual_status(&self) -> PresenceStatus {
        self.manual_status
    }

    /// The status the server is told: `offline` in invisible mode, else [`Self::own_status`].
    pub fn broadcast_status(&self) -> PresenceStatus {
        if self.settings.invisible_mode {
            PresenceStatus::Offline
        } else {
            self.own_status()
        }
    }

    /// Whether idle or hidden-tab auto-away is in effect.
    pub fn is_auto_away(&self) -> bool {
        self.auto_away
    }

    /// Whether invisible mode is on.
    pub fn is_invisible(&self) -> bool {
        self.settings.invisible_mode
    }

    /// Whether the host reported the tab hidden.
    pub fn is_hidden(&self) -> bool {
        self.hidden_since.is_some()
    }

    /// The current user's custom status.
    pub fn custom_status(&self) -> Option<&CustomStatus> {
        self.custom_status.as_ref()
    }

    /// Text of the current user's custom status.
    pub fn custom_status_text(&self) -> Option<&str> {
        self.custom_status.as_ref()?.text.as_deref()
    }

    /// Emoji of the current user's custom status.
    pub fn custom_status_emoji(&self) -> Option<&str> {
        self.custom_status.as_ref()?.emoji.as_deref()
    }

    /// When the current user was last seen (set on disconnect).
    pub fn own_last_seen(&self) -> Option<Millis> {
        self.own_last_seen
    }

    /// Choose a status. It is never overridden by idle detection; choosing
    /// `online` ends auto-away. Counts as activity. Sent when connected.
    pub fn set_status(&mut self, status: PresenceStatus, now: Millis) {
        self.note_activity(now);
        self.change_own(now, |s| {
            s.manual_status = status;
            s.auto_away = false;
        });
    }

    /// [`Self::set_status`] from a string (`online|away|busy|offline`).
    pub fn set_status_str(&mut self, status: &str, now: Millis) -> Result<(), PresenceError> {
        let status = status.parse()?;
        self.set_status(status, now);
        Ok(())
    }

    /// Set the custom status; it clears itself at `expires_at`. Sent when connected.
    pub fn set_custom_status(
        &mut self,
        custom_status: CustomStatus,
        now: Millis,
    ) -> Result<(), PresenceError> {
        if custom_status.is_empty() {
            return Err(PresenceError::EmptyCustomStatus);
        }
        if let Some(expires_at) = custom_status.expires_at.filter(|&e| e <= now) {
            return Err(PresenceError::CustomStatusExpired { expires_at, now });
        }
        if let Some(e) = custom_status.expires_at.filter(|&e| e > time::MAX_MS) {
            return Err(PresenceError::CustomStatusExpiryOutOfRange(e));
        }
        self.change_own(now, |s| s.custom_status = Some(custom_status));
        Ok(())
    }

    /// Remove the custom status. Sent when connected.
    pub fn clear_custom_status(&mut self, now: Millis) {
        self.change_own(now, |s| s.custom_status = None);
    }

    /// Appear offline (`true`) or show the real status again. While invisible
    /// the server is told `offline` without custom status, and auto-away is off.
    pub fn set_invisible_mode(&mut self, invisible: bool, now: Millis) {
        self.change_own(now, |s| {
            s.settings.invisible_mode = invisible;
            if invisible {
                s.auto_away = false;
            }
        });
    }

    /// The current user's privacy settings.
    pub fn settings(&self) -> &PrivacySettings {
        &self.settings
    }

    /// Update the current user's privacy settings (a change of `invisibleMode`
    /// acts like [`Self::set_invisible_mode`]). Returns the new settings; the
    /// host persists them.
    pub fn update_settings(
        &mut self,
        update: PrivacySettingsUpdate,
        now: Millis,
    ) -> PrivacySettings {
        let new = update.apply_to(self.settings);
        self.change_own(now, |s| {
            s.settings = new;
            if new.invisible_mode {
                s.auto_away = false;
            }
        });
        self.settings
    }

    /// Applies `change` to the own state, then emits what changed and sends
    /// the new status when the outgoing payload differs.
    fn change_own(&mut self, now: Millis, change: impl FnOnce(&mut Self)) {
        let before = (
            self.own_status(),
            self.custom_status.clone(),
            self.update_payload(),
        );
        change(self);
        let (status, custom, payload) = before;
        if self.own_status() != status {
            self.effects.push_back(PresenceEffect::OwnStatusChanged {
                status: self.own_status(),
                auto: self.auto_away,
            });
        }
        if self.custom_status != custom {
            self.effects
                .push_back(PresenceEffect::OwnCustomStatusChanged(
                    self.custom_status.clone(),
                ));
        }
        if self.update_payload() != payload {
            self.send_update(now);
        }
    }

    /// The custom status the server is told: none while invisible.
    fn broadcast_custom_status(&self) -> Option<&CustomStatus> {
        self.custom_status
            .as_ref()
            .filter(|_| !self.settings.invisible_mode)
    }

    /// `{status, customStatus}`: the custom status object, or
    /// `null` (none, or invisible) so the server forgets the previous one.
    fn update_payload(&self) -> Value {
        update_payload(self.broadcast_status(), self.broadcast_custom_status())
    }

    /// Sends `presence:update` when connected and restarts the heartbeat.
    fn send_update(&mut self, now: Millis) {
        if !self.connected {
            return;
        }
        self.effects.push_back(PresenceEffect::Send {
            event: EVENT_UPDATE,
            payload: self.update_payload(),
        });
        self.next_heartbeat = (self.config.heartbeat_interval_ms > 0)
            .then(|| now.saturating_add(self.config.heartbeat_interval_ms));
    }

    fn log(&mut self, message: impl FnOnce() -> String) {
        if self.config.debug {
            self.effects.push_back(PresenceEffect::Log(message()));
        }
    }

    // ----- idle detection ---------------------------------------------------

    fn note_activity(&mut self, now: Millis) {
        self.last_activity = Some(self.last_activity.map_or(now, |l| l.max(now)));
    }

    fn auto_away_allowed(&self) -> bool {
        self.manual_status == PresenceStatus::Online && !self.settings.invisible_mode
    }

    /// When auto-away will start, if it can.
    fn away_deadline(&self) -> Option<Millis> {
        if !self.connected || self.auto_away || !self.auto_away_allowed() {
            return None;
        }
        let last = self.last_activity?;
        let idle = (self.config.idle_timeout_ms > 0)
            .then(|| last.saturating_add(self.config.idle_timeout_ms));
        let hidden = self
            .hidden_since
            .map(|h| h.max(last).saturating_add(self.config.hidden_away_delay_ms));
        match (idle, hidden) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    fn evaluate_idle(&mut self, now: Millis) {
        if self.away_deadline().is_some_and(|d| now >= d) {
            self.log(|| format!("auto-away at {now}"));
            self.change_own(now, |s| s.auto_away = true);
        }
    }

    /// User activity (mouse, keyboard, wheel, scroll, touch, pointer) in this
    /// tab or relayed from another tab. Ends auto-away. Calls closer than
    /// `activity_throttle_ms` to the last handled one are only recorded.
    pub fn on_activity(&mut self, now: Millis) {
        if let Some(handled) = self.last_handled_activity {
            if !self.auto_away
                && now >= handled
                && now < handled.saturating_add(self.config.activity_throttle_ms)
            {
                self.note_activity(now);
                return;
            }
        }
        self.last_handled_activity = Some(now);
        self.note_activity(now);
        if self.auto_away {
            self.log(|| format!("activity ends auto-away at {now}"));
            self.change_own(now, |s| s.auto_away = false);
        }
    }

    /// The tab became hidden (`true`) or visible. Hidden: auto-away after
    /// `hidden_away_delay_ms` without activity. Visible: counts as activity
    /// and ends auto-away.
    pub fn on_visibility_change(&mut self, hidden: bool, now: Millis) {
        if hidden {
            if self.hidden_since.is_none() {
                self.hidden_since = Some(now);
            }
            self.evaluate_idle(now);
        } else {
            self.hidden_since = None;
            self.last_handled_activity = None;
            self.on_activity(now);
        }
    }

    // ----- connection -------------------------------------------------------

    /// The socket is (re)connected: sends the current status (with the
    /// custom status: the real server forgets it on every connection) and
    /// all subscriptions, and starts the heartbeat. Call it on every
    /// reconnect.
    pub fn on_connected(&mut self, now: Millis) {
        self.connected = true;
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

    /// Stop tracking users: they are not re-subscribed on reconnect. Local
    /// only (the server contract has no unsubscribe event); cached presence is
    /// kept. Returns how many were subscribed.
    pub fn unsubscribe_from_users<I, S>(&mut self, user_ids: I) -> usize
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        user_ids
            .into_iter()
            .filter(|id| self.subscriptions.remove(id.as_ref()))
            .count()
    }

    /// Subscribed user ids, sorted.
    pub fn subscriptions(&self) -> Vec<String> {
        self.subscriptions.iter().cloned().collect()
    }

    /// Whether `user_id` is subscribed.
    pub fn is_subscribed(&self, user_id: &str) -> bool {
        self.subscriptions.contains(user_id)
    }

    // ----- privacy ----------------------------------------------------------

    /// Replace the current user's contacts. Emits `PresenceChanged` for cached
    /// users whose visible presence changes.
    pub fn set_contacts<I, S>(&mut self, contact_ids: I)
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let contacts: HashSet<String> = contact_ids.into_iter().map(Into::into).collect();
        let before = self.all_views();
        self.contacts = contacts;
        self.emit_view_changes(before);
    }

    /// Whether `user_id` is a contact of the current user.
    pub fn is_contact(&self, user_id: &str) -> bool {
        self.contacts.contains(user_id)
    }

    /// Supply another user's privacy settings (users without any use the
    /// defaults). Emits `PresenceChanged` if their visible presence changes.
    pub fn set_user_settings(
        &mut self,
        user_id: &str,
        settings: PrivacySettings,
    ) -> Result<(), PresenceError> {
        if user_id.is_empty() {
            return Err(PresenceError::EmptyUserId);
        }
        if self.current_user_id.as_deref() == Some(user_id) {
            return Err(PresenceError::OwnSettings(user_id.to_owned()));
        }
        let before = self.all_views();
        self.user_settings.insert(user_id.to_owned(), settings);
        self.emit_view_changes(before);
        Ok(())
    }

    /// Privacy settings used for `user_id` (own settings for the current user).
    pub fn settings_of(&self, user_id: &str) -> PrivacySettings {
        if self.current_user_id.as_deref() == Some(user_id) {
            self.settings
        } else {
            self.user_settings.get(user_id).copied().unwrap_or_default()
        }
    }

    /// Contacts are the current user's, so the relation is known when either
    /// side is the current user.
    fn are_contacts(&self, viewer_id: &str, target_id: &str) -> bool {
        let me = self.current_user_id.as_deref();
        if me == Some(viewer_id) {
            self.contacts.contains(target_id)
        } else if me == Some(target_id) {
            self.contacts.contains(viewer_id)
        } else {
            false
        }
    }

    /// What `viewer_id` may see of `target_id`'s presence: a user always sees
    /// their own; invisible targets appear offline without last seen;
    /// `nobody` hides everything; `contacts` shows only to contacts;
    /// otherwise the `showOnlineStatus`/`showLastSeen` flags decide.
    pub fn can_view_presence(&self, viewer_id: &str, target_id: &str) -> PresenceVisibility {
        let settings = self.settings_of(target_id);
        let is_contact = self.are_contacts(viewer_id, target_id);
        let is_invisible = settings.invisible_mode;
        let hidden = PresenceVisibility {
            can_view_presence: false,
            can_view_online_status: false,
            can_view_last_seen: false,
            is_contact,
            is_invisible,
        };
        if viewer_id == target_id {
            return PresenceVisibility {
                can_view_presence: true,
                can_view_online_status: true,
                can_view_last_seen: true,
                ..hidden
            };
        }
        let allowed = match settings.visibility {
            Visibility::Everyone => true,
            Visibility::Contacts => is_contact,
            Visibility::Nobody => false,
        };
        if is_invisible || !allowed {
            return hidden;
        }
        PresenceVisibility {
            can_view_presence: true,
            can_view_online_status: settings.show_online_status,
            can_view_last_seen: settings.show_last_seen,
            ..hidden
        }
    }

    fn view(&self, user_id: &str, raw: &CachedPresence) -> UserPresence {
        let viewer = self.current_user_id.as_deref().unwrap_or("");
        let vis = self.can_view_presence(viewer, user_id);
        UserPresence {
            user_id: user_id.to_owned(),
            status: if vis.can_view_online_status {
                raw.status
            } else {
                PresenceStatus::Offline
            },
            custom_status: raw.custom_status.clone().filter(|_| vis.can_view_presence),
            last_seen_at: raw.last_seen_at.filter(|_| vis.can_view_last_seen),
        }
    }

    fn all_views(&self) -> Vec<UserPresence> {
        self.cache
            .iter()
            .map(|(id, raw)| self.view(id, raw))
            .collect()
    }

    fn emit_view_changes(&mut self, before: Vec<UserPresence>) {
        let after = self.all_views();
        for (old, new) in before.iter().zip(after) {
            if *old != new {
                self.effects.push_back(PresenceEffect::PresenceChanged(new));
            }
        }
    }

    /// A user's presence as the current user may see it: hidden online status
    /// shows as `offline`, hidden last seen and custom status are omitted.
    /// The current user gets their own unfiltered presence. `None` when unknown.
    pub fn get_presence(&self, user_id: &str) -> Option<UserPresence> {
        if self.current_user_id.as_deref() == Some(user_id) {
            return Some(UserPresence {
                user_id: user_id.to_owned(),
                status: self.own_status(),
                custom_status: self.custom_status.clone(),
                last_seen_at: self.own_last_seen,
            });
        }
        self.cache.get(user_id).map(|raw| self.view(user_id, raw))
    }

    /// Forget all cached presence of other users.
    pub fn clear_cache(&mut self) {
        self.cache.clear();
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
        let msg = parse_presence_changed(payload)?;
        if self.current_user_id.as_deref() == Some(msg.user_id.as_str()) {
            self.on_own_echo(&msg, now);
            return Ok(());
        }
        let prev = self.cache.get(&msg.user_id);
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
    /// timeout or a disconnect). Its presences go through
    /// [`Self::handle_presence_changed`]; returns how many were taken. A
    /// missing answer is not retried: the real server has no such event, and
    /// presence keeps following `presence:changed` broadcasts.
    pub fn handle_subscribe_answer(
        &mut self,
        answer: &Result<Value, String>,
        now: Millis,
    ) -> Result<usize, PresenceError> {
        let list = subscribe_answer(answer)?.clone();
        Ok(list
            .iter()
            .filter(|p| self.handle_presence_changed(p, now).is_ok())
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
            self.log(|| format!("custom status expired at {now}"));
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
        self.effects.drain(..).collect()
    }
}
