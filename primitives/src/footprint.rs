//! CDNi footprints: the client populations a relay claims to serve.
//!
//! RFC 8006 §4.2.2.2 defines the footprint types that RFC 8008's Footprint &
//! Capabilities Interface (FCI) advertises; OCM uses four of them: `ipv4cidr`,
//! `ipv6cidr`, `asn` and `countrycode`. Operators submit footprints in that
//! textual form (exactly what their FCI advertisement carries); this module
//! parses them into compact typed values with strict validation, formats them
//! back, and matches clients against them. Pure functions, no I/O, `no_std`.

use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use core::{
	fmt,
	net::{Ipv4Addr, Ipv6Addr},
	str::FromStr,
};
use scale_info::TypeInfo;

/// An autonomous system number (RFC 6793: 32 bits).
pub type Asn = u32;

/// Why a footprint or address in text form was refused.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum FootprintError {
	/// The footprint type is not one of `ipv4cidr`, `ipv6cidr`, `asn`, `countrycode`.
	UnknownType,
	/// The value does not parse as its type (not an address, no `/len`, not a number...).
	Malformed,
	/// A CIDR's prefix length exceeds 32 (IPv4) or 128 (IPv6).
	PrefixTooLong,
	/// A CIDR has bits set after its prefix (`10.1.2.3/8`): ambiguous, so refused.
	HostBitsSet,
	/// ASN 0, 23456 (AS_TRANS) or 4294967295: reserved, never a network's own.
	ReservedAsn,
	/// Not an ISO 3166-1 alpha-2 code assigned to a country.
	UnknownCountryCode,
}

/// An ISO 3166-1 alpha-2 country code, stored upper-case.
#[derive(
	Clone,
	Copy,
	PartialEq,
	Eq,
	PartialOrd,
	Ord,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Debug,
)]
pub struct CountryCode(pub [u8; 2]);

impl CountryCode {
	/// Parses a code case-insensitively (RFC 8006 compares codes without case) and
	/// accepts only officially assigned codes.
	pub fn parse(text: &[u8]) -> Result<Self, FootprintError> {
		let [a, b] = text else { return Err(FootprintError::UnknownCountryCode) };
		let code = [a.to_ascii_uppercase(), b.to_ascii_uppercase()];
		if ISO_3166_ALPHA_2.binary_search(&code).is_ok() {
			Ok(Self(code))
		} else {
			Err(FootprintError::UnknownCountryCode)
		}
	}

	/// Whether this is an assigned code in canonical (upper-case) form; decoded
	/// values come from anywhere, so callers re-check them.
	pub fn is_assigned(&self) -> bool {
		ISO_3166_ALPHA_2.binary_search(&self.0).is_ok()
	}

	pub fn as_str(&self) -> &str {
		// Only constructed from ASCII letters; fall back rather than panic on a
		// decoded value that is not.
		core::str::from_utf8(&self.0).unwrap_or("??")
	}
}

/// An IPv4 or IPv6 address, as the chain stores it.
#[derive(
	Clone,
	Copy,
	PartialEq,
	Eq,
	PartialOrd,
	Ord,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Debug,
)]
pub enum IpAddress {
	V4([u8; 4]),
	V6([u8; 16]),
}

impl IpAddress {
	pub fn parse(text: &[u8]) -> Result<Self, FootprintError> {
		let text = core::str::from_utf8(text).map_err(|_| FootprintError::Malformed)?;
		if let Ok(v4) = Ipv4Addr::from_str(text) {
			return Ok(Self::V4(v4.octets()));
		}
		Ipv6Addr::from_str(text)
			.map(|v6| Self::V6(v6.octets()))
			.map_err(|_| FootprintError::Malformed)
	}

	/// A unicast address another host can send to: not unspecified, loopback
	/// excepted (a local devnet runs on it), not multicast, not broadcast.
	pub fn is_unicast(&self) -> bool {
		match self {
			Self::V4(o) => {
				let a = Ipv4Addr::from(*o);
				!a.is_unspecified() && !a.is_multicast() && !a.is_broadcast()
			}
			Self::V6(o) => {
				let a = Ipv6Addr::from(*o);
				!a.is_unspecified() && !a.is_multicast()
			}
		}
	}
}

impl From<IpAddress> for core::net::IpAddr {
	fn from(ip: IpAddress) -> Self {
		match ip {
			IpAddress::V4(o) => Ipv4Addr::from(o).into(),
			IpAddress::V6(o) => Ipv6Addr::from(o).into(),
		}
	}
}

