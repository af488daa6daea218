//! Every call through the board: refused from a signed account and from a
//! minority, done by the required majority, with the motion's hash on record.

use crate::{mock::*, Error, Event, MarketParameter, Parameters, Paused};
use codec::Encode;
use frame_support::{
	assert_noop, assert_ok,
	dispatch::GetDispatchInfo,
	traits::fungible::{Inspect, Mutate},
};
use ocm_primitives::capacity::{Capabilities, RelayStatus};
use pallet_capacity_registry::{
	ClaimsInput, CountryCode, EndpointsInput, FootprintInput, Location, RelayRegistration, Relays,
};
use sp_runtime::{
	traits::{BlakeTwo256, Hash},
	BuildStorage, DispatchError, Perbill,
};

type H256 = sp_core::H256;

fn governance(call: crate::Call<Test>) -> RuntimeCall {
	RuntimeCall::Governance(call)
}

/// Passes `call` with exactly `ayes` in favour: the first proposes it with a
/// threshold of `ayes.len()`, the others vote aye and the rest of the board
/// nay. A single aye makes the collective execute it at once with a
/// one-member origin, which is how a minority tries. Returns the motion's
/// hash and the result with which the board dispatched the call.
fn motion(call: RuntimeCall, ayes: &[AccountId]) -> (H256, Option<Result<(), DispatchError>>) {
	let hash = BlakeTwo256::hash_of(&call);
	let index = pallet_collective::ProposalCount::<Test, BoardInstance>::get();
	let len = call.encoded_size() as u32;
	let weight = call.get_dispatch_info().call_weight;
	let threshold = ayes.len() as u32;
	assert_ok!(Board::propose(RuntimeOrigin::signed(ayes[0]), threshold, Box::new(call), len));
	if threshold > 1 {
		for who in [ALICE, BOB, CHARLIE] {
			assert_ok!(Board::vote(RuntimeOrigin::signed(who), hash, index, ayes.contains(&who)));
		}
		assert_ok!(Board::close(RuntimeOrigin::signed(CHARLIE), hash, index, weight, len));
	}
	let result = System::events().into_iter().rev().find_map(|r| match r.event {
		RuntimeEvent::Board(pallet_collective::Event::Executed { proposal_hash, result })
			if proposal_hash == hash =>
		{
			Some(result)
		}
		_ => None,
	});
	(hash, result)
}

/// What a motion of one member of three gets from a board-majority call.
const MINORITY: Option<Result<(), DispatchError>> = Some(Err(DispatchError::BadOrigin));

fn last_event() -> Event<Test> {
	System::events()
		.into_iter()
		.rev()
		.find_map(|r| match r.event {
			RuntimeEvent::Governance(e) => Some(e),
			_ => None,
		})
		.expect("governance emitted an event")
}

/// A relay registration with `bond`, from Dave.
fn register_relay(bond: Balance) -> Result<(), DispatchError> {
	let registration = RelayRegistration {
		endpoints: EndpointsInput {
			http: b"https://edge.example.net".to_vec(),
			pob: b"https://edge.example.net/pob".to_vec(),
			amt_relay: None,
			multicast_source: None,
		},
		claims: ClaimsInput {
			location: Location { country: CountryCode(*b"NL"), asn: 64_500, coordinates: None },
			capacity_mbps: 100,
			footprints: vec![FootprintInput {
				footprint_type: b"asn".to_vec(),
				footprint_value: b"as64500".to_vec(),
				capacity_mbps: 100,
			}],
			capabilities: Capabilities(Capabilities::HTTP_1_1),
		},
	};
	CapacityRegistry::register_relay(RuntimeOrigin::signed(DAVE), registration, bond)
}

