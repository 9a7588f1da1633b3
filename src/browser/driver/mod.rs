//! The one browser driver of a client: it owns the [`Session`], one
//! WebSocket, one deadline timer aimed at `next_deadline()` (none when
//! nothing is due), the Web Lock requests, the DOM listeners (online,
//! offline, pageshow, visibility, storage) and hands the app's outputs
//! (events, completions) to a sink.
//!
//! Command in, events and effects out: [`Driver::run`] feeds the session
//! under a short borrow, [`Driver::pump`] drains `poll()` and carries the
//! outputs out with no borrow held while JavaScript runs (each output is
//! taken out under a borrow that ends before the socket, a lock, a timer or
//! the sink is called). A call made from inside the sink (a listener calling
//! back into the API) only feeds the session: the pump on the stack drains
//! what it produced, in order.
//!
//! The page's drivers know each other: what one session wrote to
//! `localStorage` ([`Output::StorageChanged`]) reaches the others' sessions
//! in a microtask, as the `storage` event does for other pages.

mod io;

use std::cell::RefCell;
use std::rc::{Rc, Weak};

use super::clock::now_ms;
use super::http::Fetch;
use super::listener::EventListener;
use super::storage::{LocalStorage, StorageListener, WebLock};
use super::timer::DeadlineTimer;
use super::websocket::Socket;
use crate::core::session::{Handle, LockId, Output, Session};
use crate::core::Millis;
use wasm_bindgen::prelude::*;

/// Where the app's outputs ([`Output::Event`], [`Output::Done`]) go.
pub type Sink = Rc<dyn Fn(Output)>;

struct Inner {
    session: Session,
    socket: Option<Socket>,
    /// The HTTP exchanges in flight by id (the event stream's:
    /// `HttpRequest::STREAM`).
    fetches: Vec<(u64, Fetch)>,
    timer: DeadlineTimer,
    /// Timers set for each owner's deadline (the client's: the connection's).
    wakeups: Vec<(Handle, u64)>,
    /// Web Lock requests (a few at a time: lists, not maps).
    locks: Vec<(LockId, WebLock)>,
    listeners: Vec<EventListener>,
    storage: Option<StorageListener>,
    sink: Sink,
    /// Services whose events wait for a microtask (see [`Driver::hold`]).
    held: Vec<Handle>,
    deferred: Vec<Output>,
    pumping: bool,
    debug: bool,
}

thread_local! {
    /// The page's drivers (see the module docs).
    static PAGE: RefCell<Vec<WeakDriver>> = const { RefCell::new(Vec::new()) };
    /// What waits for the next microtask ([`later`]).
    static LATER: RefCell<Vec<Box<dyn FnOnce()>>> = const { RefCell::new(Vec::new()) };
    /// The one microtask callback of the page, kept for the page's life (as
    /// the registry above) so that a queued microtask always finds it; what it
    /// runs holds only weak drivers, so a driver dropped meanwhile is skipped.
    static RUN_LATER: super::Callback = super::Callback::new(|_| run_later());
}

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_name = queueMicrotask)]
    fn queue_microtask(f: &super::Callback);
}

/// Runs `f` in a microtask, after the JavaScript that called in returned
/// (one microtask for all queued before it runs; what they queue runs in
/// the next).
fn later(f: Box<dyn FnOnce()>) {
    let first = LATER.try_with(|l| {
        l.try_borrow_mut().is_ok_and(|mut l| {
            l.push(f);
            l.len() == 1
        })
    });
    if first == Ok(true) {
        let _ = RUN_LATER.try_with(queue_microtask);
    }
}

fn run_later() {
    let due = LATER.try_with(|l| l.try_borrow_mut().map(|mut l| std::mem::take(&mut *l)));
    for f in due.into_iter().flatten().flatten() {
        f();
    }
}

/// A client's driver; clones share it.
#[derive(Clone)]
pub struct Driver(Rc<RefCell<Inner>>);

/// A driver that may be gone (what the browser's callbacks hold).
#[derive(Clone)]
struct WeakDriver(Weak<RefCell<Inner>>);

impl WeakDriver {
    fn with(&self, f: impl FnOnce(&Driver)) {
        if let Some(rc) = self.0.upgrade() {
            f(&Driver(rc));
        }
    }
}

