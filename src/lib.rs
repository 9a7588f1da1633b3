//! chat-realtime: the realtime layer of a chat app, compiled to WebAssembly.
//!
//! * [`core`] is pure Rust: the Socket.IO codec and the state machines of every
//!   service, driven by `now_ms` and returning effects. It never touches a clock,
//!   a socket or storage, so host `cargo test` covers it with a fake clock.
//! * `browser` (wasm32 only) holds thin owning adapters over the browser's
//!   WebSocket, localStorage, timers and DOM listeners.
//! * `api` (wasm32 only) is the `#[wasm_bindgen]` surface that JavaScript sees.
#![deny(missing_docs)]

pub mod core;

#[cfg(target_arch = "wasm32")]
pub mod browser;

#[cfg(target_arch = "wasm32")]
pub mod api;

/// Talc instead of Rust's default dlmalloc: smaller and faster in the wasm.
#[cfg(all(not(target_feature = "atomics"), target_arch = "wasm32"))]
#[global_allocator]
static ALLOCATOR: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();
