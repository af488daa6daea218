//! Group membership messages as AMT carries them: IGMPv3 (RFC 3376) in
//! IPv4 and MLDv2 (RFC 3810) in IPv6, with their IP headers (Router Alert,
//! TTL 1) and checksums. One model for both families; the wire format
//! follows the addresses' family.

use crate::checksum;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Most group records one report may carry when decoded.
pub const MAX_RECORDS: usize = 64;
/// Most sources one record or query may list when decoded.
pub const MAX_SOURCES: usize = 64;

/// 224.0.0.22 and ff02::16: where IGMPv3 and MLDv2 reports go.
pub const IGMPV3_REPORTS: Ipv4Addr = Ipv4Addr::new(224, 0, 0, 22);
pub const MLDV2_REPORTS: Ipv6Addr = Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 0, 0x16);
/// 224.0.0.1 and ff02::1: where general queries go.
pub const ALL_SYSTEMS: Ipv4Addr = Ipv4Addr::new(224, 0, 0, 1);
pub const ALL_NODES: Ipv6Addr = Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 0, 1);

const IGMP: u8 = 2;
const ICMPV6: u8 = 58;
const HOP_BY_HOP: u8 = 0;
const IGMP_QUERY: u8 = 0x11;
const IGMPV3_REPORT: u8 = 0x22;
const MLD_QUERY: u8 = 130;
const MLDV2_REPORT: u8 = 143;

/// A group record's type: the same numbers in IGMPv3 and MLDv2.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[repr(u8)]
pub enum RecordType {
	ModeIsInclude = 1,
	ModeIsExclude = 2,
	ChangeToInclude = 3,
	ChangeToExclude = 4,
	AllowNewSources = 5,
	BlockOldSources = 6,
}

impl RecordType {
	fn from_u8(value: u8) -> Option<Self> {
		Some(match value {
			1 => Self::ModeIsInclude,
			2 => Self::ModeIsExclude,
			3 => Self::ChangeToInclude,
			4 => Self::ChangeToExclude,
			5 => Self::AllowNewSources,
			6 => Self::BlockOldSources,
			_ => return None,
		})
	}
}

/// One group record of a report.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct GroupRecord {
	pub kind: RecordType,
	pub group: IpAddr,
	pub sources: Vec<IpAddr>,
}

/// A membership query. A general query has the unspecified group.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Query {
	/// Max Resp Code: tenths of a second (IGMPv3) or milliseconds (MLDv2),
	/// exponentially coded above 127 (IGMPv3) or 32767 (MLDv2).
	pub max_response_code: u16,
	pub group: IpAddr,
	/// S flag: suppress router-side processing.
	pub suppress: bool,
	/// QRV: the querier's robustness variable (0 to 7).
	pub robustness: u8,
	/// QQIC: the querier's query interval code.
	pub interval_code: u8,
	pub sources: Vec<IpAddr>,
}

impl Query {
	/// A general query for `family`'s addresses.
	pub fn general(ipv6: bool, robustness: u8, interval_secs: u32) -> Self {
		Self {
			max_response_code: if ipv6 { 10_000 } else { 100 },
			group: if ipv6 { Ipv6Addr::UNSPECIFIED.into() } else { Ipv4Addr::UNSPECIFIED.into() },
			suppress: false,
			robustness: robustness.min(7),
			interval_code: interval_code(interval_secs),
			sources: Vec::new(),
		}
	}

	/// The query interval in seconds (QQIC decoded, RFC 3376 §4.1.7).
	pub fn interval_secs(&self) -> u32 {
		decode_code(self.interval_code)
	}
}

/// QQIC for an interval: exact below 128 s, else the largest code not above it.
pub fn interval_code(secs: u32) -> u8 {
	if secs < 128 {
		return secs as u8;
	}
	let mut best = 0x80;
	for code in 0x80..=0xffu8 {
		if decode_code(code) <= secs {
			best = code;
		}
	}
	best
}

fn decode_code(code: u8) -> u32 {
	if code < 128 {
		return u32::from(code);
	}
	let mantissa = u32::from(code & 0x0f);
	let exponent = u32::from((code >> 4) & 0x07);
	(mantissa | 0x10) << (exponent + 3)
}

/// What a membership packet was.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum Membership {
	Query(Query),
	Report(Vec<GroupRecord>),
}

