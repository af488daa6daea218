//! The relay's link to the chain, over RPC with subxt (never linking the
//! runtime): registers the relay once, under its operator's key, with the
//! claims in the configuration; sends heartbeats; and fetches its FCI
//! advertisement for `/.well-known/ocm/fci`.

use ocm_chain_client::{
	subxt::{
		dynamic::{self, At, Value},
		ext::scale_value::Composite,
		rpcs::{rpc_params, RpcClient},
	},
	Chain,
};
use serde::Deserialize;
use std::{sync::Arc, time::Duration};
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
	/// Delivery contracts to serve: the relay joins each (if its footprint
	/// meets the contract's), serves its hosts from its origin, and logs,
	/// commits and settles every request.
	#[serde(default)]
	pub contracts: Vec<u32>,
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

	/// The `ClaimsInput` of these claims.
	fn claims(&self) -> Result<Value, String> {
		let country: [u8; 2] = self
			.country
			.to_ascii_uppercase()
			.as_bytes()
			.try_into()
			.map_err(|_| format!("country {:?} is not two letters", self.country))?;
		let footprints = self.footprints.iter().map(|f| {
			Value::named_composite([
				("footprint_type", Value::from_bytes(&f.footprint_type)),
				("footprint_value", Value::from_bytes(&f.value)),
				("capacity_mbps", Value::u128(f.capacity_mbps.into())),
			])
		});
		Ok(Value::named_composite([
			(
				"location",
				Value::named_composite([
					("country", Value::unnamed_composite([Value::from_bytes(country)])),
					("asn", Value::u128(self.asn.into())),
					("coordinates", Value::unnamed_variant("None", [])),
				]),
			),
			("capacity_mbps", Value::u128(self.capacity_mbps.into())),
			("footprints", Value::unnamed_composite(footprints)),
			("capabilities", Value::unnamed_composite([Value::u128(self.capability_bits()?)])),
		]))
	}

	/// `CapacityRegistry.register_relay` for these claims.
	fn registration(&self) -> Result<Composite<()>, String> {
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
			("claims", self.claims()?),
		]);
		Ok(Composite::named([
			("registration".to_string(), registration),
			("bond".to_string(), Value::u128(u128::from(self.bond).saturating_mul(UNITS))),
		]))
	}

	/// Whether the chain's record (its FCI advertisement) claims what this
	/// configuration claims: overall and per-footprint capacity, location and
	/// capabilities, with footprints compared in canonical form.
	pub fn matches_advertisement(&self, fci: &serde_json::Value) -> Result<bool, String> {
		let caps = fci["capabilities"].as_array().ok_or("no capabilities")?;
		let relay = caps
			.iter()
			.find(|c| c["capability-type"] == "OCM.Relay")
			.map(|c| &c["capability-value"])
			.ok_or("no OCM.Relay")?;
		let mut on_chain: Vec<(String, u64)> = caps
			.iter()
			.filter(|c| c["capability-type"] == "FCI.CapacityLimits")
			.filter_map(|c| {
				let text = c["footprints"][0]["footprint-value"][0].as_str()?;
				let bps = c["capability-value"]["limits"][0]["maximum-hard"].as_u64()?;
				Some((text.to_string(), bps / 1_000_000))
			})
			.collect();
		let mut configured = Vec::new();
		for f in &self.footprints {
			let canonical = ocm_primitives::footprint::Footprint::parse(
				f.footprint_type.as_bytes(),
				f.value.as_bytes(),
			)
			.map_err(|e| format!("footprint {} {}: {e:?}", f.footprint_type, f.value))?;
			configured.push((canonical.to_string(), u64::from(f.capacity_mbps)));
		}
		on_chain.sort();
		configured.sort();
		let names = |key: &str| -> Vec<String> {
			relay[key]
				.as_array()
				.map(|a| a.iter().filter_map(|v| v.as_str().map(str::to_string)).collect())
				.unwrap_or_default()
		};
		let mut chain_caps: Vec<String> =
			names("http-versions").into_iter().map(|v| format!("http/{v}")).collect();
		if relay["tls"] == true {
			chain_caps.push("tls".into());
		}
		chain_caps.extend(names("streaming"));
		chain_caps.extend(names("multicast"));
		let mut config_caps = self.capabilities.clone();
		chain_caps.sort();
		config_caps.sort();
		config_caps.dedup();
		Ok(on_chain == configured
			&& relay["claimed-mbps"].as_u64() == Some(u64::from(self.capacity_mbps))
			&& relay["asn"].as_u64() == Some(u64::from(self.asn))
			&& relay["country"].as_str().map(str::to_ascii_lowercase)
				== Some(self.country.to_ascii_lowercase())
			&& chain_caps == config_caps)
	}
}

