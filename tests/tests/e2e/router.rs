//! Request routing end to end: a dev chain, an HTTP origin, two `ocm-relay`s
//! (Dave's serving 127.1.0.0/16; Bob's serving 127.2.0.0/16 and the
//! Netherlands) verified by six `ocm-beacon`s and joined to Alice's
//! delivery contract, and `ocm-router` following the chain. curl plays the
//! players, from addresses in different footprints (loopback's /8 is all
//! local, so `--interface 127.x.y.z` sends from there).
//!
//! Each player is redirected to the relay whose footprint contains it
//! (longest prefix, then the country its network is in), and the relay
//! serves the redirect's URL from the origin; an upstream CDN's RFC 7975
//! request gets the same answer; unknown hosts and clients in no footprint
//! get CDNi errors; the marketplace's FCI advertisement sums the relays'
//! verified capacity per footprint; the provider's RFC 8007 triggers and
//! RFC 8006 service configuration reach every relay; and a relay that is
//! killed stops getting players within seconds.

use ocm_e2e::{
	free_port, pob, registry::UNITS, relay_binary, router_binary, storage, submit, until,
	wait_listening, Api, DevNode, Process,
};
use std::{
	process::{Command, Stdio},
	time::{Duration, Instant},
};
use subxt::dynamic::{At, Value};
use subxt_signer::sr25519::dev;

const HOST: &str = "video.example.com";
const SEGMENT_BYTES: usize = 20_000;

fn relay_config(
	dir: &std::path::Path,
	node: &DevNode,
	port: u16,
	footprints: &str,
) -> std::path::PathBuf {
	let path = dir.join(format!("relay-{port}.toml"));
	std::fs::write(
		&path,
		format!(
			r#"listen = "127.0.0.1:{port}"

[chain]
url = "{}"
public_url = "http://127.0.0.1:{port}"
bond = 100
heartbeat_secs = 30
country = "nl"
asn = 64500
capacity_mbps = 50
capabilities = ["http/1.1", "hls"]
contracts = [0]
{footprints}"#,
			node.ws_url()
		),
	)
	.unwrap();
	path
}

fn start_relay(config: &std::path::Path, operator: &str, logs: &std::path::Path) -> Process {
	Process(
		Command::new(relay_binary())
			.args(["--config", config.to_str().unwrap(), "--log-dir", logs.to_str().unwrap()])
			.env("OCM_RELAY_OPERATOR", operator)
			.env("OCM_RELAY_LOG", std::env::var("OCM_RELAY_LOG").unwrap_or("warn".into()))
			.stdout(Stdio::null())
			.spawn()
			.expect("start ocm-relay"),
	)
}

/// curl from `from`: (status, Location or body).
fn curl(from: &str, args: &[&str]) -> (u16, String) {
	let out = Command::new("curl")
		.args([
			"-s",
			"--max-time",
			"5",
			"--interface",
			from,
			"-o",
			"-",
			"-w",
			"\n%{http_code} %{redirect_url}",
		])
		.args(args)
		.output()
		.expect("curl runs");
	let text = String::from_utf8_lossy(&out.stdout).to_string();
	let (body, tail) = text.rsplit_once('\n').unwrap_or(("", &text));
	let (status, location) = tail.split_once(' ').unwrap_or((tail, ""));
	let status = status.parse().unwrap_or(0);
	(status, if location.is_empty() { body.to_string() } else { location.to_string() })
}

/// The relay's `X-Cache` for a GET of `url` (`HIT`, `MISS`, ...).
fn x_cache(url: &str) -> String {
	let out = Command::new("curl")
		.args(["-s", "--max-time", "5", "-D", "-", "-o", "/dev/null", url])
		.output()
		.expect("curl runs");
	String::from_utf8_lossy(&out.stdout)
		.lines()
		.find_map(|l| {
			l.to_ascii_lowercase().strip_prefix("x-cache: ").map(|v| v.trim().to_uppercase())
		})
		.unwrap_or_default()
}

/// Hex of `key`'s public key and of its signature over `message` as a
/// trigger (or trigger read) on the chain `genesis`.
fn signed(
	key: &subxt_signer::sr25519::Keypair,
	genesis: &[u8; 32],
	message: &[u8],
) -> (String, String) {
	let signature = key.sign(&ocm_routing::control::signing_payload(genesis, message));
	(ocm_cdni::hex(&key.public_key().0), ocm_cdni::hex(&signature.0))
}

