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

	/// A host this relay serves and its origin, as `host=http://origin:port`;
	/// repeatable, added to the file's `[[origins]]`.
	#[arg(long = "origin", value_name = "HOST=URL")]
	pub origins: Vec<String>,

	/// Memory tier size in bytes [default: 268435456].
	#[arg(long, env = "OCM_RELAY_CACHE_MEMORY_BYTES")]
	pub cache_memory_bytes: Option<u64>,

	/// Disk tier directory: objects survive restarts there [default: no disk tier].
	#[arg(long, env = "OCM_RELAY_CACHE_DISK_DIR")]
	pub cache_disk_dir: Option<PathBuf>,

	/// Disk tier size in bytes [default: 10737418240].
	#[arg(long, env = "OCM_RELAY_CACHE_DISK_BYTES")]
	pub cache_disk_bytes: Option<u64>,

	/// CA certificates (PEM) to trust for https:// origins besides the system's.
	#[arg(long, env = "OCM_RELAY_ORIGIN_CA")]
	pub origin_ca: Option<PathBuf>,

	/// The operator's secret URI, for the `[chain]` link (overrides the file's).
	#[arg(long, env = "OCM_RELAY_OPERATOR", hide_env_values = true)]
	pub operator: Option<String>,

	/// Address to serve HTTPS (HTTP/2 and HTTP/1.1 over TLS) on, with the
	/// certificate and key [default: 127.0.0.1:8443].
	#[arg(long, env = "OCM_RELAY_TLS_LISTEN")]
	pub tls_listen: Option<SocketAddr>,

	/// TLS certificate chain (PEM, leaf first); with `--tls-key`, turns HTTPS on.
	#[arg(long, env = "OCM_RELAY_TLS_CERT")]
	pub tls_cert: Option<PathBuf>,

	/// TLS private key (PEM).
	#[arg(long, env = "OCM_RELAY_TLS_KEY")]
	pub tls_key: Option<PathBuf>,

	/// Seconds a client has to send a request's head before its connection
	/// closes (slowloris) [default: 10].
	#[arg(long, env = "OCM_RELAY_HEADER_READ_TIMEOUT_SECS")]
	pub header_read_timeout_secs: Option<u64>,

	/// Where CDNi log spools and sealed batches live [default: ocm-relay-logs].
	#[arg(long, env = "OCM_RELAY_LOG_DIR")]
	pub log_dir: Option<PathBuf>,

	/// Workers, each a thread with its own runtime and listening socket
	/// [default: one per core].
	#[arg(long, env = "OCM_RELAY_WORKERS")]
	pub workers: Option<usize>,

	/// Log filter, as `RUST_LOG` takes it.
	#[arg(long, env = "OCM_RELAY_LOG", default_value = "info")]
	pub log: String,
}

/// The file's shape.
#[derive(Deserialize, Debug, Default)]
#[serde(deny_unknown_fields)]
struct FileConfig {
	listen: Option<SocketAddr>,
	header_read_timeout_secs: Option<u64>,
	#[serde(default)]
	pob: FilePob,
	#[serde(default)]
	cache: FileCache,
	#[serde(default)]
	origins: Vec<FileOrigin>,
	chain: Option<crate::chain::ChainConfig>,
	#[serde(default)]
	logs: FileLogs,
	#[serde(default)]
	tls: FileTls,
	#[serde(default)]
	multicast: FileMulticast,
}

#[derive(Deserialize, Debug, Default)]
#[serde(deny_unknown_fields)]
struct FileMulticast {
	#[serde(default)]
	send: Vec<MulticastSend>,
	#[serde(default)]
	receive: Vec<MulticastReceive>,
	test_channel: Option<TestChannelConfig>,
}

fn one() -> u32 {
	1
}
fn default_rate_mbit() -> u64 {
	100
}
fn default_ttl() -> u32 {
	16
}
fn default_poll_ms() -> u64 {
	500
}
fn default_design_loss_ppm() -> u32 {
	50_000
}

/// A live HLS stream this relay multicasts (`[[multicast.send]]`).
#[derive(Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct MulticastSend {
	/// The playlist (media or master) to follow, as an http:// URL.
	pub playlist: String,
	/// The address to send from; its interface carries the stream.
	pub source: std::net::IpAddr,
	/// The source-specific group and port.
	pub group: SocketAddr,
	/// The FLUTE session (TSI) [default: 1].
	#[serde(default = "one")]
	pub tsi: u32,
	/// Pace of the stream in Mbit/s [default: 100].
	#[serde(default = "default_rate_mbit")]
	pub rate_mbit: u64,
	/// TTL (IPv4) or hop limit (IPv6) [default: 16].
	#[serde(default = "default_ttl")]
	pub ttl: u32,
	/// How often the playlist is polled, in milliseconds [default: 500].
	#[serde(default = "default_poll_ms")]
	pub poll_ms: u64,
	/// Packet loss FEC is sized for, in parts per million [default: 50000, 5 %].
	#[serde(default = "default_design_loss_ppm")]
	pub design_loss_ppm: u32,
}

