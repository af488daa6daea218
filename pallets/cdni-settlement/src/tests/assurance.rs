//! Delivery assurance, tried as a relay operator would cheat: one test per
//! attack, each ending with the attacker paid nothing (and slashed where a
//! proof shows the lie) and the honest parties losing nothing; and an
//! honest relay, for contrast, paid to the planck.

use super::*;
use crate::{Batches, Contracts, Error, Obligations};
use frame_support::{assert_noop, assert_ok};
use ocm_cdni::merkle::{self, Node, Tree};
use ocm_cdni::record::Settled;
use ocm_primitives::capacity::{Capabilities, RelayRegistry, Suspender};

/// The relay's tree over `lines` with leaf `index` billed at `bytes`.
fn tree_with_inflated_leaf(lines: &[Vec<u8>], index: usize, bytes: u64) -> (Tree, Vec<Node>) {
	let mut leaves: Vec<Node> = lines.iter().map(|l| merkle::leaf(l)).collect();
	leaves[index].sum.bytes = bytes;
	(Tree::new(leaves.clone()).unwrap(), leaves)
}

fn commitment_of(tree: &Tree) -> BatchCommitment {
	BatchCommitment {
		root: tree.root(),
		records: tree.len(),
		totals: tree.totals(),
		log_url: b"http://relay0.isp.example/.well-known/ocm/logs/0/0.log".to_vec(),
	}
}

/// What everyone holds before the attack, to compare after it.
pub(super) struct Holdings {
	provider_free: Balance,
	provider_escrow: Balance,
	operator_free: Balance,
	bond: Balance,
}

pub(super) fn holdings(relay: u32) -> Holdings {
	Holdings {
		provider_free: free(&provider()),
		provider_escrow: escrow_held(&provider()),
		operator_free: free(&operator()),
		bond: bond(relay),
	}
}

/// The attacker was paid nothing, lost a tenth of its bond, and the
/// provider's escrow and free balance are whole.
pub(super) fn attacker_gained_nothing(relay: u32, before: &Holdings) {
	assert_eq!(free(&operator()), before.operator_free, "the relay was paid");
	assert_eq!(bond(relay), before.bond - before.bond / 10, "the relay was not slashed");
	assert_eq!(escrow_held(&provider()), before.provider_escrow, "escrow moved");
	assert_eq!(free(&provider()), before.provider_free, "the provider lost money");
}

#[test]
fn an_invented_batch_is_challenged_by_offset_and_pays_nothing() {
	run(|| {
		let (contract, relay) = contract_with_relay();
		let before = holdings(relay);
		// Before: a random root with one record claiming 3 GB, which nobody
		// could dispute, was paid in full.
		let key = commit_as_is(
			(contract, relay, 0),
			BatchCommitment {
				root: H256::repeat_byte(0x5a),
				records: 1,
				totals: Totals {
					bytes: 3_000_000_000,
					requests: 1,
					status_2xx: 1,
					..Default::default()
				},
				log_url: b"http://relay0.isp.example/0.log".to_vec(),
			},
		);
		assert_ok!(Settlement::challenge_bytes(
			RuntimeOrigin::signed(provider()),
			key,
			1_234_567_890
		));
		assert_eq!(free(&provider()), before.provider_free - CLAIM_DEPOSIT);
		// No line of the relay's leads to that root: whatever it shows fails.
		let fake = records(1, 3_000_000_000, HOST, &[200]);
		assert_noop!(
			Settlement::answer_claim(
				RuntimeOrigin::signed(operator()),
				key,
				fake[0].clone(),
				proof(&fake, 0)
			),
			Error::<Test>::InvalidProof
		);
		let due = Batches::<Test>::get(key).unwrap().settle_at;
		run_to(due);
		assert!(events().contains(&Event::BatchVoided {
			contract,
			relay,
			period: 0,
			reason: VoidReason::MissingRecord
		}));
		// The deposit went back with the void.
		attacker_gained_nothing(relay, &before);
		assert_eq!(Contracts::<Test>::get(contract).unwrap().paid, 0);
	});
}

