//! Benchmarks for every call, the report's authorization, and the epoch
//! hooks at their bounds (`MaxRelaysPerEpoch` relays, `MaxBeacons` beacons,
//! `MaxBeaconsPerTest` reports per test, each verdict failing and slashing).

use super::*;
use crate::Pallet as Pob;
use alloc::vec;
use codec::Encode;
use frame_benchmarking::v2::*;
use frame_support::traits::EnsureOrigin;
use frame_support::{
	pallet_prelude::TransactionSource,
	traits::{
		fungible::{Inspect, Mutate},
		Authorize, Get, Hooks, TypedGet,
	},
	BoundedVec,
};
use frame_system::{pallet_prelude::BlockNumberFor, RawOrigin};
use ocm_primitives::capacity::RelayRegistry;
use sp_core::{crypto::KeyTypeId, sr25519};
use sp_runtime::traits::{One, Saturating};

const KEY_TYPE: KeyTypeId = KeyTypeId(*b"pobb");

/// Enough for a bond and rewards; small enough that a thousand of them
/// leave the total issuance far from overflow.
fn funded<T: Config>(who: &T::AccountId) {
	let amount = T::MinBeaconBond::get()
		.saturating_add(T::BeaconReward::get())
		.saturating_mul(1_000u32.into())
		.saturating_add(T::Currency::minimum_balance());
	T::Currency::set_balance(who, amount);
}

fn location(asn: u32) -> BeaconLocation {
	BeaconLocation { country: *b"NL", asn }
}

/// Registers beacon `i` with the largest link, in an ASN of its own.
fn beacon<T: Config>(i: u32) -> T::AccountId {
	let who: T::AccountId = account("beacon", i, 0);
	funded::<T>(&who);
	Pob::<T>::do_register_beacon(who.clone(), location(1 + i), T::MaxBeaconCapacityMbps::get())
		.expect("the beacon registers");
	who
}

/// Registers a beacon whose key is in the keystore, so it can sign.
fn signing_beacon<T: Config>() -> (T::AccountId, sr25519::Public)
where
	T::AccountId: From<sr25519::Public>,
{
	let public = sp_io::crypto::sr25519_generate(KEY_TYPE, None);
	let who: T::AccountId = public.into();
	funded::<T>(&who);
	Pob::<T>::do_register_beacon(who.clone(), location(1), T::MaxBeaconCapacityMbps::get())
		.expect("the beacon registers");
	(who, public)
}

/// An open epoch with `beacon` assigned to a relay, the clock at `now(epoch)`.
fn assigned<T: Config>(
	who: &T::AccountId,
	now: impl Fn(&Epoch<BlockNumberFor<T>>) -> u64,
) -> RelayId {
	let relay = T::Registry::benchmark_relay();
	Assignments::<T>::insert(
		relay,
		Assignment {
			claimed_mbps: 1,
			beacons: BoundedVec::truncate_from(vec![AssignedBeacon {
				account: who.clone(),
				capacity_mbps: Beacons::<T>::get(who).map_or(1, |b| b.capacity_mbps),
			}]),
		},
	);
	BeaconAssignment::<T>::insert(who, relay);
	let window_secs = T::WindowSecs::get().min(T::MaxWindowSecs::get());
	let epoch = Epoch {
		index: 1,
		started_at: frame_system::Pallet::<T>::block_number(),
		seed: [7; 32],
		window_start_ms: 1_000,
		window_secs,
	};
	T::BenchmarkHelper::set_now_ms(now(&epoch));
	CurrentEpoch::<T>::put(epoch);
	relay
}

/// The report a beacon assigned to `relay` measured, every second full.
fn full_report<T: Config>(who: &T::AccountId, relay: RelayId) -> ReportOf<T> {
	let window_secs = CurrentEpoch::<T>::get().window_secs;
	Report {
		epoch: 1,
		relay,
		beacon: who.clone(),
		bytes_per_second: BoundedVec::truncate_from(vec![1_000; window_secs as usize]),
	}
}

