//! The capacity registry's interface to the pallets and the board that judge
//! relays: proof of bandwidth activates and suspends them on its verdicts,
//! and both may slash a relay's bond. The registry implements
//! [`RelayRegistry`]; the other pallets take it as a Config type, so no
//! marketplace pallet depends on another's crate.

use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use scale_info::TypeInfo;
use sp_runtime::{DispatchError, DispatchResult, Perbill};

/// A relay's number, assigned by the chain at registration and never reused.
pub type RelayId = u32;

/// Capacity in megabits per second.
pub type Mbps = u32;

/// Who suspended a relay; only the same authority lifts the suspension.
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
pub enum Suspender {
	/// A proof-of-bandwidth verdict: a later passing verdict reactivates the relay.
	ProofOfBandwidth,
	/// The board: only the board reinstates the relay.
	Board,
}

/// Where a relay is in its life.
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
pub enum RelayStatus<BlockNumber> {
	/// Registered, or its claims changed: waiting for proof of bandwidth.
	Pending,
	/// Verified: served to clients by the footprint query.
	Active,
	/// Taken out of service; its bond stays held and slashable.
	Suspended { by: Suspender, since: BlockNumber },
	/// Leaving: out of service, bond still slashable until `unbonds_at`, then
	/// the operator withdraws it and the relay is gone.
	Leaving { unbonds_at: BlockNumber },
}

/// What the judging pallets need to know of a relay.
#[derive(Clone, PartialEq, Eq, Encode, Decode, TypeInfo, Debug)]
pub struct RelaySummary<AccountId, BlockNumber> {
	pub operator: AccountId,
	pub status: RelayStatus<BlockNumber>,
	/// What the operator claims the relay delivers, overall.
	pub claimed_mbps: Mbps,
	/// What proof of bandwidth last verified (0 before the first verdict).
	pub verified_mbps: Mbps,
	/// What the operator declares the relay can do.
	pub capabilities: Capabilities,
	/// The network the relay is in: beacons from it do not test it.
	pub asn: u32,
}

/// What a relay still owes elsewhere (settlement's open batches and
/// contract memberships): while it owes anything, its bond stays held, so
/// a penalty proven later always lands.
pub trait RelayObligations {
	/// Whether the relay has open batches or memberships.
	fn has_obligations(relay: RelayId) -> bool;
}

impl RelayObligations for () {
	fn has_obligations(_: RelayId) -> bool {
		false
	}
}

/// The registry's side of proof of bandwidth and board actions.
pub trait RelayRegistry<AccountId, BlockNumber> {
	type Balance;

	/// The relay's operator, status and capacities; `None` if it does not exist.
	fn relay(relay: RelayId) -> Option<RelaySummary<AccountId, BlockNumber>>;

	/// Every relay id ever given is below this one (ids are sequential), so
	/// a judge walks the relays with a cursor, a bounded number per block.
	fn relay_id_bound() -> RelayId;

	/// The relay's proof-of-bandwidth endpoint (a URL), which validators probe.
	fn pob_endpoint(relay: RelayId) -> Option<alloc::vec::Vec<u8>>;

	/// The footprints the relay claims to serve; empty for an unknown relay.
	/// Delivery contracts admit relays whose footprints meet theirs.
	fn footprints(relay: RelayId) -> alloc::vec::Vec<crate::footprint::Footprint>;

	/// Records a passing verdict: stores `verified` and activates a Pending
	/// relay or one that proof of bandwidth had suspended. A relay that the
	/// board suspended or that is leaving keeps its status.
	fn record_verified(relay: RelayId, verified: Mbps) -> DispatchResult;

	/// Takes the relay out of service until `by` lifts it.
	fn suspend(relay: RelayId, by: Suspender) -> DispatchResult;

	/// Lifts a suspension into Pending: the relay serves again once proof of
	/// bandwidth verifies it.
	fn reinstate(relay: RelayId) -> DispatchResult;

	/// Registers a relay for another pallet's benchmarks.
	#[cfg(feature = "runtime-benchmarks")]
	fn benchmark_relay() -> RelayId;

	/// Slashes `fraction` of the relay's bond and returns the amount taken.
	fn slash(relay: RelayId, fraction: Perbill) -> Result<Self::Balance, DispatchError>;
}

/// The registry's side of delivery contracts: who owns a host name.
pub trait ProviderRegistry<AccountId> {
	/// The registered provider that owns `host` (lower-case), if any.
	fn host_owner(host: &[u8]) -> Option<AccountId>;

	/// Registers `who` as a provider owning `hosts`, for another pallet's benchmarks.
	#[cfg(feature = "runtime-benchmarks")]
	fn benchmark_provider(who: &AccountId, hosts: alloc::vec::Vec<alloc::vec::Vec<u8>>);
}

