//! Which beacons test which relay in an epoch: deterministic from the
//! epoch's seed (on-chain randomness), so every node computes the same
//! assignment and no relay or beacon can choose its partners.
//!
//! The relays are put in an order drawn from the seed, and so are the
//! beacons (one hash each: the work is `O(B log B + R·B)` comparisons with
//! `R + B` hashes, which the runtime can afford at a thousand beacons). For
//! each relay in turn, the free beacons outside the relay's own network (a
//! different ASN: independence) are taken in the drawn order until there are
//! at least `beacons_per_test` of them and their combined capacity exceeds
//! the claim by `margin_ppm`, so the beacons, not their links, are never the
//! bottleneck. A beacon tests one relay per epoch. A relay that cannot be
//! covered is left untested this epoch and its beacons go back to the pool.

use alloc::vec::Vec;

/// A beacon that may be assigned.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Beacon {
	/// Its account (public key).
	pub id: [u8; 32],
	/// Its own measured capacity.
	pub capacity_mbps: u32,
	/// The ASN of its network.
	pub asn: u32,
}

/// A relay to test.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Relay {
	pub id: u32,
	pub claimed_mbps: u32,
	pub asn: u32,
}

/// How many beacons, with how much spare capacity.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Rules {
	/// At least this many beacons per relay.
	pub beacons_per_test: u32,
	/// Their combined capacity must reach the claim plus this share of it,
	/// in parts per million.
	pub margin_ppm: u32,
}

/// One relay's beacons, as indices into the beacon list.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Assignment {
	pub relay: u32,
	pub beacons: Vec<usize>,
}

fn draw(seed: &[u8; 32], parts: &[&[u8]]) -> [u8; 32] {
	let mut hasher = blake3::Hasher::new_keyed(seed);
	for part in parts {
		hasher.update(part);
	}
	*hasher.finalize().as_bytes()
}

/// The capacity the beacons of a relay claiming `claimed_mbps` must reach.
pub fn required_capacity(claimed_mbps: u32, margin_ppm: u32) -> u64 {
	let claimed = u64::from(claimed_mbps);
	claimed + claimed * u64::from(margin_ppm) / 1_000_000
}

/// Assigns beacons to relays for the epoch whose seed is `seed`. Relays that
/// could not be covered are missing from the result.
pub fn assign(
	seed: &[u8; 32],
	relays: &[Relay],
	beacons: &[Beacon],
	rules: Rules,
) -> Vec<Assignment> {
	let mut order: Vec<(usize, [u8; 32])> = relays
		.iter()
		.enumerate()
		.map(|(i, r)| (i, draw(seed, &[b"relay", &r.id.to_le_bytes()])))
		.collect();
	order.sort_by_key(|a| a.1);

	let mut drawn: Vec<(usize, [u8; 32])> = beacons
		.iter()
		.enumerate()
		.filter(|(_, beacon)| beacon.capacity_mbps > 0)
		.map(|(b, beacon)| (b, draw(seed, &[b"beacon", &beacon.id])))
		.collect();
	drawn.sort_by_key(|a| a.1);
	let mut taken = alloc::vec![false; beacons.len()];
	let mut out = Vec::new();
	for (index, _) in order {
		let relay = relays[index];
		let target = required_capacity(relay.claimed_mbps, rules.margin_ppm);
		let mut chosen = Vec::new();
		let mut capacity = 0u64;
		for (b, _) in &drawn {
			if chosen.len() >= rules.beacons_per_test as usize && capacity > target {
				break;
			}
			if taken[*b] || beacons[*b].asn == relay.asn {
				continue;
			}
			chosen.push(*b);
			capacity += u64::from(beacons[*b].capacity_mbps);
		}
		if chosen.len() >= rules.beacons_per_test as usize && capacity > target {
			for b in &chosen {
				taken[*b] = true;
			}
			out.push(Assignment { relay: relay.id, beacons: chosen });
		}
	}
	out
}

#[cfg(test)]
mod tests {
	use super::*;

	fn beacon(n: u8, capacity_mbps: u32, asn: u32) -> Beacon {
		Beacon { id: [n; 32], capacity_mbps, asn }
	}

	fn pool() -> Vec<Beacon> {
		(0..12).map(|n| beacon(n, 100 + u32::from(n) * 10, 64_500 + u32::from(n % 4))).collect()
	}

	const RULES: Rules = Rules { beacons_per_test: 3, margin_ppm: 200_000 };

	#[test]
	fn the_same_seed_gives_the_same_assignment_and_another_seed_another() {
		let relays = [
			Relay { id: 1, claimed_mbps: 300, asn: 1 },
			Relay { id: 2, claimed_mbps: 200, asn: 2 },
		];
		let a = assign(&[1; 32], &relays, &pool(), RULES);
		assert_eq!(a, assign(&[1; 32], &relays, &pool(), RULES));
		assert_eq!(a.len(), 2);
		let others: Vec<_> = (2..12u8).map(|s| assign(&[s; 32], &relays, &pool(), RULES)).collect();
		assert!(others.iter().any(|o| o != &a), "the seed decides");
	}

	#[test]
	fn each_relay_gets_enough_independent_beacons_and_no_beacon_twice() {
		let beacons = pool();
		let relays: Vec<Relay> =
			(0..3).map(|i| Relay { id: i, claimed_mbps: 250, asn: 64_500 + i }).collect();
		let assignments = assign(&[42; 32], &relays, &beacons, RULES);
		assert_eq!(assignments.len(), 3);
		let mut seen = Vec::new();
		for a in &assignments {
			let relay = relays.iter().find(|r| r.id == a.relay).unwrap();
			assert!(a.beacons.len() >= 3);
			let capacity: u64 =
				a.beacons.iter().map(|b| u64::from(beacons[*b].capacity_mbps)).sum();
			assert!(
				capacity > required_capacity(relay.claimed_mbps, RULES.margin_ppm),
				"{capacity}"
			);
			for b in &a.beacons {
				assert_ne!(beacons[*b].asn, relay.asn, "a beacon never tests its own network");
				assert!(!seen.contains(b), "beacon {b} assigned twice");
				seen.push(*b);
			}
		}
	}

	#[test]
	fn a_relay_the_pool_cannot_cover_is_left_untested() {
		let beacons = [beacon(1, 100, 10), beacon(2, 100, 11), beacon(3, 100, 12)];
		// 300 Mbit/s of beacons cannot test a 300 Mbit/s claim with a margin.
		let big = Relay { id: 7, claimed_mbps: 300, asn: 1 };
		assert_eq!(assign(&[0; 32], &[big], &beacons, RULES), vec![]);
		let fits = Relay { id: 8, claimed_mbps: 200, asn: 1 };
		let a = assign(&[0; 32], &[big, fits], &beacons, RULES);
		assert_eq!(a.len(), 1);
		assert_eq!(a[0].relay, 8);
		assert_eq!(a[0].beacons.len(), 3);
		// Beacons in the relay's ASN do not count.
		let same_net = Relay { id: 9, claimed_mbps: 10, asn: 10 };
		assert_eq!(assign(&[0; 32], &[same_net], &beacons, RULES), vec![]);
	}

	#[test]
	fn margins_are_parts_per_million_of_the_claim() {
		assert_eq!(required_capacity(1_000, 200_000), 1_200);
		assert_eq!(required_capacity(u32::MAX, 1_000_000), 2 * u64::from(u32::MAX));
	}
}