#[test]
fn a_leaf_billed_above_its_line_cannot_answer_and_is_proven_from_its_neighbour() {
	run(|| {
		let (contract, relay) = contract_with_relay();
		let before = holdings(relay);
		// Ten records of 100 MB; the relay bills record 4 at 1.1 GB.
		let lines = records(10, 100_000_000, HOST, &[200]);
		let (tree, leaves) = tree_with_inflated_leaf(&lines, 4, 1_100_000_000);
		assert_eq!(tree.totals().bytes, 2_000_000_000);
		let key = commit_as_is((contract, relay, 0), commitment_of(&tree));
		// An offset among the invented bytes: record 4 covers 400 MB..1.5 GB
		// in the relay's tree, but its line bills 100 MB, so its proof fails.
		assert_ok!(Settlement::challenge_bytes(
			RuntimeOrigin::signed(provider()),
			key,
			1_000_000_000
		));
		assert_noop!(
			Settlement::answer_claim(
				RuntimeOrigin::signed(operator()),
				key,
				lines[4].clone(),
				tree.prove(4).unwrap()
			),
			Error::<Test>::InvalidProof
		);
		// The provider need not wait: the proof the relay serves for record 5
		// shows record 4's leaf as its first sibling, and with it the lie.
		let served = tree.prove(5).unwrap();
		assert_eq!(served.siblings[0], leaves[4]);
		let mut path = served.clone();
		path.index = 4;
		path.siblings[0] = merkle::leaf(&lines[5]);
		assert_ok!(Settlement::dispute_sums(
			RuntimeOrigin::signed(provider()),
			key,
			lines[4].clone(),
			leaves[4].sum,
			path
		));
		assert!(events().contains(&Event::BatchVoided {
			contract,
			relay,
			period: 0,
			reason: VoidReason::SumsMismatch { index: 4 }
		}));
		attacker_gained_nothing(relay, &before);
	});
}

#[test]
fn inflated_totals_over_an_honest_tree_are_proven_from_any_record() {
	run(|| {
		let (contract, relay) = contract_with_relay();
		let before = holdings(relay);
		let lines = records(6, 100_000_000, HOST, &[200]);
		let mut commitment = commitment(&lines);
		commitment.totals.bytes += 2_000_000_000;
		let key = commit_as_is((contract, relay, 0), commitment);
		// The batch's own honest record does not prove against its totals.
		assert_ok!(Settlement::challenge_bytes(RuntimeOrigin::signed(auditor()), key, 0));
		assert_noop!(
			Settlement::answer_claim(
				RuntimeOrigin::signed(operator()),
				key,
				lines[0].clone(),
				proof(&lines, 0)
			),
			Error::<Test>::InvalidProof
		);
		assert_ok!(Settlement::dispute_sums(
			RuntimeOrigin::signed(auditor()),
			key,
			lines[2].clone(),
			Totals::of(&lines[2]),
			proof(&lines, 2)
		));
		assert!(!Batches::<Test>::contains_key(key));
		attacker_gained_nothing(relay, &before);
		// The auditor's claim deposit went back with the void.
		assert_eq!(free(&auditor()), INITIAL);
	});
}

#[test]
fn an_honest_batch_answers_its_challenges_and_is_paid_to_the_planck() {
	run(|| {
		let (contract, relay) = contract_with_relay();
		let operator_before = free(&operator());
		let provider_before = free(&provider());
		let pot_before = free(&Pot::get());
		// Ten records of 250 MB: 2.5 GB at 1,000 per GB.
		let lines = records(10, 250_000_000, HOST, &[200]);
		let key = commit(contract, relay, 0, &lines);
		// Two offsets in record 2 (500 MB..750 MB) and one in record 9.
		for offset in [600_000_000, 749_999_999, 2_499_999_999] {
			assert_ok!(Settlement::challenge_bytes(RuntimeOrigin::signed(provider()), key, offset));
		}
		assert_noop!(
			Settlement::challenge_bytes(RuntimeOrigin::signed(provider()), key, 600_000_000),
			Error::<Test>::ClaimExists
		);
		// Record 3 covers none of them.
		assert_noop!(
			Settlement::answer_claim(
				RuntimeOrigin::signed(operator()),
				key,
				lines[3].clone(),
				proof(&lines, 3)
			),
			Error::<Test>::ClaimNotFound
		);
		// Record 2 answers both of its offsets at once.
		assert_ok!(Settlement::answer_claim(
			RuntimeOrigin::signed(operator()),
			key,
			lines[2].clone(),
			proof(&lines, 2)
		));
		assert_eq!(Batches::<Test>::get(key).unwrap().claims.len(), 1);
		assert_ok!(Settlement::answer_claim(
			RuntimeOrigin::signed(operator()),
			key,
			lines[9].clone(),
			proof(&lines, 9)
		));
		let due = Batches::<Test>::get(key).unwrap().settle_at;
		run_to(due);
		// 2,500 gross, 2 % fee (50) to the pot, 2,450 to the relay, plus the
		// three deposits it earned by answering.
		assert_eq!(free(&operator()), operator_before + 2_450 + 3 * CLAIM_DEPOSIT);
		assert_eq!(free(&Pot::get()), pot_before + 50);
		let c = Contracts::<Test>::get(contract).unwrap();
		assert_eq!((c.paid, c.fees, c.escrow), (2_450, 50, 1_000_000 - 2_500));
		assert_eq!(free(&provider()), provider_before - 3 * CLAIM_DEPOSIT);
	});
}

