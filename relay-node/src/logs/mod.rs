//! CDNi logging and settlement on the relay's side: one RFC 7937 record per
//! request of a delivery contract, spooled durably, sealed per period into
//! a published log file and a Merkle root, committed on chain, and proven
//! record by record when a provider or beacon asks.
//!
//! - [`spool`]: the append-only spool files, one writer thread;
//! - [`batch`]: sealing a period into its file, root and totals; proofs;
//! - [`body`]: the response body wrapper that writes a request's record
//!   when its last byte is handed over (or the client goes away);
//! - [`delivery`]: what the viewer's connection accepted (TCP
//!   acknowledgements), which the record bills;
//! - [`signing`]: URI Signing tokens on hosts whose contract requires
//!   them: checked per request, kept to show when a record is disputed;
//! - [`follow`]: the chain side: joining contracts, sealing closed
//!   periods, committing, answering missing-record claims.

pub mod batch;
pub mod body;
pub mod delivery;
pub mod follow;
pub mod signing;
pub mod spool;

use spool::{BatchId, Message};
use std::{
	collections::HashMap,
	path::PathBuf,
	sync::{
		atomic::{AtomicU32, AtomicU64, Ordering},
		mpsc, RwLock,
	},
};
use subxt_signer::sr25519::Keypair;

/// The URL path the relay publishes its log files and proofs under.
pub const PATH_PREFIX: &str = "/.well-known/ocm/logs/";

/// A delivery contract the relay serves, as the chain records it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServedContract {
	pub id: u32,
	pub start: u32,
	pub end: u32,
	pub period_length: u32,
	/// The first period the chain counts this relay in (its join): a
	/// record is never placed before it, or its batch could not be committed.
	pub from_period: u32,
	/// The last period it serves, once it left or the provider removed it:
	/// no record is placed after it.
	pub until_period: Option<u32>,
	/// Whether (from which period) requests must carry a URI Signing
	/// token, and the keys that may sign one.
	pub signing: ocm_chain_client::settlement::RequestSigning,
}

impl ServedContract {
	/// The period that block `block` falls in (as the pallet computes it).
	pub fn period_at(&self, block: u32) -> u32 {
		block.saturating_sub(self.start) / self.period_length.max(1)
	}

	/// The block `period` ends at (exclusive).
	pub fn period_end(&self, period: u32) -> u32 {
		self.start
			.saturating_add(self.period_length.saturating_mul(period))
			.saturating_add(self.period_length)
			.min(self.end)
	}
}

/// The logging side's state, shared by the HTTP server and the follower.
pub struct Logs {
	pub dir: PathBuf,
	/// `Sender` is `Sync`: request tasks send without a lock.
	spool: mpsc::Sender<Message>,
	/// Contract host to contract.
	served: RwLock<HashMap<String, ServedContract>>,
	/// The best block the follower saw: it places records in periods.
	best_block: AtomicU32,
	/// This relay's id once registered (`u32::MAX` before).
	relay: AtomicU32,
	genesis: RwLock<Option<[u8; 32]>>,
	/// Signs receipts for clients that ask.
	signer: Option<Keypair>,
	/// The relay's host name, for `s-hostname` and `#claimed-origin`.
	pub hostname: String,
	/// The relay's public base URL: log files are published under it.
	pub public_url: String,
	/// Request ids: this process's start time and a counter, unique across restarts.
	boot_nanos: u64,
	counter: AtomicU64,
	/// Responses under way, by the batch their record (and receipt) names:
	/// a period is sealed only once its responses are done (or a cut-off
	/// passed), so a slow reader's record lands in the period its receipt
	/// names.
	in_flight: std::sync::Mutex<HashMap<BatchId, u32>>,
	/// Tokens already kept, by batch (see [`signing`]).
	kept_tokens: std::sync::Mutex<std::collections::HashSet<(BatchId, String)>>,
}

