//! Thin adapters over browser resources. Each owns its closures and releases
//! listeners and timers in `Drop`; none panics, none leaks a closure.

pub mod activity;
pub mod clock;
pub mod device;
pub mod driver;
pub mod http;
pub mod listener;
pub mod storage;
pub mod timer;
pub mod websocket;

use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    /// The page's `window` (none in a worker or on a server).
    #[wasm_bindgen(thread_local_v2, js_name = window)]
    static WINDOW: Option<web_sys::Window>;
}

/// The one shape of the browser's callbacks to us (DOM events, timers,
/// microtasks, lock grants; the argument is the event, or what the caller
/// passed): one closure invoke export in the glue for all of them.
pub type Callback = Closure<dyn FnMut(JsValue)>;

/// The page's `window`, as `web_sys::window()` but without its lookup of
/// the global object (four imports and an `instanceof`).
pub fn window() -> Option<web_sys::Window> {
    WINDOW.with(Clone::clone)
}
