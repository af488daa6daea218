//! Epochs: at each boundary, judge the closing epoch's tests, then draw the
//! next epoch's from on-chain randomness.

use crate::{
	types::*, weights::WeightInfo, Assignments, BeaconAssignment, Beacons, Commitments, Config,
	CurrentEpoch, Event, LeftUntested, MulticastReports, MulticastTests, Pallet, Probers, Probes,
	RelayCursor, Reports, Tracks,
};
use alloc::vec::Vec;
use codec::Encode;
use frame_support::{
	traits::{Get, Randomness, UnixTime},
	weights::Weight,
	BoundedVec,
};
use frame_system::pallet_prelude::BlockNumberFor;
use ocm_pob::{assignment, verdict};
use ocm_primitives::capacity::{RelayRegistry, RelayStatus, Suspender};
use sp_runtime::{
	traits::{Saturating, Zero},
	Perbill,
};

/// What the registry must say of a relay for it to be tested.
fn testable<B>(status: &RelayStatus<B>) -> bool {
	matches!(
		status,
		RelayStatus::Pending
			| RelayStatus::Active
			| RelayStatus::Suspended { by: Suspender::ProofOfBandwidth, .. }
	)
}

fn ppm(share: Perbill) -> u32 {
	share.deconstruct() / 1_000
}

impl<T: Config> Pallet<T> {
	/// `on_initialize`: at an epoch boundary, closes and opens; returns the weight used.
	pub(crate) fn on_epoch_boundary(now: BlockNumberFor<T>) -> Weight {
		let epoch = CurrentEpoch::<T>::get();
		let due = epoch.started_at.saturating_add(T::EpochLength::get());
		if epoch.index != 0 && now < due {
			return T::WeightInfo::on_initialize_idle();
		}
		let (relays, beacons) = Self::close_epoch(&epoch);
		let closed = T::WeightInfo::close_epoch(relays, beacons);
		let (relays, beacons) = Self::open_epoch(now, epoch.index.saturating_add(1));
		closed.saturating_add(T::WeightInfo::open_epoch(relays, beacons))
	}

