//! What the settlement pallet stores and takes.

use crate::Config;
use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use frame_support::{
	traits::{fungible::Inspect, ConstU32},
	BoundedVec, CloneNoBound, DebugNoBound, EqNoBound, PartialEqNoBound,
};
use frame_system::pallet_prelude::BlockNumberFor;
use ocm_primitives::{capacity::Mbps, footprint::Footprint};
use scale_info::TypeInfo;
use sp_core::H256;
use sp_runtime::Perbill;

pub type BalanceOf<T> =
	<<T as Config>::Currency as Inspect<<T as frame_system::Config>::AccountId>>::Balance;

/// A delivery contract's number, never reused.
pub type ContractId = u32;

/// A settlement period's number within its contract, from 0.
pub type Period = u32;

/// A host name as the registry stores it: lower-case, at most 253 bytes.
pub type HostName = BoundedVec<u8, ConstU32<253>>;

/// An `http://` or `https://` URL.
pub type Url<T> = BoundedVec<u8, <T as Config>::MaxUrlLen>;

/// Bytes per gigabyte: prices are per 10^9 bytes, as transit is sold.
pub const BYTES_PER_GB: u128 = 1_000_000_000;

/// What the provider is promised; each term broken in a period withholds
/// `penalty` of that period's payment (at most all of it), which stays in
/// escrow and is refunded.
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
pub struct SlaTerms {
	/// Capacity that proof of bandwidth verified for the relay, at least.
	pub min_verified_mbps: Mbps,
	/// Share of a batch's requests answered with 5xx, at most.
	pub max_error_share: Perbill,
	/// Availability: the relay is in service (Active in the registry, not
	/// suspended by proof of bandwidth or the board) when it commits the
	/// period. With `false` the term is not part of the contract.
	pub require_active: bool,
	/// Share of a period's payment withheld per broken term.
	pub penalty: Perbill,
}

/// Where a contract's clients are: said explicitly, so that no contract is
/// open to every relay by an omission.
#[derive(Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, TypeInfo, Debug)]
pub enum Coverage {
	/// Clients anywhere: any relay's footprint meets it.
	Anywhere,
	/// Clients in these footprints (at least one): a relay joins only if
	/// one of its footprints meets one of these.
	Within(alloc::vec::Vec<Footprint>),
}

/// A relay, or every relay of an operator, in a contract's supplier lists.
#[derive(
	Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Debug,
)]
pub enum Supplier<AccountId> {
	Relay(ocm_primitives::capacity::RelayId),
	Operator(AccountId),
}

/// Which relays may join a contract, as its provider chooses them.
#[derive(Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, TypeInfo, Debug)]
pub struct SupplierPolicy<AccountId> {
	/// Only these relays and operators' relays may join; empty: any relay
	/// the other rules admit.
	pub allow: alloc::vec::Vec<Supplier<AccountId>>,
	/// These may not join (and a provider removes members it lists later).
	pub deny: alloc::vec::Vec<Supplier<AccountId>>,
	/// Proof of bandwidth verified the relay at this, at least, when it joins.
	pub min_verified_mbps: Mbps,
	/// Every one of these `Capabilities` flags, declared by the relay.
	pub required_capabilities: ocm_primitives::capacity::Capabilities,
}

impl<AccountId> SupplierPolicy<AccountId> {
	/// Any Active relay whose footprint meets the contract's.
	pub fn open() -> Self {
		SupplierPolicy {
			allow: alloc::vec::Vec::new(),
			deny: alloc::vec::Vec::new(),
			min_verified_mbps: 0,
			required_capabilities: ocm_primitives::capacity::Capabilities(0),
		}
	}
}

/// A contract's supplier policy as stored, its lists bounded by `MaxSuppliers`.
#[derive(
	Encode, Decode, MaxEncodedLen, TypeInfo, CloneNoBound, PartialEqNoBound, EqNoBound, DebugNoBound,
)]
#[scale_info(skip_type_params(T))]
#[codec(mel_bound())]
pub struct Suppliers<T: Config> {
	pub allow: BoundedVec<Supplier<T::AccountId>, T::MaxSuppliers>,
	pub deny: BoundedVec<Supplier<T::AccountId>, T::MaxSuppliers>,
	pub min_verified_mbps: Mbps,
	pub required_capabilities: ocm_primitives::capacity::Capabilities,
}

