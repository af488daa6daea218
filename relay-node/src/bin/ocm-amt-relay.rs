//! `ocm-amt-relay`: an AMT relay (RFC 7450) at the edge of a multicast
//! network. Gateways in unicast-only networks discover it, ask for
//! source-specific channels, and receive them tunnelled; it joins each
//! channel natively on its upstream interface while any gateway wants it.

use clap::Parser;
use ocm_amt::{
	io::relay::{RelayDriver, RelayDriverConfig, RelayStatus},
	relay::RelayConfig,
};
use std::{net::SocketAddr, time::Duration};

#[derive(Parser, Debug)]
#[command(version, about)]
struct Cli {
	/// Where gateways reach the relay.
	#[arg(long, env = "OCM_AMT_LISTEN", default_value = "0.0.0.0:2268")]
	listen: SocketAddr,
	/// The address Relay Advertisements name [default: the listen address].
	#[arg(long, env = "OCM_AMT_ADVERTISE")]
	advertise: Option<std::net::IpAddr>,
	/// The interface channels are joined on natively [default: by route].
	#[arg(long, env = "OCM_AMT_UPSTREAM_INTERFACE")]
	upstream_interface: Option<String>,
	/// The UDP port multicast channels are received on.
	#[arg(long, env = "OCM_AMT_DATA_PORT", default_value_t = 5000)]
	data_port: u16,
	/// Most gateways at once.
	#[arg(long, default_value_t = 10_000)]
	max_tunnels: usize,
	/// Most channels one gateway may join.
	#[arg(long, default_value_t = 64)]
	max_channels_per_tunnel: usize,
	/// The query interval gateways refresh at, in seconds.
	#[arg(long, default_value_t = 60)]
	query_interval_secs: u64,
	/// Most membership queries sent per second (bounds Request floods).
	#[arg(long, default_value_t = 10_000)]
	max_queries_per_sec: u32,
	/// Serve Prometheus metrics at http://ADDRESS/metrics.
	#[arg(long, env = "OCM_AMT_METRICS")]
	metrics: Option<SocketAddr>,
	/// Log filter, as `RUST_LOG` takes it.
	#[arg(long, env = "OCM_AMT_LOG", default_value = "info")]
	log: String,
}

fn main() -> std::process::ExitCode {
	let cli = Cli::parse();
	tracing_subscriber::fmt()
		.with_env_filter(
			tracing_subscriber::EnvFilter::try_new(&cli.log)
				.unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
		)
		.init();
	let address = match cli.advertise {
		Some(address) => address,
		None if !cli.listen.ip().is_unspecified() => cli.listen.ip(),
		None => {
			eprintln!("ocm-amt-relay: --advertise is needed when listening on a wildcard address");
			return std::process::ExitCode::from(2);
		}
	};
	let upstream_interface =
		match cli.upstream_interface.as_deref().map(ocm_amt::io::sys::interface_index) {
			None => 0,
			Some(Ok(index)) => index,
			Some(Err(e)) => {
				eprintln!("ocm-amt-relay: upstream interface: {e}");
				return std::process::ExitCode::from(2);
			}
		};
	let config = RelayDriverConfig {
		relay: RelayConfig {
			address,
			max_tunnels: cli.max_tunnels,
			max_channels_per_tunnel: cli.max_channels_per_tunnel,
			query_interval: Duration::from_secs(cli.query_interval_secs.max(1)),
			robustness: 2,
			max_queries_per_sec: cli.max_queries_per_sec,
		},
		listen: cli.listen,
		upstream_interface,
		data_port: cli.data_port,
		secret_rotation: Duration::from_secs(cli.query_interval_secs.max(1) * 2),
	};
	// One thread: a datagram is received, wrapped and sent on without
	// crossing threads (see crates/amt).
	let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
		Ok(runtime) => runtime,
		Err(e) => {
			eprintln!("ocm-amt-relay: cannot start the runtime: {e}");
			return std::process::ExitCode::FAILURE;
		}
	};
	runtime.block_on(async move {
		let driver = match RelayDriver::bind(config) {
			Ok(driver) => driver,
			Err(e) => {
				eprintln!("ocm-amt-relay: cannot listen on {}: {e}", cli.listen);
				return std::process::ExitCode::from(1);
			}
		};
		let local = driver.local_addr().map(|a| a.to_string()).unwrap_or_default();
		tracing::info!(%local, %address, data_port = cli.data_port, "AMT relay listening");
		let status = driver.status();
		if let Some(address) = cli.metrics {
			match tokio::net::TcpListener::bind(address).await {
				Ok(listener) => {
					tracing::info!(%address, "serving metrics");
					tokio::spawn(serve_metrics(listener, status.clone()));
				}
				Err(e) => {
					eprintln!("ocm-amt-relay: cannot serve metrics on {address}: {e}");
					return std::process::ExitCode::from(1);
				}
			}
		}
		let mut logged = status;
		tokio::spawn(async move {
			let mut every = tokio::time::interval(Duration::from_secs(10));
			loop {
				every.tick().await;
				let s = logged.borrow_and_update().clone();
				tracing::info!(
					tunnels = s.tunnels,
					forwarded = s.counters.datagrams_forwarded,
					bad_mac = s.counters.bad_mac,
					malformed = s.counters.malformed,
					join_errors = s.join_errors,
					"AMT relay"
				);
			}
		});
		let shutdown = async {
			let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
			tokio::select! {
				_ = tokio::signal::ctrl_c() => {}
				_ = async { match &mut term { Some(t) => { t.recv().await; } None => std::future::pending().await } } => {}
			}
		};
		match driver.run(shutdown).await {
			Ok(()) => std::process::ExitCode::SUCCESS,
			Err(e) => {
				eprintln!("ocm-amt-relay: {e}");
				std::process::ExitCode::FAILURE
			}
		}
	})
}

