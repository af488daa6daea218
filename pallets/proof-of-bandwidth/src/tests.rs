//! Unit tests: beacons, assignment, report authorization, verdicts.

use crate::{
	features::{commitment_signing_payload, signing_payload},
	mock::*,
	types::*,
	Assignments, BeaconAssignment, Beacons, Commitments, CurrentEpoch, Error, Event, HoldReason,
	Reports, RetiredRecords, Tracks,
};
use codec::Encode;
use frame_support::{
	assert_noop, assert_ok,
	dispatch::{DispatchClass, GetDispatchInfo},
	pallet_prelude::{InvalidTransaction, TransactionSource, TransactionValidityError},
	traits::{fungible::InspectHold, Authorize, Hooks},
	BoundedVec,
};
use ocm_pob::commitment::{commits_from_ms, digest, reveals_from_ms};
use ocm_primitives::capacity::{RelayStatus, Suspender};
use sp_core::Pair;
use sp_runtime::{traits::Dispatchable, DispatchError, MultiSignature, Perbill};

const NL: [u8; 2] = *b"NL";

fn register(n: u8, capacity_mbps: u32, asn: u32) {
	assert_ok!(Pob::register_beacon(
		RuntimeOrigin::signed(beacon(n)),
		BeaconLocation { country: NL, asn },
		capacity_mbps
	));
}

/// Runs blocks up to `n`, with the pallet's hook at each.
fn run_to(n: u64) {
	while System::block_number() < n {
		System::set_block_number(System::block_number() + 1);
		Pob::on_initialize(System::block_number());
	}
}

/// Opens the first epoch at the current block.
fn open() {
	Pob::on_initialize(System::block_number());
}

/// Moves the clock past the current epoch's window.
fn end_window() {
	let epoch = CurrentEpoch::<Test>::get();
	NowMs::set(epoch.window_start_ms + u64::from(epoch.window_secs) * 1_000);
}

fn signed_report(
	n: u8,
	relay: u32,
	epoch: u32,
	seconds: &[u64],
) -> (ReportOf<Test>, MultiSignature) {
	let report = Report {
		epoch,
		relay,
		beacon: beacon(n),
		bytes_per_second: BoundedVec::truncate_from(seconds.to_vec()),
	};
	let genesis = System::block_hash(0);
	let signature = beacon_pair(n).sign(&signing_payload(genesis.as_ref(), &report));
	(report, MultiSignature::Sr25519(signature))
}

/// The salt the tests' beacons commit with.
const SALT: [u8; 32] = [0x5a; 32];

/// Beacon `report.beacon`'s signed commitment to `report` with `salt`.
fn signed_commitment(
	report: &ReportOf<Test>,
	salt: &[u8; 32],
) -> (CommitmentOf<Test>, MultiSignature) {
	let commitment = Commitment {
		epoch: report.epoch,
		relay: report.relay,
		beacon: report.beacon.clone(),
		digest: digest(salt, &report.encode()),
	};
	let genesis = System::block_hash(0);
	let payload = commitment_signing_payload(genesis.as_ref(), &commitment);
	let signature = beacon_pair(index_of(&report.beacon)).sign(&payload);
	(commitment, MultiSignature::Sr25519(signature))
}

/// Authorizes `call` as the pool and block execution do, then dispatches
/// it with the `Authorized` origin.
fn authorize_and_dispatch(call: RuntimeCall) -> Result<(), TransactionValidityError> {
	call.authorize(TransactionSource::External).expect("the call is authorized")?;
	call.dispatch(frame_system::RawOrigin::Authorized.into())
		.expect("an authorized call is accepted");
	Ok(())
}

fn commit(
	commitment: CommitmentOf<Test>,
	signature: MultiSignature,
) -> Result<(), TransactionValidityError> {
	authorize_and_dispatch(RuntimeCall::Pob(crate::Call::commit_report { commitment, signature }))
}

fn reveal(
	report: ReportOf<Test>,
	salt: [u8; 32],
	signature: MultiSignature,
) -> Result<(), TransactionValidityError> {
	authorize_and_dispatch(RuntimeCall::Pob(crate::Call::submit_report { report, salt, signature }))
}

/// What an honest beacon does with a report: commits to it (unless it
/// already has), then reveals it once commitments close. The commitment is
/// sent at the clock's time, or at the window's end if the clock is already
/// past commitments (the tests submit several reports one after another);
/// the clock is left where reveals are open.
fn submit(
	report: ReportOf<Test>,
	signature: MultiSignature,
) -> Result<(), TransactionValidityError> {
	let epoch = CurrentEpoch::<Test>::get();
	let reveals_from = reveals_from_ms(epoch.window_start_ms, epoch.window_secs);
	let now = NowMs::get();
	if !Commitments::<Test>::contains_key(report.relay, &report.beacon) {
		if now >= reveals_from {
			NowMs::set(commits_from_ms(epoch.window_start_ms, epoch.window_secs));
		}
		let (commitment, commitment_signature) = signed_commitment(&report, &SALT);
		let committed = commit(commitment, commitment_signature);
		NowMs::set(now);
		committed?;
	}
	NowMs::set(now.max(reveals_from));
	reveal(report, SALT, signature)
}

fn rejected(code: ReportRejection) -> Result<(), TransactionValidityError> {
	Err(TransactionValidityError::Invalid(InvalidTransaction::Custom(code as u8)))
}

fn assigned(relay: u32) -> Vec<AccountId> {
	Assignments::<Test>::get(relay).map(|a| a.accounts().cloned().collect()).unwrap_or_default()
}

fn index_of(account: &AccountId) -> u8 {
	(0..12).find(|n| &beacon(*n) == account).unwrap()
}

fn events() -> Vec<Event<Test>> {
	System::events()
		.into_iter()
		.filter_map(|r| match r.event {
			RuntimeEvent::Pob(e) => Some(e),
			_ => None,
		})
		.collect()
}

/// Three 100 Mbit/s beacons in ASNs 1..=3 and a relay 0 claiming 200 in ASN 9.
fn three_beacons_one_relay() {
	for n in 0..3 {
		register(n, 100, u32::from(n) + 1);
	}
	add_relay(0, 200, 9);
	open();
	assert_eq!(assigned(0).len(), 3);
}

mod beacons {
	use super::*;

	#[test]
	fn registering_holds_the_bond_and_deregistering_releases_it() {
		run(|| {
			register(0, 250, 64_500);
			let info = Beacons::<Test>::get(beacon(0)).unwrap();
			assert_eq!(info.capacity_mbps, 250);
			assert_eq!(info.reputation, INITIAL_REPUTATION);
			assert_eq!(Balances::balance_on_hold(&HoldReason::BeaconBond.into(), &beacon(0)), BOND);
			assert_noop!(
				Pob::register_beacon(
					RuntimeOrigin::signed(beacon(0)),
					BeaconLocation { country: NL, asn: 1 },
					10
				),
				Error::<Test>::AlreadyRegistered
			);
			assert_ok!(Pob::update_beacon(
				RuntimeOrigin::signed(beacon(0)),
				BeaconLocation { country: *b"DE", asn: 3320 },
				400
			));
			assert_eq!(Beacons::<Test>::get(beacon(0)).unwrap().location.asn, 3320);
			assert_ok!(Pob::deregister_beacon(RuntimeOrigin::signed(beacon(0))));
			assert_eq!(Balances::balance_on_hold(&HoldReason::BeaconBond.into(), &beacon(0)), 0);
			assert!(!Beacons::<Test>::contains_key(beacon(0)));
			assert_noop!(
				Pob::deregister_beacon(RuntimeOrigin::signed(beacon(0))),
				Error::<Test>::NotRegistered
			);
		});
	}

	#[test]
	fn bad_registrations_are_refused_and_change_nothing() {
		run(|| {
			let at = |country: &[u8; 2]| BeaconLocation { country: *country, asn: 1 };
			let origin = || RuntimeOrigin::signed(beacon(0));
			assert_noop!(Pob::register_beacon(origin(), at(b"nl"), 10), Error::<Test>::BadCountry);
			assert_noop!(Pob::register_beacon(origin(), at(b"N1"), 10), Error::<Test>::BadCountry);
			assert_noop!(Pob::register_beacon(origin(), at(&NL), 0), Error::<Test>::ZeroCapacity);
			assert_noop!(
				Pob::register_beacon(origin(), at(&NL), 10_001),
				Error::<Test>::CapacityTooHigh
			);
			RegistrationsPaused::set(true);
			assert_noop!(
				Pob::register_beacon(origin(), at(&NL), 10),
				Error::<Test>::RegistrationsPaused
			);
			RegistrationsPaused::set(false);
			let poor = AccountId::new([7; 32]);
			assert!(Pob::register_beacon(RuntimeOrigin::signed(poor), at(&NL), 10).is_err());
			assert_eq!(Beacons::<Test>::count(), 0);
			assert_noop!(Pob::update_beacon(origin(), at(&NL), 10), Error::<Test>::NotRegistered);
		});
	}

