//! Opening, topping up, closing and refunding contracts; relays joining and leaving.

use super::*;
use crate::{Contracts, Error, Members};
use frame_support::{assert_noop, assert_ok};

#[test]
fn a_provider_opens_a_contract_with_its_budget_in_escrow() {
	run(|| {
		let id = open(terms());
		let c = Contracts::<Test>::get(id).unwrap();
		assert_eq!((c.escrow, c.deposited, c.pending), (1_000_000, 1_000_000, 0));
		assert_eq!(c.period_length, PERIOD);
		assert_eq!(escrow_held(&provider()), 1_000_000);
		assert_eq!(
			events().last(),
			Some(&Event::ContractOpened { contract: id, provider: provider(), budget: 1_000_000 })
		);
		// Periods: [1, 11), [11, 21), ... and the last one is cut at the end.
		assert_eq!((c.period_at(1), c.period_at(10), c.period_at(11)), (0, 0, 1));
		assert_eq!((c.period_start(1), c.period_end(1), c.period_end(9)), (11, 21, 101));
		assert_eq!(c.period_end(10), 101);
	});
}

#[test]
fn contracts_are_refused_with_a_reason() {
	run(|| {
		let with = |change: fn(&mut ContractTerms<AccountId, u64, Balance>)| {
			let mut t = terms();
			change(&mut t);
			Settlement::open_contract(RuntimeOrigin::signed(provider()), t)
		};
		assert_noop!(with(|t| t.hosts.clear()), Error::<Test>::NoHosts);
		assert_noop!(
			with(|t| t.hosts = (0..5).map(|i| format!("h{i}.example.com").into_bytes()).collect()),
			Error::<Test>::TooManyHosts
		);
		assert_noop!(
			with(|t| t.hosts = vec![HOST.into(), HOST.to_uppercase().into_bytes()]),
			Error::<Test>::TooManyHosts
		);
		assert_noop!(
			with(|t| t.hosts = vec![b"other.example.org".to_vec()]),
			Error::<Test>::HostNotOwned
		);
		assert_noop!(with(|t| t.origin = b"ftp://origin".to_vec()), Error::<Test>::InvalidOrigin);
		assert_noop!(with(|t| t.origin = b"https:///x".to_vec()), Error::<Test>::InvalidOrigin);
		assert_noop!(
			with(|t| t.origin = [&b"https://o.example/"[..], &[b'a'; 200]].concat()),
			Error::<Test>::InvalidOrigin
		);
		assert_noop!(
			with(|t| {
				let Coverage::Within(list) = &t.footprint else { unreachable!() };
				t.footprint = Coverage::Within(vec![list[0]; 5])
			}),
			Error::<Test>::InvalidFootprint
		);
		assert_noop!(
			with(|t| t.footprint =
				Coverage::Within(vec![Footprint::Ipv4Cidr(ocm_primitives::footprint::Ipv4Cidr {
					prefix: [192, 0, 2, 1],
					len: 24
				})])),
			Error::<Test>::InvalidFootprint
		);
		// No footprint by omission: an empty list is refused, `Anywhere` says it.
		assert_noop!(with(|t| t.footprint = Coverage::Within(vec![])), Error::<Test>::NoFootprint);
		assert_noop!(
			with(|t| t.suppliers.deny = (0..5).map(Supplier::Relay).collect()),
			Error::<Test>::TooManySuppliers
		);
		assert_noop!(with(|t| t.price_per_gb = 0), Error::<Test>::ZeroPrice);
		assert_noop!(with(|t| t.budget = 999), Error::<Test>::BudgetTooSmall);
		assert_noop!(with(|t| t.budget = INITIAL * 2), Error::<Test>::InsufficientFunds);
		assert_noop!(with(|t| t.end = t.start), Error::<Test>::InvalidSchedule);
		System::set_block_number(5);
		assert_noop!(with(|t| t.start = 4), Error::<Test>::InvalidSchedule);
		Paused::set(true);
		assert_noop!(with(|_| {}), Error::<Test>::ContractsPaused);
		Paused::set(false);
		// Someone else cannot buy delivery for Alice's host.
		let mut t = terms();
		t.start = 5;
		assert_noop!(
			Settlement::open_contract(RuntimeOrigin::signed(stranger()), t),
			Error::<Test>::HostNotOwned
		);
	});
}

