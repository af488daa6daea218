//! `ocm-relay`: what a supplier runs. See `relay-node/README.md`.

mod cache;
mod chain;
mod config;
mod delegated;
mod logs;
mod mahp;
mod metrics;
mod pob;
mod range;
mod server;
mod tls;
mod triggers;

use clap::Parser;
use tokio::net::TcpListener;

fn main() -> std::process::ExitCode {
	let cli = config::Cli::parse();
	// Thread per core: each worker is a single-threaded runtime with its
	// own listening socket on the shared port, and the first one also
	// follows the chain. A request never wakes another thread, which on a
	// loaded 2-core box was worth more than work stealing (see
	// relay-node/README.md, benchmark).
	let workers = cli
		.workers
		.unwrap_or_else(|| {
			std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)
		})
		.max(1);
	match runtime() {
		Ok(runtime) => runtime.block_on(run(cli, workers)),
		Err(e) => {
			eprintln!("ocm-relay: cannot start the runtime: {e}");
			std::process::ExitCode::FAILURE
		}
	}
}

fn runtime() -> std::io::Result<tokio::runtime::Runtime> {
	tokio::runtime::Builder::new_current_thread().enable_all().build()
}

/// `count` listening sockets on `address`, one per worker, with
/// `SO_REUSEPORT`: the kernel spreads new connections evenly across them.
/// A plain bind comes first, so a port that anyone else holds (even with
/// `SO_REUSEPORT`) is refused rather than shared, and port 0 picks one port
/// for all of them.
fn listen(address: std::net::SocketAddr, count: usize) -> std::io::Result<Vec<TcpListener>> {
	let address = std::net::TcpListener::bind(address)?.local_addr()?;
	(0..count)
		.map(|_| {
			let socket = if address.is_ipv4() {
				tokio::net::TcpSocket::new_v4()?
			} else {
				tokio::net::TcpSocket::new_v6()?
			};
			socket.set_reuseaddr(true)?;
			socket.set_reuseport(true)?;
			socket.bind(address)?;
			socket.listen(1024)
		})
		.collect()
}

/// Starts workers 1.. on threads of their own, each with its own listening
/// sockets, serving until `stop` says so.
fn spawn_workers(
	listeners: Vec<TcpListener>,
	tls: Vec<(TcpListener, tokio_rustls::TlsAcceptor)>,
	state: &std::sync::Arc<server::State>,
	stop: &tokio::sync::watch::Receiver<bool>,
) -> std::io::Result<Vec<std::thread::JoinHandle<()>>> {
	let mut tls = tls.into_iter();
	let mut threads = Vec::new();
	for (worker, listener) in (1..).zip(listeners) {
		// Moved off this runtime; registered again on the worker's own.
		let listener = listener.into_std()?;
		let tls = match tls.next() {
			Some((tls_listener, acceptor)) => Some((tls_listener.into_std()?, acceptor)),
			None => None,
		};
		let (state, mut stop) = (state.clone(), stop.clone());
		let thread =
			std::thread::Builder::new().name(format!("ocm-relay-{worker}")).spawn(move || {
				let served = runtime().and_then(|runtime| {
					runtime.block_on(async move {
						let listener = TcpListener::from_std(listener)?;
						let tls = match tls {
							Some((l, acceptor)) => Some((TcpListener::from_std(l)?, acceptor)),
							None => None,
						};
						let stopped = async move {
							let _ = stop.wait_for(|stop| *stop).await;
						};
						server::serve(listener, tls, state, stopped).await
					})
				});
				if let Err(e) = served {
					tracing::error!(worker, error = %e, "worker stopped");
				}
			})?;
		threads.push(thread);
	}
	Ok(threads)
}

