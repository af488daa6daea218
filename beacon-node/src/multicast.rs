//! The multicast reach check: the beacon joins a relay's announced test
//! channel through an AMT relay, as a viewer's network without multicast
//! would, and counts per second the ALC bytes that arrive and the objects
//! they rebuild. In an epoch's test ([`ReachTest`]) it also checks every
//! rebuilt object against the epoch's seeded stream
//! (`ocm_pob::multicast`), and reports the count of true objects to the
//! chain (`ProofOfBandwidth::submit_multicast_report`).

use crate::{measure::now_ms, window::WindowCounter};
use ocm_alc::{Event, Receiver, ReceiverConfig};
use ocm_amt::relay::Channel;
use ocm_pob::multicast::ReachCounter;
use std::{net::SocketAddr, time::Duration};

/// What to join and for how long.
#[derive(Clone, Debug)]
pub struct ReachPlan {
	/// The AMT relay's discovery address.
	pub amt_relay: SocketAddr,
	/// The test channel the relay announced: its source and group.
	pub source: std::net::IpAddr,
	pub group: SocketAddr,
	/// The FLUTE session on it.
	pub tsi: u32,
	/// Counting starts at this Unix millisecond (or when the tunnel is
	/// open, if `None` or past), and lasts `window_secs`.
	pub window_start_ms: Option<u64>,
	pub window_secs: u32,
	/// The epoch's test to check objects against, if this is one.
	pub test: Option<ReachTest>,
	/// How long the tunnel may take to open.
	pub open_timeout: Duration,
}

/// An epoch's multicast test of a relay.
#[derive(Clone, Debug)]
pub struct ReachTest {
	pub epoch: u32,
	pub seed: [u8; 32],
	pub relay: u32,
}

/// What reached the beacon.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Reach {
	/// ALC bytes of the channel per second of the window.
	pub bytes_per_second: Vec<u64>,
	pub datagrams: u64,
	/// Objects rebuilt and checked against their digests.
	pub objects: u64,
	/// Objects announced but not rebuilt.
	pub lost: u64,
	/// Of the objects rebuilt, the distinct test objects whose every byte
	/// checked (0 outside a test).
	pub verified: u32,
	/// Milliseconds from joining to the first datagram.
	pub first_datagram_ms: Option<u64>,
}

#[derive(Debug)]
pub enum ReachError {
	Socket(std::io::Error),
	Join(ocm_amt::gateway::JoinError),
	/// No query from the AMT relay in `open_timeout`.
	NoTunnel,
}

impl core::fmt::Display for ReachError {
	fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
		match self {
			Self::Socket(e) => write!(f, "gateway socket: {e}"),
			Self::Join(e) => write!(f, "join: {e}"),
			Self::NoTunnel => write!(f, "the AMT relay opened no tunnel"),
		}
	}
}

impl std::error::Error for ReachError {}

/// How long before the window the beacon starts listening.
const LISTEN_EARLY_MS: u64 = 250;

/// Joins, counts for the window, leaves.
pub async fn measure(plan: &ReachPlan) -> Result<Reach, ReachError> {
	let (gateway, mut datagrams) =
		ocm_amt::io::gateway::spawn_to(plan.amt_relay, plan.group.is_ipv6(), 8192)
			.map_err(ReachError::Socket)?;
	let joined_ms = now_ms();
	gateway
		.join(Channel { source: plan.source, group: plan.group.ip() })
		.await
		.map_err(ReachError::Join)?;
	let mut status = gateway.status();
	// The guard `wait_for` returns is dropped at once: held, it would
	// block the gateway's next status update.
	let opened = tokio::time::timeout(plan.open_timeout, status.wait_for(|s| s.open))
		.await
		.is_ok_and(|r| r.is_ok());
	if !opened {
		gateway.close().await;
		return Err(ReachError::NoTunnel);
	}
	// The tunnel is open before the window: wait for it without reading,
	// so nothing sent well before the window counts. Listening starts a
	// little early: the relay sends its first object at the window's
	// first millisecond, and a relay clock a little ahead (or this task
	// waking a little late) must not turn that object into a loss.
	let start_ms = plan.window_start_ms.unwrap_or(0).max(now_ms());
	let listen_ms = start_ms.saturating_sub(LISTEN_EARLY_MS);
	tokio::time::sleep(Duration::from_millis(listen_ms.saturating_sub(now_ms()))).await;
	while datagrams.try_recv().is_ok() {}
	let mut counter = WindowCounter::new(start_ms, plan.window_secs);
	let mut receiver =
		Receiver::new(ReceiverConfig { tsi: u64::from(plan.tsi), ..Default::default() });
	let mut checker = plan.test.as_ref().map(|t| ReachCounter::new(t.epoch, t.seed, t.relay));
	let mut reach = Reach::default();
	let end = tokio::time::Instant::now()
		+ Duration::from_millis(counter.end_ms().saturating_sub(now_ms()));
	loop {
		let datagram = tokio::select! {
			_ = tokio::time::sleep_until(end) => break,
			d = datagrams.recv() => match d { Some(d) => d, None => break },
		};
		if datagram.source.ip() != plan.source || datagram.group != plan.group {
			continue;
		}
		let now = now_ms();
		reach.first_datagram_ms.get_or_insert(now.saturating_sub(joined_ms));
		reach.datagrams += 1;
		// What came in the early listening counts in the window's first second.
		counter.add(now.max(start_ms), datagram.payload.len() as u64);
		receiver.handle(std::time::Instant::now(), &datagram.payload);
		while let Some(event) = receiver.poll_event() {
			match event {
				Event::Received(object) => {
					reach.objects += 1;
					if let Some(checker) = checker.as_mut() {
						if let Err(why) = checker.object(&object.location, &object.body) {
							tracing::debug!(location = %object.location, ?why, "not a test object");
						}
					}
				}
				Event::Lost { .. } => reach.lost += 1,
			}
		}
	}
	gateway.close().await;
	reach.bytes_per_second = counter.seconds().to_vec();
	reach.verified = checker.map_or(0, |c| c.verified());
	Ok(reach)
}
