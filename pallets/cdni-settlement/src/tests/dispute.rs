//! Disputes: malformed records, duplicates, missing records and answers.

use super::*;
use crate::{Batches, Contracts, Error, HoldReason};
use frame_support::{assert_noop, assert_ok};
use sp_keyring::Sr25519Keyring;

fn claim_held(who: &AccountId) -> Balance {
	Balances::balance_on_hold(&HoldReason::ClaimDeposit.into(), who)
}

#[test]
fn a_malformed_record_voids_the_batch_and_slashes_the_relay() {
	run(|| {
		let (contract, relay) = contract_with_relay();
		let mut lines = records(5, 1_000, HOST, &[200]);
		lines[3] = b"not\ta\trecord".to_vec();
		let key = commit(contract, relay, 0, &lines);
		let bond_before = bond(relay);
		// A well-formed record is not a dispute.
		assert_noop!(
			Settlement::dispute_malformed(
				RuntimeOrigin::signed(provider()),
				key,
				lines[2].clone(),
				proof(&lines, 2)
			),
			Error::<Test>::RecordWellFormed
		);
		// A forged proof: the right line at the wrong index.
		assert_noop!(
			Settlement::dispute_malformed(
				RuntimeOrigin::signed(provider()),
				key,
				lines[3].clone(),
				proof(&lines, 4)
			),
			Error::<Test>::InvalidProof
		);
		assert_noop!(
			Settlement::dispute_malformed(
				RuntimeOrigin::signed(provider()),
				key,
				b"anything".to_vec(),
				proof(&lines, 3)
			),
			Error::<Test>::InvalidProof
		);
		assert_noop!(
			Settlement::dispute_malformed(
				RuntimeOrigin::signed(stranger()),
				key,
				lines[3].clone(),
				proof(&lines, 3)
			),
			Error::<Test>::NotChallenger
		);
		assert_ok!(Settlement::dispute_malformed(
			RuntimeOrigin::signed(provider()),
			key,
			lines[3].clone(),
			proof(&lines, 3)
		));
		assert!(Batches::<Test>::get(key).is_none());
		let c = Contracts::<Test>::get(contract).unwrap();
		assert_eq!((c.pending, c.open_batches), (0, 0));
		assert_eq!(bond(relay), bond_before - bond_before / 10);
		assert!(events().contains(&Event::BatchVoided {
			contract,
			relay,
			period: 0,
			reason: VoidReason::MalformedRecord { index: 3 },
		}));
		// Its period stays committed.
		assert_noop!(
			Settlement::commit_batch(
				RuntimeOrigin::signed(operator()),
				contract,
				relay,
				0,
				commitment(&lines)
			),
			Error::<Test>::AlreadyCommitted
		);
	});
}

#[test]
fn a_record_for_another_host_is_malformed_for_this_contract() {
	run(|| {
		let (contract, relay) = contract_with_relay();
		let mut lines = records(3, 1_000, HOST, &[200]);
		lines.extend(records(1, 1_000, "img.example.com", &[200]));
		let key = commit(contract, relay, 0, &lines);
		// The beacon audits it.
		assert_ok!(Settlement::dispute_malformed(
			RuntimeOrigin::signed(auditor()),
			key,
			lines[3].clone(),
			proof(&lines, 3)
		));
		assert!(Batches::<Test>::get(key).is_none());
	});
}

#[test]
fn disputes_close_with_the_window() {
	run(|| {
		let (contract, relay) = contract_with_relay();
		let mut lines = records(2, 1_000, HOST, &[200]);
		lines[1] = b"junk".to_vec();
		let key = commit(contract, relay, 0, &lines);
		System::set_block_number(11 + DISPUTE_BLOCKS);
		assert_noop!(
			Settlement::dispute_malformed(
				RuntimeOrigin::signed(provider()),
				key,
				lines[1].clone(),
				proof(&lines, 1)
			),
			Error::<Test>::DisputeWindowOver
		);
		assert_noop!(
			Settlement::dispute_malformed(
				RuntimeOrigin::signed(provider()),
				(contract, relay, 1),
				lines[1].clone(),
				proof(&lines, 1)
			),
			Error::<Test>::BatchNotFound
		);
	});
}