/// The channel this relay sends proof of bandwidth's multicast test on
/// (`[multicast.test_channel]`): announced on chain under the relay, and
/// multicast in each epoch's multicast window in which the relay is tested.
#[derive(Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct TestChannelConfig {
	/// The address to send from: the channel's source.
	pub source: std::net::IpAddr,
	/// The source-specific group (232/8 or FF3x::/32) and port.
	pub group: SocketAddr,
	/// The AMT relay that tunnels the channel to networks without
	/// multicast: beacons join there.
	pub amt_relay: SocketAddr,
	/// TTL (IPv4) or hop limit (IPv6) [default: 16].
	#[serde(default = "default_ttl")]
	pub ttl: u32,
}

impl TestChannelConfig {
	/// As the chain stores it.
	pub fn channel(&self) -> ocm_chain_client::pob::TestChannel {
		ocm_chain_client::pob::TestChannel {
			amt_relay: self.amt_relay,
			source: self.source,
			group: self.group,
		}
	}

	/// The checks the pallet makes, so a bad channel fails at start.
	fn check(&self) -> Result<(), String> {
		ocm_pob::multicast::check_channel(
			self.amt_relay.ip(),
			self.amt_relay.port(),
			self.source,
			self.group.ip(),
			self.group.port(),
		)
		.map_err(|e| {
			format!(
				"multicast.test_channel ({}, {}) through {}: {e:?} (needs an SSM group, a unicast source of its family, a unicast AMT relay and ports)",
				self.source, self.group, self.amt_relay
			)
		})
	}
}

/// A multicast stream this relay receives into its cache (`[[multicast.receive]]`).
#[derive(Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct MulticastReceive {
	/// The host viewers use: objects are cached as this host's paths, and
	/// unicast repair goes to this host's origin (`[[origins]]`).
	pub host: String,
	pub source: std::net::IpAddr,
	pub group: SocketAddr,
	#[serde(default = "one")]
	pub tsi: u32,
	/// Join through the AMT relay at this discovery address; natively if unset.
	pub amt_relay: Option<SocketAddr>,
	/// The interface to join on natively, by name [default: by route].
	pub interface: Option<String>,
}

#[derive(Deserialize, Debug, Default)]
#[serde(deny_unknown_fields)]
struct FileTls {
	listen: Option<SocketAddr>,
	cert: Option<PathBuf>,
	key: Option<PathBuf>,
}

/// HTTPS for viewers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TlsConfig {
	pub listen: SocketAddr,
	pub cert: PathBuf,
	pub key: PathBuf,
}

#[derive(Deserialize, Debug, Default)]
#[serde(deny_unknown_fields)]
struct FileLogs {
	dir: Option<PathBuf>,
}

