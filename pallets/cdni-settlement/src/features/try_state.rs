//! The pallet's invariants, checked by `try-runtime` and after every unit test.

use crate::{
	types::*, Batches, Config, Contracts, HoldReason, Members, Pallet, QueueBounds, SettlementQueue,
};
use alloc::collections::BTreeMap;
use frame_support::{
	ensure,
	traits::{fungible::InspectHold, Get},
};
use sp_runtime::traits::{Saturating, Zero};

impl<T: Config> Pallet<T> {
	/// - every contract's accounts balance: `deposited = escrow + paid + fees`,
	///   and its open batches reserve `pending <= escrow`;
	/// - each provider's escrow hold is the sum of its contracts' escrow, so
	///   escrow never goes negative or strays;
	/// - each challenger's deposit hold is the sum of its open claims';
	/// - a contract counts its relays (at most `MaxRelays`) and open batches;
	/// - every open batch is in the settlement queue;
	/// - every service belongs to a contract and its document parses;
	/// - signed-request terms belong to a contract, and a requirement has
	///   a key and a span within bounds;
	/// - each relay's obligations count its memberships not left and its
	///   open batches, so the registry never releases a bond still owed.
	pub fn do_try_state() -> Result<(), sp_runtime::TryRuntimeError> {
		let mut escrow_of = BTreeMap::<T::AccountId, BalanceOf<T>>::new();
		for (id, c) in Contracts::<T>::iter() {
			ensure!(
				c.deposited == c.escrow.saturating_add(c.paid).saturating_add(c.fees),
				"a contract's escrow does not balance"
			);
			ensure!(c.pending <= c.escrow, "a contract reserves more than its escrow");
			let relays = Members::<T>::iter_prefix(id).count() as u32;
			ensure!(relays == c.relays && relays <= T::MaxRelays::get(), "relay count is off");
			let mut open = 0u32;
			let mut reserved = BalanceOf::<T>::zero();
			for ((contract, _, _), batch) in Batches::<T>::iter() {
				if contract == id {
					open += 1;
					reserved.saturating_accrue(batch.reserved);
				}
			}
			ensure!(open == c.open_batches, "open batch count is off");
			ensure!(reserved == c.pending, "pending differs from the batches' reservations");
			escrow_of.entry(c.provider.clone()).or_default().saturating_accrue(c.escrow);
		}
		for (provider, escrow) in &escrow_of {
			ensure!(
				T::Currency::balance_on_hold(&HoldReason::ContractEscrow.into(), provider)
					== *escrow,
				"a provider's escrow hold differs from its contracts"
			);
		}
		let mut deposits = BTreeMap::<T::AccountId, BalanceOf<T>>::new();
		let (head, tail) = QueueBounds::<T>::get();
		let queued: alloc::vec::Vec<BatchKey> =
			(head..tail).filter_map(SettlementQueue::<T>::get).collect();
		for (key, batch) in Batches::<T>::iter() {
			ensure!(Contracts::<T>::contains_key(key.0), "a batch without its contract");
			ensure!(queued.contains(&key), "an open batch is not queued");
			for claim in &batch.claims {
				deposits
					.entry(claim.challenger.clone())
					.or_default()
					.saturating_accrue(claim.deposit);
			}
		}
		for (contract, _) in crate::SupplierPolicies::<T>::iter() {
			ensure!(
				Contracts::<T>::contains_key(contract),
				"a supplier policy without its contract"
			);
		}
		for (contract, terms) in crate::RequestSigningTerms::<T>::iter() {
			ensure!(
				Contracts::<T>::contains_key(contract),
				"signed-request terms without their contract"
			);
			ensure!(
				terms.required_from.is_none()
					|| (terms.max_span_secs > 0
						&& terms.max_span_secs <= crate::features::signing::MAX_SPAN_SECS
						&& !terms.keys.is_empty()),
				"signed requests required without a key or a span"
			);
			ensure!(
				terms.keys.iter().all(|k| k.until_period.is_none_or(|u| u >= k.from_period)),
				"a token key revoked before it was in force"
			);
		}
		for (contract, service) in crate::Services::<T>::iter() {
			ensure!(Contracts::<T>::contains_key(contract), "a service without its contract");
			ensure!(
				ocm_cdni::metadata::parse(&service.metadata).is_ok(),
				"a stored service document does not parse"
			);
		}
		// Obligations: memberships not left, and open batches, per relay.
		let mut owed = BTreeMap::<u32, Obligation>::new();
		for (_, relay, membership) in Members::<T>::iter() {
			if membership.until_period.is_none() {
				owed.entry(relay).or_default().memberships += 1;
			}
		}
		for ((_, relay, _), _) in Batches::<T>::iter() {
			owed.entry(relay).or_default().open_batches += 1;
		}
		let stored: BTreeMap<u32, Obligation> = crate::Obligations::<T>::iter().collect();
		ensure!(stored == owed, "a relay's obligations differ from its memberships and batches");
		for (who, deposit) in &deposits {
			ensure!(
				T::Currency::balance_on_hold(&HoldReason::ClaimDeposit.into(), who) == *deposit,
				"a challenger's deposit hold differs from its claims"
			);
		}
		Ok(())
	}
}
