//! The attached services: their slots, lookup by handle, what every one of
//! them hears from the connection, their deadlines, and detaching.

use crate::core::json::Value;

use super::delivery::DeliverySlot;
use super::presence::PresenceSlot;
use super::queue::QueueSlot;
use super::rooms::RoomsSlot;
use super::sync::SyncSlot;
use super::typing::TypingSlot;
use super::{Event, Handle, ServiceKind, Session, SessionError};
use crate::core::conflict::{ConflictEvent, ConflictService};
use crate::core::connection::event_user_id;
use crate::core::delivery::DeliveryEffect;
use crate::core::delivery::{
    EVENT_ACK, EVENT_BATCH_READ, EVENT_FAILED, EVENT_SENT, EVENT_SYNC_RESPONSE,
};
use crate::core::dispatch::{Dispatched, Dispatcher};
use crate::core::presence::{PresenceEffect, EVENT_BULK, EVENT_CHANGED};
use crate::core::queue::QueueEffect;
use crate::core::sync::SyncEffect;
use crate::core::typing::{TypingEffect, EVENT_BATCH, EVENT_TYPING};
use crate::core::Millis;

/// The event that names the authenticated user on older servers.
const AUTHENTICATED: &str = "authenticated";

/// One machine of a service.
pub(super) enum Machine {
    Presence(Box<PresenceSlot>),
    Typing(Box<TypingSlot>),
    Delivery(Box<DeliverySlot>),
    Queue(Box<QueueSlot>),
    Sync(Box<SyncSlot>),
    Conflict(Box<ConflictService>),
    Rooms(Box<RoomsSlot>),
    Dispatch(Box<Dispatcher>),
}

/// An attached service.
pub(super) struct Service {
    pub handle: Handle,
    pub machine: Machine,
}

/// The effects drained from one machine.
pub(super) enum Effects {
    Presence(Vec<PresenceEffect>),
    Typing(Vec<TypingEffect>),
    Delivery(Vec<DeliveryEffect>),
    Queue(Vec<QueueEffect>),
    Sync(Vec<SyncEffect>),
    Conflict(Vec<ConflictEvent>),
    Rooms(Vec<crate::core::rooms::RoomsEffect>),
    Dispatch(Vec<Dispatched>),
}

impl Service {
    /// Its deadline; presence and typing report an early bound kept while
    /// it is ahead of `now` (activity keeps pushing theirs later).
    pub fn deadline(&mut self, now: Millis) -> Option<Millis> {
        fn lazy(bound: &mut Option<Millis>, actual: Option<Millis>, now: Millis) -> Option<Millis> {
            match (*bound, actual) {
                (Some(b), Some(a)) if b <= a && b > now => Some(b),
                _ => {
                    *bound = actual;
                    actual
                }
            }
        }
        match &mut self.machine {
            Machine::Presence(s) => lazy(&mut s.bound, s.core.next_deadline(), now),
            Machine::Typing(s) => lazy(&mut s.bound, s.core.next_deadline(), now),
            Machine::Delivery(s) => s.core.next_deadline(),
            Machine::Queue(s) => s.core.next_deadline(),
            Machine::Sync(s) => s.core.next_deadline(),
            Machine::Conflict(_) => None,
            Machine::Rooms(s) => s.core.next_deadline(),
            Machine::Dispatch(s) => s.next_deadline(),
        }
    }

    fn take_effects(&mut self) -> Effects {
        match &mut self.machine {
            Machine::Presence(s) => Effects::Presence(s.core.drain_effects()),
            Machine::Typing(s) => Effects::Typing(s.core.drain_effects()),
            Machine::Delivery(s) => Effects::Delivery(s.core.drain_effects()),
            Machine::Queue(s) => Effects::Queue(s.core.drain_effects()),
            Machine::Sync(s) => Effects::Sync(s.core.drain_effects()),
            Machine::Conflict(s) => Effects::Conflict(s.drain_effects()),
            Machine::Rooms(s) => Effects::Rooms(s.core.drain_effects()),
            Machine::Dispatch(s) => Effects::Dispatch(s.drain_effects()),
        }
    }
}