#[derive(Deserialize, Debug, Default)]
#[serde(deny_unknown_fields)]
struct FileCache {
	memory_bytes: Option<u64>,
	disk_dir: Option<PathBuf>,
	disk_bytes: Option<u64>,
	origin_ca: Option<PathBuf>,
	max_object_bytes: Option<u64>,
	stale_if_error_secs: Option<u64>,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
struct FileOrigin {
	host: String,
	url: String,
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
	/// Host (lower case, no port) to origin base URL (`http://...`).
	pub origins: std::collections::BTreeMap<String, http::Uri>,
	pub cache_memory_bytes: u64,
	/// The disk tier's directory and size, if there is one.
	pub cache_disk: Option<(PathBuf, u64)>,
	/// Extra CA certificates for https:// origins.
	pub origin_ca: Option<PathBuf>,
	pub cache_max_object_bytes: u64,
	/// How long past freshness a response may serve when its origin fails,
	/// unless it names its own `stale-if-error`.
	pub cache_stale_if_error_secs: u64,
	/// The link to the chain, with the operator's secret URI resolved.
	pub chain: Option<crate::chain::ChainConfig>,
	/// CDNi log spools and sealed batches (used with a chain link).
	pub log_dir: PathBuf,
	/// HTTPS, when a certificate and key are configured.
	pub tls: Option<TlsConfig>,
	/// Seconds a client has to send a request's head.
	pub header_read_timeout_secs: u64,
	/// Live streams this relay multicasts.
	pub multicast_send: Vec<MulticastSend>,
	/// Multicast streams this relay receives into its cache.
	pub multicast_receive: Vec<MulticastReceive>,
	/// The multicast test channel, if the relay offers multicast.
	pub multicast_test_channel: Option<TestChannelConfig>,
}

fn origin(host: &str, url: &str) -> Result<(String, http::Uri), String> {
	let uri: http::Uri = url.parse().map_err(|e| format!("origin {url:?} for {host:?}: {e}"))?;
	if !matches!(uri.scheme_str(), Some("http" | "https")) || uri.host().is_none() {
		return Err(format!(
			"origin {url:?} for {host:?}: only http:// and https:// origins with a host"
		));
	}
	let host = host.trim().to_ascii_lowercase();
	if host.is_empty() || host.contains(['/', ':', ' ']) {
		return Err(format!("{host:?} is not a host name"));
	}
	Ok((host, uri))
}

/// A source-specific channel: a unicast source, a multicast group, one family.
fn multicast_channel(source: std::net::IpAddr, group: SocketAddr) -> Result<(), String> {
	if !group.ip().is_multicast()
		|| source.is_multicast()
		|| source.is_unspecified()
		|| source.is_ipv6() != group.is_ipv6()
	{
		return Err(format!(
			"multicast channel ({source}, {group}): needs a unicast source and a multicast group of one family"
		));
	}
	Ok(())
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
		let mut origins = std::collections::BTreeMap::new();
		for o in &file.origins {
			let (host, uri) = origin(&o.host, &o.url)?;
			origins.insert(host, uri);
		}
		for flag in &cli.origins {
			let (host, url) = flag
				.split_once('=')
				.ok_or_else(|| format!("--origin {flag:?}: expected HOST=URL"))?;
			let (host, uri) = origin(host, url)?;
			origins.insert(host, uri);
		}
		let chain = match file.chain {
			Some(mut chain) => {
				if let Some(operator) = &cli.operator {
					chain.operator = Some(operator.clone());
				}
				let operator = chain.operator.as_deref().ok_or(
					"[chain] needs the operator's key: `operator` in the file, --operator or OCM_RELAY_OPERATOR",
				)?;
				crate::chain::operator(operator)?;
				Some(chain)
			}
			None => None,
		};
		let tls = match (cli.tls_cert.clone().or(file.tls.cert), cli.tls_key.clone().or(file.tls.key)) {
			(Some(cert), Some(key)) => Some(TlsConfig {
				listen: cli
					.tls_listen
					.or(file.tls.listen)
					.unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 8443))),
				cert,
				key,
			}),
			(None, None) => None,
			_ => return Err("TLS needs both a certificate and a key (--tls-cert and --tls-key, or [tls] cert and key)".into()),
		};
		let cache_disk =
			cli.cache_disk_dir.clone().or(file.cache.disk_dir).map(|dir| {
				(dir, cli.cache_disk_bytes.or(file.cache.disk_bytes).unwrap_or(10 << 30))
			});
		for send in &file.multicast.send {
			let uri: http::Uri = send
				.playlist
				.parse()
				.map_err(|e| format!("multicast.send playlist {:?}: {e}", send.playlist))?;
			if uri.scheme_str() != Some("http") || uri.host().is_none() {
				return Err(format!(
					"multicast.send playlist {:?}: only http:// URLs",
					send.playlist
				));
			}
			multicast_channel(send.source, send.group)?;
			if send.rate_mbit == 0 || send.poll_ms == 0 {
				return Err("multicast.send rate_mbit and poll_ms must be at least 1".into());
			}
		}
		let mut multicast_receive = file.multicast.receive;
		for receive in &mut multicast_receive {
			multicast_channel(receive.source, receive.group)?;
			receive.host = receive.host.trim().to_ascii_lowercase();
			if !origins.contains_key(&receive.host) {
				return Err(format!(
					"multicast.receive host {:?} has no [[origins]] entry: unicast repair needs one",
					receive.host
				));
			}
		}
		if let Some(channel) = &file.multicast.test_channel {
			channel.check()?;
			if chain.is_none() {
				return Err(
					"multicast.test_channel needs [chain]: the channel is announced there".into()
				);
			}
		}
		let config = Config {
			multicast_test_channel: file.multicast.test_channel,
			multicast_send: file.multicast.send,
			multicast_receive,
			origin_ca: cli.origin_ca.clone().or(file.cache.origin_ca),
			header_read_timeout_secs: cli
				.header_read_timeout_secs
				.or(file.header_read_timeout_secs)
				.unwrap_or(10)
				.max(1),
			cache_disk,
			tls,
			chain,
			log_dir: cli
				.log_dir
				.clone()
				.or(file.logs.dir)
				.unwrap_or_else(|| PathBuf::from("ocm-relay-logs")),
			origins,
			cache_memory_bytes: cli
				.cache_memory_bytes
				.or(file.cache.memory_bytes)
				.unwrap_or(256 << 20),
			cache_max_object_bytes: file.cache.max_object_bytes.unwrap_or(64 << 20),
			cache_stale_if_error_secs: file.cache.stale_if_error_secs.unwrap_or(3_600),
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
		std::fs::write(
			&file,
			"[[origins]]\nhost = \"Video.Example\"\nurl = \"http://127.0.0.1:9\"\n",
		)
		.unwrap();
		let with_origins =
			Config::load(&cli(&["--config", path, "--origin", "live.example=http://127.0.0.1:10"]))
				.unwrap();
		assert_eq!(with_origins.origins.len(), 2);
		assert_eq!(with_origins.origins["video.example"], "http://127.0.0.1:9");
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
		std::fs::write(&file, "[chain]\nurl = \"ws://127.0.0.1:9944\"\npublic_url = \"http://r\"\nbond = 1\ncountry = \"nl\"\nasn = 1\ncapacity_mbps = 1\ncapabilities = []\nfootprints = []\n").unwrap();
		let no_key = Config::load(&cli(&["--config", file.to_str().unwrap()])).unwrap_err();
		assert!(no_key.contains("operator's key"), "{no_key}");
		let bad_key =
			Config::load(&cli(&["--config", file.to_str().unwrap(), "--operator", "not a key"]))
				.unwrap_err();
		assert!(bad_key.contains("operator key"), "{bad_key}");
		let keyed =
			Config::load(&cli(&["--config", file.to_str().unwrap(), "--operator", "//Dave"]))
				.unwrap();
		assert_eq!(keyed.chain.unwrap().operator.as_deref(), Some("//Dave"));
		let missing = Config::load(&cli(&["--config", "/nonexistent/relay.toml"])).unwrap_err();
		assert!(missing.contains("cannot read"), "{missing}");
		let half = Config::load(&cli(&["--tls-cert", "/x.pem"])).unwrap_err();
		assert!(half.contains("both a certificate and a key"), "{half}");
		let tls = Config::load(&cli(&["--tls-cert", "/c.pem", "--tls-key", "/k.pem"])).unwrap();
		assert_eq!(tls.tls.unwrap().listen, "127.0.0.1:8443".parse().unwrap());
		let ftp = Config::load(&cli(&["--origin", "video.example=ftp://origin"])).unwrap_err();
		assert!(ftp.contains("only http:// and https://"), "{ftp}");
		assert!(Config::load(&cli(&["--origin", "no-equals-sign"]))
			.unwrap_err()
			.contains("HOST=URL"));
	}

	#[test]
	fn a_test_channel_is_checked_as_the_chain_checks_it() {
		let dir = std::env::temp_dir().join(format!("ocm-relay-channel-{}", std::process::id()));
		std::fs::create_dir_all(&dir).unwrap();
		let file = dir.join("relay.toml");
		let chain = "[chain]\nurl = \"ws://127.0.0.1:9944\"\noperator = \"//Dave\"\npublic_url = \"http://r\"\nbond = 1\ncountry = \"nl\"\nasn = 1\ncapacity_mbps = 1\ncapabilities = []\nfootprints = []\n";
		let load = |body: &str| {
			std::fs::write(&file, body).unwrap();
			Config::load(&cli(&["--config", file.to_str().unwrap()]))
		};
		let channel = |group: &str| {
			format!("[multicast.test_channel]\nsource = \"10.0.0.1\"\ngroup = \"{group}\"\namt_relay = \"10.0.0.2:2268\"\n")
		};
		let good = load(&format!("{chain}{}", channel("232.1.1.1:5000"))).unwrap();
		let test_channel = good.multicast_test_channel.unwrap();
		assert_eq!((test_channel.ttl, test_channel.group.port()), (16, 5000));
		let any_source = load(&format!("{chain}{}", channel("239.1.1.1:5000"))).unwrap_err();
		assert!(any_source.contains("NotSsm"), "{any_source}");
		let no_port = load(&format!("{chain}{}", channel("232.1.1.1:0"))).unwrap_err();
		assert!(no_port.contains("ZeroPort"), "{no_port}");
		let no_chain = load(&channel("232.1.1.1:5000")).unwrap_err();
		assert!(no_chain.contains("needs [chain]"), "{no_chain}");
	}
}
