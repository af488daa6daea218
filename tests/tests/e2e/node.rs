//! The real `ocm-node --dev`: produces and finalizes blocks, serves metadata
//! V16 over RPC, and refuses unknown chains.

use ocm_e2e::{node_binary, DevNode};
use std::{process::Command, time::Duration};
use subxt::ext::{
	codec::{Decode, Encode},
	frame_metadata::{RuntimeMetadata, RuntimeMetadataPrefixed},
};

#[tokio::test(flavor = "multi_thread")]
async fn dev_node_produces_and_finalizes_blocks_and_serves_v16_metadata() {
	let node = DevNode::start();
	let api = node.connect().await;

	// Two-second slots: a handful of finalized blocks arrives within 30 s.
	node.wait_finalized(&api, 3, Duration::from_secs(60)).await;

	let at = api.at_current_block().await.expect("latest finalized block");
	assert!(at.block_number() >= 3);

	let runtime = at.runtime_apis();
	let versions = Vec::<u32>::decode(
		&mut &runtime.call_raw("Metadata_metadata_versions", None).await.unwrap()[..],
	)
	.unwrap();
	assert!(versions.contains(&16), "metadata versions {versions:?}");
	let arg = 16u32.encode();
	let opaque = Option::<Vec<u8>>::decode(
		&mut &runtime.call_raw("Metadata_metadata_at_version", Some(&arg[..])).await.unwrap()[..],
	)
	.unwrap()
	.expect("the runtime offers V16");
	let prefixed = RuntimeMetadataPrefixed::decode(&mut &opaque[..]).expect("V16 decodes");
	assert!(matches!(prefixed.1, RuntimeMetadata::V16(_)));

	let pallets: Vec<&str> = at.metadata_ref().pallets().map(|p| p.name()).collect();
	for name in [
		"System",
		"Timestamp",
		"Babe",
		"Grandpa",
		"Balances",
		"TransactionPayment",
		"Council",
		"CouncilMembership",
	] {
		assert!(pallets.contains(&name), "{name} missing from {pallets:?}");
	}
	assert!(!pallets.contains(&"Sudo"));
}

#[test]
fn node_refuses_an_unknown_chain() {
	let out = Command::new(node_binary())
		.args(["build-spec", "--chain", "ocm-mainnet-that-does-not-exist"])
		.output()
		.expect("run ocm-node");
	assert!(!out.status.success());
	let stderr = String::from_utf8_lossy(&out.stderr);
	assert!(
		stderr.contains("unknown chain") && stderr.contains("dev") && stderr.contains("local"),
		"error should name the chain and list the known ones: {stderr}"
	);
}

#[test]
fn chain_spec_carries_token_properties() {
	let out = Command::new(node_binary())
		.args(["build-spec", "--chain", "dev"])
		.output()
		.expect("run ocm-node");
	assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
	let spec = String::from_utf8_lossy(&out.stdout);
	for needle in [r#""tokenSymbol": "OCM""#, r#""tokenDecimals": 12"#, r#""ss58Format": 42"#] {
		assert!(spec.contains(needle), "{needle} missing from chain spec properties");
	}
}