	#[test]
	fn rewards_wait_for_a_pot_that_can_pay_and_leaving_collects_them() {
		run(|| {
			register(0, 100, 1);
			Beacons::<Test>::mutate(beacon(0), |b| b.as_mut().unwrap().unclaimed = INITIAL * 2);
			assert_noop!(
				Pob::claim_rewards(RuntimeOrigin::signed(beacon(0))),
				Error::<Test>::PotEmpty
			);
			Beacons::<Test>::mutate(beacon(0), |b| b.as_mut().unwrap().unclaimed = 7);
			assert_ok!(Pob::deregister_beacon(RuntimeOrigin::signed(beacon(0))));
			assert_eq!(Balances::free_balance(beacon(0)), INITIAL + 7);
			assert!(events().contains(&Event::RewardsClaimed { beacon: beacon(0), amount: 7 }));
		});
	}

	#[test]
	fn the_beacon_set_is_bounded() {
		run(|| {
			for n in 0..12 {
				register(n, 10, 1);
			}
			for i in 12..MAX_BEACONS {
				let who = AccountId::new([i as u8; 32]);
				let _ = Balances::force_set_balance(RuntimeOrigin::root(), who.clone(), INITIAL);
				assert_ok!(Pob::register_beacon(
					RuntimeOrigin::signed(who),
					BeaconLocation { country: NL, asn: 1 },
					10
				));
			}
			let extra = AccountId::new([200; 32]);
			let _ = Balances::force_set_balance(RuntimeOrigin::root(), extra.clone(), INITIAL);
			assert_noop!(
				Pob::register_beacon(
					RuntimeOrigin::signed(extra),
					BeaconLocation { country: NL, asn: 1 },
					10
				),
				Error::<Test>::TooManyBeacons
			);
		});
	}

	#[test]
	fn an_assigned_beacon_leaves_only_after_its_epoch() {
		run(|| {
			three_beacons_one_relay();
			let busy = assigned(0)[0].clone();
			assert_noop!(
				Pob::deregister_beacon(RuntimeOrigin::signed(busy.clone())),
				Error::<Test>::AssignedThisEpoch
			);
			add_relay(0, 10_000, 9); // no longer coverable: no assignment next epoch
			run_to(1 + EPOCH);
			assert_ok!(Pob::deregister_beacon(RuntimeOrigin::signed(busy)));
		});
	}
}

mod reregistration {
	use super::*;

	/// The Sybil's reset: a beacon with a poor record, or a strike, leaves
	/// and registers again to start clean (and be silent once more without
	/// paying). Its record stays with its account; a good record is not
	/// carried over (a new start is the most anyone gets).
	#[test]
	fn leaving_does_not_wash_a_poor_record() {
		run(|| {
			register(0, 100, 1);
			Beacons::<Test>::mutate(beacon(0), |b| b.as_mut().unwrap().reputation = 120);
			assert_ok!(Pob::deregister_beacon(RuntimeOrigin::signed(beacon(0))));
			register(0, 100, 1);
			assert_eq!(Beacons::<Test>::get(beacon(0)).unwrap().reputation, 120);

			register(2, 100, 3);
			Beacons::<Test>::mutate(beacon(2), |b| b.as_mut().unwrap().strikes = 1);
			assert_ok!(Pob::deregister_beacon(RuntimeOrigin::signed(beacon(2))));
			register(2, 100, 3);
			let back = Beacons::<Test>::get(beacon(2)).unwrap();
			assert_eq!((back.reputation, back.strikes), (INITIAL_REPUTATION, 1));
			assert!(RetiredRecords::<Test>::get(beacon(2)).is_none(), "taken back");

			register(1, 100, 2);
			Beacons::<Test>::mutate(beacon(1), |b| b.as_mut().unwrap().reputation = 900);
			assert_ok!(Pob::deregister_beacon(RuntimeOrigin::signed(beacon(1))));
			register(1, 100, 2);
			assert_eq!(Beacons::<Test>::get(beacon(1)).unwrap().reputation, INITIAL_REPUTATION);
		});
	}
}

mod assignment {
	use super::*;

	fn plan() -> Vec<(u32, Vec<AccountId>)> {
		let mut plan: Vec<_> = Assignments::<Test>::iter()
			.map(|(r, a)| (r, a.accounts().cloned().collect()))
			.collect();
		plan.sort();
		plan
	}

	fn setup() {
		for n in 0..12 {
			register(n, 100 + u32::from(n) * 10, 64_500 + u32::from(n % 4));
		}
		add_relay(0, 250, 64_500);
		add_relay(1, 300, 64_501);
		add_relay(2, 200, 7);
	}

	#[test]
	fn the_same_randomness_gives_the_same_plan_and_other_randomness_another() {
		let first = std::cell::RefCell::new(vec![]);
		run(|| {
			setup();
			open();
			*first.borrow_mut() = plan();
		});
		run(|| {
			setup();
			open();
			assert_eq!(plan(), *first.borrow(), "deterministic");
		});
		let differs = (1..8).any(|salt| {
			let mut other = vec![];
			Salt::set(salt);
			run(|| {
				setup();
				open();
				other = plan();
			});
			other != *first.borrow()
		});
		Salt::set(0);
		assert!(differs, "the randomness decides");
	}

	#[test]
	fn every_test_has_enough_independent_capacity() {
		run(|| {
			setup();
			open();
			assert_eq!(Assignments::<Test>::count(), 3);
			for (relay, test) in Assignments::<Test>::iter() {
				let claimed = crate::mock::relay(relay).claimed_mbps;
				assert_eq!(test.claimed_mbps, claimed);
				assert!(test.beacons.len() >= 3);
				let capacity: u32 = test
					.beacons
					.iter()
					.map(|b| {
						let info = Beacons::<Test>::get(&b.account).unwrap();
						assert_ne!(info.location.asn, crate::mock::relay(relay).asn);
						assert_eq!(BeaconAssignment::<Test>::get(&b.account), Some(relay));
						assert_eq!(b.capacity_mbps, info.capacity_mbps, "the link as drawn");
						b.capacity_mbps
					})
					.sum();
				assert!(capacity > claimed * 6 / 5, "{capacity} for {claimed}");
			}
		});
	}

	#[test]
	fn only_pending_active_and_pob_suspended_relays_are_tested() {
		run(|| {
			setup();
			set_relay(0, |r| r.status = RelayStatus::Suspended { by: Suspender::Board, since: 0 });
			set_relay(1, |r| r.status = RelayStatus::Leaving { unbonds_at: 9 });
			set_relay(2, |r| {
				r.status = RelayStatus::Suspended { by: Suspender::ProofOfBandwidth, since: 0 }
			});
			open();
			assert_eq!(plan().into_iter().map(|(r, _)| r).collect::<Vec<_>>(), vec![2]);
		});
	}

	#[test]
	fn relays_beyond_the_epochs_budget_wait_for_the_next_epoch() {
		run(|| {
			for n in 0..12 {
				register(n, 1_000, 1);
			}
			for id in 0..6 {
				add_relay(id, 100, 9);
			}
			open();
			let first: Vec<u32> = plan().into_iter().map(|(r, _)| r).collect();
			assert_eq!(first, vec![0, 1, 2, 3], "MaxRelaysPerEpoch is 4");
			run_to(1 + EPOCH);
			let second: Vec<u32> = plan().into_iter().map(|(r, _)| r).collect();
			assert_eq!(second, vec![0, 1, 4, 5], "the cursor wraps round");
		});
	}

	/// Relays the pool cannot cover are named, and tested first the next
	/// epoch: one relay claiming the pool's capacity cannot keep another
	/// untested epoch after epoch; a relay no pool can cover goes back to
	/// the round-robin after its turn first.
	#[test]
	fn a_relay_left_untested_is_named_and_tested_first_next_epoch() {
		run(|| {
			// Three 100 Mbit/s beacons cover one 200 Mbit/s claim, not two.
			for n in 0..3 {
				register(n, 100, u32::from(n) + 1);
			}
			add_relay(0, 200, 9);
			add_relay(1, 200, 9);
			add_relay(2, 10_000, 9); // no pool here covers it
			open();
			let tested: Vec<u32> = plan().into_iter().map(|(r, _)| r).collect();
			assert_eq!(tested.len(), 1);
			let other = 1 - tested[0];
			for relay in [other, 2] {
				assert!(events().contains(&Event::Untested { epoch: 1, relay, again: false }));
			}
			let mut left = crate::LeftUntested::<Test>::get().into_inner();
			left.sort();
			assert_eq!(left, vec![other.min(2), other.max(2)]);

			run_to(1 + EPOCH);
			let tested: Vec<u32> = plan().into_iter().map(|(r, _)| r).collect();
			assert_eq!(tested, vec![other], "the relay left out is tested first");
			assert!(events().contains(&Event::Untested { epoch: 2, relay: 2, again: true }));
			assert!(
				!crate::LeftUntested::<Test>::get().contains(&2),
				"left out twice, it waits for the round-robin"
			);
		});
	}

	#[test]
	fn low_reputation_beacons_are_not_assigned() {
		run(|| {
			three_beacons_one_relay();
			run_to(1 + EPOCH); // nobody reported: reputations fall
			Beacons::<Test>::mutate(beacon(0), |b| {
				b.as_mut().unwrap().reputation = MIN_REPUTATION - 1
			});
			run_to(1 + 2 * EPOCH);
			assert!(assigned(0).is_empty(), "two beacons cannot test relay 0");
		});
	}
}

mod reports {
	use super::*;

