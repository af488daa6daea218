//! The board's rules as this runtime configures them: motions that act on the
//! market need a majority, seat changes need two thirds, only members propose
//! and vote, and bad motions get the collective's errors.

use super::*;
use codec::Encode;
use frame_support::{assert_noop, assert_ok, dispatch::GetDispatchInfo};
use pallet_collective::{Error, Event as CouncilEvent};
use sp_keyring::Sr25519Keyring::{self, *};
use sp_runtime::{
	traits::{BlakeTwo256, Hash as _},
	DispatchError,
};

type CouncilError = Error<Runtime, CouncilCollective>;

/// An open motion: what a proposer gets back and a closer needs.
struct Motion {
	call: RuntimeCall,
	hash: Hash,
	index: u32,
}

impl Motion {
	fn len(&self) -> u32 {
		self.call.encoded_size() as u32
	}

	fn vote(
		&self,
		who: Sr25519Keyring,
		approve: bool,
	) -> frame_support::dispatch::DispatchResultWithPostInfo {
		Council::vote(signed(who), self.hash, self.index, approve)
	}

	fn close(&self, who: Sr25519Keyring) -> frame_support::dispatch::DispatchResultWithPostInfo {
		Council::close(
			signed(who),
			self.hash,
			self.index,
			self.call.get_dispatch_info().call_weight,
			self.len(),
		)
	}
}

fn propose(who: Sr25519Keyring, threshold: u32, call: RuntimeCall) -> Motion {
	let hash = BlakeTwo256::hash_of(&call);
	let index = pallet_collective::ProposalCount::<Runtime, CouncilCollective>::get();
	let len = call.encoded_size() as u32;
	assert_ok!(Council::propose(signed(who), threshold, Box::new(call.clone()), len));
	Motion { call, hash, index }
}

fn add_member(who: Sr25519Keyring) -> RuntimeCall {
	RuntimeCall::CouncilMembership(pallet_membership::Call::add_member {
		who: sp_runtime::MultiAddress::Id(account(who)),
	})
}

fn remove_member(who: Sr25519Keyring) -> RuntimeCall {
	RuntimeCall::CouncilMembership(pallet_membership::Call::remove_member {
		who: sp_runtime::MultiAddress::Id(account(who)),
	})
}

fn disapprove(hash: Hash) -> RuntimeCall {
	RuntimeCall::Council(pallet_collective::Call::disapprove_proposal { proposal_hash: hash })
}

fn remark() -> RuntimeCall {
	RuntimeCall::System(frame_system::Call::remark_with_event { remark: b"spam".to_vec() })
}

/// The result with which the collective dispatched motion `hash`, if it did.
fn executed(hash: Hash) -> Option<Result<(), DispatchError>> {
	System::events().into_iter().rev().find_map(|record| match record.event {
		RuntimeEvent::Council(CouncilEvent::Executed { proposal_hash, result })
			if proposal_hash == hash =>
		{
			Some(result)
		}
		_ => None,
	})
}

fn is_open(hash: Hash) -> bool {
	pallet_collective::Proposals::<Runtime, CouncilCollective>::get().contains(&hash)
}

fn board() -> Vec<AccountId> {
	pallet_collective::Members::<Runtime, CouncilCollective>::get()
}

#[test]
fn majority_motion_passes() {
	dev_chain().execute_with(|| {
		let spam = propose(Bob, 3, remark());
		let motion = propose(Alice, 2, disapprove(spam.hash));
		assert_ok!(motion.vote(Alice, true));
		assert_ok!(motion.vote(Charlie, true));
		assert_ok!(motion.close(Charlie));

		assert_eq!(executed(motion.hash), Some(Ok(())));
		assert!(!is_open(spam.hash), "a majority disapproves the spam motion");
		System::assert_has_event(RuntimeEvent::Council(CouncilEvent::Disapproved {
			proposal_hash: spam.hash,
		}));
	});
}

