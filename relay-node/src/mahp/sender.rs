//! The MAHP sender: follows a live HLS stream at its origin and sends each
//! new object once, as FLUTE over source-specific multicast with RaptorQ
//! repair: segments first, then the playlist that names them, so a
//! receiver holds a segment before any player can learn of it. Paced to a
//! configured rate so a segment's burst does not overrun the path.

use super::{hls, Multicast, MulticastMetrics};
use crate::config::MulticastSend;
use bytes::Bytes;
use http::{header, Request, Uri};
use http_body_util::{BodyExt, Empty, Limited};
use hyper_util::{client::legacy::Client, rt::TokioExecutor};
use ocm_alc::{Sender, SenderConfig};
use std::{
	collections::{HashSet, VecDeque},
	time::Duration,
};
use tokio::{net::UdpSocket, time::Instant};

/// URLs remembered as sent; a live window is far shorter.
const REMEMBERED: usize = 8192;
/// Media playlists followed per configured playlist (master and variants).
const MAX_PLAYLISTS: usize = 16;

type HttpClient = Client<hyper_util::client::legacy::connect::HttpConnector, Empty<Bytes>>;

struct Fetched {
	body: Bytes,
	content_type: Option<String>,
	cache_control: Option<String>,
}

async fn fetch(client: &HttpClient, url: &str, max: usize) -> Result<Fetched, String> {
	let uri: Uri = url.parse().map_err(|e| format!("{url}: {e}"))?;
	let request = Request::get(uri).body(Empty::new()).map_err(|e| e.to_string())?;
	let response = tokio::time::timeout(Duration::from_secs(10), client.request(request))
		.await
		.map_err(|_| format!("{url}: timed out"))?
		.map_err(|e| format!("{url}: {e}"))?;
	if !response.status().is_success() {
		return Err(format!("{url}: {}", response.status()));
	}
	let text = |name| response.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
	let (content_type, cache_control) = (text(header::CONTENT_TYPE), text(header::CACHE_CONTROL));
	let body = tokio::time::timeout(
		Duration::from_secs(30),
		Limited::new(response.into_body(), max).collect(),
	)
	.await
	.map_err(|_| format!("{url}: body timed out"))?
	.map_err(|e| format!("{url}: {e}"))?
	.to_bytes();
	Ok(Fetched { body, content_type, cache_control })
}

/// The socket a stream goes out on: from `source`, to its group, with TTL.
pub fn socket(config: &MulticastSend) -> std::io::Result<UdpSocket> {
	socket_from(config.source, config.ttl)
}

/// A multicast sending socket bound to `source`, on its interface, with `ttl`.
pub fn socket_from(source: std::net::IpAddr, ttl: u32) -> std::io::Result<UdpSocket> {
	let socket = std::net::UdpSocket::bind((source, 0))?;
	match source {
		std::net::IpAddr::V4(source) => {
			socket.set_multicast_ttl_v4(ttl)?;
			let s2 = socket2::SockRef::from(&socket);
			s2.set_multicast_if_v4(&source)?;
			let _ = s2.set_send_buffer_size(4 << 20);
		}
		std::net::IpAddr::V6(_) => {
			socket2::SockRef::from(&socket).set_multicast_hops_v6(ttl)?;
		}
	}
	socket.set_nonblocking(true)?;
	UdpSocket::from_std(socket)
}

/// Sends packets no faster than `rate` bits per second.
struct Pacer {
	started: Instant,
	bytes: u64,
	rate: u64,
}

impl Pacer {
	/// When the bytes sent so far are due at the rate.
	fn due(&self) -> Instant {
		self.started + Duration::from_nanos(self.bytes * 8 * 1_000_000_000 / self.rate.max(1))
	}

	async fn send(
		&mut self,
		socket: &UdpSocket,
		to: std::net::SocketAddr,
		packet: &[u8],
	) -> std::io::Result<()> {
		// Bursts of at most a millisecond's worth, then sleep to the schedule.
		let due = self.due();
		if due > Instant::now() + Duration::from_millis(1) {
			tokio::time::sleep_until(due).await;
		}
		self.bytes += packet.len() as u64;
		socket.send_to(packet, to).await.map(|_| ())
	}

	fn idle(&mut self) {
		// A pause resets the schedule: no catching up in a burst afterwards.
		if self.due() < Instant::now() {
			self.started = Instant::now();
			self.bytes = 0;
		}
	}
}

