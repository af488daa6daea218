//! The router's shared state: the table it routes with (swapped whole when
//! the chain changes), relays' health and load, the marketplace's
//! advertisement, and the metrics of its decisions.

use ocm_routing::{
	fci::RelayAdvertisement,
	health::HealthTracker,
	load::LoadTracker,
	table::{Networks, ServiceRecord, Tier},
	Client, RouteError, Table,
};
use prometheus_client::{
	encoding::EncodeLabelSet,
	metrics::{counter::Counter, family::Family, gauge::Gauge},
	registry::Registry,
};
use std::{
	sync::{Arc, Mutex, RwLock},
	time::Instant,
};

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct Outcome {
	/// `prefix`, `asn`, `country`, `unknown_host`, `no_relay`.
	pub result: &'static str,
}

#[derive(Default)]
pub struct Metrics {
	pub decisions: Family<Outcome, Counter>,
	pub relays: Gauge,
	pub relays_down: Gauge,
	pub hosts: Gauge,
	pub table_updates: Counter,
}

impl Metrics {
	pub fn register(&self, registry: &mut Registry) {
		let r = registry.sub_registry_with_prefix("ocm_router");
		r.register(
			"decisions",
			"Routing decisions by the tier that matched, or why none did",
			self.decisions.clone(),
		);
		r.register("relays", "Active relays in the routing table", self.relays.clone());
		r.register("relays_down", "Relays failing their health probes", self.relays_down.clone());
		r.register("hosts", "Hosts of live delivery contracts", self.hosts.clone());
		r.register(
			"table_updates",
			"Routing tables built from the chain",
			self.table_updates.clone(),
		);
	}
}

/// What the chain says, as the router uses it.
#[derive(Clone, Debug, Default)]
pub struct Snapshot {
	/// Every relay's advertisement (all statuses: the marketplace's
	/// advertisement takes the Active ones).
	pub relays: Vec<RelayAdvertisement>,
	pub services: Vec<ServiceRecord>,
	/// The provider (account) of each live contract's host.
	pub providers: Vec<(String, [u8; 32])>,
}

/// A routing decision, owned.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decision {
	pub relay: u32,
	pub contract: u32,
	pub location: String,
	/// The relay's base URL.
	pub base: String,
}

/// The router's HTTP client to relays (probes, trigger fan-out): one
/// connection pool for all of them.
pub type RelayClient = hyper_util::client::legacy::Client<
	hyper_util::client::legacy::connect::HttpConnector,
	http_body_util::Full<bytes::Bytes>,
>;

pub struct Router {
	pub relays: RelayClient,
	table: RwLock<Arc<Table>>,
	advertisement: RwLock<Arc<String>>,
	health: Mutex<HealthTracker>,
	load: Mutex<LoadTracker>,
	networks: Networks,
	providers: RwLock<std::collections::HashMap<String, [u8; 32]>>,
	/// Every member relay of each host's contracts, whatever its status
	/// (a suspended relay still holds cached objects a purge must reach).
	members: RwLock<std::collections::HashMap<String, Vec<(u32, String)>>>,
	genesis: std::sync::OnceLock<[u8; 32]>,
	chain: std::sync::OnceLock<ocm_chain_client::Chain>,
	/// RFC 8007 trigger status resources.
	pub triggers: Mutex<crate::triggers::Resources>,
	limiter: Mutex<ocm_routing::control::Limiter>,
	/// OCM's CDN provider id in `cdn-path` (RFC 7975, RFC 8007).
	pub cdn_id: String,
	clock: Instant,
	pub metrics: Metrics,
	/// Signs each player redirect, when a token key is configured.
	pub token_signer: Option<crate::signing::TokenSigner>,
}

impl Router {
	pub fn new(cdn_id: String, networks: Networks) -> Self {
		let mut connector = hyper_util::client::legacy::connect::HttpConnector::new();
		connector.set_connect_timeout(Some(crate::probe::TIMEOUT));
		let relays =
			hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
				.pool_idle_timeout(std::time::Duration::from_secs(5))
				.build(connector);
		Self {
			relays,
			table: RwLock::new(Arc::new(Table::default())),
			advertisement: RwLock::new(Arc::new(
				ocm_routing::fci::marketplace_advertisement(&[]).to_string(),
			)),
			health: Mutex::default(),
			load: Mutex::default(),
			networks,
			providers: RwLock::default(),
			members: RwLock::default(),
			genesis: std::sync::OnceLock::new(),
			chain: std::sync::OnceLock::new(),
			triggers: Mutex::default(),
			limiter: Mutex::default(),
			cdn_id,
			clock: Instant::now(),
			metrics: Metrics::default(),
			token_signer: None,
		}
	}

