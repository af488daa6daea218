//! Read-only answers for clients and request routers: which relays serve a
//! client, and a relay's RFC 8008 FCI advertisement. The runtime API calls
//! these; nothing here writes storage.

use crate::{types::*, AsnFootprints, Config, CountryFootprints, Pallet, Relays};
use alloc::{
	collections::btree_map::BTreeMap,
	string::{String, ToString},
	vec,
	vec::Vec,
};
use frame_support::traits::Get;
use ocm_primitives::capacity::{ClientLocator, RelayMatch};
use serde_json::{json, Value};
use sp_runtime::Saturating;

impl<T: Config> Pallet<T> {
	/// The Active relays with a footprint containing `client` and at least
	/// `min_capacity_mbps` for it, best first: by verified capacity, then by
	/// how specific the matching footprint is, then oldest relay first. At most
	/// `limit` (capped by `MaxQueryResults`) answers.
	///
	/// Reads only the index entries that contain the client, plus one record
	/// per relay found. A relay whose heartbeat is older than
	/// `HeartbeatTimeout` is left out: it may be down.
	pub fn relays_for(
		client: ClientLocator,
		min_capacity_mbps: Mbps,
		limit: u32,
	) -> Vec<RelayMatch<T::AccountId>> {
		let candidates: BTreeMap<RelayId, Footprint> = match client {
			ClientLocator::Ip(address) => Self::relays_containing(address),
			ClientLocator::Asn(asn) => AsnFootprints::<T>::iter_key_prefix(asn)
				.map(|relay| (relay, Footprint::Asn(asn)))
				.collect(),
			ClientLocator::Country(country) => CountryFootprints::<T>::iter_key_prefix(country)
				.map(|relay| (relay, Footprint::CountryCode(country)))
				.collect(),
		};
		let now = frame_system::Pallet::<T>::block_number();
		let fresh_since = now.saturating_sub(T::HeartbeatTimeout::get());
		let mut matches: Vec<RelayMatch<T::AccountId>> = candidates
			.into_iter()
			.filter_map(|(relay, footprint)| {
				let info = Relays::<T>::get(relay)?;
				let capacity_mbps = info.capacity_for(&footprint);
				let serves = info.status == RelayStatus::Active
					&& info.last_heartbeat >= fresh_since
					&& capacity_mbps >= min_capacity_mbps.max(1);
				serves.then(|| RelayMatch {
					relay,
					operator: info.operator,
					http: info.endpoints.http.into_inner(),
					footprint,
					capacity_mbps,
					verified_mbps: info.verified_mbps,
				})
			})
			.collect();
		matches.sort_by(|a, b| {
			b.verified_mbps
				.cmp(&a.verified_mbps)
				.then(b.footprint.specificity().cmp(&a.footprint.specificity()))
				.then(a.relay.cmp(&b.relay))
		});
		matches.truncate(limit.min(T::MaxQueryResults::get()) as usize);
		matches
	}

	/// The relay's Footprint & Capabilities advertisement as RFC 8008 JSON:
	/// `{"capabilities": [{"capability-type", "capability-value", "footprints"}]}`.
	///
	/// - `FCI.DeliveryProtocol` with the registered protocol names
	///   (`http/1.1`, `https/1.1`) over all of the relay's footprints;
	/// - `FCI.CapacityLimits`, one per footprint: the egress claimed for it,
	///   in bits per second, as `maximum-hard`;
	/// - `OCM.Relay`: what RFC 8008 has no registered type for (HTTP/2,
	///   HLS/DASH, multicast, status, verified capacity), with no footprints,
	///   which by RFC 9241 means it applies to all of them.
	pub fn fci_advertisement(relay: RelayId) -> Option<String> {
		let info = Relays::<T>::get(relay)?;
		let caps = info.claims.capabilities;
		let all_footprints = footprint_objects(info.claims.footprints.iter().map(|c| &c.footprint));
		let mut capabilities = Vec::new();

		let mut protocols = Vec::new();
		if caps.has(Capabilities::HTTP_1_1) {
			protocols.push("http/1.1");
			if caps.has(Capabilities::TLS) {
				protocols.push("https/1.1");
			}
		}
		if !protocols.is_empty() {
			capabilities.push(json!({
				"capability-type": "FCI.DeliveryProtocol",
				"capability-value": { "delivery-protocols": protocols },
				"footprints": all_footprints,
			}));
		}
		for claim in &info.claims.footprints {
			capabilities.push(json!({
				"capability-type": "FCI.CapacityLimits",
				"capability-value": { "limits": [{
					"limit-type": "egress",
					"maximum-hard": u64::from(claim.capacity_mbps) * 1_000_000,
				}]},
				"footprints": footprint_objects(core::iter::once(&claim.footprint)),
			}));
		}

		let named = |flags: &[(u16, &'static str)]| -> Vec<&'static str> {
			flags.iter().filter(|(f, _)| caps.has(*f)).map(|(_, n)| *n).collect()
		};
		let status = match info.status {
			RelayStatus::Pending => "pending",
			RelayStatus::Active => "active",
			RelayStatus::Suspended { .. } => "suspended",
			RelayStatus::Leaving { .. } => "leaving",
		};
		capabilities.push(json!({
			"capability-type": "OCM.Relay",
			"capability-value": {
				"relay-id": relay,
				"status": status,
				"http": core::str::from_utf8(&info.endpoints.http).unwrap_or_default(),
				"http-versions": named(&[(Capabilities::HTTP_1_1, "1.1"), (Capabilities::HTTP_2, "2")]),
				"tls": caps.has(Capabilities::TLS),
				"streaming": named(&[(Capabilities::HLS, "hls"), (Capabilities::DASH, "dash")]),
				"multicast": named(&[
					(Capabilities::MAHP_SENDER, "mahp-sender"),
					(Capabilities::MAHP_RECEIVER, "mahp-receiver"),
					(Capabilities::AMT_RELAY, "amt-relay"),
				]),
				"amt-relay": info.endpoints.amt_relay.map(|a| a.to_string()),
				"multicast-source": info.endpoints.multicast_source.map(|a| a.to_string()),
				"claimed-mbps": info.claims.capacity_mbps,
				"verified-mbps": info.verified_mbps,
				"country": Footprint::CountryCode(info.claims.location.country).to_string(),
				"asn": info.claims.location.asn,
			},
		}));
		serde_json::to_string(&json!({ "capabilities": capabilities })).ok()
	}
}

/// RFC 8006 footprint objects: one per footprint type, in order of first
/// appearance, each listing its values.
fn footprint_objects<'a>(footprints: impl Iterator<Item = &'a Footprint>) -> Value {
	let mut objects: Vec<(&'static str, Vec<Value>)> = vec![];
	for footprint in footprints {
		let value = Value::String(footprint.to_string());
		match objects.iter_mut().find(|(ty, _)| *ty == footprint.type_name()) {
			Some((_, values)) => values.push(value),
			None => objects.push((footprint.type_name(), vec![value])),
		}
	}
	Value::Array(
		objects
			.into_iter()
			.map(|(ty, values)| json!({ "footprint-type": ty, "footprint-value": values }))
			.collect(),
	)
}
