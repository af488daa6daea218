//! The whole marketplace, as a newcomer runs it: `ocm-devnet` (the README's
//! run command) brings up the chain, the live origin, the upstream relay
//! multicasting the stream, the AMT relay, the edge relay, three beacons
//! and the router; then, phase by phase, with each phase timed:
//!
//! 1. the edge relay registers and proof of bandwidth verifies it;
//! 2. a provider opens a contract with `@polkadot/api`, as a Polkadot.js
//!    user would;
//! 3. the board raises the protocol fee from 2 % to 5 % by motion;
//! 4. the relay joins the contract and players (ffmpeg) play the stream
//!    through the router and the edge relay, which receives it by
//!    multicast through AMT;
//! 5. the relay's log batches are committed, and each published file is
//!    verified against the chain with `ocm-logs verify`;
//! 6. the batches settle: the provider's escrow, the relay operator's
//!    balance and the protocol pot change by exactly the amounts the
//!    committed bytes, the price and the new 5 % fee give;
//! 7. the edge relay is killed: the devnet says so, stops everything,
//!    leaves no process and no namespace behind, and prints each
//!    process's peak memory, checked against the targets.
//!
//! Needs root (the multicast namespace), ffmpeg, curl and Node.js with
//! `tests/polkadot-js`'s packages (`npm ci` there; `./scripts/test` does it).

use ocm_e2e::{board_motion, free_port, node_binary, relay_binary, storage, until, value_bytes};
use std::{
	io::{BufRead, BufReader},
	process::{Child, Command, Stdio},
	sync::mpsc,
	time::{Duration, Instant},
};
use subxt::dynamic::{self, At, Value};

const HOST: &str = ocm_devnet::plan::HOST;
const PRICE_OCM_PER_GB: u128 = 10;
const BUDGET_OCM: u128 = 1_000;
const UNITS: u128 = ocm_devnet::calls::UNITS;
/// The protocol pot: `PalletId(*b"ocm/pot_")` as an account.
const POT: [u8; 32] = *b"modlocm/pot_\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0";

/// Phases and how long each took.
struct Phases {
	started: Instant,
	last: Instant,
	done: Vec<(String, Duration)>,
}

impl Phases {
	fn new() -> Self {
		let now = Instant::now();
		Self { started: now, last: now, done: Vec::new() }
	}

	fn done(&mut self, phase: &str) {
		let took = self.last.elapsed();
		self.last = Instant::now();
		println!("=== phase done in {:6.1} s: {phase}", took.as_secs_f64());
		self.done.push((phase.into(), took));
	}

	fn print(&self) {
		println!("scenario phases:");
		for (phase, took) in &self.done {
			println!("  {:7.1} s  {phase}", took.as_secs_f64());
		}
		println!("  {:7.1} s  in all", self.started.elapsed().as_secs_f64());
	}
}

/// `ocm-devnet`, its output lines arriving on a channel (and echoed).
struct Devnet {
	child: Child,
	lines: mpsc::Receiver<String>,
	seen: Vec<String>,
}

impl Devnet {
	fn start(args: &[String]) -> Self {
		let bin = node_binary().with_file_name("ocm-devnet");
		let mut child = Command::new(&bin)
			.args(args)
			.stdout(Stdio::piped())
			.stderr(Stdio::piped())
			.spawn()
			.unwrap_or_else(|e| panic!("{}: {e}", bin.display()));
		let (send, lines) = mpsc::channel();
		for stream in [
			Box::new(child.stdout.take().unwrap()) as Box<dyn std::io::Read + Send>,
			Box::new(child.stderr.take().unwrap()),
		] {
			let send = send.clone();
			std::thread::spawn(move || {
				for line in BufReader::new(stream).lines().map_while(Result::ok) {
					println!("devnet| {line}");
					let _ = send.send(line);
				}
			});
		}
		Self { child, lines, seen: Vec::new() }
	}

	/// Waits for a line containing `needle`; returns it.
	fn wait_line(&mut self, needle: &str, within: Duration) -> String {
		let deadline = Instant::now() + within;
		loop {
			let left = deadline.saturating_duration_since(Instant::now());
			match self.lines.recv_timeout(left) {
				Ok(line) => {
					self.seen.push(line.clone());
					if line.contains(needle) {
						return line;
					}
				}
				Err(_) => panic!("ocm-devnet did not print {needle:?} within {within:?}"),
			}
		}
	}

	/// The pid of the process the devnet started as `name`.
	fn pid(&self, name: &str) -> u32 {
		let needle = format!("started {name} (pid ");
		self.seen
			.iter()
			.find_map(|l| l.split_once(&needle)?.1.trim_end_matches(')').parse().ok())
			.unwrap_or_else(|| panic!("no pid for {name}"))
	}

