//! Beacons' reports: committed (`commit_report`) once the unicast window
//! ends, revealed (`submit_report`) once the commitments close; each is
//! checked in the transaction pool (`authorize_*`) and again when applied,
//! since block execution authorizes before dispatching.

use crate::{
	types::*, Assignments, BeaconAssignment, Beacons, Commitments, Config, CurrentEpoch, Event,
	Pallet, Reports,
};
use alloc::vec::Vec;
use codec::Encode;
use frame_support::{
	pallet_prelude::{
		InvalidTransaction, TransactionPriority, TransactionSource, TransactionValidityWithRefund,
		ValidTransaction,
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

/// The bytes a beacon signs for `commitment` on the chain whose genesis
/// block hash is `genesis`.
pub fn commitment_signing_payload<AccountId: Encode>(
	genesis: &[u8],
	commitment: &Commitment<AccountId>,
) -> Vec<u8> {
	(ocm_pob::commitment::SIGNING_CONTEXT, genesis, commitment).encode()
}

/// The pool priority of beacons' commitments, reports and multicast
/// reports: above what fees and tips buy (`pallet-transaction-payment`
/// scales them well under this), below nothing else's.
pub const REPORT_PRIORITY: TransactionPriority = TransactionPriority::MAX / 2;

impl<T: Config> Pallet<T> {
	/// The checks a commitment and a reveal share: the epoch, the beacon
	/// and its assignment. Returns the link the beacon was drawn with.
	fn check_assigned(
		epoch: &Epoch<frame_system::pallet_prelude::BlockNumberFor<T>>,
		report_epoch: EpochIndex,
		relay: RelayId,
		beacon: &T::AccountId,
	) -> Result<Mbps, ReportRejection> {
		if report_epoch != epoch.index || epoch.index == 0 {
			return Err(ReportRejection::WrongEpoch);
		}
		if !Beacons::<T>::contains_key(beacon) {
			return Err(ReportRejection::UnknownBeacon);
		}
		if BeaconAssignment::<T>::get(beacon) != Some(relay) {
			return Err(ReportRejection::NotAssigned);
		}
		// The link the beacon had when the epoch drew it.
		Assignments::<T>::get(relay)
			.and_then(|test| test.link_of(beacon))
			.ok_or(ReportRejection::NotAssigned)
	}

	/// Every check a commitment must pass, in the order of cost: sent
	/// between the unicast window's end and the multicast window's end,
	/// once per beacon, signed by it.
	pub(crate) fn check_commitment(
		commitment: &CommitmentOf<T>,
		signature: &T::BeaconSignature,
	) -> Result<(), ReportRejection> {
		let epoch = CurrentEpoch::<T>::get();
		let now = T::Time::now().as_millis() as u64;
		Self::check_assigned(&epoch, commitment.epoch, commitment.relay, &commitment.beacon)?;
		if now < ocm_pob::commitment::commits_from_ms(epoch.window_start_ms, epoch.window_secs) {
			return Err(ReportRejection::WindowOpen);
		}
		if now >= ocm_pob::commitment::reveals_from_ms(epoch.window_start_ms, epoch.window_secs) {
			return Err(ReportRejection::CommitsClosed);
		}
		if Commitments::<T>::contains_key(commitment.relay, &commitment.beacon) {
			return Err(ReportRejection::AlreadyCommitted);
		}
		let payload = commitment_signing_payload(Self::genesis_hash().as_ref(), commitment);
		if !signature.verify(&payload[..], &commitment.beacon) {
			return Err(ReportRejection::BadSignature);
		}
		Ok(())
	}

	/// `commit_report`'s authorization: the pool's verdict on a commitment.
	pub(crate) fn authorize_commitment(
		_source: TransactionSource,
		commitment: &CommitmentOf<T>,
		signature: &T::BeaconSignature,
	) -> TransactionValidityWithRefund {
		Self::check_commitment(commitment, signature)
			.map_err(|rejection| InvalidTransaction::Custom(rejection as u8))?;
		Self::report_validity(
			"OcmPobCommitment",
			commitment.epoch,
			commitment.relay,
			&commitment.beacon,
		)
	}

	/// Stores an authorized commitment.
	pub(crate) fn store_commitment(commitment: CommitmentOf<T>) {
		Commitments::<T>::insert(commitment.relay, &commitment.beacon, commitment.digest);
		Self::deposit_event(Event::ReportCommitted {
			epoch: commitment.epoch,
			relay: commitment.relay,
			beacon: commitment.beacon,
		});
	}

	/// Every check a report (a reveal) must pass, in the order of cost.
	pub(crate) fn check_report(
		report: &ReportOf<T>,
		salt: &[u8; 32],
		signature: &T::BeaconSignature,
	) -> Result<(), ReportRejection> {
		let epoch = CurrentEpoch::<T>::get();
		let link_mbps = Self::check_assigned(&epoch, report.epoch, report.relay, &report.beacon)?;
		let reveals_from =
			ocm_pob::commitment::reveals_from_ms(epoch.window_start_ms, epoch.window_secs);
		if (T::Time::now().as_millis() as u64) < reveals_from {
			return Err(ReportRejection::RevealTooEarly);
		}
		if Reports::<T>::contains_key(report.relay, &report.beacon) {
			return Err(ReportRejection::Duplicate);
		}
		let committed = Commitments::<T>::get(report.relay, &report.beacon)
			.ok_or(ReportRejection::NotCommitted)?;
		if ocm_pob::commitment::digest(salt, &report.encode()) != committed {
			return Err(ReportRejection::CommitmentMismatch);
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
		salt: &[u8; 32],
		signature: &T::BeaconSignature,
	) -> TransactionValidityWithRefund {
		Self::check_report(report, salt, signature)
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
		// Above any fee payer's: a commitment must be in a block within a
		// few seconds, and spam paying fees must not push it out (each
		// beacon has one of each a test, `provides` keeps it so).
		let validity = ValidTransaction::with_tag_prefix(tag)
			.priority(REPORT_PRIORITY)
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
