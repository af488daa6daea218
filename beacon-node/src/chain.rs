//! The beacon's link to the chain (subxt): registration, following the
//! epochs on the best chain, and submitting reports.

use crate::report::{general_extrinsic, signing_payload, Report};
use subxt::{
	client::{ClientAtBlock, OnlineClientAtBlockImpl},
	dynamic::{self, At, Value},
	ext::scale_value::{Composite, Primitive, ValueDef},
	rpcs::{rpc_params, RpcClient},
	transactions::TransactionProgress,
	OnlineClient, SubstrateConfig,
};
use subxt_signer::sr25519::Keypair;

pub type Api = OnlineClient<SubstrateConfig>;
/// The chain's state and metadata at one block.
pub type AtBlock = ClientAtBlock<SubstrateConfig, OnlineClientAtBlockImpl<SubstrateConfig>>;

async fn fetch(
	at: &AtBlock,
	pallet: &str,
	item: &str,
	key: Vec<Value>,
) -> Result<Option<Value>, String> {
	let address = dynamic::storage::<Vec<Value>, Value>(pallet, item);
	let value = at.storage().try_fetch(address, key).await.map_err(|e| e.to_string())?;
	value.map(|v| v.decode().map_err(|e| e.to_string())).transpose()
}

/// Waits for the transaction in a finalized block and checks its success.
async fn finalized(
	progress: Result<
		TransactionProgress<SubstrateConfig, OnlineClientAtBlockImpl<SubstrateConfig>>,
		impl ToString,
	>,
) -> Result<(), String> {
	progress
		.map_err(|e| e.to_string())?
		.wait_for_finalized_success()
		.await
		.map(|_| ())
		.map_err(|e| e.to_string())
}

/// The chain, as the beacon uses it.
pub struct Chain {
	pub api: Api,
	pub rpc: RpcClient,
	pub genesis: [u8; 32],
}

/// The epoch in progress, as the pallet stores it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EpochView {
	pub index: u32,
	pub seed: [u8; 32],
	pub window_start_ms: u64,
	pub window_secs: u32,
}

/// This beacon's registration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BeaconView {
	pub capacity_mbps: u32,
	pub asn: u32,
	pub reputation: u32,
}

/// The bytes of a decoded `[u8; N]`, `Vec<u8>` or `BoundedVec<u8, _>` (a
/// newtype around the sequence).
fn bytes_of(value: &Value) -> Option<Vec<u8>> {
	let ValueDef::Composite(c) = &value.value else { return None };
	let values: Vec<&Value> = c.values().collect();
	if let [inner] = values.as_slice() {
		if matches!(inner.value, ValueDef::Composite(_)) {
			return bytes_of(inner);
		}
	}
	values
		.iter()
		.map(|v| match &v.value {
			ValueDef::Primitive(Primitive::U128(n)) => u8::try_from(*n).ok(),
			_ => None,
		})
		.collect()
}

fn number<T: TryFrom<u128>>(value: &Value, field: &str) -> Result<T, String> {
	value
		.at(field)
		.and_then(|v| v.as_u128())
		.and_then(|n| T::try_from(n).ok())
		.ok_or_else(|| format!("no numeric {field} in {value}"))
}

impl Chain {
	pub async fn connect(url: &str) -> Result<Self, String> {
		let api = Api::from_insecure_url(url).await.map_err(|e| format!("{url}: {e}"))?;
		let rpc = RpcClient::from_insecure_url(url).await.map_err(|e| format!("{url}: {e}"))?;
		let genesis: [u8; 32] = api.genesis_hash().0;
		Ok(Self { api, rpc, genesis })
	}

	/// The chain at its best block: assignments are acted on before
	/// finality, as the window opens a few blocks after its epoch. One
	/// snapshot serves every read of a poll.
	pub async fn best(&self) -> Result<AtBlock, String> {
		let header: serde_json::Value =
			self.rpc.request("chain_getHeader", rpc_params![]).await.map_err(|e| e.to_string())?;
		let hex = header["number"].as_str().ok_or("a header without a number")?;
		let number =
			u64::from_str_radix(hex.trim_start_matches("0x"), 16).map_err(|e| e.to_string())?;
		self.api.at_block(number).await.map_err(|e| e.to_string())
	}

	pub async fn epoch(at: &AtBlock) -> Result<Option<EpochView>, String> {
		let Some(epoch) = fetch(at, "ProofOfBandwidth", "CurrentEpoch", vec![]).await? else {
			return Ok(None);
		};
		let seed = epoch
			.at("seed")
			.and_then(bytes_of)
			.and_then(|b| <[u8; 32]>::try_from(b).ok())
			.ok_or("an epoch without a seed")?;
		Ok(Some(EpochView {
			index: number(&epoch, "index")?,
			seed,
			window_start_ms: number(&epoch, "window_start_ms")?,
			window_secs: number(&epoch, "window_secs")?,
		}))
	}

	pub async fn beacon(at: &AtBlock, account: [u8; 32]) -> Result<Option<BeaconView>, String> {
		let key = vec![Value::from_bytes(account)];
		let Some(beacon) = fetch(at, "ProofOfBandwidth", "Beacons", key).await? else {
			return Ok(None);
		};
		let location = beacon.at("location").ok_or("a beacon without a location")?;
		Ok(Some(BeaconView {
			capacity_mbps: number(&beacon, "capacity_mbps")?,
			asn: number(location, "asn")?,
			reputation: number(&beacon, "reputation")?,
		}))
	}

