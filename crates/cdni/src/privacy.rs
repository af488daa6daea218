//! Client addresses never reach a log: a record carries the client's
//! network, IPv4 truncated to its /24 and IPv6 to its /48, as `c-groupid`.
//! RFC 7937 §3.4.1 asks for an aggregate that holds more than one client;
//! a /24 or /48 is the customer or access network, which is what a
//! provider needs to see where its audience is, and what GDPR guidance on
//! analytics (and Google Analytics' own IP truncation) treats as no longer
//! identifying a person.

use alloc::string::String;
use core::net::IpAddr;

/// Prefix lengths kept of a client address.
pub const IPV4_PREFIX: u8 = 24;
pub const IPV6_PREFIX: u8 = 48;

/// The `c-groupid` for a client: its truncated network in CIDR notation.
/// IPv4-mapped IPv6 addresses are treated as the IPv4 address they carry.
pub fn client_group(addr: IpAddr) -> String {
	match addr {
		IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
			Some(v4) => client_group(IpAddr::V4(v4)),
			None => {
				let mut o = v6.octets();
				o[usize::from(IPV6_PREFIX / 8)..].fill(0);
				alloc::format!("{}/{IPV6_PREFIX}", core::net::Ipv6Addr::from(o))
			}
		},
		IpAddr::V4(v4) => {
			let mut o = v4.octets();
			o[usize::from(IPV4_PREFIX / 8)..].fill(0);
			alloc::format!("{}/{IPV4_PREFIX}", core::net::Ipv4Addr::from(o))
		}
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn addresses_are_truncated_to_their_network() {
		let group = |s: &str| client_group(s.parse().unwrap());
		assert_eq!(group("198.51.100.77"), "198.51.100.0/24");
		assert_eq!(group("::ffff:198.51.100.77"), "198.51.100.0/24");
		assert_eq!(group("2001:db8:abcd:12:3456::1"), "2001:db8:abcd::/48");
		assert_eq!(group("127.0.0.1"), "127.0.0.0/24");
		// Two clients of one network share a group; the host part is gone.
		assert_eq!(group("203.0.113.1"), group("203.0.113.254"));
		assert!(!group("203.0.113.9").contains(".9/"));
	}
}
