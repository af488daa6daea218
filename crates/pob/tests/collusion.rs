//! The verdict against colluding beacons: the bound of
//! `ocm_pob::verdict::judge` as a property over arbitrary reports, and what
//! an operator controlling a tenth of the beacon population gains over many
//! epochs of random draws.

use ocm_pob::verdict::{judge, supports_claim};
use proptest::prelude::*;

fn lower_median(mut values: Vec<u64>) -> u64 {
	values.sort_unstable();
	values[(values.len() - 1) / 2]
}

proptest! {
	#![proptest_config(ProptestConfig::with_cases(2_000))]

	/// One colluder among `n`, reporting anything: the credited rate is at
	/// most `(n + 1/2) / (n - 1)` times what the honest beacons received,
	/// however the relay shared its bytes among them, second by second.
	#[test]
	fn one_colluder_inflates_by_at_most_n_and_a_half_over_n_minus_one(
		n in 2usize..=16,
		window in 1usize..=12,
		honest in prop::collection::vec(prop::collection::vec(0u64..50_000_000, 12), 15),
		lie in prop::collection::vec(any::<u64>(), 12),
		at in 0usize..16,
	) {
		let mut reports: Vec<Vec<u64>> =
			honest[..n - 1].iter().map(|r| r[..window].to_vec()).collect();
		reports.insert(at % n, lie[..window].to_vec());
		let slices: Vec<&[u64]> = reports.iter().map(Vec::as_slice).collect();
		let credited = judge(&slices, 0).unwrap().bytes_per_second;
		let received: Vec<u64> =
			(0..window).map(|s| honest[..n - 1].iter().map(|r| r[s]).sum()).collect();
		let truth = lower_median(received);
		prop_assert!(
			u128::from(credited) * 2 * (n as u128 - 1) <= u128::from(truth) * (2 * n as u128 + 1),
			"credited {credited}, received {truth}, n {n}"
		);
	}

	/// `f` colluders, fewer than half: when the honest beacons received
	/// equal shares, the credited rate is at most `(n + f/2) / (n - f)`
	/// times what they received; with no colluder, exactly what they
	/// received.
	#[test]
	fn a_minority_inflates_by_at_most_n_and_half_f_over_n_minus_f(
		n in 3usize..=16,
		f_seed in 0usize..8,
		shares in prop::collection::vec(0u64..100_000_000, 1..=12),
		lies in prop::collection::vec(prop::collection::vec(any::<u64>(), 12), 8),
	) {
		let f = f_seed % n.div_ceil(2);
		let window = shares.len();
		let mut reports: Vec<Vec<u64>> = (0..n - f).map(|_| shares.clone()).collect();
		reports.extend(lies[..f].iter().map(|l| l[..window].to_vec()));
		let slices: Vec<&[u64]> = reports.iter().map(Vec::as_slice).collect();
		let credited = judge(&slices, 0).unwrap().bytes_per_second;
		let received = lower_median(shares.iter().map(|s| s * (n - f) as u64).collect());
		prop_assert!(
			u128::from(credited) * 2 * ((n - f) as u128)
				<= u128::from(received) * (2 * n + f) as u128,
			"credited {credited}, received {received}, n {n}, f {f}"
		);
		if f == 0 {
			prop_assert_eq!(credited, received, "equal honest shares are credited in full");
		}
	}
}

/// A deterministic stream of numbers for the simulation.
struct Draws(u64);

impl Draws {
	fn next(&mut self) -> u64 {
		// SplitMix64.
		self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
		let mut z = self.0;
		z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
		z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
		z ^ (z >> 31)
	}
}

/// What the colluders report, given the honest beacons' share `h`: nothing,
/// a share, twice a share, or a full 100 Gbit/s link.
const LIES: [fn(u64) -> u64; 4] = [|_| 0, |h| h, |h| 2 * h, |_| 13_750_000_000];

