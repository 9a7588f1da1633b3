//! The wall clock, read once per host call and handed to the core.

use crate::core::Millis;

/// Milliseconds since the Unix epoch (`Date.now()`).
pub fn now_ms() -> Millis {
    js_sys::Date::now().max(0.0) as Millis
}