impl<T: Config> Suppliers<T> {
	/// Whether `list` names the relay or its operator.
	fn lists(
		list: &[Supplier<T::AccountId>],
		relay: ocm_primitives::capacity::RelayId,
		operator: &T::AccountId,
	) -> bool {
		list.iter().any(|s| match s {
			Supplier::Relay(r) => *r == relay,
			Supplier::Operator(o) => o == operator,
		})
	}

	pub fn denies(
		&self,
		relay: ocm_primitives::capacity::RelayId,
		operator: &T::AccountId,
	) -> bool {
		Self::lists(&self.deny, relay, operator)
	}

	pub fn allows(
		&self,
		relay: ocm_primitives::capacity::RelayId,
		operator: &T::AccountId,
	) -> bool {
		!self.denies(relay, operator)
			&& (self.allow.is_empty() || Self::lists(&self.allow, relay, operator))
	}
}

/// What `open_contract` takes.
#[derive(Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, TypeInfo, Debug)]
pub struct ContractTerms<AccountId, BlockNumber, Balance> {
	/// Host names the provider registered, which the relays serve.
	pub hosts: alloc::vec::Vec<alloc::vec::Vec<u8>>,
	/// Where relays fetch misses: `http(s)://host[:port][/path]`.
	pub origin: alloc::vec::Vec<u8>,
	pub price_per_gb: Balance,
	/// Held in escrow from the provider now.
	pub budget: Balance,
	/// Where the clients are the provider wants served.
	pub footprint: Coverage,
	/// Which relays may join.
	pub suppliers: SupplierPolicy<AccountId>,
	pub sla: SlaTerms,
	/// First block of the first period; at least the current block.
	pub start: BlockNumber,
	/// The contract serves until this block.
	pub end: BlockNumber,
}

/// A delivery contract and its escrow accounts.
///
/// `deposited = escrow + paid + fees` always; `pending <= escrow` is what
/// committed, unsettled batches may still take. The provider's hold under
/// `ContractEscrow` is the sum of its contracts' `escrow`.
#[derive(
	Encode, Decode, MaxEncodedLen, TypeInfo, CloneNoBound, PartialEqNoBound, EqNoBound, DebugNoBound,
)]
#[scale_info(skip_type_params(T))]
#[codec(mel_bound())]
pub struct Contract<T: Config> {
	pub provider: T::AccountId,
	pub hosts: BoundedVec<HostName, T::MaxHosts>,
	pub origin: Url<T>,
	/// Empty only when opened for clients `Anywhere`.
	pub footprint: BoundedVec<Footprint, T::MaxFootprints>,
	pub price_per_gb: BalanceOf<T>,
	pub sla: SlaTerms,
	pub start: BlockNumberFor<T>,
	pub end: BlockNumberFor<T>,
	/// Blocks per period, fixed when the contract opened.
	pub period_length: BlockNumberFor<T>,
	/// The provider closed it: it ends at `end` and takes no more money.
	pub closed: bool,
	/// Relays that joined.
	pub relays: u32,
	/// Committed batches not yet settled or voided.
	pub open_batches: u32,
	/// Held from the provider for this contract now.
	pub escrow: BalanceOf<T>,
	/// The most that open batches can still take from `escrow`.
	pub pending: BalanceOf<T>,
	/// Put in escrow over the contract's life.
	pub deposited: BalanceOf<T>,
	/// Paid to relays.
	pub paid: BalanceOf<T>,
	/// Paid to the protocol pot.
	pub fees: BalanceOf<T>,
}

/// A relay's part in a contract.
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
pub struct Membership {
	/// The first period the relay serves (the one it joined in).
	pub from_period: Period,
	/// The last period it serves, once it left.
	pub until_period: Option<Period>,
	/// The first period it has not committed or passed over: commits go
	/// forward only, so no period is committed twice, even after its batch
	/// is settled and gone.
	pub next_period: Period,
}

