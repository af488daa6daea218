//! The relay's state machine against gateways made of this crate's own
//! encoders: handshakes, channels, forwarding, caps, spoofing, expiry.

use ocm_amt::{
	membership::{self, GroupRecord, Membership, RecordType},
	relay::{Action, Channel, Relay, RelayConfig},
	udp, Mac, Message,
};
use std::{
	net::{IpAddr, SocketAddr},
	time::{Duration, Instant},
};

fn addr(s: &str) -> SocketAddr {
	s.parse().unwrap()
}
fn ip(s: &str) -> IpAddr {
	s.parse().unwrap()
}

const SOURCE: &str = "192.0.2.1";
const GROUP: &str = "232.1.1.1";

fn channel() -> Channel {
	Channel { source: ip(SOURCE), group: ip(GROUP) }
}

/// Request, query: the MAC the relay gave `gateway` for `nonce`.
fn handshake(relay: &mut Relay, now: Instant, gateway: SocketAddr, nonce: u32) -> (Mac, bool) {
	let actions = relay.handle(now, gateway, &Message::Request { nonce, mld: false }.encode());
	let [Action::Send { to, bytes }] = actions.as_slice() else { panic!("{actions:?}") };
	assert_eq!(*to, gateway);
	let Ok(Message::MembershipQuery { limited, mac, nonce: echoed, query, gateway: seen }) =
		Message::decode(bytes)
	else {
		panic!("not a query")
	};
	assert_eq!((echoed, seen), (nonce, Some(gateway)));
	let Ok(Membership::Query(general)) = membership::decode(query) else { panic!("not IGMPv3") };
	assert!(general.group.is_unspecified() && general.interval_secs() == 60);
	(mac, limited)
}

fn update(kind: RecordType, sources: &[&str], mac: Mac, nonce: u32) -> Vec<u8> {
	let records = vec![GroupRecord {
		kind,
		group: ip(GROUP),
		sources: sources.iter().map(|s| ip(s)).collect(),
	}];
	let report = membership::encode_report(ip("0.0.0.0"), &records).unwrap();
	Message::MembershipUpdate { mac, nonce, report: &report }.encode()
}

#[test]
fn discovery_is_answered_with_the_relay_address_and_the_same_nonce() {
	let mut relay =
		Relay::new(RelayConfig { address: ip("198.51.100.1"), ..Default::default() }, [1; 32]);
	let actions = relay.handle(
		Instant::now(),
		addr("192.0.2.50:5000"),
		&Message::RelayDiscovery { nonce: 77 }.encode(),
	);
	assert_eq!(
		actions,
		vec![Action::Send {
			to: addr("192.0.2.50:5000"),
			bytes: Message::RelayAdvertisement { nonce: 77, relay: ip("198.51.100.1") }.encode()
		}]
	);
	// A P-flagged request gets an MLDv2 query in IPv6.
	let actions = relay.handle(
		Instant::now(),
		addr("[2001:db8::5]:5000"),
		&Message::Request { nonce: 1, mld: true }.encode(),
	);
	let [Action::Send { bytes, .. }] = actions.as_slice() else { panic!() };
	let Ok(Message::MembershipQuery { query, .. }) = Message::decode(bytes) else { panic!() };
	assert!(matches!(membership::decode(query), Ok(Membership::Query(q)) if q.group.is_ipv6()));
}

