//! The board governs the market on the real `ocm-node --dev`: a motion to
//! raise the minimum relay bond is proposed, voted and closed through the
//! `Council` pallet's extrinsics, the new value is read back over RPC, the
//! event names the motion, and the next registration must bond the new
//! minimum.

use ocm_e2e::{
	board_motion, find,
	registry::{footprint, register_relay_bonded, UNITS},
	submit, value_bytes, Api, DevNode,
};
use subxt::{
	dynamic::{self, At, Value},
	ext::scale_value::Composite,
};
use subxt_signer::sr25519::dev;

async fn min_relay_bond(api: &Api) -> u128 {
	let parameters: Value = api
		.at_current_block()
		.await
		.expect("finalized block")
		.storage()
		.fetch(dynamic::storage::<(), Value>("Governance", "Parameters"), ())
		.await
		.expect("Governance.Parameters")
		.decode()
		.expect("decodes");
	parameters.at("min_relay_bond").and_then(|v| v.as_u128()).expect("min_relay_bond")
}

#[tokio::test(flavor = "multi_thread")]
async fn a_board_motion_raises_the_minimum_relay_bond() {
	let node = DevNode::start();
	let api = node.connect().await;
	assert_eq!(min_relay_bond(&api).await, 100 * UNITS, "the genesis value");

	let raise = dynamic::tx(
		"Governance",
		"set_parameter",
		Composite::unnamed([Value::unnamed_variant("MinRelayBond", [Value::u128(250 * UNITS)])]),
	);
	// A lone member cannot set it directly.
	let direct = dynamic::tx(
		"Governance",
		"set_parameter",
		Composite::unnamed([Value::unnamed_variant("MinRelayBond", [Value::u128(1)])]),
	);
	assert_eq!(submit(&api, &direct, &dev::alice()).await.unwrap_err(), "BadOrigin");

	let closed = board_motion(&api, raise).await;
	let executed = &find(&closed, "Council", "Executed").fields;
	let set = &find(&closed, "Governance", "ParameterSet").fields;
	assert_eq!(
		value_bytes(set.at("motion").expect("motion")),
		value_bytes(executed.at("proposal_hash").expect("proposal_hash")),
		"the event names the motion that passed it"
	);
	assert_eq!(min_relay_bond(&api).await, 250 * UNITS, "read back over RPC");

	let relay = |bond| {
		register_relay_bonded(
			"https://gov.edge.example.net",
			100,
			vec![footprint("countrycode", "de", 100)],
			bond,
		)
	};
	assert_eq!(
		submit(&api, &relay(100 * UNITS), &dev::dave()).await.unwrap_err(),
		"CapacityRegistry::BondTooLow"
	);
	submit(&api, &relay(250 * UNITS), &dev::dave()).await.expect("the new minimum is enough");
}
