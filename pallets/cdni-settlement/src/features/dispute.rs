//! Disputes during a batch's window.
//!
//! Proven at once, from proofs of the batch's Merkle-sum tree
//! (`ocm_cdni::merkle`):
//! - a malformed record, or one for another contract's host;
//! - two records of one request (the later is not paid);
//! - sums that lie: a record's leaf billed for other bytes or status than
//!   its line states, or a tree whose top adds up to other totals than the
//!   relay committed.
//!
//! Claimed, for the relay to answer with a record and its proof:
//! - a request the relay signed a receipt for;
//! - a byte offset of the batch: the relay shows the record covering it.
//!   Bytes that no real record carries cover no offset the relay can show,
//!   so a relay that inflates its bill by a share `f` of its bytes loses
//!   the whole batch to one random offset with probability `f`, and to `k`
//!   of them with `1 - (1 - f)^k`.
//!
//! An unanswered claim voids the batch at settlement.
//!
//! A receipt names the period its response began in, but the record is
//! written when the response ends: a slow reader that straddles the
//! period's end has its record in the next period's batch (the relay has
//! sealed the first by then). So a receipt claim may be answered from the
//! next period's batch too ([`Pallet::do_answer_claim_from`]), and its
//! deadline reaches past that batch's commit window; the claimed batch
//! settles after it. An honest batch is never voided for a record its
//! relay wrote one period late.

