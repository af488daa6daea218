//! # CDNi settlement
//!
//! OCM's second assurance: every delivered byte is recorded, committed on
//! chain and paid for only once it could be checked.
//!
//! ```text
//!  provider: open_contract ──► budget held in escrow (hosts, origin, price/GB,
//!                              footprint, SLA, start..end, periods)
//!  relay operator: join_contract (relay Active, footprint meets the contract's)
//!  every period, per Active relay:  RFC 7937 records ──► file published at log_url
//!                            commit_batch(Merkle-sum root, records, totals, log_url)
//!                            ── bytes <= verified capacity x period x (1 + headroom)
//!                            ── reserves price x bytes from escrow
//!  dispute window:  provider or beacon
//!     dispute_malformed(record + proof)  ──► batch void, relay slashed
//!     dispute_duplicate(2 records + proofs, one request id) ──► record unpaid, slashed
//!     dispute_sums(record + its leaf + proof) ──► a leaf or the totals lie: void, slashed
//!     claim_missing(relay-signed receipt) ─┐
//!     challenge_bytes(offset)  ────────────┴► relay answer_claim(record + proof)
//!                                             before answer_by, or batch void
//!                                             (a receipt also from the next
//!                                             period: answer_claim_from_next)
//!  settle_at: on_idle (or settle) pays price x bytes − SLA penalties:
//!     fee ──► protocol pot, rest ──► relay operator, withheld stays in escrow
//!  after end: refund ──► what escrow still holds goes back to the provider
//!  any time: configure_service(RFC 8006 document signed by the provider)
//!            ──► relays acquire from its sources and apply its cache rules
//! ```
//!
//! Records are committed by root, never one by one: a batch costs the
//! chain the same for ten records or ten million, and only a disputed
//! record ever reaches it, with a proof of `ocm_cdni::merkle`, a
//! Merkle-sum tree (BLAKE2, leaves hashed twice, every node carrying the
//! totals under it, the count and the totals bound into the root).
//! Disputed lines are parsed on chain with the same `ocm_cdni` code that
//! wrote them, and a record bills what its own line says, so the bytes a
//! relay is paid for are bound to records anyone holding the published
//! file can check, and a byte offset no real record covers cannot be
//! shown when challenged.
//!
//! Relays **opt in** to contracts rather than being matched by footprint:
//! serving a host means configuring it and accepting its price, a contract
//! must know who may commit against its escrow, and a bounded membership
//! keeps commit and refund weights bounded. The footprint still decides
//! who may join: a relay's footprints must meet the contract's.
//!
//! A missing-record claim needs a receipt that the relay signed when it
//! served the request (`OCM-Receipt`), so a provider cannot void honest
//! batches by inventing requests; a claim holds `ClaimDeposit`, which the
//! relay earns if it answers.

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

#[cfg(feature = "runtime-benchmarks")]
pub mod benchmarking;
pub mod features;
#[cfg(test)]
mod mock;
#[cfg(test)]
mod tests;
pub mod types;
pub mod weights;

pub use pallet::*;
pub use types::*;
pub use weights::WeightInfo;

#[frame_support::pallet]
pub mod pallet {
	use super::*;
	use alloc::vec::Vec;
	use frame_support::{
		pallet_prelude::*,
		traits::{fungible, Contains, TypedGet},
	};
	use frame_system::pallet_prelude::*;
	use ocm_cdni::merkle::InclusionProof;
	use ocm_primitives::capacity::{ProviderRegistry, RelayId, RelayRegistry};
	use sp_runtime::{
		traits::{IdentifyAccount, Verify},
		Perbill,
	};

	const STORAGE_VERSION: StorageVersion = StorageVersion::new(1);

	#[pallet::pallet]
	#[pallet::storage_version(STORAGE_VERSION)]
	pub struct Pallet<T>(_);

	/// Configuration of settlement. Items without `#[pallet::constant]` are
	/// the board's market parameters, read from the governance pallet.
	#[pallet::config]
	pub trait Config: frame_system::Config<RuntimeEvent: From<Event<Self>>> {
		/// Holds escrow and claim deposits and pays from them.
		type Currency: fungible::Mutate<Self::AccountId>
			+ fungible::MutateHold<Self::AccountId, Reason = Self::RuntimeHoldReason>;