	#[test]
	fn an_assigned_beacons_report_is_accepted_once() {
		run(|| {
			three_beacons_one_relay();
			end_window();
			let (report, signature) = signed_report(0, 0, 1, &[1_000; 5]);
			assert_eq!(submit(report.clone(), signature.clone()), Ok(()));
			assert_eq!(Reports::<Test>::get(0, beacon(0)).unwrap().into_inner(), vec![1_000; 5]);
			assert!(events().contains(&Event::ReportAccepted {
				epoch: 1,
				relay: 0,
				beacon: beacon(0)
			}));
			// The same report again: a replay.
			assert_eq!(submit(report, signature), rejected(ReportRejection::Duplicate));
		});
	}

	#[test]
	fn the_pool_refuses_every_bad_report_with_its_reason() {
		run(|| {
			three_beacons_one_relay();
			register(5, 100, 5); // registered, not assigned
			let (early, sig) = signed_report(0, 0, 1, &[1; 5]);
			assert_eq!(submit(early, sig), rejected(ReportRejection::WindowOpen));
			end_window();
			let (report, sig) = signed_report(0, 0, 2, &[1; 5]);
			assert_eq!(submit(report, sig), rejected(ReportRejection::WrongEpoch));
			let (report, sig) = signed_report(0, 1, 1, &[1; 5]);
			assert_eq!(submit(report, sig), rejected(ReportRejection::NotAssigned));
			let (report, sig) = signed_report(5, 0, 1, &[1; 5]);
			assert_eq!(submit(report, sig), rejected(ReportRejection::NotAssigned));
			let (report, sig) = signed_report(6, 0, 1, &[1; 5]);
			assert_eq!(submit(report, sig), rejected(ReportRejection::UnknownBeacon));
			assert_eq!(Commitments::<Test>::iter().count(), 0, "no commitment was taken");
			// Each of the rest is committed as it is revealed, so the reveal's
			// own checks answer (the commitment is dropped between cases).
			let fresh = |(report, sig): (ReportOf<Test>, MultiSignature)| {
				Commitments::<Test>::remove(report.relay, &report.beacon);
				submit(report, sig)
			};
			assert_eq!(
				fresh(signed_report(0, 0, 1, &[1; 4])),
				rejected(ReportRejection::WrongLength)
			);
			// 100 Mbit/s with 10 % slack: 13.75 MB in a second at most.
			assert_eq!(
				fresh(signed_report(0, 0, 1, &[1, 1, 13_750_001, 1, 1])),
				rejected(ReportRejection::Impossible)
			);
			// Beacon 1 signs a report that names beacon 0.
			let (mut forged, _) = signed_report(1, 0, 1, &[1; 5]);
			forged.beacon = beacon(0);
			let (_, sig) = signed_report(1, 0, 1, &[1; 5]);
			assert_eq!(fresh((forged, sig)), rejected(ReportRejection::BadSignature));
			// A changed number breaks the signature.
			let (mut changed, sig) = signed_report(0, 0, 1, &[1; 5]);
			changed.bytes_per_second[0] = 2;
			assert_eq!(fresh((changed, sig)), rejected(ReportRejection::BadSignature));
			assert_eq!(Reports::<Test>::iter().count(), 0, "nothing was stored");
		});
	}

	#[test]
	fn commitments_and_reveals_are_refused_with_their_reason() {
		run(|| {
			three_beacons_one_relay();
			let epoch = CurrentEpoch::<Test>::get();
			let commits_from = commits_from_ms(epoch.window_start_ms, epoch.window_secs);
			let reveals_from = reveals_from_ms(epoch.window_start_ms, epoch.window_secs);
			let (report, sig) = signed_report(0, 0, 1, &[1_000; 5]);
			let (commitment, commitment_sig) = signed_commitment(&report, &SALT);

			// Commitments: not before the window ends, signed by the beacon, once.
			NowMs::set(commits_from - 1);
			assert_eq!(
				commit(commitment.clone(), commitment_sig.clone()),
				rejected(ReportRejection::WindowOpen)
			);
			NowMs::set(commits_from);
			let (_, other_sig) = signed_commitment(&signed_report(1, 0, 1, &[1; 5]).0, &SALT);
			assert_eq!(
				commit(commitment.clone(), other_sig),
				rejected(ReportRejection::BadSignature)
			);
			// Reveal without a commitment.
			NowMs::set(reveals_from);
			assert_eq!(
				reveal(report.clone(), SALT, sig.clone()),
				rejected(ReportRejection::NotCommitted)
			);
			// Commitments close when reveals open.
			assert_eq!(
				commit(commitment.clone(), commitment_sig.clone()),
				rejected(ReportRejection::CommitsClosed)
			);
			NowMs::set(reveals_from - 1);
			assert_eq!(commit(commitment.clone(), commitment_sig.clone()), Ok(()));
			assert!(events().contains(&Event::ReportCommitted {
				epoch: 1,
				relay: 0,
				beacon: beacon(0)
			}));
			assert_eq!(
				commit(commitment.clone(), commitment_sig.clone()),
				rejected(ReportRejection::AlreadyCommitted),
				"a commitment twice"
			);
			// Reveals: not before commitments close, and only what was committed.
			assert_eq!(
				reveal(report.clone(), SALT, sig.clone()),
				rejected(ReportRejection::RevealTooEarly)
			);
			NowMs::set(reveals_from);
			assert_eq!(
				reveal(report.clone(), [0; 32], sig.clone()),
				rejected(ReportRejection::CommitmentMismatch),
				"another salt"
			);
			let (other, other_sig) = signed_report(0, 0, 1, &[2_000; 5]);
			assert_eq!(
				reveal(other, SALT, other_sig),
				rejected(ReportRejection::CommitmentMismatch),
				"another report, properly signed"
			);
			assert_eq!(reveal(report.clone(), SALT, sig.clone()), Ok(()));
			assert_eq!(reveal(report, SALT, sig), rejected(ReportRejection::Duplicate));
			// The epoch's close forgets the commitments with the reports.
			run_to(1 + EPOCH);
			assert_eq!(Commitments::<Test>::iter().count(), 0);
		});
	}

	/// The lazy beacon's attack: never measure, wait for the others'
	/// reports to appear, submit their median and collect the reward. With
	/// commitments, the reports appear only after every beacon had to
	/// commit: a copy matches no commitment, and a beacon that committed
	/// nothing has nothing to reveal. It is judged silent and earns nothing,
	/// while the beacons that measured are paid.
	#[test]
	fn a_lazy_beacon_cannot_copy_the_revealed_reports() {
		run(|| {
			three_beacons_one_relay();
			let accounts = assigned(0);
			let (lazy, honest) =
				(index_of(&accounts[2]), [index_of(&accounts[0]), index_of(&accounts[1])]);
			let epoch = CurrentEpoch::<Test>::get();
			NowMs::set(commits_from_ms(epoch.window_start_ms, epoch.window_secs));
			// The lazy beacon must commit before it sees anything: it guesses.
			let (guess, guess_sig) = signed_report(lazy, 0, 1, &[12_000_000; 5]);
			let (commitment, commitment_sig) = signed_commitment(&guess, &[1; 32]);
			assert_eq!(commit(commitment, commitment_sig), Ok(()));
			for n in honest {
				let (report, sig) = signed_report(n, 0, 1, &[8_000_000; 5]);
				assert_eq!(submit(report, sig), Ok(()));
			}
			// Now the honest reports are public: the copy is refused.
			let (copy, copy_sig) = signed_report(lazy, 0, 1, &[8_000_000; 5]);
			assert_eq!(
				reveal(copy.clone(), [1; 32], copy_sig.clone()),
				rejected(ReportRejection::CommitmentMismatch)
			);
			assert_eq!(reveal(copy, SALT, copy_sig), rejected(ReportRejection::CommitmentMismatch));
			let _ = (guess, guess_sig); // revealing the guess would only be overruled
			let before = Beacons::<Test>::get(beacon(lazy)).unwrap();
			run_to(1 + EPOCH);
			let after = Beacons::<Test>::get(beacon(lazy)).unwrap();
			assert_eq!(after.unclaimed, before.unclaimed, "the lazy beacon earns nothing");
			assert!(after.reputation < before.reputation, "and loses reputation for its silence");
			for n in honest {
				assert!(
					Beacons::<Test>::get(beacon(n)).unwrap().unclaimed > 0,
					"beacon {n} is paid"
				);
			}
		});
	}

	#[test]
	fn a_report_from_the_last_epoch_is_a_replay() {
		run(|| {
			three_beacons_one_relay();
			end_window();
			let (report, sig) = signed_report(0, 0, 1, &[1; 5]);
			run_to(1 + EPOCH);
			end_window();
			assert_eq!(submit(report, sig), rejected(ReportRejection::WrongEpoch));
		});
	}

