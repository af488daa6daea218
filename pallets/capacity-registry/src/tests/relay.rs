//! Relay registration, updates, heartbeat, leaving and bond withdrawal.

use super::*;
use crate::{
	AsnFootprints, CidrLengthsInUse, CountryFootprints, Error, Ipv4Footprints, Ipv6Footprints,
	OperatorRelays, RelayByAuthority, Relays,
};
use frame_support::{assert_noop, assert_ok, traits::fungible::Inspect};
use ocm_primitives::footprint::{IpAddress, Ipv4Cidr};

fn url(u: &str) -> Url<Test> {
	u.as_bytes().to_vec().try_into().unwrap()
}

fn register_err(registration: RelayRegistration, bond: Balance, error: Error<Test>) {
	assert_noop!(
		CapacityRegistry::register_relay(RuntimeOrigin::signed(ALICE), registration, bond),
		error
	);
}

fn with_footprints(footprints: Vec<FootprintInput>) -> RelayRegistration {
	let mut r = registration("https://edge.example.net");
	r.claims.footprints = footprints;
	r
}

#[test]
fn register_relay_stores_holds_indexes_and_starts_pending() {
	run(|| {
		let mut r = registration("https://edge1.example.net");
		r.claims.footprints = vec![
			fp("ipv4cidr", "192.0.2.0/24", 800),
			fp("ipv6cidr", "2001:db8::/32", 1_000),
			fp("asn", "as64500", 1_000),
			fp("countrycode", "nl", 500),
		];
		let relay = register(ALICE, r);
		assert_eq!(relay, 0);
		let info = Relays::<Test>::get(relay).unwrap();
		assert_eq!(info.operator, ALICE);
		assert_eq!(info.status, RelayStatus::Pending);
		assert_eq!(info.bond, MIN_BOND);
		assert_eq!(info.verified_mbps, 0);
		assert_eq!(info.claims.footprints.len(), 4);
		assert_eq!(info.registered_at, 1);
		assert_eq!(held(ALICE), MIN_BOND);
		assert_eq!(Balances::balance(&ALICE), INITIAL - MIN_BOND);
		assert_eq!(OperatorRelays::<Test>::get(ALICE).into_inner(), vec![0]);
		assert_eq!(RelayByAuthority::<Test>::get(url("edge1.example.net:443")), Some(0));
		assert!(Ipv4Footprints::<Test>::contains_key(
			Ipv4Cidr { prefix: [192, 0, 2, 0], len: 24 },
			0
		));
		assert_eq!(Ipv6Footprints::<Test>::iter_keys().count(), 1);
		assert!(AsnFootprints::<Test>::contains_key(64_500, 0));
		assert!(CountryFootprints::<Test>::contains_key(CountryCode(*b"NL"), 0));
		assert_eq!(CidrLengthsInUse::<Test>::get(4, 24), Some(1));
		assert_eq!(CidrLengthsInUse::<Test>::get(6, 32), Some(1));
		assert_eq!(
			last_event(),
			Event::RelayRegistered { relay: 0, operator: ALICE, bond: MIN_BOND }
		);

		assert_eq!(register(ALICE, registration("https://edge2.example.net")), 1);
		assert_eq!(CidrLengthsInUse::<Test>::get(4, 24), Some(2));
	});
}

#[test]
fn register_relay_takes_a_larger_bond() {
	run(|| {
		assert_ok!(CapacityRegistry::register_relay(
			RuntimeOrigin::signed(BOB),
			registration("http://edge.example.net:8080/cdn"),
			MIN_BOND * 5
		));
		assert_eq!(held(BOB), MIN_BOND * 5);
	});
}