	/// Draws the epoch's seed, walks up to `MaxRelaysPerEpoch` relay ids from
	/// the cursor, and assigns beacons. Returns (relay ids read, beacons read).
	pub(crate) fn open_epoch(now: BlockNumberFor<T>, index: EpochIndex) -> (u32, u32) {
		let (random, _) = T::Randomness::random(&(b"ocm/pob/epoch", index).encode());
		let seed = sp_io::hashing::blake2_256(random.as_ref());

		let bound = T::Registry::relay_id_bound();
		let budget = T::MaxRelaysPerEpoch::get().min(bound);
		let candidate = |id: RelayId, first: bool| {
			T::Registry::relay(id)
				.filter(|relay| testable(&relay.status) && relay.claimed_mbps > 0)
				.map(|relay| assignment::Relay {
					id,
					claimed_mbps: relay.claimed_mbps,
					asn: relay.asn,
					first,
				})
		};
		// The relays the last epoch left out come first, within the budget:
		// every relay read counts, so the walk reads `budget` in all.
		let left_out = LeftUntested::<T>::take();
		let left_out = &left_out[..left_out.len().min(budget as usize)];
		let mut relays: Vec<assignment::Relay> =
			left_out.iter().filter_map(|id| candidate(*id, true)).collect();
		let mut cursor = RelayCursor::<T>::get();
		for _ in 0..budget.saturating_sub(left_out.len() as u32) {
			if cursor >= bound {
				cursor = 0;
			}
			if !left_out.contains(&cursor) {
				relays.extend(candidate(cursor, false));
			}
			cursor = cursor.saturating_add(1);
		}
		RelayCursor::<T>::put(cursor);

		let mut accounts = Vec::new();
		let mut pool: Vec<assignment::Beacon> = Vec::new();
		let min_bond = T::MinBeaconBond::get();
		for (account, beacon) in Beacons::<T>::iter().take(T::MaxBeacons::get() as usize) {
			// Beacons with a poor record, or a bond slashed below the
			// minimum, wait until they have earned or paid back their place.
			if beacon.reputation < MIN_REPUTATION || beacon.at_stake() < min_bond {
				continue;
			}
			let mut id = [0u8; 32];
			let encoded = account.encode();
			let n = encoded.len().min(32);
			id[..n].copy_from_slice(&encoded[..n]);
			pool.push(assignment::Beacon {
				id,
				capacity_mbps: beacon.capacity_mbps,
				asn: beacon.location.asn,
			});
			accounts.push(account);
		}
		let rules = assignment::Rules {
			beacons_per_test: T::BeaconsPerTest::get().min(T::MaxBeaconsPerTest::get()),
			margin_ppm: ppm(T::CapacityMargin::get()),
		};
		let mut tested = 0u32;
		let mut covered = Vec::new();
		for planned in assignment::assign(&seed, &relays, &pool, rules) {
			if planned.beacons.len() > T::MaxBeaconsPerTest::get() as usize {
				continue;
			}
			covered.push(planned.relay);
			let claimed_mbps =
				relays.iter().find(|r| r.id == planned.relay).map_or(0, |r| r.claimed_mbps);
			let beacons: BoundedVec<AssignedBeacon<T::AccountId>, T::MaxBeaconsPerTest> =
				BoundedVec::truncate_from(
					planned
						.beacons
						.iter()
						.map(|b| AssignedBeacon {
							account: accounts[*b].clone(),
							capacity_mbps: pool[*b].capacity_mbps,
						})
						.collect(),
				);
			for beacon in &beacons {
				BeaconAssignment::<T>::insert(&beacon.account, planned.relay);
			}
			Assignments::<T>::insert(planned.relay, Assignment { claimed_mbps, beacons });
			Self::schedule_multicast_test(planned.relay);
			tested += 1;
		}
		// Say which relays were left out; the next epoch tests them first.
		let mut left_untested = BoundedVec::<RelayId, T::MaxRelaysPerEpoch>::default();
		for relay in relays.iter().filter(|r| !covered.contains(&r.id)) {
			if !relay.first {
				// At most `budget` relays were walked: room for each.
				let _ = left_untested.try_push(relay.id);
			}
			Self::deposit_event(Event::Untested {
				epoch: index,
				relay: relay.id,
				again: relay.first,
			});
		}
		LeftUntested::<T>::put(left_untested);

		let window_secs = T::WindowSecs::get().min(T::MaxWindowSecs::get());
		let window_start_ms =
			(T::Time::now().as_millis() as u64).saturating_add(T::WindowLeadMs::get());
		CurrentEpoch::<T>::put(Epoch {
			index,
			started_at: now,
			seed,
			window_start_ms,
			window_secs,
		});
		Self::deposit_event(Event::EpochOpened {
			epoch: index,
			relays: tested,
			window_start_ms,
			window_secs,
		});
		(budget, pool.len() as u32)
	}