/// What a relay still owes the contracts it serves (see [`crate::Obligations`]).
#[derive(
	Clone,
	Copy,
	PartialEq,
	Eq,
	Default,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Debug,
)]
pub struct Obligation {
	/// Contracts it joined and has not left (nor been removed from).
	pub memberships: u32,
	/// Its committed batches not yet settled or voided.
	pub open_batches: u32,
}

impl Obligation {
	pub fn is_empty(&self) -> bool {
		self.memberships == 0 && self.open_batches == 0
	}
}

/// A batch's totals over its records (shared with `ocm-relay` and `ocm-logs`).
pub use ocm_cdni::Totals;

/// What `commit_batch` takes.
#[derive(Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, TypeInfo, Debug)]
pub struct BatchCommitment {
	/// `ocm_cdni::merkle` root over the period's record lines.
	pub root: H256,
	/// Records in the batch (the tree's leaves).
	pub records: u32,
	pub totals: Totals,
	/// Where the RFC 7937 file is published.
	pub log_url: alloc::vec::Vec<u8>,
}

/// What a claim asks the relay to show from its batch.
#[derive(
	Encode, Decode, MaxEncodedLen, TypeInfo, CloneNoBound, PartialEqNoBound, EqNoBound, DebugNoBound,
)]
#[scale_info(skip_type_params(T))]
#[codec(mel_bound())]
pub enum ClaimAsk<T: Config> {
	/// The record of a request the relay signed a receipt for.
	Receipt {
		/// The `OCM-Request-Id` the relay sent.
		request_id: BoundedVec<u8, T::MaxRequestIdLen>,
		/// The request's `u-uri`.
		uri: Url<T>,
	},
	/// The record whose bytes cover this offset of the batch's bytes (the
	/// batch's first byte is offset 0): a byte the relay billed for that
	/// no real record carries cannot be shown.
	Offset(u64),
	/// The URI Signing token of the record at this leaf index, which names
	/// one by its `jti`: the relay shows the token, or the batch is void.
	Token { index: u32 },
}

/// A claim on a batch: the relay shows a record with its inclusion proof
/// before `answer_by`, or the batch is void.
#[derive(
	Encode, Decode, MaxEncodedLen, TypeInfo, CloneNoBound, PartialEqNoBound, EqNoBound, DebugNoBound,
)]
#[scale_info(skip_type_params(T))]
#[codec(mel_bound())]
pub struct Claim<T: Config> {
	pub challenger: T::AccountId,
	pub asks: ClaimAsk<T>,
	/// Held from the challenger until the claim is decided.
	pub deposit: BalanceOf<T>,
	/// The relay answers before this block or its batch is void.
	pub answer_by: BlockNumberFor<T>,
}

impl<T: Config> Claim<T> {
	/// Whether the record `settled`, found at byte offsets
	/// `covers.start..covers.end` of its batch, answers this claim.
	pub fn answered_by(
		&self,
		settled: Option<&ocm_cdni::record::Settled>,
		covers: core::ops::Range<u64>,
	) -> bool {
		match &self.asks {
			// The receipt signs the URI as requested; the record carries it
			// percent-encoded as an NHTABSTRING.
			ClaimAsk::Receipt { request_id, uri } => settled.is_some_and(|s| {
				s.request_id[..] == request_id[..]
					&& ocm_cdni::record::decode_nhtab(s.uri).is_some_and(|u| u[..] == uri[..])
			}),
			ClaimAsk::Offset(offset) => covers.contains(offset),
			// Only `answer_token` answers these: a record is not enough.
			ClaimAsk::Token { .. } => false,
		}
	}
}

