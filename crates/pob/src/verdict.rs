//! The verdict arithmetic: from the beacons' per-second byte counts to the
//! relay's measured capacity, FlashFlow's way (the median, over the test
//! window, of the per-second sums across beacons measuring at once), and
//! whether it supports the claim.
//!
//! A relay that serves test traffic faster than clients gains nothing: the
//! beacons measure together, so it must deliver the whole claim at once. A
//! beacon cannot count more than its own link carries: a report with more
//! bytes in a second than the link it was drawn with allows is refused
//! ([`check_report`]). A beacon is credited no more than 3/2 of what the
//! others received ([`judge`]), so one colluder among `n` inflates a
//! verdict by at most `(n + 1/2) / (n - 1)` whatever it declares or reports. The median makes a
//! few slow or fast seconds (TCP start, a hiccup) irrelevant.

use alloc::vec::Vec;

/// Slack over a beacon's registered capacity before a second's count is
/// impossible: links are measured, not exact. Parts per million.
pub const CAPACITY_SLACK_PPM: u64 = 100_000;

/// Why a beacon's report was refused.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum ReportError {
	/// It does not have one count per second of the window.
	WrongLength { expected: u32, got: u32 },
	/// In `second` it counts more bytes than the beacon's link carries.
	Impossible { second: u32, bytes: u64, max: u64 },
}

/// Bytes per second a link of `mbps` carries, with [`CAPACITY_SLACK_PPM`].
pub fn max_bytes_per_second(mbps: u32) -> u64 {
	let exact = u64::from(mbps) * 1_000_000 / 8;
	exact + exact * CAPACITY_SLACK_PPM / 1_000_000
}

/// A report is one byte count per second of the window, none beyond what the
/// beacon's link can carry.
pub fn check_report(
	window_secs: u32,
	beacon_mbps: u32,
	bytes_per_second: &[u64],
) -> Result<(), ReportError> {
	if bytes_per_second.len() != window_secs as usize {
		return Err(ReportError::WrongLength {
			expected: window_secs,
			got: bytes_per_second.len() as u32,
		});
	}
	let max = max_bytes_per_second(beacon_mbps);
	match bytes_per_second.iter().position(|b| *b > max) {
		Some(second) => Err(ReportError::Impossible {
			second: second as u32,
			bytes: bytes_per_second[second],
			max,
		}),
		None => Ok(()),
	}
}

/// The relay's measured rate in bytes per second: for each second of the
/// window, the sum over the beacons' reports; then the median of those sums
/// (the lower one for an even window, the conservative choice). `None`
/// without reports or with reports of different lengths.
pub fn measured_bytes_per_second(reports: &[&[u64]]) -> Option<u64> {
	let window = reports.first()?.len();
	if window == 0 || reports.iter().any(|r| r.len() != window) {
		return None;
	}
	let mut sums: Vec<u64> =
		(0..window).map(|s| reports.iter().fold(0u64, |sum, r| sum.saturating_add(r[s]))).collect();
	sums.sort_unstable();
	Some(sums[(window - 1) / 2])
}

/// Bytes per second as whole Mbit/s, rounded down.
pub fn to_mbps(bytes_per_second: u64) -> u32 {
	u32::try_from(bytes_per_second.saturating_mul(8) / 1_000_000).unwrap_or(u32::MAX)
}

/// TCP payload bytes in a full-sized frame: a 1500-byte IPv4 MTU less 20
/// bytes of IP and 32 of TCP with timestamps (Linux's default).
pub const PAYLOAD_PER_FRAME: u64 = 1_448;
/// What a link (and `tc`) counts for that frame: the IP packet and its
/// 14-byte Ethernet header.
pub const BYTES_PER_FRAME: u64 = 1_514;

/// The link rate, in whole Mbit/s rounded to the nearest, that carries
/// `payload_bytes_per_second` of TCP payload in full-sized frames.
///
/// Claims are link rates (what an operator buys and what shapers count);
/// beacons count the payload they verify, 95.6 % of the link at best. The
/// verdict converts, rather than make every relay look 4.4 % slower than
/// its link. Over IPv6 (60 bytes of headers) the conversion undercounts by
/// 1.4 %: the conservative side.
pub fn link_mbps(payload_bytes_per_second: u64) -> u32 {
	let bits = u128::from(payload_bytes_per_second) * 8 * u128::from(BYTES_PER_FRAME);
	let per_mbit = u128::from(PAYLOAD_PER_FRAME) * 1_000_000;
	u32::try_from((bits + per_mbit / 2) / per_mbit).unwrap_or(u32::MAX)
}

