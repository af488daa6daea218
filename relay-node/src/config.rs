//! Configuration: a TOML file, then environment variables and flags over it.

use clap::Parser;
use serde::Deserialize;
use std::{net::SocketAddr, path::PathBuf};

/// `ocm-relay`: an OCM relay. Serves the proof-of-bandwidth endpoint that
/// beacons measure, `/healthz` and Prometheus `/metrics`.
#[derive(Parser, Debug)]
#[command(version, about)]
pub struct Cli {
	/// TOML configuration file; flags and environment variables override it.
	#[arg(long, short, env = "OCM_RELAY_CONFIG")]
	pub config: Option<PathBuf>,

	/// Address to serve HTTP/1.1 and HTTP/2 (cleartext) on [default: 127.0.0.1:8080].
	#[arg(long, env = "OCM_RELAY_LISTEN")]
	pub listen: Option<SocketAddr>,

	/// Most bytes one PoB request may ask for [default: 268435456].
	#[arg(long, env = "OCM_RELAY_POB_MAX_REQUEST_BYTES")]
	pub pob_max_request_bytes: Option<u64>,

	/// Log filter, as `RUST_LOG` takes it.
	#[arg(long, env = "OCM_RELAY_LOG", default_value = "info")]
	pub log: String,
}

/// The file's shape.
#[derive(Deserialize, Debug, Default)]
#[serde(deny_unknown_fields)]
struct FileConfig {
	listen: Option<SocketAddr>,
	#[serde(default)]
	pob: FilePob,
}

#[derive(Deserialize, Debug, Default)]
#[serde(deny_unknown_fields)]
struct FilePob {
	max_request_bytes: Option<u64>,
}

/// The settings the relay runs with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
	pub listen: SocketAddr,
	pub pob_max_request_bytes: u64,
}

impl Config {
	/// The file (if any), overridden by flags and environment variables.
	pub fn load(cli: &Cli) -> Result<Self, String> {
		let file = match &cli.config {
			Some(path) => {
				let text = std::fs::read_to_string(path)
					.map_err(|e| format!("cannot read {}: {e}", path.display()))?;
				toml::from_str::<FileConfig>(&text)
					.map_err(|e| format!("{}: {e}", path.display()))?
			}
			None => FileConfig::default(),
		};
		let config = Config {
			listen: cli
				.listen
				.or(file.listen)
				.unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 8080))),
			pob_max_request_bytes: cli
				.pob_max_request_bytes
				.or(file.pob.max_request_bytes)
				.unwrap_or(256 << 20),
		};
		if config.pob_max_request_bytes == 0 {
			return Err("pob.max_request_bytes must be at least 1".into());
		}
		Ok(config)
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	fn cli(args: &[&str]) -> Cli {
		Cli::try_parse_from([&["ocm-relay"], args].concat()).unwrap()
	}

	#[test]
	fn flags_override_the_file_which_overrides_defaults() {
		let dir = std::env::temp_dir().join(format!("ocm-relay-config-{}", std::process::id()));
		std::fs::create_dir_all(&dir).unwrap();
		let file = dir.join("relay.toml");
		std::fs::write(&file, "listen = \"127.0.0.1:9000\"\n[pob]\nmax_request_bytes = 1024\n")
			.unwrap();
		let path = file.to_str().unwrap();
		let from_file = Config::load(&cli(&["--config", path])).unwrap();
		assert_eq!(from_file.listen, "127.0.0.1:9000".parse().unwrap());
		assert_eq!(from_file.pob_max_request_bytes, 1024);
		let overridden =
			Config::load(&cli(&["--config", path, "--listen", "127.0.0.1:9001"])).unwrap();
		assert_eq!(overridden.listen, "127.0.0.1:9001".parse().unwrap());
		assert_eq!(overridden.pob_max_request_bytes, 1024);
		let defaults = Config::load(&cli(&[])).unwrap();
		assert_eq!(defaults.pob_max_request_bytes, 256 << 20);
	}

	#[test]
	fn bad_files_are_refused_with_the_reason() {
		let dir = std::env::temp_dir().join(format!("ocm-relay-bad-{}", std::process::id()));
		std::fs::create_dir_all(&dir).unwrap();
		let file = dir.join("relay.toml");
		std::fs::write(&file, "listen = \"127.0.0.1:9000\"\nlisten_typo = 1\n").unwrap();
		let err = Config::load(&cli(&["--config", file.to_str().unwrap()])).unwrap_err();
		assert!(err.contains("listen_typo"), "{err}");
		std::fs::write(&file, "[pob]\nmax_request_bytes = 0\n").unwrap();
		assert!(Config::load(&cli(&["--config", file.to_str().unwrap()]))
			.unwrap_err()
			.contains("at least 1"));
		let missing = Config::load(&cli(&["--config", "/nonexistent/relay.toml"])).unwrap_err();
		assert!(missing.contains("cannot read"), "{missing}");
	}
}
