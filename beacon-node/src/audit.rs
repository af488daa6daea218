//! Audits: between bandwidth tests, a beacon fetches one of a contract's
//! objects through one of its relays as an ordinary viewer, with a receipt
//! (`OCM-Receipt: 1`), and once the relay has committed the period, checks
//! the relay's published file for the request. A request the file lacks,
//! or a file that is not what the relay committed, is claimed missing on
//! chain with the receipt (beacons are auditors): the relay must show the
//! record or lose the batch.
//!
//! An audit is an ordinary request, so the contract pays for it like any
//! viewer's: one small object per round (the object is one a real viewer
//! asked for, taken from the relay's published files), a few kilobytes a
//! minute at the default rate. A contract that requires signed requests is
//! not audited this way: a beacon holds no token.
//!
//! The decisions are pure functions of what was fetched ([`check`],
//! [`receipt_period`]); `main.rs` drives them.

use ocm_cdni::{file, merkle, record::Settled};

/// One audited request, until its batch is checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Audit {
	pub contract: u32,
	pub relay: u32,
	/// The period the receipt names.
	pub period: u32,
	pub request_id: Vec<u8>,
	/// The URI as the receipt signs it: `http://<contract host><path>`.
	pub uri: Vec<u8>,
	pub receipt: [u8; 64],
	/// Bytes of the response the beacon received (status line, headers, body).
	pub received: u64,
}

/// What the relay's batch shows for an audit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Finding {
	/// The record is there, billed at most what was received (plus the
	/// relay's own framing allowance, [`SLACK_BYTES`]).
	Recorded { billed: u64 },
	/// The record bills more than the beacon received: reported, not
	/// provable (a receipt does not sign bytes).
	Overbilled { billed: u64 },
	/// The file is the committed batch and the request is not in it: it
	/// may be in the next period's batch (a response that outlasted its
	/// period), which the relay can show; claimed.
	Missing,
	/// The published file is not what the relay committed (or is
	/// unreadable): claimed, so the relay must show the record.
	FileMismatch,
}

impl Finding {
	/// Whether the audit claims the request missing on chain.
	pub fn claims(self) -> bool {
		matches!(self, Finding::Missing | Finding::FileMismatch)
	}
}

/// Bytes a record may bill above what the beacon counted: header bytes
/// hyper adds or folds differently, TLS records. Anything above is
/// overbilling.
pub const SLACK_BYTES: u64 = 1_024;

/// Checks the relay's published `file` for `audit` against the batch's
/// committed root.
pub fn check(audit: &Audit, file: &[u8], committed_root: [u8; 32]) -> Finding {
	let Ok(parsed) = file::parse(file) else { return Finding::FileMismatch };
	let lines: Vec<&[u8]> = parsed.records.iter().map(|r| r.bytes).collect();
	if merkle::root(&lines).is_none_or(|root| root.0 != committed_root) {
		return Finding::FileMismatch;
	}
	let found = lines
		.iter()
		.find_map(|line| Settled::parse(line).ok().filter(|s| s.request_id == audit.request_id));
	match found {
		Some(s) if s.total_bytes <= audit.received.saturating_add(SLACK_BYTES) => {
			Finding::Recorded { billed: s.total_bytes }
		}
		Some(s) => Finding::Overbilled { billed: s.total_bytes },
		None => Finding::Missing,
	}
}

/// The period a receipt signs, among `candidates` (the relay signs the
/// period of its own clock's block, which may differ by one from the
/// beacon's view): the first whose message `verifies`.
pub fn receipt_period(
	candidates: impl IntoIterator<Item = u32>,
	mut verifies: impl FnMut(u32) -> bool,
) -> Option<u32> {
	candidates.into_iter().find(|&p| verifies(p))
}

/// The path of a request in `line` (an OCM record), to fetch the same
/// object again: the `u-uri` without scheme and host.
pub fn path_of(line: &[u8]) -> Option<(String, String)> {
	let settled = Settled::parse(line).ok()?;
	let uri = ocm_cdni::record::decode_nhtab(settled.uri)?;
	let uri = String::from_utf8(uri).ok()?;
	let host = String::from_utf8(settled.host.to_vec()).ok()?;
	let rest = uri.strip_prefix("http://").or_else(|| uri.strip_prefix("https://"))?;
	let path = &rest[rest.find('/')?..];
	// Only objects a viewer fetched whole and successfully.
	(settled.status == 200).then(|| (host, path.to_string()))
}

