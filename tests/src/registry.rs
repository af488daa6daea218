//! Calls of the capacity registry, built for subxt's dynamic API.

use subxt::{
	dynamic::{self, Value},
	ext::scale_value::Composite,
	transactions::DynamicPayload,
};

/// A dynamic call.
pub type Call = DynamicPayload<Composite<()>>;

/// One OCM.
pub const UNITS: u128 = 1_000_000_000_000;
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

/// `CapacityRegistry.register_provider` named `name`, owning `host`.
pub fn register_provider(name: &str, host: &str) -> Call {
	dynamic::tx(
		"CapacityRegistry",
		"register_provider",
		Composite::unnamed([
			Value::from_bytes(name),
			Value::unnamed_composite([Value::from_bytes(host)]),
		]),
	)
}

/// `CdniSettlement.open_contract` for `host` from `origin`, worldwide, with
/// `budget` in escrow at `price_per_gb`, from block `start` to `end`, and an
/// SLA of 10 Mbit/s verified, at most 5 % errors, Active relays only, 10 %
/// withheld per broken term.
pub fn open_contract(
	host: &str,
	origin: &str,
	price_per_gb: u128,
	budget: u128,
	start: u128,
	end: u128,
) -> Call {
	let terms = Value::named_composite([
		("hosts", Value::unnamed_composite([Value::from_bytes(host)])),
		("origin", Value::from_bytes(origin)),
		("price_per_gb", Value::u128(price_per_gb)),
		("budget", Value::u128(budget)),
		("footprint", Value::unnamed_composite([])),
		(
			"sla",
			Value::named_composite([
				("min_verified_mbps", Value::u128(10)),
				("max_error_share", Value::unnamed_composite([Value::u128(50_000_000)])),
				("require_active", Value::bool(true)),
				("penalty", Value::unnamed_composite([Value::u128(100_000_000)])),
			]),
		),
		("start", Value::u128(start)),
		("end", Value::u128(end)),
	]);
	dynamic::tx("CdniSettlement", "open_contract", Composite::unnamed([terms]))
}
