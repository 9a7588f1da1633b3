//! The driver the services share: it carries out a core's effects with no
//! `RefCell` borrow held while calling JavaScript or the client, keeps the
//! one deadline timer aimed at the core's next deadline, and registers the
//! service's hook on the client.
//!
//! A service's state implements [`Driven`]; [`pump`] then drains the core's
//! effects into the service's own calls ([`Driven::take_batch`]), re-arms the
//! timer, releases the borrow and hands the calls to [`Driven::dispatch`],
//! until the core has nothing left to do.

use std::cell::{Cell, RefCell, RefMut};
use std::rc::{Rc, Weak};

use js_sys::Function;
use wasm_bindgen::prelude::*;

use super::client::{ClientEvent, ClientHandle, Hook};
use super::js::{unsubscribe_fn, Callbacks, Unsubscribe};
use crate::browser::clock::now_ms;
use crate::browser::timer::DeadlineTimer;
use crate::core::decimal::cat;
use crate::core::Millis;

/// A core driven by time: the timer is aimed at its next deadline and calls
/// it back when that passes.
pub(crate) trait Timed {
    /// The next instant the core wants to be woken at.
    fn next_deadline(&self) -> Option<Millis>;
    /// Handles every deadline due at `now`.
    fn handle_timeout(&mut self, now: Millis);
}

macro_rules! timed {
    ($($core:ty),* $(,)?) => {$(
        impl Timed for $core {
            fn next_deadline(&self) -> Option<Millis> {
                <$core>::next_deadline(self)
            }
            fn handle_timeout(&mut self, now: Millis) {
                <$core>::handle_timeout(self, now)
            }
        }
    )*};
}

timed!(
    crate::core::queue::OfflineQueueService,
    crate::core::sync::SyncService,
    crate::core::delivery::DeliveryEventHandler,
    crate::core::presence::PresenceService,
    crate::core::typing::TypingService,
);

/// The state of a service run by this driver.
pub(crate) trait Driven: Unsubscribe + Sized + 'static {
    /// The service's core.
    type Core: Timed;
    /// A call to JavaScript or the client, made once the borrow is released.
    type Out;
    /// The class name, for error messages.
    const NAME: &'static str;
    /// Keep a timer armed at or before the deadline
    /// ([`DeadlineTimer::arm_no_later`]) instead of re-aiming it exactly.
    const LAZY_TIMER: bool = false;

    /// The core; `None` once disposed.
    fn core(&mut self) -> Option<&mut Self::Core>;
    /// The deadline timer.
    fn timer(&mut self) -> &mut DeadlineTimer;
    /// The counter listener ids are taken from.
    fn next_id(&mut self) -> &mut u32;
    /// A flag set while a pump dispatches: a pump started from inside one
    /// only leaves its effects to the outer one, which drains them in order.
    /// `None`: every pump drains what it finds.
    fn pumping(&self) -> Option<Rc<Cell<bool>>> {
        None
    }
    /// The core's effects drained as calls to make; `None` once disposed.
    fn take_batch(&mut self) -> Option<Vec<Self::Out>>;
    /// Makes the calls, with no borrow of `rc` held.
    fn dispatch(rc: &Rc<RefCell<Self>>, batch: Vec<Self::Out>);
}

/// Carries out the core's effects and re-arms the timer, until the core has
/// nothing more to do. Does nothing while `rc` is borrowed: the call on the
/// stack that holds it pumps when it is done.
pub(crate) fn pump<D: Driven>(rc: &Rc<RefCell<D>>) {
    let Some(pumping) = rc.try_borrow().ok().map(|i| i.pumping()) else {
        return;
    };
    if pumping.as_ref().is_some_and(|p| p.replace(true)) {
        return;
    }
    loop {
        let batch = {
            let Ok(mut guard) = rc.try_borrow_mut() else {
                break;
            };
            let inner = &mut *guard;
            let Some(batch) = inner.take_batch() else {
                break;
            };
            let Some(deadline) = inner.core().map(|c| c.next_deadline()) else {
                break;
            };
            let weak = Rc::downgrade(rc);
            let fire = move || on_timer(&weak);
            if D::LAZY_TIMER {
                inner.timer().arm_no_later(deadline, fire);
            } else {
                inner.timer().arm(deadline, fire);
            }
            if batch.is_empty() {
                break;
            }
            batch
        };
        D::dispatch(rc, batch);
    }
    if let Some(p) = pumping {
        p.set(false);
    }
}

/// Pumps in a microtask: load-time events go out after the caller had a
/// chance to subscribe.
pub(crate) fn pump_soon<D: Driven>(rc: &Rc<RefCell<D>>) {
    let weak = Rc::downgrade(rc);
    wasm_bindgen_futures::spawn_local(async move {
        if let Some(rc) = weak.upgrade() {
            pump(&rc);
        }
    });
}

