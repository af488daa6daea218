//! The multicast reach test, sans I/O: what a relay multicasts on the test
//! channel it announced on chain during an epoch's window, and how a
//! beacon that joined the channel (through AMT, as a viewer's network
//! without multicast would) checks what reached it.
//!
//! The multicast window follows the epoch's unicast window
//! ([`window_start_ms`]). In it the relay sends [`OBJECTS_IN_WINDOW`] objects, one
//! every `1000 / OBJECTS_PER_SEC` ms, as FLUTE objects on TSI
//! [`session_id`]`(relay)`. Object `i` is named [`object_location`] and
//! holds [`OBJECT_BYTES`] bytes of the relay's multicast payload stream
//! (the PoB stream keyed by the epoch's seed, the relay and
//! [`MULTICAST_STREAM`]) from offset `i * OBJECT_BYTES`. The bytes exist
//! only once the epoch's seed is drawn, so a relay cannot replay an old
//! test or let somebody else's channel pass for its own; every beacon gets
//! the same bytes, because multicast sends one copy to all of them.
//!
//! A beacon counts the distinct objects it rebuilt whose every byte checks
//! ([`ReachCounter`]) and reports the count; the chain judges the reports
//! against [`OBJECTS_IN_WINDOW`].

use crate::payload::{PayloadVerifier, StreamId};
use alloc::{format, string::String};
use core::net::IpAddr;

/// Objects the relay sends per second of the window.
pub const OBJECTS_PER_SEC: u32 = 8;

/// Seconds the multicast window lasts.
pub const WINDOW_SECS: u32 = 5;

/// Milliseconds between the end of the unicast window and the start of the
/// multicast one: the two tests do not share the beacons' links, so a
/// saturated link does not drop the channel's datagrams.
pub const GAP_MS: u64 = 500;

/// Objects the relay sends in the multicast window.
pub const OBJECTS_IN_WINDOW: u32 = WINDOW_SECS * OBJECTS_PER_SEC;

/// Bytes of each object: with FEC, about 1 Mbit/s on the channel, enough
/// to show the channel carries a stream, small enough for any beacon.
pub const OBJECT_BYTES: u32 = 12_800;

/// The domain of a multicast report's signature: the beacon signs
/// `(REPORT_CONTEXT, genesis hash, report)` SCALE-encoded.
pub const REPORT_CONTEXT: &[u8; 16] = b"ocm/pob/mreach/1";

/// The key standing for "every beacon" in the multicast stream's id: no
/// account's public key is all ones.
pub const MULTICAST_STREAM: [u8; 32] = [0xff; 32];

/// When the multicast window of an epoch starts (Unix milliseconds), from
/// the epoch's unicast window.
pub const fn window_start_ms(unicast_start_ms: u64, unicast_secs: u32) -> u64 {
	unicast_start_ms.saturating_add(unicast_secs as u64 * 1_000).saturating_add(GAP_MS)
}

/// When it ends: reports are taken from then on.
pub const fn window_end_ms(unicast_start_ms: u64, unicast_secs: u32) -> u64 {
	window_start_ms(unicast_start_ms, unicast_secs).saturating_add(WINDOW_SECS as u64 * 1_000)
}

/// Milliseconds after the window's start at which object `index` is sent.
pub const fn send_offset_ms(index: u32) -> u64 {
	index as u64 * 1_000 / OBJECTS_PER_SEC as u64
}

/// The FLUTE session of a relay's test channel.
pub const fn session_id(relay: u32) -> u32 {
	relay
}

/// The name (FDT Content-Location) of object `index` of `epoch`'s test.
pub fn object_location(epoch: u32, index: u32) -> String {
	format!("/.well-known/ocm/pob/multicast/{epoch}/{index}")
}

/// The epoch and index a test object's name carries, if it is one.
pub fn parse_object_location(location: &str) -> Option<(u32, u32)> {
	let rest = location.strip_prefix("/.well-known/ocm/pob/multicast/")?;
	let (epoch, index) = rest.split_once('/')?;
	let number = |s: &str| {
		(!s.is_empty() && s.len() <= 10 && s.bytes().all(|b| b.is_ascii_digit()))
			.then(|| s.parse().ok())
			.flatten()
	};
	Some((number(epoch)?, number(index)?))
}

/// The multicast stream of `relay` in the epoch seeded by `epoch_seed`.
pub fn stream_id(epoch_seed: [u8; 32], relay: u32) -> StreamId {
	StreamId { epoch_seed, relay, beacon: MULTICAST_STREAM }
}

/// Fills `out` (`OBJECT_BYTES` long) with test object `index`'s body.
pub fn fill_object(stream: &crate::payload::PayloadStream, index: u32, out: &mut [u8]) {
	stream.fill_at(u64::from(index) * u64::from(OBJECT_BYTES), out);
}