#[test]
fn a_period_cannot_bill_more_than_verified_capacity_carries() {
	run(|| {
		let (contract, relay) = contract_with_relay();
		// The board verified the relay at 1 Mbit/s: a 10-block period of
		// 2 s blocks carries 1 x 125 x 20,000 = 2,500,000 bytes, plus the
		// 25 % headroom: 3,125,000.
		assert_ok!(<Registry as RelayRegistry<_, _>>::record_verified(relay, 1));
		assert_eq!(Settlement::capacity_bound(1, PERIOD), 3_125_000);
		System::set_block_number(11);
		let try_commit = |lines: &[Vec<u8>]| {
			Settlement::commit_batch(
				RuntimeOrigin::signed(operator()),
				contract,
				relay,
				0,
				commitment(lines),
			)
		};
		// Before: one terabyte for one period, paid.
		assert_noop!(
			try_commit(&records(1, 1_000_000_000_000, HOST, &[200])),
			Error::<Test>::AboveCapacity
		);
		assert_noop!(try_commit(&records(5, 625_001, HOST, &[200])), Error::<Test>::AboveCapacity);
		assert_ok!(try_commit(&records(5, 625_000, HOST, &[200])));
		// The bound follows the board's headroom.
		CapacityHeadroom::set(sp_runtime::Perbill::zero());
		assert_eq!(Settlement::capacity_bound(1, PERIOD), 2_500_000);
		assert_eq!(Settlement::capacity_bound(0, PERIOD), 0);
		assert_eq!(Settlement::capacity_bound(u32::MAX, u64::MAX), u64::MAX);
	});
}

#[test]
fn a_relay_out_of_service_bills_nothing() {
	run(|| {
		let (contract, relay) = contract_with_relay();
		let lines = records(3, 1_000, HOST, &[200]);
		System::set_block_number(11);
		assert_ok!(<Registry as RelayRegistry<_, _>>::suspend(relay, Suspender::ProofOfBandwidth));
		assert_noop!(
			Settlement::commit_batch(
				RuntimeOrigin::signed(operator()),
				contract,
				relay,
				0,
				commitment(&lines)
			),
			Error::<Test>::RelayNotActive
		);
		// Reactivated by a passing verdict, it commits again.
		assert_ok!(<Registry as RelayRegistry<_, _>>::record_verified(relay, 1_000));
		commit(contract, relay, 0, &lines);
	});
}