/// Whether `measured_mbps` supports `claimed_mbps`: at least the claim less
/// `tolerance_ppm` parts per million of it.
pub fn supports_claim(measured_mbps: u32, claimed_mbps: u32, tolerance_ppm: u32) -> bool {
	let claimed = u64::from(claimed_mbps);
	let allowed_shortfall = claimed * u64::from(tolerance_ppm.min(1_000_000)) / 1_000_000;
	u64::from(measured_mbps) >= claimed - allowed_shortfall
}

/// The verdict's numbers: what the relay is credited with, counted so that
/// no minority of beacons moves it far, what it may have delivered at best,
/// and which beacons' words were not taken.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Judgement {
	/// The median over the window of the per-second sums of what each
	/// beacon is credited: its own count, capped at 3/2 of the mean of what
	/// the others counted that second (each of theirs clipped at that second's
	/// median). The relay's measured rate: what a pass verifies.
	pub bytes_per_second: u64,
	/// The median over the window of the second's upper median count times
	/// the assigned beacons (reporting and `silent`): what the relay
	/// delivered if the beacons that counted least, or nothing, are the ones
	/// that lie. A relay short of its claim even so fails; one short only
	/// of [`Self::bytes_per_second`] is not judged.
	pub benefit_of_doubt_bytes_per_second: u64,
	/// Indices (into the reports) of beacons whose median second is over
	/// [`OUTLIER_FACTOR`] times the group's median, or under it by as much.
	pub outliers: Vec<usize>,
	/// The outliers whose median second is over the group's: beacons that
	/// claim to have received more than the others saw. Only these can be
	/// lying for the relay's benefit; one under the group's may have been
	/// starved by the relay, to have it penalized.
	pub overstated: Vec<usize>,
}

/// A beacon is an outlier when its median second is over this many times
/// the group's median second, or under it by as much.
pub const OUTLIER_FACTOR: u64 = 2;

fn lower_median(values: &mut [u64]) -> u64 {
	values.sort_unstable();
	values[(values.len() - 1) / 2]
}

/// A beacon is credited at most this many times the others' mean count in
/// a second (numerator over [`CAP_SLACK_DENOMINATOR`]). TCP splits a link
/// unevenly, from one second to the next (±20 % between three beacons
/// sharing 100 Mbit/s in the end-to-end test) and between beacons over a
/// whole window (25, 30 and 33 Mbit/s there). A cap of exactly the others'
/// mean cost honest relays 10 % of their rate in that test, 5/4 of it up to
/// 5 %, 3/2 of it at most 1.2 %.
pub const CAP_SLACK_NUMERATOR: u128 = 3;
/// See [`CAP_SLACK_NUMERATOR`]: the cap is 3/2 of the others' mean.
pub const CAP_SLACK_DENOMINATOR: u128 = 2;

