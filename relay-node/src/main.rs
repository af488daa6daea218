//! `ocm-relay`: what a supplier runs. See `relay-node/README.md`.

mod cache;
mod chain;
mod config;
mod metrics;
mod pob;
mod range;
mod server;

use clap::Parser;
use tokio::net::TcpListener;

#[tokio::main]
async fn main() -> std::process::ExitCode {
	let cli = config::Cli::parse();
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
	let shutdown = async move {
		tokio::select! {
			_ = tokio::signal::ctrl_c() => {},
			_ = term.recv() => {},
		}
	};
	let chain = chain::SharedChain::default();
	if let Some(link) = config.chain.clone() {
		// Checked when the configuration loaded.
		let operator = chain::operator(link.operator.as_deref().unwrap_or_default());
		match operator {
			Ok(operator) => {
				tokio::spawn(chain::run(link, operator, chain.clone()));
			}
			Err(e) => {
				eprintln!("ocm-relay: {e}");
				return std::process::ExitCode::from(2);
			}
		}
	}
	match server::serve(listener, config, chain, shutdown).await {
		Ok(()) => std::process::ExitCode::SUCCESS,
		Err(e) => {
			eprintln!("ocm-relay: {e}");
			std::process::ExitCode::FAILURE
		}
	}
}
