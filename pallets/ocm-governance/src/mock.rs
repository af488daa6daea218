//! A runtime with the board (a collective of Alice, Bob and Charlie), the
//! capacity registry reading its parameters from governance, and governance.

use crate as pallet_ocm_governance;
use crate::{adapters, MarketParameters, ParameterBounds, Range};
use frame_support::{derive_impl, parameter_types, traits::ConstU32, PalletId};
use pallet_collective::{EnsureProportionAtLeast, EnsureProportionMoreThan};
use sp_runtime::{BuildStorage, Perbill};

type Block = frame_system::mocking::MockBlock<Test>;
pub type AccountId = u64;
pub type Balance = u64;
pub type BlockNumber = u64;

frame_support::construct_runtime!(
	pub enum Test {
		System: frame_system,
		Balances: pallet_balances,
		Board: pallet_collective::<Instance1>,
		CapacityRegistry: pallet_capacity_registry,
		Governance: pallet_ocm_governance,
	}
);

#[derive_impl(frame_system::config_preludes::TestDefaultConfig)]
impl frame_system::Config for Test {
	type Block = Block;
	type AccountData = pallet_balances::AccountData<Balance>;
}

#[derive_impl(pallet_balances::config_preludes::TestDefaultConfig)]
impl pallet_balances::Config for Test {
	type AccountStore = System;
	type RuntimeHoldReason = RuntimeHoldReason;
}

pub type BoardInstance = pallet_collective::Instance1;
pub type BoardMajority = EnsureProportionMoreThan<AccountId, BoardInstance, 1, 2>;
pub type BoardTwoThirds = EnsureProportionAtLeast<AccountId, BoardInstance, 2, 3>;

parameter_types! {
	pub const MotionDuration: BlockNumber = 10;
	pub MaxProposalWeight: frame_support::weights::Weight =
		frame_support::weights::Weight::from_parts(1_000_000_000_000, u64::MAX);
}

impl pallet_collective::Config<BoardInstance> for Test {
	type RuntimeOrigin = RuntimeOrigin;
	type Proposal = RuntimeCall;
	type RuntimeEvent = RuntimeEvent;
	type MotionDuration = MotionDuration;
	type MaxProposals = ConstU32<10>;
	type MaxMembers = ConstU32<10>;
	type DefaultVote = pallet_collective::PrimeDefaultVote;
	type WeightInfo = ();
	type SetMembersOrigin = frame_system::EnsureRoot<AccountId>;
	type MaxProposalWeight = MaxProposalWeight;
	type DisapproveOrigin = BoardMajority;
	type KillOrigin = BoardMajority;
	type Consideration = ();
}

pub const DEFAULTS: MarketParameters<Balance, BlockNumber> = MarketParameters {
	protocol_fee: Perbill::from_percent(2),
	min_relay_bond: 1_000,
	min_beacon_bond: 100,
	unbonding_period: 100,
	pob_epoch_length: 50,
	beacons_per_test: 3,
	capacity_margin: Perbill::from_percent(20),
	tolerance: Perbill::from_percent(10),
	slash_share: Perbill::from_percent(10),
	settlement_period: 100,
	dispute_window: 50,
	max_footprints: 8,
	capacity_headroom: Perbill::from_percent(25),
};

pub const BOUNDS: ParameterBounds<Balance, BlockNumber> = ParameterBounds {
	protocol_fee: Range::new(Perbill::zero(), Perbill::from_percent(20)),
	min_relay_bond: Range::new(10, 100_000),
	min_beacon_bond: Range::new(1, 10_000),
	unbonding_period: Range::new(10, 10_000),
	pob_epoch_length: Range::new(10, 1_000),
	beacons_per_test: Range::new(1, 16),
	capacity_margin: Range::new(Perbill::zero(), Perbill::one()),
	tolerance: Range::new(Perbill::zero(), Perbill::from_percent(50)),
	slash_share: Range::new(Perbill::zero(), Perbill::one()),
	settlement_period: Range::new(10, 10_000),
	dispute_window: Range::new(5, 5_000),
	max_footprints: Range::new(1, 8),
	capacity_headroom: Range::new(Perbill::zero(), Perbill::one()),
};