#[test]
fn motion_without_majority_fails() {
	dev_chain().execute_with(|| {
		let spam = propose(Bob, 3, remark());

		// One member of three: the collective executes at once, the
		// disapproval's origin check refuses it.
		let lone = propose(Alice, 1, disapprove(spam.hash));
		assert_eq!(executed(lone.hash), Some(Err(DispatchError::BadOrigin)));
		assert!(is_open(spam.hash));

		// Two of three vote nay: the motion is rejected and never executes.
		System::reset_events();
		let outvoted = propose(Alice, 2, disapprove(spam.hash));
		assert_ok!(outvoted.vote(Alice, true));
		assert_ok!(outvoted.vote(Bob, false));
		assert_ok!(outvoted.vote(Charlie, false));
		assert_ok!(outvoted.close(Alice));
		System::assert_has_event(RuntimeEvent::Council(CouncilEvent::Disapproved {
			proposal_hash: outvoted.hash,
		}));
		assert_eq!(executed(outvoted.hash), None);
		assert!(is_open(spam.hash));
	});
}

#[test]
fn membership_change_needs_two_thirds() {
	dev_chain().execute_with(|| {
		// Two of three is two thirds: Dave joins the board.
		let seat_dave = propose(Alice, 2, add_member(Dave));
		assert_ok!(seat_dave.vote(Alice, true));
		assert_ok!(seat_dave.vote(Bob, true));
		assert_ok!(seat_dave.close(Bob));
		assert_eq!(executed(seat_dave.hash), Some(Ok(())));
		assert!(board().contains(&account(Dave)));
		assert_eq!(board().len(), 4);

		// Two of four is a half, not two thirds: Charlie keeps the seat.
		let half = propose(Alice, 2, remove_member(Charlie));
		assert_ok!(half.vote(Alice, true));
		assert_ok!(half.vote(Dave, true));
		assert_ok!(half.close(Alice));
		assert_eq!(executed(half.hash), Some(Err(DispatchError::BadOrigin)));
		assert!(board().contains(&account(Charlie)));

		// Three of four is enough.
		System::reset_events();
		let three = propose(Alice, 3, remove_member(Charlie));
		for who in [Alice, Bob, Dave] {
			assert_ok!(three.vote(who, true));
		}
		assert_ok!(three.close(Dave));
		assert_eq!(executed(three.hash), Some(Ok(())));
		assert!(!board().contains(&account(Charlie)));
		assert_eq!(
			pallet_membership::Members::<Runtime, CouncilMembershipInstance>::get().into_inner(),
			board(),
			"membership and collective stay in step"
		);
	});
}

#[test]
fn seats_cannot_be_changed_outside_a_motion() {
	dev_chain().execute_with(|| {
		assert_noop!(
			CouncilMembership::add_member(signed(Alice), account(Dave).into()),
			DispatchError::BadOrigin
		);
		assert_noop!(
			Council::set_members(signed(Alice), vec![account(Alice)], None, 3),
			DispatchError::BadOrigin
		);
	});
}

#[test]
fn non_members_cannot_propose_or_vote() {
	dev_chain().execute_with(|| {
		let call = add_member(Dave);
		let len = call.encoded_size() as u32;
		assert_noop!(
			Council::propose(signed(Dave), 2, Box::new(call), len),
			CouncilError::NotMember
		);

		let motion = propose(Alice, 2, add_member(Eve));
		assert_noop!(motion.vote(Dave, true), CouncilError::NotMember);
		assert!(!board().contains(&account(Eve)));
	});
}

