//! Byte vectors drawn from RFC 7450 §5.1's layouts (and RFC 3376 §4.2 for
//! the report inside), with checksums worked out by hand.

use ocm_amt::{
	membership::{self, GroupRecord, Membership, Query, RecordType},
	udp, DecodeError, Message,
};
use std::net::{IpAddr, SocketAddr};

fn ip(s: &str) -> IpAddr {
	s.parse().unwrap()
}

#[test]
fn discovery_advertisement_and_request() {
	let discovery = [0x01, 0, 0, 0, 0x01, 0x02, 0x03, 0x04];
	assert_eq!(Message::decode(&discovery), Ok(Message::RelayDiscovery { nonce: 0x0102_0304 }));
	assert_eq!(Message::RelayDiscovery { nonce: 0x0102_0304 }.encode(), discovery);

	let v4 = [0x02, 0, 0, 0, 0xde, 0xad, 0xbe, 0xef, 192, 0, 2, 1];
	let advertisement = Message::RelayAdvertisement { nonce: 0xdead_beef, relay: ip("192.0.2.1") };
	assert_eq!(Message::decode(&v4), Ok(advertisement));
	assert_eq!(advertisement.encode(), v4);
	let v6 = Message::RelayAdvertisement { nonce: 1, relay: ip("2001:db8::1") }.encode();
	assert_eq!(v6.len(), 24);
	assert_eq!(&v6[8..], &ip_octets(ip("2001:db8::1")));

	// The P flag is bit 15: the lowest bit of the second octet. Set asks for MLDv2.
	let request = [0x03, 0x01, 0, 0, 0, 0, 0, 7];
	assert_eq!(Message::decode(&request), Ok(Message::Request { nonce: 7, mld: true }));
	assert_eq!(Message::Request { nonce: 7, mld: false }.encode(), [0x03, 0, 0, 0, 0, 0, 0, 7]);
}

fn ip_octets(address: IpAddr) -> Vec<u8> {
	match address {
		IpAddr::V4(a) => a.octets().to_vec(),
		IpAddr::V6(a) => a.octets().to_vec(),
	}
}

/// IGMPv3 report from 0.0.0.0: ALLOW_NEW_SOURCES (192.0.2.1, 232.1.1.1).
const REPORT: [u8; 44] = [
	// IPv4: IHL 6 (Router Alert), precedence 0xc0, length 44, TTL 1, IGMP,
	// header checksum 0x43f6, 0.0.0.0 -> 224.0.0.22, option 94 04 00 00.
	0x46, 0xc0, 0x00, 0x2c, 0, 0, 0, 0, 0x01, 0x02, 0x43, 0xf6, 0, 0, 0, 0, 224, 0, 0, 22, 0x94,
	0x04, 0, 0, // IGMPv3 report, checksum 0x2df9, one record.
	0x22, 0x00, 0x2d, 0xf9, 0, 0, 0, 1, // Record: type 5, no aux data, one source.
	0x05, 0x00, 0x00, 0x01, 232, 1, 1, 1, 192, 0, 2, 1,
];

#[test]
fn an_igmpv3_report_in_its_ipv4_packet() {
	let records = vec![GroupRecord {
		kind: RecordType::AllowNewSources,
		group: ip("232.1.1.1"),
		sources: vec![ip("192.0.2.1")],
	}];
	assert_eq!(membership::encode_report(ip("0.0.0.0"), &records).unwrap(), REPORT);
	assert_eq!(membership::decode(&REPORT), Ok(Membership::Report(records)));

	let mut corrupt = REPORT;
	corrupt[40] ^= 1;
	assert_eq!(membership::decode(&corrupt), Err(membership::MembershipError::Checksum));
	let mut header = REPORT;
	header[8] = 2;
	assert_eq!(membership::decode(&header), Err(membership::MembershipError::IpHeaderChecksum));
	assert_eq!(membership::decode(&REPORT[..30]), Err(membership::MembershipError::Truncated));
}

