//! Runs one assigned test: `connections` HTTP/1.1 connections to the relay's
//! PoB endpoint, each asking for consecutive ranges of the epoch's stream,
//! every byte checked against the stream before it is counted.

use crate::window::WindowCounter;
use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use ocm_pob::payload::{PayloadVerifier, StreamId};
use std::{
	sync::{
		atomic::{AtomicU64, Ordering},
		Arc, Mutex,
	},
	time::{Duration, SystemTime, UNIX_EPOCH},
};
use tokio::net::TcpStream;

/// How one test runs.
#[derive(Clone, Debug)]
pub struct TestPlan {
	/// `http://host:port/.well-known/ocm/pob/v1` (the relay's PoB endpoint).
	pub endpoint: String,
	pub stream: StreamId,
	pub window_start_ms: u64,
	pub window_secs: u32,
	pub connections: usize,
	/// Bytes asked for per request.
	pub request_bytes: u64,
	/// Stop asking for more once this many bytes arrived (the data cap).
	pub max_bytes: u64,
	/// Receive no faster than this, in Mbit/s (0: no cap).
	pub max_rate_mbps: u32,
}

/// What the test saw.
#[derive(Clone, Debug, Default)]
pub struct Outcome {
	pub bytes_per_second: Vec<u64>,
	/// Bytes that did not match the stream: never counted.
	pub rejected_bytes: u64,
	pub errors: Vec<String>,
}

pub fn now_ms() -> u64 {
	SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0)
}

struct Shared {
	plan: TestPlan,
	next_offset: AtomicU64,
	counter: Mutex<WindowCounter>,
	received: AtomicU64,
	rejected: AtomicU64,
	errors: Mutex<Vec<String>>,
	/// `None` when the test has no rate cap.
	pacer: Option<Mutex<Pacer>>,
}

/// Runs the test; returns when the window has ended.
pub async fn run(plan: TestPlan) -> Outcome {
	let shared = Arc::new(Shared {
		counter: Mutex::new(WindowCounter::new(plan.window_start_ms, plan.window_secs)),
		next_offset: AtomicU64::new(0),
		received: AtomicU64::new(0),
		rejected: AtomicU64::new(0),
		errors: Mutex::new(Vec::new()),
		pacer: (plan.max_rate_mbps > 0)
			.then(|| Mutex::new(Pacer::new(plan.max_rate_mbps, plan.window_start_ms))),
		plan,
	});
	let end_ms = shared.counter.lock().unwrap().end_ms();
	let mut tasks = tokio::task::JoinSet::new();
	for _ in 0..shared.plan.connections.max(1) {
		tasks.spawn(connection(shared.clone()));
	}
	let left = end_ms.saturating_sub(now_ms());
	let _ = tokio::time::timeout(Duration::from_millis(left), async {
		while tasks.join_next().await.is_some() {}
	})
	.await;
	tasks.abort_all();
	let counter = shared.counter.lock().unwrap().clone();
	let errors = shared.errors.lock().unwrap().clone();
	Outcome {
		bytes_per_second: counter.seconds().to_vec(),
		rejected_bytes: shared.rejected.load(Ordering::Relaxed),
		errors,
	}
}

/// The server to connect to (`host:port`, as the registry keys it: the
/// server this relay registered, however the URL spells it) and the path.
fn host_port(endpoint: &str) -> Result<(String, String), String> {
	let rest = endpoint
		.strip_prefix("http://")
		.ok_or_else(|| format!("{endpoint}: only http:// PoB endpoints are supported"))?;
	let origin = ocm_primitives::web::origin(endpoint.as_bytes())
		.ok_or_else(|| format!("{endpoint}: not a URL the registry takes"))?;
	let authority = String::from_utf8(origin.authority()).map_err(|e| e.to_string())?;
	let path = rest.find(['/', '?', '#']).map_or("", |start| &rest[start..]);
	let path = path.split(['?', '#']).next().unwrap_or("");
	Ok((authority, format!("/{}", path.trim_matches('/'))))
}

/// Bytes read from a test connection at a time.
const READ_BYTES: usize = 64 * 1024;

async fn connection(shared: Arc<Shared>) {
	if let Err(e) = connection_inner(&shared).await {
		shared.errors.lock().unwrap().push(e);
	}
}