	/// Judges every test of `epoch` and clears its assignments and reports.
	/// Returns (tests judged, beacons assigned).
	pub(crate) fn close_epoch(epoch: &Epoch<BlockNumberFor<T>>) -> (u32, u32) {
		let mut judged = 0u32;
		let mut assigned = 0u32;
		let probers = Probers::<T>::decode_len().unwrap_or(0) as u32;
		let mut unjudged = Vec::new();
		let mut silent = Vec::new();
		// At most `MaxRelaysPerEpoch` entries: `open_epoch` inserts no more.
		for (relay, test) in Assignments::<T>::drain() {
			judged += 1;
			assigned += test.beacons.len() as u32;
			if !Self::judge_test(epoch.index, relay, &test, probers, &mut silent) {
				unjudged.push(relay);
			}
			let accounts: Vec<T::AccountId> = test.accounts().cloned().collect();
			Self::judge_multicast_test(epoch.index, relay, &accounts);
		}
		// Silence costs reputation always; it is a strike, and an unjudged
		// test counts towards its relay's lapse, when the epoch's other
		// tests were judged. When most went unjudged the beacons were kept
		// from the chain (an outage, blocks too full for their
		// commitments): striking them all, and lapsing every relay's
		// verification, would hand whoever causes that the marketplace.
		let quorate = judged.saturating_sub(unjudged.len() as u32);
		let outage = unjudged.len() as u32 > quorate;
		for (relay, beacon) in &silent {
			if outage {
				Self::lose_reputation(beacon, MISSING_PENALTY);
			} else {
				Self::penalize(epoch.index, *relay, beacon, BeaconFault::Silent);
			}
		}
		if !outage {
			for relay in unjudged {
				Self::record_unjudged(relay);
			}
		} else {
			Self::deposit_event(Event::MostTestsUnjudged {
				epoch: epoch.index,
				unjudged: unjudged.len() as u32,
				tests: judged,
			});
		}
		let _ = BeaconAssignment::<T>::clear(u32::MAX, None);
		let _ = Reports::<T>::clear(u32::MAX, None);
		let _ = Commitments::<T>::clear(u32::MAX, None);
		let _ = Probes::<T>::clear(u32::MAX, None);
		// Emptied by the judging above; cleared for certain, as the rest.
		let _ = MulticastTests::<T>::clear(u32::MAX, None);
		let _ = MulticastReports::<T>::clear(u32::MAX, None);
		(judged, assigned)
	}

	/// `probers`: how many probers the board configured.
	/// Returns whether most of the test's beacons reported (or the probers
	/// found the relay unreachable): whether it was judged. Adds the
	/// beacons that did not report, to be blamed if the epoch was no outage.
	fn judge_test(
		epoch: EpochIndex,
		relay: RelayId,
		test: &Assignment<T>,
		probers: u32,
		silent: &mut Vec<(RelayId, T::AccountId)>,
	) -> bool {
		// Most configured probers could not get the stream: the relay fails,
		// and the beacons that could not report it are not to blame. A
		// majority of the configured probers, not of those that reported:
		// one prober alone (its peers silent) cannot fail a relay.
		let (probes, failed_probes) = Self::probe_tally(relay);
		let unreachable = failed_probes > 0 && failed_probes.saturating_mul(2) > probers;
		let mut reporters = Vec::new();
		let mut counts = Vec::new();
		let mut missing = 0u32;
		// Each report counts against the link its beacon had when the epoch
		// drew it, not what it declares now.
		for beacon in &test.beacons {
			match Reports::<T>::get(relay, &beacon.account) {
				Some(seconds) => {
					reporters.push(beacon.account.clone());
					counts.push(seconds);
				}
				None => {
					missing += 1;
					if !unreachable {
						silent.push((relay, beacon.account.clone()));
					}
				}
			}
		}
		// Without reports from most of its beacons a test says nothing. With
		// them, a silent beacon counts as one that received nothing: the
		// relay is credited no more than its reporting beacons' mean for it
		// (a colluder among few reporters is not credited as among many),
		// and the benefit of the doubt gives it the upper median.
		let quorum = reporters.len().saturating_mul(2) > test.beacons.len();
		let silent_seconds = alloc::vec![0u64; counts.first().map_or(0, |c| c.len())];
		let evidence: Vec<&[u64]> = counts
			.iter()
			.map(|seconds| seconds.as_slice())
			.chain((0..missing).map(|_| silent_seconds.as_slice()))
			.collect();
		let judgement = if quorum { verdict::judge(&evidence, 0) } else { None };
		let claimed_mbps = test.claimed_mbps;
		let tolerance = ppm(T::Tolerance::get());
		if let Some(judgement) = &judgement {
			// An overstatement is struck only where it could have helped:
			// in a test the relay passed. In one it did not, the "over"
			// reporters may be the only ones the relay fed, the others
			// starved to have them struck.
			let passed = !unreachable
				&& verdict::supports_claim(
					verdict::link_mbps(judgement.bytes_per_second),
					claimed_mbps,
					tolerance,
				);
			Self::settle_beacons(epoch, relay, &reporters, judgement, passed);
		}
		if unreachable {
			Self::deposit_event(Event::RelayUnreachable {
				epoch,
				relay,
				probes,
				failed: failed_probes,
			});
			Self::deposit_event(Event::Verdict {
				epoch,
				relay,
				claimed_mbps,
				measured_mbps: 0,
				passed: false,
			});
			Self::record_verdict(epoch, relay, claimed_mbps, 0, false);
			return true;
		}
		let Some(judgement) = judgement else {
			Self::deposit_event(Event::Inconclusive { epoch, relay, missing });
			return false;
		};
		let measured_mbps = verdict::link_mbps(judgement.bytes_per_second);
		let passed = verdict::supports_claim(measured_mbps, claimed_mbps, tolerance);
		// A silent beacon, or one counting little, may be the liar: it can
		// keep a relay from passing but not make it fail. The relay fails
		// only if it falls short even with every assigned beacon credited
		// the second's upper median count (silence is no shield for a relay
		// short of its claim).
		let passed_given_doubt = verdict::supports_claim(
			verdict::link_mbps(judgement.benefit_of_doubt_bytes_per_second),
			claimed_mbps,
			tolerance,
		);
		if !passed && passed_given_doubt {
			// No penalty, but the relay sells no more than was measured
			// without the doubt: starving beacons to stay inconclusive does
			// not keep a larger, older verification.
			Self::lower_verified(relay, measured_mbps.min(claimed_mbps));
			Tracks::<T>::mutate(relay, |track| track.get_or_insert_default().unjudged = 0);
			Self::deposit_event(Event::Inconclusive { epoch, relay, missing });
			return true;
		}
		Self::deposit_event(Event::Verdict { epoch, relay, claimed_mbps, measured_mbps, passed });
		Self::record_verdict(epoch, relay, claimed_mbps, measured_mbps, passed);
		true
	}