#[test]
fn mldv2_reports_and_queries_round_trip_with_valid_checksums() {
	let records = vec![
		GroupRecord {
			kind: RecordType::ChangeToInclude,
			group: ip("ff3e::8000:1"),
			sources: vec![ip("2001:db8::1"), ip("2001:db8::2")],
		},
		GroupRecord {
			kind: RecordType::BlockOldSources,
			group: ip("ff3e::8000:2"),
			sources: vec![ip("2001:db8::3")],
		},
	];
	let packet = membership::encode_report(ip("fe80::1"), &records).unwrap();
	// IPv6, hop-by-hop with Router Alert, hop limit 1, to ff02::16.
	assert_eq!(packet[0] >> 4, 6);
	assert_eq!((packet[6], packet[7]), (0, 1));
	assert_eq!(&packet[24..40], &ip_octets(ip("ff02::16")));
	assert_eq!(&packet[40..48], &[58, 0, 5, 2, 0, 0, 1, 0]);
	assert_eq!(packet[48], 143);
	assert_eq!(membership::decode(&packet), Ok(Membership::Report(records.clone())));
	let mut corrupt = packet.clone();
	*corrupt.last_mut().unwrap() ^= 0x80;
	assert_eq!(membership::decode(&corrupt), Err(membership::MembershipError::Checksum));

	let query = Query::general(true, 2, 125);
	let packet = membership::encode_query(ip("::"), &query).unwrap();
	assert_eq!(packet[48], 130);
	match membership::decode(&packet) {
		Ok(Membership::Query(q)) => {
			assert_eq!(q, query);
			assert_eq!(q.interval_secs(), 125);
		}
		other => panic!("{other:?}"),
	}
	// Mixed families are refused, not encoded.
	assert!(membership::encode_report(ip("0.0.0.0"), &records).is_none());
}

#[test]
fn query_intervals_above_127_s_use_the_exponential_code() {
	for secs in [0, 1, 127, 128, 125, 300, 1000, 31_744] {
		let q = Query::general(false, 2, secs);
		let back = q.interval_secs();
		// Exact below 128 s; above, the largest code not over it, within
		// the 4-bit mantissa's step of 1/16.
		assert!(back <= secs && (secs >= 128 || back == secs), "{secs} -> {back}");
		assert!(back + back / 16 + 1 >= secs, "{secs} -> {back}");
	}
	assert_eq!(membership::interval_code(127), 127);
	assert_eq!(Query { interval_code: 0x80, ..Query::general(false, 2, 0) }.interval_secs(), 128);
}

#[test]
fn queries_updates_data_and_teardown() {
	let query_packet =
		membership::encode_query(ip("0.0.0.0"), &Query::general(false, 2, 60)).unwrap();
	let gateway: SocketAddr = "192.0.2.9:40000".parse().unwrap();
	let mac = [1, 2, 3, 4, 5, 6];
	let query = Message::MembershipQuery {
		limited: true,
		mac,
		nonce: 9,
		query: &query_packet,
		gateway: Some(gateway),
	};
	let bytes = query.encode();
	// L and G are the two lowest bits of the second octet.
	assert_eq!(&bytes[..12], &[0x04, 0x03, 1, 2, 3, 4, 5, 6, 0, 0, 0, 9]);
	// The gateway fields close the message: port, then IPv4-compatible IPv6.
	let tail = &bytes[bytes.len() - 18..];
	assert_eq!(tail, &[0x9c, 0x40, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 192, 0, 2, 9]);
	assert_eq!(Message::decode(&bytes), Ok(query));
	let without = Message::MembershipQuery {
		limited: false,
		mac,
		nonce: 9,
		query: &query_packet,
		gateway: None,
	};
	assert_eq!(Message::decode(&without.encode()), Ok(without));
	// One byte more or less than the encapsulated packet says: refused.
	assert_eq!(Message::decode(&bytes[..bytes.len() - 1]), Err(DecodeError::Truncated));
	let mut longer = bytes.clone();
	longer.push(0);
	assert_eq!(Message::decode(&longer), Err(DecodeError::Length));

	let update = Message::MembershipUpdate { mac, nonce: 9, report: &REPORT };
	let bytes = update.encode();
	assert_eq!(&bytes[..12], &[0x05, 0, 1, 2, 3, 4, 5, 6, 0, 0, 0, 9]);
	assert_eq!(Message::decode(&bytes), Ok(update));

	let packet = udp::encode(
		"192.0.2.1:5000".parse().unwrap(),
		"232.1.1.1:6000".parse().unwrap(),
		b"segment",
	)
	.unwrap();
	let data = Message::MulticastData { packet: &packet };
	let bytes = data.encode();
	assert_eq!(&bytes[..2], &[0x06, 0]);
	let Ok(Message::MulticastData { packet: inner }) = Message::decode(&bytes) else { panic!() };
	let datagram = udp::decode(inner).unwrap();
	assert_eq!(datagram.payload, b"segment");
	assert_eq!(datagram.group, "232.1.1.1:6000".parse().unwrap());
	let mut corrupt = packet.clone();
	*corrupt.last_mut().unwrap() ^= 1;
	assert_eq!(udp::decode(&corrupt), Err(udp::DatagramError::UdpChecksum));

	let teardown =
		Message::Teardown { mac, nonce: 9, gateway: "[2001:db8::9]:40000".parse().unwrap() };
	let bytes = teardown.encode();
	assert_eq!(bytes.len(), 30);
	assert_eq!(bytes[0], 0x07);
	assert_eq!(Message::decode(&bytes), Ok(teardown));
}