	#[test]
	fn reports_are_signed_calls_without_a_fee_payer() {
		run(|| {
			three_beacons_one_relay();
			end_window();
			let (report, signature) = signed_report(0, 0, 1, &[1; 5]);
			let (commitment, commitment_sig) = signed_commitment(&report, &SALT);
			let commit_call = RuntimeCall::Pob(crate::Call::commit_report {
				commitment,
				signature: commitment_sig,
			});
			assert_eq!(
				commit_call.clone().dispatch(RuntimeOrigin::signed(beacon(0))).map_err(|e| e.error),
				Err(DispatchError::BadOrigin)
			);
			let (validity, _) =
				commit_call.authorize(TransactionSource::External).unwrap().unwrap();
			assert_eq!(validity.provides.len(), 1, "one tag per (epoch, relay, beacon)");
			// Spam paying fees in the seconds commitments are open must not
			// push them out (every beacon silent: strikes, forfeits,
			// unjudged relays): they outrank fee payers and use the block's
			// operational share.
			assert_eq!(validity.priority, crate::features::REPORT_PRIORITY);
			assert_eq!(commit_call.get_dispatch_info().class, DispatchClass::Operational);
			authorize_and_dispatch(commit_call).unwrap();
			let epoch = CurrentEpoch::<Test>::get();
			NowMs::set(reveals_from_ms(epoch.window_start_ms, epoch.window_secs));
			let call =
				RuntimeCall::Pob(crate::Call::submit_report { report, salt: SALT, signature });
			// A signed origin skips authorization and is refused by the call.
			assert_eq!(
				call.clone().dispatch(RuntimeOrigin::signed(beacon(0))).map_err(|e| e.error),
				Err(DispatchError::BadOrigin)
			);
			let (validity, _) = call.authorize(TransactionSource::External).unwrap().unwrap();
			assert_eq!(validity.provides.len(), 1, "one tag per (epoch, relay, beacon)");
			assert!(validity.longevity <= EPOCH);
			assert_eq!(validity.priority, crate::features::REPORT_PRIORITY);
			assert_eq!(call.get_dispatch_info().class, DispatchClass::Operational);
		});
	}
}

mod verdicts {
	use super::*;

	const MB: u64 = 1_000_000;

	fn report_all(seconds: impl Fn(u8) -> Vec<u64>) {
		end_window();
		for account in assigned(0) {
			let n = index_of(&account);
			let (report, sig) = signed_report(n, 0, 1, &seconds(n));
			submit(report, sig).unwrap();
		}
	}

	fn verdict() -> Option<(u32, bool)> {
		events().into_iter().find_map(|e| match e {
			Event::Verdict { measured_mbps, passed, .. } => Some((measured_mbps, passed)),
			_ => None,
		})
	}

	#[test]
	fn a_relay_delivering_its_claim_is_activated_with_the_median_of_the_sums() {
		run(|| {
			three_beacons_one_relay();
			// Per second, each beacon gets 8.5, 8, 0 (a stall), 9, 8.5 MB:
			// sums 25.5, 24, 0, 27, 25.5 -> median 25.5 MB/s = 204 Mbit/s of
			// payload, carried by 213.3 Mbit/s of link (1514 / 1448).
			report_all(|_| vec![8_500_000, 8 * MB, 0, 9 * MB, 8_500_000]);
			run_to(1 + EPOCH);
			assert_eq!(verdict(), Some((213, true)));
			let r = relay(0);
			assert_eq!(r.status, RelayStatus::Active);
			assert_eq!(r.verified_mbps, 200, "verified capacity is capped at the claim");
			assert_eq!(Tracks::<Test>::get(0).unwrap().failures, 0);
		});
	}

	#[test]
	fn a_relay_within_the_tolerance_passes_with_what_it_measured() {
		run(|| {
			three_beacons_one_relay();
			// 3 x 7.6 MB/s = 22.8 MB/s of payload = 190.7 Mbit/s of link:
			// 4.6 % under 200 passes.
			report_all(|_| vec![7_600_000; 5]);
			run_to(1 + EPOCH);
			assert_eq!(verdict(), Some((191, true)));
			assert_eq!(relay(0).verified_mbps, 191);
		});
	}

	#[test]
	fn a_relay_claiming_twice_its_rate_fails_then_is_suspended_and_slashed() {
		run(|| {
			three_beacons_one_relay();
			// 100 Mbit/s of payload in all (104.6 of link): 12.5 MB/s split
			// three ways.
			report_all(|_| vec![12_500_000 / 3; 5]);
			run_to(1 + EPOCH);
			assert_eq!(verdict(), Some((105, false)));
			assert_eq!(relay(0).status, RelayStatus::Pending, "one failure: not yet");
			assert!(relay(0).slashed.is_empty());
			assert_eq!(Tracks::<Test>::get(0).unwrap().failures, 1);

			System::reset_events();
			assert_eq!(assigned(0).len(), 3);
			end_window();
			for account in assigned(0) {
				let (report, sig) = signed_report(index_of(&account), 0, 2, &[12_500_000 / 3; 5]);
				submit(report, sig).unwrap();
			}
			run_to(1 + 2 * EPOCH);
			assert_eq!(verdict(), Some((105, false)));
			assert!(matches!(
				relay(0).status,
				RelayStatus::Suspended { by: Suspender::ProofOfBandwidth, .. }
			));
			assert_eq!(relay(0).slashed, vec![Perbill::from_percent(10)]);
			assert!(events().contains(&Event::RelayPenalized {
				relay: 0,
				failures: 2,
				slashed: true
			}));
		});
	}

	#[test]
	fn an_inflating_beacon_is_overruled_and_loses_reputation_and_reward() {
		run(|| {
			three_beacons_one_relay();
			let liar = assigned(0)[2].clone();
			let liar_n = index_of(&liar);
			// The relay delivers 30 Mbit/s to each beacon (90 in all, claim
			// 200); the liar reports its link full.
			report_all(|n| if n == liar_n { vec![13_750_000; 5] } else { vec![3_750_000; 5] });
			let pot = Balances::free_balance(POT);
			run_to(1 + EPOCH);
			// The liar is credited 3/2 of the others' mean: 3.75 + 3.75 +
			// 5.625 = 13.125 MB/s of payload, 109.8 Mbit/s of link. Taken
			// at its word: 21.25 MB/s = 177.7 Mbit/s.
			assert_eq!(verdict(), Some((110, false)));
			assert!(events().contains(&Event::BeaconOverruled {
				epoch: 1,
				relay: 0,
				beacon: liar.clone()
			}));
			assert_eq!(
				Beacons::<Test>::get(&liar).unwrap().reputation,
				INITIAL_REPUTATION - OUTLIER_PENALTY
			);
			assert_eq!(Beacons::<Test>::get(&liar).unwrap().unclaimed, 0);
			assert_noop!(
				Pob::claim_rewards(RuntimeOrigin::signed(liar.clone())),
				Error::<Test>::NothingToClaim
			);
			assert_eq!(Balances::free_balance(POT), pot, "judging pays nothing out");
			for honest in assigned_before_close_honest(&liar) {
				let info = Beacons::<Test>::get(&honest).unwrap();
				assert_eq!(info.reputation, INITIAL_REPUTATION + 1);
				assert_eq!(info.unclaimed, REWARD);
				assert_ok!(Pob::claim_rewards(RuntimeOrigin::signed(honest.clone())));
				assert_eq!(Balances::free_balance(&honest), INITIAL - BOND + REWARD);
				assert_eq!(Beacons::<Test>::get(&honest).unwrap().unclaimed, 0);
			}
			assert_eq!(Balances::free_balance(POT), pot - 2 * REWARD);
		});
	}

	/// Every beacon of relay 0 but `silent` reports `bytes` each second.
	fn report_all_but(silent: &AccountId, bytes: u64) {
		for account in assigned(0).into_iter().filter(|a| a != silent) {
			let (report, sig) = signed_report(index_of(&account), 0, 1, &[bytes; 5]);
			submit(report, sig).unwrap();
		}
	}

	fn assigned_before_close_honest(liar: &AccountId) -> Vec<AccountId> {
		(0..3).map(beacon).filter(|b| b != liar).collect()
	}

	#[test]
	fn a_silent_beacon_can_deny_a_pass_but_not_fail_a_relay() {
		run(|| {
			three_beacons_one_relay();
			let silent = assigned(0)[0].clone();
			end_window();
			// Two of three shares of 200 Mbit/s: short, but the third share
			// would have made it.
			report_all_but(&silent, 8 * MB);
			run_to(1 + EPOCH);
			assert_eq!(verdict(), None);
			assert!(events().contains(&Event::Inconclusive { epoch: 1, relay: 0, missing: 1 }));
			assert_eq!(relay(0).status, RelayStatus::Pending);
			assert_eq!(
				Beacons::<Test>::get(&silent).unwrap().reputation,
				INITIAL_REPUTATION - MISSING_PENALTY
			);
		});
	}

	/// The attack: a relay far short of its claim has one of its beacons
	/// stay silent, which used to turn every failure into `Inconclusive`.
	#[test]
	fn silence_is_no_shield_for_a_relay_short_even_of_the_benefit_of_the_doubt() {
		run(|| {
			three_beacons_one_relay();
			let silent = assigned(0)[0].clone();
			end_window();
			// A tenth of the claim each: three such shares are still short.
			report_all_but(&silent, 2 * MB);
			run_to(1 + EPOCH);
			// The silent beacon counts as one that got nothing: each of the
			// two is credited 3/2 of the others' mean, 1.5 MB/s.
			assert_eq!(verdict(), Some((25, false)));
			assert!(!events().iter().any(|e| matches!(e, Event::Inconclusive { .. })));
		});
	}

	/// The attack: one colluder reports for a relay whose other beacons
	/// are silent, so that its word alone is the verdict.
	#[test]
	fn a_test_most_of_whose_beacons_are_silent_is_not_judged() {
		run(|| {
			three_beacons_one_relay();
			let colluder = assigned(0)[0].clone();
			end_window();
			let (report, sig) = signed_report(index_of(&colluder), 0, 1, &[13_750_000; 5]);
			submit(report, sig).unwrap();
			run_to(1 + EPOCH);
			assert_eq!(verdict(), None);
			assert!(events().contains(&Event::Inconclusive { epoch: 1, relay: 0, missing: 2 }));
			assert_eq!(relay(0).status, RelayStatus::Pending);
		});
	}

