//! The off-chain binaries' link to an OCM node (subxt over RPC, never
//! linking the runtime): storage read as dynamic values at one block, and
//! signed transactions submitted with the pool's nonce and followed to
//! finality. `ocm-relay`, `ocm-beacon` and `ocm-logs` share it.

use subxt::{
	client::{ClientAtBlock, OnlineClientAtBlockImpl},
	dynamic::{self, At, Value},
	ext::scale_value::{Composite, Primitive, ValueDef},
	rpcs::{rpc_params, RpcClient},
	transactions::DynamicPayload,
	OnlineClient, SubstrateConfig,
};
use subxt_signer::sr25519::Keypair;

pub use subxt;

pub mod general;
pub mod pob;
pub mod registry;
pub mod settlement;

pub type Api = OnlineClient<SubstrateConfig>;
/// The chain's state and metadata at one block.
pub type AtBlock = ClientAtBlock<SubstrateConfig, OnlineClientAtBlockImpl<SubstrateConfig>>;

/// An event of a finalized transaction: pallet, name and fields.
pub type EventFields = (String, String, Value);

/// A connection to a node.
#[derive(Clone)]
pub struct Chain {
	pub api: Api,
	pub rpc: RpcClient,
	pub genesis: [u8; 32],
}

impl Chain {
	/// Connects once.
	pub async fn connect(url: &str) -> Result<Self, String> {
		let api = Api::from_insecure_url(url).await.map_err(|e| format!("{url}: {e}"))?;
		let rpc = RpcClient::from_insecure_url(url).await.map_err(|e| format!("{url}: {e}"))?;
		let genesis: [u8; 32] = api.genesis_hash().0;
		Ok(Self { api, rpc, genesis })
	}

	/// Connects, retrying with backoff (up to 30 s apart) until the node answers.
	pub async fn connect_retrying(url: &str) -> Self {
		let mut delay = std::time::Duration::from_millis(500);
		loop {
			match Self::connect(url).await {
				Ok(chain) => return chain,
				Err(e) => tracing::warn!(%url, error = %e, "cannot reach the chain; retrying"),
			}
			tokio::time::sleep(delay).await;
			delay = (delay * 2).min(std::time::Duration::from_secs(30));
		}
	}

	/// The best block's number (`chain_getHeader`), without fetching its state.
	pub async fn best_number(&self) -> Result<u64, String> {
		let header: serde_json::Value =
			self.rpc.request("chain_getHeader", rpc_params![]).await.map_err(|e| e.to_string())?;
		let hex = header["number"].as_str().ok_or("a header without a number")?;
		u64::from_str_radix(hex.trim_start_matches("0x"), 16).map_err(|e| e.to_string())
	}

	/// The chain at its best block: one snapshot for every read of a poll.
	pub async fn best(&self) -> Result<AtBlock, String> {
		let number = self.best_number().await?;
		self.api.at_block(number).await.map_err(|e| e.to_string())
	}

	/// Submits `call` signed by `who` and waits for it in a finalized block;
	/// returns its events.
	///
	/// The nonce comes from the node's `system_accountNextIndex`, which counts
	/// transactions in the pool and in unfinalized blocks: after a restart a
	/// transaction the previous process sent may still be pending, and a
	/// nonce read from the finalized state would make the next one "outdated".
	pub async fn submit_signed(
		&self,
		call: &DynamicPayload<Composite<()>>,
		who: &Keypair,
	) -> Result<Vec<EventFields>, String> {
		let account = who.public_key().to_account_id().to_string();
		let nonce: u64 = self
			.rpc
			.request("system_accountNextIndex", rpc_params![account])
			.await
			.map_err(|e| format!("account nonce: {e}"))?;
		let params = subxt::config::SubstrateExtrinsicParamsBuilder::new().nonce(nonce).build();
		let mut tx = self.api.tx().await.map_err(|e| e.to_string())?;
		finalized(tx.sign_and_submit_then_watch(call, who, params).await).await
	}
}

/// Waits for a submitted transaction in a finalized block, checks that it
/// succeeded, and returns its events as (pallet, name, fields).
pub(crate) async fn finalized<C: subxt::client::OnlineClientAtBlockT<SubstrateConfig>>(
	progress: Result<subxt::transactions::TransactionProgress<SubstrateConfig, C>, impl ToString>,
) -> Result<Vec<EventFields>, String> {
	let events = progress
		.map_err(|e| e.to_string())?
		.wait_for_finalized_success()
		.await
		.map_err(|e| e.to_string())?;
	Ok(events
		.iter()
		.filter_map(|e| e.ok())
		.filter_map(|e| {
			let fields = e.decode_fields_unchecked_as::<Value>().ok()?;
			Some((e.pallet_name().to_string(), e.event_name().to_string(), fields))
		})
		.collect())
}

