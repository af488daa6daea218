//! Benchmarks for every call, at their worst cases: the longest URLs, IPv6
//! footprints (the slowest to parse and index), and hosts of maximal length.

use super::*;
use crate::Pallet as CapacityRegistry;
use alloc::{format, vec, vec::Vec};
use frame_benchmarking::v2::*;
use frame_support::traits::{
	fungible::{Inspect, Mutate},
	EnsureOrigin, Get,
};
use frame_system::RawOrigin;
use ocm_primitives::capacity::{RelayRegistry, Suspender};
use sp_runtime::{traits::Bounded, Perbill, Saturating};

fn funded<T: Config>(name: &'static str, index: u32) -> T::AccountId {
	let who: T::AccountId = account(name, index, 0);
	let balance = BalanceOf::<T>::max_value() / 4u32.into();
	T::Currency::set_balance(&who, balance);
	who
}

/// A URL of exactly `MaxUrlLen` bytes, distinct per `tag`.
fn url<T: Config>(tag: &str) -> Vec<u8> {
	let mut url = format!("https://{tag}.example.net/").into_bytes();
	url.resize(T::MaxUrlLen::get() as usize, b'a');
	url
}

/// `n` distinct IPv6 /48 footprints, distinct per `seed`.
fn footprints(n: u32, seed: u16) -> Vec<FootprintInput> {
	(0..n)
		.map(|i| FootprintInput {
			footprint_type: b"ipv6cidr".to_vec(),
			footprint_value: format!("2001:db8:{seed:x}{:02x}:abcd:0:0:0:0/64", i % 256)
				.into_bytes(),
			capacity_mbps: 1_000,
		})
		.collect()
}

fn claims_input(n: u32, seed: u16) -> ClaimsInput {
	ClaimsInput {
		location: Location {
			country: CountryCode(*b"NL"),
			asn: 64_500,
			coordinates: Some(Coordinates { latitude_decidegrees: 523, longitude_decidegrees: 49 }),
		},
		capacity_mbps: 10_000,
		footprints: footprints(n, seed),
		capabilities: Capabilities(Capabilities::ALL),
	}
}

fn endpoints_input<T: Config>(tag: &str) -> EndpointsInput {
	// The proof-of-bandwidth endpoint on the HTTP endpoint's host (as it
	// must be) but another port, so both are indexed; both URLs as long as
	// allowed.
	let http = url::<T>(tag);
	let mut pob = format!("http://{tag}.example.net:8080/").into_bytes();
	pob.resize(T::MaxUrlLen::get() as usize, b'p');
	EndpointsInput {
		http,
		pob,
		amt_relay: Some(IpAddress::V6([
			0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1,
		])),
		multicast_source: Some(IpAddress::V4([192, 0, 2, 1])),
	}
}

fn registration<T: Config>(n: u32, tag: &str) -> RelayRegistration {
	RelayRegistration { endpoints: endpoints_input::<T>(tag), claims: claims_input(n, 1) }
}

/// A registered relay of `who` with `n` footprints.
fn relay<T: Config>(who: &T::AccountId, n: u32) -> RelayId {
	CapacityRegistry::<T>::do_register_relay(
		who.clone(),
		registration::<T>(n, "bench"),
		T::MinRelayBond::get(),
	)
	.expect("a valid registration")
}

/// A relay with one footprint, of a fresh funded operator: what other
/// pallets' benchmarks act on.
///
/// Its operator holds a few bonds' worth, not a share of the maximal
/// balance, so that many of them (an epoch's worth of relays) fit in the
/// total issuance.
pub fn funded_relay<T: Config>() -> RelayId {
	let id = NextRelayId::<T>::get();
	let operator: T::AccountId = account("relay-operator", id, 0);
	let amount = T::MinRelayBond::get()
		.saturating_mul(10u32.into())
		.saturating_add(T::Currency::minimum_balance());
	T::Currency::set_balance(&operator, amount);
	let mut r = registration::<T>(1, &format!("relay{id}"));
	r.claims.footprints = footprints(1, (id % 0xfff) as u16);
	CapacityRegistry::<T>::do_register_relay(operator, r, T::MinRelayBond::get()).expect("valid")
}