	fn pids(&self) -> Vec<u32> {
		self.seen
			.iter()
			.filter_map(|l| l.split_once(" (pid ")?.1.trim_end_matches(')').parse().ok())
			.collect()
	}
}

impl Drop for Devnet {
	fn drop(&mut self) {
		// SAFETY: kill(2) on our own child.
		unsafe { libc::kill(self.child.id() as i32, libc::SIGTERM) };
		let _ = self.child.wait();
	}
}

fn num(v: &Value, field: &str) -> u128 {
	v.at(field).and_then(|x| x.as_u128()).unwrap_or_else(|| panic!("no {field} in {v}"))
}

/// (free, reserved) of `account` at block `at`.
async fn balance(api: &ocm_e2e::Api, at: u64, account: [u8; 32]) -> (u128, u128) {
	let info: Value = api
		.at_block(at)
		.await
		.unwrap()
		.storage()
		.fetch(
			dynamic::storage::<Vec<Value>, Value>("System", "Account"),
			vec![Value::from_bytes(account)],
		)
		.await
		.expect("an account")
		.decode()
		.unwrap();
	let data = info.at("data").expect("account data");
	(num(data, "free"), num(data, "reserved"))
}

fn account_of(uri: &str) -> [u8; 32] {
	ocm_devnet::plan::key_of(uri).unwrap().public_key().0
}

