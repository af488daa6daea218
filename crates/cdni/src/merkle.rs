//! The Merkle tree over a batch's records, as the relay commits it and the
//! settlement pallet checks it.
//!
//! The tree is polkadot-sdk's `binary-merkle-tree` with BLAKE2-256 (an odd
//! node is promoted, not duplicated). Its leaves are the records' lines,
//! exactly as the log file carries them without the line ending, hashed
//! twice: `leaf = H(H(line))`. An inner node is the hash of 64 bytes (two
//! child hashes) while a leaf is the hash of 32 bytes, so no inner node can
//! be passed off as a record: without the second hash a challenger could
//! present two child hashes as a "malformed record" and void an honest
//! batch.
//!
//! The committed root binds the record count too, `root = H(count_le ||
//! tree_root)`: a tree alone does not fix its width (leaf 0 of 3 and of 4
//! leaves has the same path), and settlement pays by the committed count.

use alloc::vec::Vec;
use codec::{Decode, DecodeWithMemTracking, Encode};
use scale_info::TypeInfo;
use sp_core::H256;
use sp_runtime::traits::{BlakeTwo256, Hash};

/// A batch's Merkle root.
pub type Root = H256;

/// The tree's leaf for one record line (without its line ending).
pub fn leaf_hash(line: &[u8]) -> H256 {
	BlakeTwo256::hash(BlakeTwo256::hash(line).as_bytes())
}

/// The committed root: the record count, then the tree's root.
fn bind_count(count: u32, tree_root: H256) -> Root {
	let mut preimage = [0u8; 36];
	preimage[..4].copy_from_slice(&count.to_le_bytes());
	preimage[4..].copy_from_slice(tree_root.as_bytes());
	BlakeTwo256::hash(&preimage)
}

/// The root over leaves already hashed with [`leaf_hash`].
pub fn root_of_leaves(leaves: &[H256]) -> Root {
	let tree = binary_merkle_tree::merkle_root_raw::<BlakeTwo256, _>(leaves.iter().copied());
	bind_count(leaves.len() as u32, tree)
}

/// The root over record lines.
pub fn root<L: AsRef<[u8]>>(lines: impl IntoIterator<Item = L>) -> Root {
	let leaves: Vec<H256> = lines.into_iter().map(|line| leaf_hash(line.as_ref())).collect();
	root_of_leaves(&leaves)
}

/// What proves that one record is in a batch: the sibling hashes from the
/// leaf up. With the record's line, its index and the batch's record count
/// it rebuilds the root.
#[derive(Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, TypeInfo, Debug)]
pub struct InclusionProof {
	/// The record's position in the batch, from 0.
	pub index: u32,
	/// Sibling hashes, leaf level first.
	pub siblings: Vec<H256>,
}

/// Errors building a proof.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum ProofError {
	/// The index is not below the number of leaves.
	IndexOutOfRange,
}

/// The proof for leaf `index` among `leaves` (hashed with [`leaf_hash`]).
pub fn prove(leaves: &[H256], index: u32) -> Result<InclusionProof, ProofError> {
	if index as usize >= leaves.len() {
		return Err(ProofError::IndexOutOfRange);
	}
	let proof =
		binary_merkle_tree::merkle_proof_raw::<BlakeTwo256, _>(leaves.iter().copied(), index);
	Ok(InclusionProof { index, siblings: proof.proof })
}

/// The number of siblings on the path of leaf `index` in a tree of `leaves`
/// leaves: one per level, except where the node is promoted (odd last).
pub fn path_length(index: u32, leaves: u32) -> u32 {
	let (mut position, mut width, mut length) = (index, leaves, 0);
	while width > 1 {
		let promoted = width % 2 == 1 && position == width - 1;
		if !promoted {
			length += 1;
		}
		position /= 2;
		width = width.div_ceil(2);
	}
	length
}

