//! The marketplace pallets: the capacity registry now; proof of bandwidth,
//! CDNi settlement and governance join as they land. The market parameters
//! here are constants until the governance pallet hands them to the board.

use crate::{
	Balance, Balances, BlockNumber, BoardMajority, Runtime, RuntimeHoldReason, DAYS, MINUTES, UNITS,
};
use frame_support::{parameter_types, traits::ConstU32};

parameter_types! {
	/// Enough that a relay's operator loses something real to a slash, small
	/// enough for a person at home.
	pub const MinRelayBond: Balance = 100 * UNITS;
	/// Covers a provider record with its maximal host list.
	pub const ProviderDeposit: Balance = 10 * UNITS;
	/// Long enough for proof of bandwidth and log disputes about the relay's
	/// last days of service to conclude and slash.
	pub const UnbondingPeriod: BlockNumber = 7 * DAYS;
	/// Relays heartbeat every few minutes; three missed beats and clients
	/// stop being sent to them.
	pub const HeartbeatTimeout: BlockNumber = 30 * MINUTES;
	/// 1 Tbit/s: beyond any one server or home gateway today.
	pub const MaxCapacityMbps: u32 = 1_000_000;
}

impl pallet_capacity_registry::Config for Runtime {
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	// Burned until the governance pallet gives the board a pot.
	type OnSlash = ();
	type BoardOrigin = BoardMajority;
	type MinRelayBond = MinRelayBond;
	type ProviderDeposit = ProviderDeposit;
	type UnbondingPeriod = UnbondingPeriod;
	type HeartbeatTimeout = HeartbeatTimeout;
	/// An ISP or CDN runs a relay per PoP.
	type MaxRelaysPerOperator = ConstU32<100>;
	/// An access network's prefixes, ASNs and countries.
	type MaxFootprints = ConstU32<64>;
	type MaxUrlLen = ConstU32<256>;
	type MaxCapacityMbps = MaxCapacityMbps;
	type MaxHosts = ConstU32<32>;
	type MaxNameLen = ConstU32<64>;
	type MaxQueryResults = ConstU32<64>;
	// Measured by `./scripts/benchmark pallet_capacity_registry` into the pallet's own weights.rs.
	type WeightInfo = pallet_capacity_registry::weights::SubstrateWeight<Runtime>;
}
