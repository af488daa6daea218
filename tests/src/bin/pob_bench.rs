//! `pob-bench`: proof of bandwidth's error against `tc`-shaped links, and
//! what a cheating relay gains, on the real dev chain. Run by
//! `./scripts/bench-pob` (root: network namespaces).
//!
//! Phase 1: relays shaped to 10, 100 and 1000 Mbit/s, each claiming its
//! rate, nine honest `ocm-beacon`s of 1000 Mbit/s; prints each verdict's
//! error against the shaped rate (anchor: Proof of Backhaul, under 8 % up to
//! 1000 Mbit/s).
//!
//! Phase 2 (`POB_BENCH_ATTACKS`, `n:mbps,...`): a relay shaped to 100 Mbit/s
//! claiming 200, tested by honest beacons and one that colludes with it,
//! one row per attack:
//! - 3, 4 and 5 beacons a test, the colluder declaring 100 Mbit/s like the
//!   honest ones and reporting its whole link every second;
//! - 4 and 5 beacons, the colluder declaring a 100 Gbit/s link and reporting
//!   40 % of it (a load like the honest beacons': not an outlier by load).
//!
//! Each row prints the credited rate over the shaped truth, and what
//! FlashFlow's plain sum of the same reports would have credited (anchor:
//! FlashFlow bounds a cheating relay to 1.33x with honest measurers; the
//! verdict's bound is n/(n-1)).

use ocm_beacon::{chain::Chain, report::Report};
use ocm_e2e::{pob, submit, Api, DevNode};
use std::time::Duration;
use subxt::dynamic::{self, Value};

const BEACON_MBPS: u32 = 1_000;

#[tokio::main]
async fn main() {
	let rates: Vec<u32> = std::env::var("POB_BENCH_RATES")
		.unwrap_or_else(|_| "10,100,1000".into())
		.split(',')
		.filter(|r| !r.trim().is_empty())
		.map(|r| r.trim().parse().expect("POB_BENCH_RATES: Mbit/s, comma separated"))
		.collect();
	// `POB_BENCH_RATES=` (empty) skips phase 1.
	if !rates.is_empty() {
		accuracy(&rates).await;
	}
	// Which attacks: `beacons a test:link the colluder declares`, comma
	// separated.
	let attacks: Vec<(u32, u32)> = std::env::var("POB_BENCH_ATTACKS")
		.unwrap_or_else(|_| "3:100,4:100,5:100,4:100000,5:100000".into())
		.split(',')
		.filter(|a| !a.trim().is_empty())
		.map(|a| {
			let (n, link) = a.trim().split_once(':').expect("POB_BENCH_ATTACKS: n:mbps,...");
			(n.parse().expect("beacons a test"), link.parse().expect("declared Mbit/s"))
		})
		.collect();
	let mut rows = Vec::new();
	for (per_test, declared_mbps) in attacks {
		rows.push(collusion(per_test, declared_mbps).await);
	}
	println!("\n| beacons a test | colluder declares | credited | inflation | plain sum |");
	println!("|---|---|---|---|---|");
	for row in rows {
		println!("{row}");
	}
}

async fn accuracy(rates: &[u32]) {
	let node = DevNode::start();
	let api = node.connect().await;
	let mut relays = Vec::new();
	for (i, rate) in rates.iter().enumerate() {
		relays.push(pob::shaped_relay(&api, i as u8, *rate, *rate).await);
	}
	let needed = (3 * rates.len()).min(pob::BEACON_KEYS.len());
	let _beacons: Vec<_> = (0..needed).map(|n| pob::beacon(&node, n, BEACON_MBPS)).collect();
	let ids: Vec<u32> = relays.iter().map(|r| r.id).collect();
	let verdicts = pob::verdicts(&node, &api, &ids, Duration::from_secs(600)).await.verdicts;
	println!("\nPoB accuracy (anchor: Proof of Backhaul, under 8 % error up to 1000 Mbit/s)");
	println!("{:>12} {:>14} {:>9} {:>7}", "shaped Mbit/s", "measured Mbit/s", "error", "passed");
	for relay in &relays {
		let v = verdicts[&relay.id];
		let error =
			(f64::from(v.measured_mbps) - f64::from(relay.rate_mbit)) / f64::from(relay.rate_mbit);
		println!(
			"{:>12} {:>14} {:>+8.1}% {:>7}",
			relay.rate_mbit,
			v.measured_mbps,
			error * 100.0,
			v.passed
		);
	}
}

