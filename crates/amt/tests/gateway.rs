//! The gateway's state machine against the relay's, datagram by datagram
//! with a hand-moved clock: discovery, handshake, delivery, backoff,
//! refresh, lost reports, spoofed answers and a NAT rebinding.

use ocm_amt::{
	gateway::{Gateway, GatewayConfig, JoinError, Transmit},
	relay::{Action, Channel, Relay, RelayConfig},
	Message,
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

const RELAY: &str = "198.51.100.1:2268";
const GATEWAY: &str = "203.0.113.7:40000";

fn channel(source: &str) -> Channel {
	Channel { source: ip(source), group: ip("232.1.1.1") }
}

fn setup(now: Instant) -> (Gateway, Relay) {
	let relay = Relay::new(
		RelayConfig {
			address: ip("198.51.100.1"),
			query_interval: Duration::from_secs(20),
			..Default::default()
		},
		[9; 32],
	);
	(Gateway::new(GatewayConfig::new(addr(RELAY)), now, 42), relay)
}

/// Carries datagrams both ways until neither side has more; `lose` says
/// which gateway datagrams the network drops. The relay's Join and Leave.
fn exchange(
	gateway: &mut Gateway,
	relay: &mut Relay,
	now: Instant,
	from: SocketAddr,
	mut lose: impl FnMut(&Transmit) -> bool,
) -> Vec<Action> {
	let mut native = Vec::new();
	while let Some(transmit) = gateway.poll_transmit() {
		assert_eq!(transmit.to, addr(RELAY), "everything goes to the relay");
		if lose(&transmit) {
			continue;
		}
		for action in relay.handle(now, from, &transmit.bytes) {
			match action {
				Action::Send { to, bytes } => {
					assert_eq!(to, from);
					assert!(gateway.handle(now, addr(RELAY), &bytes).is_none());
				}
				other => native.push(other),
			}
		}
	}
	native
}

fn open(gateway: &mut Gateway, relay: &mut Relay, now: Instant) -> Vec<Action> {
	let native = exchange(gateway, relay, now, addr(GATEWAY), |_| false);
	assert!(gateway.is_open());
	assert_eq!(gateway.relay(), Some(addr(RELAY)));
	native
}

#[test]
fn a_gateway_finds_the_relay_joins_and_receives_datagrams() {
	let now = Instant::now();
	let (mut gateway, mut relay) = setup(now);
	// Joined before the tunnel exists: the first query's answer carries it.
	gateway.join(now, channel("192.0.2.1")).unwrap();
	let native = open(&mut gateway, &mut relay, now);
	assert_eq!(native, vec![Action::Join(channel("192.0.2.1"))]);

	let (message, to) =
		relay.forward(addr("192.0.2.1:5000"), addr("232.1.1.1:6000"), b"segment bytes").unwrap();
	assert_eq!(to.iter().copied().collect::<Vec<_>>(), vec![addr(GATEWAY)]);
	let datagram = gateway.handle(now, addr(RELAY), &message).expect("delivered");
	assert_eq!(datagram.payload, b"segment bytes");
	assert_eq!(datagram.group, addr("232.1.1.1:6000"));
	assert_eq!(datagram.source, addr("192.0.2.1:5000"));
	let c = gateway.counters();
	assert_eq!((c.discoveries, c.requests, c.updates, c.datagrams), (1, 1, 1, 1));

	// Leaving reports at once; the relay leaves natively; closing ends the tunnel.
	gateway.join(now, channel("192.0.2.2")).unwrap();
	assert_eq!(
		exchange(&mut gateway, &mut relay, now, addr(GATEWAY), |_| false),
		vec![Action::Join(channel("192.0.2.2"))]
	);
	gateway.leave(now, channel("192.0.2.1"));
	assert_eq!(
		exchange(&mut gateway, &mut relay, now, addr(GATEWAY), |_| false),
		vec![Action::Leave(channel("192.0.2.1"))]
	);
	gateway.close(now);
	assert_eq!(
		exchange(&mut gateway, &mut relay, now, addr(GATEWAY), |_| false),
		vec![Action::Leave(channel("192.0.2.2"))]
	);
	assert_eq!(relay.tunnels(), 0);
}

#[test]
fn discovery_and_requests_back_off_and_a_silent_relay_is_given_up() {
	let start = Instant::now();
	let (mut gateway, mut relay) = setup(start);
	// Discovery unanswered: retransmitted after 1, 2, 4, ... s, capped at 30 s.
	let mut sent_at = Vec::new();
	let mut now = start;
	while sent_at.len() < 8 {
		while let Some(t) = gateway.poll_transmit() {
			assert!(matches!(Message::decode(&t.bytes), Ok(Message::RelayDiscovery { .. })));
			sent_at.push(now.duration_since(start).as_secs());
		}
		now = gateway.poll_timeout().unwrap();
		gateway.handle_timeout(now);
	}
	assert_eq!(sent_at, vec![0, 1, 3, 7, 15, 31, 61, 91]);

	// Answered: Requests then go unanswered until the relay is given up.
	let discovery = gateway.poll_transmit().unwrap();
	assert!(matches!(Message::decode(&discovery.bytes), Ok(Message::RelayDiscovery { .. })));
	for action in relay.handle(now, addr(GATEWAY), &discovery.bytes) {
		let Action::Send { bytes, .. } = action else { panic!() };
		gateway.handle(now, addr(RELAY), &bytes);
	}
	let mut requests = 0;
	loop {
		let t = gateway.poll_transmit().unwrap();
		match Message::decode(&t.bytes).unwrap() {
			Message::Request { mld: false, .. } => requests += 1,
			Message::RelayDiscovery { .. } => break,
			other => panic!("{other:?}"),
		}
		now = gateway.poll_timeout().unwrap();
		gateway.handle_timeout(now);
	}
	assert_eq!(requests, 4, "max_request_attempts Requests, then discovery anew");
	assert_eq!(gateway.relay(), None);
}

#[test]
fn the_gateway_refreshes_every_query_interval_so_its_channels_never_expire() {
	let start = Instant::now();
	let (mut gateway, mut relay) = setup(start);
	gateway.join(start, channel("192.0.2.1")).unwrap();
	open(&mut gateway, &mut relay, start);
	// Ten minutes: the relay's membership interval is 2 × 20 s + 10 s.
	let mut now = start;
	let mut leaves = 0;
	while now < start + Duration::from_secs(600) {
		now = gateway.poll_timeout().unwrap();
		gateway.handle_timeout(now);
		leaves += relay.poll(now).iter().filter(|a| matches!(a, Action::Leave(_))).count();
		exchange(&mut gateway, &mut relay, now, addr(GATEWAY), |_| false);
	}
	assert_eq!(leaves, 0);
	assert!(gateway.counters().requests >= 30, "{:?}", gateway.counters());
	// A gateway that stops refreshing is expired by the relay.
	let expired = relay.poll(now + Duration::from_secs(51));
	assert_eq!(expired, vec![Action::Leave(channel("192.0.2.1"))]);
}

#[test]
fn a_lost_change_report_is_retransmitted_robustness_times() {
	let start = Instant::now();
	let (mut gateway, mut relay) = setup(start);
	open(&mut gateway, &mut relay, start);
	gateway.join(start, channel("192.0.2.1")).unwrap();
	// The first report is lost on the way.
	assert!(exchange(&mut gateway, &mut relay, start, addr(GATEWAY), |_| true).is_empty());
	let at = gateway.poll_timeout().unwrap();
	assert_eq!(at, start + Duration::from_secs(1));
	gateway.handle_timeout(at);
	assert_eq!(
		exchange(&mut gateway, &mut relay, at, addr(GATEWAY), |_| false),
		vec![Action::Join(channel("192.0.2.1"))]
	);
	// QRV 2: two reports in all, then no more until the refresh.
	assert_eq!(gateway.poll_timeout().unwrap(), start + Duration::from_secs(20));
}

#[test]
fn answers_that_match_no_nonce_or_come_from_elsewhere_change_nothing() {
	let now = Instant::now();
	let (mut gateway, mut relay) = setup(now);
	gateway.join(now, channel("192.0.2.1")).unwrap();
	let forged = Message::RelayAdvertisement { nonce: 1, relay: ip("192.0.2.66") }.encode();
	assert!(gateway.handle(now, addr(RELAY), &forged).is_none());
	assert_eq!(gateway.counters().unknown_nonce, 1);
	assert_eq!(gateway.relay(), None);
	open(&mut gateway, &mut relay, now);

	let (message, _) = relay.forward(addr("192.0.2.1:5000"), addr("232.1.1.1:6000"), b"x").unwrap();
	assert!(gateway.handle(now, addr("192.0.2.66:2268"), &message).is_none());
	assert_eq!(gateway.counters().unexpected, 1);
	let (other, _) = {
		let mut g2 = Gateway::new(GatewayConfig::new(addr(RELAY)), now, 7);
		g2.join(now, channel("192.0.2.9")).unwrap();
		exchange(&mut g2, &mut relay, now, addr("203.0.113.8:1"), |_| false);
		relay.forward(addr("192.0.2.9:5000"), addr("232.1.1.1:6000"), b"y").unwrap()
	};
	assert!(gateway.handle(now, addr(RELAY), &other).is_none());
	assert_eq!(gateway.counters().not_joined, 1);
	for junk in [&b""[..], &[0, 6], &[0, 9, 0, 0], &message[..message.len() - 1]] {
		assert!(gateway.handle(now, addr(RELAY), junk).is_none());
	}
	assert_eq!(gateway.counters().malformed, 4);
	assert_eq!(
		gateway.join(now, Channel { source: ip("2001:db8::1"), group: ip("ff3e::1") }),
		Err(JoinError::Family)
	);
	assert_eq!(
		gateway.join(now, Channel { source: ip("232.0.0.1"), group: ip("232.1.1.1") }),
		Err(JoinError::NotSourceSpecific)
	);
}

#[test]
fn after_a_nat_rebinding_the_old_tunnel_is_torn_down() {
	let start = Instant::now();
	let (mut gateway, mut relay) = setup(start);
	gateway.join(start, channel("192.0.2.1")).unwrap();
	open(&mut gateway, &mut relay, start);
	assert_eq!(relay.tunnels(), 1);
	// The NAT gives the gateway a new port; the refresh comes from there.
	let later = start + Duration::from_secs(20);
	gateway.handle_timeout(later);
	let native = exchange(&mut gateway, &mut relay, later, addr("203.0.113.7:40001"), |_| false);
	assert!(native.is_empty(), "the channel stays joined: {native:?}");
	assert_eq!(gateway.counters().teardowns, 1);
	assert_eq!(relay.tunnels(), 1, "the old address's tunnel is gone");
	let (_, to) = relay.forward(addr("192.0.2.1:5000"), addr("232.1.1.1:6000"), b"x").unwrap();
	assert_eq!(to.iter().copied().collect::<Vec<_>>(), vec![addr("203.0.113.7:40001")]);
}

#[test]
fn an_ipv6_gateway_speaks_mldv2() {
	let now = Instant::now();
	let mut relay =
		Relay::new(RelayConfig { address: ip("2001:db8::1"), ..Default::default() }, [3; 32]);
	let mut gateway = Gateway::new(GatewayConfig::new(addr("[2001:db8::1]:2268")), now, 5);
	let ch = Channel { source: ip("2001:db8::10"), group: ip("ff3e::8000:1") };
	gateway.join(now, ch).unwrap();
	let from = addr("[2001:db8::77]:40000");
	let mut native = Vec::new();
	while let Some(t) = gateway.poll_transmit() {
		if let Ok(Message::Request { mld, .. }) = Message::decode(&t.bytes) {
			assert!(mld, "P flag set for MLDv2");
		}
		for action in relay.handle(now, from, &t.bytes) {
			match action {
				Action::Send { bytes, .. } => {
					gateway.handle(now, t.to, &bytes);
				}
				other => native.push(other),
			}
		}
	}
	assert_eq!(native, vec![Action::Join(ch)]);
	let (message, _) =
		relay.forward(addr("[2001:db8::10]:5000"), addr("[ff3e::8000:1]:6000"), b"v6").unwrap();
	assert_eq!(gateway.handle(now, addr("[2001:db8::1]:2268"), &message).unwrap().payload, b"v6");
}
