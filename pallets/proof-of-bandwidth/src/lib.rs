//! # Proof of bandwidth
//!
//! OCM's first assurance: a relay's claimed capacity is checked by
//! independent **beacons**, programs on people's devices that registered
//! here with a bond, so nobody has to trust the supplier.
//!
//! ## Epochs
//!
//! ```text
//!  epoch n opens (on_initialize)                         epoch n closes
//!  ├─ seed from on-chain randomness                      ├─ per relay: judge the reports
//!  ├─ relays under test: Pending, Active, and            │   (FlashFlow: per-second sums, median;
//!  │   suspended by PoB, up to MaxRelaysPerEpoch,        │    outlier beacons overruled)
//!  │   round-robin from a cursor                         ├─ pass: verified capacity, activation
//!  ├─ beacons per relay: outside its ASN, together       ├─ fail: FailuresBeforeSuspension in a
//!  │   above claim x (1 + CapacityMargin)                │   row suspends and slashes SlashShare
//!  └─ window: WindowLeadMs from now, WindowSecs long     └─ beacons: reward and reputation
//!        beacons measure together ──► signed reports (free, authorized, checked in the pool)
//! ```
//!
//! Beacons download a payload stream that only the epoch's seed produces
//! (`ocm_pob::payload`), so junk, cached or compressed bytes fail their
//! verification and are not counted. A relay that serves test traffic better
//! than its clients gains nothing: the beacons measure at once and must
//! together receive the whole claim. A beacon cannot count more than its own
//! link carries, and a minority of beacons lying either way is overruled by
//! the others' evidence (`ocm_pob::verdict::judge`) and loses reputation.
//!
//! Reports are transactions without a fee payer: `submit_report` is
//! authorized by `#[pallet::authorize]` when its beacon signature, epoch,
//! window, assignment and numbers check, so the pool refuses bad ones before
//! they reach a block.
//!
//! Relays that announce a multicast test channel are also checked for
//! multicast reach: after the unicast window the relay multicasts seeded
//! objects, its beacons join through AMT and report what they rebuilt
//! (`submit_multicast_report`), and the close records whether most of them
//! were reached (`MulticastRecords`); see `features/multicast.rs`.
//!
//! The relay registry applies verdicts through
//! [`ocm_primitives::capacity::RelayRegistry`].

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

#[cfg(feature = "runtime-benchmarks")]
pub mod benchmarking;
pub mod crypto;
pub mod features;
#[cfg(test)]
mod mock;
#[cfg(test)]
mod tests;
pub mod types;
pub mod weights;

pub use crypto::{ProberId, ProberSignature};
pub use pallet::*;
pub use types::*;
pub use weights::WeightInfo;

#[frame_support::pallet]
pub mod pallet {
	use super::*;
	use frame_support::{
		pallet_prelude::*,
		traits::{fungible, Randomness, TypedGet, UnixTime},
	};
	use frame_system::pallet_prelude::*;
	use ocm_primitives::capacity::RelayRegistry;
	use sp_runtime::{
		traits::{IdentifyAccount, Verify},
		Perbill,
	};

	const STORAGE_VERSION: StorageVersion = StorageVersion::new(1);

	#[pallet::pallet]
	#[pallet::storage_version(STORAGE_VERSION)]
	pub struct Pallet<T>(_);

