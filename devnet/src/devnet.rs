//! Brings the devnet up in order, says what it is doing, keeps watching
//! it, and takes it down.
//!
//! Order: the chain; the origin's live stream; the provider's contract;
//! the multicast network (AMT relay, upstream relay); the edge relay; the
//! beacons; the router. Then it waits until proof of bandwidth verifies
//! the edge relay, the relay joins the contract, and the stream plays
//! through it (received by multicast when that is on).

use crate::{
	board, calls,
	namespace::MulticastNamespace,
	origin,
	plan::{self, Plan, HOST},
	supervisor::{Died, Memory, Supervisor},
};
use ocm_chain_client::{fetch, number, Chain};
use std::{
	future::Future,
	process::Command,
	time::{Duration, Instant},
};
use subxt::dynamic::{At, Value};

/// How a devnet run ended.
#[derive(Debug)]
pub enum Outcome {
	/// Stopped on request (Ctrl-C, SIGTERM).
	Stopped,
	/// A process it runs exited.
	Died(Died),
	/// Something it set up did not come about.
	Failed(String),
}

/// A running devnet.
pub struct Devnet {
	plan: Plan,
	supervisor: Supervisor,
	namespace: Option<MulticastNamespace>,
	started: Instant,
}

/// Prints a progress line, with the seconds since the devnet started.
fn say(started: Instant, message: impl std::fmt::Display) {
	use std::io::Write;
	println!("[{:6.1} s] {message}", started.elapsed().as_secs_f64());
	let _ = std::io::stdout().flush();
}

impl Devnet {
	/// Empties the state directory, claims it, and creates the multicast
	/// namespace (replacing one a killed devnet left behind).
	pub fn prepare(plan: Plan) -> Result<Self, String> {
		let started = Instant::now();
		if plan.dir.exists() {
			std::fs::remove_dir_all(&plan.dir)
				.map_err(|e| format!("cannot empty {}: {e}", plan.dir.display()))?;
		}
		std::fs::create_dir_all(plan.dir.join("live"))
			.map_err(|e| format!("cannot create {}: {e}", plan.dir.display()))?;
		std::fs::write(plan.pid_file(), std::process::id().to_string())
			.map_err(|e| format!("{}: {e}", plan.pid_file().display()))?;
		let supervisor =
			Supervisor::new(&plan.dir.join("logs")).map_err(|e| format!("logs: {e}"))?;
		let namespace = if plan.multicast {
			if MulticastNamespace::exists(&plan.namespace) {
				say(
					started,
					format!("removing namespace {} that a stopped devnet left", plan.namespace),
				);
				MulticastNamespace::remove(&plan.namespace);
			}
			Some(MulticastNamespace::create(&plan.namespace)?)
		} else {
			None
		};
		Ok(Self { plan, supervisor, namespace, started })
	}

	fn say(&self, message: impl std::fmt::Display) {
		say(self.started, message)
	}

	/// Brings everything up and then watches it; returns only when
	/// something goes wrong. Cancel it (drop the future) to stop.
	pub async fn run(&mut self) -> Outcome {
		match self.bring_up().await {
			Ok(()) => {}
			Err(Outcome::Failed(why)) => return Outcome::Failed(why),
			Err(other) => return other,
		}
		loop {
			tokio::time::sleep(Duration::from_millis(500)).await;
			if let Some(died) = self.supervisor.check() {
				return Outcome::Died(died);
			}
		}
	}

	/// Stops every process and removes the namespace; returns each
	/// process's peak memory.
	pub fn shut_down(&mut self) -> Vec<Memory> {
		let memory = self.supervisor.memory();
		let killed = self.supervisor.stop_all(Duration::from_secs(10));
		if !killed.is_empty() {
			self.say(format!("killed (did not stop in 10 s): {}", killed.join(", ")));
		}
		self.namespace = None;
		let _ = std::fs::remove_file(self.plan.pid_file());
		memory
	}

	fn spawn(&mut self, name: &str, command: Command, in_namespace: bool) -> Result<u32, Outcome> {
		let netns = if in_namespace { self.namespace.as_ref().map(|n| &n.handle) } else { None };
		let pid = self.supervisor.spawn(name, command, netns).map_err(Outcome::Failed)?;
		self.say(format!("started {name} (pid {pid})"));
		Ok(pid)
	}