	/// The attack: a verified relay that can no longer deliver its claim
	/// starves one beacon each test, staying inconclusive (never failing)
	/// while it keeps selling the capacity verified long ago.
	#[test]
	fn an_inconclusive_test_lowers_a_verification_to_what_was_measured() {
		run(|| {
			three_beacons_one_relay();
			report_all(|_| vec![8 * MB; 5]);
			run_to(1 + EPOCH);
			assert_eq!(verdict(), Some((201, true)));
			assert_eq!((relay(0).status, relay(0).verified_mbps), (RelayStatus::Active, 200));

			System::reset_events();
			let starved = assigned(0)[0].clone();
			end_window();
			for account in assigned(0) {
				let seconds = if account == starved { [0; 5] } else { [8 * MB; 5] };
				let (report, sig) = signed_report(index_of(&account), 0, 2, &seconds);
				submit(report, sig).unwrap();
			}
			run_to(1 + 2 * EPOCH);
			// Strictly 12 MB/s (100 Mbit/s of link); given the doubt, the
			// starved beacon's share would have made 200: inconclusive, no
			// failure, and the relay now sells 100.
			assert_eq!(verdict(), None);
			assert!(events().contains(&Event::Inconclusive { epoch: 2, relay: 0, missing: 0 }));
			assert_eq!(Tracks::<Test>::get(0).unwrap().failures, 0);
			assert_eq!((relay(0).status, relay(0).verified_mbps), (RelayStatus::Active, 100));
		});
	}

	/// Every beacon of relay 0 in the current epoch reports `bytes` a
	/// second, but those in `silent`.
	fn report_epoch(silent: &[AccountId], bytes: u64) {
		let epoch = CurrentEpoch::<Test>::get().index;
		end_window();
		for account in assigned(0).into_iter().filter(|a| !silent.contains(a)) {
			let (report, sig) = signed_report(index_of(&account), 0, epoch, &[bytes; 5]);
			submit(report, sig).unwrap();
		}
	}

	fn next_epoch() {
		let epoch = CurrentEpoch::<Test>::get();
		run_to(epoch.started_at + EPOCH);
	}

	/// The colluder's cheap silence: staying silent whenever drawn (to deny
	/// a rival's pass, or to keep its relay unjudged) once cost only
	/// reputation. The second silent test in a row, and each after, forfeits
	/// a share of the bond, paid to the pot (which pays honest beacons) when
	/// the beacon leaves; a beacon with less than the minimum bond at stake
	/// is drawn no more.
	#[test]
	fn a_beacon_silent_twice_in_a_row_pays_from_its_bond() {
		run(|| {
			three_beacons_one_relay();
			let silent = assigned(0)[0].clone();
			let pot = Balances::free_balance(POT);
			report_epoch(&[silent.clone()], 8 * MB);
			next_epoch();
			let info = Beacons::<Test>::get(&silent).unwrap();
			assert_eq!((info.strikes, info.forfeit), (1, 0), "one silence is not yet a pattern");

			report_epoch(&[silent.clone()], 8 * MB);
			next_epoch();
			let info = Beacons::<Test>::get(&silent).unwrap();
			let slash = SlashShare::get() * BOND;
			assert_eq!((info.strikes, info.forfeit, info.at_stake()), (2, slash, BOND - slash));
			assert!(events().iter().any(|e| matches!(
				e,
				Event::BeaconSlashed { beacon, fault: BeaconFault::Silent, amount, .. }
					if beacon == &silent && *amount == slash
			)));
			// Less than the minimum bond at stake: no longer drawn.
			assert!(!assigned(0).contains(&silent), "{:?}", assigned(0));
			// The others agreed each time: no strikes, nothing forfeit.
			for other in (0..3).map(beacon).filter(|b| b != &silent) {
				let info = Beacons::<Test>::get(&other).unwrap();
				assert_eq!((info.strikes, info.forfeit), (0, 0));
			}

			// Leaving: the forfeit goes to the pot, the rest comes back.
			let free = Balances::free_balance(&silent);
			assert_ok!(Pob::deregister_beacon(RuntimeOrigin::signed(silent.clone())));
			assert_eq!(Balances::free_balance(POT), pot + slash);
			assert_eq!(Balances::free_balance(&silent), free + BOND - slash);
			assert_eq!(Balances::balance_on_hold(&HoldReason::BeaconBond.into(), &silent), 0);
		});
	}

	#[test]
	fn an_agreeing_report_clears_a_beacons_strikes() {
		run(|| {
			three_beacons_one_relay();
			let beacon0 = assigned(0)[0].clone();
			report_epoch(&[beacon0.clone()], 8 * MB);
			next_epoch();
			assert_eq!(Beacons::<Test>::get(&beacon0).unwrap().strikes, 1);
			report_epoch(&[], 8 * MB);
			next_epoch();
			assert_eq!(Beacons::<Test>::get(&beacon0).unwrap().strikes, 0);
			report_epoch(&[beacon0.clone()], 8 * MB);
			next_epoch();
			let info = Beacons::<Test>::get(&beacon0).unwrap();
			assert_eq!(
				(info.strikes, info.bond),
				(1, BOND),
				"silent once again, not twice in a row"
			);
		});
	}

	/// The relay's attack on an honest beacon: it starves the beacon (or
	/// resets its connections) whenever drawn together, so the beacon's
	/// report lands far under the others' and it is overruled, to strike
	/// it out of its bond and the draw. An understated report costs
	/// reputation and the reward only; an overstated one, which can only
	/// help a relay, is struck like silence.
	#[test]
	fn a_relay_starving_a_beacon_cannot_make_it_forfeit_its_bond() {
		run(|| {
			three_beacons_one_relay();
			let starved = assigned(0)[0].clone();
			for _ in 0..3 {
				let epoch = CurrentEpoch::<Test>::get().index;
				end_window();
				for account in assigned(0) {
					let bytes = if account == starved { MB / 10 } else { 8 * MB };
					let (report, sig) = signed_report(index_of(&account), 0, epoch, &[bytes; 5]);
					submit(report, sig).unwrap();
				}
				next_epoch();
			}
			let info = Beacons::<Test>::get(&starved).unwrap();
			assert_eq!((info.strikes, info.forfeit), (0, 0));
			assert_eq!(info.reputation, INITIAL_REPUTATION - 3 * OUTLIER_PENALTY);
			assert!(!events().iter().any(|e| matches!(e, Event::BeaconSlashed { .. })));

			// The same beacon overstating in tests the relay passes (its
			// claim lowered to what the others and 3/2 of a share carry)
			// pays from the second in a row.
			set_relay(0, |r| r.claimed_mbps = 150);
			next_epoch();
			for _ in 0..3 {
				let epoch = CurrentEpoch::<Test>::get().index;
				end_window();
				for account in assigned(0) {
					let bytes = if account == starved { 13 * MB } else { 6 * MB };
					let (report, sig) = signed_report(index_of(&account), 0, epoch, &[bytes; 5]);
					submit(report, sig).unwrap();
				}
				next_epoch();
				if !assigned(0).contains(&starved) {
					break;
				}
			}
			assert!(events()
				.iter()
				.any(|e| matches!(e, Event::Verdict { claimed_mbps: 150, passed: true, .. })));
			let info = Beacons::<Test>::get(&starved).unwrap();
			assert_eq!(info.strikes, 2);
			assert_eq!(info.forfeit, SlashShare::get() * BOND);
			assert!(events().iter().any(|e| matches!(
				e,
				Event::BeaconSlashed { beacon, fault: BeaconFault::Overstated, .. }
					if beacon == &starved
			)));
		});
	}

	/// The colluders' long game: a verified relay whose drawn beacons are
	/// its own go silent together, so no test is ever judged and the relay
	/// keeps selling a verification it can no longer earn. After
	/// `FailuresBeforeSuspension` unjudged tests in a row its verification
	/// lapses; a passing test restores it.
	#[test]
	fn a_relay_whose_beacons_keep_going_silent_loses_its_verification() {
		run(|| {
			// Two relays, each tested by three of nine beacons.
			for n in 0..9 {
				register(n, 100, u32::from(n) + 1);
			}
			add_relay(0, 200, 20);
			add_relay(1, 200, 21);
			open();
			// Every assigned beacon reports, but for the first two of
			// relay 0's when `silence` says so.
			let epoch_with = |silence: bool| {
				let epoch = CurrentEpoch::<Test>::get().index;
				end_window();
				for relay in [0, 1] {
					let silent: Vec<AccountId> =
						if silence && relay == 0 { assigned(0)[..2].to_vec() } else { vec![] };
					for account in assigned(relay).into_iter().filter(|a| !silent.contains(a)) {
						let (report, sig) =
							signed_report(index_of(&account), relay, epoch, &[8 * MB; 5]);
						submit(report, sig).unwrap();
					}
				}
				next_epoch();
			};
			epoch_with(false);
			assert_eq!(relay(0).status, RelayStatus::Active);

			epoch_with(true);
			assert_eq!(Tracks::<Test>::get(0).unwrap().unjudged, 1);
			assert_eq!(relay(0).status, RelayStatus::Active, "once may be an outage");

			epoch_with(true);
			assert!(events().contains(&Event::VerificationLapsed { relay: 0, unjudged: 2 }));
			assert!(matches!(
				relay(0).status,
				RelayStatus::Suspended { by: Suspender::ProofOfBandwidth, .. }
			));
			assert_eq!(Tracks::<Test>::get(0).unwrap().failures, 0, "no failure, no slash");
			assert_eq!(relay(1).status, RelayStatus::Active, "its tests were judged");

			// Tested while suspended by proof of bandwidth, a pass
			// reinstates it (the beacons silent twice are drawn no more).
			for n in 9..12 {
				register(n, 100, u32::from(n) + 1);
			}
			next_epoch();
			epoch_with(false);
			assert_eq!(relay(0).status, RelayStatus::Active);
			assert_eq!(Tracks::<Test>::get(0).unwrap().unjudged, 0);
		});
	}