	/// The relay this beacon tests in the current epoch, if any.
	pub async fn assignment(at: &AtBlock, account: [u8; 32]) -> Result<Option<u32>, String> {
		let key = vec![Value::from_bytes(account)];
		match fetch(at, "ProofOfBandwidth", "BeaconAssignment", key).await? {
			Some(relay) => {
				relay.as_u128().map(|n| Some(n as u32)).ok_or("a non-numeric relay".into())
			}
			None => Ok(None),
		}
	}

	/// The relay's registered PoB endpoint.
	pub async fn pob_endpoint(at: &AtBlock, relay: u32) -> Result<String, String> {
		let record = fetch(at, "CapacityRegistry", "Relays", vec![Value::u128(relay.into())])
			.await?
			.ok_or_else(|| format!("relay {relay} is not registered"))?;
		let pob = record
			.at("endpoints")
			.and_then(|e| e.at("pob"))
			.and_then(bytes_of)
			.ok_or("a relay without a PoB endpoint")?;
		String::from_utf8(pob).map_err(|e| e.to_string())
	}

	/// Submits `call` signed by `who` and waits for it in a finalized block.
	pub async fn submit_signed(
		&self,
		call: &subxt::transactions::DynamicPayload<Composite<()>>,
		who: &Keypair,
	) -> Result<(), String> {
		let account = who.public_key().to_account_id().to_string();
		// The pool's next nonce: a restarted beacon may have transactions pending.
		let nonce: u64 = self
			.rpc
			.request("system_accountNextIndex", rpc_params![account])
			.await
			.map_err(|e| format!("account nonce: {e}"))?;
		let params = subxt::config::SubstrateExtrinsicParamsBuilder::new().nonce(nonce).build();
		let mut tx = self.api.tx().await.map_err(|e| e.to_string())?;
		finalized(tx.sign_and_submit_then_watch(call, who, params).await).await
	}

	/// Signs `report` and submits it as a general transaction, which the
	/// pallet authorizes from the report's signature: no fee, no nonce.
	///
	/// The pallet compares the window's end with the chain's clock (the
	/// best block's timestamp), which trails the wall clock by up to a
	/// block: the report goes once a best block is past the window.
	pub async fn submit_report(&self, report: &Report, key: &Keypair) -> Result<(), String> {
		let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
		let at = loop {
			let at = self.best().await?;
			let now = fetch(&at, "Timestamp", "Now", vec![])
				.await?
				.and_then(|v| v.as_u128())
				.unwrap_or(0);
			let ended = match Self::epoch(&at).await? {
				Some(epoch) if epoch.index == report.epoch => {
					now >= u128::from(epoch.window_start_ms) + u128::from(epoch.window_secs) * 1_000
				}
				_ => true,
			};
			if ended || std::time::Instant::now() > deadline {
				break at;
			}
			tokio::time::sleep(std::time::Duration::from_millis(500)).await;
		};
		self.submit_report_at(&at, report, key).await
	}

	async fn submit_report_at(
		&self,
		at: &AtBlock,
		report: &Report,
		key: &Keypair,
	) -> Result<(), String> {
		let signature = key.sign(&signing_payload(&self.genesis, report));
		let call = dynamic::tx(
			"ProofOfBandwidth",
			"submit_report",
			Composite::unnamed([
				Value::named_composite([
					("epoch", Value::u128(report.epoch.into())),
					("relay", Value::u128(report.relay.into())),
					("beacon", Value::from_bytes(report.beacon)),
					(
						"bytes_per_second",
						Value::unnamed_composite(
							report.bytes_per_second.iter().map(|b| Value::u128((*b).into())),
						),
					),
				]),
				Value::unnamed_variant("Sr25519", [Value::from_bytes(signature.0)]),
			]),
		);
		let extrinsic = at.metadata_ref().extrinsic();
		let version = extrinsic.transaction_extension_version_to_use_for_encoding();
		let extensions: Vec<String> = extrinsic
			.transaction_extensions_to_use_for_encoding()
			.map(|e| e.identifier().to_string())
			.collect();
		let names: Vec<&str> = extensions.iter().map(String::as_str).collect();
		let call_data = at.tx().call_data(&call).map_err(|e| e.to_string())?;
		let bytes = general_extrinsic(version, &names, &call_data)?;
		finalized(at.tx().from_bytes(bytes).submit_and_watch().await).await
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn bytes_come_out_of_arrays_and_bounded_vecs() {
		let array = Value::from_bytes([1u8, 2, 3]);
		assert_eq!(bytes_of(&array), Some(vec![1, 2, 3]));
		let bounded = Value::unnamed_composite([Value::from_bytes(b"http://r/")]);
		assert_eq!(bytes_of(&bounded), Some(b"http://r/".to_vec()));
		assert_eq!(bytes_of(&Value::u128(7)), None);
		assert_eq!(bytes_of(&Value::unnamed_composite([Value::u128(300)])), None);
	}
}
