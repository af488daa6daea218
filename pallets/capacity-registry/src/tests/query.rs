//! The footprint query and the FCI advertisement.

use super::*;
use crate::{Ipv4Footprints, Relays};
use frame_support::assert_ok;
use ocm_primitives::{
	capacity::ClientLocator,
	footprint::{Footprint, IpAddress, Ipv4Cidr},
};
use serde_json::Value;

fn ip(text: &str) -> ClientLocator {
	ClientLocator::Ip(IpAddress::parse(text.as_bytes()).unwrap())
}

fn active(who: AccountId, http: &str, footprints: Vec<FootprintInput>, verified: u32) -> RelayId {
	let relay = register(
		who,
		RelayRegistration { endpoints: endpoints(http), claims: claims(10_000, footprints) },
	);
	CapacityRegistry::do_board_activate(relay, verified).unwrap();
	relay
}

/// (relay, matched footprint text, capacity) of each answer, in order.
fn answer(client: ClientLocator, min: u32) -> Vec<(RelayId, String, u32)> {
	CapacityRegistry::relays_for(client, min, 100)
		.into_iter()
		.map(|m| (m.relay, m.footprint.to_string(), m.capacity_mbps))
		.collect()
}

#[test]
fn ipv4_clients_match_by_longest_prefix() {
	run(|| {
		let wide = active(
			ALICE,
			"https://wide.example.net",
			vec![fp("ipv4cidr", "10.0.0.0/8", 5_000)],
			4_000,
		);
		let both = active(
			BOB,
			"https://both.example.net",
			vec![fp("ipv4cidr", "10.0.0.0/8", 9_000), fp("ipv4cidr", "10.1.0.0/16", 300)],
			8_000,
		);
		let host = active(
			CHARLIE,
			"https://host.example.net",
			vec![fp("ipv4cidr", "10.1.2.3/32", 100)],
			100,
		);
		let elsewhere = active(
			CHARLIE,
			"https://else.example.net",
			vec![fp("ipv4cidr", "192.0.2.0/24", 100)],
			9_999,
		);

		// Ranked by verified capacity; each relay reports its most specific
		// matching footprint and the capacity claimed for it.
		assert_eq!(
			answer(ip("10.1.2.3"), 1),
			vec![
				(both, "10.1.0.0/16".into(), 300),
				(wide, "10.0.0.0/8".into(), 4_000),
				(host, "10.1.2.3/32".into(), 100),
			]
		);
		assert_eq!(
			answer(ip("10.200.0.1"), 1),
			vec![(both, "10.0.0.0/8".into(), 8_000), (wide, "10.0.0.0/8".into(), 4_000)]
		);
		// The minimum applies to the capacity for the matched footprint.
		assert_eq!(answer(ip("10.1.2.3"), 301), vec![(wide, "10.0.0.0/8".into(), 4_000)]);
		assert_eq!(answer(ip("192.0.2.255"), 1), vec![(elsewhere, "192.0.2.0/24".into(), 100)]);
		assert_eq!(answer(ip("11.0.0.1"), 1), vec![]);
		assert_eq!(answer(ip("2001:db8::1"), 1), vec![]);
	});
}

#[test]
fn ipv6_clients_match_by_longest_prefix() {
	run(|| {
		let a = active(
			ALICE,
			"https://a.example.net",
			vec![fp("ipv6cidr", "2001:db8::/32", 1_000)],
			1_000,
		);
		let b = active(
			BOB,
			"https://b.example.net",
			vec![fp("ipv6cidr", "2001:db8:8000::/33", 500), fp("ipv6cidr", "::/0", 50)],
			2_000,
		);
		assert_eq!(
			answer(ip("2001:db8:ffff::1"), 1),
			vec![(b, "2001:db8:8000::/33".into(), 500), (a, "2001:db8::/32".into(), 1_000)]
		);
		assert_eq!(
			answer(ip("2001:db8:7fff::1"), 1),
			vec![(b, "::/0".into(), 50), (a, "2001:db8::/32".into(), 1_000)]
		);
		assert_eq!(answer(ip("2001:db9::1"), 1), vec![(b, "::/0".into(), 50)]);
	});
}