/// POSTs a trigger command signed by `key`: (status, Location or body).
fn trigger(
	router: &str,
	key: &subxt_signer::sr25519::Keypair,
	genesis: &[u8; 32],
	command: &serde_json::Value,
) -> (u16, String) {
	let body = command.to_string();
	let (signer, signature) = signed(key, genesis, body.as_bytes());
	let out = Command::new("curl")
		.args(["-s", "--max-time", "5", "-X", "POST", "-D", "-", "-o", "/dev/null"])
		.args(["-H", "Content-Type: application/cdni; ptype=ci-trigger-command"])
		.args([
			"-H",
			&format!("OCM-Signer: {signer}"),
			"-H",
			&format!("OCM-Signature: {signature}"),
		])
		.args(["--data-binary", &body, &format!("{router}/cdni/v1/triggers")])
		.output()
		.expect("curl runs");
	let head = String::from_utf8_lossy(&out.stdout).to_string();
	let status = head.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
	let location = head
		.lines()
		.find_map(|l| {
			l.to_ascii_lowercase().starts_with("location:").then(|| l[9..].trim().to_string())
		})
		.unwrap_or_default();
	(status, location)
}

/// The trigger status resource at `path`, read as its provider.
fn trigger_status(
	router: &str,
	key: &subxt_signer::sr25519::Keypair,
	genesis: &[u8; 32],
	path: &str,
) -> serde_json::Value {
	let (signer, signature) = signed(key, genesis, path.as_bytes());
	let out = Command::new("curl")
		.args([
			"-s",
			"--max-time",
			"5",
			"-H",
			&format!("OCM-Signer: {signer}"),
			"-H",
			&format!("OCM-Signature: {signature}"),
		])
		.arg(format!("{router}{path}"))
		.output()
		.expect("curl runs");
	serde_json::from_slice(&out.stdout).unwrap_or_default()
}

/// PUTs a service document for `contract` to the router, with
/// `OCM-Sequence` and `signer`'s `OCM-Signature` over it when given:
/// (status, body).
fn configure(
	router: &str,
	contract: u32,
	sequence: Option<u32>,
	signer: Option<&subxt_signer::sr25519::Keypair>,
	genesis: &[u8; 32],
	document: &[u8],
) -> (u16, String) {
	let file = tempfile::NamedTempFile::new().unwrap();
	std::fs::write(file.path(), document).unwrap();
	let mut command = Command::new("curl");
	command.args(["-s", "--max-time", "30", "-X", "PUT", "-w", "\n%{http_code}"]);
	command.args(["-H", &format!("Content-Type: {}", ocm_cdni::metadata::MEDIA_TYPE)]);
	if let Some(sequence) = sequence {
		command.args(["-H", &format!("OCM-Sequence: {sequence}")]);
		if let Some(key) = signer {
			let payload =
				ocm_cdni::metadata::signing_payload(genesis, contract, sequence, document);
			command
				.args(["-H", &format!("OCM-Signature: {}", ocm_cdni::hex(&key.sign(&payload).0))]);
		}
	}
	command.arg("--data-binary").arg(format!("@{}", file.path().display()));
	let out =
		command.arg(format!("{router}/cdni/v1/metadata/{contract}")).output().expect("curl runs");
	let text = String::from_utf8_lossy(&out.stdout).to_string();
	let (body, status) = text.rsplit_once('\n').unwrap_or(("", &text));
	(status.trim().parse().unwrap_or(0), body.to_string())
}

/// A GET's response headers, names lower case.
fn response_headers(url: &str) -> std::collections::HashMap<String, String> {
	let out = Command::new("curl")
		.args(["-s", "--max-time", "5", "-D", "-", "-o", "/dev/null", url])
		.output()
		.expect("curl runs");
	String::from_utf8_lossy(&out.stdout)
		.lines()
		.filter_map(|l| l.split_once(':'))
		.map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_string()))
		.collect()
}

