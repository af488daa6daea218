//! A relay's life as its operator drives it: register, update, heartbeat,
//! leave, withdraw the bond.

use crate::{
	types::*, validate, Config, Error, Event, HoldReason, OperatorRelays, Pallet, RelayByAuthority,
	Relays,
};
use frame_support::{
	ensure,
	pallet_prelude::DispatchResult,
	traits::{fungible::MutateHold, tokens::Precision, Get},
};
use ocm_primitives::capacity::RelayObligations;
use sp_runtime::traits::Zero;

impl<T: Config> Pallet<T> {
	/// The relay, if `who` operates it.
	pub(crate) fn operated_by(
		relay: RelayId,
		who: &T::AccountId,
	) -> Result<RelayInfo<T>, Error<T>> {
		let info = Relays::<T>::get(relay).ok_or(Error::<T>::RelayNotFound)?;
		ensure!(&info.operator == who, Error::<T>::NotOperator);
		Ok(info)
	}

	/// The relay, if `who` operates it and it is not leaving.
	fn in_service_by(relay: RelayId, who: &T::AccountId) -> Result<RelayInfo<T>, Error<T>> {
		let info = Self::operated_by(relay, who)?;
		ensure!(!matches!(info.status, RelayStatus::Leaving { .. }), Error::<T>::RelayLeaving);
		Ok(info)
	}

	pub(crate) fn do_register_relay(
		operator: T::AccountId,
		registration: RelayRegistration,
		bond: BalanceOf<T>,
	) -> Result<RelayId, Error<T>> {
		ensure!(!T::RegistrationsPaused::get(), Error::<T>::RegistrationsPaused);
		let endpoints = validate::endpoints::<T>(registration.endpoints)?;
		let claims = validate::claims::<T>(registration.claims)?;
		validate::consistent(&endpoints, &claims)?;
		ensure!(bond >= T::MinRelayBond::get(), Error::<T>::BondTooLow);
		let authorities = validate::authorities(&endpoints);
		for authority in &authorities {
			ensure!(!RelayByAuthority::<T>::contains_key(authority), Error::<T>::DuplicateEndpoint);
		}
		let mut operated = OperatorRelays::<T>::get(&operator);
		let relay = crate::NextRelayId::<T>::get();
		let next = relay.checked_add(1).ok_or(Error::<T>::RelayIdsExhausted)?;
		operated.try_push(relay).map_err(|_| Error::<T>::TooManyRelays)?;
		T::Currency::hold(&HoldReason::RelayBond.into(), &operator, bond)
			.map_err(|_| Error::<T>::InsufficientFunds)?;

		// Every check passed and the bond is held: from here on nothing fails.
		let now = frame_system::Pallet::<T>::block_number();
		for claim in &claims.footprints {
			Self::index_footprint(relay, &claim.footprint);
		}
		for authority in &authorities {
			RelayByAuthority::<T>::insert(authority, relay);
		}
		OperatorRelays::<T>::insert(&operator, operated);
		crate::NextRelayId::<T>::put(next);
		Relays::<T>::insert(
			relay,
			RelayInfo {
				operator: operator.clone(),
				status: RelayStatus::Pending,
				endpoints,
				claims,
				verified_mbps: 0,
				bond,
				registered_at: now,
				last_heartbeat: now,
			},
		);
		Self::deposit_event(Event::RelayRegistered { relay, operator, bond });
		Ok(relay)
	}

	pub(crate) fn do_update_endpoints(
		who: T::AccountId,
		relay: RelayId,
		input: EndpointsInput,
	) -> DispatchResult {
		let mut info = Self::in_service_by(relay, &who)?;
		let endpoints = validate::endpoints::<T>(input)?;
		validate::consistent(&endpoints, &info.claims)?;
		let (old, new) =
			(validate::authorities(&info.endpoints), validate::authorities(&endpoints));
		for authority in new.iter().filter(|a| !old.contains(a)) {
			ensure!(!RelayByAuthority::<T>::contains_key(authority), Error::<T>::DuplicateEndpoint);
		}
		for authority in old.iter().filter(|a| !new.contains(a)) {
			RelayByAuthority::<T>::remove(authority);
		}
		for authority in &new {
			RelayByAuthority::<T>::insert(authority, relay);
		}
		info.endpoints = endpoints;
		Relays::<T>::insert(relay, info);
		Self::deposit_event(Event::EndpointsUpdated { relay });
		Ok(())
	}

