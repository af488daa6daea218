//! What the devnet runs, where, and the checks before it starts anything:
//! binaries, `ffmpeg`, keys, free ports, root for the multicast namespace,
//! and no other devnet on the same state directory.

use std::{
	net::TcpListener,
	path::{Path, PathBuf},
	process::Command,
};

/// The provider's host in the devnet: under `.localhost`, which browsers,
/// curl and systemd's resolver send to loopback without configuration.
pub const HOST: &str = "live.localhost";

/// The SSM channel the upstream relay multicasts the stream on (source is
/// the multicast namespace's loopback).
pub const GROUP: &str = "232.7.0.1:5000";
pub const SOURCE: &str = "127.0.0.1";
pub const AMT_PORT: u16 = 2268;

/// The edge relay's capacity claim, and each beacon's rate cap: small
/// enough that a proof-of-bandwidth test does not take a 2-core machine
/// from block production, with the 20 % margin covered by three beacons.
pub const RELAY_CLAIM_MBPS: u32 = 50;
pub const BEACON_RATE_MBPS: u32 = 40;

/// The edge relay's in-memory cache.
pub const RELAY_CACHE_BYTES: u64 = 64 << 20;

/// Dev accounts the beacons use (Dave runs the relay, Alice provides).
pub const BEACON_KEYS: [&str; 6] =
	["//Eve", "//Ferdie", "//Charlie", "//Eve//stash", "//Ferdie//stash", "//Charlie//stash"];

/// Network keys of the local testnet's validators (non-dev chains need them).
pub const VALIDATOR_NODE_KEYS: [&str; 3] = [
	"0000000000000000000000000000000000000000000000000000000000000001",
	"0000000000000000000000000000000000000000000000000000000000000002",
	"0000000000000000000000000000000000000000000000000000000000000003",
];

/// Everything the devnet needs to know, from its command line.
#[derive(Clone, Debug)]
pub struct Plan {
	/// State: the chain's database, logs, the stream, configs. Emptied at start.
	pub dir: PathBuf,
	/// Where `ocm-node`, `ocm-relay`, ... are.
	pub bin_dir: PathBuf,
	/// First validator's RPC port; the others' follow it.
	pub rpc_port: u16,
	/// First validator's p2p port; the others' follow it.
	pub p2p_port: u16,
	pub relay_port: u16,
	pub router_port: u16,
	pub origin_port: u16,
	/// Three validators (`--chain local`) instead of one (`--dev`).
	pub local_testnet: bool,
	/// Multicast through AMT (needs root); without it the edge relay pulls
	/// the stream from the origin by unicast.
	pub multicast: bool,
	/// Opens the provider's contract (a test opens its own instead).
	pub contract: bool,
	pub beacons: usize,
	pub relay_key: String,
	pub provider_key: String,
	/// Name of the multicast network namespace.
	pub namespace: String,
}

impl Plan {
	pub fn validators(&self) -> usize {
		if self.local_testnet {
			3
		} else {
			1
		}
	}

	pub fn ws_url(&self) -> String {
		format!("ws://127.0.0.1:{}", self.rpc_port)
	}

	pub fn relay_url(&self) -> String {
		format!("http://127.0.0.1:{}", self.relay_port)
	}

	pub fn origin_url(&self) -> String {
		format!("http://127.0.0.1:{}", self.origin_port)
	}

	pub fn binary(&self, name: &str) -> PathBuf {
		self.bin_dir.join(name)
	}

	pub fn pid_file(&self) -> PathBuf {
		self.dir.join("devnet.pid")
	}

	/// Every TCP port the devnet listens on, with what it is for.
	pub fn ports(&self) -> Vec<(u16, String)> {
		let mut ports = Vec::new();
		for v in 0..self.validators() as u16 {
			ports.push((self.rpc_port + v, format!("validator {v}'s RPC (--rpc-port)")));
			ports.push((self.p2p_port + v, format!("validator {v}'s p2p (--p2p-port)")));
		}
		ports.push((self.relay_port, "the edge relay (--relay-port)".into()));
		ports.push((self.router_port, "the request router (--router-port)".into()));
		ports.push((self.origin_port, "the origin (--origin-port)".into()));
		ports
	}

