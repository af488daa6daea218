//! The pallet's invariants, checked by `try-runtime` and after every unit test.

use crate::{
	types::*, Assignments, BeaconAssignment, Beacons, Config, CurrentEpoch, Pallet, Reports,
};
use frame_support::{ensure, traits::Get};

impl<T: Config> Pallet<T> {
	/// - at most `MaxBeacons` beacons and `MaxRelaysPerEpoch` tests;
	/// - every assigned beacon is registered, assigned once, to the test that lists it;
	/// - every report belongs to an assigned beacon of its relay and has the window's length;
	/// - reputations stay within `MAX_REPUTATION`.
	pub fn do_try_state() -> Result<(), sp_runtime::TryRuntimeError> {
		ensure!(Beacons::<T>::count() <= T::MaxBeacons::get(), "too many beacons");
		ensure!(Assignments::<T>::count() <= T::MaxRelaysPerEpoch::get(), "too many tests");
		let mut listed = 0u32;
		for (relay, test) in Assignments::<T>::iter() {
			for beacon in &test.beacons {
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
		let window = CurrentEpoch::<T>::get().window_secs as usize;
		for (relay, beacon, seconds) in Reports::<T>::iter() {
			ensure!(
				BeaconAssignment::<T>::get(&beacon) == Some(relay),
				"a report from a beacon not assigned to its relay"
			);
			ensure!(seconds.len() == window, "a report of the wrong length");
		}
		for (_, beacon) in Beacons::<T>::iter() {
			ensure!(beacon.reputation <= MAX_REPUTATION, "reputation above the maximum");
		}
		Ok(())
	}
}
