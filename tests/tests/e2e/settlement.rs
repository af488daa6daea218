//! CDNi settlement end to end, with real processes on loopback: a dev
//! chain, an HTTP origin, `ocm-relay` (Dave) verified by three `ocm-beacon`s,
//! and curl as the viewers.
//!
//! Alice registers `video.example.com` and opens a delivery contract with a
//! budget in escrow. The relay, configured to serve contract 0, joins it
//! once proof of bandwidth activates it, learns the host and origin from the
//! chain, and serves viewers through its cache, writing a CDNi record per
//! request; it is killed (SIGKILL) between viewers and restarted. Each
//! closed period is sealed into an RFC 7937 file, committed on chain and
//! published; `ocm-logs verify` checks the published files against the
//! chain (and refuses a tampered copy), a beacon's missing-record claim
//! with the relay's signed receipt is answered by the relay, and after the
//! dispute window the contract pays the relay price x bytes less the
//! protocol fee: every request, including those before the crash, is paid
//! for exactly once.
//!
//! Then the relay's operator cheats, and gains nothing: a terabyte for one
//! period is refused at commit (above what its verified capacity carries);
//! a batch it makes up (a random root, 10 MB it never served) is
//! challenged by the provider at a byte offset, the real relay has no
//! record to show for it, and the batch is void and the relay slashed. An
//! honest batch challenged the same way is answered by the relay itself.

use ocm_e2e::{
	free_port, pob, registry::UNITS, relay_binary, submit, wait_listening, DevNode, Process,
};
use ocm_e2e::{storage, until};
use std::{
	process::{Command, Stdio},
	time::Duration,
};
use subxt::{
	dynamic::{self, At, Value},
	ext::scale_value::Composite,
};
use subxt_signer::sr25519::dev;

const HOST: &str = "video.example.com";
/// Segment bodies: 100 kB each.
const SEGMENT_BYTES: usize = 100_000;
/// 10 OCM per GB.
const PRICE_PER_GB: u128 = 10 * UNITS;

pub(crate) fn start_relay(config: &std::path::Path, port: u16, logs: &std::path::Path) -> Process {
	let child = Command::new(relay_binary())
		.args(["--config", config.to_str().unwrap(), "--listen", &format!("127.0.0.1:{port}")])
		.args(["--log-dir", logs.to_str().unwrap()])
		.env("OCM_RELAY_OPERATOR", "//Dave")
		.env("OCM_RELAY_LOG", std::env::var("OCM_RELAY_LOG").unwrap_or("info".into()))
		.stdout(if std::env::var_os("OCM_RELAY_LOG").is_some() {
			Stdio::inherit()
		} else {
			Stdio::null()
		})
		.spawn()
		.expect("start ocm-relay");
	let process = Process(child);
	wait_listening(&format!("127.0.0.1:{port}"), "ocm-relay");
	process
}

/// A viewer's GET of `path` for the contract's host through the relay:
/// (status, response headers, body length).
fn get(port: u16, path: &str, receipt: bool) -> (u16, String, usize) {
	let mut args = vec![
		"-s".to_string(),
		"-D".into(),
		"-".into(),
		"-o".into(),
		"/dev/null".into(),
		"-w".into(),
		"%{size_download}".into(),
		"-H".into(),
		format!("Host: {HOST}"),
	];
	if receipt {
		args.extend(["-H".into(), "OCM-Receipt: 1".into()]);
	}
	args.push(format!("http://127.0.0.1:{port}{path}"));
	let out = Command::new("curl").args(&args).output().expect("curl runs");
	let text = String::from_utf8(out.stdout).unwrap();
	let (headers, size) = text.rsplit_once("\r\n\r\n").unwrap_or(("", &text));
	let status = headers.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
	(status, headers.to_ascii_lowercase(), size.trim().parse().unwrap_or(0))
}

pub(crate) fn header<'a>(headers: &'a str, name: &str) -> Option<&'a str> {
	headers.lines().find_map(|l| l.strip_prefix(&format!("{name}: "))).map(str::trim)
}

pub(crate) fn num(v: &Value, field: &str) -> u128 {
	v.at(field).and_then(|x| x.as_u128()).unwrap_or_else(|| panic!("no {field} in {v}"))
}

