//! The sender's packets through a lossy, reordering channel into the
//! receiver: objects of every size come back byte for byte; at 5 % loss
//! FEC alone rebuilds them; what cannot be rebuilt is reported lost,
//! never delivered corrupt; lies and floods are dropped and counted.

use ocm_alc::{
	fdt::{FdtFile, FdtInstance},
	oti::Oti,
	packet::{self, Header},
	Event, Object, Receiver, ReceiverConfig, Sender, SenderConfig,
};
use proptest::prelude::*;
use std::time::{Duration, Instant};

/// xorshift64*: a fixed, seeded sequence so every run sees the same loss.
struct Rng(u64);
impl Rng {
	fn next(&mut self) -> u64 {
		self.0 ^= self.0 >> 12;
		self.0 ^= self.0 << 25;
		self.0 ^= self.0 >> 27;
		self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
	}
	fn below(&mut self, n: u64) -> u64 {
		self.next() % n
	}
}

fn body(rng: &mut Rng, len: usize) -> Vec<u8> {
	(0..len).map(|_| rng.next() as u8).collect()
}

fn events(receiver: &mut Receiver) -> Vec<Event> {
	std::iter::from_fn(|| receiver.poll_event()).collect()
}

#[test]
fn objects_of_every_size_arrive_byte_for_byte_in_any_order() {
	let mut rng = Rng(1);
	let mut sender = Sender::new(SenderConfig { max_block_symbols: 256, ..Default::default() });
	let mut receiver = Receiver::new(ReceiverConfig::default());
	let now = Instant::now();
	for (i, len) in [1usize, 7, 1311, 1312, 1313, 100_000, 2_000_000].into_iter().enumerate() {
		let content = body(&mut rng, len);
		let location = format!("/live/seg{i}.ts");
		let sent = sender.send_object(&location, Some("video/mp2t"), &content).unwrap();
		assert_eq!(sent.source_symbols, (len as u64).div_ceil(1312));
		// Reordered within the object, past the FDT: symbols before their
		// FDT are dropped, so keep the FDT copies first and shuffle the rest.
		let mut packets = sent.packets;
		let fdt = 3;
		for j in (fdt + 1..packets.len()).rev() {
			let k = fdt + rng.below((j - fdt + 1) as u64) as usize;
			packets.swap(j, k);
		}
		for p in &packets {
			receiver.handle(now, p);
		}
		assert_eq!(
			events(&mut receiver),
			vec![Event::Received(Object {
				toi: sent.toi,
				location,
				content_type: Some("video/mp2t".into()),
				cache_control: None,
				body: content
			})],
			"object of {len} bytes"
		);
	}
	let c = receiver.counters();
	assert_eq!((c.objects, c.lost, c.malformed, c.bad_symbols), (7, 0, 0, 0));
	assert!(c.late_symbols > 0, "symbols after an object is done are dropped quietly");
}

/// Sends `count` objects of an HLS-like mix (one playlist per segment)
/// through `loss_percent` random loss; the receiver's counters, and the
/// bytes sent per byte of object.
fn lossy_run(
	count: usize,
	loss_percent: u64,
	seed: u64,
) -> (ocm_alc::receiver::ReceiverCounters, f64) {
	let mut rng = Rng(seed);
	let mut sender = Sender::new(SenderConfig::default());
	let mut receiver = Receiver::new(ReceiverConfig::default());
	let start = Instant::now();
	let (mut object_bytes, mut sent_bytes) = (0u64, 0u64);
	for i in 0..count {
		// A playlist, then a segment of 0.2 to 1 MB (1 to 4 s at 2 Mbit/s).
		let len =
			if i % 2 == 0 { 300 + rng.below(700) } else { 200_000 + rng.below(800_000) } as usize;
		let content = body(&mut rng, len);
		let sent = sender.send_object(&format!("/o/{i}"), None, &content).unwrap();
		object_bytes += len as u64;
		let now = start + Duration::from_millis(i as u64 * 10);
		for p in &sent.packets {
			sent_bytes += p.len() as u64;
			if rng.below(100) >= loss_percent {
				receiver.handle(now, p);
			}
		}
		receiver.poll(now);
	}
	receiver.poll(start + Duration::from_secs(3600));
	(receiver.counters().clone(), sent_bytes as f64 / object_bytes as f64)
}

#[test]
fn at_five_percent_loss_fec_alone_rebuilds_at_least_999_in_1000_objects() {
	let (c, sent_per_byte) = lossy_run(1000, 5, 7);
	let rebuilt = c.objects as f64 / 1000.0;
	println!(
		"5% loss, 1000 objects: {} rebuilt by FEC alone ({:.2}%), {} lost, {} never announced, \
		 {} repair symbols used; {:.1}% bytes beyond the objects (FEC, FDT and headers)",
		c.objects,
		rebuilt * 100.0,
		c.lost,
		1000 - c.objects - c.lost,
		c.repair_symbols_used,
		(sent_per_byte - 1.0) * 100.0
	);
	assert!(rebuilt >= 0.999, "{c:?}");
	assert!(sent_per_byte <= 1.20, "overhead {sent_per_byte}");
	assert_eq!(c.digest_mismatch, 0);
}

#[test]
fn objects_that_cannot_be_rebuilt_are_reported_lost_not_delivered() {
	// Objects whose every FDT copy is lost are never announced (the MAHP
	// receiver repairs those from the playlist); the rest are rebuilt or
	// reported lost, none is delivered wrong (`lossy_run` would see it in
	// `digest_mismatch`, and the receiver never delivers on a mismatch).
	let (c, _) = lossy_run(100, 40, 3);
	assert!(c.lost > 20, "{c:?}");
	assert!(c.objects + c.lost <= 100 && c.objects + c.lost > 80, "{c:?}");
	assert_eq!(c.digest_mismatch, 0);
}