#[cfg(test)]
mod tests {
	use super::*;
	use ocm_cdni::record::{Fields, HttpRequest};

	fn line(id: &str, bytes: u64) -> Vec<u8> {
		HttpRequest {
			completed_at_ms: 1_700_000_000_000,
			time_taken_us: 1_000,
			client_group: "192.0.2.0/24".into(),
			server_hostname: "relay.example".into(),
			method: "GET".into(),
			upstream_uri: "http://video.example/live/1.ts".into(),
			protocol: "HTTP/1.1".into(),
			status: 200,
			total_bytes: bytes,
			entity_bytes: bytes - 200,
			cached: true,
			request_id: id.into(),
			token_id: None,
		}
		.to_line()
	}

	fn published(lines: &[Vec<u8>]) -> Vec<u8> {
		let (mut w, mut out) = file::Writer::start("urn:uuid:x", None, None, &Fields::ocm());
		for l in lines {
			w.record(l, &mut out);
		}
		out.extend(w.finish());
		out
	}

	fn audit(id: &str) -> Audit {
		Audit {
			contract: 0,
			relay: 1,
			period: 2,
			request_id: id.as_bytes().to_vec(),
			uri: b"http://video.example/live/1.ts".to_vec(),
			receipt: [0; 64],
			received: 10_000,
		}
	}

	#[test]
	fn an_honest_batch_shows_the_audited_request() {
		let lines = vec![line("a1", 5_000), line("b2", 10_000)];
		let root = merkle::root(&lines).unwrap().0;
		let file = published(&lines);
		assert_eq!(check(&audit("b2"), &file, root), Finding::Recorded { billed: 10_000 });
		assert!(!check(&audit("b2"), &file, root).claims());
	}

	#[test]
	fn a_missing_request_or_a_file_that_is_not_the_batch_is_claimed() {
		let lines = vec![line("a1", 5_000)];
		let root = merkle::root(&lines).unwrap().0;
		let file = published(&lines);
		assert_eq!(check(&audit("b2"), &file, root), Finding::Missing);
		// The relay published something other than what it committed.
		assert_eq!(check(&audit("a1"), &file, [7; 32]), Finding::FileMismatch);
		assert_eq!(check(&audit("a1"), b"not a log", root), Finding::FileMismatch);
		assert!(Finding::Missing.claims() && Finding::FileMismatch.claims());
	}

	#[test]
	fn a_record_billing_more_than_was_received_is_reported() {
		let lines = vec![line("a1", 10_000 + SLACK_BYTES + 1)];
		let root = merkle::root(&lines).unwrap().0;
		assert_eq!(
			check(&audit("a1"), &published(&lines), root),
			Finding::Overbilled { billed: 10_000 + SLACK_BYTES + 1 }
		);
	}

	#[test]
	fn the_receipts_period_is_the_one_it_verifies_for() {
		assert_eq!(receipt_period([4, 5, 3], |p| p == 3), Some(3));
		assert_eq!(receipt_period([4, 5, 3], |_| false), None);
		let l = line("a1", 5_000);
		assert_eq!(path_of(&l), Some(("video.example".into(), "/live/1.ts".into())));
	}
}

/// What one audit round decided.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decided {
	pub audit: Audit,
	pub finding: Finding,
	/// The claim's submission failed (the dispute window closed, the claim
	/// slots full): `Err` with the chain's words.
	pub claimed: Option<Result<(), String>>,
}

/// The beacon's audits: requests made, waiting for their batches.
pub struct Auditor {
	pending: Vec<(Audit, std::time::Instant)>,
	/// An audit whose batch never comes (the relay did not commit the
	/// period: it is not paid for it) is dropped after this long.
	pub max_age: std::time::Duration,
}

/// Audits waiting for their batch, at most: the oldest go first.
const MAX_PENDING: usize = 32;

impl Default for Auditor {
	fn default() -> Self {
		Auditor { pending: Vec::new(), max_age: std::time::Duration::from_secs(1_800) }
	}
}