/// Why a packet is not a membership message this crate accepts.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum MembershipError {
	Truncated,
	IpVersion,
	IpHeaderChecksum,
	/// Neither IGMP in IPv4 nor ICMPv6 in IPv6 (after a hop-by-hop header).
	NotMembership,
	Checksum,
	/// IGMPv1/v2 or MLDv1, or another ICMPv6 message.
	UnsupportedType(u8),
	RecordType(u8),
	TooManyRecords,
	TooManySources,
	/// Addresses of the other family inside the packet.
	MixedFamilies,
}

impl core::fmt::Display for MembershipError {
	fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
		match self {
			Self::Truncated => write!(f, "truncated membership packet"),
			Self::IpVersion => write!(f, "not an IPv4 or IPv6 packet"),
			Self::IpHeaderChecksum => write!(f, "bad IPv4 header checksum"),
			Self::NotMembership => write!(f, "not IGMP or ICMPv6"),
			Self::Checksum => write!(f, "bad IGMP or ICMPv6 checksum"),
			Self::UnsupportedType(t) => write!(f, "unsupported IGMP/MLD type {t}"),
			Self::RecordType(t) => write!(f, "unknown group record type {t}"),
			Self::TooManyRecords => write!(f, "more than {MAX_RECORDS} group records"),
			Self::TooManySources => write!(f, "more than {MAX_SOURCES} sources"),
			Self::MixedFamilies => write!(f, "addresses of both families"),
		}
	}
}

impl std::error::Error for MembershipError {}

/// An IP packet carrying a report of `records` from `source`: IGMPv3 in
/// IPv4 for IPv4 groups, MLDv2 in IPv6 for IPv6 groups. `None` when the
/// records' groups, their sources and `source` are not all one family.
pub fn encode_report(source: IpAddr, records: &[GroupRecord]) -> Option<Vec<u8>> {
	let ipv6 = source.is_ipv6();
	let same = |a: &IpAddr| a.is_ipv6() == ipv6;
	if !records.iter().all(|r| same(&r.group) && r.sources.iter().all(same)) {
		return None;
	}
	let mut body = vec![if ipv6 { MLDV2_REPORT } else { IGMPV3_REPORT }, 0, 0, 0, 0, 0];
	body.extend_from_slice(&(records.len() as u16).to_be_bytes());
	for record in records {
		body.extend_from_slice(&[record.kind as u8, 0]);
		body.extend_from_slice(&(record.sources.len() as u16).to_be_bytes());
		push_address(&mut body, record.group);
		for s in &record.sources {
			push_address(&mut body, *s);
		}
	}
	Some(match source {
		IpAddr::V4(src) => ipv4(src, IGMPV3_REPORTS, body),
		IpAddr::V6(src) => ipv6_icmp(src, MLDV2_REPORTS, body),
	})
}

/// An IP packet carrying `query` from `source` (general queries to all
/// systems or all nodes, others to their group). `None` on mixed families.
pub fn encode_query(source: IpAddr, query: &Query) -> Option<Vec<u8>> {
	let ipv6 = source.is_ipv6();
	if query.group.is_ipv6() != ipv6 || query.sources.iter().any(|s| s.is_ipv6() != ipv6) {
		return None;
	}
	let flags = (u8::from(query.suppress) << 3) | (query.robustness & 0x07);
	let mut body = Vec::new();
	if ipv6 {
		body.extend_from_slice(&[MLD_QUERY, 0, 0, 0]);
		body.extend_from_slice(&query.max_response_code.to_be_bytes());
		body.extend_from_slice(&[0, 0]);
	} else {
		body.extend_from_slice(&[IGMP_QUERY, query.max_response_code.min(255) as u8, 0, 0]);
	}
	push_address(&mut body, query.group);
	body.extend_from_slice(&[flags, query.interval_code]);
	body.extend_from_slice(&(query.sources.len() as u16).to_be_bytes());
	for s in &query.sources {
		push_address(&mut body, *s);
	}
	let general = query.group.is_unspecified();
	Some(match (source, query.group) {
		(IpAddr::V4(src), IpAddr::V4(group)) => {
			ipv4(src, if general { ALL_SYSTEMS } else { group }, body)
		}
		(IpAddr::V6(src), IpAddr::V6(group)) => {
			ipv6_icmp(src, if general { ALL_NODES } else { group }, body)
		}
		_ => return None,
	})
}

fn push_address(out: &mut Vec<u8>, address: IpAddr) {
	match address {
		IpAddr::V4(a) => out.extend_from_slice(&a.octets()),
		IpAddr::V6(a) => out.extend_from_slice(&a.octets()),
	}
}