/// A committed batch, until it is settled or voided (and removed: the
/// relay's [`Membership::next_period`] keeps it from being committed again).
#[derive(
	Encode, Decode, MaxEncodedLen, TypeInfo, CloneNoBound, PartialEqNoBound, EqNoBound, DebugNoBound,
)]
#[scale_info(skip_type_params(T))]
#[codec(mel_bound())]
pub struct Batch<T: Config> {
	/// Paid at settlement: the relay's operator when it committed.
	pub operator: T::AccountId,
	pub root: H256,
	pub records: u32,
	pub totals: Totals,
	pub log_url: Url<T>,
	pub committed_at: BlockNumberFor<T>,
	/// Disputes are accepted until this block (exclusive).
	pub dispute_until: BlockNumberFor<T>,
	/// Settled from this block on; every answer deadline is before it.
	pub settle_at: BlockNumberFor<T>,
	/// `settle_at` was moved past its place in the settlement queue (a
	/// receipt claim waiting for the next period's batch): `on_idle`
	/// passes over it rather than waiting at it.
	pub deferred: bool,
	/// Price x bytes at commit: what the batch reserved from escrow.
	pub reserved: BalanceOf<T>,
	/// The relay's state when it committed, for the SLA.
	pub relay_active: bool,
	pub verified_mbps: Mbps,
	/// Records proven to repeat another's request id: not paid.
	pub duplicates: BoundedVec<u32, T::MaxDisputes>,
	/// Their bytes.
	pub duplicate_bytes: u64,
	/// Open claims (receipts, byte offsets).
	pub claims: BoundedVec<Claim<T>, T::MaxDisputes>,
}

/// A batch's address: contract, relay, period.
pub type BatchKey = (ContractId, ocm_primitives::capacity::RelayId, Period);

/// Why a batch was voided.
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
pub enum VoidReason {
	/// A committed record does not parse, or is for another contract's host.
	MalformedRecord { index: u32 },
	/// More duplicates proven than a batch keeps track of.
	TooManyDuplicates,
	/// A claimed record (by receipt or by byte offset) was not shown in time.
	MissingRecord,
	/// A proof showed a record billed for other bytes or status than its
	/// line states, or the batch's tree adding up to other totals than
	/// the relay committed.
	SumsMismatch { index: u32 },
	/// A record of a period that required signed requests names no token.
	Unsigned { index: u32 },
}

/// How a settled batch was paid.
#[derive(
	Clone,
	Copy,
	PartialEq,
	Eq,
	Default,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Debug,
)]
pub struct Payout<Balance> {
	/// Price x paid bytes.
	pub gross: Balance,
	/// Withheld for broken SLA terms; stays with the provider.
	pub withheld: Balance,
	/// To the protocol pot.
	pub fee: Balance,
	/// To the relay's operator.
	pub paid: Balance,
	/// SLA terms broken.
	pub breaches: u8,
}

/// A service's RFC 8006 `MI.HostIndex` document, as its provider signed it.
pub type MetadataOf<T> = BoundedVec<u8, <T as Config>::MaxMetadataLen>;

/// A contract's configured delivery service (`ocm_cdni::metadata`).
#[derive(
	Encode, Decode, MaxEncodedLen, TypeInfo, CloneNoBound, PartialEqNoBound, EqNoBound, DebugNoBound,
)]
#[scale_info(skip_type_params(T))]
#[codec(mel_bound())]
pub struct Service<T: Config> {
	/// Grows with every configuration, so an old one cannot be replayed.
	pub sequence: u32,
	pub metadata: MetadataOf<T>,
	pub configured_at: BlockNumberFor<T>,
}

pub use crate::features::service::ServiceRejection;

/// An Ed25519 key whose URI Signing tokens a contract accepts, and the
/// periods it judges: from `from_period`, through `until_period` once revoked.
#[derive(
	Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Debug,
)]
pub struct TokenKey {
	pub public: [u8; 32],
	pub from_period: Period,
	pub until_period: Option<Period>,
}

/// A contract's signed-request terms (see `features::signing`).
#[derive(
	Encode, Decode, MaxEncodedLen, TypeInfo, CloneNoBound, PartialEqNoBound, EqNoBound, DebugNoBound,
)]
#[scale_info(skip_type_params(T))]
#[codec(mel_bound())]
pub struct RequestSigning<T: Config> {
	/// The first period whose records must name a token; `None`: not required.
	pub required_from: Option<Period>,
	/// The longest span (`exp` less `nbf` or `iat`) a token may have, in seconds.
	pub max_span_secs: u32,
	/// Keys the provider registered, revoked ones until they judge no
	/// batch still open to dispute.
	pub keys: BoundedVec<TokenKey, <T as Config>::MaxTokenKeys>,
}

impl<T: Config> Default for RequestSigning<T> {
	fn default() -> Self {
		RequestSigning { required_from: None, max_span_secs: 0, keys: BoundedVec::new() }
	}
}
