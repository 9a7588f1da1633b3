//! Event dispatchers on the session: attach, commands at the session's
//! clock, and where what they dispatch goes: to the app (the local
//! subscribers), and on the client side to the server as `dispatch`
//! `{event, room, payload}` while connected (nchat's; the nself server
//! itself does not handle it).

use super::services::{Machine, Slot};
use super::{Event, Handle, ServiceKind, Session, SessionError};
use crate::core::dispatch::{Command, DispatchConfig, Dispatched, Dispatcher};
use crate::core::json::{Map, Value};
use crate::core::Millis;

impl Slot for Dispatcher {
    const KIND: ServiceKind = ServiceKind::Dispatcher;
    fn of(machine: &mut Machine) -> Option<&mut Self> {
        match machine {
            Machine::Dispatch(s) => Some(s),
            _ => None,
        }
    }
    fn of_ref(machine: &Machine) -> Option<&Self> {
        match machine {
            Machine::Dispatch(s) => Some(s),
            _ => None,
        }
    }
}

impl Session {
    /// Adds an event dispatcher; `seed` feeds its event ids.
    pub fn attach_dispatcher(&mut self, config: DispatchConfig, seed: u64) -> Handle {
        self.add_service(Machine::Dispatch(Box::new(Dispatcher::new(config, seed))))
    }

    /// Runs `command` on the dispatcher `handle` at `now`: its value
    /// (`None`: none); what it dispatched follows in [`Session::poll`].
    pub fn dispatch(
        &mut self,
        handle: Handle,
        command: Command,
        now: Millis,
    ) -> Result<Option<Value>, SessionError> {
        self.on_slot(handle, now, |s: &mut Dispatcher, now| {
            s.command(command, now).map_err(Into::into)
        })
    }

    pub(super) fn dispatch_effects(&mut self, handle: Handle, list: Vec<Dispatched>) {
        let send = self.is_connected()
            && self
                .slot_ref::<Dispatcher>(handle)
                .is_ok_and(Dispatcher::is_client_side);
        for d in list {
            if send {
                let mut frame = Map::new();
                frame.push("event", d.event.as_str());
                frame.push("room", d.room.as_str());
                frame.push("payload", d.payload.clone());
                self.emit_for(handle, "dispatch", &Value::Object(frame), false);
            }
            self.event(handle, Event::Dispatch(d));
        }
    }
}