/// Registers `who` as a provider of `hosts` with a funded deposit.
pub fn funded_provider<T: Config>(who: &T::AccountId, hosts: Vec<Vec<u8>>) {
	let amount = T::ProviderDeposit::get()
		.saturating_mul(10u32.into())
		.saturating_add(T::Currency::minimum_balance());
	T::Currency::set_balance(who, amount);
	CapacityRegistry::<T>::do_register_provider(who.clone(), b"provider".to_vec(), hosts)
		.expect("a fresh provider with a valid host registers");
}

/// `n` distinct host names of maximal length (253 bytes, labels of at most 63).
fn hosts(n: u32, seed: u32) -> Vec<Vec<u8>> {
	const SUFFIX: &[u8] = b".example.com";
	(0..n)
		.map(|i| {
			let mut host = format!("h{seed}-{i}").into_bytes();
			let mut label = host.len();
			while host.len() < 253 - SUFFIX.len() {
				// A dot never ends the body: the suffix brings its own.
				if label == 63 && host.len() < 253 - SUFFIX.len() - 1 {
					host.push(b'.');
					label = 0;
				} else {
					host.push(b'a');
					label += 1;
				}
			}
			host.extend_from_slice(SUFFIX);
			host
		})
		.collect()
}

fn name<T: Config>() -> Vec<u8> {
	vec![b'n'; T::MaxNameLen::get() as usize]
}

#[benchmarks]
mod benchmarks {
	use super::*;

	#[benchmark]
	fn register_relay(f: Linear<1, { T::MaxFootprints::get() }>) {
		let operator = funded::<T>("operator", 0);
		// The operator's list is nearly full, so the push is at its costliest.
		for i in 1..T::MaxRelaysPerOperator::get() {
			let mut r = registration::<T>(1, &format!("other{i}"));
			r.claims.footprints = footprints(1, i as u16);
			CapacityRegistry::<T>::do_register_relay(operator.clone(), r, T::MinRelayBond::get())
				.expect("valid");
		}
		let bond = T::MinRelayBond::get();

		#[extrinsic_call]
		_(RawOrigin::Signed(operator.clone()), registration::<T>(f, "new"), bond);

		let id = NextRelayId::<T>::get() - 1;
		assert_eq!(Relays::<T>::get(id).map(|r| r.claims.footprints.len() as u32), Some(f));
	}

	#[benchmark]
	fn update_endpoints() {
		let operator = funded::<T>("operator", 0);
		let id = relay::<T>(&operator, 1);

		#[extrinsic_call]
		_(RawOrigin::Signed(operator), id, endpoints_input::<T>("moved"));

		let moved = Relays::<T>::get(id).map(|info| crate::validate::authorities(&info.endpoints));
		assert!(moved.is_some_and(|moved| moved
			.iter()
			.all(|authority| RelayByAuthority::<T>::get(authority) == Some(id))));
	}

	/// Replaces `MaxFootprints` footprints with `f` new ones.
	#[benchmark]
	fn update_claims(f: Linear<1, { T::MaxFootprints::get() }>) {
		let operator = funded::<T>("operator", 0);
		let id = relay::<T>(&operator, T::MaxFootprints::get());
		CapacityRegistry::<T>::do_board_activate(id, 1_000).expect("exists");

		#[extrinsic_call]
		_(RawOrigin::Signed(operator), id, claims_input(f, 2));

		assert_eq!(Relays::<T>::get(id).map(|r| r.status), Some(RelayStatus::Pending));
	}

	#[benchmark]
	fn heartbeat() {
		let operator = funded::<T>("operator", 0);
		let id = relay::<T>(&operator, 1);
		frame_system::Pallet::<T>::set_block_number(10u32.into());

		#[extrinsic_call]
		_(RawOrigin::Signed(operator), id);

		assert_eq!(Relays::<T>::get(id).map(|r| r.last_heartbeat), Some(10u32.into()));
	}

	#[benchmark]
	fn leave() {
		let operator = funded::<T>("operator", 0);
		let id = relay::<T>(&operator, 1);

		#[extrinsic_call]
		_(RawOrigin::Signed(operator), id);

		assert!(matches!(
			Relays::<T>::get(id).map(|r| r.status),
			Some(RelayStatus::Leaving { .. })
		));
	}

