//! A runtime with System, Balances, the real capacity registry and
//! settlement for the unit tests: relays and providers register with the
//! registry, and proof of bandwidth's verdicts come through its trait.

use crate as pallet_cdni_settlement;
use frame_support::{
	assert_ok, derive_impl, parameter_types,
	traits::{ConstU32, ConstU64},
};
use ocm_primitives::capacity::{Capabilities, RelayId, RelayRegistry};
use pallet_capacity_registry::types::*;
use sp_core::{sr25519, Pair};
use sp_keyring::Sr25519Keyring;
use sp_runtime::{
	traits::{IdentifyAccount, IdentityLookup, Verify},
	BuildStorage, MultiSignature, Perbill,
};

type Block = frame_system::mocking::MockBlock<Test>;
pub type AccountId = <<MultiSignature as Verify>::Signer as IdentifyAccount>::AccountId;
pub type Balance = u64;

frame_support::construct_runtime!(
	pub enum Test {
		System: frame_system,
		Balances: pallet_balances,
		Registry: pallet_capacity_registry,
		Settlement: pallet_cdni_settlement,
	}
);

#[derive_impl(frame_system::config_preludes::TestDefaultConfig)]
impl frame_system::Config for Test {
	type Block = Block;
	type AccountId = AccountId;
	type Lookup = IdentityLookup<AccountId>;
	type AccountData = pallet_balances::AccountData<Balance>;
	/// Real database weights, so `on_idle`'s weight accounting is tested.
	type DbWeight = frame_support::weights::constants::RocksDbWeight;
}

#[derive_impl(pallet_balances::config_preludes::TestDefaultConfig)]
impl pallet_balances::Config for Test {
	type AccountStore = System;
	type RuntimeHoldReason = RuntimeHoldReason;
}

pub const RELAY_BOND: Balance = 100_000;

parameter_types! {
	pub const MinRelayBond: Balance = RELAY_BOND;
	pub const ProviderDeposit: Balance = 50;
	pub static Paused: bool = false;
}

impl pallet_capacity_registry::Config for Test {
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type Obligations = Settlement;
	type OnSlash = ();
	type BoardOrigin = frame_system::EnsureRoot<AccountId>;
	type RegistrationsPaused = Paused;
	type MinRelayBond = MinRelayBond;
	type ProviderDeposit = ProviderDeposit;
	type UnbondingPeriod = ConstU64<100>;
	type HeartbeatTimeout = ConstU64<1_000>;
	type MaxRelaysPerOperator = ConstU32<4>;
	type MaxFootprints = ConstU32<4>;
	type FootprintLimit = ConstU32<4>;
	type MaxUrlLen = ConstU32<128>;
	type MaxCapacityMbps = ConstU32<1_000_000>;
	type MaxHosts = ConstU32<4>;
	type MaxNameLen = ConstU32<32>;
	type MaxQueryResults = ConstU32<10>;
	type WeightInfo = ();
}

pub const PERIOD: u64 = 10;
pub const DISPUTE_BLOCKS: u64 = 20;
pub const ANSWER_PERIOD: u64 = 5;
pub const COMMIT_WINDOW: u64 = 15;
pub const CLAIM_DEPOSIT: Balance = 500;
pub const MAX_DISPUTES: u32 = 4;
pub const MAX_RELAYS: u32 = 3;

parameter_types! {
	pub static ProtocolFee: Perbill = Perbill::from_percent(2);
	pub static SettlementPeriod: u64 = PERIOD;
	pub static DisputeWindow: u64 = DISPUTE_BLOCKS;
	pub const DisputeSlash: Perbill = Perbill::from_percent(10);
	pub static CapacityHeadroom: Perbill = Perbill::from_percent(25);
	pub const Pot: AccountId = AccountId::new([0x70; 32]);
	/// Beacons in the runtime; Ferdie here.
	pub static AuditorList: Vec<AccountId> = vec![Sr25519Keyring::Ferdie.to_account_id()];
}

pub struct Auditors;
impl frame_support::traits::Contains<AccountId> for Auditors {
	fn contains(who: &AccountId) -> bool {
		AuditorList::get().contains(who)
	}
}