/// What a relay can do, as a bit set (the FCI advertisement lists them).
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
pub struct Capabilities(pub u16);

impl Capabilities {
	pub const HTTP_1_1: u16 = 1 << 0;
	pub const HTTP_2: u16 = 1 << 1;
	/// HTTPS on the relay's HTTP endpoint.
	pub const TLS: u16 = 1 << 2;
	pub const HLS: u16 = 1 << 3;
	pub const DASH: u16 = 1 << 4;
	/// Turns HTTP objects into multicast (MAHP sender).
	pub const MAHP_SENDER: u16 = 1 << 5;
	/// Rebuilds HTTP objects from multicast (MAHP receiver).
	pub const MAHP_RECEIVER: u16 = 1 << 6;
	/// Runs an AMT relay (RFC 7450) for gateways without native multicast.
	pub const AMT_RELAY: u16 = 1 << 7;
	/// Every defined bit; any other bit is refused.
	pub const ALL: u16 = (1 << 8) - 1;

	pub fn has(self, flag: u16) -> bool {
		self.0 & flag == flag
	}

	pub fn is_known(self) -> bool {
		self.0 & !Self::ALL == 0
	}
}

/// A client to find relays for: its address, its network or its country.
#[derive(Clone, Copy, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, TypeInfo, Debug)]
pub enum ClientLocator {
	/// Matched against the relays' `ipv4cidr`/`ipv6cidr` footprints by longest prefix.
	Ip(crate::footprint::IpAddress),
	/// Matched against `asn` footprints.
	Asn(crate::footprint::Asn),
	/// Matched against `countrycode` footprints.
	Country(crate::footprint::CountryCode),
}

/// One relay that serves a client, as the footprint query returns it.
#[derive(Clone, PartialEq, Eq, Encode, Decode, TypeInfo, Debug)]
pub struct RelayMatch<AccountId> {
	pub relay: RelayId,
	pub operator: AccountId,
	/// The relay's HTTP base URL.
	pub http: alloc::vec::Vec<u8>,
	/// The relay's most specific footprint that contains the client.
	pub footprint: crate::footprint::Footprint,
	/// Capacity for this footprint: the claim for it, capped by the verified capacity.
	pub capacity_mbps: Mbps,
	/// What proof of bandwidth verified for the whole relay.
	pub verified_mbps: Mbps,
}

impl ClientLocator {
	/// Reads a client as a person types it: an IPv4 or IPv6 address
	/// (`192.0.2.7`, `2001:db8::7`), an ASN (`as64496`, `AS64496`) or a
	/// two-letter country code (`nl`, `NL`).
	pub fn parse(text: &[u8]) -> Result<Self, crate::footprint::FootprintError> {
		use crate::footprint::{parse_asn, CountryCode, FootprintError, IpAddress};
		if let Ok(address) = IpAddress::parse(text) {
			return Ok(Self::Ip(address));
		}
		if text.len() == 2 {
			return CountryCode::parse(text).map(Self::Country);
		}
		if text.len() > 2 && text[..2].eq_ignore_ascii_case(b"as") {
			return parse_asn(text).map(Self::Asn);
		}
		Err(FootprintError::Malformed)
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use crate::footprint::{CountryCode, FootprintError, IpAddress};

	#[test]
	fn clients_parse_from_text() {
		assert_eq!(
			ClientLocator::parse(b"192.0.2.7"),
			Ok(ClientLocator::Ip(IpAddress::V4([192, 0, 2, 7])))
		);
		assert!(matches!(
			ClientLocator::parse(b"2001:db8::7"),
			Ok(ClientLocator::Ip(IpAddress::V6(_)))
		));
		assert_eq!(ClientLocator::parse(b"AS64496"), Ok(ClientLocator::Asn(64_496)));
		assert_eq!(ClientLocator::parse(b"nl"), Ok(ClientLocator::Country(CountryCode(*b"NL"))));
		assert_eq!(ClientLocator::parse(b"zz"), Err(FootprintError::UnknownCountryCode));
		assert_eq!(ClientLocator::parse(b"as0"), Err(FootprintError::ReservedAsn));
		assert_eq!(ClientLocator::parse(b"example.com"), Err(FootprintError::Malformed));
		assert_eq!(ClientLocator::parse(b""), Err(FootprintError::Malformed));
	}

	#[test]
	fn capabilities_know_their_bits() {
		assert!(Capabilities(Capabilities::ALL).is_known());
		assert!(!Capabilities(1 << 8).is_known());
		assert!(Capabilities(Capabilities::HLS | Capabilities::TLS).has(Capabilities::TLS));
		assert!(!Capabilities(Capabilities::HLS).has(Capabilities::HLS | Capabilities::TLS));
	}
}
