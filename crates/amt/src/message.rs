//! The seven AMT messages (RFC 7450 §5.1), decoded without copying and
//! encoded byte for byte as the RFC draws them. Where published
//! implementations disagree on a flag, the RFC's text decides: `P` is the
//! lowest bit of the Request's second octet and set asks for MLDv2;
//! `L` and `G` are the Membership Query's two lowest bits of that octet.

use crate::membership::ip_packet_length;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

/// The IANA-assigned UDP port of AMT relays.
pub const PORT: u16 = 2268;

/// The 48-bit response MAC a relay puts in its queries (§5.3.5).
pub type Mac = [u8; 6];

const DISCOVERY: u8 = 1;
const ADVERTISEMENT: u8 = 2;
const REQUEST: u8 = 3;
const QUERY: u8 = 4;
const UPDATE: u8 = 5;
const DATA: u8 = 6;
const TEARDOWN: u8 = 7;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Message<'a> {
	/// Type 1: a gateway looks for a relay.
	RelayDiscovery { nonce: u32 },
	/// Type 2: a relay's answer, with the address to send Requests to.
	RelayAdvertisement { nonce: u32, relay: IpAddr },
	/// Type 3: a gateway opens the three-way handshake; `mld` is the P flag.
	Request { nonce: u32, mld: bool },
	/// Type 4: the relay's general query, with the MAC the gateway echoes.
	/// `limited` (L): the relay takes no new gateways. `gateway` (G): the
	/// gateway's address as the relay saw it, for Teardown behind NAT.
	MembershipQuery {
		limited: bool,
		mac: Mac,
		nonce: u32,
		query: &'a [u8],
		gateway: Option<SocketAddr>,
	},
	/// Type 5: an IGMP or MLD report (or leave) from the gateway.
	MembershipUpdate { mac: Mac, nonce: u32, report: &'a [u8] },
	/// Type 6: one multicast IP datagram (with its IP and UDP headers).
	MulticastData { packet: &'a [u8] },
	/// Type 7: the gateway ends the tunnel it had from `gateway`.
	Teardown { mac: Mac, nonce: u32, gateway: SocketAddr },
}

/// Why a datagram is not an AMT message.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum DecodeError {
	/// Shorter than its type's fixed fields.
	Truncated,
	/// Longer than its type allows, or an encapsulated packet's own length
	/// disagrees with what is left of the datagram.
	Length,
	Version(u8),
	Type(u8),
	/// An encapsulated packet that is not IPv4 or IPv6.
	Encapsulated,
}

impl core::fmt::Display for DecodeError {
	fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
		match self {
			Self::Truncated => write!(f, "truncated AMT message"),
			Self::Length => write!(f, "AMT message length does not match its contents"),
			Self::Version(v) => write!(f, "AMT version {v}, not 0"),
			Self::Type(t) => write!(f, "unknown AMT message type {t}"),
			Self::Encapsulated => write!(f, "encapsulated packet is not IPv4 or IPv6"),
		}
	}
}

impl std::error::Error for DecodeError {}

