//! # Capacity registry
//!
//! OCM's supply side. A supplier (an ISP, exchange, data centre, CDN or a
//! person at home) registers a **relay**: how to reach it, where it is, the
//! client populations it serves as CDNi footprints (RFC 8006/8008), the egress
//! capacity it claims overall and per footprint, what it can do, and a bond
//! held from its operator. A content **provider** registers its name and the
//! host names it buys delivery for. Anyone asks which Active relays serve a
//! client, through the [`runtime_api::CapacityRegistryApi`].
//!
//! ## Relay lifecycle
//!
//! ```text
//!  register ──► Pending ──(PoB passes / board activates)──► Active
//!                 ▲  ▲                                        │
//!                 │  └──────── update_claims ◄────────────────┤
//!                 │                                           ▼
//!     (board reinstates) ◄── Suspended ◄──(PoB fails / board suspends)
//!   any but Leaving ──leave──► Leaving ──(UnbondingPeriod)──► withdraw_bond: gone, bond released
//! ```
//!
//! Proof of bandwidth judges relays through [`ocm_primitives::capacity::RelayRegistry`],
//! which this pallet implements; the board through `BoardOrigin` calls. A
//! bond stays slashable while its relay is suspended or leaving.
//!
//! ## Indexes
//!
//! Every footprint of every registered relay has one entry in a map keyed by
//! the footprint ([`Ipv4Footprints`], [`Ipv6Footprints`], [`AsnFootprints`],
//! [`CountryFootprints`]), so a query reads only entries that contain the
//! client. `do_try_state` checks that the indexes and the relay records agree.

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

