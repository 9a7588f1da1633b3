//! The app's side of a client: its [`Driver`] and what JavaScript waits on
//! (listeners by handle and topic, promises by ticket). The classes check
//! their arguments and forward a command through [`Hub::run`] or
//! [`Hub::request`]; the driver hands back events and completions, which
//! [`super::events`] turns into listener calls and settled promises.

use std::cell::RefCell;
use std::rc::{Rc, Weak};

use js_sys::{Function, Promise};
use wasm_bindgen::prelude::*;

use super::js::{unsubscribe_fn, Deferred, Unsubscribe};
use crate::browser::driver::Driver;
use crate::core::session::{Handle, Output, ServiceKind, Session, SessionError, Ticket};
use crate::core::Millis;

/// What a listener listens to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Topic {
    /// `client.on(name)`.
    Server(String),
    /// `onStateChange`.
    State,
    /// `onOfflineStatusChange`.
    Online,
    /// `onError`.
    Error,
    /// `onQualityChange`.
    Quality,
    /// `onDisconnect`.
    Disconnect,
    /// `onPresenceChange`.
    Presence,
    /// `onStatusChange`.
    Status,
    /// `onCustomStatusChange`.
    CustomStatus,
    /// Typing changes of every room.
    TypingAll,
    /// Typing changes of one room.
    TypingRoom(String),
    /// Every event of a service (`subscribe`).
    All,
}

/// How a pending promise settles on failure (success is the answer's value).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Settle {
    /// A plain `Error` with the failure's message.
    Plain,
    /// `emitAsync`, `joinChannel`, `leaveChannel`: an `Error` with `event` and `code`.
    Ack,
    /// `flushQueue`.
    Flush,
    /// `syncOnReconnect`.
    Sync,
    /// `syncMessages`.
    SyncMessages,
    /// `syncDeliveryStatus`.
    Statuses,
}

pub(crate) struct Sub {
    pub id: u32,
    pub target: Handle,
    pub topic: Topic,
    pub f: Function,
    pub once: bool,
}

/// Listeners, promises and per-service options of one client.
#[derive(Default)]
pub(crate) struct App {
    next_id: u32,
    pub subs: Vec<Sub>,
    /// Pending promises (a few at a time: lists, not maps).
    pub tickets: Vec<(Ticket, Deferred, Settle)>,
    /// Kind and `debug` option of the client and each service.
    pub info: Vec<(Handle, ServiceKind, bool)>,
}

impl Unsubscribe for App {
    fn unsubscribe(&mut self, id: u32) {
        self.subs.retain(|s| s.id != id);
    }
}

impl App {
    /// The listeners of `target` whose topic passes `pick`, once-listeners
    /// removed (to call after the borrow ends).
    pub fn take(&mut self, target: Handle, pick: impl Fn(&Topic) -> bool) -> Vec<Function> {
        let fns = self
            .subs
            .iter()
            .filter(|s| s.target == target && pick(&s.topic))
            .map(|s| s.f.clone())
            .collect();
        self.subs
            .retain(|s| !(s.once && s.target == target && pick(&s.topic)));
        fns
    }

    /// The `debug` option of `handle`, and its kind.
    pub fn info(&self, handle: Handle) -> (ServiceKind, bool) {
        self.info
            .iter()
            .find(|(h, ..)| *h == handle)
            .map_or((ServiceKind::Client, false), |(_, k, d)| (*k, *d))
    }
}

/// Why a forwarded command did not run.
#[derive(Debug)]
pub(crate) enum ApiError {
    /// Called from inside the client itself (cannot happen: no JavaScript
    /// runs while it is borrowed).
    Busy,
    /// The session refused.
    Session(SessionError),
}

impl From<SessionError> for ApiError {
    fn from(e: SessionError) -> Self {
        ApiError::Session(e)
    }
}

impl ApiError {
    /// An `Error` with the message, `method` (e.g. `queueMessage()`) in front
    /// when given.
    pub fn to_js(&self, method: Option<&str>) -> JsValue {
        self.to_error(method).into()
    }

    /// [`Self::to_js`] as a `JsError`.
    pub fn to_error(&self, method: Option<&str>) -> JsError {
        let message = match self {
            ApiError::Busy => {
                "RealtimeClient is busy: it cannot be called from inside itself".into()
            }
            ApiError::Session(e) => e.to_string(),
        };
        let message = match method {
            Some(m) => format!("{m}: {message}"),
            None => message,
        };
        JsError::new(&message)
    }
}

/// A client's driver and app state; clones share them.
#[derive(Clone)]
pub(crate) struct Hub {
    pub driver: Driver,
    app: Rc<RefCell<App>>,
}

impl Hub {
    /// A new client: a driver whose app outputs come to this hub.
    pub fn new() -> Self {
        let app = Rc::new(RefCell::new(App::default()));
        let weak: Weak<RefCell<App>> = Rc::downgrade(&app);
        let driver = Driver::new(Rc::new(move |output: Output| {
            if let Some(app) = weak.upgrade() {
                super::events::deliver(&app, output);
            }
        }));
        Hub { driver, app }
    }

    /// Whether both are the same client.
    pub fn same(&self, other: &Hub) -> bool {
        self.driver.same(&other.driver)
    }

    /// Runs a command on the session, then pumps.
    pub fn run<T>(
        &self,
        f: impl FnOnce(&mut Session, Millis) -> Result<T, SessionError>,
    ) -> Result<T, ApiError> {
        let r = self.run_quiet(f);
        self.driver.pump();
        r
    }

