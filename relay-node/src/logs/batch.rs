//! Sealed batches: a period's spool turned into its RFC 7937 file,
//! Merkle-sum root and totals, and the inclusion proofs the relay serves
//! and answers claims with.

use ocm_cdni::{
	file,
	merkle::{self, InclusionProof, Tree},
	record::{Fields, Settled},
};
use serde::{Deserialize, Serialize};
use std::{
	io::Write,
	path::{Path, PathBuf},
};

use super::spool::BatchId;

/// What the relay commits for a batch, kept beside its file as
/// `<period>.batch` (JSON).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sealed {
	pub contract: u32,
	pub period: u32,
	/// Hex of the 32-byte root.
	pub root: String,
	pub records: u32,
	pub bytes: u64,
	pub status_2xx: u32,
	pub status_3xx: u32,
	pub status_4xx: u32,
	pub status_5xx: u32,
	/// Where the chain's record of this batch stands.
	pub state: CommitState,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CommitState {
	/// Sealed, not yet on chain.
	Sealed,
	/// On chain, disputable and answering claims until settled.
	Committed,
	/// Settled or voided: the chain is done with it.
	Done,
	/// The chain will not take it (its commit window passed).
	Abandoned,
}

pub fn log_path(dir: &Path, (contract, period): BatchId) -> PathBuf {
	dir.join(contract.to_string()).join(format!("{period}.log"))
}

pub fn meta_path(dir: &Path, (contract, period): BatchId) -> PathBuf {
	dir.join(contract.to_string()).join(format!("{period}.batch"))
}

/// Writes `bytes` to `path` through a temporary file and a rename, synced:
/// a crash leaves the old file or the new one, never half of one.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
	let tmp = path.with_extension("tmp");
	let mut file = std::fs::File::create(&tmp)?;
	file.write_all(bytes)?;
	file.sync_all()?;
	std::fs::rename(&tmp, path)?;
	if let Some(parent) = path.parent() {
		std::fs::File::open(parent)?.sync_all()?;
	}
	Ok(())
}

/// Seals the spool at `spool` into the batch's log file and metadata, then
/// removes the spool. The file is a function of the records and the batch
/// (its UUID derives from genesis, contract, relay and period), so sealing
/// again after a crash writes the same bytes.
pub fn seal(
	dir: &Path,
	batch: BatchId,
	spool: &Path,
	genesis: &[u8; 32],
	relay: u32,
	origin_name: &str,
) -> std::io::Result<Option<Sealed>> {
	let text = std::fs::read(spool)?;
	// A crash mid-write can leave a last line without its newline: it is
	// kept (the record was handed over), as a line.
	let lines: Vec<&[u8]> = text.split(|&b| b == b'\n').filter(|l| !l.is_empty()).collect();
	if lines.is_empty() {
		std::fs::remove_file(spool)?;
		return Ok(None);
	}
	let seed = file::batch_seed(genesis, batch.0, relay, batch.1);
	// The remark says which batch the file is, for `ocm-logs verify`.
	let remark = format!("ocm-batch contract={} relay={relay} period={}", batch.0, batch.1);
	let (mut writer, mut out) = file::Writer::start(
		&file::uuid_urn(&seed),
		Some(origin_name),
		Some(&remark),
		&Fields::ocm(),
	);
	let mut leaves = Vec::with_capacity(lines.len());
	for line in &lines {
		writer.record(line, &mut out);
		leaves.push(merkle::leaf(line));
	}
	out.extend(writer.finish());
	let tree = Tree::new(leaves).map_err(|e| std::io::Error::other(format!("{e:?}")))?;
	let totals = tree.totals();
	let sealed = Sealed {
		contract: batch.0,
		period: batch.1,
		root: ocm_cdni::hex(tree.root().as_bytes()),
		records: totals.requests,
		bytes: totals.bytes,
		status_2xx: totals.status_2xx,
		status_3xx: totals.status_3xx,
		status_4xx: totals.status_4xx,
		status_5xx: totals.status_5xx,
		state: CommitState::Sealed,
	};
	write_atomically(&log_path(dir, batch), &out)?;
	write_atomically(
		&meta_path(dir, batch),
		&serde_json::to_vec_pretty(&sealed).expect("plain data"),
	)?;
	std::fs::remove_file(spool)?;
	Ok(Some(sealed))
}

/// The records of a sealed batch's file, in order.
pub fn records(log: &[u8]) -> Result<Vec<Vec<u8>>, String> {
	let parsed = file::parse(log).map_err(|e| format!("{e:?}"))?;
	Ok(parsed.records.iter().map(|r| r.bytes.to_vec()).collect())
}

/// The records of a sealed batch's file and their Merkle-sum tree.
pub fn tree(log: &[u8]) -> Result<(Vec<Vec<u8>>, Tree), String> {
	let records = records(log)?;
	let tree = Tree::of_lines(&records).map_err(|e| format!("{e:?}"))?;
	Ok((records, tree))
}

/// The proof for record `index` of a batch's file.
pub fn proof(log: &[u8], index: u32) -> Result<(Vec<u8>, InclusionProof, u32), String> {
	let (records, tree) = tree(log)?;
	let proof = tree.prove(index).map_err(|e| format!("{e:?}"))?;
	Ok((records[index as usize].clone(), proof, records.len() as u32))
}