		/// The runtime's hold reasons, which include this pallet's [`HoldReason`].
		type RuntimeHoldReason: From<HoldReason>;

		/// The relays: operators, status, verified capacity, footprints, bonds.
		type Relays: RelayRegistry<Self::AccountId, BlockNumberFor<Self>, Balance = BalanceOf<Self>>;

		/// Who owns which host name.
		type Providers: ProviderRegistry<Self::AccountId>;

		/// Besides a contract's provider, who may dispute its batches: the
		/// registered beacons, which audit relays.
		type Auditors: Contains<Self::AccountId>;

		/// A relay operator's signature over a receipt.
		type ReceiptSignature: Verify<Signer: IdentifyAccount<AccountId = Self::AccountId>>
			+ Parameter
			+ DecodeWithMemTracking;

		/// The protocol's share of each settled payment.
		type ProtocolFee: Get<Perbill>;

		/// Where protocol fees go.
		type FeePot: TypedGet<Type = Self::AccountId>;

		/// Blocks per settlement period of contracts opened from now on.
		type SettlementPeriod: Get<BlockNumberFor<Self>>;

		/// Blocks a batch can be disputed after it is committed.
		type DisputeWindow: Get<BlockNumberFor<Self>>;

		/// How far above its verified capacity a relay's bill for one
		/// period may go (bursts, a verdict lagging an upgrade).
		type CapacityHeadroom: Get<Perbill>;

		/// Milliseconds per block: turns a period's blocks into the time
		/// that verified capacity is multiplied by.
		#[pallet::constant]
		type MillisecsPerBlock: Get<u64>;

		/// Share of the relay's bond slashed for each proven dispute.
		type DisputeSlash: Get<Perbill>;

		/// While true, no contract opens: the board's emergency brake.
		type ContractsPaused: Get<bool>;

		/// Blocks a relay has to answer a missing-record claim.
		type AnswerPeriod: Get<BlockNumberFor<Self>>;

		/// Blocks after a period ends during which it can be committed.
		type CommitWindow: Get<BlockNumberFor<Self>>;

		/// Held from whoever claims a record is missing; the relay earns it
		/// by answering.
		#[pallet::constant]
		type ClaimDeposit: Get<BalanceOf<Self>>;

		/// The smallest budget a contract opens with.
		#[pallet::constant]
		type MinBudget: Get<BalanceOf<Self>>;

		/// Host names in one contract, at most.
		#[pallet::constant]
		type MaxHosts: Get<u32>;

		/// Footprints in one contract, at most.
		#[pallet::constant]
		type MaxFootprints: Get<u32>;

		/// Relays and operators in a contract's allow or deny list, at most.
		#[pallet::constant]
		type MaxSuppliers: Get<u32>;

		/// Relays in one contract, at most: the bound of `refund`.
		#[pallet::constant]
		type MaxRelays: Get<u32>;

		/// URL length (origin, log file), at most.
		#[pallet::constant]
		type MaxUrlLen: Get<u32>;

		/// Request id length, at most.
		#[pallet::constant]
		type MaxRequestIdLen: Get<u32>;

		/// Duplicates tracked and open claims per batch, at most.
		#[pallet::constant]
		type MaxDisputes: Get<u32>;

		/// Batches `on_idle` settles in one block, at most.
		#[pallet::constant]
		type MaxSettlementsPerBlock: Get<u32>;

		/// Bytes of a service's RFC 8006 metadata document, at most.
		#[pallet::constant]
		type MaxMetadataLen: Get<u32>;

		/// URI Signing keys per contract (revoked ones included until they
		/// judge no open batch), at most.
		#[pallet::constant]
		type MaxTokenKeys: Get<u32>;

		/// Weights of this pallet's calls and hooks, from its benchmarks.
		type WeightInfo: WeightInfo;
	}