#[test]
fn a_bond_stays_held_while_batches_or_memberships_are_open_and_the_slash_lands() {
	run(|| {
		let (contract, relay) = contract_with_relay();
		// Three records that the relay's tree bills 1,000 bytes more each
		// than their lines.
		let lines = records(3, 1_000, HOST, &[200]);
		let mut leaves: Vec<Node> = lines.iter().map(|l| merkle::leaf(l)).collect();
		leaves.iter_mut().for_each(|l| l.sum.bytes += 1_000);
		let key = commit_as_is((contract, relay, 0), commitment_of(&Tree::new(leaves).unwrap()));
		assert_eq!(
			Obligations::<Test>::get(relay),
			Some(Obligation { memberships: 1, open_batches: 1 })
		);
		assert_ok!(Settlement::challenge_bytes(RuntimeOrigin::signed(provider()), key, 1_500));
		// The operator leaves the contract and the registry and waits out
		// the unbonding period before its batch is settled.
		assert_ok!(Settlement::leave_contract(RuntimeOrigin::signed(operator()), contract, relay));
		assert_eq!(
			Obligations::<Test>::get(relay),
			Some(Obligation { memberships: 0, open_batches: 1 })
		);
		assert_ok!(Registry::leave(RuntimeOrigin::signed(operator()), relay));
		System::set_block_number(System::block_number() + 101);
		assert_noop!(
			Registry::withdraw_bond(RuntimeOrigin::signed(operator()), relay),
			pallet_capacity_registry::Error::<Test>::ObligationsOpen
		);
		// The claim went unanswered: void at settlement, and the slash lands
		// on the bond it could not take away.
		let bond_before = bond(relay);
		assert_ok!(Settlement::settle(RuntimeOrigin::signed(stranger()), key));
		assert_eq!(bond(relay), bond_before - bond_before / 10);
		assert_eq!(Obligations::<Test>::get(relay), None);
		assert_ok!(Registry::withdraw_bond(RuntimeOrigin::signed(operator()), relay));
	});
}

#[test]
fn a_contract_closed_before_its_start_refunds_at_once_and_a_closed_one_takes_no_money() {
	run(|| {
		let provider_free = free(&provider());
		let mut later = terms();
		later.start = 50;
		later.end = 150;
		let contract = open(later);
		let relay = active_relay(&operator(), ("ipv4cidr", "192.0.2.0/24"));
		assert_ok!(Settlement::join_contract(RuntimeOrigin::signed(operator()), contract, relay));
		assert_eq!(escrow_held(&provider()), 1_000_000);
		assert_ok!(Settlement::close_contract(RuntimeOrigin::signed(provider()), contract));
		assert_eq!(escrow_held(&provider()), 0);
		assert_eq!(free(&provider()), provider_free);
		assert!(!Contracts::<Test>::contains_key(contract));
		assert_eq!(Obligations::<Test>::get(relay), None);
		assert!(events().contains(&Event::ContractRefunded { contract, refunded: 1_000_000 }));

		// A running contract closed: no top-up, no new relay, no second close.
		let (running, _) = contract_with_relay();
		assert_ok!(Settlement::close_contract(RuntimeOrigin::signed(provider()), running));
		assert_noop!(
			Settlement::top_up(RuntimeOrigin::signed(provider()), running, 5_000),
			Error::<Test>::ContractClosed
		);
		let late = active_relay(&other_operator(), ("ipv4cidr", "192.0.2.0/24"));
		assert_noop!(
			Settlement::join_contract(RuntimeOrigin::signed(other_operator()), running, late),
			Error::<Test>::ContractClosed
		);
		assert_noop!(
			Settlement::close_contract(RuntimeOrigin::signed(provider()), running),
			Error::<Test>::ContractClosed
		);
	});
}

