//! Batch commitments: only the operator, only closed periods, once, within budget.

use super::*;
use crate::{Batches, Contracts, Error, Members, QueueBounds, SettlementQueue};
use frame_support::{assert_noop, assert_ok};

#[test]
fn the_operator_commits_a_closed_period_and_escrow_reserves_its_price() {
	run(|| {
		let (contract, relay) = contract_with_relay();
		// 10 records of 250 MB: 2.5 GB at 1,000 per GB.
		let lines = records(10, 250_000_000, HOST, &[200]);
		let key = commit(contract, relay, 0, &lines);
		let batch = Batches::<Test>::get(key).unwrap();
		assert_eq!(batch.reserved, 2_500);
		assert_eq!(batch.records, 10);
		assert_eq!((batch.committed_at, batch.dispute_until), (11, 11 + DISPUTE_BLOCKS));
		assert_eq!(batch.settle_at, 11 + DISPUTE_BLOCKS + ANSWER_PERIOD);
		assert!(batch.relay_active);
		assert_eq!(batch.verified_mbps, 1_000);
		let c = Contracts::<Test>::get(contract).unwrap();
		assert_eq!((c.pending, c.open_batches, c.escrow), (2_500, 1, 1_000_000));
		assert_eq!(Members::<Test>::get(contract, relay).unwrap().next_period, 1);
		assert_eq!(QueueBounds::<Test>::get(), (0, 1));
		assert_eq!(SettlementQueue::<Test>::get(0), Some(key));
		assert!(matches!(
			events().last(),
			Some(Event::BatchCommitted { records: 10, bytes: 2_500_000_000, reserved: 2_500, .. })
		));
	});
}

#[test]
fn commits_are_authorized_timed_and_once() {
	run(|| {
		let (contract, relay) = contract_with_relay();
		let lines = records(3, 1_000, HOST, &[200]);
		let c = commitment(&lines);
		let try_commit = |who: AccountId, period: Period, c: BatchCommitment| {
			Settlement::commit_batch(RuntimeOrigin::signed(who), contract, relay, period, c)
		};
		// Period 0 runs until block 11.
		System::set_block_number(10);
		assert_noop!(try_commit(operator(), 0, c.clone()), Error::<Test>::PeriodNotClosed);
		System::set_block_number(11);
		assert_noop!(try_commit(stranger(), 0, c.clone()), Error::<Test>::NotOperator);
		assert_noop!(
			Settlement::commit_batch(RuntimeOrigin::signed(operator()), 5, relay, 0, c.clone()),
			Error::<Test>::ContractNotFound
		);
		assert_noop!(
			Settlement::commit_batch(RuntimeOrigin::signed(operator()), contract, 42, 0, c.clone()),
			Error::<Test>::RelayNotFound
		);
		// A relay of the same operator that did not join.
		let outsider = active_relay(&operator(), ("ipv4cidr", "192.0.2.0/24"));
		assert_noop!(
			Settlement::commit_batch(
				RuntimeOrigin::signed(operator()),
				contract,
				outsider,
				0,
				c.clone()
			),
			Error::<Test>::NotMember
		);
		// Beyond the contract's last period.
		assert_noop!(try_commit(operator(), 10, c.clone()), Error::<Test>::PeriodNotServed);
		assert_ok!(try_commit(operator(), 0, c.clone()));
		assert_noop!(try_commit(operator(), 0, c.clone()), Error::<Test>::AlreadyCommitted);
		// Period 2 (skipping an idle period 1), then period 1 is closed for good.
		System::set_block_number(31);
		assert_ok!(try_commit(operator(), 2, c.clone()));
		assert_noop!(try_commit(operator(), 1, c.clone()), Error::<Test>::AlreadyCommitted);
		// Too late: period 3 ended at 41.
		System::set_block_number(41 + COMMIT_WINDOW + 1);
		assert_noop!(try_commit(operator(), 3, c), Error::<Test>::CommitWindowOver);
	});
}

#[test]
fn a_relay_cannot_commit_periods_before_it_joined() {
	run(|| {
		let contract = open(terms());
		let relay = active_relay(&operator(), ("ipv4cidr", "192.0.2.0/24"));
		System::set_block_number(15);
		assert_ok!(Settlement::join_contract(RuntimeOrigin::signed(operator()), contract, relay));
		System::set_block_number(21);
		let lines = records(1, 1_000, HOST, &[200]);
		assert_noop!(
			Settlement::commit_batch(
				RuntimeOrigin::signed(operator()),
				contract,
				relay,
				0,
				commitment(&lines)
			),
			Error::<Test>::PeriodNotServed
		);
	});
}

#[test]
fn commitments_must_add_up_and_fit_the_budget() {
	run(|| {
		let (contract, relay) = contract_with_relay();
		// Verified at 500 Gbit/s: its capacity bound (1.56 TB a period) is
		// above the budget, which is what this test reaches.
		verify_at(relay, 500_000);
		System::set_block_number(11);
		let lines = records(4, 1_000, HOST, &[200, 404]);
		let try_commit = |change: fn(&mut BatchCommitment)| {
			let mut c = commitment(&lines);
			change(&mut c);
			Settlement::commit_batch(RuntimeOrigin::signed(operator()), contract, relay, 0, c)
		};
		assert_noop!(
			try_commit(|c| {
				c.records = 0;
				c.totals.requests = 0;
			}),
			Error::<Test>::NoRecords
		);
		assert_noop!(try_commit(|c| c.records = 5), Error::<Test>::InconsistentTotals);
		assert_noop!(try_commit(|c| c.totals.status_5xx = 1), Error::<Test>::InconsistentTotals);
		assert_noop!(
			try_commit(|c| c.log_url = b"/relative".to_vec()),
			Error::<Test>::InvalidLogUrl
		);
		assert_noop!(
			try_commit(|c| c.log_url = [&b"http://r.example/"[..], &[b'a'; 200]].concat()),
			Error::<Test>::InvalidLogUrl
		);
		// 1,000,000 budget at 1,000 per GB buys 1,000 GB; one byte more is refused.
		assert_noop!(
			try_commit(|c| c.totals.bytes = 1_000_000_000_001 + 999_999),
			Error::<Test>::BudgetExceeded
		);
		assert_ok!(try_commit(|c| c.totals.bytes = 1_000_000_000_000));
		let c = Contracts::<Test>::get(contract).unwrap();
		assert_eq!(c.pending, c.escrow);
		// Nothing is left for the next period until the first settles.
		System::set_block_number(21);
		let mut next = commitment(&lines);
		next.totals.bytes = 1_000_000_000;
		assert_noop!(
			Settlement::commit_batch(RuntimeOrigin::signed(operator()), contract, relay, 1, next),
			Error::<Test>::BudgetExceeded
		);
	});
}

#[test]
fn a_suspended_relay_cannot_commit() {
	run(|| {
		let (contract, relay) = contract_with_relay();
		assert_ok!(<Registry as ocm_primitives::capacity::RelayRegistry<_, _>>::suspend(
			relay,
			ocm_primitives::capacity::Suspender::Board
		));
		System::set_block_number(11);
		assert_noop!(
			Settlement::commit_batch(
				RuntimeOrigin::signed(operator()),
				contract,
				relay,
				0,
				commitment(&records(1, 1_000, HOST, &[200]))
			),
			Error::<Test>::RelayNotActive
		);
	});
}
