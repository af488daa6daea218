//! The capacity registry on the real `ocm-node --dev`: relays and a provider
//! register through the node, bad input is refused with the pallet's errors,
//! the board activates one relay by motion, and the node's `capacity_*` RPC
//! answers which relays serve a client and with what FCI advertisement.

use ocm_e2e::{
	board_motion, find,
	registry::{footprint, register_relay, Call},
	submit, Api, DevNode,
};
use serde_json::{json, Value as Json};
use subxt::{
	dynamic::{self, At, Value},
	ext::scale_value::Composite,
	rpcs::{rpc_params, RpcClient},
};
use subxt_signer::sr25519::{dev, Keypair};

async fn registered(api: &Api, call: &Call, who: &Keypair) -> u32 {
	let events = submit(api, call, who).await.expect("registration succeeds");
	let fields = &find(&events, "CapacityRegistry", "RelayRegistered").fields;
	fields.at("relay").and_then(|v| v.as_u128()).expect("relay id") as u32
}

async fn relays_for(rpc: &RpcClient, client: &str, min_capacity_mbps: u32) -> Vec<Json> {
	rpc.request("capacity_relaysFor", rpc_params![client, min_capacity_mbps])
		.await
		.unwrap_or_else(|e| panic!("capacity_relaysFor({client}): {e}"))
}

#[tokio::test(flavor = "multi_thread")]
async fn registrations_through_the_node_answer_the_footprint_query() {
	let node = DevNode::start();
	let api = node.connect().await;
	let rpc = RpcClient::from_insecure_url(node.ws_url()).await.expect("RPC client");
	let (alice, bob, dave, eve, ferdie) =
		(dev::alice(), dev::bob(), dev::dave(), dev::eve(), dev::ferdie());

	// Independent transactions from different accounts go in together.
	let ams = register_relay(
		"https://ams.edge.example.net",
		10_000,
		vec![
			footprint("ipv4cidr", "10.0.0.0/8", 10_000),
			footprint("ipv4cidr", "10.1.0.0/16", 2_000),
			footprint("asn", "as64500", 8_000),
			footprint("countrycode", "nl", 10_000),
		],
	);
	let rtm = register_relay(
		"https://rtm.edge.example.net",
		5_000,
		vec![footprint("ipv6cidr", "2001:db8::/32", 5_000), footprint("countrycode", "nl", 5_000)],
	);
	let provider = dynamic::tx(
		"CapacityRegistry",
		"register_provider",
		(
			Value::from_bytes("Ferdie Streams"),
			Value::unnamed_composite([Value::from_bytes("live.ferdie.example")]),
		),
	);
	// Bad input is refused by the pallet, with its own error, through the node.
	let host_bits = register_relay(
		"https://x.example.net",
		100,
		vec![footprint("ipv4cidr", "10.1.2.3/8", 100)],
	);
	let unknown =
		register_relay("https://y.example.net", 100, vec![footprint("geohash", "u173", 100)]);
	let (amsterdam, rotterdam, provided, host_bits, unknown) = tokio::join!(
		registered(&api, &ams, &dave),
		registered(&api, &rtm, &eve),
		submit(&api, &provider, &ferdie),
		submit(&api, &host_bits, &alice),
		submit(&api, &unknown, &bob),
	);
	find(&provided.expect("provider registers"), "CapacityRegistry", "ProviderRegistered");
	assert_eq!(host_bits.unwrap_err(), "CapacityRegistry::CidrHostBitsSet");
	assert_eq!(unknown.unwrap_err(), "CapacityRegistry::UnknownFootprintType");
	let duplicate =
		register_relay("https://ams.edge.example.net", 100, vec![footprint("asn", "as64501", 100)]);
	assert_eq!(
		submit(&api, &duplicate, &ferdie).await.unwrap_err(),
		"CapacityRegistry::DuplicateEndpoint"
	);

	// Pending relays serve nobody yet.
	assert_eq!(relays_for(&rpc, "10.1.2.3", 1).await, Vec::<Json>::new());

	// The board vouches for Amsterdam at 8 Gbit/s; Rotterdam stays Pending.
	let closed = board_motion(
		&api,
		dynamic::tx(
			"CapacityRegistry",
			"activate_relay",
			Composite::unnamed([Value::u128(amsterdam.into()), Value::u128(8_000)]),
		),
	)
	.await;
	find(&closed, "CapacityRegistry", "RelayActivated");

	// Longest prefix: the /16 claim of 2 Gbit/s, capped by nothing.
	let answer = relays_for(&rpc, "10.1.2.3", 1).await;
	assert_eq!(answer.len(), 1, "{answer:?}");
	assert_eq!(answer[0]["relay"], amsterdam);
	assert_eq!(answer[0]["http"], "https://ams.edge.example.net");
	assert_eq!(
		answer[0]["footprint"],
		json!({"footprint-type": "ipv4cidr", "footprint-value": ["10.1.0.0/16"]})
	);
	assert_eq!(answer[0]["capacityMbps"], 2_000);
	assert_eq!(answer[0]["verifiedMbps"], 8_000);
	assert_eq!(answer[0]["operator"], "5DAAnrj7VHTznn2AWBemMuyBwZWs6FNFjdyVXUeYum3PTXFy");
	// Elsewhere in 10/8: the /8 claim, capped by the verified 8 Gbit/s.
	assert_eq!(relays_for(&rpc, "10.200.0.1", 1).await[0]["capacityMbps"], 8_000);
	assert_eq!(relays_for(&rpc, "10.1.2.3", 2_001).await, Vec::<Json>::new());
	assert_eq!(relays_for(&rpc, "AS64500", 1).await[0]["relay"], amsterdam);
	assert_eq!(relays_for(&rpc, "nl", 1).await.len(), 1, "Rotterdam is still Pending");
	assert_eq!(relays_for(&rpc, "2001:db8::1", 1).await, Vec::<Json>::new());
	assert_eq!(relays_for(&rpc, "192.0.2.1", 1).await, Vec::<Json>::new());

	let bad = rpc
		.request::<Json>("capacity_relaysFor", rpc_params!["not-a-client", 1])
		.await
		.expect_err("an unparsable client is refused");
	assert!(bad.to_string().contains("is not an IP address"), "{bad}");

	let fci: Json = rpc
		.request("capacity_fciAdvertisement", rpc_params![rotterdam])
		.await
		.expect("FCI advertisement");
	let caps = fci["capabilities"].as_array().expect("capabilities array");
	assert_eq!(caps[0]["capability-type"], "FCI.DeliveryProtocol");
	assert_eq!(caps[0]["capability-value"]["delivery-protocols"], json!(["http/1.1", "https/1.1"]));
	assert_eq!(
		caps[0]["footprints"],
		json!([
			{"footprint-type": "ipv6cidr", "footprint-value": ["2001:db8::/32"]},
			{"footprint-type": "countrycode", "footprint-value": ["nl"]},
		])
	);
	assert_eq!(caps.last().unwrap()["capability-value"]["status"], "pending");
	let missing: Json = rpc
		.request("capacity_fciAdvertisement", rpc_params![999])
		.await
		.expect("null for an unknown relay");
	assert_eq!(missing, Json::Null);
}
