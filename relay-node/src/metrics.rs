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
		Self { registry, requests, pob_bytes }
	}

	pub fn encode(&self) -> String {
		let mut out = String::new();
		// Writing to a String cannot fail.
		let _ = encode(&mut out, &self.registry);
		out
	}
}