fn bytes(v: &Value) -> Vec<u8> {
	ocm_e2e::value_bytes(v)
}

/// Writes the configuration of Dave's relay (contract 0, 50 Mbit/s) to
/// `config`; returns it.
pub(crate) fn relay_config<'p>(
	node: &DevNode,
	port: u16,
	config: &'p std::path::Path,
) -> &'p std::path::Path {
	std::fs::write(
		config,
		format!(
			r#"
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

[[chain.footprints]]
type = "countrycode"
value = "nl"
capacity_mbps = 50
"#,
			node.ws_url()
		),
	)
	.unwrap();
	config
}

/// Three beacons verify the relay on `port`; returns its id once it has
/// joined contract 0.
pub(crate) async fn joined(node: &DevNode, api: &ocm_e2e::Api, port: u16) -> u32 {
	let beacons: Vec<_> = (0..3).map(|n| pob::beacon(node, n, 100)).collect();
	let relay_id = until("the relay joins contract 0", Duration::from_secs(240), || async {
		let id = storage(
			api,
			"CapacityRegistry",
			"RelayByAuthority",
			vec![Value::from_bytes(format!("127.0.0.1:{port}"))],
		)
		.await?
		.as_u128()? as u32;
		storage(api, "CdniSettlement", "Members", vec![Value::u128(0), Value::u128(id.into())])
			.await
			.map(|_| id)
	})
	.await;
	drop(beacons);
	relay_id
}

