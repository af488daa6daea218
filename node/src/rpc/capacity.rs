//! `capacity_*` RPC methods: the capacity registry's runtime API in JSON, for
//! request routers, players and people with `curl`.

use jsonrpsee::{
	core::{async_trait, RpcResult},
	proc_macros::rpc,
	types::{error::ErrorObject, ErrorObjectOwned},
};
use ocm_primitives::{
	capacity::{ClientLocator, RelayMatch},
	AccountId,
};
use pallet_capacity_registry::runtime_api::CapacityRegistryApi;
use serde::Serialize;
use sp_api::ProvideRuntimeApi;
use sp_blockchain::HeaderBackend;
use sp_core::crypto::Ss58Codec;
use sp_runtime::traits::Block as BlockT;
use std::{marker::PhantomData, sync::Arc};

/// JSON-RPC's "invalid params".
const INVALID_PARAMS: i32 = -32602;
/// The runtime API call failed (unknown method at that block, trap...).
const RUNTIME_ERROR: i32 = 9000;
/// Answers when the caller names no limit.
const DEFAULT_LIMIT: u32 = 16;

/// A relay that serves a client, as JSON.
#[derive(Serialize, Debug, Clone, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct RelayForClient {
	pub relay: u32,
	/// SS58 address of the operator.
	pub operator: String,
	/// The relay's HTTP base URL.
	pub http: String,
	/// The most specific footprint of the relay that contains the client, as
	/// an RFC 8006 footprint object.
	pub footprint: serde_json::Value,
	/// Capacity for that footprint: the claim for it, capped by the verified capacity.
	pub capacity_mbps: u32,
	pub verified_mbps: u32,
}

impl From<RelayMatch<AccountId>> for RelayForClient {
	fn from(m: RelayMatch<AccountId>) -> Self {
		Self {
			relay: m.relay,
			operator: m.operator.to_ss58check(),
			http: String::from_utf8_lossy(&m.http).into_owned(),
			footprint: serde_json::json!({
				"footprint-type": m.footprint.type_name(),
				"footprint-value": [m.footprint.to_string()],
			}),
			capacity_mbps: m.capacity_mbps,
			verified_mbps: m.verified_mbps,
		}
	}
}

#[rpc(server)]
pub trait CapacityApi<BlockHash> {
	/// The Active relays that serve `client` (an IP address, `as<N>` or a
	/// country code) with at least `minCapacityMbps`, best first.
	#[method(name = "capacity_relaysFor")]
	fn relays_for(
		&self,
		client: String,
		min_capacity_mbps: Option<u32>,
		limit: Option<u32>,
		at: Option<BlockHash>,
	) -> RpcResult<Vec<RelayForClient>>;

	/// The relay's RFC 8008 FCI advertisement; `null` if there is no such relay.
	#[method(name = "capacity_fciAdvertisement")]
	fn fci_advertisement(
		&self,
		relay: u32,
		at: Option<BlockHash>,
	) -> RpcResult<Option<serde_json::Value>>;
}

pub struct Capacity<C, B> {
	client: Arc<C>,
	_block: PhantomData<B>,
}

impl<C, B> Capacity<C, B> {
	pub fn new(client: Arc<C>) -> Self {
		Self { client, _block: PhantomData }
	}
}

fn runtime_error(e: impl std::fmt::Display) -> ErrorObjectOwned {
	ErrorObject::owned(RUNTIME_ERROR, format!("runtime API call failed: {e}"), None::<()>)
}

#[async_trait]
impl<C, B> CapacityApiServer<B::Hash> for Capacity<C, B>
where
	B: BlockT,
	C: ProvideRuntimeApi<B> + HeaderBackend<B> + Send + Sync + 'static,
	C::Api: CapacityRegistryApi<B, AccountId>,
{
	fn relays_for(
		&self,
		client: String,
		min_capacity_mbps: Option<u32>,
		limit: Option<u32>,
		at: Option<B::Hash>,
	) -> RpcResult<Vec<RelayForClient>> {
		let locator = ClientLocator::parse(client.trim().as_bytes()).map_err(|e| {
			ErrorObject::owned(
				INVALID_PARAMS,
				format!(
					"client {client:?} is not an IP address, an ASN (as64496) or an \
					 ISO 3166-1 country code ({e:?})"
				),
				None::<()>,
			)
		})?;
		let at = at.unwrap_or_else(|| self.client.info().best_hash);
		let matches = self
			.client
			.runtime_api()
			.relays_for(at, locator, min_capacity_mbps.unwrap_or(1), limit.unwrap_or(DEFAULT_LIMIT))
			.map_err(runtime_error)?;
		Ok(matches.into_iter().map(Into::into).collect())
	}

	fn fci_advertisement(
		&self,
		relay: u32,
		at: Option<B::Hash>,
	) -> RpcResult<Option<serde_json::Value>> {
		let at = at.unwrap_or_else(|| self.client.info().best_hash);
		let Some(json) =
			self.client.runtime_api().fci_advertisement(at, relay).map_err(runtime_error)?
		else {
			return Ok(None);
		};
		serde_json::from_str(&json).map(Some).map_err(runtime_error)
	}
}
