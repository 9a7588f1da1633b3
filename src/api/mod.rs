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
//! Each service listens to its client through a Rust hook, carries out its
//! core's effects with no `RefCell` borrow held while calling JavaScript or
//! the client, and is torn down by `dispose()` (or when freed).

mod args;
pub mod client;
mod delivery;
mod driver;
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
