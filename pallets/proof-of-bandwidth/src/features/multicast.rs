//! Multicast reach: relays announce a test channel, beacons assigned to
//! them join it through AMT after the unicast window and report what they
//! rebuilt, and the epoch's close records whether the relay's multicast
//! verifiably reached them (`ocm_pob::multicast` has the test itself).
//!
//! A multicast test never changes a relay's verified capacity or status:
//! it adds a record of reach that buyers and the board can read. Its
//! reports carry no reward and missing ones no penalty, so a beacon whose
//! own network drops UDP loses nothing by staying silent.

use crate::{
	types::*, Assignments, BeaconAssignment, Beacons, Config, CurrentEpoch, Error, Event,
	MulticastChannels, MulticastRecords, MulticastReports, MulticastTests, Pallet,
};
use alloc::vec::Vec;
use codec::Encode;
use frame_support::{
	pallet_prelude::{InvalidTransaction, TransactionSource, TransactionValidityWithRefund},
	traits::{Get, UnixTime},
};
use ocm_pob::multicast::{window_end_ms, OBJECTS_IN_WINDOW};
use ocm_primitives::capacity::RelayRegistry;
use sp_runtime::{traits::Verify, DispatchResult};

/// The bytes a beacon signs for a multicast `report` on the chain whose
/// genesis block hash is `genesis`.
pub fn multicast_signing_payload<AccountId: Encode>(
	genesis: &[u8],
	report: &MulticastReport<AccountId>,
) -> Vec<u8> {
	(MULTICAST_REPORT_CONTEXT, genesis, report).encode()
}

impl<T: Config> Pallet<T> {
	fn ensure_operator(who: &T::AccountId, relay: RelayId) -> DispatchResult {
		let summary = T::Registry::relay(relay).ok_or(Error::<T>::UnknownRelay)?;
		if summary.operator != *who {
			return Err(Error::<T>::NotOperator.into());
		}
		Ok(())
	}

	pub(crate) fn do_announce_multicast_channel(
		who: T::AccountId,
		relay: RelayId,
		channel: MulticastChannel,
	) -> DispatchResult {
		Self::ensure_operator(&who, relay)?;
		channel.check().map_err(|_| Error::<T>::BadMulticastChannel)?;
		MulticastChannels::<T>::insert(relay, channel);
		Self::deposit_event(Event::MulticastChannelAnnounced { relay, channel });
		Ok(())
	}

	pub(crate) fn do_withdraw_multicast_channel(
		who: T::AccountId,
		relay: RelayId,
	) -> DispatchResult {
		Self::ensure_operator(&who, relay)?;
		MulticastChannels::<T>::take(relay).ok_or(Error::<T>::NoMulticastChannel)?;
		Self::deposit_event(Event::MulticastChannelWithdrawn { relay });
		Ok(())
	}

	/// At the epoch's opening, for a relay just assigned a test: the channel
	/// it announced is tested this epoch, as it is now.
	pub(crate) fn schedule_multicast_test(relay: RelayId) {
		if let Some(channel) = MulticastChannels::<T>::get(relay) {
			MulticastTests::<T>::insert(relay, channel);
		}
	}

	/// Every check a multicast report must pass, in the order of cost.
	pub(crate) fn check_multicast_report(
		report: &MulticastReportOf<T>,
		signature: &T::BeaconSignature,
	) -> Result<(), ReportRejection> {
		let epoch = CurrentEpoch::<T>::get();
		if report.epoch != epoch.index || epoch.index == 0 {
			return Err(ReportRejection::WrongEpoch);
		}
		if (T::Time::now().as_millis() as u64)
			< window_end_ms(epoch.window_start_ms, epoch.window_secs)
		{
			return Err(ReportRejection::WindowOpen);
		}
		if !MulticastTests::<T>::contains_key(report.relay) {
			return Err(ReportRejection::NoMulticastTest);
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
		if MulticastReports::<T>::contains_key(report.relay, &report.beacon) {
			return Err(ReportRejection::Duplicate);
		}
		let link_bytes = ocm_pob::verdict::max_bytes_per_second(link_mbps)
			.saturating_mul(u64::from(ocm_pob::multicast::WINDOW_SECS));
		if report.objects > OBJECTS_IN_WINDOW || report.bytes > link_bytes {
			return Err(ReportRejection::Impossible);
		}
		let payload = multicast_signing_payload(Self::genesis_hash().as_ref(), report);
		if !signature.verify(&payload[..], &report.beacon) {
			return Err(ReportRejection::BadSignature);
		}
		Ok(())
	}

	/// `submit_multicast_report`'s authorization: the pool's verdict.
	pub(crate) fn authorize_multicast_report(
		_source: TransactionSource,
		report: &MulticastReportOf<T>,
		signature: &T::BeaconSignature,
	) -> TransactionValidityWithRefund {
		Self::check_multicast_report(report, signature)
			.map_err(|rejection| InvalidTransaction::Custom(rejection as u8))?;
		Self::report_validity("OcmPobMulticastReport", report.epoch, report.relay, &report.beacon)
	}

	pub(crate) fn store_multicast_report(report: MulticastReportOf<T>) {
		MulticastReports::<T>::insert(
			report.relay,
			&report.beacon,
			MulticastReach { objects: report.objects, bytes: report.bytes },
		);
		Self::deposit_event(Event::MulticastReportAccepted {
			epoch: report.epoch,
			relay: report.relay,
			beacon: report.beacon,
			objects: report.objects,
		});
	}

	/// At the epoch's close, for each test: judges the relay's multicast
	/// test, if it had one.
	pub(crate) fn judge_multicast_test(
		epoch: EpochIndex,
		relay: RelayId,
		beacons: &[T::AccountId],
	) {
		if MulticastTests::<T>::take(relay).is_none() {
			return;
		}
		let needed = T::MinMulticastDelivery::get().mul_ceil(OBJECTS_IN_WINDOW);
		let mut reports = 0u32;
		let mut reached = 0u32;
		for beacon in beacons {
			if let Some(reach) = MulticastReports::<T>::get(relay, beacon) {
				reports += 1;
				if reach.objects >= needed {
					reached += 1;
				}
			}
		}
		let assigned = beacons.len() as u32;
		let verified = assigned > 0 && reached.saturating_mul(2) > assigned;
		let last_verified = if verified {
			epoch
		} else {
			MulticastRecords::<T>::get(relay).map_or(0, |r| r.last_verified)
		};
		MulticastRecords::<T>::insert(
			relay,
			MulticastRecord { epoch, beacons: assigned, reports, reached, verified, last_verified },
		);
		Self::deposit_event(Event::MulticastReach {
			epoch,
			relay,
			beacons: assigned,
			reached,
			verified,
		});
	}
}
