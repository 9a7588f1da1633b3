//! Typing services on the session: attach, commands, and where their
//! effects go (`typing:start`/`typing:stop` as volatile emits, one app event
//! per changed room).

use super::{Event, Handle, Session, SessionError};
use crate::core::typing::{TypingConfig, TypingEffect, TypingError, TypingPrivacy, TypingService};
use crate::core::Millis;

/// A typing service in the session.
pub(super) struct TypingSlot {
    pub core: TypingService,
    /// The app gave the user: the connection's does not replace it.
    pub fixed_user: bool,
    /// The early deadline bound reported for it.
    pub bound: Option<Millis>,
}

impl Session {
    /// Attaches a typing service (`user_id`: as for presence).
    pub fn attach_typing(
        &mut self,
        config: TypingConfig,
        user_id: Option<String>,
        privacy: TypingPrivacy,
        now: Millis,
    ) -> Result<Handle, SessionError> {
        self.now = now;
        let mut core = TypingService::new(config);
        let fixed_user = user_id.is_some();
        let user = user_id.or_else(|| {
            self.conn
                .as_ref()
                .and_then(|c| c.user_id().map(str::to_owned))
        });
        if let Some(id) = user {
            core.set_current_user_id(&id)?;
        }
        core.set_privacy(privacy, now);
        if self.is_connected() {
            core.on_connected(now);
        }
        let handle = self.add_service(super::services::Machine::Typing(Box::new(TypingSlot {
            core,
            fixed_user,
            bound: None,
        })));
        self.route();
        Ok(handle)
    }

    /// The typing machine of `handle` (for reads).
    pub fn typing(&self, handle: Handle) -> Result<&TypingService, SessionError> {
        self.slot_ref::<TypingSlot>(handle).map(|s| &s.core)
    }

    /// As [`Session::presence_set_user`], for a typing service.
    pub fn typing_set_user(
        &mut self,
        handle: Handle,
        user_id: Option<&str>,
        now: Millis,
    ) -> Result<(), SessionError> {
        let user = self.client_user(user_id);
        self.on_slot(handle, now, |s: &mut TypingSlot, _| {
            if let Some(id) = user {
                s.core.set_current_user_id(&id)?;
            }
            s.fixed_user = user_id.is_some();
            Ok(())
        })
    }

    /// Runs a typing command `f` (any of the machine's own typing calls:
    /// start, stop, input, privacy, contacts, names, clear), then routes.
    pub fn typing_do<T>(
        &mut self,
        handle: Handle,
        now: Millis,
        f: impl FnOnce(&mut TypingCommands<'_>, Millis) -> Result<T, TypingError>,
    ) -> Result<T, SessionError> {
        self.on_slot(handle, now, |s: &mut TypingSlot, now| {
            Ok(f(&mut TypingCommands(&mut s.core), now)?)
        })
    }

    pub(super) fn typing_effects(&mut self, handle: Handle, effects: Vec<TypingEffect>) {
        for effect in effects {
            match effect {
                TypingEffect::Send { event, payload } => {
                    self.emit_for(handle, event, &payload, true)
                }
                TypingEffect::TypingChanged { rooms } => {
                    for room in rooms {
                        self.event(handle, Event::Typing(room));
                    }
                }
                TypingEffect::Log(m) => self.event(handle, Event::Log(m)),
            }
        }
    }
}

/// The app's commands of a typing service (and only those: connection
/// events and timers are the session's).
pub struct TypingCommands<'a>(&'a mut TypingService);

impl TypingCommands<'_> {
    /// Starts typing in a channel or its thread.
    pub fn start_typing(
        &mut self,
        channel: &str,
        thread: Option<&str>,
        now: Millis,
    ) -> Result<(), TypingError> {
        self.0.start_typing(channel, thread, now)
    }

    /// Starts typing in a thread.
    pub fn start_typing_in_thread(
        &mut self,
        channel: &str,
        thread: &str,
        now: Millis,
    ) -> Result<(), TypingError> {
        self.0.start_typing_in_thread(channel, thread, now)
    }

    /// Starts typing in a DM.
    pub fn start_typing_in_dm(&mut self, dm: &str, now: Millis) -> Result<(), TypingError> {
        self.0.start_typing_in_dm(dm, now)
    }

    /// Stops typing in a channel or thread, or everywhere.
    pub fn stop_typing(
        &mut self,
        channel: Option<&str>,
        thread: Option<&str>,
        now: Millis,
    ) -> Result<(), TypingError> {
        self.0.stop_typing(channel, thread, now)
    }

    /// Stops typing in a DM.
    pub fn stop_typing_in_dm(&mut self, dm: &str, now: Millis) -> Result<(), TypingError> {
        self.0.stop_typing_in_dm(dm, now)
    }

    /// The message input of a channel or thread changed.
    pub fn handle_input_change(
        &mut self,
        channel: &str,
        value: &str,
        thread: Option<&str>,
        now: Millis,
    ) -> Result<(), TypingError> {
        self.0.handle_input_change(channel, value, thread, now)
    }

    /// The message input of a DM changed.
    pub fn handle_input_change_in_dm(
        &mut self,
        dm: &str,
        value: &str,
        now: Millis,
    ) -> Result<(), TypingError> {
        self.0.handle_input_change_in_dm(dm, value, now)
    }

    /// Changes privacy.
    pub fn set_privacy(&mut self, privacy: TypingPrivacy, now: Millis) {
        self.0.set_privacy(privacy, now);
    }

    /// Replaces the contacts.
    pub fn set_contacts(&mut self, ids: Vec<String>, now: Millis) {
        self.0.set_contacts(ids, now);
    }

    /// Adds or removes one contact.
    pub fn set_contact(&mut self, id: &str, is_contact: bool, now: Millis) {
        self.0.set_contact(id, is_contact, now);
    }

    /// Forgets who types in one room.
    pub fn clear_room_typing_state(&mut self, room: &str, now: Millis) {
        self.0.clear_room_typing_state(room, now);
    }

    /// Gives display names.
    pub fn set_user_names(&mut self, names: Vec<(String, String)>, now: Millis) {
        self.0.set_user_names(names, now);
    }

    /// Forgets everyone's typing and stops our own.
    pub fn clear_all_typing_state(&mut self, now: Millis) {
        self.0.clear_all_typing_state(now);
    }
}
