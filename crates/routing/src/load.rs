//! The load this router puts on each relay: redirects per second, as an
//! exponentially decaying count (half-life [`HALF_LIFE_SECS`]), so a burst
//! of players spreads over a tier's relays in proportion to their capacity
//! instead of all landing on the largest.

use std::collections::HashMap;

/// Seconds after which a redirect counts half.
pub const HALF_LIFE_SECS: f64 = 10.0;

#[derive(Clone, Copy, Debug, Default)]
struct Decaying {
	value: f64,
	at: f64,
}

impl Decaying {
	fn at(&self, now: f64) -> f64 {
		let elapsed = (now - self.at).max(0.0);
		self.value * (-elapsed * core::f64::consts::LN_2 / HALF_LIFE_SECS).exp()
	}
}

/// Redirects per relay, decaying; `now` is seconds on any monotonic clock.
#[derive(Clone, Debug, Default)]
pub struct LoadTracker {
	relays: HashMap<u32, Decaying>,
}

impl LoadTracker {
	/// Counts one redirect to `relay` at `now`.
	pub fn record(&mut self, relay: u32, now: f64) {
		let entry = self.relays.entry(relay).or_default();
		entry.value = entry.at(now) + 1.0;
		entry.at = now;
	}

	/// The decayed count of redirects to `relay` at `now`: a rate times
	/// `HALF_LIFE_SECS / ln 2` once steady.
	pub fn load(&self, relay: u32, now: f64) -> f64 {
		self.relays.get(&relay).map_or(0.0, |d| d.at(now))
	}

	/// Redirects per second to `relay`, once the rate has held for a few
	/// half-lives.
	pub fn rate(&self, relay: u32, now: f64) -> f64 {
		self.load(relay, now) * core::f64::consts::LN_2 / HALF_LIFE_SECS
	}

	/// Forgets relays that are no longer routed to.
	pub fn retain(&mut self, keep: impl Fn(u32) -> bool) {
		self.relays.retain(|relay, _| keep(*relay));
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn counts_decay_by_half_each_half_life() {
		let mut load = LoadTracker::default();
		for _ in 0..8 {
			load.record(1, 100.0);
		}
		assert_eq!(load.load(1, 100.0), 8.0);
		assert!((load.load(1, 110.0) - 4.0).abs() < 1e-9);
		assert!((load.load(1, 130.0) - 1.0).abs() < 1e-9);
		assert_eq!(load.load(2, 100.0), 0.0);
		// A clock that steps back does not inflate the count.
		assert_eq!(load.load(1, 90.0), 8.0);
	}

	#[test]
	fn a_steady_rate_reads_back_as_itself() {
		let mut load = LoadTracker::default();
		// 50 redirects a second for two minutes.
		for tick in 0..(120 * 50) {
			load.record(7, f64::from(tick) / 50.0);
		}
		let rate = load.rate(7, 120.0);
		assert!((rate - 50.0).abs() < 1.0, "{rate}");
		load.retain(|relay| relay != 7);
		assert_eq!(load.rate(7, 120.0), 0.0);
	}
}
