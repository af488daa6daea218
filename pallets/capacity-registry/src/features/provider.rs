//! Content providers: who they are and which host names they buy delivery
//! for. Delivery contracts belong to the settlement pallet.

use crate::{types::*, validate, Config, Error, Event, HoldReason, HostOwner, Pallet, Providers};
use alloc::vec::Vec;
use frame_support::{
	ensure,
	pallet_prelude::DispatchResult,
	traits::{fungible::MutateHold, tokens::Precision, Get},
	BoundedVec,
};

impl<T: Config> Pallet<T> {
	/// Hosts owned by anyone but `who` are taken.
	fn ensure_hosts_free(
		who: &T::AccountId,
		hosts: &BoundedVec<HostName, T::MaxHosts>,
	) -> Result<(), Error<T>> {
		for host in hosts {
			if let Some(owner) = HostOwner::<T>::get(host) {
				ensure!(&owner == who, Error::<T>::HostTaken);
			}
		}
		Ok(())
	}

	pub(crate) fn do_register_provider(
		who: T::AccountId,
		name: Vec<u8>,
		hosts: Vec<Vec<u8>>,
	) -> DispatchResult {
		ensure!(!T::RegistrationsPaused::get(), Error::<T>::RegistrationsPaused);
		ensure!(!Providers::<T>::contains_key(&who), Error::<T>::ProviderAlreadyRegistered);
		let name = validate::name::<T>(name)?;
		let hosts = validate::host_names::<T>(hosts)?;
		Self::ensure_hosts_free(&who, &hosts)?;
		let deposit = T::ProviderDeposit::get();
		T::Currency::hold(&HoldReason::ProviderDeposit.into(), &who, deposit)
			.map_err(|_| Error::<T>::InsufficientFunds)?;
		for host in &hosts {
			HostOwner::<T>::insert(host, &who);
		}
		Providers::<T>::insert(&who, ProviderInfo { name, hosts, deposit });
		Self::deposit_event(Event::ProviderRegistered { provider: who });
		Ok(())
	}

	pub(crate) fn do_update_provider(
		who: T::AccountId,
		name: Vec<u8>,
		hosts: Vec<Vec<u8>>,
	) -> DispatchResult {
		let mut info = Providers::<T>::get(&who).ok_or(Error::<T>::ProviderNotFound)?;
		let name = validate::name::<T>(name)?;
		let hosts = validate::host_names::<T>(hosts)?;
		Self::ensure_hosts_free(&who, &hosts)?;
		for old in info.hosts.iter().filter(|h| !hosts.contains(h)) {
			HostOwner::<T>::remove(old);
		}
		for new in hosts.iter().filter(|h| !info.hosts.contains(h)) {
			HostOwner::<T>::insert(new, &who);
		}
		info.name = name;
		info.hosts = hosts;
		Providers::<T>::insert(&who, info);
		Self::deposit_event(Event::ProviderUpdated { provider: who });
		Ok(())
	}

	/// Returns the number of hosts the provider had, for the actual weight.
	pub(crate) fn do_deregister_provider(who: T::AccountId) -> Result<u32, Error<T>> {
		let info = Providers::<T>::take(&who).ok_or(Error::<T>::ProviderNotFound)?;
		for host in &info.hosts {
			HostOwner::<T>::remove(host);
		}
		T::Currency::release(
			&HoldReason::ProviderDeposit.into(),
			&who,
			info.deposit,
			Precision::BestEffort,
		)
		.map_err(|_| Error::<T>::InsufficientFunds)?;
		Self::deposit_event(Event::ProviderDeregistered { provider: who });
		Ok(info.hosts.len() as u32)
	}
}