/// Judges a test that several beacons ran at once against one relay, from
/// their reports (bytes received in each second of the window).
///
/// The beacons measure together, above the claim, so a relay serving
/// assigned beacons better than others gains nothing (FlashFlow). What
/// FlashFlow assumes away is a beacon that lies. Here, in each second,
/// every beacon is credited at most 3/2 of the mean of what the others
/// counted, each of theirs clipped at the second's (lower) median, and the
/// relay's rate is the median over the window of the credited sums.
///
/// **The bound.** Let `n` beacons report, `f` of them the relay's, and `H`
/// be what the honest ones received in a second (at most the relay's true
/// rate). Each honest beacon is credited at most what it received. With
/// `f < n / 2` the second's median is at most the largest honest count `m`,
/// so each colluder is credited at most `3/2 (H + (f - 1) m) / (n - 1)`.
/// For `f = 1` that is `3/2 H / (n - 1)`: the credited sum is at most
/// `H (n + 1/2) / (n - 1)` in every second, and so in the median, whatever
/// the colluder reports or declares and however the relay shares its bytes
/// among the honest beacons: 1.25x with 7 beacons, 1.5x with 4, 1.75x with
/// 3. When the honest beacons received equal shares `H / (n - f)`, `f`
/// colluders reach at most `H (n + f/2) / (n - f)`; the relay chooses the
/// shares, though, and starving some honest beacons lifts `m` toward `H`:
/// in general `f` colluders reach at most `H (1 + 3 f^2 / (2 (n - 1)))`
/// (2x with 2 of 7). The bound that holds whatever the shares is the one
/// for a single colluder; draws from a population with few colluders keep
/// two in one test rare. No symmetric rule does
/// better than `n / (n - 1)`: an honest relay whose `n` beacons each
/// receive `h` looks exactly like a relay delivering `(n - 1) h` to its
/// honest beacons while a colluder says `h`; the half share over it is the
/// price of TCP's unevenness ([`CAP_SLACK_NUMERATOR`]).
/// `tests/collusion.rs` checks both bounds as properties.
///
/// **What honest relays pay.** A beacon counting more than 3/2 of the
/// others' mean in a second is not credited the excess; assignments give
/// each test beacons that can all take an equal share of the claim
/// ([`crate::assignment`]), and beacons receive no faster than an equal
/// share plus 20 %, so that is rare. A beacon counting less drags the others' caps
/// down with it: a relay serving it less and a beacon lying low look the
/// same. So a lie can deny a pass, but not make a relay fail:
/// [`Judgement::benefit_of_doubt_bytes_per_second`] credits every assigned
/// beacon the second's upper median count, which a minority can only raise.
///
/// `None` when there is no report or the windows differ in length.
pub fn judge(reports: &[&[u64]], silent: u32) -> Option<Judgement> {
	let window = reports.first()?.len();
	if window == 0 || reports.iter().any(|r| r.len() != window) {
		return None;
	}
	let n = reports.len();
	let medians: Vec<u64> = reports.iter().map(|r| lower_median(&mut r.to_vec())).collect();
	let group = lower_median(&mut medians.clone());
	let outliers: Vec<usize> = if n < 3 {
		// Two beacons have no majority to name one of them.
		Vec::new()
	} else {
		(0..n)
			.filter(|i| {
				medians[*i] > group.saturating_mul(OUTLIER_FACTOR)
					|| medians[*i].saturating_mul(OUTLIER_FACTOR) < group
			})
			.collect()
	};
	// Over a group median of nothing is no overstatement: most reported
	// (or were counted) as having received nothing.
	let overstated: Vec<usize> =
		outliers.iter().copied().filter(|i| group > 0 && medians[*i] > group).collect();
	let assigned = (n as u64).saturating_add(u64::from(silent));
	let mut credited = Vec::with_capacity(window);
	let mut with_doubt = Vec::with_capacity(window);
	let mut second = Vec::with_capacity(n);
	for s in 0..window {
		second.clear();
		second.extend(reports.iter().map(|r| r[s]));
		let mut sorted = second.clone();
		sorted.sort_unstable();
		let (median, upper_median) = (sorted[(n - 1) / 2], sorted[n / 2]);
		let clipped_total: u128 = second.iter().map(|b| u128::from((*b).min(median))).sum();
		let sum = second.iter().fold(0u64, |sum, bytes| {
			let counted = if n == 1 {
				*bytes
			} else {
				let others = (clipped_total - u128::from((*bytes).min(median)))
					* CAP_SLACK_NUMERATOR
					/ CAP_SLACK_DENOMINATOR
					/ (n as u128 - 1);
				(*bytes).min(u64::try_from(others).unwrap_or(u64::MAX))
			};
			sum.saturating_add(counted)
		});
		credited.push(sum);
		with_doubt.push(upper_median.saturating_mul(assigned).max(sum));
	}
	Some(Judgement {
		bytes_per_second: lower_median(&mut credited),
		benefit_of_doubt_bytes_per_second: lower_median(&mut with_doubt),
		outliers,
		overstated,
	})
}

#[cfg(test)]
mod tests {
	use super::*;

	const MB: u64 = 1_000_000;

	#[test]
	fn per_second_sums_then_the_median() {
		// Three beacons, five seconds. Sums: 30, 33, 9, 36, 31 MB -> sorted
		// 9, 30, 31, 33, 36 -> median 31 MB/s = 248 Mbit/s.
		let a = [10 * MB, 11 * MB, 3 * MB, 12 * MB, 10 * MB];
		let b = [10 * MB, 11 * MB, 3 * MB, 12 * MB, 11 * MB];
		let c = [10 * MB, 11 * MB, 3 * MB, 12 * MB, 10 * MB];
		let rate = measured_bytes_per_second(&[&a, &b, &c]).unwrap();
		assert_eq!(rate, 31 * MB);
		assert_eq!(to_mbps(rate), 248);
	}

	#[test]
	fn an_even_window_takes_the_lower_median() {
		let a = [4 * MB, MB, 3 * MB, 2 * MB];
		assert_eq!(measured_bytes_per_second(&[&a]), Some(2 * MB));
	}

