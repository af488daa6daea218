//! The pallet's invariants, checked by `try-runtime` and after every unit test.

use crate::{
	types::*, Assignments, BeaconAssignment, Beacons, Commitments, Config, CurrentEpoch,
	HoldReason, LeftUntested, MulticastChannels, MulticastReports, MulticastTests, Pallet, Reports,
};
use frame_support::{
	ensure,
	traits::{fungible::InspectHold, Get},
};

impl<T: Config> Pallet<T> {
	/// - at most `MaxBeacons` beacons and `MaxRelaysPerEpoch` tests;
	/// - every assigned beacon is registered, assigned once, to the test that lists it;
	///   commitments and reports come from assigned beacons, and every report
	///   revealed a commitment;
	/// - a beacon's recorded bond is what is held from it, its forfeit no more;
	/// - relays left untested have no test and are listed once;
	/// - every report belongs to an assigned beacon of its relay and has the window's length;
	/// - multicast tests belong to tests, multicast reports to their
	///   tests' beacons, within the objects sent; announced channels check;
	/// - reputations stay within `MAX_REPUTATION`.
	pub fn do_try_state() -> Result<(), sp_runtime::TryRuntimeError> {
		ensure!(Beacons::<T>::count() <= T::MaxBeacons::get(), "too many beacons");
		ensure!(Assignments::<T>::count() <= T::MaxRelaysPerEpoch::get(), "too many tests");
		let mut listed = 0u32;
		for (relay, test) in Assignments::<T>::iter() {
			for beacon in test.accounts() {
				ensure!(Beacons::<T>::contains_key(beacon), "an assigned beacon is not registered");
				ensure!(
					BeaconAssignment::<T>::get(beacon) == Some(relay),
					"a beacon's assignment disagrees with its test"
				);
				listed += 1;
			}
		}
		ensure!(
			BeaconAssignment::<T>::iter().count() as u32 == listed,
			"a beacon is assigned to no test"
		);
		let left_untested = LeftUntested::<T>::get();
		for (i, relay) in left_untested.iter().enumerate() {
			ensure!(!Assignments::<T>::contains_key(relay), "a relay left untested has a test");
			ensure!(!left_untested[..i].contains(relay), "a relay left untested twice");
		}
		let window = CurrentEpoch::<T>::get().window_secs as usize;
		for (relay, beacon, seconds) in Reports::<T>::iter() {
			ensure!(
				BeaconAssignment::<T>::get(&beacon) == Some(relay),
				"a report from a beacon not assigned to its relay"
			);
			ensure!(seconds.len() == window, "a report of the wrong length");
			ensure!(
				Commitments::<T>::contains_key(relay, &beacon),
				"a report revealed without a commitment"
			);
		}
		for (relay, beacon, _) in Commitments::<T>::iter() {
			ensure!(
				BeaconAssignment::<T>::get(&beacon) == Some(relay),
				"a commitment from a beacon not assigned to its relay"
			);
		}
		for (relay, _) in MulticastTests::<T>::iter() {
			ensure!(Assignments::<T>::contains_key(relay), "a multicast test of no test");
		}
		for (relay, beacon, reach) in MulticastReports::<T>::iter() {
			ensure!(
				MulticastTests::<T>::contains_key(relay)
					&& BeaconAssignment::<T>::get(&beacon) == Some(relay),
				"a multicast report outside a multicast test"
			);
			ensure!(
				reach.objects <= ocm_pob::multicast::OBJECTS_IN_WINDOW,
				"a multicast report of more objects than the test sends"
			);
		}
		for (_, channel) in MulticastChannels::<T>::iter() {
			ensure!(channel.check().is_ok(), "a multicast channel that does not check");
		}
		for (who, beacon) in Beacons::<T>::iter() {
			ensure!(beacon.reputation <= MAX_REPUTATION, "reputation above the maximum");
			ensure!(
				T::Currency::balance_on_hold(&HoldReason::BeaconBond.into(), &who) == beacon.bond,
				"a beacon's recorded bond is not what is held"
			);
			ensure!(beacon.forfeit <= beacon.bond, "a beacon forfeited more than its bond");
		}
		Ok(())
	}
}