/// Why a received object does not count.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum ObjectRejection {
	/// Its name is not a test object's.
	NotATestObject,
	/// A test object of another epoch: a replay.
	WrongEpoch,
	/// An index beyond the window's objects.
	OutOfWindow,
	/// Not `OBJECT_BYTES` long, or not the stream's bytes.
	WrongBytes,
	/// Counted already.
	Duplicate,
}

/// Counts the distinct test objects of one epoch whose bytes check.
pub struct ReachCounter {
	epoch: u32,
	expected: u32,
	verifier: PayloadVerifier,
	/// One bit per object of the window: at most `expected` bits.
	seen: alloc::vec::Vec<u64>,
	verified: u32,
}

impl ReachCounter {
	pub fn new(epoch: u32, epoch_seed: [u8; 32], relay: u32) -> Self {
		let expected = OBJECTS_IN_WINDOW;
		Self {
			epoch,
			expected,
			verifier: PayloadVerifier::new(&stream_id(epoch_seed, relay)),
			seen: alloc::vec![0; expected.div_ceil(64) as usize],
			verified: 0,
		}
	}

	/// Checks one rebuilt object and counts it if it is a new, true test object.
	pub fn object(&mut self, location: &str, body: &[u8]) -> Result<u32, ObjectRejection> {
		let (epoch, index) =
			parse_object_location(location).ok_or(ObjectRejection::NotATestObject)?;
		if epoch != self.epoch {
			return Err(ObjectRejection::WrongEpoch);
		}
		if index >= self.expected {
			return Err(ObjectRejection::OutOfWindow);
		}
		let (word, bit) = ((index / 64) as usize, 1u64 << (index % 64));
		if self.seen[word] & bit != 0 {
			return Err(ObjectRejection::Duplicate);
		}
		if body.len() != OBJECT_BYTES as usize
			|| !self.verifier.verify(u64::from(index) * u64::from(OBJECT_BYTES), body)
		{
			return Err(ObjectRejection::WrongBytes);
		}
		self.seen[word] |= bit;
		self.verified += 1;
		Ok(index)
	}

	/// Distinct objects verified so far.
	pub fn verified(&self) -> u32 {
		self.verified
	}

	/// Objects the window holds.
	pub fn expected(&self) -> u32 {
		self.expected
	}
}

/// Source-specific multicast: 232.0.0.0/8 (RFC 4607) or FF3x::/32 (RFC 3306).
fn is_ssm(ip: IpAddr) -> bool {
	match ip {
		IpAddr::V4(a) => a.octets()[0] == 232,
		IpAddr::V6(a) => {
			let [first, second, ..] = a.segments();
			first & 0xfff0 == 0xff30 && second == 0
		}
	}
}

/// An address another host can send to: not unspecified, multicast or broadcast.
fn is_unicast(ip: IpAddr) -> bool {
	!ip.is_unspecified() && !ip.is_multicast() && ip != IpAddr::V4(core::net::Ipv4Addr::BROADCAST)
}

/// Why an announced test channel is refused.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum ChannelError {
	/// The group is not a source-specific multicast address.
	NotSsm,
	/// The source is not a unicast address of the group's family.
	BadSource,
	/// The AMT relay's address is unspecified or multicast.
	BadAmtRelay,
	/// A port is 0.
	ZeroPort,
}

/// Checks a test channel: an SSM group, a unicast source of the same
/// family, a unicast AMT relay (of either family: the tunnel's family and
/// the channel's are independent in RFC 7450), and ports.
pub fn check_channel(
	amt_relay: IpAddr,
	amt_port: u16,
	source: IpAddr,
	group: IpAddr,
	port: u16,
) -> Result<(), ChannelError> {
	if !is_ssm(group) {
		return Err(ChannelError::NotSsm);
	}
	if source.is_ipv6() != group.is_ipv6() || !is_unicast(source) {
		return Err(ChannelError::BadSource);
	}
	if !is_unicast(amt_relay) {
		return Err(ChannelError::BadAmtRelay);
	}
	if amt_port == 0 || port == 0 {
		return Err(ChannelError::ZeroPort);
	}
	Ok(())
}

#[cfg(test)]
mod tests {
	use super::*;
	use crate::payload::PayloadStream;

	const SEED: [u8; 32] = [9; 32];

	fn object(index: u32) -> alloc::vec::Vec<u8> {
		let mut body = alloc::vec![0; OBJECT_BYTES as usize];
		fill_object(&PayloadStream::new(&stream_id(SEED, 4)), index, &mut body);
		body
	}

