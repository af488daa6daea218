//! The registry's runtime API: the node's `capacity_*` RPC methods, wallets
//! and request routers call it.

use alloc::{string::String, vec::Vec};
use codec::Codec;
pub use ocm_primitives::capacity::{ClientLocator, Mbps, RelayId, RelayMatch};

sp_api::decl_runtime_apis! {
	pub trait CapacityRegistryApi<AccountId> where AccountId: Codec {
		/// The Active relays that serve `client` with at least
		/// `min_capacity_mbps`, best first, at most `limit`.
		fn relays_for(client: ClientLocator, min_capacity_mbps: Mbps, limit: u32) -> Vec<RelayMatch<AccountId>>;

		/// The relay's RFC 8008 FCI advertisement, as JSON text; `None` if no
		/// such relay. (Text rather than bytes: Polkadot.js decodes an
		/// `Option<Vec<u8>>` returned by `api.call` with its prefixes.)
		fn fci_advertisement(relay: RelayId) -> Option<String>;
	}
}