#[test]
fn bad_sum_disputes_and_challenges_are_refused_by_name() {
	run(|| {
		let (contract, relay) = contract_with_relay();
		let lines = records(5, 1_000, HOST, &[200]);
		let key = commit(contract, relay, 0, &lines);
		let dispute = |who: AccountId, line: Vec<u8>, leaf: Totals, proof| {
			Settlement::dispute_sums(RuntimeOrigin::signed(who), key, line, leaf, proof)
		};
		// An honest leaf in an honest tree: nothing to dispute.
		assert_noop!(
			dispute(provider(), lines[1].clone(), Totals::of(&lines[1]), proof(&lines, 1)),
			Error::<Test>::SumsAgree
		);
		// A proof of the wrong length, another index, another batch's line.
		let mut short = proof(&lines, 1);
		short.siblings.pop();
		assert_noop!(
			dispute(provider(), lines[1].clone(), Totals::of(&lines[1]), short),
			Error::<Test>::InvalidProof
		);
		assert_noop!(
			dispute(provider(), lines[1].clone(), Totals::of(&lines[1]), proof(&lines, 2)),
			Error::<Test>::InvalidProof
		);
		let other = records(5, 2_000, HOST, &[200]);
		assert_noop!(
			dispute(provider(), other[1].clone(), Totals::of(&other[1]), proof(&other, 1)),
			Error::<Test>::InvalidProof
		);
		// A made-up leaf sum with the honest path leads to another root.
		assert_noop!(
			dispute(provider(), lines[1].clone(), Totals::default(), proof(&lines, 1)),
			Error::<Test>::InvalidProof
		);
		assert_noop!(
			dispute(stranger(), lines[1].clone(), Totals::of(&lines[1]), proof(&lines, 1)),
			Error::<Test>::NotChallenger
		);
		// Offsets: within the batch's 5,000 bytes, once each, by a challenger.
		assert_noop!(
			Settlement::challenge_bytes(RuntimeOrigin::signed(provider()), key, 5_000),
			Error::<Test>::OffsetOutOfRange
		);
		assert_noop!(
			Settlement::challenge_bytes(RuntimeOrigin::signed(stranger()), key, 0),
			Error::<Test>::NotChallenger
		);
		for offset in 0..MAX_DISPUTES as u64 {
			assert_ok!(Settlement::challenge_bytes(RuntimeOrigin::signed(provider()), key, offset));
		}
		assert_noop!(
			Settlement::challenge_bytes(RuntimeOrigin::signed(provider()), key, 4_999),
			Error::<Test>::TooManyClaims
		);
		assert_noop!(
			Settlement::challenge_bytes(RuntimeOrigin::signed(provider()), (contract, relay, 9), 0),
			Error::<Test>::BatchNotFound
		);
		// Record 0 answers all three (offsets 0..3 are its bytes).
		assert_ok!(Settlement::answer_claim(
			RuntimeOrigin::signed(operator()),
			key,
			lines[0].clone(),
			proof(&lines, 0)
		));
		assert!(Batches::<Test>::get(key).unwrap().claims.is_empty());
		// After the window, nothing.
		System::set_block_number(Batches::<Test>::get(key).unwrap().dispute_until);
		assert_noop!(
			Settlement::challenge_bytes(RuntimeOrigin::signed(provider()), key, 10),
			Error::<Test>::DisputeWindowOver
		);
		assert_noop!(
			dispute(provider(), lines[1].clone(), Totals::of(&lines[1]), proof(&lines, 1)),
			Error::<Test>::DisputeWindowOver
		);
	});
}

#[test]
fn a_slow_read_across_the_period_end_never_voids_the_honest_batch() {
	run(|| {
		let (contract, relay) = contract_with_relay();
		let other = active_relay(&other_operator(), ("ipv4cidr", "192.0.2.0/24"));
		assert_ok!(Settlement::join_contract(
			RuntimeOrigin::signed(other_operator()),
			contract,
			other
		));
		let operator_before = free(&operator());
		// A response began in period 0 (its receipt names period 0) and
		// ended in period 1, so its record is the first of batch 1.
		let all = records(5, 1_000, HOST, &[200]);
		let (period_0, period_1) = (all[..3].to_vec(), all[3..].to_vec());
		let slow = Settled::parse(&period_1[0]).unwrap();
		let (id, uri) = (slow.request_id.clone(), slow.uri.to_vec());
		let key = commit(contract, relay, 0, &period_0);
		// Another relay's batch, committed just after.
		System::set_block_number(12);
		assert_ok!(Settlement::commit_batch(
			RuntimeOrigin::signed(other_operator()),
			contract,
			other,
			0,
			commitment(&records(1, 500, HOST, &[200]))
		));
		let natural = Batches::<Test>::get(key).unwrap().settle_at;
		// The provider holds the receipt and claims the record missing.
		let signed = receipt(key, &id, &uri, &operator_pair());
		assert_ok!(Settlement::claim_missing(
			RuntimeOrigin::signed(provider()),
			key,
			id.clone(),
			uri.clone(),
			signed
		));
		// Batch 0 cannot show it: the deadline waits for batch 1 (period 1
		// ends at 21, its commit window at 36, then an answer period).
		assert_noop!(
			Settlement::answer_claim(
				RuntimeOrigin::signed(operator()),
				key,
				period_0[0].clone(),
				proof(&period_0, 0)
			),
			Error::<Test>::ClaimNotFound
		);
		let batch = Batches::<Test>::get(key).unwrap();
		assert_eq!(batch.claims[0].answer_by, 21 + COMMIT_WINDOW + ANSWER_PERIOD);
		assert_eq!(batch.settle_at, 21 + COMMIT_WINDOW + ANSWER_PERIOD + 1);
		assert!(batch.deferred && batch.settle_at > natural);
		// Before batch 1 is committed, nothing proves it from there.
		assert_noop!(
			Settlement::answer_claim_from_next(
				RuntimeOrigin::signed(operator()),
				key,
				period_1[0].clone(),
				proof(&period_1, 0)
			),
			Error::<Test>::BatchNotFound
		);
		// The relay commits period 1 when it ends.
		let next = commit(contract, relay, 1, &period_1);
		assert_eq!(next, (contract, relay, 1));
		// The settlement queue passes over the deferred batch: the other
		// relay's, committed after it, settles on time.
		run_to(natural + 1);
		assert!(Batches::<Test>::contains_key(key));
		assert!(!Batches::<Test>::contains_key((contract, other, 0)));
		// The relay answers from period 1, in time.
		assert_ok!(Settlement::answer_claim_from_next(
			RuntimeOrigin::signed(operator()),
			key,
			period_1[0].clone(),
			proof(&period_1, 0)
		));
		assert!(Batches::<Test>::get(key).unwrap().claims.is_empty());
		// Both batches are paid in full: 3,000 bytes and 2,000 at 1,000 per GB
		// round down to nothing, so the relay's gain is the deposit alone, and
		// no void, no slash.
		let bond_before = bond(relay);
		let due = Batches::<Test>::get(next).unwrap().settle_at;
		run_to(due);
		assert!(!Batches::<Test>::contains_key(key) && !Batches::<Test>::contains_key(next));
		assert_eq!(bond(relay), bond_before);
		assert!(!events().iter().any(|e| matches!(e, Event::BatchVoided { .. })));
		assert_eq!(
			events()
				.iter()
				.filter(|e| matches!(e, Event::BatchSettled { relay: r, .. } if *r == relay))
				.count(),
			2
		);
		assert_eq!(free(&operator()), operator_before + CLAIM_DEPOSIT);
	});
}