	/// The attack on the rule above: keep every beacon from the chain for a
	/// few epochs (flood the pools, take the network down) so that all are
	/// struck and every relay's verification lapses, the marketplace with
	/// it. When most of an epoch's tests go unjudged, silence costs
	/// reputation only and no relay's verification lapses.
	#[test]
	fn an_epoch_most_of_whose_tests_go_unjudged_blames_no_one() {
		run(|| {
			three_beacons_one_relay();
			report_epoch(&[], 8 * MB);
			next_epoch();
			assert_eq!(relay(0).status, RelayStatus::Active);
			for _ in 0..3 {
				next_epoch();
			}
			assert!(events()
				.iter()
				.any(|e| matches!(e, Event::MostTestsUnjudged { unjudged: 1, tests: 1, .. })));
			assert_eq!(relay(0).status, RelayStatus::Active);
			assert_eq!(Tracks::<Test>::get(0).unwrap().unjudged, 0);
			for n in 0..3 {
				let info = Beacons::<Test>::get(beacon(n)).unwrap();
				assert_eq!((info.strikes, info.forfeit), (0, 0), "no strike, nothing forfeit");
				// Reputation is all silence costs then.
				assert_eq!(info.reputation, INITIAL_REPUTATION + 1 - 3 * MISSING_PENALTY);
			}
		});
	}

	#[test]
	fn a_board_suspension_is_not_lifted_or_deepened_by_a_verdict() {
		run(|| {
			three_beacons_one_relay();
			report_all(|_| vec![9 * MB; 5]);
			set_relay(0, |r| r.status = RelayStatus::Suspended { by: Suspender::Board, since: 0 });
			run_to(1 + EPOCH);
			assert_eq!(verdict(), Some((226, true)));
			assert!(matches!(relay(0).status, RelayStatus::Suspended { by: Suspender::Board, .. }));
		});
	}

	#[test]
	fn a_claim_changed_during_the_epoch_is_not_judged_on_old_numbers() {
		run(|| {
			three_beacons_one_relay();
			report_all(|_| vec![9 * MB; 5]);
			set_relay(0, |r| r.claimed_mbps = 400);
			run_to(1 + EPOCH);
			assert_eq!(verdict(), Some((226, true)));
			assert_eq!(
				relay(0).status,
				RelayStatus::Pending,
				"the new claim waits for its own test"
			);
			assert_eq!(relay(0).verified_mbps, 0);
		});
	}

	/// The colluder of the old rule: drawn at 100 Mbit/s, it declares
	/// 10 Gbit/s (the mock's most) before the window ends. Its reports are checked and
	/// counted against the link it was drawn with, so a report only the new
	/// link could carry is refused and the relay is judged on the truth;
	/// the new link counts from the next draw.
	#[test]
	fn a_link_declared_after_the_draw_counts_from_the_next_epoch() {
		run(|| {
			three_beacons_one_relay();
			let colluder = assigned(0)[2].clone();
			let colluder_n = index_of(&colluder);
			assert_ok!(Pob::update_beacon(
				RuntimeOrigin::signed(colluder.clone()),
				BeaconLocation { country: NL, asn: u32::from(colluder_n) + 1 },
				10_000
			));
			end_window();
			// 1 Gbit/s of payload in one second: impossible on 100 Mbit/s.
			let (inflated, sig) = signed_report(colluder_n, 0, 1, &[125 * MB, 0, 0, 0, 0]);
			assert_eq!(submit(inflated, sig), rejected(ReportRejection::Impossible));
			// A beacon commits once an epoch; the second try of the attack
			// below stands for another epoch's.
			Commitments::<Test>::remove(0, &colluder);
			// The relay delivers 30 Mbit/s to each beacon; the colluder
			// reports its old link full, within what it may carry.
			for account in assigned(0) {
				let n = index_of(&account);
				let seconds = if n == colluder_n { [12_500_000; 5] } else { [3_750_000; 5] };
				let (report, sig) = signed_report(n, 0, 1, &seconds);
				submit(report, sig).unwrap();
			}
			run_to(1 + EPOCH);
			// Overruled, and credited no more than 3/2 of the others' mean:
			// 30 + 30 + 45 Mbit/s of payload, 110 of link.
			assert_eq!(verdict(), Some((110, false)));
			assert!(events().contains(&Event::BeaconOverruled {
				epoch: 1,
				relay: 0,
				beacon: colluder.clone()
			}));
			// The next draw sees the new link.
			let test = Assignments::<Test>::get(0).expect("tested again");
			assert_eq!(test.link_of(&colluder), Some(10_000));
			for b in &test.beacons {
				assert_eq!(
					b.capacity_mbps,
					Beacons::<Test>::get(&b.account).unwrap().capacity_mbps
				);
			}
		});
	}

	/// The attack on a verdict that trusts declared links: a colluder
	/// registered with a huge link before the draw reports the group's load
	/// on it (not an outlier by load), which the old rule summed.
	#[test]
	fn a_colluder_declaring_a_huge_link_adds_at_most_a_share_and_a_half() {
		run(|| {
			register(0, 100, 1);
			register(1, 100, 2);
			register(2, 10_000, 3);
			add_relay(0, 200, 9);
			open();
			assert_eq!(assigned(0).len(), 3);
			end_window();
			// The relay delivers 24 Mbit/s to each honest beacon: 24 % of
			// their links. The colluder says 24 % of 10 Gbit/s.
			for n in 0..3u8 {
				let seconds = if n == 2 { [300 * MB; 5] } else { [3 * MB; 5] };
				let (report, sig) = signed_report(n, 0, 1, &seconds);
				submit(report, sig).unwrap();
			}
			run_to(1 + EPOCH);
			// Credited 24 + 24 + 36 Mbit/s of payload (88 of link): the
			// honest two and 3/2 of a share for the colluder, 1.75x the
			// truth at most with three beacons. Summed, 2.5 Gbit/s would
			// have passed.
			assert_eq!(verdict(), Some((88, false)));
			assert!(events().contains(&Event::BeaconOverruled {
				epoch: 1,
				relay: 0,
				beacon: beacon(2)
			}));
		});
	}

	/// A relay failing its tests while it changes its claim by 1 Mbit/s
	/// during each tested epoch is still suspended and slashed.
	#[test]
	fn changing_the_claim_during_each_tested_epoch_skips_no_penalty() {
		run(|| {
			three_beacons_one_relay();
			report_all(|_| vec![12_500_000 / 3; 5]);
			set_relay(0, |r| r.claimed_mbps = 201);
			run_to(1 + EPOCH);
			assert_eq!(verdict(), Some((105, false)));
			assert_eq!(Tracks::<Test>::get(0).unwrap().failures, 1);

			System::reset_events();
			assert_eq!(Assignments::<Test>::get(0).unwrap().claimed_mbps, 201);
			end_window();
			for account in assigned(0) {
				let (report, sig) = signed_report(index_of(&account), 0, 2, &[12_500_000 / 3; 5]);
				submit(report, sig).unwrap();
			}
			set_relay(0, |r| r.claimed_mbps = 202);
			run_to(1 + 2 * EPOCH);
			assert_eq!(verdict(), Some((105, false)));
			assert!(matches!(
				relay(0).status,
				RelayStatus::Suspended { by: Suspender::ProofOfBandwidth, .. }
			));
			assert_eq!(relay(0).slashed, vec![Perbill::from_percent(10)]);
			assert!(events().contains(&Event::RelayPenalized {
				relay: 0,
				failures: 2,
				slashed: true
			}));
		});
	}

	#[test]
	fn an_epoch_closes_clean() {
		run(|| {
			three_beacons_one_relay();
			report_all(|_| vec![9 * MB; 5]);
			add_relay(0, 10_000, 9); // not coverable next epoch
			run_to(1 + EPOCH);
			assert_eq!(CurrentEpoch::<Test>::get().index, 2);
			assert_eq!(Assignments::<Test>::count(), 0);
			assert_eq!(BeaconAssignment::<Test>::iter().count(), 0);
			assert_eq!(Reports::<Test>::iter().count(), 0);
		});
	}
}

mod probes {
	use super::*;
	use crate::{
		crypto::{ProberId, KEY_TYPE},
		features::{probe_signing_payload, probe_url},
		Probers, Probes,
	};
	use ocm_pob::payload::{PayloadStream, StreamId};
	use sp_core::offchain::{
		testing::{
			OffchainState, PendingRequest, PoolState, TestOffchainExt, TestTransactionPoolExt,
		},
		OffchainDbExt, OffchainWorkerExt, TransactionPoolExt,
	};
	use sp_keystore::{testing::MemoryKeystore, Keystore, KeystoreExt};
	use sp_runtime::RuntimeAppPublic;
	use std::sync::Arc;