async fn relay_id(api: &Api, port: u16) -> Option<u32> {
	let key = vec![Value::from_bytes(format!("127.0.0.1:{port}"))];
	Some(storage(api, "CapacityRegistry", "RelayByAuthority", key).await?.as_u128()? as u32)
}

#[tokio::test(flavor = "multi_thread")]
async fn players_are_sent_to_the_relay_for_their_network() {
	let node = DevNode::start();
	let api = node.connect().await;
	let origin = ocm_e2e::origin::segments(SEGMENT_BYTES).await;
	let origin_port = origin.port;

	let register = ocm_e2e::registry::register_provider("Example Video", HOST);
	submit(&api, &register, &dev::alice()).await.expect("provider registers");
	let now = api.at_current_block().await.unwrap().block_number() as u128;
	let open = ocm_e2e::registry::open_contract(
		HOST,
		&format!("http://127.0.0.1:{origin_port}"),
		UNITS,
		1_000 * UNITS,
		now + 5,
		now + 100_000,
	);
	submit(&api, &open, &dev::alice()).await.expect("the contract opens");

	let dir = tempfile::tempdir().unwrap();
	let (port_a, port_b) = (free_port(), free_port());
	let config_a = relay_config(
		dir.path(),
		&node,
		port_a,
		"[[chain.footprints]]\ntype = \"ipv4cidr\"\nvalue = \"127.1.0.0/16\"\ncapacity_mbps = 50\n",
	);
	let config_b = relay_config(
		dir.path(),
		&node,
		port_b,
		"[[chain.footprints]]\ntype = \"ipv4cidr\"\nvalue = \"127.2.0.0/16\"\ncapacity_mbps = 50\n\n[[chain.footprints]]\ntype = \"countrycode\"\nvalue = \"nl\"\ncapacity_mbps = 40\n",
	);
	let _relay_a = start_relay(&config_a, "//Dave", &dir.path().join("logs-a"));
	let mut relay_b_process = start_relay(&config_b, "//Bob", &dir.path().join("logs-b"));
	wait_listening(&format!("127.0.0.1:{port_a}"), "ocm-relay");
	wait_listening(&format!("127.0.0.1:{port_b}"), "ocm-relay");
	let beacons: Vec<_> = (0..6)
		.map(|n| pob::beacon_with(&node, n, 100, &[("OCM_BEACON_MAX_RATE_MBPS", "40")]))
		.collect();
	let (id_a, id_b) = until("both relays join contract 0", Duration::from_secs(300), || async {
		let (a, b) = (relay_id(&api, port_a).await?, relay_id(&api, port_b).await?);
		for id in [a, b] {
			storage(
				&api,
				"CdniSettlement",
				"Members",
				vec![Value::u128(0), Value::u128(id.into())],
			)
			.await?;
		}
		Some((a, b))
	})
	.await;
	drop(beacons);

	// Clients in 127.3.0.0/16 are in the Netherlands, in no relay's prefix.
	let networks = dir.path().join("networks.txt");
	std::fs::write(&networks, "127.3.0.0/16 as64777 nl\n").unwrap();
	let router_port = free_port();
	let _router = Process(
		Command::new(router_binary())
			.args(["--listen", &format!("127.0.0.1:{router_port}"), "--chain", &node.ws_url()])
			.arg("--networks")
			.arg(&networks)
			.env("OCM_ROUTER_LOG", std::env::var("OCM_ROUTER_LOG").unwrap_or("warn".into()))
			.stdout(Stdio::null())
			.spawn()
			.expect("start ocm-router"),
	);
	wait_listening(&format!("127.0.0.1:{router_port}"), "ocm-router");
	let router = format!("http://127.0.0.1:{router_port}");
	let play = |from: &str, path: &str| {
		curl(from, &["-H", &format!("Host: {HOST}"), &format!("{router}{path}")])
	};
	let relay_a = format!("http://127.0.0.1:{port_a}/cdn/{HOST}");
	let relay_b = format!("http://127.0.0.1:{port_b}/cdn/{HOST}");

	until("the router routes the contract's host", Duration::from_secs(30), || async {
		(play("127.1.0.9", "/live/1.ts").0 == 302).then_some(())
	})
	.await;
	assert_eq!(play("127.1.0.9", "/live/1.ts"), (302, format!("{relay_a}/live/1.ts")));
	assert_eq!(play("127.2.0.9", "/live/2.ts?t=1"), (302, format!("{relay_b}/live/2.ts?t=1")));
	assert_eq!(play("127.3.0.9", "/live/3.ts").1, format!("{relay_b}/live/3.ts"), "by country");
	// The redirect's URL serves the content, through the relay, from the origin.
	let (status, body) = curl("127.1.0.9", &[&format!("{relay_a}/live/1.ts")]);
	assert_eq!((status, body.len()), (200, SEGMENT_BYTES));

	// CDNi error bodies: a client in no footprint, a host with no contract.
	let (status, body) = play("127.4.0.9", "/live/1.ts");
	assert_eq!(status, 503);
	assert_eq!(
		serde_json::from_str::<serde_json::Value>(&body).unwrap()["error"]["error-code"],
		504
	);
	let (status, body) = curl("127.1.0.9", &["-H", "Host: nobody.example", &format!("{router}/x")]);
	assert_eq!(status, 404);
	assert_eq!(
		serde_json::from_str::<serde_json::Value>(&body).unwrap()["error"]["error-code"],
		501
	);

	// An upstream CDN asks on a player's behalf (RFC 7975).
	let request = serde_json::json!({
		"http": {"c-ip": "127.2.0.77", "cs-uri": format!("http://{HOST}/live/9.ts"), "cs-version": "HTTP/1.1", "cs-method": "GET"},
		"cdn-path": ["AS64496:0"], "max-hops": 3
	});
	let (status, body) = curl(
		"127.0.0.1",
		&[
			"-X",
			"POST",
			"-H",
			"Content-Type: application/cdni; ptype=redirection-request",
			"--data-binary",
			&request.to_string(),
			&format!("{router}/cdni/v1/redirection"),
		],
	);
	assert_eq!(status, 200, "{body}");
	let answer: serde_json::Value = serde_json::from_str(&body).unwrap();
	assert_eq!(answer["http"]["sc-(location)"], format!("{relay_b}/live/9.ts"));
	assert_eq!(answer["cdn-path"], serde_json::json!(["AS64496:0", "AS64500:0"]));

	// The marketplace's advertisement: each relay's footprint with its
	// verified capacity (the claim, 50 and 40 Mbit/s, once verified).
	let (status, body) = curl("127.0.0.1", &[&format!("{router}/cdni/v1/fci")]);
	assert_eq!(status, 200);
	let fci: serde_json::Value = serde_json::from_str(&body).unwrap();
	assert_eq!(ocm_routing::fci::check_shape(&fci), Ok(()), "RFC 8008/9808 shapes");
	let limit = |value: &str| {
		fci["capabilities"]
			.as_array()
			.unwrap()
			.iter()
			.find(|c| {
				c["capability-type"] == "FCI.CapacityLimits"
					&& c["footprints"][0]["footprint-value"][0] == value
			})
			.map(|c| c["capability-value"]["limits"][0]["maximum-hard"].as_u64().unwrap())
	};
	assert_eq!(limit("127.1.0.0/16"), Some(50_000_000));
	assert_eq!(limit("127.2.0.0/16"), Some(50_000_000));
	assert_eq!(limit("nl"), Some(40_000_000));
	println!("FCI: {fci}");

	// Triggers (RFC 8007), signed by Alice, the contract's provider.
	let genesis: [u8; 32] = api.genesis_hash().0;
	let alice = dev::alice();
	let complete = |location: String| {
		let (router, alice) = (router.clone(), alice.clone());
		async move {
			until("the trigger completes", Duration::from_secs(20), || {
				let status = trigger_status(&router, &alice, &genesis, &location);
				async move { (status["status"] == "complete").then_some(status) }
			})
			.await
		}
	};
	let segment = |relay: &str, n: u32| format!("{relay}/live/{n}.ts");
	// Purge: a cached object is gone from every relay; the next request
	// is a miss that the origin answers.
	for relay in [&relay_a, &relay_b] {
		x_cache(&segment(relay, 5));
		assert_eq!(x_cache(&segment(relay, 5)), "HIT");
	}
	let asked = origin.asked("/live/5.ts");
	let purge = serde_json::json!({
		"trigger": {"type": "purge", "content.urls": [format!("https://{HOST}/live/5.ts")]},
		"cdn-path": ["AS64496:1"]
	});
	let (status, location) = trigger(&router, &alice, &genesis, &purge);
	assert_eq!(status, 201);
	let started = Instant::now();
	let done = complete(location).await;
	println!("purge complete on both relays in {:?}: {done}", started.elapsed());
	for relay in [&relay_a, &relay_b] {
		assert_eq!(x_cache(&segment(relay, 5)), "MISS");
	}
	assert_eq!(origin.asked("/live/5.ts"), asked + 2, "the origin saw both relays' misses");
	// Invalidation by pattern.
	x_cache(&segment(&relay_a, 6));
	x_cache(&segment(&relay_a, 8));
	let invalidate = serde_json::json!({
		"trigger": {"type": "invalidate", "content.patterns": [{"pattern": format!("http://{HOST}/live/6*")}]},
		"cdn-path": ["AS64496:1"]
	});
	let (status, location) = trigger(&router, &alice, &genesis, &invalidate);
	assert_eq!(status, 201);
	complete(location).await;
	assert_eq!(x_cache(&segment(&relay_a, 6)), "MISS");
	assert_eq!(x_cache(&segment(&relay_a, 8)), "HIT", "outside the pattern");
	// Preposition: in both caches before any player asks.
	let preposition = serde_json::json!({
		"trigger": {"type": "preposition", "content.urls": [format!("http://{HOST}/live/7.ts")]},
		"cdn-path": ["AS64496:1"]
	});
	let (status, location) = trigger(&router, &alice, &genesis, &preposition);
	assert_eq!(status, 201);
	complete(location).await;
	for relay in [&relay_a, &relay_b] {
		assert_eq!(x_cache(&segment(relay, 7)), "HIT");
	}
	// Configuration (RFC 8006): Alice moves the host to a second origin and
	// sets cache rules; the router puts the signed document on chain and
	// both relays apply it.
	let second = ocm_e2e::origin::segments(SEGMENT_BYTES).await;
	let generic = |kind: &str, value: serde_json::Value| serde_json::json!({ "generic-metadata-type": kind, "generic-metadata-value": value });
	let service = serde_json::json!({ "hosts": [{
		"host": HOST,
		"host-metadata": {
			"metadata": [
				generic("MI.SourceMetadata", serde_json::json!({ "sources": [
					{ "endpoints": [format!("127.0.0.1:{}", second.port)], "protocol": "http/1.1" }
				]})),
				generic("MI.CachePolicy", serde_json::json!({ "external": 5 })),
			],
			"paths": [{
				"path-pattern": { "pattern": "/private/*" },
				"path-metadata": { "metadata": [
					generic("MI.CachePolicy", serde_json::json!({
						"internal": 300, "external": "no-cache", "force-internal": true, "force-external": true
					})),
					generic("MI.Cache", serde_json::json!({ "include-query-strings": ["id"] })),
				] }
			}]
		}
	}]});
	let document = service.to_string().into_bytes();
	let put = Instant::now();
	let (status, body) = configure(&router, 0, Some(1), Some(&alice), &genesis, &document);
	assert_eq!(status, 200, "{body}");
	let on_chain = put.elapsed();
	let (status, body) = curl("127.0.0.1", &[&format!("{router}/cdni/v1/metadata/0")]);
	assert_eq!((status, body.as_bytes()), (200, &document[..]), "the chain holds the document");
	// A segment not asked for before each time: a cached one never reaches
	// either origin.
	let next = std::sync::atomic::AtomicU32::new(20);
	let moved =
		until("relay A acquires from the configured source", Duration::from_secs(30), || {
			let n = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
			x_cache(&segment(&relay_a, n));
			let reached = second.asked(&format!("/live/{n}.ts")) > 0;
			async move { reached.then_some(n) }
		})
		.await;
	println!(
		"metadata: on chain (final) {on_chain:?} after the PUT; applied by relay A {:?} after it",
		put.elapsed()
	);
	assert_eq!(origin.asked(&format!("/live/{moved}.ts")), 0, "the contract's origin is not asked");
	// Unforced, the host's external policy leaves the origin's own header alone.
	assert_eq!(response_headers(&segment(&relay_a, 12))["cache-control"], "max-age=60");
	// `no-store, private` at the origin, but the provider forces 300 s in
	// relays, `no-cache` for players, and a key of `id` alone.
	let private = |query: &str| format!("{relay_a}/private/1.ts?{query}");
	let first = response_headers(&private("id=7&session=a"));
	assert_eq!(first["x-cache"], "MISS");
	assert_eq!(first["cache-control"], "no-cache");
	assert!(!first.contains_key("ocm-internal-lifetime"), "the relay's own header stays inside");
	let again = response_headers(&private("session=b&id=7"));
	assert_eq!(again["x-cache"], "HIT", "other parameters are not in the key");
	assert_eq!(response_headers(&private("id=8&session=a"))["x-cache"], "MISS");
	assert_eq!(second.asked("/private/1.ts?id=7&session=a"), 1);
	assert_eq!(
		second.requests.lock().unwrap().iter().filter(|p| p.starts_with("/private/")).count(),
		2
	);
	// A purge of a URL reaches the object under the provider's key.
	let purge_private = serde_json::json!({
		"trigger": {"type": "purge", "content.urls": [format!("http://{HOST}/private/1.ts?id=7&other=1")]},
		"cdn-path": ["AS64496:1"]
	});
	let (status, location) = trigger(&router, &alice, &genesis, &purge_private);
	assert_eq!(status, 201);
	complete(location).await;
	assert_eq!(response_headers(&private("id=7"))["x-cache"], "MISS");
	// Bad configurations: clear CDNi errors, nothing changes on chain.
	let error_of = |(status, body): (u16, String)| {
		let body: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
		(status, body["errors"][0]["error"].as_str().unwrap_or_default().to_string())
	};
	let err = |s: u16, e: &str| (s, e.to_string());
	assert_eq!(
		error_of(configure(&router, 0, Some(2), None, &genesis, &document)),
		err(401, "eperm")
	);
	assert_eq!(
		error_of(configure(&router, 0, None, None, &genesis, &document)),
		err(400, "ereject")
	);
	assert_eq!(
		error_of(configure(&router, 0, Some(2), Some(&dev::bob()), &genesis, &document)),
		err(403, "eperm"),
		"only the provider configures"
	);
	assert_eq!(
		error_of(configure(&router, 0, Some(1), Some(&alice), &genesis, &document)),
		err(409, "ereject"),
		"a replayed sequence"
	);
	let stranger =
		serde_json::json!({ "hosts": [{ "host": "other.example.com", "host-metadata": {} }] });
	assert_eq!(
		error_of(configure(
			&router,
			0,
			Some(2),
			Some(&alice),
			&genesis,
			stranger.to_string().as_bytes()
		)),
		err(403, "eperm"),
		"a host outside the contract"
	);
	let acl = serde_json::json!({ "hosts": [{ "host": HOST, "host-metadata": { "metadata": [
		generic("MI.LocationACL", serde_json::json!({ "locations": [] }))
	] } }] });
	assert_eq!(
		error_of(configure(
			&router,
			0,
			Some(2),
			Some(&alice),
			&genesis,
			acl.to_string().as_bytes()
		)),
		err(400, "ereject"),
		"mandatory metadata OCM does not honour"
	);
	assert_eq!(
		error_of(configure(&router, 0, Some(2), Some(&alice), &genesis, b"{\"hosts\": [")),
		err(400, "ereject")
	);
	assert_eq!(
		error_of(configure(&router, 9, Some(1), Some(&alice), &genesis, &document)),
		err(404, "econtent")
	);
	assert_eq!(configure(&router, 0, Some(2), Some(&alice), &genesis, &vec![b' '; 9_000]).0, 413);
	let stored = storage(&api, "CdniSettlement", "Services", vec![Value::u128(0)]).await.unwrap();
	assert_eq!(stored.at("sequence").and_then(|s| s.as_u128()), Some(1), "nothing replaced it");

	// Bad input: Bob is not the provider; no signature; Bob's forged
	// signature under Alice's key; a flood.
	assert_eq!(trigger(&router, &dev::bob(), &genesis, &purge).0, 403);
	let unsigned = Command::new("curl")
		.args([
			"-s",
			"-o",
			"/dev/null",
			"-w",
			"%{http_code}",
			"-X",
			"POST",
			"--data-binary",
			&purge.to_string(),
		])
		.arg(format!("{router}/cdni/v1/triggers"))
		.output()
		.unwrap();
	assert_eq!(String::from_utf8_lossy(&unsigned.stdout), "401");
	let direct = format!("http://127.0.0.1:{port_a}/.well-known/ocm/triggers");
	let (_, bob_signature) = signed(&dev::bob(), &genesis, purge.to_string().as_bytes());
	let (alice_signer, _) = signed(&alice, &genesis, b"");
	let forged = Command::new("curl")
		.args(["-s", "-o", "/dev/null", "-w", "%{http_code}", "-X", "POST"])
		.args([
			"-H",
			&format!("OCM-Signer: {alice_signer}"),
			"-H",
			&format!("OCM-Signature: {bob_signature}"),
		])
		.args(["--data-binary", &purge.to_string(), &direct])
		.output()
		.unwrap();
	assert_eq!(
		String::from_utf8_lossy(&forged.stdout),
		"403",
		"the relay checks the signature itself"
	);
	// The flood goes out at once from one curl (the bucket refills 5 a
	// second, so sequential requests on a loaded machine could keep pace).
	let body = purge.to_string();
	let (signer, signature) = signed(&alice, &genesis, body.as_bytes());
	let url = format!("{router}/cdni/v1/triggers");
	let mut flood = Command::new("curl");
	flood
		.args(["-s", "--max-time", "20", "-Z", "--parallel-max", "60", "-X", "POST"])
		.args(["-w", "%{http_code}\n"])
		.args(["-H", "Content-Type: application/cdni; ptype=ci-trigger-command"])
		.args([
			"-H",
			&format!("OCM-Signer: {signer}"),
			"-H",
			&format!("OCM-Signature: {signature}"),
		])
		.args(["--data-binary", &body]);
	for _ in 0..60 {
		flood.args(["-o", "/dev/null", &url]);
	}
	let flooded = flood.output().expect("curl runs");
	let statuses: Vec<u16> = String::from_utf8_lossy(&flooded.stdout)
		.lines()
		.filter_map(|l| l.trim().parse().ok())
		.collect();
	assert_eq!(statuses.len(), 60, "every request of the flood is answered: {statuses:?}");
	assert!(statuses.contains(&429), "a purge flood is cut off: {statuses:?}");

	// Bob's relay goes down: its players stop being sent to it.
	let killed = Instant::now();
	let _ = relay_b_process.0.kill();
	let _ = relay_b_process.0.wait();
	until(
		"the router stops sending players to the dead relay",
		Duration::from_secs(10),
		|| async { (play("127.2.0.9", "/live/2.ts").0 == 503).then_some(()) },
	)
	.await;
	println!(
		"router: relay {id_b} killed; no more players after {:?} (relay {id_a} still serves)",
		killed.elapsed()
	);
	assert_eq!(play("127.3.0.9", "/live/3.ts").0, 503, "the country's only relay is down");
	assert_eq!(play("127.1.0.9", "/live/1.ts"), (302, format!("{relay_a}/live/1.ts")));

	// The contract's CDNi logs, as an upstream CDN pulls them: the router
	// lists the committed batches, the relay serves each RFC 7937 file.
	let batch = until("a batch of relay A is committed", Duration::from_secs(180), || {
		let (status, body) = curl("127.0.0.1", &[&format!("{router}/cdni/v1/logs/0")]);
		async move {
			assert_eq!(status, 200, "{body}");
			let index: serde_json::Value = serde_json::from_str(&body).ok()?;
			index["batches"].as_array()?.iter().find(|b| b["relay"] == id_a).cloned()
		}
	})
	.await;
	let log_url = batch["log-url"].as_str().expect("a log URL").to_string();
	assert!(log_url.starts_with(&format!("http://127.0.0.1:{port_a}/")), "{log_url}");
	let (status, file) = curl("127.0.0.1", &[&log_url]);
	assert_eq!(status, 200);
	assert!(file.contains("cdni_http_request_v1"), "an RFC 7937 file: {file}");
	assert!(file.contains(HOST));
	assert_eq!(curl("127.0.0.1", &[&format!("{router}/cdni/v1/logs/zero")]).0, 400);
}
