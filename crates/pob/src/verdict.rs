//! The verdict arithmetic: from the beacons' per-second byte counts to the
//! relay's measured capacity, FlashFlow's way (the median, over the test
//! window, of the per-second sums across beacons measuring at once), and
//! whether it supports the claim.
//!
//! A relay that serves test traffic faster than clients gains nothing: the
//! beacons measure together, so it must deliver the whole claim at once. A
//! beacon cannot inflate a result beyond its own link: a report with more
//! bytes in a second than the beacon's capacity allows is refused
//! ([`check_report`]). The median makes a few slow or fast seconds (TCP
//! start, a hiccup) irrelevant.

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

/// One beacon's evidence for [`judge`].
#[derive(Clone, Copy, Debug)]
pub struct Evidence<'a> {
	/// The beacon's registered capacity.
	pub capacity_mbps: u32,
	/// Bytes received in each second of the window.
	pub bytes_per_second: &'a [u64],
}

/// The verdict's numbers: what the relay delivered and which beacons' words
/// were not taken.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Judgement {
	/// The median over the window of the per-second sums, after outliers'
	/// counts were replaced by what the honest majority's evidence implies.
	pub bytes_per_second: u64,
	/// Indices (into the evidence) of beacons whose share of their own link
	/// differs from the group's median share by more than [`OUTLIER_FACTOR`].
	pub outliers: Vec<usize>,
}

/// A beacon is an outlier when its share of its own link is over this many
/// times the group's median share, or under it by as much.
pub const OUTLIER_FACTOR: u64 = 2;

/// Judges a test that several beacons ran at once against one relay.
///
/// A relay can serve assigned beacons better than others; measuring with all
/// of them at once, together above the claim, bounds that (FlashFlow). What
/// FlashFlow assumes away is a beacon that lies: one inflating its counts up
/// to its own link, or deflating them to nothing, moves a plain sum by its
/// whole share. Here each beacon's load (its median second over its link's
/// capacity) is compared with the group's median load; a beacon loaded more
/// than [`OUTLIER_FACTOR`] times more or less is an outlier, and its seconds
/// are replaced by the group's median load on its link before the sums. A
/// minority of lying beacons then moves the result only within that factor
/// band, and is named so the chain can take its reputation. With fewer than
/// three beacons there is no majority and nobody is an outlier.
///
/// `None` when there is no evidence or the windows differ in length.
pub fn judge(evidence: &[Evidence]) -> Option<Judgement> {
	let window = evidence.first()?.bytes_per_second.len();
	if window == 0 || evidence.iter().any(|e| e.bytes_per_second.len() != window) {
		return None;
	}
	// Load in parts per million of the beacon's link, per beacon.
	let loads: Vec<u64> = evidence
		.iter()
		.map(|e| {
			let mut seconds = e.bytes_per_second.to_vec();
			seconds.sort_unstable();
			let median = seconds[(window - 1) / 2];
			let link = (u64::from(e.capacity_mbps) * 1_000_000 / 8).max(1);
			median.saturating_mul(1_000_000) / link
		})
		.collect();
	let mut sorted = loads.clone();
	sorted.sort_unstable();
	let group = sorted[(sorted.len() - 1) / 2];
	let outliers: Vec<usize> = if evidence.len() < 3 {
		Vec::new()
	} else {
		loads
			.iter()
			.enumerate()
			.filter(|(_, load)| {
				**load > group.saturating_mul(OUTLIER_FACTOR)
					|| load.saturating_mul(OUTLIER_FACTOR) < group
			})
			.map(|(i, _)| i)
			.collect()
	};
	let sums: Vec<u64> = (0..window)
		.map(|second| {
			evidence.iter().enumerate().fold(0u64, |sum, (i, e)| {
				let bytes = if outliers.contains(&i) {
					(u64::from(e.capacity_mbps) * 1_000_000 / 8).saturating_mul(group) / 1_000_000
				} else {
					e.bytes_per_second[second]
				};
				sum.saturating_add(bytes)
			})
		})
		.collect();
	let mut sums = sums;
	sums.sort_unstable();
	Some(Judgement { bytes_per_second: sums[(window - 1) / 2], outliers })
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

	fn evidence(capacity_mbps: u32, seconds: &[u64]) -> Evidence<'_> {
		Evidence { capacity_mbps, bytes_per_second: seconds }
	}

	#[test]
	fn honest_beacons_are_summed_as_flashflow_does() {
		// Three 100 Mbit/s beacons, each receiving a third of 90 Mbit/s.
		let share = [3_750_000u64; 5];
		let j =
			judge(&[evidence(100, &share), evidence(100, &share), evidence(100, &share)]).unwrap();
		assert_eq!(j, Judgement { bytes_per_second: 11_250_000, outliers: vec![] });
		assert_eq!(to_mbps(j.bytes_per_second), 90);
	}

	#[test]
	fn an_inflating_beacon_is_named_and_replaced_by_the_groups_load() {
		// The relay delivers 30 Mbit/s to each of three 100 Mbit/s beacons;
		// the third claims its whole link (13.75 MB/s, the most allowed).
		let honest = [3_750_000u64; 5];
		let liar = [13_750_000u64; 5];
		let j =
			judge(&[evidence(100, &honest), evidence(100, &honest), evidence(100, &liar)]).unwrap();
		assert_eq!(j.outliers, vec![2]);
		// Group load: 3.75 / 12.5 = 30 %; the liar's link at 30 % = 3.75 MB/s.
		assert_eq!(j.bytes_per_second, 3 * 3_750_000);
		// A plain sum would have credited 21.25 MB/s = 170 Mbit/s.
		let plain = measured_bytes_per_second(&[&honest, &honest, &liar]).unwrap();
		assert_eq!(to_mbps(plain), 170);
		assert_eq!(to_mbps(j.bytes_per_second), 90);
	}

	#[test]
	fn a_deflating_beacon_cannot_sink_an_honest_relay() {
		let honest = [5_000_000u64; 5]; // 40 % of a 100 Mbit/s link
		let zero = [0u64; 5];
		let j = judge(&[
			evidence(100, &honest),
			evidence(200, &[10_000_000; 5]), // 40 % of 200 Mbit/s
			evidence(100, &zero),
		])
		.unwrap();
		assert_eq!(j.outliers, vec![2]);
		assert_eq!(j.bytes_per_second, 5_000_000 + 10_000_000 + 5_000_000);
	}

	#[test]
	fn beacons_on_links_of_different_sizes_are_compared_by_load() {
		// 50 % load on 100, 200 and 1000 Mbit/s links: nobody is an outlier.
		let j = judge(&[
			evidence(100, &[6_250_000; 3]),
			evidence(200, &[12_500_000; 3]),
			evidence(1_000, &[62_500_000; 3]),
		])
		.unwrap();
		assert!(j.outliers.is_empty());
		assert_eq!(j.bytes_per_second, 81_250_000);
	}

	#[test]
	fn two_beacons_have_no_majority_to_overrule_either() {
		let j = judge(&[evidence(100, &[1_000; 3]), evidence(100, &[9_000_000; 3])]).unwrap();
		assert!(j.outliers.is_empty());
		assert_eq!(j.bytes_per_second, 9_001_000);
	}

	#[test]
	fn judging_needs_equal_non_empty_windows() {
		assert_eq!(judge(&[]), None);
		assert_eq!(judge(&[evidence(100, &[])]), None);
		assert_eq!(judge(&[evidence(100, &[1, 2]), evidence(100, &[1])]), None);
	}
}