#[test]
fn top_ups_add_to_escrow_until_the_end() {
	run(|| {
		let id = open(terms());
		assert_ok!(Settlement::top_up(RuntimeOrigin::signed(provider()), id, 5_000));
		let c = Contracts::<Test>::get(id).unwrap();
		assert_eq!((c.escrow, c.deposited), (1_005_000, 1_005_000));
		assert_eq!(escrow_held(&provider()), 1_005_000);
		assert_noop!(
			Settlement::top_up(RuntimeOrigin::signed(stranger()), id, 5_000),
			Error::<Test>::NotProvider
		);
		assert_noop!(
			Settlement::top_up(RuntimeOrigin::signed(provider()), 9, 5_000),
			Error::<Test>::ContractNotFound
		);
		assert_noop!(
			Settlement::top_up(RuntimeOrigin::signed(provider()), id, INITIAL),
			Error::<Test>::InsufficientFunds
		);
		System::set_block_number(101);
		assert_noop!(
			Settlement::top_up(RuntimeOrigin::signed(provider()), id, 5_000),
			Error::<Test>::ContractEnded
		);
	});
}

#[test]
fn closing_ends_the_contract_with_its_current_period_and_refund_returns_the_rest() {
	run(|| {
		let id = open(terms());
		System::set_block_number(15);
		assert_noop!(
			Settlement::close_contract(RuntimeOrigin::signed(stranger()), id),
			Error::<Test>::NotProvider
		);
		assert_ok!(Settlement::close_contract(RuntimeOrigin::signed(provider()), id));
		assert_eq!(Contracts::<Test>::get(id).unwrap().end, 21);
		assert_eq!(events().last(), Some(&Event::ContractClosed { contract: id, end: 21 }));
		System::set_block_number(21);
		assert_noop!(
			Settlement::close_contract(RuntimeOrigin::signed(provider()), id),
			Error::<Test>::ContractClosed
		);
		// Relays may still commit the last period for COMMIT_WINDOW blocks.
		System::set_block_number(21 + COMMIT_WINDOW - 1);
		assert_noop!(
			Settlement::refund(RuntimeOrigin::signed(stranger()), id),
			Error::<Test>::ContractNotOver
		);
		System::set_block_number(21 + COMMIT_WINDOW);
		let before = free(&provider());
		assert_ok!(Settlement::refund(RuntimeOrigin::signed(stranger()), id));
		assert_eq!(free(&provider()), before + 1_000_000);
		assert_eq!(escrow_held(&provider()), 0);
		assert!(Contracts::<Test>::get(id).is_none());
		assert_noop!(
			Settlement::refund(RuntimeOrigin::signed(stranger()), id),
			Error::<Test>::ContractNotFound
		);
	});
}

#[test]
fn closing_before_the_start_serves_nothing() {
	run(|| {
		let mut t = terms();
		(t.start, t.end) = (50, 150);
		let id = open(t);
		assert_ok!(Settlement::close_contract(RuntimeOrigin::signed(provider()), id));
		// Nothing can be committed: it is gone and its escrow is back.
		assert!(Contracts::<Test>::get(id).is_none());
		assert_eq!(escrow_held(&provider()), 0);
		assert_eq!(
			events()[events().len() - 2..],
			[
				Event::ContractClosed { contract: id, end: 1 },
				Event::ContractRefunded { contract: id, refunded: 1_000_000 }
			]
		);
	});
}

#[test]
fn refund_waits_for_open_batches() {
	run(|| {
		let (contract, relay) = contract_with_relay();
		let lines = records(4, 1_000_000, HOST, &[200]);
		commit(contract, relay, 9, &lines);
		System::set_block_number(101 + COMMIT_WINDOW);
		assert_noop!(
			Settlement::refund(RuntimeOrigin::signed(provider()), contract),
			Error::<Test>::BatchesOpen
		);
		run_to(101 + DISPUTE_BLOCKS + ANSWER_PERIOD);
		assert_ok!(Settlement::refund(RuntimeOrigin::signed(provider()), contract));
		assert_eq!(Members::<Test>::iter_prefix(contract).count(), 0);
	});
}