#[test]
fn a_duplicated_request_is_not_paid() {
	run(|| {
		let (contract, relay) = contract_with_relay();
		verify_at(relay, 10_000);
		let mut lines = records(4, 1_000_000_000, HOST, &[200]);
		// Record 3 repeats record 1's request with another time.
		let mut repeat = records(2, 1_000_000_000, HOST, &[200])[1].clone();
		repeat[20] = b'9';
		assert_ne!(repeat, lines[1]);
		lines[3] = repeat;
		let key = commit(contract, relay, 0, &lines);
		let bond_before = bond(relay);
		let dispute = |a: u32, b: u32| {
			Settlement::dispute_duplicate(
				RuntimeOrigin::signed(provider()),
				key,
				lines[a as usize].clone(),
				proof(&lines, a),
				lines[b as usize].clone(),
				proof(&lines, b),
			)
		};
		assert_noop!(dispute(1, 1), Error::<Test>::NotDuplicate);
		assert_noop!(dispute(0, 1), Error::<Test>::NotDuplicate);
		assert_ok!(dispute(1, 3));
		let batch = Batches::<Test>::get(key).unwrap();
		assert_eq!((batch.duplicates.to_vec(), batch.duplicate_bytes), (vec![3], 1_000_000_000));
		assert_eq!(bond(relay), bond_before - bond_before / 10);
		assert_noop!(dispute(3, 1), Error::<Test>::DuplicateKnown);
		// Settlement pays 3 GB, not 4.
		run_to(batch.settle_at);
		assert!(events().iter().any(|e| matches!(
			e,
			Event::BatchSettled { settlement: Payout { gross: 3_000, .. }, .. }
		)));
	});
}

#[test]
fn too_many_duplicates_void_the_batch() {
	run(|| {
		let (contract, relay) = contract_with_relay();
		// Every record repeats request 0.
		let lines: Vec<Vec<u8>> = (0..=MAX_DISPUTES as usize + 1)
			.map(|i| {
				let mut l = records(1, 1_000, HOST, &[200])[0].clone();
				l[20] = b'0' + i as u8;
				l
			})
			.collect();
		let key = commit(contract, relay, 0, &lines);
		for i in 1..=MAX_DISPUTES + 1 {
			assert_ok!(Settlement::dispute_duplicate(
				RuntimeOrigin::signed(provider()),
				key,
				lines[0].clone(),
				proof(&lines, 0),
				lines[i as usize].clone(),
				proof(&lines, i),
			));
		}
		assert!(Batches::<Test>::get(key).is_none());
		assert!(events().contains(&Event::BatchVoided {
			contract,
			relay,
			period: 0,
			reason: VoidReason::TooManyDuplicates
		}));
	});
}

#[test]
fn a_receipted_request_must_be_shown_or_the_batch_is_void() {
	run(|| {
		let (contract, relay) = contract_with_relay();
		let lines = records(4, 1_000, HOST, &[200]);
		let key = commit(contract, relay, 0, &lines);
		// The auditor holds receipts for request 2 (logged) and for a
		// request the relay served but did not log.
		let logged = Settled::parse(&lines[2]).unwrap();
		let (logged_id, logged_uri) = (logged.request_id.clone(), logged.uri.to_vec());
		let lost_id = b"ffffffffffffffffffffffffffffffff".to_vec();
		let lost_uri = format!("http://{HOST}/live/lost.ts").into_bytes();
		let claim = |id: &[u8], uri: &[u8], sig| {
			Settlement::claim_missing(
				RuntimeOrigin::signed(auditor()),
				key,
				id.to_vec(),
				uri.to_vec(),
				sig,
			)
		};
		let forged = receipt(key, &lost_id, &lost_uri, &Sr25519Keyring::Dave.pair());
		assert_noop!(claim(&lost_id, &lost_uri, forged), Error::<Test>::InvalidReceipt);
		let for_other_period = receipt((contract, relay, 1), &lost_id, &lost_uri, &operator_pair());
		assert_noop!(claim(&lost_id, &lost_uri, for_other_period), Error::<Test>::InvalidReceipt);
		assert_ok!(claim(
			&logged_id,
			&logged_uri,
			receipt(key, &logged_id, &logged_uri, &operator_pair())
		));
		assert_ok!(claim(&lost_id, &lost_uri, receipt(key, &lost_id, &lost_uri, &operator_pair())));
		assert_eq!(claim_held(&auditor()), 2 * CLAIM_DEPOSIT);
		assert_noop!(
			claim(&lost_id, &lost_uri, receipt(key, &lost_id, &lost_uri, &operator_pair())),
			Error::<Test>::ClaimExists
		);
		let long_id = vec![b'a'; 65];
		assert_noop!(
			claim(&long_id, &lost_uri, receipt(key, &long_id, &lost_uri, &operator_pair())),
			Error::<Test>::ClaimTooLong
		);
		// The relay answers the first claim with record 2.
		let answer = |index: u32| {
			Settlement::answer_claim(
				RuntimeOrigin::signed(operator()),
				key,
				lines[index as usize].clone(),
				proof(&lines, index),
			)
		};
		assert_noop!(
			Settlement::answer_claim(
				RuntimeOrigin::signed(stranger()),
				key,
				lines[2].clone(),
				proof(&lines, 2)
			),
			Error::<Test>::NotOperator
		);
		assert_noop!(answer(1), Error::<Test>::ClaimNotFound);
		let operator_before = free(&operator());
		assert_ok!(answer(2));
		assert_eq!(free(&operator()), operator_before + CLAIM_DEPOSIT);
		assert_eq!(claim_held(&auditor()), CLAIM_DEPOSIT);
		// The second is never answered: at settlement the batch is void and
		// the auditor gets its deposit back.
		let batch = Batches::<Test>::get(key).unwrap();
		let bond_before = bond(relay);
		run_to(batch.settle_at);
		assert!(Batches::<Test>::get(key).is_none());
		assert_eq!(claim_held(&auditor()), 0);
		assert_eq!(bond(relay), bond_before - bond_before / 10);
		assert!(events().contains(&Event::BatchVoided {
			contract,
			relay,
			period: 0,
			reason: VoidReason::MissingRecord
		}));
		assert_eq!(Contracts::<Test>::get(contract).unwrap().paid, 0);
	});
}

