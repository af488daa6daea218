//! The checks of `ocm-logs verify`, each a pure function but the chain read.

use ocm_cdni::{
	file,
	merkle::{self, Root},
	Totals,
};
use ocm_chain_client::{
	bytes_of, fetch, number,
	subxt::dynamic::{At, Value},
	Chain,
};

/// What the file says.
#[derive(Debug, PartialEq, Eq)]
pub struct Local {
	pub root: Root,
	pub records: u32,
	pub totals: Totals,
	/// Records that are not well-formed OCM records: line numbers.
	pub malformed: Vec<usize>,
	/// The `ocm-batch` remark: contract, relay, period.
	pub remark: Option<(u32, u32, u32)>,
}

/// What the chain holds for the batch.
#[derive(Debug, PartialEq, Eq)]
pub struct Committed {
	pub root: [u8; 32],
	pub records: u32,
	pub totals: Totals,
}

/// Parses the file (hash, directives, records) and computes its root.
pub fn check_file(bytes: &[u8]) -> Result<Local, String> {
	let parsed = file::parse(bytes).map_err(|e| format!("not a valid CDNI log file: {e:?}"))?;
	if !parsed.hashed {
		return Err("the file has no #SHA256-hash line: it may be truncated".into());
	}
	let mut totals = Totals::default();
	let mut malformed = Vec::new();
	for record in &parsed.records {
		if !totals.add(record.bytes) {
			malformed.push(record.line);
		}
	}
	let remark = bytes
		.split(|&b| b == b'\n')
		.filter_map(|l| l.strip_prefix(b"#remark:\tocm-batch "))
		.find_map(|l| {
			let text = std::str::from_utf8(l).ok()?.trim_end();
			let field = |name: &str| {
				text.split(' ')
					.find_map(|kv| kv.strip_prefix(name)?.strip_prefix('='))
					.and_then(|v| v.parse().ok())
			};
			Some((field("contract")?, field("relay")?, field("period")?))
		});
	Ok(Local {
		root: merkle::root(parsed.records.iter().map(|r| r.bytes)),
		records: parsed.records.len() as u32,
		totals,
		malformed,
		remark,
	})
}

/// The batch to check: flags first, then the file's remark.
pub fn batch_of(
	local: &Local,
	contract: Option<u32>,
	relay: Option<u32>,
	period: Option<u32>,
) -> Result<(u32, u32, u32), String> {
	let from_file = local.remark;
	Ok((
		contract.or(from_file.map(|b| b.0)).ok_or("no --contract and no ocm-batch remark")?,
		relay.or(from_file.map(|b| b.1)).ok_or("no --relay and no ocm-batch remark")?,
		period.or(from_file.map(|b| b.2)).ok_or("no --period and no ocm-batch remark")?,
	))
}

/// Reads the batch's commitment from the chain.
pub async fn committed(
	url: &str,
	batch: (u32, u32, u32),
	at: Option<u64>,
) -> Result<Committed, String> {
	let chain = Chain::connect(url).await?;
	let at = match at {
		Some(number) => chain.api.at_block(number).await.map_err(|e| e.to_string())?,
		None => chain.best().await?,
	};
	let key =
		vec![Value::u128(batch.0.into()), Value::u128(batch.1.into()), Value::u128(batch.2.into())];
	let value = fetch(&at, "CdniSettlement", "Batches", key).await?.ok_or_else(|| {
		format!(
			"no batch {}/{}/{} on chain at block {}: not committed, or settled already (use --at with a block of its dispute window)",
			batch.0,
			batch.1,
			batch.2,
			at.block_number()
		)
	})?;
	let root = value
		.at("root")
		.and_then(bytes_of)
		.and_then(|b| <[u8; 32]>::try_from(b).ok())
		.ok_or("a batch without a root")?;
	let totals = value.at("totals").ok_or("a batch without totals")?;
	Ok(Committed {
		root,
		records: number(&value, "records")?,
		totals: Totals {
			bytes: number(totals, "bytes")?,
			requests: number(totals, "requests")?,
			status_2xx: number(totals, "status_2xx")?,
			status_3xx: number(totals, "status_3xx")?,
			status_4xx: number(totals, "status_4xx")?,
			status_5xx: number(totals, "status_5xx")?,
		},
	})
}

/// The comparison's findings.
pub struct Report {
	pub problems: Vec<String>,
	pub local_root: Root,
	pub records: u32,
	pub bytes: u64,
}

impl Report {
	pub fn matches(&self) -> bool {
		self.problems.is_empty()
	}

