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
	let found = lines.iter().find_map(|line| {
		Settled::parse(line).ok().filter(|s| s.request_id == audit.request_id)
	});
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
