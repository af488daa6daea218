//! The Merkle-sum tree over a batch's records, as the relay commits it and
//! the settlement pallet checks it.
//!
//! Every node carries, beside its hash, the [`Totals`] of the records under
//! it, and its parent's hash covers both children's hashes and totals
//! (a Merkle-sum tree, as proof-of-reserves schemes use):
//!
//! ```text
//! leaf   = (H(H(line)), Totals::of(line))
//! parent = (H(l.hash ‖ l.sum ‖ r.hash ‖ r.sum), l.sum + r.sum)
//! root   = H(count_le ‖ top.hash ‖ top.sum)
//! ```
//!
//! What this buys on chain:
//! - a record's billed bytes and status class are a function of its line,
//!   recomputed from the line by whoever checks a proof, so a relay cannot
//!   bill a record for more than its RFC 7937 fields say and still prove it;
//! - the root binds the batch's totals: any valid proof yields the totals
//!   at the top, and if they differ from the totals committed beside the
//!   root, that one proof shows the batch lied ([`Walk::top`]);
//! - a proof also yields the byte range its record occupies in the batch
//!   ([`Walk::bytes_before`]), so a challenger can name a byte offset and
//!   the relay must open the record that covers it. Bytes no real record
//!   carries cover no offset, and a random offset lands on them with the
//!   probability of their share of the bill.
//!
//! The shape is `binary-merkle-tree`'s (an odd last node is promoted, not
//! duplicated); that crate carries no sums, hence this one. Leaves are
//! the records' lines exactly as the log file carries them, without the
//! line ending, hashed twice: a leaf's preimage is 32 bytes, an inner
//! node's 120 and the root's 64, so no node passes for another kind. The
//! root binds the record count, which fixes the tree's shape (leaf 0 of 3
//! and of 4 leaves has the same path otherwise).

use crate::totals::Totals;
use alloc::vec::Vec;
use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use scale_info::TypeInfo;
use sp_core::H256;
use sp_runtime::traits::{BlakeTwo256, Hash};

/// A batch's Merkle root.
pub type Root = H256;

/// Bytes of an encoded [`Totals`]: `u64` and five `u32`s.
const SUM_LEN: usize = 28;

/// A node of the tree: its hash and what the records under it add up to.
#[derive(
	Clone,
	Copy,
	PartialEq,
	Eq,
	Default,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Debug,
)]
pub struct Node {
	pub hash: H256,
	pub sum: Totals,
}

/// The hash of a record line's leaf (without its line ending).
pub fn leaf_hash(line: &[u8]) -> H256 {
	BlakeTwo256::hash(BlakeTwo256::hash(line).as_bytes())
}

/// A record line's leaf: its hash and what it bills.
pub fn leaf(line: &[u8]) -> Node {
	Node { hash: leaf_hash(line), sum: Totals::of(line) }
}

fn encode_sum(sum: &Totals, out: &mut [u8]) {
	out[..8].copy_from_slice(&sum.bytes.to_le_bytes());
	for (i, n) in [sum.requests, sum.status_2xx, sum.status_3xx, sum.status_4xx, sum.status_5xx]
		.into_iter()
		.enumerate()
	{
		out[8 + 4 * i..12 + 4 * i].copy_from_slice(&n.to_le_bytes());
	}
}

/// The parent of two nodes; `None` if their sums overflow.
fn parent(left: &Node, right: &Node) -> Option<Node> {
	let sum = left.sum.checked_add(&right.sum)?;
	let mut preimage = [0u8; 2 * (32 + SUM_LEN)];
	let (l, r) = preimage.split_at_mut(32 + SUM_LEN);
	l[..32].copy_from_slice(left.hash.as_bytes());
	encode_sum(&left.sum, &mut l[32..]);
	r[..32].copy_from_slice(right.hash.as_bytes());
	encode_sum(&right.sum, &mut r[32..]);
	Some(Node { hash: BlakeTwo256::hash(&preimage), sum })
}

/// The committed root: the record count, then the top node's hash and sum.
fn bind(count: u32, top: &Node) -> Root {
	let mut preimage = [0u8; 4 + 32 + SUM_LEN];
	preimage[..4].copy_from_slice(&count.to_le_bytes());
	preimage[4..36].copy_from_slice(top.hash.as_bytes());
	encode_sum(&top.sum, &mut preimage[36..]);
	BlakeTwo256::hash(&preimage)
}

