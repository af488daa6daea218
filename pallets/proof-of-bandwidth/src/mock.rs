//! A runtime with System, Balances and proof of bandwidth for the unit tests.
//! The relay registry is a table the tests fill: the real registry pallet
//! is exercised with this one in the runtime's tests and end to end.

use crate as pallet_proof_of_bandwidth;
use core::cell::RefCell;
use frame_support::{
	derive_impl, parameter_types,
	traits::{ConstU32, Randomness},
};
use ocm_primitives::capacity::{
	Mbps, RelayId, RelayRegistry, RelayStatus, RelaySummary, Suspender,
};
use sp_core::{sr25519, Pair, H256};
use sp_runtime::{
	traits::{IdentifyAccount, IdentityLookup, Verify},
	BuildStorage, DispatchError, DispatchResult, MultiSignature, Perbill,
};
use std::collections::BTreeMap;

type Block = frame_system::mocking::MockBlock<Test>;
pub type AccountId = <<MultiSignature as Verify>::Signer as IdentifyAccount>::AccountId;
pub type Balance = u64;

frame_support::construct_runtime!(
	pub enum Test {
		System: frame_system,
		Balances: pallet_balances,
		Pob: pallet_proof_of_bandwidth,
	}
);

#[derive_impl(frame_system::config_preludes::TestDefaultConfig)]
impl frame_system::Config for Test {
	type Block = Block;
	type AccountId = AccountId;
	type Lookup = IdentityLookup<AccountId>;
	type AccountData = pallet_balances::AccountData<Balance>;
}

#[derive_impl(pallet_balances::config_preludes::TestDefaultConfig)]
impl pallet_balances::Config for Test {
	type AccountStore = System;
	type RuntimeHoldReason = RuntimeHoldReason;
}

/// A relay of the test registry.
#[derive(Clone, Debug, PartialEq)]
pub struct TestRelay {
	pub status: RelayStatus<u64>,
	pub claimed_mbps: Mbps,
	pub verified_mbps: Mbps,
	pub asn: u32,
	pub slashed: Vec<Perbill>,
}

thread_local! {
	pub static RELAYS: RefCell<BTreeMap<RelayId, TestRelay>> = RefCell::new(BTreeMap::new());
}

pub fn add_relay(id: RelayId, claimed_mbps: Mbps, asn: u32) {
	RELAYS.with(|r| {
		r.borrow_mut().insert(
			id,
			TestRelay {
				status: RelayStatus::Pending,
				claimed_mbps,
				verified_mbps: 0,
				asn,
				slashed: vec![],
			},
		)
	});
}

/// Where test relay `id` serves its PoB stream.
pub fn pob_endpoint(id: RelayId) -> String {
	format!("http://relay{id}.test/.well-known/ocm/pob/v1/")
}

pub fn relay(id: RelayId) -> TestRelay {
	RELAYS.with(|r| r.borrow()[&id].clone())
}

pub fn set_relay(id: RelayId, change: impl FnOnce(&mut TestRelay)) {
	RELAYS.with(|r| change(r.borrow_mut().get_mut(&id).unwrap()));
}

pub struct TestRegistry;
impl RelayRegistry<AccountId, u64> for TestRegistry {
	type Balance = Balance;
	fn relay(relay: RelayId) -> Option<RelaySummary<AccountId, u64>> {
		RELAYS.with(|r| {
			r.borrow().get(&relay).map(|t| RelaySummary {
				operator: AccountId::new([0xee; 32]),
				status: t.status.clone(),
				claimed_mbps: t.claimed_mbps,
				verified_mbps: t.verified_mbps,
				capabilities: ocm_primitives::capacity::Capabilities(
					ocm_primitives::capacity::Capabilities::HTTP_1_1,
				),
				asn: t.asn,
			})
		})
	}
	fn footprints(_: RelayId) -> Vec<ocm_primitives::footprint::Footprint> {
		Vec::new()
	}
	fn relay_id_bound() -> RelayId {
		RELAYS.with(|r| r.borrow().keys().next_back().map_or(0, |id| id + 1))
	}
	fn pob_endpoint(relay: RelayId) -> Option<Vec<u8>> {
		RELAYS.with(|r| r.borrow().contains_key(&relay).then(|| pob_endpoint(relay).into_bytes()))
	}
	fn record_verified(relay: RelayId, verified: Mbps) -> DispatchResult {
		set_relay(relay, |t| {
			t.verified_mbps = verified;
			if matches!(
				t.status,
				RelayStatus::Pending
					| RelayStatus::Suspended { by: Suspender::ProofOfBandwidth, .. }
			) {
				t.status = RelayStatus::Active;
			}
		});
		Ok(())
	}
	fn suspend(relay: RelayId, by: Suspender) -> DispatchResult {
		set_relay(relay, |t| t.status = RelayStatus::Suspended { by, since: 0 });
		Ok(())
	}
	fn reinstate(relay: RelayId) -> DispatchResult {
		set_relay(relay, |t| t.status = RelayStatus::Pending);
		Ok(())
	}
	#[cfg(feature = "runtime-benchmarks")]
	fn benchmark_relay() -> RelayId {
		let id = Self::relay_id_bound();
		add_relay(id, 100, 1);
		id
	}
	fn slash(relay: RelayId, fraction: Perbill) -> Result<Balance, DispatchError> {
		set_relay(relay, |t| t.slashed.push(fraction));
		Ok(1)
	}
}

/// Randomness that the tests can change: the hash of the subject and a salt.
pub struct TestRandomness;
impl Randomness<H256, u64> for TestRandomness {
	fn random(subject: &[u8]) -> (H256, u64) {
		let salt = Salt::get();
		(sp_io::hashing::blake2_256(&[subject, &salt.to_le_bytes()].concat()).into(), 0)
	}
}

