//! The relay's link to the chain, over RPC with subxt (never linking the
//! runtime): registers the relay once, under its operator's key, with the
//! claims in the configuration; sends heartbeats; and fetches its FCI
//! advertisement for `/.well-known/ocm/fci`.

use serde::Deserialize;
use std::{sync::Arc, time::Duration};
use subxt::{
	dynamic::{self, At, Value},
	ext::scale_value::Composite,
	rpcs::{rpc_params, RpcClient},
	OnlineClient, SubstrateConfig,
};
use subxt_signer::{sr25519::Keypair, SecretUri};
use tokio::sync::RwLock;

/// One OCM in planck.
const UNITS: u128 = 1_000_000_000_000;

/// `[chain]` in the configuration file.
#[derive(Deserialize, Debug, Clone, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct ChainConfig {
	/// The node's RPC, e.g. `ws://127.0.0.1:9944`.
	pub url: String,
	/// The operator's secret URI (`//Dave` on a dev chain; a mnemonic with
	/// `OCM_RELAY_OPERATOR` in production, never in a file).
	#[serde(default)]
	pub operator: Option<String>,
	/// This relay's HTTP base URL as clients reach it.
	pub public_url: String,
	/// Bond, in whole OCM.
	pub bond: u64,
	#[serde(default = "default_heartbeat")]
	pub heartbeat_secs: u64,
	/// ISO 3166-1 alpha-2.
	pub country: String,
	pub asn: u32,
	pub capacity_mbps: u32,
	/// `http/1.1`, `http/2`, `tls`, `hls`, `dash`, `mahp-sender`, `mahp-receiver`, `amt-relay`.
	pub capabilities: Vec<String>,
	pub footprints: Vec<FootprintConfig>,
}

fn default_heartbeat() -> u64 {
	60
}

#[derive(Deserialize, Debug, Clone, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct FootprintConfig {
	/// RFC 8006 footprint type.
	#[serde(rename = "type")]
	pub footprint_type: String,
	pub value: String,
	pub capacity_mbps: u32,
}

impl ChainConfig {
	fn capability_bits(&self) -> Result<u128, String> {
		let mut bits = 0u128;
		for name in &self.capabilities {
			bits |= match name.as_str() {
				"http/1.1" => 1 << 0,
				"http/2" => 1 << 1,
				"tls" => 1 << 2,
				"hls" => 1 << 3,
				"dash" => 1 << 4,
				"mahp-sender" => 1 << 5,
				"mahp-receiver" => 1 << 6,
				"amt-relay" => 1 << 7,
				other => return Err(format!("unknown capability {other:?}")),
			};
		}
		Ok(bits)
	}

	/// `CapacityRegistry.register_relay` for these claims.
	fn registration(&self) -> Result<Composite<()>, String> {
		let country: [u8; 2] = self
			.country
			.to_ascii_uppercase()
			.as_bytes()
			.try_into()
			.map_err(|_| format!("country {:?} is not two letters", self.country))?;
		let none = || Value::unnamed_variant("None", []);
		let base = self.public_url.trim_end_matches('/');
		let registration = Value::named_composite([
			(
				"endpoints",
				Value::named_composite([
					("http", Value::from_bytes(base)),
					("pob", Value::from_bytes(format!("{base}{}", crate::pob::PATH_PREFIX))),
					("amt_relay", none()),
					("multicast_source", none()),
				]),
			),
			(
				"claims",
				Value::named_composite([
					(
						"location",
						Value::named_composite([
							("country", Value::unnamed_composite([Value::from_bytes(country)])),
							("asn", Value::u128(self.asn.into())),
							("coordinates", none()),
						]),
					),
					("capacity_mbps", Value::u128(self.capacity_mbps.into())),
					(
						"footprints",
						Value::unnamed_composite(self.footprints.iter().map(|f| {
							Value::named_composite([
								("footprint_type", Value::from_bytes(&f.footprint_type)),
								("footprint_value", Value::from_bytes(&f.value)),
								("capacity_mbps", Value::u128(f.capacity_mbps.into())),
							])
						})),
					),
					(
						"capabilities",
						Value::unnamed_composite([Value::u128(self.capability_bits()?)]),
					),
				]),
			),
		]);
		Ok(Composite::named([
			("registration".to_string(), registration),
			("bond".to_string(), Value::u128(u128::from(self.bond).saturating_mul(UNITS))),
		]))
	}
}

/// What the HTTP side knows of the chain: the relay's id once registered.
#[derive(Default)]
pub struct ChainState {
	pub relay: Option<u32>,
	pub rpc: Option<RpcClient>,
}

pub type SharedChain = Arc<RwLock<ChainState>>;

type Api = OnlineClient<SubstrateConfig>;

