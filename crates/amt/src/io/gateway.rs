//! The AMT gateway on a real socket: a task driving the sans-I/O
//! [`Gateway`], taking joins and leaves from its handle and handing each
//! received multicast datagram to its user through a bounded queue.

use crate::{
	gateway::{Gateway, GatewayConfig, GatewayCounters, JoinError},
	relay::Channel,
};
use std::{io, net::SocketAddr};
use tokio::{
	net::UdpSocket,
	sync::{mpsc, oneshot, watch},
	task::JoinHandle,
	time::Instant,
};

/// A multicast datagram that came through the tunnel.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Received {
	pub source: SocketAddr,
	pub group: SocketAddr,
	pub payload: Vec<u8>,
}

#[derive(Clone, Default, Debug)]
pub struct GatewayStatus {
	pub open: bool,
	pub relay: Option<SocketAddr>,
	pub counters: GatewayCounters,
	/// Datagrams dropped because the user's queue was full.
	pub queue_full: u64,
}

enum Command {
	Join(Channel, oneshot::Sender<Result<(), JoinError>>),
	Leave(Channel),
}

/// Joins and leaves channels on a running gateway. Dropping it leaves
/// every channel and ends the task.
pub struct GatewayHandle {
	commands: mpsc::UnboundedSender<Command>,
	status: watch::Receiver<GatewayStatus>,
	task: JoinHandle<()>,
	local: SocketAddr,
}

impl GatewayHandle {
	pub async fn join(&self, channel: Channel) -> Result<(), JoinError> {
		let (reply, answer) = oneshot::channel();
		if self.commands.send(Command::Join(channel, reply)).is_err() {
			return Err(JoinError::TooManyChannels);
		}
		answer.await.unwrap_or(Err(JoinError::TooManyChannels))
	}

	pub fn leave(&self, channel: Channel) {
		let _ = self.commands.send(Command::Leave(channel));
	}

	pub fn status(&self) -> watch::Receiver<GatewayStatus> {
		self.status.clone()
	}

	/// The gateway's own UDP address.
	pub fn local_addr(&self) -> SocketAddr {
		self.local
	}

	/// Leaves every channel, tells the relay, and waits for the task.
	pub async fn close(self) {
		let Self { commands, task, .. } = self;
		drop(commands);
		let _ = task.await;
	}
}

/// Starts a gateway on a socket bound to `bind`; received datagrams queue
/// up to `queue` deep. Must run inside a tokio runtime.
pub fn spawn(
	config: GatewayConfig,
	bind: SocketAddr,
	queue: usize,
) -> io::Result<(GatewayHandle, mpsc::Receiver<Received>)> {
	let socket = std::net::UdpSocket::bind(bind)?;
	// A segment arrives as a burst of hundreds of datagrams: room for it
	// while the user's task is busy.
	let _ = socket2::SockRef::from(&socket).set_recv_buffer_size(4 << 20);
	socket.set_nonblocking(true)?;
	let socket = UdpSocket::from_std(socket)?;
	let local = socket.local_addr()?;
	let mut seed = [0u8; 8];
	getrandom::fill(&mut seed).map_err(|e| io::Error::other(e.to_string()))?;
	let gateway = Gateway::new(config, std::time::Instant::now(), u64::from_ne_bytes(seed));
	let (commands, command_rx) = mpsc::unbounded_channel();
	let (datagrams, datagram_rx) = mpsc::channel(queue.max(1));
	let (status_tx, status) = watch::channel(GatewayStatus::default());
	let task = tokio::spawn(run(gateway, socket, command_rx, datagrams, status_tx));
	Ok((GatewayHandle { commands, status, task, local }, datagram_rx))
}

/// A gateway for `relay` with the default timers, on a wildcard address
/// of the relay's family, for channels of IPv6 or IPv4 (`ipv6_channels`).
pub fn spawn_to(
	relay: SocketAddr,
	ipv6_channels: bool,
	queue: usize,
) -> io::Result<(GatewayHandle, mpsc::Receiver<Received>)> {
	let bind = if relay.is_ipv6() {
		SocketAddr::from((std::net::Ipv6Addr::UNSPECIFIED, 0))
	} else {
		SocketAddr::from((std::net::Ipv4Addr::UNSPECIFIED, 0))
	};
	spawn(GatewayConfig { ipv6: ipv6_channels, ..GatewayConfig::new(relay) }, bind, queue)
}

async fn flush(gateway: &mut Gateway, socket: &UdpSocket) {
	while let Some(transmit) = gateway.poll_transmit() {
		// A lost handshake datagram is retransmitted by the state machine.
		let _ = socket.send_to(&transmit.bytes, transmit.to).await;
	}
}

async fn run(
	mut gateway: Gateway,
	socket: UdpSocket,
	mut commands: mpsc::UnboundedReceiver<Command>,
	datagrams: mpsc::Sender<Received>,
	status: watch::Sender<GatewayStatus>,
) {
	let mut buffer = vec![0u8; 65_536];
	let mut queue_full = 0u64;
	let mut publish = tokio::time::interval(std::time::Duration::from_millis(200));
	loop {
		flush(&mut gateway, &socket).await;
		let deadline = gateway.poll_timeout().map(Instant::from_std);
		tokio::select! {
			received = socket.recv_from(&mut buffer) => {
				let Ok((n, from)) = received else { continue };
				if let Some(d) = gateway.handle(std::time::Instant::now(), from, &buffer[..n]) {
					let received = Received { source: d.source, group: d.group, payload: d.payload.to_vec() };
					if datagrams.try_send(received).is_err() {
						queue_full += 1;
					}
				}
			}
			command = commands.recv() => match command {
				Some(Command::Join(channel, reply)) => {
					let _ = reply.send(gateway.join(std::time::Instant::now(), channel));
				}
				Some(Command::Leave(channel)) => gateway.leave(std::time::Instant::now(), channel),
				None => {
					gateway.close(std::time::Instant::now());
					flush(&mut gateway, &socket).await;
					return;
				}
			},
			_ = async { tokio::time::sleep_until(deadline.unwrap_or_else(Instant::now)).await }, if deadline.is_some() => {
				gateway.handle_timeout(std::time::Instant::now());
			}
			_ = publish.tick() => {
				status.send_replace(GatewayStatus {
					open: gateway.is_open(),
					relay: gateway.relay(),
					counters: gateway.counters().clone(),
					queue_full,
				});
			}
		}
	}
}