#[test]
fn register_relay_refuses_bad_endpoints() {
	run(|| {
		let long = format!("https://{}.example.net", "a".repeat(MAX_URL as usize));
		register_err(registration(&long), MIN_BOND, Error::UrlTooLong);
		for bad in [
			"ftp://edge.example.net",
			"https://",
			"https:///path",
			"edge.example.net",
			"https://edge example.net",
			"https://edge.example.net/\u{e9}",
		] {
			register_err(registration(bad), MIN_BOND, Error::InvalidUrl);
		}
		let mut r = registration("https://edge.example.net");
		r.endpoints.pob = b"tcp://edge.example.net".to_vec();
		register_err(r, MIN_BOND, Error::InvalidUrl);
		register_err(registration("https://edge.example.net:99999"), MIN_BOND, Error::InvalidUrl);

		let mut r = registration("https://edge.example.net");
		r.endpoints.amt_relay = Some(IpAddress::V4([232, 1, 1, 1]));
		register_err(r, MIN_BOND, Error::InvalidAddress);
		let mut r = registration("https://edge.example.net");
		r.endpoints.multicast_source = Some(IpAddress::V6([0; 16]));
		register_err(r, MIN_BOND, Error::InvalidAddress);

		let mut r = registration("https://edge.example.net");
		r.claims.capabilities = Capabilities(Capabilities::AMT_RELAY);
		register_err(r.clone(), MIN_BOND, Error::MissingAmtRelayAddress);
		r.endpoints.amt_relay = Some(IpAddress::V4([192, 0, 2, 1]));
		assert_ok!(CapacityRegistry::register_relay(RuntimeOrigin::signed(ALICE), r, MIN_BOND));

		let mut r = registration("https://edge2.example.net");
		r.claims.capabilities = Capabilities(Capabilities::MAHP_SENDER);
		register_err(r, MIN_BOND, Error::MissingMulticastSource);
	});
}

#[test]
fn register_relay_refuses_bad_location_and_capabilities() {
	run(|| {
		let mut r = registration("https://edge.example.net");
		r.claims.location.country = CountryCode(*b"ZZ");
		register_err(r.clone(), MIN_BOND, Error::InvalidCountryCode);
		r.claims.location.country = CountryCode(*b"nl");
		register_err(r, MIN_BOND, Error::InvalidCountryCode);

		let mut r = registration("https://edge.example.net");
		r.claims.location.asn = 0;
		register_err(r, MIN_BOND, Error::ReservedAsn);

		for (lat, lon) in [(901, 0), (-901, 0), (0, 1801), (0, -1801)] {
			let mut r = registration("https://edge.example.net");
			r.claims.location.coordinates =
				Some(Coordinates { latitude_decidegrees: lat, longitude_decidegrees: lon });
			register_err(r, MIN_BOND, Error::InvalidCoordinates);
		}

		let mut r = registration("https://edge.example.net");
		r.claims.capabilities = Capabilities(1 << 12);
		register_err(r, MIN_BOND, Error::UnknownCapability);
	});
}

#[test]
fn register_relay_refuses_bad_footprints() {
	run(|| {
		register_err(with_footprints(vec![]), MIN_BOND, Error::NoFootprints);
		let too_many =
			(0..=MAX_FOOTPRINTS).map(|i| fp("ipv4cidr", &format!("10.{i}.0.0/16"), 10)).collect();
		register_err(with_footprints(too_many), MIN_BOND, Error::TooManyFootprints);
		let cases = [
			("ipv4", "10.0.0.0/8", Error::UnknownFootprintType),
			("subdivisioncode", "us-ca", Error::UnknownFootprintType),
			("ipv4cidr", "10.0.0.0", Error::MalformedFootprint),
			("ipv4cidr", "10.0.0/8", Error::MalformedFootprint),
			("ipv4cidr", "2001:db8::/32", Error::MalformedFootprint),
			("ipv6cidr", "2001:db8::/x", Error::MalformedFootprint),
			("asn", "asx", Error::MalformedFootprint),
			("ipv4cidr", "10.0.0.0/33", Error::CidrPrefixTooLong),
			("ipv6cidr", "2001:db8::/129", Error::CidrPrefixTooLong),
			("ipv4cidr", "10.1.2.3/8", Error::CidrHostBitsSet),
			("ipv6cidr", "2001:db8::1/64", Error::CidrHostBitsSet),
			("asn", "as23456", Error::ReservedAsn),
			("countrycode", "xx", Error::InvalidCountryCode),
		];
		for (ty, value, error) in cases {
			register_err(with_footprints(vec![fp(ty, value, 10)]), MIN_BOND, error);
		}
		register_err(
			with_footprints(vec![fp("countrycode", "nl", 10), fp("countrycode", "NL", 20)]),
			MIN_BOND,
			Error::DuplicateFootprint,
		);
	});
}

