//! `ocm-relay` joins the marketplace: started with a `[chain]` section and
//! its operator's key, it registers itself on the real dev chain, sends
//! heartbeats, serves its FCI advertisement from the chain, after a restart
//! finds its registration instead of registering twice, and updates its
//! claims when its configuration changed.

use ocm_e2e::{free_port, relay_binary, wait_listening, Api, DevNode, Process};
use std::{
	process::{Command, Stdio},
	time::{Duration, Instant},
};
use subxt::dynamic::{self, At, Value};

fn start_relay(config: &std::path::Path, port: u16) -> Process {
	let child = Command::new(relay_binary())
		.args(["--config", config.to_str().unwrap(), "--listen", &format!("127.0.0.1:{port}")])
		.env("OCM_RELAY_OPERATOR", "//Dave")
		.stdout(Stdio::null())
		.spawn()
		.expect("start ocm-relay");
	let process = Process(child);
	wait_listening(&format!("127.0.0.1:{port}"), "ocm-relay");
	process
}

/// Polls the relay's FCI endpoint until it answers 200; returns the JSON.
async fn fci(port: u16, within: Duration) -> serde_json::Value {
	let deadline = Instant::now() + within;
	loop {
		let out = Command::new("curl")
			.args([
				"-s",
				"-w",
				"\n%{http_code}",
				&format!("http://127.0.0.1:{port}/.well-known/ocm/fci"),
			])
			.output()
			.unwrap();
		let text = String::from_utf8(out.stdout).unwrap();
		let (body, status) = text.rsplit_once('\n').unwrap();
		if status == "200" {
			return serde_json::from_str(body).expect("JSON");
		}
		assert!(
			Instant::now() < deadline,
			"no FCI advertisement within {within:?}: {status} {body}"
		);
		tokio::time::sleep(Duration::from_millis(500)).await;
	}
}

async fn relay_record(api: &Api, relay: u32) -> Value {
	api.at_current_block()
		.await
		.unwrap()
		.storage()
		.fetch(dynamic::storage::<(u32,), Value>("CapacityRegistry", "Relays"), (relay,))
		.await
		.expect("the relay is registered")
		.decode()
		.unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_relay_registers_itself_heartbeats_and_serves_its_fci_advertisement() {
	let node = DevNode::start();
	let api = node.connect().await;
	let port = free_port();
	let dir = tempfile::tempdir().unwrap();
	let config = dir.path().join("relay.toml");
	std::fs::write(
		&config,
		format!(
			r#"
[chain]
url = "{}"
public_url = "http://127.0.0.1:{port}"
bond = 100
heartbeat_secs = 2
country = "nl"
asn = 64500
capacity_mbps = 1000
capabilities = ["http/1.1", "http/2", "hls"]

[[chain.footprints]]
type = "ipv4cidr"
value = "10.0.0.0/8"
capacity_mbps = 1000
"#,
			node.ws_url()
		),
	)
	.unwrap();

	let relay = start_relay(&config, port);
	let advertisement = fci(port, Duration::from_secs(60)).await;
	let caps = advertisement["capabilities"].as_array().expect("capabilities");
	assert_eq!(caps[0]["capability-value"]["delivery-protocols"], serde_json::json!(["http/1.1"]));
	assert_eq!(caps[0]["footprints"][0]["footprint-value"][0], "10.0.0.0/8");
	let ocm = caps.last().unwrap();
	assert_eq!(ocm["capability-value"]["http"], format!("http://127.0.0.1:{port}"));
	assert_eq!(ocm["capability-value"]["status"], "pending");
	let id = ocm["capability-value"]["relay-id"].as_u64().unwrap() as u32;

	// Heartbeats move `last_heartbeat` forward.
	let first =
		relay_record(&api, id).await.at("last_heartbeat").and_then(|v| v.as_u128()).unwrap();
	let deadline = Instant::now() + Duration::from_secs(40);
	loop {
		let now =
			relay_record(&api, id).await.at("last_heartbeat").and_then(|v| v.as_u128()).unwrap();
		if now > first {
			break;
		}
		assert!(Instant::now() < deadline, "no heartbeat after {first}\n{}", node.log_tail());
		tokio::time::sleep(Duration::from_secs(1)).await;
	}

	// A restart finds the registration: same id, no second relay.
	drop(relay);
	let _relay = start_relay(&config, port);
	let again = fci(port, Duration::from_secs(30)).await;
	assert_eq!(
		again["capabilities"].as_array().unwrap().last().unwrap()["capability-value"]["relay-id"],
		id
	);
	let next: u32 = api
		.at_current_block()
		.await
		.unwrap()
		.storage()
		.fetch(dynamic::storage::<(), u32>("CapacityRegistry", "NextRelayId"), ())
		.await
		.unwrap()
		.decode()
		.unwrap();
	assert_eq!(next, id + 1, "registered once");
	let claimed = |fci: &serde_json::Value| {
		fci["capabilities"].as_array().unwrap().last().unwrap()["capability-value"]["claimed-mbps"]
			.clone()
	};
	assert_eq!(claimed(&again), 1000, "the same claims are not sent again");

	// The operator raises its claims and restarts: the relay updates them.
	drop(_relay);
	let edited = std::fs::read_to_string(&config)
		.unwrap()
		.replace("capacity_mbps = 1000", "capacity_mbps = 2000");
	std::fs::write(&config, edited).unwrap();
	let _relay = start_relay(&config, port);
	let deadline = Instant::now() + Duration::from_secs(40);
	loop {
		let fci = fci(port, Duration::from_secs(30)).await;
		if claimed(&fci) == 2000 {
			break;
		}
		assert!(Instant::now() < deadline, "claims not updated: {fci}");
		tokio::time::sleep(Duration::from_secs(1)).await;
	}
}