#[test]
fn a_receipt_from_the_last_served_period_waits_for_nothing_more() {
	run(|| {
		let (contract, relay) = contract_with_relay();
		// It leaves during period 0, its last.
		assert_ok!(Settlement::leave_contract(RuntimeOrigin::signed(operator()), contract, relay));
		let lines = records(2, 1_000, HOST, &[200]);
		let key = commit(contract, relay, 0, &lines);
		let missing = records(3, 1_000, HOST, &[200]);
		let lost = Settled::parse(&missing[2]).unwrap();
		let (id, uri) = (lost.request_id.clone(), lost.uri.to_vec());
		let signed = receipt(key, &id, &uri, &operator_pair());
		assert_ok!(Settlement::claim_missing(
			RuntimeOrigin::signed(provider()),
			key,
			id,
			uri,
			signed
		));
		// The relay left after period 0 (it serves no period 1): the usual
		// answer period, and the batch settles (void) when it always would.
		let batch = Batches::<Test>::get(key).unwrap();
		assert_eq!(batch.claims[0].answer_by, System::block_number() + ANSWER_PERIOD);
		assert!(!batch.deferred);
	});
}

#[test]
fn a_contract_that_names_its_suppliers_admits_no_one_else() {
	run(|| {
		let mut named = terms();
		named.suppliers.allow = vec![Supplier::Operator(other_operator())];
		let contract = open(named);
		// A relay claiming every IPv4 address: its footprint meets any
		// contract's, but the provider did not name it.
		let everywhere = active_relay(&operator(), ("ipv4cidr", "0.0.0.0/0"));
		assert_noop!(
			Settlement::join_contract(RuntimeOrigin::signed(operator()), contract, everywhere),
			Error::<Test>::SupplierNotAllowed
		);
		let chosen = active_relay(&other_operator(), ("ipv4cidr", "192.0.2.0/24"));
		assert_ok!(Settlement::join_contract(
			RuntimeOrigin::signed(other_operator()),
			contract,
			chosen
		));
		// The provider denies it later: it can no longer join elsewhere in
		// this contract, and the provider removes the membership it has.
		let denied =
			SupplierPolicy { deny: vec![Supplier::Relay(chosen)], ..SupplierPolicy::open() };
		assert_noop!(
			Settlement::set_suppliers(RuntimeOrigin::signed(operator()), contract, denied.clone()),
			Error::<Test>::NotProvider
		);
		assert_ok!(Settlement::set_suppliers(RuntimeOrigin::signed(provider()), contract, denied));
		assert_ok!(Settlement::join_contract(
			RuntimeOrigin::signed(operator()),
			contract,
			everywhere
		));
		// Removed in period 0, it may still commit what it served in it.
		assert_noop!(
			Settlement::remove_relay(RuntimeOrigin::signed(other_operator()), contract, chosen),
			Error::<Test>::NotProvider
		);
		assert_ok!(Settlement::remove_relay(RuntimeOrigin::signed(provider()), contract, chosen));
		assert!(events().contains(&Event::RelayRemoved {
			contract,
			relay: chosen,
			last_period: 0
		}));
		assert_eq!(Obligations::<Test>::get(chosen), None);
		System::set_block_number(11);
		let lines = records(2, 1_000, HOST, &[200]);
		assert_ok!(Settlement::commit_batch(
			RuntimeOrigin::signed(other_operator()),
			contract,
			chosen,
			0,
			commitment(&lines)
		));
		System::set_block_number(21);
		assert_noop!(
			Settlement::commit_batch(
				RuntimeOrigin::signed(other_operator()),
				contract,
				chosen,
				1,
				commitment(&lines)
			),
			Error::<Test>::PeriodNotServed
		);
		let due = Batches::<Test>::get((contract, chosen, 0)).unwrap().settle_at;
		run_to(due);
		assert!(events()
			.iter()
			.any(|e| matches!(e, Event::BatchSettled { relay, .. } if *relay == chosen)));
	});
}

