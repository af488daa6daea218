//! Types shared by the OCM runtime, the node and the off-chain binaries.
//!
//! Everything here is `no_std` and free of FRAME, so `ocm-relay` and
//! `ocm-beacon` can agree with the runtime on encodings without linking it.

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub mod capacity;
pub mod footprint;
pub mod web;

use sp_runtime::{
	generic,
	traits::{BlakeTwo256, IdentifyAccount, Verify},
	MultiSignature,
};

/// Signature of a transaction: sr25519 (what Polkadot.js uses), ed25519 or ecdsa.
pub type Signature = MultiSignature;

/// An account on chain: the 32-byte public key of the signing scheme.
pub type AccountId = <<Signature as Verify>::Signer as IdentifyAccount>::AccountId;

/// Balance of an account, in the smallest unit (see [`currency`]).
pub type Balance = u128;

/// Per-account transaction counter.
pub type Nonce = u32;

/// Block and state hash.
pub type Hash = sp_core::H256;

/// Block height.
pub type BlockNumber = u32;

/// Block header.
pub type Header = generic::Header<BlockNumber, BlakeTwo256>;

/// The OCM token, as Polkadot.js and wallets display it.
pub mod currency {
	use super::Balance;

	/// Token symbol in the chain spec's properties.
	pub const TOKEN_SYMBOL: &str = "OCM";
	/// Decimal places: one OCM is `10^TOKEN_DECIMALS` planck.
	pub const TOKEN_DECIMALS: u8 = 12;
	/// One OCM.
	pub const UNITS: Balance = 1_000_000_000_000;
	pub const MILLI_UNITS: Balance = UNITS / 1_000;
	pub const MICRO_UNITS: Balance = UNITS / 1_000_000;
	/// Below this an account is reaped; small so home beacons can hold dust-sized rewards.
	pub const EXISTENTIAL_DEPOSIT: Balance = MILLI_UNITS;
}

/// Address format. 42 is the generic Substrate prefix: OCM keeps it (and with it
/// the familiar `5...` dev addresses) until it registers its own in the
/// ss58-registry.
pub const SS58_PREFIX: u16 = 42;

/// Block time. Two seconds: delivery contracts, PoB epochs and log settlement
/// react within seconds, and tests never wait on six-second slots.
pub mod time {
	use super::BlockNumber;

	pub const MILLISECS_PER_BLOCK: u64 = 2_000;
	/// BABE slot length. It cannot change once a chain has started.
	pub const SLOT_DURATION: u64 = MILLISECS_PER_BLOCK;

	pub const MINUTES: BlockNumber = 60_000 / (MILLISECS_PER_BLOCK as BlockNumber);
	pub const HOURS: BlockNumber = MINUTES * 60;
	pub const DAYS: BlockNumber = HOURS * 24;

	/// A BABE epoch: ten minutes of slots. Each epoch's randomness mixes the
	/// VRF outputs of the blocks of the epoch before, so shorter epochs
	/// refresh it sooner; the authority set never changes inside one. Like
	/// the slot, it cannot change once a chain has started.
	pub const EPOCH_DURATION_IN_SLOTS: u64 = 10 * MINUTES as u64;
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn time_units_are_whole_blocks() {
		assert_eq!(time::MINUTES, 30);
		assert_eq!(time::DAYS, 43_200);
		assert_eq!(60_000 % time::MILLISECS_PER_BLOCK, 0);
		assert_eq!(time::EPOCH_DURATION_IN_SLOTS, 300);
	}

	#[test]
	fn units_match_decimals() {
		assert_eq!(currency::UNITS, 10u128.pow(currency::TOKEN_DECIMALS as u32));
	}
}
