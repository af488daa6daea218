//! Signed requests, tried as a relay operator would cheat: records of
//! viewers the provider never authorised (no token, a forged token, a real
//! token replayed outside its bounds) void the batch, the relay is
//! slashed and paid nothing; an honest relay answers with its tokens and is
//! paid to the planck.

use super::{
	assurance::{attacker_gained_nothing, holdings},
	*,
};
use crate::{features::signing::MAX_SPAN_SECS, Batches, Contracts, Error, RequestSigningTerms};
use frame_support::{assert_noop, assert_ok};
use ocm_cdni::uri_signing::{self, mint, Grant};
use sp_core::Pair;

/// The provider's token key (or its router's).
fn signer() -> sp_core::ed25519::Pair {
	sp_core::ed25519::Pair::from_seed(&[7; 32])
}

/// A key the relay made itself.
fn relay_key() -> sp_core::ed25519::Pair {
	sp_core::ed25519::Pair::from_seed(&[9; 32])
}

/// When [`records`] were requested: 1,700,000,000 s.
const AT: u64 = 1_700_000_000;

/// A viewer's token for 198.51.100.0/24, an hour from `AT` - 60 s, on
/// every URI under `http://HOST/live/`.
fn grant(id: &str) -> Grant {
	Grant {
		id: id.into(),
		not_before: AT - 60,
		expires: AT - 60 + 3_600,
		client: "198.51.100.0/24".into(),
		scope: uri_signing::prefix_container(&format!("http://{HOST}/live/")),
		cookie: false,
	}
}

fn token(grant: &Grant, key: &sp_core::ed25519::Pair) -> Vec<u8> {
	mint(grant, |input| key.sign(input).0).into_bytes()
}

/// `n` records of 250 MB each naming token `token_id` (if any).
fn signed_records(n: usize, token_id: Option<&str>) -> Vec<Vec<u8>> {
	(0..n)
		.map(|i| {
			let mut line =
				String::from_utf8(records(n, 250_000_000, HOST, &[200])[i].clone()).unwrap();
			// The last field is the token id: `-` from `records`.
			assert!(line.ends_with("\t-"));
			line.truncate(line.len() - 1);
			match token_id {
				Some(id) => line.push_str(&format!("\"{id}\"")),
				None => line.push('-'),
			}
			line.into_bytes()
		})
		.collect()
}

/// A contract with a relay that requires signed requests from period 1,
/// with [`signer`]'s key and spans of at most an hour.
fn signed_contract() -> (ContractId, u32) {
	let (contract, relay) = contract_with_relay();
	assert_ok!(Settlement::add_token_key(
		RuntimeOrigin::signed(provider()),
		contract,
		signer().public().0
	));
	assert_ok!(Settlement::require_signed_requests(
		RuntimeOrigin::signed(provider()),
		contract,
		Some(3_600)
	));
	let terms = RequestSigningTerms::<Test>::get(contract).unwrap();
	assert_eq!(terms.required_from, Some(1));
	(contract, relay)
}

#[test]
fn an_honest_relay_shows_its_tokens_and_is_paid_to_the_planck() {
	run(|| {
		let (contract, relay) = signed_contract();
		let operator_before = free(&operator());
		let provider_before = free(&provider());
		let lines = signed_records(4, Some("viewer-1"));
		let key = commit(contract, relay, 1, &lines);
		for index in [0, 3] {
			assert_ok!(Settlement::dispute_unsigned(
				RuntimeOrigin::signed(provider()),
				key,
				lines[index as usize].clone(),
				proof(&lines, index)
			));
		}
		assert_noop!(
			Settlement::dispute_unsigned(
				RuntimeOrigin::signed(provider()),
				key,
				lines[0].clone(),
				proof(&lines, 0)
			),
			Error::<Test>::ClaimExists
		);
		let viewer = token(&grant("viewer-1"), &signer());
		for index in [0u32, 3] {
			assert_ok!(Settlement::answer_token(
				RuntimeOrigin::signed(operator()),
				key,
				lines[index as usize].clone(),
				proof(&lines, index),
				viewer.clone()
			));
		}
		assert!(Batches::<Test>::get(key).unwrap().claims.is_empty());
		let due = Batches::<Test>::get(key).unwrap().settle_at;
		run_to(due);
		// 1 GB at 1,000 per GB, a 2 % fee (20) to the pot: 980 to the
		// relay, which also earned both deposits.
		assert_eq!(free(&operator()), operator_before + 980 + 2 * CLAIM_DEPOSIT);
		assert_eq!(free(&provider()), provider_before - 2 * CLAIM_DEPOSIT);
		assert_eq!(Contracts::<Test>::get(contract).unwrap().paid, 980);
	});
}

