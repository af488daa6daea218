//! Per-contract CDNi logs for upstream CDNs: `GET /cdni/v1/logs/{contract}`
//! lists the contract's committed log batches from the chain, each with the
//! URL its relay publishes the RFC 7937 file at, its Merkle root and record
//! count (`ocm-logs verify` checks a downloaded file against them).
//!
//! The chain keeps a batch until it is settled; settled batches leave the
//! list (their files stay where their relays published them).

use ocm_chain_client::{bytes_of, number, numbered_entries, Chain};
use serde_json::{json, Value};
use subxt::dynamic::At;

pub const PATH_PREFIX: &str = "/cdni/v1/logs/";

/// The index of `contract`'s committed batches at the best block.
pub async fn index(chain: &Chain, contract: u32) -> Result<Value, String> {
	let at = chain.best().await?;
	let mut batches = Vec::new();
	for (key, batch) in numbered_entries(&at, "CdniSettlement", "Batches").await? {
		let [c, relay, period] = key[..] else { continue };
		if c != contract {
			continue;
		}
		let log_url =
			batch.at("log_url").and_then(bytes_of).and_then(|b| String::from_utf8(b).ok());
		let root = batch.at("root").and_then(bytes_of).map(|b| ocm_cdni::hex(&b));
		batches.push(json!({
			"relay": relay,
			"period": period,
			"records": number::<u64>(&batch, "records")?,
			"root": root,
			"log-url": log_url,
			"record-type": "cdni_http_request_v1",
		}));
	}
	Ok(json!({ "contract": contract, "batches": batches }))
}
