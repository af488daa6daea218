//! The AMT relay on real sockets: one UDP socket facing gateways, one per
//! IP family receiving the channels joined natively upstream, and the
//! sans-I/O [`Relay`] deciding everything. One task, one thread: a
//! datagram is received, wrapped once and sent to each subscribed gateway
//! without crossing threads.

use super::sys;
use crate::relay::{Action, Counters, Relay, RelayConfig};
use socket2::{Domain, Protocol, Socket, Type};
use std::{
	future::Future,
	io,
	net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr},
	time::Duration,
};
use tokio::{io::Interest, net::UdpSocket, sync::watch, time::Instant};

#[derive(Clone, Debug)]
pub struct RelayDriverConfig {
	pub relay: RelayConfig,
	/// Where gateways send Discovery, Requests and Updates (port 2268).
	pub listen: SocketAddr,
	/// The interface channels are joined on, by index; 0 joins by route.
	pub upstream_interface: u32,
	/// The UDP port channels are received on. A channel's datagrams to
	/// other ports are not forwarded: AMT's (S,G) has no port, a socket does.
	pub data_port: u16,
	/// How often the response MAC's secret changes.
	pub secret_rotation: Duration,
}

/// What the relay has done so far, published about once a second.
#[derive(Clone, Default, Debug)]
pub struct RelayStatus {
	pub counters: Counters,
	pub tunnels: usize,
	/// Native joins or leaves the kernel refused.
	pub join_errors: u64,
	/// Datagrams from upstream not sent on to a gateway (socket errors).
	pub send_errors: u64,
}

pub struct RelayDriver {
	config: RelayDriverConfig,
	gateways: UdpSocket,
	upstream_v4: Option<UdpSocket>,
	upstream_v6: Option<UdpSocket>,
	relay: Relay,
	status: watch::Sender<RelayStatus>,
}

fn random_secret() -> io::Result<[u8; 32]> {
	let mut secret = [0; 32];
	getrandom::fill(&mut secret).map_err(|e| io::Error::other(e.to_string()))?;
	Ok(secret)
}

fn upstream_socket(ipv6: bool, port: u16) -> io::Result<UdpSocket> {
	let domain = if ipv6 { Domain::IPV6 } else { Domain::IPV4 };
	let socket = Socket::new(domain, Type::DGRAM, Some(Protocol::UDP))?;
	if ipv6 {
		socket.set_only_v6(true)?;
	}
	socket.set_reuse_address(true)?;
	socket.set_nonblocking(true)?;
	// Bursts of segments arrive faster than one wake-up drains them.
	let _ = socket.set_recv_buffer_size(8 << 20);
	let any: IpAddr =
		if ipv6 { Ipv6Addr::UNSPECIFIED.into() } else { Ipv4Addr::UNSPECIFIED.into() };
	socket.bind(&SocketAddr::new(any, port).into())?;
	sys::prepare_multicast_receiver(&socket, ipv6)?;
	UdpSocket::from_std(socket.into())
}

/// The socket once it is readable; never, for a family without one.
async fn readable(socket: &Option<UdpSocket>) -> io::Result<&UdpSocket> {
	match socket {
		Some(socket) => socket.readable().await.map(|()| socket),
		None => std::future::pending().await,
	}
}

impl RelayDriver {
	/// Binds the gateway socket and the upstream sockets (IPv6's only
	/// where the host has IPv6). Must run inside a tokio runtime.
	pub fn bind(config: RelayDriverConfig) -> io::Result<Self> {
		let gateways = {
			let socket =
				Socket::new(Domain::for_address(config.listen), Type::DGRAM, Some(Protocol::UDP))?;
			socket.set_nonblocking(true)?;
			let _ = socket.set_send_buffer_size(8 << 20);
			let _ = socket.set_recv_buffer_size(4 << 20);
			socket.bind(&config.listen.into())?;
			UdpSocket::from_std(socket.into())?
		};
		let upstream_v4 = Some(upstream_socket(false, config.data_port)?);
		let upstream_v6 = upstream_socket(true, config.data_port).ok();
		let relay = Relay::new(config.relay.clone(), random_secret()?);
		Ok(Self {
			config,
			gateways,
			upstream_v4,
			upstream_v6,
			relay,
			status: watch::Sender::new(RelayStatus::default()),
		})
	}

	/// The gateway-facing address (with the port chosen, if it was 0).
	pub fn local_addr(&self) -> io::Result<SocketAddr> {
		self.gateways.local_addr()
	}

