//! The `#[wasm_bindgen]` surface seen from JavaScript.
//!
//! * [`RealtimeClient`]: the Socket.IO connection.
//! * [`OfflineQueueService`]: messages written offline, persisted in
//!   `localStorage`, sent in order exactly once (server de-duplication by
//!   `clientMessageId`), shared by tabs through a cross-tab flush lock.
//! * [`DeliveryEventHandler`]: sent / delivered / read ticks. Messages sent
//!   through a queue are tracked by attaching it (`options.queue` or
//!   `attachQueue(queue)`): the queue's `message:queued` / `message:sent` /
//!   `message:failed` move them `pending -> sent` / `failed` by themselves.
//!   Messages the app emits itself use `trackOutgoing` + `markSent`.
//! * [`SyncService`]: the reconnect sequence; with `options.queue` it
//!   flushes that queue first.
//!
//! Every class is a thin layer over one client's [`hub::Hub`]: each method
//! checks its arguments ([`args`]) and forwards one command to the client's
//! session (`core::session`), whose driver (`browser::driver`) carries out
//! the effects; events and completions come back to the listeners and
//! promises ([`events`]). A service is torn down by `dispose()` (or when
//! freed).

mod args;
pub mod client;
mod delivery;
mod events;
mod hub;
mod js;
pub mod presence;
mod queue;
mod sync;
mod types;
pub mod typing;

pub use client::RealtimeClient;
pub use delivery::DeliveryEventHandler;
pub use presence::PresenceService;
pub use queue::OfflineQueueService;
pub use sync::SyncService;
pub use typing::TypingService;

use wasm_bindgen::prelude::*;

/// Installs the panic hook (with the default feature) so a bug shows a Rust
/// message in the console instead of `unreachable`.
#[wasm_bindgen(start)]
pub fn start() {
    #[cfg(feature = "console_error_panic_hook")]
    console_error_panic_hook::set_once();
}
