//! The AMT gateway's state machine (RFC 7450 §5.2): finds a relay with
//! Relay Discovery, opens the tunnel with the Request/Query handshake,
//! reports its source-specific channels in MAC-signed Membership Updates,
//! refreshes the handshake every query interval, retransmits what may be
//! lost, and takes Multicast Data apart for its user.
//!
//! Timers follow the RFC and the membership protocols it carries:
//! - Discovery and Request are retransmitted with exponential backoff from
//!   `initial_timeout` to `max_timeout` (§5.2.3.4.1, §5.2.3.4.2); a relay
//!   that stops answering Requests is given up for a new discovery.
//! - The handshake is repeated every query interval (QQI) the relay's
//!   query announced, and each new query is answered with the current
//!   state (§5.2.3.4.3, RFC 3376 §5.2).
//! - A change (join or leave) is reported at once and again, robustness
//!   (QRV) times in all, one unsolicited report interval apart (RFC 3376
//!   §5.1), so one lost datagram does not lose it.
//! - A query whose G field shows a new gateway address (a NAT rebinding)
//!   makes the gateway tear down the tunnel of its old address (§5.2.3.7).

use crate::{
	membership::{self, GroupRecord, Membership, RecordType},
	message::{Mac, Message},
	relay::Channel,
	udp::{self, Datagram},
};
use std::{
	collections::{BTreeMap, BTreeSet, VecDeque},
	net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr},
	time::{Duration, Instant},
};

#[derive(Clone, Debug)]
pub struct GatewayConfig {
	/// Where Relay Discovery goes: a relay's (anycast) discovery address.
	/// Requests go to the advertised relay address at this port.
	pub discovery: SocketAddr,
	/// IPv6 channels over MLDv2, or IPv4 channels over IGMPv3.
	pub ipv6: bool,
	/// The first retransmission timeout of Discovery and Request.
	pub initial_timeout: Duration,
	/// Backoff stops doubling here.
	pub max_timeout: Duration,
	/// Requests sent to one relay without a query before discovering anew.
	pub max_request_attempts: u32,
	/// Between retransmissions of a change report (RFC 3376: 1 s).
	pub unsolicited_report_interval: Duration,
	/// Most channels joined at once.
	pub max_channels: usize,
}

impl GatewayConfig {
	pub fn new(discovery: SocketAddr) -> Self {
		Self {
			discovery,
			ipv6: discovery.is_ipv6(),
			initial_timeout: Duration::from_secs(1),
			max_timeout: Duration::from_secs(30),
			max_request_attempts: 4,
			unsolicited_report_interval: Duration::from_secs(1),
			max_channels: crate::membership::MAX_SOURCES,
		}
	}
}

/// A datagram the driver must send.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Transmit {
	pub to: SocketAddr,
	pub bytes: Vec<u8>,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum JoinError {
	/// Not the family this gateway's tunnel carries.
	Family,
	/// The group is not multicast, or the source is not a unicast host.
	NotSourceSpecific,
	/// `max_channels` reached.
	TooManyChannels,
}

impl core::fmt::Display for JoinError {
	fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
		match self {
			Self::Family => write!(f, "channel of the other IP family than the tunnel"),
			Self::NotSourceSpecific => {
				write!(f, "not a source-specific channel (unicast source, multicast group)")
			}
			Self::TooManyChannels => write!(f, "too many channels joined"),
		}
	}
}

impl std::error::Error for JoinError {}

/// Datagrams dropped, by reason, and what was received.
#[derive(Clone, Default, PartialEq, Eq, Debug)]
pub struct GatewayCounters {
	pub malformed: u64,
	/// From an address that is not the relay, or a message only gateways send.
	pub unexpected: u64,
	/// Advertisements or queries answering no outstanding nonce.
	pub unknown_nonce: u64,
	/// Queries whose membership packet is not a query of the tunnel's family.
	pub bad_query: u64,
	/// Multicast Data that is not a valid UDP datagram.
	pub bad_datagram: u64,
	/// Valid Multicast Data for a channel not joined.
	pub not_joined: u64,
	pub discoveries: u64,
	pub requests: u64,
	pub updates: u64,
	pub teardowns: u64,
	pub datagrams: u64,
}

/// What the gateway is waiting for.
#[derive(Clone, Copy, Debug)]
enum Handshake {
	Discovery {
		nonce: u32,
		due: Instant,
		timeout: Duration,
	},
	Request {
		nonce: u32,
		due: Instant,
		timeout: Duration,
		attempts: u32,
	},
	/// Tunnel open; the next Request is due at `refresh`.
	Open {
		refresh: Instant,
	},
}