/// A slot type, found by handle among the services.
pub(super) trait Slot: Sized {
    /// Its kind (for the error of a stale handle).
    const KIND: ServiceKind;
    /// The slot of `machine`, if it is of this type.
    fn of(machine: &mut Machine) -> Option<&mut Self>;
    /// The same, shared.
    fn of_ref(machine: &Machine) -> Option<&Self>;
}

macro_rules! slot {
    ($slot:ty, $variant:ident) => {
        impl Slot for $slot {
            const KIND: ServiceKind = ServiceKind::$variant;
            fn of(machine: &mut Machine) -> Option<&mut Self> {
                match machine {
                    Machine::$variant(s) => Some(s),
                    _ => None,
                }
            }
            fn of_ref(machine: &Machine) -> Option<&Self> {
                match machine {
                    Machine::$variant(s) => Some(s),
                    _ => None,
                }
            }
        }
    };
}

slot!(PresenceSlot, Presence);
slot!(TypingSlot, Typing);
slot!(DeliverySlot, Delivery);
slot!(QueueSlot, Queue);
slot!(SyncSlot, Sync);
slot!(RoomsSlot, Rooms);

/// The first argument of an event (`data` is `["name", arg, ...]`); `null`
/// when there is none.
pub(super) fn first_arg(data: &str) -> Value {
    match crate::core::json::from_str(data) {
        Ok(Value::Array(mut a)) if a.len() > 1 => a.swap_remove(1),
        _ => Value::Null,
    }
}

impl Session {
    /// The handle [`Self::add_service`] gives next.
    pub(super) fn next_service_handle(&self) -> Handle {
        Handle(self.next_handle)
    }

    /// Adds a service; returns its handle.
    pub(super) fn add_service(&mut self, machine: Machine) -> Handle {
        let handle = Handle(self.next_handle);
        self.next_handle = self.next_handle.wrapping_add(1).max(1);
        self.services.push(Service { handle, machine });
        handle
    }

    /// The slot of `handle`, or `Disposed` when it is gone.
    pub(super) fn slot<S: Slot>(&mut self, handle: Handle) -> Result<&mut S, SessionError> {
        self.services
            .iter_mut()
            .find(|s| s.handle == handle)
            .and_then(|s| S::of(&mut s.machine))
            .ok_or(SessionError::Disposed(S::KIND))
    }

    /// Whether `handle` is an attached (not detached) service of type `S`.
    pub(super) fn active<S: Slot>(&self, handle: Handle) -> Result<(), SessionError> {
        self.services
            .iter()
            .find(|s| s.handle == handle)
            .and_then(|s| S::of_ref(&s.machine))
            .map(|_| ())
            .ok_or(SessionError::Disposed(S::KIND))
    }

    /// The slot of `handle`, shared (a detached one too: its state stays
    /// readable).
    pub(super) fn slot_ref<S: Slot>(&self, handle: Handle) -> Result<&S, SessionError> {
        self.services
            .iter()
            .chain(&self.retired)
            .find(|s| s.handle == handle)
            .and_then(|s| S::of_ref(&s.machine))
            .ok_or(SessionError::Disposed(S::KIND))
    }

    /// Runs a command `f` on the slot of `handle` at `now`, then routes.
    pub(super) fn on_slot<S: Slot, T>(
        &mut self,
        handle: Handle,
        now: Millis,
        f: impl FnOnce(&mut S, Millis) -> Result<T, SessionError>,
    ) -> Result<T, SessionError> {
        self.now = now;
        let r = f(self.slot::<S>(handle)?, now);
        self.route();
        r
    }

    /// The handles of the services of one slot type, in attach order.
    pub(super) fn handles<S: Slot>(&self) -> Vec<Handle> {
        self.services
            .iter()
            .filter(|s| S::of_ref(&s.machine).is_some())
            .map(|s| s.handle)
            .collect()
    }

