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
use ocm_beacon::multicast::{measure, ReachError, ReachPlan, ReachTest};
use ocm_pob::multicast::{self as test_channel, OBJECTS_IN_WINDOW, OBJECT_BYTES};
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
			window_start_ms: None,
			window_secs: 2,
			test: None,
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

/// Sends an epoch's multicast test as a relay does: object `i` of the
/// seeded stream at `send_offset_ms(i)` after `start_ms`.
fn send_test(
	source: std::net::UdpSocket,
	group: SocketAddr,
	epoch: u32,
	seed: [u8; 32],
	relay: u32,
	start_ms: u64,
) {
	let stream = ocm_pob::payload::PayloadStream::new(&test_channel::stream_id(seed, relay));
	let mut sender =
		Sender::new(SenderConfig { tsi: test_channel::session_id(relay), ..Default::default() });
	let mut body = vec![0; OBJECT_BYTES as usize];
	for i in 0..OBJECTS_IN_WINDOW {
		let at = start_ms + test_channel::send_offset_ms(i);
		std::thread::sleep(Duration::from_millis(at.saturating_sub(ocm_beacon::measure::now_ms())));
		test_channel::fill_object(&stream, i, &mut body);
		let location = test_channel::object_location(epoch, i);
		for packet in sender.send_object(&location, None, &body).unwrap().packets {
			source.send_to(&packet, group).unwrap();
		}
	}
}

#[test]
fn a_beacon_counts_the_true_objects_of_an_epochs_test_and_nothing_else() {
	ocm_amt::test_support::in_multicast_namespace(|| async {
		let amt_relay = start_amt_relay();
		let group: SocketAddr = "232.9.9.11:5000".parse().unwrap();
		let seed = [42; 32];
		let start_ms = ocm_beacon::measure::now_ms() + 1_500;
		let source = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
		let source_ip = source.local_addr().unwrap().ip();
		// The relay's true test, from a relay whose clock runs 100 ms ahead
		// of the beacon's (its first object comes before the beacon's
		// window starts), and on the same channel an impostor's objects:
		// last epoch's, and another relay's stream.
		let sending = tokio::task::spawn_blocking(move || {
			send_test(source, group, 9, seed, 3, start_ms - 100)
		});
		// Another source address: another SSM channel on the same group.
		let impostor = std::net::UdpSocket::bind("127.0.0.2:0").unwrap();
		let impostor_ip = impostor.local_addr().unwrap().ip();
		let replaying =
			tokio::task::spawn_blocking(move || send_test(impostor, group, 8, seed, 3, start_ms));
		let plan = ReachPlan {
			amt_relay,
			source: source_ip,
			group,
			tsi: test_channel::session_id(3),
			window_start_ms: Some(start_ms),
			window_secs: test_channel::WINDOW_SECS + 1,
			test: Some(ReachTest { epoch: 9, seed, relay: 3 }),
			open_timeout: Duration::from_secs(5),
		};
		// The impostor, joined as if it were the channel's source.
		let of_impostor = ReachPlan { source: impostor_ip, ..plan.clone() };
		let (reach, impostor_reach) = tokio::join!(measure(&plan), measure(&of_impostor));
		sending.await.unwrap();
		replaying.await.unwrap();
		let (reach, impostor_reach) = (reach.unwrap(), impostor_reach.unwrap());
		println!("true test: {reach:?}\nreplay: {impostor_reach:?}");
		assert_eq!(reach.verified, OBJECTS_IN_WINDOW, "{reach:?}");
		assert!(impostor_reach.objects >= u64::from(OBJECTS_IN_WINDOW) * 9 / 10);
		assert_eq!(impostor_reach.verified, 0, "a replay of last epoch counts nothing");
	});
}
