//! MAHP (multicast-assisted HTTP delivery): one live stream crosses the
//! network once as source-specific multicast and edge relays turn it back
//! into plain HTTP from their caches.
//!
//! - [`sender`]: follows an HLS stream at its origin and multicasts each
//!   new object once (FLUTE, RaptorQ).
//! - [`receiver`]: joins natively or through AMT, rebuilds objects into
//!   the cache, repairs by unicast what FEC could not.
//! - [`test_channel`]: proof of bandwidth's multicast test, sent in the
//!   epochs that test this relay.
//! - [`hls`]: the playlist parsing both need.

pub mod hls;
pub mod receiver;
pub mod sender;
pub mod test_channel;

use prometheus_client::{
	encoding::EncodeLabelSet,
	metrics::{counter::Counter, family::Family},
	registry::Registry,
};

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct Multicast {
	pub group: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct Result {
	pub group: String,
	/// received, lost, repaired, repair_failed
	pub result: &'static str,
}

#[derive(Clone, Default)]
pub struct MulticastMetrics {
	pub objects: Family<Result, Counter>,
	pub object_bytes: Family<Multicast, Counter>,
	pub packets: Family<Multicast, Counter>,
	pub packets_dropped: Family<Multicast, Counter>,
	pub repair_symbols_used: Family<Multicast, Counter>,
	pub sent_objects: Family<Multicast, Counter>,
	pub sent_object_bytes: Family<Multicast, Counter>,
	pub sent_bytes: Family<Multicast, Counter>,
}

impl MulticastMetrics {
	pub fn register(&self, registry: &mut Registry) {
		let r = registry.sub_registry_with_prefix("multicast");
		r.register("objects", "Objects by what multicast did with them: received (rebuilt by FEC or whole), lost, repaired by unicast, repair_failed", self.objects.clone());
		r.register(
			"object_bytes",
			"Bytes of objects received by multicast: each a unicast fetch this relay did not make",
			self.object_bytes.clone(),
		);
		r.register("packets", "ALC packets received", self.packets.clone());
		r.register(
			"packets_dropped",
			"ALC packets dropped as malformed, foreign, lying or beyond bounds",
			self.packets_dropped.clone(),
		);
		r.register(
			"repair_symbols_used",
			"FEC repair symbols that rebuilt objects (each stands for a lost source symbol)",
			self.repair_symbols_used.clone(),
		);
		r.register(
			"sent_objects",
			"Objects multicast by this relay's senders",
			self.sent_objects.clone(),
		);
		r.register(
			"sent_object_bytes",
			"Bytes of the objects multicast",
			self.sent_object_bytes.clone(),
		);
		r.register(
			"sent_bytes",
			"Bytes of ALC packets multicast (objects, FEC repair, FDT, headers)",
			self.sent_bytes.clone(),
		);
	}
}

/// Starts every configured sender and receiver on the current runtime.
pub fn start(
	config: &crate::config::Config,
	proxy: &std::sync::Arc<crate::cache::proxy::Proxy>,
	metrics: &MulticastMetrics,
	shutdown: &tokio::sync::watch::Receiver<bool>,
) {
	for send in &config.multicast_send {
		tokio::spawn(sender::run(send.clone(), metrics.clone(), shutdown.clone()));
	}
	for receive in &config.multicast_receive {
		tokio::spawn(receiver::run(
			receive.clone(),
			proxy.clone(),
			config.cache_max_object_bytes,
			metrics.clone(),
			shutdown.clone(),
		));
	}
}