async fn run(cli: config::Cli, workers: usize) -> std::process::ExitCode {
	tracing_subscriber::fmt()
		.with_env_filter(
			tracing_subscriber::EnvFilter::try_new(&cli.log)
				.unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
		)
		.init();
	let config = match config::Config::load(&cli) {
		Ok(config) => config,
		Err(e) => {
			eprintln!("ocm-relay: {e}");
			return std::process::ExitCode::from(2);
		}
	};
	// Installed before the port opens: a SIGTERM that arrives as soon as
	// the relay listens must shut it down cleanly, not kill it.
	let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
		Ok(term) => term,
		Err(e) => {
			eprintln!("ocm-relay: cannot handle SIGTERM: {e}");
			return std::process::ExitCode::FAILURE;
		}
	};
	let mut listeners = match listen(config.listen, workers) {
		Ok(listeners) => listeners.into_iter(),
		Err(e) => {
			eprintln!("ocm-relay: cannot listen on {}: {e}", config.listen);
			return std::process::ExitCode::from(1);
		}
	};
	let Some(listener) = listeners.next() else { return std::process::ExitCode::FAILURE };
	let address = listener.local_addr().map(|a| a.to_string()).unwrap_or_default();
	tracing::info!(%address, workers, "serving HTTP/1.1 and HTTP/2");
	// Worker 0's TLS listener here, the other workers' in `tls_listeners`.
	let mut tls_listeners = Vec::new();
	let tls = match &config.tls {
		None => None,
		Some(settings) => {
			let acceptor = match tls::acceptor(&settings.cert, &settings.key) {
				Ok(acceptor) => acceptor,
				Err(e) => {
					eprintln!("ocm-relay: {e}");
					return std::process::ExitCode::from(2);
				}
			};
			let listeners = match listen(settings.listen, workers) {
				Ok(listeners) => listeners,
				Err(e) => {
					eprintln!("ocm-relay: cannot listen on {}: {e}", settings.listen);
					return std::process::ExitCode::from(1);
				}
			};
			let mut listeners = listeners.into_iter().map(|l| (l, acceptor.clone()));
			let first = listeners.next();
			tls_listeners.extend(listeners);
			if let Some((listener, _)) = &first {
				let address = listener.local_addr().map(|a| a.to_string()).unwrap_or_default();
				tracing::info!(%address, "serving TLS: HTTPS with h2 and http/1.1");
			}
			first
		}
	};
	let shutdown = async move {
		tokio::select! {
			_ = tokio::signal::ctrl_c() => {},
			_ = term.recv() => {},
		}
	};
	let chain = chain::SharedChain::default();
	let metrics = metrics::Metrics::new();
	let disk = match &config.cache_disk {
		None => None,
		Some((dir, bytes)) => match cache::disk::DiskTier::open(dir, *bytes) {
			Ok(disk) => Some(disk),
			Err(e) => {
				eprintln!("ocm-relay: disk cache {}: {e}", dir.display());
				return std::process::ExitCode::from(1);
			}
		},
	};
	let origin_tls = match tls::origin_client_config(config.origin_ca.as_deref()) {
		Ok(origin_tls) => origin_tls,
		Err(e) => {
			eprintln!("ocm-relay: {e}");
			return std::process::ExitCode::from(2);
		}
	};
	let proxy = server::proxy(&config, &metrics, disk, origin_tls);
	let mut logs = None;
	if let Some(link) = config.chain.clone() {
		// Checked when the configuration loaded.
		let operator = match chain::operator(link.operator.as_deref().unwrap_or_default()) {
			Ok(operator) => operator,
			Err(e) => {
				eprintln!("ocm-relay: {e}");
				return std::process::ExitCode::from(2);
			}
		};
		match logs::Logs::new(
			config.log_dir.clone(),
			link.public_url.clone(),
			Some(operator.clone()),
		) {
			Ok(l) => logs = Some(std::sync::Arc::new(l)),
			Err(e) => {
				eprintln!("ocm-relay: log directory {}: {e}", config.log_dir.display());
				return std::process::ExitCode::from(1);
			}
		}
		tokio::spawn(chain::run(
			link,
			operator,
			chain.clone(),
			logs.clone(),
			proxy.clone(),
			config.multicast_test_channel,
		));
	}
	let state = std::sync::Arc::new(server::State {
		config,
		metrics,
		proxy,
		chain,
		logs,
		triggers: Default::default(),
	});
	let (stop_workers, stop) = tokio::sync::watch::channel(false);
	mahp::start(&state.config, &state.proxy, &state.metrics.multicast, &stop);
	let threads = match spawn_workers(listeners.collect(), tls_listeners, &state, &stop) {
		Ok(threads) => threads,
		Err(e) => {
			eprintln!("ocm-relay: cannot start {workers} workers: {e}");
			return std::process::ExitCode::FAILURE;
		}
	};
	let shutdown = async move {
		shutdown.await;
		let _ = stop_workers.send(true);
	};
	let served = server::serve(listener, tls, state, shutdown).await;
	// Joined off this runtime: until they finish, it still drives the origin
	// connections it opened for them.
	let _ = tokio::task::spawn_blocking(move || {
		for thread in threads {
			let _ = thread.join();
		}
	})
	.await;
	match served {
		Ok(()) => std::process::ExitCode::SUCCESS,
		Err(e) => {
			eprintln!("ocm-relay: {e}");
			std::process::ExitCode::FAILURE
		}
	}
}
