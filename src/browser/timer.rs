//! One deadline timer, re-armed from a core's `next_deadline()`.

use wasm_bindgen::prelude::*;

use super::clock::now_ms;
use crate::core::Millis;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_name = setTimeout)]
    fn set_timeout(f: &super::Callback, ms: u32) -> f64;
    #[wasm_bindgen(js_name = clearTimeout)]
    fn clear_timeout(id: f64);
}

/// A `setTimeout` with its callback, cleared on drop (before the callback
/// goes, so it never runs dropped).
struct Timeout {
    id: f64,
    _fire: super::Callback,
}

impl Timeout {
    fn new(ms: u32, fire: impl FnOnce() + 'static) -> Self {
        let mut fire = Some(fire);
        let f = super::Callback::new(move |_| {
            if let Some(fire) = fire.take() {
                fire();
            }
        });
        Timeout {
            id: set_timeout(&f, ms),
            _fire: f,
        }
    }
}

impl Drop for Timeout {
    fn drop(&mut self) {
        clear_timeout(self.id);
    }
}

/// A single `setTimeout` aimed at an absolute instant; cleared on drop.
#[derive(Default)]
pub struct DeadlineTimer {
    armed: Option<(Millis, Timeout)>,
    wakeups: u64,
}

impl DeadlineTimer {
    /// Aims the timer at `deadline` (or disarms it with `None`). Re-arming for
    /// the same instant keeps the running timer. Whether a timer was set.
    pub fn arm(&mut self, deadline: Option<Millis>, fire: impl FnOnce() + 'static) -> bool {
        match (deadline, &self.armed) {
            (Some(d), Some((at, _))) if *at == d => false,
            (Some(d), _) => {
                let delay = d.saturating_sub(now_ms()).min(i32::MAX as Millis) as u32;
                self.wakeups += 1;
                // Dropping the previous Timeout clears it.
                self.armed = Some((d, Timeout::new(delay, fire)));
                true
            }
            (None, _) => {
                self.armed = None;
                false
            }
        }
    }

    /// Forgets the armed instant after the timer fired, so the next `arm` sets a new one.
    pub fn fired(&mut self) {
        self.armed = None;
    }

    /// How many timers were set: the wakeup count for idle-cost measurements.
    pub fn wakeups(&self) -> u64 {
        self.wakeups
    }
}