/// IPv4 with the Router Alert option (RFC 2113), TTL 1, Internetwork
/// Control precedence, as RFC 3376 §4 asks.
fn ipv4(source: Ipv4Addr, destination: Ipv4Addr, mut igmp: Vec<u8>) -> Vec<u8> {
	let sum = checksum::of(&igmp);
	igmp[2..4].copy_from_slice(&sum.to_be_bytes());
	let total = (24 + igmp.len()) as u16;
	let mut packet = vec![0x46, 0xc0];
	packet.extend_from_slice(&total.to_be_bytes());
	packet.extend_from_slice(&[0, 0, 0, 0, 1, IGMP, 0, 0]);
	packet.extend_from_slice(&source.octets());
	packet.extend_from_slice(&destination.octets());
	packet.extend_from_slice(&[0x94, 0x04, 0, 0]);
	let sum = checksum::of(&packet);
	packet[10..12].copy_from_slice(&sum.to_be_bytes());
	packet.extend_from_slice(&igmp);
	packet
}

/// IPv6 with a hop-by-hop header holding the MLD Router Alert (RFC 2711),
/// hop limit 1, as RFC 3810 §5 asks.
fn ipv6_icmp(source: Ipv6Addr, destination: Ipv6Addr, mut icmp: Vec<u8>) -> Vec<u8> {
	let sum =
		checksum::finish(checksum::add(pseudo_header(source, destination, icmp.len()), &icmp));
	icmp[2..4].copy_from_slice(&sum.to_be_bytes());
	let payload = (8 + icmp.len()) as u16;
	let mut packet = vec![0x60, 0, 0, 0];
	packet.extend_from_slice(&payload.to_be_bytes());
	packet.extend_from_slice(&[HOP_BY_HOP, 1]);
	packet.extend_from_slice(&source.octets());
	packet.extend_from_slice(&destination.octets());
	// Next header ICMPv6, length 0 (8 bytes), Router Alert (MLD), PadN.
	packet.extend_from_slice(&[ICMPV6, 0, 0x05, 0x02, 0, 0, 0x01, 0x00]);
	packet.extend_from_slice(&icmp);
	packet
}

fn pseudo_header(source: Ipv6Addr, destination: Ipv6Addr, length: usize) -> u32 {
	// Both IPv6, and a length from a 16-bit field: always a sum.
	checksum::pseudo_header(source.into(), destination.into(), ICMPV6, length).unwrap_or(0)
}

/// Decodes an IP packet carrying an IGMPv3 or MLDv2 query or report,
/// checking every length and checksum.
pub fn decode(packet: &[u8]) -> Result<Membership, MembershipError> {
	match packet.first().map(|b| b >> 4) {
		Some(4) => decode_ipv4(packet),
		Some(6) => decode_ipv6(packet),
		Some(_) => Err(MembershipError::IpVersion),
		None => Err(MembershipError::Truncated),
	}
}

/// The length of the IP packet at the start of `bytes`, from its header.
pub fn ip_packet_length(bytes: &[u8]) -> Option<usize> {
	match bytes.first()? >> 4 {
		4 => Some(usize::from(u16::from_be_bytes([*bytes.get(2)?, *bytes.get(3)?]))),
		6 => Some(40 + usize::from(u16::from_be_bytes([*bytes.get(4)?, *bytes.get(5)?]))),
		_ => None,
	}
}

fn decode_ipv4(packet: &[u8]) -> Result<Membership, MembershipError> {
	let header_len = usize::from(packet[0] & 0x0f) * 4;
	let total = ip_packet_length(packet).ok_or(MembershipError::Truncated)?;
	if header_len < 20 || total < header_len || packet.len() < total {
		return Err(MembershipError::Truncated);
	}
	if checksum::of(&packet[..header_len]) != 0 {
		return Err(MembershipError::IpHeaderChecksum);
	}
	if packet[9] != IGMP {
		return Err(MembershipError::NotMembership);
	}
	let igmp = &packet[header_len..total];
	if igmp.len() < 8 {
		return Err(MembershipError::Truncated);
	}
	if checksum::of(igmp) != 0 {
		return Err(MembershipError::Checksum);
	}
	let mut r = Reader(igmp);
	match igmp[0] {
		IGMP_QUERY if igmp.len() >= 12 => {
			let max_response_code = u16::from(igmp[1]);
			r.skip(4)?;
			let group = r.address(false)?;
			decode_query_tail(&mut r, max_response_code, group, false)
		}
		IGMPV3_REPORT => {
			r.skip(6)?;
			decode_records(&mut r, false)
		}
		other => Err(MembershipError::UnsupportedType(other)),
	}
}