/// Errors building a tree or a proof.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum TreeError {
	/// The leaves' sums overflow a field of [`Totals`].
	Overflow,
	/// More than `u32::MAX` leaves.
	TooManyLeaves,
	/// The index is not below the number of leaves.
	IndexOutOfRange,
}

/// A whole tree, level by level (leaves first), to take roots and proofs from.
#[derive(Clone, Debug)]
pub struct Tree {
	levels: Vec<Vec<Node>>,
}

impl Tree {
	/// Builds the tree over `leaves` (see [`leaf`]).
	pub fn new(leaves: Vec<Node>) -> Result<Tree, TreeError> {
		u32::try_from(leaves.len()).map_err(|_| TreeError::TooManyLeaves)?;
		let mut levels = alloc::vec![leaves];
		while levels.last().is_some_and(|level| level.len() > 1) {
			let below = levels.last().expect("checked above");
			let mut level = Vec::with_capacity(below.len().div_ceil(2));
			for pair in below.chunks(2) {
				level.push(match pair {
					[left, right] => parent(left, right).ok_or(TreeError::Overflow)?,
					[promoted] => *promoted,
					_ => unreachable!("chunks of two"),
				});
			}
			levels.push(level);
		}
		Ok(Tree { levels })
	}

	/// The tree over record lines.
	pub fn of_lines<L: AsRef<[u8]>>(lines: impl IntoIterator<Item = L>) -> Result<Tree, TreeError> {
		Tree::new(lines.into_iter().map(|line| leaf(line.as_ref())).collect())
	}

	/// Leaves in the tree.
	pub fn len(&self) -> u32 {
		self.levels[0].len() as u32
	}

	pub fn is_empty(&self) -> bool {
		self.levels[0].is_empty()
	}

	/// The top node (an empty tree's is all zeroes).
	pub fn top(&self) -> Node {
		self.levels.last().and_then(|level| level.first()).copied().unwrap_or_default()
	}

	/// What the leaves add up to: the batch's totals.
	pub fn totals(&self) -> Totals {
		self.top().sum
	}

	/// The root a relay commits.
	pub fn root(&self) -> Root {
		bind(self.len(), &self.top())
	}

	/// The leaf at `index`.
	pub fn leaf(&self, index: u32) -> Option<Node> {
		self.levels[0].get(index as usize).copied()
	}

	/// The proof for leaf `index`.
	pub fn prove(&self, index: u32) -> Result<InclusionProof, TreeError> {
		if index >= self.len() {
			return Err(TreeError::IndexOutOfRange);
		}
		let mut siblings = Vec::new();
		let mut position = index as usize;
		for level in &self.levels[..self.levels.len() - 1] {
			let sibling = position ^ 1;
			// The last node of an odd level has no sibling: it is promoted.
			if let Some(node) = level.get(sibling) {
				siblings.push(*node);
			}
			position /= 2;
		}
		Ok(InclusionProof { index, siblings })
	}

	/// The index of the leaf whose byte range holds `offset`, the first
	/// byte of the batch being offset 0: what a byte challenge asks for.
	pub fn leaf_at_offset(&self, offset: u64) -> Option<u32> {
		if offset >= self.totals().bytes {
			return None;
		}
		// Down from the top: go right past the left child's bytes.
		let (mut position, mut offset) = (0usize, offset);
		for depth in (0..self.levels.len() - 1).rev() {
			let level = &self.levels[depth];
			let left = position * 2;
			match level.get(left + 1) {
				Some(_) if offset >= level[left].sum.bytes => {
					offset -= level[left].sum.bytes;
					position = left + 1;
				}
				_ => position = left,
			}
		}
		Some(position as u32)
	}
}

/// The root over record lines (`None` only if their sums overflow).
pub fn root<L: AsRef<[u8]>>(lines: impl IntoIterator<Item = L>) -> Option<Root> {
	Tree::of_lines(lines).ok().map(|tree| tree.root())
}

/// What proves that one record is in a batch: the sibling nodes (hash and
/// sum) from the leaf up. With the record's line, its index and the
/// batch's record count it rebuilds the root.
#[derive(Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, TypeInfo, Debug)]
pub struct InclusionProof {
	/// The record's position in the batch, from 0.
	pub index: u32,
	/// Sibling nodes, leaf level first.
	pub siblings: Vec<Node>,
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

/// What a proof shows once walked from its leaf to the top.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Walk {
	/// The root the proof leads to.
	pub root: Root,
	/// The totals at the top: the batch's totals, if the root is the batch's.
	pub top: Totals,
	/// The bytes of every record before this one: the record covers byte
	/// offsets `bytes_before .. bytes_before + leaf.sum.bytes` of the batch.
	pub bytes_before: u64,
}