#[test]
fn invented_viewers_without_tokens_void_the_batch_at_once() {
	run(|| {
		let (contract, relay) = signed_contract();
		let before = holdings(relay);
		// One unsigned record among signed ones: the relay added a viewer.
		let mut lines = signed_records(3, Some("viewer-1"));
		lines[1] = signed_records(1, None).remove(0);
		let key = commit(contract, relay, 1, &lines);
		assert_ok!(Settlement::dispute_unsigned(
			RuntimeOrigin::signed(provider()),
			key,
			lines[1].clone(),
			proof(&lines, 1)
		));
		assert!(events().contains(&Event::BatchVoided {
			contract,
			relay,
			period: 1,
			reason: VoidReason::Unsigned { index: 1 }
		}));
		attacker_gained_nothing(relay, &before);
	});
}

/// Commits `lines` for period 1, claims record 0 and has the relay answer
/// with `shown`, which the runtime refuses with `refusal`; the batch is
/// then void at settlement and the attacker gains nothing.
fn refused_answer_voids_the_batch(lines: Vec<Vec<u8>>, shown: Vec<u8>, refusal: Error<Test>) {
	let (contract, relay) = signed_contract();
	let before = holdings(relay);
	let key = commit(contract, relay, 1, &lines);
	assert_ok!(Settlement::dispute_unsigned(
		RuntimeOrigin::signed(provider()),
		key,
		lines[0].clone(),
		proof(&lines, 0)
	));
	assert_noop!(
		Settlement::answer_token(
			RuntimeOrigin::signed(operator()),
			key,
			lines[0].clone(),
			proof(&lines, 0),
			shown
		),
		refusal
	);
	let due = Batches::<Test>::get(key).unwrap().settle_at;
	run_to(due);
	assert!(events().contains(&Event::BatchVoided {
		contract,
		relay,
		period: 1,
		reason: VoidReason::MissingRecord
	}));
	attacker_gained_nothing(relay, &before);
}

#[test]
fn a_token_the_relay_forged_cannot_answer() {
	run(|| {
		refused_answer_voids_the_batch(
			signed_records(2, Some("invented")),
			token(&grant("invented"), &relay_key()),
			Error::<Test>::TokenSignatureInvalid,
		)
	});
}

#[test]
fn a_real_token_replayed_after_its_expiry_cannot_answer() {
	run(|| {
		// The viewer's token ran out a minute before the records.
		let mut expired = grant("viewer-1");
		expired.not_before = AT - 3_600;
		expired.expires = AT - 60;
		refused_answer_voids_the_batch(
			signed_records(2, Some("viewer-1")),
			token(&expired, &signer()),
			Error::<Test>::TokenOutOfSpan,
		)
	});
}

#[test]
fn a_real_token_replayed_from_another_network_cannot_answer() {
	run(|| {
		let mut elsewhere = grant("viewer-1");
		elsewhere.client = "203.0.113.0/24".into();
		refused_answer_voids_the_batch(
			signed_records(2, Some("viewer-1")),
			token(&elsewhere, &signer()),
			Error::<Test>::TokenOtherClient,
		)
	});
}

#[test]
fn a_real_token_replayed_on_other_objects_cannot_answer() {
	run(|| {
		let mut one_object = grant("viewer-1");
		one_object.scope = uri_signing::hash_container(&format!("http://{HOST}/live/intro.ts"));
		refused_answer_voids_the_batch(
			signed_records(2, Some("viewer-1")),
			token(&one_object, &signer()),
			Error::<Test>::TokenOutOfScope,
		)
	});
}