	/// Polls `check` every half second until it gives a value, within
	/// `within`; fails if a process dies meanwhile.
	async fn wait_for<T, F: Future<Output = Option<T>>>(
		&mut self,
		what: &str,
		within: Duration,
		mut check: impl FnMut() -> F,
	) -> Result<T, Outcome> {
		let deadline = Instant::now() + within;
		loop {
			if let Some(died) = self.supervisor.check() {
				return Err(Outcome::Died(died));
			}
			if let Some(value) = check().await {
				return Ok(value);
			}
			if Instant::now() > deadline {
				return Err(Outcome::Failed(format!(
					"{what}: not within {} s (the logs are in {})",
					within.as_secs(),
					self.plan.dir.join("logs").display()
				)));
			}
			tokio::time::sleep(Duration::from_millis(500)).await;
		}
	}

	async fn bring_up(&mut self) -> Result<(), Outcome> {
		let chain = self.start_chain().await?;
		if self.plan.local_testnet {
			self.shorten_cycles(&chain).await?;
		}
		self.start_origin().await?;
		if self.plan.multicast {
			self.start_multicast()?;
		}
		self.start_edge_relay().await?;
		for n in 0..self.plan.beacons {
			let key = plan::BEACON_KEYS[n];
			let mut beacon = Command::new(self.plan.binary("ocm-beacon"));
			beacon
				.env("OCM_BEACON_KEY", key)
				.args(["--chain", &self.plan.ws_url(), "--asn", &(65_001 + n).to_string()])
				.args(["--capacity-mbps", "100"])
				.args(["--max-rate-mbps", &plan::BEACON_RATE_MBPS.to_string()]);
			let name = format!("beacon-{}", key.trim_start_matches("//").replace("//", "-"));
			self.spawn(&name.to_lowercase(), beacon, false)?;
		}
		let mut router = Command::new(self.plan.binary("ocm-router"));
		router
			.args(["--listen", &format!("127.0.0.1:{}", self.plan.router_port)])
			.args(["--chain", &self.plan.ws_url()]);
		self.spawn("router", router, false)?;
		// While the beacons test the relay: it joins contract 0 once both are so.
		if self.plan.contract {
			self.open_contract(&chain).await?;
		}
		let relay = self.wait_verified(&chain).await?;
		if self.plan.contract {
			self.wait_serving(&chain, relay).await?;
		}
		self.announce();
		Ok(())
	}

	async fn start_chain(&mut self) -> Result<Chain, Outcome> {
		let plan = self.plan.clone();
		let validators = ["alice", "bob", "charlie"];
		for v in 0..plan.validators() {
			let mut node = Command::new(plan.binary("ocm-node"));
			if plan.local_testnet {
				node.args(["--chain", "local", &format!("--{}", validators[v])])
					.args(["--node-key", plan::VALIDATOR_NODE_KEYS[v]]);
				if v > 0 {
					let peer = peer_id(&plan.binary("ocm-node"), plan::VALIDATOR_NODE_KEYS[0])
						.map_err(Outcome::Failed)?;
					node.args([
						"--bootnodes",
						&format!("/ip4/127.0.0.1/tcp/{}/p2p/{peer}", plan.p2p_port),
					]);
				}
			} else {
				node.arg("--dev");
			}
			node.arg("--base-path")
				.arg(plan.dir.join(format!("chain-{}", validators[v])))
				.args(["--rpc-port", &(plan.rpc_port + v as u16).to_string()])
				.args([
					"--listen-addr",
					&format!("/ip4/127.0.0.1/tcp/{}", plan.p2p_port + v as u16),
				])
				.args(["--no-prometheus", "--no-mdns", "--no-telemetry"]);
			let name = if plan.local_testnet {
				format!("validator-{}", validators[v])
			} else {
				"ocm-node".into()
			};
			self.spawn(&name, node, false)?;
			let rpc = format!("127.0.0.1:{}", plan.rpc_port + v as u16);
			self.wait_for(&format!("{name} serving RPC on {rpc}"), Duration::from_secs(60), || {
				let rpc = rpc.clone();
				async move { tokio::net::TcpStream::connect(rpc).await.ok().map(|_| ()) }
			})
			.await?;
		}
		let url = plan.ws_url();
		let chain = self
			.wait_for("a connection to the chain", Duration::from_secs(30), || {
				let url = url.clone();
				async move { Chain::connect(&url).await.ok() }
			})
			.await?;
		let api = chain.api.clone();
		self.wait_for("the first finalized block", Duration::from_secs(60), || {
			let api = api.clone();
			async move {
				let n = api.at_current_block().await.ok()?.block_number();
				(n > 0).then_some(())
			}
		})
		.await?;
		self.say(format!("chain up: {} validator(s), RPC {url}", plan.validators()));
		Ok(chain)
	}