/// An open epoch whose multicast window is running (commitments are open),
/// with `beacon` assigned to a relay and its signed commitment.
fn assigned_commitment<T: Config>(
	who: &T::AccountId,
	public: &sr25519::Public,
) -> (CommitmentOf<T>, T::BeaconSignature)
where
	T::BeaconSignature: From<sr25519::Signature>,
{
	let relay = assigned::<T>(who, |e| {
		ocm_pob::commitment::commits_from_ms(e.window_start_ms, e.window_secs)
	});
	let report = full_report::<T>(who, relay);
	let commitment = Commitment {
		epoch: 1,
		relay,
		beacon: who.clone(),
		digest: ocm_pob::commitment::digest(&[9; 32], &report.encode()),
	};
	let genesis = Pob::<T>::genesis_hash();
	let payload = features::commitment_signing_payload(genesis.as_ref(), &commitment);
	let signature = sp_io::crypto::sr25519_sign(KEY_TYPE, public, &payload).expect("signs");
	(commitment, signature.into())
}

/// An open epoch whose commitments have closed, with `beacon` assigned to a
/// relay, committed, and its report, salt and signature to reveal.
fn assigned_report<T: Config>(
	who: &T::AccountId,
	public: &sr25519::Public,
) -> (ReportOf<T>, [u8; 32], T::BeaconSignature)
where
	T::BeaconSignature: From<sr25519::Signature>,
{
	let relay = assigned::<T>(who, |e| {
		ocm_pob::commitment::reveals_from_ms(e.window_start_ms, e.window_secs)
	});
	let report = full_report::<T>(who, relay);
	let salt = [9; 32];
	Commitments::<T>::insert(relay, who, ocm_pob::commitment::digest(&salt, &report.encode()));
	let genesis = Pob::<T>::genesis_hash();
	let payload = features::signing_payload(genesis.as_ref(), &report);
	let signature = sp_io::crypto::sr25519_sign(KEY_TYPE, public, &payload).expect("signs");
	(report, salt, signature.into())
}

fn channel() -> MulticastChannel {
	MulticastChannel {
		amt_relay: IpAddress::V6([0x20; 16]),
		amt_port: 2268,
		source: IpAddress::V6([0x20; 16]),
		group: IpAddress::V6([0xff, 0x3e, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x80, 0, 0, 1]),
		port: 5000,
	}
}

/// As [`assigned_report`], for the relay's multicast test, after its window.
fn assigned_multicast_report<T: Config>(
	who: &T::AccountId,
	public: &sr25519::Public,
) -> (MulticastReportOf<T>, T::BeaconSignature)
where
	T::BeaconSignature: From<sr25519::Signature>,
{
	let (unicast, _, _) = assigned_report::<T>(who, public);
	MulticastTests::<T>::insert(unicast.relay, channel());
	let epoch = CurrentEpoch::<T>::get();
	T::BenchmarkHelper::set_now_ms(ocm_pob::multicast::window_end_ms(
		epoch.window_start_ms,
		epoch.window_secs,
	));
	let report = MulticastReport {
		epoch: epoch.index,
		relay: unicast.relay,
		beacon: who.clone(),
		objects: ocm_pob::multicast::OBJECTS_IN_WINDOW,
		bytes: 1_000_000,
	};
	let genesis = Pob::<T>::genesis_hash();
	let payload = features::multicast_signing_payload(genesis.as_ref(), &report);
	let signature = sp_io::crypto::sr25519_sign(KEY_TYPE, public, &payload).expect("signs");
	(report, signature.into())
}

