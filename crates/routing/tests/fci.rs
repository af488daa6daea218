//! The marketplace's advertisement, from relays' advertisements as the
//! registry writes them, in the shapes of RFC 8008 and RFC 9808.

use ocm_routing::fci::{check_shape, marketplace_advertisement, RelayAdvertisement};
use serde_json::{json, Value};

/// What `capacity_fciAdvertisement` answers for a relay (the registry's
/// `fci_advertisement`), trimmed to what matters here.
fn advertisement(
	relay: u32,
	status: &str,
	verified: u32,
	footprints: &[(&str, &str, u64)],
) -> Value {
	let mut capabilities = vec![json!({
		"capability-type": "FCI.DeliveryProtocol",
		"capability-value": { "delivery-protocols": ["http/1.1", "https/1.1"] },
		"footprints": footprints.iter().map(|(k, v, _)| json!({"footprint-type": k, "footprint-value": [v]})).collect::<Vec<_>>(),
	})];
	for (kind, value, mbps) in footprints {
		capabilities.push(json!({
			"capability-type": "FCI.CapacityLimits",
			"capability-value": { "limits": [{ "limit-type": "egress", "maximum-hard": mbps * 1_000_000 }] },
			"footprints": [{ "footprint-type": kind, "footprint-value": [value] }],
		}));
	}
	capabilities.push(json!({
		"capability-type": "OCM.Relay",
		"capability-value": { "relay-id": relay, "status": status, "http": format!("http://relay{relay}.example/"), "verified-mbps": verified },
	}));
	json!({ "capabilities": capabilities })
}

#[test]
fn relays_advertisements_read_back() {
	let relay = RelayAdvertisement::parse(&advertisement(
		3,
		"active",
		400,
		&[("ipv4cidr", "10.1.0.0/16", 1_000), ("asn", "as64501", 300)],
	))
	.unwrap();
	assert_eq!(
		(relay.relay, relay.http.as_str(), relay.verified_mbps),
		(3, "http://relay3.example", 400)
	);
	assert_eq!(relay.delivery_protocols, vec!["http/1.1", "https/1.1"]);
	let record = relay.record();
	// The claim for each footprint, capped by what was verified.
	assert_eq!(record.footprints.iter().map(|(_, c)| *c).collect::<Vec<_>>(), vec![400, 300]);
	assert!(RelayAdvertisement::parse(&json!({"capabilities": []})).is_err(), "no OCM.Relay");
	assert!(RelayAdvertisement::parse(&json!({})).is_err());
	let bad = json!({"capabilities": [{"capability-type": "FCI.CapacityLimits", "capability-value": {"limits": [{"limit-type": "egress", "maximum-hard": 1}]}, "footprints": [{"footprint-type": "ipv4cidr", "footprint-value": ["10.1.2.3/16"]}]}]});
	assert!(RelayAdvertisement::parse(&bad).is_err(), "a prefix with host bits");
}

#[test]
fn the_marketplace_advertises_its_active_relays_together() {
	let relays: Vec<RelayAdvertisement> = [
		advertisement(
			1,
			"active",
			1_000,
			&[("ipv4cidr", "10.1.0.0/16", 600), ("countrycode", "nl", 600)],
		),
		advertisement(2, "active", 250, &[("ipv4cidr", "10.1.0.0/16", 400)]),
		advertisement(3, "suspended", 900, &[("ipv4cidr", "10.9.0.0/16", 900)]),
	]
	.iter()
	.map(|a| RelayAdvertisement::parse(a).unwrap())
	.collect();
	let fci = marketplace_advertisement(&relays);
	let capabilities = fci["capabilities"].as_array().unwrap();
	let of = |kind: &str| {
		capabilities.iter().filter(|c| c["capability-type"] == kind).collect::<Vec<_>>()
	};

	// RFC 8008 section 5 / RFC 8006 4.2.2.2 shapes.
	let https = of("FCI.DeliveryProtocol")
		.into_iter()
		.find(|c| c["capability-value"]["delivery-protocols"] == json!(["https/1.1"]))
		.unwrap();
	assert_eq!(
		https["footprints"],
		json!([
			{"footprint-type": "ipv4cidr", "footprint-value": ["10.1.0.0/16"]},
			{"footprint-type": "countrycode", "footprint-value": ["nl"]}
		]),
		"the union of the active relays' footprints; the suspended relay's /16 is not in it"
	);
	let modes = of("FCI.RedirectionMode");
	assert_eq!(
		modes[0]["capability-value"],
		json!({"redirection-modes": ["DNS-I", "HTTP-I", "HTTP-R"]})
	);

	// RFC 9808: one egress limit per footprint, summed over relays, each
	// capped by its verified capacity: 600 + min(400, 250) on the /16.
	let limits = of("FCI.CapacityLimits");
	assert_eq!(limits.len(), 2);
	let city = limits
		.iter()
		.find(|c| c["footprints"][0]["footprint-value"] == json!(["10.1.0.0/16"]))
		.unwrap();
	assert_eq!(
		city["capability-value"],
		json!({"limits": [{"id": "egress-ipv4cidr-10.1.0.0/16", "limit-type": "egress", "maximum-hard": 850_000_000u64}]})
	);
	// Every key is one of the RFCs' (or OCM's own capability type).
	for capability in capabilities {
		let keys: Vec<&String> = capability.as_object().unwrap().keys().collect();
		assert!(
			keys.iter().all(
				|k| ["capability-type", "capability-value", "footprints"].contains(&k.as_str())
			),
			"{keys:?}"
		);
	}
}

