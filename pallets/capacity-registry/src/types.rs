//! What the registry stores, and the inputs its calls take.
//!
//! Call inputs carry plain `Vec`s: a too-long URL, list or name then reaches
//! the pallet and fails with its own error (`UrlTooLong`, `TooManyFootprints`,
//! ...) rather than as an undecodable transaction. [`crate::validate`] turns
//! inputs into the bounded, typed records below.

use crate::Config;
use alloc::vec::Vec;
use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use frame_support::{
	pallet_prelude::*, traits::fungible::Inspect, CloneNoBound, DebugNoBound, EqNoBound,
	PartialEqNoBound,
};
use frame_system::pallet_prelude::BlockNumberFor;
pub use ocm_primitives::{
	capacity::{Capabilities, Mbps, RelayId, RelayStatus, Suspender},
	footprint::{Asn, CountryCode, Footprint, IpAddress},
};
use scale_info::TypeInfo;

pub type BalanceOf<T> =
	<<T as Config>::Currency as Inspect<<T as frame_system::Config>::AccountId>>::Balance;

/// A URL as stored: `http://` or `https://`, visible ASCII, at most `MaxUrlLen` bytes.
pub type Url<T> = BoundedVec<u8, <T as Config>::MaxUrlLen>;

/// A DNS host name as stored: lower case, at most 253 bytes.
pub type HostName = BoundedVec<u8, ConstU32<{ crate::validate::MAX_HOST_NAME_LEN }>>;

/// Coarse coordinates in tenths of a degree (about 11 km): enough to place a
/// relay on a map or pick beacons nearby, too coarse to locate a home.
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
pub struct Coordinates {
	/// -900 ..= 900.
	pub latitude_decidegrees: i16,
	/// -1800 ..= 1800.
	pub longitude_decidegrees: i16,
}

/// Where a relay is, and which network it sits in.
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
pub struct Location {
	pub country: CountryCode,
	/// The ASN of the relay's own network (its upstream, for a home relay).
	pub asn: Asn,
	pub coordinates: Option<Coordinates>,
}

/// How clients, beacons and gateways reach a relay, as submitted.
#[derive(Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, TypeInfo, Debug)]
pub struct EndpointsInput {
	/// Base URL of the HTTP edge cache, e.g. `https://edge1.example.net`.
	pub http: Vec<u8>,
	/// Proof-of-bandwidth endpoint that beacons measure.
	pub pob: Vec<u8>,
	/// Unicast address of the relay's AMT relay (RFC 7450, UDP port 2268).
	pub amt_relay: Option<IpAddress>,
	/// Source address of the relay's source-specific multicast (MAHP sender).
	pub multicast_source: Option<IpAddress>,
}

/// How clients, beacons and gateways reach a relay, as stored.
#[derive(
	Encode, Decode, MaxEncodedLen, TypeInfo, CloneNoBound, PartialEqNoBound, EqNoBound, DebugNoBound,
)]
#[scale_info(skip_type_params(T))]
#[codec(mel_bound())]
pub struct Endpoints<T: Config> {
	pub http: Url<T>,
	pub pob: Url<T>,
	pub amt_relay: Option<IpAddress>,
	pub multicast_source: Option<IpAddress>,
}

/// One footprint in RFC 8006's textual form, with the capacity claimed for it.
#[derive(Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, TypeInfo, Debug)]
pub struct FootprintInput {
	/// `ipv4cidr`, `ipv6cidr`, `asn` or `countrycode`.
	pub footprint_type: Vec<u8>,
	/// `192.0.2.0/24`, `2001:db8::/32`, `as64496`, `us`.
	pub footprint_value: Vec<u8>,
	/// Egress the relay claims for clients in this footprint (at most its overall claim).
	pub capacity_mbps: Mbps,
}

/// What a relay claims: where it is, what it serves and how much, as submitted.
#[derive(Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, TypeInfo, Debug)]
pub struct ClaimsInput {
	pub location: Location,
	/// Egress capacity claimed overall.
	pub capacity_mbps: Mbps,
	pub footprints: Vec<FootprintInput>,
	pub capabilities: Capabilities,
}

/// Everything `register_relay` takes.
#[derive(Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, TypeInfo, Debug)]
pub struct RelayRegistration {
	pub endpoints: EndpointsInput,
	pub claims: ClaimsInput,
}

/// A footprint with the capacity claimed for it, as stored.
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
pub struct FootprintClaim {
	pub footprint: Footprint,
	pub capacity_mbps: Mbps,
}

/// What a relay claims, as stored.
#[derive(
	Encode, Decode, MaxEncodedLen, TypeInfo, CloneNoBound, PartialEqNoBound, EqNoBound, DebugNoBound,
)]
#[scale_info(skip_type_params(T))]
#[codec(mel_bound())]
pub struct Claims<T: Config> {
	pub location: Location,
	pub capacity_mbps: Mbps,
	pub footprints: BoundedVec<FootprintClaim, T::MaxFootprints>,
	pub capabilities: Capabilities,
}

/// A registered relay.
#[derive(
	Encode, Decode, MaxEncodedLen, TypeInfo, CloneNoBound, PartialEqNoBound, EqNoBound, DebugNoBound,
)]
#[scale_info(skip_type_params(T))]
#[codec(mel_bound())]
pub struct RelayInfo<T: Config> {
	pub operator: T::AccountId,
	pub status: RelayStatus<BlockNumberFor<T>>,
	pub endpoints: Endpoints<T>,
	pub claims: Claims<T>,
	/// Capacity that proof of bandwidth (or the board) last verified; 0 before.
	pub verified_mbps: Mbps,
	/// Held from the operator under [`crate::HoldReason::RelayBond`]; less after slashes.
	pub bond: BalanceOf<T>,
	pub registered_at: BlockNumberFor<T>,
	pub last_heartbeat: BlockNumberFor<T>,
}

impl<T: Config> RelayInfo<T> {
	/// The capacity a client in `footprint` can count on: the claim for that
	/// footprint, capped by what was verified for the whole relay.
	pub fn capacity_for(&self, footprint: &Footprint) -> Mbps {
		self.claims
			.footprints
			.iter()
			.find(|c| &c.footprint == footprint)
			.map_or(0, |c| c.capacity_mbps.min(self.verified_mbps))
	}
}

/// A registered content provider.
#[derive(
	Encode, Decode, MaxEncodedLen, TypeInfo, CloneNoBound, PartialEqNoBound, EqNoBound, DebugNoBound,
)]
#[scale_info(skip_type_params(T))]
#[codec(mel_bound())]
pub struct ProviderInfo<T: Config> {
	/// Display name, UTF-8.
	pub name: BoundedVec<u8, T::MaxNameLen>,
	/// Host names whose content the provider buys delivery for; each belongs
	/// to one provider only.
	pub hosts: BoundedVec<HostName, T::MaxHosts>,
	/// Held under [`crate::HoldReason::ProviderDeposit`] for the storage used.
	pub deposit: BalanceOf<T>,
}
