//! Harness for OCM's end-to-end tests: starts real binaries on loopback.

pub mod netns;
pub mod origin;
pub mod pob;
pub mod registry;

use std::{
	io::{BufRead, BufReader},
	net::{TcpListener, TcpStream},
	path::PathBuf,
	process::{Child, Command, Stdio},
	sync::{Arc, Mutex},
	time::{Duration, Instant},
};

use subxt::{
	dynamic::{self, At, Value},
	error::{DispatchError, TransactionEventsError, TransactionFinalizedSuccessError},
	ext::scale_value::{Composite, Primitive, ValueDef},
	transactions::{DynamicPayload, Payload},
};
use subxt_signer::sr25519::{dev, Keypair};

/// A subxt client for an OCM chain.
pub type Api = subxt::OnlineClient<subxt::SubstrateConfig>;

/// Flattens an H256 / AccountId32 decoded as nested composites of u8.
pub fn value_bytes(v: &Value) -> Vec<u8> {
	match &v.value {
		ValueDef::Composite(c) => c.values().flat_map(value_bytes).collect(),
		ValueDef::Primitive(Primitive::U128(b)) => vec![*b as u8],
		_ => vec![],
	}
}

/// One event of an extrinsic: pallet, variant and fields.
#[derive(Debug)]
pub struct SeenEvent {
	pub pallet: String,
	pub name: String,
	pub fields: Value,
}

/// Submits `call` signed by `who`, waits for finality, and returns its events
/// or the error it failed with: `"Pallet::Error"` for a pallet's, `"BadOrigin"`.
pub async fn submit<C: Payload>(
	api: &Api,
	call: &C,
	who: &Keypair,
) -> Result<Vec<SeenEvent>, String> {
	let progress = api
		.tx()
		.await
		.expect("transactions client")
		.sign_and_submit_then_watch_default(call, who)
		.await
		.map_err(|e| format!("submit: {e}"))?;
	match progress.wait_for_finalized_success().await {
		Ok(events) => Ok(events
			.iter()
			.map(|ev| {
				let ev = ev.expect("event decodes");
				SeenEvent {
					pallet: ev.pallet_name().to_string(),
					name: ev.event_name().to_string(),
					fields: ev.decode_fields_unchecked_as::<Value>().expect("fields decode"),
				}
			})
			.collect()),
		Err(TransactionFinalizedSuccessError::SuccessError(
			TransactionEventsError::ExtrinsicFailed(DispatchError::Module(m)),
		)) => Err(m.details_string()),
		Err(TransactionFinalizedSuccessError::SuccessError(
			TransactionEventsError::ExtrinsicFailed(DispatchError::BadOrigin),
		)) => Err("BadOrigin".into()),
		Err(e) => Err(format!("{e}")),
	}
}

/// The first event `pallet.name` among `events`.
pub fn find<'a>(events: &'a [SeenEvent], pallet: &str, name: &str) -> &'a SeenEvent {
	events
		.iter()
		.find(|e| e.pallet == pallet && e.name == name)
		.unwrap_or_else(|| panic!("no {pallet}.{name} in {events:?}"))
}

/// An open board motion, and its calls: the devnet's.
pub use ocm_devnet::board::Motion;

/// Passes `call` as a board motion on a development chain: Alice proposes it
/// with a threshold of two, Alice and Bob vote aye, Charlie closes. Returns
/// the events of the close, in which the call executed.
pub async fn board_motion(api: &Api, call: DynamicPayload<Composite<()>>) -> Vec<SeenEvent> {
	let at = api.at_current_block().await.expect("finalized block");
	let len = at.tx().call_data(&call).expect("call encodes").len() as u32;
	let propose = ocm_devnet::board::propose(call, len);
	let events = submit(api, &propose, &dev::alice()).await.expect("Alice proposes");
	let motion = Motion::proposed(&find(&events, "Council", "Proposed").fields, len)
		.expect("a motion in Council.Proposed");
	submit(api, &motion.vote(true), &dev::alice()).await.expect("Alice votes");
	submit(api, &motion.vote(true), &dev::bob()).await.expect("Bob votes");
	let closed = submit(api, &motion.close(), &dev::charlie()).await.expect("Charlie closes");
	let executed = &find(&closed, "Council", "Executed").fields;
	let result = executed.at("result").expect("result field");
	assert!(
		matches!(&result.value, ValueDef::Variant(v) if v.name == "Ok"),
		"motion executed with {result}"
	);
	closed
}