#[test]
fn set_parameter_needs_a_majority_and_changes_what_the_registry_requires() {
	run(|| {
		let raise = crate::Call::set_parameter { parameter: MarketParameter::MinRelayBond(5_000) };
		assert_noop!(
			Governance::set_parameter(
				RuntimeOrigin::signed(ALICE),
				MarketParameter::MinRelayBond(5_000)
			),
			DispatchError::BadOrigin
		);
		let (_, minority) = motion(governance(raise.clone()), &[ALICE]);
		assert_eq!(minority, MINORITY, "one member of three is not the board");
		assert_eq!(Parameters::<Test>::get().min_relay_bond, DEFAULTS.min_relay_bond);

		let (hash, result) = motion(governance(raise), &[ALICE, BOB]);
		assert_eq!(result, Some(Ok(())));
		assert_eq!(Parameters::<Test>::get().min_relay_bond, 5_000);
		assert_eq!(
			last_event(),
			Event::ParameterSet { parameter: MarketParameter::MinRelayBond(5_000), motion: hash }
		);
		// The next registration must bond the new minimum.
		assert_noop!(register_relay(1_000), pallet_capacity_registry::Error::<Test>::BondTooLow);
		assert_ok!(register_relay(5_000));
	});
}

#[test]
fn parameters_stay_within_their_bounds() {
	run(|| {
		for out_of_bounds in [
			MarketParameter::ProtocolFee(Perbill::from_percent(21)),
			MarketParameter::MinRelayBond(9),
			MarketParameter::MinBeaconBond(10_001),
			MarketParameter::UnbondingPeriod(9),
			MarketParameter::PobEpochLength(1_001),
			MarketParameter::BeaconsPerTest(0),
			MarketParameter::Tolerance(Perbill::from_percent(51)),
			MarketParameter::SettlementPeriod(0),
			MarketParameter::DisputeWindow(5_001),
			MarketParameter::MaxFootprints(9),
		] {
			let (_, result) = motion(
				governance(crate::Call::set_parameter { parameter: out_of_bounds }),
				&[ALICE, BOB],
			);
			assert_eq!(
				result,
				Some(Err(Error::<Test>::ParameterOutOfBounds.into())),
				"{out_of_bounds:?}"
			);
		}
		assert_eq!(Parameters::<Test>::get(), DEFAULTS, "nothing changed");
		for within in [
			MarketParameter::ProtocolFee(Perbill::from_percent(20)),
			MarketParameter::DisputeWindow(5),
			MarketParameter::UnbondingPeriod(10),
			MarketParameter::CapacityMargin(Perbill::one()),
			MarketParameter::SlashShare(Perbill::zero()),
			MarketParameter::MaxFootprints(1),
		] {
			let (_, result) =
				motion(governance(crate::Call::set_parameter { parameter: within }), &[ALICE, BOB]);
			assert_eq!(result, Some(Ok(())), "{within:?}");
		}
		let p = Parameters::<Test>::get();
		assert_eq!(
			(p.protocol_fee, p.unbonding_period, p.max_footprints),
			(Perbill::from_percent(20), 10, 1)
		);
	});
}

#[test]
fn the_board_suspends_and_reinstates_relays_with_a_reason() {
	run(|| {
		assert_ok!(register_relay(1_000));
		let activate =
			RuntimeCall::CapacityRegistry(pallet_capacity_registry::Call::activate_relay {
				relay: 0,
				verified_mbps: 100,
			});
		assert_eq!(motion(activate, &[ALICE, BOB]).1, Some(Ok(())));
		let suspend = crate::Call::suspend_relay { relay: 0, reason: b"junk payloads".to_vec() };
		assert_noop!(
			Governance::suspend_relay(RuntimeOrigin::signed(BOB), 0, b"x".to_vec()),
			DispatchError::BadOrigin
		);
		assert_eq!(motion(governance(suspend.clone()), &[ALICE]).1, MINORITY);
		let (hash, result) = motion(governance(suspend), &[ALICE, CHARLIE]);
		assert_eq!(result, Some(Ok(())));
		assert!(matches!(Relays::<Test>::get(0).unwrap().status, RelayStatus::Suspended { .. }));
		assert_eq!(
			last_event(),
			Event::RelaySuspended {
				relay: 0,
				reason: b"junk payloads".to_vec().try_into().unwrap(),
				motion: hash
			}
		);

		let too_long = crate::Call::reinstate_relay { relay: 0, reason: vec![b'x'; 65] };
		assert_eq!(
			motion(governance(too_long), &[ALICE, BOB]).1,
			Some(Err(Error::<Test>::ReasonTooLong.into()))
		);
		let missing = crate::Call::reinstate_relay { relay: 9, reason: b"typo".to_vec() };
		assert_eq!(
			motion(governance(missing), &[ALICE, BOB]).1,
			Some(Err(pallet_capacity_registry::Error::<Test>::RelayNotFound.into()))
		);
		let reinstate = crate::Call::reinstate_relay { relay: 0, reason: b"fixed".to_vec() };
		assert_eq!(motion(governance(reinstate), &[ALICE, BOB]).1, Some(Ok(())));
		assert_eq!(Relays::<Test>::get(0).unwrap().status, RelayStatus::Pending);
	});
}

