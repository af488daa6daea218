//! The multicast datagrams that Multicast Data messages carry: whole IP
//! packets with their UDP header. A relay receives the payload from its
//! socket and rebuilds the packet; a gateway takes it apart again.

use crate::checksum;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

/// A datagram taken out of a Multicast Data message.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Datagram<'a> {
	pub source: SocketAddr,
	pub group: SocketAddr,
	pub payload: &'a [u8],
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum DatagramError {
	Truncated,
	IpVersion,
	IpHeaderChecksum,
	NotUdp,
	UdpLength,
	UdpChecksum,
	/// Fragments cannot be checked or delivered on their own.
	Fragment,
	/// The destination is not a multicast address.
	NotMulticast,
	/// Source and group of different families.
	MixedFamilies,
	/// A payload too long for one UDP datagram.
	TooLong,
}

impl core::fmt::Display for DatagramError {
	fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
		write!(f, "multicast datagram: {self:?}")
	}
}

impl std::error::Error for DatagramError {}

const UDP: u8 = 17;

/// The IP packet for `payload` sent from `source` to `group`, TTL 64.
pub fn encode(
	source: SocketAddr,
	group: SocketAddr,
	payload: &[u8],
) -> Result<Vec<u8>, DatagramError> {
	let mut packet = Vec::with_capacity(48 + payload.len());
	encode_into(&mut packet, source, group, payload)?;
	Ok(packet)
}

/// Appends that packet to `out` (after a Multicast Data header, say),
/// leaving `out` as it was on error.
pub fn encode_into(
	out: &mut Vec<u8>,
	source: SocketAddr,
	group: SocketAddr,
	payload: &[u8],
) -> Result<(), DatagramError> {
	if !group.ip().is_multicast() {
		return Err(DatagramError::NotMulticast);
	}
	let udp_len = u16::try_from(8 + payload.len()).map_err(|_| DatagramError::TooLong)?;
	let start = out.len();
	match (source.ip(), group.ip()) {
		(IpAddr::V4(src), IpAddr::V4(dst)) => {
			let total = udp_len.checked_add(20).ok_or(DatagramError::TooLong)?;
			out.extend_from_slice(&[0x45, 0]);
			out.extend_from_slice(&total.to_be_bytes());
			// DF set: never fragmented on the way.
			out.extend_from_slice(&[0, 0, 0x40, 0, 64, UDP, 0, 0]);
			out.extend_from_slice(&src.octets());
			out.extend_from_slice(&dst.octets());
			let sum = checksum::of(&out[start..]);
			out[start + 10..start + 12].copy_from_slice(&sum.to_be_bytes());
		}
		(IpAddr::V6(src), IpAddr::V6(dst)) => {
			out.extend_from_slice(&[0x60, 0, 0, 0]);
			out.extend_from_slice(&udp_len.to_be_bytes());
			out.extend_from_slice(&[UDP, 64]);
			out.extend_from_slice(&src.octets());
			out.extend_from_slice(&dst.octets());
		}
		_ => return Err(DatagramError::MixedFamilies),
	}
	let udp = out.len();
	out.extend_from_slice(&source.port().to_be_bytes());
	out.extend_from_slice(&group.port().to_be_bytes());
	out.extend_from_slice(&udp_len.to_be_bytes());
	out.extend_from_slice(&[0, 0]);
	out.extend_from_slice(payload);
	// Same families and a length that fits: always a sum.
	let pseudo =
		checksum::pseudo_header(source.ip(), group.ip(), UDP, usize::from(udp_len)).unwrap_or(0);
	let mut sum = checksum::finish(checksum::add(pseudo, &out[udp..]));
	if sum == 0 {
		// Zero means "no checksum" on the wire (RFC 768).
		sum = 0xffff;
	}
	out[udp + 6..udp + 8].copy_from_slice(&sum.to_be_bytes());
	Ok(())
}

/// Takes a multicast UDP datagram apart, checking its lengths and checksums.
pub fn decode(packet: &[u8]) -> Result<Datagram<'_>, DatagramError> {
	let version = packet.first().ok_or(DatagramError::Truncated)? >> 4;
	let (source, group, udp) = match version {
		4 => {
			let header_len = usize::from(packet[0] & 0x0f) * 4;
			if header_len < 20 || packet.len() < header_len {
				return Err(DatagramError::Truncated);
			}
			let total = usize::from(u16::from_be_bytes([packet[2], packet[3]]));
			if total < header_len || packet.len() < total {
				return Err(DatagramError::Truncated);
			}
			if checksum::of(&packet[..header_len]) != 0 {
				return Err(DatagramError::IpHeaderChecksum);
			}
			// More-fragments set, or a fragment offset.
			if u16::from_be_bytes([packet[6], packet[7]]) & 0x3fff != 0 {
				return Err(DatagramError::Fragment);
			}
			if packet[9] != UDP {
				return Err(DatagramError::NotUdp);
			}
			let src = Ipv4Addr::new(packet[12], packet[13], packet[14], packet[15]);
			let dst = Ipv4Addr::new(packet[16], packet[17], packet[18], packet[19]);
			(IpAddr::V4(src), IpAddr::V4(dst), &packet[header_len..total])
		}
		6 => {
			if packet.len() < 40 {
				return Err(DatagramError::Truncated);
			}
			let total = 40 + usize::from(u16::from_be_bytes([packet[4], packet[5]]));
			if packet.len() < total {
				return Err(DatagramError::Truncated);
			}
			// Extension headers are not followed: the relays send none.
			if packet[6] != UDP {
				return Err(DatagramError::NotUdp);
			}
			let mut src = [0; 16];
			src.copy_from_slice(&packet[8..24]);
			let mut dst = [0; 16];
			dst.copy_from_slice(&packet[24..40]);
			(IpAddr::V6(Ipv6Addr::from(src)), IpAddr::V6(Ipv6Addr::from(dst)), &packet[40..total])
		}
		_ => return Err(DatagramError::IpVersion),
	};
	if udp.len() < 8 {
		return Err(DatagramError::Truncated);
	}
	if usize::from(u16::from_be_bytes([udp[4], udp[5]])) != udp.len() {
		return Err(DatagramError::UdpLength);
	}
	let no_checksum = udp[6..8] == [0, 0];
	// Same families, and the length came from a 16-bit field: always a sum.
	let pseudo = checksum::pseudo_header(source, group, UDP, udp.len()).unwrap_or(0);
	if !(no_checksum && source.is_ipv4()) && checksum::finish(checksum::add(pseudo, udp)) != 0 {
		return Err(DatagramError::UdpChecksum);
	}
	if !group.is_multicast() {
		return Err(DatagramError::NotMulticast);
	}
	Ok(Datagram {
		source: SocketAddr::new(source, u16::from_be_bytes([udp[0], udp[1]])),
		group: SocketAddr::new(group, u16::from_be_bytes([udp[2], udp[3]])),
		payload: &udp[8..],
	})
}
