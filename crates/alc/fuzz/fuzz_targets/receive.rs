//! The ALC packet and FDT decoders and the receiver on arbitrary input:
//! no panic, and nothing delivered but what a sender really sent. The
//! input is split into datagrams at each 0xff 0x00 pair, after one real
//! object's packets, so mangled packets meet a live assembly.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ocm_alc::{fdt::FdtInstance, packet::Packet, Event, Receiver, ReceiverConfig, Sender, SenderConfig};

fuzz_target!(|bytes: &[u8]| {
	let _ = Packet::decode(bytes);
	let _ = FdtInstance::decode(bytes);
	let now = std::time::Instant::now();
	let content: Vec<u8> = (0..5000u32).map(|i| (i * 7) as u8).collect();
	let sent = Sender::new(SenderConfig::default()).send_object("/o", None, &content).unwrap();
	let mut receiver = Receiver::new(ReceiverConfig::default());
	for datagram in bytes.split(|b| *b == 0xff) {
		receiver.handle(now, datagram);
	}
	for packet in &sent.packets {
		receiver.handle(now, packet);
	}
	receiver.poll(now + std::time::Duration::from_secs(60));
	while let Some(event) = receiver.poll_event() {
		if let Event::Received(object) = event {
			assert_eq!(object.body, content);
		}
	}
});
