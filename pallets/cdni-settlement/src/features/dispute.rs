//! Disputes during a batch's window: malformed and duplicate records are
//! proven at once; a missing record is claimed with the relay's receipt and
//! the relay answers with the record's proof.

use crate::{types::*, Batches, Config, Contracts, Error, Event, HoldReason, Pallet};
use alloc::vec::Vec;
use frame_support::{
	ensure,
	pallet_prelude::DispatchResult,
	traits::{
		fungible::MutateHold,
		tokens::{Fortitude, Precision, Restriction},
		Contains, Get,
	},
};
use ocm_cdni::{
	merkle::{self, InclusionProof},
	record::{Settled, MAX_LINE},
};
use ocm_primitives::capacity::{RelayId, RelayRegistry};
use sp_runtime::traits::{Saturating, Verify};

/// What a relay signs for a client that asks for a receipt (see
/// [`ocm_cdni::receipt_message`]).
pub fn receipt_message<Hash: AsRef<[u8]>>(
	genesis: &Hash,
	key: &BatchKey,
	request_id: &[u8],
	uri: &[u8],
) -> Vec<u8> {
	let mut genesis_bytes = [0u8; 32];
	let g = genesis.as_ref();
	genesis_bytes[..g.len().min(32)].copy_from_slice(&g[..g.len().min(32)]);
	ocm_cdni::receipt_message(&genesis_bytes, key.0, key.1, key.2, request_id, uri)
}

impl<T: Config> Pallet<T> {
	/// The batch, if `who` may dispute it now.
	fn disputable(who: &T::AccountId, key: BatchKey) -> Result<(Contract<T>, Batch<T>), Error<T>> {
		let batch = Batches::<T>::get(key).ok_or(Error::<T>::BatchNotFound)?;
		let contract = Contracts::<T>::get(key.0).ok_or(Error::<T>::ContractNotFound)?;
		ensure!(&contract.provider == who || T::Auditors::contains(who), Error::<T>::NotChallenger);
		ensure!(Self::now() < batch.dispute_until, Error::<T>::DisputeWindowOver);
		Ok((contract, batch))
	}

	/// Checks that `record` is leaf `proof.index` of `batch`.
	fn prove(batch: &Batch<T>, record: &[u8], proof: &InclusionProof) -> Result<(), Error<T>> {
		ensure!(record.len() <= MAX_LINE, Error::<T>::InvalidProof);
		ensure!(
			merkle::verify(&batch.root, batch.records, record, proof),
			Error::<T>::InvalidProof
		);
		Ok(())
	}

	/// Slashes the relay for a proven dispute.
	fn penalise(relay: RelayId) {
		if let Ok(amount) = T::Relays::slash(relay, T::DisputeSlash::get()) {
			Self::deposit_event(Event::RelaySlashed { relay, amount });
		}
	}

	/// Voids a batch: it reserves nothing more, its claims' deposits go
	/// back, it is removed (its period stays committed), the relay is slashed.
	pub(crate) fn void(key: BatchKey, batch: Batch<T>, reason: VoidReason) {
		for claim in &batch.claims {
			let _ = T::Currency::release(
				&HoldReason::ClaimDeposit.into(),
				&claim.challenger,
				claim.deposit,
				Precision::BestEffort,
			);
		}
		Contracts::<T>::mutate(key.0, |contract| {
			if let Some(contract) = contract {
				contract.pending = contract.pending.saturating_sub(batch.reserved);
				contract.open_batches.saturating_dec();
			}
		});
		Batches::<T>::remove(key);
		Self::deposit_event(Event::BatchVoided {
			contract: key.0,
			relay: key.1,
			period: key.2,
			reason,
		});
		Self::penalise(key.1);
	}

	pub(crate) fn do_dispute_malformed(
		who: T::AccountId,
		key: BatchKey,
		record: Vec<u8>,
		proof: InclusionProof,
	) -> DispatchResult {
		let (contract, batch) = Self::disputable(&who, key)?;
		Self::prove(&batch, &record, &proof)?;
		let belongs = match Settled::parse(&record) {
			Ok(settled) => contract.hosts.iter().any(|h| h.eq_ignore_ascii_case(settled.host)),
			Err(_) => false,
		};
		ensure!(!belongs, Error::<T>::RecordWellFormed);
		Self::void(key, batch, VoidReason::MalformedRecord { index: proof.index });
		Ok(())
	}