/// A uniform number below `n` (0 for 0) from the kernel: the relay must
/// not predict what is audited.
fn random_below(n: usize) -> usize {
	use std::io::Read;
	let mut bytes = [0u8; 8];
	let _ = std::fs::File::open("/dev/urandom").and_then(|mut f| f.read_exact(&mut bytes));
	if n == 0 {
		0
	} else {
		(u64::from_le_bytes(bytes) % n as u64) as usize
	}
}

/// One HTTP/1.1 GET: status, response head bytes as sent, head fields, body.
async fn get(
	url: &str,
	headers: &[(&str, &str)],
) -> Result<(u16, u64, http::HeaderMap, bytes::Bytes), String> {
	use http_body_util::{BodyExt, Empty};
	let uri: http::Uri = url.parse().map_err(|e| format!("{url}: {e}"))?;
	let authority = uri.authority().ok_or_else(|| format!("{url}: no host"))?.clone();
	let port = authority.port_u16().unwrap_or(80);
	let stream = tokio::net::TcpStream::connect((authority.host(), port))
		.await
		.map_err(|e| format!("{url}: {e}"))?;
	let (mut sender, connection) =
		hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream))
			.await
			.map_err(|e| e.to_string())?;
	tokio::spawn(connection);
	let mut request = http::Request::get(uri.path_and_query().map_or("/", |p| p.as_str()))
		.header(http::header::HOST, authority.as_str());
	for (name, value) in headers {
		request = request.header(*name, *value);
	}
	let request = request.body(Empty::<bytes::Bytes>::new()).map_err(|e| e.to_string())?;
	let response = sender.send_request(request).await.map_err(|e| e.to_string())?;
	let status = response.status().as_u16();
	let head = response.headers().iter().map(|(n, v)| n.as_str().len() + v.len() + 4).sum::<usize>()
		as u64 + 19; // "HTTP/1.1 200 OK\r\n" and the blank line
	let fields = response.headers().clone();
	let body = response.into_body().collect().await.map_err(|e| e.to_string())?.to_bytes();
	Ok((status, head, fields, body))
}

impl Auditor {
	/// Audits waiting for their batch.
	pub fn pending(&self) -> impl Iterator<Item = &Audit> {
		self.pending.iter().map(|(a, _)| a)
	}

	/// Checks every audit whose batch is committed; claims what the
	/// batch does not show. Then starts one new audit.
	pub async fn round(
		&mut self,
		chain: &ocm_chain_client::Chain,
		key: &subxt_signer::sr25519::Keypair,
	) -> Result<(Vec<Decided>, Option<Audit>), String> {
		let decided = self.check_pending(chain, key).await?;
		let started = self.start_one(chain).await?;
		Ok((decided, started))
	}

	/// Decides the audits whose batches are on chain.
	pub async fn check_pending(
		&mut self,
		chain: &ocm_chain_client::Chain,
		key: &subxt_signer::sr25519::Keypair,
	) -> Result<Vec<Decided>, String> {
		use ocm_chain_client::settlement;
		let at = chain.best().await?;
		let mut decided = Vec::new();
		let mut waiting = Vec::new();
		for (audit, since) in std::mem::take(&mut self.pending) {
			let batch_key = (audit.contract, audit.relay, audit.period);
			let Some(batch) = settlement::batch(&at, batch_key).await? else {
				if since.elapsed() < self.max_age {
					waiting.push((audit, since));
				}
				continue;
			};
			let url = String::from_utf8_lossy(&batch.log_url).to_string();
			let file = match get(&url, &[]).await {
				Ok((200, _, _, body)) => body.to_vec(),
				_ => Vec::new(),
			};
			let finding = check(&audit, &file, batch.root);
			let claimed = if finding.claims() {
				let call = settlement::claim_missing(
					batch_key,
					&audit.request_id,
					&audit.uri,
					audit.receipt,
				);
				Some(chain.submit_signed(&call, key).await.map(|_| ()))
			} else {
				None
			};
			tracing::info!(
				contract = audit.contract,
				relay = audit.relay,
				period = audit.period,
				?finding,
				claimed = ?claimed,
				"audit decided"
			);
			decided.push(Decided { audit, finding, claimed });
		}
		self.pending = waiting;
		Ok(decided)
	}