	/// Replaces the table and the advertisement with the chain's latest.
	pub fn update(&self, snapshot: &Snapshot) {
		let active: Vec<_> =
			snapshot.relays.iter().filter(|r| r.is_active()).map(|r| r.record()).collect();
		let ids: std::collections::HashSet<u32> = active.iter().map(|r| r.id).collect();
		self.metrics.relays.set(active.len() as i64);
		let table = Table::build(active, &snapshot.services);
		self.metrics
			.hosts
			.set(snapshot.services.iter().map(|s| s.hosts.len()).sum::<usize>() as i64);
		let advertisement =
			ocm_routing::fci::marketplace_advertisement(&snapshot.relays).to_string();
		*self.table.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(table);
		*self.providers.write().unwrap_or_else(|e| e.into_inner()) =
			snapshot.providers.iter().cloned().collect();
		let http: std::collections::HashMap<u32, &str> =
			snapshot.relays.iter().map(|r| (r.relay, r.http.as_str())).collect();
		let mut members: std::collections::HashMap<String, Vec<(u32, String)>> =
			std::collections::HashMap::new();
		for service in &snapshot.services {
			for host in &service.hosts {
				let list = members.entry(host.clone()).or_default();
				for relay in &service.relays {
					if let Some(base) = http.get(relay) {
						if !list.iter().any(|(r, _)| r == relay) {
							list.push((*relay, (*base).to_owned()));
						}
					}
				}
			}
		}
		*self.members.write().unwrap_or_else(|e| e.into_inner()) = members;
		*self.advertisement.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(advertisement);
		self.health.lock().unwrap_or_else(|e| e.into_inner()).retain(|r| ids.contains(&r));
		self.load.lock().unwrap_or_else(|e| e.into_inner()).retain(|r| ids.contains(&r));
		self.metrics.table_updates.inc();
	}

	/// The chain's genesis hash, once the router has reached it.
	pub fn genesis(&self) -> Option<[u8; 32]> {
		self.genesis.get().copied()
	}

	/// Records the chain the router follows, once connected.
	pub fn set_chain(&self, chain: ocm_chain_client::Chain) {
		let _ = self.genesis.set(chain.genesis);
		let _ = self.chain.set(chain);
	}

	pub fn chain(&self) -> Option<&ocm_chain_client::Chain> {
		self.chain.get()
	}

	/// The provider of a live contract's `host`.
	pub fn provider_of(&self, host: &str) -> Option<[u8; 32]> {
		self.providers.read().unwrap_or_else(|e| e.into_inner()).get(host).copied()
	}

	/// Every member relay of `host`'s contracts (id, base URL), whatever
	/// its status: where triggers go.
	pub fn members_of(&self, host: &str) -> Vec<(u32, String)> {
		self.members
			.read()
			.unwrap_or_else(|e| e.into_inner())
			.get(host)
			.cloned()
			.unwrap_or_default()
	}

	/// Whether `signer` may send another trigger command now.
	pub fn allow_command(&self, signer: [u8; 32]) -> bool {
		let now = self.clock.elapsed().as_secs_f64();
		self.limiter.lock().unwrap_or_else(|e| e.into_inner()).allow(signer, now)
	}

	pub fn table(&self) -> Arc<Table> {
		self.table.read().unwrap_or_else(|e| e.into_inner()).clone()
	}

	pub fn advertisement(&self) -> Arc<String> {
		self.advertisement.read().unwrap_or_else(|e| e.into_inner()).clone()
	}

	pub fn observe_probe(&self, relay: u32, ok: bool) {
		let mut health = self.health.lock().unwrap_or_else(|e| e.into_inner());
		health.observe(relay, ok);
		self.metrics.relays_down.set(health.down() as i64);
	}

	pub fn is_up(&self, relay: u32) -> bool {
		self.health.lock().unwrap_or_else(|e| e.into_inner()).is_up(relay)
	}

	/// The client at `address`, with what the configured networks know of it.
	pub fn client(&self, address: std::net::IpAddr) -> Client {
		self.networks.client(address)
	}

	/// Routes `client` asking for `host` to `path_and_query`, and counts it.
	pub fn decide(
		&self,
		host: &str,
		client: &Client,
		path_and_query: &str,
	) -> Result<Decision, RouteError> {
		let table = self.table();
		let now = self.clock.elapsed().as_secs_f64();
		// One lock each for the whole decision: a probe or a record waits
		// a few hundred nanoseconds at most.
		let health = self.health.lock().unwrap_or_else(|e| e.into_inner());
		let mut load = self.load.lock().unwrap_or_else(|e| e.into_inner());
		let routed = table.route(host, client, |r| health.is_up(r), |r| load.load(r, now));
		drop(health);
		let result = match &routed {
			Ok(route) => match route.tier {
				Tier::Prefix(_) => "prefix",
				Tier::Asn => "asn",
				Tier::Country => "country",
			},
			Err(RouteError::UnknownHost) => "unknown_host",
			Err(RouteError::NoRelay) => "no_relay",
		};
		self.metrics.decisions.get_or_create(&Outcome { result }).inc();
		let route = routed?;
		load.record(route.relay, now);
		Ok(Decision {
			relay: route.relay,
			contract: route.contract,
			location: route.location(host, path_and_query),
			base: route.base.to_owned(),
		})
	}
}
