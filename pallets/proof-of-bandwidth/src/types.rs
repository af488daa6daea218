//! The records proof of bandwidth keeps: beacons, the epoch, assignments,
//! reports and each relay's track record.

use crate::Config;
use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use frame_support::{pallet_prelude::*, traits::fungible::Inspect};
use frame_system::pallet_prelude::BlockNumberFor;
pub use ocm_primitives::capacity::{Mbps, RelayId};
use scale_info::TypeInfo;

pub type BalanceOf<T> =
	<<T as Config>::Currency as Inspect<<T as frame_system::Config>::AccountId>>::Balance;

/// Epochs are numbered from 1; 0 means "none opened yet".
pub type EpochIndex = u32;

/// Reputation every beacon starts with.
pub const INITIAL_REPUTATION: u32 = 500;
/// The most reputation a beacon can earn.
pub const MAX_REPUTATION: u32 = 1_000;
/// Beacons below this reputation are not assigned tests.
pub const MIN_REPUTATION: u32 = 100;
/// A valid report that agreed with the other beacons.
pub const REPUTATION_GAIN: u32 = 1;
/// A report the other beacons' evidence overruled.
pub const OUTLIER_PENALTY: u32 = 50;
/// An assigned test the beacon did not report.
pub const MISSING_PENALTY: u32 = 20;
/// Silent or overstated tests in a row from which each costs the beacon
/// `SlashShare` of what it has at stake: one can be bad luck (a network
/// down, a lost commitment), two in a row is a pattern.
pub const STRIKES_BEFORE_SLASH: u32 = 2;

/// Where a beacon measures from: assignments keep beacons out of the
/// network of the relay they test.
#[derive(
	Clone,
	Copy,
	PartialEq,
	Eq,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Debug,
)]
pub struct BeaconLocation {
	/// ISO 3166-1 alpha-2, upper case.
	pub country: [u8; 2],
	/// The autonomous system of the beacon's network.
	pub asn: u32,
}

/// A registered beacon.
#[derive(Clone, PartialEq, Eq, Encode, Decode, MaxEncodedLen, TypeInfo, Debug)]
#[scale_info(skip_type_params(T))]
pub struct BeaconInfo<T: Config> {
	pub location: BeaconLocation,
	/// The beacon's own link, measured by its operator: assignments add
	/// beacons until their links together exceed the claim under test, and a
	/// report may not count more than this link carries.
	pub capacity_mbps: Mbps,
	/// Held while registered; on deregistration the forfeit goes to the
	/// pot and the rest is released.
	pub bond: BalanceOf<T>,
	/// Slashed from the bond: still held, owed to the pot. What the beacon
	/// has at stake is `bond - forfeit`; below `MinBeaconBond` it is not
	/// assigned tests.
	pub forfeit: BalanceOf<T>,
	/// Earned by reports that agree with the other beacons', lost by
	/// outliers and missed tests.
	pub reputation: u32,
	/// Tests in a row the beacon was silent in or overstated in; a report
	/// that agrees with the others clears them, leaving does not. From the
	/// `STRIKES_BEFORE_SLASH`th on, each forfeits `SlashShare` of what is
	/// at stake.
	pub strikes: u32,
	/// Rewards earned and not yet claimed: judging only adds to this record
	/// (which it writes for the reputation anyway), and the beacon collects
	/// with `claim_rewards`, so an epoch's close makes no transfers.
	pub unclaimed: BalanceOf<T>,
	pub registered_at: BlockNumberFor<T>,
}

impl<T: Config> BeaconInfo<T> {
	/// What the beacon still has at stake: its bond less what it forfeited.
	pub fn at_stake(&self) -> BalanceOf<T> {
		use sp_runtime::traits::Saturating;
		self.bond.saturating_sub(self.forfeit)
	}
}

/// What a beacon that left keeps for when its account registers again.
#[derive(
	Clone,
	Copy,
	PartialEq,
	Eq,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Debug,
)]
pub struct RetiredRecord {
	pub reputation: u32,
	pub strikes: u32,
}

/// The epoch in progress.
#[derive(
	Clone,
	PartialEq,
	Eq,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Debug,
	Default,
)]
pub struct Epoch<BlockNumber> {
	pub index: EpochIndex,
	pub started_at: BlockNumber,
	/// Seeds the assignment and every payload stream of the epoch: unknown
	/// before the epoch opens.
	pub seed: [u8; 32],
	/// When the beacons start measuring together (Unix milliseconds): the
	/// seconds of every report are aligned to it.
	pub window_start_ms: u64,
	pub window_secs: u32,
}

/// One relay's test in the current epoch.
#[derive(Clone, PartialEq, Eq, Encode, Decode, MaxEncodedLen, TypeInfo, Debug)]
#[scale_info(skip_type_params(T))]
pub struct Assignment<T: Config> {
	/// The claim under test, as it was when the epoch opened.
	pub claimed_mbps: Mbps,
	pub beacons: BoundedVec<AssignedBeacon<T::AccountId>, T::MaxBeaconsPerTest>,
}

