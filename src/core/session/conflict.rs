//! Conflict resolution services on the session: attach, and commands run
//! on the machine with the session's clock (its events go to the app).

use super::services::{Machine, Slot};
use super::{Event, Handle, ServiceKind, Session, SessionError};
use crate::core::conflict::{Command, ConflictConfig, ConflictEvent, ConflictService};
use crate::core::json::Value;
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

    /// Runs `command` on the conflict service `handle` at `now`: its value
    /// (`None`: none); its events follow in [`Session::poll`].
    pub fn conflict(
        &mut self,
        handle: Handle,
        command: Command,
        now: Millis,
    ) -> Result<Option<Value>, SessionError> {
        self.on_slot(handle, now, |s: &mut ConflictService, now| {
            s.command(command, now).map_err(Into::into)
        })
    }

    pub(super) fn conflict_effects(&mut self, handle: Handle, events: Vec<ConflictEvent>) {
        for e in events {
            self.event(handle, Event::Conflict(e));
        }
    }
}