	/// A test too few beacons reported to judge, in an epoch most of whose
	/// tests were judged. Colluding beacons that go silent whenever they
	/// are drawn keep their relay from being judged; it does not stay
	/// Active on an old verification for ever: after
	/// `FailuresBeforeSuspension` such tests in a row its verification
	/// lapses (suspended by proof of bandwidth, no slash: the relay may be
	/// blameless), and its next passing test reinstates it.
	fn record_unjudged(relay: RelayId) {
		let mut track = Tracks::<T>::get(relay).unwrap_or_default();
		track.unjudged = track.unjudged.saturating_add(1);
		let unjudged = track.unjudged;
		Tracks::<T>::insert(relay, track);
		if unjudged < T::FailuresBeforeSuspension::get() {
			return;
		}
		let active = T::Registry::relay(relay).is_some_and(|r| r.status == RelayStatus::Active);
		if active && T::Registry::suspend(relay, Suspender::ProofOfBandwidth).is_ok() {
			Self::deposit_event(Event::VerificationLapsed { relay, unjudged });
		}
	}

	/// A beacon silent in a test, or overruled: reputation, and for silence
	/// or an overstated report a strike; from the `STRIKES_BEFORE_SLASH`th
	/// strike in a row, `SlashShare` of what it has at stake is forfeit.
	/// The forfeit stays held and goes to the pot when the beacon leaves:
	/// judging makes no transfers, so slashing every beacon of an epoch
	/// costs no more than writing their records.
	pub(crate) fn penalize(
		epoch: EpochIndex,
		relay: RelayId,
		beacon: &T::AccountId,
		fault: BeaconFault,
	) {
		Beacons::<T>::mutate(beacon, |info| {
			let Some(info) = info else { return };
			let penalty = match fault {
				BeaconFault::Silent => MISSING_PENALTY,
				BeaconFault::Overstated | BeaconFault::Understated => OUTLIER_PENALTY,
			};
			info.reputation = info.reputation.saturating_sub(penalty);
			if fault == BeaconFault::Understated {
				return;
			}
			info.strikes = info.strikes.saturating_add(1);
			if info.strikes < STRIKES_BEFORE_SLASH {
				return;
			}
			let amount = T::SlashShare::get() * info.at_stake();
			if amount.is_zero() {
				return;
			}
			info.forfeit = info.forfeit.saturating_add(amount);
			Self::deposit_event(Event::BeaconSlashed {
				epoch,
				relay,
				beacon: beacon.clone(),
				fault,
				amount,
			});
		});
	}