impl<T: Config> Assignment<T> {
	/// The assigned beacons' accounts, in assignment order.
	pub fn accounts(&self) -> impl Iterator<Item = &T::AccountId> {
		self.beacons.iter().map(|b| &b.account)
	}

	/// `account`'s link as the epoch saw it when it opened.
	pub fn link_of(&self, account: &T::AccountId) -> Option<Mbps> {
		self.beacons.iter().find(|b| &b.account == account).map(|b| b.capacity_mbps)
	}
}

/// A beacon as the epoch that assigned it saw it when it opened. Its reports
/// are checked and counted against this link until the epoch ends, so
/// `update_beacon` cannot raise what a report already assigned may carry
/// (a colluder declaring a huge link after being drawn); the change applies
/// from the next epoch's draw. Location and reputation are read only by the
/// draw itself, so they need no copy.
#[derive(Clone, PartialEq, Eq, Encode, Decode, MaxEncodedLen, TypeInfo, Debug)]
pub struct AssignedBeacon<AccountId> {
	pub account: AccountId,
	pub capacity_mbps: Mbps,
}

/// What a beacon measured, signed by it.
#[derive(
	CloneNoBound,
	PartialEqNoBound,
	EqNoBound,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	DebugNoBound,
)]
#[scale_info(skip_type_params(MaxWindow))]
pub struct Report<AccountId: Clone + PartialEq + Eq + core::fmt::Debug, MaxWindow: Get<u32>> {
	pub epoch: EpochIndex,
	pub relay: RelayId,
	pub beacon: AccountId,
	/// Payload bytes received and verified in each second of the window.
	pub bytes_per_second: BoundedVec<u64, MaxWindow>,
}

pub type ReportOf<T> = Report<<T as frame_system::Config>::AccountId, <T as Config>::MaxWindowSecs>;

/// A beacon's commitment to the report it will reveal, signed by it: the
/// digest is `ocm_pob::commitment::digest(salt, report.encode())`.
#[derive(
	Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Debug,
)]
pub struct Commitment<AccountId> {
	pub epoch: EpochIndex,
	pub relay: RelayId,
	pub beacon: AccountId,
	pub digest: [u8; 32],
}

pub type CommitmentOf<T> = Commitment<<T as frame_system::Config>::AccountId>;

pub use ocm_pob::REPORT_CONTEXT;

/// How a relay has fared.
#[derive(Clone, Copy, PartialEq, Eq, Encode, Decode, MaxEncodedLen, TypeInfo, Debug, Default)]
pub struct Track {
	/// Failed verdicts in a row; a pass resets it.
	pub failures: u32,
	/// The last measured capacity.
	pub measured_mbps: Mbps,
	/// The epoch of the last verdict.
	pub epoch: EpochIndex,
	/// Tests in a row that too few of the relay's beacons reported to
	/// judge; a judged test clears them. At `FailuresBeforeSuspension` an
	/// Active relay's verification lapses: it is suspended by proof of
	/// bandwidth, without a slash, until a test passes.
	pub unjudged: u32,
}

/// What a beacon was penalized for.
#[derive(
	Clone,
	Copy,
	PartialEq,
	Eq,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Debug,
)]
pub enum BeaconFault {
	/// It did not report a test it was assigned: a strike.
	Silent,
	/// Its report claimed more than the other beacons saw, by over
	/// `ocm_pob::verdict::OUTLIER_FACTOR`: a strike.
	Overstated,
	/// Its report claimed less than the other beacons saw, by as much:
	/// reputation only, since a relay can starve a beacon to make it so.
	Understated,
}

/// Why a report is not taken. Its code is the `InvalidTransaction::Custom`
/// code the transaction pool answers with.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[repr(u8)]
pub enum ReportRejection {
	/// Not for the epoch in progress.
	WrongEpoch = 1,
	/// The window has not ended yet.
	WindowOpen = 2,
	/// The beacon is not assigned to this relay in this epoch.
	NotAssigned = 3,
	/// This beacon already reported this relay in this epoch.
	Duplicate = 4,
	/// Not one count per second of the window.
	WrongLength = 5,
	/// More bytes in a second than the beacon's link carries.
	Impossible = 6,
	/// The signature is not the beacon's over this report.
	BadSignature = 7,
	/// The beacon is not registered.
	UnknownBeacon = 8,
	/// The relay has no multicast test this epoch.
	NoMulticastTest = 9,
	/// Commitments closed when the multicast window ended.
	CommitsClosed = 10,
	/// This beacon already committed to a report of this relay this epoch.
	AlreadyCommitted = 11,
	/// Reveals open when commitments close (the multicast window's end).
	RevealTooEarly = 12,
	/// The beacon committed to no report of this relay this epoch.
	NotCommitted = 13,
	/// The report and salt are not what the beacon committed to.
	CommitmentMismatch = 14,
}

