//! Settlement: arithmetic on hand-computed cases, SLA penalties, fees,
//! escrow accounting, and many batches per block.

use super::*;
use crate::{features::settle::settlement, Batches, Contracts, Error, QueueBounds};
use frame_support::{assert_noop, assert_ok};
use sp_runtime::Perbill;

#[test]
fn settlement_arithmetic_on_hand_computed_cases() {
	let sla = sla();
	let totals = |requests, status_5xx| Totals { requests, status_5xx, ..Default::default() };
	let fee = Perbill::from_percent(2);
	// No breach: 2,500 gross, 2% fee of it = 50, the relay gets 2,450.
	assert_eq!(
		settlement(2_500u64, &sla, &totals(100, 5), true, 1_000, fee),
		Payout { gross: 2_500, withheld: 0, fee: 50, paid: 2_450, breaches: 0 }
	);
	// 6% errors (> 5%): 10% withheld = 250; 2% of 2,250 = 45; 2,205 paid.
	assert_eq!(
		settlement(2_500u64, &sla, &totals(100, 6), true, 1_000, fee),
		Payout { gross: 2_500, withheld: 250, fee: 45, paid: 2_205, breaches: 1 }
	);
	// Every term broken: 30% withheld = 750; 2% of 1,750 = 35; 1,715 paid.
	assert_eq!(
		settlement(2_500u64, &sla, &totals(100, 50), false, 400, fee),
		Payout { gross: 2_500, withheld: 750, fee: 35, paid: 1_715, breaches: 3 }
	);
	// A penalty of 60% per term, broken twice, withholds everything.
	let harsh = SlaTerms { penalty: Perbill::from_percent(60), ..sla };
	assert_eq!(
		settlement(999u64, &harsh, &totals(10, 0), false, 0, fee),
		Payout { gross: 999, withheld: 999, fee: 0, paid: 0, breaches: 2 }
	);
	// Without the availability term, a suspended relay is not penalised.
	let lenient = SlaTerms { require_active: false, ..sla };
	assert_eq!(settlement(1_000u64, &lenient, &totals(1, 0), false, 1_000, fee).breaches, 0);
	// Rounding: the withheld share rounds up, the fee down; nothing is lost.
	let s = settlement(7u64, &sla, &totals(1, 1), true, 1_000, Perbill::from_percent(50));
	assert_eq!((s.withheld, s.fee, s.paid), (1, 3, 3));
	assert_eq!(s.withheld + s.fee + s.paid, s.gross);
}

#[test]
fn prices_are_per_gigabyte_rounded_down_without_overflow() {
	assert_eq!(Settlement::price_of(1_000, 2_500_000_000), 2_500);
	assert_eq!(Settlement::price_of(1_000, 999_999), 0);
	assert_eq!(Settlement::price_of(3, 1_500_000_000), 4);
	assert_eq!(Settlement::price_of(u64::MAX, u64::MAX), u64::MAX);
}

#[test]
fn a_settled_batch_pays_the_relay_and_the_pot_from_escrow() {
	run(|| {
		let (contract, relay) = contract_with_relay();
		// 100 records of 25 MB, 6 of them 5xx: 2.5 GB and one SLA breach.
		let mut statuses = vec![200u16; 94];
		statuses.extend([503; 6]);
		let lines = records(100, 25_000_000, HOST, &statuses);
		let key = commit(contract, relay, 0, &lines);
		let settle_at = Batches::<Test>::get(key).unwrap().settle_at;
		let (operator_before, pot_before) = (free(&operator()), free(&Pot::get()));
		assert_noop!(
			Settlement::settle(RuntimeOrigin::signed(stranger()), key),
			Error::<Test>::NotDue
		);
		run_to(settle_at);
		assert!(Batches::<Test>::get(key).is_none());
		assert_eq!(free(&operator()), operator_before + 2_205);
		assert_eq!(free(&Pot::get()), pot_before + 45);
		let c = Contracts::<Test>::get(contract).unwrap();
		assert_eq!((c.paid, c.fees, c.escrow, c.pending), (2_205, 45, 1_000_000 - 2_250, 0));
		assert_eq!(escrow_held(&provider()), 1_000_000 - 2_250);
		assert!(events().contains(&Event::BatchSettled {
			contract,
			relay,
			period: 0,
			settlement: Payout { gross: 2_500, withheld: 250, fee: 45, paid: 2_205, breaches: 1 },
		}));
		// The end: the provider gets back the budget less what was paid,
		// and payouts, fees and the refund add up to the budget.
		System::set_block_number(101 + COMMIT_WINDOW);
		let provider_before = free(&provider());
		assert_ok!(Settlement::refund(RuntimeOrigin::signed(provider()), contract));
		let refunded = free(&provider()) - provider_before;
		assert_eq!(refunded, 1_000_000 - 2_250);
		assert_eq!(2_205 + 45 + refunded, 1_000_000);
	});
}

