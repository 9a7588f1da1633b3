//! An owned DOM event listener, removed on drop (after gloo-events).

use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;
use web_sys::{AddEventListenerOptions, Event, EventTarget};

/// A listener on `target` for `kind`, removed when dropped.
pub struct EventListener {
    target: EventTarget,
    kind: &'static str,
    capture: bool,
    callback: Closure<dyn FnMut(Event)>,
}

impl EventListener {
    /// Adds a passive listener. Returns `None` if the target refuses it.
    pub fn new(
        target: &EventTarget,
        kind: &'static str,
        callback: impl FnMut(Event) + 'static,
    ) -> Option<Self> {
        Self::with_capture(target, kind, false, callback)
    }

    /// Adds a passive listener, in the capture phase when `capture` (so it
    /// also hears events aimed at descendants that do not bubble).
    pub fn with_capture(
        target: &EventTarget,
        kind: &'static str,
        capture: bool,
        callback: impl FnMut(Event) + 'static,
    ) -> Option<Self> {
        let callback = Closure::<dyn FnMut(Event)>::new(callback);
        let options = AddEventListenerOptions::new();
        options.set_passive(true);
        options.set_capture(capture);
        target
            .add_event_listener_with_callback_and_add_event_listener_options(
                kind,
                callback.as_ref().unchecked_ref(),
                &options,
            )
            .ok()?;
        Some(Self {
            target: target.clone(),
            kind,
            capture,
            callback,
        })
    }
}

impl Drop for EventListener {
    fn drop(&mut self) {
        let _ = self.target.remove_event_listener_with_callback_and_bool(
            self.kind,
            self.callback.as_ref().unchecked_ref(),
            self.capture,
        );
    }
}
