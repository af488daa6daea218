//! # OCM governance
//!
//! What the OCM board governs, by on-chain vote. The board is the `Council`
//! collective; its motions dispatch this pallet's calls with a collective
//! origin, and each call requires its own proportion of the board (a Config
//! origin per call):
//!
//! - `set_parameter`: the market's parameters ([`MarketParameters`]), each
//!   within runtime bounds. The registry, proof of bandwidth and settlement
//!   read them through the `Get` adapters in [`adapters`].
//! - `suspend_relay` / `reinstate_relay`, with a reason on record.
//! - `spend`: from the protocol pot (slashed bonds and protocol fees).
//! - `pause` / `unpause`: the emergency brake on new registrations and
//!   contracts.
//! - `dispatch_as_root`: any call as Root (runtime upgrades, `Council`
//!   seats through `set_members`), for the proportion `RootOrigin` requires.
//!
//! Every change emits an event with `motion`: the hash of this call as a
//! proposal, which is the hash the `Council` gave the motion that passed it,
//! so anyone can trace which vote changed what.

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub mod adapters;
#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
#[cfg(test)]
mod mock;
pub mod parameters;
#[cfg(test)]
mod tests;
pub mod weights;

pub use pallet::*;
pub use parameters::{
	MarketParameter, MarketParameters, ParameterBounds, ParameterConflict, ParameterRules, Range,
};
pub use weights::WeightInfo;

#[frame_support::pallet]
pub mod pallet {
	use super::*;
	use alloc::boxed::Box;
	use frame_support::{
		dispatch::{GetDispatchInfo, PostDispatchInfo},
		pallet_prelude::*,
		traits::{
			fungible::{Inspect, Mutate},
			tokens::Preservation,
			UnfilteredDispatchable,
		},
		PalletId,
	};
	use frame_system::pallet_prelude::*;
	use ocm_primitives::capacity::{RelayId, RelayRegistry, Suspender};
	use sp_runtime::traits::{AccountIdConversion, Hash, Zero};

	pub type BalanceOf<T> =
		<<T as Config>::Currency as Inspect<<T as frame_system::Config>::AccountId>>::Balance;
	pub type ParametersOf<T> = MarketParameters<BalanceOf<T>, BlockNumberFor<T>>;
	pub type ParameterOf<T> = MarketParameter<BalanceOf<T>, BlockNumberFor<T>>;
	/// Why the board suspended or reinstated a relay, in its own words.
	pub type Reason<T> = BoundedVec<u8, <T as Config>::MaxReasonLen>;

	#[pallet::pallet]
	pub struct Pallet<T>(_);

	#[pallet::config]
	pub trait Config: frame_system::Config<RuntimeEvent: From<Event<Self>>> {
		/// Calls the board may dispatch as Root; also hashed to name the
		/// motion that passed a call of this pallet.
		type RuntimeCall: Parameter
			+ UnfilteredDispatchable<RuntimeOrigin = Self::RuntimeOrigin>
			+ GetDispatchInfo
			+ From<Call<Self>>
			+ From<frame_system::Call<Self>>
			+ IsType<<Self as frame_system::Config>::RuntimeCall>
			+ sp_runtime::traits::Dispatchable<PostInfo = PostDispatchInfo>;

		/// The token of the protocol pot.
		type Currency: Mutate<Self::AccountId>;

		/// The relays the board judges.
		type Relays: RelayRegistry<Self::AccountId, BlockNumberFor<Self>>;

		/// Who sets market parameters.
		type ParameterOrigin: EnsureOrigin<Self::RuntimeOrigin>;
		/// Who suspends and reinstates relays.
		type RelayOrigin: EnsureOrigin<Self::RuntimeOrigin>;
		/// Who spends from the protocol pot.
		type SpendOrigin: EnsureOrigin<Self::RuntimeOrigin>;
		/// Who pauses and unpauses registrations.
		type PauseOrigin: EnsureOrigin<Self::RuntimeOrigin>;
		/// Who dispatches calls as Root.
		type RootOrigin: EnsureOrigin<Self::RuntimeOrigin>;

		/// Bounds of every parameter.
		type Bounds: Get<ParameterBounds<BalanceOf<Self>, BlockNumberFor<Self>>>;

		/// Parameters a chain starts with unless its genesis says otherwise.
		type DefaultParameters: Get<ParametersOf<Self>>;

		/// How the runtime's other constants tie the parameters together,
		/// checked with every change and at genesis (`()`: not at all).
		type Rules: ParameterRules<BalanceOf<Self>, BlockNumberFor<Self>>;

		/// Derives the protocol pot's account.
		#[pallet::constant]
		type PotId: Get<PalletId>;

		/// Longest reason for a suspension, in bytes.
		#[pallet::constant]
		type MaxReasonLen: Get<u32>;

		type WeightInfo: WeightInfo;
	}