	/// Why this pallet holds funds.
	#[pallet::composite_enum]
	pub enum HoldReason {
		/// A delivery contract's budget.
		ContractEscrow,
		/// A missing-record claim's deposit.
		ClaimDeposit,
	}

	/// The id the next contract gets.
	#[pallet::storage]
	pub type NextContractId<T: Config> = StorageValue<_, ContractId, ValueQuery>;

	/// Open delivery contracts.
	#[pallet::storage]
	pub type Contracts<T: Config> = StorageMap<_, Twox64Concat, ContractId, Contract<T>>;

	/// The relays of each contract.
	#[pallet::storage]
	pub type Members<T: Config> =
		StorageDoubleMap<_, Twox64Concat, ContractId, Twox64Concat, RelayId, Membership>;

	/// Committed batches until they are settled or voided and removed.
	#[pallet::storage]
	pub type Batches<T: Config> = StorageNMap<
		_,
		(
			NMapKey<Twox64Concat, ContractId>,
			NMapKey<Twox64Concat, RelayId>,
			NMapKey<Twox64Concat, Period>,
		),
		Batch<T>,
	>;

	/// Each contract's supplier policy, where it has more than the open one.
	#[pallet::storage]
	pub type SupplierPolicies<T: Config> = StorageMap<_, Twox64Concat, ContractId, Suppliers<T>>;

	/// Each contract's signed-request terms and URI Signing keys, once its
	/// provider registered a key.
	#[pallet::storage]
	pub type RequestSigningTerms<T: Config> =
		StorageMap<_, Twox64Concat, ContractId, RequestSigning<T>>;

	/// Each contract's delivery service, once its provider configured it.
	#[pallet::storage]
	pub type Services<T: Config> = StorageMap<_, Twox64Concat, ContractId, Service<T>>;

	/// What each relay still owes the contracts it serves: memberships it
	/// has not left and batches not yet settled. Its bond cannot be
	/// withdrawn while either is open, so every penalty finds it.
	#[pallet::storage]
	pub type Obligations<T: Config> = StorageMap<_, Twox64Concat, RelayId, Obligation>;

	/// Batches in the order they were committed, for `on_idle` to settle.
	#[pallet::storage]
	pub type SettlementQueue<T: Config> = StorageMap<_, Twox64Concat, u64, BatchKey>;

