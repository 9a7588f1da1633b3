//! One deadline timer, re-armed from a core's `next_deadline()`.

use gloo_timers::callback::Timeout;

use super::clock::now_ms;
use crate::core::Millis;

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