async fn connection_inner(shared: &Shared) -> Result<(), String> {
	let plan = &shared.plan;
	let (authority, base) = host_port(&plan.endpoint)?;
	// Connect ahead of the window; the first request waits for its start.
	let tcp =
		TcpStream::connect(&authority).await.map_err(|e| format!("connect {authority}: {e}"))?;
	let _ = tcp.set_nodelay(true);
	// Reads of a fixed 64 KiB: hyper's adaptive buffer grows to ~400 KiB
	// per connection when the socket always has data (it does, while the
	// rate cap sleeps), which is 3 MiB over 8 connections for nothing: the
	// bytes are checked and dropped as they arrive. At 1 Gbit/s that is
	// still only 2,000 reads a second.
	let (mut sender, conn) = hyper::client::conn::http1::Builder::new()
		.read_buf_exact_size(Some(read_bytes(plan.max_rate_mbps)))
		.handshake(hyper_util::rt::TokioIo::new(tcp))
		.await
		.map_err(|e| e.to_string())?;
	tokio::spawn(conn);
	let wait = plan.window_start_ms.saturating_sub(now_ms());
	tokio::time::sleep(Duration::from_millis(wait)).await;
	let path = format!(
		"{base}/{}/{}/{}",
		hex(&plan.stream.epoch_seed),
		plan.stream.relay,
		hex(&plan.stream.beacon)
	);
	let mut verifier = PayloadVerifier::new(&plan.stream);
	let end_ms = plan.window_start_ms + u64::from(plan.window_secs) * 1_000;
	while now_ms() < end_ms && shared.received.load(Ordering::Relaxed) < plan.max_bytes {
		let start = shared.next_offset.fetch_add(plan.request_bytes, Ordering::Relaxed);
		let last = start + plan.request_bytes - 1;
		let request = http::Request::get(&path)
			.header(http::header::HOST, &authority)
			.header(http::header::RANGE, format!("bytes={start}-{last}"))
			.body(Empty::<Bytes>::new())
			.map_err(|e| e.to_string())?;
		let response = sender.send_request(request).await.map_err(|e| e.to_string())?;
		if response.status() != http::StatusCode::PARTIAL_CONTENT {
			return Err(format!("the relay answered {} to a PoB range", response.status()));
		}
		let mut body = response.into_body();
		let mut offset = start;
		while let Some(frame) = body.frame().await {
			let frame = frame.map_err(|e| e.to_string())?;
			let Some(data) = frame.data_ref() else { continue };
			let len = data.len() as u64;
			if offset + len > last + 1 || !verifier.verify(offset, data) {
				// Junk, or more than asked for: nothing more on this
				// connection counts.
				shared.rejected.fetch_add(len, Ordering::Relaxed);
				return Err("the relay sent bytes that are not the stream".into());
			}
			offset += len;
			let now = now_ms();
			shared.counter.lock().unwrap().add(now, len);
			shared.received.fetch_add(len, Ordering::Relaxed);
			throttle(shared, len, now).await;
		}
	}
	Ok(())
}

/// Parts per million over an equal share a beacon receives at most: room
/// for the others to take up what a lagging beacon leaves (a tighter pace
/// left honest relays 6 % short in the end-to-end test), within the 3/2 of
/// the others' mean the verdict credits.
pub const SHARE_SLACK_PPM: u64 = 200_000;

/// The payload rate, in Mbit/s, each of `beacons` receives when a relay
/// serves its claim (`claimed_mbps`, a link rate) in equal shares, with
/// [`SHARE_SLACK_PPM`] over it; at least 1.
pub fn equal_share_mbps(claimed_mbps: u32, beacons: u32) -> u32 {
	use ocm_pob::verdict::{BYTES_PER_FRAME, PAYLOAD_PER_FRAME};
	let payload =
		u128::from(claimed_mbps) * u128::from(PAYLOAD_PER_FRAME) / u128::from(BYTES_PER_FRAME);
	let share =
		payload * u128::from(1_000_000 + SHARE_SLACK_PPM) / 1_000_000 / u128::from(beacons.max(1));
	u32::try_from(share.max(1)).unwrap_or(u32::MAX)
}

/// Bytes read from the socket at a time for a test capped at `max_rate_mbps`:
/// at least 64 reads a second, so the count of each second is even.
fn read_bytes(max_rate_mbps: u32) -> usize {
	if max_rate_mbps == 0 {
		return READ_BYTES;
	}
	let per_second = u64::from(max_rate_mbps) * 1_000_000 / 8;
	(per_second / 64).clamp(4 * 1024, READ_BYTES as u64) as usize
}