    /// Drains and routes the effects of the service `handle`; false when it
    /// had none.
    pub(super) fn drain_service(&mut self, handle: Handle) -> bool {
        let Some(effects) = self
            .services
            .iter_mut()
            .find(|s| s.handle == handle)
            .map(Service::take_effects)
        else {
            return false;
        };
        match effects {
            Effects::Presence(v) if !v.is_empty() => self.presence_effects(handle, v),
            Effects::Typing(v) if !v.is_empty() => self.typing_effects(handle, v),
            Effects::Delivery(v) if !v.is_empty() => self.delivery_effects(handle, v),
            Effects::Queue(v) if !v.is_empty() => self.queue_effects(handle, v),
            Effects::Sync(v) if !v.is_empty() => self.sync_effects(handle, v),
            Effects::Conflict(v) if !v.is_empty() => self.conflict_effects(handle, v),
            Effects::Rooms(v) if !v.is_empty() => self.rooms_effects(handle, v),
            Effects::Dispatch(v) if !v.is_empty() => self.dispatch_effects(handle, v),
            _ => return false,
        }
        true
    }

    /// Runs every service's due deadlines.
    pub(super) fn services_timeout(&mut self, now: Millis) {
        for s in &mut self.services {
            match &mut s.machine {
                Machine::Presence(s) => s.core.handle_timeout(now),
                Machine::Typing(s) => s.core.handle_timeout(now),
                Machine::Delivery(s) => s.core.handle_timeout(now),
                Machine::Queue(s) => s.core.handle_timeout(now),
                Machine::Sync(s) => s.core.handle_timeout(now),
                Machine::Conflict(_) => {}
                Machine::Rooms(s) => s.core.handle_timeout(now),
                Machine::Dispatch(s) => s.handle_timeout(now),
            }
        }
    }

    /// Connected and ready: every service hears it, in attach order; then,
    /// after a reconnect, the syncs that run by themselves start.
    pub(super) fn services_connected(&mut self, reconnected: bool) {
        let now = self.now;
        let user = self
            .conn
            .as_ref()
            .and_then(|c| c.user_id().map(str::to_owned));
        for s in &mut self.services {
            match &mut s.machine {
                Machine::Presence(p) => {
                    if let Some(id) = user.as_deref().filter(|_| !p.fixed_user) {
                        let _ = p.core.set_current_user_id(id);
                    }
                    p.core.on_connected(now);
                }
                Machine::Typing(t) => {
                    if let Some(id) = user.as_deref().filter(|_| !t.fixed_user) {
                        let _ = t.core.set_current_user_id(id);
                    }
                    t.core.on_connected(now);
                }
                Machine::Delivery(d) => {
                    d.core.on_reconnected(now);
                }
                Machine::Queue(q) => q.core.on_connected(now),
                Machine::Rooms(r) => r.core.on_connected(reconnected),
                Machine::Sync(_) | Machine::Conflict(_) | Machine::Dispatch(_) => {}
            }
        }
        if reconnected {
            self.auto_syncs();
        }
    }

    /// The connection ended: the services stop what needs it.
    pub(super) fn services_disconnected(&mut self) {
        let now = self.now;
        for s in &mut self.services {
            match &mut s.machine {
                Machine::Presence(p) => p.core.on_disconnected(now),
                Machine::Typing(t) => t.core.on_disconnected(now),
                Machine::Delivery(d) => d.core.on_disconnected(now),
                Machine::Queue(q) => q.core.on_disconnected(now),
                Machine::Sync(_)
                | Machine::Conflict(_)
                | Machine::Rooms(_)
                | Machine::Dispatch(_) => {}
            }
        }
        self.rooms_disconnected();
    }

    /// The browser is back online: the queues flush (when connected).
    pub(super) fn services_online(&mut self) {
        let now = self.now;
        for s in &mut self.services {
            if let Machine::Queue(q) = &mut s.machine {
                q.core.on_online(now);
            }
        }
    }