	/// New claims must be proven again: an Active relay goes back to Pending.
	/// A suspended relay stays suspended; its suspender decides.
	pub(crate) fn do_update_claims(
		who: T::AccountId,
		relay: RelayId,
		input: ClaimsInput,
	) -> DispatchResult {
		let mut info = Self::in_service_by(relay, &who)?;
		let claims = validate::claims::<T>(input)?;
		validate::consistent(&info.endpoints, &claims)?;
		for old in &info.claims.footprints {
			Self::unindex_footprint(relay, &old.footprint);
		}
		for new in &claims.footprints {
			Self::index_footprint(relay, &new.footprint);
		}
		info.claims = claims;
		if info.status == RelayStatus::Active {
			info.status = RelayStatus::Pending;
		}
		Relays::<T>::insert(relay, info);
		Self::deposit_event(Event::ClaimsUpdated { relay });
		Ok(())
	}

	pub(crate) fn do_heartbeat(who: T::AccountId, relay: RelayId) -> DispatchResult {
		let mut info = Self::in_service_by(relay, &who)?;
		info.last_heartbeat = frame_system::Pallet::<T>::block_number();
		Relays::<T>::insert(relay, info);
		Self::deposit_event(Event::Heartbeat { relay });
		Ok(())
	}

	/// Out of service now; the bond stays held, and slashable, for the
	/// unbonding period, so leaving does not escape a pending verdict.
	pub(crate) fn do_leave(who: T::AccountId, relay: RelayId) -> DispatchResult {
		let mut info = Self::operated_by(relay, &who)?;
		ensure!(!matches!(info.status, RelayStatus::Leaving { .. }), Error::<T>::AlreadyLeaving);
		let unbonds_at = frame_system::Pallet::<T>::block_number() + T::UnbondingPeriod::get();
		info.status = RelayStatus::Leaving { unbonds_at };
		Relays::<T>::insert(relay, info);
		Self::deposit_event(Event::RelayLeaving { relay, unbonds_at });
		Ok(())
	}

	/// Releases what is left of the bond and removes every trace of the relay.
	/// Returns the number of footprints it had, for the actual weight.
	pub(crate) fn do_withdraw_bond(who: T::AccountId, relay: RelayId) -> Result<u32, Error<T>> {
		let info = Self::operated_by(relay, &who)?;
		let RelayStatus::Leaving { unbonds_at } = info.status else {
			return Err(Error::<T>::NotLeaving);
		};
		ensure!(
			frame_system::Pallet::<T>::block_number() >= unbonds_at,
			Error::<T>::UnbondingNotFinished
		);
		ensure!(!T::Obligations::has_obligations(relay), Error::<T>::ObligationsOpen);
		let released = if info.bond.is_zero() {
			Zero::zero()
		} else {
			T::Currency::release(
				&HoldReason::RelayBond.into(),
				&who,
				info.bond,
				Precision::BestEffort,
			)
			.map_err(|_| Error::<T>::InsufficientFunds)?
		};
		for claim in &info.claims.footprints {
			Self::unindex_footprint(relay, &claim.footprint);
		}
		for authority in validate::authorities(&info.endpoints) {
			RelayByAuthority::<T>::remove(authority);
		}
		OperatorRelays::<T>::mutate_exists(&who, |operated| {
			if let Some(list) = operated {
				list.retain(|r| *r != relay);
				if list.is_empty() {
					*operated = None;
				}
			}
		});
		Relays::<T>::remove(relay);
		Self::deposit_event(Event::RelayRemoved { relay, released });
		Ok(info.claims.footprints.len() as u32)
	}
}
