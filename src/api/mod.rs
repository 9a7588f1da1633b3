//! The `#[wasm_bindgen]` surface seen from JavaScript.

pub mod client;
mod delivery;
mod js;
mod queue;
mod sync;
mod types;

pub use client::RealtimeClient;
pub use delivery::DeliveryEventHandler;
pub use queue::OfflineQueueService;
pub use sync::SyncService;

use wasm_bindgen::prelude::*;

/// Installs the panic hook (with the default feature) so a bug shows a Rust
/// message in the console instead of `unreachable`.
#[wasm_bindgen(start)]
pub fn start() {
    #[cfg(feature = "console_error_panic_hook")]
    console_error_panic_hook::set_once();
}