	#[pallet::type_value]
	pub fn DefaultParametersOf<T: Config>() -> ParametersOf<T> {
		T::DefaultParameters::get()
	}

	/// The market's parameters.
	#[pallet::storage]
	pub type Parameters<T: Config> =
		StorageValue<_, ParametersOf<T>, ValueQuery, DefaultParametersOf<T>>;

	/// Whether new registrations and contracts are paused.
	#[pallet::storage]
	pub type Paused<T> = StorageValue<_, bool, ValueQuery>;

	#[pallet::genesis_config]
	#[derive(frame_support::DefaultNoBound)]
	pub struct GenesisConfig<T: Config> {
		/// `None`: the runtime's `DefaultParameters`.
		pub parameters: Option<ParametersOf<T>>,
	}

	#[pallet::genesis_build]
	impl<T: Config> BuildGenesisConfig for GenesisConfig<T> {
		fn build(&self) {
			let parameters = self.parameters.unwrap_or_else(T::DefaultParameters::get);
			assert!(
				parameters.within(&T::Bounds::get()),
				"genesis market parameters are outside the runtime's bounds"
			);
			if let Err(conflict) = T::Rules::check(&parameters) {
				panic!("genesis market parameters do not hold together: {conflict:?}");
			}
			Parameters::<T>::put(parameters);
		}
	}

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// A market parameter changed.
		ParameterSet { parameter: ParameterOf<T>, motion: T::Hash },
		/// The board suspended a relay.
		RelaySuspended { relay: RelayId, reason: Reason<T>, motion: T::Hash },
		/// The board lifted a relay's suspension; it waits for proof of bandwidth.
		RelayReinstated { relay: RelayId, reason: Reason<T>, motion: T::Hash },
		/// The board spent from the protocol pot.
		Spent { beneficiary: T::AccountId, amount: BalanceOf<T>, motion: T::Hash },
		/// New registrations and contracts are paused.
		Paused { motion: T::Hash },
		/// New registrations and contracts are allowed again.
		Unpaused { motion: T::Hash },
		/// The board dispatched a call as Root.
		DispatchedAsRoot { result: DispatchResult, motion: T::Hash },
	}

	#[pallet::error]
	pub enum Error<T> {
		/// The value is outside the parameter's bounds.
		ParameterOutOfBounds,
		/// The reason is longer than `MaxReasonLen`.
		ReasonTooLong,
		/// A spend of nothing.
		ZeroSpend,
		/// The pot holds less than the spend.
		InsufficientPot,
		/// Registrations are paused already.
		AlreadyPaused,
		/// Registrations are not paused.
		NotPaused,
		/// A proof-of-bandwidth epoch would end before its tests do: the
		/// lead before the unicast window, that window, the multicast window
		/// after it, and the blocks the beacons' reports need to land.
		EpochShorterThanItsTests,
		/// A leaving relay's bond would be released while its last
		/// period's batch can still be committed, disputed or answered, so
		/// a proven lie in it could not be slashed.
		UnbondingShorterThanDisputes,
	}

	impl<T> From<ParameterConflict> for Error<T> {
		fn from(conflict: ParameterConflict) -> Self {
			match conflict {
				ParameterConflict::EpochShorterThanItsTests => Self::EpochShorterThanItsTests,
				ParameterConflict::UnbondingShorterThanDisputes => {
					Self::UnbondingShorterThanDisputes
				}
			}
		}
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		#[cfg(feature = "try-runtime")]
		fn try_state(_: BlockNumberFor<T>) -> Result<(), sp_runtime::TryRuntimeError> {
			Self::do_try_state()
		}
	}

	#[pallet::call(weight(<T as Config>::WeightInfo))]
	impl<T: Config> Pallet<T> {
		/// Sets one market parameter, within its bounds and the runtime's
		/// rules tying it to the others (`Config::Rules`).
		#[pallet::call_index(0)]
		pub fn set_parameter(origin: OriginFor<T>, parameter: ParameterOf<T>) -> DispatchResult {
			T::ParameterOrigin::ensure_origin(origin)?;
			let motion = Self::motion(Call::set_parameter { parameter });
			Parameters::<T>::try_mutate(|current| {
				let mut next = *current;
				ensure!(next.apply(parameter, &T::Bounds::get()), Error::<T>::ParameterOutOfBounds);
				T::Rules::check(&next).map_err(Error::<T>::from)?;
				*current = next;
				Ok::<_, Error<T>>(())
			})?;
			Self::deposit_event(Event::ParameterSet { parameter, motion });
			Ok(())
		}

		/// Takes a relay out of service until the board reinstates it.
		#[pallet::call_index(1)]
		pub fn suspend_relay(
			origin: OriginFor<T>,
			relay: RelayId,
			reason: alloc::vec::Vec<u8>,
		) -> DispatchResult {
			T::RelayOrigin::ensure_origin(origin)?;
			let motion = Self::motion(Call::suspend_relay { relay, reason: reason.clone() });
			let reason: Reason<T> = reason.try_into().map_err(|_| Error::<T>::ReasonTooLong)?;
			T::Relays::suspend(relay, Suspender::Board)?;
			Self::deposit_event(Event::RelaySuspended { relay, reason, motion });
			Ok(())
		}

		/// Lifts a relay's suspension; it serves again once verified.
		#[pallet::call_index(2)]
		pub fn reinstate_relay(
			origin: OriginFor<T>,
			relay: RelayId,
			reason: alloc::vec::Vec<u8>,
		) -> DispatchResult {
			T::RelayOrigin::ensure_origin(origin)?;
			let motion = Self::motion(Call::reinstate_relay { relay, reason: reason.clone() });
			let reason: Reason<T> = reason.try_into().map_err(|_| Error::<T>::ReasonTooLong)?;
			T::Relays::reinstate(relay)?;
			Self::deposit_event(Event::RelayReinstated { relay, reason, motion });
			Ok(())
		}

		/// Pays `amount` from the protocol pot to `beneficiary`.
		#[pallet::call_index(3)]
		pub fn spend(
			origin: OriginFor<T>,
			beneficiary: T::AccountId,
			amount: BalanceOf<T>,
		) -> DispatchResult {
			T::SpendOrigin::ensure_origin(origin)?;
			let motion = Self::motion(Call::spend { beneficiary: beneficiary.clone(), amount });
			ensure!(!amount.is_zero(), Error::<T>::ZeroSpend);
			T::Currency::transfer(&Self::pot(), &beneficiary, amount, Preservation::Expendable)
				.map_err(|_| Error::<T>::InsufficientPot)?;
			Self::deposit_event(Event::Spent { beneficiary, amount, motion });
			Ok(())
		}

		/// Stops new relay and provider registrations (and, when settlement
		/// lands, new contracts). What is registered keeps running.
		#[pallet::call_index(4)]
		pub fn pause(origin: OriginFor<T>) -> DispatchResult {
			T::PauseOrigin::ensure_origin(origin)?;
			ensure!(!Paused::<T>::get(), Error::<T>::AlreadyPaused);
			Paused::<T>::put(true);
			Self::deposit_event(Event::Paused { motion: Self::motion(Call::pause {}) });
			Ok(())
		}

		/// Allows registrations again.
		#[pallet::call_index(5)]
		pub fn unpause(origin: OriginFor<T>) -> DispatchResult {
			T::PauseOrigin::ensure_origin(origin)?;
			ensure!(Paused::<T>::get(), Error::<T>::NotPaused);
			Paused::<T>::put(false);
			Self::deposit_event(Event::Unpaused { motion: Self::motion(Call::unpause {}) });
			Ok(())
		}

		/// Dispatches `call` as Root: how the board upgrades the runtime.
		#[pallet::call_index(6)]
		#[pallet::weight({
			let info = call.get_dispatch_info();
			(T::WeightInfo::dispatch_as_root().saturating_add(info.call_weight), info.class)
		})]
		pub fn dispatch_as_root(
			origin: OriginFor<T>,
			call: Box<<T as Config>::RuntimeCall>,
		) -> DispatchResultWithPostInfo {
			T::RootOrigin::ensure_origin(origin)?;
			let motion = Self::motion(Call::dispatch_as_root { call: call.clone() });
			let outcome = call.dispatch_bypass_filter(frame_system::RawOrigin::Root.into());
			let result = outcome.map(|_| ()).map_err(|e| e.error);
			Self::deposit_event(Event::DispatchedAsRoot { result, motion });
			// The board's vote carried the call; its failure is reported, not
			// raised, so the motion's outcome stays on record.
			let actual = outcome.unwrap_or_else(|e| e.post_info).actual_weight;
			Ok(actual.map(|w| w.saturating_add(T::WeightInfo::dispatch_as_root())).into())
		}
	}

	impl<T: Config> Pallet<T> {
		/// The protocol pot: slashed bonds and protocol fees.
		pub fn pot() -> T::AccountId {
			T::PotId::get().into_account_truncating()
		}

		/// The hash the `Council` gives a motion whose proposal is `call`.
		fn motion(call: Call<T>) -> T::Hash {
			T::Hashing::hash_of(&<T as Config>::RuntimeCall::from(call))
		}

		/// The parameters are within bounds and hold together.
		#[cfg(any(feature = "try-runtime", test))]
		pub fn do_try_state() -> Result<(), sp_runtime::TryRuntimeError> {
			let parameters = Parameters::<T>::get();
			ensure!(
				parameters.within(&T::Bounds::get()),
				"market parameters are outside the runtime's bounds"
			);
			ensure!(T::Rules::check(&parameters).is_ok(), "market parameters do not hold together");
			Ok(())
		}
	}
}