#[test]
fn a_token_longer_than_the_contract_allows_cannot_answer() {
	run(|| {
		let mut long = grant("viewer-1");
		long.expires = long.not_before + 3_601;
		refused_answer_voids_the_batch(
			signed_records(2, Some("viewer-1")),
			token(&long, &signer()),
			Error::<Test>::TokenOutOfSpan,
		)
	});
}

#[test]
fn another_tokens_id_or_bad_tokens_cannot_answer() {
	run(|| {
		refused_answer_voids_the_batch(
			signed_records(2, Some("viewer-1")),
			token(&grant("viewer-2"), &signer()),
			Error::<Test>::TokenMismatch,
		)
	});
	for bad in [
		// `alg: none`, unsigned.
		b"eyJhbGciOiJub25lIn0.eyJqdGkiOiJ2aWV3ZXItMSJ9.".to_vec(),
		vec![b'a'; uri_signing::MAX_TOKEN + 1],
		b"not a token".to_vec(),
	] {
		run(|| {
			refused_answer_voids_the_batch(
				signed_records(2, Some("viewer-1")),
				bad,
				Error::<Test>::TokenMalformed,
			)
		});
	}
}

#[test]
fn terms_apply_from_the_next_period_and_a_revoked_key_judges_its_periods() {
	run(|| {
		let (contract, relay) = signed_contract();
		// Period 0 required nothing: its unsigned records stand.
		let unsigned = signed_records(2, None);
		let key0 = commit(contract, relay, 0, &unsigned);
		assert_noop!(
			Settlement::dispute_unsigned(
				RuntimeOrigin::signed(provider()),
				key0,
				unsigned[0].clone(),
				proof(&unsigned, 0)
			),
			Error::<Test>::SigningNotRequired
		);
		// In period 1 the provider revokes its key and adds another: the
		// old key still judges period 1, the new one only from period 2.
		let next = sp_core::ed25519::Pair::from_seed(&[8; 32]);
		let c = Contracts::<Test>::get(contract).unwrap();
		System::set_block_number(c.period_start(1));
		assert_ok!(Settlement::revoke_token_key(
			RuntimeOrigin::signed(provider()),
			contract,
			signer().public().0
		));
		assert_ok!(Settlement::add_token_key(
			RuntimeOrigin::signed(provider()),
			contract,
			next.public().0
		));
		let lines = signed_records(2, Some("viewer-1"));
		let key1 = commit(contract, relay, 1, &lines);
		for index in [0u32, 1] {
			assert_ok!(Settlement::dispute_unsigned(
				RuntimeOrigin::signed(provider()),
				key1,
				lines[index as usize].clone(),
				proof(&lines, index)
			));
		}
		assert_noop!(
			Settlement::answer_token(
				RuntimeOrigin::signed(operator()),
				key1,
				lines[0].clone(),
				proof(&lines, 0),
				token(&grant("viewer-1"), &next)
			),
			Error::<Test>::TokenSignatureInvalid
		);
		assert_ok!(Settlement::answer_token(
			RuntimeOrigin::signed(operator()),
			key1,
			lines[0].clone(),
			proof(&lines, 0),
			token(&grant("viewer-1"), &signer())
		));
		// Stopping the requirement helps only relays, so it applies at
		// once, and a claim it made moot closes on any answer: the
		// provider cannot leave it unanswerable.
		assert_ok!(Settlement::require_signed_requests(
			RuntimeOrigin::signed(provider()),
			contract,
			None
		));
		assert_ok!(Settlement::answer_token(
			RuntimeOrigin::signed(operator()),
			key1,
			lines[1].clone(),
			proof(&lines, 1),
			Vec::new()
		));
		assert!(Batches::<Test>::get(key1).unwrap().claims.is_empty());
	});
}

