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
	if !group.ip().is_multicast() {
		return Err(DatagramError::NotMulticast);
	}
	let udp_len = 8 + payload.len();
	match (source.ip(), group.ip()) {
		(IpAddr::V4(src), IpAddr::V4(dst)) => {
			let total = u16::try_from(20 + udp_len).map_err(|_| DatagramError::TooLong)?;
			let mut packet = Vec::with_capacity(usize::from(total));
			packet.extend_from_slice(&[0x45, 0]);
			packet.extend_from_slice(&total.to_be_bytes());
			// DF set: never fragmented on the way.
			packet.extend_from_slice(&[0, 0, 0x40, 0, 64, UDP, 0, 0]);
			packet.extend_from_slice(&src.octets());
			packet.extend_from_slice(&dst.octets());
			let sum = checksum::of(&packet);
			packet[10..12].copy_from_slice(&sum.to_be_bytes());
			let pseudo = checksum::add(
				checksum::add(checksum::add(0, &src.octets()), &dst.octets()),
				&[0, UDP, (udp_len >> 8) as u8, udp_len as u8],
			);
			push_udp(&mut packet, pseudo, source.port(), group.port(), payload);
			Ok(packet)
		}
		(IpAddr::V6(src), IpAddr::V6(dst)) => {
			let udp_len16 = u16::try_from(udp_len).map_err(|_| DatagramError::TooLong)?;
			let mut packet = Vec::with_capacity(40 + udp_len);
			packet.extend_from_slice(&[0x60, 0, 0, 0]);
			packet.extend_from_slice(&udp_len16.to_be_bytes());
			packet.extend_from_slice(&[UDP, 64]);
			packet.extend_from_slice(&src.octets());
			packet.extend_from_slice(&dst.octets());
			let pseudo = checksum::add(
				checksum::add(checksum::add(0, &src.octets()), &dst.octets()),
				&[0, 0, (udp_len >> 8) as u8, udp_len as u8, 0, 0, 0, UDP],
			);
			push_udp(&mut packet, pseudo, source.port(), group.port(), payload);
			Ok(packet)
		}
		_ => Err(DatagramError::MixedFamilies),
	}
}

fn push_udp(packet: &mut Vec<u8>, pseudo: u32, from: u16, to: u16, payload: &[u8]) {
	let start = packet.len();
	let len = (8 + payload.len()) as u16;
	packet.extend_from_slice(&from.to_be_bytes());
	packet.extend_from_slice(&to.to_be_bytes());
	packet.extend_from_slice(&len.to_be_bytes());
	packet.extend_from_slice(&[0, 0]);
	packet.extend_from_slice(payload);
	let mut sum = checksum::finish(checksum::add(pseudo, &packet[start..]));
	if sum == 0 {
		// Zero means "no checksum" on the wire (RFC 768).
		sum = 0xffff;
	}
	packet[start + 6..start + 8].copy_from_slice(&sum.to_be_bytes());
}

/// Takes a multicast UDP datagram apart, checking its lengths and checksums.
pub fn decode(packet: &[u8]) -> Result<Datagram<'_>, DatagramError> {
	let version = packet.first().ok_or(DatagramError::Truncated)? >> 4;
	let (source, group, pseudo, udp) = match version {
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
			let udp = &packet[header_len..total];
			let pseudo = checksum::add(
				checksum::add(checksum::add(0, &src.octets()), &dst.octets()),
				&[0, UDP, (udp.len() >> 8) as u8, udp.len() as u8],
			);
			(IpAddr::V4(src), IpAddr::V4(dst), pseudo, udp)
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
			let udp = &packet[40..total];
			let len = udp.len() as u32;
			let pseudo = checksum::add(
				checksum::add(checksum::add(0, &src), &dst),
				&[(len >> 24) as u8, (len >> 16) as u8, (len >> 8) as u8, len as u8, 0, 0, 0, UDP],
			);
			(IpAddr::V6(Ipv6Addr::from(src)), IpAddr::V6(Ipv6Addr::from(dst)), pseudo, udp)
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
