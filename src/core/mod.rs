//! Pure, sans-IO core: protocol codec and state machines.
//!
//! Every time-dependent call takes `now` in milliseconds ([`Millis`]); state
//! machines queue effects for the host to carry out and report the next instant
//! they need to be woken with `next_deadline()`.

pub mod ack;
pub mod backoff;
pub mod codec;
pub mod connection;
pub mod delivery;
pub mod presence;
pub mod quality;
pub mod queue;
pub mod rng;
pub mod store;
pub mod sync;
#[cfg(all(test, not(target_arch = "wasm32")))]
mod test_support;
pub mod typing;

/// Milliseconds since the Unix epoch (or any fixed origin, as long as it is monotonic enough).
pub type Millis = u64;

/// The room of a channel: `channel:{id}`, or the id itself when it already
/// names a room (contains `:`). Empty ids are refused.
pub fn room_name(channel_id: &str) -> Result<String, String> {
    if channel_id.trim().is_empty() {
        return Err("the channel id must be a non-empty string".into());
    }
    if channel_id.contains(':') {
        Ok(channel_id.to_owned())
    } else {
        Ok(format!("channel:{channel_id}"))
    }
}