impl fmt::Display for IpAddress {
	fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
		match self {
			Self::V4(o) => Ipv4Addr::from(*o).fmt(f),
			Self::V6(o) => Ipv6Addr::from(*o).fmt(f),
		}
	}
}

/// An IPv4 prefix with no host bits set.
#[derive(
	Clone,
	Copy,
	PartialEq,
	Eq,
	PartialOrd,
	Ord,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Debug,
)]
pub struct Ipv4Cidr {
	pub prefix: [u8; 4],
	pub len: u8,
}

/// An IPv6 prefix with no host bits set.
#[derive(
	Clone,
	Copy,
	PartialEq,
	Eq,
	PartialOrd,
	Ord,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Debug,
)]
pub struct Ipv6Cidr {
	pub prefix: [u8; 16],
	pub len: u8,
}

/// Sets every bit after the first `len` to zero.
fn mask<const N: usize>(mut octets: [u8; N], len: u8) -> [u8; N] {
	for (i, octet) in octets.iter_mut().enumerate() {
		let kept = (len as usize).saturating_sub(i * 8).min(8);
		*octet &= !(0xffu16 >> kept) as u8;
	}
	octets
}

/// Splits `addr/len`, checks the length against the family's width and refuses
/// host bits.
fn parse_cidr<const N: usize>(
	text: &[u8],
	parse_addr: impl Fn(&str) -> Option<[u8; N]>,
) -> Result<([u8; N], u8), FootprintError> {
	let text = core::str::from_utf8(text).map_err(|_| FootprintError::Malformed)?;
	let (addr, len) = text.split_once('/').ok_or(FootprintError::Malformed)?;
	let addr = parse_addr(addr).ok_or(FootprintError::Malformed)?;
	// Digits only: `u8::from_str` would accept a leading `+`.
	if len.is_empty() || len.len() > 3 || !len.bytes().all(|b| b.is_ascii_digit()) {
		return Err(FootprintError::Malformed);
	}
	let len: u16 = len.parse().map_err(|_| FootprintError::Malformed)?;
	if len > (N * 8) as u16 {
		return Err(FootprintError::PrefixTooLong);
	}
	let len = len as u8;
	if mask(addr, len) != addr {
		return Err(FootprintError::HostBitsSet);
	}
	Ok((addr, len))
}

/// Parsing, matching and canonical checks, the same for both families.
macro_rules! impl_cidr {
	($cidr:ident, $addr:ty, $octets:literal) => {
		impl $cidr {
			pub fn parse(text: &[u8]) -> Result<Self, FootprintError> {
				parse_cidr(text, |a| <$addr>::from_str(a).ok().map(|a| a.octets()))
					.map(|(prefix, len)| Self { prefix, len })
			}

			/// The prefix of length `len` (at most the address width) that contains `addr`.
			pub fn containing(addr: [u8; $octets], len: u8) -> Self {
				let len = len.min($octets * 8);
				Self { prefix: mask(addr, len), len }
			}

			pub fn contains(&self, addr: [u8; $octets]) -> bool {
				self.len <= $octets * 8 && mask(addr, self.len) == self.prefix
			}

			/// Canonical: length in range and no host bits (decoded values are re-checked).
			pub fn is_canonical(&self) -> bool {
				self.len <= $octets * 8 && mask(self.prefix, self.len) == self.prefix
			}
		}
	};
}

impl_cidr!(Ipv4Cidr, Ipv4Addr, 4);
impl_cidr!(Ipv6Cidr, Ipv6Addr, 16);

/// One footprint, typed.
#[derive(
	Clone,
	Copy,
	PartialEq,
	Eq,
	PartialOrd,
	Ord,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Debug,
)]
pub enum Footprint {
	Ipv4Cidr(Ipv4Cidr),
	Ipv6Cidr(Ipv6Cidr),
	Asn(Asn),
	CountryCode(CountryCode),
}

impl Footprint {
	/// Whether some client is in both footprints: equal ASNs or countries,
	/// or one prefix inside the other. Footprints of different types never
	/// meet: the chain cannot tell which addresses an ASN or a country holds.
	pub fn overlaps(&self, other: &Footprint) -> bool {
		match (self, other) {
			(Footprint::Ipv4Cidr(a), Footprint::Ipv4Cidr(b)) => {
				a.contains(b.prefix) || b.contains(a.prefix)
			}
			(Footprint::Ipv6Cidr(a), Footprint::Ipv6Cidr(b)) => {
				a.contains(b.prefix) || b.contains(a.prefix)
			}
			(Footprint::Asn(a), Footprint::Asn(b)) => a == b,
			(Footprint::CountryCode(a), Footprint::CountryCode(b)) => a == b,
			_ => false,
		}
	}
}

