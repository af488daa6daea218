//! Redirect rate of `ocm-router` on this machine: the real HTTP server
//! with a table of 1,000 relays over 256 /16s (plus the loopback /8 the
//! load comes from), driven over loopback by `CONNECTIONS` keep-alive
//! HTTP/1.1 clients for `SECONDS`. Prints redirects per second and the
//! latency percentiles of one redirect (request sent to response head).
//! The load generator shares the machine's cores with the router.
//!
//! `cargo bench -p ocm-router --bench redirects` (`CONNECTIONS=32 SECONDS=5`).

use bytes::Bytes;
use http_body_util::Empty;
use ocm_primitives::footprint::Footprint;
use ocm_router::state::{Router, Snapshot};
use ocm_routing::{
	fci::RelayAdvertisement,
	table::{Networks, ServiceRecord},
};
use std::{
	sync::Arc,
	time::{Duration, Instant},
};

fn snapshot() -> Snapshot {
	let relays = (0..1_000u32)
		.map(|id| {
			let mut footprints = vec![
				(
					Footprint::parse(b"ipv4cidr", format!("10.{}.0.0/16", id % 256).as_bytes())
						.unwrap(),
					1_000,
				),
				(
					Footprint::parse(b"asn", format!("as{}", 64_500 + id % 50).as_bytes()).unwrap(),
					1_000,
				),
			];
			if id % 100 == 0 {
				footprints.push((Footprint::parse(b"ipv4cidr", b"127.0.0.0/8").unwrap(), 1_000));
			}
			RelayAdvertisement {
				relay: id,
				status: "active".into(),
				http: format!("http://relay{id}.example"),
				verified_mbps: 1_000,
				delivery_protocols: vec!["http/1.1".into()],
				footprints,
			}
		})
		.collect();
	Snapshot {
		relays,
		services: vec![ServiceRecord {
			contract: 0,
			hosts: vec!["video.example".into()],
			relays: (0..1_000).collect(),
		}],
		providers: Vec::new(),
	}
}

fn env(name: &str, default: u64) -> u64 {
	std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn main() {
	// `cargo bench` passes `--bench`; nothing else to parse.
	let connections = env("CONNECTIONS", 32) as usize;
	let seconds = env("SECONDS", 5);
	let runtime =
		tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
	runtime.block_on(async move {
		let router = Arc::new(Router::new("AS64500:0".into(), Networks::default()));
		router.update(&snapshot());
		let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
		let address = listener.local_addr().unwrap();
		let registry = Arc::new(prometheus_client::registry::Registry::default());
		tokio::spawn(ocm_router::http::serve(listener, router.clone(), registry, std::future::pending()));

		let deadline = Instant::now() + Duration::from_secs(seconds);
		let started = Instant::now();
		let clients = (0..connections).map(|_| {
			tokio::spawn(async move {
				let stream = tokio::net::TcpStream::connect(address).await.unwrap();
				stream.set_nodelay(true).unwrap();
				let (mut sender, connection) =
					hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream)).await.unwrap();
				tokio::spawn(connection);
				let mut latencies = Vec::new();
				let mut n = 0u64;
				while Instant::now() < deadline {
					n += 1;
					let request = hyper::Request::get(format!("/live/seg{n}.ts"))
						.header("host", "video.example")
						.body(Empty::<Bytes>::new())
						.unwrap();
					let sent = Instant::now();
					let response = sender.send_request(request).await.unwrap();
					latencies.push(sent.elapsed());
					assert_eq!(response.status(), 302);
				}
				latencies
			})
		});
		let mut latencies: Vec<Duration> = Vec::new();
		for client in clients.collect::<Vec<_>>() {
			latencies.extend(client.await.unwrap());
		}
		let elapsed = started.elapsed().as_secs_f64();
		latencies.sort_unstable();
		let at = |q: f64| latencies[((latencies.len() as f64 * q) as usize).min(latencies.len() - 1)];
		println!(
			"ocm-router: {} redirects in {elapsed:.1} s over {connections} connections: {:.0} redirects/s; latency p50 {:?}, p99 {:?}, p99.9 {:?}, max {:?}",
			latencies.len(),
			latencies.len() as f64 / elapsed,
			at(0.50),
			at(0.99),
			at(0.999),
			latencies.last().unwrap(),
		);
	});
}