#[test]
fn repair_is_sized_from_the_binomial_tail() {
	use ocm_alc::sender::repair_symbols;
	// K = 1 at 5 %: 3 repairs fail when 3 of 4 are lost (4.8e-4 > 1e-4);
	// 4 repairs when 4 of 5 are (3.0e-5).
	assert_eq!(repair_symbols(1, 50_000, 100), 4);
	let overhead = |k: u32| f64::from(repair_symbols(k, 50_000, 100)) / f64::from(k);
	assert!(overhead(100) > overhead(1000) && overhead(1000) > overhead(8000));
	assert!((0.06..0.12).contains(&overhead(1000)), "{}", overhead(1000));
	assert!((0.05..0.08).contains(&overhead(8000)), "{}", overhead(8000));
	assert_eq!(repair_symbols(100, 0, 100), 1);
}

#[test]
fn an_fdt_that_lies_about_its_object_never_yields_a_corrupt_object() {
	let now = Instant::now();
	let mut rng = Rng(5);
	let content = body(&mut rng, 50_000);
	let mut sender = Sender::new(SenderConfig::default());
	let sent = sender.send_object("/real", None, &content).unwrap();
	let data: Vec<&Vec<u8>> = sent.packets.iter().skip(3).collect();

	// A forged FDT for the same TOI: shorter length, same symbol size.
	let forged = |oti: Oti, md5: Option<[u8; 16]>| {
		let xml = FdtInstance {
			expires: 1,
			files: vec![FdtFile {
				toi: sent.toi,
				location: "/forged".into(),
				content_type: None,
				cache_control: None,
				md5,
				oti,
			}],
		}
		.encode();
		let header = Header {
			tsi: 1,
			toi: 0,
			close_session: false,
			close_object: false,
			fdt_instance: Some(99),
			oti: Some(Oti {
				transfer_length: xml.len() as u64,
				symbol_size: xml.len() as u16,
				source_blocks: 1,
				sub_blocks: 1,
				alignment: 1,
			}),
		};
		let mut p = Vec::new();
		packet::encode_into(&mut p, &header, 0, 0, &xml);
		p
	};
	// Shorter: the symbols rebuild a body, which fails its digest.
	let mut receiver = Receiver::new(ReceiverConfig::default());
	let short = Oti::for_object(20_000, 1312, 8192).unwrap();
	receiver.handle(now, &forged(short, Some([0; 16])));
	for p in &data {
		receiver.handle(now, p);
	}
	let ev = events(&mut receiver);
	assert!(ev.iter().all(|e| matches!(e, Event::Lost { .. })), "{ev:?}");
	assert!(receiver.counters().digest_mismatch + receiver.counters().bad_symbols > 0);

	// Another symbol size: every symbol is refused for its length.
	let mut receiver = Receiver::new(ReceiverConfig::default());
	let other = Oti::for_object(50_000, 1024, 8192).unwrap();
	receiver.handle(now, &forged(other, Some([0; 16])));
	for p in &data {
		receiver.handle(now, p);
	}
	assert_eq!(receiver.counters().bad_symbols, data.len() as u64);
	receiver.poll(now + Duration::from_secs(10));
	assert_eq!(
		events(&mut receiver),
		vec![Event::Lost { toi: sent.toi, location: "/forged".into() }]
	);

	// Bigger than the receiver takes: never announced, never allocated.
	let mut receiver =
		Receiver::new(ReceiverConfig { max_object_size: 10_000, ..Default::default() });
	for p in &sent.packets {
		receiver.handle(now, p);
	}
	assert_eq!(receiver.counters().too_large, 1);
	assert_eq!(receiver.counters().unknown_object, data.len() as u64);
	assert!(events(&mut receiver).is_empty());
}

#[test]
fn a_flood_of_announcements_is_bounded() {
	let now = Instant::now();
	let mut sender = Sender::new(SenderConfig::default());
	let mut receiver =
		Receiver::new(ReceiverConfig { max_announced: 16, max_objects: 4, ..Default::default() });
	for i in 0..100 {
		let sent = sender.send_object(&format!("/{i}"), None, &[i as u8; 5000]).unwrap();
		// Only the FDT and one symbol of each: nothing completes.
		for p in &sent.packets[..4] {
			receiver.handle(now, p);
		}
	}
	let c = receiver.counters();
	assert!(c.table_full >= 84, "{c:?}");
	assert_eq!(c.objects, 0);
	receiver.poll(now + Duration::from_secs(10));
	assert_eq!(events(&mut receiver).len(), 16, "the announced ones are reported lost");
}

proptest! {
	#[test]
	fn garbage_and_mangled_packets_never_panic_or_deliver(
		garbage in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..200), 0..50),
		flips in proptest::collection::vec((any::<usize>(), any::<u8>()), 0..20),
	) {
		let now = Instant::now();
		let mut sender = Sender::new(SenderConfig::default());
		let content: Vec<u8> = (0..3000u32).map(|i| i as u8).collect();
		let sent = sender.send_object("/x", None, &content).unwrap();
		let mut receiver = Receiver::new(ReceiverConfig::default());
		for g in &garbage {
			receiver.handle(now, g);
		}
		let mut packets = sent.packets.clone();
		for (at, xor) in &flips {
			let p = at % packets.len();
			let len = packets[p].len();
			packets[p][at % len] ^= xor | 1;
		}
		for p in &packets {
			receiver.handle(now, p);
		}
		receiver.poll(now + Duration::from_secs(10));
		for event in std::iter::from_fn(|| receiver.poll_event()) {
			if let Event::Received(object) = event {
				prop_assert_eq!(object.body, content.clone());
			}
		}
	}
}
