//! Which beacons test which relay in an epoch: deterministic from the
//! epoch's seed (on-chain randomness), so every node computes the same
//! assignment and no relay or beacon can choose its partners.
//!
//! The relays are put in an order drawn from the seed, and so are the
//! beacons (one hash each: the work is `O(B log B + R·B)` comparisons with
//! `R + B` hashes, which the runtime can afford at a thousand beacons). For
//! each relay in turn, the free beacons outside the relay's own network (a
//! different ASN: independence) whose link can carry an equal share of the
//! claim plus `margin_ppm` are taken in the drawn order, `beacons_per_test`
//! of them, so the beacons, not their links, are never the bottleneck, and
//! an honest relay's beacons receive equal shares (the verdict credits no
//! beacon more than the others' mean: [`crate::verdict::judge`]). A relay
//! claiming more than `beacons_per_test` of the pool's largest links carry
//! is not tested until larger beacons join or the board raises the count.
//! A beacon tests one relay per epoch. A relay that cannot be
//! covered is left untested this epoch and its beacons go back to the pool;
//! relays marked `first` (left untested last epoch) are served before the
//! others, so a relay claiming most of the pool's capacity cannot keep the
//! same relays untested epoch after epoch.

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
	/// Served before the relays not marked: its test was left out for want
	/// of beacons last epoch.
	pub first: bool,
}

/// How many beacons, with how much spare capacity.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Rules {
	/// At least this many beacons per relay.
	pub beacons_per_test: u32,
	/// Each beacon's link must carry its equal share of the claim plus this
	/// share of it, in parts per million.
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
	order.sort_by_key(|(i, draw)| (!relays[*i].first, *draw));

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
		let needed = rules.beacons_per_test.max(1) as usize;
		// Every beacon must carry an equal share of the target: the verdict
		// credits no beacon more than the others' mean in a second, so a
		// test of unequal links would undercount an honest relay.
		let share = target.div_ceil(needed as u64);
		let chosen: Vec<usize> = drawn
			.iter()
			.map(|(b, _)| *b)
			.filter(|b| {
				!taken[*b]
					&& beacons[*b].asn != relay.asn
					&& u64::from(beacons[*b].capacity_mbps) >= share
			})
			.take(needed)
			.collect();
		if chosen.len() == needed {
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
			Relay { id: 1, claimed_mbps: 300, asn: 1, first: false },
			Relay { id: 2, claimed_mbps: 200, asn: 2, first: false },
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
		let relays: Vec<Relay> = (0..3)
			.map(|i| Relay { id: i, claimed_mbps: 250, asn: 64_500 + i, first: false })
			.collect();
		let assignments = assign(&[42; 32], &relays, &beacons, RULES);
		assert_eq!(assignments.len(), 3);
		let mut seen = Vec::new();
		for a in &assignments {
			let relay = relays.iter().find(|r| r.id == a.relay).unwrap();
			assert_eq!(a.beacons.len(), 3);
			let smallest =
				a.beacons.iter().map(|b| u64::from(beacons[*b].capacity_mbps)).min().unwrap();
			assert!(
				smallest * 3 >= required_capacity(relay.claimed_mbps, RULES.margin_ppm),
				"{smallest}"
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
		let big = Relay { id: 7, claimed_mbps: 300, asn: 1, first: false };
		assert_eq!(assign(&[0; 32], &[big], &beacons, RULES), vec![]);
		let fits = Relay { id: 8, claimed_mbps: 200, asn: 1, first: false };
		let a = assign(&[0; 32], &[big, fits], &beacons, RULES);
		assert_eq!(a.len(), 1);
		assert_eq!(a[0].relay, 8);
		assert_eq!(a[0].beacons.len(), 3);
		// Beacons in the relay's ASN do not count.
		let same_net = Relay { id: 9, claimed_mbps: 10, asn: 10, first: false };
		assert_eq!(assign(&[0; 32], &[same_net], &beacons, RULES), vec![]);
	}

	#[test]
	fn relays_left_out_last_epoch_are_served_first() {
		// Three 100 Mbit/s beacons cover one 200 Mbit/s relay, not two.
		let beacons = [beacon(1, 100, 10), beacon(2, 100, 11), beacon(3, 100, 12)];
		let relays = |first| {
			[
				Relay { id: 1, claimed_mbps: 200, asn: 1, first: false },
				Relay { id: 2, claimed_mbps: 200, asn: 2, first },
			]
		};
		// Whichever relay the seed puts first, the one marked wins.
		for seed in 0..16u8 {
			let a = assign(&[seed; 32], &relays(true), &beacons, RULES);
			assert_eq!(a.len(), 1);
			assert_eq!(a[0].relay, 2, "seed {seed}");
		}
		// Unmarked, the seed decides between them.
		let winners: Vec<u32> =
			(0..16u8).map(|s| assign(&[s; 32], &relays(false), &beacons, RULES)[0].relay).collect();
		assert!(winners.contains(&1) && winners.contains(&2), "{winners:?}");
	}

	#[test]
	fn every_beacon_of_a_test_carries_an_equal_share_of_the_claim() {
		// 1,080 Mbit/s in all, but two links cannot carry a third of 240.
		let beacons = [beacon(1, 1_000, 10), beacon(2, 40, 11), beacon(3, 40, 12)];
		let relay = Relay { id: 1, claimed_mbps: 200, asn: 1, first: false };
		assert_eq!(assign(&[0; 32], &[relay], &beacons, RULES), vec![]);
		// Three links of 80 carry 240 in equal shares.
		let even = [beacon(1, 80, 10), beacon(2, 80, 11), beacon(3, 80, 12), beacon(4, 79, 13)];
		let a = assign(&[0; 32], &[relay], &even, RULES);
		assert_eq!(a.len(), 1);
		let mut chosen = a[0].beacons.clone();
		chosen.sort_unstable();
		assert_eq!(chosen, vec![0, 1, 2], "79 Mbit/s is short of the share");
	}

	#[test]
	fn margins_are_parts_per_million_of_the_claim() {
		assert_eq!(required_capacity(1_000, 200_000), 1_200);
		assert_eq!(required_capacity(u32::MAX, 1_000_000), 2 * u64::from(u32::MAX));
	}
}
