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
	/// Response body bytes handed to viewers of the cached hosts.
	pub cache_body_bytes: Counter,
	/// Cache answers by outcome (HIT, MISS, REVALIDATED, BYPASS).
	pub cache: Family<OutcomeLabels, Counter>,
	/// Bytes held by the memory tier, as of the last scrape.
	pub cache_bytes: prometheus_client::metrics::gauge::Gauge,
	/// Bytes on the disk tier, as of the last scrape.
	pub cache_disk_bytes: prometheus_client::metrics::gauge::Gauge,
	/// Seconds from sending a request to the origin to its response head.
	pub origin_seconds: prometheus_client::metrics::histogram::Histogram,
	/// MAHP senders and receivers.
	pub multicast: crate::mahp::MulticastMetrics,
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
		let cache_body_bytes = Counter::default();
		registry.register(
			"cache_body_bytes",
			"Response body bytes sent to viewers of cached hosts",
			cache_body_bytes.clone(),
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
		let multicast = crate::mahp::MulticastMetrics::default();
		multicast.register(&mut registry);
		Self {
			multicast,
			registry,
			requests,
			pob_bytes,
			cache_body_bytes,
			cache,
			cache_bytes,
			cache_disk_bytes,
			origin_seconds,
		}
	}

	pub fn encode(&self) -> String {
		let mut out = String::new();
		// Writing to a String cannot fail.
		let _ = encode(&mut out, &self.registry);
		out
	}
}

/// A response body that adds the bytes it hands over to a counter.
pub struct CountedBody<B> {
	inner: B,
	counter: Counter,
}

impl<B> CountedBody<B> {
	pub fn new(inner: B, counter: Counter) -> Self {
		Self { inner, counter }
	}
}

impl<B: http_body::Body<Data = bytes::Bytes> + Unpin> http_body::Body for CountedBody<B> {
	type Data = bytes::Bytes;
	type Error = B::Error;

	fn poll_frame(
		mut self: std::pin::Pin<&mut Self>,
		cx: &mut std::task::Context<'_>,
	) -> std::task::Poll<Option<Result<http_body::Frame<bytes::Bytes>, B::Error>>> {
		let polled = std::pin::Pin::new(&mut self.inner).poll_frame(cx);
		if let std::task::Poll::Ready(Some(Ok(frame))) = &polled {
			if let Some(data) = frame.data_ref() {
				self.counter.inc_by(data.len() as u64);
			}
		}
		polled
	}

	fn is_end_stream(&self) -> bool {
		self.inner.is_end_stream()
	}

	fn size_hint(&self) -> http_body::SizeHint {
		self.inner.size_hint()
	}
}