impl Driver {
    /// A driver with a fresh session on `localStorage`, listening to the
    /// page (nothing without a `window`); app outputs go to `sink`.
    pub fn new(sink: Sink) -> Self {
        let session = Session::new(Box::new(|| Box::new(LocalStorage::new())));
        let driver = Driver(Rc::new(RefCell::new(Inner {
            session,
            socket: None,
            fetches: Vec::new(),
            timer: DeadlineTimer::default(),
            wakeups: Vec::new(),
            locks: Vec::new(),
            listeners: Vec::new(),
            storage: None,
            sink,
            held: Vec::new(),
            deferred: Vec::new(),
            pumping: false,
            debug: false,
        })));
        driver.listen();
        let weak = driver.weak();
        // `try_with`: no panic path (and no formatting) in the wasm.
        let _ = PAGE.try_with(|page| {
            if let Ok(mut page) = page.try_borrow_mut() {
                // In the place of a driver that is gone, if any.
                match page.iter_mut().find(|d| d.0.strong_count() == 0) {
                    Some(slot) => *slot = weak,
                    None => page.push(weak),
                }
            }
        });
        driver
    }

    fn weak(&self) -> WeakDriver {
        WeakDriver(Rc::downgrade(&self.0))
    }

    /// Whether two handles drive the same session.
    pub fn same(&self, other: &Driver) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }

    /// Feeds the session with `f` at the current time, under a borrow that
    /// ends before anything else runs; does not pump. `None` only if the
    /// driver is borrowed, which no caller can be (no JavaScript runs
    /// under a borrow).
    pub fn run<T>(&self, f: impl FnOnce(&mut Session, Millis) -> T) -> Option<T> {
        let mut inner = self.0.try_borrow_mut().ok()?;
        Some(f(&mut inner.session, now_ms()))
    }

    /// Reads the session.
    pub fn read<T>(&self, f: impl FnOnce(&Session) -> T) -> Option<T> {
        let inner = self.0.try_borrow().ok()?;
        Some(f(&inner.session))
    }

    /// Debug logging of the socket's life (the client's `debug` option).
    pub fn set_debug(&self, debug: bool) {
        if let Ok(mut inner) = self.0.try_borrow_mut() {
            inner.debug = debug;
        }
    }

    /// Timers set so far, for any deadline (for idle-cost measurements).
    pub fn timer_wakeups(&self) -> u64 {
        self.0.try_borrow().map_or(0, |i| i.timer.wakeups())
    }

    /// Timers set so far for the deadlines of `owner` (a service: what it
    /// costs; none while it has nothing due).
    pub fn timer_wakeups_of(&self, owner: Handle) -> u64 {
        self.0
            .try_borrow()
            .ok()
            .and_then(|i| i.wakeups.iter().find(|(h, _)| *h == owner).map(|(_, n)| *n))
            .unwrap_or(0)
    }

    /// Carries out everything the session has to do or say, then aims the
    /// timer. Inside a pump (a callback calling back in) it does nothing:
    /// the pump on the stack drains.
    pub fn pump(&self) {
        match self.0.try_borrow_mut() {
            Ok(mut inner) if !inner.pumping => inner.pumping = true,
            _ => return,
        }
        loop {
            let batch: Vec<Output> = match self.0.try_borrow_mut() {
                Ok(mut inner) => std::iter::from_fn(|| inner.session.poll()).collect(),
                Err(_) => break,
            };
            if batch.is_empty() {
                break;
            }
            for output in batch {
                self.carry_out(output);
            }
        }
        self.arm_timer();
        if let Ok(mut inner) = self.0.try_borrow_mut() {
            inner.pumping = false;
        }
    }

    /// Tells the page's other drivers, in a microtask, that this session
    /// wrote `key` (nothing to do for a page with one client).
    pub(super) fn tell_page(&self, key: String) {
        let me = Rc::downgrade(&self.0);
        let mut others: Vec<WeakDriver> = Vec::new();
        let _ = PAGE.try_with(|page| {
            if let Ok(page) = page.try_borrow() {
                for d in page.iter() {
                    if d.0.strong_count() > 0 && !d.0.ptr_eq(&me) {
                        others.push(d.clone());
                    }
                }
            }
        });
        if others.is_empty() {
            return;
        }
        later(Box::new(move || {
            for other in &others {
                other.with(|d| d.storage_changed(Some(&key)));
            }
        }));
    }

    /// Holds the events of `handle` until a microtask or the first command
    /// on it ([`Self::unhold`]), so that the app can subscribe after the
    /// constructor returned (a queue's load-time reports); then pumps.
    pub fn hold(&self, handle: Handle) {
        if let Ok(mut inner) = self.0.try_borrow_mut() {
            inner.held.push(handle);
        }
        let weak = self.weak();
        later(Box::new(move || {
            weak.with(|d| {
                d.unhold(handle);
                d.pump();
            })
        }));
    }

    /// Delivers what was held for `handle` (before a command on it runs).
    pub fn unhold(&self, handle: Handle) {
        let (mine, sink) = {
            let Ok(mut inner) = self.0.try_borrow_mut() else {
                return;
            };
            let Some(pos) = inner.held.iter().position(|h| *h == handle) else {
                return;
            };
            inner.held.swap_remove(pos);
            let (mine, rest): (Vec<_>, Vec<_>) = std::mem::take(&mut inner.deferred)
                .into_iter()
                .partition(|o| matches!(o, Output::Event { target, .. } if *target == handle));
            inner.deferred = rest;
            (mine, inner.sink.clone())
        };
        for output in mine {
            sink(output);
        }
    }

    /// Aims the one timer at the session's deadline, with the timer taken
    /// out of the borrow (arming calls `setTimeout`).
    fn arm_timer(&self) {
        let (deadline, owner, mut timer) = match self.0.try_borrow_mut() {
            Ok(mut inner) => (
                inner.session.next_deadline(),
                inner.session.next_deadline_owner(),
                std::mem::take(&mut inner.timer),
            ),
            Err(_) => return,
        };
        let weak = self.weak();
        let set = timer.arm(deadline, move || weak.with(Driver::on_timer));
        if let Ok(mut inner) = self.0.try_borrow_mut() {
            inner.timer = timer;
            if let Some(owner) = owner.filter(|_| set) {
                match inner.wakeups.iter_mut().find(|(h, _)| *h == owner) {
                    Some((_, n)) => *n += 1,
                    None => inner.wakeups.push((owner, 1)),
                }
            }
        }
    }

    fn on_timer(&self) {
        if let Ok(mut inner) = self.0.try_borrow_mut() {
            inner.timer.fired();
        }
        self.run(|s, now| s.handle_timeout(now));
        self.pump();
    }

    /// `key` changed in `localStorage` (`None`: cleared), written by another
    /// page or by another client of this one.
    fn storage_changed(&self, key: Option<&str>) {
        self.input(|s, now| s.handle_storage_changed(key, now));
    }

    /// Feeds the session from a browser callback, then pumps.
    fn input(&self, f: impl FnOnce(&mut Session, Millis)) {
        self.run(f);
        self.pump();
    }

    /// The page's listeners: online, offline, pageshow, pagehide, visibility and
    /// other tabs' storage changes.
    fn listen(&self) {
        let Some(window) = crate::browser::window() else {
            return;
        };
        let mut listeners = Vec::new();
        let on = |kind: &'static str, f: fn(&mut Session, Millis)| {
            let weak = self.weak();
            EventListener::new(&window, kind, move |_| weak.with(|d| d.input(f)))
        };
        listeners.extend(on("online", |s, now| s.handle_online(true, now)));
        listeners.extend(on("offline", |s, now| s.handle_online(false, now)));
        listeners.extend(on("pageshow", |s, now| s.handle_page_show(now)));
        listeners.extend(on("pagehide", |s, now| s.handle_page_hide(now)));
        if let Some(doc) = window.document() {
            let weak = self.weak();
            let d = doc.clone();
            listeners.extend(EventListener::new(&doc, "visibilitychange", move |_| {
                let hidden = super::activity::is_hidden(&d);
                weak.with(|drv| drv.input(|s, now| s.handle_visibility(hidden, now)));
            }));
        }
        let weak = self.weak();
        let storage = StorageListener::watching(
            |_| true,
            move |key| weak.with(|d| d.storage_changed(key.as_deref())),
        );
        if let Ok(mut inner) = self.0.try_borrow_mut() {
            inner.listeners = listeners;
            inner.storage = Some(storage);
        }
    }
}

/// The browser's `navigator.onLine` (true outside a browser).
pub fn online_now() -> bool {
    crate::browser::window().is_none_or(|w| w.navigator().on_line())
}
