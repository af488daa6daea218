//! ALC packets (RFC 5775): the LCT header (RFC 5651 §5.1) with the
//! extensions FLUTE uses, then the RaptorQ FEC Payload ID (RFC 6330 §3.2)
//! and one encoding symbol.
//!
//! Sent: LCT version 1, no congestion control information beyond the
//! 32-bit CCI (C = 0), 32-bit TSI and TOI (S = 1, O = 1, H = 0), PSI and
//! reserved bits zero, the codepoint 6 (the FEC encoding ID, as Wireshark
//! reads it). Decoded: any TSI and TOI length up to 64 bits, any
//! extensions (unknown ones skipped), every length checked.

use crate::oti::{Oti, OtiError};

/// FEC Encoding ID of RaptorQ (RFC 6330 §3.1), sent as the codepoint.
pub const RAPTORQ: u8 = 6;
/// LCT header extension types (RFC 5651 §9, RFC 6726 §3.4.1, RFC 5775).
const EXT_FTI: u8 = 64;
const EXT_FDT: u8 = 192;
const EXT_CENC: u8 = 193;
/// FLUTE version of RFC 6726, carried in EXT_FDT.
pub const FLUTE_VERSION: u8 = 2;

/// One ALC packet, its symbol borrowed from the datagram.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Packet<'a> {
	pub tsi: u64,
	pub toi: u64,
	pub codepoint: u8,
	/// A: the session ends after this packet.
	pub close_session: bool,
	/// B: the last packet of this object.
	pub close_object: bool,
	/// EXT_FDT's FDT Instance ID: this packet carries an FDT Instance.
	pub fdt_instance: Option<u32>,
	/// EXT_FTI: the object's transmission information.
	pub oti: Option<Oti>,
	/// EXT_CENC: a content encoding (none is sent).
	pub content_encoding: Option<u8>,
	pub sbn: u8,
	pub esi: u32,
	pub symbol: &'a [u8],
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum PacketError {
	Truncated,
	/// LCT version not 1.
	Version(u8),
	/// HDR_LEN shorter than the fixed fields, or an extension running past it.
	HeaderLength,
	/// A TOI or TSI wider than 64 bits.
	TooWide,
	/// An EXT_FDT of another FLUTE version.
	FluteVersion(u8),
	/// An EXT_FTI that is not RaptorQ's.
	Oti(OtiError),
	/// A codepoint other than RaptorQ's: another FEC scheme.
	Codepoint(u8),
}

impl core::fmt::Display for PacketError {
	fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
		match self {
			Self::Truncated => write!(f, "truncated ALC packet"),
			Self::Version(v) => write!(f, "LCT version {v}, not 1"),
			Self::HeaderLength => write!(f, "LCT header length disagrees with its fields"),
			Self::TooWide => write!(f, "TSI or TOI wider than 64 bits"),
			Self::FluteVersion(v) => write!(f, "FLUTE version {v}, not {FLUTE_VERSION}"),
			Self::Oti(e) => write!(f, "EXT_FTI: {e}"),
			Self::Codepoint(c) => write!(f, "codepoint {c}: not RaptorQ"),
		}
	}
}

impl std::error::Error for PacketError {}

/// The fields a sender chooses per packet.
#[derive(Clone, Copy, Debug)]
pub struct Header {
	pub tsi: u32,
	pub toi: u32,
	pub close_session: bool,
	pub close_object: bool,
	pub fdt_instance: Option<u32>,
	pub oti: Option<Oti>,
}

/// Appends one packet: the LCT header, its extensions, the FEC Payload
/// ID and the symbol.
pub fn encode_into(out: &mut Vec<u8>, header: &Header, sbn: u8, esi: u32, symbol: &[u8]) {
	let words =
		4 + usize::from(header.fdt_instance.is_some()) + 4 * usize::from(header.oti.is_some());
	// V=1, C=0, PSI=0 | S=1, O=01, H=0, Res=0, A, B.
	let flags = 0x80 | 0x20 | (u8::from(header.close_session) << 1) | u8::from(header.close_object);
	out.extend_from_slice(&[0x10, flags, words as u8, RAPTORQ]);
	out.extend_from_slice(&0u32.to_be_bytes()); // CCI
	out.extend_from_slice(&header.tsi.to_be_bytes());
	out.extend_from_slice(&header.toi.to_be_bytes());
	if let Some(instance) = header.fdt_instance {
		let word =
			(u32::from(EXT_FDT) << 24) | (u32::from(FLUTE_VERSION) << 20) | (instance & 0xf_ffff);
		out.extend_from_slice(&word.to_be_bytes());
	}
	if let Some(oti) = header.oti {
		// HEL 4: HET, HEL, the 12-byte OTI, two bytes of padding.
		out.extend_from_slice(&[EXT_FTI, 4]);
		out.extend_from_slice(&oti.encode());
		out.extend_from_slice(&[0, 0]);
	}
	out.extend_from_slice(&(u32::from(sbn) << 24 | (esi & 0xff_ffff)).to_be_bytes());
	out.extend_from_slice(symbol);
}