/// A prober key in the keystore, set as the only prober, and a signed batch
/// probing `r` relays under test in epoch 1.
fn signed_probes<T: Config>(r: u32) -> (ProbeBatchOf<T>, ProberSignature) {
	let prober = ProberId::from(sp_io::crypto::sr25519_generate(crypto::KEY_TYPE, None));
	Probers::<T>::put(BoundedVec::truncate_from(vec![prober.clone()]));
	CurrentEpoch::<T>::put(Epoch {
		index: 1,
		started_at: frame_system::Pallet::<T>::block_number(),
		..Default::default()
	});
	let mut results = vec![];
	for _ in 0..r {
		let relay = T::Registry::benchmark_relay();
		Assignments::<T>::insert(
			relay,
			Assignment { claimed_mbps: 1, beacons: BoundedVec::truncate_from(vec![]) },
		);
		results.push((relay, ProbeOutcome::Reachable { latency_ms: 12 }));
	}
	let batch = ProbeBatch { epoch: 1, prober: 0, results: BoundedVec::truncate_from(results) };
	let genesis = Pob::<T>::genesis_hash();
	let signature = sp_runtime::RuntimeAppPublic::sign(
		&prober,
		&features::probe_signing_payload(genesis.as_ref(), &batch),
	)
	.expect("the keystore signs");
	(batch, signature)
}

#[benchmarks(where T::AccountId: From<sr25519::Public>, T::BeaconSignature: From<sr25519::Signature>)]
mod benchmarks {
	use super::*;

	#[benchmark]
	fn register_beacon() {
		let who: T::AccountId = whitelisted_caller();
		funded::<T>(&who);
		// Coming back after leaving with a poor record: its reputation is read back.
		RetiredRecords::<T>::insert(&who, RetiredRecord { reputation: MIN_REPUTATION, strikes: 1 });
		#[extrinsic_call]
		_(RawOrigin::Signed(who.clone()), location(64_500), T::MaxBeaconCapacityMbps::get());
		assert_eq!(Beacons::<T>::get(&who).map(|b| b.reputation), Some(MIN_REPUTATION));
	}

	#[benchmark]
	fn update_beacon() {
		let who = beacon::<T>(0);
		#[extrinsic_call]
		_(RawOrigin::Signed(who.clone()), location(3320), 1);
		assert_eq!(Beacons::<T>::get(&who).map(|b| b.capacity_mbps), Some(1));
	}

	#[benchmark]
	fn deregister_beacon() {
		let who = beacon::<T>(0);
		// Leaving with a poor record and a forfeit: its reputation is kept,
		// the forfeit paid to the pot.
		funded::<T>(&T::RewardPot::get());
		Beacons::<T>::mutate(&who, |b| {
			if let Some(b) = b {
				b.reputation = MIN_REPUTATION;
				b.strikes = STRIKES_BEFORE_SLASH;
				b.forfeit = T::SlashShare::get() * b.bond;
			}
		});
		#[extrinsic_call]
		_(RawOrigin::Signed(who.clone()));
		assert!(!Beacons::<T>::contains_key(&who));
		assert_eq!(
			RetiredRecords::<T>::get(&who),
			Some(RetiredRecord { reputation: MIN_REPUTATION, strikes: STRIKES_BEFORE_SLASH })
		);
	}

	#[benchmark]
	fn authorize_commit_report() -> Result<(), BenchmarkError> {
		let (who, public) = signing_beacon::<T>();
		let (commitment, signature) = assigned_commitment::<T>(&who, &public);
		let call = Call::<T>::commit_report { commitment, signature };
		#[block]
		{
			call.authorize(TransactionSource::External)
				.ok_or("commit_report is authorized")?
				.map_err(|_| "the commitment is valid")?;
		}
		Ok(())
	}

	#[benchmark]
	fn commit_report() {
		let (who, public) = signing_beacon::<T>();
		let (commitment, signature) = assigned_commitment::<T>(&who, &public);
		let relay = commitment.relay;
		#[extrinsic_call]
		_(RawOrigin::Authorized, commitment, signature);
		assert!(Commitments::<T>::contains_key(relay, &who));
	}