#[test]
fn signing_terms_refuse_bad_input_by_name() {
	run(|| {
		let (contract, relay) = contract_with_relay();
		let key = signer().public().0;
		assert_noop!(
			Settlement::require_signed_requests(
				RuntimeOrigin::signed(provider()),
				contract,
				Some(60)
			),
			Error::<Test>::NoTokenKeys
		);
		assert_noop!(
			Settlement::add_token_key(RuntimeOrigin::signed(operator()), contract, key),
			Error::<Test>::NotProvider
		);
		assert_ok!(Settlement::add_token_key(RuntimeOrigin::signed(provider()), contract, key));
		assert_noop!(
			Settlement::add_token_key(RuntimeOrigin::signed(provider()), contract, key),
			Error::<Test>::TokenKeyExists
		);
		for span in [0, MAX_SPAN_SECS + 1] {
			assert_noop!(
				Settlement::require_signed_requests(
					RuntimeOrigin::signed(provider()),
					contract,
					Some(span)
				),
				Error::<Test>::BadTokenSpan
			);
		}
		assert_ok!(Settlement::require_signed_requests(
			RuntimeOrigin::signed(provider()),
			contract,
			Some(3_600)
		));
		// A shorter span would refuse tokens relays already accepted.
		assert_noop!(
			Settlement::require_signed_requests(
				RuntimeOrigin::signed(provider()),
				contract,
				Some(60)
			),
			Error::<Test>::BadTokenSpan
		);
		for seed in 1..=3u8 {
			let other = sp_core::ed25519::Pair::from_seed(&[seed; 32]).public().0;
			assert_ok!(Settlement::add_token_key(
				RuntimeOrigin::signed(provider()),
				contract,
				other
			));
		}
		let fifth = sp_core::ed25519::Pair::from_seed(&[4; 32]).public().0;
		assert_noop!(
			Settlement::add_token_key(RuntimeOrigin::signed(provider()), contract, fifth),
			Error::<Test>::TooManyTokenKeys
		);
		assert_noop!(
			Settlement::revoke_token_key(RuntimeOrigin::signed(provider()), contract, fifth),
			Error::<Test>::TokenKeyNotFound
		);
		// Disputes: only the provider or an auditor; answers: only the operator.
		let lines = signed_records(2, Some("viewer-1"));
		let batch = commit(contract, relay, 1, &lines);
		assert_noop!(
			Settlement::dispute_unsigned(
				RuntimeOrigin::signed(stranger()),
				batch,
				lines[0].clone(),
				proof(&lines, 0)
			),
			Error::<Test>::NotChallenger
		);
		assert_noop!(
			Settlement::dispute_unsigned(
				RuntimeOrigin::signed(provider()),
				batch,
				lines[0].clone(),
				proof(&lines, 1)
			),
			Error::<Test>::InvalidProof
		);
		assert_noop!(
			Settlement::answer_token(
				RuntimeOrigin::signed(operator()),
				batch,
				lines[0].clone(),
				proof(&lines, 0),
				token(&grant("viewer-1"), &signer())
			),
			Error::<Test>::ClaimNotFound
		);
		assert_ok!(Settlement::dispute_unsigned(
			RuntimeOrigin::signed(provider()),
			batch,
			lines[0].clone(),
			proof(&lines, 0)
		));
		assert_noop!(
			Settlement::answer_token(
				RuntimeOrigin::signed(stranger()),
				batch,
				lines[0].clone(),
				proof(&lines, 0),
				token(&grant("viewer-1"), &signer())
			),
			Error::<Test>::NotOperator
		);
		// After the answer period the token comes too late.
		let answer_by = Batches::<Test>::get(batch).unwrap().claims[0].answer_by;
		System::set_block_number(answer_by + 1);
		assert_noop!(
			Settlement::answer_token(
				RuntimeOrigin::signed(operator()),
				batch,
				lines[0].clone(),
				proof(&lines, 0),
				token(&grant("viewer-1"), &signer())
			),
			Error::<Test>::AnswerTooLate
		);
		// After the dispute window, no more disputes.
		let until = Batches::<Test>::get(batch).unwrap().dispute_until;
		System::set_block_number(until);
		assert_noop!(
			Settlement::dispute_unsigned(
				RuntimeOrigin::signed(provider()),
				batch,
				lines[1].clone(),
				proof(&lines, 1)
			),
			Error::<Test>::DisputeWindowOver
		);
	});
}
