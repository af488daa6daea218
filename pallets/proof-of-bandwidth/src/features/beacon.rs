//! Beacons join with a bond, change their link or location, and leave.

use crate::{
	types::*, BeaconAssignment, Beacons, Config, Error, Event, HoldReason, Pallet, RetiredRecords,
};
use frame_support::{
	ensure,
	pallet_prelude::DispatchResult,
	traits::{
		fungible::{Mutate, MutateHold},
		tokens::{Fortitude, Precision, Preservation, Restriction},
		Get, TypedGet,
	},
};
use sp_runtime::traits::Zero;

impl<T: Config> Pallet<T> {
	fn check_beacon(location: &BeaconLocation, capacity_mbps: Mbps) -> DispatchResult {
		ensure!(location.country.iter().all(u8::is_ascii_uppercase), Error::<T>::BadCountry);
		ensure!(capacity_mbps > 0, Error::<T>::ZeroCapacity);
		ensure!(capacity_mbps <= T::MaxBeaconCapacityMbps::get(), Error::<T>::CapacityTooHigh);
		Ok(())
	}

	pub(crate) fn do_register_beacon(
		who: T::AccountId,
		location: BeaconLocation,
		capacity_mbps: Mbps,
	) -> DispatchResult {
		ensure!(!T::RegistrationsPaused::get(), Error::<T>::RegistrationsPaused);
		Self::check_beacon(&location, capacity_mbps)?;
		ensure!(!Beacons::<T>::contains_key(&who), Error::<T>::AlreadyRegistered);
		ensure!(Beacons::<T>::count() < T::MaxBeacons::get(), Error::<T>::TooManyBeacons);
		let bond = T::MinBeaconBond::get();
		T::Currency::hold(&HoldReason::BeaconBond.into(), &who, bond)?;
		let record = RetiredRecords::<T>::take(&who)
			.unwrap_or(RetiredRecord { reputation: INITIAL_REPUTATION, strikes: 0 });
		Beacons::<T>::insert(
			&who,
			BeaconInfo {
				location,
				capacity_mbps,
				bond,
				forfeit: Zero::zero(),
				reputation: record.reputation,
				strikes: record.strikes,
				unclaimed: Zero::zero(),
				registered_at: frame_system::Pallet::<T>::block_number(),
			},
		);
		Self::deposit_event(Event::BeaconRegistered { beacon: who, capacity_mbps, bond });
		Ok(())
	}

	pub(crate) fn do_update_beacon(
		who: T::AccountId,
		location: BeaconLocation,
		capacity_mbps: Mbps,
	) -> DispatchResult {
		Self::check_beacon(&location, capacity_mbps)?;
		Beacons::<T>::try_mutate(&who, |beacon| {
			let beacon = beacon.as_mut().ok_or(Error::<T>::NotRegistered)?;
			beacon.location = location;
			beacon.capacity_mbps = capacity_mbps;
			Ok::<_, Error<T>>(())
		})?;
		Self::deposit_event(Event::BeaconUpdated { beacon: who, capacity_mbps });
		Ok(())
	}

	/// Pays the beacon's unclaimed rewards from the pot.
	pub(crate) fn do_claim_rewards(who: T::AccountId) -> DispatchResult {
		let mut beacon = Beacons::<T>::get(&who).ok_or(Error::<T>::NotRegistered)?;
		ensure!(!beacon.unclaimed.is_zero(), Error::<T>::NothingToClaim);
		T::Currency::transfer(&T::RewardPot::get(), &who, beacon.unclaimed, Preservation::Preserve)
			.map_err(|_| Error::<T>::PotEmpty)?;
		let amount = core::mem::replace(&mut beacon.unclaimed, Zero::zero());
		Beacons::<T>::insert(&who, beacon);
		Self::deposit_event(Event::RewardsClaimed { beacon: who, amount });
		Ok(())
	}

	/// Leaving pays what is unclaimed first, if the pot can.
	pub(crate) fn do_deregister_beacon(who: T::AccountId) -> DispatchResult {
		let beacon = Beacons::<T>::get(&who).ok_or(Error::<T>::NotRegistered)?;
		ensure!(!BeaconAssignment::<T>::contains_key(&who), Error::<T>::AssignedThisEpoch);
		if !beacon.unclaimed.is_zero() {
			let _ = Self::do_claim_rewards(who.clone());
		}
		// What it forfeited goes to the pot; the rest comes back.
		if !beacon.forfeit.is_zero() {
			T::Currency::transfer_on_hold(
				&HoldReason::BeaconBond.into(),
				&who,
				&T::RewardPot::get(),
				beacon.forfeit,
				Precision::BestEffort,
				Restriction::Free,
				Fortitude::Force,
			)?;
		}
		T::Currency::release(
			&HoldReason::BeaconBond.into(),
			&who,
			beacon.at_stake(),
			Precision::BestEffort,
		)?;
		Beacons::<T>::remove(&who);
		if beacon.reputation < INITIAL_REPUTATION || beacon.strikes > 0 {
			let record = RetiredRecord {
				reputation: beacon.reputation.min(INITIAL_REPUTATION),
				strikes: beacon.strikes,
			};
			RetiredRecords::<T>::insert(&who, record);
		}
		Self::deposit_event(Event::BeaconDeregistered { beacon: who });
		Ok(())
	}
}