	#[benchmark]
	fn authorize_submit_report() -> Result<(), BenchmarkError> {
		let (who, public) = signing_beacon::<T>();
		let (report, salt, signature) = assigned_report::<T>(&who, &public);
		let call = Call::<T>::submit_report { report, salt, signature };
		#[block]
		{
			call.authorize(TransactionSource::External)
				.ok_or("submit_report is authorized")?
				.map_err(|_| "the report is valid")?;
		}
		Ok(())
	}

	#[benchmark]
	fn submit_report() {
		let (who, public) = signing_beacon::<T>();
		let (report, salt, signature) = assigned_report::<T>(&who, &public);
		let relay = report.relay;
		#[extrinsic_call]
		_(RawOrigin::Authorized, report, salt, signature);
		assert!(Reports::<T>::contains_key(relay, &who));
	}

	#[benchmark]
	fn on_initialize_idle() {
		CurrentEpoch::<T>::put(Epoch {
			index: 1,
			started_at: frame_system::Pallet::<T>::block_number(),
			..Default::default()
		});
		let now = frame_system::Pallet::<T>::block_number() + One::one();
		#[block]
		{
			Pob::<T>::on_initialize(now);
		}
		assert_eq!(CurrentEpoch::<T>::get().index, 1);
	}

	/// `r` relays to walk, each with a multicast channel, `b` beacons to draw from.
	#[benchmark]
	fn open_epoch(
		r: Linear<1, { T::MaxRelaysPerEpoch::get() }>,
		b: Linear<1, { T::MaxBeacons::get() }>,
	) {
		for _ in 0..r {
			let relay = T::Registry::benchmark_relay();
			MulticastChannels::<T>::insert(relay, channel());
		}
		for i in 0..b {
			beacon::<T>(i);
		}
		let now = frame_system::Pallet::<T>::block_number();
		#[block]
		{
			Pob::<T>::open_epoch(now, 1);
		}
		assert_eq!(CurrentEpoch::<T>::get().index, 1);
	}

	/// `r` tests to judge with `b` reports among them (at most
	/// `MaxBeaconsPerTest` each); every relay fails and is slashed, every
	/// beacon is paid: the most writes a verdict makes. Every relay has a
	/// multicast test with a multicast report from every beacon.
	#[benchmark]
	fn close_epoch(
		r: Linear<1, { T::MaxRelaysPerEpoch::get() }>,
		b: Linear<1, { T::MaxBeacons::get() }>,
	) {
		let pot = T::RewardPot::get();
		funded::<T>(&pot);
		let window_secs = T::WindowSecs::get().min(T::MaxWindowSecs::get());
		let per_test = (b / r).clamp(1, T::MaxBeaconsPerTest::get());
		for t in 0..r {
			let relay = T::Registry::benchmark_relay();
			let beacons: alloc::vec::Vec<T::AccountId> =
				(0..per_test).map(|i| beacon::<T>(t * per_test + i)).collect();
			MulticastTests::<T>::insert(relay, channel());
			for who in &beacons {
				BeaconAssignment::<T>::insert(who, relay);
				Reports::<T>::insert(
					relay,
					who,
					BoundedVec::truncate_from(vec![0u64; window_secs as usize]),
				);
				Commitments::<T>::insert(relay, who, [0; 32]);
				MulticastReports::<T>::insert(relay, who, MulticastReach { objects: 40, bytes: 1 });
			}
			Tracks::<T>::insert(
				relay,
				Track {
					failures: T::FailuresBeforeSuspension::get().saturating_sub(1),
					..Default::default()
				},
			);
			for prober in 0..T::MaxProbers::get() {
				Probes::<T>::insert(relay, prober, ProbeOutcome::Reachable { latency_ms: 1 });
			}
			let claimed_mbps = T::Registry::relay(relay).map_or(1, |s| s.claimed_mbps);
			Assignments::<T>::insert(
				relay,
				Assignment {
					claimed_mbps,
					beacons: BoundedVec::truncate_from(
						beacons
							.iter()
							.map(|who| AssignedBeacon {
								account: who.clone(),
								capacity_mbps: Beacons::<T>::get(who)
									.map_or(1, |b| b.capacity_mbps),
							})
							.collect(),
					),
				},
			);
		}
		let epoch = Epoch { index: 1, window_secs, ..Default::default() };
		#[block]
		{
			Pob::<T>::close_epoch(&epoch);
		}
		assert_eq!(Assignments::<T>::count(), 0);
	}

