//! The checks of `ocm-logs verify`, each a pure function but the chain
//! read, and the disputes a mismatch calls for.

use ocm_cdni::{
	file,
	merkle::{Root, Tree},
	record::Settled,
	Totals,
};
use ocm_chain_client::{
	settlement::{self, BatchKey},
	subxt::{ext::scale_value::Composite, transactions::DynamicPayload},
	Chain,
};

/// What the file says.
#[derive(Debug)]
pub struct Local {
	pub root: Root,
	pub records: u32,
	pub totals: Totals,
	/// Records that are not well-formed OCM records: line numbers.
	pub malformed: Vec<usize>,
	/// ... and their indices in the batch.
	pub malformed_indices: Vec<u32>,
	/// Well-formed records that name no URI Signing token: indices.
	pub unsigned_indices: Vec<u32>,
	/// The `ocm-batch` remark: contract, relay, period.
	pub remark: Option<(u32, u32, u32)>,
	/// The record lines, in order, and their Merkle-sum tree.
	pub lines: Vec<Vec<u8>>,
	pub tree: Tree,
}

/// What the chain holds for the batch.
#[derive(Debug, PartialEq, Eq)]
pub struct Committed {
	pub root: [u8; 32],
	pub records: u32,
	pub totals: Totals,
	/// Whether the contract required signed requests in the batch's period.
	pub signing_required: bool,
}

/// Parses the file (hash, directives, records) and computes its root.
pub fn check_file(bytes: &[u8]) -> Result<Local, String> {
	let parsed = file::parse(bytes).map_err(|e| format!("not a valid CDNI log file: {e:?}"))?;
	if !parsed.hashed {
		return Err("the file has no #SHA256-hash line: it may be truncated".into());
	}
	let mut malformed = Vec::new();
	let mut malformed_indices = Vec::new();
	let mut unsigned_indices = Vec::new();
	for (index, record) in parsed.records.iter().enumerate() {
		match Settled::parse(record.bytes) {
			Err(_) => {
				malformed.push(record.line);
				malformed_indices.push(index as u32);
			}
			Ok(settled) if settled.token_id.is_none() => unsigned_indices.push(index as u32),
			Ok(_) => {}
		}
	}
	let lines: Vec<Vec<u8>> = parsed.records.iter().map(|r| r.bytes.to_vec()).collect();
	let tree = Tree::of_lines(&lines).map_err(|e| format!("the records' sums overflow: {e:?}"))?;
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
		root: tree.root(),
		records: tree.len(),
		totals: tree.totals(),
		malformed,
		malformed_indices,
		unsigned_indices,
		remark,
		lines,
		tree,
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
	chain: &Chain,
	batch: BatchKey,
	at: Option<u64>,
) -> Result<Committed, String> {
	let at = match at {
		Some(number) => chain.api.at_block(number).await.map_err(|e| e.to_string())?,
		None => chain.best().await?,
	};
	let on_chain = settlement::batch(&at, batch).await?.ok_or_else(|| {
		format!(
			"no batch {}/{}/{} on chain at block {}: not committed, or settled already (use --at with a block of its dispute window)",
			batch.0,
			batch.1,
			batch.2,
			at.block_number()
		)
	})?;
	let signing_required = settlement::request_signing(&at, batch.0).await?.required_in(batch.2);
	Ok(Committed {
		root: on_chain.root,
		records: on_chain.records,
		totals: on_chain.totals,
		signing_required,
	})
}

/// A dispute that a mismatch calls for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Dispute {
	/// The committed root is the file's, and record `index` is not a record
	/// of the contract: the batch is void.
	Malformed { index: u32 },
	/// The committed root is the file's but the committed totals are not
	/// the records': any record's proof shows it.
	Sums { index: u32 },
	/// The committed root is the file's, the contract required signed
	/// requests, and record `index` names no token: the batch is void.
	Unsigned { index: u32 },
	/// The committed root is not the file's: the relay committed records or
	/// sums this file does not show. It must show the record covering this
	/// byte offset of what it billed, or lose the batch.
	Challenge { offset: u64 },
}

/// Byte challenges issued when the file does not match its root: each
/// lands on bytes no real record carries with the probability of their
/// share of the bill, so three catch a relay that inflated by half with
/// probability 7/8.
pub const CHALLENGES: usize = 3;

/// The disputes that prove the mismatch, or make the relay prove its bill;
/// `random` draws byte offsets (uniform 64-bit numbers).
pub fn disputes(local: &Local, chain: &Committed, mut random: impl FnMut() -> u64) -> Vec<Dispute> {
	if local.root.0 == chain.root {
		if let Some(&index) = local.malformed_indices.first() {
			return vec![Dispute::Malformed { index }];
		}
		if local.totals != chain.totals && local.records > 0 {
			return vec![Dispute::Sums { index: 0 }];
		}
		if let Some(&index) = local.unsigned_indices.first().filter(|_| chain.signing_required) {
			return vec![Dispute::Unsigned { index }];
		}
		return Vec::new();
	}
	if chain.totals.bytes == 0 {
		return Vec::new();
	}
	let mut offsets: Vec<u64> = (0..CHALLENGES).map(|_| random() % chain.totals.bytes).collect();
	offsets.sort_unstable();
	offsets.dedup();
	offsets.into_iter().map(|offset| Dispute::Challenge { offset }).collect()
}