	#[benchmark]
	fn withdraw_bond(f: Linear<1, { T::MaxFootprints::get() }>) {
		let operator = funded::<T>("operator", 0);
		let id = relay::<T>(&operator, f);
		CapacityRegistry::<T>::do_leave(operator.clone(), id).expect("in service");
		let later =
			frame_system::Pallet::<T>::block_number().saturating_add(T::UnbondingPeriod::get());
		frame_system::Pallet::<T>::set_block_number(later);

		#[extrinsic_call]
		_(RawOrigin::Signed(operator), id);

		assert!(!Relays::<T>::contains_key(id));
	}

	#[benchmark]
	fn register_provider(h: Linear<1, { T::MaxHosts::get() }>) {
		let provider = funded::<T>("provider", 0);

		#[extrinsic_call]
		_(RawOrigin::Signed(provider.clone()), name::<T>(), hosts(h, 0));

		assert_eq!(Providers::<T>::get(&provider).map(|p| p.hosts.len() as u32), Some(h));
	}

	/// Replaces `MaxHosts` hosts with `h` new ones.
	#[benchmark]
	fn update_provider(h: Linear<1, { T::MaxHosts::get() }>) {
		let provider = funded::<T>("provider", 0);
		CapacityRegistry::<T>::do_register_provider(
			provider.clone(),
			name::<T>(),
			hosts(T::MaxHosts::get(), 0),
		)
		.expect("valid");

		#[extrinsic_call]
		_(RawOrigin::Signed(provider.clone()), name::<T>(), hosts(h, 1));

		assert_eq!(Providers::<T>::get(&provider).map(|p| p.hosts.len() as u32), Some(h));
	}

	#[benchmark]
	fn deregister_provider(h: Linear<1, { T::MaxHosts::get() }>) {
		let provider = funded::<T>("provider", 0);
		CapacityRegistry::<T>::do_register_provider(provider.clone(), name::<T>(), hosts(h, 0))
			.expect("valid");

		#[extrinsic_call]
		_(RawOrigin::Signed(provider.clone()));

		assert!(!Providers::<T>::contains_key(&provider));
	}

	#[benchmark]
	fn activate_relay() -> Result<(), BenchmarkError> {
		let operator = funded::<T>("operator", 0);
		let id = relay::<T>(&operator, 1);
		let origin =
			T::BoardOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;

		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, id, 1_000);

		assert_eq!(Relays::<T>::get(id).map(|r| r.status), Some(RelayStatus::Active));
		Ok(())
	}

	#[benchmark]
	fn suspend_relay() -> Result<(), BenchmarkError> {
		let operator = funded::<T>("operator", 0);
		let id = relay::<T>(&operator, 1);
		let origin =
			T::BoardOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;

		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, id);

		assert!(matches!(
			Relays::<T>::get(id).map(|r| r.status),
			Some(RelayStatus::Suspended { by: Suspender::Board, .. })
		));
		Ok(())
	}

	#[benchmark]
	fn reinstate_relay() -> Result<(), BenchmarkError> {
		let operator = funded::<T>("operator", 0);
		let id = relay::<T>(&operator, 1);
		CapacityRegistry::<T>::do_suspend(id, Suspender::Board).expect("exists");
		let origin =
			T::BoardOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;

		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, id);

		assert_eq!(Relays::<T>::get(id).map(|r| r.status), Some(RelayStatus::Pending));
		Ok(())
	}

	#[benchmark]
	fn slash_relay() -> Result<(), BenchmarkError> {
		let operator = funded::<T>("operator", 0);
		let id = relay::<T>(&operator, 1);
		let origin =
			T::BoardOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;

		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, id, Perbill::from_percent(50));

		assert!(
			<CapacityRegistry<T> as RelayRegistry<_, _>>::relay(id).is_some()
				&& Relays::<T>::get(id).map(|r| r.bond) < Some(T::MinRelayBond::get())
		);
		Ok(())
	}

	impl_benchmark_test_suite!(CapacityRegistry, crate::mock::new_bench_ext(), crate::mock::Test);
}