/// What the HTTP side knows of the chain: the relay's id once registered.
#[derive(Default)]
pub struct ChainState {
	pub relay: Option<u32>,
	/// Another operator's relay is registered on this server's URL: this
	/// server proves capacity for no relay (it would be that one's).
	pub foreign: bool,
	pub rpc: Option<RpcClient>,
	/// The connection, once made: for reads at the best block.
	pub chain: Option<Chain>,
}

pub type SharedChain = Arc<RwLock<ChainState>>;

/// The relay already registered for `url`'s server, if any.
async fn registered(
	chain: &Chain,
	url: &str,
) -> Result<Option<ocm_chain_client::registry::ServingRelay>, String> {
	let at = chain.api.at_current_block().await.map_err(|e| e.to_string())?;
	ocm_chain_client::registry::relay_serving(&at, url).await
}

/// Registers (unless registered already), starts following the delivery
/// contracts (with `logs`), then heartbeats forever.
pub async fn run(
	config: ChainConfig,
	operator: Keypair,
	state: SharedChain,
	logs: Option<Arc<crate::logs::Logs>>,
	proxy: Arc<crate::cache::proxy::Proxy>,
	test_channel: Option<crate::config::TestChannelConfig>,
) {
	let call = match config.registration() {
		Ok(call) => dynamic::tx("CapacityRegistry", "register_relay", call),
		Err(e) => {
			tracing::error!(error = %e, "the [chain] claims are invalid; not registering");
			return;
		}
	};
	let url = config.public_url.trim_end_matches('/').to_string();
	let chain = Chain::connect_retrying(&config.url).await;
	{
		let mut state = state.write().await;
		state.rpc = Some(chain.rpc.clone());
		state.chain = Some(chain.clone());
	}
	let relay = loop {
		match registered(&chain, &url).await {
			Ok(Some(serving)) if serving.operator == operator.public_key().0 => {
				tracing::info!(relay = serving.id, "already registered");
				update_claims_if_changed(&chain, &config, &operator, serving.id).await;
				break serving.id;
			}
			// Someone else registered this server: not ours to run (its
			// proof of bandwidth would be this server's), and ours cannot
			// register until that relay leaves.
			Ok(Some(serving)) => {
				tracing::error!(
					relay = serving.id,
					"another operator registered this server's URL; not registering, \
					 and serving no proof-of-bandwidth test"
				);
				state.write().await.foreign = true;
				return;
			}
			Ok(None) => {}
			Err(e) => tracing::warn!(error = %e, "cannot read the registry"),
		}
		match chain.submit_signed(&call, &operator).await {
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
				// Registered by someone else between our read and our call.
				state.write().await.foreign = e.contains("DuplicateEndpoint");
				return;
			}
			Err(e) => tracing::warn!(error = %e, "registration failed; retrying"),
		}
		tokio::time::sleep(Duration::from_secs(5)).await;
	};
	state.write().await.relay = Some(relay);
	if let Some(logs) = logs {
		let follower = crate::logs::follow::Follower::new(
			chain.clone(),
			operator.clone(),
			relay,
			logs,
			proxy,
			config.contracts.clone(),
		);
		tokio::spawn(follower.run());
	}
	if let Some(channel) = test_channel {
		tokio::spawn(crate::mahp::test_channel::run(
			chain.clone(),
			operator.clone(),
			relay,
			channel,
		));
	}
	let heartbeat = dynamic::tx(
		"CapacityRegistry",
		"heartbeat",
		Composite::unnamed([Value::u128(relay.into())]),
	);
	let mut tick = tokio::time::interval(Duration::from_secs(config.heartbeat_secs.max(1)));
	tick.tick().await; // registration counts as the first heartbeat
	loop {
		tick.tick().await;
		match chain.submit_signed(&heartbeat, &operator).await {
			Ok(_) => tracing::debug!(relay, "heartbeat"),
			Err(e) => tracing::warn!(relay, error = %e, "heartbeat failed"),
		}
	}
}