impl Logs {
	/// Starts the spool writer in `dir`.
	pub fn new(dir: PathBuf, public_url: String, signer: Option<Keypair>) -> std::io::Result<Self> {
		let hostname = public_url
			.parse::<http::Uri>()
			.ok()
			.and_then(|u| u.host().map(str::to_string))
			.unwrap_or_else(|| "-".into());
		std::fs::create_dir_all(&dir)?;
		let (sender, receiver) = mpsc::channel();
		let spool_dir = dir.clone();
		std::thread::Builder::new()
			.name("ocm-log-spool".into())
			.spawn(move || spool::run(spool_dir, receiver))?;
		let boot_nanos = std::time::SystemTime::now()
			.duration_since(std::time::UNIX_EPOCH)
			.map_or(0, |d| d.as_nanos() as u64);
		Ok(Logs {
			dir,
			spool: sender,
			served: RwLock::new(HashMap::new()),
			best_block: AtomicU32::new(0),
			relay: AtomicU32::new(u32::MAX),
			genesis: RwLock::new(None),
			signer,
			hostname,
			public_url,
			boot_nanos,
			counter: AtomicU64::new(0),
			in_flight: std::sync::Mutex::new(HashMap::new()),
			kept_tokens: std::sync::Mutex::new(std::collections::HashSet::new()),
		})
	}

	pub fn set_chain(&self, relay: u32, genesis: [u8; 32]) {
		self.relay.store(relay, Ordering::Relaxed);
		*self.genesis.write().unwrap_or_else(|e| e.into_inner()) = Some(genesis);
	}

	pub fn set_best_block(&self, block: u32) {
		self.best_block.fetch_max(block, Ordering::Relaxed);
	}

	pub fn serve(&self, host: String, contract: ServedContract) {
		self.served.write().unwrap_or_else(|e| e.into_inner()).insert(host, contract);
	}

	/// The contract and period a request for `host` belongs to now.
	pub fn batch_for(&self, host: &str) -> Option<BatchId> {
		let served = self.served.read().unwrap_or_else(|e| e.into_inner());
		self.batch_of(served.get(host)?)
	}

	/// Whether a request for `host` (its target `uri`, token taken out) by
	/// `client` may be served now, and the batch its record goes to:
	/// `Ok(None)` for a host no contract pays for now, with the token that
	/// authorised it when the contract requires one. The batch is decided
	/// here, at arrival, once: the record names the period whose terms
	/// admitted the request, however long the origin takes.
	pub fn authorise(
		&self,
		host: &str,
		token: Option<&str>,
		client: std::net::IpAddr,
		uri: &str,
		now_secs: u64,
	) -> Result<Option<(BatchId, Option<signing::Authorised>)>, signing::Refusal> {
		let served = self.served.read().unwrap_or_else(|e| e.into_inner());
		let Some(contract) = served.get(host) else { return Ok(None) };
		let Some(batch) = self.batch_of(contract) else { return Ok(None) };
		Ok(Some((batch, signing::authorise(contract, batch.1, token, client, uri, now_secs)?)))
	}

	fn batch_of(&self, contract: &ServedContract) -> Option<BatchId> {
		let block = self.best_block.load(Ordering::Relaxed);
		let period = contract.period_at(block).max(contract.from_period);
		(block < contract.end && contract.until_period.is_none_or(|until| period <= until))
			.then_some((contract.id, period))
	}

	/// Whether `host` is a contract's host this relay served: when
	/// [`Logs::batch_for`] has no batch for it, its contract no longer pays
	/// this relay, and it is not served.
	pub fn knows(&self, host: &str) -> bool {
		self.served.read().unwrap_or_else(|e| e.into_inner()).contains_key(host)
	}

	/// A fresh request id: 32 hex digits.
	pub fn request_id(&self) -> String {
		let n = self.counter.fetch_add(1, Ordering::Relaxed);
		format!("{:016x}{n:016x}", self.boot_nanos)
	}

	/// The operator's signature over a receipt for a request, hex.
	pub fn receipt(
		&self,
		(contract, period): BatchId,
		request_id: &str,
		uri: &str,
	) -> Option<String> {
		let signer = self.signer.as_ref()?;
		let relay = self.relay.load(Ordering::Relaxed);
		let genesis = (*self.genesis.read().unwrap_or_else(|e| e.into_inner()))?;
		if relay == u32::MAX {
			return None;
		}
		let message = ocm_cdni::receipt_message(
			&genesis,
			contract,
			relay,
			period,
			request_id.as_bytes(),
			uri.as_bytes(),
		);
		Some(ocm_cdni::hex(&signer.sign(&message).0))
	}

	/// A response whose record will name `batch` has begun.
	pub fn begin(&self, batch: BatchId) {
		*self.in_flight.lock().unwrap_or_else(|e| e.into_inner()).entry(batch).or_default() += 1;
	}

	/// Responses under way whose records name `batch`.
	pub fn in_flight(&self, batch: BatchId) -> u32 {
		self.in_flight.lock().unwrap_or_else(|e| e.into_inner()).get(&batch).copied().unwrap_or(0)
	}

