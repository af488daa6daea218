//! Content providers and their host names.

use super::*;
use crate::{Error, HoldReason, HostOwner, Providers};
use frame_support::{assert_noop, assert_ok, traits::fungible::InspectHold};

fn hosts(names: &[&str]) -> Vec<Vec<u8>> {
	names.iter().map(|n| n.as_bytes().to_vec()).collect()
}

fn host(name: &str) -> HostName {
	name.as_bytes().to_vec().try_into().unwrap()
}

fn deposit(who: AccountId) -> Balance {
	Balances::balance_on_hold(&HoldReason::ProviderDeposit.into(), &who)
}

#[test]
fn register_provider_stores_hosts_lower_cased_and_holds_the_deposit() {
	run(|| {
		assert_ok!(CapacityRegistry::register_provider(
			RuntimeOrigin::signed(ALICE),
			"Streams Ltd".into(),
			hosts(&["Video.Example.COM", "cdn.example.com"])
		));
		let info = Providers::<Test>::get(ALICE).unwrap();
		assert_eq!(info.name.into_inner(), b"Streams Ltd".to_vec());
		assert_eq!(
			info.hosts.into_inner(),
			vec![host("video.example.com"), host("cdn.example.com")]
		);
		assert_eq!(info.deposit, PROVIDER_DEPOSIT);
		assert_eq!(deposit(ALICE), PROVIDER_DEPOSIT);
		assert_eq!(HostOwner::<Test>::get(host("video.example.com")), Some(ALICE));
		assert_eq!(last_event(), Event::ProviderRegistered { provider: ALICE });
		assert_noop!(
			CapacityRegistry::register_provider(
				RuntimeOrigin::signed(ALICE),
				"Again".into(),
				hosts(&["x.example.org"])
			),
			Error::<Test>::ProviderAlreadyRegistered
		);
	});
}

#[test]
fn register_provider_refuses_bad_names_and_hosts() {
	run(|| {
		let err = |name: &str, h: &[&str], e: Error<Test>| {
			assert_noop!(
				CapacityRegistry::register_provider(
					RuntimeOrigin::signed(BOB),
					name.into(),
					hosts(h)
				),
				e
			);
		};
		err("", &["a.example.com"], Error::EmptyName);
		err(&"n".repeat(33), &["a.example.com"], Error::NameTooLong);
		err("bell\u{7}", &["a.example.com"], Error::InvalidName);
		assert_noop!(
			CapacityRegistry::register_provider(
				RuntimeOrigin::signed(BOB),
				vec![0xff, 0xfe],
				hosts(&["a.example.com"])
			),
			Error::<Test>::InvalidName
		);
		err("Bob", &[], Error::NoHosts);
		err(
			"Bob",
			&["a.example.com", "b.example.com", "c.example.com", "d.example.com", "e.example.com"],
			Error::TooManyHosts,
		);
		let long_host = format!("{}.example.com", vec!["a".repeat(60); 5].join("."));
		err("Bob", &[&long_host], Error::HostNameTooLong);
		for bad in [
			"localhost",
			"-a.example.com",
			"a-.example.com",
			"a..example.com",
			"a_b.example.com",
			"a.example.com.",
			"*.example.com",
			&format!("{}.com", "a".repeat(64)),
		] {
			err("Bob", &[bad], Error::InvalidHostName);
		}
		err("Bob", &["a.example.com", "A.example.com"], Error::DuplicateHost);
		// Account 8 has no funds at all.
		assert_noop!(
			CapacityRegistry::register_provider(
				RuntimeOrigin::signed(8),
				"Poor".into(),
				hosts(&["p.example.com"])
			),
			Error::<Test>::InsufficientFunds
		);
	});
}

#[test]
fn a_host_has_one_owner() {
	run(|| {
		assert_ok!(CapacityRegistry::register_provider(
			RuntimeOrigin::signed(ALICE),
			"A".into(),
			hosts(&["a.example.com"])
		));
		assert_noop!(
			CapacityRegistry::register_provider(
				RuntimeOrigin::signed(BOB),
				"B".into(),
				hosts(&["b.example.com", "A.EXAMPLE.com"])
			),
			Error::<Test>::HostTaken
		);
		assert_noop!(
			CapacityRegistry::update_provider(
				RuntimeOrigin::signed(ALICE),
				"A".into(),
				hosts(&["bad host"])
			),
			Error::<Test>::InvalidHostName
		);
	});
}

#[test]
fn update_provider_frees_dropped_hosts_and_takes_new_ones() {
	run(|| {
		assert_ok!(CapacityRegistry::register_provider(
			RuntimeOrigin::signed(ALICE),
			"A".into(),
			hosts(&["a.example.com", "old.example.com"])
		));
		assert_ok!(CapacityRegistry::register_provider(
			RuntimeOrigin::signed(BOB),
			"B".into(),
			hosts(&["b.example.com"])
		));
		assert_noop!(
			CapacityRegistry::update_provider(
				RuntimeOrigin::signed(ALICE),
				"A".into(),
				hosts(&["b.example.com"])
			),
			Error::<Test>::HostTaken
		);
		assert_ok!(CapacityRegistry::update_provider(
			RuntimeOrigin::signed(ALICE),
			"A Media".into(),
			hosts(&["a.example.com", "new.example.com"])
		));
		assert_eq!(last_event(), Event::ProviderUpdated { provider: ALICE });
		assert_eq!(HostOwner::<Test>::get(host("old.example.com")), None);
		assert_eq!(HostOwner::<Test>::get(host("new.example.com")), Some(ALICE));
		assert_eq!(Providers::<Test>::get(ALICE).unwrap().name.into_inner(), b"A Media".to_vec());
		assert_ok!(CapacityRegistry::update_provider(
			RuntimeOrigin::signed(BOB),
			"B".into(),
			hosts(&["old.example.com"])
		));
		assert_eq!(HostOwner::<Test>::get(host("old.example.com")), Some(BOB));
		assert_noop!(
			CapacityRegistry::update_provider(
				RuntimeOrigin::signed(CHARLIE),
				"C".into(),
				hosts(&["c.example.com"])
			),
			Error::<Test>::ProviderNotFound
		);
	});
}

#[test]
fn deregister_provider_releases_the_deposit_and_hosts() {
	run(|| {
		assert_ok!(CapacityRegistry::register_provider(
			RuntimeOrigin::signed(ALICE),
			"A".into(),
			hosts(&["a.example.com", "b.example.com"])
		));
		let post = CapacityRegistry::deregister_provider(RuntimeOrigin::signed(ALICE)).unwrap();
		assert_eq!(post.actual_weight, Some(<() as crate::WeightInfo>::deregister_provider(2)));
		assert_eq!(last_event(), Event::ProviderDeregistered { provider: ALICE });
		assert_eq!(deposit(ALICE), 0);
		assert_eq!(HostOwner::<Test>::iter_keys().count(), 0);
		assert_noop!(
			CapacityRegistry::deregister_provider(RuntimeOrigin::signed(ALICE)),
			Error::<Test>::ProviderNotFound
		);
		assert_ok!(CapacityRegistry::register_provider(
			RuntimeOrigin::signed(BOB),
			"B".into(),
			hosts(&["a.example.com"])
		));
	});
}