	pub fn status(&self) -> watch::Receiver<RelayStatus> {
		self.status.subscribe()
	}

	/// Runs until `shutdown` completes.
	pub async fn run(self, shutdown: impl Future<Output = ()>) -> io::Result<()> {
		let Self { config, gateways, upstream_v4, upstream_v6, mut relay, status } = self;
		let mut join_errors = 0u64;
		let mut from_gateway = vec![0u8; 65_536];
		let mut forwarding = Forwarding {
			received: vec![0u8; 65_536],
			message: Vec::with_capacity(65_536),
			port: config.data_port,
			send_errors: 0,
		};
		let mut rotation = tokio::time::interval(config.secret_rotation);
		rotation.tick().await;
		let mut publish = tokio::time::interval(Duration::from_secs(1));
		tokio::pin!(shutdown);

		let apply = |actions: Vec<Action>, join_errors: &mut u64| {
			let mut sends = Vec::new();
			for action in actions {
				match action {
					Action::Send { to, bytes } => sends.push((to, bytes)),
					Action::Join(channel) | Action::Leave(channel) => {
						let join = matches!(action, Action::Join(_));
						let socket = if channel.group.is_ipv6() {
							upstream_v6.as_ref()
						} else {
							upstream_v4.as_ref()
						};
						let result = socket
							.ok_or_else(|| io::Error::other("no IPv6 upstream socket"))
							.and_then(|s| {
								sys::source_membership(
									s,
									config.upstream_interface,
									channel.source,
									channel.group,
									join,
								)
							});
						if let Err(e) = result {
							*join_errors += 1;
							tracing::warn!(?channel, join, "native membership change failed: {e}");
						}
					}
				}
			}
			sends
		};

		loop {
			let expiry = relay.next_expiry().map(Instant::from_std);
			tokio::select! {
				biased;
				_ = &mut shutdown => break,
				received = gateways.recv_from(&mut from_gateway) => {
					// ICMP errors surface here as errors of later receives;
					// they say nothing about this datagram.
					let Ok((n, from)) = received else { continue };
					let actions = relay.handle(std::time::Instant::now(), from, &from_gateway[..n]);
					for (to, bytes) in apply(actions, &mut join_errors) {
						if gateways.send_to(&bytes, to).await.is_err() {
							forwarding.send_errors += 1;
						}
					}
				}
				ready = readable(&upstream_v4) => forwarding.burst(ready?, &gateways, &mut relay).await,
				ready = readable(&upstream_v6) => forwarding.burst(ready?, &gateways, &mut relay).await,
				_ = async { tokio::time::sleep_until(expiry.unwrap_or_else(Instant::now)).await }, if expiry.is_some() => {
					let actions = relay.poll(std::time::Instant::now());
					apply(actions, &mut join_errors);
				}
				_ = rotation.tick() => relay.rotate_secret(random_secret()?),
				_ = publish.tick() => {
					status.send_replace(RelayStatus {
						counters: relay.counters().clone(),
						tunnels: relay.tunnels(),
						join_errors,
						send_errors: forwarding.send_errors,
					});
				}
			}
		}
		Ok(())
	}
}

/// The upstream side's buffers, reused for every datagram: one to
/// receive into, one to build the Multicast Data message in.
struct Forwarding {
	received: Vec<u8>,
	message: Vec<u8>,
	/// The port channels are received on (their datagrams' destination).
	port: u16,
	send_errors: u64,
}

impl Forwarding {
	/// Forwards what the upstream socket holds, up to a burst, so timers
	/// and gateways still get their turn under a flood.
	async fn burst(&mut self, upstream: &UdpSocket, gateways: &UdpSocket, relay: &mut Relay) {
		for _ in 0..256 {
			let received = upstream.try_io(Interest::READABLE, || {
				sys::recv_with_destination(upstream, &mut self.received)
			});
			let (n, source, group) = match received {
				Ok(received) => received,
				Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
				Err(_) => continue,
			};
			let group = SocketAddr::new(group, self.port);
			let Some(to) =
				relay.forward_into(&mut self.message, source, group, &self.received[..n])
			else {
				continue;
			};
			for gateway in to {
				let sent = match gateways.try_send_to(&self.message, *gateway) {
					Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
						gateways.send_to(&self.message, *gateway).await
					}
					other => other,
				};
				if sent.is_err() {
					self.send_errors += 1;
				}
			}
		}
	}
}
