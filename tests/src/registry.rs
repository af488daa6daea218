//! Calls of the capacity registry, built for subxt's dynamic API.

use subxt::{
	dynamic::{self, Value},
	ext::scale_value::Composite,
	transactions::DynamicPayload,
};

/// A dynamic call.
pub type Call = DynamicPayload<Composite<()>>;

/// One OCM; the provider's calls are the devnet's.
pub use ocm_devnet::calls::{open_contract, register_provider, UNITS};
const HTTP_1_1: u128 = 1;
const TLS: u128 = 1 << 2;
const HLS: u128 = 1 << 3;

fn none() -> Value {
	Value::unnamed_variant("None", [])
}

/// One footprint in RFC 8006 text form with its capacity claim.
pub fn footprint(ty: &str, value: &str, capacity_mbps: u32) -> Value {
	Value::named_composite([
		("footprint_type", Value::from_bytes(ty)),
		("footprint_value", Value::from_bytes(value)),
		("capacity_mbps", Value::u128(capacity_mbps.into())),
	])
}

/// `CapacityRegistry.register_relay` for a relay at `http` in the Netherlands,
/// with the genesis minimum bond (100 OCM).
pub fn register_relay(http: &str, capacity_mbps: u32, footprints: Vec<Value>) -> Call {
	register_relay_bonded(http, capacity_mbps, footprints, 100 * UNITS)
}

/// `CapacityRegistry.register_relay` with a bond of `bond` planck.
pub fn register_relay_bonded(
	http: &str,
	capacity_mbps: u32,
	footprints: Vec<Value>,
	bond: u128,
) -> Call {
	let registration = Value::named_composite([
		(
			"endpoints",
			Value::named_composite([
				("http", Value::from_bytes(http)),
				("pob", Value::from_bytes(format!("{http}/.well-known/ocm/pob/v1"))),
				("amt_relay", none()),
				("multicast_source", none()),
			]),
		),
		(
			"claims",
			Value::named_composite([
				(
					"location",
					Value::named_composite([
						("country", Value::unnamed_composite([Value::from_bytes("NL")])),
						("asn", Value::u128(64_500)),
						("coordinates", none()),
					]),
				),
				("capacity_mbps", Value::u128(capacity_mbps.into())),
				("footprints", Value::unnamed_composite(footprints)),
				("capabilities", Value::unnamed_composite([Value::u128(HTTP_1_1 | TLS | HLS)])),
			]),
		),
	]);
	dynamic::tx(
		"CapacityRegistry",
		"register_relay",
		Composite::named([
			("registration".to_string(), registration),
			("bond".to_string(), Value::u128(bond)),
		]),
	)
}
