//! Delivery contracts: opening with escrow, top-ups, early close, refund,
//! and relays joining and leaving.

use crate::{
	types::*, Config, Contracts, Error, Event, HoldReason, Members, NextContractId, Pallet,
	SupplierPolicies,
};
use alloc::vec::Vec;
use frame_support::{
	ensure,
	pallet_prelude::{DispatchError, DispatchResult},
	traits::{fungible::MutateHold, tokens::Precision, Get},
	BoundedVec,
};
use frame_system::pallet_prelude::BlockNumberFor;
use ocm_primitives::{
	capacity::{ProviderRegistry, RelayId, RelayRegistry, RelayStatus},
	footprint::Footprint,
};
use sp_runtime::traits::{Saturating, UniqueSaturatedInto, Zero};

impl<T: Config> Contract<T> {
	/// The period that `block` falls in (period 0 before the start).
	pub fn period_at(&self, block: BlockNumberFor<T>) -> Period {
		let since = block.saturating_sub(self.start);
		(since / self.period_length.max(1u32.into())).unique_saturated_into()
	}

	/// The first block of `period`.
	pub fn period_start(&self, period: Period) -> BlockNumberFor<T> {
		self.start.saturating_add(self.period_length.saturating_mul(period.into()))
	}

	/// The block `period` ends at (exclusive): a period length later, or
	/// the contract's end, whichever is first.
	pub fn period_end(&self, period: Period) -> BlockNumberFor<T> {
		self.period_start(period).saturating_add(self.period_length).min(self.end)
	}
}

impl<T: Config> Pallet<T> {
	pub(crate) fn now() -> BlockNumberFor<T> {
		frame_system::Pallet::<T>::block_number()
	}

	pub(crate) fn do_open_contract(
		who: T::AccountId,
		terms: ContractTerms<T::AccountId, BlockNumberFor<T>, BalanceOf<T>>,
	) -> DispatchResult {
		ensure!(!T::ContractsPaused::get(), Error::<T>::ContractsPaused);
		ensure!(!terms.hosts.is_empty(), Error::<T>::NoHosts);
		ensure!(terms.hosts.len() <= T::MaxHosts::get() as usize, Error::<T>::TooManyHosts);
		let mut hosts = BoundedVec::<HostName, T::MaxHosts>::new();
		for host in terms.hosts {
			let host: HostName =
				host.to_ascii_lowercase().try_into().map_err(|_| Error::<T>::HostNotOwned)?;
			ensure!(
				T::Providers::host_owner(&host).as_ref() == Some(&who),
				Error::<T>::HostNotOwned
			);
			ensure!(!hosts.contains(&host), Error::<T>::TooManyHosts);
			hosts.try_push(host).map_err(|_| Error::<T>::TooManyHosts)?;
		}
		ensure!(ocm_primitives::web::is_http_url(&terms.origin), Error::<T>::InvalidOrigin);
		let origin: Url<T> = terms.origin.try_into().map_err(|_| Error::<T>::InvalidOrigin)?;
		let footprint = match terms.footprint {
			Coverage::Anywhere => alloc::vec::Vec::new(),
			Coverage::Within(list) => {
				ensure!(!list.is_empty(), Error::<T>::NoFootprint);
				list
			}
		};
		ensure!(footprint.iter().all(Footprint::is_valid), Error::<T>::InvalidFootprint);
		let footprint: BoundedVec<Footprint, T::MaxFootprints> =
			footprint.try_into().map_err(|_| Error::<T>::InvalidFootprint)?;
		let suppliers = Self::bounded_suppliers(terms.suppliers)?;
		ensure!(!terms.price_per_gb.is_zero(), Error::<T>::ZeroPrice);
		ensure!(terms.budget >= T::MinBudget::get(), Error::<T>::BudgetTooSmall);
		ensure!(terms.start >= Self::now() && terms.end > terms.start, Error::<T>::InvalidSchedule);
		T::Currency::hold(&HoldReason::ContractEscrow.into(), &who, terms.budget)
			.map_err(|_| Error::<T>::InsufficientFunds)?;
		let id = NextContractId::<T>::get();
		NextContractId::<T>::put(id.saturating_add(1));
		if let Some(suppliers) = suppliers {
			SupplierPolicies::<T>::insert(id, suppliers);
		}
		Contracts::<T>::insert(
			id,
			Contract {
				provider: who.clone(),
				hosts,
				origin,
				footprint,
				price_per_gb: terms.price_per_gb,
				sla: terms.sla,
				start: terms.start,
				end: terms.end,
				period_length: T::SettlementPeriod::get().max(1u32.into()),
				closed: false,
				relays: 0,
				open_batches: 0,
				escrow: terms.budget,
				pending: Zero::zero(),
				deposited: terms.budget,
				paid: Zero::zero(),
				fees: Zero::zero(),
			},
		);
		Self::deposit_event(Event::ContractOpened {
			contract: id,
			provider: who,
			budget: terms.budget,
		});
		Ok(())
	}

