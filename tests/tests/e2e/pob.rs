//! Proof of bandwidth on the real dev chain: two relays, each alone in a
//! network namespace whose egress `tc tbf` shapes to 100 Mbit/s; six
//! `ocm-beacon`s in the root namespace. The relay that claims its shaped
//! rate is activated with a verified capacity within 10 % of it; the relay
//! that claims twice its rate is not. The validator's off-chain worker
//! probes both relays each epoch and finds them serving their streams.

use ocm_e2e::{pob, DevNode};
use std::time::Duration;

const RATE_MBIT: u32 = 100;

#[tokio::test(flavor = "multi_thread")]
async fn beacons_verify_a_shaped_relay_and_refuse_an_inflated_claim() {
	let node = DevNode::start();
	let api = node.connect().await;
	let honest = pob::shaped_relay(&api, 0, RATE_MBIT, RATE_MBIT).await;
	let inflated = pob::shaped_relay(&api, 1, RATE_MBIT, 2 * RATE_MBIT).await;
	// Three 100 Mbit/s beacons per relay: 300 Mbit/s exceeds either claim
	// with the 20 % margin; a beacon tests one relay per epoch.
	let beacons: Vec<_> = (0..6).map(|n| pob::beacon(&node, n, 100)).collect();

	let seen =
		pob::verdicts(&node, &api, &[honest.id, inflated.id], Duration::from_secs(240)).await;
	let verdicts = &seen.verdicts;
	// Alice's off-chain worker probed both relays under test each epoch and
	// got their streams.
	assert!(!seen.probe_batches.is_empty(), "no probes");
	assert!(
		seen.probe_batches.iter().all(|&(relays, unreachable)| relays == 2 && unreachable == 0),
		"{:?}",
		seen.probe_batches
	);
	let fair = verdicts[&honest.id];
	let error = (f64::from(fair.measured_mbps) - f64::from(RATE_MBIT)) / f64::from(RATE_MBIT);
	println!(
		"PoB: link shaped to {RATE_MBIT} Mbit/s measured {} Mbit/s: error {:+.1} %",
		fair.measured_mbps,
		error * 100.0
	);
	assert!(error.abs() <= 0.10, "measured {} Mbit/s for {RATE_MBIT}", fair.measured_mbps);
	assert!(fair.passed, "{fair:?}");
	let (status, verified) = pob::relay_status(&api, honest.id).await;
	assert_eq!(status, "Active");
	assert_eq!(verified, fair.measured_mbps.min(RATE_MBIT));

	let cheat = verdicts[&inflated.id];
	println!(
		"PoB: a relay shaped to {RATE_MBIT} Mbit/s claiming {} measured {} Mbit/s: passed {}",
		cheat.claimed_mbps, cheat.measured_mbps, cheat.passed
	);
	assert_eq!(cheat.claimed_mbps, 2 * RATE_MBIT);
	assert!(!cheat.passed);
	assert!(u64::from(cheat.measured_mbps) * 10 <= u64::from(RATE_MBIT) * 11);
	// Never activated; suspended once it has failed twice in a row.
	let (status, verified) = pob::relay_status(&api, inflated.id).await;
	assert!(["Pending", "Suspended"].contains(&status.as_str()), "{status}");
	assert_eq!(verified, 0, "not activated");

	// The node's pool refuses a replayed report (its epoch has ended) before
	// any block: `InvalidTransaction::Custom(1)`, `ReportRejection::WrongEpoch`.
	let chain = ocm_beacon::chain::Chain::connect(&node.ws_url()).await.expect("connect");
	let key = pob::beacon_key(0);
	let replayed = ocm_beacon::report::Report {
		epoch: fair.epoch,
		relay: honest.id,
		beacon: key.public_key().0,
		bytes_per_second: vec![1; 10],
	};
	let refused = chain.submit_report(&replayed, &key).await.expect_err("a replay is refused");
	println!("replayed report: {refused}");
	assert!(refused.contains("custom error: 1"), "{refused}");

	// Each beacon stays under 30 MB of memory through its test.
	for beacon in &beacons {
		let peak = beacon.peak_rss_kib().expect("the beacon runs");
		println!("ocm-beacon peak RSS: {:.1} MiB", peak as f64 / 1024.0);
		assert!(peak < 30 * 1024, "ocm-beacon peaked at {peak} KiB");
	}
}
