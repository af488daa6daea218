//! The marketplace pallets: the capacity registry, the board's governance
//! of the market, proof of bandwidth and CDNi settlement. The market parameters live in `Governance` (genesis values and
//! bounds below); the other pallets read them through its `Get` adapters.

use crate::{
	Balance, Balances, BlockNumber, BoardMajority, BoardTwoThirds, Hash, Runtime, RuntimeCall,
	RuntimeHoldReason, Signature, Timestamp, DAYS, HOURS, MILLI_UNITS, MINUTES, UNITS,
};
use frame_support::{
	parameter_types,
	traits::{tokens::imbalance::ResolveTo, ConstU32, ConstU64, Randomness},
	PalletId,
};
use pallet_ocm_governance::{
	adapters, MarketParameters, ParameterBounds, ParameterConflict, ParameterRules, Range,
};
use sp_runtime::{
	traits::{BlakeTwo256, Hash as _},
	Perbill,
};

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
	// A single colluding beacon among n gains at most (n + 1/2) / (n - 1),
	// whatever link it declares (`ocm_pob::verdict::judge`): 7 keeps it at
	// 1.25x.
	beacons_per_test: 7,
	capacity_margin: Perbill::from_percent(20),
	tolerance: Perbill::from_percent(10),
	slash_share: Perbill::from_percent(10),
	settlement_period: HOURS,
	dispute_window: 6 * HOURS,
	max_footprints: MAX_FOOTPRINTS,
	// A period's bill may exceed what the verified rate carries by a
	// quarter: bursts, and a verdict lagging an upgrade by an epoch.
	capacity_headroom: Perbill::from_percent(25),
};

/// Where the board may move the parameters without a runtime upgrade.
pub const MARKET_PARAMETER_BOUNDS: ParameterBounds<Balance, BlockNumber> = ParameterBounds {
	protocol_fee: Range::new(Perbill::zero(), Perbill::from_percent(20)),
	min_relay_bond: Range::new(UNITS, 100_000 * UNITS),
	min_beacon_bond: Range::new(100 * MILLI_UNITS, 10_000 * UNITS),
	unbonding_period: Range::new(HOURS, 90 * DAYS),
	pob_epoch_length: Range::new(10, DAYS),
	// Fewer than three beacons have no majority to name a liar, and one
	// colluder of two doubles a verdict.
	beacons_per_test: Range::new(3, 16),
	capacity_margin: Range::new(Perbill::zero(), Perbill::one()),
	tolerance: Range::new(Perbill::zero(), Perbill::from_percent(50)),
	slash_share: Range::new(Perbill::zero(), Perbill::one()),
	settlement_period: Range::new(10, 7 * DAYS),
	dispute_window: Range::new(10, 30 * DAYS),
	max_footprints: Range::new(1, MAX_FOOTPRINTS),
	capacity_headroom: Range::new(Perbill::zero(), Perbill::one()),
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
	type Rules = MarketParameterRules;
	type PotId = ProtocolPotId;
	type MaxReasonLen = ConstU32<256>;
	type WeightInfo = pallet_ocm_governance::weights::SubstrateWeight<Runtime>;
}