/// How far behind its rate a capped test may fall and still catch up: a
/// second, so a stalled second is made up (at 10 Mbit/s a tenth of a
/// second cost 6 % of the link) but a whole window's debt is not paid in
/// one burst, since the verdict compares beacons second by second.
const CATCH_UP_MS: u64 = 1_000;

/// Paces a capped test: when the bytes received so far are paid for, in
/// microseconds, so that no read is rounded down to free at high rates.
#[derive(Debug)]
struct Pacer {
	bytes_per_second: u64,
	paid_until_us: u64,
}

impl Pacer {
	fn new(max_rate_mbps: u32, start_ms: u64) -> Self {
		Self {
			bytes_per_second: (u64::from(max_rate_mbps) * 125_000).max(1),
			paid_until_us: start_ms.saturating_mul(1_000),
		}
	}

	/// Takes `len` bytes that arrived at `now_ms`; returns how many
	/// milliseconds to wait before reading more.
	fn take(&mut self, len: u64, now_ms: u64) -> u64 {
		let now_us = now_ms.saturating_mul(1_000);
		let from = self.paid_until_us.max(now_us.saturating_sub(CATCH_UP_MS * 1_000));
		let cost_us = u128::from(len) * 1_000_000 / u128::from(self.bytes_per_second);
		self.paid_until_us = from.saturating_add(u64::try_from(cost_us).unwrap_or(u64::MAX));
		self.paid_until_us.saturating_sub(now_us) / 1_000
	}
}

/// Sleeps while more than `max_rate_mbps` allows has arrived.
async fn throttle(shared: &Shared, len: u64, now: u64) {
	let Some(pacer) = &shared.pacer else { return };
	let wait = pacer.lock().unwrap().take(len, now);
	if wait > 0 {
		tokio::time::sleep(Duration::from_millis(wait)).await;
	}
}

pub fn hex(bytes: &[u8]) -> String {
	bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn endpoints_split_into_authority_and_path() {
		assert_eq!(
			host_port("http://127.0.0.1:8080/.well-known/ocm/pob/v1/").unwrap(),
			("127.0.0.1:8080".into(), "/.well-known/ocm/pob/v1".into())
		);
		assert!(host_port("https://r.example/").unwrap_err().contains("only http://"));
		// The server the registry keyed, not what the URL's spelling says.
		assert_eq!(
			host_port("http://someone@R.Example./pob?x#y").unwrap(),
			("r.example:80".into(), "/pob".into())
		);
		assert!(host_port("http://16909060/pob").is_err());
	}

	#[test]
	fn an_equal_share_is_the_claims_payload_over_the_beacons_and_a_little() {
		// 300 Mbit/s of link carry 286.9 of payload: a third, plus 20 %.
		assert_eq!(equal_share_mbps(300, 3), 114);
		assert_eq!(equal_share_mbps(1, 16), 1, "never zero: zero means no cap");
		assert_eq!(equal_share_mbps(u32::MAX, 0), u32::MAX);
	}

	#[test]
	fn capped_tests_read_in_pieces_small_enough_for_an_even_count() {
		assert_eq!(read_bytes(0), READ_BYTES);
		assert_eq!(read_bytes(1), 4 * 1024);
		// 10 Mbit/s: 1.25 MB/s over 64 reads.
		assert_eq!(read_bytes(10), 19_531);
		assert_eq!(read_bytes(1_000), READ_BYTES);
	}

	#[test]
	fn the_pacer_keeps_the_rate_and_forgets_debts_older_than_a_second() {
		// 8 Mbit/s = 1,000 bytes a millisecond.
		let mut pacer = Pacer::new(8, 1_000);
		assert_eq!(pacer.take(10_000, 1_000), 10, "10 ms of bytes at once");
		assert_eq!(pacer.take(10_000, 1_010), 10);
		// A stall of 1.5 s: only the last second may be made up.
		assert_eq!(pacer.take(1_500_000, 2_520), 500);
		// At 4 Gbit/s a 64 KiB read costs 131 µs: not free, and it adds up.
		let mut fast = Pacer::new(4_000, 0);
		let waits: u64 = (0..100).map(|_| fast.take(65_536, 0)).last().unwrap();
		assert_eq!(waits, 13, "100 reads of 64 KiB: 13.1 ms");
	}
}