/// A stand-in for the runtime's rules: epochs of at least 20 blocks, and
/// unbonding no shorter than the dispute window.
pub struct Rules;
impl pallet_ocm_governance::ParameterRules<Balance, BlockNumber> for Rules {
	fn check(
		p: &MarketParameters<Balance, BlockNumber>,
	) -> Result<(), pallet_ocm_governance::ParameterConflict> {
		use pallet_ocm_governance::ParameterConflict::*;
		if p.pob_epoch_length < 20 {
			return Err(EpochShorterThanItsTests);
		}
		if p.unbonding_period < p.dispute_window {
			return Err(UnbondingShorterThanDisputes);
		}
		Ok(())
	}
}

parameter_types! {
	pub const Defaults: MarketParameters<Balance, BlockNumber> = DEFAULTS;
	pub const Bounds: ParameterBounds<Balance, BlockNumber> = BOUNDS;
	pub const PotId: PalletId = PalletId(*b"ocm/pot_");
	pub const ProviderDeposit: Balance = 50;
	pub const HeartbeatTimeout: BlockNumber = 30;
	pub const MaxCapacityMbps: u32 = 1_000_000;
}

impl pallet_capacity_registry::Config for Test {
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type Obligations = ();
	type OnSlash =
		frame_support::traits::tokens::imbalance::ResolveTo<adapters::PotAccount<Test>, Balances>;
	type BoardOrigin = BoardMajority;
	type RegistrationsPaused = adapters::RegistrationsPaused<Test>;
	type MinRelayBond = adapters::MinRelayBond<Test>;
	type ProviderDeposit = ProviderDeposit;
	type UnbondingPeriod = adapters::UnbondingPeriod<Test>;
	type HeartbeatTimeout = HeartbeatTimeout;
	type MaxRelaysPerOperator = ConstU32<4>;
	type MaxFootprints = ConstU32<8>;
	type FootprintLimit = adapters::MaxFootprints<Test>;
	type MaxUrlLen = ConstU32<64>;
	type MaxCapacityMbps = MaxCapacityMbps;
	type MaxHosts = ConstU32<4>;
	type MaxNameLen = ConstU32<32>;
	type MaxQueryResults = ConstU32<10>;
	type WeightInfo = ();
}

impl pallet_ocm_governance::Config for Test {
	type RuntimeCall = RuntimeCall;
	type Currency = Balances;
	type Relays = CapacityRegistry;
	type ParameterOrigin = BoardMajority;
	type RelayOrigin = BoardMajority;
	type SpendOrigin = BoardTwoThirds;
	type PauseOrigin = BoardMajority;
	type RootOrigin = BoardTwoThirds;
	type Bounds = Bounds;
	type DefaultParameters = Defaults;
	type Rules = Rules;
	type PotId = PotId;
	type MaxReasonLen = ConstU32<64>;
	type WeightInfo = ();
}

pub const ALICE: AccountId = 1;
pub const BOB: AccountId = 2;
pub const CHARLIE: AccountId = 3;
/// Not on the board.
pub const DAVE: AccountId = 4;
pub const INITIAL: Balance = 1_000_000;

/// Runs `test` at block 1 with Alice, Bob and Charlie on the board and
/// everyone funded, then checks both pallets' invariants.
pub fn run(test: impl FnOnce()) {
	let mut storage = frame_system::GenesisConfig::<Test>::default().build_storage().unwrap();
	pallet_balances::GenesisConfig::<Test> {
		balances: (1..=5).map(|who| (who, INITIAL)).collect(),
		..Default::default()
	}
	.assimilate_storage(&mut storage)
	.unwrap();
	pallet_collective::GenesisConfig::<Test, BoardInstance> {
		members: vec![ALICE, BOB, CHARLIE],
		phantom: Default::default(),
	}
	.assimilate_storage(&mut storage)
	.unwrap();
	pallet_ocm_governance::GenesisConfig::<Test> { parameters: None }
		.assimilate_storage(&mut storage)
		.unwrap();
	let mut ext = sp_io::TestExternalities::new(storage);
	ext.execute_with(|| {
		System::set_block_number(1);
		test();
		Governance::do_try_state().expect("governance invariants hold");
	});
}

/// Genesis with the default parameters; the benchmarks fund their own accounts.
#[cfg(feature = "runtime-benchmarks")]
pub fn new_bench_ext() -> sp_io::TestExternalities {
	let mut storage = frame_system::GenesisConfig::<Test>::default().build_storage().unwrap();
	pallet_ocm_governance::GenesisConfig::<Test> { parameters: None }
		.assimilate_storage(&mut storage)
		.unwrap();
	let mut ext = sp_io::TestExternalities::new(storage);
	ext.execute_with(|| System::set_block_number(1));
	ext
}
