//! The routing table: for each host of a live delivery contract, the
//! Active relays serving it, indexed by their footprints.

use crate::prefix::PrefixMap;
use ocm_primitives::footprint::{CountryCode, Footprint};
use std::{collections::HashMap, net::IpAddr};

/// An Active relay as the router uses it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RelayRecord {
	pub id: u32,
	/// Its HTTP base URL (`http://edge1.example.net`), no trailing slash.
	pub http: String,
	/// Its footprints, each with the capacity it offers there in Mbit/s:
	/// the claim, capped by what proof of bandwidth verified.
	pub footprints: Vec<(Footprint, u32)>,
}

/// A delivery contract the router sends players for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServiceRecord {
	pub contract: u32,
	/// Lower-case host names.
	pub hosts: Vec<String>,
	/// The relays that joined it (and have not left).
	pub relays: Vec<u32>,
}

/// Who asks: the address, and its network and country when known.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Client {
	pub address: Option<IpAddr>,
	pub asn: Option<u32>,
	pub country: Option<CountryCode>,
}

/// How the chosen relay's footprint met the client.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tier {
	/// A CIDR footprint of this length contains the address.
	Prefix(u8),
	Asn,
	Country,
}

/// The answer for one request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Route<'t> {
	pub relay: u32,
	pub contract: u32,
	/// The relay's HTTP base URL.
	pub base: &'t str,
	pub tier: Tier,
	/// The capacity the relay offers the matched footprint, Mbit/s.
	pub capacity_mbps: u32,
}