#[test]
fn wrong_versions_types_and_lengths_are_refused() {
	assert_eq!(Message::decode(&[]), Err(DecodeError::Truncated));
	assert_eq!(Message::decode(&[0x11, 0, 0, 0, 0, 0, 0, 0]), Err(DecodeError::Version(1)));
	assert_eq!(Message::decode(&[0x08, 0, 0, 0, 0, 0, 0, 0]), Err(DecodeError::Type(8)));
	assert_eq!(Message::decode(&[0x01, 0, 0, 0, 0, 0, 0]), Err(DecodeError::Truncated));
	assert_eq!(Message::decode(&[0x01, 0, 0, 0, 0, 0, 0, 0, 0]), Err(DecodeError::Length));
	assert_eq!(
		Message::decode(&[0x02, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4, 5]),
		Err(DecodeError::Length)
	);
	assert_eq!(Message::decode(&[0x06, 0, 0x50, 0, 0, 0, 0, 0]), Err(DecodeError::Encapsulated));
}

mod properties {
	use super::*;
	use proptest::prelude::*;

	proptest! {
		#[test]
		fn decoding_any_bytes_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..1600)) {
			if let Ok(message) = Message::decode(&bytes) {
				// What decodes re-encodes to the same bytes, but for
				// reserved bits, which encoding clears.
				let again = message.encode();
				prop_assert_eq!(Message::decode(&again), Ok(message));
			}
			let _ = membership::decode(&bytes);
			let _ = udp::decode(&bytes);
		}

		#[test]
		fn any_report_round_trips(
			groups in proptest::collection::vec((any::<[u8; 3]>(), proptest::collection::vec(any::<u32>(), 0..8), 1u8..=6), 0..8),
		) {
			let records: Vec<GroupRecord> = groups
				.into_iter()
				.map(|(g, sources, kind)| GroupRecord {
					kind: [RecordType::ModeIsInclude, RecordType::ModeIsExclude, RecordType::ChangeToInclude,
						RecordType::ChangeToExclude, RecordType::AllowNewSources, RecordType::BlockOldSources][usize::from(kind - 1)],
					group: IpAddr::V4([232, g[0], g[1], g[2]].into()),
					sources: sources.into_iter().map(|s| IpAddr::V4(s.into())).collect(),
				})
				.collect();
			let packet = membership::encode_report(ip("10.0.0.1"), &records).unwrap();
			prop_assert_eq!(membership::decode(&packet), Ok(Membership::Report(records)));
		}
	}
}