/// Whether an ASN may name a network: RFC 7607 reserves 0, RFC 6793 reserves
/// 23456 (AS_TRANS), RFC 7300 reserves the last one.
pub fn is_reserved_asn(asn: Asn) -> bool {
	matches!(asn, 0 | 23_456 | u32::MAX)
}

/// Parses an ASN in RFC 8006's form, `as` followed by the decimal number
/// (`as64496`); leniently, the prefix is matched without case and may be left out.
pub fn parse_asn(text: &[u8]) -> Result<Asn, FootprintError> {
	let digits = match text {
		[a, s, rest @ ..] if a.eq_ignore_ascii_case(&b'a') && s.eq_ignore_ascii_case(&b's') => rest,
		_ => text,
	};
	if digits.is_empty() || digits.len() > 10 || !digits.iter().all(u8::is_ascii_digit) {
		return Err(FootprintError::Malformed);
	}
	// Ten ASCII digits fit in u64; larger than u32 is malformed, not reserved.
	let value = digits.iter().fold(0u64, |v, d| v * 10 + u64::from(d - b'0'));
	let asn = Asn::try_from(value).map_err(|_| FootprintError::Malformed)?;
	if is_reserved_asn(asn) {
		return Err(FootprintError::ReservedAsn);
	}
	Ok(asn)
}

impl Footprint {
	/// Parses RFC 8006's `footprint-type` and one `footprint-value`.
	pub fn parse(footprint_type: &[u8], value: &[u8]) -> Result<Self, FootprintError> {
		match footprint_type {
			b"ipv4cidr" => Ipv4Cidr::parse(value).map(Self::Ipv4Cidr),
			b"ipv6cidr" => Ipv6Cidr::parse(value).map(Self::Ipv6Cidr),
			b"asn" => parse_asn(value).map(Self::Asn),
			b"countrycode" => CountryCode::parse(value).map(Self::CountryCode),
			_ => Err(FootprintError::UnknownType),
		}
	}

	/// RFC 8006's name for this footprint's type.
	pub fn type_name(&self) -> &'static str {
		match self {
			Self::Ipv4Cidr(_) => "ipv4cidr",
			Self::Ipv6Cidr(_) => "ipv6cidr",
			Self::Asn(_) => "asn",
			Self::CountryCode(_) => "countrycode",
		}
	}

	/// Holds for every footprint that [`Footprint::parse`] can return.
	pub fn is_valid(&self) -> bool {
		match self {
			Self::Ipv4Cidr(c) => c.is_canonical(),
			Self::Ipv6Cidr(c) => c.is_canonical(),
			Self::Asn(a) => !is_reserved_asn(*a),
			Self::CountryCode(c) => c.is_assigned(),
		}
	}

	/// Specificity when several footprints match one client: a longer prefix
	/// is more specific than a shorter one; an ASN (one network) is ranked like
	/// a /16 and a country like a /0, so any routed prefix beats them.
	pub fn specificity(&self) -> u8 {
		match self {
			Self::Ipv4Cidr(c) => c.len.saturating_mul(4),
			Self::Ipv6Cidr(c) => c.len,
			Self::Asn(_) => 64,
			Self::CountryCode(_) => 0,
		}
	}
}

/// The `footprint-value` text: `192.0.2.0/24`, `2001:db8::/32`, `as64496`, `us`
/// (RFC 8006 writes ASNs and country codes in lower case).
impl fmt::Display for Footprint {
	fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
		match self {
			Self::Ipv4Cidr(c) => write!(f, "{}/{}", Ipv4Addr::from(c.prefix), c.len),
			Self::Ipv6Cidr(c) => write!(f, "{}/{}", Ipv6Addr::from(c.prefix), c.len),
			Self::Asn(a) => write!(f, "as{a}"),
			Self::CountryCode(c) => write!(
				f,
				"{}{}",
				c.0[0].to_ascii_lowercase() as char,
				c.0[1].to_ascii_lowercase() as char
			),
		}
	}
}

