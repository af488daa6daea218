//! The AMT relay's state machine (RFC 7450 §5.3): answers discoveries,
//! answers Requests with a MAC-signed general query, keeps one tunnel per
//! gateway address and port with the source-specific channels it asked
//! for, and says which channels to join natively and whom to forward a
//! multicast datagram to. Stateless until an update proves, with the MAC,
//! that the gateway receives at its address: spoofed updates change nothing.

use crate::{
	mac::MacSecrets,
	membership::{self, GroupRecord, Membership, Query, RecordType},
	message::Message,
	udp,
};
use std::{
	collections::{BTreeMap, BTreeSet},
	net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr},
	time::{Duration, Instant},
};

/// A source-specific multicast channel (S,G).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub struct Channel {
	pub source: IpAddr,
	pub group: IpAddr,
}

#[derive(Clone, Debug)]
pub struct RelayConfig {
	/// The address Relay Advertisements send gateways to.
	pub address: IpAddr,
	/// Most gateways (tunnels) at once; beyond it queries carry the L flag
	/// and new gateways' updates are dropped.
	pub max_tunnels: usize,
	/// Most channels one gateway may hold.
	pub max_channels_per_tunnel: usize,
	/// The query interval the gateways refresh at (QQI).
	pub query_interval: Duration,
	/// The robustness variable (QRV) the queries announce.
	pub robustness: u8,
	/// Most membership queries sent per second, to anyone: a Request is 8
	/// bytes and a query about 70, so this bounds what a flood of spoofed
	/// Requests can make the relay send.
	pub max_queries_per_sec: u32,
}

impl Default for RelayConfig {
	fn default() -> Self {
		Self {
			address: IpAddr::V4(Ipv4Addr::LOCALHOST),
			max_tunnels: 10_000,
			max_channels_per_tunnel: 64,
			query_interval: Duration::from_secs(60),
			robustness: 2,
			max_queries_per_sec: 10_000,
		}
	}
}

/// What the relay's driver must do.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum Action {
	/// Send this datagram to a gateway.
	Send { to: SocketAddr, bytes: Vec<u8> },
	/// The first gateway asked for this channel: join it natively.
	Join(Channel),
	/// The last gateway left it: leave it.
	Leave(Channel),
}

/// Datagrams dropped, by reason, and what was done.
#[derive(Clone, Default, PartialEq, Eq, Debug)]
pub struct Counters {
	pub malformed: u64,
	/// A message only a relay sends, or Multicast Data from a gateway.
	pub unexpected: u64,
	/// Updates or teardowns whose MAC does not match their sender and nonce.
	pub bad_mac: u64,
	/// Reports that are not valid IGMPv3 or MLDv2 reports.
	pub bad_report: u64,
	/// Queries not sent because of `max_queries_per_sec`.
	pub queries_limited: u64,
	/// Updates from new gateways refused at `max_tunnels`.
	pub tunnels_refused: u64,
	/// Channels refused at `max_channels_per_tunnel`.
	pub channels_refused: u64,
	/// Any-source joins (exclude mode): only SSM is served.
	pub any_source_refused: u64,
	pub queries_sent: u64,
	pub datagrams_forwarded: u64,
}

struct Tunnel {
	/// Channel to when it expires without a refresh.
	channels: BTreeMap<Channel, Instant>,
}

pub struct Relay {
	config: RelayConfig,
	secrets: MacSecrets,
	tunnels: BTreeMap<SocketAddr, Tunnel>,
	subscribers: BTreeMap<Channel, BTreeSet<SocketAddr>>,
	counters: Counters,
	/// Token bucket for queries: tokens left, as of when.
	query_tokens: (u32, Option<Instant>),
	/// The general queries every Request gets, IGMPv3 and MLDv2, in their
	/// IP packets: the same bytes each time, so made once.
	igmp_query: Vec<u8>,
	mld_query: Vec<u8>,
}

impl Relay {
	pub fn new(config: RelayConfig, secret: [u8; 32]) -> Self {
		let tokens = config.max_queries_per_sec;
		let general = |mld: bool| {
			let interval = config.query_interval.as_secs() as u32;
			let query = Query::general(mld, config.robustness, interval);
			let source = if mld {
				IpAddr::V6(Ipv6Addr::UNSPECIFIED)
			} else {
				IpAddr::V4(Ipv4Addr::UNSPECIFIED)
			};
			// The query and its source are of one family by construction.
			membership::encode_query(source, &query).unwrap_or_default()
		};
		Self {
			igmp_query: general(false),
			mld_query: general(true),
			config,
			secrets: MacSecrets::new(secret),
			tunnels: BTreeMap::new(),
			subscribers: BTreeMap::new(),
			counters: Counters::default(),
			query_tokens: (tokens, None),
		}
	}

