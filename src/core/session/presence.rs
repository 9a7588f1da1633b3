//! Presence services on the session: attach, commands, and where their
//! effects go (`presence:update` through the connection, `presence:subscribe`
//! as a request whose answer fills the cache, changes to the app).

use crate::core::json::Value;

use super::{Answer, Event, Handle, Session, SessionError, Ticket, Waiter};
use crate::core::json::json;
use crate::core::presence::{
    CustomStatus, PresenceConfig, PresenceEffect, PresenceError, PresenceService, PresenceStatus,
    PrivacySettings, PrivacySettingsUpdate, EVENT_GET, EVENT_SUBSCRIBE,
};
use crate::core::Millis;

/// How a presence service starts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PresenceAttach {
    /// The current user; `None`: the connection's user, now and on every
    /// connect (and an `authenticated` event's).
    pub user_id: Option<String>,
    /// The page is hidden now.
    pub hidden: bool,
}

/// A presence service in the session.
pub(super) struct PresenceSlot {
    pub core: PresenceService,
    /// The app gave the user: the connection's does not replace it.
    pub fixed_user: bool,
    /// The early deadline bound reported for it.
    pub bound: Option<Millis>,
}

impl Session {
    /// Attaches a presence service; it starts at once when connected.
    pub fn attach_presence(
        &mut self,
        config: PresenceConfig,
        attach: PresenceAttach,
        now: Millis,
    ) -> Result<Handle, SessionError> {
        self.now = now;
        let mut core = PresenceService::new(config);
        let fixed_user = attach.user_id.is_some();
        let user = attach.user_id.or_else(|| {
            self.conn
                .as_ref()
                .and_then(|c| c.user_id().map(str::to_owned))
        });
        if let Some(id) = user {
            core.set_current_user_id(&id)?;
        }
        if attach.hidden {
            core.on_visibility_change(true, now);
        }
        if self.is_connected() {
            core.on_connected(now);
        }
        let handle = self.add_service(super::services::Machine::Presence(Box::new(PresenceSlot {
            core,
            fixed_user,
            bound: None,
        })));
        self.route();
        Ok(handle)
    }

    /// The presence machine of `handle` (for reads).
    pub fn presence(&self, handle: Handle) -> Result<&PresenceService, SessionError> {
        self.slot_ref::<PresenceSlot>(handle).map(|s| &s.core)
    }

    /// Runs a presence command `f` (see [`PresenceCommands`]), then routes.
    pub fn presence_do<T>(
        &mut self,
        handle: Handle,
        now: Millis,
        f: impl FnOnce(&mut PresenceCommands<'_>, Millis) -> Result<T, PresenceError>,
    ) -> Result<T, SessionError> {
        self.on_slot(handle, now, |s: &mut PresenceSlot, now| {
            Ok(f(&mut PresenceCommands(&mut s.core), now)?)
        })
    }

    /// Makes `user_id` the service's current user (nchat's
    /// `setCurrentUserId`), kept over the connection's; `None` follows the
    /// connection's user again.
    pub fn presence_set_user(
        &mut self,
        handle: Handle,
        user_id: Option<&str>,
        now: Millis,
    ) -> Result<(), SessionError> {
        let user = self.client_user(user_id);
        self.on_slot(handle, now, |s: &mut PresenceSlot, _| {
            if let Some(id) = user {
                s.core.set_current_user_id(&id)?;
            }
            s.fixed_user = user_id.is_some();
            Ok(())
        })
    }

    /// User activity heard by the service's monitor (this page or a relay
    /// from another tab).
    pub fn presence_activity(&mut self, handle: Handle, now: Millis) -> Result<(), SessionError> {
        self.on_slot(handle, now, |s: &mut PresenceSlot, now| {
            s.core.on_activity(now);
            Ok(())
        })
    }

    pub(super) fn presence_effects(&mut self, handle: Handle, effects: Vec<PresenceEffect>) {
        for effect in effects {
            match effect {
                PresenceEffect::Send { event, payload } if event == EVENT_SUBSCRIBE => {
                    let mark = self.presence_mark(handle);
                    let waiter = Waiter::Subscribe(handle, mark);
                    if let Err(e) = self.request_for(waiter, event, &payload, None) {
                        self.subscribe_answer(handle, mark, Err(e.message()));
                    }
                }
                PresenceEffect::Send { event, payload } => {
                    self.emit_for(handle, event, &payload, false)
                }
                PresenceEffect::PresenceChanged(p) => self.event(handle, Event::PresenceChanged(p)),
                PresenceEffect::OwnStatusChanged { status, auto } => {
                    self.event(handle, Event::OwnStatus { status, auto })
                }
                PresenceEffect::OwnCustomStatusChanged(cs) => {
                    self.event(handle, Event::OwnCustomStatus(cs))
                }
                PresenceEffect::Log(m) => self.event(handle, Event::Log(m)),
            }
        }
    }

    /// The answer to `presence:subscribe` (an extension; the real server
    /// never answers): a missing one is only reported, not retried.
    pub(super) fn subscribe_answer(
        &mut self,
        handle: Handle,
        mark: u64,
        answer: Result<Value, String>,
    ) {
        self.presences_in(handle, EVENT_SUBSCRIBE, mark, &answer);
    }

    /// The presence service's mark now (see [`PresenceService::mark`]).
    fn presence_mark(&self, handle: Handle) -> u64 {
        self.slot_ref::<PresenceSlot>(handle)
            .map_or(0, |s| s.core.mark())
    }

    /// A snapshot's presences for the cache of `handle`, asked at `mark`; a
    /// bad one reaches the app as [`Event::Dropped`].
    fn presences_in(
        &mut self,
        handle: Handle,
        event: &'static str,
        mark: u64,
        answer: &Result<Value, String>,
    ) {
        let now = self.now;
        let Ok(s) = self.slot::<PresenceSlot>(handle) else {
            return;
        };
        if let Err(e) = s.core.handle_presences(event, answer, Some(mark), now) {
            self.event(handle, Event::Dropped(e.into()));
        }
        self.drain_service(handle);
    }

    /// nchat's `fetchPresence`: asks `presence:get {userIds}` and completes
    /// with every cached presence once answered. Never fails once started:
    /// disconnected, refused or unanswered, it completes with the cache as
    /// it is (as nchat's does).
    pub fn presence_fetch(
        &mut self,
        handle: Handle,
        user_ids: Vec<String>,
        now: Millis,
    ) -> Result<Ticket, SessionError> {
        self.now = now;
        if user_ids.iter().any(String::is_empty) {
            return Err(PresenceError::EmptyUserId.into());
        }
        let core = &self.slot::<PresenceSlot>(handle)?.core;
        let (connected, mark) = (core.is_connected(), core.mark());
        let ticket = self.ticket();
        let sent = connected
            && self
                .request_for(
                    Waiter::Fetch(handle, ticket, mark),
                    EVENT_GET,
                    &json!({ "userIds": user_ids }),
                    None,
                )
                .is_ok();
        if !sent {
            self.fetch_answer(handle, ticket, mark, Err(String::new()));
        }
        self.route();
        Ok(ticket)
    }

    /// A `presence:get` answer: taken into the cache (a bad one only
    /// reported), then the ticket completes with the whole cache.
    pub(super) fn fetch_answer(
        &mut self,
        handle: Handle,
        ticket: Ticket,
        mark: u64,
        answer: Result<Value, String>,
    ) {
        if answer.is_ok() {
            self.presences_in(handle, EVENT_GET, mark, &answer);
        }
        let list = self
            .slot_ref::<PresenceSlot>(handle)
            .map(|s| s.core.presences())
            .unwrap_or_default();
        self.done(ticket, Ok(Answer::Presences(list)));
    }
}

/// The app's commands of a presence service (and only those: connection
/// events, activity, visibility and timers are the session's).
pub struct PresenceCommands<'a>(&'a mut PresenceService);

