//! The relay and gateway drivers on real sockets, in a network namespace
//! of the test's own (loopback with multicast on): a native source-specific
//! stream joined by the relay, tunnelled to the gateway, byte for byte;
//! spoofed updates and leaves. Needs root for the namespace; fails, never
//! skips, without it.

use ocm_amt::test_support::in_multicast_namespace;
use ocm_amt::{
	gateway::GatewayConfig,
	io::{gateway, relay::RelayDriver, relay::RelayDriverConfig},
	relay::{Channel, RelayConfig},
	Message,
};
use std::{
	net::{SocketAddr, UdpSocket},
	time::Duration,
};
use tokio::time::{sleep, timeout};

fn source_socket() -> UdpSocket {
	let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
	socket.set_multicast_ttl_v4(8).unwrap();
	socket
}

const DATA_PORT: u16 = 5000;

async fn start_relay() -> (SocketAddr, tokio::sync::watch::Receiver<ocm_amt::io::relay::RelayStatus>)
{
	let driver = RelayDriver::bind(RelayDriverConfig {
		relay: RelayConfig { address: "127.0.0.1".parse().unwrap(), ..Default::default() },
		listen: "127.0.0.1:0".parse().unwrap(),
		upstream_interface: 0,
		data_port: DATA_PORT,
		secret_rotation: Duration::from_secs(3600),
	})
	.unwrap();
	let address = driver.local_addr().unwrap();
	let status = driver.status();
	tokio::spawn(driver.run(std::future::pending()));
	(address, status)
}

#[test]
fn a_native_stream_crosses_the_tunnel_byte_for_byte_until_the_gateway_leaves() {
	in_multicast_namespace(|| async {
		let (relay, relay_status) = start_relay().await;
		let (gateway, mut received) =
			gateway::spawn(GatewayConfig::new(relay), "127.0.0.1:0".parse().unwrap(), 1024)
				.unwrap();
		let source = source_socket();
		let channel = Channel {
			source: source.local_addr().unwrap().ip(),
			group: "232.1.1.1".parse().unwrap(),
		};
		gateway.join(channel).await.unwrap();
		let group: SocketAddr = format!("232.1.1.1:{DATA_PORT}").parse().unwrap();

		// Until the tunnel is up and the relay joined, probes are lost.
		let first = timeout(Duration::from_secs(10), async {
			loop {
				source.send_to(b"probe", group).unwrap();
				if let Ok(Some(r)) = timeout(Duration::from_millis(50), received.recv()).await {
					break r;
				}
			}
		})
		.await
		.expect("the first datagram through the tunnel");
		sleep(Duration::from_millis(300)).await;
		assert_eq!(first.source, source.local_addr().unwrap());
		assert_eq!(first.group, group);
		while received.try_recv().is_ok() {}

		// 300 datagrams of every size up to a full segment's payload.
		let sent: Vec<Vec<u8>> = (0..300u32)
			.map(|i| (0..(i * 37 % 1400 + 1)).map(|b| (b as u8) ^ (i as u8)).collect())
			.collect();
		for payload in &sent {
			source.send_to(payload, group).unwrap();
			tokio::task::yield_now().await;
		}
		for payload in &sent {
			let r = timeout(Duration::from_secs(5), received.recv()).await.unwrap().unwrap();
			assert_eq!(&r.payload, payload);
		}

		// A Membership Update with a made-up MAC from elsewhere changes nothing.
		let spoofer = UdpSocket::bind("127.0.0.1:0").unwrap();
		let report = ocm_amt::membership::encode_report(
			"0.0.0.0".parse().unwrap(),
			&[ocm_amt::membership::GroupRecord {
				kind: ocm_amt::membership::RecordType::AllowNewSources,
				group: "232.9.9.9".parse().unwrap(),
				sources: vec!["127.0.0.1".parse().unwrap()],
			}],
		)
		.unwrap();
		spoofer
			.send_to(
				&Message::MembershipUpdate { mac: [0; 6], nonce: 1, report: &report }.encode(),
				relay,
			)
			.unwrap();

		// Leaving: the relay stops forwarding (and leaves natively).
		gateway.leave(channel);
		sleep(Duration::from_millis(300)).await;
		while received.try_recv().is_ok() {}
		for _ in 0..20 {
			source.send_to(b"after leave", group).unwrap();
		}
		assert!(timeout(Duration::from_millis(500), received.recv()).await.is_err());

		let mut status = relay_status.clone();
		let status = timeout(Duration::from_secs(3), status.wait_for(|s| s.counters.bad_mac >= 1))
			.await
			.expect("the spoofed update is counted")
			.unwrap()
			.clone();
		assert_eq!(status.tunnels, 0, "{status:?}");
		assert_eq!(status.join_errors, 0);
		assert!(status.counters.datagrams_forwarded >= 301, "{status:?}");
		gateway.close().await;
	});
}