async fn connect(url: &str) -> (Api, RpcClient) {
	let mut delay = Duration::from_millis(500);
	loop {
		match (Api::from_insecure_url(url).await, RpcClient::from_insecure_url(url).await) {
			(Ok(api), Ok(rpc)) => return (api, rpc),
			(Err(e), _) => tracing::warn!(%url, error = %e, "cannot reach the chain; retrying"),
			(_, Err(e)) => tracing::warn!(%url, error = %e, "cannot reach the chain; retrying"),
		}
		tokio::time::sleep(delay).await;
		delay = (delay * 2).min(Duration::from_secs(30));
	}
}

/// The relay already registered for `url`, if any.
async fn registered(api: &Api, url: &str) -> Result<Option<u32>, String> {
	let at = api.at_current_block().await.map_err(|e| e.to_string())?;
	let address = dynamic::storage::<(Vec<u8>,), u32>("CapacityRegistry", "RelayByHttp");
	let value = at
		.storage()
		.try_fetch(address, (url.as_bytes().to_vec(),))
		.await
		.map_err(|e| e.to_string())?;
	value.map(|v| v.decode().map_err(|e| e.to_string())).transpose()
}

/// Submits `call` signed by `operator`; returns the events' (pallet, name, fields).
async fn submit(
	api: &Api,
	call: &subxt::transactions::DynamicPayload<Composite<()>>,
	operator: &Keypair,
) -> Result<Vec<(String, String, Value)>, String> {
	let progress = api
		.tx()
		.await
		.map_err(|e| e.to_string())?
		.sign_and_submit_then_watch_default(call, operator)
		.await
		.map_err(|e| e.to_string())?;
	let events = progress.wait_for_finalized_success().await.map_err(|e| e.to_string())?;
	Ok(events
		.iter()
		.filter_map(|e| e.ok())
		.filter_map(|e| {
			let fields = e.decode_fields_unchecked_as::<Value>().ok()?;
			Some((e.pallet_name().to_string(), e.event_name().to_string(), fields))
		})
		.collect())
}

/// Registers (unless registered already), then heartbeats forever.
pub async fn run(config: ChainConfig, operator: Keypair, state: SharedChain) {
	let call = match config.registration() {
		Ok(call) => dynamic::tx("CapacityRegistry", "register_relay", call),
		Err(e) => {
			tracing::error!(error = %e, "the [chain] claims are invalid; not registering");
			return;
		}
	};
	let url = config.public_url.trim_end_matches('/').to_string();
	let (api, rpc) = connect(&config.url).await;
	state.write().await.rpc = Some(rpc);
	let relay = loop {
		match registered(&api, &url).await {
			Ok(Some(relay)) => {
				tracing::info!(relay, "already registered");
				break relay;
			}
			Ok(None) => {}
			Err(e) => tracing::warn!(error = %e, "cannot read the registry"),
		}
		match submit(&api, &call, &operator).await {
			Ok(events) => {
				let id = events
					.iter()
					.find(|(p, n, _)| p == "CapacityRegistry" && n == "RelayRegistered")
					.and_then(|(_, _, f)| f.at("relay")?.as_u128());
				if let Some(id) = id {
					tracing::info!(relay = id, "registered on chain");
					break id as u32;
				}
			}
			// A bad claim fails the same way every time: say so and stop.
			Err(e) if e.contains("CapacityRegistry") => {
				tracing::error!(error = %e, "the chain refused the registration");
				return;
			}
			Err(e) => tracing::warn!(error = %e, "registration failed; retrying"),
		}
		tokio::time::sleep(Duration::from_secs(5)).await;
	};
	state.write().await.relay = Some(relay);
	let heartbeat = dynamic::tx(
		"CapacityRegistry",
		"heartbeat",
		Composite::unnamed([Value::u128(relay.into())]),
	);
	let mut tick = tokio::time::interval(Duration::from_secs(config.heartbeat_secs.max(1)));
	tick.tick().await; // registration counts as the first heartbeat
	loop {
		tick.tick().await;
		match submit(&api, &heartbeat, &operator).await {
			Ok(_) => tracing::debug!(relay, "heartbeat"),
			Err(e) => tracing::warn!(relay, error = %e, "heartbeat failed"),
		}
	}
}

/// The operator's key from a secret URI.
pub fn operator(uri: &str) -> Result<Keypair, String> {
	let uri: SecretUri = uri.parse().map_err(|e| format!("operator key: {e:?}"))?;
	Keypair::from_uri(&uri).map_err(|e| format!("operator key: {e:?}"))
}

/// The relay's FCI advertisement from the chain, as JSON text.
pub async fn fci(state: &SharedChain) -> Result<String, String> {
	let (relay, rpc) = {
		let s = state.read().await;
		(s.relay, s.rpc.clone())
	};
	let (Some(relay), Some(rpc)) = (relay, rpc) else {
		return Err("not registered on chain yet".into());
	};
	let advertisement: serde_json::Value = rpc
		.request("capacity_fciAdvertisement", rpc_params![relay])
		.await
		.map_err(|e| e.to_string())?;
	Ok(advertisement.to_string())
}
