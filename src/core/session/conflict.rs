//! Conflict resolution services on the session: attach, and commands run
//! on the machine with the session's clock (its events go to the app).

use super::services::{Machine, Slot};
use super::{Event, Handle, ServiceKind, Session, SessionError};
use crate::core::conflict::{ConflictConfig, ConflictError, ConflictEvent, ConflictService};
use crate::core::Millis;

impl Slot for ConflictService {
    const KIND: ServiceKind = ServiceKind::Conflict;
    fn of(machine: &mut Machine) -> Option<&mut Self> {
        match machine {
            Machine::Conflict(s) => Some(s),
            _ => None,
        }
    }
    fn of_ref(machine: &Machine) -> Option<&Self> {
        match machine {
            Machine::Conflict(s) => Some(s),
            _ => None,
        }
    }
}

impl Session {
    /// Adds a conflict resolution service on the session's store (nothing
    /// is read before its `initialize`).
    pub fn attach_conflict(&mut self, config: ConflictConfig) -> Handle {
        let core = ConflictService::new(config, (self.store)());
        self.add_service(Machine::Conflict(Box::new(core)))
    }

    /// Runs `f` on the conflict service `handle` at `now`; its events
    /// follow in [`Session::poll`].
    pub fn conflict<T>(
        &mut self,
        handle: Handle,
        now: Millis,
        f: impl FnOnce(&mut ConflictService, Millis) -> Result<T, ConflictError>,
    ) -> Result<T, SessionError> {
        self.on_slot(handle, now, |s: &mut ConflictService, now| {
            f(s, now).map_err(Into::into)
        })
    }

    /// The conflict service `handle` (for reads).
    pub fn conflict_ref(&self, handle: Handle) -> Result<&ConflictService, SessionError> {
        self.slot_ref::<ConflictService>(handle)
    }

    pub(super) fn conflict_effects(&mut self, handle: Handle, events: Vec<ConflictEvent>) {
        for e in events {
            self.event(handle, Event::Conflict(e));
        }
    }
}
