//! The OCM runtime.
//!
//! Accounts and balances, BABE block production with GRANDPA finality,
//! transaction fees, the OCM board (`Council` with `CouncilMembership`) and
//! the marketplace from pallet index 20: the capacity registry (relays,
//! providers, footprints) and `Governance` (market parameters, the protocol
//! pot, the pause, Root by two thirds of the board). There is no sudo: the
//! board governs from genesis. Proof of bandwidth and CDNi settlement join as
//! they land.

#![cfg_attr(not(feature = "std"), no_std)]
// `construct_runtime` generates large enums and recursion-heavy impls.
#![recursion_limit = "512"]

#[cfg(feature = "std")]
include!(concat!(env!("OUT_DIR"), "/wasm_binary.rs"));

extern crate alloc;

// Declared before `apis` so its macros are in scope there.
pub mod apis;
#[cfg(feature = "runtime-benchmarks")]
mod benchmarks;
pub mod configs;
pub mod genesis_config_presets;
#[cfg(test)]
mod tests;
pub mod weights;

pub use apis::RuntimeApi;
pub use configs::*;

use alloc::{borrow::Cow, vec::Vec};
use sp_runtime::{generic, impl_opaque_keys, traits::BlakeTwo256, MultiAddress};
use sp_version::RuntimeVersion;

pub use ocm_primitives::{
	currency::*, time::*, AccountId, Balance, BlockNumber, Hash, Nonce, Signature,
};
#[cfg(feature = "std")]
pub use sp_runtime::BuildStorage;

/// Types the node uses without knowing the runtime's call and extension types,
/// so it keeps syncing across runtime upgrades that change them.
pub mod opaque {
	use super::*;
	pub use sp_runtime::OpaqueExtrinsic as UncheckedExtrinsic;

	pub type Header = generic::Header<BlockNumber, BlakeTwo256>;
	pub type Block = generic::Block<Header, UncheckedExtrinsic>;
	pub type Hash = <BlakeTwo256 as sp_runtime::traits::Hash>::Output;
}

impl_opaque_keys! {
	/// The keys a validator registers: BABE to author blocks (and sign the
	/// VRF outputs the chain's randomness comes from), GRANDPA to finalize
	/// them, `pobp` to probe relays for proof of bandwidth.
	pub struct SessionKeys {
		pub babe: Babe,
		pub grandpa: Grandpa,
		pub pob: ProofOfBandwidth,
	}
}

#[sp_version::runtime_version]
pub const VERSION: RuntimeVersion = RuntimeVersion {
	spec_name: Cow::Borrowed("ocm"),
	impl_name: Cow::Borrowed("ocm-runtime"),
	authoring_version: 1,
	spec_version: 100,
	impl_version: 1,
	apis: apis::RUNTIME_API_VERSIONS,
	transaction_version: 1,
	system_version: 1,
};

/// Address format of extrinsics: any account id, with no index lookup.
pub type Address = MultiAddress<AccountId, ()>;
pub type Header = generic::Header<BlockNumber, BlakeTwo256>;
pub type Block = generic::Block<Header, UncheckedExtrinsic>;
pub type SignedBlock = generic::SignedBlock<Block>;

/// What a transaction carries beside its call, checked in this order.
///
/// `AuthorizeCall` comes first so calls that declare `#[pallet::authorize]`
/// (the off-chain workers' reports) are valid without a signature; it is a
/// no-op for every other call. `WeightReclaim` comes last so it sees the
/// actual weight of everything before it.
pub type TxExtension = (
	frame_system::AuthorizeCall<Runtime>,
	frame_system::CheckNonZeroSender<Runtime>,
	frame_system::CheckSpecVersion<Runtime>,
	frame_system::CheckTxVersion<Runtime>,
	frame_system::CheckGenesis<Runtime>,
	frame_system::CheckEra<Runtime>,
	frame_system::CheckNonce<Runtime>,
	frame_system::CheckWeight<Runtime>,
	pallet_transaction_payment::ChargeTransactionPayment<Runtime>,
	frame_metadata_hash_extension::CheckMetadataHash<Runtime>,
	frame_system::WeightReclaim<Runtime>,
);

pub type UncheckedExtrinsic =
	generic::UncheckedExtrinsic<Address, RuntimeCall, Signature, TxExtension>;
pub type SignedPayload = generic::SignedPayload<RuntimeCall, TxExtension>;

/// Migrations beyond the pallets' own; none yet.
type Migrations = ();

pub type Executive = frame_executive::Executive<
	Runtime,
	Block,
	frame_system::ChainContext<Runtime>,
	Runtime,
	AllPalletsWithSystem,
	Migrations,
>;

#[frame_support::runtime]
mod runtime {
	#[runtime::runtime]
	#[runtime::derive(
		RuntimeCall,
		RuntimeEvent,
		RuntimeError,
		RuntimeOrigin,
		RuntimeFreezeReason,
		RuntimeHoldReason,
		RuntimeSlashReason,
		RuntimeLockId,
		RuntimeTask,
		RuntimeViewFunction
	)]
	pub struct Runtime;

	#[runtime::pallet_index(0)]
	pub type System = frame_system;
	#[runtime::pallet_index(1)]
	pub type Timestamp = pallet_timestamp;
	#[runtime::pallet_index(2)]
	pub type Babe = pallet_babe;
	#[runtime::pallet_index(3)]
	pub type Grandpa = pallet_grandpa;
	#[runtime::pallet_index(4)]
	pub type Balances = pallet_balances;
	#[runtime::pallet_index(5)]
	pub type TransactionPayment = pallet_transaction_payment;

	// The OCM board. Polkadot.js Apps shows its Council page only for a
	// collective named `Council`.
	#[runtime::pallet_index(10)]
	pub type Council = pallet_collective<Instance1>;
	#[runtime::pallet_index(11)]
	pub type CouncilMembership = pallet_membership<Instance1>;

	// The marketplace.
	#[runtime::pallet_index(20)]
	pub type CapacityRegistry = pallet_capacity_registry;
	#[runtime::pallet_index(21)]
	pub type Governance = pallet_ocm_governance;
	#[runtime::pallet_index(22)]
	pub type ProofOfBandwidth = pallet_proof_of_bandwidth;
	#[runtime::pallet_index(23)]
	pub type CdniSettlement = pallet_cdni_settlement;
}