#[cfg(feature = "runtime-benchmarks")]
pub mod benchmarking;
mod features;
mod index;
#[cfg(test)]
mod mock;
pub mod runtime_api;
#[cfg(test)]
mod tests;
pub mod types;
pub mod validate;
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
		traits::{
			fungible::{self, Credit},
			OnUnbalanced,
		},
	};
	use frame_system::pallet_prelude::*;
	use ocm_primitives::footprint::{Ipv4Cidr, Ipv6Cidr};
	use sp_runtime::Perbill;

	const STORAGE_VERSION: StorageVersion = StorageVersion::new(1);

	#[pallet::pallet]
	#[pallet::storage_version(STORAGE_VERSION)]
	pub struct Pallet<T>(_);

	/// Configuration of the registry. The market parameters here are
	/// constants until the governance pallet puts them under the board.
	#[pallet::config]
	pub trait Config: frame_system::Config<RuntimeEvent: From<Event<Self>>> {
		/// Holds relay bonds and provider deposits, and slashes bonds.
		type Currency: fungible::Mutate<Self::AccountId>
			+ fungible::MutateHold<Self::AccountId, Reason = Self::RuntimeHoldReason>
			+ fungible::BalancedHold<Self::AccountId>;

		/// The runtime's hold reasons, which include this pallet's [`HoldReason`].
		type RuntimeHoldReason: From<HoldReason>;

		/// Receives slashed bonds (the runtime burns them until the board has a pot).
		type OnSlash: OnUnbalanced<Credit<Self::AccountId, Self::Currency>>;

		/// What a relay still owes elsewhere (settlement's open batches and
		/// contract memberships): its bond is not withdrawn until it owes
		/// nothing, so a penalty proven later always lands.
		type Obligations: ocm_primitives::capacity::RelayObligations;

		/// The board: activates, suspends, reinstates and slashes relays.
		type BoardOrigin: EnsureOrigin<Self::RuntimeOrigin>;

		/// While true, no relay or provider registers: the board's emergency brake.
		type RegistrationsPaused: Get<bool>;

		/// The least bond a relay registers with. Not a metadata constant: the
		/// runtime reads it from the board's market parameters, as it does
		/// `UnbondingPeriod` and `FootprintLimit`.
		type MinRelayBond: Get<BalanceOf<Self>>;

		/// Held from a provider while it is registered, for the storage it uses.
		#[pallet::constant]
		type ProviderDeposit: Get<BalanceOf<Self>>;

		/// Blocks between `leave` and `withdraw_bond`, during which the bond
		/// stays slashable for what the relay did while it served.
		type UnbondingPeriod: Get<BlockNumberFor<Self>>;

		/// A relay that has not sent a heartbeat for this many blocks is left
		/// out of query answers.
		#[pallet::constant]
		type HeartbeatTimeout: Get<BlockNumberFor<Self>>;

		/// Relays one operator may run.
		#[pallet::constant]
		type MaxRelaysPerOperator: Get<u32>;

		/// Footprints one relay may claim: the storage bound. The market's
		/// limit, `FootprintLimit`, may be lower.
		#[pallet::constant]
		type MaxFootprints: Get<u32>;

		/// Footprints one relay may claim now (capped by `MaxFootprints`).
		type FootprintLimit: Get<u32>;

		/// Longest endpoint URL, in bytes.
		#[pallet::constant]
		type MaxUrlLen: Get<u32>;

		/// Largest capacity a relay may claim, in Mbit/s: more is not credible.
		#[pallet::constant]
		type MaxCapacityMbps: Get<Mbps>;

		/// Host names one provider may register.
		#[pallet::constant]
		type MaxHosts: Get<u32>;

		/// Longest provider display name, in bytes.
		#[pallet::constant]
		type MaxNameLen: Get<u32>;

		/// Most relays one query answers with.
		#[pallet::constant]
		type MaxQueryResults: Get<u32>;

		/// Weights of this pallet's calls, from its benchmarks.
		type WeightInfo: WeightInfo;
	}

	/// Why this pallet holds funds.
	#[pallet::composite_enum]
	pub enum HoldReason {
		/// A relay's bond, slashable until it is withdrawn.
		RelayBond,
		/// A content provider's storage deposit.
		ProviderDeposit,
	}

	/// The id the next relay gets.
	#[pallet::storage]
	pub type NextRelayId<T> = StorageValue<_, RelayId, ValueQuery>;

	/// Registered relays.
	#[pallet::storage]
	pub type Relays<T: Config> = StorageMap<_, Twox64Concat, RelayId, RelayInfo<T>>;

	/// The relays each operator runs.
	#[pallet::storage]
	pub type OperatorRelays<T: Config> = StorageMap<
		_,
		Blake2_128Concat,
		T::AccountId,
		BoundedVec<RelayId, T::MaxRelaysPerOperator>,
		ValueQuery,
	>;

	/// Which relay serves at an authority (`host:port`, canonical): its
	/// HTTP endpoint's and its proof-of-bandwidth endpoint's. One relay per
	/// server, so one server cannot prove capacity for several relays.
	#[pallet::storage]
	pub type RelayByAuthority<T: Config> = StorageMap<_, Blake2_128Concat, Url<T>, RelayId>;

	/// Footprint index: relays by IPv4 prefix.
	#[pallet::storage]
	pub type Ipv4Footprints<T> =
		StorageDoubleMap<_, Blake2_128Concat, Ipv4Cidr, Twox64Concat, RelayId, ()>;

	/// Footprint index: relays by IPv6 prefix.
	#[pallet::storage]
	pub type Ipv6Footprints<T> =
		StorageDoubleMap<_, Blake2_128Concat, Ipv6Cidr, Twox64Concat, RelayId, ()>;

	/// Footprint index: relays by ASN.
	#[pallet::storage]
	pub type AsnFootprints<T> =
		StorageDoubleMap<_, Blake2_128Concat, Asn, Twox64Concat, RelayId, ()>;

	/// Footprint index: relays by country.
	#[pallet::storage]
	pub type CountryFootprints<T> =
		StorageDoubleMap<_, Blake2_128Concat, CountryCode, Twox64Concat, RelayId, ()>;

	/// How many indexed prefixes have each (address family, prefix length):
	/// the lengths a longest-prefix match has to probe.
	#[pallet::storage]
	pub type CidrLengthsInUse<T> = StorageDoubleMap<_, Twox64Concat, u8, Twox64Concat, u8, u32>;

	/// Registered content providers.
	#[pallet::storage]
	pub type Providers<T: Config> = StorageMap<_, Blake2_128Concat, T::AccountId, ProviderInfo<T>>;

	/// Which provider a host name belongs to.
	#[pallet::storage]
	pub type HostOwner<T: Config> = StorageMap<_, Blake2_128Concat, HostName, T::AccountId>;

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// A relay registered and waits for proof of bandwidth.
		RelayRegistered {
			relay: RelayId,
			operator: T::AccountId,
			bond: BalanceOf<T>,
		},
		/// A relay's endpoints changed.
		EndpointsUpdated {
			relay: RelayId,
		},
		/// A relay's claims changed; an Active relay is Pending again.
		ClaimsUpdated {
			relay: RelayId,
		},
		/// A relay's operator reported it alive.
		Heartbeat {
			relay: RelayId,
		},
		/// A relay was verified and serves clients.
		RelayActivated {
			relay: RelayId,
			verified_mbps: Mbps,
		},
		/// A verdict updated a relay's verified capacity without changing its status.
		CapacityVerified {
			relay: RelayId,
			verified_mbps: Mbps,
		},
		/// A relay was taken out of service.
		RelaySuspended {
			relay: RelayId,
			by: Suspender,
		},
		/// The board lifted a suspension; the relay waits for proof of bandwidth.
		RelayReinstated {
			relay: RelayId,
		},
		/// Part of a relay's bond was slashed.
		RelaySlashed {
			relay: RelayId,
			amount: BalanceOf<T>,
		},
		/// A relay left service; its bond can be withdrawn from `unbonds_at`.
		RelayLeaving {
			relay: RelayId,
			unbonds_at: BlockNumberFor<T>,
		},
		/// A relay is gone and what was left of its bond released.
		RelayRemoved {
			relay: RelayId,
			released: BalanceOf<T>,
		},
		ProviderRegistered {
			provider: T::AccountId,
		},
		ProviderUpdated {
			provider: T::AccountId,
		},
		ProviderDeregistered {
			provider: T::AccountId,
		},
	}

	#[pallet::error]
	pub enum Error<T> {
		/// No relay has this id.
		RelayNotFound,
		/// The caller does not operate this relay.
		NotOperator,
		/// The operator runs `MaxRelaysPerOperator` relays already.
		TooManyRelays,
		/// Every relay id has been used.
		RelayIdsExhausted,
		/// Another relay serves at this HTTP or proof-of-bandwidth
		/// endpoint's `host:port`.
		DuplicateEndpoint,
		/// A URL is longer than `MaxUrlLen`.
		UrlTooLong,
		/// A URL is not `http://` or `https://` with a host (and a port from
		/// 1 to 65535, if any), in visible ASCII.
		InvalidUrl,
		/// The proof-of-bandwidth endpoint is not on the HTTP endpoint's
		/// host: beacons must measure the server that serves the relay's
		/// viewers.
		PobOffHost,
		/// An AMT relay or multicast source address is not a unicast address.
		InvalidAddress,
		/// The relay claims to run an AMT relay but gives no AMT relay address.
		MissingAmtRelayAddress,
		/// The relay claims to send multicast but gives no multicast source.
		MissingMulticastSource,
		/// A capability bit that OCM does not define.
		UnknownCapability,
		/// Not an assigned ISO 3166-1 alpha-2 country code.
		InvalidCountryCode,
		/// Latitude beyond ±90° or longitude beyond ±180°.
		InvalidCoordinates,
		/// ASN 0, 23456 or 4294967295: reserved, not a network's.
		ReservedAsn,
		/// A relay must claim at least one footprint.
		NoFootprints,
		/// More than `MaxFootprints` footprints.
		TooManyFootprints,
		/// A footprint type other than `ipv4cidr`, `ipv6cidr`, `asn`, `countrycode`.
		UnknownFootprintType,
		/// A footprint value that does not parse as its type.
		MalformedFootprint,
		/// A CIDR prefix longer than 32 (IPv4) or 128 (IPv6) bits.
		CidrPrefixTooLong,
		/// A CIDR with bits set after its prefix, such as `10.1.2.3/8`.
		CidrHostBitsSet,
		/// The same footprint twice.
		DuplicateFootprint,
		/// A capacity of zero.
		ZeroCapacity,
		/// A capacity above `MaxCapacityMbps`.
		CapacityTooHigh,
		/// A footprint's capacity above the relay's overall capacity.
		FootprintCapacityExceedsTotal,
		/// The bond is below `MinRelayBond`.
		BondTooLow,
		/// The account cannot cover the bond or deposit.
		InsufficientFunds,
		/// The relay is leaving and takes no more updates or verdicts.
		RelayLeaving,
		/// The relay is already leaving.
		AlreadyLeaving,
		/// The relay has not called `leave`.
		NotLeaving,
		/// The unbonding period has not passed yet.
		UnbondingNotFinished,
		/// The relay still has open batches or contract memberships: they
		/// settle (or it leaves them) before its bond is released.
		ObligationsOpen,
		/// The relay is not suspended.
		NotSuspended,
		/// The account is a registered provider already.
		ProviderAlreadyRegistered,
		/// The account is not a registered provider.
		ProviderNotFound,
		/// A provider needs a display name.
		EmptyName,
		/// A display name longer than `MaxNameLen`.
		NameTooLong,
		/// A display name that is not UTF-8 or has control characters.
		InvalidName,
		/// A provider needs at least one host name.
		NoHosts,
		/// More than `MaxHosts` host names.
		TooManyHosts,
		/// A host name longer than 253 bytes.
		HostNameTooLong,
		/// Not a DNS host name with two or more labels of letters, digits and hyphens.
		InvalidHostName,
		/// The same host name twice.
		DuplicateHost,
		/// Another provider registered this host name.
		HostTaken,
		/// The board has paused new registrations.
		RegistrationsPaused,
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		#[cfg(feature = "try-runtime")]
		fn try_state(_: BlockNumberFor<T>) -> Result<(), sp_runtime::TryRuntimeError> {
			Self::do_try_state()
		}
	}

	#[pallet::call(weight(<T as Config>::WeightInfo))]
	impl<T: Config> Pallet<T> {
		/// Registers a relay operated by the caller, holding `bond` from it.
		/// The relay starts Pending: it serves once proof of bandwidth verifies it.
		#[pallet::call_index(0)]
		#[pallet::weight(T::WeightInfo::register_relay(
			(registration.claims.footprints.len() as u32).min(T::MaxFootprints::get())
		))]
		pub fn register_relay(
			origin: OriginFor<T>,
			registration: RelayRegistration,
			bond: BalanceOf<T>,
		) -> DispatchResult {
			let operator = ensure_signed(origin)?;
			Self::do_register_relay(operator, registration, bond)?;
			Ok(())
		}

		/// Changes how the relay is reached. Claims and status are unchanged.
		#[pallet::call_index(1)]
		pub fn update_endpoints(
			origin: OriginFor<T>,
			relay: RelayId,
			endpoints: EndpointsInput,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_update_endpoints(who, relay, endpoints)
		}

		/// Replaces the relay's claims (location, capacities, footprints,
		/// capabilities). An Active relay goes back to Pending until proof of
		/// bandwidth verifies the new claims.
		#[pallet::call_index(2)]
		#[pallet::weight(T::WeightInfo::update_claims(
			(claims.footprints.len() as u32).min(T::MaxFootprints::get())
		))]
		pub fn update_claims(
			origin: OriginFor<T>,
			relay: RelayId,
			claims: ClaimsInput,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_update_claims(who, relay, claims)
		}

		/// Reports the relay alive; relays silent for `HeartbeatTimeout` blocks
		/// are left out of query answers.
		#[pallet::call_index(3)]
		pub fn heartbeat(origin: OriginFor<T>, relay: RelayId) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_heartbeat(who, relay)
		}

		/// Takes the relay out of service and starts its unbonding period.
		#[pallet::call_index(4)]
		pub fn leave(origin: OriginFor<T>, relay: RelayId) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_leave(who, relay)
		}

		/// After the unbonding period: releases the bond and removes the relay.
		#[pallet::call_index(5)]
		#[pallet::weight(T::WeightInfo::withdraw_bond(T::MaxFootprints::get()))]
		pub fn withdraw_bond(origin: OriginFor<T>, relay: RelayId) -> DispatchResultWithPostInfo {
			let who = ensure_signed(origin)?;
			let footprints = Self::do_withdraw_bond(who, relay)?;
			Ok(Some(T::WeightInfo::withdraw_bond(footprints)).into())
		}

		/// Registers the caller as a content provider serving `hosts`, holding
		/// `ProviderDeposit` from it.
		#[pallet::call_index(6)]
		#[pallet::weight(T::WeightInfo::register_provider(
			(hosts.len() as u32).min(T::MaxHosts::get())
		))]
		pub fn register_provider(
			origin: OriginFor<T>,
			name: Vec<u8>,
			hosts: Vec<Vec<u8>>,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_register_provider(who, name, hosts)
		}

		/// Replaces the caller's display name and host names.
		#[pallet::call_index(7)]
		#[pallet::weight(T::WeightInfo::update_provider(
			(hosts.len() as u32).min(T::MaxHosts::get())
		))]
		pub fn update_provider(
			origin: OriginFor<T>,
			name: Vec<u8>,
			hosts: Vec<Vec<u8>>,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_update_provider(who, name, hosts)
		}

		/// Frees the caller's host names and releases its deposit.
		#[pallet::call_index(8)]
		#[pallet::weight(T::WeightInfo::deregister_provider(T::MaxHosts::get()))]
		pub fn deregister_provider(origin: OriginFor<T>) -> DispatchResultWithPostInfo {
			let who = ensure_signed(origin)?;
			let hosts = Self::do_deregister_provider(who)?;
			Ok(Some(T::WeightInfo::deregister_provider(hosts)).into())
		}

		/// Board: vouches for a relay's capacity and activates it (before
		/// there are beacons, or to overrule a verdict).
		#[pallet::call_index(9)]
		pub fn activate_relay(
			origin: OriginFor<T>,
			relay: RelayId,
			verified_mbps: Mbps,
		) -> DispatchResult {
			T::BoardOrigin::ensure_origin(origin)?;
			Self::do_board_activate(relay, verified_mbps)
		}

		/// Board: takes a relay out of service until the board reinstates it.
		#[pallet::call_index(10)]
		pub fn suspend_relay(origin: OriginFor<T>, relay: RelayId) -> DispatchResult {
			T::BoardOrigin::ensure_origin(origin)?;
			Self::do_suspend(relay, Suspender::Board)
		}

		/// Board: lifts a suspension; the relay waits for proof of bandwidth.
		#[pallet::call_index(11)]
		pub fn reinstate_relay(origin: OriginFor<T>, relay: RelayId) -> DispatchResult {
			T::BoardOrigin::ensure_origin(origin)?;
			Self::do_reinstate(relay)
		}

		/// Board: slashes `fraction` of a relay's remaining bond.
		#[pallet::call_index(12)]
		pub fn slash_relay(
			origin: OriginFor<T>,
			relay: RelayId,
			fraction: Perbill,
		) -> DispatchResult {
			T::BoardOrigin::ensure_origin(origin)?;
			Self::do_slash(relay, fraction).map(|_| ())
		}
	}

	impl<T: Config> Pallet<T> {
		/// Checks that every index agrees with the relay and provider records,
		/// and that held balances match the recorded bonds and deposits.
		#[cfg(any(feature = "try-runtime", test))]
		pub fn do_try_state() -> Result<(), sp_runtime::TryRuntimeError> {
			crate::features::try_state::check::<T>()
		}
	}
}