#[test]
fn nothing_active_advertises_nothing() {
	assert_eq!(marketplace_advertisement(&[]), json!({"capabilities": []}));
}

#[test]
fn the_rfcs_examples_and_ours_have_the_same_shape() {
	let footprint = json!([{"footprint-type": "ipv4cidr", "footprint-value": ["192.0.2.0/24", "198.51.100.0/24"]}]);
	// RFC 9808, section 5 (its footprint placeholder filled in).
	let capacity = json!({
		"capabilities": [{
			"capability-type": "FCI.CapacityLimits",
			"capability-value": {
				"limits": [{
					"id": "capacity_limit_region1",
					"limit-type": "egress",
					"maximum-hard": 50_000_000_000u64,
					"maximum-soft": 25_000_000_000u64,
					"telemetry-source": {"id": "capacity_metrics_region1", "metric": "egress_5m"}
				}]
			},
			"footprints": footprint
		}]
	});
	assert_eq!(check_shape(&capacity), Ok(()));
	// RFC 8008, section 5's examples (as valid JSON).
	for (kind, value) in [
		("FCI.DeliveryProtocol", json!({"delivery-protocols": ["http/1.1"]})),
		("FCI.AcquisitionProtocol", json!({"acquisition-protocols": ["http/1.1", "https/1.1"]})),
		("FCI.RedirectionMode", json!({"redirection-modes": ["DNS-I", "HTTP-I"]})),
		("FCI.Logging", json!({"record-type": "cdni_http_request_v1", "fields": ["s-ccid"]})),
		("FCI.Metadata", json!({"metadata": ["MI.SourceMetadata"]})),
	] {
		let advertisement = json!({"capabilities": [{"capability-type": kind, "capability-value": value, "footprints": footprint}]});
		assert_eq!(check_shape(&advertisement), Ok(()), "{kind}");
	}
	// RFC 8006's footprint examples.
	let footprints = json!({"capabilities": [{"capability-type": "FCI.DeliveryProtocol", "capability-value": {"delivery-protocols": ["http/1.1"]}, "footprints": [
		{"footprint-type": "countrycode", "footprint-value": ["us"]},
		{"footprint-type": "ipv6cidr", "footprint-value": ["2001:db8::/32"]},
		{"footprint-type": "asn", "footprint-value": ["as64496"]}
	]}]});
	assert_eq!(check_shape(&footprints), Ok(()));

	// Ours.
	let relays: Vec<RelayAdvertisement> = [
		advertisement(
			1,
			"active",
			1_000,
			&[
				("ipv4cidr", "10.1.0.0/16", 600),
				("countrycode", "nl", 600),
				("asn", "as64501", 100),
			],
		),
		advertisement(2, "active", 250, &[("ipv6cidr", "2001:db8::/32", 400)]),
	]
	.iter()
	.map(|a| RelayAdvertisement::parse(a).unwrap())
	.collect();
	assert_eq!(check_shape(&marketplace_advertisement(&relays)), Ok(()));

	// And the checker does refuse what is wrong.
	let mut bad = capacity.clone();
	bad["capabilities"][0]["capability-value"]["limits"][0]["limit-type"] = json!("bandwidth");
	assert!(check_shape(&bad).is_err());
	let mut bad = capacity.clone();
	bad["capabilities"][0]["capability-value"]["limits"][0]["maximum-soft"] =
		json!(60_000_000_000u64);
	assert!(check_shape(&bad).is_err());
	let mut bad = capacity;
	bad["capabilities"][0]["footprints"][0]["footprint-value"] = json!(["192.0.2.1/24"]);
	assert!(check_shape(&bad).is_err(), "host bits in a prefix");
	assert!(check_shape(
		&json!({"capabilities": [{"capability-type": "FCI.DeliveryProtocol", "capability-value": {}}]})
	)
	.is_err());
}
