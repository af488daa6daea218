use super::*;
use sp_genesis_builder::{PresetId, DEV_RUNTIME_PRESET, LOCAL_TESTNET_RUNTIME_PRESET};
use sp_keyring::Sr25519Keyring::*;

#[test]
fn presets_are_listed_and_unknown_names_are_refused() {
	let names = genesis_config_presets::preset_names();
	assert!(names.contains(&PresetId::from(DEV_RUNTIME_PRESET)));
	assert!(names.contains(&PresetId::from(LOCAL_TESTNET_RUNTIME_PRESET)));
	assert!(genesis_config_presets::get_preset(&PresetId::from("mainnet")).is_none());
}

#[test]
fn preset_json_round_trips_into_genesis_state() {
	for name in [DEV_RUNTIME_PRESET, LOCAL_TESTNET_RUNTIME_PRESET] {
		let json = genesis_config_presets::get_preset(&PresetId::from(name)).unwrap();
		let config: RuntimeGenesisConfig = serde_json::from_slice(&json).unwrap();
		config.build_storage().unwrap_or_else(|e| panic!("{name}: {e}"));
	}
}

#[test]
fn development_seats_the_board_and_alice_validates() {
	dev_chain().execute_with(|| {
		let mut board = vec![account(Alice), account(Bob), account(Charlie)];
		board.sort();
		assert_eq!(pallet_collective::Members::<Runtime, CouncilCollective>::get(), board);
		assert_eq!(
			pallet_membership::Members::<Runtime, CouncilMembershipInstance>::get().into_inner(),
			board
		);
		assert_eq!(Babe::authorities().len(), 1);
		assert_eq!(Babe::epoch_config(), Some(BABE_GENESIS_EPOCH_CONFIG));
		assert_eq!(Grandpa::grandpa_authorities().len(), 1);
		assert_eq!(Balances::free_balance(account(Dave)), genesis_config_presets::DEV_ENDOWMENT);
	});
}

#[test]
fn local_testnet_has_three_validators() {
	let storage = genesis_config_presets::local_testnet().build_storage().unwrap();
	sp_io::TestExternalities::new(storage).execute_with(|| {
		assert_eq!(Babe::authorities().len(), 3);
		assert_eq!(Grandpa::grandpa_authorities().len(), 3);
	});
}

#[test]
fn metadata_v16_is_offered() {
	assert!(Runtime::metadata_versions().contains(&16));
	let metadata = Runtime::metadata_at_version(16).expect("v16 metadata");
	// `RuntimeMetadataPrefixed`: the magic "meta", then the version byte.
	assert_eq!(&metadata[..4], b"meta");
	assert_eq!(metadata[4], 16);
}

#[test]
fn there_is_no_sudo() {
	let metadata = Runtime::metadata_ir();
	let names: Vec<_> = metadata.pallets.iter().map(|p| p.name).collect();
	assert!(names.contains(&"Council") && names.contains(&"CouncilMembership"));
	assert!(!names.iter().any(|n| n.contains("Sudo")), "pallets: {names:?}");
}

#[test]
fn operational_calls_keep_a_quarter_of_each_block() {
	use frame_support::dispatch::DispatchClass;
	let length = RuntimeBlockLength::get();
	assert_eq!(*length.max.get(DispatchClass::Operational), 5 * 1024 * 1024);
	assert_eq!(*length.max.get(DispatchClass::Normal), 5 * 1024 * 1024 * 3 / 4);
	let weights = RuntimeBlockWeights::get();
	let normal = weights.get(DispatchClass::Normal).max_total.unwrap();
	assert_eq!(normal.ref_time(), weights.max_block.ref_time() / 4 * 3);
}

/// The genesis parameters hold together (the presets above build), and the
/// rules are where the runtime's constants put them: an epoch of 14 blocks
/// (28 s) holds its tests (27.5 s with the commitments' grace block and the
/// reveals' two blocks), 13 does not; unbonding must outlast two periods, the dispute window and the
/// answer period.
#[test]
fn market_parameters_are_checked_against_each_other() {
	use crate::configs::{MarketParameterRules, GENESIS_MARKET_PARAMETERS};
	use pallet_ocm_governance::{MarketParameters, ParameterConflict, ParameterRules};
	let genesis = GENESIS_MARKET_PARAMETERS;
	assert_eq!(MarketParameterRules::check(&genesis), Ok(()));
	let epoch = |pob_epoch_length| {
		MarketParameterRules::check(&MarketParameters { pob_epoch_length, ..genesis })
	};
	assert_eq!(epoch(14), Ok(()));
	assert_eq!(epoch(13), Err(ParameterConflict::EpochShorterThanItsTests));
	// Periods of 10 blocks, a dispute window of 10 and its answer period
	// of 5: the last batch settles 35 blocks after the relay leaves.
	let unbonding = |unbonding_period| {
		MarketParameterRules::check(&MarketParameters {
			unbonding_period,
			settlement_period: 10,
			dispute_window: 10,
			..genesis
		})
	};
	assert_eq!(unbonding(35), Ok(()));
	assert_eq!(unbonding(34), Err(ParameterConflict::UnbondingShorterThanDisputes));
}