impl<'a> Message<'a> {
	/// Decodes one UDP payload.
	pub fn decode(bytes: &'a [u8]) -> Result<Self, DecodeError> {
		let first = *bytes.first().ok_or(DecodeError::Truncated)?;
		if first >> 4 != 0 {
			return Err(DecodeError::Version(first >> 4));
		}
		let u32_at = |at: usize| -> Result<u32, DecodeError> {
			let b = bytes.get(at..at + 4).ok_or(DecodeError::Truncated)?;
			Ok(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
		};
		let mac_at = |at: usize| -> Result<Mac, DecodeError> {
			let b = bytes.get(at..at + 6).ok_or(DecodeError::Truncated)?;
			Ok([b[0], b[1], b[2], b[3], b[4], b[5]])
		};
		let exactly = |len: usize| match bytes.len().cmp(&len) {
			core::cmp::Ordering::Less => Err(DecodeError::Truncated),
			core::cmp::Ordering::Greater => Err(DecodeError::Length),
			core::cmp::Ordering::Equal => Ok(()),
		};
		match first & 0x0f {
			DISCOVERY => {
				exactly(8)?;
				Ok(Self::RelayDiscovery { nonce: u32_at(4)? })
			}
			ADVERTISEMENT => {
				let relay = match bytes.len() {
					12 => IpAddr::V4(Ipv4Addr::from(u32_at(8)?)),
					24 => IpAddr::V6(Ipv6Addr::from(array16(&bytes[8..24]))),
					n if n < 12 => return Err(DecodeError::Truncated),
					_ => return Err(DecodeError::Length),
				};
				Ok(Self::RelayAdvertisement { nonce: u32_at(4)?, relay })
			}
			REQUEST => {
				exactly(8)?;
				Ok(Self::Request { nonce: u32_at(4)?, mld: bytes[1] & 0x01 != 0 })
			}
			QUERY => {
				let (mac, nonce) = (mac_at(2)?, u32_at(8)?);
				let flags = bytes[1];
				let rest = &bytes[12..];
				let ip_len = ip_packet_length(rest).ok_or(if rest.len() < 6 {
					DecodeError::Truncated
				} else {
					DecodeError::Encapsulated
				})?;
				let with_gateway = flags & 0x01 != 0;
				let expected = ip_len + if with_gateway { 18 } else { 0 };
				if rest.len() != expected {
					return Err(if rest.len() < expected {
						DecodeError::Truncated
					} else {
						DecodeError::Length
					});
				}
				let gateway = with_gateway.then(|| gateway_at(&rest[ip_len..]));
				Ok(Self::MembershipQuery {
					limited: flags & 0x02 != 0,
					mac,
					nonce,
					query: &rest[..ip_len],
					gateway,
				})
			}
			UPDATE => {
				let (mac, nonce) = (mac_at(2)?, u32_at(8)?);
				let report = encapsulated(&bytes[12..])?;
				Ok(Self::MembershipUpdate { mac, nonce, report })
			}
			DATA => {
				let packet = encapsulated(bytes.get(2..).ok_or(DecodeError::Truncated)?)?;
				Ok(Self::MulticastData { packet })
			}
			TEARDOWN => {
				exactly(30)?;
				Ok(Self::Teardown {
					mac: mac_at(2)?,
					nonce: u32_at(8)?,
					gateway: gateway_at(&bytes[12..]),
				})
			}
			other => Err(DecodeError::Type(other)),
		}
	}

	/// Appends the message's bytes to `out`.
	pub fn encode_into(&self, out: &mut Vec<u8>) {
		match *self {
			Self::RelayDiscovery { nonce } => {
				out.extend_from_slice(&[DISCOVERY, 0, 0, 0]);
				out.extend_from_slice(&nonce.to_be_bytes());
			}
			Self::RelayAdvertisement { nonce, relay } => {
				out.extend_from_slice(&[ADVERTISEMENT, 0, 0, 0]);
				out.extend_from_slice(&nonce.to_be_bytes());
				match relay {
					IpAddr::V4(a) => out.extend_from_slice(&a.octets()),
					IpAddr::V6(a) => out.extend_from_slice(&a.octets()),
				}
			}
			Self::Request { nonce, mld } => {
				out.extend_from_slice(&[REQUEST, u8::from(mld), 0, 0]);
				out.extend_from_slice(&nonce.to_be_bytes());
			}
			Self::MembershipQuery { limited, mac, nonce, query, gateway } => {
				out.extend_from_slice(&[
					QUERY,
					(u8::from(limited) << 1) | u8::from(gateway.is_some()),
				]);
				out.extend_from_slice(&mac);
				out.extend_from_slice(&nonce.to_be_bytes());
				out.extend_from_slice(query);
				if let Some(gateway) = gateway {
					push_gateway(out, gateway);
				}
			}
			Self::MembershipUpdate { mac, nonce, report } => {
				out.extend_from_slice(&[UPDATE, 0]);
				out.extend_from_slice(&mac);
				out.extend_from_slice(&nonce.to_be_bytes());
				out.extend_from_slice(report);
			}
			Self::MulticastData { packet } => {
				out.extend_from_slice(&[DATA, 0]);
				out.extend_from_slice(packet);
			}
			Self::Teardown { mac, nonce, gateway } => {
				out.extend_from_slice(&[TEARDOWN, 0]);
				out.extend_from_slice(&mac);
				out.extend_from_slice(&nonce.to_be_bytes());
				push_gateway(out, gateway);
			}
		}
	}

	pub fn encode(&self) -> Vec<u8> {
		let mut out = Vec::new();
		self.encode_into(&mut out);
		out
	}
}

/// An encapsulated IP packet filling the rest of the message exactly.
fn encapsulated(rest: &[u8]) -> Result<&[u8], DecodeError> {
	let len = ip_packet_length(rest).ok_or(if rest.len() < 6 {
		DecodeError::Truncated
	} else {
		DecodeError::Encapsulated
	})?;
	match rest.len().cmp(&len) {
		core::cmp::Ordering::Less => Err(DecodeError::Truncated),
		core::cmp::Ordering::Greater => Err(DecodeError::Length),
		core::cmp::Ordering::Equal => Ok(rest),
	}
}

fn array16(bytes: &[u8]) -> [u8; 16] {
	let mut out = [0; 16];
	out.copy_from_slice(&bytes[..16]);
	out
}

/// Port, then a 16-byte address: IPv4 as an IPv4-compatible IPv6 address
/// (96 zero bits, then the IPv4 address), as §5.1.4.6 says.
fn gateway_at(bytes: &[u8]) -> SocketAddr {
	let port = u16::from_be_bytes([bytes[0], bytes[1]]);
	let address = array16(&bytes[2..18]);
	let ip = if address[..12] == [0; 12] {
		IpAddr::V4(Ipv4Addr::new(address[12], address[13], address[14], address[15]))
	} else {
		IpAddr::V6(Ipv6Addr::from(address))
	};
	SocketAddr::new(ip, port)
}

fn push_gateway(out: &mut Vec<u8>, gateway: SocketAddr) {
	out.extend_from_slice(&gateway.port().to_be_bytes());
	match gateway.ip() {
		IpAddr::V4(a) => {
			out.extend_from_slice(&[0; 12]);
			out.extend_from_slice(&a.octets());
		}
		IpAddr::V6(a) => out.extend_from_slice(&a.octets()),
	}
}
