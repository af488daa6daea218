//! Byte vectors from RFC 5651's, RFC 6330's and RFC 6726's layouts (worked
//! by hand), and the checks that refuse what a packet or FDT cannot mean.

use ocm_alc::{
	fdt::{FdtError, FdtFile, FdtInstance},
	oti::{Oti, OtiError},
	packet::{self, Header, Packet, PacketError},
};

fn oti(f: u64, t: u16, z: u8, n: u16, al: u8) -> Oti {
	Oti { transfer_length: f, symbol_size: t, source_blocks: z, sub_blocks: n, alignment: al }
}

#[test]
fn an_fdt_packet_is_laid_out_as_the_rfcs_draw_it() {
	let header = Header {
		tsi: 0x0102_0304,
		toi: 0,
		close_session: false,
		close_object: true,
		fdt_instance: Some(1),
		oti: Some(oti(1_000_000, 1024, 1, 1, 4)),
	};
	let mut bytes = Vec::new();
	packet::encode_into(&mut bytes, &header, 0x02, 0x00_0a0b, b"xml");
	#[rustfmt::skip]
	let expected = [
		// V=1 C=0 PSI=0 | S=1 O=01 H=0 Res=0 A=0 B=1 | HDR_LEN 9 words | CP 6
		0x10, 0xa1, 0x09, 0x06,
		0, 0, 0, 0, // CCI
		0x01, 0x02, 0x03, 0x04, // TSI
		0, 0, 0, 0, // TOI 0: the FDT
		0xc0, 0x20, 0x00, 0x01, // EXT_FDT: HET 192, V=2, instance 1
		// EXT_FTI: HET 64, HEL 4, F=1,000,000 (40 bits), reserved, T=1024,
		// Z=1, N=1, Al=4, padding.
		0x40, 0x04, 0x00, 0x00, 0x0f, 0x42, 0x40, 0x00, 0x04, 0x00, 0x01, 0x00, 0x01, 0x04, 0x00, 0x00,
		0x02, 0x00, 0x0a, 0x0b, // SBN 2, ESI 2571
		b'x', b'm', b'l',
	];
	assert_eq!(bytes, expected);
	let packet = Packet::decode(&bytes).unwrap();
	assert_eq!(
		(
			packet.tsi,
			packet.toi,
			packet.fdt_instance,
			packet.oti,
			packet.sbn,
			packet.esi,
			packet.symbol
		),
		(0x0102_0304, 0, Some(1), header.oti, 2, 0x0a0b, &b"xml"[..])
	);
	assert!(packet.close_object && !packet.close_session);
}

#[test]
fn other_header_sizes_and_unknown_extensions_decode() {
	// C=1 (64-bit CCI), S=0, O=2, H=1: 16-bit TSI, 80-bit TOI (high bits
	// zero), an EXT_NOP of two words and an EXT_TIME-like HET 130 word.
	#[rustfmt::skip]
	let bytes = [
		0x14, 0x50, 0x09, 0x06,
		1, 2, 3, 4, 5, 6, 7, 8,
		0xab, 0xcd,
		0, 0, 0, 0, 0, 0, 0, 0, 0x12, 0x34,
		0x00, 0x02, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		0x82, 0, 0, 0,
		0, 0, 0, 5,
		0xee,
	];
	let p = Packet::decode(&bytes).unwrap();
	assert_eq!((p.tsi, p.toi, p.esi, p.symbol), (0xabcd, 0x1234, 5, &[0xee][..]));
}