	pub fn counters(&self) -> &Counters {
		&self.counters
	}

	pub fn tunnels(&self) -> usize {
		self.tunnels.len()
	}

	/// A new MAC secret; queries signed with the current one stay valid
	/// until the next rotation.
	pub fn rotate_secret(&mut self, next: [u8; 32]) {
		self.secrets.rotate(next);
	}

	/// How long a channel lives without a refresh: the group membership
	/// interval (RFC 3376 §8.4): QRV × QQI plus the response time.
	fn membership_interval(&self) -> Duration {
		self.config.query_interval * u32::from(self.config.robustness.max(1))
			+ Duration::from_secs(10)
	}

	/// One datagram from `from`.
	pub fn handle(&mut self, now: Instant, from: SocketAddr, datagram: &[u8]) -> Vec<Action> {
		let message = match Message::decode(datagram) {
			Ok(message) => message,
			Err(_) => {
				self.counters.malformed += 1;
				return Vec::new();
			}
		};
		match message {
			Message::RelayDiscovery { nonce } => vec![Action::Send {
				to: from,
				bytes: Message::RelayAdvertisement { nonce, relay: self.config.address }.encode(),
			}],
			Message::Request { nonce, mld } => {
				self.query(now, from, nonce, mld).into_iter().collect()
			}
			Message::MembershipUpdate { mac, nonce, report } => {
				if !self.secrets.verify(from, nonce, &mac) {
					self.counters.bad_mac += 1;
					return Vec::new();
				}
				match membership::decode(report) {
					Ok(Membership::Report(records)) => self.update(now, from, &records),
					_ => {
						self.counters.bad_report += 1;
						Vec::new()
					}
				}
			}
			Message::Teardown { mac, nonce, gateway } => {
				// Signed for the address the gateway had, which a NAT may
				// since have changed: that is what Teardown is for.
				if !self.secrets.verify(gateway, nonce, &mac) {
					self.counters.bad_mac += 1;
					return Vec::new();
				}
				self.remove_tunnel(gateway)
			}
			Message::RelayAdvertisement { .. }
			| Message::MembershipQuery { .. }
			| Message::MulticastData { .. } => {
				self.counters.unexpected += 1;
				Vec::new()
			}
		}
	}

	fn query(&mut self, now: Instant, from: SocketAddr, nonce: u32, mld: bool) -> Option<Action> {
		let (tokens, since) = self.query_tokens;
		let refill = since.map_or(self.config.max_queries_per_sec, |since| {
			let elapsed = now.saturating_duration_since(since).as_millis();
			u32::try_from(elapsed * u128::from(self.config.max_queries_per_sec) / 1000)
				.unwrap_or(u32::MAX)
		});
		let tokens = tokens.saturating_add(refill).min(self.config.max_queries_per_sec);
		if tokens == 0 {
			self.counters.queries_limited += 1;
			self.query_tokens = (0, since.or(Some(now)));
			return None;
		}
		// Only whole tokens move the clock on, so slow trickles still refill.
		self.query_tokens =
			(tokens - 1, if refill > 0 || since.is_none() { Some(now) } else { since });
		let limited =
			self.tunnels.len() >= self.config.max_tunnels && !self.tunnels.contains_key(&from);
		self.counters.queries_sent += 1;
		Some(Action::Send {
			to: from,
			bytes: Message::MembershipQuery {
				limited,
				mac: self.secrets.sign(from, nonce),
				nonce,
				query: if mld { &self.mld_query } else { &self.igmp_query },
				gateway: Some(from),
			}
			.encode(),
		})
	}

	fn update(&mut self, now: Instant, from: SocketAddr, records: &[GroupRecord]) -> Vec<Action> {
		if !self.tunnels.contains_key(&from) {
			if self.tunnels.len() >= self.config.max_tunnels {
				self.counters.tunnels_refused += 1;
				return Vec::new();
			}
			self.tunnels.insert(from, Tunnel { channels: BTreeMap::new() });
		}
		let expires = now + self.membership_interval();
		let mut actions = Vec::new();
		for record in records {
			let listed =
				record.sources.iter().map(|&source| Channel { source, group: record.group });
			match record.kind {
				RecordType::ModeIsInclude | RecordType::AllowNewSources => {
					for channel in listed {
						self.subscribe(from, channel, expires, &mut actions);
					}
				}
				RecordType::ChangeToInclude => {
					// The new source list replaces the old: an empty one leaves the group.
					let keep: BTreeSet<Channel> = listed.collect();
					let dropped: Vec<Channel> = self.tunnels[&from]
						.channels
						.keys()
						.filter(|c| c.group == record.group && !keep.contains(c))
						.copied()
						.collect();
					for channel in dropped {
						self.unsubscribe(from, channel, &mut actions);
					}
					for channel in keep {
						self.subscribe(from, channel, expires, &mut actions);
					}
				}
				RecordType::BlockOldSources => {
					for channel in listed {
						self.unsubscribe(from, channel, &mut actions);
					}
				}
				RecordType::ModeIsExclude | RecordType::ChangeToExclude => {
					self.counters.any_source_refused += 1;
				}
			}
		}
		if self.tunnels.get(&from).is_some_and(|t| t.channels.is_empty()) {
			self.tunnels.remove(&from);
		}
		actions
	}