/// A storage value at `at`, decoded dynamically; `None` if absent.
pub async fn fetch(
	at: &AtBlock,
	pallet: &str,
	item: &str,
	key: Vec<Value>,
) -> Result<Option<Value>, String> {
	let address = dynamic::storage::<Vec<Value>, Value>(pallet, item);
	let value = at.storage().try_fetch(address, key).await.map_err(|e| e.to_string())?;
	value.map(|v| v.decode().map_err(|e| e.to_string())).transpose()
}

/// Every entry of a storage map at `at` whose keys are integers under
/// concatenating hashers (`Twox64Concat`, `Blake2_128Concat`): its key
/// parts and its value, decoded dynamically.
pub async fn numbered_entries(
	at: &AtBlock,
	pallet: &str,
	item: &str,
) -> Result<Vec<(Vec<u32>, Value)>, String> {
	let address = dynamic::storage::<Vec<Value>, Value>(pallet, item);
	let mut entries =
		at.storage().iter(address, Vec::<Value>::new()).await.map_err(|e| e.to_string())?;
	let mut out = Vec::new();
	while let Some(entry) = entries.next().await {
		let entry = entry.map_err(|e| e.to_string())?;
		let key = entry.key().map_err(|e| e.to_string())?;
		let parts = key
			.parts()
			.map(|part| part.decode_as::<u32>().ok().flatten())
			.collect::<Option<Vec<u32>>>()
			.ok_or_else(|| format!("{pallet}::{item} has a key that is not a number"))?;
		let value = entry.value().decode().map_err(|e| e.to_string())?;
		out.push((parts, value));
	}
	Ok(out)
}

/// The bytes of a decoded `[u8; N]`, `Vec<u8>` or `BoundedVec<u8, _>` (a
/// newtype around the sequence).
pub fn bytes_of(value: &Value) -> Option<Vec<u8>> {
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

/// The items of a decoded sequence (`Vec`, `BoundedVec`).
pub fn items_of(value: &Value) -> Vec<&Value> {
	let ValueDef::Composite(c) = &value.value else { return Vec::new() };
	let values: Vec<&Value> = c.values().collect();
	// A BoundedVec is a newtype around its Vec.
	if let [inner] = values.as_slice() {
		if let ValueDef::Composite(ic) = &inner.value {
			if ic.values().all(|v| matches!(v.value, ValueDef::Composite(_))) {
				return ic.values().collect();
			}
		}
	}
	values
}

/// The UTF-8 strings of a decoded sequence of byte strings (host names,
/// URLs); items that are not UTF-8 are left out.
pub fn strings_of(value: &Value) -> Vec<String> {
	items_of(value)
		.into_iter()
		.filter_map(|item| bytes_of(item).and_then(|b| String::from_utf8(b).ok()))
		.collect()
}

/// A numeric field of a decoded composite.
pub fn number<T: TryFrom<u128>>(value: &Value, field: &str) -> Result<T, String> {
	value
		.at(field)
		.and_then(|v| v.as_u128())
		.and_then(|n| T::try_from(n).ok())
		.ok_or_else(|| format!("no numeric {field} in {value}"))
}

/// The dispatch error's pallet error name, if the message is one
/// (`...CdniSettlement::AlreadyCommitted...` gives `AlreadyCommitted`).
pub fn pallet_error<'a>(message: &'a str, pallet: &str) -> Option<&'a str> {
	let at = message.find(pallet)? + pallet.len();
	let rest = message[at..].trim_start_matches(|c: char| !c.is_ascii_alphanumeric());
	let end = rest.find(|c: char| !c.is_ascii_alphanumeric()).unwrap_or(rest.len());
	(end > 0).then(|| &rest[..end])
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn bytes_come_out_of_arrays_vecs_and_bounded_vecs() {
		let array = Value::from_bytes([1u8, 2, 3]);
		assert_eq!(bytes_of(&array), Some(vec![1, 2, 3]));
		let bounded = Value::unnamed_composite([Value::from_bytes(b"http://r/")]);
		assert_eq!(bytes_of(&bounded), Some(b"http://r/".to_vec()));
		assert_eq!(bytes_of(&Value::u128(7)), None);
		assert_eq!(bytes_of(&Value::unnamed_composite([Value::u128(300)])), None);
	}

	#[test]
	fn items_come_out_of_vecs_and_bounded_vecs() {
		let hosts = [Value::from_bytes(b"a.example"), Value::from_bytes(b"b.example")];
		let vec = Value::unnamed_composite(hosts.clone());
		assert_eq!(items_of(&vec).len(), 2);
		let bounded = Value::unnamed_composite([Value::unnamed_composite(hosts)]);
		assert_eq!(items_of(&bounded).len(), 2);
		assert_eq!(bytes_of(items_of(&bounded)[1]), Some(b"b.example".to_vec()));
		assert!(items_of(&Value::unnamed_composite([])).is_empty());
	}

	#[test]
	fn pallet_errors_are_named() {
		let message = "Module error: CdniSettlement::AlreadyCommitted: The period was committed";
		assert_eq!(pallet_error(message, "CdniSettlement"), Some("AlreadyCommitted"));
		assert_eq!(pallet_error("timeout", "CdniSettlement"), None);
	}
}
