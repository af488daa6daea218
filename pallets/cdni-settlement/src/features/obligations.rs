//! What each relay still owes the contracts it serves. The registry asks
//! before it releases a bond: a relay with a batch in its dispute window or
//! a membership it has not left cannot take its bond and run, so every
//! proven dispute's slash lands.

use crate::{types::Obligation, Config, Obligations, Pallet};
use ocm_primitives::capacity::{RelayId, RelayObligations};

impl<T: Config> Pallet<T> {
	/// Changes `relay`'s obligations; an empty one is removed.
	pub(crate) fn oblige(relay: RelayId, change: impl FnOnce(&mut Obligation)) {
		Obligations::<T>::mutate_exists(relay, |stored| {
			let mut obligation = stored.unwrap_or_default();
			change(&mut obligation);
			*stored = (!obligation.is_empty()).then_some(obligation);
		});
	}
}

impl<T: Config> RelayObligations for Pallet<T> {
	fn has_obligations(relay: RelayId) -> bool {
		Obligations::<T>::contains_key(relay)
	}
}
