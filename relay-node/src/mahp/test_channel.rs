//! Proof of bandwidth's multicast test, the relay's side: the channel the
//! relay announced on chain (`[multicast.test_channel]`) carries, in each
//! epoch that tests the relay, the epoch's seeded test objects
//! (`ocm_pob::multicast`) through the multicast window. The beacons
//! assigned to the relay join it through the announced AMT relay and
//! report the objects they rebuilt.

use crate::config::TestChannelConfig;
use ocm_alc::{Sender, SenderConfig};
use ocm_chain_client::{pob, Chain};
use ocm_pob::{
	multicast::{self, OBJECTS_IN_WINDOW, OBJECT_BYTES},
	payload::PayloadStream,
};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::net::UdpSocket;

fn now_ms() -> u64 {
	SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64)
}

/// One epoch's test, as the relay sends it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TestRun {
	pub epoch: u32,
	pub seed: [u8; 32],
	pub relay: u32,
	pub start_ms: u64,
}

/// Multicasts one epoch's test: object `i` at `start_ms + send_offset_ms(i)`,
/// each with its FEC at once (about 12 datagrams). Returns the ALC bytes sent.
pub async fn send(
	socket: &UdpSocket,
	group: std::net::SocketAddr,
	run: &TestRun,
) -> std::io::Result<u64> {
	let stream = PayloadStream::new(&multicast::stream_id(run.seed, run.relay));
	let mut sender =
		Sender::new(SenderConfig { tsi: multicast::session_id(run.relay), ..Default::default() });
	let mut body = vec![0; OBJECT_BYTES as usize];
	let mut sent = 0u64;
	for i in 0..OBJECTS_IN_WINDOW {
		let at = run.start_ms + multicast::send_offset_ms(i);
		tokio::time::sleep(Duration::from_millis(at.saturating_sub(now_ms()))).await;
		multicast::fill_object(&stream, i, &mut body);
		let object = sender
			.send_object(&multicast::object_location(run.epoch, i), None, &body)
			.map_err(|e| std::io::Error::other(format!("{e:?}")))?;
		for packet in &object.packets {
			sent += socket.send_to(packet, group).await? as u64;
		}
	}
	Ok(sent)
}

/// Announces the channel when the chain records another (or none), then
/// follows the epochs and sends every test of this relay.
pub async fn run(
	chain: Chain,
	operator: subxt_signer::sr25519::Keypair,
	relay: u32,
	config: TestChannelConfig,
) {
	announce(&chain, &operator, relay, &config).await;
	let socket = match super::sender::socket_from(config.source, config.ttl) {
		Ok(socket) => socket,
		Err(e) => {
			tracing::error!(source = %config.source, "the multicast test channel cannot open its socket: {e}");
			return;
		}
	};
	let mut last_epoch = 0;
	loop {
		tokio::time::sleep(Duration::from_millis(500)).await;
		let next = match next_test(&chain, relay, last_epoch).await {
			Ok(next) => next,
			Err(e) => {
				tracing::warn!(error = %e, "cannot read the epoch or the multicast test");
				continue;
			}
		};
		let Some((epoch, tested)) = next else { continue };
		last_epoch = epoch.index;
		if !tested {
			continue;
		}
		let run = TestRun {
			epoch: epoch.index,
			seed: epoch.seed,
			relay,
			start_ms: multicast::window_start_ms(epoch.window_start_ms, epoch.window_secs),
		};
		tracing::info!(epoch = run.epoch, group = %config.group, starts_in_ms = run.start_ms.saturating_sub(now_ms()), "multicast test scheduled");
		match send(&socket, config.group, &run).await {
			Ok(bytes) => tracing::info!(epoch = run.epoch, bytes, "multicast test sent"),
			Err(e) => tracing::warn!(epoch = run.epoch, error = %e, "multicast test failed"),
		}
	}
}

/// A new epoch (not `last_epoch`) and whether it tests this relay's channel.
async fn next_test(
	chain: &Chain,
	relay: u32,
	last_epoch: u32,
) -> Result<Option<(pob::EpochView, bool)>, String> {
	let at = chain.best().await?;
	match pob::epoch(&at).await? {
		Some(epoch) if epoch.index != last_epoch => {
			let tested = pob::multicast_test(&at, relay).await?.is_some();
			Ok(Some((epoch, tested)))
		}
		_ => Ok(None),
	}
}

async fn announce(
	chain: &Chain,
	operator: &subxt_signer::sr25519::Keypair,
	relay: u32,
	config: &TestChannelConfig,
) {
	let wanted = config.channel();
	loop {
		let on_chain = match chain.best().await {
			Ok(at) => pob::announced_channel(&at, relay).await,
			Err(e) => Err(e),
		};
		match on_chain {
			Ok(Some(channel)) if channel == wanted => return,
			Ok(_) => {
				let call = ocm_chain_client::subxt::dynamic::tx(
					"ProofOfBandwidth",
					"announce_multicast_channel",
					ocm_chain_client::subxt::ext::scale_value::Composite::unnamed([
						ocm_chain_client::subxt::dynamic::Value::u128(relay.into()),
						wanted.to_value(),
					]),
				);
				match chain.submit_signed(&call, operator).await {
					Ok(_) => {
						tracing::info!(relay, group = %wanted.group, amt_relay = %wanted.amt_relay, "multicast test channel announced");
						return;
					}
					// A refused channel is refused every time.
					Err(e) if e.contains("ProofOfBandwidth") => {
						tracing::error!(error = %e, "the chain refused the multicast test channel");
						return;
					}
					Err(e) => {
						tracing::warn!(error = %e, "announcing the multicast test channel failed; retrying")
					}
				}
			}
			Err(e) => tracing::warn!(error = %e, "cannot read the announced multicast channel"),
		}
		tokio::time::sleep(Duration::from_secs(5)).await;
	}
}