	/// The local testnet starts with production's market cycles (30-minute
	/// proof-of-bandwidth epochs tested by four beacons, hour-long log
	/// periods): the board shortens them to the dev chain's by motion, as
	/// a real board would change any parameter.
	async fn shorten_cycles(&mut self, chain: &Chain) -> Result<(), Outcome> {
		for (parameter, value) in board::dev_cycles() {
			board::pass(chain, board::set_parameter(parameter, value))
				.await
				.map_err(|e| Outcome::Failed(format!("the board setting {parameter}: {e}")))?;
			self.say(format!("the board set {parameter} to {value} by motion"));
		}
		Ok(())
	}

	async fn start_origin(&mut self) -> Result<(), Outcome> {
		let live = self.plan.dir.join("live");
		self.spawn("origin-encoder", origin::encoder(&live), false)?;
		let mut addresses = vec![format!("127.0.0.1:{}", self.plan.origin_port)];
		if let Some(namespace) = &self.namespace {
			// The upstream relay, in the namespace, reaches it over the veth.
			addresses.push(format!("{}:{}", namespace.host_ip, self.plan.origin_port));
		}
		let mut listeners = Vec::new();
		for address in addresses {
			let listener = tokio::net::TcpListener::bind(&address).await.map_err(|e| {
				Outcome::Failed(format!("the origin cannot listen on {address}: {e}"))
			})?;
			listeners.push(listener);
		}
		origin::serve(listeners, live.clone());
		let playlist = live.join("index.m3u8");
		self.wait_for("the live stream's first segment", Duration::from_secs(30), || {
			let playlist = playlist.clone();
			async move { playlist.exists().then_some(()) }
		})
		.await?;
		self.say(format!("origin live at {}{}", self.plan.origin_url(), origin::PLAYLIST));
		Ok(())
	}

	async fn open_contract(&mut self, chain: &Chain) -> Result<(), Outcome> {
		let id =
			calls::open_dev_contract(chain, &self.plan.provider_key, HOST, &self.plan.origin_url())
				.await
				.map_err(Outcome::Failed)?;
		self.say(format!(
			"contract {id} open: {HOST} from {}, 10 OCM/GB, 1,000 OCM in escrow",
			self.plan.origin_url()
		));
		Ok(())
	}

	fn start_multicast(&mut self) -> Result<(), Outcome> {
		let Some(namespace) = &self.namespace else { return Ok(()) };
		let (ns_ip, host_ip) = (namespace.ns_ip.clone(), namespace.host_ip.clone());
		let mut amt = Command::new(self.plan.binary("ocm-amt-relay"));
		amt.args(["--listen", &format!("{ns_ip}:{}", plan::AMT_PORT)]).args([
			"--upstream-interface",
			"lo",
			"--data-port",
			"5000",
			"--log",
			"warn",
		]);
		self.spawn("amt-relay", amt, true)?;
		let config = format!(
			"# The upstream relay: follows the origin's playlist and multicasts\n\
			 # each new segment once, as FLUTE over RaptorQ.\n\
			 listen = \"127.0.0.1:8080\"\n\n\
			 [[multicast.send]]\n\
			 playlist = \"http://{host_ip}:{}{}\"\n\
			 source = \"{}\"\n\
			 group = \"{}\"\n\
			 rate_mbit = 20\n\
			 poll_ms = 250\n",
			self.plan.origin_port,
			origin::PLAYLIST,
			plan::SOURCE,
			plan::GROUP,
		);
		let path = self.write("upstream-relay.toml", &config)?;
		let mut relay = Command::new(self.plan.binary("ocm-relay"));
		relay.arg("--config").arg(path).arg("--log-dir").arg(self.plan.dir.join("upstream-logs"));
		self.spawn("upstream-relay", relay, true)?;
		Ok(())
	}

	fn write(&self, name: &str, text: &str) -> Result<std::path::PathBuf, Outcome> {
		let path = self.plan.dir.join(name);
		std::fs::write(&path, text)
			.map_err(|e| Outcome::Failed(format!("{}: {e}", path.display())))?;
		Ok(path)
	}