/// The root that `line` at `proof.index` in a batch of `leaves` records
/// leads to, or `None` if the proof cannot be one: an index out of range or
/// a path of the wrong length (so no inner node passes for a leaf and no
/// extra hashes ride along).
pub fn root_from_proof(leaves: u32, line: &[u8], proof: &InclusionProof) -> Option<Root> {
	if proof.index >= leaves || proof.siblings.len() != path_length(proof.index, leaves) as usize {
		return None;
	}
	// Rebuild the tree's root from the leaf up, as `binary_merkle_tree`
	// pairs nodes: a node at an odd position is the right-hand child; the
	// last node of an odd level is promoted without hashing.
	let (mut position, mut width, mut node) = (proof.index, leaves, leaf_hash(line));
	let mut siblings = proof.siblings.iter();
	let mut pair = [0u8; 64];
	while width > 1 {
		let promoted = width % 2 == 1 && position == width - 1;
		if !promoted {
			let sibling = siblings.next()?;
			let (left, right) = if position % 2 == 1 { (sibling, &node) } else { (&node, sibling) };
			pair[..32].copy_from_slice(left.as_bytes());
			pair[32..].copy_from_slice(right.as_bytes());
			node = BlakeTwo256::hash(&pair);
		}
		position /= 2;
		width = width.div_ceil(2);
	}
	Some(bind_count(leaves, node))
}

/// Whether `line` is record `proof.index` of the batch with `root` and
/// `leaves` records.
pub fn verify(root: &Root, leaves: u32, line: &[u8], proof: &InclusionProof) -> bool {
	root_from_proof(leaves, line, proof).as_ref() == Some(root)
}

#[cfg(test)]
mod tests {
	use super::*;
	use alloc::{format, vec};

	fn lines(n: usize) -> Vec<Vec<u8>> {
		(0..n).map(|i| format!("record {i}").into_bytes()).collect()
	}

	#[test]
	fn every_record_of_every_small_tree_verifies() {
		for n in 1..=33usize {
			let lines = lines(n);
			let leaves: Vec<H256> = lines.iter().map(|l| leaf_hash(l)).collect();
			let root = root_of_leaves(&leaves);
			assert_eq!(root, super::root(&lines));
			for (i, line) in lines.iter().enumerate() {
				let proof = prove(&leaves, i as u32).unwrap();
				assert_eq!(proof.siblings.len() as u32, path_length(i as u32, n as u32));
				assert!(verify(&root, n as u32, line, &proof), "n={n} i={i}");
				// The same proof does not carry another line, another index
				// or another record count.
				assert!(!verify(&root, n as u32, b"forged", &proof));
				if n > 1 {
					let other = InclusionProof { index: ((i + 1) % n) as u32, ..proof.clone() };
					assert!(!verify(&root, n as u32, line, &other), "n={n} i={i}");
				}
				// Nor another record count: the root binds it.
				assert!(!verify(&root, n as u32 + 1, line, &proof));
			}
		}
	}

	#[test]
	fn an_inner_node_is_not_a_record() {
		let lines = lines(4);
		let leaves: Vec<H256> = lines.iter().map(|l| leaf_hash(l)).collect();
		let root = root_of_leaves(&leaves);
		// The node over leaves 0 and 1, presented as a record at index 0 with
		// the remaining sibling: the path is one hash short, and hashing the
		// node's preimage as a line gives another leaf anyway.
		let node_preimage = [leaves[0].as_bytes(), leaves[1].as_bytes()].concat();
		let node = BlakeTwo256::hash(&node_preimage);
		let upper = BlakeTwo256::hash(&[leaves[2].as_bytes(), leaves[3].as_bytes()].concat());
		let tree = BlakeTwo256::hash(&[node.as_bytes(), upper.as_bytes()].concat());
		assert_eq!(root, bind_count(4, tree));
		for index in 0..4 {
			let proof = InclusionProof { index, siblings: vec![upper] };
			assert!(!verify(&root, 4, &node_preimage, &proof));
		}
	}

	#[test]
	fn out_of_range_indices_are_refused() {
		let lines = lines(3);
		let leaves: Vec<H256> = lines.iter().map(|l| leaf_hash(l)).collect();
		assert_eq!(prove(&leaves, 3), Err(ProofError::IndexOutOfRange));
		let root = root_of_leaves(&leaves);
		let proof = InclusionProof { index: 3, siblings: vec![] };
		assert!(!verify(&root, 3, &lines[0], &proof));
		assert!(!verify(&root, 0, &lines[0], &InclusionProof { index: 0, siblings: vec![] }));
	}

	#[test]
	fn path_lengths_follow_promotion() {
		// Five leaves: 0..=3 sit under two levels of pairs plus the root's
		// pairing with leaf 4, which is promoted twice.
		assert_eq!((0..5).map(|i| path_length(i, 5)).collect::<Vec<_>>(), [3, 3, 3, 3, 1]);
		assert_eq!(path_length(0, 1), 0);
		assert_eq!(path_length(0, 2), 1);
		assert_eq!(path_length(1_000_000, 1 << 24), 24);
	}
}
