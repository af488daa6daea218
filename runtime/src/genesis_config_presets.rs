//! Genesis presets: `development` (one validator, Alice) and `local_testnet`
//! (three validators). Both seat Alice, Bob and Charlie on the board and fund
//! the well-known dev accounts. The node builds its chain specs from these.

use crate::*;
use alloc::{vec, vec::Vec};
use frame_support::BoundedVec;
use pallet_grandpa::AuthorityId as GrandpaId;
use sp_consensus_babe::AuthorityId as BabeId;
use sp_genesis_builder::{PresetId, DEV_RUNTIME_PRESET, LOCAL_TESTNET_RUNTIME_PRESET};
use sp_keyring::{Ed25519Keyring, Sr25519Keyring};

/// What each dev account starts with: enough for bonds, contracts and fees in
/// every local scenario.
pub const DEV_ENDOWMENT: Balance = 1_000_000 * UNITS;

/// A validator's BABE, GRANDPA and prober keys.
pub struct Validator {
	pub babe: BabeId,
	pub grandpa: GrandpaId,
	/// Probes relays for proof of bandwidth from the validator's off-chain worker.
	pub pob: pallet_proof_of_bandwidth::ProberId,
}

impl Validator {
	/// The keys `--alice`, `--bob`, ... put in a node's keystore.
	pub fn dev(who: Sr25519Keyring) -> Self {
		Self {
			babe: who.public().into(),
			grandpa: ed25519_twin(who).public().into(),
			pob: who.public().into(),
		}
	}
}

/// The ed25519 dev key with the same name as an sr25519 dev key.
fn ed25519_twin(who: Sr25519Keyring) -> Ed25519Keyring {
	match who {
		Sr25519Keyring::Alice => Ed25519Keyring::Alice,
		Sr25519Keyring::Bob => Ed25519Keyring::Bob,
		Sr25519Keyring::Charlie => Ed25519Keyring::Charlie,
		Sr25519Keyring::Dave => Ed25519Keyring::Dave,
		Sr25519Keyring::Eve => Ed25519Keyring::Eve,
		Sr25519Keyring::Ferdie => Ed25519Keyring::Ferdie,
		Sr25519Keyring::AliceStash => Ed25519Keyring::AliceStash,
		Sr25519Keyring::BobStash => Ed25519Keyring::BobStash,
		Sr25519Keyring::CharlieStash => Ed25519Keyring::CharlieStash,
		Sr25519Keyring::DaveStash => Ed25519Keyring::DaveStash,
		Sr25519Keyring::EveStash => Ed25519Keyring::EveStash,
		Sr25519Keyring::FerdieStash => Ed25519Keyring::FerdieStash,
		Sr25519Keyring::One => Ed25519Keyring::One,
		Sr25519Keyring::Two => Ed25519Keyring::Two,
	}
}

/// The genesis state of an OCM chain.
pub fn ocm_genesis(
	validators: Vec<Validator>,
	board: Vec<AccountId>,
	endowed: Vec<AccountId>,
) -> RuntimeGenesisConfig {
	let board: BoundedVec<AccountId, _> =
		board.try_into().expect("the presets seat fewer members than BOARD_MAX_MEMBERS; qed");
	RuntimeGenesisConfig {
		balances: BalancesConfig {
			balances: endowed
				.into_iter()
				.map(|who| (who, DEV_ENDOWMENT))
				// The protocol pot exists from genesis, so a slash smaller than
				// the existential deposit still reaches it.
				.chain([(Governance::pot(), EXISTENTIAL_DEPOSIT)])
				.collect(),
			..Default::default()
		},
		babe: BabeConfig {
			authorities: validators.iter().map(|v| (v.babe.clone(), 1)).collect(),
			epoch_config: BABE_GENESIS_EPOCH_CONFIG,
			..Default::default()
		},
		grandpa: GrandpaConfig {
			authorities: validators.iter().map(|v| (v.grandpa.clone(), 1)).collect(),
			..Default::default()
		},
		// `CouncilMembership` seats the board in `Council` at genesis; the
		// collective's own member list must start empty.
		council_membership: CouncilMembershipConfig { members: board, ..Default::default() },
		proof_of_bandwidth: ProofOfBandwidthConfig {
			probers: validators.iter().map(|v| v.pob.clone()).collect(),
			..Default::default()
		},
		..Default::default()
	}
}

fn dev_board() -> Vec<AccountId> {
	[Sr25519Keyring::Alice, Sr25519Keyring::Bob, Sr25519Keyring::Charlie]
		.iter()
		.map(|k| k.to_account_id())
		.collect()
}

/// `--dev`: Alice validates alone.
pub fn development() -> RuntimeGenesisConfig {
	let mut genesis = ocm_genesis(
		vec![Validator::dev(Sr25519Keyring::Alice)],
		dev_board(),
		Sr25519Keyring::well_known().map(|k| k.to_account_id()).collect(),
	);
	// Proof-of-bandwidth epochs of 15 blocks (30 s) instead of 30 minutes,
	// so a relay started with `./scripts/dev` is verified within a minute,
	// by three beacons instead of four, so fewer processes run locally.
	// Log periods and dispute windows of 10 blocks (20 s) instead of hours,
	// so a delivery is paid within a minute.
	genesis.governance.parameters = Some(pallet_ocm_governance::MarketParameters {
		pob_epoch_length: 15,
		beacons_per_test: 3,
		settlement_period: 10,
		dispute_window: 10,
		..configs::GENESIS_MARKET_PARAMETERS
	});
	genesis
}

/// `--chain local`: Alice, Bob and Charlie validate.
pub fn local_testnet() -> RuntimeGenesisConfig {
	ocm_genesis(
		[Sr25519Keyring::Alice, Sr25519Keyring::Bob, Sr25519Keyring::Charlie]
			.into_iter()
			.map(Validator::dev)
			.collect(),
		dev_board(),
		Sr25519Keyring::well_known().map(|k| k.to_account_id()).collect(),
	)
}

/// The preset's JSON, or `None` for an unknown name.
pub fn get_preset(id: &PresetId) -> Option<Vec<u8>> {
	let genesis = match id.as_ref() {
		DEV_RUNTIME_PRESET => development(),
		LOCAL_TESTNET_RUNTIME_PRESET => local_testnet(),
		_ => return None,
	};
	Some(
		serde_json::to_string(&genesis)
			.expect("a genesis config always serializes to JSON; qed")
			.into_bytes(),
	)
}

pub fn preset_names() -> Vec<PresetId> {
	vec![PresetId::from(DEV_RUNTIME_PRESET), PresetId::from(LOCAL_TESTNET_RUNTIME_PRESET)]
}
