//! The provider's calls, built for subxt's dynamic API: what the devnet
//! submits to set up its contract, and what the tests submit.

use subxt::{
	dynamic::{self, Value},
	ext::scale_value::Composite,
	transactions::DynamicPayload,
};

/// A dynamic call.
pub type Call = DynamicPayload<Composite<()>>;

/// One OCM (12 decimals).
pub const UNITS: u128 = 1_000_000_000_000;

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
		("footprint", Value::unnamed_variant("Anywhere", [])),
		(
			"suppliers",
			Value::named_composite([
				("allow", Value::unnamed_composite([])),
				("deny", Value::unnamed_composite([])),
				("min_verified_mbps", Value::u128(0)),
				("required_capabilities", Value::unnamed_composite([Value::u128(0)])),
			]),
		),
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

/// The devnet's contract: `provider` (a secret URI) registers as the owner
/// of `host` and opens a contract for it from `origin`, 1,000 OCM in escrow
/// at 10 OCM per GB, for 100,000 blocks. Returns the contract's id.
pub async fn open_dev_contract(
	chain: &ocm_chain_client::Chain,
	provider: &str,
	host: &str,
	origin: &str,
) -> Result<u32, String> {
	let provider = crate::plan::key_of(provider).map_err(|e| format!("the provider's key: {e}"))?;
	chain
		.submit_signed(&register_provider("OCM devnet", host), &provider)
		.await
		.map_err(|e| format!("registering the provider: {e}"))?;
	let now = chain.best_number().await.map_err(|e| format!("the best block: {e}"))? as u128;
	let open = open_contract(host, origin, 10 * UNITS, 1_000 * UNITS, now + 2, now + 100_000);
	let events = chain
		.submit_signed(&open, &provider)
		.await
		.map_err(|e| format!("opening the contract: {e}"))?;
	events
		.iter()
		.find(|(p, e, _)| p == "CdniSettlement" && e == "ContractOpened")
		.and_then(|(_, _, fields)| ocm_chain_client::number::<u32>(fields, "contract").ok())
		.ok_or_else(|| "no ContractOpened event".into())
}