/// An operator runs one relay whose true rate is `truth` and a tenth of the
/// beacon population. Each epoch the relay is tested by `per_test` beacons
/// drawn from the population, its colluders idle (so the honest ones share
/// the whole rate) and lying as told. It passes with its credited rate
/// within the 10 % tolerance of its claim, and is then verified at
/// `min(credited, claim)`; two failures in a row suspend it (as the
/// runtime's `FailuresBeforeSuspension`). Returns the verified rate it
/// holds, averaged over the epochs, over its true rate.
fn gain(per_test: usize, claim_over_truth: f64, lie: fn(u64) -> u64, epochs: u32) -> f64 {
	const POPULATION: u64 = 1_000;
	const COLLUDERS: u64 = 100;
	let truth: u64 = 12_500_000; // 100 Mbit/s
	let claim = (truth as f64 * claim_over_truth) as u64;
	let mut draws = Draws(per_test as u64);
	let (mut held, mut total, mut failures) = (0u64, 0f64, 0);
	for _ in 0..epochs {
		// Distinct beacons: count the colluders among them.
		let mut drawn: Vec<u64> = Vec::new();
		while drawn.len() < per_test {
			let b = draws.next() % POPULATION;
			if !drawn.contains(&b) {
				drawn.push(b);
			}
		}
		let f = drawn.iter().filter(|b| **b < COLLUDERS).count();
		let credited = if f == per_test {
			lie(truth)
		} else {
			let share = truth / (per_test - f) as u64;
			let mut reports = vec![vec![share; 5]; per_test - f];
			reports.extend((0..f).map(|_| vec![lie(share); 5]));
			let slices: Vec<&[u64]> = reports.iter().map(Vec::as_slice).collect();
			judge(&slices, 0).unwrap().bytes_per_second
		};
		// Claims and tolerance in bytes: the ratio is what matters.
		let passed = supports_claim(
			u32::try_from(credited / 1_000).unwrap_or(u32::MAX),
			u32::try_from(claim / 1_000).unwrap(),
			100_000,
		);
		if passed {
			failures = 0;
			held = credited.min(claim);
		} else {
			failures += 1;
			if failures >= 2 {
				// Suspended: it holds nothing for the rest of the run.
				break;
			}
		}
		total += held as f64;
	}
	total / f64::from(epochs) / truth as f64
}

/// The operator's best strategy, over claims from its truth to twice it and
/// every lie, gains at most 1.1x on average with the genesis 7 beacons a
/// test, and with 3 to 6 as well; the 5 % it gains is the tolerance it
/// shares with every relay plus a colluder's share in the epochs it has one.
#[test]
fn a_tenth_of_the_beacons_gains_at_most_a_tenth_over_many_epochs() {
	for per_test in [3, 4, 5, 6, 7] {
		let mut best = (0f64, 0f64, 0usize);
		for step in 0..=20 {
			let claim = 1.0 + f64::from(step) * 0.05;
			for (l, lie) in LIES.iter().enumerate() {
				let g = gain(per_test, claim, *lie, 10_000);
				if g > best.0 {
					best = (g, claim, l);
				}
			}
		}
		println!(
			"{per_test} beacons a test: best gain {:.3}x (claim {:.2}x the truth, lie {})",
			best.0, best.1, best.2
		);
		assert!(best.0 <= 1.1, "{per_test}: {best:?}");
		assert!(best.0 >= 1.0, "an honest claim is verified in full: {best:?}");
	}
}

/// Per test, on its own: one colluder of `n` lifts the credited rate by
/// `(n + 1/2) / (n - 1)` at best, the bound the rule proves; the genesis
/// 7 beacons keep it at 1.25x.
#[test]
fn one_colluder_of_seven_reaches_a_quarter_and_no_more() {
	let share = 2_500_000u64;
	let honest = [share; 5];
	let honest: Vec<&[u64]> = vec![&honest; 6];
	let mut best = 0;
	for lie in LIES {
		let colluder = [lie(share); 5];
		let reports: Vec<&[u64]> = honest.iter().copied().chain([&colluder[..]]).collect();
		let j = judge(&reports, 0).unwrap();
		best = best.max(j.bytes_per_second);
	}
	// 6 honest shares and 3/2 of one: 1.25x.
	assert_eq!(best * 4, 6 * share * 5);
}