impl pallet_cdni_settlement::Config for Test {
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type Relays = Registry;
	type Providers = Registry;
	type Auditors = Auditors;
	type ReceiptSignature = MultiSignature;
	type ProtocolFee = ProtocolFee;
	type FeePot = Pot;
	type SettlementPeriod = SettlementPeriod;
	type DisputeWindow = DisputeWindow;
	type DisputeSlash = DisputeSlash;
	type CapacityHeadroom = CapacityHeadroom;
	type MillisecsPerBlock = ConstU64<2_000>;
	type ContractsPaused = Paused;
	type AnswerPeriod = ConstU64<ANSWER_PERIOD>;
	type CommitWindow = ConstU64<COMMIT_WINDOW>;
	type ClaimDeposit = frame_support::traits::ConstU64<CLAIM_DEPOSIT>;
	type MinBudget = ConstU64<1_000>;
	type MaxHosts = ConstU32<4>;
	type MaxFootprints = ConstU32<4>;
	type MaxRelays = ConstU32<MAX_RELAYS>;
	type MaxSuppliers = ConstU32<4>;
	type MaxUrlLen = ConstU32<128>;
	type MaxRequestIdLen = ConstU32<64>;
	type MaxDisputes = ConstU32<MAX_DISPUTES>;
	type MaxSettlementsPerBlock = ConstU32<4>;
	type MaxMetadataLen = ConstU32<8_192>;
	type MaxTokenKeys = ConstU32<4>;
	type WeightInfo = ();
}

/// The provider (Alice), a relay operator (Bob, also Charlie), an auditor
/// (Ferdie) and someone else (Eve).
pub fn provider() -> AccountId {
	Sr25519Keyring::Alice.to_account_id()
}
pub fn operator() -> AccountId {
	Sr25519Keyring::Bob.to_account_id()
}
pub fn operator_pair() -> sr25519::Pair {
	Sr25519Keyring::Bob.pair()
}
pub fn other_operator() -> AccountId {
	Sr25519Keyring::Charlie.to_account_id()
}
pub fn auditor() -> AccountId {
	Sr25519Keyring::Ferdie.to_account_id()
}
pub fn stranger() -> AccountId {
	Sr25519Keyring::Eve.to_account_id()
}

pub const INITIAL: Balance = 10_000_000;
pub const HOST: &str = "video.example.com";

/// Registers a relay of `who` serving `footprint` (type, value), verified
/// at 1 Gbit/s, so it is Active.
pub fn active_relay(who: &AccountId, footprint: (&str, &str)) -> RelayId {
	let id = pallet_capacity_registry::NextRelayId::<Test>::get();
	let registration = RelayRegistration {
		endpoints: EndpointsInput {
			http: format!("http://relay{id}.isp.example").into_bytes(),
			pob: format!("http://relay{id}.isp.example/pob").into_bytes(),
			amt_relay: None,
			multicast_source: None,
		},
		claims: ClaimsInput {
			location: Location { country: CountryCode(*b"NL"), asn: 64_500, coordinates: None },
			capacity_mbps: 1_000,
			footprints: vec![FootprintInput {
				footprint_type: footprint.0.into(),
				footprint_value: footprint.1.into(),
				capacity_mbps: 1_000,
			}],
			capabilities: Capabilities(Capabilities::HTTP_1_1),
		},
	};
	assert_ok!(Registry::register_relay(
		RuntimeOrigin::signed(who.clone()),
		registration,
		RELAY_BOND
	));
	assert_ok!(<Registry as RelayRegistry<_, _>>::record_verified(id, 1_000));
	id
}

/// Runs `test` on a fresh chain at block 1 where Alice owns [`HOST`], then
/// checks the settlement invariants.
pub fn run(test: impl FnOnce()) {
	let mut storage = frame_system::GenesisConfig::<Test>::default().build_storage().unwrap();
	let funded = [provider(), operator(), other_operator(), auditor(), stranger(), Pot::get()];
	pallet_balances::GenesisConfig::<Test> {
		balances: funded.iter().map(|a| (a.clone(), INITIAL)).collect(),
		..Default::default()
	}
	.assimilate_storage(&mut storage)
	.unwrap();
	let mut ext = sp_io::TestExternalities::new(storage);
	ext.execute_with(|| {
		System::set_block_number(1);
		assert_ok!(Registry::register_provider(
			RuntimeOrigin::signed(provider()),
			b"Example Video".to_vec(),
			vec![HOST.into(), "img.example.com".into()],
		));
		test();
		Settlement::do_try_state().expect("settlement invariants hold after the test");
	});
}

/// Signs a receipt as the relay's operator does.
pub fn receipt(
	key: crate::BatchKey,
	request_id: &[u8],
	uri: &[u8],
	signer: &sr25519::Pair,
) -> MultiSignature {
	let genesis = System::block_hash(0);
	let message = crate::features::dispute::receipt_message(&genesis, &key, request_id, uri);
	MultiSignature::Sr25519(signer.sign(&message))
}

/// Storage for the benchmark test suite: only genesis, the benchmarks fund
/// their own accounts.
#[cfg(feature = "runtime-benchmarks")]
pub fn new_bench_ext() -> sp_io::TestExternalities {
	let storage = frame_system::GenesisConfig::<Test>::default().build_storage().unwrap();
	let mut ext = sp_io::TestExternalities::new(storage);
	ext.register_extension(sp_keystore::KeystoreExt::new(
		sp_keystore::testing::MemoryKeystore::new(),
	));
	ext.execute_with(|| System::set_block_number(1));
	ext
}