	async fn start_edge_relay(&mut self) -> Result<(), Outcome> {
		let plan = self.plan.clone();
		let mut config = format!(
			"# The edge relay: registers as its operator, is verified by the\n\
			 # beacons, joins contract 0 and serves its host from its cache.\n\
			 listen = \"127.0.0.1:{port}\"\n\n\
			 [chain]\n\
			 url = \"{ws}\"\n\
			 public_url = \"{url}\"\n\
			 bond = 100\n\
			 heartbeat_secs = 30\n\
			 country = \"nl\"\n\
			 asn = 64500\n\
			 capacity_mbps = {claim}\n\
			 capabilities = [\"http/1.1\", \"hls\"{mahp}]\n\
			 contracts = [0]\n\n\
			 [[chain.footprints]]\n\
			 type = \"ipv4cidr\"\n\
			 value = \"127.0.0.0/8\"\n\
			 capacity_mbps = {claim}\n\n\
			 [[origins]]\n\
			 host = \"{HOST}\"\n\
			 url = \"{origin}\"\n",
			port = plan.relay_port,
			ws = plan.ws_url(),
			url = plan.relay_url(),
			claim = plan::RELAY_CLAIM_MBPS,
			mahp = if plan.multicast { ", \"mahp-receiver\"" } else { "" },
			origin = plan.origin_url(),
		);
		if let Some(namespace) = &self.namespace {
			config.push_str(&format!(
				"\n[[multicast.receive]]\nhost = \"{HOST}\"\nsource = \"{}\"\ngroup = \"{}\"\namt_relay = \"{}:{}\"\n",
				plan::SOURCE,
				plan::GROUP,
				namespace.ns_ip,
				plan::AMT_PORT
			));
		}
		let path = self.write("edge-relay.toml", &config)?;
		let mut relay = Command::new(plan.binary("ocm-relay"));
		relay
			.env("OCM_RELAY_OPERATOR", &plan.relay_key)
			.arg("--config")
			.arg(path)
			.arg("--log-dir")
			.arg(plan.dir.join("relay-logs"))
			.args(["--cache-memory-bytes", &plan::RELAY_CACHE_BYTES.to_string()]);
		self.spawn("edge-relay", relay, false)?;
		let listen = format!("127.0.0.1:{}", plan.relay_port);
		self.wait_for("the edge relay listening", Duration::from_secs(30), || {
			let listen = listen.clone();
			async move { tokio::net::TcpStream::connect(listen).await.ok().map(|_| ()) }
		})
		.await
	}

	/// Waits until the edge relay is registered and proof of bandwidth
	/// has verified it; returns its id.
	async fn wait_verified(&mut self, chain: &Chain) -> Result<u32, Outcome> {
		let url = self.plan.relay_url();
		let relay = self
			.wait_for("the edge relay registering", Duration::from_secs(60), || {
				let (chain, url) = (chain.clone(), url.clone());
				async move {
					let at = chain.best().await.ok()?;
					let serving =
						ocm_chain_client::registry::relay_serving(&at, &url).await.ok()?;
					serving.map(|relay| relay.id)
				}
			})
			.await?;
		self.say(format!(
			"edge relay registered as relay {relay}; {} beacons test its {} Mbit/s claim (proof of bandwidth epochs are 30 s)",
			self.plan.beacons,
			plan::RELAY_CLAIM_MBPS
		));
		let verified = self
			.wait_for(
				"proof of bandwidth verifying the edge relay",
				Duration::from_secs(300),
				|| {
					let chain = chain.clone();
					async move {
						let at = chain.best().await.ok()?;
						let info = fetch(
							&at,
							"CapacityRegistry",
							"Relays",
							vec![Value::u128(relay.into())],
						)
						.await
						.ok()??;
						let active = matches!(
							&info.at("status")?.value,
							subxt::ext::scale_value::ValueDef::Variant(v) if v.name == "Active"
						);
						active.then(|| number::<u32>(&info, "verified_mbps").unwrap_or(0))
					}
				},
			)
			.await?;
		self.say(format!("edge relay verified: Active, {verified} Mbit/s"));
		Ok(relay)
	}

