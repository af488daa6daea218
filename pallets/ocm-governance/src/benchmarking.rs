//! Benchmarks for every call, with the board's own origins.

use super::*;
use crate::Pallet as Governance;
use alloc::{boxed::Box, vec};
use frame_benchmarking::v2::*;
use frame_support::traits::{
	fungible::{Inspect, Mutate},
	EnsureOrigin, Get,
};
use ocm_primitives::capacity::{RelayRegistry, RelayStatus, Suspender};

fn board<O: EnsureOrigin<T::RuntimeOrigin>, T: Config>() -> Result<T::RuntimeOrigin, BenchmarkError>
{
	O::try_successful_origin().map_err(|_| BenchmarkError::Weightless)
}

fn reason<T: Config>() -> alloc::vec::Vec<u8> {
	vec![b'r'; T::MaxReasonLen::get() as usize]
}

#[benchmarks]
mod benchmarks {
	use super::*;

	#[benchmark]
	fn set_parameter() -> Result<(), BenchmarkError> {
		let origin = board::<T::ParameterOrigin, T>()?;
		let value = T::Bounds::get().min_relay_bond.max;

		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, MarketParameter::MinRelayBond(value));

		assert!(Parameters::<T>::get().min_relay_bond == value);
		Ok(())
	}

	#[benchmark]
	fn suspend_relay() -> Result<(), BenchmarkError> {
		let origin = board::<T::RelayOrigin, T>()?;
		let relay = T::Relays::benchmark_relay();

		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, relay, reason::<T>());

		assert!(matches!(
			T::Relays::relay(relay).map(|r| r.status),
			Some(RelayStatus::Suspended { by: Suspender::Board, .. })
		));
		Ok(())
	}

	#[benchmark]
	fn reinstate_relay() -> Result<(), BenchmarkError> {
		let origin = board::<T::RelayOrigin, T>()?;
		let relay = T::Relays::benchmark_relay();
		T::Relays::suspend(relay, Suspender::Board).map_err(|_| BenchmarkError::Weightless)?;

		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, relay, reason::<T>());

		assert!(T::Relays::relay(relay).map(|r| r.status) == Some(RelayStatus::Pending));
		Ok(())
	}

	#[benchmark]
	fn spend() -> Result<(), BenchmarkError> {
		let origin = board::<T::SpendOrigin, T>()?;
		let amount = T::Currency::minimum_balance() * 100u32.into();
		T::Currency::set_balance(&Governance::<T>::pot(), amount * 2u32.into());
		let beneficiary: T::AccountId = account("beneficiary", 0, 0);

		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, beneficiary.clone(), amount);

		assert!(T::Currency::balance(&beneficiary) == amount);
		Ok(())
	}

	#[benchmark]
	fn pause() -> Result<(), BenchmarkError> {
		let origin = board::<T::PauseOrigin, T>()?;

		#[extrinsic_call]
		_(origin as T::RuntimeOrigin);

		assert!(Paused::<T>::get());
		Ok(())
	}

	#[benchmark]
	fn unpause() -> Result<(), BenchmarkError> {
		let origin = board::<T::PauseOrigin, T>()?;
		Paused::<T>::put(true);

		#[extrinsic_call]
		_(origin as T::RuntimeOrigin);

		assert!(!Paused::<T>::get());
		Ok(())
	}

	/// The overhead around the dispatched call (here an empty remark).
	#[benchmark]
	fn dispatch_as_root() -> Result<(), BenchmarkError> {
		let origin = board::<T::RootOrigin, T>()?;
		let call: <T as Config>::RuntimeCall =
			frame_system::Call::<T>::remark { remark: vec![] }.into();

		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, Box::new(call));

		Ok(())
	}

	impl_benchmark_test_suite!(Governance, crate::mock::new_bench_ext(), crate::mock::Test);
}