#[test]
fn malformed_packets_are_refused_with_a_reason() {
	let mut good = Vec::new();
	let header = Header {
		tsi: 1,
		toi: 7,
		close_session: false,
		close_object: false,
		fdt_instance: None,
		oti: None,
	};
	packet::encode_into(&mut good, &header, 0, 0, &[1; 8]);
	assert!(Packet::decode(&good).is_ok());
	assert_eq!(Packet::decode(&good[..3]), Err(PacketError::Truncated));
	assert_eq!(Packet::decode(&good[..19]), Err(PacketError::Truncated));
	let mut v2 = good.clone();
	v2[0] = 0x20;
	assert_eq!(Packet::decode(&v2), Err(PacketError::Version(2)));
	let mut short = good.clone();
	short[2] = 3; // HDR_LEN shorter than CCI + TSI + TOI
	assert_eq!(Packet::decode(&short), Err(PacketError::HeaderLength));
	let mut other_fec = good.clone();
	other_fec[3] = 0;
	assert_eq!(Packet::decode(&other_fec), Err(PacketError::Codepoint(0)));
	// An extension whose HEL runs past HDR_LEN, and one with HEL 0.
	let mut ext = good.clone();
	ext[2] = 5;
	ext.splice(16..16, [0x00, 0x03, 0, 0]);
	assert_eq!(Packet::decode(&ext), Err(PacketError::HeaderLength));
	ext[17] = 0;
	assert_eq!(Packet::decode(&ext), Err(PacketError::HeaderLength));
	// A lying EXT_FTI: T not a multiple of Al.
	let mut lying = Vec::new();
	let h = Header { oti: Some(oti(100, 10, 1, 1, 4)), ..header };
	packet::encode_into(&mut lying, &h, 0, 0, &[0; 4]);
	assert_eq!(Packet::decode(&lying), Err(PacketError::Oti(OtiError::SymbolSize)));
}

#[test]
fn object_transmission_information_that_lies_is_refused() {
	assert_eq!(Oti::decode(&oti(0, 8, 1, 1, 8).encode()), Err(OtiError::Empty));
	assert_eq!(
		Oti::decode(&oti(1 << 39 | 1 << 38 | 1 << 37, 8, 1, 1, 8).encode()).err(),
		Some(OtiError::TooLong)
	);
	assert_eq!(Oti::decode(&oti(100, 0, 1, 1, 8).encode()), Err(OtiError::SymbolSize));
	assert_eq!(Oti::decode(&oti(100, 12, 1, 1, 8).encode()), Err(OtiError::SymbolSize));
	assert_eq!(Oti::decode(&oti(100, 8, 1, 1, 0).encode()), Err(OtiError::SymbolSize));
	assert_eq!(Oti::decode(&oti(100, 8, 0, 1, 8).encode()), Err(OtiError::Blocks));
	assert_eq!(
		Oti::decode(&oti(16, 8, 3, 1, 8).encode()),
		Err(OtiError::Blocks),
		"3 blocks of 2 symbols"
	);
	assert_eq!(
		Oti::decode(&oti(100, 8, 1, 2, 8).encode()),
		Err(OtiError::Blocks),
		"sub-symbols below Al"
	);
	assert_eq!(Oti::decode(&oti(8 * 56_404, 8, 1, 1, 8).encode()), Err(OtiError::BlockTooLarge));
	let good = oti(2_000_000, 1312, 1, 1, 8);
	assert_eq!(Oti::decode(&good.encode()), Ok(good));
	assert_eq!(Oti::from_fdt(2_000_000, 1312, &good.scheme_specific()), Ok(good));
	assert_eq!(Oti::from_fdt(2_000_000, 1312, "AQAB"), Err(OtiError::SchemeSpecific));
	assert_eq!(good.scheme_specific(), "AQABCA==");
}

fn file(toi: u32, location: &str) -> FdtFile {
	FdtFile {
		toi,
		location: location.into(),
		content_type: Some("video/mp2t".into()),
		cache_control: Some("max-age=3600, public".into()),
		md5: Some([7; 16]),
		oti: oti(1_000_000, 1312, 1, 1, 8),
	}
}

#[test]
fn fdt_instances_round_trip_and_escape_their_urls() {
	let fdt = FdtInstance {
		expires: 3_900_000_000,
		files: vec![file(1, "http://origin/live/seg1.ts?a=1&b=\"2\""), file(2, "/live/index.m3u8")],
	};
	let xml = fdt.encode();
	let text = String::from_utf8(xml.clone()).unwrap();
	assert!(text.contains("a=1&amp;b=&quot;2&quot;"), "{text}");
	assert!(text.contains("FEC-OTI-FEC-Encoding-ID=\"6\""));
	assert_eq!(FdtInstance::decode(&xml), Ok(fdt));
}