/// The index of the record with `request_id`, if the batch has one.
pub fn find_request(log: &[u8], request_id: &[u8]) -> Result<Option<u32>, String> {
	Ok(records(log)?
		.iter()
		.position(|l| Settled::parse(l).is_ok_and(|r| r.request_id == request_id))
		.map(|i| i as u32))
}

#[cfg(test)]
mod tests {
	use super::*;
	use ocm_cdni::record::HttpRequest;

	fn line(i: u64) -> Vec<u8> {
		HttpRequest {
			completed_at_ms: 1_700_000_000_000 + i,
			time_taken_us: 100,
			client_group: "198.51.100.0/24".into(),
			server_hostname: "relay.example".into(),
			method: "GET".into(),
			upstream_uri: format!("http://video.example.com/{i}.ts"),
			protocol: "HTTP/1.1".into(),
			status: if i == 2 { 503 } else { 200 },
			total_bytes: 1_000 + i,
			entity_bytes: 900,
			cached: false,
			request_id: format!("{i:032x}"),
			token_id: None,
		}
		.to_line()
	}

	fn spool(dir: &Path, lines: &[Vec<u8>]) -> PathBuf {
		let path = dir.join("0").join("4.spool");
		std::fs::create_dir_all(path.parent().unwrap()).unwrap();
		let mut text = lines.join(&b'\n');
		text.push(b'\n');
		std::fs::write(&path, text).unwrap();
		path
	}

	#[test]
	fn sealing_is_deterministic_and_every_served_proof_checks() {
		let dir = tempdir("seal");
		let lines: Vec<Vec<u8>> = (0..5).map(line).collect();
		let genesis = [7u8; 32];
		let sealed = seal(&dir, (0, 4), &spool(&dir, &lines), &genesis, 9, "relay.example")
			.unwrap()
			.unwrap();
		assert_eq!((sealed.records, sealed.bytes), (5, 5_010));
		assert_eq!((sealed.status_2xx, sealed.status_5xx), (4, 1));
		assert_eq!(sealed.state, CommitState::Sealed);
		assert!(!dir.join("0/4.spool").exists());
		let log = std::fs::read(log_path(&dir, (0, 4))).unwrap();
		let meta: Sealed =
			serde_json::from_slice(&std::fs::read(meta_path(&dir, (0, 4))).unwrap()).unwrap();
		assert_eq!(meta, sealed);
		// The file is a valid RFC 7937 file that says which batch it is.
		let parsed = file::parse(&log).unwrap();
		assert!(parsed.hashed);
		assert_eq!(parsed.claimed_origin, Some(&b"relay.example"[..]));
		assert!(String::from_utf8_lossy(&log)
			.contains("#remark:\tocm-batch contract=0 relay=9 period=4\r\n"));
		// Sealing the same records again (a crash after sealing, before the
		// spool was removed) writes the same bytes.
		let again = seal(&dir, (0, 4), &spool(&dir, &lines), &genesis, 9, "relay.example").unwrap();
		assert_eq!(again, Some(sealed.clone()));
		assert_eq!(std::fs::read(log_path(&dir, (0, 4))).unwrap(), log);
		// Each proof leads to the root.
		let root = sp_root(&sealed.root);
		for index in 0..5 {
			let (record, proof, count) = super::proof(&log, index).unwrap();
			assert_eq!(record, lines[index as usize]);
			assert!(merkle::verify(&root, count, &record, &proof));
		}
		assert_eq!(find_request(&log, format!("{:032x}", 3).as_bytes()).unwrap(), Some(3));
		assert_eq!(find_request(&log, b"nope").unwrap(), None);
		// Byte challenges find the record covering the offset.
		let (_, tree) = tree(&log).unwrap();
		assert_eq!(tree.totals().bytes, sealed.bytes);
		assert_eq!(tree.leaf_at_offset(0), Some(0));
		assert_eq!(tree.leaf_at_offset(5_009), Some(4));
		assert_eq!(tree.leaf_at_offset(5_010), None);
		assert!(super::proof(&log, 5).is_err());
		let _ = std::fs::remove_dir_all(dir);
	}

	#[test]
	fn a_torn_last_line_is_kept_and_an_empty_spool_seals_to_nothing() {
		let dir = tempdir("torn");
		let path = spool(&dir, &[line(0)]);
		let mut text = std::fs::read(&path).unwrap();
		text.extend_from_slice(&line(1)[..20]);
		std::fs::write(&path, text).unwrap();
		let sealed = seal(&dir, (0, 4), &path, &[0; 32], 1, "r").unwrap().unwrap();
		assert_eq!(sealed.records, 2);
		let path = dir.join("0").join("5.spool");
		std::fs::write(&path, b"").unwrap();
		assert_eq!(seal(&dir, (0, 5), &path, &[0; 32], 1, "r").unwrap(), None);
		assert!(!path.exists());
		let _ = std::fs::remove_dir_all(dir);
	}

	fn tempdir(tag: &str) -> PathBuf {
		let dir = std::env::temp_dir().join(format!("ocm-batch-{tag}-{}", std::process::id()));
		let _ = std::fs::remove_dir_all(&dir);
		std::fs::create_dir_all(&dir).unwrap();
		dir
	}

	fn sp_root(hex: &str) -> merkle::Root {
		let bytes: Vec<u8> =
			(0..64).step_by(2).map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap()).collect();
		merkle::Root::from_slice(&bytes)
	}
}
