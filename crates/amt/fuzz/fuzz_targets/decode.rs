//! Every decoder in ocm-amt, and the relay's state machine, on arbitrary
//! datagrams: no panic, and whatever decodes encodes back to itself.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ocm_amt::{membership, relay, udp, Message};

fuzz_target!(|bytes: &[u8]| {
	if let Ok(message) = Message::decode(bytes) {
		assert_eq!(Message::decode(&message.encode()), Ok(message));
	}
	let _ = membership::decode(bytes);
	let _ = udp::decode(bytes);
	let mut relay = relay::Relay::new(relay::RelayConfig::default(), [7; 32]);
	let _ = relay.handle(std::time::Instant::now(), "192.0.2.1:2268".parse().unwrap(), bytes);
});