	/// Lowers an Active relay's verified capacity to `measured_mbps` if it
	/// is above it.
	fn lose_reputation(beacon: &T::AccountId, penalty: u32) {
		Beacons::<T>::mutate(beacon, |info| {
			if let Some(info) = info {
				info.reputation = info.reputation.saturating_sub(penalty);
			}
		});
	}

	/// Nothing measured (half its beacons starved, say) is no capacity to
	/// sell: the relay is suspended by proof of bandwidth, without a slash,
	/// until a test passes.
	fn lower_verified(relay: RelayId, measured_mbps: Mbps) {
		if let Some(summary) = T::Registry::relay(relay) {
			if summary.status == RelayStatus::Active && summary.verified_mbps > measured_mbps {
				if measured_mbps == 0 {
					let _ = T::Registry::suspend(relay, Suspender::ProofOfBandwidth);
				} else {
					let _ = T::Registry::record_verified(relay, measured_mbps);
				}
			}
		}
	}

	/// Reputation, strikes and rewards of the beacons that reported a test.
	/// An outlier earns nothing; one that overstated (claimed more than the
	/// others saw) in a test the relay passed is struck, any other loses
	/// reputation only:
	/// a relay can starve a beacon to make it look so, and must not be able
	/// to take an honest beacon's bond that way.
	fn settle_beacons(
		epoch: EpochIndex,
		relay: RelayId,
		reporters: &[T::AccountId],
		judgement: &verdict::Judgement,
		passed: bool,
	) {
		for (i, beacon) in reporters.iter().enumerate() {
			if judgement.outliers.contains(&i) {
				Self::deposit_event(Event::BeaconOverruled {
					epoch,
					relay,
					beacon: beacon.clone(),
				});
				let fault = if passed && judgement.overstated.contains(&i) {
					BeaconFault::Overstated
				} else {
					BeaconFault::Understated
				};
				Self::penalize(epoch, relay, beacon, fault);
			} else {
				Beacons::<T>::mutate(beacon, |info| {
					if let Some(info) = info {
						info.reputation =
							info.reputation.saturating_add(REPUTATION_GAIN).min(MAX_REPUTATION);
						info.unclaimed = info.unclaimed.saturating_add(T::BeaconReward::get());
						info.strikes = 0;
					}
				});
			}
		}
	}

	/// Applies a verdict to the relay's track and, through the registry, to the relay.
	fn record_verdict(
		epoch: EpochIndex,
		relay: RelayId,
		claimed_mbps: Mbps,
		measured_mbps: Mbps,
		passed: bool,
	) {
		let mut track = Tracks::<T>::get(relay).unwrap_or_default();
		track.epoch = epoch;
		track.measured_mbps = measured_mbps;
		track.unjudged = 0;
		if passed {
			track.failures = 0;
			// A pass verifies the claim tested: a claim changed since waits
			// for its own test. Sold capacity is the claim: measuring more
			// does not raise it.
			let still_claims =
				T::Registry::relay(relay).is_some_and(|r| r.claimed_mbps == claimed_mbps);
			if still_claims {
				let _ = T::Registry::record_verified(relay, measured_mbps.min(claimed_mbps));
			}
		} else {
			// A failure counts whatever the relay claims now: changing the
			// claim during each tested epoch must not skip the penalty.
			track.failures = track.failures.saturating_add(1);
			if track.failures >= T::FailuresBeforeSuspension::get() {
				let _ = T::Registry::suspend(relay, Suspender::ProofOfBandwidth);
				let slashed = T::Registry::slash(relay, T::SlashShare::get()).is_ok();
				Self::deposit_event(Event::RelayPenalized {
					relay,
					failures: track.failures,
					slashed,
				});
			}
		}
		Tracks::<T>::insert(relay, track);
	}
}
