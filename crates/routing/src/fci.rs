//! Footprints and capabilities (RFC 8008, capacity limits of RFC 9808):
//! reading each relay's advertisement, as the chain's
//! `capacity_fciAdvertisement` produces it, and merging the Active relays'
//! into one advertisement for the whole marketplace, which an upstream
//! CDN reads to decide what to delegate to OCM.

use crate::table::RelayRecord;
use ocm_primitives::footprint::Footprint;
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// The redirection modes `ocm-router` offers (RFC 7975 requests for DNS
/// and HTTP, iteratively; HTTP 302 to players, recursively).
pub const REDIRECTION_MODES: [&str; 3] = ["DNS-I", "HTTP-I", "HTTP-R"];

/// What the router reads from one relay's advertisement.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RelayAdvertisement {
	pub relay: u32,
	/// `active`, `pending`, `suspended` or `leaving`.
	pub status: String,
	pub http: String,
	pub verified_mbps: u32,
	/// RFC 8006 delivery protocol names (`http/1.1`, `https/1.1`).
	pub delivery_protocols: Vec<String>,
	/// Each footprint with the egress claimed for it, Mbit/s.
	pub footprints: Vec<(Footprint, u32)>,
}

/// Why an advertisement could not be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FciError(pub String);

fn footprints_of(capability: &Value) -> Result<Vec<Footprint>, FciError> {
	let mut out = Vec::new();
	for object in capability["footprints"].as_array().into_iter().flatten() {
		let kind = object["footprint-type"]
			.as_str()
			.ok_or_else(|| FciError("a footprint without a footprint-type".into()))?;
		for value in object["footprint-value"].as_array().into_iter().flatten() {
			let text =
				value.as_str().ok_or_else(|| FciError("a non-string footprint-value".into()))?;
			out.push(
				Footprint::parse(kind.as_bytes(), text.as_bytes())
					.map_err(|e| FciError(format!("footprint {kind} {text}: {e:?}")))?,
			);
		}
	}
	Ok(out)
}

impl RelayAdvertisement {
	/// Reads `{"capabilities": [...]}` as the registry writes it.
	pub fn parse(advertisement: &Value) -> Result<Self, FciError> {
		let capabilities = advertisement["capabilities"]
			.as_array()
			.ok_or_else(|| FciError("no capabilities".into()))?;
		let mut out = RelayAdvertisement {
			relay: u32::MAX,
			status: String::new(),
			http: String::new(),
			verified_mbps: 0,
			delivery_protocols: Vec::new(),
			footprints: Vec::new(),
		};
		for capability in capabilities {
			let value = &capability["capability-value"];
			match capability["capability-type"].as_str() {
				Some("FCI.DeliveryProtocol") => {
					out.delivery_protocols = value["delivery-protocols"]
						.as_array()
						.into_iter()
						.flatten()
						.filter_map(|p| p.as_str().map(str::to_owned))
						.collect();
				}
				Some("FCI.CapacityLimits") => {
					let egress = value["limits"]
						.as_array()
						.into_iter()
						.flatten()
						.find(|l| l["limit-type"] == "egress")
						.and_then(|l| l["maximum-hard"].as_u64())
						.ok_or_else(|| FciError("capacity limits without egress".into()))?;
					let mbps = u32::try_from(egress / 1_000_000).unwrap_or(u32::MAX);
					for footprint in footprints_of(capability)? {
						out.footprints.push((footprint, mbps));
					}
				}
				Some("OCM.Relay") => {
					out.relay = value["relay-id"]
						.as_u64()
						.and_then(|v| u32::try_from(v).ok())
						.ok_or_else(|| FciError("OCM.Relay without a relay-id".into()))?;
					out.status = value["status"].as_str().unwrap_or_default().to_owned();
					out.http =
						value["http"].as_str().unwrap_or_default().trim_end_matches('/').to_owned();
					out.verified_mbps = value["verified-mbps"]
						.as_u64()
						.and_then(|v| u32::try_from(v).ok())
						.unwrap_or(0);
				}
				// RFC 8008: capability types a reader does not know are ignored.
				_ => {}
			}
		}
		if out.relay == u32::MAX {
			return Err(FciError("no OCM.Relay capability".into()));
		}
		Ok(out)
	}

	pub fn is_active(&self) -> bool {
		self.status == "active"
	}

	/// The relay as the routing table takes it: each footprint's claim
	/// capped by the verified capacity.
	pub fn record(&self) -> RelayRecord {
		RelayRecord {
			id: self.relay,
			http: self.http.clone(),
			footprints: self
				.footprints
				.iter()
				.map(|(f, mbps)| (*f, (*mbps).min(self.verified_mbps)))
				.collect(),
		}
	}
}