impl Route<'_> {
	/// The URL to send the client to: on the relay, the content's host and
	/// the request's path and query (`/` if empty) under `/cdn/`, which
	/// `ocm-relay` serves as that host's path (the relay's own address is
	/// the URL's authority, so the host travels in the path).
	pub fn location(&self, host: &str, path_and_query: &str) -> String {
		let path = if path_and_query.starts_with('/') { path_and_query } else { "/" };
		format!("{}/cdn/{host}{path}", self.base)
	}
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RouteError {
	/// No live contract has this host.
	UnknownHost,
	/// No healthy relay of the host's contracts has a footprint with the client.
	NoRelay,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Candidate {
	relay: u32,
	/// Index into `Table::relays`.
	index: u32,
	contract: u32,
	capacity_mbps: u32,
}

#[derive(Default, Debug)]
struct HostIndex {
	v4: PrefixMap<4, Vec<Candidate>>,
	v6: PrefixMap<16, Vec<Candidate>>,
	asn: HashMap<u32, Vec<Candidate>>,
	/// By ISO 3166 code (`CountryCode` has no `Hash`).
	country: HashMap<[u8; 2], Vec<Candidate>>,
}

/// Built from the chain's state each time it changes; read per request.
#[derive(Default, Debug)]
pub struct Table {
	relays: Vec<RelayRecord>,
	hosts: HashMap<String, HostIndex>,
}

impl Table {
	/// Indexes `services` over `relays` (unknown relay ids are skipped:
	/// the relay is not Active). A host of several contracts routes over
	/// all of their relays.
	pub fn build(relays: Vec<RelayRecord>, services: &[ServiceRecord]) -> Self {
		let by_id: HashMap<u32, u32> =
			relays.iter().enumerate().map(|(i, r)| (r.id, i as u32)).collect();
		let mut hosts: HashMap<String, HostIndex> = HashMap::new();
		for service in services {
			for host in &service.hosts {
				let index = hosts.entry(host.to_ascii_lowercase()).or_default();
				for relay in &service.relays {
					let Some(&i) = by_id.get(relay) else { continue };
					for (footprint, capacity_mbps) in &relays[i as usize].footprints {
						let candidate = Candidate {
							relay: *relay,
							index: i,
							contract: service.contract,
							capacity_mbps: *capacity_mbps,
						};
						let list = match footprint {
							Footprint::Ipv4Cidr(c) => index.v4.entry(c.prefix, c.len),
							Footprint::Ipv6Cidr(c) => index.v6.entry(c.prefix, c.len),
							Footprint::Asn(a) => index.asn.entry(*a).or_default(),
							Footprint::CountryCode(c) => index
								.country
								.entry(c.0.map(|b| b.to_ascii_uppercase()))
								.or_default(),
						};
						if !list.iter().any(|c| c.relay == *relay) {
							list.push(candidate);
						}
					}
				}
			}
		}
		Self { relays, hosts }
	}

	/// Whether any live contract has `host` (lower case).
	pub fn knows(&self, host: &str) -> bool {
		self.hosts.contains_key(host)
	}

	/// Every relay in the table.
	pub fn relays(&self) -> &[RelayRecord] {
		&self.relays
	}

	/// The best relay for `client` asking for `host` (lower case, no port):
	/// the most specific tier (longest prefix, then ASN, then country) with
	/// a relay that is up and offers capacity; in it, the one with the
	/// least `load` per Mbit/s.
	pub fn route(
		&self,
		host: &str,
		client: &Client,
		is_up: impl Fn(u32) -> bool,
		load: impl Fn(u32) -> f64,
	) -> Result<Route<'_>, RouteError> {
		let index = self.hosts.get(host).ok_or(RouteError::UnknownHost)?;
		let pick = |candidates: &[Candidate]| {
			candidates
				.iter()
				.filter(|c| c.capacity_mbps > 0 && is_up(c.relay))
				.min_by(|a, b| {
					let cost = |c: &Candidate| (load(c.relay) + 1.0) / f64::from(c.capacity_mbps);
					cost(a).total_cmp(&cost(b)).then(a.relay.cmp(&b.relay))
				})
				.copied()
		};
		// An IPv4-mapped IPv6 address is its IPv4 address.
		let by_prefix = match client.address.map(|a| a.to_canonical()) {
			Some(IpAddr::V4(a)) => index
				.v4
				.matches(a.octets())
				.find_map(|(len, c)| Some((pick(c)?, Tier::Prefix(len)))),
			Some(IpAddr::V6(a)) => index
				.v6
				.matches(a.octets())
				.find_map(|(len, c)| Some((pick(c)?, Tier::Prefix(len)))),
			None => None,
		};
		let (candidate, tier) = by_prefix
			.or_else(|| Some((pick(index.asn.get(&client.asn?)?)?, Tier::Asn)))
			.or_else(|| {
				let country = client.country?.0.map(|b| b.to_ascii_uppercase());
				Some((pick(index.country.get(&country)?)?, Tier::Country))
			})
			.ok_or(RouteError::NoRelay)?;
		Ok(Route {
			relay: candidate.relay,
			contract: candidate.contract,
			base: &self.relays[candidate.index as usize].http,
			tier,
			capacity_mbps: candidate.capacity_mbps,
		})
	}
}

/// What the router knows of client networks beyond their address: the ASN
/// and country of address blocks, from its operator's configuration (a
/// table exported from a RIB or a geolocation database).
#[derive(Default, Debug)]
pub struct Networks {
	v4: PrefixMap<4, (Option<u32>, Option<CountryCode>)>,
	v6: PrefixMap<16, (Option<u32>, Option<CountryCode>)>,
}

impl Networks {
	/// Adds a block: `prefix` is an `ipv4cidr` or `ipv6cidr` footprint.
	pub fn insert(&mut self, prefix: &Footprint, asn: Option<u32>, country: Option<CountryCode>) {
		match prefix {
			Footprint::Ipv4Cidr(c) => *self.v4.entry(c.prefix, c.len) = (asn, country),
			Footprint::Ipv6Cidr(c) => *self.v6.entry(c.prefix, c.len) = (asn, country),
			_ => {}
		}
	}

	/// The client at `address`, with the ASN and country of the most
	/// specific block containing it.
	pub fn client(&self, address: IpAddr) -> Client {
		let known = match address.to_canonical() {
			IpAddr::V4(a) => self.v4.longest(a.octets()),
			IpAddr::V6(a) => self.v6.longest(a.octets()),
		};
		let (asn, country) = known.map_or((None, None), |(_, v)| *v);
		Client { address: Some(address), asn, country }
	}
}
