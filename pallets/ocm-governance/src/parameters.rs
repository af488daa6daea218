//! The market's parameters: their values, their bounds, and one change to one
//! of them.

use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use scale_info::TypeInfo;
use serde::{Deserialize, Serialize};
use sp_runtime::Perbill;

/// Every market parameter. The other pallets read them through the `Get`
/// adapters in [`crate::adapters`].
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
	Serialize,
	Deserialize,
)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MarketParameters<Balance, BlockNumber> {
	/// Share of every settled payment that goes to the protocol pot.
	pub protocol_fee: Perbill,
	/// Least bond a relay registers with.
	pub min_relay_bond: Balance,
	/// Least bond a beacon registers with.
	pub min_beacon_bond: Balance,
	/// Blocks a leaving relay's bond stays slashable.
	pub unbonding_period: BlockNumber,
	/// Blocks in one proof-of-bandwidth epoch.
	pub pob_epoch_length: BlockNumber,
	/// Beacons that measure one relay together.
	pub beacons_per_test: u32,
	/// How far the assigned beacons' combined capacity must exceed the claim.
	pub capacity_margin: Perbill,
	/// How far below its claim a relay's measured capacity may fall and pass.
	pub tolerance: Perbill,
	/// Share of a relay's bond slashed when it fails verification repeatedly.
	pub slash_share: Perbill,
	/// Blocks in one CDNi log settlement period.
	pub settlement_period: BlockNumber,
	/// Blocks during which a committed log batch can be disputed.
	pub dispute_window: BlockNumber,
	/// Footprints one relay may claim (at most the registry's storage bound).
	pub max_footprints: u32,
	/// How far above its verified capacity a relay may bill for one
	/// settlement period (what that capacity carries in the period's time).
	pub capacity_headroom: Perbill,
}

/// Lowest and highest value a parameter may take.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Range<V> {
	pub min: V,
	pub max: V,
}

impl<V: PartialOrd> Range<V> {
	pub const fn new(min: V, max: V) -> Self {
		Self { min, max }
	}

	pub fn contains(&self, v: &V) -> bool {
		&self.min <= v && v <= &self.max
	}
}

/// The bounds the board sets parameters within; a runtime constant, so that
/// changing them takes a runtime upgrade (two thirds of the board).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct ParameterBounds<Balance, BlockNumber> {
	pub protocol_fee: Range<Perbill>,
	pub min_relay_bond: Range<Balance>,
	pub min_beacon_bond: Range<Balance>,
	pub unbonding_period: Range<BlockNumber>,
	pub pob_epoch_length: Range<BlockNumber>,
	pub beacons_per_test: Range<u32>,
	pub capacity_margin: Range<Perbill>,
	pub tolerance: Range<Perbill>,
	pub slash_share: Range<Perbill>,
	pub settlement_period: Range<BlockNumber>,
	pub dispute_window: Range<BlockNumber>,
	pub max_footprints: Range<u32>,
	pub capacity_headroom: Range<Perbill>,
}

/// One parameter with its new value: what `set_parameter` takes and its
/// event reports.
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
pub enum MarketParameter<Balance, BlockNumber> {
	ProtocolFee(Perbill),
	MinRelayBond(Balance),
	MinBeaconBond(Balance),
	UnbondingPeriod(BlockNumber),
	PobEpochLength(BlockNumber),
	BeaconsPerTest(u32),
	CapacityMargin(Perbill),
	Tolerance(Perbill),
	SlashShare(Perbill),
	SettlementPeriod(BlockNumber),
	DisputeWindow(BlockNumber),
	MaxFootprints(u32),
	CapacityHeadroom(Perbill),
}

/// Why parameters, each within its bounds, do not hold together.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum ParameterConflict {
	/// A proof-of-bandwidth epoch would end before its tests do.
	EpochShorterThanItsTests,
	/// A leaving relay's bond would be released while its last period's
	/// batch can still be disputed.
	UnbondingShorterThanDisputes,
}

/// How the runtime's own constants (block time, test windows, answer
/// periods) tie the parameters together: what `set_parameter` and genesis
/// check beyond each parameter's bounds.
pub trait ParameterRules<Balance, BlockNumber> {
	/// `Err` with the first rule `parameters` break.
	fn check(parameters: &MarketParameters<Balance, BlockNumber>) -> Result<(), ParameterConflict>;
}

/// No rules beyond the bounds.
impl<Balance, BlockNumber> ParameterRules<Balance, BlockNumber> for () {
	fn check(_: &MarketParameters<Balance, BlockNumber>) -> Result<(), ParameterConflict> {
		Ok(())
	}
}

impl<Balance: PartialOrd + Copy, BlockNumber: PartialOrd + Copy>
	MarketParameters<Balance, BlockNumber>
{
	/// Applies `change` if its value is within `bounds`; returns whether it was.
	pub fn apply(
		&mut self,
		change: MarketParameter<Balance, BlockNumber>,
		bounds: &ParameterBounds<Balance, BlockNumber>,
	) -> bool {
		use MarketParameter::*;
		macro_rules! set {
			($field:ident, $v:expr) => {{
				let ok = bounds.$field.contains(&$v);
				if ok {
					self.$field = $v;
				}
				ok
			}};
		}
		match change {
			ProtocolFee(v) => set!(protocol_fee, v),
			MinRelayBond(v) => set!(min_relay_bond, v),
			MinBeaconBond(v) => set!(min_beacon_bond, v),
			UnbondingPeriod(v) => set!(unbonding_period, v),
			PobEpochLength(v) => set!(pob_epoch_length, v),
			BeaconsPerTest(v) => set!(beacons_per_test, v),
			CapacityMargin(v) => set!(capacity_margin, v),
			Tolerance(v) => set!(tolerance, v),
			SlashShare(v) => set!(slash_share, v),
			SettlementPeriod(v) => set!(settlement_period, v),
			DisputeWindow(v) => set!(dispute_window, v),
			MaxFootprints(v) => set!(max_footprints, v),
			CapacityHeadroom(v) => set!(capacity_headroom, v),
		}
	}

	/// Whether every parameter is within `bounds` (checked at genesis and by try-state).
	pub fn within(&self, bounds: &ParameterBounds<Balance, BlockNumber>) -> bool {
		bounds.protocol_fee.contains(&self.protocol_fee)
			&& bounds.min_relay_bond.contains(&self.min_relay_bond)
			&& bounds.min_beacon_bond.contains(&self.min_beacon_bond)
			&& bounds.unbonding_period.contains(&self.unbonding_period)
			&& bounds.pob_epoch_length.contains(&self.pob_epoch_length)
			&& bounds.beacons_per_test.contains(&self.beacons_per_test)
			&& bounds.capacity_margin.contains(&self.capacity_margin)
			&& bounds.tolerance.contains(&self.tolerance)
			&& bounds.slash_share.contains(&self.slash_share)
			&& bounds.settlement_period.contains(&self.settlement_period)
			&& bounds.dispute_window.contains(&self.dispute_window)
			&& bounds.max_footprints.contains(&self.max_footprints)
			&& bounds.capacity_headroom.contains(&self.capacity_headroom)
	}
}
