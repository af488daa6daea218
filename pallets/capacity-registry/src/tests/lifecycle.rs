//! Verdicts: proof of bandwidth through the `RelayRegistry` trait, the board
//! through its calls; suspension, reinstatement and slashing.

use super::*;
use crate::{Error, Relays};
use frame_support::{assert_noop, assert_ok, traits::fungible::Inspect};
use ocm_primitives::capacity::{RelayRegistry, RelaySummary};
use sp_runtime::{DispatchError, Perbill};

type Registry = CapacityRegistry;

#[test]
fn a_passing_verdict_activates_a_pending_relay() {
	run(|| {
		let relay = register(ALICE, registration("https://edge.example.net"));
		assert_eq!(
			<Registry as RelayRegistry<_, _>>::relay(relay),
			Some(RelaySummary {
				operator: ALICE,
				status: RelayStatus::Pending,
				claimed_mbps: 1_000,
				verified_mbps: 0,
				capabilities: registration("https://edge.example.net").claims.capabilities,
				asn: 64_500,
			})
		);
		assert_eq!(<Registry as RelayRegistry<_, _>>::relay_id_bound(), relay + 1);
		assert!(<Registry as RelayRegistry<_, _>>::pob_endpoint(relay).is_some());
		assert_eq!(<Registry as RelayRegistry<_, _>>::pob_endpoint(relay + 1), None);
		assert_ok!(<Registry as RelayRegistry<_, _>>::record_verified(relay, 950));
		assert_eq!(status(relay), RelayStatus::Active);
		assert_eq!(last_event(), Event::RelayActivated { relay, verified_mbps: 950 });
		// A later verdict updates the number only.
		assert_ok!(<Registry as RelayRegistry<_, _>>::record_verified(relay, 990));
		assert_eq!(last_event(), Event::CapacityVerified { relay, verified_mbps: 990 });
		assert_eq!(Relays::<Test>::get(relay).unwrap().verified_mbps, 990);
		assert_noop!(
			<Registry as RelayRegistry<_, _>>::record_verified(relay, 0),
			Error::<Test>::ZeroCapacity
		);
		assert_noop!(
			<Registry as RelayRegistry<_, _>>::record_verified(42, 10),
			Error::<Test>::RelayNotFound
		);
		assert_eq!(<Registry as RelayRegistry<_, _>>::relay(42), None);
	});
}

#[test]
fn a_pob_suspension_is_lifted_by_a_passing_verdict_but_a_board_one_is_not() {
	run(|| {
		let relay = register(ALICE, registration("https://edge.example.net"));
		assert_ok!(<Registry as RelayRegistry<_, _>>::record_verified(relay, 900));
		System::set_block_number(5);
		assert_ok!(<Registry as RelayRegistry<_, _>>::suspend(relay, Suspender::ProofOfBandwidth));
		assert_eq!(
			status(relay),
			RelayStatus::Suspended { by: Suspender::ProofOfBandwidth, since: 5 }
		);
		assert_eq!(last_event(), Event::RelaySuspended { relay, by: Suspender::ProofOfBandwidth });
		assert_ok!(<Registry as RelayRegistry<_, _>>::record_verified(relay, 800));
		assert_eq!(status(relay), RelayStatus::Active);

		assert_ok!(Registry::suspend_relay(RuntimeOrigin::root(), relay));
		assert_eq!(status(relay), RelayStatus::Suspended { by: Suspender::Board, since: 5 });
		// Neither a verdict nor a PoB suspension downgrades the board's.
		assert_ok!(<Registry as RelayRegistry<_, _>>::suspend(relay, Suspender::ProofOfBandwidth));
		assert_ok!(<Registry as RelayRegistry<_, _>>::record_verified(relay, 1_000));
		assert_eq!(status(relay), RelayStatus::Suspended { by: Suspender::Board, since: 5 });
		assert_eq!(last_event(), Event::CapacityVerified { relay, verified_mbps: 1_000 });
		// A PoB suspension is upgraded to the board's, keeping its start.
		let other = register(BOB, registration("https://bob.example.net"));
		System::set_block_number(6);
		assert_ok!(<Registry as RelayRegistry<_, _>>::suspend(other, Suspender::ProofOfBandwidth));
		System::set_block_number(8);
		assert_ok!(Registry::suspend_relay(RuntimeOrigin::root(), other));
		assert_eq!(status(other), RelayStatus::Suspended { by: Suspender::Board, since: 6 });
	});
}