/// ISO 3166-1 alpha-2 codes officially assigned to countries and territories
/// (249 codes), sorted for binary search. User-assigned and reserved codes
/// (`AA`, `QM`-`QZ`, `XA`-`XZ`, `ZZ`, `EU`, `UK`) are not footprints.
pub const ISO_3166_ALPHA_2: [[u8; 2]; 249] = {
	const LIST: &[u8; 498] = b"ADAEAFAGAIALAMAOAQARASATAUAWAXAZBABBBDBEBFBGBHBIBJBLBMBNBOBQBRBSBTBVBWBYBZ\
CACCCDCFCGCHCICKCLCMCNCOCRCUCVCWCXCYCZDEDJDKDMDODZECEEEGEHERESETFIFJFKFMFOFRGAGBGDGEGFGGGHGIGLGMGNGPGQGRGSGTGUGWGY\
HKHMHNHRHTHUIDIEILIMINIOIQIRISITJEJMJOJPKEKGKHKIKMKNKPKRKWKYKZLALBLCLILKLRLSLTLULVLYMAMCMDMEMFMGMHMKMLMMMNMOMPMQMRMSMTMUMVMWMXMYMZ\
NANCNENFNGNINLNONPNRNUNZOMPAPEPFPGPHPKPLPMPNPRPSPTPWPYQARERORSRURWSASBSCSDSESGSHSISJSKSLSMSNSOSRSSSTSVSXSYSZ\
TCTDTFTGTHTJTKTLTMTNTOTRTTTVTWTZUAUGUMUSUYUZVAVCVEVGVIVNVUWFWSYEYTZAZMZW";
	let mut out = [[0u8; 2]; 249];
	let mut i = 0;
	while i < 249 {
		out[i] = [LIST[2 * i], LIST[2 * i + 1]];
		i += 1;
	}
	out
};

#[cfg(test)]
mod tests {
	use super::*;
	use FootprintError::*;

	fn v4(text: &str) -> Result<Ipv4Cidr, FootprintError> {
		Ipv4Cidr::parse(text.as_bytes())
	}
	fn v6(text: &str) -> Result<Ipv6Cidr, FootprintError> {
		Ipv6Cidr::parse(text.as_bytes())
	}

	#[test]
	fn country_list_is_sorted_unique_and_complete() {
		assert!(ISO_3166_ALPHA_2.windows(2).all(|w| w[0] < w[1]));
		assert!(ISO_3166_ALPHA_2.iter().all(|c| c.iter().all(u8::is_ascii_uppercase)));
		for assigned in ["US", "DE", "JP", "BR", "ZA", "AX", "SS", "GB", "CW"] {
			assert!(CountryCode::parse(assigned.as_bytes()).is_ok(), "{assigned}");
		}
	}

	#[test]
	fn country_codes_parse_case_insensitively_and_refuse_unassigned() {
		assert_eq!(CountryCode::parse(b"de"), Ok(CountryCode(*b"DE")));
		for bad in ["ZZ", "UK", "EU", "XK", "U", "USA", "", "1A", "\u{e9}"] {
			assert_eq!(CountryCode::parse(bad.as_bytes()), Err(UnknownCountryCode), "{bad}");
		}
	}

	#[test]
	fn ipv4_cidrs_parse_and_refuse_host_bits_and_long_prefixes() {
		assert_eq!(v4("192.0.2.0/24"), Ok(Ipv4Cidr { prefix: [192, 0, 2, 0], len: 24 }));
		assert_eq!(v4("0.0.0.0/0"), Ok(Ipv4Cidr { prefix: [0; 4], len: 0 }));
		assert_eq!(v4("192.0.2.1/32"), Ok(Ipv4Cidr { prefix: [192, 0, 2, 1], len: 32 }));
		assert_eq!(v4("10.1.2.3/8"), Err(HostBitsSet));
		assert_eq!(v4("192.0.2.128/24"), Err(HostBitsSet));
		assert_eq!(v4("192.0.2.0/33"), Err(PrefixTooLong));
		assert_eq!(v4("192.0.2.0/999"), Err(PrefixTooLong));
		for bad in [
			"192.0.2.0",
			"192.0.2.0/",
			"192.0.2.0/+8",
			"192.0.2/24",
			"010.0.0.0/8",
			"::/0",
			"a/8",
			"1.2.3.4/1000",
		] {
			assert_eq!(v4(bad), Err(Malformed), "{bad}");
		}
	}

	#[test]
	fn ipv6_cidrs_parse_and_refuse_host_bits_and_long_prefixes() {
		let p = v6("2001:db8::/32").unwrap();
		assert_eq!(p.len, 32);
		assert_eq!(&p.prefix[..4], &[0x20, 0x01, 0x0d, 0xb8]);
		assert_eq!(v6("2001:db8::1/32"), Err(HostBitsSet));
		assert_eq!(v6("2001:db8:8000::/33").map(|c| c.len), Ok(33));
		assert_eq!(v6("2001:db8:4000::/33"), Err(HostBitsSet));
		assert_eq!(v6("2001:db8::/129"), Err(PrefixTooLong));
		assert_eq!(v6("192.0.2.0/24"), Err(Malformed));
		assert_eq!(v6("2001:db8::"), Err(Malformed));
	}