use crate::{types::*, Batches, Config, Contracts, Error, Event, HoldReason, Members, Pallet};
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
use frame_system::pallet_prelude::BlockNumberFor;
use ocm_cdni::{
	merkle::{self, InclusionProof},
	record::{Settled, MAX_LINE},
	Totals,
};
use ocm_primitives::capacity::{RelayId, RelayRegistry};
use sp_runtime::traits::{One, Saturating, Verify};

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
	pub(crate) fn disputable(
		who: &T::AccountId,
		key: BatchKey,
	) -> Result<(Contract<T>, Batch<T>), Error<T>> {
		let batch = Batches::<T>::get(key).ok_or(Error::<T>::BatchNotFound)?;
		let contract = Contracts::<T>::get(key.0).ok_or(Error::<T>::ContractNotFound)?;
		ensure!(&contract.provider == who || T::Auditors::contains(who), Error::<T>::NotChallenger);
		ensure!(Self::now() < batch.dispute_until, Error::<T>::DisputeWindowOver);
		Ok((contract, batch))
	}

	/// Checks that `record` is leaf `proof.index` of `batch`, billed as its
	/// line states, in a tree that adds up to the committed totals; returns
	/// where the proof leads (the record's byte offset among them).
	pub(crate) fn prove(
		batch: &Batch<T>,
		record: &[u8],
		proof: &InclusionProof,
	) -> Result<merkle::Walk, Error<T>> {
		ensure!(record.len() <= MAX_LINE, Error::<T>::InvalidProof);
		let walk = merkle::walk(batch.records, merkle::leaf(record), proof)
			.filter(|walk| walk.root == batch.root && walk.top == batch.totals)
			.ok_or(Error::<T>::InvalidProof)?;
		Ok(walk)
	}

	/// The last block a claim made now on `key` can be answered in: an
	/// answer period from now, and for a receipt, also an answer period
	/// after the next period's batch is due (if the relay serves it).
	fn answer_deadline(key: BatchKey, contract: &Contract<T>, receipt: bool) -> BlockNumberFor<T> {
		let answer_period = T::AnswerPeriod::get();
		let soon = Self::now().saturating_add(answer_period);
		let next = key.2.saturating_add(1);
		let serves_next = Members::<T>::get(key.0, key.1)
			.is_some_and(|m| m.until_period.is_none_or(|until| next <= until))
			&& contract.period_start(next) < contract.end;
		if !receipt || !serves_next {
			return soon;
		}
		let next_due = contract.period_end(next).saturating_add(T::CommitWindow::get());
		soon.max(next_due.saturating_add(answer_period))
	}

	/// Holds the claim deposit from `who` and adds the claim to the batch.
	pub(crate) fn add_claim(
		who: T::AccountId,
		key: BatchKey,
		contract: &Contract<T>,
		mut batch: Batch<T>,
		asks: ClaimAsk<T>,
	) -> DispatchResult {
		ensure!(batch.claims.len() < T::MaxDisputes::get() as usize, Error::<T>::TooManyClaims);
		// Beacons together hold at most half the slots: the relay's own
		// beacons cannot fill them and keep the provider from challenging.
		if who != contract.provider {
			let by_others =
				batch.claims.iter().filter(|c| c.challenger != contract.provider).count();
			ensure!(by_others < (T::MaxDisputes::get() / 2) as usize, Error::<T>::TooManyClaims);
		}
		let deposit = T::ClaimDeposit::get();
		T::Currency::hold(&HoldReason::ClaimDeposit.into(), &who, deposit)
			.map_err(|_| Error::<T>::InsufficientFunds)?;
		let answer_by =
			Self::answer_deadline(key, contract, matches!(asks, ClaimAsk::Receipt { .. }));
		if answer_by >= batch.settle_at {
			batch.settle_at = answer_by.saturating_add(One::one());
			batch.deferred = true;
		}
		batch
			.claims
			.try_push(Claim { challenger: who.clone(), asks, deposit, answer_by })
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

	/// Whether `record` is a well-formed OCM record for one of the
	/// contract's hosts.
	pub(crate) fn belongs(contract: &Contract<T>, record: &[u8]) -> bool {
		Settled::parse(record).is_ok_and(|settled| {
			contract.hosts.iter().any(|h| h.eq_ignore_ascii_case(settled.host))
		})
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
		Self::oblige(key.1, |o| o.open_batches.saturating_dec());
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
		ensure!(!Self::belongs(&contract, &record), Error::<T>::RecordWellFormed);
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
		let (contract, batch) = Self::disputable(&who, key)?;
		let genesis = Self::genesis_hash();
		let message = receipt_message(&genesis, &key, &request_id, &uri);
		ensure!(receipt.verify(&message[..], &batch.operator), Error::<T>::InvalidReceipt);
		let request_id: frame_support::BoundedVec<u8, T::MaxRequestIdLen> =
			request_id.try_into().map_err(|_| Error::<T>::ClaimTooLong)?;
		let uri: Url<T> = uri.try_into().map_err(|_| Error::<T>::ClaimTooLong)?;
		ensure!(
			!batch.claims.iter().any(|c| matches!(
				&c.asks,
				ClaimAsk::Receipt { request_id: id, .. } if *id == request_id
			)),
			Error::<T>::ClaimExists
		);
		Self::add_claim(who, key, &contract, batch, ClaimAsk::Receipt { request_id, uri })
	}

	pub(crate) fn do_challenge_bytes(
		who: T::AccountId,
		key: BatchKey,
		offset: u64,
	) -> DispatchResult {
		let (contract, batch) = Self::disputable(&who, key)?;
		ensure!(offset < batch.totals.bytes, Error::<T>::OffsetOutOfRange);
		ensure!(
			!batch.claims.iter().any(|c| matches!(c.asks, ClaimAsk::Offset(o) if o == offset)),
			Error::<T>::ClaimExists
		);
		Self::add_claim(who, key, &contract, batch, ClaimAsk::Offset(offset))
	}

	pub(crate) fn do_dispute_sums(
		who: T::AccountId,
		key: BatchKey,
		record: Vec<u8>,
		leaf: Totals,
		proof: InclusionProof,
	) -> DispatchResult {
		let (_, batch) = Self::disputable(&who, key)?;
		ensure!(record.len() <= MAX_LINE, Error::<T>::InvalidProof);
		let node = merkle::Node { hash: merkle::leaf_hash(&record), sum: leaf };
		let walk = merkle::walk(batch.records, node, &proof)
			.filter(|walk| walk.root == batch.root)
			.ok_or(Error::<T>::InvalidProof)?;
		ensure!(leaf != Totals::of(&record) || walk.top != batch.totals, Error::<T>::SumsAgree);
		Self::void(key, batch, VoidReason::SumsMismatch { index: proof.index });
		Ok(())
	}

	/// What voiding a batch adds for the claims it releases, at most:
	/// `settle`'s measured cost per unanswered claim, `MaxDisputes` of them.
	pub fn releasing_claims() -> frame_support::weights::Weight {
		use crate::WeightInfo;
		T::WeightInfo::settle(T::MaxDisputes::get()).saturating_sub(T::WeightInfo::settle(0))
	}

	/// What answering every other claim a record answers adds, at most, to
	/// an answer measured deciding one: `answer_claim`'s measured cost of
	/// the other `MaxDisputes - 1`.
	pub fn answering_more_claims() -> frame_support::weights::Weight {
		use crate::WeightInfo;
		T::WeightInfo::answer_claim(T::MaxDisputes::get())
			.saturating_sub(T::WeightInfo::answer_claim(1))
	}

	/// The batch, if `who` is the operator that committed it.
	pub(crate) fn operated(who: &T::AccountId, key: BatchKey) -> Result<Batch<T>, Error<T>> {
		let batch = Batches::<T>::get(key).ok_or(Error::<T>::BatchNotFound)?;
		ensure!(&batch.operator == who, Error::<T>::NotOperator);
		Ok(batch)
	}

	pub(crate) fn do_answer_claim(
		who: T::AccountId,
		key: BatchKey,
		record: Vec<u8>,
		proof: InclusionProof,
	) -> DispatchResult {
		let batch = Self::operated(&who, key)?;
		let walk = Self::prove(&batch, &record, &proof)?;
		// A record shown in answer is in the batch: if it is not one of the
		// contract's, that is proven here, whatever it answers.
		let contract = Contracts::<T>::get(key.0).ok_or(Error::<T>::ContractNotFound)?;
		if !Self::belongs(&contract, &record) {
			Self::void(key, batch, VoidReason::MalformedRecord { index: proof.index });
			return Ok(());
		}
		let bytes = Totals::of(&record).bytes;
		let covers = walk.bytes_before..walk.bytes_before.saturating_add(bytes);
		Self::decide_claims(key, batch, &record, covers, proof.index)
	}

	/// Answers receipt claims on `key` with a record of the relay's batch
	/// for the next period, `key.2 + 1`, where a response that outlasted
	/// its period has its record.
	pub(crate) fn do_answer_claim_from(
		who: T::AccountId,
		key: BatchKey,
		record: Vec<u8>,
		proof: InclusionProof,
	) -> DispatchResult {
		let batch = Self::operated(&who, key)?;
		let holder_key = (key.0, key.1, key.2.saturating_add(1));
		let holder = Batches::<T>::get(holder_key).ok_or(Error::<T>::BatchNotFound)?;
		Self::prove(&holder, &record, &proof)?;
		// Its bytes are the next batch's, not this one's: it answers no offset.
		Self::decide_claims(key, batch, &record, 0..0, proof.index)
	}

	/// Decides every open claim of `batch` that `record` (covering byte
	/// offsets `covers` of the batch) answers in time: the relay earns
	/// their deposits.
	fn decide_claims(
		key: BatchKey,
		mut batch: Batch<T>,
		record: &[u8],
		covers: core::ops::Range<u64>,
		index: u32,
	) -> DispatchResult {
		let settled = Settled::parse(record).ok();
		let now = Self::now();
		let (answered, open): (Vec<Claim<T>>, Vec<Claim<T>>) = core::mem::take(&mut batch.claims)
			.into_iter()
			.partition(|c| c.answered_by(settled.as_ref(), covers.clone()));
		let mut open: frame_support::BoundedVec<Claim<T>, T::MaxDisputes> =
			frame_support::BoundedVec::truncate_from(open);
		if answered.is_empty() {
			// A receipt's request shown with another URI is not its record.
			let same_request = open.iter().any(|c| {
				matches!(&c.asks, ClaimAsk::Receipt { request_id, .. }
					if settled.as_ref().is_some_and(|s| s.request_id[..] == request_id[..]))
			});
			return Err(if same_request {
				Error::<T>::AnswerMismatch
			} else {
				Error::<T>::ClaimNotFound
			}
			.into());
		}
		let in_time: Vec<Claim<T>> = answered
			.into_iter()
			.filter_map(|claim| {
				if now <= claim.answer_by {
					Some(claim)
				} else {
					// Too late for this one: it stays open and voids the batch.
					let _ = open.try_push(claim);
					None
				}
			})
			.collect();
		ensure!(!in_time.is_empty(), Error::<T>::AnswerTooLate);
		batch.claims = open;
		Self::close_claims(key, batch, in_time, index)
	}

	/// Closes claims answered in time (already taken out of `batch`): the
	/// relay earns their deposits, and a deferred batch settles as soon as
	/// the claims still open allow.
	pub(crate) fn close_claims(
		key: BatchKey,
		mut batch: Batch<T>,
		in_time: Vec<Claim<T>>,
		index: u32,
	) -> DispatchResult {
		if batch.deferred {
			// Settle when the claims still open allow, no later than needed.
			let natural = batch.dispute_until.saturating_add(T::AnswerPeriod::get());
			let latest = batch.claims.iter().map(|c| c.answer_by.saturating_add(One::one())).max();
			batch.settle_at = latest.map_or(natural, |l| l.max(natural));
			batch.deferred = batch.settle_at > natural;
		}
		for claim in &in_time {
			T::Currency::transfer_on_hold(
				&HoldReason::ClaimDeposit.into(),
				&claim.challenger,
				&batch.operator,
				claim.deposit,
				Precision::BestEffort,
				Restriction::Free,
				Fortitude::Polite,
			)?;
		}
		Batches::<T>::insert(key, batch);
		Self::deposit_event(Event::ClaimAnswered {
			contract: key.0,
			relay: key.1,
			period: key.2,
			index,
		});
		Ok(())
	}
}
