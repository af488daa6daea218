//! Verified multicast reach on the real dev chain: an `ocm-relay` that
//! announces a multicast test channel (registering itself as Dave), an
//! `ocm-amt-relay` that joins the channel natively, and three
//! `ocm-beacon`s that join it through AMT, all in a network namespace of
//! the test's own whose loopback carries multicast. The beacons assigned
//! to the relay rebuild and check the epoch's seeded test objects and
//! report them; the epoch's close records verified reach.

use ocm_e2e::{amt_relay_binary, free_port, pob, relay_binary, wait_listening, DevNode, Process};
use std::{
	process::{Command, Stdio},
	time::Duration,
};
use subxt::dynamic::{At, Value};

const GROUP: &str = "232.7.0.1:5000";
const AMT: &str = "127.0.0.1:2268";

fn relay_config(dir: &std::path::Path, node: &DevNode, port: u16) -> std::path::PathBuf {
	let path = dir.join("relay.toml");
	std::fs::write(
		&path,
		format!(
			r#"listen = "127.0.0.1:{port}"

[chain]
url = "{}"
operator = "//Dave"
public_url = "http://127.0.0.1:{port}"
bond = 100
heartbeat_secs = 60
country = "nl"
asn = 64500
capacity_mbps = 50
capabilities = ["http/1.1"]

[[chain.footprints]]
type = "ipv4cidr"
value = "127.0.0.0/8"
capacity_mbps = 50

[multicast.test_channel]
source = "127.0.0.1"
group = "{GROUP}"
amt_relay = "{AMT}"
"#,
			node.ws_url()
		),
	)
	.unwrap();
	path
}

/// The `MulticastReach` event of the first epoch that tested the relay's
/// channel, with each `MulticastReportAccepted` before it.
struct Seen {
	relay: u32,
	reports: Vec<u32>,
	beacons: u32,
	reached: u32,
	verified: bool,
}

async fn multicast_reach(node: &DevNode, api: &ocm_e2e::Api, within: Duration) -> Seen {
	let number = |v: &Value, f: &str| v.at(f).and_then(|x| x.as_u128()).unwrap_or(0) as u32;
	let mut blocks = api.stream_blocks().await.expect("finalized blocks");
	let mut relay = None;
	let mut reports = Vec::new();
	let seen = tokio::time::timeout(within, async {
		loop {
			let block = blocks.next().await.expect("stream open").expect("block");
			let events = block.at().await.expect("block").events().fetch().await.expect("events");
			for event in events.iter().filter_map(Result::ok) {
				if event.pallet_name() != "ProofOfBandwidth" {
					continue;
				}
				let Ok(fields) = event.decode_fields_unchecked_as::<Value>() else { continue };
				match event.event_name() {
					"MulticastChannelAnnounced" => relay = Some(number(&fields, "relay")),
					"MulticastReportAccepted" => reports.push(number(&fields, "objects")),
					"MulticastReach" if Some(number(&fields, "relay")) == relay => {
						return Seen {
							relay: relay.unwrap_or_default(),
							reports: reports.clone(),
							beacons: number(&fields, "beacons"),
							reached: number(&fields, "reached"),
							verified: fields.at("verified").and_then(|v| v.as_bool()) == Some(true),
						};
					}
					_ => {}
				}
			}
		}
	})
	.await;
	seen.unwrap_or_else(|_| panic!("no multicast reach judged in {within:?}\n{}", node.log_tail()))
}

#[test]
fn beacons_verify_a_relays_multicast_reach_through_amt() {
	ocm_amt::test_support::in_multicast_namespace(|| async {
		let node = DevNode::start();
		let api = node.connect().await;
		let _amt = Process(
			Command::new(amt_relay_binary())
				.args(["--listen", AMT, "--upstream-interface", "lo", "--data-port", "5000"])
				.stdout(Stdio::null())
				.spawn()
				.expect("start ocm-amt-relay"),
		);
		let dir = tempfile::tempdir().unwrap();
		let port = free_port();
		let config = relay_config(dir.path(), &node, port);
		let _relay = Process(
			Command::new(relay_binary())
				.arg("--config")
				.arg(&config)
				.arg("--log-dir")
				.arg(dir.path().join("logs"))
				.env("OCM_RELAY_LOG", std::env::var("OCM_RELAY_LOG").unwrap_or("warn".into()))
				.stdout(if std::env::var_os("OCM_RELAY_LOG").is_some() {
					Stdio::inherit()
				} else {
					Stdio::null()
				})
				.spawn()
				.expect("start ocm-relay"),
		);
		wait_listening(&format!("127.0.0.1:{port}"), "ocm-relay");
		// The unicast test on loopback is capped, so three beacons, the relay
		// and the node share two cores without starving block production.
		let _beacons: Vec<_> = (0..3)
			.map(|n| pob::beacon_with(&node, n, 100, &[("OCM_BEACON_MAX_RATE_MBPS", "40")]))
			.collect();

		let seen = multicast_reach(&node, &api, Duration::from_secs(240)).await;
		println!(
			"multicast reach of relay {}: {} of {} beacons reached; objects per report {:?} of {}",
			seen.relay,
			seen.reached,
			seen.beacons,
			seen.reports,
			ocm_pob::multicast::OBJECTS_IN_WINDOW
		);
		assert_eq!(seen.beacons, 3);
		assert_eq!(seen.reports.len(), 3, "every assigned beacon reported");
		assert!(seen.verified, "reach verified");
		assert_eq!(seen.reached, 3);

		// The record is on chain for buyers and the board to read.
		let record = api
			.at_current_block()
			.await
			.unwrap()
			.storage()
			.fetch(
				subxt::dynamic::storage::<(u32,), Value>("ProofOfBandwidth", "MulticastRecords"),
				(seen.relay,),
			)
			.await
			.expect("a multicast record")
			.decode()
			.unwrap();
		assert_eq!(record.at("verified").and_then(|v| v.as_bool()), Some(true), "{record}");
	});
}