	/// Everything wrong with this plan on this machine, each as a sentence
	/// that says what to do; empty if the devnet can start.
	pub fn problems(&self) -> Vec<String> {
		let mut problems = Vec::new();
		let mut binaries = vec!["ocm-node", "ocm-relay", "ocm-beacon", "ocm-router"];
		if self.multicast {
			binaries.push("ocm-amt-relay");
		}
		for name in binaries {
			if !self.binary(name).is_file() {
				problems.push(format!(
					"{name} is not in {}: build the workspace (`cargo build --workspace`, which ./scripts/dev does) or pass --bin-dir",
					self.bin_dir.display()
				));
			}
		}
		if Command::new("ffmpeg").arg("-version").output().is_err() {
			problems.push(
				"ffmpeg is not installed: the origin's live stream is encoded by it (Debian: apt-get install ffmpeg)".into(),
			);
		}
		let keys = [("--relay-key", &self.relay_key), ("--provider-key", &self.provider_key)];
		for (flag, key) in keys {
			if let Err(e) = key_of(key) {
				problems.push(format!("{flag}: {e}"));
			}
		}
		if !(1..=BEACON_KEYS.len()).contains(&self.beacons) {
			problems.push(format!(
				"--beacons {}: between 1 and {} (the dev chain tests each relay with 3)",
				self.beacons,
				BEACON_KEYS.len()
			));
		}
		let mut seen = std::collections::BTreeSet::new();
		for (port, what) in self.ports() {
			if !seen.insert(port) {
				problems.push(format!("port {port} is given twice (for {what})"));
			} else if let Err(e) = TcpListener::bind(("127.0.0.1", port)) {
				problems.push(format!(
					"port {port} on 127.0.0.1, for {what}, is not free ({e}): stop what holds it (`ss -ltnp 'sport = :{port}'` shows it) or choose another port"
				));
			}
		}
		// SAFETY: geteuid has no preconditions.
		if self.multicast && unsafe { libc::geteuid() } != 0 {
			problems.push(
				"the multicast path needs root (it creates a network namespace): run as root, or pass --no-multicast to fetch the stream by unicast".into(),
			);
		}
		if let Some(pid) = running_devnet(&self.pid_file()) {
			problems.push(format!(
				"another ocm-devnet (pid {pid}) is using {}: stop it (Ctrl-C in its terminal, or `kill {pid}`) or pass --dir",
				self.dir.display()
			));
		}
		problems
	}
}

#[cfg(test)]
impl Plan {
	/// A dev-chain plan in `dir` without multicast, every port 0.
	pub(crate) fn for_tests(dir: &Path, namespace: &str) -> Self {
		Self {
			dir: dir.into(),
			bin_dir: dir.join("bin"),
			rpc_port: 0,
			p2p_port: 0,
			relay_port: 0,
			router_port: 0,
			origin_port: 0,
			local_testnet: false,
			multicast: false,
			contract: true,
			beacons: 3,
			relay_key: "//Dave".into(),
			provider_key: "//Alice".into(),
			namespace: namespace.into(),
		}
	}
}

/// A dev key pair from a secret URI such as `//Dave`.
pub fn key_of(uri: &str) -> Result<subxt_signer::sr25519::Keypair, String> {
	if uri.trim().is_empty() {
		return Err("no key given (a secret URI such as //Dave, or a seed phrase)".into());
	}
	let secret: subxt_signer::SecretUri =
		uri.parse().map_err(|e| format!("not a secret URI ({e})"))?;
	subxt_signer::sr25519::Keypair::from_uri(&secret).map_err(|e| format!("not a usable key ({e})"))
}

/// The pid in `pid_file` if that process is an `ocm-devnet` still running.
pub fn running_devnet(pid_file: &Path) -> Option<u32> {
	let pid: u32 = std::fs::read_to_string(pid_file).ok()?.trim().parse().ok()?;
	if pid == std::process::id() {
		return None;
	}
	let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).ok()?;
	(comm.trim() == "ocm-devnet").then_some(pid)
}

#[cfg(test)]
mod tests {
	use super::*;

	fn plan(dir: &Path) -> Plan {
		Plan::for_tests(dir, "ocm-devnet-test")
	}

	#[test]
	fn a_port_in_use_a_bad_key_and_missing_binaries_are_each_named() {
		let dir = std::env::temp_dir().join(format!("ocm-devnet-plan-{}", std::process::id()));
		let held = TcpListener::bind("127.0.0.1:0").unwrap();
		let port = held.local_addr().unwrap().port();
		let free = |()| TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
		let mut plan = plan(&dir);
		plan.rpc_port = port;
		(plan.p2p_port, plan.relay_port, plan.router_port, plan.origin_port) =
			(free(()), free(()), free(()), free(()));
		plan.relay_key = String::new();
		plan.provider_key = "not a key".into();
		let problems = plan.problems();
		let said = |needle: &str| problems.iter().any(|p| p.contains(needle));
		assert!(said(&format!("port {port} on 127.0.0.1, for validator 0's RPC")), "{problems:#?}");
		assert!(said("--relay-key: no key given"), "{problems:#?}");
		assert!(said("ocm-node is not in"), "{problems:#?}");
		assert!(said("--provider-key: not a"), "{problems:#?}");
		assert!(!said("relay port") && !said("for the origin"), "free ports pass: {problems:#?}");
	}

	#[test]
	fn the_same_port_twice_is_refused() {
		let mut plan = plan(Path::new("/nonexistent"));
		let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
		(plan.rpc_port, plan.p2p_port, plan.relay_port, plan.router_port, plan.origin_port) =
			(port, port + 1, port, port + 2, port + 3);
		assert!(plan.problems().iter().any(|p| p.contains(&format!("port {port} is given twice"))));
	}

	#[test]
	fn a_pid_file_of_a_process_that_is_gone_is_stale() {
		let file = std::env::temp_dir().join(format!("ocm-devnet-pid-{}", std::process::id()));
		std::fs::write(&file, "4194303").unwrap();
		assert_eq!(running_devnet(&file), None);
		std::fs::write(&file, "not a pid").unwrap();
		assert_eq!(running_devnet(&file), None);
		let _ = std::fs::remove_file(file);
	}
}