#[test]
fn asn_and_country_clients_match_their_footprints() {
	run(|| {
		let a = active(
			ALICE,
			"https://a.example.net",
			vec![fp("asn", "as64500", 700), fp("countrycode", "de", 200)],
			900,
		);
		let b = active(
			BOB,
			"https://b.example.net",
			vec![fp("asn", "as64501", 700), fp("countrycode", "DE", 600)],
			800,
		);
		assert_eq!(answer(ClientLocator::Asn(64_500), 1), vec![(a, "as64500".into(), 700)]);
		assert_eq!(answer(ClientLocator::Asn(64_502), 1), vec![]);
		assert_eq!(
			answer(ClientLocator::Country(CountryCode(*b"DE")), 1),
			vec![(a, "de".into(), 200), (b, "de".into(), 600)]
		);
		assert_eq!(
			answer(ClientLocator::Country(CountryCode(*b"DE")), 250),
			vec![(b, "de".into(), 600)]
		);
	});
}

#[test]
fn only_active_relays_with_a_fresh_heartbeat_answer() {
	run(|| {
		let footprints = || vec![fp("countrycode", "fr", 100)];
		let serving = active(ALICE, "https://a.example.net", footprints(), 100);
		let _pending = register(
			BOB,
			RelayRegistration {
				endpoints: endpoints("https://p.example.net"),
				claims: claims(100, footprints()),
			},
		);
		let suspended = active(BOB, "https://s.example.net", footprints(), 100);
		CapacityRegistry::do_suspend(suspended, Suspender::ProofOfBandwidth).unwrap();
		let leaving = active(CHARLIE, "https://l.example.net", footprints(), 100);
		assert_ok!(CapacityRegistry::leave(RuntimeOrigin::signed(CHARLIE), leaving));
		let france = ClientLocator::Country(CountryCode(*b"FR"));
		assert_eq!(answer(france, 1), vec![(serving, "fr".into(), 100)]);

		System::set_block_number(1 + HEARTBEAT_TIMEOUT);
		assert_eq!(
			answer(france, 1).len(),
			1,
			"a heartbeat exactly `HeartbeatTimeout` old still counts"
		);
		System::set_block_number(2 + HEARTBEAT_TIMEOUT);
		assert_eq!(answer(france, 1), vec![]);
		assert_ok!(CapacityRegistry::heartbeat(RuntimeOrigin::signed(ALICE), serving));
		assert_eq!(answer(france, 1).len(), 1);
	});
}

#[test]
fn answers_are_ranked_and_capped() {
	run(|| {
		let relays: Vec<RelayId> = (0..12u32)
			.map(|i| {
				let who = 100 + u64::from(i);
				let _ = Balances::force_set_balance(RuntimeOrigin::root(), who, INITIAL);
				active(
					who,
					&format!("https://r{i}.example.net"),
					vec![fp("countrycode", "jp", 1_000)],
					100 + i,
				)
			})
			.collect();
		let all =
			CapacityRegistry::relays_for(ClientLocator::Country(CountryCode(*b"JP")), 1, 1_000);
		assert_eq!(all.len(), 10, "MaxQueryResults caps the answer");
		assert_eq!(all[0].relay, relays[11]);
		assert!(all.windows(2).all(|w| w[0].verified_mbps >= w[1].verified_mbps));
		assert_eq!(
			CapacityRegistry::relays_for(ClientLocator::Country(CountryCode(*b"JP")), 1, 3).len(),
			3
		);
	});
}

#[test]
fn prefix_lengths_are_counted_per_family_so_lookups_probe_only_those() {
	run(|| {
		let a = active(
			ALICE,
			"https://a.example.net",
			vec![fp("ipv4cidr", "10.0.0.0/8", 100), fp("ipv6cidr", "2001:db8::/32", 100)],
			100,
		);
		active(
			BOB,
			"https://b.example.net",
			vec![fp("ipv4cidr", "172.16.0.0/12", 100), fp("ipv4cidr", "11.0.0.0/8", 100)],
			100,
		);
		let lengths = |family| {
			crate::CidrLengthsInUse::<Test>::iter_prefix(family)
				.collect::<std::collections::BTreeMap<u8, u32>>()
		};
		assert_eq!(lengths(4), [(8, 2), (12, 1)].into());
		assert_eq!(lengths(6), [(32, 1)].into());
		assert_ok!(CapacityRegistry::update_claims(
			RuntimeOrigin::signed(ALICE),
			a,
			claims(100, vec![fp("asn", "as64500", 100)])
		));
		assert_eq!(lengths(4), [(8, 1), (12, 1)].into());
		assert_eq!(lengths(6), [].into());
		assert_eq!(answer(ip("10.0.0.1"), 1), vec![]);
		assert!(Ipv4Footprints::<Test>::iter_keys()
			.all(|(c, _)| c != Ipv4Cidr { prefix: [10, 0, 0, 0], len: 8 }));
		let _ = Footprint::Asn(1);
	});
}