#[test]
fn slashed_bonds_fill_the_pot_and_two_thirds_spend_it() {
	run(|| {
		assert_ok!(register_relay(1_000));
		let slash = RuntimeCall::CapacityRegistry(pallet_capacity_registry::Call::slash_relay {
			relay: 0,
			fraction: Perbill::from_percent(50),
		});
		assert_eq!(motion(slash, &[ALICE, BOB]).1, Some(Ok(())));
		let pot = Governance::pot();
		assert_eq!(Balances::balance(&pot), 500, "the slash went to the pot, not burned");

		let spend = |amount| crate::Call::spend { beneficiary: DAVE, amount };
		assert_noop!(
			Governance::spend(RuntimeOrigin::signed(ALICE), DAVE, 100),
			DispatchError::BadOrigin
		);
		assert_eq!(motion(governance(spend(100)), &[ALICE]).1, MINORITY);
		assert_eq!(
			motion(governance(spend(501)), &[ALICE, BOB]).1,
			Some(Err(Error::<Test>::InsufficientPot.into()))
		);
		assert_eq!(
			motion(governance(spend(0)), &[ALICE, BOB]).1,
			Some(Err(Error::<Test>::ZeroSpend.into()))
		);
		let before = Balances::balance(&DAVE);
		let (hash, result) = motion(governance(spend(300)), &[ALICE, BOB]);
		assert_eq!(result, Some(Ok(())));
		assert_eq!(Balances::balance(&DAVE), before + 300);
		assert_eq!(last_event(), Event::Spent { beneficiary: DAVE, amount: 300, motion: hash });
	});
}

#[test]
fn spending_needs_two_thirds_not_a_bare_majority() {
	run(|| {
		// Four members: three ayes is 75 %, two is 50 % (not two thirds).
		assert_ok!(Board::set_members(
			RuntimeOrigin::root(),
			vec![ALICE, BOB, CHARLIE, DAVE],
			None,
			3
		));
		Balances::set_balance(&Governance::pot(), 1_000);
		let call = governance(crate::Call::spend { beneficiary: 5, amount: 10 });
		let hash = BlakeTwo256::hash_of(&call);
		let len = call.encoded_size() as u32;
		let weight = call.get_dispatch_info().call_weight;
		assert_ok!(Board::propose(RuntimeOrigin::signed(ALICE), 2, Box::new(call), len));
		assert_ok!(Board::vote(RuntimeOrigin::signed(ALICE), hash, 0, true));
		assert_ok!(Board::vote(RuntimeOrigin::signed(BOB), hash, 0, true));
		assert_ok!(Board::close(RuntimeOrigin::signed(CHARLIE), hash, 0, weight, len));
		System::assert_has_event(RuntimeEvent::Board(pallet_collective::Event::Executed {
			proposal_hash: hash,
			result: Err(DispatchError::BadOrigin),
		}));
	});
}

#[test]
fn pause_stops_registrations_once_and_unpause_resumes_them() {
	run(|| {
		assert_noop!(Governance::pause(RuntimeOrigin::signed(ALICE)), DispatchError::BadOrigin);
		assert_eq!(
			motion(governance(crate::Call::unpause {}), &[ALICE, BOB]).1,
			Some(Err(Error::<Test>::NotPaused.into()))
		);
		assert_eq!(motion(governance(crate::Call::pause {}), &[BOB]).1, MINORITY);
		let (hash, result) = motion(governance(crate::Call::pause {}), &[ALICE, BOB]);
		assert_eq!(result, Some(Ok(())));
		assert!(Paused::<Test>::get());
		assert_eq!(last_event(), Event::Paused { motion: hash });
		assert_noop!(
			register_relay(1_000),
			pallet_capacity_registry::Error::<Test>::RegistrationsPaused
		);
		assert_eq!(
			motion(governance(crate::Call::pause {}), &[ALICE, BOB]).1,
			Some(Err(Error::<Test>::AlreadyPaused.into()))
		);
		assert_eq!(motion(governance(crate::Call::unpause {}), &[ALICE, BOB]).1, Some(Ok(())));
		assert_ok!(register_relay(1_000));
	});
}