fn on_timer<D: Driven>(weak: &Weak<RefCell<D>>) {
    let Some(rc) = weak.upgrade() else { return };
    {
        let Ok(mut inner) = rc.try_borrow_mut() else {
            return;
        };
        inner.timer().fired();
        let Some(core) = inner.core() else { return };
        core.handle_timeout(now_ms());
    }
    pump(&rc);
}

/// Runs `f` on the core (if not disposed) with `now`, then pumps.
pub(crate) fn with_core<D: Driven, T>(
    rc: &Rc<RefCell<D>>,
    f: impl FnOnce(&mut D::Core, Millis) -> T,
) -> Option<T> {
    let r = {
        let mut inner = rc.try_borrow_mut().ok()?;
        let core = inner.core()?;
        f(core, now_ms())
    };
    pump(rc);
    Some(r)
}

/// Runs `f` on the whole state (if the service is still there and not
/// disposed) with `now`, then pumps.
pub(crate) fn with_state<D: Driven>(weak: &Weak<RefCell<D>>, f: impl FnOnce(&mut D, Millis)) {
    let Some(rc) = weak.upgrade() else { return };
    {
        let Ok(mut inner) = rc.try_borrow_mut() else {
            return;
        };
        if inner.core().is_none() {
            return;
        }
        f(&mut inner, now_ms());
    }
    pump(&rc);
}

/// The error of a call on a disposed service.
pub(crate) fn disposed<D: Driven>() -> JsError {
    JsError::new(&cat!("this ", D::NAME, " was disposed; create a new one"))
}

/// The state, or the error of a call made from inside the service itself.
pub(crate) fn borrow<D: Driven>(rc: &Rc<RefCell<D>>) -> Result<RefMut<'_, D>, JsError> {
    rc.try_borrow_mut().map_err(|_| {
        JsError::new(&cat!(
            D::NAME,
            " is busy: it cannot be called from inside itself"
        ))
    })
}

/// Runs `f` on the live core with `now`, then pumps.
pub(crate) fn run<D: Driven, T>(
    rc: &Rc<RefCell<D>>,
    f: impl FnOnce(&mut D::Core, Millis) -> Result<T, JsError>,
) -> Result<T, JsError> {
    let r = {
        let mut inner = borrow(rc)?;
        let core = inner.core().ok_or_else(disposed::<D>)?;
        f(core, now_ms())
    };
    pump(rc);
    r
}

/// Subscribes the listener `callback` to the list `subs` picks; returns its
/// unsubscribe function. Refused once disposed.
pub(crate) fn subscribe<D: Driven>(
    rc: &Rc<RefCell<D>>,
    subs: fn(&mut D) -> &mut Callbacks,
    callback: Function,
) -> Result<Function, JsError> {
    let id = {
        let mut inner = borrow(rc)?;
        if inner.core().is_none() {
            return Err(disposed::<D>());
        }
        let id = fresh_id(&mut *inner);
        subs(&mut inner).add(id, callback);
        id
    };
    Ok(unsubscribe(rc, id))
}

/// A new listener id.
pub(crate) fn fresh_id<D: Driven>(inner: &mut D) -> u32 {
    let next = inner.next_id();
    *next = next.wrapping_add(1);
    *next
}

/// The idempotent `() => void` that removes listener `id` of `rc`.
pub(crate) fn unsubscribe<D: Unsubscribe + 'static>(rc: &Rc<RefCell<D>>, id: u32) -> Function {
    let weak: Weak<RefCell<dyn Unsubscribe>> = Rc::downgrade(rc) as Weak<RefCell<dyn Unsubscribe>>;
    unsubscribe_fn(weak, id)
}

/// Registers `on_event` for `rc` as a hook on `client`; returns its id.
pub(crate) fn add_hook<D: 'static>(
    rc: &Rc<RefCell<D>>,
    client: &ClientHandle,
    on_event: fn(&Weak<RefCell<D>>, &ClientEvent),
) -> u32 {
    let weak = Rc::downgrade(rc);
    let hook: Hook = Rc::new(move |event: &ClientEvent| on_event(&weak, event));
    client.add_hook(hook)
}

/// A request to the server: `event` with JSON `payload`, answered by an ack.
pub(crate) struct Request {
    /// The core's id of the request.
    pub request_id: u64,
    /// The event name.
    pub event: String,
    /// The JSON text of the argument.
    pub payload: String,
    /// How long to wait for the ack.
    pub timeout_ms: Millis,
}

impl Request {
    /// Emits the request on `client`; its ack (the ack's args as a JSON array
    /// text, or why none came) goes to `on_ack`. `Err` with the message when
    /// it could not be sent (`on_ack` is then not called).
    pub fn send<D: 'static>(
        self,
        rc: &Rc<RefCell<D>>,
        client: &ClientHandle,
        on_ack: fn(&Weak<RefCell<D>>, u64, Result<String, String>),
    ) -> Result<(), JsError> {
        let weak = Rc::downgrade(rc);
        let request_id = self.request_id;
        client.emit_with_ack_cb(
            &self.event,
            Some(&self.payload),
            Some(self.timeout_ms),
            Box::new(move |result| on_ack(&weak, request_id, result)),
        )
    }
}