#[test]
fn suppliers_need_the_capacity_and_capabilities_the_provider_asks() {
	run(|| {
		let mut demanding = terms();
		demanding.suppliers.min_verified_mbps = 2_000;
		let contract = open(demanding);
		let relay = active_relay(&operator(), ("ipv4cidr", "192.0.2.0/24"));
		assert_noop!(
			Settlement::join_contract(RuntimeOrigin::signed(operator()), contract, relay),
			Error::<Test>::SupplierNotAllowed
		);
		verify_at(relay, 2_000);
		assert_ok!(Settlement::join_contract(RuntimeOrigin::signed(operator()), contract, relay));

		// The mock's relays declare HTTP/1.1 only.
		let mut hls = terms();
		hls.suppliers.required_capabilities = Capabilities(Capabilities::HLS);
		let hls_contract = open(hls);
		assert_noop!(
			Settlement::join_contract(RuntimeOrigin::signed(operator()), hls_contract, relay),
			Error::<Test>::SupplierNotAllowed
		);
		let mut http = terms();
		http.suppliers.required_capabilities = Capabilities(Capabilities::HTTP_1_1);
		let http_contract = open(http);
		assert_ok!(Settlement::join_contract(
			RuntimeOrigin::signed(operator()),
			http_contract,
			relay
		));
	});
}

#[test]
fn a_contract_for_clients_anywhere_says_so_and_admits_any_footprint() {
	run(|| {
		let mut anywhere = terms();
		anywhere.footprint = Coverage::Anywhere;
		let contract = open(anywhere);
		assert!(Contracts::<Test>::get(contract).unwrap().footprint.is_empty());
		let by_country = active_relay(&operator(), ("countrycode", "nl"));
		assert_ok!(Settlement::join_contract(
			RuntimeOrigin::signed(operator()),
			contract,
			by_country
		));
		// A footprinted contract refuses a relay elsewhere.
		let elsewhere = open(terms());
		assert_noop!(
			Settlement::join_contract(RuntimeOrigin::signed(operator()), elsewhere, by_country),
			Error::<Test>::FootprintMismatch
		);
	});
}