    /// A server event reaches the services that want it.
    pub(super) fn services_event(&mut self, name: &str, data: &str) {
        let wanted = [
            AUTHENTICATED,
            EVENT_CHANGED,
            EVENT_BULK,
            EVENT_TYPING,
            EVENT_BATCH,
            "message:delivered",
            "message:read",
            EVENT_BATCH_READ,
            EVENT_ACK,
            EVENT_SENT,
            EVENT_FAILED,
            EVENT_SYNC_RESPONSE,
            "message:new",
            "user:joined",
            "user:left",
            "room:joined",
        ];
        if !wanted.contains(&name) || self.services.is_empty() {
            return;
        }
        let now = self.now;
        let user = (name == AUTHENTICATED)
            .then(|| event_user_id(data))
            .flatten();
        let payload = first_arg(data);
        let mut dropped: Vec<(Handle, SessionError)> = Vec::new();
        for s in &mut self.services {
            let r: Result<(), SessionError> = match &mut s.machine {
                Machine::Presence(p) if name == AUTHENTICATED && !p.fixed_user => {
                    if let Some(id) = &user {
                        let _ = p.core.set_current_user_id(id);
                    }
                    Ok(())
                }
                Machine::Typing(t) if name == AUTHENTICATED && !t.fixed_user => {
                    if let Some(id) = &user {
                        let _ = t.core.set_current_user_id(id);
                    }
                    Ok(())
                }
                Machine::Presence(p) if name == EVENT_CHANGED => p
                    .core
                    .handle_presence_changed(&payload, now)
                    .map_err(Into::into),
                Machine::Presence(p) if name == EVENT_BULK => p
                    .core
                    .handle_presences(EVENT_BULK, &Ok(payload.clone()), None, now)
                    .map(drop)
                    .map_err(Into::into),
                Machine::Typing(t) if name == EVENT_TYPING || name == EVENT_BATCH => t
                    .core
                    .handle_typing_event(&payload, now)
                    .map_err(Into::into),
                Machine::Delivery(d)
                    if name.starts_with("message:") || name == EVENT_SYNC_RESPONSE =>
                {
                    d.core
                        .on_server_event(name, &payload, now)
                        .map_err(Into::into)
                }
                Machine::Queue(q) => {
                    q.core.on_message_event(name, &payload, now);
                    Ok(())
                }
                Machine::Rooms(r) => {
                    r.core.on_event(name, &payload, now);
                    Ok(())
                }
                _ => Ok(()),
            };
            if let Err(e) = r {
                dropped.push((s.handle, e));
            }
        }
        for (handle, e) in dropped {
            self.event(handle, Event::Dropped(e));
        }
    }

    /// Detaches (disposes) a service: what waits on it fails, its locks are
    /// released, typing in progress is stopped first. It then hears nothing
    /// more, but stays readable until [`Session::forget`]. Unknown handles
    /// are ignored (disposing twice is fine).
    pub fn detach(&mut self, handle: Handle, now: Millis) {
        self.now = now;
        if let Ok(t) = self.slot::<TypingSlot>(handle) {
            let _ = t.core.stop_typing(None, None, now);
            self.route();
        }
        let Some(pos) = self.services.iter().position(|s| s.handle == handle) else {
            return;
        };
        let mut service = self.services.remove(pos);
        let _ = service.take_effects();
        match &mut service.machine {
            Machine::Delivery(d) => self.delivery_detached(d),
            Machine::Queue(q) => self.queue_detached(handle, q),
            Machine::Sync(s) => self.sync_detached(s),
            Machine::Presence(_)
            | Machine::Typing(_)
            | Machine::Conflict(_)
            | Machine::Rooms(_)
            | Machine::Dispatch(_) => {}
        }
        self.retired.push(service);
        self.route();
    }

    /// Drops a service for good (detaching it first if needed).
    pub fn forget(&mut self, handle: Handle, now: Millis) {
        self.detach(handle, now);
        self.retired.retain(|s| s.handle != handle);
    }
}
