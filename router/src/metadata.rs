//! Configuring a contract's delivery service with CDNi metadata (RFC 8006):
//! `PUT /cdni/v1/metadata/{contract}` takes an `MI.HostIndex` document
//! signed by the contract's provider and puts it on chain
//! (`CdniSettlement::configure_service`, a general transaction that the
//! pallet authorizes from the provider's signature: the router pays no fee
//! and holds no key); every relay of the contract applies it within a
//! couple of blocks. `GET` returns the document the chain holds.
//!
//! The request carries `OCM-Sequence` (above the stored one, so an old
//! signed document cannot be replayed) and `OCM-Signature`, the provider's
//! sr25519 signature (hex) over `ocm_cdni::metadata::signing_payload`. The
//! router checks what the pallet will, so a bad document gets a precise
//! CDNi error at once instead of a pool refusal.

use ocm_cdni::metadata::{self, ServiceError};
use ocm_chain_client::{
	bytes_of, fetch, number, strings_of,
	subxt::{
		dynamic::{self, At, Value},
		ext::scale_value::Composite,
	},
	Chain,
};
use ocm_routing::control::{hex_bytes, TriggerError};
use serde_json::json;

pub const PATH_PREFIX: &str = "/cdni/v1/metadata/";
pub const SEQUENCE_HEADER: &str = "ocm-sequence";
pub const SIGNATURE_HEADER: &str = "ocm-signature";

/// Documents larger than the runtime's `MaxMetadataLen` are refused unread.
pub const MAX_DOCUMENT_BYTES: usize = 8_192;

/// An HTTP status and a JSON body.
pub struct Answer {
	pub status: u16,
	pub content_type: &'static str,
	pub body: String,
}

/// A CDNi error answer.
pub fn refused(status: u16, code: &'static str, description: impl Into<String>) -> Answer {
	Answer {
		status,
		content_type: "application/json",
		body: TriggerError::new(code, description).body().to_string(),
	}
}

/// The contract id of a metadata path.
pub fn contract_of(path: &str) -> Option<u32> {
	path.strip_prefix(PATH_PREFIX)?.parse().ok()
}

/// `GET`: the service document the chain holds for `contract`.
pub async fn get(chain: &Chain, contract: u32) -> Answer {
	let at = match chain.best().await {
		Ok(at) => at,
		Err(e) => return refused(502, "ecdn", format!("the chain: {e}")),
	};
	match fetch(&at, "CdniSettlement", "Services", vec![Value::u128(contract.into())]).await {
		Ok(Some(service)) => {
			let document = service.at("metadata").and_then(bytes_of).unwrap_or_default();
			let sequence: u32 = number(&service, "sequence").unwrap_or_default();
			match String::from_utf8(document) {
				Ok(body) => Answer { status: 200, content_type: metadata::MEDIA_TYPE, body },
				Err(_) => refused(502, "ecdn", format!("sequence {sequence} is not UTF-8")),
			}
		}
		Ok(None) => {
			refused(404, "econtent", format!("contract {contract} has no configured service"))
		}
		Err(e) => refused(502, "ecdn", format!("the chain: {e}")),
	}
}

/// `PUT`: checks the document (read by the caller up to
/// [`MAX_DOCUMENT_BYTES`]) as the pallet will, submits it and waits for it
/// to be final.
pub async fn put(
	chain: &Chain,
	contract: u32,
	sequence: Option<&str>,
	signature: Option<&str>,
	document: &[u8],
) -> Answer {
	let Some(sequence) = sequence.and_then(|s| s.trim().parse::<u32>().ok()) else {
		return refused(400, "ereject", "OCM-Sequence (a number above the stored one) is required");
	};
	let Some(signature) = signature.and_then(hex_bytes::<64>) else {
		return refused(
			401,
			"eperm",
			"OCM-Signature (the provider's sr25519 signature, hex) is required",
		);
	};
	// One snapshot for every check and the submission.
	let at = match chain.best().await {
		Ok(at) => at,
		Err(e) => return refused(502, "ecdn", format!("the chain: {e}")),
	};
	let key = || vec![Value::u128(contract.into())];
	let terms = match fetch(&at, "CdniSettlement", "Contracts", key()).await {
		Ok(Some(terms)) => terms,
		Ok(None) => return refused(404, "econtent", format!("no contract {contract}")),
		Err(e) => return refused(502, "ecdn", format!("the chain: {e}")),
	};
	let end: u64 = number(&terms, "end").unwrap_or_default();
	if at.block_number() >= end {
		return refused(409, "econtent", format!("contract {contract} has ended"));
	}
	match fetch(&at, "CdniSettlement", "Services", key()).await {
		Ok(Some(stored)) => {
			let stored: u32 = number(&stored, "sequence").unwrap_or_default();
			if sequence <= stored {
				return refused(
					409,
					"ereject",
					format!("sequence {sequence} is not above the stored {stored}"),
				);
			}
		}
		Ok(None) => {}
		Err(e) => return refused(502, "ecdn", format!("the chain: {e}")),
	}
	let provider =
		terms.at("provider").and_then(bytes_of).and_then(|p| <[u8; 32]>::try_from(p).ok());
	let Some(provider) = provider else {
		return refused(502, "ecdn", "a contract without a provider");
	};
	let payload = metadata::signing_payload(&chain.genesis, contract, sequence, document);
	if !ocm_routing::control::sr25519_signed(&payload, provider, signature) {
		return refused(
			403,
			"eperm",
			"the signature is not the contract's provider's over this document",
		);
	}
	let hosts = terms.at("hosts").map(strings_of).unwrap_or_default();
	let service = match metadata::for_contract(document, &hosts[..]) {
		Ok(service) => service,
		Err(ServiceError::HostNotInContract(host)) => {
			return refused(403, "eperm", format!("contract {contract} does not name {host}"))
		}
		Err(ServiceError::Metadata(e)) => return refused(400, "ereject", e.to_string()),
	};
	let call = dynamic::tx(
		"CdniSettlement",
		"configure_service",
		Composite::unnamed([
			Value::u128(contract.into()),
			Value::u128(sequence.into()),
			Value::from_bytes(document),
			Value::unnamed_variant("Sr25519", [Value::from_bytes(signature)]),
		]),
	);
	match ocm_chain_client::general::submit(&at, &call).await {
		Ok(_) => Answer {
			status: 200,
			content_type: "application/json",
			body: json!({
				"contract": contract,
				"sequence": sequence,
				"bytes": document.len(),
				"hosts": service.hosts.iter().map(|h| h.host.clone()).collect::<Vec<_>>(),
				"ignored": service.ignored,
			})
			.to_string(),
		},
		// Checked above: a refusal now means the chain moved on (another
		// configuration landed first, the contract ended).
		Err(e) => refused(409, "ereject", format!("the chain refused it: {e}")),
	}
}