	pub fn text(&self, (c, r, p): (u32, u32, u32)) -> String {
		let head = format!(
			"batch {c}/{r}/{p}: {} records, {} bytes, root 0x{}",
			self.records,
			self.bytes,
			ocm_cdni::hex(self.local_root.as_bytes())
		);
		if self.matches() {
			format!("{head}\nOK: the file matches the chain's commitment")
		} else {
			format!("{head}\nMISMATCH:\n  {}", self.problems.join("\n  "))
		}
	}
}

pub fn compare(local: &Local, chain: &Committed) -> Report {
	let mut problems = Vec::new();
	if local.root.0 != chain.root {
		problems.push("the records' Merkle root differs from the committed root".to_string());
	}
	if local.records != chain.records {
		problems
			.push(format!("{} records in the file, {} committed", local.records, chain.records));
	}
	if local.totals != chain.totals {
		problems
			.push(format!("totals in the file {:?}, committed {:?}", local.totals, chain.totals));
	}
	if !local.malformed.is_empty() {
		problems.push(format!(
			"malformed records on lines {:?}: dispute them with dispute_malformed",
			local.malformed
		));
	}
	Report { problems, local_root: local.root, records: local.records, bytes: local.totals.bytes }
}

#[cfg(test)]
mod tests {
	use super::*;
	use ocm_cdni::record::{Fields, HttpRequest};

	fn file(lines: &[Vec<u8>], remark: Option<&str>) -> Vec<u8> {
		let (mut w, mut out) = file::Writer::start("urn:uuid:x", None, remark, &Fields::ocm());
		for l in lines {
			w.record(l, &mut out);
		}
		out.extend(w.finish());
		out
	}

	fn lines(n: u64) -> Vec<Vec<u8>> {
		(0..n)
			.map(|i| {
				HttpRequest {
					completed_at_ms: 1_700_000_000_000,
					time_taken_us: 10,
					client_group: "192.0.2.0/24".into(),
					server_hostname: "relay.example".into(),
					method: "GET".into(),
					upstream_uri: format!("http://video.example.com/{i}"),
					protocol: "HTTP/1.1".into(),
					status: if i == 0 { 503 } else { 200 },
					total_bytes: 100 * (i + 1),
					entity_bytes: 50,
					cached: false,
					request_id: format!("{i:032x}"),
				}
				.to_line()
			})
			.collect()
	}

	fn committed_for(lines: &[Vec<u8>]) -> Committed {
		let local = check_file(&file(lines, None)).unwrap();
		Committed { root: local.root.0, records: local.records, totals: local.totals }
	}

	#[test]
	fn a_faithful_file_matches() {
		let l = lines(5);
		let local = check_file(&file(&l, Some("ocm-batch contract=3 relay=1 period=9"))).unwrap();
		assert_eq!(local.remark, Some((3, 1, 9)));
		assert_eq!(local.totals.bytes, 1_500);
		assert_eq!((local.totals.status_2xx, local.totals.status_5xx), (4, 1));
		let report = compare(&local, &committed_for(&l));
		assert!(report.matches(), "{:?}", report.problems);
		assert_eq!(batch_of(&local, None, Some(2), None), Ok((3, 2, 9)));
	}

	#[test]
	fn a_changed_dropped_or_extra_record_does_not() {
		let l = lines(5);
		let chain = committed_for(&l);
		let mut changed = l.clone();
		changed[2] = lines(6)[5].clone();
		assert!(!compare(&check_file(&file(&changed, None)).unwrap(), &chain).matches());
		let dropped = &l[..4];
		let report = compare(&check_file(&file(dropped, None)).unwrap(), &chain);
		assert!(report.problems.iter().any(|p| p.contains("4 records in the file, 5 committed")));
		let mut reordered = l.clone();
		reordered.swap(0, 1);
		let report = compare(&check_file(&file(&reordered, None)).unwrap(), &chain);
		assert_eq!(report.problems.len(), 1, "{:?}", report.problems);
	}

	#[test]
	fn corrupt_or_truncated_files_are_refused() {
		let mut bytes = file(&lines(3), None);
		let at = bytes.len() / 2;
		bytes[at] ^= 1;
		assert!(check_file(&bytes).unwrap_err().contains("HashMismatch"));
		let whole = file(&lines(3), None);
		let cut = whole.iter().rposition(|&b| b == b'#').unwrap();
		assert!(check_file(&whole[..cut]).unwrap_err().contains("no #SHA256-hash"));
		assert!(batch_of(&check_file(&whole).unwrap(), None, None, None).is_err());
	}

	#[test]
	fn malformed_records_are_reported_by_line() {
		let mut l = lines(3);
		l[1] = b"2024-01-01\tjunk".to_vec();
		let local = check_file(&file(&l, None)).unwrap();
		assert_eq!(local.malformed, vec![6]);
		let report =
			compare(&local, &Committed { root: local.root.0, records: 3, totals: local.totals });
		assert!(report.problems.iter().any(|p| p.contains("lines [6]")));
	}
}
