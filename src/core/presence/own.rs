//! The current user's presence: chosen status, custom status, invisible
//! mode, idle and hidden-tab auto-away, and what is sent about it.

use crate::core::json::Value;

use super::{update_payload, CustomStatus, PresenceError, PresenceService, PresenceStatus};
use super::{PresenceEffect, PrivacySettings, PrivacySettingsUpdate, EVENT_UPDATE};
use crate::core::{time, Millis};

impl PresenceService {
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
    pub(super) fn change_own(&mut self, now: Millis, change: impl FnOnce(&mut Self)) {
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
    pub(super) fn broadcast_custom_status(&self) -> Option<&CustomStatus> {
        self.custom_status
            .as_ref()
            .filter(|_| !self.settings.invisible_mode)
    }

    /// `{status, customStatus}`: the custom status object, or
    /// `null` (none, or invisible) so the server forgets the previous one.
    pub(super) fn update_payload(&self) -> Value {
        update_payload(self.broadcast_status(), self.broadcast_custom_status())
    }

    /// Sends `presence:update` when connected and restarts the heartbeat.
    pub(super) fn send_update(&mut self, now: Millis) {
        if !self.connected {
            return;
        }
        self.effects.push_back(PresenceEffect::Send {
            event: EVENT_UPDATE,
            payload: self.update_payload(),
        });
        self.next_heartbeat = (self.config.heartbeat_interval_ms > 0 && !self.heartbeat_stopped)
            .then(|| now.saturating_add(self.config.heartbeat_interval_ms));
    }

    /// nchat's `startHeartbeat`: a stopped heartbeat sends the status now
    /// (when connected) and every interval again; a running one goes on.
    pub fn start_heartbeat(&mut self, now: Millis) {
        if self.heartbeat_stopped {
            self.heartbeat_stopped = false;
            self.send_update(now);
        }
    }

    /// nchat's `stopHeartbeat`: no more periodic `presence:update` until
    /// `start_heartbeat` or the next connection (status changes still go out).
    pub fn stop_heartbeat(&mut self) {
        self.heartbeat_stopped = true;
        self.next_heartbeat = None;
    }

    pub(super) fn log(&mut self, message: impl FnOnce() -> String) {
        if self.config.debug {
            self.effects.push_back(PresenceEffect::Log(message()));
        }
    }

    // ----- idle detection ---------------------------------------------------

    pub(super) fn note_activity(&mut self, now: Millis) {
        self.last_activity = Some(self.last_activity.map_or(now, |l| l.max(now)));
    }

    pub(super) fn auto_away_allowed(&self) -> bool {
        self.manual_status == PresenceStatus::Online && !self.settings.invisible_mode
    }

    /// When auto-away will start, if it can.
    pub(super) fn away_deadline(&self) -> Option<Millis> {
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

    pub(super) fn evaluate_idle(&mut self, now: Millis) {
        if self.away_deadline().is_some_and(|d| now >= d) {
            self.log(|| crate::core::decimal::cat!("auto-away at ", now));
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
            self.log(|| crate::core::decimal::cat!("activity ends auto-away at ", now));
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
}
