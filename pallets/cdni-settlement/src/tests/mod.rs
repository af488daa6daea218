//! Unit tests; every test ends with the pallet's `do_try_state` (see
//! [`crate::mock::run`]).

mod assurance;
mod commit;
mod contract;
mod dispute;
mod service;
mod settle;
mod signing;

use crate::{mock::*, types::*, Event};
use frame_support::{
	assert_ok,
	traits::{fungible::InspectHold, Hooks},
	weights::Weight,
};
use ocm_cdni::{
	merkle,
	record::{HttpRequest, Settled},
};
use ocm_primitives::footprint::Footprint;
use sp_core::H256;

pub fn sla() -> SlaTerms {
	SlaTerms {
		min_verified_mbps: 500,
		max_error_share: sp_runtime::Perbill::from_percent(5),
		require_active: true,
		penalty: sp_runtime::Perbill::from_percent(10),
	}
}

/// 1,000 per GB, a budget of 1,000,000, 192.0.2.0/24, 100 blocks from now.
pub fn terms() -> ContractTerms<AccountId, u64, Balance> {
	ContractTerms {
		hosts: vec![HOST.into()],
		origin: b"https://origin.example.com/live".to_vec(),
		price_per_gb: 1_000,
		budget: 1_000_000,
		footprint: Coverage::Within(vec![Footprint::parse(b"ipv4cidr", b"192.0.2.0/24").unwrap()]),
		suppliers: SupplierPolicy::open(),
		sla: sla(),
		start: System::block_number(),
		end: System::block_number() + 100,
	}
}

pub fn open(terms: ContractTerms<AccountId, u64, Balance>) -> ContractId {
	let id = crate::NextContractId::<Test>::get();
	assert_ok!(Settlement::open_contract(RuntimeOrigin::signed(provider()), terms));
	id
}

/// A contract with Bob's relay joined; returns (contract, relay).
pub fn contract_with_relay() -> (ContractId, u32) {
	let contract = open(terms());
	let relay = active_relay(&operator(), ("ipv4cidr", "192.0.2.0/24"));
	assert_ok!(Settlement::join_contract(RuntimeOrigin::signed(operator()), contract, relay));
	(contract, relay)
}

/// `n` records of `bytes` bytes each for `host`, statuses from `statuses` in turn.
pub fn records(n: usize, bytes: u64, host: &str, statuses: &[u16]) -> Vec<Vec<u8>> {
	(0..n)
		.map(|i| {
			HttpRequest {
				completed_at_ms: 1_700_000_000_000 + i as u64,
				time_taken_us: 800,
				client_group: "198.51.100.0/24".into(),
				server_hostname: "relay0.isp.example".into(),
				method: "GET".into(),
				upstream_uri: format!("http://{host}/live/{i}.ts"),
				protocol: "HTTP/1.1".into(),
				status: statuses[i % statuses.len()],
				total_bytes: bytes,
				entity_bytes: bytes - 100,
				cached: true,
				request_id: format!("{i:032x}"),
				token_id: None,
			}
			.to_line()
		})
		.collect()
}

pub fn totals_of(lines: &[Vec<u8>]) -> Totals {
	let mut t = Totals::default();
	for line in lines {
		// A malformed record (which a test plants) counts as a request of no bytes.
		t.add(line);
	}
	t
}

pub fn commitment(lines: &[Vec<u8>]) -> BatchCommitment {
	BatchCommitment {
		root: merkle::root(lines).unwrap(),
		records: lines.len() as u32,
		totals: totals_of(lines),
		log_url: b"http://relay0.isp.example/.well-known/ocm/logs/0/0.log".to_vec(),
	}
}

pub fn proof(lines: &[Vec<u8>], index: u32) -> merkle::InclusionProof {
	merkle::Tree::of_lines(lines).unwrap().prove(index).unwrap()
}

/// Commits `lines` as `period` of (contract, relay) after moving to the period's end.
pub fn commit(contract: ContractId, relay: u32, period: Period, lines: &[Vec<u8>]) -> BatchKey {
	commit_as_is((contract, relay, period), commitment(lines))
}

/// Commits `commitment` as the batch `key` after moving to its period's end.
pub fn commit_as_is(key: BatchKey, commitment: BatchCommitment) -> BatchKey {
	let end = crate::Contracts::<Test>::get(key.0).unwrap().period_end(key.2);
	if System::block_number() < end {
		System::set_block_number(end);
	}
	assert_ok!(Settlement::commit_batch(
		RuntimeOrigin::signed(operator()),
		key.0,
		key.1,
		key.2,
		commitment
	));
	key
}

/// Moves block by block to `to`, giving each block's `on_idle` all the weight.
pub fn run_to(to: u64) {
	while System::block_number() < to {
		let next = System::block_number() + 1;
		System::set_block_number(next);
		Settlement::on_idle(next, Weight::MAX);
	}
}

pub fn events() -> Vec<Event<Test>> {
	System::events()
		.into_iter()
		.filter_map(|r| match r.event {
			RuntimeEvent::Settlement(e) => Some(e),
			_ => None,
		})
		.collect()
}

pub fn escrow_held(who: &AccountId) -> Balance {
	Balances::balance_on_hold(&crate::HoldReason::ContractEscrow.into(), who)
}

pub fn free(who: &AccountId) -> Balance {
	use frame_support::traits::fungible::Inspect;
	Balances::balance(who)
}

/// Records a verdict of `mbps` for the relay: its capacity bound follows.
pub fn verify_at(relay: u32, mbps: u32) {
	assert_ok!(<Registry as ocm_primitives::capacity::RelayRegistry<_, _>>::record_verified(
		relay, mbps
	));
}

pub fn bond(relay: u32) -> Balance {
	pallet_capacity_registry::Relays::<Test>::get(relay).unwrap().bond
}