	fn subscribe(
		&mut self,
		from: SocketAddr,
		channel: Channel,
		expires: Instant,
		actions: &mut Vec<Action>,
	) {
		if channel.source.is_ipv6() != channel.group.is_ipv6()
			|| !channel.group.is_multicast()
			|| channel.source.is_multicast()
			|| channel.source.is_unspecified()
		{
			self.counters.bad_report += 1;
			return;
		}
		let Some(tunnel) = self.tunnels.get_mut(&from) else { return };
		if !tunnel.channels.contains_key(&channel)
			&& tunnel.channels.len() >= self.config.max_channels_per_tunnel
		{
			self.counters.channels_refused += 1;
			return;
		}
		tunnel.channels.insert(channel, expires);
		let gateways = self.subscribers.entry(channel).or_default();
		if gateways.insert(from) && gateways.len() == 1 {
			actions.push(Action::Join(channel));
		}
	}

	fn unsubscribe(&mut self, from: SocketAddr, channel: Channel, actions: &mut Vec<Action>) {
		if let Some(tunnel) = self.tunnels.get_mut(&from) {
			tunnel.channels.remove(&channel);
		}
		if let Some(gateways) = self.subscribers.get_mut(&channel) {
			if gateways.remove(&from) && gateways.is_empty() {
				self.subscribers.remove(&channel);
				actions.push(Action::Leave(channel));
			}
		}
	}

	fn remove_tunnel(&mut self, gateway: SocketAddr) -> Vec<Action> {
		let mut actions = Vec::new();
		let channels: Vec<Channel> = self
			.tunnels
			.get(&gateway)
			.map(|t| t.channels.keys().copied().collect())
			.unwrap_or_default();
		for channel in channels {
			self.unsubscribe(gateway, channel, &mut actions);
		}
		self.tunnels.remove(&gateway);
		actions
	}

	/// Expires channels nobody refreshed.
	pub fn poll(&mut self, now: Instant) -> Vec<Action> {
		let expired: Vec<(SocketAddr, Channel)> = self
			.tunnels
			.iter()
			.flat_map(|(gateway, tunnel)| {
				tunnel.channels.iter().filter(|(_, at)| **at <= now).map(|(c, _)| (*gateway, *c))
			})
			.collect();
		let mut actions = Vec::new();
		for (gateway, channel) in expired {
			self.unsubscribe(gateway, channel, &mut actions);
			if self.tunnels.get(&gateway).is_some_and(|t| t.channels.is_empty()) {
				self.tunnels.remove(&gateway);
			}
		}
		actions
	}

	/// When `poll` next has something to expire.
	pub fn next_expiry(&self) -> Option<Instant> {
		self.tunnels.values().flat_map(|t| t.channels.values()).min().copied()
	}

	/// A multicast datagram received natively: the Multicast Data message
	/// to send, built once, and the gateways to send it to (`None`: nobody
	/// asked for it).
	pub fn forward(
		&mut self,
		source: SocketAddr,
		group: SocketAddr,
		payload: &[u8],
	) -> Option<(Vec<u8>, &BTreeSet<SocketAddr>)> {
		let mut message = Vec::with_capacity(50 + payload.len());
		let gateways = self.forward_into(&mut message, source, group, payload)?;
		Some((message, gateways))
	}

	/// As `forward`, writing the message into `message` (cleared first), so
	/// a driver reuses one buffer for every datagram.
	pub fn forward_into(
		&mut self,
		message: &mut Vec<u8>,
		source: SocketAddr,
		group: SocketAddr,
		payload: &[u8],
	) -> Option<&BTreeSet<SocketAddr>> {
		let gateways = self.subscribers.get(&Channel { source: source.ip(), group: group.ip() })?;
		// The 2-byte header, then the IP packet written straight after it.
		message.clear();
		Message::MulticastData { packet: &[] }.encode_into(message);
		udp::encode_into(message, source, group, payload).ok()?;
		self.counters.datagrams_forwarded += gateways.len() as u64;
		Some(gateways)
	}
}