/// RFC 8006 footprint objects, one per type, values in first-seen order.
fn footprint_objects<'a>(footprints: impl IntoIterator<Item = &'a Footprint>) -> Value {
	let mut objects: Vec<(&'static str, Vec<String>)> = Vec::new();
	for footprint in footprints {
		let value = footprint.to_string();
		match objects.iter_mut().find(|(kind, _)| *kind == footprint.type_name()) {
			Some((_, values)) if !values.contains(&value) => values.push(value),
			Some(_) => {}
			None => objects.push((footprint.type_name(), vec![value])),
		}
	}
	Value::Array(
		objects
			.into_iter()
			.map(|(kind, values)| json!({ "footprint-type": kind, "footprint-value": values }))
			.collect(),
	)
}

/// The marketplace's advertisement over its Active relays:
///
/// - `FCI.DeliveryProtocol`, one per protocol, over the footprints of the
///   relays that speak it;
/// - `FCI.RedirectionMode` ([`REDIRECTION_MODES`]) over every footprint;
/// - `FCI.CapacityLimits` (RFC 9808), one per footprint: the egress the
///   relays offer there together, each relay's claim capped by what proof
///   of bandwidth verified, as `maximum-hard` bits per second, with an
///   `id` that stays the same across advertisements.
pub fn marketplace_advertisement(relays: &[RelayAdvertisement]) -> Value {
	let active: Vec<&RelayAdvertisement> = relays.iter().filter(|r| r.is_active()).collect();
	let mut capabilities = Vec::new();
	let mut protocols: BTreeMap<&str, Vec<Footprint>> = BTreeMap::new();
	for relay in &active {
		for protocol in &relay.delivery_protocols {
			protocols.entry(protocol).or_default().extend(relay.footprints.iter().map(|(f, _)| *f));
		}
	}
	for (protocol, footprints) in &protocols {
		capabilities.push(json!({
			"capability-type": "FCI.DeliveryProtocol",
			"capability-value": { "delivery-protocols": [protocol] },
			"footprints": footprint_objects(footprints),
		}));
	}
	let every: Vec<Footprint> =
		active.iter().flat_map(|r| r.footprints.iter().map(|(f, _)| *f)).collect();
	if !every.is_empty() {
		capabilities.push(json!({
			"capability-type": "FCI.RedirectionMode",
			"capability-value": { "redirection-modes": REDIRECTION_MODES },
			"footprints": footprint_objects(&every),
		}));
	}
	let mut egress: BTreeMap<Footprint, u64> = BTreeMap::new();
	for relay in &active {
		for (footprint, mbps) in relay.record().footprints {
			*egress.entry(footprint).or_default() += u64::from(mbps) * 1_000_000;
		}
	}
	for (footprint, bits) in &egress {
		if *bits == 0 {
			continue;
		}
		capabilities.push(json!({
			"capability-type": "FCI.CapacityLimits",
			"capability-value": { "limits": [{
				"id": format!("egress-{}-{}", footprint.type_name(), footprint),
				"limit-type": "egress",
				"maximum-hard": bits,
			}]},
			"footprints": footprint_objects([footprint]),
		}));
	}
	json!({ "capabilities": capabilities })
}

/// RFC 9808's registered limit types.
pub const LIMIT_TYPES: [&str; 6] =
	["egress", "requests", "storage-size", "storage-objects", "sessions", "cache-size"];

fn check_footprints(capability: &Value) -> Result<(), String> {
	let Some(footprints) = capability.get("footprints") else { return Ok(()) };
	for footprint in footprints.as_array().ok_or("footprints is not a list")? {
		let kind = footprint["footprint-type"].as_str().ok_or("a footprint without a type")?;
		let values =
			footprint["footprint-value"].as_array().ok_or("footprint-value is not a list")?;
		for value in values {
			let value = value.as_str().ok_or("a footprint value that is not a string")?;
			Footprint::parse(kind.as_bytes(), value.as_bytes())
				.map_err(|e| format!("footprint {kind} {value}: {e:?}"))?;
		}
	}
	Ok(())
}

/// Checks an advertisement against RFC 8008 (capability objects, RFC 8006
/// footprints) and RFC 9808 (`FCI.CapacityLimits`): what an upstream CDN
/// reading it relies on.
pub fn check_shape(advertisement: &Value) -> Result<(), String> {
	let capabilities = advertisement["capabilities"].as_array().ok_or("no capabilities list")?;
	for capability in capabilities {
		let object = capability.as_object().ok_or("a capability that is not an object")?;
		if let Some(key) = object
			.keys()
			.find(|k| !["capability-type", "capability-value", "footprints"].contains(&k.as_str()))
		{
			return Err(format!("unknown key {key}"));
		}
		let kind = capability["capability-type"].as_str().ok_or("no capability-type")?;
		let value = capability.get("capability-value").ok_or("no capability-value")?;
		check_footprints(capability)?;
		let list = |key: &str| {
			value[key]
				.as_array()
				.filter(|l| l.iter().all(Value::is_string))
				.map(|_| ())
				.ok_or(format!("{kind} without a {key} list"))
		};
		match kind {
			"FCI.DeliveryProtocol" => list("delivery-protocols")?,
			"FCI.AcquisitionProtocol" => list("acquisition-protocols")?,
			"FCI.RedirectionMode" => list("redirection-modes")?,
			"FCI.Metadata" => list("metadata")?,
			"FCI.Logging" => {
				value["record-type"].as_str().ok_or("FCI.Logging without record-type")?;
			}
			"FCI.CapacityLimits" => {
				let limits =
					value["limits"].as_array().ok_or("FCI.CapacityLimits without limits")?;
				for limit in limits {
					let limit_type =
						limit["limit-type"].as_str().ok_or("a limit without limit-type")?;
					if !LIMIT_TYPES.contains(&limit_type) {
						return Err(format!("limit-type {limit_type} is not registered"));
					}
					let hard =
						limit["maximum-hard"].as_u64().ok_or("a limit without maximum-hard")?;
					if let Some(soft) = limit.get("maximum-soft") {
						if soft.as_u64().is_none_or(|soft| soft >= hard) {
							return Err("maximum-soft must be below maximum-hard".into());
						}
					}
					if let Some(source) = limit.get("telemetry-source") {
						if !source["id"].is_string() || !source["metric"].is_string() {
							return Err("telemetry-source needs id and metric".into());
						}
					}
				}
			}
			// Types this reader does not know are ignored (RFC 8008 5.2).
			_ => {}
		}
	}
	Ok(())
}