/// Why a probe batch is not taken; its code is the pool's `Custom` code.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[repr(u8)]
pub enum ProbeRejection {
	/// Not for the epoch in progress.
	WrongEpoch = 21,
	/// No prober at that index.
	UnknownProber = 22,
	/// This prober already sent its batch this epoch.
	Duplicate = 23,
	/// The signature is not the prober's over this batch.
	BadSignature = 24,
	/// A result for a relay not under test this epoch.
	NotUnderTest = 25,
}

/// What a validator's off-chain worker saw of a relay's PoB endpoint.
#[derive(
	Clone,
	Copy,
	PartialEq,
	Eq,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Debug,
)]
pub enum ProbeOutcome {
	/// It answered with the epoch's stream for this relay in `latency_ms`.
	Reachable { latency_ms: u32 },
	/// No answer, an error status or a timeout.
	Unreachable,
	/// It answered, with bytes that are not the stream: not the relay it
	/// claims to be, or not serving the test honestly.
	WrongPayload,
}

/// One prober's results for an epoch, signed with its `pobp` key.
#[derive(
	CloneNoBound,
	PartialEqNoBound,
	EqNoBound,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	DebugNoBound,
)]
#[scale_info(skip_type_params(MaxRelays))]
pub struct ProbeBatch<MaxRelays: Get<u32>> {
	pub epoch: EpochIndex,
	/// The prober's index in `Probers`.
	pub prober: u32,
	pub results: BoundedVec<(RelayId, ProbeOutcome), MaxRelays>,
}

pub type ProbeBatchOf<T> = ProbeBatch<<T as Config>::MaxRelaysPerEpoch>;

/// The domain of a probe batch signature.
pub const PROBE_CONTEXT: &[u8; 16] = b"ocm/pob/probes/1";

/// Bytes of the stream a probe asks for.
pub const PROBE_BYTES: u32 = 4_096;

/// The beacon key probes use for their stream: no beacon's.
pub const PROBE_BEACON: [u8; 32] = [0; 32];

/// An IP address, as the registry stores relays' endpoints.
pub use ocm_primitives::footprint::IpAddress;

/// A relay's multicast test channel: the source-specific channel `(source,
/// group)` on UDP `port` that it multicasts the reach test on
/// (`ocm_pob::multicast`), and the AMT relay (RFC 7450) that tunnels it to
/// networks without multicast, where beacons join it.
#[derive(
	Clone,
	Copy,
	PartialEq,
	Eq,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Debug,
)]
pub struct MulticastChannel {
	pub amt_relay: IpAddress,
	/// The AMT relay's discovery port (2268 by IANA).
	pub amt_port: u16,
	pub source: IpAddress,
	pub group: IpAddress,
	pub port: u16,
}

impl MulticastChannel {
	/// An SSM group, a unicast source of its family, a unicast AMT relay, ports.
	pub fn check(&self) -> Result<(), ocm_pob::multicast::ChannelError> {
		ocm_pob::multicast::check_channel(
			self.amt_relay.into(),
			self.amt_port,
			self.source.into(),
			self.group.into(),
			self.port,
		)
	}
}

/// What of a relay's multicast test reached a beacon, signed by it.
#[derive(
	Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Debug,
)]
pub struct MulticastReport<AccountId> {
	pub epoch: EpochIndex,
	pub relay: RelayId,
	pub beacon: AccountId,
	/// The reach: distinct test objects rebuilt whose every byte checked,
	/// at most `ocm_pob::multicast::OBJECTS_IN_WINDOW`.
	pub objects: u32,
	/// ALC bytes of the channel received in the window, FEC included:
	/// what the tunnel carried, at most what the beacon's link carries.
	pub bytes: u64,
}

pub type MulticastReportOf<T> = MulticastReport<<T as frame_system::Config>::AccountId>;

pub use ocm_pob::multicast::REPORT_CONTEXT as MULTICAST_REPORT_CONTEXT;

/// An accepted multicast report's numbers.
#[derive(Clone, Copy, PartialEq, Eq, Encode, Decode, MaxEncodedLen, TypeInfo, Debug)]
pub struct MulticastReach {
	pub objects: u32,
	pub bytes: u64,
}

/// A relay's last judged multicast test.
#[derive(Clone, Copy, PartialEq, Eq, Encode, Decode, MaxEncodedLen, TypeInfo, Debug, Default)]
pub struct MulticastRecord {
	pub epoch: EpochIndex,
	/// Beacons assigned to the test.
	pub beacons: u32,
	/// Beacons that reported.
	pub reports: u32,
	/// Beacons that rebuilt at least `MinMulticastDelivery` of the objects.
	pub reached: u32,
	/// More than half of the assigned beacons were reached: verified reach.
	pub verified: bool,
	/// The last epoch whose test verified reach (0: never).
	pub last_verified: EpochIndex,
}