	#[benchmark]
	fn announce_multicast_channel() {
		let relay = T::Registry::benchmark_relay();
		let operator = T::Registry::relay(relay).expect("registered").operator;
		#[extrinsic_call]
		_(RawOrigin::Signed(operator), relay, channel());
		assert!(MulticastChannels::<T>::contains_key(relay));
	}

	#[benchmark]
	fn withdraw_multicast_channel() {
		let relay = T::Registry::benchmark_relay();
		let operator = T::Registry::relay(relay).expect("registered").operator;
		MulticastChannels::<T>::insert(relay, channel());
		#[extrinsic_call]
		_(RawOrigin::Signed(operator), relay);
		assert!(!MulticastChannels::<T>::contains_key(relay));
	}

	#[benchmark]
	fn authorize_submit_multicast_report() -> Result<(), BenchmarkError> {
		let (who, public) = signing_beacon::<T>();
		let (report, signature) = assigned_multicast_report::<T>(&who, &public);
		let call = Call::<T>::submit_multicast_report { report, signature };
		#[block]
		{
			call.authorize(TransactionSource::External)
				.ok_or("submit_multicast_report is authorized")?
				.map_err(|_| "the report is valid")?;
		}
		Ok(())
	}

	#[benchmark]
	fn submit_multicast_report() {
		let (who, public) = signing_beacon::<T>();
		let (report, signature) = assigned_multicast_report::<T>(&who, &public);
		let relay = report.relay;
		#[extrinsic_call]
		_(RawOrigin::Authorized, report, signature);
		assert!(MulticastReports::<T>::contains_key(relay, &who));
	}

	#[benchmark]
	fn claim_rewards() {
		let who = beacon::<T>(0);
		funded::<T>(&T::RewardPot::get());
		Beacons::<T>::mutate(&who, |b| {
			if let Some(b) = b {
				b.unclaimed = T::BeaconReward::get();
			}
		});
		#[extrinsic_call]
		_(RawOrigin::Signed(who.clone()));
		assert!(Beacons::<T>::get(&who).is_some_and(|b| b.unclaimed == Default::default()));
	}

	#[benchmark]
	fn set_probers(n: Linear<0, { T::MaxProbers::get() }>) {
		let probers: alloc::vec::Vec<ProberId> = (0..n)
			.map(|_| ProberId::from(sp_io::crypto::sr25519_generate(crypto::KEY_TYPE, None)))
			.collect();
		let probers = BoundedVec::truncate_from(probers);
		let origin =
			T::ProberOrigin::try_successful_origin().map_err(|_| "no prober origin").unwrap();
		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, probers);
		assert_eq!(Probers::<T>::get().len() as u32, n);
	}

	#[benchmark]
	fn authorize_submit_probes(
		r: Linear<1, { T::MaxRelaysPerEpoch::get() }>,
	) -> Result<(), BenchmarkError> {
		let (batch, signature) = signed_probes::<T>(r);
		let call = Call::<T>::submit_probes { batch, signature };
		#[block]
		{
			call.authorize(TransactionSource::Local)
				.ok_or("submit_probes is authorized")?
				.map_err(|_| "the batch is valid")?;
		}
		Ok(())
	}

	#[benchmark]
	fn submit_probes(r: Linear<1, { T::MaxRelaysPerEpoch::get() }>) {
		let (batch, signature) = signed_probes::<T>(r);
		#[extrinsic_call]
		_(RawOrigin::Authorized, batch, signature);
		assert_eq!(ProbedIn::<T>::get(0), Some(1));
	}

	impl_benchmark_test_suite!(Pob, crate::mock::new_bench_ext(), crate::mock::Test);
}