	pub(crate) fn do_dispute_duplicate(
		who: T::AccountId,
		key: BatchKey,
		records: [Vec<u8>; 2],
		proofs: [InclusionProof; 2],
	) -> DispatchResult {
		let (_, mut batch) = Self::disputable(&who, key)?;
		ensure!(proofs[0].index != proofs[1].index, Error::<T>::NotDuplicate);
		Self::prove(&batch, &records[0], &proofs[0])?;
		Self::prove(&batch, &records[1], &proofs[1])?;
		let first = Settled::parse(&records[0]).map_err(|_| Error::<T>::NotDuplicate)?;
		let second = Settled::parse(&records[1]).map_err(|_| Error::<T>::NotDuplicate)?;
		ensure!(first.request_id == second.request_id, Error::<T>::NotDuplicate);
		// The later record is the repeat.
		let (index, bytes) = if proofs[0].index > proofs[1].index {
			(proofs[0].index, first.total_bytes)
		} else {
			(proofs[1].index, second.total_bytes)
		};
		ensure!(!batch.duplicates.contains(&index), Error::<T>::DuplicateKnown);
		if batch.duplicates.try_push(index).is_err() {
			Self::void(key, batch, VoidReason::TooManyDuplicates);
			return Ok(());
		}
		batch.duplicate_bytes = batch.duplicate_bytes.saturating_add(bytes);
		Batches::<T>::insert(key, batch);
		Self::deposit_event(Event::DuplicateProven {
			contract: key.0,
			relay: key.1,
			period: key.2,
			index,
			bytes,
		});
		Self::penalise(key.1);
		Ok(())
	}

	pub(crate) fn do_claim_missing(
		who: T::AccountId,
		key: BatchKey,
		request_id: Vec<u8>,
		uri: Vec<u8>,
		receipt: T::ReceiptSignature,
	) -> DispatchResult {
		let (_, mut batch) = Self::disputable(&who, key)?;
		let genesis = Self::genesis_hash();
		let message = receipt_message(&genesis, &key, &request_id, &uri);
		ensure!(receipt.verify(&message[..], &batch.operator), Error::<T>::InvalidReceipt);
		let request_id: frame_support::BoundedVec<u8, T::MaxRequestIdLen> =
			request_id.try_into().map_err(|_| Error::<T>::ClaimTooLong)?;
		let uri: Url<T> = uri.try_into().map_err(|_| Error::<T>::ClaimTooLong)?;
		ensure!(!batch.claims.iter().any(|c| c.request_id == request_id), Error::<T>::ClaimExists);
		ensure!(batch.claims.len() < T::MaxDisputes::get() as usize, Error::<T>::TooManyClaims);
		let deposit = T::ClaimDeposit::get();
		T::Currency::hold(&HoldReason::ClaimDeposit.into(), &who, deposit)
			.map_err(|_| Error::<T>::InsufficientFunds)?;
		let answer_by = Self::now().saturating_add(T::AnswerPeriod::get());
		batch
			.claims
			.try_push(MissingClaim { challenger: who.clone(), request_id, uri, deposit, answer_by })
			.map_err(|_| Error::<T>::TooManyClaims)?;
		Batches::<T>::insert(key, batch);
		Self::deposit_event(Event::MissingClaimed {
			contract: key.0,
			relay: key.1,
			period: key.2,
			challenger: who,
			answer_by,
		});
		Ok(())
	}

	pub(crate) fn do_answer_claim(
		who: T::AccountId,
		key: BatchKey,
		record: Vec<u8>,
		proof: InclusionProof,
	) -> DispatchResult {
		let mut batch = Batches::<T>::get(key).ok_or(Error::<T>::BatchNotFound)?;
		ensure!(batch.operator == who, Error::<T>::NotOperator);
		Self::prove(&batch, &record, &proof)?;
		let settled = Settled::parse(&record).map_err(|_| Error::<T>::AnswerMismatch)?;
		let at = batch
			.claims
			.iter()
			.position(|c| c.request_id[..] == settled.request_id[..])
			.ok_or(Error::<T>::ClaimNotFound)?;
		ensure!(batch.claims[at].uri[..] == *settled.uri, Error::<T>::AnswerMismatch);
		ensure!(Self::now() <= batch.claims[at].answer_by, Error::<T>::AnswerTooLate);
		let claim = batch.claims.remove(at);
		T::Currency::transfer_on_hold(
			&HoldReason::ClaimDeposit.into(),
			&claim.challenger,
			&batch.operator,
			claim.deposit,
			Precision::BestEffort,
			Restriction::Free,
			Fortitude::Polite,
		)?;
		Batches::<T>::insert(key, batch);
		Self::deposit_event(Event::ClaimAnswered {
			contract: key.0,
			relay: key.1,
			period: key.2,
			index: proof.index,
		});
		Ok(())
	}
}