/// The `ocm-node` binary: `$OCM_NODE_BIN`, else the debug build in
/// `$CARGO_TARGET_DIR` (or the workspace's `target/`).
pub fn node_binary() -> PathBuf {
	if let Some(bin) = std::env::var_os("OCM_NODE_BIN") {
		return bin.into();
	}
	let target = std::env::var_os("CARGO_TARGET_DIR")
		.map(PathBuf::from)
		.unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target"));
	target.join("debug").join("ocm-node")
}

/// The `ocm-relay` binary: `$OCM_RELAY_BIN`, else next to `ocm-node`.
pub fn relay_binary() -> PathBuf {
	if let Some(bin) = std::env::var_os("OCM_RELAY_BIN") {
		return bin.into();
	}
	node_binary().with_file_name("ocm-relay")
}

/// The `ocm-beacon` binary: `$OCM_BEACON_BIN`, else next to `ocm-node`.
pub fn beacon_binary() -> PathBuf {
	if let Some(bin) = std::env::var_os("OCM_BEACON_BIN") {
		return bin.into();
	}
	node_binary().with_file_name("ocm-beacon")
}

/// The `ocm-router` binary: `$OCM_ROUTER_BIN`, else next to `ocm-node`.
pub fn router_binary() -> PathBuf {
	if let Some(bin) = std::env::var_os("OCM_ROUTER_BIN") {
		return bin.into();
	}
	node_binary().with_file_name("ocm-router")
}

/// The `ocm-amt-relay` binary: `$OCM_AMT_RELAY_BIN`, else next to `ocm-node`.
pub fn amt_relay_binary() -> PathBuf {
	if let Some(bin) = std::env::var_os("OCM_AMT_RELAY_BIN") {
		return bin.into();
	}
	node_binary().with_file_name("ocm-amt-relay")
}

/// A child process killed (and reaped) on drop.
pub struct Process(pub Child);

impl Drop for Process {
	fn drop(&mut self) {
		let _ = self.0.kill();
		let _ = self.0.wait();
	}
}

impl Process {
	/// Peak resident memory (VmHWM), in KiB.
	pub fn peak_rss_kib(&self) -> Option<u64> {
		let status = std::fs::read_to_string(format!("/proc/{}/status", self.0.id())).ok()?;
		status.lines().find(|l| l.starts_with("VmHWM:"))?.split_whitespace().nth(1)?.parse().ok()
	}
}

/// Waits up to 20 s until something accepts TCP connections at `address`
/// (`host:port`); `what` names it in the failure.
pub fn wait_listening(address: &str, what: &str) {
	let deadline = Instant::now() + Duration::from_secs(20);
	while TcpStream::connect(address).is_err() {
		assert!(Instant::now() < deadline, "{what} did not listen on {address}");
		std::thread::sleep(Duration::from_millis(50));
	}
}

/// A port that was free a moment ago on 127.0.0.1.
pub fn free_port() -> u16 {
	TcpListener::bind("127.0.0.1:0")
		.and_then(|l| l.local_addr())
		.map(|a| a.port())
		.expect("bind an ephemeral loopback port")
}

/// The libp2p peer id of a hex-encoded ed25519 node key, as `ocm-node key
/// inspect-node-key` prints it.
pub fn peer_id(node_key_hex: &str) -> String {
	ocm_devnet::devnet::peer_id(&node_binary(), node_key_hex).expect("the node key's peer id")
}

/// A running `ocm-node`, killed (and its database removed) on drop.
pub struct DevNode {
	child: Child,
	rpc_port: u16,
	p2p_port: u16,
	log: Arc<Mutex<Vec<String>>>,
	_base: tempfile::TempDir,
}

impl DevNode {
	/// Starts `ocm-node --dev` with its own database, RPC and p2p ports on
	/// loopback, and waits until its RPC port accepts connections.
	pub fn start() -> Self {
		Self::start_with(&["--dev"])
	}