	struct Worker {
		offchain: Arc<parking_lot::RwLock<OffchainState>>,
		pool: Arc<parking_lot::RwLock<PoolState>>,
		prober: ProberId,
	}

	/// A chain whose node runs an off-chain worker holding one prober key.
	fn with_worker(test: impl FnOnce(&Worker)) {
		let mut ext = new_ext();
		let (offchain, offchain_state) = TestOffchainExt::new();
		let (pool, pool_state) = TestTransactionPoolExt::new();
		let keystore = MemoryKeystore::new();
		let public = keystore.sr25519_generate_new(KEY_TYPE, Some("//Prober")).unwrap();
		ext.register_extension(OffchainDbExt::new(offchain.clone()));
		ext.register_extension(OffchainWorkerExt::new(offchain));
		ext.register_extension(TransactionPoolExt::new(pool));
		ext.register_extension(KeystoreExt::new(keystore));
		let worker = Worker { offchain: offchain_state, pool: pool_state, prober: public.into() };
		ext.execute_with(|| {
			Probers::<Test>::put(BoundedVec::truncate_from(vec![
				ProberId::from(sp_core::sr25519::Public::from_raw([9; 32])),
				worker.prober.clone(),
			]));
			test(&worker);
			Pob::do_try_state().expect("invariants hold after the test");
		});
	}

	fn stream(relay: u32, len: usize) -> Vec<u8> {
		let mut bytes = vec![0; len];
		let seed = CurrentEpoch::<Test>::get().seed;
		PayloadStream::new(&StreamId { epoch_seed: seed, relay, beacon: PROBE_BEACON })
			.fill_at(0, &mut bytes);
		bytes
	}

	fn expect_probe(worker: &Worker, relay: u32, response: Vec<u8>) {
		let seed = CurrentEpoch::<Test>::get().seed;
		worker.offchain.write().expect_request(PendingRequest {
			method: "GET".into(),
			uri: probe_url(pob_endpoint(relay).as_bytes(), &seed, relay).unwrap(),
			headers: vec![("Range".into(), format!("bytes=0-{}", PROBE_BYTES - 1))],
			response: Some(response),
			sent: true,
			..Default::default()
		});
	}

	/// The transactions the worker put in the pool, as calls.
	fn submitted(worker: &Worker) -> Vec<RuntimeCall> {
		use codec::Decode;
		worker
			.pool
			.read()
			.transactions
			.iter()
			.map(|tx| Extrinsic::decode(&mut &tx[..]).unwrap().function)
			.collect()
	}

	fn apply(call: RuntimeCall) -> Result<(), TransactionValidityError> {
		call.authorize(TransactionSource::Local).expect("submit_probes is authorized")?;
		call.dispatch(frame_system::RawOrigin::Authorized.into()).expect("accepted");
		Ok(())
	}

	#[test]
	fn a_validator_probes_every_relay_under_test_once_and_its_batch_is_authorized() {
		with_worker(|worker| {
			three_beacons_one_relay();
			expect_probe(worker, 0, stream(0, PROBE_BYTES as usize));
			Pob::offchain_worker(System::block_number());
			let calls = submitted(worker);
			assert_eq!(calls.len(), 1);
			let RuntimeCall::Pob(crate::Call::submit_probes { batch, .. }) = &calls[0] else {
				panic!("not a probe batch: {:?}", calls[0]);
			};
			assert_eq!((batch.epoch, batch.prober), (1, 1));
			assert!(matches!(batch.results[..], [(0, ProbeOutcome::Reachable { .. })]));
			assert_eq!(apply(calls[0].clone()), Ok(()));
			assert!(matches!(Probes::<Test>::get(0, 1), Some(ProbeOutcome::Reachable { .. })));
			assert!(events().contains(&Event::ProbesAccepted {
				epoch: 1,
				prober: 1,
				relays: 1,
				unreachable: 0
			}));
			// The same batch again is a duplicate; later blocks of the epoch
			// do not probe again.
			let duplicate = apply(calls[0].clone());
			assert_eq!(
				duplicate,
				Err(TransactionValidityError::Invalid(InvalidTransaction::Custom(
					ProbeRejection::Duplicate as u8
				)))
			);
			System::set_block_number(2);
			Pob::offchain_worker(2);
			assert_eq!(submitted(worker).len(), 1);
		});
	}

	/// The worker's prober gets other bytes than the stream from relay 0.
	fn probe_junk(worker: &Worker) {
		let mut junk = stream(0, PROBE_BYTES as usize);
		junk[100] ^= 1;
		expect_probe(worker, 0, junk);
		Pob::offchain_worker(System::block_number());
		let calls = submitted(worker);
		let RuntimeCall::Pob(crate::Call::submit_probes { batch, .. }) = &calls[0] else {
			panic!("not a probe batch");
		};
		assert_eq!(batch.results[0], (0, ProbeOutcome::WrongPayload));
		apply(calls[0].clone()).unwrap();
	}

	/// One prober of two reports the relay unreachable and the other stays
	/// silent: a single prober (a validator with a grudge, or one behind a
	/// broken route) does not fail a relay its beacons measured.
	#[test]
	fn one_prober_alone_cannot_fail_a_relay() {
		with_worker(|worker| {
			three_beacons_one_relay();
			probe_junk(worker);
			end_window();
			for account in assigned(0) {
				let (report, sig) = signed_report(index_of(&account), 0, 1, &[9_000_000; 5]);
				submit(report, sig).unwrap();
			}
			run_to(1 + EPOCH);
			assert!(!events().iter().any(|e| matches!(e, Event::RelayUnreachable { .. })));
			assert!(events().contains(&Event::Verdict {
				epoch: 1,
				relay: 0,
				claimed_mbps: 200,
				measured_mbps: 226,
				passed: true
			}));
			assert_eq!(relay(0).status, RelayStatus::Active);
		});
	}

	#[test]
	fn a_relay_serving_other_bytes_is_caught_and_fails_its_test() {
		with_worker(|worker| {
			three_beacons_one_relay();
			probe_junk(worker);
			// The other configured prober could not reach it either (its
			// batch, accepted).
			Probes::<Test>::insert(0, 0, ProbeOutcome::Unreachable);
			// The beacons report the full claim, but both probers could
			// not get the stream: the relay fails.
			end_window();
			for account in assigned(0) {
				let (report, sig) = signed_report(index_of(&account), 0, 1, &[9_000_000; 5]);
				submit(report, sig).unwrap();
			}
			run_to(1 + EPOCH);
			assert!(events().contains(&Event::RelayUnreachable {
				epoch: 1,
				relay: 0,
				probes: 2,
				failed: 2
			}));
			assert!(events().contains(&Event::Verdict {
				epoch: 1,
				relay: 0,
				claimed_mbps: 200,
				measured_mbps: 0,
				passed: false
			}));
			assert_eq!(Tracks::<Test>::get(0).unwrap().failures, 1);
			assert_eq!(relay(0).status, RelayStatus::Pending);
			assert_eq!(Probes::<Test>::iter().count(), 0, "cleared with the epoch");
		});
	}

	#[test]
	fn an_empty_answer_is_not_the_stream() {
		with_worker(|worker| {
			three_beacons_one_relay();
			// An endpoint that is not UTF-8 has no URL to probe.
			let seed = CurrentEpoch::<Test>::get().seed;
			assert!(probe_url(&[0xff, 0xfe], &seed, 0).is_none());
			// A request that gets an empty body: the stream is not there.
			expect_probe(worker, 0, vec![]);
			Pob::offchain_worker(System::block_number());
			let calls = submitted(worker);
			let RuntimeCall::Pob(crate::Call::submit_probes { batch, .. }) = &calls[0] else {
				panic!("not a probe batch");
			};
			assert_eq!(batch.results[0], (0, ProbeOutcome::WrongPayload));
		});
	}

	#[test]
	fn the_pool_refuses_bad_probe_batches() {
		with_worker(|worker| {
			three_beacons_one_relay();
			let genesis = System::block_hash(0);
			let batch = |epoch, prober, relay| ProbeBatch {
				epoch,
				prober,
				results: BoundedVec::truncate_from(vec![(relay, ProbeOutcome::Unreachable)]),
			};
			let sign = |b: &ProbeBatchOf<Test>| {
				worker.prober.sign(&probe_signing_payload(genesis.as_ref(), b)).unwrap()
			};
			let check = |b: ProbeBatchOf<Test>, signature| {
				apply(RuntimeCall::Pob(crate::Call::submit_probes { batch: b, signature }))
			};
			let code = |r: ProbeRejection| {
				Err(TransactionValidityError::Invalid(InvalidTransaction::Custom(r as u8)))
			};
			let b = batch(2, 1, 0);
			assert_eq!(check(b.clone(), sign(&b)), code(ProbeRejection::WrongEpoch));
			let b = batch(1, 5, 0);
			assert_eq!(check(b.clone(), sign(&b)), code(ProbeRejection::UnknownProber));
			let b = batch(1, 1, 7);
			assert_eq!(check(b.clone(), sign(&b)), code(ProbeRejection::NotUnderTest));
			// Signed by prober 1's key but claiming to be prober 0.
			let b = batch(1, 0, 0);
			assert_eq!(check(b.clone(), sign(&b)), code(ProbeRejection::BadSignature));
			assert_eq!(Probes::<Test>::iter().count(), 0);
			let b = batch(1, 1, 0);
			assert_eq!(check(b.clone(), sign(&b)), Ok(()));
		});
	}

