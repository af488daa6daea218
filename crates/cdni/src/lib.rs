//! CDNi logging for OCM, sans I/O: RFC 7937's `cdni_http_request_v1`
//! records and log files, the truncation that keeps client addresses out of
//! them, and the Merkle tree whose root a relay commits per batch.
//!
//! `ocm-relay` writes one [`record::HttpRequest`] per request and seals a
//! period's records into a [`file`] and a [`merkle`] root; the settlement
//! pallet checks inclusion proofs and parses disputed records with the same
//! code (this crate is `no_std`); `ocm-logs verify` parses a downloaded file
//! and recomputes its root.

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub mod escape;
pub mod file;
pub mod merkle;
pub mod metadata;
pub mod pattern;
pub mod privacy;
pub mod record;
pub mod time;
pub mod totals;
pub mod uri_signing;

pub use file::hex;
pub use totals::Totals;

/// The domain of a relay's receipt signature. A relay signs, for a client
/// that asks (`OCM-Receipt: 1`), `(RECEIPT_CONTEXT, genesis hash, contract,
/// relay, period, request id, u-uri)` SCALE-encoded with its operator's key,
/// and sends it in the `OCM-Receipt` response header: with it the client can
/// prove on chain that the relay served the request, and demand its record.
pub const RECEIPT_CONTEXT: &[u8; 18] = b"ocm/cdni/receipt/1";

/// The bytes a receipt signs: `(RECEIPT_CONTEXT, genesis, contract, relay,
/// period, request id, u-uri)`, SCALE-encoded.
pub fn receipt_message(
	genesis: &[u8; 32],
	contract: u32,
	relay: u32,
	period: u32,
	request_id: &[u8],
	uri: &[u8],
) -> alloc::vec::Vec<u8> {
	use codec::Encode;
	(RECEIPT_CONTEXT, genesis, contract, relay, period, request_id, uri).encode()
}