    /// Runs a command without pumping (the caller pumps, or holds).
    pub fn run_quiet<T>(
        &self,
        f: impl FnOnce(&mut Session, Millis) -> Result<T, SessionError>,
    ) -> Result<T, ApiError> {
        Ok(self.driver.run(f).ok_or(ApiError::Busy)??)
    }

    /// Reads the session (`None` only if busy).
    pub fn read<T>(&self, f: impl FnOnce(&Session) -> T) -> Option<T> {
        self.driver.read(f)
    }

    /// Runs a command that completes later: its promise, settled per `settle`.
    pub fn request(
        &self,
        f: impl FnOnce(&mut Session, Millis) -> Result<Ticket, SessionError>,
        settle: Settle,
    ) -> Result<Promise, ApiError> {
        let ticket = self.run_quiet(f);
        let ticket = match ticket {
            Ok(t) => t,
            Err(e) => {
                self.driver.pump();
                return Err(e);
            }
        };
        let (promise, deferred) = Deferred::new();
        if let Ok(mut app) = self.app.try_borrow_mut() {
            app.tickets.push((ticket, deferred, settle));
        }
        self.driver.pump();
        Ok(promise)
    }

    /// Adds a listener; returns its idempotent unsubscribe function.
    pub fn listen(&self, target: Handle, topic: Topic, f: Function, once: bool) -> Function {
        let id = match self.app.try_borrow_mut() {
            Ok(mut app) => {
                app.next_id = app.next_id.wrapping_add(1);
                let id = app.next_id;
                app.subs.push(Sub {
                    id,
                    target,
                    topic,
                    f,
                    once,
                });
                id
            }
            Err(_) => 0,
        };
        let weak = Rc::downgrade(&self.app) as Weak<RefCell<dyn Unsubscribe>>;
        unsubscribe_fn(weak, id)
    }

    /// Removes the listeners of `target` on `topic` (only `f` when given).
    pub fn unlisten(&self, target: Handle, topic: &Topic, f: Option<&Function>) {
        if let Ok(mut app) = self.app.try_borrow_mut() {
            app.subs.retain(|s| {
                !(s.target == target && &s.topic == topic && f.is_none_or(|f| &s.f == f))
            });
        }
    }

    /// Drops every listener of `target` (a disposed service).
    pub fn forget(&self, target: Handle) {
        if let Ok(mut app) = self.app.try_borrow_mut() {
            app.subs.retain(|s| s.target != target);
        }
    }

    /// Records the kind and `debug` option of `handle`.
    pub fn register(&self, handle: Handle, kind: ServiceKind, debug: bool) {
        if let Ok(mut app) = self.app.try_borrow_mut() {
            app.info.retain(|(h, ..)| *h != handle);
            app.info.push((handle, kind, debug));
        }
    }

    /// The `debug` option of `handle`.
    pub fn debug(&self, handle: Handle) -> bool {
        self.app.try_borrow().is_ok_and(|a| a.info(handle).1)
    }
}

/// A service object's link to its client: the hub, its handle and whether
/// `dispose()` was called. Dropping it (the object was freed) disposes the
/// service and drops it from the session.
pub(crate) struct ServiceRef {
    pub hub: Hub,
    pub handle: Handle,
    disposed: std::cell::Cell<bool>,
}

impl ServiceRef {
    /// The service `handle` of `hub`, with its kind and `debug` option.
    pub fn new(hub: Hub, handle: Handle, kind: ServiceKind, debug: bool) -> Self {
        hub.register(handle, kind, debug);
        ServiceRef {
            hub,
            handle,
            disposed: std::cell::Cell::new(false),
        }
    }

    /// Whether `dispose()` was called.
    pub fn is_disposed(&self) -> bool {
        self.disposed.get()
    }

    /// Runs a command on the service (what was held for it is delivered
    /// first), then pumps.
    pub fn run<T>(
        &self,
        f: impl FnOnce(&mut Session, Handle, Millis) -> Result<T, SessionError>,
    ) -> Result<T, ApiError> {
        let h = self.handle;
        self.hub.driver.unhold(h);
        self.hub.run(|s, now| f(s, h, now))
    }

    /// Runs a command that completes later: its promise.
    pub fn request(
        &self,
        f: impl FnOnce(&mut Session, Handle, Millis) -> Result<Ticket, SessionError>,
        settle: Settle,
    ) -> Result<Promise, ApiError> {
        let h = self.handle;
        self.hub.driver.unhold(h);
        self.hub.request(|s, now| f(s, h, now), settle)
    }

    /// Reads the session about the service (`None`: gone, or busy).
    pub fn read<T>(&self, f: impl FnOnce(&Session, Handle) -> Option<T>) -> Option<T> {
        let h = self.handle;
        self.hub.read(|s| f(s, h)).flatten()
    }

    /// Adds a listener of the service.
    pub fn listen(&self, topic: Topic, f: Function) -> Function {
        self.hub.listen(self.handle, topic, f, false)
    }

    /// Disposes the service the first time (its listeners go, the session
    /// detaches it); false when it already was.
    pub fn dispose(&self) -> bool {
        if self.disposed.replace(true) {
            return false;
        }
        self.hub.forget(self.handle);
        let _ = self.hub.run(|s, now| {
            s.detach(self.handle, now);
            Ok(())
        });
        true
    }
}

impl Drop for ServiceRef {
    fn drop(&mut self) {
        self.dispose();
        let h = self.handle;
        let _ = self.hub.run(|s, now| {
            s.forget(h, now);
            Ok(())
        });
    }
}
