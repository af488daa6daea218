//! Every decoder in ocm-amt, and the relay's and gateway's state machines, on arbitrary
//! datagrams: no panic, and whatever decodes encodes back to itself.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ocm_amt::{gateway, membership, relay, udp, Message};

fuzz_target!(|bytes: &[u8]| {
	if let Ok(message) = Message::decode(bytes) {
		assert_eq!(Message::decode(&message.encode()), Ok(message));
	}
	let _ = membership::decode(bytes);
	let _ = udp::decode(bytes);
	let mut relay = relay::Relay::new(relay::RelayConfig::default(), [7; 32]);
	let _ = relay.handle(std::time::Instant::now(), "192.0.2.1:2268".parse().unwrap(), bytes);
	let now = std::time::Instant::now();
	let relay_address = "192.0.2.9:2268".parse().unwrap();
	let mut gateway = gateway::Gateway::new(gateway::GatewayConfig::new(relay_address), now, 1);
	let _ = gateway.handle(now, relay_address, bytes);
	gateway.handle_timeout(now);
});