/// What the last valid query gave: what updates are signed with.
#[derive(Clone, Copy, Debug)]
struct Session {
	nonce: u32,
	mac: Mac,
	robustness: u8,
	/// The gateway's address as the relay saw it (G flag), if it said.
	seen_as: Option<SocketAddr>,
	limited: bool,
}

/// A join or leave still to be reported, and how many more times.
#[derive(Clone, Copy, Debug)]
struct Change {
	joined: bool,
	remaining: u8,
}

pub struct Gateway {
	config: GatewayConfig,
	relay: Option<SocketAddr>,
	handshake: Handshake,
	session: Option<Session>,
	channels: BTreeSet<Channel>,
	changes: BTreeMap<Channel, Change>,
	next_change_report: Option<Instant>,
	transmits: VecDeque<Transmit>,
	nonce_state: u64,
	counters: GatewayCounters,
}

impl Gateway {
	/// Starts discovery at once. `seed` makes the nonces: give it from a
	/// secure random source, as a nonce an attacker can guess lets them
	/// answer for the relay.
	pub fn new(config: GatewayConfig, now: Instant, seed: u64) -> Self {
		let mut gateway = Self {
			relay: None,
			handshake: Handshake::Open { refresh: now },
			session: None,
			channels: BTreeSet::new(),
			changes: BTreeMap::new(),
			next_change_report: None,
			transmits: VecDeque::new(),
			nonce_state: seed,
			counters: GatewayCounters::default(),
			config,
		};
		gateway.discover(now);
		gateway
	}

	pub fn counters(&self) -> &GatewayCounters {
		&self.counters
	}

	/// The relay in use, once advertised.
	pub fn relay(&self) -> Option<SocketAddr> {
		self.relay
	}

	/// Whether the tunnel is open: a query has been answered.
	pub fn is_open(&self) -> bool {
		self.session.is_some()
	}

	/// Whether the relay said it takes no new gateways (L flag).
	pub fn relay_is_limited(&self) -> bool {
		self.session.is_some_and(|s| s.limited)
	}

	pub fn channels(&self) -> &BTreeSet<Channel> {
		&self.channels
	}

	/// The next datagram to send.
	pub fn poll_transmit(&mut self) -> Option<Transmit> {
		self.transmits.pop_front()
	}

	/// When `handle_timeout` next has work.
	pub fn poll_timeout(&self) -> Option<Instant> {
		let handshake = match self.handshake {
			Handshake::Discovery { due, .. } | Handshake::Request { due, .. } => due,
			Handshake::Open { refresh } => refresh,
		};
		Some(self.next_change_report.map_or(handshake, |at| at.min(handshake)))
	}

	/// Asks for (S,G). Reported at once if the tunnel is open, else with
	/// the first query's answer.
	pub fn join(&mut self, now: Instant, channel: Channel) -> Result<(), JoinError> {
		if channel.group.is_ipv6() != self.config.ipv6
			|| channel.source.is_ipv6() != self.config.ipv6
		{
			return Err(JoinError::Family);
		}
		if !channel.group.is_multicast()
			|| channel.source.is_multicast()
			|| channel.source.is_unspecified()
		{
			return Err(JoinError::NotSourceSpecific);
		}
		if self.channels.contains(&channel) {
			return Ok(());
		}
		if self.channels.len() >= self.config.max_channels {
			return Err(JoinError::TooManyChannels);
		}
		self.channels.insert(channel);
		self.change(now, channel, true);
		Ok(())
	}

	/// Leaves (S,G); reported like a join.
	pub fn leave(&mut self, now: Instant, channel: Channel) {
		if self.channels.remove(&channel) {
			self.change(now, channel, false);
		}
	}

	/// Leaves every channel, in one report, so the relay can drop the
	/// tunnel now rather than when it expires.
	pub fn close(&mut self, now: Instant) {
		let left = core::mem::take(&mut self.channels);
		for channel in left {
			self.change(now, channel, false);
		}
	}

	fn change(&mut self, now: Instant, channel: Channel, joined: bool) {
		let Some(session) = self.session else {
			// Nothing reported yet: the first query's answer carries the state.
			self.changes.remove(&channel);
			return;
		};
		self.changes.insert(channel, Change { joined, remaining: session.robustness.max(1) });
		self.next_change_report = Some(now);
		self.report_changes(now);
	}