	/// Starts `ocm-node` with `args` plus private ports and base path.
	pub fn start_with(args: &[&str]) -> Self {
		let bin = node_binary();
		assert!(
			bin.exists(),
			"ocm-node not found at {}: run `cargo build -p ocm-node` or set OCM_NODE_BIN",
			bin.display()
		);
		let base = tempfile::tempdir().expect("temp dir for the node's database");
		let rpc_port = free_port();
		let p2p_port = free_port();
		let mut child = Command::new(&bin)
			.args(args)
			.arg("--base-path")
			.arg(base.path())
			.args(["--rpc-port", &rpc_port.to_string()])
			.args(["--listen-addr", &format!("/ip4/127.0.0.1/tcp/{p2p_port}")])
			.args(["--no-prometheus", "--no-mdns", "--no-telemetry"])
			.stdout(Stdio::null())
			.stderr(Stdio::piped())
			.spawn()
			.unwrap_or_else(|e| panic!("spawn {}: {e}", bin.display()));

		// Keep the node's log for failure messages; draining the pipe also
		// keeps the node from blocking on a full stderr.
		let log = Arc::new(Mutex::new(Vec::new()));
		let stderr = child.stderr.take().expect("piped stderr");
		let sink = log.clone();
		std::thread::spawn(move || {
			for line in BufReader::new(stderr).lines().map_while(Result::ok) {
				let mut log = sink.lock().unwrap();
				if log.len() > 2_000 {
					log.drain(..1_000);
				}
				log.push(line);
			}
		});

		let mut node = Self { child, rpc_port, p2p_port, log, _base: base };
		let deadline = Instant::now() + Duration::from_secs(120);
		while TcpStream::connect(("127.0.0.1", rpc_port)).is_err() {
			if let Ok(Some(status)) = node.child.try_wait() {
				panic!("ocm-node exited with {status} before serving RPC:\n{}", node.log_tail());
			}
			assert!(
				Instant::now() < deadline,
				"ocm-node RPC not up in 120 s:\n{}",
				node.log_tail()
			);
			std::thread::sleep(Duration::from_millis(200));
		}
		node
	}

	/// A multiaddr other nodes can use as `--bootnodes`, given this node's peer id.
	pub fn bootnode(&self, peer_id: &str) -> String {
		format!("/ip4/127.0.0.1/tcp/{}/p2p/{peer_id}", self.p2p_port)
	}

	pub fn ws_url(&self) -> String {
		format!("ws://127.0.0.1:{}", self.rpc_port)
	}

	/// A subxt client connected to this node's RPC.
	pub async fn connect(&self) -> Api {
		Api::from_insecure_url(self.ws_url())
			.await
			.unwrap_or_else(|e| panic!("connect: {e}\n{}", self.log_tail()))
	}

	/// Waits until `api` (a client of this node) reports block `target` or a
	/// later one finalized, within `within`; returns the number it saw.
	/// Finalized numbers must never go back.
	pub async fn wait_finalized(&self, api: &Api, target: u64, within: Duration) -> u64 {
		let mut finalized = api.stream_blocks().await.expect("finalized block stream");
		let mut last = 0;
		tokio::time::timeout(within, async {
			while last < target {
				let block = finalized.next().await.expect("stream open").expect("block");
				assert!(block.number() >= last, "finalized numbers never go back");
				last = block.number();
			}
		})
		.await
		.unwrap_or_else(|_| {
			panic!("block {target} not finalized within {within:?}\n{}", self.log_tail())
		});
		last
	}

	/// The last lines the node logged.
	pub fn log_tail(&self) -> String {
		let log = self.log.lock().unwrap();
		log[log.len().saturating_sub(60)..].join("\n")
	}
}

impl Drop for DevNode {
	fn drop(&mut self) {
		let _ = self.child.kill();
		let _ = self.child.wait();
	}
}

/// A storage value at the best block, decoded dynamically.
pub async fn storage(api: &Api, pallet: &str, item: &str, key: Vec<Value>) -> Option<Value> {
	api.at_current_block()
		.await
		.unwrap()
		.storage()
		.try_fetch(dynamic::storage::<Vec<Value>, Value>(pallet, item), key)
		.await
		.unwrap()
		.map(|v| v.decode().unwrap())
}

/// Waits until `check` gives `Some`, polling every second.
pub async fn until<T, F: std::future::Future<Output = Option<T>>>(
	what: &str,
	within: Duration,
	mut check: impl FnMut() -> F,
) -> T {
	let deadline = Instant::now() + within;
	loop {
		if let Some(v) = check().await {
			return v;
		}
		assert!(Instant::now() < deadline, "{what}: not within {within:?}");
		tokio::time::sleep(Duration::from_secs(1)).await;
	}
}