#[tokio::test(flavor = "multi_thread")]
async fn a_relay_is_paid_for_exactly_the_requests_it_served_and_logged() {
	let node = DevNode::start();
	let api = node.connect().await;
	let origin_port = ocm_e2e::origin::segments(SEGMENT_BYTES).await.port;
	let alice = dev::alice();

	// Alice owns the host and buys delivery for it: 1,000 OCM in escrow.
	let register = ocm_e2e::registry::register_provider("Example Video", HOST);
	submit(&api, &register, &alice).await.expect("provider registers");
	let now = api.at_current_block().await.unwrap().block_number() as u128;
	let open = ocm_e2e::registry::open_contract(
		HOST,
		&format!("http://127.0.0.1:{origin_port}"),
		PRICE_PER_GB,
		1_000 * UNITS,
		now + 10,
		now + 100_000,
	);
	submit(&api, &open, &alice).await.expect("the contract opens");

	// The relay serves contract 0; three beacons verify its 50 Mbit/s claim.
	let port = free_port();
	let dir = tempfile::tempdir().unwrap();
	let logs = dir.path().join("logs");
	let config = dir.path().join("relay.toml");
	let mut relay = start_relay(&relay_config(&node, port, &config), port, &logs);
	let relay_id = joined(&node, &api, port).await;
	until("the relay serves the contract's host", Duration::from_secs(30), || async {
		(get(port, "/live/0.ts", false).0 == 200).then_some(())
	})
	.await;

	// Viewers: a miss and hits, a 404, and a request with a receipt.
	let mut served = 1u32; // the probe above
	for n in [1, 1, 2] {
		let (status, headers, size) = get(port, &format!("/live/{n}.ts"), false);
		assert_eq!((status, size), (200, SEGMENT_BYTES));
		let id = header(&headers, "ocm-request-id").expect("a request id");
		assert_eq!(id.len(), 32);
		served += 1;
	}
	assert_eq!(get(port, "/nothing", false).0, 404);
	served += 1;
	let (status, receipted, _) = get(port, "/live/3.ts?audit=1", true);
	assert_eq!(status, 200);
	served += 1;
	let receipt = header(&receipted, "ocm-receipt").expect("a signed receipt").to_string();
	let receipt_id = header(&receipted, "ocm-request-id").unwrap().to_string();

	// A crash between viewers loses nothing: the records are in the spool.
	tokio::time::sleep(Duration::from_millis(300)).await;
	let _ = Command::new("kill").args(["-KILL", &relay.0.id().to_string()]).status();
	let _ = relay.0.wait();
	relay = start_relay(&config, port, &logs);
	until("the restarted relay serves the host", Duration::from_secs(30), || async {
		(get(port, "/live/4.ts", false).0 == 200).then_some(())
	})
	.await;
	served += 1;
	for n in [4, 5] {
		assert_eq!(get(port, &format!("/live/{n}.ts"), false).0, 200);
		served += 1;
	}

	// Every record is committed, in one batch per period.
	let committed = until("every request committed", Duration::from_secs(120), || async {
		let mut batches = Vec::new();
		for period in 0..64u128 {
			let key = vec![Value::u128(0), Value::u128(relay_id.into()), Value::u128(period)];
			if let Some(b) = storage(&api, "CdniSettlement", "Batches", key).await {
				batches.push((period as u32, b));
			}
		}
		let records: u128 = batches.iter().map(|(_, b)| num(b, "records")).sum();
		(records >= u128::from(served)).then_some(batches)
	})
	.await;
	let records: u128 = committed.iter().map(|(_, b)| num(b, "records")).sum();
	assert_eq!(records, u128::from(served), "each request is one record, none twice");
	let bytes_total: u128 =
		committed.iter().map(|(_, b)| num(b.at("totals").unwrap(), "bytes")).sum();
	assert!(bytes_total >= u128::from(served - 1) * SEGMENT_BYTES as u128, "{bytes_total}");

	// The provider checks each published file against the chain.
	for (period, batch) in &committed {
		let url = String::from_utf8(bytes(batch.at("log_url").unwrap())).unwrap();
		assert_eq!(url, format!("http://127.0.0.1:{port}/.well-known/ocm/logs/0/{period}.log"));
		let file = dir.path().join(format!("{period}.log"));
		let fetched =
			Command::new("curl").args(["-sf", "-o", file.to_str().unwrap(), &url]).status();
		assert!(fetched.unwrap().success(), "{url} is published");
		let verify = Command::new(relay_binary().with_file_name("ocm-logs"))
			.args(["verify", file.to_str().unwrap(), "--chain", &node.ws_url()])
			.output()
			.expect("ocm-logs runs");
		let said = String::from_utf8_lossy(&verify.stdout).to_string();
		assert!(
			verify.status.success(),
			"ocm-logs verify: {said}{}",
			String::from_utf8_lossy(&verify.stderr)
		);
		assert!(said.contains("OK"), "{said}");
		// A copy with one record dropped fails (its hash is made right again).
		let text = std::fs::read_to_string(&file).unwrap();
		let mut lines: Vec<&str> = text.split_inclusive("\r\n").collect();
		let first_record = lines.iter().position(|l| !l.starts_with('#')).unwrap();
		lines.remove(first_record);
		lines.pop();
		let body = lines.concat();
		let hash =
			Command::new("sha256sum").stdin(Stdio::piped()).stdout(Stdio::piped()).spawn().unwrap();
		let hash = {
			let mut child = hash;
			use std::io::Write;
			child.stdin.take().unwrap().write_all(body.as_bytes()).unwrap();
			String::from_utf8(child.wait_with_output().unwrap().stdout).unwrap()
		};
		let tampered = dir.path().join(format!("{period}.tampered.log"));
		std::fs::write(&tampered, format!("{body}#SHA256-hash:\t{}\r\n", &hash[..64])).unwrap();
		let verify = Command::new(relay_binary().with_file_name("ocm-logs"))
			.args(["verify", tampered.to_str().unwrap(), "--chain", &node.ws_url()])
			.output()
			.unwrap();
		assert_eq!(verify.status.code(), Some(1), "{}", String::from_utf8_lossy(&verify.stdout));
		assert!(String::from_utf8_lossy(&verify.stdout).contains("MISMATCH"));
	}

	// A beacon (Eve) holding the receipt claims the request missing; the
	// relay answers with its record's proof and keeps Eve's deposit.
	let receipt_period = committed
		.iter()
		.find(|(period, _)| {
			let file = std::fs::read_to_string(dir.path().join(format!("{period}.log"))).unwrap();
			file.contains(&receipt_id)
		})
		.map(|(p, _)| *p)
		.expect("the receipted request is in a batch");
	let signature: Vec<u8> = (0..receipt.len())
		.step_by(2)
		.map(|i| u8::from_str_radix(&receipt[i..i + 2], 16).unwrap())
		.collect();
	let claim = dynamic::tx(
		"CdniSettlement",
		"claim_missing",
		Composite::unnamed([
			Value::unnamed_composite([
				Value::u128(0),
				Value::u128(relay_id.into()),
				Value::u128(receipt_period.into()),
			]),
			Value::from_bytes(&receipt_id),
			Value::from_bytes(format!("http://{HOST}/live/3.ts?audit=1")),
			Value::unnamed_variant("Sr25519", [Value::from_bytes(signature)]),
		]),
	);
	let claimed = submit(&api, &claim, &pob::beacon_key(0)).await;
	match claimed {
		Ok(_) => {
			until("the relay answers the claim", Duration::from_secs(30), || async {
				let key = vec![
					Value::u128(0),
					Value::u128(relay_id.into()),
					Value::u128(receipt_period.into()),
				];
				let batch = storage(&api, "CdniSettlement", "Batches", key).await?;
				let claims = batch.at("claims")?;
				ocm_chain_client::items_of(claims).is_empty().then_some(())
			})
			.await;
		}
		// The batch's dispute window closed while the others were checked.
		Err(e) => assert!(e.contains("DisputeWindowOver"), "{e}"),
	}

	// The provider challenges a byte of a fresh honest batch: the relay
	// shows the record covering it (from its own file) and keeps the deposit.
	for n in [6, 7] {
		assert_eq!(get(port, &format!("/live/{n}.ts"), false).0, 200);
	}
	let known: Vec<u32> = committed.iter().map(|(p, _)| *p).collect();
	let fresh = until("the fresh requests are committed", Duration::from_secs(90), || {
		let known = known.clone();
		let api = api.clone();
		async move {
			let mut batches = Vec::new();
			for period in 0..128u32 {
				if known.contains(&period) {
					continue;
				}
				let key =
					vec![Value::u128(0), Value::u128(relay_id.into()), Value::u128(period.into())];
				if let Some(b) = storage(&api, "CdniSettlement", "Batches", key).await {
					batches.push((period, b));
				}
			}
			let records: u128 = batches.iter().map(|(_, b)| num(b, "records")).sum();
			(records >= 2).then_some(batches)
		}
	})
	.await;
	let (fresh_period, fresh_batch) = fresh.last().cloned().unwrap();
	let fresh_key = (0, relay_id, fresh_period);
	let fresh_bytes = num(fresh_batch.at("totals").unwrap(), "bytes") as u64;
	let challenge = ocm_chain_client::settlement::challenge_bytes(fresh_key, fresh_bytes - 1);
	match submit(&api, &challenge, &alice).await {
		Ok(_) => {
			until("the relay answers the byte challenge", Duration::from_secs(40), || async {
				let key = vec![
					Value::u128(0),
					Value::u128(relay_id.into()),
					Value::u128(fresh_period.into()),
				];
				let batch = storage(&api, "CdniSettlement", "Batches", key).await?;
				ocm_chain_client::items_of(batch.at("claims")?).is_empty().then_some(())
			})
			.await;
		}
		Err(e) => assert!(e.contains("DisputeWindowOver"), "{e}"),
	}

	// The operator cheats. It makes up a batch for a period the relay served
	// no one in: first a terabyte, which its capacity refuses, then 10 MB.
	let dave = dev::dave();
	let c = storage(&api, "CdniSettlement", "Contracts", vec![Value::u128(0)]).await.unwrap();
	let (start, length) = (num(&c, "start") as u32, num(&c, "period_length") as u32);
	let member = storage(
		&api,
		"CdniSettlement",
		"Members",
		vec![Value::u128(0), Value::u128(relay_id.into())],
	)
	.await
	.unwrap();
	let now = api.at_current_block().await.unwrap().block_number() as u32;
	let mut period = (num(&member, "next_period") as u32).max((now - start) / length);
	let period_ended = |period: u32| {
		let api = api.clone();
		async move {
			until("the forged period ends", Duration::from_secs(60), || async {
				let now = api.at_current_block().await.unwrap().block_number() as u32;
				(now >= start + (period + 1) * length).then_some(())
			})
			.await
		}
	};
	let forge = |period: u32, bytes: u64| {
		ocm_chain_client::settlement::commit_batch(
			(0, relay_id, period),
			[0x5a; 32],
			&ocm_cdni::Totals { bytes, requests: 1, status_2xx: 1, ..Default::default() },
			&format!("http://127.0.0.1:{port}/.well-known/ocm/logs/0/{period}.log"),
		)
	};
	// The relay process signs with Dave's key too (heartbeats): a nonce
	// taken by both at once is retried.
	let as_dave = |period: u32, bytes: u64| {
		let (api, dave, call) = (api.clone(), dave.clone(), forge(period, bytes));
		async move {
			let mut tries = 0;
			loop {
				match submit(&api, &call, &dave).await {
					Err(e) if tries < 3 && !e.contains("CdniSettlement") => {
						tries += 1;
						tokio::time::sleep(Duration::from_secs(2)).await;
					}
					done => return done,
				}
			}
		}
	};
	// Each commit goes in right after its period ends; on a loaded machine
	// the commit window (one period on the dev chain) can pass before it is
	// in, and the next period is tried.
	let mut outcomes = Vec::new();
	for bytes in [1_000_000_000_000u64, 10_000_000] {
		let mut tries = 0;
		let outcome = loop {
			period_ended(period).await;
			match as_dave(period, bytes).await {
				Err(e) if e.contains("CommitWindowOver") && tries < 3 => {
					tries += 1;
					period += 1;
				}
				done => break (period, done),
			}
		};
		period += 1;
		outcomes.push(outcome);
	}
	let terabyte = &outcomes[0].1;
	assert!(terabyte.as_ref().is_err_and(|e| e.contains("AboveCapacity")), "{terabyte:?}");
	let (forged_period, made_up) = outcomes.remove(1);
	made_up.expect("a made-up batch within capacity commits");
	let forged_key = (0, relay_id, forged_period);
	let bond_before = num(
		&storage(&api, "CapacityRegistry", "Relays", vec![Value::u128(relay_id.into())])
			.await
			.unwrap(),
		"bond",
	);
	submit(&api, &ocm_chain_client::settlement::challenge_bytes(forged_key, 4_321_000), &alice)
		.await
		.expect("the provider challenges a byte of the made-up batch");
	until("the made-up batch is void", Duration::from_secs(120), || async {
		let key =
			vec![Value::u128(0), Value::u128(relay_id.into()), Value::u128(forged_period.into())];
		let gone = storage(&api, "CdniSettlement", "Batches", key).await.is_none();
		gone.then_some(())
	})
	.await;
	let bond_after = num(
		&storage(&api, "CapacityRegistry", "Relays", vec![Value::u128(relay_id.into())])
			.await
			.unwrap(),
		"bond",
	);
	assert_eq!(bond_after, bond_before - bond_before / 10, "the slash lands on the bond");
	let mut committed = committed;
	committed.extend(fresh);

	// After the window the contract pays price x bytes, 2 % to the pot.
	let contract = until("every batch settled", Duration::from_secs(120), || async {
		let c = storage(&api, "CdniSettlement", "Contracts", vec![Value::u128(0)]).await?;
		(num(&c, "open_batches") == 0 && num(&c, "paid") > 0).then_some(c)
	})
	.await;
	let gross: u128 = committed
		.iter()
		.map(|(_, b)| num(b.at("totals").unwrap(), "bytes") * PRICE_PER_GB / 1_000_000_000)
		.sum();
	let fees: u128 = committed
		.iter()
		.map(|(_, b)| {
			num(b.at("totals").unwrap(), "bytes") * PRICE_PER_GB / 1_000_000_000 * 2 / 100
		})
		.sum();
	println!(
		"settlement: {records} records, {bytes_total} bytes, paid {} planck to the relay, {} to the pot",
		num(&contract, "paid"),
		num(&contract, "fees")
	);
	assert_eq!(num(&contract, "fees"), fees);
	assert_eq!(num(&contract, "paid"), gross - fees);
	assert_eq!(
		num(&contract, "escrow"),
		1_000 * UNITS - gross,
		"escrow holds the budget less what was paid"
	);
	drop(relay);
}