fn decode_ipv6(packet: &[u8]) -> Result<Membership, MembershipError> {
	let total = ip_packet_length(packet).ok_or(MembershipError::Truncated)?;
	if packet.len() < 40 || packet.len() < total {
		return Err(MembershipError::Truncated);
	}
	let source = Ipv6Addr::from(<[u8; 16]>::try_from(&packet[8..24]).expect("16 bytes"));
	let destination = Ipv6Addr::from(<[u8; 16]>::try_from(&packet[24..40]).expect("16 bytes"));
	let (mut next, mut at) = (packet[6], 40);
	if next == HOP_BY_HOP {
		let header = packet.get(at..at + 2).ok_or(MembershipError::Truncated)?;
		next = header[0];
		at += (usize::from(header[1]) + 1) * 8;
	}
	if next != ICMPV6 || at > total {
		return Err(MembershipError::NotMembership);
	}
	let icmp = &packet[at..total];
	if icmp.len() < 8 {
		return Err(MembershipError::Truncated);
	}
	if checksum::finish(checksum::add(pseudo_header(source, destination, icmp.len()), icmp)) != 0 {
		return Err(MembershipError::Checksum);
	}
	let mut r = Reader(icmp);
	match icmp[0] {
		MLD_QUERY if icmp.len() >= 28 => {
			let max_response_code = u16::from_be_bytes([icmp[4], icmp[5]]);
			r.skip(8)?;
			let group = r.address(true)?;
			decode_query_tail(&mut r, max_response_code, group, true)
		}
		MLDV2_REPORT => {
			r.skip(6)?;
			decode_records(&mut r, true)
		}
		other => Err(MembershipError::UnsupportedType(other)),
	}
}

fn decode_query_tail(
	r: &mut Reader,
	max_response_code: u16,
	group: IpAddr,
	ipv6: bool,
) -> Result<Membership, MembershipError> {
	let flags = r.u8()?;
	let interval_code = r.u8()?;
	let count = usize::from(r.u16()?);
	if count > MAX_SOURCES {
		return Err(MembershipError::TooManySources);
	}
	let sources = (0..count).map(|_| r.address(ipv6)).collect::<Result<_, _>>()?;
	Ok(Membership::Query(Query {
		max_response_code,
		group,
		suppress: flags & 0x08 != 0,
		robustness: flags & 0x07,
		interval_code,
		sources,
	}))
}

fn decode_records(r: &mut Reader, ipv6: bool) -> Result<Membership, MembershipError> {
	let count = usize::from(r.u16()?);
	if count > MAX_RECORDS {
		return Err(MembershipError::TooManyRecords);
	}
	let mut records = Vec::with_capacity(count);
	for _ in 0..count {
		let kind = r.u8()?;
		let kind = RecordType::from_u8(kind).ok_or(MembershipError::RecordType(kind))?;
		let aux_words = usize::from(r.u8()?);
		let sources = usize::from(r.u16()?);
		if sources > MAX_SOURCES {
			return Err(MembershipError::TooManySources);
		}
		let group = r.address(ipv6)?;
		let sources = (0..sources).map(|_| r.address(ipv6)).collect::<Result<_, _>>()?;
		r.skip(aux_words * 4)?;
		records.push(GroupRecord { kind, group, sources });
	}
	Ok(Membership::Report(records))
}

struct Reader<'a>(&'a [u8]);

impl Reader<'_> {
	fn take(&mut self, n: usize) -> Result<&[u8], MembershipError> {
		if self.0.len() < n {
			return Err(MembershipError::Truncated);
		}
		let (head, rest) = self.0.split_at(n);
		self.0 = rest;
		Ok(head)
	}
	fn skip(&mut self, n: usize) -> Result<(), MembershipError> {
		self.take(n).map(|_| ())
	}
	fn u8(&mut self) -> Result<u8, MembershipError> {
		Ok(self.take(1)?[0])
	}
	fn u16(&mut self) -> Result<u16, MembershipError> {
		let b = self.take(2)?;
		Ok(u16::from_be_bytes([b[0], b[1]]))
	}
	fn address(&mut self, ipv6: bool) -> Result<IpAddr, MembershipError> {
		Ok(if ipv6 {
			IpAddr::V6(Ipv6Addr::from(<[u8; 16]>::try_from(self.take(16)?).expect("16 bytes")))
		} else {
			IpAddr::V4(Ipv4Addr::from(<[u8; 4]>::try_from(self.take(4)?).expect("4 bytes")))
		})
	}
}