	#[test]
	fn a_burst_or_a_stall_does_not_move_the_median() {
		let steady = [12_500_000u64; 9]; // 100 Mbit/s
		let mut bursty = steady;
		bursty[0] = 0; // TCP start
		bursty[4] = 0; // a stall
		bursty[8] = 40_000_000; // a burst
		assert_eq!(to_mbps(measured_bytes_per_second(&[&bursty]).unwrap()), 100);
	}

	#[test]
	fn malformed_report_sets_have_no_measurement() {
		assert_eq!(measured_bytes_per_second(&[]), None);
		assert_eq!(measured_bytes_per_second(&[&[]]), None);
		assert_eq!(measured_bytes_per_second(&[&[1, 2], &[1]]), None);
	}

	#[test]
	fn sums_saturate_instead_of_overflowing() {
		let huge = [u64::MAX; 3];
		assert_eq!(measured_bytes_per_second(&[&huge, &huge]), Some(u64::MAX));
		assert_eq!(to_mbps(u64::MAX), u32::MAX);
	}

	#[test]
	fn reports_beyond_the_beacons_link_are_impossible() {
		// 100 Mbit/s = 12.5 MB/s, plus 10 % slack = 13.75 MB/s.
		assert_eq!(max_bytes_per_second(100), 13_750_000);
		assert_eq!(check_report(3, 100, &[13_750_000, 0, 1]), Ok(()));
		assert_eq!(
			check_report(3, 100, &[1, 13_750_001, 0]),
			Err(ReportError::Impossible { second: 1, bytes: 13_750_001, max: 13_750_000 })
		);
		assert_eq!(
			check_report(3, 100, &[1, 2]),
			Err(ReportError::WrongLength { expected: 3, got: 2 })
		);
	}

	#[test]
	fn payload_converts_to_the_link_rate_that_carries_it() {
		// 1448 payload bytes ride in 1514 link bytes: 11.95 MB/s of payload
		// fill a 100 Mbit/s link.
		assert_eq!(link_mbps(11_952_443), 100);
		assert_eq!(link_mbps(0), 0);
		// 22.8 MB/s = 182.4 Mbit/s of payload = 190.7 of link, rounded.
		assert_eq!(link_mbps(22_800_000), 191);
		assert_eq!(link_mbps(u64::MAX), u32::MAX);
	}

	#[test]
	fn claims_pass_within_the_tolerance() {
		// 10 % tolerance on a 1000 Mbit/s claim: 900 passes, 899 fails.
		assert!(supports_claim(900, 1_000, 100_000));
		assert!(!supports_claim(899, 1_000, 100_000));
		assert!(supports_claim(1_500, 1_000, 0));
		assert!(!supports_claim(999, 1_000, 0));
		assert!(supports_claim(0, 1_000, 2_000_000), "tolerance is capped at 100 %");
	}

	#[test]
	fn a_relay_claiming_twice_its_rate_fails() {
		// Shaped to 100 Mbit/s, three beacons splitting it; claims 200.
		let share = [12_500_000u64 / 3; 10];
		let measured = to_mbps(measured_bytes_per_second(&[&share, &share, &share]).unwrap());
		assert_eq!(measured, 99);
		assert!(supports_claim(measured, 100, 100_000));
		assert!(!supports_claim(measured, 200, 100_000));
	}

	#[test]
	fn honest_beacons_are_summed_as_flashflow_does() {
		// Three beacons, each receiving a third of 90 Mbit/s.
		let share = [3_750_000u64; 5];
		let j = judge(&[&share, &share, &share], 0).unwrap();
		assert_eq!(j.bytes_per_second, 11_250_000);
		assert_eq!(j.benefit_of_doubt_bytes_per_second, 11_250_000);
		assert!(j.outliers.is_empty());
		assert_eq!(to_mbps(j.bytes_per_second), 90);
	}

	#[test]
	fn an_inflating_beacon_is_named_and_credited_half_over_the_others_mean() {
		// The relay delivers 30 Mbit/s to each of three beacons; the third
		// claims its whole 100 Mbit/s link (13.75 MB/s, the most allowed).
		let honest = [3_750_000u64; 5];
		let liar = [13_750_000u64; 5];
		let j = judge(&[&honest, &honest, &liar], 0).unwrap();
		assert_eq!(j.outliers, vec![2]);
		assert_eq!(j.overstated, vec![2], "it claims more than the others saw");
		assert_eq!(j.bytes_per_second, 2 * 3_750_000 + 3_750_000 * 3 / 2);
		// A plain sum would have credited 21.25 MB/s = 170 Mbit/s.
		let plain = measured_bytes_per_second(&[&honest, &honest, &liar]).unwrap();
		assert_eq!(to_mbps(plain), 170);
		assert_eq!(to_mbps(j.bytes_per_second), 105);
	}