#[test]
fn register_relay_refuses_zero_or_absurd_capacity() {
	run(|| {
		let mut r = registration("https://edge.example.net");
		r.claims.capacity_mbps = 0;
		register_err(r, MIN_BOND, Error::ZeroCapacity);
		let mut r = registration("https://edge.example.net");
		r.claims.capacity_mbps = MAX_CAPACITY + 1;
		register_err(r, MIN_BOND, Error::CapacityTooHigh);
		register_err(with_footprints(vec![fp("asn", "as64500", 0)]), MIN_BOND, Error::ZeroCapacity);
		register_err(
			with_footprints(vec![fp("asn", "as64500", 1_001)]),
			MIN_BOND,
			Error::FootprintCapacityExceedsTotal,
		);
	});
}

#[test]
fn register_relay_refuses_small_bonds_poor_operators_duplicates_and_too_many() {
	run(|| {
		register_err(registration("https://edge.example.net"), MIN_BOND - 1, Error::BondTooLow);
		assert_noop!(
			CapacityRegistry::register_relay(
				RuntimeOrigin::signed(POOR),
				registration("https://edge.example.net"),
				MIN_BOND
			),
			Error::<Test>::InsufficientFunds
		);
		register(ALICE, registration("https://edge.example.net"));
		assert_noop!(
			CapacityRegistry::register_relay(
				RuntimeOrigin::signed(BOB),
				registration("https://edge.example.net"),
				MIN_BOND
			),
			Error::<Test>::DuplicateEndpoint
		);
		for i in 1..MAX_RELAYS {
			register(ALICE, registration(&format!("https://edge{i}.example.net")));
		}
		register_err(registration("https://one-more.example.net"), MIN_BOND, Error::TooManyRelays);
		assert_noop!(
			CapacityRegistry::register_relay(
				RuntimeOrigin::none(),
				registration("https://x.example.net"),
				MIN_BOND
			),
			sp_runtime::DispatchError::BadOrigin
		);
	});
}

#[test]
fn update_endpoints_moves_the_url_and_keeps_status() {
	run(|| {
		let relay = register(ALICE, registration("https://old.example.net"));
		CapacityRegistry::do_board_activate(relay, 900).unwrap();
		let other = register(BOB, registration("https://bob.example.net"));
		assert_ok!(CapacityRegistry::update_endpoints(
			RuntimeOrigin::signed(ALICE),
			relay,
			endpoints("https://new.example.net")
		));
		assert_eq!(status(relay), RelayStatus::Active);
		assert_eq!(RelayByAuthority::<Test>::get(url("new.example.net:443")), Some(relay));
		assert!(!RelayByAuthority::<Test>::contains_key(url("old.example.net:443")));
		assert_eq!(last_event(), Event::EndpointsUpdated { relay });

		let update = |who, relay, e| {
			CapacityRegistry::update_endpoints(RuntimeOrigin::signed(who), relay, e)
		};
		assert_noop!(
			update(ALICE, relay, endpoints("https://bob.example.net")),
			Error::<Test>::DuplicateEndpoint
		);
		assert_noop!(
			update(ALICE, other, endpoints("https://x.example.net")),
			Error::<Test>::NotOperator
		);
		assert_noop!(
			update(ALICE, 99, endpoints("https://x.example.net")),
			Error::<Test>::RelayNotFound
		);
		assert_noop!(update(ALICE, relay, endpoints("gopher://x")), Error::<Test>::InvalidUrl);
		// Unchanged URL is fine.
		assert_ok!(update(ALICE, relay, endpoints("https://new.example.net")));
		assert_ok!(CapacityRegistry::leave(RuntimeOrigin::signed(ALICE), relay));
		assert_noop!(
			update(ALICE, relay, endpoints("https://x.example.net")),
			Error::<Test>::RelayLeaving
		);
	});
}