	/// Configuration of proof of bandwidth. Items without `#[pallet::constant]`
	/// are the board's market parameters, read from the governance pallet.
	#[pallet::config]
	pub trait Config:
		frame_system::Config<RuntimeEvent: From<Event<Self>>>
		+ frame_system::offchain::CreateAuthorizedTransaction<Call<Self>>
	{
		/// Holds beacon bonds and pays beacon rewards.
		type Currency: fungible::Mutate<Self::AccountId>
			+ fungible::MutateHold<Self::AccountId, Reason = Self::RuntimeHoldReason>;

		/// The runtime's hold reasons, which include this pallet's [`HoldReason`].
		type RuntimeHoldReason: From<HoldReason>;

		/// The relays under test, and where verdicts go.
		type Registry: RelayRegistry<Self::AccountId, BlockNumberFor<Self>>;

		/// Seeds each epoch's assignment and payload streams.
		type Randomness: Randomness<Self::Hash, BlockNumberFor<Self>>;

		/// Wall-clock time, to place the measurement window.
		type Time: UnixTime;

		/// A beacon's signature over its report; the signer is the beacon's account.
		type BeaconSignature: Verify<Signer: IdentifyAccount<AccountId = Self::AccountId>>
			+ Parameter
			+ DecodeWithMemTracking;

		/// Held from each beacon while it is registered.
		type MinBeaconBond: Get<BalanceOf<Self>>;

		/// Blocks per epoch.
		type EpochLength: Get<BlockNumberFor<Self>>;

		/// The fewest beacons that test one relay at once.
		type BeaconsPerTest: Get<u32>;

		/// How far the beacons' links together exceed the claim under test.
		type CapacityMargin: Get<Perbill>;

		/// How far below its claim a relay may measure and still pass.
		type Tolerance: Get<Perbill>;

		/// Share of a relay's bond slashed for each failed verdict from the
		/// `FailuresBeforeSuspension`th in a row on, and of a beacon's for
		/// each silent or overruled test from the `STRIKES_BEFORE_SLASH`th
		/// in a row on.
		type SlashShare: Get<Perbill>;

		/// While true, no beacon registers: the board's emergency brake.
		type RegistrationsPaused: Get<bool>;

		/// Earned by each beacon whose report agreed with the others, claimed
		/// from the pot.
		#[pallet::constant]
		type BeaconReward: Get<BalanceOf<Self>>;

		/// The protocol pot that pays beacon rewards.
		type RewardPot: TypedGet<Type = Self::AccountId>;

		/// Seconds the beacons measure for.
		#[pallet::constant]
		type WindowSecs: Get<u32>;

		/// Milliseconds between the epoch's opening block and the window, for
		/// the beacons to see their assignment and connect.
		#[pallet::constant]
		type WindowLeadMs: Get<u64>;

		/// Failed verdicts in a row that suspend a relay and start slashing.
		#[pallet::constant]
		type FailuresBeforeSuspension: Get<u32>;

		/// The largest link a beacon may register, in Mbit/s.
		#[pallet::constant]
		type MaxBeaconCapacityMbps: Get<Mbps>;

		/// Registered beacons, at most: the bound of the assignment's work.
		#[pallet::constant]
		type MaxBeacons: Get<u32>;

		/// Relays tested in one epoch, at most.
		#[pallet::constant]
		type MaxRelaysPerEpoch: Get<u32>;

		/// Beacons assigned to one relay, at most.
		#[pallet::constant]
		type MaxBeaconsPerTest: Get<u32>;

		/// The storage bound of a report's window (at least `WindowSecs`).
		#[pallet::constant]
		type MaxWindowSecs: Get<u32>;

		/// The share of a multicast test's objects a beacon must rebuild to
		/// count as reached.
		#[pallet::constant]
		type MinMulticastDelivery: Get<Perbill>;

		/// Validators whose off-chain workers probe relays, at most.
		#[pallet::constant]
		type MaxProbers: Get<u32>;

		/// Who sets the probers (the board).
		type ProberOrigin: EnsureOrigin<Self::RuntimeOrigin>;

		/// Weights of this pallet's calls and hooks, from its benchmarks.
		type WeightInfo: WeightInfo;

		/// Sets the clock for the benchmarks of reports, which need an ended window.
		#[cfg(feature = "runtime-benchmarks")]
		type BenchmarkHelper: BenchmarkHelper;
	}

	/// What the benchmarks need from the runtime.
	#[cfg(feature = "runtime-benchmarks")]
	pub trait BenchmarkHelper {
		/// Makes `Config::Time` answer `ms` milliseconds.
		fn set_now_ms(ms: u64);
	}

	/// Why this pallet holds funds.
	#[pallet::composite_enum]
	pub enum HoldReason {
		/// A beacon's bond.
		BeaconBond,
	}

	/// Registered beacons.
	#[pallet::storage]
	pub type Beacons<T: Config> =
		CountedStorageMap<_, Blake2_128Concat, T::AccountId, BeaconInfo<T>>;

	/// The epoch in progress.
	#[pallet::storage]
	pub type CurrentEpoch<T: Config> = StorageValue<_, Epoch<BlockNumberFor<T>>, ValueQuery>;

	/// This epoch's tests, by relay.
	#[pallet::storage]
	pub type Assignments<T: Config> = CountedStorageMap<_, Twox64Concat, RelayId, Assignment<T>>;

	/// This epoch's relay of each assigned beacon.
	#[pallet::storage]
	pub type BeaconAssignment<T: Config> = StorageMap<_, Blake2_128Concat, T::AccountId, RelayId>;