/// Walks `proof` up from `leaf` in a batch of `leaves` records, or `None`
/// if it cannot be a proof: an index out of range, a path of the wrong
/// length (so no inner node passes for a leaf and no extra nodes ride
/// along) or sums that overflow.
pub fn walk(leaves: u32, leaf: Node, proof: &InclusionProof) -> Option<Walk> {
	if proof.index >= leaves || proof.siblings.len() != path_length(proof.index, leaves) as usize {
		return None;
	}
	let (mut position, mut width, mut node) = (proof.index, leaves, leaf);
	let mut bytes_before = 0u64;
	let mut siblings = proof.siblings.iter();
	while width > 1 {
		let promoted = width % 2 == 1 && position == width - 1;
		if !promoted {
			let sibling = siblings.next()?;
			node = if position % 2 == 1 {
				bytes_before = bytes_before.checked_add(sibling.sum.bytes)?;
				parent(sibling, &node)?
			} else {
				parent(&node, sibling)?
			};
		}
		position /= 2;
		width = width.div_ceil(2);
	}
	Some(Walk { root: bind(leaves, &node), top: node.sum, bytes_before })
}

/// The root that `line` at `proof.index` in a batch of `leaves` records
/// leads to, with its leaf's sum taken from the line.
pub fn root_from_proof(leaves: u32, line: &[u8], proof: &InclusionProof) -> Option<Root> {
	walk(leaves, leaf(line), proof).map(|walk| walk.root)
}

/// Whether `line` is record `proof.index` of the batch with `root` and
/// `leaves` records.
pub fn verify(root: &Root, leaves: u32, line: &[u8], proof: &InclusionProof) -> bool {
	root_from_proof(leaves, line, proof).as_ref() == Some(root)
}

#[cfg(test)]
mod tests {
	use super::*;
	use crate::record::HttpRequest;
	use alloc::{format, vec};

	fn record(i: usize, bytes: u64, status: u16) -> Vec<u8> {
		HttpRequest {
			completed_at_ms: 1_700_000_000_000 + i as u64,
			time_taken_us: 100,
			client_group: "198.51.100.0/24".into(),
			server_hostname: "relay.example".into(),
			method: "GET".into(),
			upstream_uri: format!("http://video.example/{i}.ts"),
			protocol: "HTTP/1.1".into(),
			status,
			total_bytes: bytes,
			entity_bytes: bytes.saturating_sub(100),
			cached: true,
			request_id: format!("{i:032x}"),
			token_id: None,
		}
		.to_line()
	}

	fn lines(n: usize) -> Vec<Vec<u8>> {
		(0..n).map(|i| record(i, 1_000 + i as u64, if i % 7 == 3 { 503 } else { 200 })).collect()
	}

	#[test]
	fn every_record_of_every_small_tree_verifies_and_covers_its_bytes() {
		for n in 1..=33usize {
			let lines = lines(n);
			let tree = Tree::of_lines(&lines).unwrap();
			let root = tree.root();
			let mut expected = Totals::default();
			lines.iter().for_each(|l| {
				expected.add(l);
			});
			assert_eq!(tree.totals(), expected);
			let mut offset = 0u64;
			for (i, line) in lines.iter().enumerate() {
				let proof = tree.prove(i as u32).unwrap();
				assert_eq!(proof.siblings.len() as u32, path_length(i as u32, n as u32));
				let walk = walk(n as u32, leaf(line), &proof).unwrap();
				assert_eq!(walk, Walk { root, top: expected, bytes_before: offset }, "n={n} i={i}");
				// Every byte of the record leads back to it.
				let bytes = Totals::of(line).bytes;
				assert_eq!(tree.leaf_at_offset(offset), Some(i as u32));
				assert_eq!(tree.leaf_at_offset(offset + bytes - 1), Some(i as u32));
				offset += bytes;
				// The same proof does not carry another line, another index
				// or another record count.
				assert!(!verify(&root, n as u32, b"forged", &proof));
				if n > 1 {
					let other = InclusionProof { index: ((i + 1) % n) as u32, ..proof.clone() };
					assert!(!verify(&root, n as u32, line, &other), "n={n} i={i}");
				}
				assert!(!verify(&root, n as u32 + 1, line, &proof));
			}
			assert_eq!(offset, expected.bytes);
			assert_eq!(tree.leaf_at_offset(offset), None);
		}
	}