#[test]
fn fdt_instances_from_elsewhere_with_defaults_on_the_instance_decode() {
	let xml = br#"<?xml version="1.0"?>
<fdt:FDT-Instance xmlns:fdt="urn:ietf:params:xml:ns:fdt" Expires="100"
  FEC-OTI-FEC-Encoding-ID="6" FEC-OTI-Encoding-Symbol-Length="1024" FEC-OTI-Scheme-Specific-Info="AQABBA==">
  <fdt:File TOI="9" Content-Location="file:///demo.bin" Content-Length="1000000" Transfer-Length="1000000"/>
</fdt:FDT-Instance>"#;
	let fdt = FdtInstance::decode(xml).unwrap();
	assert_eq!(fdt.files[0].oti, oti(1_000_000, 1024, 1, 1, 4));
	assert_eq!(fdt.files[0].location, "file:///demo.bin");
}

#[test]
fn fdts_that_point_outside_their_object_are_refused() {
	let with = |attrs: &str| {
		let xml = format!(
			r#"<FDT-Instance Expires="1"><File TOI="1" Content-Location="/a" FEC-OTI-Encoding-Symbol-Length="1312" FEC-OTI-Scheme-Specific-Info="AQABCA==" {attrs}/></FDT-Instance>"#
		);
		FdtInstance::decode(xml.as_bytes())
	};
	assert!(with(r#"Transfer-Length="1000" FEC-OTI-FEC-Encoding-ID="6""#).is_ok());
	assert_eq!(
		with(r#"Transfer-Length="1000" Content-Length="2000" FEC-OTI-FEC-Encoding-ID="6""#),
		Err(FdtError::Lengths)
	);
	assert_eq!(
		with(r#"Transfer-Length="1000" FEC-OTI-FEC-Encoding-ID="1""#),
		Err(FdtError::Encoding(1))
	);
	assert_eq!(
		with(r#"Transfer-Length="1000" Content-Encoding="gzip" FEC-OTI-FEC-Encoding-ID="6""#),
		Err(FdtError::ContentEncoding)
	);
	assert_eq!(with(r#"FEC-OTI-FEC-Encoding-ID="6""#), Err(FdtError::Missing("Transfer-Length")));
	assert_eq!(
		with(r#"Transfer-Length="-5" FEC-OTI-FEC-Encoding-ID="6""#),
		Err(FdtError::Number("Transfer-Length"))
	);
	// 100 source blocks of 1312-byte symbols cannot hold 1000 bytes.
	assert_eq!(
		with(r#"Transfer-Length="100000000000000" FEC-OTI-FEC-Encoding-ID="6""#),
		Err(FdtError::Oti(OtiError::TooLong))
	);
	assert_eq!(
		with(r#"Transfer-Length="1000" Content-MD5="short" FEC-OTI-FEC-Encoding-ID="6""#),
		Err(FdtError::Md5)
	);
	assert!(matches!(
		FdtInstance::decode(b"<FDT-Instance Expires=\"1\"><File"),
		Err(FdtError::Xml(_))
	));
	assert_eq!(FdtInstance::decode(b"<other/>"), Err(FdtError::NoInstance));
	let many = format!(
		"<FDT-Instance Expires=\"1\">{}</FDT-Instance>",
		(1..=257).map(|i| format!("<File TOI=\"{i}\" Content-Location=\"/{i}\" Transfer-Length=\"10\" FEC-OTI-FEC-Encoding-ID=\"6\" FEC-OTI-Encoding-Symbol-Length=\"8\" FEC-OTI-Scheme-Specific-Info=\"AQABCA==\"/>")).collect::<String>()
	);
	assert_eq!(FdtInstance::decode(many.as_bytes()), Err(FdtError::TooManyFiles));
}
