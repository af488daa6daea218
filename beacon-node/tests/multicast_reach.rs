//! The beacon's multicast reach check on real sockets, in a network
//! namespace of the test's own (loopback with multicast on): a source
//! multicasts FLUTE objects natively, an AMT relay (ocm-amt's driver)
//! joins them, and the beacon measures through its own gateway what
//! reaches it. Needs root for the namespace; fails, never skips.

use ocm_alc::{Sender, SenderConfig};
use ocm_amt::{
	io::relay::{RelayDriver, RelayDriverConfig},
	relay::RelayConfig,
};
use ocm_beacon::multicast::{measure, ReachError, ReachPlan};
use std::{net::SocketAddr, time::Duration};

fn start_amt_relay() -> SocketAddr {
	let driver = RelayDriver::bind(RelayDriverConfig {
		relay: RelayConfig { address: "127.0.0.1".parse().unwrap(), ..Default::default() },
		listen: "127.0.0.1:0".parse().unwrap(),
		upstream_interface: 0,
		data_port: 5000,
		secret_rotation: Duration::from_secs(3600),
	})
	.unwrap();
	let address = driver.local_addr().unwrap();
	tokio::spawn(driver.run(std::future::pending()));
	address
}

#[test]
fn a_beacon_measures_what_of_a_test_channel_reaches_it_through_amt() {
	ocm_amt::test_support::in_multicast_namespace(|| async {
		let amt_relay = start_amt_relay();
		let source = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
		let source_ip = source.local_addr().unwrap().ip();
		let group: SocketAddr = "232.9.9.9:5000".parse().unwrap();
		// The relay's test channel: a 40 kB object every 100 ms, for 4 s.
		let sending = tokio::task::spawn_blocking(move || {
			let mut sender = Sender::new(SenderConfig { tsi: 7, ..Default::default() });
			let mut bytes = 0u64;
			for i in 0..40u32 {
				let body: Vec<u8> = (0..40_000u32).map(|b| (b ^ i) as u8).collect();
				for packet in
					sender.send_object(&format!("/reach/{i}"), None, &body).unwrap().packets
				{
					bytes += source.send_to(&packet, group).unwrap() as u64;
				}
				std::thread::sleep(Duration::from_millis(100));
			}
			bytes
		});
		let plan = ReachPlan {
			amt_relay,
			source: source_ip,
			group,
			tsi: 7,
			window_secs: 2,
			open_timeout: Duration::from_secs(5),
		};
		let reach = measure(&plan).await.unwrap();
		let sent = sending.await.unwrap();
		println!("reach: {reach:?} (the source sent {sent} bytes in 4 s)");
		assert_eq!(reach.bytes_per_second.len(), 2);
		assert!(reach.bytes_per_second.iter().all(|b| *b > 200_000), "{reach:?}");
		assert!(reach.objects >= 10, "objects rebuilt and checked: {reach:?}");
		assert!(reach.first_datagram_ms.is_some());

		// A channel nobody sends on reaches nothing; a relay that does not
		// answer is an error, not a zero.
		let quiet =
			ReachPlan { group: "232.9.9.10:5000".parse().unwrap(), window_secs: 1, ..plan.clone() };
		let nothing = measure(&quiet).await.unwrap();
		assert_eq!((nothing.datagrams, nothing.bytes_per_second.clone()), (0, vec![0]));
		let nobody = ReachPlan {
			amt_relay: "127.0.0.1:9".parse().unwrap(),
			open_timeout: Duration::from_secs(1),
			..plan
		};
		assert!(matches!(measure(&nobody).await, Err(ReachError::NoTunnel)));
	});
}