#[test]
fn active_relays_in_the_footprint_join_once() {
	run(|| {
		let id = open(terms());
		let relay = active_relay(&operator(), ("ipv4cidr", "192.0.2.128/25"));
		assert_noop!(
			Settlement::join_contract(RuntimeOrigin::signed(stranger()), id, relay),
			Error::<Test>::NotOperator
		);
		assert_noop!(
			Settlement::join_contract(RuntimeOrigin::signed(operator()), 7, relay),
			Error::<Test>::ContractNotFound
		);
		assert_noop!(
			Settlement::join_contract(RuntimeOrigin::signed(operator()), id, 99),
			Error::<Test>::RelayNotFound
		);
		System::set_block_number(12);
		assert_ok!(Settlement::join_contract(RuntimeOrigin::signed(operator()), id, relay));
		let m = Members::<Test>::get(id, relay).unwrap();
		assert_eq!((m.from_period, m.until_period, m.next_period), (1, None, 1));
		assert_eq!(Contracts::<Test>::get(id).unwrap().relays, 1);
		assert_noop!(
			Settlement::join_contract(RuntimeOrigin::signed(operator()), id, relay),
			Error::<Test>::AlreadyJoined
		);
		// Outside the footprint, or not verified.
		let elsewhere = active_relay(&other_operator(), ("ipv4cidr", "198.51.100.0/24"));
		assert_noop!(
			Settlement::join_contract(RuntimeOrigin::signed(other_operator()), id, elsewhere),
			Error::<Test>::FootprintMismatch
		);
		let pending = pallet_capacity_registry::NextRelayId::<Test>::get();
		active_relay(&other_operator(), ("ipv4cidr", "192.0.2.0/24"));
		assert_ok!(<Registry as ocm_primitives::capacity::RelayRegistry<_, _>>::suspend(
			pending,
			ocm_primitives::capacity::Suspender::Board
		));
		assert_noop!(
			Settlement::join_contract(RuntimeOrigin::signed(other_operator()), id, pending),
			Error::<Test>::RelayNotActive
		);
		System::set_block_number(101);
		assert_noop!(
			Settlement::join_contract(RuntimeOrigin::signed(other_operator()), id, elsewhere),
			Error::<Test>::ContractEnded
		);
	});
}

#[test]
fn a_contract_without_footprint_takes_relays_from_anywhere_up_to_its_bound() {
	run(|| {
		let mut t = terms();
		t.footprint = Coverage::Anywhere;
		let id = open(t);
		for i in 0..MAX_RELAYS {
			let who = if i % 2 == 0 { operator() } else { other_operator() };
			let relay = active_relay(&who, ("countrycode", "de"));
			assert_ok!(Settlement::join_contract(RuntimeOrigin::signed(who), id, relay));
		}
		let relay = active_relay(&other_operator(), ("asn", "as64496"));
		assert_noop!(
			Settlement::join_contract(RuntimeOrigin::signed(other_operator()), id, relay),
			Error::<Test>::TooManyRelays
		);
	});
}

#[test]
fn leaving_keeps_the_current_period() {
	run(|| {
		let (contract, relay) = contract_with_relay();
		System::set_block_number(25);
		assert_noop!(
			Settlement::leave_contract(RuntimeOrigin::signed(stranger()), contract, relay),
			Error::<Test>::NotOperator
		);
		assert_ok!(Settlement::leave_contract(RuntimeOrigin::signed(operator()), contract, relay));
		assert_eq!(Members::<Test>::get(contract, relay).unwrap().until_period, Some(2));
		assert_eq!(events().last(), Some(&Event::RelayLeft { contract, relay, last_period: 2 }));
		assert_noop!(
			Settlement::leave_contract(RuntimeOrigin::signed(operator()), contract, relay),
			Error::<Test>::AlreadyLeft
		);
		let other = active_relay(&operator(), ("ipv4cidr", "192.0.2.0/24"));
		assert_noop!(
			Settlement::leave_contract(RuntimeOrigin::signed(operator()), contract, other),
			Error::<Test>::NotMember
		);
		// Period 2 can be committed, period 3 cannot.
		let lines = records(2, 1_000, HOST, &[200]);
		commit(contract, relay, 2, &lines);
		System::set_block_number(41);
		assert_noop!(
			Settlement::commit_batch(
				RuntimeOrigin::signed(operator()),
				contract,
				relay,
				3,
				commitment(&lines)
			),
			Error::<Test>::PeriodNotServed
		);
	});
}