	pub(crate) fn provider_contract(
		who: &T::AccountId,
		id: ContractId,
	) -> Result<Contract<T>, Error<T>> {
		let contract = Contracts::<T>::get(id).ok_or(Error::<T>::ContractNotFound)?;
		ensure!(&contract.provider == who, Error::<T>::NotProvider);
		Ok(contract)
	}

	pub(crate) fn do_top_up(
		who: T::AccountId,
		id: ContractId,
		amount: BalanceOf<T>,
	) -> DispatchResult {
		let mut contract = Self::provider_contract(&who, id)?;
		ensure!(!contract.closed, Error::<T>::ContractClosed);
		ensure!(Self::now() < contract.end, Error::<T>::ContractEnded);
		T::Currency::hold(&HoldReason::ContractEscrow.into(), &who, amount)
			.map_err(|_| Error::<T>::InsufficientFunds)?;
		contract.escrow.saturating_accrue(amount);
		contract.deposited.saturating_accrue(amount);
		Contracts::<T>::insert(id, contract);
		Self::deposit_event(Event::ContractToppedUp { contract: id, amount });
		Ok(())
	}

	/// Returns the relays removed when it ended before its start (a refund).
	pub(crate) fn do_close_contract(
		who: T::AccountId,
		id: ContractId,
	) -> Result<Option<u32>, DispatchError> {
		let mut contract = Self::provider_contract(&who, id)?;
		let now = Self::now();
		ensure!(!contract.closed, Error::<T>::ContractClosed);
		ensure!(now < contract.end, Error::<T>::ContractEnded);
		if now < contract.start {
			// Nothing was served and nothing can be committed: it ends now
			// and the escrow goes back at once.
			contract.end = now;
			Self::deposit_event(Event::ContractClosed { contract: id, end: now });
			return Ok(Some(Self::remove_contract(id, contract)?));
		}
		// The period under way is served to its end.
		contract.end = contract.period_end(contract.period_at(now));
		contract.closed = true;
		let end = contract.end;
		Contracts::<T>::insert(id, contract);
		Self::deposit_event(Event::ContractClosed { contract: id, end });
		Ok(None)
	}

	/// Releases the contract's escrow to its provider, ends its relays'
	/// memberships and removes it; returns the number of relays it had.
	fn remove_contract(id: ContractId, contract: Contract<T>) -> Result<u32, Error<T>> {
		let refunded = T::Currency::release(
			&HoldReason::ContractEscrow.into(),
			&contract.provider,
			contract.escrow,
			Precision::BestEffort,
		)
		.map_err(|_| Error::<T>::InsufficientFunds)?;
		for (relay, membership) in Members::<T>::drain_prefix(id) {
			if membership.until_period.is_none() {
				Self::oblige(relay, |o| o.memberships.saturating_dec());
			}
		}
		Contracts::<T>::remove(id);
		crate::Services::<T>::remove(id);
		SupplierPolicies::<T>::remove(id);
		crate::RequestSigningTerms::<T>::remove(id);
		Self::deposit_event(Event::ContractRefunded { contract: id, refunded });
		Ok(contract.relays)
	}

	/// Returns the number of relays whose membership was removed.
	pub(crate) fn do_refund(id: ContractId) -> Result<u32, Error<T>> {
		let contract = Contracts::<T>::get(id).ok_or(Error::<T>::ContractNotFound)?;
		ensure!(
			Self::now() >= contract.end.saturating_add(T::CommitWindow::get()),
			Error::<T>::ContractNotOver
		);
		ensure!(contract.open_batches == 0, Error::<T>::BatchesOpen);
		Self::remove_contract(id, contract)
	}