#[test]
fn the_board_reinstates_into_pending_and_activates_directly() {
	run(|| {
		let relay = register(ALICE, registration("https://edge.example.net"));
		assert_noop!(
			Registry::reinstate_relay(RuntimeOrigin::root(), relay),
			Error::<Test>::NotSuspended
		);
		assert_ok!(Registry::suspend_relay(RuntimeOrigin::root(), relay));
		assert_ok!(Registry::reinstate_relay(RuntimeOrigin::root(), relay));
		assert_eq!(status(relay), RelayStatus::Pending);
		assert_eq!(last_event(), Event::RelayReinstated { relay });

		assert_ok!(Registry::activate_relay(RuntimeOrigin::root(), relay, 700));
		assert_eq!(status(relay), RelayStatus::Active);
		assert_eq!(Relays::<Test>::get(relay).unwrap().verified_mbps, 700);
		assert_noop!(
			Registry::activate_relay(RuntimeOrigin::root(), relay, 0),
			Error::<Test>::ZeroCapacity
		);
		assert_noop!(
			Registry::activate_relay(RuntimeOrigin::root(), 9, 10),
			Error::<Test>::RelayNotFound
		);
		assert_noop!(
			Registry::suspend_relay(RuntimeOrigin::root(), 9),
			Error::<Test>::RelayNotFound
		);
	});
}

#[test]
fn board_calls_need_the_board() {
	run(|| {
		let relay = register(ALICE, registration("https://edge.example.net"));
		let signed = RuntimeOrigin::signed(ALICE);
		assert_noop!(Registry::activate_relay(signed.clone(), relay, 10), DispatchError::BadOrigin);
		assert_noop!(Registry::suspend_relay(signed.clone(), relay), DispatchError::BadOrigin);
		assert_noop!(Registry::reinstate_relay(signed.clone(), relay), DispatchError::BadOrigin);
		assert_noop!(
			Registry::slash_relay(signed, relay, Perbill::one()),
			DispatchError::BadOrigin
		);
	});
}

#[test]
fn a_leaving_relay_takes_no_verdicts_but_stays_slashable() {
	run(|| {
		let relay = register(ALICE, registration("https://edge.example.net"));
		assert_ok!(Registry::leave(RuntimeOrigin::signed(ALICE), relay));
		assert_noop!(
			Registry::suspend_relay(RuntimeOrigin::root(), relay),
			Error::<Test>::RelayLeaving
		);
		assert_noop!(
			Registry::activate_relay(RuntimeOrigin::root(), relay, 10),
			Error::<Test>::RelayLeaving
		);
		assert_ok!(<Registry as RelayRegistry<_, _>>::record_verified(relay, 10));
		assert!(matches!(status(relay), RelayStatus::Leaving { .. }));
		assert_eq!(
			<Registry as RelayRegistry<_, _>>::slash(relay, Perbill::from_percent(10)),
			Ok(MIN_BOND / 10)
		);
	});
}

#[test]
fn slashing_takes_from_the_hold_burns_it_and_leaves_the_rest_to_withdraw() {
	run(|| {
		let relay = register(ALICE, registration("https://edge.example.net"));
		let issuance = Balances::total_issuance();
		assert_eq!(
			<Registry as RelayRegistry<_, _>>::slash(relay, Perbill::from_percent(25)),
			Ok(250)
		);
		assert_eq!(last_event(), Event::RelaySlashed { relay, amount: 250 });
		assert_eq!(held(ALICE), MIN_BOND - 250);
		assert_eq!(Relays::<Test>::get(relay).unwrap().bond, MIN_BOND - 250);
		assert_eq!(Balances::total_issuance(), issuance - 250, "OnSlash = () burns");
		assert_eq!(Balances::balance(&ALICE), INITIAL - MIN_BOND, "free balance is untouched");

		assert_ok!(Registry::slash_relay(RuntimeOrigin::root(), relay, Perbill::from_percent(50)));
		assert_eq!(held(ALICE), 375);
		assert_eq!(<Registry as RelayRegistry<_, _>>::slash(relay, Perbill::zero()), Ok(0));
		assert_noop!(
			Registry::slash_relay(RuntimeOrigin::root(), 7, Perbill::one()),
			Error::<Test>::RelayNotFound
		);

		assert_ok!(Registry::leave(RuntimeOrigin::signed(ALICE), relay));
		System::set_block_number(1 + UNBONDING);
		assert_ok!(Registry::withdraw_bond(RuntimeOrigin::signed(ALICE), relay));
		assert_eq!(last_event(), Event::RelayRemoved { relay, released: 375 });
		assert_eq!(held(ALICE), 0);
		assert_eq!(Balances::balance(&ALICE), INITIAL - 625);
	});
}

#[test]
fn a_fully_slashed_relay_withdraws_nothing() {
	run(|| {
		let relay = register(ALICE, registration("https://edge.example.net"));
		assert_ok!(Registry::slash_relay(RuntimeOrigin::root(), relay, Perbill::one()));
		assert_eq!(held(ALICE), 0);
		assert_ok!(Registry::leave(RuntimeOrigin::signed(ALICE), relay));
		System::set_block_number(1 + UNBONDING);
		assert_ok!(Registry::withdraw_bond(RuntimeOrigin::signed(ALICE), relay));
		assert_eq!(last_event(), Event::RelayRemoved { relay, released: 0 });
	});
}
