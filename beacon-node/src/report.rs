//! The report a beacon signs and the transaction that carries it, sans I/O.
//!
//! `ProofOfBandwidth::submit_report` is authorized by the pallet from the
//! report's own signature, so it travels as a v5 *general* extrinsic with no
//! account signature: version byte, extension version, each transaction
//! extension's explicit data, then the call. The extensions are the
//! runtime's; [`general_extrinsic`] knows the explicit data of each one
//! polkadot-sdk's solochains use when no account signs (no nonce to check,
//! no tip, immortal) and refuses a runtime with others.

use codec::{Compact, Encode};

pub use ocm_pob::REPORT_CONTEXT;

/// What the beacon measured.
#[derive(Clone, Debug, PartialEq, Eq, Encode)]
pub struct Report {
	pub epoch: u32,
	pub relay: u32,
	pub beacon: [u8; 32],
	pub bytes_per_second: Vec<u64>,
}

/// The bytes a beacon signs: `(REPORT_CONTEXT, genesis hash, report)`,
/// SCALE-encoded as the pallet's `signing_payload` does.
pub fn signing_payload(genesis: &[u8; 32], report: &Report) -> Vec<u8> {
	(REPORT_CONTEXT, &genesis[..], report).encode()
}

/// What of its relay's multicast test reached the beacon.
#[derive(Clone, Debug, PartialEq, Eq, Encode)]
pub struct MulticastReport {
	pub epoch: u32,
	pub relay: u32,
	pub beacon: [u8; 32],
	/// Distinct test objects rebuilt whose every byte checked.
	pub objects: u32,
	/// ALC bytes of the channel received in the multicast window.
	pub bytes: u64,
}

/// The bytes a beacon signs for a multicast report, as the pallet's
/// `multicast_signing_payload` does.
pub fn multicast_signing_payload(genesis: &[u8; 32], report: &MulticastReport) -> Vec<u8> {
	(ocm_pob::multicast::REPORT_CONTEXT, &genesis[..], report).encode()
}

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

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn the_signing_payload_is_context_genesis_then_the_report() {
		let report =
			Report { epoch: 7, relay: 2, beacon: [0xbb; 32], bytes_per_second: vec![1, 256] };
		let payload = signing_payload(&[0xaa; 32], &report);
		let mut expected = b"ocm/pob/report/1".to_vec();
		expected.push(32 << 2); // compact length of the genesis hash
		expected.extend([0xaa; 32]);
		expected.extend(7u32.to_le_bytes());
		expected.extend(2u32.to_le_bytes());
		expected.extend([0xbb; 32]);
		expected.push(2 << 2); // compact count of seconds
		expected.extend(1u64.to_le_bytes());
		expected.extend(256u64.to_le_bytes());
		assert_eq!(payload, expected);
	}

	#[test]
	fn the_multicast_signing_payload_has_its_own_context() {
		let report =
			MulticastReport { epoch: 7, relay: 2, beacon: [0xbb; 32], objects: 39, bytes: 1 << 20 };
		let payload = multicast_signing_payload(&[0xaa; 32], &report);
		let mut expected = b"ocm/pob/mreach/1".to_vec();
		expected.push(32 << 2);
		expected.extend([0xaa; 32]);
		expected.extend(7u32.to_le_bytes());
		expected.extend(2u32.to_le_bytes());
		expected.extend([0xbb; 32]);
		expected.extend(39u32.to_le_bytes());
		expected.extend((1u64 << 20).to_le_bytes());
		assert_eq!(payload, expected);
	}

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
