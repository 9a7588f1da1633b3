//! Exponential backoff with jitter: `base * 2^attempt`, capped, then 0–`jitter` extra.
//!
//! Shared by reconnection (seed: 1 s doubling to 30 s, 0–10 % jitter) and the
//! offline queue's retries (same defaults, 5 attempts).

use super::rng::Rng;
use super::Millis;

/// Backoff parameters.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BackoffConfig {
    /// Delay before the first retry.
    pub base_ms: Millis,
    /// Upper bound of the delay before jitter.
    pub max_ms: Millis,
    /// Extra random delay as a fraction of the capped delay (0.1 = up to 10 %).
    pub jitter: f64,
}

impl Default for BackoffConfig {
    fn default() -> Self {
        Self {
            base_ms: 1_000,
            max_ms: 30_000,
            jitter: 0.1,
        }
    }
}

impl BackoffConfig {
    /// The delay before retry number `attempt` (0-based), jitter drawn from `rng`.
    ///
    /// Jitter is applied after the cap, so the result lies in
    /// `[capped, capped * (1 + jitter)]`.
    pub fn delay(&self, attempt: u32, rng: &mut Rng) -> Millis {
        let capped = self.capped(attempt);
        let jitter = self.jitter.clamp(0.0, 1.0);
        capped.saturating_add((capped as f64 * jitter * rng.next_f64()) as Millis)
    }

    /// The delay before retry number `attempt`, without jitter.
    pub fn capped(&self, attempt: u32) -> Millis {
        let factor = 1u64.checked_shl(attempt.min(63)).unwrap_or(u64::MAX);
        self.base_ms.saturating_mul(factor).min(self.max_ms)
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;

    #[test]
    fn doubles_from_one_second_to_a_thirty_second_cap() {
        let b = BackoffConfig::default();
        let seq: Vec<_> = (0..7).map(|a| b.capped(a)).collect();
        assert_eq!(seq, [1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000]);
        assert_eq!(b.capped(200), 30_000);
    }

    #[test]
    fn jitter_is_within_ten_percent_after_the_cap() {
        let b = BackoffConfig::default();
        let mut rng = Rng::new(42);
        for attempt in 0..40 {
            let d = b.delay(attempt, &mut rng);
            let c = b.capped(attempt);
            assert!(d >= c && d <= c + c / 10, "attempt {attempt}: {d}");
        }
    }
}