	#[test]
	fn names_round_trip_and_strangers_do_not_parse() {
		assert_eq!(parse_object_location(&object_location(17, 39)), Some((17, 39)));
		for bad in [
			"/.well-known/ocm/pob/multicast/17",
			"/.well-known/ocm/pob/multicast/17/",
			"/.well-known/ocm/pob/multicast/1/2/3",
			"/.well-known/ocm/pob/multicast/+1/2",
			"/.well-known/ocm/pob/multicast/99999999999/2",
			"/live/seg1.ts",
		] {
			assert_eq!(parse_object_location(bad), None, "{bad}");
		}
	}

	#[test]
	fn a_counter_counts_each_true_object_of_its_epoch_once() {
		let mut counter = ReachCounter::new(17, SEED, 4);
		assert_eq!(counter.expected(), 40);
		assert_eq!(counter.object(&object_location(17, 3), &object(3)), Ok(3));
		assert_eq!(
			counter.object(&object_location(17, 3), &object(3)),
			Err(ObjectRejection::Duplicate)
		);
		// Another object's bytes, last epoch's, a truncated body, the wrong
		// relay's stream, beyond the window, a stranger.
		assert_eq!(
			counter.object(&object_location(17, 5), &object(6)),
			Err(ObjectRejection::WrongBytes)
		);
		assert_eq!(
			counter.object(&object_location(16, 5), &object(5)),
			Err(ObjectRejection::WrongEpoch)
		);
		assert_eq!(
			counter.object(&object_location(17, 5), &object(5)[..100]),
			Err(ObjectRejection::WrongBytes)
		);
		let mut other_relay = alloc::vec![0; OBJECT_BYTES as usize];
		fill_object(&PayloadStream::new(&stream_id(SEED, 5)), 5, &mut other_relay);
		assert_eq!(
			counter.object(&object_location(17, 5), &other_relay),
			Err(ObjectRejection::WrongBytes)
		);
		assert_eq!(
			counter.object(&object_location(17, 40), &object(40)),
			Err(ObjectRejection::OutOfWindow)
		);
		assert_eq!(counter.object("/x", &object(1)), Err(ObjectRejection::NotATestObject));
		for i in 0..40 {
			let _ = counter.object(&object_location(17, i), &object(i));
		}
		assert_eq!(counter.verified(), 40);
	}

	#[test]
	fn channels_must_be_source_specific_and_unicast_sourced() {
		let ip = |s: &str| s.parse::<IpAddr>().unwrap();
		let (amt, src, ssm) = (ip("10.0.0.1"), ip("10.0.0.2"), ip("232.1.2.3"));
		assert_eq!(check_channel(amt, 2268, src, ssm, 5000), Ok(()));
		let (ssm6, src6) = (ip("ff3e::8000:1"), ip("2001:db8::1"));
		assert_eq!(check_channel(amt, 2268, src6, ssm6, 5000), Ok(()));
		assert_eq!(check_channel(amt, 2268, src, ip("239.1.1.1"), 5000), Err(ChannelError::NotSsm));
		assert_eq!(check_channel(amt, 2268, src, ip("ff3e:1::1"), 5000), Err(ChannelError::NotSsm));
		assert_eq!(check_channel(amt, 2268, src6, ssm, 5000), Err(ChannelError::BadSource));
		assert_eq!(
			check_channel(amt, 2268, ip("232.0.0.9"), ssm, 5000),
			Err(ChannelError::BadSource)
		);
		assert_eq!(
			check_channel(amt, 2268, ip("0.0.0.0"), ssm, 5000),
			Err(ChannelError::BadSource)
		);
		assert_eq!(
			check_channel(amt, 2268, ip("255.255.255.255"), ssm, 5000),
			Err(ChannelError::BadSource)
		);
		assert_eq!(
			check_channel(ip("0.0.0.0"), 2268, src, ssm, 5000),
			Err(ChannelError::BadAmtRelay)
		);
		assert_eq!(check_channel(ssm, 2268, src, ssm, 5000), Err(ChannelError::BadAmtRelay));
		assert_eq!(check_channel(amt, 0, src, ssm, 5000), Err(ChannelError::ZeroPort));
		assert_eq!(check_channel(amt, 2268, src, ssm, 0), Err(ChannelError::ZeroPort));
	}

	#[test]
	fn objects_follow_the_window() {
		assert_eq!(window_start_ms(100_000, 10), 110_500);
		assert_eq!(window_end_ms(100_000, 10), 115_500);
		assert_eq!(send_offset_ms(0), 0);
		assert_eq!(send_offset_ms(8), 1_000);
		assert!(send_offset_ms(OBJECTS_IN_WINDOW - 1) < u64::from(WINDOW_SECS) * 1_000);
	}
}