	/// Waits until the edge relay has joined contract 0 and serves the
	/// stream (received by multicast, when that is on).
	async fn wait_serving(&mut self, chain: &Chain, relay: u32) -> Result<(), Outcome> {
		self.wait_for("the edge relay joining contract 0", Duration::from_secs(120), || {
			let chain = chain.clone();
			async move {
				let at = chain.best().await.ok()?;
				let key = vec![Value::u128(0), Value::u128(relay.into())];
				fetch(&at, "CdniSettlement", "Members", key).await.ok()?.map(|_| ())
			}
		})
		.await?;
		let listen = format!("127.0.0.1:{}", self.plan.relay_port);
		self.wait_for("the stream playing through the edge relay", Duration::from_secs(60), || {
			let listen = listen.clone();
			async move { (get(&listen, HOST, origin::PLAYLIST).await?.0 == 200).then_some(()) }
		})
		.await?;
		self.say(format!(
			"edge relay joined contract 0 and serves http://{HOST}{}",
			origin::PLAYLIST
		));
		if self.plan.multicast {
			let objects = self
				.wait_for("segments arriving by multicast", Duration::from_secs(60), || {
					let listen = listen.clone();
					async move {
						let (_, metrics) = get(&listen, "127.0.0.1", "/metrics").await?;
						let received = metric(
							&metrics,
							"ocm_relay_multicast_objects_total",
							"result=\"received\"",
						);
						(received > 0).then_some(received)
					}
				})
				.await?;
			self.say(format!(
				"the edge relay receives the stream by multicast through the AMT relay ({objects} objects so far)"
			));
		}
		Ok(())
	}

	fn announce(&self) {
		let plan = &self.plan;
		let rpc = format!("ws%3A%2F%2F127.0.0.1%3A{}", plan.rpc_port);
		let logs = plan.dir.join("logs");
		println!(
			"\nOCM devnet ready in {:.0} s.\n\
			 \x20 Polkadot.js Apps  https://polkadot.js.org/apps/?rpc={rpc}\n\
			 \x20 chain RPC         {ws}\n\
			 \x20 player            ffplay {relay}/cdn/{HOST}{playlist}   (the edge relay)\n\
			 \x20 through routing   ffplay -headers 'Host: {HOST}' http://127.0.0.1:{router}{playlist}\n\
			 \x20                   (the router answers 302 to the relay; where *.localhost is loopback, as in\n\
			 \x20                   browsers and curl, http://{HOST}:{router}{playlist} does the same)\n\
			 \x20 edge relay        {relay}/healthz, {relay}/metrics\n\
			 \x20 origin            {origin}{playlist}\n\
			 \x20 logs              {logs}/*.log\n\
			 Ctrl-C stops everything.\n",
			self.started.elapsed().as_secs_f64(),
			ws = plan.ws_url(),
			relay = plan.relay_url(),
			playlist = origin::PLAYLIST,
			router = plan.router_port,
			origin = plan.origin_url(),
			logs = logs.display(),
		);
		use std::io::Write;
		let _ = std::io::stdout().flush();
	}
}

impl Drop for Devnet {
	fn drop(&mut self) {
		self.shut_down();
	}
}

/// The libp2p peer id of a hex ed25519 node key, as `{node} key
/// inspect-node-key` prints it.
pub fn peer_id(node: &std::path::Path, node_key: &str) -> Result<String, String> {
	use std::io::Write;
	let failed = |e: String| format!("ocm-node key inspect-node-key: {e}");
	let mut child = Command::new(node)
		.args(["key", "inspect-node-key"])
		.stdin(std::process::Stdio::piped())
		.stdout(std::process::Stdio::piped())
		.spawn()
		.map_err(|e| failed(e.to_string()))?;
	child
		.stdin
		.take()
		.ok_or_else(|| failed("no stdin".into()))?
		.write_all(node_key.as_bytes())
		.map_err(|e| failed(e.to_string()))?;
	let out = child.wait_with_output().map_err(|e| failed(e.to_string()))?;
	if !out.status.success() {
		return Err(failed(String::from_utf8_lossy(&out.stderr).into_owned()));
	}
	Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// A plain HTTP/1.1 GET of `path` with `Host: host` from `address`:
/// (status, body as text).
pub async fn get(address: &str, host: &str, path: &str) -> Option<(u16, String)> {
	use tokio::io::{AsyncReadExt, AsyncWriteExt};
	let mut stream = tokio::net::TcpStream::connect(address).await.ok()?;
	let request = format!("GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n");
	stream.write_all(request.as_bytes()).await.ok()?;
	let mut response = Vec::new();
	tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut response))
		.await
		.ok()?
		.ok()?;
	let text = String::from_utf8_lossy(&response);
	let status = text.split(' ').nth(1)?.parse().ok()?;
	let body = text.split_once("\r\n\r\n").map(|(_, b)| b.to_string()).unwrap_or_default();
	Some((status, body))
}

