//! The Internet checksum (RFC 1071): IPv4 headers, IGMP, and ICMPv6 with
//! its pseudo-header.

use std::net::IpAddr;

/// Adds `bytes` as big-endian 16-bit words to a running one's-complement sum.
pub fn add(mut sum: u32, bytes: &[u8]) -> u32 {
	let mut words = bytes.chunks_exact(2);
	for word in &mut words {
		sum += u32::from(u16::from_be_bytes([word[0], word[1]]));
	}
	if let [last] = words.remainder() {
		sum += u32::from(*last) << 8;
	}
	// Folded as it goes, so no input length can overflow it.
	(sum & 0xffff) + (sum >> 16)
}

/// The checksum field's value for a running sum.
pub fn finish(mut sum: u32) -> u16 {
	while sum > 0xffff {
		sum = (sum & 0xffff) + (sum >> 16);
	}
	!(sum as u16)
}

/// The running sum of the pseudo-header that UDP and ICMPv6 checksums
/// cover (RFC 768, RFC 8200 §8.1): both addresses, the protocol (next
/// header) and the upper-layer length. `None` for mixed families.
pub fn pseudo_header(
	source: IpAddr,
	destination: IpAddr,
	protocol: u8,
	length: usize,
) -> Option<u32> {
	let length = u32::try_from(length).ok()?;
	match (source, destination) {
		(IpAddr::V4(s), IpAddr::V4(d)) => {
			let sum = add(add(0, &s.octets()), &d.octets());
			Some(add(add(sum, &[0, protocol]), &u16::try_from(length).ok()?.to_be_bytes()))
		}
		(IpAddr::V6(s), IpAddr::V6(d)) => {
			let sum = add(add(0, &s.octets()), &d.octets());
			Some(add(add(sum, &length.to_be_bytes()), &[0, 0, 0, protocol]))
		}
		_ => None,
	}
}

/// The checksum of `bytes` alone.
pub fn of(bytes: &[u8]) -> u16 {
	finish(add(0, bytes))
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn rfc1071_example() {
		// RFC 1071 §3: the words 0001 f203 f4f5 f6f7 sum to ddf2.
		let bytes = [0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7];
		assert_eq!(finish(add(0, &bytes)), !0xddf2);
		// A buffer holding its own checksum sums to zero.
		let mut with = bytes.to_vec();
		with.extend_from_slice(&of(&bytes).to_be_bytes());
		assert_eq!(of(&with), 0);
	}

	#[test]
	fn odd_lengths_pad_with_zero() {
		assert_eq!(of(&[0xab]), of(&[0xab, 0x00]));
	}
}
