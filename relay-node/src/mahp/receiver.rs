//! The MAHP receiver: joins a stream natively or through an AMT gateway,
//! rebuilds objects with FLUTE and RaptorQ, and puts each into the HTTP
//! cache under its URL before any player asks. What FEC could not rebuild
//! (reported lost, or a segment a new playlist names that never arrived)
//! is fetched by unicast through the cache, as a miss would be.

use super::{hls, Multicast, MulticastMetrics, Result as Outcome};
use crate::{
	cache::{policy::Received, proxy::Proxy, store::Stored},
	config::MulticastReceive,
};
use bytes::Bytes;
use http::{header, HeaderMap, HeaderValue, Request, StatusCode};
use ocm_alc::{Event, Receiver, ReceiverConfig};
use std::{collections::HashSet, sync::Arc, time::Duration};
use tokio::sync::mpsc;

/// How long a segment a playlist names may still be arriving before it is
/// fetched by unicast: the sender sends segments before their playlist,
/// so anything missing by then was lost.
const PLAYLIST_REPAIR_DELAY: Duration = Duration::from_millis(500);
/// A playlist's newest segments that must be in the cache: the live edge
/// players start from (RFC 8216 §6.3.3 asks for three target durations)
/// and then some. Older ones a joining receiver never saw are left to
/// ordinary misses.
const REPAIR_WINDOW: usize = 6;
/// Segment paths remembered as checked.
const CHECKED: usize = 4096;

/// Paths already checked or repaired, the oldest forgotten past `CHECKED`.
#[derive(Default)]
struct Checked {
	paths: HashSet<String>,
	order: std::collections::VecDeque<String>,
}

impl Checked {
	/// Whether `path` is new (and remembers it).
	fn first_time(&mut self, path: &str) -> bool {
		if !self.paths.insert(path.to_string()) {
			return false;
		}
		self.order.push_back(path.to_string());
		if self.order.len() > CHECKED {
			if let Some(old) = self.order.pop_front() {
				self.paths.remove(&old);
			}
		}
		true
	}
}

/// The paths of the newest segments a received playlist names.
fn newest_segments(host: &str, playlist: &ocm_alc::Object) -> Vec<String> {
	let Ok(base) = format!("http://{host}{}", playlist.location).parse::<http::Uri>() else {
		return Vec::new();
	};
	let Some(parsed) = hls::parse(&base, &String::from_utf8_lossy(&playlist.body)) else {
		return Vec::new();
	};
	let skip = parsed.segments.len().saturating_sub(REPAIR_WINDOW);
	parsed
		.segments
		.iter()
		.skip(skip)
		.filter_map(|url| url.parse::<http::Uri>().ok())
		// Segments of other hosts are not this stream's to repair.
		.filter(|uri| uri.host() == base.host())
		.map(|uri| uri.path_and_query().map_or("/".into(), |p| p.as_str().to_string()))
		.collect()
}

/// Where datagrams come from: a native socket or an AMT gateway's queue.
enum Input {
	Native(tokio::net::UdpSocket),
	Amt(ocm_amt::io::gateway::GatewayHandle, mpsc::Receiver<ocm_amt::io::gateway::Received>),
}

fn native_socket(config: &MulticastReceive) -> std::io::Result<tokio::net::UdpSocket> {
	use socket2::{Domain, Protocol, Socket, Type};
	let ipv6 = config.group.is_ipv6();
	let socket = Socket::new(Domain::for_address(config.group), Type::DGRAM, Some(Protocol::UDP))?;
	socket.set_reuse_address(true)?;
	let _ = socket.set_recv_buffer_size(8 << 20);
	// Bound to the group: only its datagrams, not every group the host joined.
	socket.bind(&config.group.into())?;
	if ipv6 {
		socket.set_multicast_all_v6(false)?;
	} else {
		socket.set_multicast_all_v4(false)?;
	}
	let interface = match &config.interface {
		Some(name) => ocm_amt::io::sys::interface_index(name)?,
		None => 0,
	};
	ocm_amt::io::sys::source_membership(
		&socket,
		interface,
		config.source,
		config.group.ip(),
		true,
	)?;
	socket.set_nonblocking(true)?;
	tokio::net::UdpSocket::from_std(socket.into())
}

async fn open(config: &MulticastReceive) -> std::io::Result<Input> {
	match config.amt_relay {
		None => Ok(Input::Native(native_socket(config)?)),
		Some(relay) => {
			let (gateway, datagrams) =
				ocm_amt::io::gateway::spawn_to(relay, config.group.is_ipv6(), 4096)?;
			let channel =
				ocm_amt::relay::Channel { source: config.source, group: config.group.ip() };
			gateway.join(channel).await.map_err(|e| std::io::Error::other(e.to_string()))?;
			Ok(Input::Amt(gateway, datagrams))
		}
	}
}

/// What the cache stores for an object that came by multicast (its body
/// moved, not copied).
fn stored(object: ocm_alc::Object) -> Stored {
	let mut headers = HeaderMap::new();
	let mut set = |name, value: Option<&str>| {
		if let Some(value) = value.and_then(|v| HeaderValue::from_str(v).ok()) {
			headers.insert(name, value);
		}
	};
	set(header::CONTENT_TYPE, object.content_type.as_deref());
	set(header::CACHE_CONTROL, object.cache_control.as_deref());
	headers.insert(header::CONTENT_LENGTH, HeaderValue::from(object.body.len()));
	let now = std::time::SystemTime::now();
	Stored::new(
		StatusCode::OK,
		headers,
		Bytes::from(object.body),
		Received { request_time: now, response_time: now },
		Vec::new(),
	)
}

