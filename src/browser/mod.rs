//! Thin adapters over browser resources. Each owns its closures and releases
//! listeners and timers in `Drop`.