impl PresenceCommands<'_> {
    /// Chooses a status.
    pub fn set_status(&mut self, status: PresenceStatus, now: Millis) {
        self.0.set_status(status, now);
    }

    /// Chooses a status by name.
    pub fn set_status_str(&mut self, status: &str, now: Millis) -> Result<(), PresenceError> {
        self.0.set_status_str(status, now)
    }

    /// Sets the custom status (refused empty, expired or out of range).
    pub fn set_custom_status(
        &mut self,
        cs: CustomStatus,
        now: Millis,
    ) -> Result<(), PresenceError> {
        self.0.set_custom_status(cs, now)
    }

    /// Removes the custom status.
    pub fn clear_custom_status(&mut self, now: Millis) {
        self.0.clear_custom_status(now);
    }

    /// Invisible mode on or off.
    pub fn set_invisible_mode(&mut self, invisible: bool, now: Millis) {
        self.0.set_invisible_mode(invisible, now);
    }

    /// Updates the current user's privacy settings; returns all of them.
    pub fn update_settings(
        &mut self,
        update: PrivacySettingsUpdate,
        now: Millis,
    ) -> PrivacySettings {
        self.0.update_settings(update, now)
    }

    /// Starts (`true`) or stops the heartbeat.
    pub fn heartbeat(&mut self, on: bool, now: Millis) {
        if on {
            self.0.start_heartbeat(now);
        } else {
            self.0.stop_heartbeat();
        }
    }

    /// Replaces the contacts.
    pub fn set_contacts(&mut self, contact_ids: Vec<String>) {
        self.0.set_contacts(contact_ids);
    }

    /// Forgets other users' privacy settings.
    pub fn clear_user_settings(&mut self) {
        self.0.clear_user_settings();
    }

    /// Another user's privacy settings.
    pub fn set_user_settings(
        &mut self,
        user_id: &str,
        settings: PrivacySettings,
    ) -> Result<(), PresenceError> {
        self.0.set_user_settings(user_id, settings)
    }

    /// Follows users; returns how many were new.
    pub fn subscribe_to_users(&mut self, user_ids: &[String]) -> Result<usize, PresenceError> {
        self.0.subscribe_to_users(user_ids)
    }

    /// Stops following users; returns how many were followed.
    pub fn unsubscribe_from_users(&mut self, user_ids: &[String]) -> usize {
        self.0.unsubscribe_from_users(user_ids)
    }
}