#[test]
fn bad_motions_get_clear_errors() {
	dev_chain().execute_with(|| {
		let motion = propose(Alice, 2, add_member(Dave));

		// The same member voting the same way twice.
		assert_ok!(motion.vote(Alice, true));
		assert_noop!(motion.vote(Alice, true), CouncilError::DuplicateVote);

		// Closing before the threshold is met or the motion has expired.
		assert_noop!(motion.close(Alice), CouncilError::TooEarly);

		// The same motion proposed twice.
		let len = motion.len();
		assert_noop!(
			Council::propose(signed(Bob), 2, Box::new(motion.call.clone()), len),
			CouncilError::DuplicateProposal
		);

		// A length bound shorter than the call.
		let call = add_member(Eve);
		let short = call.encoded_size() as u32 - 1;
		assert_noop!(
			Council::propose(signed(Bob), 2, Box::new(call), short),
			CouncilError::WrongProposalLength
		);

		// Votes and closes that name a motion wrongly.
		assert_noop!(
			Council::vote(signed(Bob), motion.hash, motion.index + 1, true),
			CouncilError::WrongIndex
		);
		assert_noop!(
			Council::vote(signed(Bob), Hash::repeat_byte(7), motion.index, true),
			CouncilError::ProposalMissing
		);

		// Met threshold, but a weight bound below the call's weight.
		assert_ok!(motion.vote(Bob, true));
		let weight = motion.call.get_dispatch_info().call_weight;
		assert!(weight.ref_time() > 0);
		assert_noop!(
			Council::close(
				signed(Bob),
				motion.hash,
				motion.index,
				weight.saturating_sub(frame_support::weights::Weight::from_parts(1, 0)),
				motion.len()
			),
			CouncilError::WrongProposalWeight
		);
		assert_ok!(motion.close(Bob));
		assert!(board().contains(&account(Dave)));
	});
}

#[test]
fn open_motions_expire_and_silence_counts_as_nay() {
	dev_chain().execute_with(|| {
		let motion = propose(Alice, 2, add_member(Dave));
		assert_ok!(motion.vote(Alice, true));
		assert_noop!(motion.close(Alice), CouncilError::TooEarly);

		System::set_block_number(1 + MotionDuration::get());
		assert_ok!(motion.close(Alice));
		System::assert_has_event(RuntimeEvent::Council(CouncilEvent::Disapproved {
			proposal_hash: motion.hash,
		}));
		assert!(!board().contains(&account(Dave)));
	});
}

/// A relay registered by Dave, 1 Gbit/s over 192.0.2.0/24, with the minimum bond.
fn register_relay() -> pallet_capacity_registry::RelayId {
	use pallet_capacity_registry::*;
	let registration = RelayRegistration {
		endpoints: EndpointsInput {
			http: b"https://edge.example.net".to_vec(),
			pob: b"https://edge.example.net/pob".to_vec(),
			amt_relay: None,
			multicast_source: None,
		},
		claims: ClaimsInput {
			location: Location { country: CountryCode(*b"NL"), asn: 64_500, coordinates: None },
			capacity_mbps: 1_000,
			footprints: vec![FootprintInput {
				footprint_type: b"ipv4cidr".to_vec(),
				footprint_value: b"192.0.2.0/24".to_vec(),
				capacity_mbps: 1_000,
			}],
			capabilities: Capabilities(Capabilities::HTTP_1_1),
		},
	};
	let relay = pallet_capacity_registry::NextRelayId::<Runtime>::get();
	assert_ok!(CapacityRegistry::register_relay(
		signed(Dave),
		registration,
		GENESIS_MARKET_PARAMETERS.min_relay_bond
	));
	relay
}

fn registry(call: pallet_capacity_registry::Call<Runtime>) -> RuntimeCall {
	RuntimeCall::CapacityRegistry(call)
}