#[test]
fn a_receipt_for_a_percent_encoded_uri_is_answered_by_its_record() {
	run(|| {
		let (contract, relay) = contract_with_relay();
		// The viewer asked for `/a%20b?x=%41`; the record carries the URI
		// as an NHTABSTRING, where `%` itself is `%25`.
		let uri = format!("http://{HOST}/a%20b?x=%41");
		let line = HttpRequest {
			completed_at_ms: 1_700_000_000_000,
			time_taken_us: 800,
			client_group: "198.51.100.0/24".into(),
			server_hostname: "relay0.isp.example".into(),
			method: "GET".into(),
			upstream_uri: uri.clone(),
			protocol: "HTTP/1.1".into(),
			status: 200,
			total_bytes: 1_000,
			entity_bytes: 900,
			cached: true,
			request_id: "7".repeat(32),
			token_id: None,
		}
		.to_line();
		assert!(String::from_utf8_lossy(&line).contains("a%2520b"));
		let lines = vec![records(1, 1_000, HOST, &[200])[0].clone(), line.clone()];
		let key = commit(contract, relay, 0, &lines);
		let id = "7".repeat(32).into_bytes();
		let signed = receipt(key, &id, uri.as_bytes(), &operator_pair());
		assert_ok!(Settlement::claim_missing(
			RuntimeOrigin::signed(provider()),
			key,
			id,
			uri.into_bytes(),
			signed
		));
		assert_ok!(Settlement::answer_claim(
			RuntimeOrigin::signed(operator()),
			key,
			line,
			proof(&lines, 1)
		));
		assert!(Batches::<Test>::get(key).unwrap().claims.is_empty());
	});
}

#[test]
fn a_record_shown_in_answer_must_be_the_contracts() {
	run(|| {
		let (contract, relay) = contract_with_relay();
		let before = holdings(relay);
		// The relay copied another contract's record into this batch and
		// shows it for the challenged offset: that proves the batch wrong.
		let mut lines = records(3, 1_000, HOST, &[200]);
		lines[1] = records(2, 1_000, "other.example.org", &[200])[1].clone();
		let key = commit(contract, relay, 0, &lines);
		assert_ok!(Settlement::challenge_bytes(RuntimeOrigin::signed(provider()), key, 1_500));
		assert_ok!(Settlement::answer_claim(
			RuntimeOrigin::signed(operator()),
			key,
			lines[1].clone(),
			proof(&lines, 1)
		));
		assert!(events().contains(&Event::BatchVoided {
			contract,
			relay,
			period: 0,
			reason: VoidReason::MalformedRecord { index: 1 }
		}));
		attacker_gained_nothing(relay, &before);
	});
}

#[test]
fn beacons_cannot_take_the_providers_claim_slots() {
	run(|| {
		let (contract, relay) = contract_with_relay();
		let key = commit(contract, relay, 0, &records(4, 1_000, HOST, &[200]));
		// Four slots: beacons (the relay's own, say) share at most two.
		assert_ok!(Settlement::challenge_bytes(RuntimeOrigin::signed(auditor()), key, 0));
		assert_ok!(Settlement::challenge_bytes(RuntimeOrigin::signed(auditor()), key, 1));
		assert_noop!(
			Settlement::challenge_bytes(RuntimeOrigin::signed(auditor()), key, 2),
			Error::<Test>::TooManyClaims
		);
		assert_ok!(Settlement::challenge_bytes(RuntimeOrigin::signed(provider()), key, 2));
		assert_ok!(Settlement::challenge_bytes(RuntimeOrigin::signed(provider()), key, 3));
		assert_noop!(
			Settlement::challenge_bytes(RuntimeOrigin::signed(provider()), key, 4),
			Error::<Test>::TooManyClaims
		);
	});
}

#[test]
fn an_answered_receipt_claim_no_longer_defers_settlement() {
	run(|| {
		let (contract, relay) = contract_with_relay();
		let lines = records(3, 1_000, HOST, &[200]);
		let key = commit(contract, relay, 0, &lines);
		let natural = Batches::<Test>::get(key).unwrap().settle_at;
		let settled = Settled::parse(&lines[2]).unwrap();
		let (id, uri) = (settled.request_id.clone(), settled.uri.to_vec());
		let signed = receipt(key, &id, &uri, &operator_pair());
		assert_ok!(Settlement::claim_missing(
			RuntimeOrigin::signed(provider()),
			key,
			id,
			uri,
			signed
		));
		assert!(Batches::<Test>::get(key).unwrap().deferred);
		assert_ok!(Settlement::answer_claim(
			RuntimeOrigin::signed(operator()),
			key,
			lines[2].clone(),
			proof(&lines, 2)
		));
		let batch = Batches::<Test>::get(key).unwrap();
		assert_eq!((batch.settle_at, batch.deferred), (natural, false));
		run_to(natural);
		assert!(!Batches::<Test>::contains_key(key));
	});
}
