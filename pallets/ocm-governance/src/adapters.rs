//! `Get` adapters: how the other pallets' Config items read the market's
//! parameters and the pause from this pallet's storage instead of constants.

use crate::{Config, Parameters, Paused};
use core::marker::PhantomData;
use frame_support::traits::Get;
use frame_system::pallet_prelude::BlockNumberFor;
use sp_runtime::Perbill;

macro_rules! parameter_adapter {
	($(#[$doc:meta])* $name:ident: $ty:ty = $field:ident) => {
		$(#[$doc])*
		pub struct $name<T>(PhantomData<T>);
		impl<T: Config> Get<$ty> for $name<T> {
			fn get() -> $ty {
				Parameters::<T>::get().$field
			}
		}
	};
}

parameter_adapter!(
	/// The protocol's share of settled payments.
	ProtocolFee: Perbill = protocol_fee);
parameter_adapter!(MinRelayBond: crate::BalanceOf<T> = min_relay_bond);
parameter_adapter!(MinBeaconBond: crate::BalanceOf<T> = min_beacon_bond);
parameter_adapter!(UnbondingPeriod: BlockNumberFor<T> = unbonding_period);
parameter_adapter!(PobEpochLength: BlockNumberFor<T> = pob_epoch_length);
parameter_adapter!(BeaconsPerTest: u32 = beacons_per_test);
parameter_adapter!(CapacityMargin: Perbill = capacity_margin);
parameter_adapter!(Tolerance: Perbill = tolerance);
parameter_adapter!(SlashShare: Perbill = slash_share);
parameter_adapter!(SettlementPeriod: BlockNumberFor<T> = settlement_period);
parameter_adapter!(DisputeWindow: BlockNumberFor<T> = dispute_window);
parameter_adapter!(MaxFootprints: u32 = max_footprints);
parameter_adapter!(CapacityHeadroom: Perbill = capacity_headroom);

/// Whether the board has paused new registrations and contracts.
pub struct RegistrationsPaused<T>(PhantomData<T>);
impl<T: Config> Get<bool> for RegistrationsPaused<T> {
	fn get() -> bool {
		Paused::<T>::get()
	}
}

/// The protocol pot's account, for `ResolveTo` (slashed bonds, fees).
pub struct PotAccount<T>(PhantomData<T>);
impl<T: Config> frame_support::traits::TypedGet for PotAccount<T> {
	type Type = T::AccountId;
	fn get() -> T::AccountId {
		crate::Pallet::<T>::pot()
	}
}