#[test]
fn update_endpoints_keeps_capabilities_consistent() {
	run(|| {
		let mut r = registration("https://amt.example.net");
		r.claims.capabilities = Capabilities(Capabilities::AMT_RELAY);
		r.endpoints.amt_relay = Some(IpAddress::V4([192, 0, 2, 9]));
		let relay = register(ALICE, r);
		assert_noop!(
			CapacityRegistry::update_endpoints(
				RuntimeOrigin::signed(ALICE),
				relay,
				endpoints("https://amt.example.net")
			),
			Error::<Test>::MissingAmtRelayAddress
		);
	});
}

#[test]
fn update_claims_reindexes_and_sends_an_active_relay_back_to_verification() {
	run(|| {
		let relay = register(ALICE, registration("https://edge.example.net"));
		CapacityRegistry::do_board_activate(relay, 900).unwrap();
		assert_ok!(CapacityRegistry::update_claims(
			RuntimeOrigin::signed(ALICE),
			relay,
			claims(
				2_000,
				vec![fp("ipv4cidr", "198.51.100.0/24", 2_000), fp("asn", "as64501", 100)]
			)
		));
		assert_eq!(status(relay), RelayStatus::Pending);
		assert_eq!(
			Relays::<Test>::get(relay).unwrap().verified_mbps,
			900,
			"the last measurement stays on record"
		);
		assert!(!Ipv4Footprints::<Test>::contains_key(
			Ipv4Cidr { prefix: [192, 0, 2, 0], len: 24 },
			relay
		));
		assert!(Ipv4Footprints::<Test>::contains_key(
			Ipv4Cidr { prefix: [198, 51, 100, 0], len: 24 },
			relay
		));
		assert!(AsnFootprints::<Test>::contains_key(64_501, relay));
		assert_eq!(last_event(), Event::ClaimsUpdated { relay });

		// A suspended relay stays suspended.
		CapacityRegistry::do_suspend(relay, Suspender::Board).unwrap();
		assert_ok!(CapacityRegistry::update_claims(
			RuntimeOrigin::signed(ALICE),
			relay,
			claims(500, vec![fp("countrycode", "de", 500)])
		));
		assert!(matches!(status(relay), RelayStatus::Suspended { by: Suspender::Board, .. }));

		let update = |who, c| CapacityRegistry::update_claims(RuntimeOrigin::signed(who), relay, c);
		assert_noop!(
			update(BOB, claims(500, vec![fp("asn", "as1", 5)])),
			Error::<Test>::NotOperator
		);
		assert_noop!(
			update(ALICE, claims(500, vec![fp("asn", "as1", 501)])),
			Error::<Test>::FootprintCapacityExceedsTotal
		);
		assert_noop!(
			update(ALICE, claims(500, vec![fp("ipv6cidr", "::1/0", 5)])),
			Error::<Test>::CidrHostBitsSet
		);
	});
}

#[test]
fn heartbeat_records_the_block() {
	run(|| {
		let relay = register(ALICE, registration("https://edge.example.net"));
		System::set_block_number(7);
		assert_ok!(CapacityRegistry::heartbeat(RuntimeOrigin::signed(ALICE), relay));
		assert_eq!(Relays::<Test>::get(relay).unwrap().last_heartbeat, 7);
		assert_eq!(last_event(), Event::Heartbeat { relay });
		assert_noop!(
			CapacityRegistry::heartbeat(RuntimeOrigin::signed(BOB), relay),
			Error::<Test>::NotOperator
		);
		assert_noop!(
			CapacityRegistry::heartbeat(RuntimeOrigin::signed(ALICE), 5),
			Error::<Test>::RelayNotFound
		);
		assert_ok!(CapacityRegistry::leave(RuntimeOrigin::signed(ALICE), relay));
		assert_noop!(
			CapacityRegistry::heartbeat(RuntimeOrigin::signed(ALICE), relay),
			Error::<Test>::RelayLeaving
		);
	});
}