#[test]
fn try_state_catches_an_index_that_disagrees_with_the_records() {
	run(|| {
		let relay = register(ALICE, registration("https://edge.example.net"));
		let stray = Ipv4Cidr { prefix: [203, 0, 113, 0], len: 24 };
		Ipv4Footprints::<Test>::insert(stray, relay, ());
		assert!(CapacityRegistry::do_try_state().is_err());
		Ipv4Footprints::<Test>::remove(stray, relay);
		crate::CidrLengthsInUse::<Test>::insert(4, 16, 1);
		assert!(CapacityRegistry::do_try_state().is_err());
		crate::CidrLengthsInUse::<Test>::remove(4, 16);
		let authority =
			crate::validate::authorities(&Relays::<Test>::get(relay).unwrap().endpoints)[0].clone();
		crate::RelayByAuthority::<Test>::remove(&authority);
		assert!(CapacityRegistry::do_try_state().is_err());
		crate::RelayByAuthority::<Test>::insert(&authority, relay);
		assert_ok!(CapacityRegistry::do_try_state());
	});
}

#[test]
fn fci_advertisement_is_rfc8008_json() {
	run(|| {
		let mut r = registration("https://edge.example.net");
		r.claims.footprints = vec![
			fp("ipv4cidr", "192.0.2.0/24", 800),
			fp("ipv4cidr", "198.51.100.0/24", 200),
			fp("asn", "AS64500", 1_000),
		];
		r.claims.capabilities = Capabilities(
			Capabilities::HTTP_1_1
				| Capabilities::HTTP_2
				| Capabilities::TLS
				| Capabilities::DASH
				| Capabilities::AMT_RELAY,
		);
		r.endpoints.amt_relay = Some(IpAddress::V4([192, 0, 2, 1]));
		let relay = register(ALICE, r);
		let json: Value =
			serde_json::from_str(&CapacityRegistry::fci_advertisement(relay).unwrap()).unwrap();
		let caps = json["capabilities"].as_array().unwrap();
		assert_eq!(caps[0]["capability-type"], "FCI.DeliveryProtocol");
		assert_eq!(
			caps[0]["capability-value"]["delivery-protocols"],
			serde_json::json!(["http/1.1", "https/1.1"])
		);
		assert_eq!(
			caps[0]["footprints"],
			serde_json::json!([
				{ "footprint-type": "ipv4cidr", "footprint-value": ["192.0.2.0/24", "198.51.100.0/24"] },
				{ "footprint-type": "asn", "footprint-value": ["as64500"] },
			])
		);
		let limits: Vec<&Value> =
			caps.iter().filter(|c| c["capability-type"] == "FCI.CapacityLimits").collect();
		assert_eq!(limits.len(), 3);
		assert_eq!(limits[1]["capability-value"]["limits"][0]["maximum-hard"], 200_000_000u64);
		assert_eq!(limits[1]["footprints"][0]["footprint-value"][0], "198.51.100.0/24");
		let ocm = caps.last().unwrap();
		assert_eq!(ocm["capability-type"], "OCM.Relay");
		assert_eq!(ocm["capability-value"]["status"], "pending");
		assert_eq!(ocm["capability-value"]["http-versions"], serde_json::json!(["1.1", "2"]));
		assert_eq!(ocm["capability-value"]["streaming"], serde_json::json!(["dash"]));
		assert_eq!(ocm["capability-value"]["multicast"], serde_json::json!(["amt-relay"]));
		assert_eq!(ocm["capability-value"]["amt-relay"], "192.0.2.1");
		assert_eq!(ocm["capability-value"]["country"], "nl");
		assert!(ocm.get("footprints").is_none());
		assert_eq!(CapacityRegistry::fci_advertisement(relay + 1), None);
		assert!(Relays::<Test>::contains_key(relay));
	});
}
