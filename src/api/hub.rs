//! The app's side of a client: its [`Driver`] and how each pending ticket
//! settles. Commands go through [`Hub::run`] or [`Hub::request`]; the driver
//! hands back events and completions, which [`super::events`] passes to the
//! JavaScript sink (listeners and promises live in `js/src/native.ts`).

use crate::core::decimal::cat;
use std::cell::RefCell;
use std::rc::{Rc, Weak};

use js_sys::Function;
use wasm_bindgen::prelude::*;

use crate::browser::driver::Driver;
use crate::core::session::{Handle, Output, ServiceKind, Session, SessionError, Ticket};
use crate::core::Millis;

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

/// The pending tickets and per-service options of one client (listeners and
/// promises themselves live in JavaScript, `js/src/native.ts`).
#[derive(Default)]
pub(crate) struct App {
    /// How each pending ticket settles (a few at a time: a list, not a map).
    pub tickets: Vec<(Ticket, Settle)>,
    /// Kind and `debug` option of the client and each service.
    pub info: Vec<(Handle, ServiceKind, bool)>,
    /// Services JavaScript said have no listener: their events are not
    /// built (no JSON written, decoded and parsed for nobody).
    pub silent: Vec<Handle>,
}

impl App {
    /// The `debug` option of `handle`, and its kind.
    pub fn info(&self, handle: Handle) -> (ServiceKind, bool) {
        self.info
            .iter()
            .find(|(h, ..)| *h == handle)
            .map_or((ServiceKind::Client, false), |(_, k, d)| (*k, *d))
    }

    /// Whether `handle` has no listener (its events can be skipped).
    pub fn silent(&self, handle: Handle) -> bool {
        self.silent.contains(&handle)
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
    /// when given, and the stable `code`.
    pub fn to_js(&self, method: Option<&str>) -> JsValue {
        let message = match self {
            ApiError::Busy => {
                "RealtimeClient is busy: it cannot be called from inside itself".into()
            }
            ApiError::Session(e) => e.message(),
        };
        let message = match method {
            Some(m) => cat!(m, ": ", message),
            None => message,
        };
        super::js::coded(self.code(), &message)
    }

    /// The stable code of the refusal (`busy`, or the session error's).
    pub fn code(&self) -> &'static str {
        match self {
            ApiError::Busy => "busy",
            ApiError::Session(e) => e.code(),
        }
    }
}

/// A client's driver and app state; clones share them.
#[derive(Clone)]
pub(crate) struct Hub {
    pub driver: Driver,
    app: Rc<RefCell<App>>,
}

/// The JavaScript function events and completions go to (see
/// [`super::events`]): `sink(id, topic, payload, flag)`.
pub(crate) type SinkFn = Rc<Function>;

impl Hub {
    /// A new client: a driver whose app outputs come to this hub.
    pub fn new(sink: Function) -> Self {
        let app = Rc::new(RefCell::new(App::default()));
        let weak: Weak<RefCell<App>> = Rc::downgrade(&app);
        let sink: SinkFn = Rc::new(sink);
        let driver = Driver::new(Rc::new(move |output: Output| {
            if let Some(app) = weak.upgrade() {
                super::events::deliver(&app, &sink, output);
            }
        }));
        Hub { driver, app }
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

    /// Runs a command that completes later: its ticket, whose outcome comes
    /// to the sink (settled per `settle`) once JavaScript holds the ticket.
    pub fn request(
        &self,
        f: impl FnOnce(&mut Session, Millis) -> Result<Ticket, SessionError>,
        settle: Settle,
    ) -> Result<f64, ApiError> {
        let mut f = Some(f);
        self.request_dyn(
            &mut |s, now| {
                f.take()
                    .map_or(Err(SessionError::NotInitialized), |f| f(s, now))
            },
            settle,
        )
    }

    /// [`Self::request`]'s body, once for every command (not per closure).
    fn request_dyn(
        &self,
        f: &mut dyn FnMut(&mut Session, Millis) -> Result<Ticket, SessionError>,
        settle: Settle,
    ) -> Result<f64, ApiError> {
        let ticket = self.run_quiet(f);
        let ticket = match ticket {
            Ok(t) => t,
            Err(e) => {
                self.driver.pump();
                return Err(e);
            }
        };
        if let Ok(mut app) = self.app.try_borrow_mut() {
            app.tickets.push((ticket, settle));
        }
        self.driver.pump();
        Ok(ticket.0 as f64)
    }

    /// Records the kind and `debug` option of `handle`.
    pub fn register(&self, handle: Handle, kind: ServiceKind, debug: bool) {
        if let Ok(mut app) = self.app.try_borrow_mut() {
            app.info.retain(|(h, ..)| *h != handle);
            app.info.push((handle, kind, debug));
        }
    }

    /// Forgets what the app side kept of `handle` (a dropped service): its
    /// kind, `debug` option and listening state.
    pub fn unregister(&self, handle: Handle) {
        if let Ok(mut app) = self.app.try_borrow_mut() {
            app.info.retain(|(h, ..)| *h != handle);
            app.silent.retain(|h| *h != handle);
        }
    }

    /// Whether a service has listeners in JavaScript (`native.ts` says so
    /// when the count goes from or to zero). No borrow of the app is held
    /// while JavaScript runs, so this always lands.
    pub fn set_listening(&self, handle: Handle, listening: bool) {
        if let Ok(mut app) = self.app.try_borrow_mut() {
            app.silent.retain(|h| *h != handle);
            if !listening && handle != Handle::CLIENT {
                app.silent.push(handle);
            }
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

    /// Runs a command that completes later: its ticket.
    pub fn request(
        &self,
        f: impl FnOnce(&mut Session, Handle, Millis) -> Result<Ticket, SessionError>,
        settle: Settle,
    ) -> Result<f64, ApiError> {
        let h = self.handle;
        self.hub.driver.unhold(h);
        self.hub.request(|s, now| f(s, h, now), settle)
    }

    /// Reads the session about the service (`None`: gone, or busy).
    pub fn read<T>(&self, f: impl FnOnce(&Session, Handle) -> Option<T>) -> Option<T> {
        let h = self.handle;
        self.hub.read(|s| f(s, h)).flatten()
    }

    /// Disposes the service the first time (the session detaches it; its
    /// listeners go in `native.ts`); false when it already was.
    pub fn dispose(&self) -> bool {
        if self.disposed.replace(true) {
            return false;
        }
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
        self.hub.unregister(h);
    }
}
