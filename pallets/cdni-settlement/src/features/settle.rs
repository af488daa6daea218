//! Settlement: once a batch's window and answer period are over it pays
//! price x bytes from escrow, less SLA penalties (withheld, refunded later)
//! and the protocol fee; a batch with an unanswered claim is void instead.

use crate::{
	types::*, Batches, Config, Contracts, Error, Event, HoldReason, Pallet, QueueBounds,
	SettlementQueue, WeightInfo,
};
use frame_support::{
	ensure,
	traits::{
		fungible::MutateHold,
		tokens::{Fortitude, Precision, Restriction},
		Get, TypedGet,
	},
	weights::Weight,
};
use frame_system::pallet_prelude::BlockNumberFor;
use sp_runtime::{
	helpers_128bit::multiply_by_rational_with_rounding,
	traits::{Saturating, Zero},
	Perbill, Rounding, SaturatedConversion,
};

/// How a batch is paid: pure arithmetic over its totals and the contract's
/// terms, so the tests can check it against hand-computed cases.
pub fn settlement<Balance: sp_runtime::traits::AtLeast32BitUnsigned + Copy>(
	gross: Balance,
	sla: &SlaTerms,
	totals: &Totals,
	relay_active: bool,
	verified_mbps: u32,
	protocol_fee: Perbill,
) -> Payout<Balance> {
	let mut breaches = 0u8;
	if verified_mbps < sla.min_verified_mbps {
		breaches += 1;
	}
	if sla.require_active && !relay_active {
		breaches += 1;
	}
	if Perbill::from_rational(totals.status_5xx, totals.requests.max(1)) > sla.max_error_share {
		breaches += 1;
	}
	let penalty = Perbill::from_parts(
		sla.penalty.deconstruct().saturating_mul(u32::from(breaches)).min(1_000_000_000),
	);
	let withheld = penalty.mul_ceil(gross);
	let earned = gross.saturating_sub(withheld);
	let fee = protocol_fee.mul_floor(earned);
	Payout { gross, withheld, fee, paid: earned.saturating_sub(fee), breaches }
}

impl<T: Config> Pallet<T> {
	/// `price_per_gb x bytes / 10^9`, rounded down, saturating.
	pub fn price_of(price_per_gb: BalanceOf<T>, bytes: u64) -> BalanceOf<T> {
		multiply_by_rational_with_rounding(
			price_per_gb.saturated_into::<u128>(),
			u128::from(bytes),
			BYTES_PER_GB,
			Rounding::Down,
		)
		.unwrap_or(u128::MAX)
		.saturated_into()
	}

	/// Settles or voids a due batch; returns the number of claims it had.
	pub(crate) fn do_settle(key: BatchKey, now: BlockNumberFor<T>) -> Result<u32, Error<T>> {
		let batch = Batches::<T>::get(key).ok_or(Error::<T>::BatchNotFound)?;
		ensure!(now >= batch.settle_at, Error::<T>::NotDue);
		let claims = batch.claims.len() as u32;
		if claims > 0 {
			// Every answer deadline is before `settle_at`: these went unanswered.
			Self::void(key, batch, VoidReason::MissingRecord);
			return Ok(claims);
		}
		let mut contract = Contracts::<T>::get(key.0).ok_or(Error::<T>::ContractNotFound)?;
		let bytes = batch.totals.bytes.saturating_sub(batch.duplicate_bytes);
		let gross = Self::price_of(contract.price_per_gb, bytes).min(batch.reserved);
		let mut s = settlement(
			gross,
			&contract.sla,
			&batch.totals,
			batch.relay_active,
			batch.verified_mbps,
			T::ProtocolFee::get(),
		);
		let reason = HoldReason::ContractEscrow.into();
		let pay = |to: &T::AccountId, amount: BalanceOf<T>| {
			amount.is_zero()
				|| T::Currency::transfer_on_hold(
					&reason,
					&contract.provider,
					to,
					amount,
					Precision::Exact,
					Restriction::Free,
					Fortitude::Polite,
				)
				.is_ok()
		};
		// A payment the chain cannot make (an account that would stay below
		// the existential deposit) stays in escrow, as withheld.
		if !pay(&batch.operator, s.paid) {
			s.withheld.saturating_accrue(s.paid);
			s.paid = Zero::zero();
		}
		if !pay(&T::FeePot::get(), s.fee) {
			s.withheld.saturating_accrue(s.fee);
			s.fee = Zero::zero();
		}
		contract.escrow = contract.escrow.saturating_sub(s.paid.saturating_add(s.fee));
		contract.paid.saturating_accrue(s.paid);
		contract.fees.saturating_accrue(s.fee);
		contract.pending = contract.pending.saturating_sub(batch.reserved);
		contract.open_batches.saturating_dec();
		Contracts::<T>::insert(key.0, contract);
		Batches::<T>::remove(key);
		Self::oblige(key.1, |o| o.open_batches.saturating_dec());
		Self::deposit_event(Event::BatchSettled {
			contract: key.0,
			relay: key.1,
			period: key.2,
			settlement: s,
		});
		Ok(0)
	}

	/// `on_idle`: settles due batches from the queue's head while the
	/// block's spare weight lasts.
	pub(crate) fn settle_due(now: BlockNumberFor<T>, remaining: Weight) -> Weight {
		let db = T::DbWeight::get();
		// The queue entry read and removed, and for a deferred batch, read
		// again and put back.
		let per_batch =
			T::WeightInfo::settle(T::MaxDisputes::get()).saturating_add(db.reads_writes(2, 2));
		let mut used = db.reads(1);
		if remaining.any_lt(used) {
			return Weight::zero();
		}
		let (mut head, mut tail) = QueueBounds::<T>::get();
		let (start, end) = (head, tail);
		let mut settled = 0;
		// Up to the tail as the pass began: deferred batches put back behind
		// it wait for a later block.
		while head < end && settled < T::MaxSettlementsPerBlock::get() {
			if remaining.any_lt(used.saturating_add(per_batch)) {
				break;
			}
			let Some(key) = SettlementQueue::<T>::get(head) else {
				head += 1;
				used.saturating_accrue(db.reads(1));
				continue;
			};
			match Self::do_settle(key, now) {
				Err(Error::<T>::NotDue) => {
					// Batches queue in commit order with one delay, so the
					// first not due ends the pass; a deferred one goes to
					// the back instead of holding up those behind it.
					let deferred = Batches::<T>::get(key).is_some_and(|b| b.deferred);
					if !deferred {
						break;
					}
					SettlementQueue::<T>::insert(tail, key);
					tail = tail.saturating_add(1);
				}
				// Settled by hand or voided already: only the entry is left.
				_ => {}
			}
			SettlementQueue::<T>::remove(head);
			head += 1;
			settled += 1;
			used.saturating_accrue(per_batch);
		}
		if head != start || tail != end {
			QueueBounds::<T>::put((head, tail));
			used.saturating_accrue(db.writes(1));
		}
		used
	}
}