/// The colluding beacon: registers with a `declared_mbps` link, waits for
/// its assignment, and reports its link full for every second of the
/// window; 40 % of it when the link declared is over 1 Gbit/s.
async fn colluder(node: &DevNode, api: &Api, relay: u32, declared_mbps: u32) -> Vec<u64> {
	let key = pob::beacon_key(2);
	let register = dynamic::tx(
		"ProofOfBandwidth",
		"register_beacon",
		vec![
			Value::named_composite([
				("country", Value::from_bytes(b"NL")),
				("asn", Value::u128(65_003)),
			]),
			Value::u128(declared_mbps.into()),
		],
	);
	submit(api, &register, &key).await.expect("the colluder registers");
	let chain = Chain::connect(&node.ws_url()).await.expect("connect");
	let account = key.public_key().0;
	loop {
		tokio::time::sleep(Duration::from_millis(500)).await;
		let Ok(at) = chain.best().await else { continue };
		let (Ok(Some(epoch)), Ok(Some(assigned))) =
			(Chain::epoch(&at).await, Chain::assignment(&at, account).await)
		else {
			continue;
		};
		assert_eq!(assigned, relay, "the only relay");
		let end = epoch.window_start_ms + u64::from(epoch.window_secs) * 1_000;
		let wait = end.saturating_sub(ocm_beacon::measure::now_ms());
		tokio::time::sleep(Duration::from_millis(wait)).await;
		let full = ocm_pob::verdict::max_bytes_per_second(declared_mbps);
		let said = if declared_mbps > 1_000 { full / 10 * 4 } else { full };
		let seconds = vec![said; epoch.window_secs as usize];
		let report = Report {
			epoch: epoch.index,
			relay,
			beacon: account,
			bytes_per_second: seconds.clone(),
		};
		chain.submit_report(&report, &key).await.expect("the inflated report is accepted");
		return seconds;
	}
}

/// A relay with one colluding beacon, declaring `declared_mbps`, among the
/// `per_test` that test it. Returns the row for the table.
async fn collusion(per_test: u32, declared_mbps: u32) -> String {
	let node = DevNode::start();
	let api = node.connect().await;
	if per_test != 3 {
		let set = dynamic::tx(
			"Governance",
			"set_parameter",
			subxt::ext::scale_value::Composite::unnamed([Value::unnamed_variant(
				"BeaconsPerTest",
				[Value::u128(per_test.into())],
			)]),
		);
		ocm_e2e::board_motion(&api, set).await;
	}
	let rate = 100;
	let cheat = pob::shaped_relay(&api, 8, rate, 2 * rate).await;
	// Honest beacons with 100 Mbit/s links; the colluder is beacon 2.
	let honest: Vec<usize> =
		(0..pob::BEACON_KEYS.len()).filter(|n| *n != 2).take(per_test as usize - 1).collect();
	let _honest: Vec<_> = honest.iter().map(|n| pob::beacon(&node, *n, 100)).collect();
	let forged = colluder(&node, &api, cheat.id, declared_mbps).await;
	// The honest reports, read before the epoch closes, for the plain sum.
	let mut honest_reports: Vec<Vec<u64>> = Vec::new();
	for _ in 0..60 {
		honest_reports.clear();
		let at = api.at_current_block().await.unwrap();
		for &n in &honest {
			let account = pob::beacon_key(n).public_key().0;
			let report = at
				.storage()
				.try_fetch(
					dynamic::storage::<(u32, Value), Vec<u64>>("ProofOfBandwidth", "Reports"),
					(cheat.id, Value::from_bytes(account)),
				)
				.await
				.unwrap();
			if let Some(report) = report {
				honest_reports.push(report.decode().unwrap());
			}
		}
		if honest_reports.len() == honest.len() {
			break;
		}
		tokio::time::sleep(Duration::from_secs(1)).await;
	}
	let verdict =
		pob::verdicts(&node, &api, &[cheat.id], Duration::from_secs(300)).await.verdicts[&cheat.id];
	println!(
		"\nA relay shaped to {rate} Mbit/s claiming {}, one of its {per_test} beacons colluding \
		 (declaring {declared_mbps} Mbit/s)",
		2 * rate
	);
	println!(
		"  OCM verdict: {} Mbit/s, passed {}: inflation {:.2}x",
		verdict.measured_mbps,
		verdict.passed,
		f64::from(verdict.measured_mbps) / f64::from(rate)
	);
	let mut plain_column = String::from("(honest reports not read)");
	if honest_reports.len() == honest.len() {
		let all: Vec<&[u64]> =
			honest_reports.iter().map(Vec::as_slice).chain([forged.as_slice()]).collect();
		let plain = ocm_pob::verdict::to_mbps(
			ocm_pob::verdict::measured_bytes_per_second(&all).unwrap_or(0),
		);
		println!(
			"  FlashFlow's plain sum of the same reports: {plain} Mbit/s: inflation {:.2}x (FlashFlow's bound: 1.33x)",
			f64::from(plain) / f64::from(rate)
		);
		plain_column = format!("{plain} Mbit/s ({:.2}x)", f64::from(plain) / f64::from(rate));
	}
	format!(
		"| {per_test} | {declared_mbps} Mbit/s | {} Mbit/s | {:.2}x | {plain_column} |",
		verdict.measured_mbps,
		f64::from(verdict.measured_mbps) / f64::from(rate)
	)
}