#[test]
fn leave_then_withdraw_after_unbonding_releases_the_bond_and_removes_everything() {
	run(|| {
		let relay = register(
			ALICE,
			with_footprints(vec![
				fp("ipv4cidr", "192.0.2.0/24", 10),
				fp("ipv6cidr", "2001:db8::/48", 10),
			]),
		);
		let kept = register(ALICE, registration("https://kept.example.net"));
		assert_noop!(
			CapacityRegistry::withdraw_bond(RuntimeOrigin::signed(ALICE), relay),
			Error::<Test>::NotLeaving
		);
		assert_noop!(
			CapacityRegistry::leave(RuntimeOrigin::signed(BOB), relay),
			Error::<Test>::NotOperator
		);
		System::set_block_number(10);
		assert_ok!(CapacityRegistry::leave(RuntimeOrigin::signed(ALICE), relay));
		assert_eq!(status(relay), RelayStatus::Leaving { unbonds_at: 10 + UNBONDING });
		assert_eq!(last_event(), Event::RelayLeaving { relay, unbonds_at: 10 + UNBONDING });
		assert_noop!(
			CapacityRegistry::leave(RuntimeOrigin::signed(ALICE), relay),
			Error::<Test>::AlreadyLeaving
		);

		System::set_block_number(10 + UNBONDING - 1);
		assert_noop!(
			CapacityRegistry::withdraw_bond(RuntimeOrigin::signed(ALICE), relay),
			Error::<Test>::UnbondingNotFinished
		);
		System::set_block_number(10 + UNBONDING);
		assert_noop!(
			CapacityRegistry::withdraw_bond(RuntimeOrigin::signed(BOB), relay),
			Error::<Test>::NotOperator
		);
		let post = CapacityRegistry::withdraw_bond(RuntimeOrigin::signed(ALICE), relay).unwrap();
		assert_eq!(post.actual_weight, Some(<() as crate::WeightInfo>::withdraw_bond(2)));
		assert_eq!(last_event(), Event::RelayRemoved { relay, released: MIN_BOND });
		assert!(!Relays::<Test>::contains_key(relay));
		assert_eq!(held(ALICE), MIN_BOND, "only the other relay's bond stays held");
		assert_eq!(Balances::balance(&ALICE), INITIAL - MIN_BOND);
		assert_eq!(OperatorRelays::<Test>::get(ALICE).into_inner(), vec![kept]);
		assert_eq!(Ipv6Footprints::<Test>::iter_keys().count(), 0);
		assert_eq!(CidrLengthsInUse::<Test>::get(6, 48), None);
		assert_eq!(CidrLengthsInUse::<Test>::get(4, 24), Some(1));
		assert_noop!(
			CapacityRegistry::withdraw_bond(RuntimeOrigin::signed(ALICE), relay),
			Error::<Test>::RelayNotFound
		);

		// The URL is free again, and ids are never reused.
		assert_eq!(register(BOB, with_footprints(vec![fp("asn", "as64500", 5)])), 2);
	});
}

#[test]
fn relay_ids_are_never_reused_even_at_the_end() {
	run(|| {
		crate::NextRelayId::<Test>::put(u32::MAX);
		register_err(registration("https://edge.example.net"), MIN_BOND, Error::RelayIdsExhausted);
		crate::NextRelayId::<Test>::put(u32::MAX - 1);
		assert_eq!(register(ALICE, registration("https://edge.example.net")), u32::MAX - 1);
		register_err(registration("https://edge2.example.net"), MIN_BOND, Error::RelayIdsExhausted);
	});
}

#[test]
fn a_pause_stops_new_relays_and_providers_but_not_the_ones_registered() {
	run(|| {
		let relay = register(ALICE, registration("https://edge.example.net"));
		RegistrationsPaused::set(true);
		register_err(
			registration("https://edge2.example.net"),
			MIN_BOND,
			Error::RegistrationsPaused,
		);
		assert_noop!(
			CapacityRegistry::register_provider(
				RuntimeOrigin::signed(BOB),
				b"B".to_vec(),
				vec![b"b.example.com".to_vec()]
			),
			Error::<Test>::RegistrationsPaused
		);
		assert_ok!(CapacityRegistry::heartbeat(RuntimeOrigin::signed(ALICE), relay));
		RegistrationsPaused::set(false);
		register(ALICE, registration("https://edge2.example.net"));
	});
}