/// The relay's counters in the OpenMetrics text format.
fn encode_metrics(status: &RelayStatus) -> String {
	use prometheus_client::{
		encoding::EncodeLabelSet,
		metrics::{counter::ConstCounter, family::Family, gauge::ConstGauge},
		registry::Registry,
	};
	#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
	struct Reason {
		reason: &'static str,
	}
	let c = &status.counters;
	let mut registry = Registry::with_prefix("ocm_amt_relay");
	registry.register(
		"tunnels",
		"Gateways with an open tunnel",
		ConstGauge::new(status.tunnels as i64),
	);
	registry.register(
		"datagrams_forwarded",
		"Multicast datagrams sent into tunnels (one per gateway)",
		ConstCounter::new(c.datagrams_forwarded),
	);
	registry.register("queries_sent", "Membership queries sent", ConstCounter::new(c.queries_sent));
	let dropped = Family::<Reason, prometheus_client::metrics::counter::Counter>::default();
	for (reason, value) in [
		("malformed", c.malformed),
		("unexpected", c.unexpected),
		("bad_mac", c.bad_mac),
		("bad_report", c.bad_report),
		("queries_limited", c.queries_limited),
		("tunnels_refused", c.tunnels_refused),
		("channels_refused", c.channels_refused),
		("any_source_refused", c.any_source_refused),
		("send_error", status.send_errors),
		("join_error", status.join_errors),
	] {
		dropped.get_or_create(&Reason { reason }).inc_by(value);
	}
	registry.register(
		"refused",
		"Datagrams, updates and joins refused or failed, by reason",
		dropped,
	);
	let mut out = String::new();
	let _ = prometheus_client::encoding::text::encode(&mut out, &registry);
	out
}

async fn serve_metrics(
	listener: tokio::net::TcpListener,
	status: tokio::sync::watch::Receiver<RelayStatus>,
) {
	use http_body_util::Full;
	use hyper::{body::Bytes, Response, StatusCode};
	loop {
		let Ok((stream, _)) = listener.accept().await else { continue };
		let status = status.clone();
		tokio::spawn(async move {
			let service = hyper::service::service_fn(
				move |request: hyper::Request<hyper::body::Incoming>| {
					let status = status.clone();
					async move {
						let response =
							if request.uri().path() == "/metrics" {
								let body = encode_metrics(&status.borrow());
								Response::builder()
							.header("content-type", "application/openmetrics-text; version=1.0.0; charset=utf-8")
							.body(Full::new(Bytes::from(body)))
							} else {
								Response::builder()
									.status(StatusCode::NOT_FOUND)
									.body(Full::new(Bytes::from_static(b"only /metrics\n")))
							};
						Ok::<_, std::convert::Infallible>(response.expect("valid response"))
					}
				},
			);
			let _ = hyper::server::conn::http1::Builder::new()
				.serve_connection(hyper_util::rt::TokioIo::new(stream), service)
				.await;
		});
	}
}