	/// Hands a begun response's record to the spool.
	pub fn log(&self, batch: BatchId, line: Vec<u8>) {
		{
			let mut in_flight = self.in_flight.lock().unwrap_or_else(|e| e.into_inner());
			if let Some(n) = in_flight.get_mut(&batch) {
				*n = n.saturating_sub(1);
				if *n == 0 {
					in_flight.remove(&batch);
				}
			}
		}
		if self.spool.send(Message::Record { batch, line }).is_err() {
			tracing::error!("the log spool has stopped; record dropped");
		}
	}

	/// Closes a period's spool; `None` if it has no records.
	pub async fn close(&self, batch: BatchId) -> std::io::Result<Option<PathBuf>> {
		let (reply, answer) = tokio::sync::oneshot::channel();
		self.spool
			.send(Message::Seal { batch, reply })
			.map_err(|_| std::io::Error::other("the log spool has stopped"))?;
		answer.await.map_err(|_| std::io::Error::other("the log spool has stopped"))?
	}

	/// Answers `GET /.well-known/ocm/logs/{contract}/{period}.log` with the
	/// file, and `.../{contract}/{period}/proof/{index}` with a record's
	/// inclusion proof as JSON.
	pub fn publish(&self, rest: &str) -> Result<(&'static str, Vec<u8>), (u16, String)> {
		let bad = || {
			(400, format!("expected {PATH_PREFIX}{{contract}}/{{period}}.log or {{contract}}/{{period}}/proof/{{index}}\n"))
		};
		let parts: Vec<&str> = rest.split('/').collect();
		let number = |s: &str| s.parse::<u32>().map_err(|_| bad());
		let read = |batch: BatchId| {
			std::fs::read(batch::log_path(&self.dir, batch))
				.map_err(|_| (404, "no such sealed batch on this relay\n".to_string()))
		};
		match parts.as_slice() {
			[contract, file] => {
				let period = file.strip_suffix(".log").ok_or_else(bad)?;
				let log = read((number(contract)?, number(period)?))?;
				Ok(("application/cdni; ptype=logging-file", log))
			}
			[contract, period, "proof", index] => {
				let log = read((number(contract)?, number(period)?))?;
				let index = number(index)?;
				let (record, proof, records) =
					batch::proof(&log, index).map_err(|e| (404, format!("{e}\n")))?;
				let json = serde_json::json!({
					"index": index,
					"records": records,
					"record": String::from_utf8_lossy(&record),
					// Each sibling with the totals under it: what the
					// pallet's `dispute_sums` takes if one of them lies.
					"siblings": proof.siblings.iter().map(|s| serde_json::json!({
						"hash": ocm_cdni::hex(s.hash.as_bytes()),
						"bytes": s.sum.bytes,
						"requests": s.sum.requests,
						"status_2xx": s.sum.status_2xx,
						"status_3xx": s.sum.status_3xx,
						"status_4xx": s.sum.status_4xx,
						"status_5xx": s.sum.status_5xx,
					})).collect::<Vec<_>>(),
				});
				Ok(("application/json", json.to_string().into_bytes()))
			}
			_ => Err(bad()),
		}
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn periods_match_the_pallet() {
		let c = ServedContract {
			id: 0,
			start: 5,
			end: 100,
			period_length: 10,
			from_period: 0,
			until_period: None,
			signing: Default::default(),
		};
		assert_eq!(
			(c.period_at(0), c.period_at(5), c.period_at(14), c.period_at(15)),
			(0, 0, 0, 1)
		);
		assert_eq!((c.period_end(0), c.period_end(1), c.period_end(9)), (15, 25, 100));
	}

	#[test]
	fn records_go_to_the_current_period_never_before_the_join() {
		let dir = std::env::temp_dir().join(format!("ocm-logs-batch-{}", std::process::id()));
		let logs = Logs::new(dir.clone(), "http://relay.example".into(), None).unwrap();
		assert_eq!(logs.batch_for("video.example"), None);
		let c = ServedContract {
			id: 3,
			start: 5,
			end: 100,
			period_length: 10,
			from_period: 2,
			until_period: None,
			signing: Default::default(),
		};
		logs.serve("video.example".into(), c);
		logs.set_best_block(16);
		assert_eq!(logs.batch_for("video.example"), Some((3, 2)));
		logs.set_best_block(40);
		assert_eq!(logs.batch_for("video.example"), Some((3, 3)));
		// The best block never goes back.
		logs.set_best_block(20);
		assert_eq!(logs.batch_for("video.example"), Some((3, 3)));
		logs.set_best_block(100);
		assert_eq!(logs.batch_for("video.example"), None);
		let _ = std::fs::remove_dir_all(dir);
	}

	#[test]
	fn published_files_and_proofs_are_served_and_bad_paths_refused() {
		let dir = std::env::temp_dir().join(format!("ocm-logs-publish-{}", std::process::id()));
		let _ = std::fs::remove_dir_all(&dir);
		let logs = Logs::new(dir.clone(), "http://relay.example".into(), None).unwrap();
		std::fs::create_dir_all(dir.join("3")).unwrap();
		let line = b"2024-01-01\t00:00:00.000\t0.1\t-\t-\tGET\thttp://v.example/x\tHTTP/1.1\t200\t10\t5\t0\t\"id\"";
		let (mut w, mut file) = ocm_cdni::file::Writer::start(
			"urn:uuid:x",
			None,
			None,
			&ocm_cdni::record::Fields::ocm(),
		);
		w.record(line, &mut file);
		file.extend(w.finish());
		std::fs::write(dir.join("3").join("7.log"), &file).unwrap();
		let (kind, body) = logs.publish("3/7.log").unwrap();
		assert_eq!((kind, body), ("application/cdni; ptype=logging-file", file));
		let (kind, proof) = logs.publish("3/7/proof/0").unwrap();
		assert_eq!(kind, "application/json");
		let proof: serde_json::Value = serde_json::from_slice(&proof).unwrap();
		assert_eq!(proof["records"], 1);
		assert_eq!(proof["record"].as_str().unwrap().as_bytes(), line);
		assert_eq!(logs.publish("3/8.log").unwrap_err().0, 404);
		assert_eq!(logs.publish("3/7/proof/1").unwrap_err().0, 404);
		for bad in ["3/7", "x/7.log", "3/7/proof/x", "../../etc/passwd", "3/7.log/extra"] {
			assert_eq!(logs.publish(bad).unwrap_err().0, 400, "{bad}");
		}
		let _ = std::fs::remove_dir_all(dir);
	}

	#[test]
	fn no_record_is_placed_after_the_last_period_served() {
		let dir = std::env::temp_dir().join(format!("ocm-logs-until-{}", std::process::id()));
		let logs = Logs::new(dir.clone(), "http://relay.example".into(), None).unwrap();
		let removed = ServedContract {
			id: 3,
			start: 5,
			end: 100,
			period_length: 10,
			from_period: 0,
			until_period: Some(1),
			signing: Default::default(),
		};
		logs.serve("video.example".into(), removed);
		logs.set_best_block(24);
		assert_eq!(logs.batch_for("video.example"), Some((3, 1)));
		logs.set_best_block(25);
		assert_eq!(logs.batch_for("video.example"), None);
		assert!(logs.knows("video.example") && !logs.knows("other.example"));
		let _ = std::fs::remove_dir_all(dir);
	}

	#[test]
	fn responses_under_way_are_counted_by_the_batch_they_name() {
		let dir = std::env::temp_dir().join(format!("ocm-logs-in-flight-{}", std::process::id()));
		let logs = Logs::new(dir.clone(), "http://relay.example".into(), None).unwrap();
		logs.begin((1, 4));
		logs.begin((1, 4));
		assert_eq!((logs.in_flight((1, 4)), logs.in_flight((1, 5))), (2, 0));
		logs.log((1, 4), b"a".to_vec());
		assert_eq!(logs.in_flight((1, 4)), 1);
		logs.log((1, 4), b"b".to_vec());
		assert_eq!(logs.in_flight((1, 4)), 0);
		let _ = std::fs::remove_dir_all(dir);
	}

	#[test]
	fn request_ids_are_unique_hex() {
		let dir = std::env::temp_dir().join(format!("ocm-logs-ids-{}", std::process::id()));
		let logs = Logs::new(dir.clone(), "http://relay.example:8080".into(), None).unwrap();
		assert_eq!(logs.hostname, "relay.example");
		let (a, b) = (logs.request_id(), logs.request_id());
		assert_ne!(a, b);
		assert_eq!(a.len(), 32);
		assert!(a.bytes().all(|c| c.is_ascii_hexdigit()));
		let _ = std::fs::remove_dir_all(dir);
	}
}
