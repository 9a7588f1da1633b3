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