	/// One datagram from `from`: Multicast Data comes back as the UDP
	/// datagram it carried; anything else moves the handshake or is
	/// dropped and counted.
	pub fn handle<'a>(
		&mut self,
		now: Instant,
		from: SocketAddr,
		datagram: &'a [u8],
	) -> Option<Datagram<'a>> {
		let message = match Message::decode(datagram) {
			Ok(message) => message,
			Err(_) => {
				self.counters.malformed += 1;
				return None;
			}
		};
		match message {
			Message::RelayAdvertisement { nonce, relay } => {
				match self.handshake {
					Handshake::Discovery { nonce: expected, .. } if expected == nonce => {
						self.relay = Some(SocketAddr::new(relay, self.config.discovery.port()));
						self.request(now);
					}
					_ => self.counters.unknown_nonce += 1,
				}
				None
			}
			Message::MembershipQuery { limited, mac, nonce, query, gateway } => {
				if Some(from) != self.relay {
					self.counters.unexpected += 1;
					return None;
				}
				match self.handshake {
					Handshake::Request { nonce: expected, .. } if expected == nonce => {}
					_ => {
						self.counters.unknown_nonce += 1;
						return None;
					}
				}
				match membership::decode(query) {
					Ok(Membership::Query(query))
						if query.group.is_ipv6() == self.config.ipv6
							&& query.group.is_unspecified() =>
					{
						self.opened(
							now,
							Session {
								nonce,
								mac,
								robustness: query.robustness.max(1),
								seen_as: gateway,
								limited,
							},
							query.interval_secs(),
						);
					}
					_ => self.counters.bad_query += 1,
				}
				None
			}
			Message::MulticastData { packet } => {
				if Some(from) != self.relay || self.session.is_none() {
					self.counters.unexpected += 1;
					return None;
				}
				let datagram = match udp::decode(packet) {
					Ok(datagram) => datagram,
					Err(_) => {
						self.counters.bad_datagram += 1;
						return None;
					}
				};
				let channel = Channel { source: datagram.source.ip(), group: datagram.group.ip() };
				if !self.channels.contains(&channel) {
					self.counters.not_joined += 1;
					return None;
				}
				self.counters.datagrams += 1;
				Some(datagram)
			}
			Message::RelayDiscovery { .. }
			| Message::Request { .. }
			| Message::MembershipUpdate { .. }
			| Message::Teardown { .. } => {
				self.counters.unexpected += 1;
				None
			}
		}
	}

	/// Retransmissions, refreshes and change reports that are due.
	pub fn handle_timeout(&mut self, now: Instant) {
		match self.handshake {
			Handshake::Discovery { nonce, due, timeout } if due <= now => {
				let timeout = (timeout * 2).min(self.config.max_timeout);
				self.handshake = Handshake::Discovery { nonce, due: now + timeout, timeout };
				self.send_discovery(nonce);
			}
			Handshake::Request { nonce, due, timeout, attempts } if due <= now => {
				if attempts >= self.config.max_request_attempts {
					// The relay is gone or unreachable: find one anew.
					self.relay = None;
					self.session = None;
					self.discover(now);
				} else {
					let timeout = (timeout * 2).min(self.config.max_timeout);
					self.handshake = Handshake::Request {
						nonce,
						due: now + timeout,
						timeout,
						attempts: attempts + 1,
					};
					self.send_request(nonce);
				}
			}
			Handshake::Open { refresh } if refresh <= now => self.request(now),
			_ => {}
		}
		if self.next_change_report.is_some_and(|at| at <= now) {
			self.report_changes(now);
		}
	}

	fn next_nonce(&mut self) -> u32 {
		// SplitMix64: each nonce a full mix of the secret seed's sequence.
		self.nonce_state = self.nonce_state.wrapping_add(0x9e37_79b9_7f4a_7c15);
		let mut z = self.nonce_state;
		z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
		z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
		((z ^ (z >> 31)) >> 32) as u32
	}

	fn discover(&mut self, now: Instant) {
		let nonce = self.next_nonce();
		let timeout = self.config.initial_timeout;
		self.handshake = Handshake::Discovery { nonce, due: now + timeout, timeout };
		self.send_discovery(nonce);
	}

	fn send_discovery(&mut self, nonce: u32) {
		self.counters.discoveries += 1;
		self.transmits.push_back(Transmit {
			to: self.config.discovery,
			bytes: Message::RelayDiscovery { nonce }.encode(),
		});
	}

	fn request(&mut self, now: Instant) {
		let nonce = self.next_nonce();
		let timeout = self.config.initial_timeout;
		self.handshake = Handshake::Request { nonce, due: now + timeout, timeout, attempts: 1 };
		self.send_request(nonce);
	}

	fn send_request(&mut self, nonce: u32) {
		let Some(relay) = self.relay else { return };
		self.counters.requests += 1;
		self.transmits.push_back(Transmit {
			to: relay,
			bytes: Message::Request { nonce, mld: self.config.ipv6 }.encode(),
		});
	}

	fn opened(&mut self, now: Instant, session: Session, interval_secs: u32) {
		let previous = self.session.replace(session);
		let interval = Duration::from_secs(u64::from(interval_secs.max(1)));
		self.handshake = Handshake::Open { refresh: now + interval };
		// The answer to a general query: the whole current state. It
		// supersedes pending joins; pending leaves are still reported.
		self.changes.retain(|_, change| !change.joined);
		let records = self.records(self.channels.iter().copied(), RecordType::ModeIsInclude);
		self.send_update(session, &records);
		// A new address for us: the old tunnel is left behind by a NAT
		// rebinding, and only we can end it. After the update, so the
		// relay never sees the channels unwanted in between.
		if let (Some(old), Some(new)) = (previous, session.seen_as) {
			if let Some(old_address) = old.seen_as.filter(|a| *a != new) {
				self.send_teardown(old, old_address);
			}
		}
		self.report_changes(now);
	}

	fn send_teardown(&mut self, old: Session, address: SocketAddr) {
		let Some(relay) = self.relay else { return };
		self.counters.teardowns += 1;
		self.transmits.push_back(Transmit {
			to: relay,
			bytes: Message::Teardown { mac: old.mac, nonce: old.nonce, gateway: address }.encode(),
		});
	}

	/// Sends the pending changes as one state-change report, and arms the
	/// next retransmission while any remain.
	fn report_changes(&mut self, now: Instant) {
		let Some(session) = self.session else {
			self.next_change_report = None;
			return;
		};
		if self.changes.is_empty() {
			self.next_change_report = None;
			return;
		}
		let joined = self.changes.iter().filter(|(_, c)| c.joined).map(|(ch, _)| *ch);
		let mut records = self.records(joined, RecordType::AllowNewSources);
		let left = self.changes.iter().filter(|(_, c)| !c.joined).map(|(ch, _)| *ch);
		records.extend(self.records(left, RecordType::BlockOldSources));
		self.send_update(session, &records);
		self.changes.retain(|_, change| {
			change.remaining = change.remaining.saturating_sub(1);
			change.remaining > 0
		});
		self.next_change_report =
			(!self.changes.is_empty()).then(|| now + self.config.unsolicited_report_interval);
	}

	/// Records of `kind`, one per group, listing that group's sources.
	fn records(
		&self,
		channels: impl Iterator<Item = Channel>,
		kind: RecordType,
	) -> Vec<GroupRecord> {
		let mut by_group: BTreeMap<IpAddr, Vec<IpAddr>> = BTreeMap::new();
		for channel in channels {
			by_group.entry(channel.group).or_default().push(channel.source);
		}
		by_group.into_iter().map(|(group, sources)| GroupRecord { kind, group, sources }).collect()
	}

	fn send_update(&mut self, session: Session, records: &[GroupRecord]) {
		let Some(relay) = self.relay else { return };
		if records.is_empty() {
			return;
		}
		// Reports go out from the unspecified address (RFC 3376 §4.2.13,
		// RFC 3810 §5.2.13): the tunnel has no link address to give.
		let source = if self.config.ipv6 {
			IpAddr::V6(Ipv6Addr::UNSPECIFIED)
		} else {
			IpAddr::V4(Ipv4Addr::UNSPECIFIED)
		};
		// A report longer than the decoder's bounds is split, so the
		// relay never refuses it for size.
		for chunk in records.chunks(membership::MAX_RECORDS) {
			let Some(report) = membership::encode_report(source, chunk) else { continue };
			self.counters.updates += 1;
			self.transmits.push_back(Transmit {
				to: relay,
				bytes: Message::MembershipUpdate {
					mac: session.mac,
					nonce: session.nonce,
					report: &report,
				}
				.encode(),
			});
		}
	}
}