impl pallet_capacity_registry::Config for Runtime {
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	/// Slashed bonds go to the protocol pot.
	type Obligations = crate::CdniSettlement;
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

/// Proof of bandwidth's epoch seeds, from BABE's VRF outputs: the epoch's
/// randomness (every primary VRF output of the previous BABE epoch,
/// `RandomnessFromOneEpochAgo`, as Polkadot draws its auctions) mixed with
/// the VRF output of the parent block (`ParentBlockRandomness`), and the
/// subject.
///
/// What a block author can do to it, and what it cannot:
/// - it cannot grind: a VRF output is a deterministic function of the
///   author's key, the slot and the epoch's randomness, so the block's
///   contents (transactions, order, timestamp) do not enter the seed. With
///   Aura the seed was the parent hash, which the author could recompute
///   for as many candidate blocks as it liked;
/// - nobody knows the seed before the parent block is published (its VRF
///   output is secret until then), so beacons registered, links declared
///   and claims made beforehand cannot be chosen against it;
/// - its one choice is to publish or withhold: an author holding k
///   consecutive slots before a draw picks among at most k + 1 seeds, and
///   every withheld block is a missed slot anyone can see. The epoch's
///   randomness has the same bound at the end of each BABE epoch.
pub struct VrfRandomness;
impl Randomness<Hash, BlockNumber> for VrfRandomness {
	fn random(subject: &[u8]) -> (Hash, BlockNumber) {
		let (epoch, _) = pallet_babe::RandomnessFromOneEpochAgo::<Runtime>::random(subject);
		let (parent, known_since) = pallet_babe::ParentBlockRandomness::<Runtime>::random(subject);
		// Before the first block's VRF is recorded (only the genesis block's
		// child) the epoch's randomness alone is used.
		let parent = parent.unwrap_or_default();
		(BlakeTwo256::hash(&[subject, epoch.as_ref(), parent.as_ref()].concat()), known_since)
	}
}

parameter_types! {
	/// A valid report earns its beacon a little from the pot.
	pub const BeaconReward: Balance = 10 * MILLI_UNITS;
	pub const MinMulticastDelivery: sp_runtime::Perbill = sp_runtime::Perbill::from_percent(90);
}

impl pallet_proof_of_bandwidth::Config for Runtime {
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type Registry = crate::CapacityRegistry;
	type Randomness = VrfRandomness;
	type Time = Timestamp;
	type BeaconSignature = Signature;
	type MinBeaconBond = adapters::MinBeaconBond<Runtime>;
	type EpochLength = adapters::PobEpochLength<Runtime>;
	type BeaconsPerTest = adapters::BeaconsPerTest<Runtime>;
	type CapacityMargin = adapters::CapacityMargin<Runtime>;
	type Tolerance = adapters::Tolerance<Runtime>;
	type SlashShare = adapters::SlashShare<Runtime>;
	type RegistrationsPaused = adapters::RegistrationsPaused<Runtime>;
	type BeaconReward = BeaconReward;
	type RewardPot = adapters::PotAccount<Runtime>;
	type WindowSecs = ConstU32<POB_WINDOW_SECS>;
	type WindowLeadMs = ConstU64<POB_WINDOW_LEAD_MS>;
	type FailuresBeforeSuspension = ConstU32<2>;
	/// 100 Gbit/s.
	type MaxBeaconCapacityMbps = ConstU32<100_000>;
	type MaxBeacons = ConstU32<1_024>;
	/// The epoch boundary judges and draws this many tests in one block:
	/// at 38, with 1,024 beacons, it takes at most a quarter of a block's
	/// time by the measured weights (`tests/marketplace.rs`).
	type MaxRelaysPerEpoch = ConstU32<38>;
	type MaxBeaconsPerTest = ConstU32<16>;
	type MaxWindowSecs = ConstU32<60>;
	/// Nine in ten of a multicast test's objects: FEC sized for 5 % loss
	/// rebuilds all of them on a working tunnel.
	type MinMulticastDelivery = MinMulticastDelivery;
	/// A handful of validators probe; a majority of them fails a relay.
	type MaxProbers = ConstU32<8>;
	type ProberOrigin = BoardMajority;
	// Measured by `./scripts/benchmark pallet_proof_of_bandwidth` into the pallet's own weights.rs.
	type WeightInfo = pallet_proof_of_bandwidth::weights::SubstrateWeight<Runtime>;
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = TimestampHelper;
}

/// Beacons audit delivery logs: they may dispute any contract's batches.
pub struct RegisteredBeacons;
impl frame_support::traits::Contains<crate::AccountId> for RegisteredBeacons {
	fn contains(who: &crate::AccountId) -> bool {
		pallet_proof_of_bandwidth::Beacons::<Runtime>::contains_key(who)
	}
}

/// A proof-of-bandwidth test window. Ten seconds: enough for TCP to reach
/// its rate and for the median to ignore its start, short enough that a
/// relay cannot hold a burst.
pub const POB_WINDOW_SECS: u32 = 10;
/// Three blocks: beacons see the assignment and connect before it starts.
pub const POB_WINDOW_LEAD_MS: u64 = 6_000;

/// How long a relay has to answer a missing-record claim: half the
/// dispute window, at least five blocks.
pub const fn answer_period(dispute_window: BlockNumber) -> BlockNumber {
	let half = dispute_window / 2;
	if half > 5 {
		half
	} else {
		5
	}
}

/// A relay answers a missing-record claim within half the dispute window
/// (three hours at genesis, five blocks on the dev chain).
pub struct AnswerPeriod;
impl frame_support::traits::Get<BlockNumber> for AnswerPeriod {
	fn get() -> BlockNumber {
		answer_period(adapters::DisputeWindow::<Runtime>::get())
	}
}

/// What ties the market parameters to each other and to the runtime's
/// constants; the board's changes and genesis are checked against it.
pub struct MarketParameterRules;
impl ParameterRules<Balance, BlockNumber> for MarketParameterRules {
	fn check(p: &MarketParameters<Balance, BlockNumber>) -> Result<(), ParameterConflict> {
		use ocm_primitives::time::MILLISECS_PER_BLOCK;
		// An epoch holds its tests: the lead, the unicast window, the gap,
		// the multicast window and a grace block (during which the beacons
		// commit to their unicast reports), then two blocks for the reveals
		// and the multicast reports to land before the verdict.
		let tests_ms = ocm_pob::commitment::reveals_from_ms(POB_WINDOW_LEAD_MS, POB_WINDOW_SECS)
			+ 2 * MILLISECS_PER_BLOCK;
		if u64::from(p.pob_epoch_length) * MILLISECS_PER_BLOCK < tests_ms {
			return Err(ParameterConflict::EpochShorterThanItsTests);
		}
		// A leaving relay's last period: it ends, is committed within the
		// commit window (a period), disputed for the dispute window, and a
		// claim made at its end is answered within the answer period. The
		// bond stays slashable until then.
		let last_batch_settles = p
			.settlement_period
			.saturating_mul(2)
			.saturating_add(p.dispute_window)
			.saturating_add(answer_period(p.dispute_window));
		if p.unbonding_period < last_batch_settles {
			return Err(ParameterConflict::UnbondingShorterThanDisputes);
		}
		Ok(())
	}
}

parameter_types! {
	/// Claiming a record missing costs this until the relay answers or fails to.
	pub const ClaimDeposit: Balance = UNITS;
	pub const MinContractBudget: Balance = UNITS;
}

impl pallet_cdni_settlement::Config for Runtime {
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type Relays = crate::CapacityRegistry;
	type Providers = crate::CapacityRegistry;
	type Auditors = RegisteredBeacons;
	type ReceiptSignature = Signature;
	type ProtocolFee = adapters::ProtocolFee<Runtime>;
	type FeePot = adapters::PotAccount<Runtime>;
	type SettlementPeriod = adapters::SettlementPeriod<Runtime>;
	type DisputeWindow = adapters::DisputeWindow<Runtime>;
	type DisputeSlash = adapters::SlashShare<Runtime>;
	type CapacityHeadroom = adapters::CapacityHeadroom<Runtime>;
	type MillisecsPerBlock = ConstU64<{ ocm_primitives::time::MILLISECS_PER_BLOCK }>;
	type ContractsPaused = adapters::RegistrationsPaused<Runtime>;
	type AnswerPeriod = AnswerPeriod;
	/// A relay has one more period to commit a period's batch.
	type CommitWindow = adapters::SettlementPeriod<Runtime>;
	type ClaimDeposit = ClaimDeposit;
	type MinBudget = MinContractBudget;
	type MaxHosts = ConstU32<8>;
	type MaxFootprints = ConstU32<MAX_FOOTPRINTS>;
	/// A CDN-sized footprint of PoPs per contract.
	type MaxRelays = ConstU32<256>;
	/// Named suppliers a provider allows or denies per contract.
	type MaxSuppliers = ConstU32<64>;
	type MaxUrlLen = ConstU32<256>;
	/// 32 hex digits (128 bits) by OCM relays; room for other formats.
	type MaxRequestIdLen = ConstU32<64>;
	type MaxDisputes = ConstU32<16>;
	type MaxSettlementsPerBlock = ConstU32<512>;
	// A service document: a few hosts with their paths and rules.
	type MaxMetadataLen = ConstU32<8_192>;
	type MaxTokenKeys = ConstU32<8>;
	// Measured by `./scripts/benchmark pallet_cdni_settlement` into the pallet's own weights.rs.
	type WeightInfo = pallet_cdni_settlement::weights::SubstrateWeight<Runtime>;
}

/// Sets `Timestamp::Now` for the proof-of-bandwidth benchmarks.
#[cfg(feature = "runtime-benchmarks")]
pub struct TimestampHelper;
#[cfg(feature = "runtime-benchmarks")]
impl pallet_proof_of_bandwidth::BenchmarkHelper for TimestampHelper {
	fn set_now_ms(ms: u64) {
		pallet_timestamp::Now::<Runtime>::put(ms);
	}
}

// Off-chain workers build transactions for authorized calls (proof of
// bandwidth's probes): general transactions without a signer, which
// `AuthorizeCall` admits on the call's own authorization.
impl<C> frame_system::offchain::CreateTransactionBase<C> for Runtime
where
	RuntimeCall: From<C>,
{
	type Extrinsic = crate::UncheckedExtrinsic;
	type RuntimeCall = RuntimeCall;
}

impl<C> frame_system::offchain::CreateTransaction<C> for Runtime
where
	RuntimeCall: From<C>,
{
	type Extension = crate::TxExtension;
	fn create_transaction(
		call: RuntimeCall,
		extension: crate::TxExtension,
	) -> crate::UncheckedExtrinsic {
		crate::UncheckedExtrinsic::new_transaction(call, extension)
	}
}

impl<C> frame_system::offchain::CreateAuthorizedTransaction<C> for Runtime
where
	RuntimeCall: From<C>,
{
	/// Nothing to pay or count without a signer: no tip, nonce 0 (not
	/// checked), immortal, no metadata hash.
	fn create_extension() -> crate::TxExtension {
		(
			frame_system::AuthorizeCall::new(),
			frame_system::CheckNonZeroSender::new(),
			frame_system::CheckSpecVersion::new(),
			frame_system::CheckTxVersion::new(),
			frame_system::CheckGenesis::new(),
			frame_system::CheckEra::from(sp_runtime::generic::Era::Immortal),
			frame_system::CheckNonce::from(0),
			frame_system::CheckWeight::new(),
			pallet_transaction_payment::ChargeTransactionPayment::from(0),
			frame_metadata_hash_extension::CheckMetadataHash::new(false),
			frame_system::WeightReclaim::new(),
		)
	}
}