impl Dispute {
	/// The call that files it.
	pub fn call(
		&self,
		local: &Local,
		key: BatchKey,
	) -> Result<DynamicPayload<Composite<()>>, String> {
		let proven = |index: u32| {
			let proof = local.tree.prove(index).map_err(|e| format!("{e:?}"))?;
			Ok::<_, String>((local.lines[index as usize].clone(), proof))
		};
		Ok(match *self {
			Dispute::Malformed { index } => {
				let (record, proof) = proven(index)?;
				settlement::dispute_malformed(key, &record, &proof)
			}
			Dispute::Sums { index } => {
				let (record, proof) = proven(index)?;
				settlement::dispute_sums(key, &record, &Totals::of(&record), &proof)
			}
			Dispute::Unsigned { index } => {
				let (record, proof) = proven(index)?;
				settlement::dispute_unsigned(key, &record, &proof)
			}
			Dispute::Challenge { offset } => settlement::challenge_bytes(key, offset),
		})
	}

	/// The call as Polkadot.js Apps names it, to submit by hand.
	pub fn text(&self, (c, r, p): BatchKey) -> String {
		match self {
			Dispute::Malformed { index } => format!(
				"cdniSettlement.disputeMalformed(({c}, {r}, {p}), <record {index}>, <its proof>)"
			),
			Dispute::Sums { index } => format!(
				"cdniSettlement.disputeSums(({c}, {r}, {p}), <record {index}>, <its totals>, <its proof>)"
			),
			Dispute::Unsigned { index } => format!(
				"cdniSettlement.disputeUnsigned(({c}, {r}, {p}), <record {index}>, <its proof>)"
			),
			Dispute::Challenge { offset } => {
				format!("cdniSettlement.challengeBytes(({c}, {r}, {p}), {offset})")
			}
		}
	}
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
	if chain.signing_required && !local.unsigned_indices.is_empty() {
		problems.push(format!(
			"{} records name no URI Signing token though the contract required signed requests (first: record {}): dispute them with dispute_unsigned",
			local.unsigned_indices.len(),
			local.unsigned_indices[0]
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
					token_id: None,
				}
				.to_line()
			})
			.collect()
	}

	fn committed_for(lines: &[Vec<u8>]) -> Committed {
		let local = check_file(&file(lines, None)).unwrap();
		Committed {
			root: local.root.0,
			records: local.records,
			totals: local.totals,
			signing_required: false,
		}
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
		let chain = Committed {
			root: local.root.0,
			records: 3,
			totals: local.totals,
			signing_required: false,
		};
		let report = compare(&local, &chain);
		assert!(report.problems.iter().any(|p| p.contains("lines [6]")));
		// The root is the relay's: the malformed record voids the batch.
		assert_eq!(disputes(&local, &chain, || 0), vec![Dispute::Malformed { index: 1 }]);
	}

	#[test]
	fn each_mismatch_calls_for_the_dispute_that_proves_it() {
		let l = lines(4);
		let local = check_file(&file(&l, None)).unwrap();
		let honest = committed_for(&l);
		assert!(disputes(&local, &honest, || 7).is_empty());
		// The file's root with inflated totals: one record's proof shows it.
		let inflated = Committed {
			totals: Totals { bytes: honest.totals.bytes * 10, ..honest.totals },
			..committed_for(&l)
		};
		assert_eq!(disputes(&local, &inflated, || 7), vec![Dispute::Sums { index: 0 }]);
		assert!(Dispute::Sums { index: 0 }.call(&local, (0, 1, 2)).is_ok());
		// Another root: the relay must show the records behind its bill, at
		// offsets drawn over the bytes it committed.
		let other = Committed { root: [9; 32], ..inflated };
		let mut draws = [5u64, 10_000 + 3, 2 * 10_000 + 999].into_iter();
		assert_eq!(
			disputes(&local, &other, || draws.next().unwrap()),
			vec![
				Dispute::Challenge { offset: 3 },
				Dispute::Challenge { offset: 5 },
				Dispute::Challenge { offset: 999 }
			]
		);
		assert_eq!(
			Dispute::Challenge { offset: 5 }.text((0, 1, 2)),
			"cdniSettlement.challengeBytes((0, 1, 2), 5)"
		);
	}

	#[test]
	fn a_record_without_a_token_where_the_contract_required_one_is_disputed() {
		// `lines` name no token: fine until the contract requires tokens.
		let l = lines(3);
		let local = check_file(&file(&l, None)).unwrap();
		assert_eq!(local.unsigned_indices, vec![0, 1, 2]);
		assert!(compare(&local, &committed_for(&l)).matches());
		let signed = Committed { signing_required: true, ..committed_for(&l) };
		let report = compare(&local, &signed);
		assert!(
			report.problems.iter().any(|p| p.contains("dispute_unsigned")),
			"{:?}",
			report.problems
		);
		assert_eq!(disputes(&local, &signed, || 0), vec![Dispute::Unsigned { index: 0 }]);
		assert!(Dispute::Unsigned { index: 0 }.call(&local, (0, 1, 2)).is_ok());
	}
}
