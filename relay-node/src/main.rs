//! `ocm-relay`: what a supplier runs. See `relay-node/README.md`.

mod cache;
mod chain;
mod config;
mod logs;
mod metrics;
mod pob;
mod range;
mod server;
mod tls;

use clap::Parser;
use tokio::net::TcpListener;

fn main() -> std::process::ExitCode {
	let cli = config::Cli::parse();
	// One worker thread per core unless told otherwise; `--workers 1` runs
	// everything on one thread (no cross-thread wakeups).
	let workers = cli.workers.unwrap_or_else(|| {
		std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)
	});
	let runtime = if workers <= 1 {
		tokio::runtime::Builder::new_current_thread().enable_all().build()
	} else {
		tokio::runtime::Builder::new_multi_thread().worker_threads(workers).enable_all().build()
	};
	match runtime {
		Ok(runtime) => runtime.block_on(run(cli)),
		Err(e) => {
			eprintln!("ocm-relay: cannot start the runtime: {e}");
			std::process::ExitCode::FAILURE
		}
	}
}

async fn run(cli: config::Cli) -> std::process::ExitCode {
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
	let listener = match TcpListener::bind(config.listen).await {
		Ok(listener) => listener,
		Err(e) => {
			eprintln!("ocm-relay: cannot listen on {}: {e}", config.listen);
			return std::process::ExitCode::from(1);
		}
	};
	let address = listener.local_addr().map(|a| a.to_string()).unwrap_or_default();
	tracing::info!(%address, "serving HTTP/1.1 and HTTP/2");
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
			let listener = match TcpListener::bind(settings.listen).await {
				Ok(listener) => listener,
				Err(e) => {
					eprintln!("ocm-relay: cannot listen on {}: {e}", settings.listen);
					return std::process::ExitCode::from(1);
				}
			};
			let address = listener.local_addr().map(|a| a.to_string()).unwrap_or_default();
			tracing::info!(%address, "serving TLS: HTTPS with h2 and http/1.1");
			Some((listener, acceptor))
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
		tokio::spawn(chain::run(link, operator, chain.clone(), logs.clone(), proxy.clone()));
	}
	match server::serve(listener, tls, config, chain, metrics, proxy, logs, shutdown).await {
		Ok(()) => std::process::ExitCode::SUCCESS,
		Err(e) => {
			eprintln!("ocm-relay: {e}");
			std::process::ExitCode::FAILURE
		}
	}
}