#[test]
fn gateways_join_share_forward_and_leave_a_channel() {
	let now = Instant::now();
	let mut relay = Relay::new(RelayConfig::default(), [1; 32]);
	let (a, b) = (addr("192.0.2.10:40000"), addr("192.0.2.11:40000"));
	let (mac_a, limited) = handshake(&mut relay, now, a, 1);
	assert!(!limited);
	assert_eq!(
		relay.handle(now, a, &update(RecordType::AllowNewSources, &[SOURCE], mac_a, 1)),
		vec![Action::Join(channel())]
	);
	let (mac_b, _) = handshake(&mut relay, now, b, 2);
	assert_eq!(
		relay.handle(now, b, &update(RecordType::ModeIsInclude, &[SOURCE], mac_b, 2)),
		vec![],
		"joined already"
	);
	assert_eq!(relay.tunnels(), 2);

	let (bytes, to) =
		relay.forward(addr("192.0.2.1:5000"), addr("232.1.1.1:6000"), b"object").unwrap();
	assert_eq!(to.iter().copied().collect::<Vec<_>>(), vec![a, b]);
	let Ok(Message::MulticastData { packet }) = Message::decode(&bytes) else { panic!() };
	assert_eq!(udp::decode(packet).unwrap().payload, b"object");
	assert!(
		relay.forward(addr("192.0.2.2:5000"), addr("232.1.1.1:6000"), b"x").is_none(),
		"another source"
	);

	assert_eq!(
		relay.handle(now, a, &update(RecordType::BlockOldSources, &[SOURCE], mac_a, 1)),
		vec![]
	);
	// IGMPv3's leave: change to include nothing.
	assert_eq!(
		relay.handle(now, b, &update(RecordType::ChangeToInclude, &[], mac_b, 2)),
		vec![Action::Leave(channel())]
	);
	assert_eq!(relay.tunnels(), 0);
	assert_eq!(relay.counters().queries_sent, 2);
}

#[test]
fn spoofed_updates_change_nothing() {
	let now = Instant::now();
	let mut relay = Relay::new(RelayConfig::default(), [1; 32]);
	let gateway = addr("192.0.2.10:40000");
	let (mac, _) = handshake(&mut relay, now, gateway, 5);
	// Same MAC from another port or address, or another nonce, or made up.
	for (from, nonce, mac) in [
		(addr("192.0.2.10:40001"), 5, mac),
		(addr("192.0.2.66:40000"), 5, mac),
		(gateway, 6, mac),
		(gateway, 5, [0; 6]),
	] {
		assert_eq!(
			relay.handle(now, from, &update(RecordType::AllowNewSources, &[SOURCE], mac, nonce)),
			vec![]
		);
	}
	assert_eq!(relay.counters().bad_mac, 4);
	assert_eq!(relay.tunnels(), 0);
	// A teardown needs the MAC too.
	let teardown = Message::Teardown { mac: [9; 6], nonce: 5, gateway }.encode();
	assert_eq!(relay.handle(now, addr("203.0.113.1:1"), &teardown), vec![]);
	assert_eq!(relay.counters().bad_mac, 5);
	// Garbage and relay-only messages are counted, not acted on.
	relay.handle(now, gateway, &[0x06, 0, 1, 2, 3]);
	relay.handle(now, gateway, &Message::RelayDiscovery { nonce: 1 }.encode()[..7]);
	relay.handle(
		now,
		gateway,
		&Message::RelayAdvertisement { nonce: 1, relay: ip("192.0.2.1") }.encode(),
	);
	assert_eq!((relay.counters().malformed, relay.counters().unexpected), (2, 1));
}

#[test]
fn teardown_from_a_new_nat_mapping_ends_the_old_tunnel() {
	let now = Instant::now();
	let mut relay = Relay::new(RelayConfig::default(), [1; 32]);
	let old = addr("192.0.2.10:40000");
	let (mac, _) = handshake(&mut relay, now, old, 5);
	relay.handle(now, old, &update(RecordType::AllowNewSources, &[SOURCE], mac, 5));
	let teardown = Message::Teardown { mac, nonce: 5, gateway: old }.encode();
	assert_eq!(
		relay.handle(now, addr("192.0.2.10:41234"), &teardown),
		vec![Action::Leave(channel())]
	);
	assert_eq!(relay.tunnels(), 0);
}