#[test]
fn many_gateways_receive_one_native_stream() {
	in_multicast_namespace(|| async {
		let (relay, _) = start_relay().await;
		let source = source_socket();
		let channel = Channel {
			source: source.local_addr().unwrap().ip(),
			group: "232.2.2.2".parse().unwrap(),
		};
		let group: SocketAddr = format!("232.2.2.2:{DATA_PORT}").parse().unwrap();
		let mut gateways = Vec::new();
		for _ in 0..10 {
			let (g, rx) =
				gateway::spawn(GatewayConfig::new(relay), "127.0.0.1:0".parse().unwrap(), 64)
					.unwrap();
			g.join(channel).await.unwrap();
			gateways.push((g, rx));
		}
		// Every gateway's tunnel is open and joined once each sees a probe.
		timeout(Duration::from_secs(10), async {
			for (_, rx) in &mut gateways {
				loop {
					source.send_to(b"probe", group).unwrap();
					if let Ok(Some(_)) = timeout(Duration::from_millis(50), rx.recv()).await {
						break;
					}
				}
			}
		})
		.await
		.expect("all ten tunnels carry the stream");
		// Probes still in flight arrive before the datagram that counts.
		sleep(Duration::from_millis(300)).await;
		for (_, rx) in &mut gateways {
			while rx.try_recv().is_ok() {}
		}
		source.send_to(b"one datagram, ten copies", group).unwrap();
		for (_, rx) in &mut gateways {
			let r = timeout(Duration::from_secs(2), rx.recv()).await.unwrap().unwrap();
			assert_eq!(r.payload, b"one datagram, ten copies");
		}
	});
}

#[test]
fn an_ipv6_channel_is_joined_natively_and_tunnelled_over_ipv6_with_mldv2() {
	in_multicast_namespace(|| async {
		// IPv6 multicast does not loop back on `lo`: a veth pair inside the
		// namespace, the source on one end, the relay joining on the other.
		for args in [
			&["link", "add", "v0", "type", "veth", "peer", "name", "v1"][..],
			&["link", "set", "v0", "up"],
			&["link", "set", "v1", "up"],
			&["-6", "addr", "add", "fd00::1/64", "dev", "v0", "nodad"],
			&["-6", "addr", "add", "fd00::2/64", "dev", "v1", "nodad"],
		] {
			assert!(
				std::process::Command::new("ip").args(args).status().unwrap().success(),
				"ip {args:?}"
			);
		}
		sleep(Duration::from_millis(300)).await;
		let driver = RelayDriver::bind(RelayDriverConfig {
			relay: RelayConfig { address: "::1".parse().unwrap(), ..Default::default() },
			listen: "[::1]:0".parse().unwrap(),
			upstream_interface: ocm_amt::io::sys::interface_index("v1").unwrap(),
			data_port: DATA_PORT,
			secret_rotation: Duration::from_secs(3600),
		})
		.unwrap();
		let relay = driver.local_addr().unwrap();
		let status = driver.status();
		tokio::spawn(driver.run(std::future::pending()));

		let (gateway, mut received) =
			gateway::spawn(GatewayConfig::new(relay), "[::1]:0".parse().unwrap(), 1024).unwrap();
		let channel =
			Channel { source: "fd00::1".parse().unwrap(), group: "ff3e::8000:1".parse().unwrap() };
		gateway.join(channel).await.unwrap();
		let source = UdpSocket::bind("[fd00::1]:0").unwrap();
		let v0 = ocm_amt::io::sys::interface_index("v0").unwrap();
		socket2::SockRef::from(&source).set_multicast_if_v6(v0).unwrap();
		let group: SocketAddr = format!("[ff3e::8000:1]:{DATA_PORT}").parse().unwrap();
		let first = timeout(Duration::from_secs(10), async {
			loop {
				source.send_to(b"over IPv6", group).unwrap();
				if let Ok(Some(r)) = timeout(Duration::from_millis(50), received.recv()).await {
					break r;
				}
			}
		})
		.await
		.expect("an IPv6 datagram through the tunnel");
		assert_eq!(first.payload, b"over IPv6");
		assert_eq!(first.group, group);
		assert_eq!(first.source, source.local_addr().unwrap());
		let mut status = status;
		let s = timeout(Duration::from_secs(3), status.wait_for(|s| s.tunnels == 1))
			.await
			.unwrap()
			.unwrap()
			.clone();
		assert_eq!(s.join_errors, 0, "{s:?}");
		gateway.close().await;
	});
}