#[tokio::test(flavor = "multi_thread")]
async fn the_whole_marketplace_from_one_command() {
	let mut phases = Phases::new();
	let dir = tempfile::tempdir().unwrap();
	let (rpc, relay_port, router, origin) = (free_port(), free_port(), free_port(), free_port());
	let namespace = format!("ocm-scn{}", std::process::id() % 100_000);
	let args: Vec<String> = [
		"--dir",
		dir.path().join("devnet").to_str().unwrap(),
		"--rpc-port",
		&rpc.to_string(),
		"--p2p-port",
		&free_port().to_string(),
		"--relay-port",
		&relay_port.to_string(),
		"--router-port",
		&router.to_string(),
		"--origin-port",
		&origin.to_string(),
		"--namespace",
		&namespace,
		"--no-contract",
	]
	.map(String::from)
	.to_vec();

	// 1. Up, and the edge relay verified by proof of bandwidth.
	let mut devnet = Devnet::start(&args);
	let registered = devnet.wait_line("edge relay registered as relay ", Duration::from_secs(180));
	let relay: u32 = registered
		.split("as relay ")
		.nth(1)
		.and_then(|r| r.split(';').next())
		.and_then(|r| r.parse().ok())
		.expect("the relay's id");
	devnet.wait_line("OCM devnet ready", Duration::from_secs(300));
	phases.done(
		"devnet up: chain, origin, multicast, relays, beacons, router; the edge relay verified",
	);
	let ws = format!("ws://127.0.0.1:{rpc}");
	let api = ocm_e2e::Api::from_insecure_url(&ws).await.expect("the devnet's chain");

	// 2. The provider opens a contract from Polkadot.js.
	let provider = "//Alice//stash";
	let script = concat!(env!("CARGO_MANIFEST_DIR"), "/polkadot-js");
	let opened = Command::new("node")
		.current_dir(script)
		.args(["open-contract.mjs", "--url", &ws, "--key", provider, "--host", HOST])
		.args(["--origin", &format!("http://127.0.0.1:{origin}")])
		.args(["--price", &PRICE_OCM_PER_GB.to_string(), "--budget", &BUDGET_OCM.to_string()])
		.output()
		.expect("node (Node.js) runs");
	let said = String::from_utf8_lossy(&opened.stdout).to_string();
	assert!(
		opened.status.success(),
		"open-contract.mjs: {said}{}",
		String::from_utf8_lossy(&opened.stderr)
	);
	assert!(said.contains("\"contract\":0"), "{said}");
	assert!(said.contains(&format!("\"escrow\":\"{}\"", BUDGET_OCM * UNITS)), "{said}");
	phases.done("contract 0 opened with @polkadot/api");

	// 3. The board raises the protocol fee to 5 % by motion.
	board_motion(&api, ocm_devnet::board::set_parameter("ProtocolFee", 50_000_000)).await;
	let parameters = storage(&api, "Governance", "Parameters", vec![]).await.unwrap();
	let fee = parameters.at("protocol_fee").and_then(|f| f.at(0)).and_then(|f| f.as_u128());
	assert_eq!(fee, Some(50_000_000), "Perbill: 5 %");
	phases.done("the board set the protocol fee to 5 % by motion");

	// Balances before any delivery.
	let before = api.at_current_block().await.unwrap().block_number();
	let (dave, alice_stash) = (account_of("//Dave"), account_of(provider));
	let pot0 = balance(&api, before, POT).await.0;
	let dave0 = balance(&api, before, dave).await.0;
	let provider0 = balance(&api, before, alice_stash).await;

	// 4. The relay joins; players play the stream through it.
	until("the edge relay joins contract 0", Duration::from_secs(120), || async {
		storage(&api, "CdniSettlement", "Members", vec![Value::u128(0), Value::u128(relay.into())])
			.await
			.map(|_| ())
	})
	.await;
	let edge = format!("127.0.0.1:{relay_port}");
	until("the edge relay serves the contract's host", Duration::from_secs(60), || async {
		let (status, _) = ocm_devnet::devnet::get(&edge, HOST, "/live/index.m3u8").await?;
		(status == 200).then_some(())
	})
	.await;
	let players = [
		// Through request routing: the router redirects to the edge relay.
		vec![
			"-headers".to_string(),
			format!("Host: {HOST}"),
			"-i".into(),
			format!("http://127.0.0.1:{router}/live/index.m3u8"),
		],
		// Straight to the edge relay.
		vec!["-i".into(), format!("http://{edge}/cdn/{HOST}/live/index.m3u8")],
	];
	for (n, input) in players.iter().enumerate() {
		let out = dir.path().join(format!("player-{n}.ts"));
		let played = Command::new("ffmpeg")
			.args(["-hide_banner", "-loglevel", "warning", "-y"])
			.args(input)
			.args(["-t", "6", "-c", "copy"])
			.arg(&out)
			.output()
			.expect("ffmpeg runs");
		if !played.status.success() {
			let routed = Command::new("curl")
				.args([
					"-si",
					"-H",
					&format!("Host: {HOST}"),
					&format!("http://127.0.0.1:{router}/live/index.m3u8"),
				])
				.output()
				.map(|o| String::from_utf8_lossy(&o.stdout).into_owned());
			panic!(
				"player {n}: {}\nthe router answers: {routed:?}",
				String::from_utf8_lossy(&played.stderr)
			);
		}
		let size = std::fs::metadata(&out).unwrap().len();
		println!("player {n} played 6 s of the stream: {size} bytes");
		assert!(size > 200_000, "6 s of a 1 Mbit/s stream: {size} bytes");
	}
	let (_, metrics) = ocm_devnet::devnet::get(&edge, "127.0.0.1", "/metrics").await.unwrap();
	let metric = |family, label| ocm_devnet::devnet::metric(&metrics, family, label);
	let received = metric("ocm_relay_multicast_objects_total", "result=\"received\"");
	let served = metric("ocm_relay_http_requests_total", "endpoint=\"cache\"");
	println!("the edge relay: {received} objects received by multicast, {served} requests served");
	assert!(received >= 3, "segments arrive by multicast through AMT");
	phases
		.done("players played the stream through the router and the edge relay, fed by multicast");

	// 5. Every request committed; each published log verified.
	// Read at one block, which `ocm-logs verify --at` then reads too: a
	// batch leaves the chain's state when it settles, 10 blocks on.
	let (read_at, committed) =
		until("every request committed", Duration::from_secs(180), || async {
			let at = api.at_current_block().await.ok()?;
			let address = dynamic::storage::<Vec<Value>, Value>("CdniSettlement", "Batches");
			let mut batches = Vec::new();
			for period in 0..64u128 {
				let key = vec![Value::u128(0), Value::u128(relay.into()), Value::u128(period)];
				if let Some(b) = at.storage().try_fetch(address.clone(), key).await.ok()? {
					batches.push((period, b.decode().ok()?));
				}
			}
			let records: u128 = batches.iter().map(|(_, b)| num(b, "records")).sum();
			(records >= u128::from(served)).then_some((at.block_number(), batches))
		})
		.await;
	let records: u128 = committed.iter().map(|(_, b)| num(b, "records")).sum();
	assert_eq!(records, u128::from(served), "one record per request served, none twice");
	for (period, batch) in &committed {
		let url = String::from_utf8(value_bytes(batch.at("log_url").unwrap())).unwrap();
		let file = dir.path().join(format!("{period}.log"));
		let fetched =
			Command::new("curl").args(["-sf", "-o", file.to_str().unwrap(), &url]).status();
		assert!(fetched.unwrap().success(), "{url} is published");
		let verify = Command::new(relay_binary().with_file_name("ocm-logs"))
			.args(["verify", file.to_str().unwrap(), "--chain", &ws, "--at", &read_at.to_string()])
			.output()
			.expect("ocm-logs runs");
		let said = String::from_utf8_lossy(&verify.stdout);
		assert!(
			verify.status.success() && said.contains("OK"),
			"ocm-logs verify {url}: {said}{}",
			String::from_utf8_lossy(&verify.stderr)
		);
	}
	phases.done("log batches committed and verified with ocm-logs");

	// 6. Settled: each amount exactly what the bytes, price and fee give.
	let contract = until("every batch settled", Duration::from_secs(180), || async {
		let c = storage(&api, "CdniSettlement", "Contracts", vec![Value::u128(0)]).await?;
		(num(&c, "open_batches") == 0 && num(&c, "paid") > 0).then_some(c)
	})
	.await;
	let after = api.at_current_block().await.unwrap().block_number();
	let (mut gross, mut fees) = (0u128, 0u128);
	for (_, batch) in &committed {
		let totals = batch.at("totals").unwrap();
		let bytes = num(totals, "bytes")
			- batch.at("duplicate_bytes").and_then(|v| v.as_u128()).unwrap_or(0);
		let batch_gross = bytes * PRICE_OCM_PER_GB * UNITS / 1_000_000_000;
		gross += batch_gross;
		fees += batch_gross * 50_000_000 / 1_000_000_000;
	}
	let paid = gross - fees;
	assert_eq!((num(&contract, "paid"), num(&contract, "fees")), (paid, fees), "{contract}");
	assert_eq!(num(&contract, "escrow"), BUDGET_OCM * UNITS - gross, "escrow: budget less gross");
	let pot1 = balance(&api, after, POT).await.0;
	assert_eq!(pot1 - pot0, fees, "the pot gained the 5 % fee");
	let provider1 = balance(&api, after, alice_stash).await;
	assert_eq!(provider1.0, provider0.0, "the provider's free balance is untouched");
	assert_eq!(provider0.1 - provider1.1, gross, "the provider's escrow hold paid the gross");
	// The operator paid fees for its own transactions meanwhile.
	let mut dave_fees = 0u128;
	for number in before + 1..=after {
		let events = api.at_block(number).await.unwrap().events().fetch().await.unwrap();
		for event in events.iter().filter_map(Result::ok) {
			if event.pallet_name() == "TransactionPayment"
				&& event.event_name() == "TransactionFeePaid"
			{
				let fields = event.decode_fields_unchecked_as::<Value>().unwrap();
				if value_bytes(fields.at("who").unwrap()) == dave {
					dave_fees += num(&fields, "actual_fee") + num(&fields, "tip");
				}
			}
		}
	}
	let dave1 = balance(&api, after, dave).await.0;
	assert_eq!(dave1 + dave_fees, dave0 + paid, "the operator gained what it was paid");
	println!(
		"settlement: {records} records; gross {gross}, relay paid {paid}, pot {fees} (planck); operator fees {dave_fees}"
	);
	phases
		.done("batches settled: escrow, operator balance and pot changed by the expected amounts");

	// 7. The edge relay dies: the devnet stops cleanly and reports memory.
	let pids = devnet.pids();
	let edge_relay = devnet.pid("edge-relay");
	// SAFETY: kill(2) of a process this test's devnet started.
	unsafe { libc::kill(edge_relay as i32, libc::SIGKILL) };
	devnet.wait_line("edge-relay exited", Duration::from_secs(10));
	devnet.wait_line("stopped: no process of the devnet is left", Duration::from_secs(60));
	let status = devnet.child.wait().unwrap();
	assert_eq!(status.code(), Some(1), "a process that died fails the devnet");
	for pid in pids {
		assert!(!std::path::Path::new(&format!("/proc/{pid}")).exists(), "process {pid} is left");
	}
	assert!(!std::path::Path::new(&format!("/run/netns/{namespace}")).exists(), "namespace left");
	let memory: Vec<(String, f64)> = devnet
		.seen
		.iter()
		.filter_map(|l| {
			let mut words = l.split_whitespace();
			let name = words.next()?.to_string();
			let mib = words.next()?.parse().ok()?;
			(words.next()? == "MiB").then_some((name, mib))
		})
		.collect();
	for name in ["ocm-node", "edge-relay", "upstream-relay", "amt-relay", "router"] {
		assert!(memory.iter().any(|(n, mib)| n == name && *mib > 0.0), "{name} in {memory:?}");
	}
	assert_eq!(memory.iter().filter(|(n, _)| n.starts_with("beacon-")).count(), 3);
	// The targets hold even for the tests' debug build, whose code alone is
	// 18 MiB of a beacon's resident set (./scripts/bench-memory weighs the
	// release builds suppliers run).
	for (name, mib) in &memory {
		if name.ends_with("-relay") && name != "amt-relay" {
			assert!(*mib < 64.0 + 64.0, "{name}: {mib} MiB (64 MiB + its 64 MiB cache)");
		}
		if name.starts_with("beacon") {
			assert!(*mib < 30.0, "{name}: {mib} MiB");
		}
	}
	phases.done("the edge relay killed: the devnet stopped, nothing left, memory within targets");
	phases.print();
	assert!(phases.started.elapsed() < Duration::from_secs(600), "the scenario takes under 10 min");
}
