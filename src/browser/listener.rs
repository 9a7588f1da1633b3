//! An owned DOM event listener, removed on drop (after gloo-events).

use wasm_bindgen::prelude::*;
use web_sys::EventTarget;

use super::Callback;

#[wasm_bindgen(inline_js = r#"
export function listen(target, kind, capture, f, add) {
  if (add) target.addEventListener(kind, f, { passive: true, capture });
  else target.removeEventListener(kind, f, capture);
}
"#)]
extern "C" {
    /// Adds (`add`) or removes a passive listener: one import for both.
    #[wasm_bindgen(catch)]
    fn listen(
        target: &EventTarget,
        kind: &str,
        capture: bool,
        f: &Callback,
        add: bool,
    ) -> Result<(), JsValue>;
}

/// A listener on `target` for `kind`, removed when dropped.
pub struct EventListener {
    target: EventTarget,
    kind: &'static str,
    capture: bool,
    callback: Callback,
}

impl EventListener {
    /// Adds a passive listener. Returns `None` if the target refuses it.
    pub fn new(
        target: &EventTarget,
        kind: &'static str,
        callback: impl FnMut(JsValue) + 'static,
    ) -> Option<Self> {
        Self::with_capture(target, kind, false, callback)
    }

    /// Adds a passive listener, in the capture phase when `capture` (so it
    /// also hears events aimed at descendants that do not bubble).
    pub fn with_capture(
        target: &EventTarget,
        kind: &'static str,
        capture: bool,
        callback: impl FnMut(JsValue) + 'static,
    ) -> Option<Self> {
        let callback = Callback::new(callback);
        listen(target, kind, capture, &callback, true).ok()?;
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
        let _ = listen(&self.target, self.kind, self.capture, &self.callback, false);
    }
}