fn be(bytes: &[u8]) -> Result<u64, PacketError> {
	// Leading zero bytes beyond 64 bits are harmless; anything else is not.
	let (high, low) = bytes.split_at(bytes.len().saturating_sub(8));
	if high.iter().any(|b| *b != 0) {
		return Err(PacketError::TooWide);
	}
	Ok(low.iter().fold(0u64, |acc, b| (acc << 8) | u64::from(*b)))
}

impl<'a> Packet<'a> {
	pub fn decode(bytes: &'a [u8]) -> Result<Self, PacketError> {
		let [first, flags, hdr_len, codepoint, ..] = *bytes else {
			return Err(PacketError::Truncated);
		};
		let version = first >> 4;
		if version != 1 {
			return Err(PacketError::Version(version));
		}
		let cci_len = 4 * (usize::from((first >> 2) & 0x03) + 1);
		let half = usize::from(flags & 0x10 != 0);
		let tsi_len = 4 * usize::from(flags >> 7) + 2 * half;
		let toi_len = 4 * usize::from((flags >> 5) & 0x03) + 2 * half;
		let header_len = 4 * usize::from(hdr_len);
		let fixed = 4 + cci_len + tsi_len + toi_len;
		if header_len < fixed {
			return Err(PacketError::HeaderLength);
		}
		if bytes.len() < header_len + 4 {
			return Err(PacketError::Truncated);
		}
		if codepoint != RAPTORQ {
			return Err(PacketError::Codepoint(codepoint));
		}
		let tsi_at = 4 + cci_len;
		let tsi = be(&bytes[tsi_at..tsi_at + tsi_len])?;
		let toi = be(&bytes[tsi_at + tsi_len..fixed])?;
		let mut packet = Packet {
			tsi,
			toi,
			codepoint,
			close_session: flags & 0x02 != 0,
			close_object: flags & 0x01 != 0,
			fdt_instance: None,
			oti: None,
			content_encoding: None,
			sbn: bytes[header_len],
			esi: u32::from_be_bytes([
				0,
				bytes[header_len + 1],
				bytes[header_len + 2],
				bytes[header_len + 3],
			]),
			symbol: &bytes[header_len + 4..],
		};
		let mut at = fixed;
		while at < header_len {
			let het = bytes[at];
			let length = if het >= 128 {
				4
			} else {
				let hel = usize::from(*bytes.get(at + 1).ok_or(PacketError::HeaderLength)?);
				if hel == 0 {
					return Err(PacketError::HeaderLength);
				}
				4 * hel
			};
			if at + length > header_len {
				return Err(PacketError::HeaderLength);
			}
			let extension = &bytes[at..at + length];
			match het {
				EXT_FDT => {
					let word = u32::from_be_bytes([
						extension[0],
						extension[1],
						extension[2],
						extension[3],
					]);
					let version = ((word >> 20) & 0x0f) as u8;
					if version != FLUTE_VERSION {
						return Err(PacketError::FluteVersion(version));
					}
					packet.fdt_instance = Some(word & 0xf_ffff);
				}
				EXT_CENC => packet.content_encoding = Some(extension[1]),
				EXT_FTI => {
					let oti = extension.get(2..14).ok_or(PacketError::HeaderLength)?;
					packet.oti = Some(
						Oti::decode(oti.try_into().map_err(|_| PacketError::HeaderLength)?)
							.map_err(PacketError::Oti)?,
					);
				}
				// EXT_NOP, EXT_AUTH, EXT_TIME and unknown ones: not needed here.
				_ => {}
			}
			at += length;
		}
		Ok(packet)
	}
}