/// Fetches `path` of `host` through the cache, as a viewer's miss would.
async fn repair(
	proxy: Arc<Proxy>,
	host: String,
	path: String,
	metrics: MulticastMetrics,
	labels: Multicast,
) {
	let request = Request::get(path.as_str()).header(header::HOST, host.as_str()).body(()).ok();
	let status = match request {
		Some(request) => proxy.handle(&request).await.1.status(),
		None => StatusCode::BAD_REQUEST,
	};
	let result = if status.is_success() { "repaired" } else { "repair_failed" };
	metrics.objects.get_or_create(&Outcome { group: labels.group, result }).inc();
	if !status.is_success() {
		tracing::warn!(%host, %path, %status, "unicast repair failed");
	}
}

pub async fn run(
	config: MulticastReceive,
	proxy: Arc<Proxy>,
	max_object_bytes: u64,
	metrics: MulticastMetrics,
	shutdown: tokio::sync::watch::Receiver<bool>,
) {
	let mut input = match open(&config).await {
		Ok(input) => input,
		Err(e) => {
			tracing::error!(group = %config.group, source = %config.source, "cannot join the multicast stream: {e}");
			return;
		}
	};
	tracing::info!(group = %config.group, source = %config.source, amt = ?config.amt_relay, "receiving multicast");
	let mut receiver = Receiver::new(ReceiverConfig {
		tsi: u64::from(config.tsi),
		max_object_size: max_object_bytes,
		..ReceiverConfig::default()
	});
	let labels = Multicast { group: config.group.to_string() };
	let mut buffer = vec![0u8; 65_536];
	let mut stop = shutdown;
	// Segments already checked for (or repaired), so each is fetched once.
	let mut checked = Checked::default();
	let mut counted = ocm_alc::receiver::ReceiverCounters::default();
	// The per-packet counters' handles, looked up once rather than per datagram.
	let packets = metrics.packets.get_or_create(&labels).clone();
	let dropped = metrics.packets_dropped.get_or_create(&labels).clone();
	let repair_used = metrics.repair_symbols_used.get_or_create(&labels).clone();
	let dropped_of = |c: &ocm_alc::receiver::ReceiverCounters| {
		c.malformed
			+ c.other_session
			+ c.bad_symbols
			+ c.fdt_rejected
			+ c.oti_mismatch
			+ c.too_large
			+ c.table_full
	};
	loop {
		let deadline = receiver.next_timeout().map(tokio::time::Instant::from_std);
		tokio::select! {
			_ = stop.wait_for(|s| *s) => break,
			_ = async { tokio::time::sleep_until(deadline.unwrap_or_else(tokio::time::Instant::now)).await }, if deadline.is_some() => {
				receiver.poll(std::time::Instant::now());
			}
			received = async {
				match &mut input {
					Input::Native(socket) => socket.recv_from(&mut buffer).await.ok().map(|(n, from)| (from, n, None)),
					Input::Amt(_, queue) => queue.recv().await.map(|d| (d.source, 0, Some(d))),
				}
			} => {
				let Some((from, n, tunnelled)) = received else { break };
				if from.ip() != config.source {
					continue;
				}
				match &tunnelled {
					Some(d) if d.group != config.group => continue,
					Some(d) => receiver.handle(std::time::Instant::now(), &d.payload),
					None => receiver.handle(std::time::Instant::now(), &buffer[..n]),
				}
			}
		}
		while let Some(event) = receiver.poll_event() {
			match event {
				Event::Received(object) => {
					let key = format!("{}{}", config.host, object.location);
					metrics
						.objects
						.get_or_create(&Outcome { group: labels.group.clone(), result: "received" })
						.inc();
					metrics.object_bytes.get_or_create(&labels).inc_by(object.body.len() as u64);
					if hls::is_playlist(object.content_type.as_deref(), &object.location) {
						for path in newest_segments(&config.host, &object) {
							if !checked.first_time(&path) {
								continue;
							}
							let (proxy, host, metrics, labels) = (
								proxy.clone(),
								config.host.clone(),
								metrics.clone(),
								labels.clone(),
							);
							tokio::spawn(async move {
								tokio::time::sleep(PLAYLIST_REPAIR_DELAY).await;
								let key = format!("{host}{path}");
								if proxy.store().get(&key, &HeaderMap::new()).await.is_none() {
									repair(proxy, host, path, metrics, labels).await;
								}
							});
						}
					}
					proxy.store().put(key, stored(object)).await;
				}
				Event::Lost { location, .. } => {
					// Repaired now; a playlist naming it must not repair it again.
					checked.first_time(&location);
					metrics
						.objects
						.get_or_create(&Outcome { group: labels.group.clone(), result: "lost" })
						.inc();
					tokio::spawn(repair(
						proxy.clone(),
						config.host.clone(),
						location,
						metrics.clone(),
						labels.clone(),
					));
				}
			}
		}
		let now = receiver.counters();
		if now.packets != counted.packets {
			packets.inc_by(now.packets - counted.packets);
			dropped.inc_by(dropped_of(now).saturating_sub(dropped_of(&counted)));
			repair_used.inc_by(now.repair_symbols_used.saturating_sub(counted.repair_symbols_used));
			counted = now.clone();
		}
	}
	if let Input::Amt(gateway, _) = input {
		gateway.close().await;
	}
}
