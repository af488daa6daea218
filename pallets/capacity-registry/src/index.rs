//! The footprint index: for every footprint of every registered relay, one
//! entry keyed by the footprint, so that "which relays serve this client" reads
//! only the entries that contain the client, however many relays serve
//! elsewhere.
//!
//! CIDR prefixes are keyed by (length, masked prefix). A client address is
//! matched by probing, for each prefix length in use (counted in
//! [`crate::CidrLengthsInUse`]), the one prefix of that length that contains
//! it: at most 33 (IPv4) or 129 (IPv6) probes, longest first.

use crate::{
	AsnFootprints, CidrLengthsInUse, Config, CountryFootprints, Ipv4Footprints, Ipv6Footprints,
	Pallet,
};
use alloc::{collections::btree_map::BTreeMap, vec::Vec};
use ocm_primitives::{
	capacity::RelayId,
	footprint::{Footprint, IpAddress, Ipv4Cidr, Ipv6Cidr},
};

/// The address family of a CIDR footprint, the first key of [`CidrLengthsInUse`].
pub const IPV4: u8 = 4;
pub const IPV6: u8 = 6;

impl<T: Config> Pallet<T> {
	pub(crate) fn index_footprint(relay: RelayId, footprint: &Footprint) {
		match footprint {
			Footprint::Ipv4Cidr(c) => {
				Ipv4Footprints::<T>::insert(c, relay, ());
				Self::count_length(IPV4, c.len, true);
			}
			Footprint::Ipv6Cidr(c) => {
				Ipv6Footprints::<T>::insert(c, relay, ());
				Self::count_length(IPV6, c.len, true);
			}
			Footprint::Asn(a) => AsnFootprints::<T>::insert(a, relay, ()),
			Footprint::CountryCode(c) => CountryFootprints::<T>::insert(c, relay, ()),
		}
	}

	pub(crate) fn unindex_footprint(relay: RelayId, footprint: &Footprint) {
		match footprint {
			Footprint::Ipv4Cidr(c) => {
				Ipv4Footprints::<T>::remove(c, relay);
				Self::count_length(IPV4, c.len, false);
			}
			Footprint::Ipv6Cidr(c) => {
				Ipv6Footprints::<T>::remove(c, relay);
				Self::count_length(IPV6, c.len, false);
			}
			Footprint::Asn(a) => AsnFootprints::<T>::remove(a, relay),
			Footprint::CountryCode(c) => CountryFootprints::<T>::remove(c, relay),
		}
	}

	/// Keeps a count per (family, length); a length leaves the map with its last prefix.
	fn count_length(family: u8, len: u8, added: bool) {
		CidrLengthsInUse::<T>::mutate_exists(family, len, |count| {
			let next = if added {
				count.unwrap_or(0).saturating_add(1)
			} else {
				count.unwrap_or(0).saturating_sub(1)
			};
			*count = (next > 0).then_some(next);
		});
	}

	/// Prefix lengths in use for `family`, longest first.
	fn lengths_in_use(family: u8) -> Vec<u8> {
		let mut lengths: Vec<u8> = CidrLengthsInUse::<T>::iter_key_prefix(family).collect();
		lengths.sort_unstable_by(|a, b| b.cmp(a));
		lengths
	}

	/// Every relay with a footprint that contains `address`, with its most
	/// specific such footprint (longest prefix match).
	pub(crate) fn relays_containing(address: IpAddress) -> BTreeMap<RelayId, Footprint> {
		let mut found = BTreeMap::new();
		match address {
			IpAddress::V4(octets) => {
				for len in Self::lengths_in_use(IPV4) {
					let prefix = Ipv4Cidr::containing(octets, len);
					for relay in Ipv4Footprints::<T>::iter_key_prefix(prefix) {
						found.entry(relay).or_insert(Footprint::Ipv4Cidr(prefix));
					}
				}
			}
			IpAddress::V6(octets) => {
				for len in Self::lengths_in_use(IPV6) {
					let prefix = Ipv6Cidr::containing(octets, len);
					for relay in Ipv6Footprints::<T>::iter_key_prefix(prefix) {
						found.entry(relay).or_insert(Footprint::Ipv6Cidr(prefix));
					}
				}
			}
		}
		found
	}
}