#[test]
fn caps_on_tunnels_and_channels_hold() {
	let now = Instant::now();
	let config = RelayConfig { max_tunnels: 1, max_channels_per_tunnel: 2, ..Default::default() };
	let mut relay = Relay::new(config, [1; 32]);
	let (a, b) = (addr("192.0.2.10:40000"), addr("192.0.2.11:40000"));
	let (mac_a, _) = handshake(&mut relay, now, a, 1);
	let joined = relay.handle(
		now,
		a,
		&update(RecordType::AllowNewSources, &["192.0.2.1", "192.0.2.2", "192.0.2.3"], mac_a, 1),
	);
	assert_eq!(joined.len(), 2, "{joined:?}");
	assert_eq!(relay.counters().channels_refused, 1);
	// The relay is full: the next gateway's query says so, and its update is refused.
	let (mac_b, limited) = handshake(&mut relay, now, b, 2);
	assert!(limited);
	assert_eq!(
		relay.handle(now, b, &update(RecordType::AllowNewSources, &[SOURCE], mac_b, 2)),
		vec![]
	);
	assert_eq!(relay.counters().tunnels_refused, 1);
	// Any-source joins are not served.
	relay.handle(now, a, &update(RecordType::ChangeToExclude, &[], mac_a, 1));
	assert_eq!(relay.counters().any_source_refused, 1);
}

#[test]
fn channels_nobody_refreshes_expire() {
	let now = Instant::now();
	let mut relay = Relay::new(RelayConfig::default(), [1; 32]);
	let gateway = addr("192.0.2.10:40000");
	let (mac, _) = handshake(&mut relay, now, gateway, 1);
	relay.handle(now, gateway, &update(RecordType::AllowNewSources, &[SOURCE], mac, 1));
	let expiry = relay.next_expiry().unwrap();
	// QRV 2 × QQI 60 s + 10 s.
	assert_eq!(expiry - now, Duration::from_secs(130));
	assert_eq!(relay.poll(expiry - Duration::from_secs(1)), vec![]);
	// A refresh (the current-state report after the next handshake) moves it on.
	let later = now + Duration::from_secs(60);
	let (mac, _) = handshake(&mut relay, later, gateway, 2);
	relay.handle(later, gateway, &update(RecordType::ModeIsInclude, &[SOURCE], mac, 2));
	assert_eq!(relay.poll(expiry), vec![]);
	assert_eq!(relay.poll(later + Duration::from_secs(130)), vec![Action::Leave(channel())]);
	assert_eq!(relay.tunnels(), 0);
}

#[test]
fn a_flood_of_requests_is_answered_at_the_configured_rate() {
	let now = Instant::now();
	let mut relay =
		Relay::new(RelayConfig { max_queries_per_sec: 3, ..Default::default() }, [1; 32]);
	let request = Message::Request { nonce: 1, mld: false }.encode();
	let answered = (0..5)
		.filter(|i| !relay.handle(now, addr(&format!("192.0.2.{i}:1")), &request).is_empty())
		.count();
	assert_eq!(answered, 3);
	assert_eq!(relay.counters().queries_limited, 2);
	let later = now + Duration::from_secs(1);
	let answered = (0..5)
		.filter(|i| !relay.handle(later, addr(&format!("192.0.2.{i}:1")), &request).is_empty())
		.count();
	assert_eq!(answered, 3, "refilled after a second");
}

#[test]
fn a_query_signed_before_a_rotation_is_still_honoured_after_it() {
	let now = Instant::now();
	let mut relay = Relay::new(RelayConfig::default(), [1; 32]);
	let gateway = addr("192.0.2.10:40000");
	let (mac, _) = handshake(&mut relay, now, gateway, 1);
	relay.rotate_secret([2; 32]);
	assert_eq!(
		relay.handle(now, gateway, &update(RecordType::AllowNewSources, &[SOURCE], mac, 1)),
		vec![Action::Join(channel())]
	);
	relay.rotate_secret([3; 32]);
	assert_eq!(
		relay.handle(now, gateway, &update(RecordType::BlockOldSources, &[SOURCE], mac, 1)),
		vec![]
	);
	assert_eq!(relay.counters().bad_mac, 1);
}