#[test]
fn two_thirds_dispatch_as_root_and_failures_are_on_record() {
	run(|| {
		let set_code_like = Box::new(RuntimeCall::System(frame_system::Call::set_storage {
			items: vec![(b":ocm:test".to_vec(), b"1".to_vec())],
		}));
		assert_noop!(
			Governance::dispatch_as_root(RuntimeOrigin::signed(ALICE), set_code_like.clone()),
			DispatchError::BadOrigin
		);
		assert_eq!(
			motion(
				governance(crate::Call::dispatch_as_root { call: set_code_like.clone() }),
				&[ALICE]
			)
			.1,
			MINORITY
		);
		let (hash, result) = motion(
			governance(crate::Call::dispatch_as_root { call: set_code_like }),
			&[ALICE, BOB],
		);
		assert_eq!(result, Some(Ok(())));
		assert_eq!(sp_io::storage::get(b":ocm:test").map(|v| v.to_vec()), Some(b"1".to_vec()));
		assert_eq!(last_event(), Event::DispatchedAsRoot { result: Ok(()), motion: hash });

		// A call that fails as Root is reported, and the motion still executed.
		let failing = Box::new(governance(crate::Call::unpause {}));
		let (hash, result) =
			motion(governance(crate::Call::dispatch_as_root { call: failing }), &[ALICE, BOB]);
		assert_eq!(result, Some(Ok(())));
		assert_eq!(
			last_event(),
			Event::DispatchedAsRoot { result: Err(DispatchError::BadOrigin), motion: hash }
		);
	});
}

/// The attacks: a board majority shortening the epoch below its test
/// windows (no beacon can report before the verdict), or the unbonding
/// below the dispute window (a relay leaves with its bond before its last
/// batch can be proven false).
#[test]
fn parameters_that_do_not_hold_together_are_refused_with_the_reason() {
	run(|| {
		for (change, error) in [
			(MarketParameter::PobEpochLength(19), Error::<Test>::EpochShorterThanItsTests),
			(MarketParameter::DisputeWindow(101), Error::<Test>::UnbondingShorterThanDisputes),
			(MarketParameter::UnbondingPeriod(49), Error::<Test>::UnbondingShorterThanDisputes),
		] {
			let (_, result) =
				motion(governance(crate::Call::set_parameter { parameter: change }), &[ALICE, BOB]);
			assert_eq!(result, Some(Err(error.into())), "{change:?}");
		}
		assert_eq!(Parameters::<Test>::get(), DEFAULTS, "nothing changed");
		// In the order that keeps them together, the same values pass.
		for change in [MarketParameter::UnbondingPeriod(200), MarketParameter::DisputeWindow(101)] {
			let (_, result) =
				motion(governance(crate::Call::set_parameter { parameter: change }), &[ALICE, BOB]);
			assert_eq!(result, Some(Ok(())), "{change:?}");
		}
		crate::Pallet::<Test>::do_try_state().unwrap();
	});
}

#[test]
fn genesis_refuses_parameters_that_do_not_hold_together() {
	let mut bad = DEFAULTS;
	bad.unbonding_period = bad.dispute_window - 1;
	let outcome = std::panic::catch_unwind(|| {
		let mut storage = frame_system::GenesisConfig::<Test>::default().build_storage().unwrap();
		crate::GenesisConfig::<Test> { parameters: Some(bad) }.assimilate_storage(&mut storage)
	});
	assert!(outcome.is_err(), "conflicting genesis parameters are refused");
}

#[test]
fn genesis_refuses_parameters_outside_the_bounds() {
	let mut bad = DEFAULTS;
	bad.beacons_per_test = 0;
	let outcome = std::panic::catch_unwind(|| {
		let mut storage = frame_system::GenesisConfig::<Test>::default().build_storage().unwrap();
		crate::GenesisConfig::<Test> { parameters: Some(bad) }.assimilate_storage(&mut storage)
	});
	assert!(outcome.is_err(), "out-of-bounds genesis parameters are refused");
	run(|| assert_eq!(Parameters::<Test>::get(), DEFAULTS));
}