/// The sum of the Prometheus samples of `family` whose labels include
/// `label` (`result="received"`).
pub fn metric(text: &str, family: &str, label: &str) -> u64 {
	text.lines()
		.filter(|l| l.starts_with(family) && l.contains(label))
		.filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
		.map(|v| v as u64)
		.sum()
}

/// The memory table printed when the devnet stops, with the targets of
/// the processes that have one.
pub fn memory_table(memory: &[Memory]) -> String {
	let mut table = String::from("memory (peak resident set, VmHWM):\n");
	for m in memory {
		let target = if m.name.ends_with("relay") && m.name != "amt-relay" {
			format!("target < 64 MiB + {} MiB cache", plan::RELAY_CACHE_BYTES >> 20)
		} else if m.name.starts_with("beacon") {
			"target < 30 MiB".to_string()
		} else {
			String::new()
		};
		table.push_str(&format!(
			"  {:<18} {:>8.1} MiB  {target}\n",
			m.name,
			m.peak_kib as f64 / 1024.0
		));
	}
	table
}

#[cfg(test)]
mod tests {
	use super::*;

	/// Needs root (a network namespace); fails, never skips, without it.
	#[test]
	fn a_namespace_a_killed_devnet_left_is_replaced_and_everything_goes_on_drop() {
		let name = format!("ocmdn-t{}", std::process::id() % 100_000);
		let dir = std::env::temp_dir().join(format!("{name}-state"));
		// What a devnet killed with SIGKILL leaves: its namespace and veth.
		std::mem::forget(MulticastNamespace::create(&name).expect("root makes a namespace"));
		assert!(MulticastNamespace::exists(&name));
		let plan = Plan { multicast: true, ..Plan::for_tests(&dir, &name) };
		let devnet = Devnet::prepare(plan.clone()).expect("a second run starts clean");
		assert!(MulticastNamespace::exists(&name));
		assert_eq!(
			plan::running_devnet(&plan.pid_file()),
			None,
			"its own pid is not another devnet"
		);
		assert!(plan.pid_file().exists());
		drop(devnet);
		assert!(!MulticastNamespace::exists(&name), "the namespace goes with the devnet");
		assert!(!plan.pid_file().exists());
		let _ = std::fs::remove_dir_all(dir);
	}

	#[test]
	fn multicast_objects_are_summed_over_groups_by_result() {
		let text = "# TYPE ocm_relay_multicast_objects counter\n\
			ocm_relay_multicast_objects_total{group=\"232.7.0.1:5000\",result=\"received\"} 12\n\
			ocm_relay_multicast_objects_total{group=\"232.7.0.2:5000\",result=\"received\"} 3\n\
			ocm_relay_multicast_objects_total{group=\"232.7.0.1:5000\",result=\"lost\"} 1\n";
		let objects = |label| metric(text, "ocm_relay_multicast_objects_total", label);
		assert_eq!(objects("result=\"received\""), 15);
		assert_eq!(objects("result=\"lost\""), 1);
	}

	#[test]
	fn the_memory_table_names_each_process_and_its_target() {
		let table = memory_table(&[
			Memory { name: "edge-relay".into(), pid: 1, peak_kib: 30 * 1024 },
			Memory { name: "beacon-eve".into(), pid: 2, peak_kib: 9 * 1024 },
			Memory { name: "amt-relay".into(), pid: 3, peak_kib: 4 * 1024 },
		]);
		assert!(
			table.contains("edge-relay             30.0 MiB  target < 64 MiB + 64 MiB cache"),
			"{table}"
		);
		assert!(table.contains("beacon-eve              9.0 MiB  target < 30 MiB"), "{table}");
		let amt = table.lines().find(|l| l.contains("amt-relay")).expect("the AMT relay's line");
		assert!(amt.contains("4.0 MiB") && !amt.contains("target"), "no target for it: {table}");
	}
}
