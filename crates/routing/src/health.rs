//! Relays' health from the router's own probes: a relay that fails
//! [`FAILURES_TO_DOWN`] probes in a row gets no players until a probe
//! succeeds again. With a probe a second, a relay that goes down stops
//! receiving players within about two seconds; the chain (heartbeats,
//! suspensions) takes longer, and both apply.

use std::collections::HashMap;

/// Consecutive failed probes that take a relay out.
pub const FAILURES_TO_DOWN: u32 = 2;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct State {
	failures: u32,
	probed: bool,
}

/// Probe outcomes per relay.
#[derive(Clone, Debug, Default)]
pub struct HealthTracker {
	relays: HashMap<u32, State>,
}

impl HealthTracker {
	/// Records a probe of `relay`.
	pub fn observe(&mut self, relay: u32, ok: bool) {
		let state = self.relays.entry(relay).or_default();
		state.probed = true;
		state.failures = if ok { 0 } else { state.failures.saturating_add(1) };
	}

	/// Whether `relay` may get players. A relay not probed yet may: the
	/// chain lists it Active with a fresh heartbeat, and its first probe
	/// follows within a second.
	pub fn is_up(&self, relay: u32) -> bool {
		self.relays.get(&relay).is_none_or(|s| s.failures < FAILURES_TO_DOWN)
	}

	/// Relays that are down, for metrics.
	pub fn down(&self) -> usize {
		self.relays.values().filter(|s| s.failures >= FAILURES_TO_DOWN).count()
	}

	/// Forgets relays no longer in the table.
	pub fn retain(&mut self, keep: impl Fn(u32) -> bool) {
		self.relays.retain(|relay, _| keep(*relay));
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn two_failures_in_a_row_take_a_relay_out_and_one_success_brings_it_back() {
		let mut health = HealthTracker::default();
		assert!(health.is_up(3), "unprobed relays serve");
		health.observe(3, false);
		assert!(health.is_up(3), "one lost probe is noise");
		health.observe(3, true);
		health.observe(3, false);
		assert!(health.is_up(3), "failures must be consecutive");
		health.observe(3, false);
		assert!(!health.is_up(3));
		assert_eq!(health.down(), 1);
		health.observe(3, true);
		assert!(health.is_up(3));
		health.observe(4, false);
		health.observe(4, false);
		health.retain(|r| r != 4);
		assert!(health.is_up(4));
	}
}