pub struct TestTime;
impl frame_support::traits::UnixTime for TestTime {
	fn now() -> core::time::Duration {
		core::time::Duration::from_millis(NowMs::get())
	}
}

pub const EPOCH: u64 = 10;
pub const WINDOW: u32 = 5;
pub const LEAD_MS: u64 = 4_000;
pub const BOND: Balance = 100;
pub const REWARD: Balance = 3;
pub const MAX_BEACONS: u32 = 24;

parameter_types! {
	pub static Salt: u64 = 0;
	pub static NowMs: u64 = 1_000_000;
	pub static RegistrationsPaused: bool = false;
	pub static BeaconsPerTest: u32 = 3;
	pub const MinBeaconBond: Balance = BOND;
	pub const EpochLength: u64 = EPOCH;
	pub const CapacityMargin: Perbill = Perbill::from_percent(20);
	pub const Tolerance: Perbill = Perbill::from_percent(10);
	pub const SlashShare: Perbill = Perbill::from_percent(10);
	pub const BeaconReward: Balance = REWARD;
	pub const LeadMs: u64 = LEAD_MS;
	pub const MinMulticastDelivery: Perbill = Perbill::from_percent(90);
}

pub const POT: AccountId = AccountId::new([0xaa; 32]);
pub struct Pot;
impl frame_support::traits::TypedGet for Pot {
	type Type = AccountId;
	fn get() -> AccountId {
		POT
	}
}

impl pallet_proof_of_bandwidth::Config for Test {
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type Registry = TestRegistry;
	type Randomness = TestRandomness;
	type Time = TestTime;
	type BeaconSignature = MultiSignature;
	type MinBeaconBond = MinBeaconBond;
	type EpochLength = EpochLength;
	type BeaconsPerTest = BeaconsPerTest;
	type CapacityMargin = CapacityMargin;
	type Tolerance = Tolerance;
	type SlashShare = SlashShare;
	type RegistrationsPaused = RegistrationsPaused;
	type BeaconReward = BeaconReward;
	type RewardPot = Pot;
	type WindowSecs = ConstU32<WINDOW>;
	type WindowLeadMs = LeadMs;
	type FailuresBeforeSuspension = ConstU32<2>;
	type MaxBeaconCapacityMbps = ConstU32<10_000>;
	type MaxBeacons = ConstU32<MAX_BEACONS>;
	type MaxRelaysPerEpoch = ConstU32<4>;
	type MaxBeaconsPerTest = ConstU32<6>;
	type MaxWindowSecs = ConstU32<10>;
	type MinMulticastDelivery = MinMulticastDelivery;
	type MaxProbers = ConstU32<3>;
	type ProberOrigin = frame_system::EnsureRoot<AccountId>;
	type WeightInfo = ();
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = TestTime;
}

#[cfg(feature = "runtime-benchmarks")]
impl pallet_proof_of_bandwidth::BenchmarkHelper for TestTime {
	fn set_now_ms(ms: u64) {
		NowMs::set(ms);
	}
}

pub type Extrinsic = frame_system::mocking::MockUncheckedExtrinsic<Test>;

impl<C> frame_system::offchain::CreateTransactionBase<C> for Test
where
	RuntimeCall: From<C>,
{
	type Extrinsic = Extrinsic;
	type RuntimeCall = RuntimeCall;
}

impl<C> frame_system::offchain::CreateTransaction<C> for Test
where
	RuntimeCall: From<C>,
{
	type Extension = ();
	fn create_transaction(call: RuntimeCall, extension: ()) -> Extrinsic {
		Extrinsic::new_transaction(call, extension)
	}
}

impl<C> frame_system::offchain::CreateAuthorizedTransaction<C> for Test
where
	RuntimeCall: From<C>,
{
	fn create_extension() {}
}

/// The key pair of test beacon `n`.
pub fn beacon_pair(n: u8) -> sr25519::Pair {
	sr25519::Pair::from_string(&format!("//Beacon{n}"), None).unwrap()
}

pub fn beacon(n: u8) -> AccountId {
	beacon_pair(n).public().into()
}

pub const INITIAL: Balance = 10_000;

/// Runs `test` on a fresh chain at block 1 with 12 funded beacon accounts and
/// a funded pot, then checks the pallet's invariants.
pub fn run(test: impl FnOnce()) {
	let mut ext = new_ext();
	ext.execute_with(|| {
		test();
		Pob::do_try_state().expect("invariants hold after the test");
	});
}

/// The chain of [`run`], for tests that register extensions (off-chain
/// workers) before running.
pub fn new_ext() -> sp_io::TestExternalities {
	RELAYS.with(|r| r.borrow_mut().clear());
	let mut storage = frame_system::GenesisConfig::<Test>::default().build_storage().unwrap();
	let mut balances: Vec<_> = (0..12).map(|n| (beacon(n), INITIAL)).collect();
	balances.push((POT, INITIAL));
	pallet_balances::GenesisConfig::<Test> { balances, ..Default::default() }
		.assimilate_storage(&mut storage)
		.unwrap();
	let mut ext = sp_io::TestExternalities::new(storage);
	ext.execute_with(|| System::set_block_number(1));
	ext
}

#[cfg(feature = "runtime-benchmarks")]
pub fn new_bench_ext() -> sp_io::TestExternalities {
	RELAYS.with(|r| r.borrow_mut().clear());
	let storage = frame_system::GenesisConfig::<Test>::default().build_storage().unwrap();
	let mut ext = sp_io::TestExternalities::new(storage);
	ext.register_extension(sp_keystore::KeystoreExt::new(
		sp_keystore::testing::MemoryKeystore::new(),
	));
	ext.execute_with(|| System::set_block_number(1));
	ext
}
