//! Prometheus metrics, served at `/metrics` in the OpenMetrics text format.

use prometheus_client::{
	encoding::{text::encode, EncodeLabelSet},
	metrics::{counter::Counter, family::Family},
	registry::Registry,
};

/// Label of a request counter: which endpoint, and the status sent.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RequestLabels {
	pub endpoint: &'static str,
	pub status: u16,
}

pub struct Metrics {
	registry: Registry,
	pub requests: Family<RequestLabels, Counter>,
	/// Bytes of PoB payload sent.
	pub pob_bytes: Counter,
	/// Cache answers by outcome (HIT, MISS, REVALIDATED, BYPASS).
	pub cache: Family<OutcomeLabels, Counter>,
	/// Bytes held by the memory tier, as of the last scrape.
	pub cache_bytes: prometheus_client::metrics::gauge::Gauge,
	/// Bytes on the disk tier, as of the last scrape.
	pub cache_disk_bytes: prometheus_client::metrics::gauge::Gauge,
	/// Seconds from sending a request to the origin to its response head.
	pub origin_seconds: prometheus_client::metrics::histogram::Histogram,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct OutcomeLabels {
	pub outcome: &'static str,
}

impl Metrics {
	pub fn new() -> Self {
		let mut registry = Registry::with_prefix("ocm_relay");
		let requests = Family::<RequestLabels, Counter>::default();
		registry.register(
			"http_requests",
			"HTTP requests by endpoint and status",
			requests.clone(),
		);
		let pob_bytes = Counter::default();
		registry.register(
			"pob_payload_bytes",
			"Proof-of-bandwidth payload bytes sent",
			pob_bytes.clone(),
		);
		let cache = Family::<OutcomeLabels, Counter>::default();
		registry.register("cache_responses", "Cache answers by outcome", cache.clone());
		let cache_bytes = prometheus_client::metrics::gauge::Gauge::default();
		registry.register(
			"cache_memory_bytes",
			"Bytes held by the memory tier",
			cache_bytes.clone(),
		);
		let cache_disk_bytes = prometheus_client::metrics::gauge::Gauge::default();
		registry.register("cache_disk_bytes", "Bytes on the disk tier", cache_disk_bytes.clone());
		let origin_seconds = prometheus_client::metrics::histogram::Histogram::new(
			prometheus_client::metrics::histogram::exponential_buckets(0.001, 2.0, 14),
		);
		registry.register(
			"origin_response_seconds",
			"Origin latency to the response head",
			origin_seconds.clone(),
		);
		Self { registry, requests, pob_bytes, cache, cache_bytes, cache_disk_bytes, origin_seconds }
	}

	pub fn encode(&self) -> String {
		let mut out = String::new();
		// Writing to a String cannot fail.
		let _ = encode(&mut out, &self.registry);
		out
	}
}