	/// This epoch's accepted reports: bytes per second, by relay and beacon.
	#[pallet::storage]
	pub type Reports<T: Config> = StorageDoubleMap<
		_,
		Twox64Concat,
		RelayId,
		Blake2_128Concat,
		T::AccountId,
		BoundedVec<u64, T::MaxWindowSecs>,
	>;

	/// This epoch's commitments to reports: digests, by relay and beacon.
	/// A report is taken only if it matches its beacon's commitment.
	#[pallet::storage]
	pub type Commitments<T: Config> =
		StorageDoubleMap<_, Twox64Concat, RelayId, Blake2_128Concat, T::AccountId, [u8; 32]>;

	/// The record of beacons that left with less reputation than a new
	/// beacon starts with, or with strikes: registering the account again
	/// starts from it, so leaving washes neither a poor record nor a
	/// strike.
	#[pallet::storage]
	pub type RetiredRecords<T: Config> =
		StorageMap<_, Blake2_128Concat, T::AccountId, RetiredRecord>;

	/// Each tested relay's record.
	#[pallet::storage]
	pub type Tracks<T: Config> = StorageMap<_, Twox64Concat, RelayId, Track>;

	/// The relay id the next epoch's walk over the registry starts at.
	#[pallet::storage]
	pub type RelayCursor<T: Config> = StorageValue<_, RelayId, ValueQuery>;

	/// Relays the epoch walked but could not give enough beacons: the next
	/// epoch tests them before any other (once; left out again, a relay goes
	/// back to the round-robin, so relays no pool can cover do not take the
	/// walk's budget for ever).
	#[pallet::storage]
	pub type LeftUntested<T: Config> =
		StorageValue<_, BoundedVec<RelayId, T::MaxRelaysPerEpoch>, ValueQuery>;

	/// The multicast test channel each relay announced.
	#[pallet::storage]
	pub type MulticastChannels<T: Config> = StorageMap<_, Twox64Concat, RelayId, MulticastChannel>;

	/// This epoch's multicast tests: the channels of the relays under test,
	/// as they were when the epoch opened.
	#[pallet::storage]
	pub type MulticastTests<T: Config> = StorageMap<_, Twox64Concat, RelayId, MulticastChannel>;

	/// This epoch's accepted multicast reports, by relay and beacon.
	#[pallet::storage]
	pub type MulticastReports<T: Config> =
		StorageDoubleMap<_, Twox64Concat, RelayId, Blake2_128Concat, T::AccountId, MulticastReach>;

	/// Each relay's last judged multicast test.
	#[pallet::storage]
	pub type MulticastRecords<T: Config> = StorageMap<_, Twox64Concat, RelayId, MulticastRecord>;

	/// The `pobp` keys of the validators whose off-chain workers probe relays.
	#[pallet::storage]
	pub type Probers<T: Config> = StorageValue<_, BoundedVec<ProberId, T::MaxProbers>, ValueQuery>;

	/// This epoch's probe outcomes, by relay and prober index.
	#[pallet::storage]
	pub type Probes<T: Config> =
		StorageDoubleMap<_, Twox64Concat, RelayId, Twox64Concat, u32, ProbeOutcome>;

	/// The last epoch each prober (by index) sent its batch for.
	#[pallet::storage]
	pub type ProbedIn<T: Config> = StorageMap<_, Twox64Concat, u32, EpochIndex>;

	#[pallet::genesis_config]
	#[derive(frame_support::DefaultNoBound)]
	pub struct GenesisConfig<T: Config> {
		/// The first probers' `pobp` keys.
		pub probers: alloc::vec::Vec<ProberId>,
		#[serde(skip)]
		pub _config: core::marker::PhantomData<T>,
	}

