//! The `#[wasm_bindgen]` surface seen from JavaScript.

mod args;
pub mod client;
mod js;
pub mod presence;
mod types;
pub mod typing;

pub use client::RealtimeClient;
pub use presence::PresenceService;
pub use typing::TypingService;

use wasm_bindgen::prelude::*;

/// Installs the panic hook (with the default feature) so a bug shows a Rust
/// message in the console instead of `unreachable`.
#[wasm_bindgen(start)]
pub fn start() {
    #[cfg(feature = "console_error_panic_hook")]
    console_error_panic_hook::set_once();
}
