//! Beacons' reports: checked in the transaction pool (`authorize_report`)
//! and again when applied (`do_accept_report`).

use crate::{
	types::*, Assignments, BeaconAssignment, Beacons, Config, CurrentEpoch, Event, Pallet, Reports,
};
use alloc::vec::Vec;
use codec::Encode;
use frame_support::{
	pallet_prelude::{
		InvalidTransaction, TransactionSource, TransactionValidityWithRefund, ValidTransaction,
	},
	traits::{Get, UnixTime},
	weights::Weight,
};
use sp_runtime::{
	traits::{Saturating, Verify},
	SaturatedConversion,
};

/// The bytes a beacon signs for `report` on the chain whose genesis block
/// hash is `genesis`.
pub fn signing_payload<
	AccountId: Encode + Clone + PartialEq + Eq + core::fmt::Debug,
	W: Get<u32>,
>(
	genesis: &[u8],
	report: &Report<AccountId, W>,
) -> Vec<u8> {
	(REPORT_CONTEXT, genesis, report).encode()
}

impl<T: Config> Pallet<T> {
	/// Every check a report must pass, in the order of cost.
	pub(crate) fn check_report(
		report: &ReportOf<T>,
		signature: &T::BeaconSignature,
	) -> Result<(), ReportRejection> {
		let epoch = CurrentEpoch::<T>::get();
		if report.epoch != epoch.index || epoch.index == 0 {
			return Err(ReportRejection::WrongEpoch);
		}
		let window_end = epoch
			.window_start_ms
			.saturating_add(u64::from(epoch.window_secs).saturating_mul(1_000));
		if (T::Time::now().as_millis() as u64) < window_end {
			return Err(ReportRejection::WindowOpen);
		}
		if !Beacons::<T>::contains_key(&report.beacon) {
			return Err(ReportRejection::UnknownBeacon);
		}
		if BeaconAssignment::<T>::get(&report.beacon) != Some(report.relay) {
			return Err(ReportRejection::NotAssigned);
		}
		// The link the beacon had when the epoch drew it.
		let link_mbps = Assignments::<T>::get(report.relay)
			.and_then(|test| test.link_of(&report.beacon))
			.ok_or(ReportRejection::NotAssigned)?;
		if Reports::<T>::contains_key(report.relay, &report.beacon) {
			return Err(ReportRejection::Duplicate);
		}
		ocm_pob::verdict::check_report(epoch.window_secs, link_mbps, &report.bytes_per_second)
			.map_err(|e| match e {
				ocm_pob::verdict::ReportError::WrongLength { .. } => ReportRejection::WrongLength,
				ocm_pob::verdict::ReportError::Impossible { .. } => ReportRejection::Impossible,
			})?;
		let payload = signing_payload(Self::genesis_hash().as_ref(), report);
		if !signature.verify(&payload[..], &report.beacon) {
			return Err(ReportRejection::BadSignature);
		}
		Ok(())
	}

	/// `submit_report`'s authorization: the pool's verdict on a report.
	pub(crate) fn authorize_report(
		_source: TransactionSource,
		report: &ReportOf<T>,
		signature: &T::BeaconSignature,
	) -> TransactionValidityWithRefund {
		Self::check_report(report, signature)
			.map_err(|rejection| InvalidTransaction::Custom(rejection as u8))?;
		Self::report_validity("OcmPobReport", report.epoch, report.relay, &report.beacon)
	}

	/// The pool's validity for a beacon's report (of kind `tag`) of
	/// `relay` in `epoch`: one per beacon, relay and epoch, until the epoch ends.
	pub(crate) fn report_validity(
		tag: &'static str,
		epoch: EpochIndex,
		relay: RelayId,
		beacon: &T::AccountId,
	) -> TransactionValidityWithRefund {
		let current = CurrentEpoch::<T>::get();
		let ends_at = current.started_at.saturating_add(T::EpochLength::get());
		let now = frame_system::Pallet::<T>::block_number();
		let validity = ValidTransaction::with_tag_prefix(tag)
			.and_provides((epoch, relay, beacon))
			.longevity(ends_at.saturating_sub(now).saturated_into::<u64>().max(1))
			.propagate(true)
			.build()?;
		Ok((validity, Weight::zero()))
	}

	/// The chain's genesis hash, which every signed report and batch binds.
	pub(crate) fn genesis_hash() -> T::Hash {
		frame_system::Pallet::<T>::block_hash(
			frame_system::pallet_prelude::BlockNumberFor::<T>::default(),
		)
	}

	/// Stores an authorized report.
	pub(crate) fn store_report(report: ReportOf<T>) {
		Reports::<T>::insert(report.relay, &report.beacon, report.bytes_per_second);
		Self::deposit_event(Event::ReportAccepted {
			epoch: report.epoch,
			relay: report.relay,
			beacon: report.beacon,
		});
	}
}