	pub(crate) fn do_join_contract(
		who: T::AccountId,
		id: ContractId,
		relay: RelayId,
	) -> DispatchResult {
		let mut contract = Contracts::<T>::get(id).ok_or(Error::<T>::ContractNotFound)?;
		let now = Self::now();
		ensure!(!contract.closed, Error::<T>::ContractClosed);
		ensure!(now < contract.end, Error::<T>::ContractEnded);
		let summary = T::Relays::relay(relay).ok_or(Error::<T>::RelayNotFound)?;
		ensure!(summary.operator == who, Error::<T>::NotOperator);
		ensure!(summary.status == RelayStatus::Active, Error::<T>::RelayNotActive);
		if let Some(policy) = SupplierPolicies::<T>::get(id) {
			ensure!(
				policy.allows(relay, &summary.operator)
					&& summary.verified_mbps >= policy.min_verified_mbps
					&& summary.capabilities.0 & policy.required_capabilities.0
						== policy.required_capabilities.0,
				Error::<T>::SupplierNotAllowed
			);
		}
		if !contract.footprint.is_empty() {
			let serves: Vec<Footprint> = T::Relays::footprints(relay);
			ensure!(
				serves.iter().any(|s| contract.footprint.iter().any(|c| c.overlaps(s))),
				Error::<T>::FootprintMismatch
			);
		}
		ensure!(!Members::<T>::contains_key(id, relay), Error::<T>::AlreadyJoined);
		ensure!(contract.relays < T::MaxRelays::get(), Error::<T>::TooManyRelays);
		let from_period = contract.period_at(now);
		Members::<T>::insert(
			id,
			relay,
			Membership { from_period, until_period: None, next_period: from_period },
		);
		contract.relays.saturating_inc();
		Contracts::<T>::insert(id, contract);
		Self::oblige(relay, |o| o.memberships.saturating_inc());
		Self::deposit_event(Event::RelayJoined { contract: id, relay });
		Ok(())
	}

	/// The stored form of a policy; `None` for the open policy, which is
	/// not stored.
	fn bounded_suppliers(
		policy: SupplierPolicy<T::AccountId>,
	) -> Result<Option<Suppliers<T>>, Error<T>> {
		if policy == SupplierPolicy::open() {
			return Ok(None);
		}
		Ok(Some(Suppliers {
			allow: policy.allow.try_into().map_err(|_| Error::<T>::TooManySuppliers)?,
			deny: policy.deny.try_into().map_err(|_| Error::<T>::TooManySuppliers)?,
			min_verified_mbps: policy.min_verified_mbps,
			required_capabilities: policy.required_capabilities,
		}))
	}

	pub(crate) fn do_set_suppliers(
		who: T::AccountId,
		id: ContractId,
		policy: SupplierPolicy<T::AccountId>,
	) -> DispatchResult {
		let contract = Self::provider_contract(&who, id)?;
		ensure!(Self::now() < contract.end, Error::<T>::ContractEnded);
		match Self::bounded_suppliers(policy)? {
			Some(suppliers) => SupplierPolicies::<T>::insert(id, suppliers),
			None => SupplierPolicies::<T>::remove(id),
		}
		Self::deposit_event(Event::SuppliersSet { contract: id });
		Ok(())
	}

	pub(crate) fn do_remove_relay(
		who: T::AccountId,
		id: ContractId,
		relay: RelayId,
	) -> DispatchResult {
		let contract = Self::provider_contract(&who, id)?;
		let last_period = Self::end_membership(&contract, id, relay)?;
		Self::deposit_event(Event::RelayRemoved { contract: id, relay, last_period });
		Ok(())
	}

	/// Ends the relay's membership with the current period; returns it.
	fn end_membership(
		contract: &Contract<T>,
		id: ContractId,
		relay: RelayId,
	) -> Result<Period, Error<T>> {
		let mut membership = Members::<T>::get(id, relay).ok_or(Error::<T>::NotMember)?;
		ensure!(membership.until_period.is_none(), Error::<T>::AlreadyLeft);
		let last_period = contract.period_at(Self::now()).max(membership.from_period);
		membership.until_period = Some(last_period);
		Members::<T>::insert(id, relay, membership);
		Self::oblige(relay, |o| o.memberships.saturating_dec());
		Ok(last_period)
	}

	pub(crate) fn do_leave_contract(
		who: T::AccountId,
		id: ContractId,
		relay: RelayId,
	) -> DispatchResult {
		let contract = Contracts::<T>::get(id).ok_or(Error::<T>::ContractNotFound)?;
		let summary = T::Relays::relay(relay).ok_or(Error::<T>::RelayNotFound)?;
		ensure!(summary.operator == who, Error::<T>::NotOperator);
		let last_period = Self::end_membership(&contract, id, relay)?;
		Self::deposit_event(Event::RelayLeft { contract: id, relay, last_period });
		Ok(())
	}
}
