//! Proof of bandwidth end to end: relays in shaped network namespaces,
//! beacons in the root namespace, the real dev chain. Shared by the
//! end-to-end test and `pob-bench`.

use crate::{
	beacon_binary, find, netns::Netns, registry, relay_binary, submit, wait_listening, Api,
	DevNode, Process,
};
use std::{collections::BTreeMap, process::Stdio, time::Duration};
use subxt::dynamic::{At, Value};
use subxt_signer::sr25519::{dev, Keypair};

/// An `ocm-relay` in its own namespace, its link shaped, registered on chain.
pub struct ShapedRelay {
	pub id: u32,
	pub rate_mbit: u32,
	pub claimed_mbps: u32,
	_process: Process,
	_netns: Netns,
}

/// Starts `ocm-relay` in namespace `index` shaped to `rate_mbit` and
/// registers it (operator Dave) claiming `claimed_mbps`.
pub async fn shaped_relay(api: &Api, index: u8, rate_mbit: u32, claimed_mbps: u32) -> ShapedRelay {
	let netns = Netns::shaped(index, rate_mbit);
	let listen = format!("{}:8080", netns.ns_ip);
	let process = Process(
		netns
			.command(&relay_binary())
			.args(["--listen", &listen])
			.stdout(Stdio::null())
			.spawn()
			.expect("start ocm-relay in its namespace"),
	);
	wait_listening(&listen, "ocm-relay");
	let http = format!("http://{listen}");
	let events = submit(
		api,
		&registry::register_relay(
			&http,
			claimed_mbps,
			vec![registry::footprint("asn", "as64500", claimed_mbps)],
		),
		&dev::dave(),
	)
	.await
	.expect("the relay registers");
	let id = find(&events, "CapacityRegistry", "RelayRegistered")
		.fields
		.at("relay")
		.and_then(|v| v.as_u128())
		.expect("a relay id") as u32;
	ShapedRelay { id, rate_mbit, claimed_mbps, _process: process, _netns: netns }
}

/// Endowed dev accounts that beacons use (Dave operates the relays).
pub const BEACON_KEYS: [&str; 6] =
	["//Eve", "//Ferdie", "//Charlie", "//Eve//stash", "//Ferdie//stash", "//Charlie//stash"];

/// The key pair of beacon `n`.
pub fn beacon_key(n: usize) -> Keypair {
	Keypair::from_uri(&BEACON_KEYS[n].parse().unwrap()).unwrap()
}

/// Starts `ocm-beacon` `n` (0..6) with a `capacity_mbps` link in ASN 65001 + n.
pub fn beacon(node: &DevNode, n: usize, capacity_mbps: u32) -> Process {
	beacon_with(node, n, capacity_mbps, &[])
}

/// As [`beacon`], with more `OCM_BEACON_*` settings in `env`.
pub fn beacon_with(node: &DevNode, n: usize, capacity_mbps: u32, env: &[(&str, &str)]) -> Process {
	let uri = BEACON_KEYS[n];
	Process(
		std::process::Command::new(beacon_binary())
			.envs(env.iter().copied())
			.args(["--chain", &node.ws_url(), "--key", uri])
			.args([
				"--asn",
				&(65_001 + n).to_string(),
				"--capacity-mbps",
				&capacity_mbps.to_string(),
			])
			.env("OCM_BEACON_LOG", std::env::var("OCM_BEACON_LOG").unwrap_or("warn".into()))
			.stdout(if std::env::var_os("OCM_BEACON_LOG").is_some() {
				Stdio::inherit()
			} else {
				Stdio::null()
			})
			.spawn()
			.expect("start ocm-beacon"),
	)
}

/// A `ProofOfBandwidth.Verdict`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Verdict {
	pub epoch: u32,
	pub claimed_mbps: u32,
	pub measured_mbps: u32,
	pub passed: bool,
}

/// What the chain said while the relays were tested.
#[derive(Debug, Default)]
pub struct Seen {
	/// The first verdict of each relay.
	pub verdicts: BTreeMap<u32, Verdict>,
	/// Each `ProbesAccepted`: (relays probed, unreachable among them).
	pub probe_batches: Vec<(u32, u32)>,
}

/// Follows finalized blocks until every relay in `relays` has a verdict.
pub async fn verdicts(node: &DevNode, api: &Api, relays: &[u32], within: Duration) -> Seen {
	let mut seen = BTreeMap::new();
	let mut probe_batches = Vec::new();
	let mut blocks = api.stream_blocks().await.expect("finalized blocks");
	let number = |v: &Value, f: &str| v.at(f).and_then(|x| x.as_u128()).unwrap_or(0) as u32;
	let result = tokio::time::timeout(within, async {
		while seen.len() < relays.len() {
			let block = blocks.next().await.expect("stream open").expect("block");
			let events = block.at().await.expect("block").events().fetch().await.expect("events");
			for event in events.iter().filter_map(Result::ok) {
				if event.pallet_name() != "ProofOfBandwidth" {
					continue;
				}
				let fields: Value = match event.decode_fields_unchecked_as::<Value>() {
					Ok(fields) => fields,
					Err(_) => continue,
				};
				match event.event_name() {
					"Verdict" => {
						let relay = number(&fields, "relay");
						if relays.contains(&relay) && !seen.contains_key(&relay) {
							let passed =
								fields.at("passed").and_then(|v| v.as_bool()).unwrap_or(false);
							seen.insert(
								relay,
								Verdict {
									epoch: number(&fields, "epoch"),
									claimed_mbps: number(&fields, "claimed_mbps"),
									measured_mbps: number(&fields, "measured_mbps"),
									passed,
								},
							);
						}
					}
					"ProbesAccepted" => probe_batches
						.push((number(&fields, "relays"), number(&fields, "unreachable"))),
					"Inconclusive" => eprintln!("pob: inconclusive test: {fields}"),
					"RelayUnreachable" => eprintln!("pob: relay unreachable: {fields}"),
					"BeaconOverruled" => eprintln!("pob: beacon overruled: {fields}"),
					_ => {}
				}
			}
		}
	})
	.await;
	if result.is_err() {
		panic!(
			"no verdict for every relay of {relays:?} in {within:?}: {seen:?}\n{}",
			node.log_tail()
		);
	}
	Seen { verdicts: seen, probe_batches }
}

/// The registry's status name and verified capacity of `relay`.
pub async fn relay_status(api: &Api, relay: u32) -> (String, u32) {
	let record: Value = api
		.at_current_block()
		.await
		.unwrap()
		.storage()
		.fetch(subxt::dynamic::storage::<(u32,), Value>("CapacityRegistry", "Relays"), (relay,))
		.await
		.expect("the relay exists")
		.decode()
		.unwrap();
	let status = match &record.at("status").expect("a status").value {
		subxt::ext::scale_value::ValueDef::Variant(v) => v.name.clone(),
		other => format!("{other:?}"),
	};
	let verified = record.at("verified_mbps").and_then(|v| v.as_u128()).unwrap_or(0) as u32;
	(status, verified)
}
