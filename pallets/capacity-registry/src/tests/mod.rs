//! Unit tests; every test ends with `do_try_state` (see [`crate::mock::run`]).

mod lifecycle;
mod provider;
mod query;
mod relay;

use crate::{mock::*, types::*, Event};
use frame_support::assert_ok;
use ocm_primitives::capacity::Capabilities;

pub fn fp(footprint_type: &str, value: &str, capacity_mbps: u32) -> FootprintInput {
	FootprintInput {
		footprint_type: footprint_type.into(),
		footprint_value: value.into(),
		capacity_mbps,
	}
}

pub fn endpoints(http: &str) -> EndpointsInput {
	EndpointsInput {
		http: http.into(),
		pob: alloc::format!("{http}/pob").into_bytes(),
		amt_relay: None,
		multicast_source: None,
	}
}

pub fn claims(capacity_mbps: u32, footprints: Vec<FootprintInput>) -> ClaimsInput {
	ClaimsInput {
		location: Location { country: CountryCode(*b"NL"), asn: 64_500, coordinates: None },
		capacity_mbps,
		footprints,
		capabilities: Capabilities(Capabilities::HTTP_1_1 | Capabilities::TLS | Capabilities::HLS),
	}
}

/// A valid registration: 1 Gbit/s over 192.0.2.0/24.
pub fn registration(http: &str) -> RelayRegistration {
	RelayRegistration {
		endpoints: endpoints(http),
		claims: claims(1_000, vec![fp("ipv4cidr", "192.0.2.0/24", 1_000)]),
	}
}

pub fn register(who: AccountId, registration: RelayRegistration) -> RelayId {
	let id = crate::NextRelayId::<Test>::get();
	assert_ok!(CapacityRegistry::register_relay(
		RuntimeOrigin::signed(who),
		registration,
		MIN_BOND
	));
	id
}

pub fn status(relay: RelayId) -> RelayStatus<u64> {
	crate::Relays::<Test>::get(relay).expect("relay exists").status
}

pub fn last_event() -> Event<Test> {
	System::events()
		.into_iter()
		.rev()
		.find_map(|r| match r.event {
			RuntimeEvent::CapacityRegistry(e) => Some(e),
			_ => None,
		})
		.expect("the registry emitted an event")
}

pub fn held(who: AccountId) -> Balance {
	use frame_support::traits::fungible::InspectHold;
	Balances::balance_on_hold(&crate::HoldReason::RelayBond.into(), &who)
}
