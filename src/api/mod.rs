//! The wasm surface seen from JavaScript: one [`native::Native`] per
//! client (`new`, `attach`, `call`, `detach`, `free`) and `start`. The
//! public classes are the TypeScript layer (`js/src`); `js/src/native.ts`
//! turns their calls into operation codes ([`ops`]) and holds listeners and
//! promises, which the one sink function feeds ([`events`]).
//!
//! Behind `call`, one module per class ([`client`], [`presence`], …)
//! decodes the arguments and forwards one command to the client's session
//! (`core::session`) through its [`hub::Hub`]; the driver
//! (`browser::driver`) carries out the effects.

mod args;
pub mod client;
mod conflict;
mod delivery;
mod dispatch;
mod events;
mod hub;
mod js;
pub mod native;
mod ops;
pub mod presence;
mod queue;
mod rooms;
mod sync;
mod types;
pub mod typing;

pub use native::Native;

/// Installs the panic hook (with the `console_error_panic_hook` feature,
/// for debugging) so a bug shows a Rust message in the console instead of
/// `unreachable`.
#[cfg(feature = "console_error_panic_hook")]
#[wasm_bindgen::prelude::wasm_bindgen(start)]
pub fn start() {
    console_error_panic_hook::set_once();
}