/// The path (and query) viewers ask the edge relay for.
fn location(url: &str) -> Option<String> {
	let uri: Uri = url.parse().ok()?;
	Some(uri.path_and_query().map_or("/", |p| p.as_str()).to_string())
}

pub async fn run(
	config: MulticastSend,
	metrics: MulticastMetrics,
	shutdown: tokio::sync::watch::Receiver<bool>,
) {
	let socket = match socket(&config) {
		Ok(socket) => socket,
		Err(e) => {
			tracing::error!(group = %config.group, "multicast sender cannot open its socket: {e}");
			return;
		}
	};
	let client: HttpClient = Client::builder(TokioExecutor::new()).build_http();
	let mut sender = Sender::new(SenderConfig {
		tsi: config.tsi,
		design_loss_ppm: config.design_loss_ppm,
		..SenderConfig::default()
	});
	let mut pacer = Pacer { started: Instant::now(), bytes: 0, rate: config.rate_mbit * 1_000_000 };
	let mut sent: HashSet<String> = HashSet::new();
	let mut sent_order: VecDeque<String> = VecDeque::new();
	let mut last_playlists: std::collections::HashMap<String, Bytes> = Default::default();
	let mut playlists = vec![config.playlist.clone()];
	let labels = Multicast { group: config.group.to_string() };
	let mut interval = tokio::time::interval(Duration::from_millis(config.poll_ms));
	interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
	let mut stop = shutdown;
	tracing::info!(playlist = %config.playlist, group = %config.group, "multicast sender following the stream");
	loop {
		tokio::select! {
			_ = interval.tick() => {}
			_ = stop.wait_for(|s| *s) => return,
		}
		pacer.idle();
		let mut index = 0;
		while index < playlists.len() {
			let url = playlists[index].clone();
			index += 1;
			let playlist = match fetch(&client, &url, 1 << 20).await {
				Ok(playlist) => playlist,
				Err(e) => {
					tracing::warn!("multicast sender: playlist {e}");
					continue;
				}
			};
			if last_playlists.get(&url) == Some(&playlist.body) {
				continue;
			}
			let Ok(base) = url.parse::<Uri>() else { continue };
			let Some(parsed) = hls::parse(&base, &String::from_utf8_lossy(&playlist.body)) else {
				tracing::warn!(%url, "multicast sender: not an HLS playlist");
				continue;
			};
			for variant in parsed.variants {
				if playlists.len() < MAX_PLAYLISTS && !playlists.contains(&variant) {
					playlists.push(variant);
				}
			}
			// New segments, then the playlist naming them.
			let mut objects = Vec::new();
			for segment in parsed.segments {
				if sent.contains(&segment) {
					continue;
				}
				match fetch(&client, &segment, 64 << 20).await {
					Ok(fetched) => objects.push((segment, fetched)),
					Err(e) => tracing::warn!("multicast sender: segment {e}"),
				}
			}
			last_playlists.insert(url.clone(), playlist.body.clone());
			objects.push((url, playlist));
			for (url, object) in objects {
				let Some(path) = location(&url) else { continue };
				let packets = match sender.send_object_cached(
					&path,
					object.content_type.as_deref(),
					object.cache_control.as_deref(),
					&object.body,
				) {
					Ok(sent) => sent,
					Err(e) => {
						tracing::warn!(%url, "multicast sender: cannot encode: {e}");
						continue;
					}
				};
				let mut wire = 0u64;
				for packet in &packets.packets {
					if let Err(e) = pacer.send(&socket, config.group, packet).await {
						tracing::warn!(group = %config.group, "multicast send failed: {e}");
						break;
					}
					wire += packet.len() as u64;
				}
				metrics.sent_objects.get_or_create(&labels).inc();
				metrics.sent_object_bytes.get_or_create(&labels).inc_by(object.body.len() as u64);
				metrics.sent_bytes.get_or_create(&labels).inc_by(wire);
				if !hls::is_playlist(object.content_type.as_deref(), &path)
					&& sent.insert(url.clone())
				{
					sent_order.push_back(url);
					if sent_order.len() > REMEMBERED {
						if let Some(old) = sent_order.pop_front() {
							sent.remove(&old);
						}
					}
				}
			}
		}
	}
}
