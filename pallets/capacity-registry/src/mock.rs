//! A runtime with System, Balances and the registry, for the unit tests.

use crate as pallet_capacity_registry;
use frame_support::{derive_impl, parameter_types, traits::ConstU32};
use sp_runtime::BuildStorage;

type Block = frame_system::mocking::MockBlock<Test>;
pub type AccountId = u64;
pub type Balance = u64;

frame_support::construct_runtime!(
	pub enum Test {
		System: frame_system,
		Balances: pallet_balances,
		CapacityRegistry: pallet_capacity_registry,
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

pub const MIN_BOND: Balance = 1_000;
pub const PROVIDER_DEPOSIT: Balance = 50;
pub const UNBONDING: u64 = 100;
pub const HEARTBEAT_TIMEOUT: u64 = 30;
pub const MAX_FOOTPRINTS: u32 = 8;
pub const MAX_URL: u32 = 64;
pub const MAX_CAPACITY: u32 = 1_000_000;
pub const MAX_HOSTS: u32 = 4;
pub const MAX_RELAYS: u32 = 3;

parameter_types! {
	pub const MinRelayBond: Balance = MIN_BOND;
	pub const ProviderDeposit: Balance = PROVIDER_DEPOSIT;
	pub const UnbondingPeriod: u64 = UNBONDING;
	pub const HeartbeatTimeout: u64 = HEARTBEAT_TIMEOUT;
	pub const MaxCapacityMbps: u32 = MAX_CAPACITY;
	/// Settable per test, as the governance pallet sets them on chain.
	pub static RegistrationsPaused: bool = false;
	pub static FootprintLimit: u32 = MAX_FOOTPRINTS;
}

impl pallet_capacity_registry::Config for Test {
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type Obligations = ();
	type OnSlash = ();
	type BoardOrigin = frame_system::EnsureRoot<AccountId>;
	type RegistrationsPaused = RegistrationsPaused;
	type MinRelayBond = MinRelayBond;
	type ProviderDeposit = ProviderDeposit;
	type UnbondingPeriod = UnbondingPeriod;
	type HeartbeatTimeout = HeartbeatTimeout;
	type MaxRelaysPerOperator = ConstU32<MAX_RELAYS>;
	type MaxFootprints = ConstU32<MAX_FOOTPRINTS>;
	type FootprintLimit = FootprintLimit;
	type MaxUrlLen = ConstU32<MAX_URL>;
	type MaxCapacityMbps = MaxCapacityMbps;
	type MaxHosts = ConstU32<MAX_HOSTS>;
	type MaxNameLen = ConstU32<32>;
	type MaxQueryResults = ConstU32<10>;
	type WeightInfo = ();
}

pub const ALICE: AccountId = 1;
pub const BOB: AccountId = 2;
pub const CHARLIE: AccountId = 3;
/// Holds less than a bond.
pub const POOR: AccountId = 9;
pub const INITIAL: Balance = 100_000;

/// Runs `test` on a fresh chain at block 1, then checks the pallet's invariants.
pub fn run(test: impl FnOnce()) {
	let mut storage = frame_system::GenesisConfig::<Test>::default().build_storage().unwrap();
	pallet_balances::GenesisConfig::<Test> {
		balances: vec![(ALICE, INITIAL), (BOB, INITIAL), (CHARLIE, INITIAL), (POOR, 500)],
		..Default::default()
	}
	.assimilate_storage(&mut storage)
	.unwrap();
	let mut ext = sp_io::TestExternalities::new(storage);
	ext.execute_with(|| {
		System::set_block_number(1);
		test();
		CapacityRegistry::do_try_state().expect("invariants hold after the test");
	});
}

/// Storage for the benchmark test suite: only genesis, the benchmarks fund
/// their own accounts.
#[cfg(feature = "runtime-benchmarks")]
pub fn new_bench_ext() -> sp_io::TestExternalities {
	let storage = frame_system::GenesisConfig::<Test>::default().build_storage().unwrap();
	let mut ext = sp_io::TestExternalities::new(storage);
	ext.execute_with(|| System::set_block_number(1));
	ext
}