	#[test]
	fn asns_parse_in_rfc8006_form_and_refuse_reserved() {
		assert_eq!(parse_asn(b"as64496"), Ok(64_496));
		assert_eq!(parse_asn(b"AS64496"), Ok(64_496));
		assert_eq!(parse_asn(b"4200000000"), Ok(4_200_000_000));
		assert_eq!(parse_asn(b"as0"), Err(ReservedAsn));
		assert_eq!(parse_asn(b"as23456"), Err(ReservedAsn));
		assert_eq!(parse_asn(b"as4294967295"), Err(ReservedAsn));
		for bad in ["as", "as4294967296", "as-1", "as 1", "as1x", "", "as99999999999"] {
			assert_eq!(parse_asn(bad.as_bytes()), Err(Malformed), "{bad}");
		}
	}

	#[test]
	fn footprints_round_trip_through_text() {
		for (ty, value) in [
			("ipv4cidr", "198.51.100.0/24"),
			("ipv6cidr", "2001:db8:1::/48"),
			("asn", "as64500"),
			("countrycode", "nl"),
		] {
			let fp = Footprint::parse(ty.as_bytes(), value.as_bytes()).unwrap();
			assert_eq!(fp.type_name(), ty);
			assert_eq!(fp.to_string(), value);
			assert!(fp.is_valid());
		}
		assert_eq!(Footprint::parse(b"subdivisioncode", b"US-CA"), Err(UnknownType));
		assert_eq!(Footprint::parse(b"IPV4CIDR", b"10.0.0.0/8"), Err(UnknownType));
	}

	#[test]
	fn footprints_overlap_by_containment_or_equality() {
		let f = |t: &str, v: &str| Footprint::parse(t.as_bytes(), v.as_bytes()).unwrap();
		let (wide, narrow) = (f("ipv4cidr", "10.0.0.0/8"), f("ipv4cidr", "10.1.2.0/24"));
		assert!(wide.overlaps(&narrow) && narrow.overlaps(&wide));
		assert!(!narrow.overlaps(&f("ipv4cidr", "10.1.3.0/24")));
		assert!(f("ipv6cidr", "2001:db8::/32").overlaps(&f("ipv6cidr", "2001:db8:1::/48")));
		assert!(!f("ipv6cidr", "2001:db8::/32").overlaps(&f("ipv6cidr", "2001:db9::/32")));
		assert!(f("asn", "as64496").overlaps(&f("asn", "AS64496")));
		assert!(!f("asn", "as64496").overlaps(&f("asn", "as64497")));
		assert!(f("countrycode", "nl").overlaps(&f("countrycode", "NL")));
		assert!(!f("countrycode", "nl").overlaps(&f("asn", "as64496")));
	}

	#[test]
	fn prefixes_contain_exactly_their_addresses() {
		let p = v4("10.1.0.0/16").unwrap();
		assert!(p.contains([10, 1, 255, 7]));
		assert!(!p.contains([10, 2, 0, 0]));
		assert_eq!(Ipv4Cidr::containing([10, 1, 2, 3], 16), p);
		assert!(v4("0.0.0.0/0").unwrap().contains([203, 0, 113, 9]));
		let q = v6("2001:db8:8000::/33").unwrap();
		assert!(q.contains(Ipv6Addr::from_str("2001:db8:ffff::1").unwrap().octets()));
		assert!(!q.contains(Ipv6Addr::from_str("2001:db8:7fff::1").unwrap().octets()));
		assert!(!Ipv4Cidr { prefix: [10, 1, 2, 3], len: 8 }.is_canonical());
	}

	#[test]
	fn addresses_parse_and_know_unicast() {
		assert_eq!(IpAddress::parse(b"192.0.2.7"), Ok(IpAddress::V4([192, 0, 2, 7])));
		assert!(IpAddress::parse(b"2001:db8::7").unwrap().is_unicast());
		assert!(!IpAddress::parse(b"232.1.1.1").unwrap().is_unicast());
		assert!(!IpAddress::parse(b"ff3e::8000:1").unwrap().is_unicast());
		assert!(!IpAddress::parse(b"0.0.0.0").unwrap().is_unicast());
		assert_eq!(IpAddress::parse(b"192.0.2"), Err(Malformed));
		assert_eq!(IpAddress::parse(b"2001:db8::7").unwrap().to_string(), "2001:db8::7");
	}
}
