//! `--chain local`: three validator nodes (Alice, Bob, Charlie) on loopback
//! find each other, author in turn (BABE) and finalize the same chain (GRANDPA).

use ocm_e2e::{peer_id, DevNode};
use std::time::Duration;
use subxt::{config::substrate::DigestItem, ext::codec::Decode};

// Validators on a non-dev chain must be given their network key.
const ALICE_NODE_KEY: &str = "0000000000000000000000000000000000000000000000000000000000000001";
const BOB_NODE_KEY: &str = "0000000000000000000000000000000000000000000000000000000000000002";
const CHARLIE_NODE_KEY: &str = "0000000000000000000000000000000000000000000000000000000000000003";

#[tokio::test(flavor = "multi_thread")]
async fn three_validators_author_and_finalize_one_chain() {
	let alice = DevNode::start_with(&["--chain", "local", "--alice", "--node-key", ALICE_NODE_KEY]);
	let boot = alice.bootnode(&peer_id(ALICE_NODE_KEY));
	let bob = DevNode::start_with(&[
		"--chain",
		"local",
		"--bob",
		"--node-key",
		BOB_NODE_KEY,
		"--bootnodes",
		&boot,
	]);
	let charlie = DevNode::start_with(&[
		"--chain",
		"local",
		"--charlie",
		"--node-key",
		CHARLIE_NODE_KEY,
		"--bootnodes",
		&boot,
	]);

	let nodes = [&alice, &bob, &charlie];
	let apis = [alice.connect().await, bob.connect().await, charlie.connect().await];

	// GRANDPA needs two of the three voters: finality proves they are connected.
	let target = 6;
	let mut hashes = Vec::new();
	for (api, node) in apis.iter().zip(nodes) {
		node.wait_finalized(api, target, Duration::from_secs(120)).await;
		hashes.push(api.at_block(target).await.expect("finalized block is readable").block_hash());
	}
	assert!(
		hashes.windows(2).all(|w| w[0] == w[1]),
		"nodes finalized different blocks: {hashes:?}"
	);

	// BABE draws each slot's author: primaries by VRF lottery, the rest
	// round-robin as secondaries; all three authorities take turns.
	let at = apis[0].at_block(target).await.unwrap();
	let authorities: Vec<([u8; 32], u64)> = at
		.storage()
		.fetch(subxt::dynamic::storage::<(), Vec<([u8; 32], u64)>>("Babe", "Authorities"), ())
		.await
		.expect("Babe.Authorities")
		.decode()
		.expect("decodes");
	assert_eq!(authorities.len(), 3);

	// Each block's BABE pre-digest names its author's index: the digest is
	// the enum tag (1 primary, 2 secondary plain, 3 secondary VRF), then the
	// authority index and the slot.
	let mut authors = std::collections::BTreeSet::new();
	for number in 1..=target {
		let header = apis[1].at_block(number).await.unwrap().block_header().await.unwrap();
		let (kind, author, _slot) = header
			.digest
			.logs
			.iter()
			.find_map(|item| match item {
				DigestItem::PreRuntime([b'B', b'A', b'B', b'E'], data) => {
					<(u8, u32, u64)>::decode(&mut &data[..]).ok()
				}
				_ => None,
			})
			.unwrap_or_else(|| panic!("block {number} has no BABE pre-digest"));
		// Secondary plain slots carry no VRF output; this chain allows none.
		assert!(kind == 1 || kind == 3, "block {number}: pre-digest kind {kind}");
		assert!((author as usize) < authorities.len());
		authors.insert(author);
	}
	assert!(authors.len() >= 2, "one validator authored every block: {authors:?}");
}