	#[pallet::genesis_build]
	impl<T: Config> BuildGenesisConfig for GenesisConfig<T> {
		fn build(&self) {
			let probers = BoundedVec::try_from(self.probers.clone())
				.expect("genesis names at most MaxProbers probers");
			Probers::<T>::put(probers);
		}
	}

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		BeaconRegistered {
			beacon: T::AccountId,
			capacity_mbps: Mbps,
			bond: BalanceOf<T>,
		},
		BeaconUpdated {
			beacon: T::AccountId,
			capacity_mbps: Mbps,
		},
		BeaconDeregistered {
			beacon: T::AccountId,
		},
		/// An epoch opened with `relays` tests; beacons measure from
		/// `window_start_ms` for `window_secs`.
		EpochOpened {
			epoch: EpochIndex,
			relays: u32,
			window_start_ms: u64,
			window_secs: u32,
		},
		/// A beacon committed to its report of `relay`, to reveal it once
		/// commitments close.
		ReportCommitted {
			epoch: EpochIndex,
			relay: RelayId,
			beacon: T::AccountId,
		},
		ReportAccepted {
			epoch: EpochIndex,
			relay: RelayId,
			beacon: T::AccountId,
		},
		/// A relay's test was judged.
		Verdict {
			epoch: EpochIndex,
			relay: RelayId,
			claimed_mbps: Mbps,
			measured_mbps: Mbps,
			passed: bool,
		},
		/// The relay fell short of its claim, but would pass had every
		/// assigned beacon received what most counted (`missing` of them
		/// were silent): it keeps its status.
		Inconclusive {
			epoch: EpochIndex,
			relay: RelayId,
			missing: u32,
		},
		/// The other beacons' evidence overruled this beacon's report.
		BeaconOverruled {
			epoch: EpochIndex,
			relay: RelayId,
			beacon: T::AccountId,
		},
		/// A relay failed `failures` verdicts in a row: suspended, `slashed` taken.
		RelayPenalized {
			relay: RelayId,
			failures: u32,
			slashed: bool,
		},
		/// A prober's results for the epoch; `unreachable` relays did not
		/// serve the stream.
		ProbesAccepted {
			epoch: EpochIndex,
			prober: u32,
			relays: u32,
			unreachable: u32,
		},
		/// Most probers could not get the relay's stream: its test fails.
		RelayUnreachable {
			epoch: EpochIndex,
			relay: RelayId,
			probes: u32,
			failed: u32,
		},
		/// The board replaced the probers.
		ProbersSet {
			count: u32,
		},
		/// A relay's operator announced the multicast test channel that
		/// beacons join from the next epoch on.
		MulticastChannelAnnounced {
			relay: RelayId,
			channel: MulticastChannel,
		},
		MulticastChannelWithdrawn {
			relay: RelayId,
		},
		MulticastReportAccepted {
			epoch: EpochIndex,
			relay: RelayId,
			beacon: T::AccountId,
			objects: u32,
		},
		/// A relay's multicast test was judged: `reached` of its `beacons`
		/// rebuilt enough of the test; `verified` when more than half did.
		MulticastReach {
			epoch: EpochIndex,
			relay: RelayId,
			beacons: u32,
			reached: u32,
			verified: bool,
		},
		/// A beacon forfeited `amount` of its bond (paid to the pot when it
		/// leaves): its second silent or overruled test in a row, or a
		/// further one.
		BeaconSlashed {
			epoch: EpochIndex,
			relay: RelayId,
			beacon: T::AccountId,
			fault: BeaconFault,
			amount: BalanceOf<T>,
		},
		/// Most of the epoch's tests lacked reports from most of their
		/// beacons: the beacons were kept from the chain, not at fault.
		/// Their silence costs them nothing this epoch, and no relay's
		/// unjudged test counts towards its verification lapsing.
		MostTestsUnjudged {
			epoch: EpochIndex,
			unjudged: u32,
			tests: u32,
		},
		/// Too few of the relay's beacons reported `unjudged` tests in a row:
		/// its verification lapsed (suspended by proof of bandwidth until a
		/// test passes; no slash).
		VerificationLapsed {
			relay: RelayId,
			unjudged: u32,
		},
		/// A beacon collected its rewards from the pot.
		RewardsClaimed {
			beacon: T::AccountId,
			amount: BalanceOf<T>,
		},
		/// The epoch walked `relay` but could not give it enough beacons
		/// (free, outside its network, with the claim's capacity): no test
		/// this epoch. `again: false`: the next epoch tests it first;
		/// `again: true`: it was already tested first, and waits for its
		/// turn in the round-robin.
		Untested {
			epoch: EpochIndex,
			relay: RelayId,
			again: bool,
		},
	}

	#[pallet::error]
	pub enum Error<T> {
		/// The board has paused registrations.
		RegistrationsPaused,
		/// The account already runs a beacon.
		AlreadyRegistered,
		/// The account runs no beacon.
		NotRegistered,
		/// `MaxBeacons` beacons are registered.
		TooManyBeacons,
		/// A beacon's link must carry something.
		ZeroCapacity,
		/// Beyond `MaxBeaconCapacityMbps`.
		CapacityTooHigh,
		/// Not two ASCII letters.
		BadCountry,
		/// The beacon is assigned a test this epoch; it may leave after it.
		AssignedThisEpoch,
		/// The beacon has no unclaimed rewards.
		NothingToClaim,
		/// The pot cannot pay the rewards now; they stay unclaimed.
		PotEmpty,
		/// No relay with that id.
		UnknownRelay,
		/// Only the relay's operator may.
		NotOperator,
		/// Not an SSM group with a unicast source of its family, a unicast
		/// AMT relay and non-zero ports.
		BadMulticastChannel,
		/// The relay announced no multicast channel.
		NoMulticastChannel,
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		/// Closes the epoch that has run `EpochLength` blocks and opens the next.
		fn on_initialize(now: BlockNumberFor<T>) -> Weight {
			Self::on_epoch_boundary(now)
		}

		/// Validators with a `pobp` key probe every relay under test this epoch.
		fn offchain_worker(now: BlockNumberFor<T>) {
			Self::probe_relays(now);
		}

		#[cfg(feature = "try-runtime")]
		fn try_state(_: BlockNumberFor<T>) -> Result<(), sp_runtime::TryRuntimeError> {
			Self::do_try_state()
		}
	}

	#[pallet::call]
	impl<T: Config> Pallet<T> {
		/// Registers the caller's beacon, holding `MinBeaconBond`.
		#[pallet::call_index(0)]
		#[pallet::weight(T::WeightInfo::register_beacon())]
		pub fn register_beacon(
			origin: OriginFor<T>,
			location: BeaconLocation,
			capacity_mbps: Mbps,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_register_beacon(who, location, capacity_mbps)
		}

		/// Changes the beacon's location or link capacity, from the next epoch on.
		#[pallet::call_index(1)]
		#[pallet::weight(T::WeightInfo::update_beacon())]
		pub fn update_beacon(
			origin: OriginFor<T>,
			location: BeaconLocation,
			capacity_mbps: Mbps,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_update_beacon(who, location, capacity_mbps)
		}

		/// Removes the beacon and releases its bond; not while it is assigned.
		#[pallet::call_index(2)]
		#[pallet::weight(T::WeightInfo::deregister_beacon())]
		pub fn deregister_beacon(origin: OriginFor<T>) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_deregister_beacon(who)
		}

		/// A beacon's commitment to its measurement of the relay it was
		/// assigned this epoch: the digest of the report and a secret salt.
		///
		/// No fee payer: valid when `signature` is the beacon's over
		/// `(commitment::SIGNING_CONTEXT, genesis hash, commitment)`, the
		/// beacon is assigned to the relay this epoch, the unicast window has
		/// ended and the multicast window has not, and the beacon has not
		/// committed yet. Reports are revealed (`submit_report`) only after
		/// commitments close, so no report can be copied or shaped to others.
		#[pallet::call_index(10)]
		#[pallet::weight((T::WeightInfo::commit_report(), DispatchClass::Operational))]
		#[pallet::authorize(Pallet::<T>::authorize_commitment)]
		#[pallet::weight_of_authorize(T::WeightInfo::authorize_commit_report())]
		pub fn commit_report(
			origin: OriginFor<T>,
			commitment: CommitmentOf<T>,
			signature: T::BeaconSignature,
		) -> DispatchResult {
			// Checked by `authorize_commitment` in this same application.
			let _ = signature;
			ensure_authorized(origin)?;
			Self::store_commitment(commitment);
			Ok(())
		}

		/// A beacon's measurement of the relay it was assigned this epoch,
		/// revealing its commitment.
		///
		/// No fee payer: valid when `signature` is the report's beacon's over
		/// `(REPORT_CONTEXT, genesis hash, report)`, the report and `salt`
		/// match the beacon's commitment, commitments have closed, the
		/// beacon is assigned to the relay, has not reported yet, and no
		/// second counts more than its link carries. The pool refuses
		/// anything else with `InvalidTransaction::Custom` and the
		/// [`ReportRejection`] code, and so does block execution, which
		/// authorizes again before dispatching.
		#[pallet::call_index(3)]
		#[pallet::weight((T::WeightInfo::submit_report(), DispatchClass::Operational))]
		#[pallet::authorize(Pallet::<T>::authorize_report)]
		#[pallet::weight_of_authorize(T::WeightInfo::authorize_submit_report())]
		pub fn submit_report(
			origin: OriginFor<T>,
			report: ReportOf<T>,
			salt: [u8; 32],
			signature: T::BeaconSignature,
		) -> DispatchResult {
			// `AuthorizeCall` ran `authorize_report` on this call in this
			// same application, just before dispatch: it is the one check.
			let _ = (salt, signature);
			ensure_authorized(origin)?;
			Self::store_report(report);
			Ok(())
		}

		/// Pays the caller's beacon its unclaimed rewards from the pot.
		#[pallet::call_index(6)]
		#[pallet::weight(T::WeightInfo::claim_rewards())]
		pub fn claim_rewards(origin: OriginFor<T>) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_claim_rewards(who)
		}

		/// Replaces the probers (the `pobp` keys of validators whose
		/// off-chain workers probe relays).
		#[pallet::call_index(4)]
		#[pallet::weight(T::WeightInfo::set_probers(probers.len() as u32))]
		pub fn set_probers(
			origin: OriginFor<T>,
			probers: BoundedVec<ProberId, T::MaxProbers>,
		) -> DispatchResult {
			T::ProberOrigin::ensure_origin(origin)?;
			let count = probers.len() as u32;
			Probers::<T>::put(probers);
			Self::deposit_event(Event::ProbersSet { count });
			Ok(())
		}

		/// A validator's probes of this epoch's relays under test, sent by its
		/// off-chain worker. No fee payer: authorized when signed by the
		/// prober's `pobp` key over `(PROBE_CONTEXT, genesis hash, batch)`,
		/// for this epoch, once per prober, only for relays under test.
		#[pallet::call_index(5)]
		#[pallet::weight(T::WeightInfo::submit_probes(batch.results.len() as u32))]
		#[pallet::authorize(Pallet::<T>::authorize_probes)]
		#[pallet::weight_of_authorize(T::WeightInfo::authorize_submit_probes(batch.results.len() as u32))]
		pub fn submit_probes(
			origin: OriginFor<T>,
			batch: ProbeBatchOf<T>,
			signature: ProberSignature,
		) -> DispatchResult {
			// Checked by `authorize_probes` in this same application.
			let _ = signature;
			ensure_authorized(origin)?;
			Self::store_probes(batch);
			Ok(())
		}

		/// Announces (or replaces) the relay's multicast test channel;
		/// only its operator may. Tested from the next epoch on.
		#[pallet::call_index(7)]
		#[pallet::weight(T::WeightInfo::announce_multicast_channel())]
		pub fn announce_multicast_channel(
			origin: OriginFor<T>,
			relay: RelayId,
			channel: MulticastChannel,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_announce_multicast_channel(who, relay, channel)
		}

		/// Withdraws the relay's multicast test channel.
		#[pallet::call_index(8)]
		#[pallet::weight(T::WeightInfo::withdraw_multicast_channel())]
		pub fn withdraw_multicast_channel(origin: OriginFor<T>, relay: RelayId) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_withdraw_multicast_channel(who, relay)
		}

		/// What of its relay's multicast test reached an assigned beacon.
		///
		/// No fee payer, like `submit_report`: valid when `signature` is the
		/// beacon's over `(MULTICAST_REPORT_CONTEXT, genesis hash, report)`,
		/// the report is for this epoch's ended multicast window, the relay
		/// has a multicast test, the beacon is assigned to it and has not
		/// reported it, and the numbers fit the test and the beacon's link.
		#[pallet::call_index(9)]
		#[pallet::weight((T::WeightInfo::submit_multicast_report(), DispatchClass::Operational))]
		#[pallet::authorize(Pallet::<T>::authorize_multicast_report)]
		#[pallet::weight_of_authorize(T::WeightInfo::authorize_submit_multicast_report())]
		pub fn submit_multicast_report(
			origin: OriginFor<T>,
			report: MulticastReportOf<T>,
			signature: T::BeaconSignature,
		) -> DispatchResult {
			// Checked by `authorize_multicast_report` in this same application.
			let _ = signature;
			ensure_authorized(origin)?;
			Self::store_multicast_report(report);
			Ok(())
		}
	}

	impl<T: Config> sp_runtime::BoundToRuntimeAppPublic for Pallet<T> {
		type Public = ProberId;
	}
}
