//! The routing table's choices: tiers, health, load, capacity.

use ocm_primitives::footprint::{CountryCode, Footprint};
use ocm_routing::{
	load::LoadTracker,
	table::{Networks, RelayRecord, ServiceRecord, Tier},
	Client, RouteError, Table,
};
use std::net::IpAddr;

fn footprint(kind: &str, value: &str) -> Footprint {
	Footprint::parse(kind.as_bytes(), value.as_bytes()).unwrap()
}

fn relay(id: u32, footprints: &[(&str, &str, u32)]) -> RelayRecord {
	RelayRecord {
		id,
		http: format!("http://relay{id}.example"),
		footprints: footprints.iter().map(|(k, v, c)| (footprint(k, v), *c)).collect(),
	}
}

fn client(ip: &str) -> Client {
	Client { address: Some(ip.parse().unwrap()), ..Default::default() }
}

/// Relay 1 serves a city's /16, relay 2 the ISP's /8 and its ASN, relay 3
/// the country, relay 4 an IPv6 /32; contract 0 has them all, contract 1
/// only relay 3.
fn table() -> Table {
	let relays = vec![
		relay(1, &[("ipv4cidr", "10.1.0.0/16", 100)]),
		relay(2, &[("ipv4cidr", "10.0.0.0/8", 1_000), ("asn", "as64501", 1_000)]),
		relay(3, &[("countrycode", "nl", 500)]),
		relay(4, &[("ipv6cidr", "2001:db8::/32", 200)]),
	];
	Table::build(
		relays,
		&[
			ServiceRecord {
				contract: 0,
				hosts: vec!["video.example".into()],
				relays: vec![1, 2, 3, 4, 99],
			},
			ServiceRecord { contract: 1, hosts: vec!["Live.Example".into()], relays: vec![3] },
		],
	)
}

fn up(_: u32) -> bool {
	true
}
fn idle(_: u32) -> f64 {
	0.0
}

#[test]
fn the_longest_prefix_then_the_asn_then_the_country() {
	let table = table();
	let route = table.route("video.example", &client("10.1.2.3"), up, idle).unwrap();
	assert_eq!((route.relay, route.tier, route.contract), (1, Tier::Prefix(16), 0));
	assert_eq!(
		route.location("video.example", "/seg/1.ts?x=1"),
		"http://relay1.example/cdn/video.example/seg/1.ts?x=1"
	);
	let route = table.route("video.example", &client("10.9.2.3"), up, idle).unwrap();
	assert_eq!((route.relay, route.tier), (2, Tier::Prefix(8)));
	let v6 = table.route("video.example", &client("2001:db8::7"), up, idle).unwrap();
	assert_eq!(v6.relay, 4);
	let mapped = table.route("video.example", &client("::ffff:10.1.0.9"), up, idle).unwrap();
	assert_eq!(mapped.relay, 1, "an IPv4-mapped address routes as IPv4");

	let from_asn =
		Client { address: Some("192.0.2.1".parse().unwrap()), asn: Some(64501), country: None };
	assert_eq!(table.route("video.example", &from_asn, up, idle).unwrap().tier, Tier::Asn);
	let dutch = Client {
		address: Some("192.0.2.1".parse().unwrap()),
		asn: Some(64999),
		country: Some(CountryCode(*b"nl")),
	};
	let route = table.route("video.example", &dutch, up, idle).unwrap();
	assert_eq!((route.relay, route.tier), (3, Tier::Country));
	assert_eq!(
		table.route("video.example", &client("192.0.2.1"), up, idle),
		Err(RouteError::NoRelay)
	);
	assert_eq!(
		table.route("other.example", &client("10.1.2.3"), up, idle),
		Err(RouteError::UnknownHost)
	);
	// Host names are matched in lower case; contract 1 has only relay 3.
	assert!(table.knows("live.example"));
	assert_eq!(
		table.route("live.example", &client("10.1.2.3"), up, idle),
		Err(RouteError::NoRelay)
	);
	assert_eq!(table.route("live.example", &dutch, up, idle).unwrap().contract, 1);
}

#[test]
fn a_relay_that_is_down_falls_through_to_the_next_tier() {
	let table = table();
	let route = table.route("video.example", &client("10.1.2.3"), |r| r != 1, idle).unwrap();
	assert_eq!((route.relay, route.tier), (2, Tier::Prefix(8)));
	assert_eq!(
		table.route("video.example", &client("10.1.2.3"), |r| r > 2, idle),
		Err(RouteError::NoRelay)
	);
}

#[test]
fn players_spread_over_a_tier_in_proportion_to_capacity() {
	// Two relays on one /24: 300 and 100 Mbit/s; and one with no capacity.
	let table = Table::build(
		vec![
			relay(1, &[("ipv4cidr", "198.51.100.0/24", 300)]),
			relay(2, &[("ipv4cidr", "198.51.100.0/24", 100)]),
			relay(3, &[("ipv4cidr", "198.51.100.0/24", 0)]),
		],
		&[ServiceRecord { contract: 0, hosts: vec!["v.example".into()], relays: vec![1, 2, 3] }],
	);
	let mut load = LoadTracker::default();
	let mut counts = [0u32; 4];
	for i in 0..4_000 {
		let now = f64::from(i) / 1_000.0;
		let route =
			table.route("v.example", &client("198.51.100.9"), up, |r| load.load(r, now)).unwrap();
		counts[route.relay as usize] += 1;
		load.record(route.relay, now);
	}
	assert_eq!(counts[3], 0, "no capacity, no players");
	let share = f64::from(counts[1]) / f64::from(counts[1] + counts[2]);
	assert!((share - 0.75).abs() < 0.01, "{counts:?}");
}

#[test]
fn networks_give_addresses_their_asn_and_country() {
	let mut networks = Networks::default();
	networks.insert(&footprint("ipv4cidr", "192.0.2.0/24"), Some(64501), Some(CountryCode(*b"nl")));
	networks.insert(&footprint("ipv4cidr", "192.0.2.128/25"), Some(64502), None);
	networks.insert(&footprint("ipv6cidr", "2001:db8:1::/48"), None, Some(CountryCode(*b"de")));
	let c = networks.client("192.0.2.1".parse().unwrap());
	assert_eq!((c.asn, c.country), (Some(64501), Some(CountryCode(*b"nl"))));
	let c = networks.client("192.0.2.200".parse().unwrap());
	assert_eq!((c.asn, c.country), (Some(64502), None));
	let c = networks.client("2001:db8:1::5".parse().unwrap());
	assert_eq!(c.country, Some(CountryCode(*b"de")));
	let c = networks.client("203.0.113.1".parse::<IpAddr>().unwrap());
	assert_eq!((c.asn, c.country), (None, None));
}