	#[test]
	fn the_board_sets_the_probers() {
		run(|| {
			let probers = BoundedVec::truncate_from(vec![ProberId::from(
				sp_core::sr25519::Public::from_raw([1; 32]),
			)]);
			assert_noop!(
				Pob::set_probers(RuntimeOrigin::signed(beacon(0)), probers.clone()),
				DispatchError::BadOrigin
			);
			assert_ok!(Pob::set_probers(RuntimeOrigin::root(), probers.clone()));
			assert_eq!(Probers::<Test>::get(), probers);
		});
	}
}

mod multicast {
	use super::*;
	use crate::{
		features::multicast_signing_payload, MulticastChannels, MulticastRecords, MulticastReports,
		MulticastTests,
	};
	use ocm_pob::multicast::{window_end_ms, OBJECTS_IN_WINDOW};

	fn operator() -> AccountId {
		AccountId::new([0xee; 32])
	}

	fn channel() -> MulticastChannel {
		MulticastChannel {
			amt_relay: IpAddress::V4([192, 0, 2, 1]),
			amt_port: 2268,
			source: IpAddress::V4([192, 0, 2, 7]),
			group: IpAddress::V4([232, 1, 1, 1]),
			port: 5000,
		}
	}

	fn announce() {
		assert_ok!(Pob::announce_multicast_channel(
			RuntimeOrigin::signed(operator()),
			0,
			channel()
		));
	}

	fn end_multicast_window() {
		let epoch = CurrentEpoch::<Test>::get();
		NowMs::set(window_end_ms(epoch.window_start_ms, epoch.window_secs));
	}

	fn signed(
		n: u8,
		relay: u32,
		epoch: u32,
		objects: u32,
	) -> (MulticastReportOf<Test>, MultiSignature) {
		let report = MulticastReport { epoch, relay, beacon: beacon(n), objects, bytes: 500_000 };
		let genesis = System::block_hash(0);
		let signature = beacon_pair(n).sign(&multicast_signing_payload(genesis.as_ref(), &report));
		(report, MultiSignature::Sr25519(signature))
	}

	fn submit(
		report: MulticastReportOf<Test>,
		signature: MultiSignature,
	) -> Result<(), TransactionValidityError> {
		let call = RuntimeCall::Pob(crate::Call::submit_multicast_report { report, signature });
		call.authorize(TransactionSource::External).expect("authorized by the pallet")?;
		call.dispatch(frame_system::RawOrigin::Authorized.into())
			.expect("an authorized report is accepted");
		Ok(())
	}

	#[test]
	fn only_the_operator_announces_and_only_source_specific_channels() {
		run(|| {
			add_relay(0, 200, 9);
			assert_noop!(
				Pob::announce_multicast_channel(RuntimeOrigin::signed(beacon(0)), 0, channel()),
				Error::<Test>::NotOperator
			);
			assert_noop!(
				Pob::announce_multicast_channel(RuntimeOrigin::signed(operator()), 1, channel()),
				Error::<Test>::UnknownRelay
			);
			for bad in [
				MulticastChannel { group: IpAddress::V4([239, 1, 1, 1]), ..channel() },
				MulticastChannel { source: IpAddress::V6([0x20; 16]), ..channel() },
				MulticastChannel { amt_relay: IpAddress::V4([0; 4]), ..channel() },
				MulticastChannel { port: 0, ..channel() },
			] {
				assert_noop!(
					Pob::announce_multicast_channel(RuntimeOrigin::signed(operator()), 0, bad),
					Error::<Test>::BadMulticastChannel
				);
			}
			announce();
			assert_eq!(MulticastChannels::<Test>::get(0), Some(channel()));
			assert_noop!(
				Pob::withdraw_multicast_channel(RuntimeOrigin::signed(beacon(0)), 0),
				Error::<Test>::NotOperator
			);
			assert_ok!(Pob::withdraw_multicast_channel(RuntimeOrigin::signed(operator()), 0));
			assert_noop!(
				Pob::withdraw_multicast_channel(RuntimeOrigin::signed(operator()), 0),
				Error::<Test>::NoMulticastChannel
			);
			assert!(events().contains(&Event::MulticastChannelWithdrawn { relay: 0 }));
		});
	}

	#[test]
	fn a_relay_reaching_most_of_its_beacons_has_verified_multicast_reach() {
		run(|| {
			for n in 0..3 {
				register(n, 100, u32::from(n) + 1);
			}
			add_relay(0, 200, 9);
			announce();
			open();
			let epoch = CurrentEpoch::<Test>::get().index;
			assert_eq!(MulticastTests::<Test>::get(0), Some(channel()));
			let beacons: Vec<u8> = assigned(0).iter().map(index_of).collect();
			assert_eq!(beacons.len(), 3);

			// After the unicast window, the multicast one is still open.
			end_window();
			let (report, signature) = signed(beacons[0], 0, epoch, OBJECTS_IN_WINDOW);
			assert_eq!(
				submit(report.clone(), signature.clone()),
				rejected(ReportRejection::WindowOpen)
			);
			end_multicast_window();
			assert_ok!(submit(report.clone(), signature.clone()));
			assert_eq!(submit(report, signature), rejected(ReportRejection::Duplicate));
			// 36 of 40 objects is 90 %: reached; 35 is not.
			assert_ok!(submit_pair(signed(beacons[1], 0, epoch, 36)));
			assert_ok!(submit_pair(signed(beacons[2], 0, epoch, 35)));

			run_to(System::block_number() + EPOCH);
			let record = MulticastRecords::<Test>::get(0).unwrap();
			assert_eq!(
				record,
				MulticastRecord {
					epoch,
					beacons: 3,
					reports: 3,
					reached: 2,
					verified: true,
					last_verified: epoch
				}
			);
			assert!(events().contains(&Event::MulticastReach {
				epoch,
				relay: 0,
				beacons: 3,
				reached: 2,
				verified: true
			}));
			assert_eq!(MulticastReports::<Test>::iter().count(), 0);

			// Next epoch, one beacon reached of three: not verified, and the
			// record remembers the last epoch that was.
			let next = CurrentEpoch::<Test>::get().index;
			let beacons: Vec<u8> = assigned(0).iter().map(index_of).collect();
			end_multicast_window();
			assert_ok!(submit_pair(signed(beacons[0], 0, next, 40)));
			run_to(System::block_number() + EPOCH);
			let record = MulticastRecords::<Test>::get(0).unwrap();
			assert_eq!((record.epoch, record.reached, record.verified), (next, 1, false));
			assert_eq!(record.last_verified, epoch);
		});
	}

	fn submit_pair(
		(report, signature): (MulticastReportOf<Test>, MultiSignature),
	) -> Result<(), TransactionValidityError> {
		submit(report, signature)
	}

	#[test]
	fn the_pool_refuses_multicast_reports_that_cannot_be_true() {
		run(|| {
			for n in 0..3 {
				register(n, 1, u32::from(n) + 1);
			}
			add_relay(0, 2, 9);
			open();
			let epoch = CurrentEpoch::<Test>::get().index;
			let beacons: Vec<u8> = assigned(0).iter().map(index_of).collect();
			end_multicast_window();
			// No channel announced before the epoch opened: no test.
			announce();
			assert_eq!(
				submit_pair(signed(beacons[0], 0, epoch, 40)),
				rejected(ReportRejection::NoMulticastTest)
			);
			MulticastTests::<Test>::insert(0, channel());
			assert_eq!(
				submit_pair(signed(beacons[0], 0, epoch + 1, 40)),
				rejected(ReportRejection::WrongEpoch)
			);
			assert_eq!(
				submit_pair(signed(beacons[0], 0, epoch, OBJECTS_IN_WINDOW + 1)),
				rejected(ReportRejection::Impossible)
			);
			// A 1 Mbit/s link carries 625,000 bytes in the 5 s window, and
			// the slack every report gets.
			let (mut report, _) = signed(beacons[0], 0, epoch, 40);
			report.bytes = ocm_pob::verdict::max_bytes_per_second(1) * 5 + 1;
			let genesis = System::block_hash(0);
			let signature = MultiSignature::Sr25519(
				beacon_pair(beacons[0]).sign(&multicast_signing_payload(genesis.as_ref(), &report)),
			);
			assert_eq!(submit(report, signature), rejected(ReportRejection::Impossible));
			// Signed by another beacon, or by nobody assigned.
			let (report, _) = signed(beacons[0], 0, epoch, 40);
			let (_, other) = signed(beacons[1], 0, epoch, 40);
			assert_eq!(submit(report, other), rejected(ReportRejection::BadSignature));
			assert_eq!(
				submit_pair(signed(9, 0, epoch, 40)),
				rejected(ReportRejection::UnknownBeacon)
			);
			// The unicast report's signature does not pass for a multicast one.
			let (report, _) = signed(beacons[0], 0, epoch, 40);
			let (_, unicast) = signed_report(beacons[0], 0, epoch, &[1; WINDOW as usize]);
			assert_eq!(submit(report, unicast), rejected(ReportRejection::BadSignature));
			assert_ok!(submit_pair(signed(beacons[0], 0, epoch, 40)));
		});
	}
}