	/// Fetches one object of a random live contract through a random
	/// relay of it, with a receipt; the object is one a viewer fetched, from
	/// the relay's latest published file. `None` when there is nothing to
	/// audit (no contract without signed requests, no published file yet).
	pub async fn start_one(
		&mut self,
		chain: &ocm_chain_client::Chain,
	) -> Result<Option<Audit>, String> {
		use ocm_chain_client::settlement;
		if self.pending.len() >= MAX_PENDING {
			self.pending.remove(0);
		}
		let at = chain.best().await?;
		let now = at.block_number() as u32;
		let mut live = Vec::new();
		for contract in settlement::contracts(&at).await? {
			if now < contract.start || now >= contract.end {
				continue;
			}
			let period = contract.period_at(now);
			// A beacon holds no token: signed contracts are the provider's to audit.
			if settlement::request_signing(&at, contract.id).await?.required_in(period) {
				continue;
			}
			live.push((contract, period));
		}
		if live.is_empty() {
			return Ok(None);
		}
		let (contract, period) = live.swap_remove(random_below(live.len()));
		let relays = settlement::members_in(&at, contract.id, period).await?;
		if relays.is_empty() {
			return Ok(None);
		}
		let relay = relays[random_below(relays.len())];
		let Some((operator, base)) = settlement::relay_endpoint(&at, relay).await? else {
			return Ok(None);
		};
		// An object from the relay's latest committed batch of the contract.
		let mut object = None;
		for past in (period.saturating_sub(8)..period).rev() {
			let Some(batch) = settlement::batch(&at, (contract.id, relay, past)).await? else {
				continue;
			};
			let url = String::from_utf8_lossy(&batch.log_url).to_string();
			let Ok((200, _, _, body)) = get(&url, &[]).await else { continue };
			let Ok(parsed) = file::parse(&body) else { continue };
			let paths: Vec<(String, String)> =
				parsed.records.iter().filter_map(|r| path_of(r.bytes)).collect();
			if !paths.is_empty() {
				object = Some(paths[random_below(paths.len())].clone());
				break;
			}
		}
		let Some((host, path)) = object else { return Ok(None) };
		let url = format!("{}/cdn/{host}{path}", base.trim_end_matches('/'));
		let (status, head, fields, body) = get(&url, &[("OCM-Receipt", "1")]).await?;
		let field = |name: &str| fields.get(name).and_then(|v| v.to_str().ok()).map(str::to_string);
		let (Some(request_id), Some(receipt)) = (field("ocm-request-id"), field("ocm-receipt"))
		else {
			return Err(format!("{url}: {status} without a request id and a receipt"));
		};
		let receipt: [u8; 64] = (0..receipt.len())
			.step_by(2)
			.filter_map(|i| receipt.get(i..i + 2).and_then(|h| u8::from_str_radix(h, 16).ok()))
			.collect::<Vec<u8>>()
			.try_into()
			.map_err(|_| format!("{url}: a receipt that is not 64 bytes"))?;
		let uri = format!("http://{host}{path}");
		let now = chain.best().await?.block_number() as u32;
		let signature = subxt_signer::sr25519::Signature(receipt);
		let operator = subxt_signer::sr25519::PublicKey(operator);
		let here = contract.period_at(now);
		let candidates = [here, here.saturating_sub(1), period, here.saturating_add(1)];
		let signed = receipt_period(candidates, |p| {
			let message = ocm_cdni::receipt_message(
				&chain.genesis,
				contract.id,
				relay,
				p,
				request_id.as_bytes(),
				uri.as_bytes(),
			);
			subxt_signer::sr25519::verify(&signature, message, &operator)
		})
		.ok_or_else(|| format!("{url}: a receipt not signed by the relay's operator"))?;
		let audit = Audit {
			contract: contract.id,
			relay,
			period: signed,
			request_id: request_id.into_bytes(),
			uri: uri.into_bytes(),
			receipt,
			received: head + body.len() as u64,
		};
		tracing::info!(contract = contract.id, relay, period = signed, %url, status, "audited");
		self.pending.push((audit.clone(), std::time::Instant::now()));
		Ok(Some(audit))
	}
}