	#[test]
	fn a_colluder_that_declares_a_huge_link_adds_no_more_than_one_share() {
		// The attack on a rule that trusts declared links: the relay serves
		// three honest beacons 15 Mbit/s each; its colluder, declaring
		// 100 Gbit/s, stays idle and reports anything from nothing to its
		// whole declared link. One of four adds at most (4 + 1/2) / 3.
		let honest = [1_875_000u64; 5];
		let truth = 3 * 1_875_000;
		for lie in [0, 1_875_000, 2 * 1_875_000, 10_000_000, max_bytes_per_second(100_000)] {
			let colluder = [lie; 5];
			let j = judge(&[&honest, &honest, &honest, &colluder], 0).unwrap();
			assert!(j.bytes_per_second * 6 <= truth * 9, "{lie}: {}", j.bytes_per_second);
			// Lying low costs the honest relay a pass, not a verdict: at
			// best it delivered four shares.
			assert!(j.benefit_of_doubt_bytes_per_second >= truth, "{lie}");
		}
	}

	#[test]
	fn a_beacon_reporting_nothing_denies_a_pass_but_cannot_fail_the_relay() {
		// Two beacons received 40 Mbit/s each; the third says nothing came:
		// starved by the relay or lying low, it cannot be told.
		let fed = [5_000_000u64; 5];
		let zero = [0u64; 5];
		let j = judge(&[&fed, &fed, &zero], 0).unwrap();
		assert_eq!(j.outliers, vec![2]);
		assert!(j.overstated.is_empty(), "starved or lying low: not overstated");
		// Credited: each fed beacon at most 3/2 of the others' mean.
		assert_eq!(j.bytes_per_second, 2 * 5_000_000 / 2 * 3 / 2);
		// At best the relay served all three as it served the two.
		assert_eq!(j.benefit_of_doubt_bytes_per_second, 15_000_000);
	}

	#[test]
	fn silent_beacons_are_given_the_benefit_of_the_doubt_only() {
		let share = [2_500_000u64; 3];
		let j = judge(&[&share, &share], 2).unwrap();
		assert_eq!(j.bytes_per_second, 5_000_000);
		assert_eq!(j.benefit_of_doubt_bytes_per_second, 10_000_000);
		let j = judge(&[&share, &share, &[0; 3]], 0).unwrap();
		assert_eq!(j.benefit_of_doubt_bytes_per_second, 7_500_000, "the upper median, 3 times");
	}

	#[test]
	fn unequal_shares_in_a_second_credit_half_over_the_others_mean() {
		// 44 / 30 / 30: within half of the others' mean, all counts.
		let j = judge(&[&[4_400_000u64][..], &[3_000_000][..], &[3_000_000][..]], 0).unwrap();
		assert_eq!(j.bytes_per_second, 10_400_000);
		// 50 / 30 / 30: the first is credited 3/2 of 30.
		let j = judge(&[&[5_000_000u64][..], &[3_000_000][..], &[3_000_000][..]], 0).unwrap();
		assert_eq!(j.bytes_per_second, 10_500_000);
		assert!(j.outliers.is_empty());
	}

	#[test]
	fn two_beacons_credit_the_smaller_and_half_over_it() {
		let j = judge(&[&[1_000u64; 3][..], &[9_000_000; 3][..]], 0).unwrap();
		assert!(j.outliers.is_empty(), "two have no majority to name an outlier");
		assert_eq!(j.bytes_per_second, 1_000 + 1_500);
	}

	#[test]
	fn one_beacon_is_credited_its_count() {
		assert_eq!(judge(&[&[7u64, 9, 8][..]], 0).unwrap().bytes_per_second, 8);
	}

	#[test]
	fn counts_at_the_limits_do_not_overflow() {
		let huge = [u64::MAX; 3];
		let j = judge(&[&huge, &huge, &huge], u32::MAX).unwrap();
		assert_eq!(j.bytes_per_second, u64::MAX);
		assert_eq!(j.benefit_of_doubt_bytes_per_second, u64::MAX);
	}

	#[test]
	fn judging_needs_equal_non_empty_windows() {
		assert_eq!(judge(&[], 0), None);
		assert_eq!(judge(&[&[]], 0), None);
		assert_eq!(judge(&[&[1, 2], &[1]], 0), None);
	}
}