#[test]
fn answers_must_match_the_claim_and_come_in_time() {
	run(|| {
		let (contract, relay) = contract_with_relay();
		let lines = records(3, 1_000, HOST, &[200]);
		let key = commit(contract, relay, 0, &lines);
		let logged = Settled::parse(&lines[1]).unwrap();
		let id = logged.request_id.clone();
		// The same request id with another URI: the record does not match.
		let uri = format!("http://{HOST}/live/other.ts").into_bytes();
		assert_ok!(Settlement::claim_missing(
			RuntimeOrigin::signed(provider()),
			key,
			id.clone(),
			uri.clone(),
			receipt(key, &id, &uri, &operator_pair())
		));
		let answer = || {
			Settlement::answer_claim(
				RuntimeOrigin::signed(operator()),
				key,
				lines[1].clone(),
				proof(&lines, 1),
			)
		};
		assert_noop!(answer(), Error::<Test>::AnswerMismatch);
		assert_noop!(
			Settlement::answer_claim(
				RuntimeOrigin::signed(operator()),
				key,
				lines[1].clone(),
				proof(&lines, 0)
			),
			Error::<Test>::InvalidProof
		);
		// A right claim answered after its deadline is too late.
		let logged = Settled::parse(&lines[2]).unwrap();
		let (id, uri) = (logged.request_id.clone(), logged.uri.to_vec());
		assert_ok!(Settlement::claim_missing(
			RuntimeOrigin::signed(provider()),
			key,
			id.clone(),
			uri.clone(),
			receipt(key, &id, &uri, &operator_pair())
		));
		let answer_by = Batches::<Test>::get(key).unwrap().claims.last().unwrap().answer_by;
		System::set_block_number(answer_by + 1);
		assert_noop!(
			Settlement::answer_claim(
				RuntimeOrigin::signed(operator()),
				key,
				lines[2].clone(),
				proof(&lines, 2)
			),
			Error::<Test>::AnswerTooLate
		);
	});
}

#[test]
fn claims_are_bounded_and_need_the_deposit() {
	run(|| {
		let (contract, relay) = contract_with_relay();
		let lines = records(2, 1_000, HOST, &[200]);
		let key = commit(contract, relay, 0, &lines);
		let uri = format!("http://{HOST}/x").into_bytes();
		for i in 0..MAX_DISPUTES {
			let id = format!("{i:032x}-missing").into_bytes();
			assert_ok!(Settlement::claim_missing(
				RuntimeOrigin::signed(provider()),
				key,
				id.clone(),
				uri.clone(),
				receipt(key, &id, &uri, &operator_pair())
			));
		}
		let id = b"one-more".to_vec();
		assert_noop!(
			Settlement::claim_missing(
				RuntimeOrigin::signed(provider()),
				key,
				id.clone(),
				uri.clone(),
				receipt(key, &id, &uri, &operator_pair())
			),
			Error::<Test>::TooManyClaims
		);
		// An auditor without the deposit, on another batch.
		let poor = AccountId::new([9; 32]);
		AuditorList::set(vec![auditor(), poor.clone()]);
		let (c, r) = contract_with_relay();
		let key = commit(c, r, 0, &records(2, 1_000, HOST, &[200]));
		let id = b"x".to_vec();
		assert_noop!(
			Settlement::claim_missing(
				RuntimeOrigin::signed(poor),
				key,
				id.clone(),
				uri.clone(),
				receipt(key, &id, &uri, &operator_pair())
			),
			Error::<Test>::InsufficientFunds
		);
	});
}
