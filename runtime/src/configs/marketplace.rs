//! The marketplace pallets: the capacity registry and the board's
//! governance of the market; proof of bandwidth and CDNi settlement join as
//! they land. The market parameters live in `Governance` (genesis values and
//! bounds below); the other pallets read them through its `Get` adapters.

use crate::{
	Balance, Balances, BlockNumber, BoardMajority, BoardTwoThirds, Runtime, RuntimeCall,
	RuntimeHoldReason, DAYS, HOURS, MILLI_UNITS, MINUTES, UNITS,
};
use frame_support::{
	parameter_types,
	traits::{tokens::imbalance::ResolveTo, ConstU32},
	PalletId,
};
use pallet_ocm_governance::{adapters, MarketParameters, ParameterBounds, Range};
use sp_runtime::Perbill;

/// Footprints one relay can ever claim: the registry's storage bound. The
/// board's `max_footprints` parameter moves below it.
pub const MAX_FOOTPRINTS: u32 = 64;

/// What a new chain starts with.
pub const GENESIS_MARKET_PARAMETERS: MarketParameters<Balance, BlockNumber> = MarketParameters {
	protocol_fee: Perbill::from_percent(2),
	// Enough that an operator loses something real to a slash, small enough
	// for a person at home.
	min_relay_bond: 100 * UNITS,
	min_beacon_bond: 10 * UNITS,
	// Long enough for proof of bandwidth and log disputes about the relay's
	// last days of service to conclude and slash.
	unbonding_period: 7 * DAYS,
	pob_epoch_length: 30 * MINUTES,
	beacons_per_test: 3,
	capacity_margin: Perbill::from_percent(20),
	tolerance: Perbill::from_percent(10),
	slash_share: Perbill::from_percent(10),
	settlement_period: HOURS,
	dispute_window: 6 * HOURS,
	max_footprints: MAX_FOOTPRINTS,
};

/// Where the board may move the parameters without a runtime upgrade.
pub const MARKET_PARAMETER_BOUNDS: ParameterBounds<Balance, BlockNumber> = ParameterBounds {
	protocol_fee: Range::new(Perbill::zero(), Perbill::from_percent(20)),
	min_relay_bond: Range::new(UNITS, 100_000 * UNITS),
	min_beacon_bond: Range::new(100 * MILLI_UNITS, 10_000 * UNITS),
	unbonding_period: Range::new(HOURS, 90 * DAYS),
	pob_epoch_length: Range::new(10, DAYS),
	beacons_per_test: Range::new(1, 16),
	capacity_margin: Range::new(Perbill::zero(), Perbill::one()),
	tolerance: Range::new(Perbill::zero(), Perbill::from_percent(50)),
	slash_share: Range::new(Perbill::zero(), Perbill::one()),
	settlement_period: Range::new(10, 7 * DAYS),
	dispute_window: Range::new(10, 30 * DAYS),
	max_footprints: Range::new(1, MAX_FOOTPRINTS),
};

parameter_types! {
	pub const MarketParameterDefaults: MarketParameters<Balance, BlockNumber> =
		GENESIS_MARKET_PARAMETERS;
	pub const MarketParameterBounds: ParameterBounds<Balance, BlockNumber> =
		MARKET_PARAMETER_BOUNDS;
	/// The protocol pot: slashed bonds and protocol fees, spent by the board.
	pub const ProtocolPotId: PalletId = PalletId(*b"ocm/pot_");
	/// Covers a provider record with its maximal host list.
	pub const ProviderDeposit: Balance = 10 * UNITS;
	/// Relays heartbeat every few minutes; three missed beats and clients
	/// stop being sent to them.
	pub const HeartbeatTimeout: BlockNumber = 30 * MINUTES;
	/// 1 Tbit/s: beyond any one server or home gateway today.
	pub const MaxCapacityMbps: u32 = 1_000_000;
}

impl pallet_ocm_governance::Config for Runtime {
	type RuntimeCall = RuntimeCall;
	type Currency = Balances;
	type Relays = crate::CapacityRegistry;
	type ParameterOrigin = BoardMajority;
	type RelayOrigin = BoardMajority;
	/// Money and Root take two thirds, as seats on the board do.
	type SpendOrigin = BoardTwoThirds;
	type PauseOrigin = BoardMajority;
	type RootOrigin = BoardTwoThirds;
	type Bounds = MarketParameterBounds;
	type DefaultParameters = MarketParameterDefaults;
	type PotId = ProtocolPotId;
	type MaxReasonLen = ConstU32<256>;
	type WeightInfo = pallet_ocm_governance::weights::SubstrateWeight<Runtime>;
}

impl pallet_capacity_registry::Config for Runtime {
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	/// Slashed bonds go to the protocol pot.
	type OnSlash = ResolveTo<adapters::PotAccount<Runtime>, Balances>;
	type BoardOrigin = BoardMajority;
	type RegistrationsPaused = adapters::RegistrationsPaused<Runtime>;
	type MinRelayBond = adapters::MinRelayBond<Runtime>;
	type ProviderDeposit = ProviderDeposit;
	type UnbondingPeriod = adapters::UnbondingPeriod<Runtime>;
	type HeartbeatTimeout = HeartbeatTimeout;
	/// An ISP or CDN runs a relay per PoP.
	type MaxRelaysPerOperator = ConstU32<100>;
	/// An access network's prefixes, ASNs and countries.
	type MaxFootprints = ConstU32<MAX_FOOTPRINTS>;
	type FootprintLimit = adapters::MaxFootprints<Runtime>;
	type MaxUrlLen = ConstU32<256>;
	type MaxCapacityMbps = MaxCapacityMbps;
	type MaxHosts = ConstU32<32>;
	type MaxNameLen = ConstU32<64>;
	type MaxQueryResults = ConstU32<64>;
	// Measured by `./scripts/benchmark pallet_capacity_registry` into the pallet's own weights.rs.
	type WeightInfo = pallet_capacity_registry::weights::SubstrateWeight<Runtime>;
}
