//! Connection quality from round-trip samples over a rolling window.

use crate::core::fifo::Fifo;

/// Quality bands of the seeds: `excellent` < 100 ms, `good` 100–300,
/// `fair` 300–600, `poor` > 600, `unknown` before the first sample.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Quality {
    /// No sample yet.
    Unknown,
    /// Under 100 ms.
    Excellent,
    /// 100–300 ms.
    Good,
    /// 300–600 ms.
    Fair,
    /// Over 600 ms.
    Poor,
}

impl Quality {
    /// The band of an average latency in ms.
    pub fn from_latency(ms: f64) -> Self {
        if ms < 100.0 {
            Quality::Excellent
        } else if ms < 300.0 {
            Quality::Good
        } else if ms <= 600.0 {
            Quality::Fair
        } else {
            Quality::Poor
        }
    }

    /// The lowercase name used in JavaScript.
    pub fn as_str(self) -> &'static str {
        match self {
            Quality::Unknown => "unknown",
            Quality::Excellent => "excellent",
            Quality::Good => "good",
            Quality::Fair => "fair",
            Quality::Poor => "poor",
        }
    }
}

/// A rolling window of round-trip times.
#[derive(Debug, Clone)]
pub struct LatencyWindow {
    samples: Fifo<u64>,
    size: usize,
}

impl LatencyWindow {
    /// A window keeping the last `size` samples (at least one).
    pub fn new(size: usize) -> Self {
        Self {
            samples: Fifo::new(),
            size: size.max(1),
        }
    }

    /// Adds a sample in ms.
    pub fn push(&mut self, rtt: u64) {
        if self.samples.len() == self.size {
            self.samples.pop_front();
        }
        self.samples.push_back(rtt);
    }

    /// The average in ms, if there is any sample.
    pub fn average(&self) -> Option<f64> {
        if self.samples.is_empty() {
            return None;
        }
        // Summed as floats: a few huge samples (a clock jump) must not overflow.
        let sum: f64 = self.samples.iter().map(|&s| s as f64).sum();
        Some(sum / self.samples.len() as f64)
    }

    /// The band of the average.
    pub fn quality(&self) -> Quality {
        self.average()
            .map_or(Quality::Unknown, Quality::from_latency)
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;

    #[test]
    fn bands_follow_the_seed_thresholds() {
        let q = Quality::from_latency;
        assert_eq!(
            [q(0.0), q(99.9), q(100.0), q(299.0)],
            [
                Quality::Excellent,
                Quality::Excellent,
                Quality::Good,
                Quality::Good
            ]
        );
        assert_eq!(
            [q(300.0), q(600.0), q(601.0)],
            [Quality::Fair, Quality::Fair, Quality::Poor]
        );
    }

    #[test]
    fn window_rolls() {
        let mut w = LatencyWindow::new(3);
        assert_eq!(w.quality(), Quality::Unknown);
        for s in [10, 20, 30] {
            w.push(s);
        }
        assert_eq!(w.average(), Some(20.0));
        for s in [800, 800, 800] {
            w.push(s);
        }
        assert_eq!(w.quality(), Quality::Poor);
        for _ in 0..3 {
            w.push(u64::MAX);
        }
        assert_eq!(w.average(), Some(u64::MAX as f64));
    }
}
