//! Log-batch commitments: a relay's operator commits a closed period once.
//!
//! Who may bill, and how much:
//! - only an Active relay commits: a suspended, pending or leaving relay
//!   is out of service and bills nothing for the period it commits;
//! - a period's bytes are bounded by what the relay's verified capacity
//!   carries in it: `verified Mbit/s x the period's length x (1 +
//!   CapacityHeadroom)`, so a relay verified at 1 Mbit/s cannot bill a
//!   terabyte for a 20 s period, whatever its records say.

use crate::{
	types::*, Batches, Config, Contracts, Error, Event, Members, Pallet, QueueBounds,
	SettlementQueue,
};
use frame_support::{ensure, pallet_prelude::DispatchResult, traits::Get, BoundedVec};
use frame_system::pallet_prelude::BlockNumberFor;
use ocm_primitives::capacity::{Mbps, RelayRegistry, RelayStatus};
use sp_runtime::{traits::Saturating, SaturatedConversion};

impl<T: Config> Pallet<T> {
	/// The most bytes a relay verified at `verified_mbps` can bill for a
	/// period of `blocks` blocks: what that rate carries in the period's
	/// time, plus `CapacityHeadroom` of it (bursts above the verified rate,
	/// a verdict that lags an upgrade).
	pub fn capacity_bound(verified_mbps: Mbps, blocks: BlockNumberFor<T>) -> u64 {
		// 1 Mbit/s carries 125 bytes a millisecond.
		let at_rate = u128::from(verified_mbps)
			.saturating_mul(125)
			.saturating_mul(blocks.saturated_into::<u128>())
			.saturating_mul(u128::from(T::MillisecsPerBlock::get()));
		let headroom = T::CapacityHeadroom::get();
		let with_headroom = at_rate.saturating_add(
			at_rate / 1_000_000_000 * u128::from(headroom.deconstruct())
				+ (at_rate % 1_000_000_000) * u128::from(headroom.deconstruct()) / 1_000_000_000,
		);
		with_headroom.saturated_into()
	}

	pub(crate) fn do_commit_batch(
		who: T::AccountId,
		key: BatchKey,
		commitment: BatchCommitment,
	) -> DispatchResult {
		let (id, relay, period) = key;
		let mut contract = Contracts::<T>::get(id).ok_or(Error::<T>::ContractNotFound)?;
		let summary = T::Relays::relay(relay).ok_or(Error::<T>::RelayNotFound)?;
		ensure!(summary.operator == who, Error::<T>::NotOperator);
		ensure!(summary.status == RelayStatus::Active, Error::<T>::RelayNotActive);
		let mut membership = Members::<T>::get(id, relay).ok_or(Error::<T>::NotMember)?;
		ensure!(
			period >= membership.from_period
				&& membership.until_period.is_none_or(|until| period <= until)
				&& contract.period_start(period) < contract.end,
			Error::<T>::PeriodNotServed
		);
		ensure!(period >= membership.next_period, Error::<T>::AlreadyCommitted);
		let now = Self::now();
		let period_end = contract.period_end(period);
		ensure!(now >= period_end, Error::<T>::PeriodNotClosed);
		ensure!(
			now <= period_end.saturating_add(T::CommitWindow::get()),
			Error::<T>::CommitWindowOver
		);
		ensure!(commitment.records > 0, Error::<T>::NoRecords);
		let totals = commitment.totals;
		ensure!(
			totals.requests == commitment.records && totals.is_consistent(),
			Error::<T>::InconsistentTotals
		);
		let blocks = period_end.saturating_sub(contract.period_start(period));
		ensure!(
			totals.bytes <= Self::capacity_bound(summary.verified_mbps, blocks),
			Error::<T>::AboveCapacity
		);
		ensure!(ocm_primitives::web::is_http_url(&commitment.log_url), Error::<T>::InvalidLogUrl);
		let log_url: Url<T> =
			commitment.log_url.try_into().map_err(|_| Error::<T>::InvalidLogUrl)?;
		let reserved = Self::price_of(contract.price_per_gb, totals.bytes);
		ensure!(
			reserved <= contract.escrow.saturating_sub(contract.pending),
			Error::<T>::BudgetExceeded
		);

		let dispute_until = now.saturating_add(T::DisputeWindow::get());
		let batch = Batch::<T> {
			operator: who,
			root: commitment.root,
			records: commitment.records,
			totals,
			log_url,
			committed_at: now,
			dispute_until,
			settle_at: dispute_until.saturating_add(T::AnswerPeriod::get()),
			deferred: false,
			reserved,
			relay_active: summary.status == RelayStatus::Active,
			verified_mbps: summary.verified_mbps,
			duplicates: BoundedVec::new(),
			duplicate_bytes: 0,
			claims: BoundedVec::new(),
		};
		Batches::<T>::insert(key, batch);
		membership.next_period = period.saturating_add(1);
		Members::<T>::insert(id, relay, membership);
		contract.pending.saturating_accrue(reserved);
		contract.open_batches.saturating_inc();
		Self::oblige(relay, |o| o.open_batches.saturating_inc());
		Contracts::<T>::insert(id, contract);
		QueueBounds::<T>::mutate(|(_, tail)| {
			SettlementQueue::<T>::insert(*tail, key);
			*tail = tail.saturating_add(1);
		});
		Self::deposit_event(Event::BatchCommitted {
			contract: id,
			relay,
			period,
			root: commitment.root,
			records: commitment.records,
			bytes: totals.bytes,
			reserved,
		});
		Ok(())
	}
}
