//! Invariants between the records and the indexes, checked by `try_state`
//! (try-runtime) and after every unit test.

use crate::{
	index::{IPV4, IPV6},
	types::*,
	validate, AsnFootprints, CidrLengthsInUse, Config, CountryFootprints, HoldReason, HostOwner,
	Ipv4Footprints, Ipv6Footprints, NextRelayId, OperatorRelays, Providers, RelayByAuthority,
	Relays,
};
use alloc::collections::btree_map::BTreeMap;
use frame_support::{ensure, traits::fungible::InspectHold};
use sp_runtime::{traits::Zero, TryRuntimeError};

pub fn check<T: Config>() -> Result<(), TryRuntimeError> {
	let next_id = NextRelayId::<T>::get();
	let mut footprint_entries = 0usize;
	let mut lengths: BTreeMap<(u8, u8), u32> = BTreeMap::new();
	let mut bonds: BTreeMap<T::AccountId, BalanceOf<T>> = BTreeMap::new();
	let mut relays = 0usize;
	let mut indexed_authorities = 0usize;

	for (relay, info) in Relays::<T>::iter() {
		relays += 1;
		ensure!(relay < next_id, "a relay id is not below NextRelayId");
		ensure!(
			OperatorRelays::<T>::get(&info.operator).contains(&relay),
			"a relay is missing from its operator's list"
		);
		let authorities = validate::authorities(&info.endpoints);
		indexed_authorities += authorities.len();
		ensure!(
			authorities.iter().all(|a| RelayByAuthority::<T>::get(a) == Some(relay)),
			"a relay's authority does not map back to it"
		);
		ensure!(!info.claims.footprints.is_empty(), "a relay has no footprints");
		for claim in &info.claims.footprints {
			ensure!(claim.footprint.is_valid(), "a stored footprint is not canonical");
			ensure!(
				claim.capacity_mbps > 0 && claim.capacity_mbps <= info.claims.capacity_mbps,
				"a footprint claim exceeds the relay's claim"
			);
			let indexed = match claim.footprint {
				Footprint::Ipv4Cidr(c) => {
					*lengths.entry((IPV4, c.len)).or_default() += 1;
					Ipv4Footprints::<T>::contains_key(c, relay)
				}
				Footprint::Ipv6Cidr(c) => {
					*lengths.entry((IPV6, c.len)).or_default() += 1;
					Ipv6Footprints::<T>::contains_key(c, relay)
				}
				Footprint::Asn(a) => AsnFootprints::<T>::contains_key(a, relay),
				Footprint::CountryCode(c) => CountryFootprints::<T>::contains_key(c, relay),
			};
			ensure!(indexed, "a relay's footprint is not in the index");
			footprint_entries += 1;
		}
		if info.status == RelayStatus::Active {
			ensure!(info.verified_mbps > 0, "an Active relay has no verified capacity");
		}
		let bond = bonds.entry(info.operator.clone()).or_insert_with(Zero::zero);
		*bond += info.bond;
	}

	let index_entries = Ipv4Footprints::<T>::iter_keys().count()
		+ Ipv6Footprints::<T>::iter_keys().count()
		+ AsnFootprints::<T>::iter_keys().count()
		+ CountryFootprints::<T>::iter_keys().count();
	ensure!(index_entries == footprint_entries, "the footprint index has stale entries");
	let counted: BTreeMap<(u8, u8), u32> =
		CidrLengthsInUse::<T>::iter().map(|(f, l, n)| ((f, l), n)).collect();
	ensure!(counted == lengths, "CidrLengthsInUse disagrees with the relays' prefixes");
	ensure!(
		RelayByAuthority::<T>::iter_keys().count() == indexed_authorities,
		"RelayByAuthority has stale entries"
	);

	let mut listed = 0usize;
	for (operator, list) in OperatorRelays::<T>::iter() {
		ensure!(!list.is_empty(), "an operator has an empty relay list");
		for relay in &list {
			let info = Relays::<T>::get(relay).ok_or("an operator lists a removed relay")?;
			ensure!(info.operator == operator, "an operator lists another's relay");
		}
		listed += list.len();
		ensure!(
			T::Currency::balance_on_hold(&HoldReason::RelayBond.into(), &operator)
				== bonds.get(&operator).copied().unwrap_or_else(Zero::zero),
			"an operator's held bond differs from its relays' bonds"
		);
	}
	ensure!(listed == relays, "operator lists and relays differ in number");

	let mut hosts = 0usize;
	for (provider, info) in Providers::<T>::iter() {
		for host in &info.hosts {
			ensure!(
				HostOwner::<T>::get(host).as_ref() == Some(&provider),
				"a provider's host is not owned by it"
			);
		}
		hosts += info.hosts.len();
		ensure!(
			T::Currency::balance_on_hold(&HoldReason::ProviderDeposit.into(), &provider)
				== info.deposit,
			"a provider's held deposit differs from its record"
		);
	}
	ensure!(HostOwner::<T>::iter_keys().count() == hosts, "HostOwner has stale entries");
	Ok(())
}