#[test]
fn the_market_footprint_limit_applies_below_the_storage_bound() {
	run(|| {
		FootprintLimit::set(2);
		let three = (0..3).map(|i| fp("ipv4cidr", &format!("10.{i}.0.0/16"), 10)).collect();
		register_err(with_footprints(three), MIN_BOND, Error::TooManyFootprints);
		let two = (0..2).map(|i| fp("ipv4cidr", &format!("10.{i}.0.0/16"), 10)).collect();
		assert_ok!(CapacityRegistry::register_relay(
			RuntimeOrigin::signed(ALICE),
			with_footprints(two),
			MIN_BOND
		));
		// A limit above the storage bound is capped by it.
		FootprintLimit::set(MAX_FOOTPRINTS + 10);
		let many =
			(0..=MAX_FOOTPRINTS).map(|i| fp("ipv4cidr", &format!("11.{i}.0.0/16"), 10)).collect();
		register_err(with_footprints(many), MIN_BOND, Error::TooManyFootprints);
	});
}

/// The attack: one big server proves capacity for a small relay (the PoB
/// endpoint elsewhere), or for several relays at once (each registering
/// the same server under another URL, or pointing its PoB endpoint at
/// another relay's). None registers.
#[test]
fn one_server_proves_capacity_for_one_relay_only() {
	run(|| {
		for elsewhere in [
			"https://big.example.net/.well-known/ocm/pob/v1",
			"https://edge.example.net.big.example.net/pob",
			"https://127.0.0.1/pob",
		] {
			let mut r = registration("https://edge.example.net");
			r.endpoints.pob = elsewhere.as_bytes().to_vec();
			register_err(r, MIN_BOND, Error::PobOffHost);
		}
		// The same host, however it is spelled, on another port and scheme
		// (HTTPS to viewers, cleartext to beacons), is the relay's own.
		let mut r = registration("https://edge.example.net");
		r.endpoints.pob = b"http://EDGE.example.net.:8080/.well-known/ocm/pob/v1".to_vec();
		let relay = register(ALICE, r);
		assert_eq!(RelayByAuthority::<Test>::get(url("edge.example.net:443")), Some(relay));
		assert_eq!(RelayByAuthority::<Test>::get(url("edge.example.net:8080")), Some(relay));

		// The same server under another spelling, scheme or path is taken,
		// as is its PoB endpoint for another relay's.
		for same in [
			"https://Edge.Example.Net",
			"https://edge.example.net:443/other-path",
			"http://edge.example.net:443",
			"https://someone@edge.example.net",
			"http://edge.example.net:8080",
		] {
			assert_noop!(
				CapacityRegistry::register_relay(
					RuntimeOrigin::signed(BOB),
					registration(same),
					MIN_BOND
				),
				Error::<Test>::DuplicateEndpoint
			);
		}
		let mut borrowing = registration("https://edge.example.net:9443");
		borrowing.endpoints.pob = b"http://edge.example.net:8080/pob".to_vec();
		register_err(borrowing, MIN_BOND, Error::DuplicateEndpoint);

		// Another port is another listener: a relay of its own.
		let other = register(BOB, registration("https://edge.example.net:9443"));
		assert_noop!(
			CapacityRegistry::update_endpoints(
				RuntimeOrigin::signed(BOB),
				other,
				endpoints("https://EDGE.example.net/x")
			),
			Error::<Test>::DuplicateEndpoint
		);
		let mut moved = endpoints("https://edge2.example.net");
		moved.pob = b"https://edge.example.net/.well-known/ocm/pob/v1".to_vec();
		assert_noop!(
			CapacityRegistry::update_endpoints(RuntimeOrigin::signed(BOB), other, moved),
			Error::<Test>::PobOffHost
		);
		// Moving the PoB endpoint frees the old authority and takes the new.
		let mut moved = endpoints("https://edge.example.net");
		moved.pob = b"http://edge.example.net:8081/pob".to_vec();
		assert_ok!(CapacityRegistry::update_endpoints(RuntimeOrigin::signed(ALICE), relay, moved));
		assert!(!RelayByAuthority::<Test>::contains_key(url("edge.example.net:8080")));
		assert_eq!(RelayByAuthority::<Test>::get(url("edge.example.net:8081")), Some(relay));
		assert_ok!(CapacityRegistry::do_try_state());
	});
}
