//! The marketplace pallets as this runtime configures them.

use super::*;
use frame_support::{dispatch::DispatchClass, traits::Get, weights::Weight};
use pallet_capacity_registry::WeightInfo as _;

type RegistryWeights = pallet_capacity_registry::weights::SubstrateWeight<Runtime>;

/// The heaviest call of the registry, registering a relay with the most
/// footprints, fits in one normal transaction with room to spare.
#[test]
fn the_largest_relay_registration_fits_in_a_block() {
	let max_footprints = <Runtime as pallet_capacity_registry::Config>::MaxFootprints::get();
	let weight = RegistryWeights::register_relay(max_footprints);
	let limits = <Runtime as frame_system::Config>::BlockWeights::get();
	let max_extrinsic = limits.get(DispatchClass::Normal).max_extrinsic.expect("a normal limit");
	println!(
		"register_relay({max_footprints} footprints): ref_time {} ps ({:.2} ms), proof {} B; \
		 normal extrinsic limit {} ps",
		weight.ref_time(),
		weight.ref_time() as f64 / 1e9,
		weight.proof_size(),
		max_extrinsic.ref_time()
	);
	assert!(weight.all_lte(max_extrinsic.saturating_div(10)), "at most a tenth of the limit");
	assert!(weight.any_gt(RegistryWeights::register_relay(1)), "footprints cost weight");
	assert!(RegistryWeights::withdraw_bond(max_footprints).all_lte(max_extrinsic));
	assert!(RegistryWeights::update_claims(max_footprints).all_lte(max_extrinsic));
	assert_ne!(RegistryWeights::heartbeat(), Weight::zero(), "weights are measured, not zero");
}
