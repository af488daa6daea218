//! `ocm-router`: see `router/README.md`.

use clap::Parser;
use ocm_primitives::footprint::{CountryCode, Footprint};
use ocm_router::{chain, http, probe, state::Router};
use ocm_routing::table::Networks;
use std::{path::PathBuf, sync::Arc};

/// Sends players to the best Active OCM relay for their network, answers
/// upstream CDNs' RFC 7975 redirection requests, and serves the
/// marketplace's RFC 8008 footprint and capabilities advertisement, from
/// the chain's relays and delivery contracts.
#[derive(Parser, Debug)]
#[command(version)]
struct Cli {
	/// Address to serve HTTP on.
	#[arg(long, env = "OCM_ROUTER_LISTEN", default_value = "127.0.0.1:8070")]
	listen: std::net::SocketAddr,
	/// The node's RPC endpoint.
	#[arg(long, env = "OCM_ROUTER_CHAIN", default_value = "ws://127.0.0.1:9944")]
	chain: String,
	/// OCM's CDN provider id in RFC 7975's `cdn-path` (`AS<n>:<n>`).
	#[arg(long, env = "OCM_ROUTER_CDN_ID", default_value = "AS64500:0")]
	cdn_id: String,
	/// Client networks: lines of `prefix asn country` (`198.51.100.0/24
	/// 64501 nl`; `-` for an unknown field), so clients match relays' ASN
	/// and country footprints too.
	#[arg(long, env = "OCM_ROUTER_NETWORKS")]
	networks: Option<PathBuf>,
	/// Log filter (`tracing` EnvFilter syntax).
	#[arg(long, env = "OCM_ROUTER_LOG", default_value = "info")]
	log: String,
	/// An Ed25519 secret (a secret URI or a 0x-prefixed hex seed): each
	/// player redirect then carries a URI Signing token from it, for
	/// contracts whose providers registered its public key (printed at
	/// start) with `addTokenKey`.
	#[arg(long, env = "OCM_ROUTER_TOKEN_KEY")]
	token_key: Option<String>,
	/// Seconds a redirect's token is good for.
	#[arg(long, env = "OCM_ROUTER_TOKEN_SECS", default_value_t = 3_600)]
	token_secs: u64,
}

/// Reads the networks file; every bad line is an error that names it.
fn networks(text: &str) -> Result<Networks, String> {
	let mut networks = Networks::default();
	for (n, line) in text.lines().enumerate() {
		let line = line.split('#').next().unwrap_or_default().trim();
		if line.is_empty() {
			continue;
		}
		let fields: Vec<&str> = line.split_whitespace().collect();
		let [prefix, asn, country] = fields[..] else {
			return Err(format!("line {}: not `prefix asn country`", n + 1));
		};
		let kind = if prefix.contains(':') { "ipv6cidr" } else { "ipv4cidr" };
		let prefix = Footprint::parse(kind.as_bytes(), prefix.as_bytes())
			.map_err(|e| format!("line {}: prefix {prefix}: {e:?}", n + 1))?;
		let asn = match asn {
			"-" => None,
			a => Some(
				ocm_primitives::footprint::parse_asn(a.as_bytes())
					.map_err(|e| format!("line {}: asn {a}: {e:?}", n + 1))?,
			),
		};
		let country = match country {
			"-" => None,
			c => Some(
				CountryCode::parse(c.as_bytes())
					.map_err(|e| format!("line {}: country {c}: {e:?}", n + 1))?,
			),
		};
		networks.insert(&prefix, asn, country);
	}
	Ok(networks)
}

fn main() -> std::process::ExitCode {
	let cli = Cli::parse();
	tracing_subscriber::fmt()
		.with_env_filter(
			tracing_subscriber::EnvFilter::try_new(&cli.log)
				.unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
		)
		.init();
	let networks = match &cli.networks {
		None => Ok(Networks::default()),
		Some(path) => std::fs::read_to_string(path)
			.map_err(|e| format!("{}: {e}", path.display()))
			.and_then(|text| networks(&text).map_err(|e| format!("{}: {e}", path.display()))),
	};
	let networks = match networks {
		Ok(networks) => networks,
		Err(e) => {
			eprintln!("ocm-router: {e}");
			return std::process::ExitCode::from(2);
		}
	};
	let runtime = match tokio::runtime::Runtime::new() {
		Ok(runtime) => runtime,
		Err(e) => {
			eprintln!("ocm-router: {e}");
			return std::process::ExitCode::FAILURE;
		}
	};
	runtime.block_on(async move {
		let listener = match tokio::net::TcpListener::bind(cli.listen).await {
			Ok(listener) => listener,
			Err(e) => {
				eprintln!("ocm-router: {}: {e}", cli.listen);
				return std::process::ExitCode::FAILURE;
			}
		};
		let mut router = Router::new(cli.cdn_id.clone(), networks);
		if let Some(secret) = &cli.token_key {
			use sp_core::Pair;
			let key = match sp_core::ed25519::Pair::from_string(secret, None) {
				Ok(key) => key,
				Err(e) => {
					eprintln!("ocm-router: --token-key: {e:?}");
					return std::process::ExitCode::from(2);
				}
			};
			let boot = std::time::SystemTime::now()
				.duration_since(std::time::UNIX_EPOCH)
				.map_or(0, |d| d.as_secs());
			let signer = ocm_router::signing::TokenSigner::new(key, cli.token_secs, boot);
			tracing::info!(key = %format!("0x{}", ocm_cdni::hex(&signer.public())), "signing player redirects");
			router.token_signer = Some(signer);
		}
		let router = Arc::new(router);
		let mut registry = prometheus_client::registry::Registry::default();
		router.metrics.register(&mut registry);
		tokio::spawn(chain::follow(cli.chain.clone(), router.clone()));
		tokio::spawn(probe::run(router.clone()));
		tracing::info!(address = %cli.listen, chain = %cli.chain, "routing");
		http::serve(listener, router, Arc::new(registry), async {
			let _ = tokio::signal::ctrl_c().await;
		})
		.await;
		std::process::ExitCode::SUCCESS
	})
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn networks_files_are_read_or_refused_by_line() {
		let table = networks("# ISP\n198.51.100.0/24 as64501 nl\n2001:db8::/32 - de\n\n").unwrap();
		let client = table.client("198.51.100.7".parse().unwrap());
		assert_eq!(client.asn, Some(64501));
		assert_eq!(table.client("2001:db8::1".parse().unwrap()).country.map(|c| c.0), Some(*b"DE"));
		assert!(networks("198.51.100.0/24 64501").unwrap_err().contains("line 1"));
		assert!(networks("x\n198.51.100.1/24 1 nl").unwrap_err().contains("line 1"));
		assert!(networks("198.51.100.0/24 1 zz").unwrap_err().contains("country"));
	}
}
