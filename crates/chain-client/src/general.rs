//! General transactions: v5 extrinsics with no account signature, for calls
//! a pallet authorizes from what they carry (`#[pallet::authorize]`): a
//! beacon's report, a provider's signed service configuration.
//!
//! The encoding is the version byte, the extension version, each
//! transaction extension's explicit data, then the call. The extensions are
//! the runtime's; [`general_extrinsic`] knows the explicit data of each one
//! polkadot-sdk's solochains use when no account signs (no nonce to check,
//! no tip, immortal) and refuses a runtime with others.

use crate::{finalized, AtBlock, EventFields};
use codec::{Compact, Encode};
use subxt::{ext::scale_value::Composite, transactions::DynamicPayload};

/// The explicit data of a transaction extension in an unsigned general
/// transaction, by its identifier in the metadata.
fn explicit_data(identifier: &str) -> Option<&'static [u8]> {
	Some(match identifier {
		"AuthorizeCall"
		| "CheckNonZeroSender"
		| "CheckSpecVersion"
		| "CheckTxVersion"
		| "CheckGenesis"
		| "CheckWeight"
		| "WeightReclaim"
		| "StorageWeightReclaim" => &[],
		// `Era::Immortal`.
		"CheckMortality" | "CheckEra" => &[0],
		// `Compact(0)`: not checked without an account.
		"CheckNonce" => &[0],
		// `Compact(0)` tip.
		"ChargeTransactionPayment" => &[0],
		// `Mode::Disabled`.
		"CheckMetadataHash" => &[0],
		_ => return None,
	})
}

/// A v5 general extrinsic (no account signature) carrying `call`, for a
/// runtime whose transaction extensions of `version` are `extensions`, in order.
pub fn general_extrinsic(version: u8, extensions: &[&str], call: &[u8]) -> Result<Vec<u8>, String> {
	// Version 5, "general" type bits (0b01 in the top two bits).
	let mut body = vec![0b0100_0101u8, version];
	for identifier in extensions {
		let data = explicit_data(identifier)
			.ok_or_else(|| format!("unknown transaction extension {identifier}"))?;
		body.extend_from_slice(data);
	}
	body.extend_from_slice(call);
	let mut out = Compact(body.len() as u32).encode();
	out.extend(body);
	Ok(out)
}

/// Submits `call` as a general transaction at `at`'s metadata and waits for
/// it in a finalized block; returns its events. The pool's refusal (the
/// pallet's authorization said no) is the error.
pub async fn submit(
	at: &AtBlock,
	call: &DynamicPayload<Composite<()>>,
) -> Result<Vec<EventFields>, String> {
	let bytes = encode(at, call)?;
	finalized(at.tx().from_bytes(bytes).submit_and_watch().await).await
}

/// Submits `call` as a general transaction and returns once the node's pool
/// has taken it (its authorization passed), without waiting for a block:
/// for what must reach a block by a deadline that finality would miss.
pub async fn submit_to_pool(
	at: &AtBlock,
	call: &DynamicPayload<Composite<()>>,
) -> Result<(), String> {
	let bytes = encode(at, call)?;
	at.tx().from_bytes(bytes).submit().await.map(|_| ()).map_err(|e| e.to_string())
}

/// `call` as a general extrinsic for `at`'s runtime.
fn encode(at: &AtBlock, call: &DynamicPayload<Composite<()>>) -> Result<Vec<u8>, String> {
	let extrinsic = at.metadata_ref().extrinsic();
	let version = extrinsic.transaction_extension_version_to_use_for_encoding();
	let extensions: Vec<String> = extrinsic
		.transaction_extensions_to_use_for_encoding()
		.map(|e| e.identifier().to_string())
		.collect();
	let names: Vec<&str> = extensions.iter().map(String::as_str).collect();
	let call_data = at.tx().call_data(call).map_err(|e| e.to_string())?;
	general_extrinsic(version, &names, &call_data)
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn a_general_extrinsic_is_length_version_extensions_call() {
		let ocm = [
			"AuthorizeCall",
			"CheckNonZeroSender",
			"CheckSpecVersion",
			"CheckTxVersion",
			"CheckGenesis",
			"CheckMortality",
			"CheckNonce",
			"CheckWeight",
			"ChargeTransactionPayment",
			"CheckMetadataHash",
			"WeightReclaim",
		];
		let xt = general_extrinsic(0, &ocm, &[22, 3, 9]).unwrap();
		assert_eq!(xt, vec![9 << 2, 0x45, 0, 0, 0, 0, 0, 22, 3, 9]);
		assert_eq!(
			general_extrinsic(0, &["CheckNonce", "SomethingNew"], &[]),
			Err("unknown transaction extension SomethingNew".into())
		);
	}
}