/// Sends `update_claims` when the configuration claims something else than
/// the chain records (an operator edited the file and restarted). The relay
/// then waits for verification again, as the registry requires.
async fn update_claims_if_changed(
	chain: &Chain,
	config: &ChainConfig,
	operator: &Keypair,
	relay: u32,
) {
	let advertisement: Result<serde_json::Value, _> =
		chain.rpc.request("capacity_fciAdvertisement", rpc_params![relay]).await;
	let same = match advertisement
		.map_err(|e| e.to_string())
		.and_then(|fci| config.matches_advertisement(&fci))
	{
		Ok(same) => same,
		Err(e) => {
			tracing::warn!(relay, error = %e, "cannot compare the claims with the chain's");
			return;
		}
	};
	if same {
		return;
	}
	let claims = match config.claims() {
		Ok(claims) => claims,
		Err(e) => return tracing::error!(error = %e, "the [chain] claims are invalid"),
	};
	let call = dynamic::tx(
		"CapacityRegistry",
		"update_claims",
		Composite::unnamed([Value::u128(relay.into()), claims]),
	);
	match chain.submit_signed(&call, operator).await {
		Ok(_) => tracing::info!(relay, "claims updated on chain; waiting for verification"),
		Err(e) => tracing::error!(relay, error = %e, "the chain refused the new claims"),
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

#[cfg(test)]
mod tests {
	use super::*;

	fn config() -> ChainConfig {
		toml::from_str(
			r#"
url = "ws://x"
public_url = "http://r"
bond = 100
country = "NL"
asn = 64500
capacity_mbps = 1000
capabilities = ["http/1.1", "tls", "hls"]
footprints = [
	{ type = "ipv4cidr", value = "10.0.0.0/8", capacity_mbps = 1000 },
	{ type = "asn", value = "AS64500", capacity_mbps = 500 },
]
"#,
		)
		.unwrap()
	}

	/// The advertisement the registry publishes for `config()`'s claims.
	fn advertisement(claimed: u32) -> serde_json::Value {
		serde_json::json!({"capabilities": [
			{"capability-type": "FCI.DeliveryProtocol", "capability-value": {"delivery-protocols": ["http/1.1", "https/1.1"]}},
			{"capability-type": "FCI.CapacityLimits", "capability-value": {"limits": [{"limit-type": "egress", "maximum-hard": 1_000_000_000u64}]},
			 "footprints": [{"footprint-type": "ipv4cidr", "footprint-value": ["10.0.0.0/8"]}]},
			{"capability-type": "FCI.CapacityLimits", "capability-value": {"limits": [{"limit-type": "egress", "maximum-hard": 500_000_000u64}]},
			 "footprints": [{"footprint-type": "asn", "footprint-value": ["as64500"]}]},
			{"capability-type": "OCM.Relay", "capability-value": {
				"claimed-mbps": claimed, "country": "nl", "asn": 64500,
				"http-versions": ["1.1"], "tls": true, "streaming": ["hls"], "multicast": []}},
		]})
	}

	#[test]
	fn claims_compare_with_the_chain_in_canonical_form() {
		assert_eq!(config().matches_advertisement(&advertisement(1000)), Ok(true));
		assert_eq!(config().matches_advertisement(&advertisement(2000)), Ok(false));
		let mut fewer = config();
		fewer.capabilities.retain(|c| c != "hls");
		assert_eq!(fewer.matches_advertisement(&advertisement(1000)), Ok(false));
		let mut moved = config();
		moved.footprints[0].value = "11.0.0.0/8".into();
		assert_eq!(moved.matches_advertisement(&advertisement(1000)), Ok(false));
		let mut broken = config();
		broken.footprints[0].value = "10.1.2.3/8".into();
		assert!(broken
			.matches_advertisement(&advertisement(1000))
			.unwrap_err()
			.contains("HostBitsSet"));
	}

	#[test]
	fn capabilities_map_to_the_registry_bits() {
		assert_eq!(config().capability_bits(), Ok(0b1101));
		let mut unknown = config();
		unknown.capabilities.push("quic".into());
		assert!(unknown.capability_bits().unwrap_err().contains("quic"));
	}
}
