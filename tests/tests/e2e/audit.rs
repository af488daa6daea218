//! Beacons audit relays as viewers, end to end: a dev chain, an HTTP
//! origin, `ocm-relay` (Dave) and the beacon's audit code (`ocm_beacon::
//! audit`, run in-process so each round is observed) with a registered
//! beacon's key.
//!
//! The beacon fetches an object a viewer fetched (from the relay's
//! published file) through the relay with a receipt. Against an honest
//! relay, the committed batch shows the request, billed no more than the
//! beacon received. Then the relay publishes a file that is not what it
//! committed for the audited period: the beacon claims the request missing
//! with its receipt, the relay cannot show the record, and the batch is
//! void at settlement and the relay's bond slashed.

use super::settlement::{joined, num, relay_config, start_relay};
use ocm_beacon::audit::{Auditor, Finding};
use ocm_e2e::{free_port, pob, registry::UNITS, storage, submit, until, DevNode};
use std::{process::Command, time::Duration};
use subxt::dynamic::Value;
use subxt_signer::sr25519::dev;

const HOST: &str = "audited.example.com";

async fn batch_exists(api: &ocm_e2e::Api, key: (u32, u32, u32)) -> bool {
	let key = vec![Value::u128(key.0.into()), Value::u128(key.1.into()), Value::u128(key.2.into())];
	storage(api, "CdniSettlement", "Batches", key).await.is_some()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_beacon_audit_finds_what_a_relay_committed_and_claims_what_it_did_not() {
	let node = DevNode::start();
	let api = node.connect().await;
	let origin_port = ocm_e2e::origin::segments(20_000).await.port;
	let alice = dev::alice();
	let register = ocm_e2e::registry::register_provider("Audited Video", HOST);
	submit(&api, &register, &alice).await.expect("provider registers");
	let now = api.at_current_block().await.unwrap().block_number() as u128;
	let open = ocm_e2e::registry::open_contract(
		HOST,
		&format!("http://127.0.0.1:{origin_port}"),
		10 * UNITS,
		1_000 * UNITS,
		now + 10,
		now + 100_000,
	);
	submit(&api, &open, &alice).await.expect("the contract opens");
	let port = free_port();
	let dir = tempfile::tempdir().unwrap();
	let logs = dir.path().join("logs");
	let config = dir.path().join("relay.toml");
	let relay = start_relay(relay_config(&node, port, &config), port, &logs);
	let relay_id = joined(&node, &api, port).await;

	// Viewers, so that the relay publishes a file to audit from.
	let viewer = |n: u32| {
		let out = Command::new("curl")
			.args(["-s", "-o", "/dev/null", "-w", "%{http_code}", "-H", &format!("Host: {HOST}")])
			.arg(format!("http://127.0.0.1:{port}/live/{n}.ts"))
			.output()
			.unwrap();
		String::from_utf8(out.stdout).unwrap()
	};
	until("the relay serves the host", Duration::from_secs(30), || async {
		(viewer(1) == "200").then_some(())
	})
	.await;
	for n in 2..4 {
		assert_eq!(viewer(n), "200");
	}

	// The beacon (registered by the proof-of-bandwidth run, an auditor).
	let chain = ocm_chain_client::Chain::connect(&node.ws_url()).await.unwrap();
	let key = pob::beacon_key(0);
	let mut auditor = Auditor::default();
	// Nothing to audit until the relay's first batch is published.
	let deadline = std::time::Instant::now() + Duration::from_secs(120);
	let audit = loop {
		if let Some(audit) = auditor.start_one(&chain).await.unwrap() {
			break audit;
		}
		assert!(std::time::Instant::now() < deadline, "the beacon found nothing to audit");
		tokio::time::sleep(Duration::from_secs(1)).await;
	};
	assert_eq!((audit.contract, audit.relay), (0, relay_id));
	until("the audited period is committed", Duration::from_secs(120), || async {
		batch_exists(&api, (0, relay_id, audit.period)).await.then_some(())
	})
	.await;
	let decided = auditor.check_pending(&chain, &key).await.unwrap();
	assert_eq!(decided.len(), 1);
	assert!(
		matches!(decided[0].finding, Finding::Recorded { billed } if billed <= decided[0].audit.received + 1_024),
		"{decided:?}"
	);
	assert!(decided[0].claimed.is_none());

	// The relay publishes, for the next audited period, a file that is not
	// its commitment: the audit claims the request, and the relay, which
	// answers from that file, cannot show it. (The claim has the batch's
	// dispute window, a period on the dev chain: on a loaded machine it can
	// pass first, and the next audit is tried.)
	let bond = |api: ocm_e2e::Api| async move {
		num(
			&storage(&api, "CapacityRegistry", "Relays", vec![Value::u128(relay_id.into())])
				.await
				.unwrap(),
			"bond",
		)
	};
	let mut last_period = decided[0].audit.period;
	let mut claimed = None;
	for _ in 0..3 {
		let audit = loop {
			match auditor.start_one(&chain).await.unwrap() {
				Some(a) if a.period > last_period => break a,
				_ => tokio::time::sleep(Duration::from_secs(1)).await,
			}
		};
		last_period = audit.period;
		let key2 = (0, relay_id, audit.period);
		until("the audited period is committed", Duration::from_secs(120), || async {
			batch_exists(&api, key2).await.then_some(())
		})
		.await;
		let published = logs.join("0").join(format!("{}.log", audit.period));
		std::fs::write(&published, b"#version:\tCDNI/1.0\r\nnot the committed batch\r\n").unwrap();
		let bond_before = bond(api.clone()).await;
		let decided = auditor.check_pending(&chain, &key).await.unwrap();
		assert_eq!(decided.len(), 1, "{decided:?}");
		assert_eq!(decided[0].finding, Finding::FileMismatch);
		match &decided[0].claimed {
			Some(Err(e)) if e.contains("DisputeWindowOver") => continue,
			other => assert_eq!(other, &Some(Ok(())), "the beacon's claim is accepted"),
		}
		claimed = Some((key2, bond_before));
		break;
	}
	let (key2, bond_before) = claimed.expect("three claims came after their windows");
	until("the batch the relay could not show is void", Duration::from_secs(180), || async {
		(!batch_exists(&api, key2).await).then_some(())
	})
	.await;
	assert_eq!(bond(api.clone()).await, bond_before - bond_before / 10, "the relay is slashed");
	drop(relay);
}