#[test]
fn a_board_majority_judges_relays_and_one_member_cannot() {
	use frame_support::traits::fungible::InspectHold;
	use pallet_capacity_registry::{Call, HoldReason, RelayStatus, Relays};
	dev_chain().execute_with(|| {
		let relay = register_relay();
		let bond = GENESIS_MARKET_PARAMETERS.min_relay_bond;
		assert_eq!(
			Balances::balance_on_hold(&HoldReason::RelayBond.into(), &account(Dave)),
			bond,
			"the bond is a hold under the runtime's hold reason"
		);
		assert_noop!(
			CapacityRegistry::activate_relay(signed(Alice), relay, 900),
			DispatchError::BadOrigin
		);
		let lone = propose(Alice, 1, registry(Call::activate_relay { relay, verified_mbps: 900 }));
		assert_eq!(executed(lone.hash), Some(Err(DispatchError::BadOrigin)));

		let activate =
			propose(Alice, 2, registry(Call::activate_relay { relay, verified_mbps: 900 }));
		assert_ok!(activate.vote(Alice, true));
		assert_ok!(activate.vote(Bob, true));
		assert_ok!(activate.close(Charlie));
		assert_eq!(executed(activate.hash), Some(Ok(())));
		assert_eq!(Relays::<Runtime>::get(relay).unwrap().status, RelayStatus::Active);

		let issuance = Balances::total_issuance();
		let pot = Governance::pot();
		let slash = propose(
			Bob,
			2,
			registry(Call::slash_relay { relay, fraction: sp_runtime::Perbill::from_percent(10) }),
		);
		assert_ok!(slash.vote(Bob, true));
		assert_ok!(slash.vote(Charlie, true));
		assert_ok!(slash.close(Alice));
		assert_eq!(executed(slash.hash), Some(Ok(())));
		assert_eq!(Relays::<Runtime>::get(relay).unwrap().bond, bond - bond / 10);
		assert_eq!(Balances::total_issuance(), issuance, "slashed bonds are not burned");
		assert_eq!(
			Balances::free_balance(&pot),
			EXISTENTIAL_DEPOSIT + bond / 10,
			"they go to the protocol pot"
		);
	});
}

#[test]
fn a_board_majority_sets_a_market_parameter_and_the_event_names_the_motion() {
	use pallet_ocm_governance::{Call, Event as GovernanceEvent, MarketParameter, Parameters};
	dev_chain().execute_with(|| {
		let raise = MarketParameter::MinRelayBond(500 * UNITS);
		let call = RuntimeCall::Governance(Call::set_parameter { parameter: raise });
		let lone = propose(Alice, 1, call.clone());
		assert_eq!(executed(lone.hash), Some(Err(DispatchError::BadOrigin)));

		let motion = propose(Alice, 2, call);
		assert_ok!(motion.vote(Alice, true));
		assert_ok!(motion.vote(Bob, true));
		assert_ok!(motion.close(Charlie));
		assert_eq!(executed(motion.hash), Some(Ok(())));
		assert_eq!(Parameters::<Runtime>::get().min_relay_bond, 500 * UNITS);
		System::assert_has_event(RuntimeEvent::Governance(GovernanceEvent::ParameterSet {
			parameter: raise,
			motion: motion.hash,
		}));
	});
}

#[test]
fn root_takes_two_thirds_of_the_board() {
	use pallet_ocm_governance::Call;
	dev_chain().execute_with(|| {
		let as_root = |call: RuntimeCall| {
			RuntimeCall::Governance(Call::dispatch_as_root { call: Box::new(call) })
		};
		// Root can reseat the collective directly; two of three may.
		let reseat = RuntimeCall::Council(pallet_collective::Call::set_members {
			new_members: vec![account(Alice), account(Bob), account(Charlie), account(Dave)],
			prime: None,
			old_count: 3,
		});
		let lone = propose(Alice, 1, as_root(reseat.clone()));
		assert_eq!(executed(lone.hash), Some(Err(DispatchError::BadOrigin)));
		let motion = propose(Alice, 2, as_root(reseat));
		assert_ok!(motion.vote(Alice, true));
		assert_ok!(motion.vote(Bob, true));
		assert_ok!(motion.close(Charlie));
		assert_eq!(executed(motion.hash), Some(Ok(())));
		assert!(board().contains(&account(Dave)));
	});
}