	/// The queue's first and one-past-last positions.
	#[pallet::storage]
	pub type QueueBounds<T: Config> = StorageValue<_, (u64, u64), ValueQuery>;

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		ContractOpened {
			contract: ContractId,
			provider: T::AccountId,
			budget: BalanceOf<T>,
		},
		ContractToppedUp {
			contract: ContractId,
			amount: BalanceOf<T>,
		},
		/// The provider ended the contract early; it ends at `end`.
		ContractClosed {
			contract: ContractId,
			end: BlockNumberFor<T>,
		},
		/// The contract is over and what its escrow held went back.
		ContractRefunded {
			contract: ContractId,
			refunded: BalanceOf<T>,
		},
		RelayJoined {
			contract: ContractId,
			relay: RelayId,
		},
		RelayLeft {
			contract: ContractId,
			relay: RelayId,
			last_period: Period,
		},
		/// The provider removed a relay; it serves through `last_period`,
		/// and its committed batches settle as usual.
		RelayRemoved {
			contract: ContractId,
			relay: RelayId,
			last_period: Period,
		},
		/// The provider changed which relays may join.
		SuppliersSet {
			contract: ContractId,
		},
		BatchCommitted {
			contract: ContractId,
			relay: RelayId,
			period: Period,
			root: sp_core::H256,
			records: u32,
			bytes: u64,
			reserved: BalanceOf<T>,
		},
		/// A dispute proved the batch wrong: it pays nothing.
		BatchVoided {
			contract: ContractId,
			relay: RelayId,
			period: Period,
			reason: VoidReason,
		},
		/// A record was proven to repeat another's request: it is not paid.
		DuplicateProven {
			contract: ContractId,
			relay: RelayId,
			period: Period,
			index: u32,
			bytes: u64,
		},
		/// The relay's bond was slashed for a proven dispute.
		RelaySlashed {
			relay: RelayId,
			amount: BalanceOf<T>,
		},
		MissingClaimed {
			contract: ContractId,
			relay: RelayId,
			period: Period,
			challenger: T::AccountId,
			answer_by: BlockNumberFor<T>,
		},
		/// The relay showed the claimed record; it keeps the deposit.
		ClaimAnswered {
			contract: ContractId,
			relay: RelayId,
			period: Period,
			index: u32,
		},
		BatchSettled {
			contract: ContractId,
			relay: RelayId,
			period: Period,
			settlement: Payout<BalanceOf<T>>,
		},
		/// The provider changed whether the contract requires signed
		/// requests (from `required_from`) and the longest token span.
		RequestSigningSet {
			contract: ContractId,
			required_from: Option<Period>,
			max_span_secs: u32,
		},
		/// A URI Signing key the contract accepts tokens of from `from_period`.
		TokenKeyAdded {
			contract: ContractId,
			key: [u8; 32],
			from_period: Period,
		},
		/// A key revoked: it judges records up to `last_period` (none if it
		/// was never in force).
		TokenKeyRevoked {
			contract: ContractId,
			key: [u8; 32],
			last_period: Option<Period>,
		},
		/// The provider configured the contract's service with a metadata
		/// document of `bytes` bytes; relays apply it.
		ServiceConfigured {
			contract: ContractId,
			sequence: u32,
			bytes: u32,
		},
	}

	#[pallet::error]
	pub enum Error<T> {
		/// The board paused new contracts.
		ContractsPaused,
		/// A contract names no host.
		NoHosts,
		/// More hosts than `MaxHosts`, or one host twice.
		TooManyHosts,
		/// A host the caller has not registered as a provider.
		HostNotOwned,
		/// The origin is not an `http(s)://` URL with a host, or too long.
		InvalidOrigin,
		/// More footprints than `MaxFootprints`, or one that is not canonical.
		InvalidFootprint,
		/// A price of zero.
		ZeroPrice,
		/// A budget below `MinBudget`.
		BudgetTooSmall,
		/// The start is in the past, or the end not after the start.
		InvalidSchedule,
		/// The caller cannot pay the budget, top-up or deposit.
		InsufficientFunds,
		ContractNotFound,
		/// Only the contract's provider can do this.
		NotProvider,
		/// The contract has ended.
		ContractEnded,
		/// The contract is not over: it still runs or batches can still be committed.
		ContractNotOver,
		/// Batches are still open: they settle first.
		BatchesOpen,
		RelayNotFound,
		/// Only the relay's operator can do this.
		NotOperator,
		/// Only an Active relay joins a contract.
		RelayNotActive,
		/// None of the relay's footprints meets the contract's.
		FootprintMismatch,
		/// A `Within` footprint list that is empty: say `Anywhere`.
		NoFootprint,
		/// The contract's supplier policy does not admit this relay (a
		/// deny list, an allow list without it, too little verified
		/// capacity or a capability it lacks).
		SupplierNotAllowed,
		/// More than `MaxSuppliers` in an allow or deny list.
		TooManySuppliers,
		AlreadyJoined,
		/// The contract has `MaxRelays` relays.
		TooManyRelays,
		/// The relay is not in the contract.
		NotMember,
		/// The relay already left the contract.
		AlreadyLeft,
		/// The period has not ended yet.
		PeriodNotClosed,
		/// The relay did not serve the contract in that period, or the
		/// contract did not run then.
		PeriodNotServed,
		/// The period, or a later one, was already committed.
		AlreadyCommitted,
		/// The period ended more than `CommitWindow` blocks ago.
		CommitWindowOver,
		/// A batch without records.
		NoRecords,
		/// The totals disagree with themselves or with the record count.
		InconsistentTotals,
		/// The batch costs more than the escrow has left.
		BudgetExceeded,
		/// The log URL is not an `http(s)://` URL, or too long.
		InvalidLogUrl,
		BatchNotFound,
		/// Only the contract's provider or an auditor disputes.
		NotChallenger,
		/// The batch's dispute window is over.
		DisputeWindowOver,
		/// The batch was voided already.
		BatchVoid,
		/// The inclusion proof does not lead to the batch's root.
		InvalidProof,
		/// The disputed record parses and belongs to the contract.
		RecordWellFormed,
		/// The two records are one record, or their request ids differ.
		NotDuplicate,
		/// That record was already proven a duplicate.
		DuplicateKnown,
		/// The receipt's signature is not the relay operator's.
		InvalidReceipt,
		/// The request id or URI is too long.
		ClaimTooLong,
		/// That request is already claimed missing.
		ClaimExists,
		/// The batch has `MaxDisputes` open claims.
		TooManyClaims,
		ClaimNotFound,
		/// The record shown is not the claimed request.
		AnswerMismatch,
		/// The claim's answer period is over.
		AnswerTooLate,
		/// The batch is not due for settlement yet.
		NotDue,
		/// A byte offset at or past the batch's bytes.
		OffsetOutOfRange,
		/// The record's leaf is billed as its line states and the tree adds
		/// up to the committed totals: nothing to dispute.
		SumsAgree,
		/// The batch bills more bytes than the relay's verified capacity
		/// carries in the period, with `CapacityHeadroom`.
		AboveCapacity,
		/// The provider closed the contract: it takes no more money.
		ContractClosed,
		/// A token span of zero, over a week, or shorter than the one the
		/// contract already allows.
		BadTokenSpan,
		/// Signed requests need a URI Signing key first.
		NoTokenKeys,
		/// That key is registered and not revoked.
		TokenKeyExists,
		/// The contract has `MaxTokenKeys` keys in force or still judging
		/// open batches.
		TooManyTokenKeys,
		/// No such key in force.
		TokenKeyNotFound,
		/// The contract did not require signed requests in that period.
		SigningNotRequired,
		/// The token is not a compact JWS with EdDSA and the claims OCM
		/// requires (`jti`, `exp`, `nbf` or `iat`, `cdniip`, a checkable
		/// `cdniuc`), or is longer than 2048 bytes.
		TokenMalformed,
		/// No key of the contract in force in the period signed the token.
		TokenSignatureInvalid,
		/// The request arrived outside the token's span, or the span is
		/// longer than the contract allows.
		TokenOutOfSpan,
		/// The record's client network is outside the token's `cdniip`.
		TokenOtherClient,
		/// The record's URI is outside the token's `cdniuc`.
		TokenOutOfScope,
		/// The record names no token, or another `jti` than the token's.
		TokenMismatch,
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		/// Settles due batches in commit order with the block's spare
		/// weight, at most `MaxSettlementsPerBlock`.
		fn on_idle(now: BlockNumberFor<T>, remaining: Weight) -> Weight {
			Self::settle_due(now, remaining)
		}

		#[cfg(feature = "try-runtime")]
		fn try_state(_: BlockNumberFor<T>) -> Result<(), sp_runtime::TryRuntimeError> {
			Self::do_try_state()
		}
	}

	#[pallet::call]
	impl<T: Config> Pallet<T> {
		/// Opens a delivery contract and holds its budget in escrow. The
		/// caller must own every host through the registry.
		#[pallet::call_index(0)]
		#[pallet::weight(T::WeightInfo::open_contract())]
		pub fn open_contract(
			origin: OriginFor<T>,
			terms: ContractTerms<T::AccountId, BlockNumberFor<T>, BalanceOf<T>>,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_open_contract(who, terms)
		}

		/// Adds to a running contract's escrow.
		#[pallet::call_index(1)]
		#[pallet::weight(T::WeightInfo::top_up())]
		pub fn top_up(
			origin: OriginFor<T>,
			contract: ContractId,
			amount: BalanceOf<T>,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_top_up(who, contract, amount)
		}

		/// Ends the contract with its current period: relays commit what
		/// they served, disputes run their course, then `refund`. Before
		/// its start it ends at once and its escrow goes back now.
		#[pallet::call_index(2)]
		// Before the start it is a refund, of up to `MaxRelays` memberships.
		#[pallet::weight(
			T::WeightInfo::close_contract().max(T::WeightInfo::refund(T::MaxRelays::get()))
		)]
		pub fn close_contract(
			origin: OriginFor<T>,
			contract: ContractId,
		) -> DispatchResultWithPostInfo {
			let who = ensure_signed(origin)?;
			let refunded = Self::do_close_contract(who, contract)?;
			Ok(Some(match refunded {
				Some(relays) => T::WeightInfo::refund(relays),
				None => T::WeightInfo::close_contract(),
			})
			.into())
		}

		/// Once the contract is over and its batches settled, releases the
		/// rest of its escrow to the provider and removes it. Anyone may call.
		#[pallet::call_index(3)]
		#[pallet::weight(T::WeightInfo::refund(T::MaxRelays::get()))]
		pub fn refund(origin: OriginFor<T>, contract: ContractId) -> DispatchResultWithPostInfo {
			ensure_signed(origin)?;
			let relays = Self::do_refund(contract)?;
			Ok(Some(T::WeightInfo::refund(relays)).into())
		}

		/// The relay's operator joins it to a contract from the current period on.
		#[pallet::call_index(4)]
		#[pallet::weight(T::WeightInfo::join_contract(T::MaxFootprints::get()))]
		pub fn join_contract(
			origin: OriginFor<T>,
			contract: ContractId,
			relay: RelayId,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_join_contract(who, contract, relay)
		}

		/// The relay stops serving the contract after the current period,
		/// which it can still commit.
		#[pallet::call_index(5)]
		#[pallet::weight(T::WeightInfo::leave_contract())]
		pub fn leave_contract(
			origin: OriginFor<T>,
			contract: ContractId,
			relay: RelayId,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_leave_contract(who, contract, relay)
		}

		/// The relay's operator commits a closed period's log batch.
		#[pallet::call_index(6)]
		#[pallet::weight(T::WeightInfo::commit_batch())]
		pub fn commit_batch(
			origin: OriginFor<T>,
			contract: ContractId,
			relay: RelayId,
			period: Period,
			batch: BatchCommitment,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_commit_batch(who, (contract, relay, period), batch)
		}

		/// Proves that a committed record does not parse as an OCM
		/// `cdni_http_request_v1` record or is for a host outside the
		/// contract: the batch is void and the relay slashed.
		#[pallet::call_index(7)]
		#[pallet::weight(T::WeightInfo::dispute_malformed().saturating_add(Pallet::<T>::releasing_claims()))]
		pub fn dispute_malformed(
			origin: OriginFor<T>,
			batch: BatchKey,
			record: Vec<u8>,
			proof: InclusionProof,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_dispute_malformed(who, batch, record, proof)
		}

		/// Proves that two committed records carry one request id: the
		/// later is not paid and the relay is slashed. A batch with more
		/// than `MaxDisputes` proven duplicates is void.
		#[pallet::call_index(8)]
		#[pallet::weight(T::WeightInfo::dispute_duplicate().saturating_add(Pallet::<T>::releasing_claims()))]
		pub fn dispute_duplicate(
			origin: OriginFor<T>,
			batch: BatchKey,
			first: Vec<u8>,
			first_proof: InclusionProof,
			second: Vec<u8>,
			second_proof: InclusionProof,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_dispute_duplicate(who, batch, [first, second], [first_proof, second_proof])
		}

		/// Claims that a request the relay signed a receipt for is missing
		/// from the batch; holds `ClaimDeposit` until it is decided.
		#[pallet::call_index(9)]
		#[pallet::weight(T::WeightInfo::claim_missing())]
		pub fn claim_missing(
			origin: OriginFor<T>,
			batch: BatchKey,
			request_id: Vec<u8>,
			uri: Vec<u8>,
			receipt: T::ReceiptSignature,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_claim_missing(who, batch, request_id, uri, receipt)
		}

		/// The relay's operator answers claims with a record and its proof:
		/// every open claim the record answers (its receipt's request, the
		/// offsets among its bytes) is decided.
		#[pallet::call_index(10)]
		// Plus the contract's read (a record shown is checked to be its),
		// and a void if it is not.
		#[pallet::weight(T::WeightInfo::answer_claim(T::MaxDisputes::get())
			.saturating_add(T::DbWeight::get().reads(1))
			.saturating_add(Pallet::<T>::releasing_claims()))]
		pub fn answer_claim(
			origin: OriginFor<T>,
			batch: BatchKey,
			record: Vec<u8>,
			proof: InclusionProof,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_answer_claim(who, batch, record, proof)
		}

		/// Proves that the batch's sums lie, from one record's proof walked
		/// with the leaf the relay's tree holds for it (`leaf`): either that
		/// leaf bills other totals than the record's line states, or the
		/// tree adds up to other totals than were committed. The batch is
		/// void and the relay slashed.
		#[pallet::call_index(13)]
		#[pallet::weight(T::WeightInfo::dispute_sums().saturating_add(Pallet::<T>::releasing_claims()))]
		pub fn dispute_sums(
			origin: OriginFor<T>,
			batch: BatchKey,
			record: Vec<u8>,
			leaf: Totals,
			proof: InclusionProof,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_dispute_sums(who, batch, record, leaf, proof)
		}

		/// Asks the relay to show the record that covers byte `offset` of
		/// the batch (from 0); holds `ClaimDeposit` until it is decided, and
		/// the relay earns it by answering. Bytes no real record carries
		/// cannot be shown: the batch is then void at settlement.
		#[pallet::call_index(14)]
		#[pallet::weight(T::WeightInfo::challenge_bytes())]
		pub fn challenge_bytes(
			origin: OriginFor<T>,
			batch: BatchKey,
			offset: u64,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_challenge_bytes(who, batch, offset)
		}

		/// The relay's operator answers receipt claims on `batch` with a
		/// record of its batch for the next period, where a response that
		/// outlasted its period has its record.
		#[pallet::call_index(15)]
		// Measured answering one claim; one record may answer every claim
		// on its receipt, each paying a deposit over: `answer_claim`'s cost
		// of the others.
		#[pallet::weight(T::WeightInfo::answer_claim_from_next()
			.saturating_add(Pallet::<T>::answering_more_claims()))]
		pub fn answer_claim_from_next(
			origin: OriginFor<T>,
			batch: BatchKey,
			record: Vec<u8>,
			proof: InclusionProof,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_answer_claim_from(who, batch, record, proof)
		}

		/// The provider changes which relays may join the contract from now
		/// on; members it no longer admits stay until it removes them.
		#[pallet::call_index(16)]
		#[pallet::weight(T::WeightInfo::set_suppliers())]
		pub fn set_suppliers(
			origin: OriginFor<T>,
			contract: ContractId,
			suppliers: SupplierPolicy<T::AccountId>,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_set_suppliers(who, contract, suppliers)
		}

		/// The provider removes a relay from the contract: it serves through
		/// the current period, which it may still commit, and its committed
		/// batches settle as usual.
		#[pallet::call_index(17)]
		#[pallet::weight(T::WeightInfo::remove_relay())]
		pub fn remove_relay(
			origin: OriginFor<T>,
			contract: ContractId,
			relay: RelayId,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_remove_relay(who, contract, relay)
		}

		/// The provider requires signed requests (URI Signing tokens from
		/// one of its keys, valid at most `max_span_secs`) from the first
		/// period that starts a whole period later, or lets a running
		/// requirement allow longer spans; with `None`, stops requiring them
		/// at once.
		#[pallet::call_index(18)]
		#[pallet::weight(T::WeightInfo::require_signed_requests())]
		pub fn require_signed_requests(
			origin: OriginFor<T>,
			contract: ContractId,
			max_span_secs: Option<u32>,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_require_signed_requests(who, contract, max_span_secs)
		}

		/// The provider registers an Ed25519 key (its own, or one it
		/// delegates, such as its router's) whose tokens the contract
		/// accepts from the next period.
		#[pallet::call_index(19)]
		#[pallet::weight(T::WeightInfo::add_token_key())]
		pub fn add_token_key(
			origin: OriginFor<T>,
			contract: ContractId,
			key: [u8; 32],
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_add_token_key(who, contract, key)
		}

		/// The provider revokes a key: relays refuse its tokens from the
		/// first period that starts a whole period later; it still judges
		/// the records of the periods before.
		#[pallet::call_index(20)]
		#[pallet::weight(T::WeightInfo::revoke_token_key())]
		pub fn revoke_token_key(
			origin: OriginFor<T>,
			contract: ContractId,
			key: [u8; 32],
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_revoke_token_key(who, contract, key)
		}

		/// Disputes a record of a period that required signed requests:
		/// one that names no token voids the batch at once; one that names
		/// a token is claimed, and the relay shows the token
		/// (`answer_token`) or the batch is void at settlement.
		#[pallet::call_index(21)]
		// Measured on the claim path; the void path is `dispute_malformed`'s
		// walk, parse and void, plus the terms' read and the claims it
		// releases.
		#[pallet::weight(T::WeightInfo::dispute_unsigned().max(
			T::WeightInfo::dispute_malformed()
				.saturating_add(T::DbWeight::get().reads(1))
				.saturating_add(Pallet::<T>::releasing_claims())
		))]
		pub fn dispute_unsigned(
			origin: OriginFor<T>,
			batch: BatchKey,
			record: Vec<u8>,
			proof: InclusionProof,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_dispute_unsigned(who, batch, record, proof)
		}

		/// The relay's operator answers a token claim with the token its
		/// record names; the runtime checks it against the record.
		#[pallet::call_index(22)]
		// Measured with the token signed by the last of `MaxTokenKeys` keys,
		// answering one claim; plus the other claims on the same record and,
		// for a token that does not answer, the void's released claims.
		#[pallet::weight(T::WeightInfo::answer_token()
			.saturating_add(Pallet::<T>::answering_more_claims())
			.saturating_add(Pallet::<T>::releasing_claims()))]
		pub fn answer_token(
			origin: OriginFor<T>,
			batch: BatchKey,
			record: Vec<u8>,
			proof: InclusionProof,
			token: Vec<u8>,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_answer_token(who, batch, record, proof, token)
		}

		/// Settles one due batch now, if `on_idle` has not. Anyone may call.
		#[pallet::call_index(11)]
		#[pallet::weight(T::WeightInfo::settle(T::MaxDisputes::get()))]
		pub fn settle(origin: OriginFor<T>, batch: BatchKey) -> DispatchResultWithPostInfo {
			ensure_signed(origin)?;
			let claims = Self::do_settle(batch, frame_system::Pallet::<T>::block_number())?;
			Ok(Some(T::WeightInfo::settle(claims)).into())
		}

		/// Configures the contract's delivery service with an RFC 8006
		/// `MI.HostIndex` document (`ocm_cdni::metadata`): each host's
		/// source and the cache rules its relays apply. No fee payer: an
		/// upstream CDN may submit it for the provider. Authorized when the
		/// contract's provider signed `ocm_cdni::metadata::signing_payload`
		/// (genesis hash, contract, sequence, document), the sequence is
		/// above the stored one, the contract runs, and the document parses,
		/// asks nothing mandatory that OCM does not honour and names only
		/// the contract's hosts; the pool refuses anything else with
		/// `InvalidTransaction::Custom` ([`ServiceRejection`]).
		#[pallet::call_index(12)]
		#[pallet::weight(T::WeightInfo::configure_service(metadata.len() as u32))]
		#[pallet::authorize(Pallet::<T>::authorize_service)]
		#[pallet::weight_of_authorize(T::WeightInfo::authorize_configure_service(metadata.len() as u32))]
		pub fn configure_service(
			origin: OriginFor<T>,
			contract: ContractId,
			sequence: u32,
			metadata: MetadataOf<T>,
			signature: T::ReceiptSignature,
		) -> DispatchResult {
			// `AuthorizeCall` ran `authorize_service` on this call in this
			// same application, just before dispatch: it is the one check.
			let _ = signature;
			ensure_authorized(origin)?;
			Self::store_service(contract, sequence, metadata);
			Ok(())
		}
	}
}