	#[test]
	fn a_leaf_billed_above_its_line_proves_only_with_the_lie_shown() {
		// The relay builds its tree with record 2 billed at 98 GB.
		let lines = lines(5);
		let mut leaves: Vec<Node> = lines.iter().map(|l| leaf(l)).collect();
		leaves[2].sum.bytes = 98_000_000_000;
		let tree = Tree::new(leaves.clone()).unwrap();
		let root = tree.root();
		assert!(tree.totals().bytes > 98_000_000_000);
		let proof = tree.prove(2).unwrap();
		// Its line cannot be proven: the checker takes the sum from the line.
		assert!(!verify(&root, 5, &lines[2], &proof));
		// Shown with the leaf the relay used, the proof leads to the root,
		// and the line's own fields disagree with that leaf: the fraud proof.
		let walked = walk(5, leaves[2], &proof).unwrap();
		assert_eq!(walked.root, root);
		assert_ne!(leaves[2].sum, Totals::of(&lines[2]));
		// The other records still prove, and their siblings reveal the lie.
		let neighbour = tree.prove(3).unwrap();
		assert!(verify(&root, 5, &lines[3], &neighbour));
		assert_eq!(neighbour.siblings[0], leaves[2]);
	}

	#[test]
	fn the_root_binds_the_totals() {
		let lines = lines(4);
		let tree = Tree::of_lines(&lines).unwrap();
		let proof = tree.prove(0).unwrap();
		let walked = walk(4, leaf(&lines[0]), &proof).unwrap();
		assert_eq!(walked.top, tree.totals());
		// The same top hash with inflated totals is another root.
		let mut inflated = tree.top();
		inflated.sum.bytes += 1;
		assert_ne!(bind(4, &inflated), tree.root());
	}

	#[test]
	fn an_inner_node_is_not_a_record() {
		let lines = lines(4);
		let tree = Tree::of_lines(&lines).unwrap();
		let leaves: Vec<Node> = lines.iter().map(|l| leaf(l)).collect();
		let node = parent(&leaves[0], &leaves[1]).unwrap();
		let upper = parent(&leaves[2], &leaves[3]).unwrap();
		assert_eq!(tree.top(), parent(&node, &upper).unwrap());
		// The inner node itself, presented as a leaf with the remaining
		// sibling: the path is one node short.
		for index in 0..4 {
			let proof = InclusionProof { index, siblings: vec![upper] };
			assert!(walk(4, node, &proof).is_none());
		}
	}

	#[test]
	fn sums_that_overflow_make_no_tree_and_no_proof() {
		let mut big = leaf(&record(0, 10, 200));
		big.sum.bytes = u64::MAX;
		let small = leaf(&record(1, 10, 200));
		assert_eq!(Tree::new(vec![big, small]).unwrap_err(), TreeError::Overflow);
		let proof = InclusionProof { index: 1, siblings: vec![big] };
		assert!(walk(2, small, &proof).is_none());
	}

	#[test]
	fn out_of_range_indices_and_offsets_are_refused() {
		let lines = lines(3);
		let tree = Tree::of_lines(&lines).unwrap();
		assert_eq!(tree.prove(3), Err(TreeError::IndexOutOfRange));
		let root = tree.root();
		let proof = InclusionProof { index: 3, siblings: vec![] };
		assert!(!verify(&root, 3, &lines[0], &proof));
		assert!(!verify(&root, 0, &lines[0], &InclusionProof { index: 0, siblings: vec![] }));
		assert_eq!(tree.leaf_at_offset(u64::MAX), None);
		let empty = Tree::new(vec![]).unwrap();
		assert_eq!(empty.leaf_at_offset(0), None);
		assert_eq!(empty.totals(), Totals::default());
	}

	#[test]
	fn a_malformed_line_is_a_request_of_no_bytes() {
		let lines = vec![record(0, 500, 200), b"junk".to_vec(), record(2, 700, 200)];
		let tree = Tree::of_lines(&lines).unwrap();
		assert_eq!(tree.totals().requests, 3);
		assert_eq!(tree.totals().bytes, 1_200);
		assert_eq!(tree.leaf_at_offset(500), Some(2));
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
