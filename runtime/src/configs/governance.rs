//! The OCM board: a `pallet-collective` instance named `Council` whose members
//! `pallet-membership` (`CouncilMembership`) manages.
//!
//! Thresholds are enforced by the origin of each call a motion dispatches,
//! not by the threshold its proposer picks: a motion proposed with too low a
//! threshold still executes, but its call fails with `BadOrigin`.
//! - Board motions on the market need a simple majority ([`BoardMajority`]).
//! - Changing who sits on the board needs two thirds ([`BoardTwoThirds`]).
//!
//! There is no sudo and no other source of `Root`.

use crate::*;
use frame_support::{parameter_types, traits::ConstU32};
use frame_system::EnsureRoot;
use pallet_collective::{EnsureProportionAtLeast, EnsureProportionMoreThan};

/// The board's collective instance.
pub type CouncilCollective = pallet_collective::Instance1;
/// The board's membership instance.
pub type CouncilMembershipInstance = pallet_membership::Instance1;

/// More than half of the board voted aye.
pub type BoardMajority = EnsureProportionMoreThan<AccountId, CouncilCollective, 1, 2>;
/// At least two thirds of the board voted aye.
pub type BoardTwoThirds = EnsureProportionAtLeast<AccountId, CouncilCollective, 2, 3>;

/// Seats on the board. Each member's vote is stored per open motion, so the
/// bound keeps `close` weight small.
pub const BOARD_MAX_MEMBERS: u32 = 32;

parameter_types! {
	/// How long a motion stays open for votes before anyone may close it.
	pub const MotionDuration: BlockNumber = 3 * DAYS;
	/// A single motion may use at most half of a block.
	pub MaxProposalWeight: frame_support::weights::Weight =
		sp_runtime::Perbill::from_percent(50) * RuntimeBlockWeights::get().max_block;
}

impl pallet_collective::Config<CouncilCollective> for Runtime {
	type RuntimeOrigin = RuntimeOrigin;
	type Proposal = RuntimeCall;
	type RuntimeEvent = RuntimeEvent;
	type MotionDuration = MotionDuration;
	type MaxProposals = ConstU32<100>;
	type MaxMembers = ConstU32<BOARD_MAX_MEMBERS>;
	/// A member who does not vote follows the prime member, if one is set.
	type DefaultVote = pallet_collective::PrimeDefaultVote;
	type WeightInfo = crate::weights::pallet_collective::WeightInfo<Runtime>;
	/// Members change only through `CouncilMembership`, which keeps the two
	/// pallets in step; `set_members` would bypass it, so it takes `Root`,
	/// which only two thirds of the board produce (`Governance.dispatch_as_root`),
	/// the same proportion a seat change takes.
	type SetMembersOrigin = EnsureRoot<AccountId>;
	type MaxProposalWeight = MaxProposalWeight;
	/// A majority can reject an open motion outright (for example a spam one).
	type DisapproveOrigin = BoardMajority;
	/// A majority can remove a motion and slash its deposit, if it had one.
	type KillOrigin = BoardMajority;
	/// Board members propose without a deposit: the seats are few and known.
	type Consideration = ();
}

impl pallet_membership::Config<CouncilMembershipInstance> for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type AddOrigin = BoardTwoThirds;
	type RemoveOrigin = BoardTwoThirds;
	type SwapOrigin = BoardTwoThirds;
	type ResetOrigin = BoardTwoThirds;
	type PrimeOrigin = BoardTwoThirds;
	type MembershipInitialized = Council;
	type MembershipChanged = Council;
	type MaxMembers = ConstU32<BOARD_MAX_MEMBERS>;
	// frame-omni-bencher 0.28 hangs analysing `set_prime` here; until that is
	// understood the board's membership calls charge polkadot-sdk's weights.
	type WeightInfo = pallet_membership::weights::SubstrateWeight<Runtime>;
}
