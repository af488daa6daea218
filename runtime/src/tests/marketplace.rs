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

type PobWeights = pallet_proof_of_bandwidth::weights::SubstrateWeight<Runtime>;

/// An epoch boundary at the bounds (38 relays judged and drawn, 1,024
/// beacons) takes at most a quarter of one block's time, once an epoch
/// (mostly the database writes of judging: a report, a reputation and a
/// reward per beacon); a beacon's report is a light transaction.
#[test]
fn a_full_epoch_boundary_fits_in_a_block() {
	use pallet_proof_of_bandwidth::WeightInfo as _;
	type Pob = <Runtime as pallet_proof_of_bandwidth::Config>::MaxRelaysPerEpoch;
	let relays: u32 = Pob::get();
	let beacons = <Runtime as pallet_proof_of_bandwidth::Config>::MaxBeacons::get();
	let boundary = PobWeights::close_epoch(relays, beacons)
		.saturating_add(PobWeights::open_epoch(relays, beacons));
	let limits = <Runtime as frame_system::Config>::BlockWeights::get();
	println!(
		"epoch boundary ({relays} relays, {beacons} beacons): ref_time {:.2} ms, proof {} KiB; \
		 block {:.0} ms",
		boundary.ref_time() as f64 / 1e9,
		boundary.proof_size() / 1024,
		limits.max_block.ref_time() as f64 / 1e9
	);
	assert!(boundary.ref_time() <= limits.max_block.ref_time() / 4, "at most a quarter of a block");
	let report = PobWeights::submit_report().saturating_add(PobWeights::authorize_submit_report());
	let max_extrinsic = limits.get(DispatchClass::Normal).max_extrinsic.expect("a normal limit");
	assert!(report.all_lte(max_extrinsic.saturating_div(100)));
	assert!(PobWeights::on_initialize_idle().ref_time() < report.ref_time());
}

/// The block author's grinding attack on proof of bandwidth: with Aura the
/// epoch's seed was the parent hash, which an author could recompute for any
/// number of candidate blocks (reordering transactions, moving its
/// timestamp) until the draw put its own beacons on its relay. The seed now
/// comes from VRF outputs: block contents do not enter it, the parent's VRF
/// output and the epoch's randomness do.
#[test]
fn a_block_author_cannot_grind_the_proof_of_bandwidth_seed() {
	use frame_support::traits::Randomness;
	const SUBJECT: &[u8] = b"ocm/pob/epoch";
	dev_chain().execute_with(|| {
		pallet_babe::AuthorVrfRandomness::<Runtime>::put(Some([7u8; 32]));
		pallet_babe::NextRandomness::<Runtime>::put([9u8; 32]);
		let seed = || <Runtime as pallet_proof_of_bandwidth::Config>::Randomness::random(SUBJECT).0;
		let drawn = seed();

		// Another candidate parent block: different contents, so a different
		// hash, and the same VRF output (the author's key and slot fix it).
		System::set_parent_hash(Hash::repeat_byte(1));
		assert_eq!(seed(), drawn, "the seed moved with the parent hash");
		System::set_parent_hash(Hash::repeat_byte(2));
		assert_eq!(seed(), drawn, "the seed moved with the parent hash");

		// What does move it: another slot's VRF output (withholding the
		// block, the author's one choice), or another epoch's randomness.
		pallet_babe::AuthorVrfRandomness::<Runtime>::put(Some([8u8; 32]));
		let other_slot = seed();
		assert_ne!(other_slot, drawn);
		pallet_babe::NextRandomness::<Runtime>::put([10u8; 32]);
		assert_ne!(seed(), other_slot);

		// Distinct subjects draw distinct seeds from the same randomness.
		assert_ne!(
			<Runtime as pallet_proof_of_bandwidth::Config>::Randomness::random(b"another").0,
			seed()
		);
	});
}
