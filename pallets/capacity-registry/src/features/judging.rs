//! Verdicts on relays, from proof of bandwidth (through [`RelayRegistry`])
//! and from the board (through its calls): activate, suspend, reinstate, slash.

use crate::{types::*, Config, Error, Event, HoldReason, Pallet, Relays};
use frame_support::{
	ensure,
	pallet_prelude::DispatchResult,
	traits::{fungible::BalancedHold, OnUnbalanced},
};
use ocm_primitives::capacity::{RelayRegistry, RelaySummary};
use sp_runtime::{
	traits::{Saturating, Zero},
	DispatchError, Perbill,
};

impl<T: Config> Pallet<T> {
	fn judged(relay: RelayId) -> Result<RelayInfo<T>, Error<T>> {
		Relays::<T>::get(relay).ok_or(Error::<T>::RelayNotFound)
	}

	/// A passing verdict: record the capacity; activate the relay unless the
	/// board suspended it or it is leaving.
	pub(crate) fn do_record_verified(relay: RelayId, verified: Mbps) -> DispatchResult {
		ensure!(verified > 0, Error::<T>::ZeroCapacity);
		let mut info = Self::judged(relay)?;
		info.verified_mbps = verified;
		let activates = matches!(
			info.status,
			RelayStatus::Pending | RelayStatus::Suspended { by: Suspender::ProofOfBandwidth, .. }
		);
		if activates {
			info.status = RelayStatus::Active;
		}
		Relays::<T>::insert(relay, info);
		Self::deposit_event(if activates {
			Event::RelayActivated { relay, verified_mbps: verified }
		} else {
			Event::CapacityVerified { relay, verified_mbps: verified }
		});
		Ok(())
	}

	/// The board's word overrides proof of bandwidth's: a board suspension is
	/// never downgraded to one that a passing verdict lifts.
	pub(crate) fn do_suspend(relay: RelayId, by: Suspender) -> DispatchResult {
		let mut info = Self::judged(relay)?;
		let since = frame_system::Pallet::<T>::block_number();
		info.status = match info.status {
			RelayStatus::Leaving { .. } => return Err(Error::<T>::RelayLeaving.into()),
			RelayStatus::Suspended { by: Suspender::Board, since } => {
				RelayStatus::Suspended { by: Suspender::Board, since }
			}
			RelayStatus::Suspended { since, .. } => RelayStatus::Suspended { by, since },
			RelayStatus::Pending | RelayStatus::Active => RelayStatus::Suspended { by, since },
		};
		Relays::<T>::insert(relay, info);
		Self::deposit_event(Event::RelaySuspended { relay, by });
		Ok(())
	}

	/// Lifts a suspension into Pending: the relay serves again once proof of
	/// bandwidth verifies it.
	pub(crate) fn do_reinstate(relay: RelayId) -> DispatchResult {
		let mut info = Self::judged(relay)?;
		ensure!(matches!(info.status, RelayStatus::Suspended { .. }), Error::<T>::NotSuspended);
		info.status = RelayStatus::Pending;
		Relays::<T>::insert(relay, info);
		Self::deposit_event(Event::RelayReinstated { relay });
		Ok(())
	}

	/// The board vouches for a relay's capacity itself, as it must before
	/// there are beacons to measure it.
	pub(crate) fn do_board_activate(relay: RelayId, verified: Mbps) -> DispatchResult {
		ensure!(verified > 0, Error::<T>::ZeroCapacity);
		let mut info = Self::judged(relay)?;
		ensure!(!matches!(info.status, RelayStatus::Leaving { .. }), Error::<T>::RelayLeaving);
		info.verified_mbps = verified;
		info.status = RelayStatus::Active;
		Relays::<T>::insert(relay, info);
		Self::deposit_event(Event::RelayActivated { relay, verified_mbps: verified });
		Ok(())
	}

	/// Takes `fraction` of what is left of the bond; the funds go to `OnSlash`.
	pub(crate) fn do_slash(
		relay: RelayId,
		fraction: Perbill,
	) -> Result<BalanceOf<T>, DispatchError> {
		let mut info = Self::judged(relay)?;
		let amount = fraction * info.bond;
		if amount.is_zero() {
			return Ok(amount);
		}
		let (credit, missing) =
			T::Currency::slash(&HoldReason::RelayBond.into(), &info.operator, amount);
		let slashed = amount.saturating_sub(missing);
		info.bond = info.bond.saturating_sub(slashed);
		T::OnSlash::on_unbalanced(credit);
		Relays::<T>::insert(relay, info);
		Self::deposit_event(Event::RelaySlashed { relay, amount: slashed });
		Ok(slashed)
	}
}

impl<T: Config> RelayRegistry<T::AccountId, frame_system::pallet_prelude::BlockNumberFor<T>>
	for Pallet<T>
{
	type Balance = BalanceOf<T>;

	fn relay(
		relay: RelayId,
	) -> Option<RelaySummary<T::AccountId, frame_system::pallet_prelude::BlockNumberFor<T>>> {
		Relays::<T>::get(relay).map(|info| RelaySummary {
			operator: info.operator,
			status: info.status,
			claimed_mbps: info.claims.capacity_mbps,
			verified_mbps: info.verified_mbps,
			capabilities: info.claims.capabilities,
			asn: info.claims.location.asn,
		})
	}

	fn relay_id_bound() -> RelayId {
		crate::NextRelayId::<T>::get()
	}

	fn pob_endpoint(relay: RelayId) -> Option<alloc::vec::Vec<u8>> {
		Relays::<T>::get(relay).map(|info| info.endpoints.pob.into_inner())
	}

	fn footprints(relay: RelayId) -> alloc::vec::Vec<ocm_primitives::footprint::Footprint> {
		Relays::<T>::get(relay)
			.map(|info| info.claims.footprints.iter().map(|c| c.footprint).collect())
			.unwrap_or_default()
	}

	fn record_verified(relay: RelayId, verified: Mbps) -> DispatchResult {
		Self::do_record_verified(relay, verified)
	}

	fn suspend(relay: RelayId, by: Suspender) -> DispatchResult {
		Self::do_suspend(relay, by)
	}

	fn slash(relay: RelayId, fraction: Perbill) -> Result<BalanceOf<T>, DispatchError> {
		Self::do_slash(relay, fraction)
	}

	fn reinstate(relay: RelayId) -> DispatchResult {
		Self::do_reinstate(relay)
	}

	#[cfg(feature = "runtime-benchmarks")]
	fn benchmark_relay() -> RelayId {
		crate::benchmarking::funded_relay::<T>()
	}
}

impl<T: Config> ocm_primitives::capacity::ProviderRegistry<T::AccountId> for Pallet<T> {
	fn host_owner(host: &[u8]) -> Option<T::AccountId> {
		let host: crate::types::HostName = host.to_vec().try_into().ok()?;
		crate::HostOwner::<T>::get(host)
	}

	#[cfg(feature = "runtime-benchmarks")]
	fn benchmark_provider(who: &T::AccountId, hosts: alloc::vec::Vec<alloc::vec::Vec<u8>>) {
		crate::benchmarking::funded_provider::<T>(who, hosts);
	}
}