#[test]
fn settle_by_hand_and_the_queue_skips_what_is_gone() {
	run(|| {
		let (contract, relay) = contract_with_relay();
		let lines = records(2, 1_000_000_000, HOST, &[200]);
		let first = commit(contract, relay, 0, &lines);
		let second = commit(contract, relay, 1, &lines);
		let due = Batches::<Test>::get(second).unwrap().settle_at;
		System::set_block_number(due);
		assert_ok!(Settlement::settle(RuntimeOrigin::signed(stranger()), second));
		assert_noop!(
			Settlement::settle(RuntimeOrigin::signed(stranger()), second),
			Error::<Test>::BatchNotFound
		);
		Settlement::on_idle(due, Weight::MAX);
		assert!(Batches::<Test>::get(first).is_none());
		assert_eq!(QueueBounds::<Test>::get(), (2, 2));
		assert_eq!(Contracts::<Test>::get(contract).unwrap().paid, 2 * 1_960);
	});
}

#[test]
fn on_idle_settles_many_batches_within_its_bounds() {
	run(|| {
		// Six relays' batches for one period, due together.
		let mut t = terms();
		t.footprint = Coverage::Anywhere;
		let contract = open(t);
		let mut keys = vec![];
		let operators = [operator(), other_operator()];
		System::set_block_number(2);
		let mut relays = vec![];
		for i in 0..MAX_RELAYS {
			let who = operators[i as usize % 2].clone();
			let relay = active_relay(&who, ("countrycode", "nl"));
			assert_ok!(Settlement::join_contract(
				RuntimeOrigin::signed(who.clone()),
				contract,
				relay
			));
			relays.push((who, relay));
		}
		System::set_block_number(21);
		let lines = records(3, 1_000_000_000, HOST, &[200]);
		for period in 0..2 {
			for (who, relay) in &relays {
				assert_ok!(Settlement::commit_batch(
					RuntimeOrigin::signed(who.clone()),
					contract,
					*relay,
					period,
					commitment(&lines)
				));
				keys.push((contract, *relay, period));
			}
		}
		let due = 21 + DISPUTE_BLOCKS + ANSWER_PERIOD;
		System::set_block_number(due);
		// Too little weight settles nothing.
		assert_eq!(Settlement::on_idle(due, Weight::zero()), Weight::zero());
		assert_eq!(QueueBounds::<Test>::get(), (0, 6));
		// MaxSettlementsPerBlock (4) per block.
		Settlement::on_idle(due, Weight::MAX);
		assert_eq!(QueueBounds::<Test>::get(), (4, 6));
		assert_eq!(keys.iter().filter(|k| Batches::<Test>::contains_key(**k)).count(), 2);
		Settlement::on_idle(due + 1, Weight::MAX);
		assert_eq!(QueueBounds::<Test>::get(), (6, 6));
		let c = Contracts::<Test>::get(contract).unwrap();
		// Six batches of 3 GB at 1,000 per GB, 2% of it to the pot.
		assert_eq!((c.paid, c.fees), (6 * 2_940, 6 * 60));
	});
}

#[test]
fn the_queue_stops_at_a_batch_not_yet_due() {
	run(|| {
		let (contract, relay) = contract_with_relay();
		let lines = records(1, 1_000, HOST, &[200]);
		let key = commit(contract, relay, 0, &lines);
		let due = Batches::<Test>::get(key).unwrap().settle_at;
		run_to(due - 1);
		assert!(Batches::<Test>::get(key).is_some());
		assert_eq!(QueueBounds::<Test>::get(), (0, 1));
		run_to(due);
		assert!(Batches::<Test>::get(key).is_none());
	});
}
