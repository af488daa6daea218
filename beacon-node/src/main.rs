//! `ocm-beacon`: what a person runs to prove relays' bandwidth. See
//! `beacon-node/README.md`.

use clap::Parser;
use ocm_beacon::{chain, measure, report};
use ocm_pob::payload::StreamId;
use std::time::Duration;
use subxt::{
	dynamic::{self, Value},
	ext::scale_value::Composite,
};
use subxt_signer::{sr25519::Keypair, SecretUri};

/// Proves relays' bandwidth for the Open Capacity Marketplace: registers
/// with a bond, follows the chain's proof-of-bandwidth epochs, downloads its
/// assigned relay's payload on many connections at once, checks every byte,
/// and submits a signed report of the bytes received each second.
#[derive(Parser, Debug, Clone)]
#[command(version)]
pub struct Cli {
	/// The node's RPC endpoint.
	#[arg(long, env = "OCM_BEACON_CHAIN", default_value = "ws://127.0.0.1:9944")]
	pub chain: String,
	/// The beacon's sr25519 secret URI (its account; `//Eve` on a dev chain).
	#[arg(long, env = "OCM_BEACON_KEY", hide_env_values = true)]
	pub key: String,
	/// ISO 3166-1 alpha-2 country the beacon measures from.
	#[arg(long, env = "OCM_BEACON_COUNTRY", default_value = "NL")]
	pub country: String,
	/// The autonomous system of the beacon's network: it never tests relays in it.
	#[arg(long, env = "OCM_BEACON_ASN")]
	pub asn: u32,
	/// The beacon's own download capacity, Mbit/s: the chain adds beacons
	/// until their capacities exceed a relay's claim, and refuses reports
	/// above it.
	#[arg(long, env = "OCM_BEACON_CAPACITY_MBPS")]
	pub capacity_mbps: u32,
	/// Concurrent connections per test.
	#[arg(long, env = "OCM_BEACON_CONNECTIONS", default_value_t = 8)]
	pub connections: usize,
	/// Bytes per range request.
	#[arg(long, env = "OCM_BEACON_REQUEST_BYTES", default_value_t = 4 << 20)]
	pub request_bytes: u64,
	/// Most megabytes one test may download (0: no cap).
	#[arg(long, env = "OCM_BEACON_DATA_CAP_MB", default_value_t = 0)]
	pub data_cap_mb: u64,
	/// Most Mbit/s a test may use (0: no cap).
	#[arg(long, env = "OCM_BEACON_MAX_RATE_MBPS", default_value_t = 0)]
	pub max_rate_mbps: u32,
	/// Seconds between delivery audits (`src/audit.rs`): the beacon
	/// fetches one object of a contract through one of its relays with a
	/// receipt, checks the relay's committed batch for it, and claims it
	/// missing if the batch does not show it. 0: no audits.
	#[arg(long, env = "OCM_BEACON_AUDIT_EVERY_SECS", default_value_t = 300)]
	pub audit_every_secs: u64,
	/// Log filter (`tracing` EnvFilter syntax).
	#[arg(long, env = "OCM_BEACON_LOG", default_value = "info")]
	pub log: String,
}

fn keypair(uri: &str) -> Result<Keypair, String> {
	let uri: SecretUri = uri.parse().map_err(|e| format!("key: {e:?}"))?;
	Keypair::from_uri(&uri).map_err(|e| format!("key: {e:?}"))
}

fn check(cli: &Cli) -> Result<[u8; 2], String> {
	let country: [u8; 2] = cli
		.country
		.to_ascii_uppercase()
		.as_bytes()
		.try_into()
		.map_err(|_| format!("country {:?} is not two letters", cli.country))?;
	if !country.iter().all(u8::is_ascii_uppercase) {
		return Err(format!("country {:?} is not two letters", cli.country));
	}
	if cli.capacity_mbps == 0 || cli.connections == 0 || cli.request_bytes == 0 {
		return Err("capacity, connections and request bytes must be at least 1".into());
	}
	Ok(country)
}

fn location(country: [u8; 2], asn: u32) -> Value {
	Value::named_composite([
		("country", Value::from_bytes(country)),
		("asn", Value::u128(asn.into())),
	])
}

/// Registers the beacon, or updates a registration that says otherwise.
async fn ensure_registered(
	chain: &chain::Chain,
	cli: &Cli,
	country: [u8; 2],
	key: &Keypair,
) -> Result<(), String> {
	let account = key.public_key().0;
	let registered = chain::Chain::beacon(&chain.best().await?, account).await?;
	let args =
		Composite::unnamed([location(country, cli.asn), Value::u128(cli.capacity_mbps.into())]);
	match registered {
		None => {
			chain
				.submit_signed(&dynamic::tx("ProofOfBandwidth", "register_beacon", args), key)
				.await?;
			tracing::info!(capacity_mbps = cli.capacity_mbps, asn = cli.asn, "registered");
		}
		Some(b) if b.capacity_mbps != cli.capacity_mbps || b.asn != cli.asn => {
			chain
				.submit_signed(&dynamic::tx("ProofOfBandwidth", "update_beacon", args), key)
				.await?;
			tracing::info!(
				capacity_mbps = cli.capacity_mbps,
				asn = cli.asn,
				"registration updated"
			);
		}
		Some(b) => tracing::info!(reputation = b.reputation, "already registered"),
	}
	Ok(())
}

/// Runs the test of `relay` in `epoch` and reports it.
async fn test_and_report(
	chain: &chain::Chain,
	at: &chain::AtBlock,
	cli: &Cli,
	key: &Keypair,
	epoch: chain::EpochView,
	relay: u32,
) -> Result<(), String> {
	let endpoint = chain::Chain::pob_endpoint(at, relay).await?;
	let multicast = chain::Chain::multicast_test(at, relay).await?;
	let test = ocm_chain_client::pob::test_of(at, relay)
		.await?
		.ok_or_else(|| format!("relay {relay} is not under test"))?;
	let share = measure::equal_share_mbps(test.claimed_mbps, test.beacons());
	let beacon = key.public_key().0;
	// Reports are checked against the link the draw saw, which differs from
	// `--capacity-mbps` while a changed registration waits for the next draw.
	let link_mbps = test.link_of(beacon).unwrap_or(cli.capacity_mbps);
	let plan = measure::TestPlan {
		endpoint,
		stream: StreamId { epoch_seed: epoch.seed, relay, beacon },
		window_start_ms: epoch.window_start_ms,
		window_secs: epoch.window_secs,
		connections: cli.connections,
		request_bytes: cli.request_bytes,
		max_bytes: if cli.data_cap_mb == 0 { u64::MAX } else { cli.data_cap_mb << 20 },
		// No faster than an equal share of the claim: the verdict credits a
		// beacon no more than the others' mean, so an honest relay is
		// measured in full only if its beacons receive equal shares, which
		// TCP alone does not make them.
		max_rate_mbps: match cli.max_rate_mbps {
			0 => share,
			cap => cap.min(share),
		},
	};
	tracing::info!(
		epoch = epoch.index,
		relay,
		starts_in_ms = epoch.window_start_ms.saturating_sub(measure::now_ms()),
		"assigned"
	);
	// The multicast test runs beside: it joins now and counts only in its
	// own window, which starts after the unicast one has ended.
	let multicast = async {
		match multicast {
			Some(channel) => {
				Some(test_multicast(chain, key, &epoch, relay, channel, link_mbps).await)
			}
			None => None,
		}
	};
	let (outcome, multicast) = tokio::join!(
		async {
			let outcome = measure::run(plan).await;
			report_unicast(chain, link_mbps, key, &epoch, relay, outcome).await
		},
		multicast
	);
	if let Some(Err(e)) = multicast {
		tracing::warn!(epoch = epoch.index, relay, error = %e, "multicast test not reported");
	}
	outcome
}

/// Joins `relay`'s test channel through its AMT relay, counts the true
/// test objects of the multicast window and reports them.
async fn test_multicast(
	chain: &chain::Chain,
	key: &Keypair,
	epoch: &chain::EpochView,
	relay: u32,
	channel: chain::TestChannel,
	link_mbps: u32,
) -> Result<(), String> {
	use ocm_pob::multicast;
	let plan = ocm_beacon::multicast::ReachPlan {
		amt_relay: channel.amt_relay,
		source: channel.source,
		group: channel.group,
		tsi: multicast::session_id(relay),
		window_start_ms: Some(multicast::window_start_ms(epoch.window_start_ms, epoch.window_secs)),
		window_secs: multicast::WINDOW_SECS,
		test: Some(ocm_beacon::multicast::ReachTest {
			epoch: epoch.index,
			seed: epoch.seed,
			relay,
		}),
		open_timeout: Duration::from_secs(10),
	};
	let reach = ocm_beacon::multicast::measure(&plan).await.map_err(|e| e.to_string())?;
	tracing::info!(
		epoch = epoch.index,
		relay,
		verified = reach.verified,
		of = multicast::OBJECTS_IN_WINDOW,
		datagrams = reach.datagrams,
		"multicast measured"
	);
	let report = report::MulticastReport {
		epoch: epoch.index,
		relay,
		beacon: key.public_key().0,
		objects: reach.verified,
		// The chain refuses more than the beacon's link carries in the window.
		bytes: reach.bytes_per_second.iter().sum::<u64>().min(
			ocm_pob::verdict::max_bytes_per_second(link_mbps)
				.saturating_mul(u64::from(multicast::WINDOW_SECS)),
		),
	};
	chain.submit_multicast_report(&report, key).await?;
	tracing::info!(epoch = epoch.index, relay, "multicast report accepted");
	Ok(())
}

/// Reports a unicast measurement.
async fn report_unicast(
	chain: &chain::Chain,
	link_mbps: u32,
	key: &Keypair,
	epoch: &chain::EpochView,
	relay: u32,
	outcome: measure::Outcome,
) -> Result<(), String> {
	let beacon = key.public_key().0;
	let mut sorted = outcome.bytes_per_second.clone();
	sorted.sort_unstable();
	let median = sorted.get(sorted.len().saturating_sub(1) / 2).copied().unwrap_or(0);
	tracing::info!(
		epoch = epoch.index,
		relay,
		median_mbps = median * 8 / 1_000_000,
		bytes_per_second = ?outcome.bytes_per_second,
		rejected_bytes = outcome.rejected_bytes,
		errors = ?outcome.errors.first(),
		"measured"
	);
	// The chain refuses seconds above the beacon's link: a burst that the
	// link's slack does not cover is reported at the link's rate.
	let max = ocm_pob::verdict::max_bytes_per_second(link_mbps);
	let bytes_per_second = outcome.bytes_per_second.iter().map(|b| (*b).min(max)).collect();
	let report = report::Report { epoch: epoch.index, relay, beacon, bytes_per_second };
	chain.submit_report(&report, key).await?;
	tracing::info!(epoch = epoch.index, relay, "report accepted");
	Ok(())
}

async fn run(cli: Cli, country: [u8; 2], key: Keypair) {
	let chain = loop {
		match chain::Chain::connect(&cli.chain).await {
			Ok(chain) => break chain,
			Err(e) => tracing::warn!(error = %e, "cannot reach the chain; retrying"),
		}
		tokio::time::sleep(Duration::from_secs(2)).await;
	};
	while let Err(e) = ensure_registered(&chain, &cli, country, &key).await {
		tracing::warn!(error = %e, "registration failed; retrying");
		tokio::time::sleep(Duration::from_secs(5)).await;
	}
	let account = key.public_key().0;
	let mut last_epoch = 0;
	let mut auditor = ocm_beacon::audit::Auditor::default();
	let audit_every = Duration::from_secs(cli.audit_every_secs);
	let mut last_audit = std::time::Instant::now();
	loop {
		tokio::time::sleep(Duration::from_millis(500)).await;
		// Between tests: a round is bounded, so a test's window is not missed.
		if cli.audit_every_secs > 0 && last_audit.elapsed() >= audit_every {
			last_audit = std::time::Instant::now();
			match tokio::time::timeout(Duration::from_secs(20), auditor.round(&chain, &key)).await {
				Ok(Ok(_)) => {}
				Ok(Err(e)) => tracing::info!(error = %e, "audit round"),
				Err(_) => tracing::info!("audit round timed out"),
			}
		}
		match new_assignment(&chain, account, last_epoch).await {
			Ok(None) => {}
			Ok(Some((epoch, relay, at))) => {
				last_epoch = epoch.index;
				let Some(relay) = relay else { continue };
				if let Err(e) = test_and_report(&chain, &at, &cli, &key, epoch.clone(), relay).await
				{
					tracing::warn!(epoch = epoch.index, relay, error = %e, "test not reported");
				}
			}
			Err(e) => tracing::warn!(error = %e, "cannot read the epoch or the assignment"),
		}
	}
}

/// From one best block: a new epoch (not `last_epoch`), the relay this beacon
/// tests in it if any, and the block to read the relay's endpoint at.
async fn new_assignment(
	chain: &chain::Chain,
	account: [u8; 32],
	last_epoch: u32,
) -> Result<Option<(chain::EpochView, Option<u32>, chain::AtBlock)>, String> {
	let at = chain.best().await?;
	match chain::Chain::epoch(&at).await? {
		Some(epoch) if epoch.index != last_epoch => {
			let relay = chain::Chain::assignment(&at, account).await?;
			Ok(Some((epoch, relay, at)))
		}
		_ => Ok(None),
	}
}

fn main() -> std::process::ExitCode {
	let cli = Cli::parse();
	tracing_subscriber::fmt()
		.with_env_filter(
			tracing_subscriber::EnvFilter::try_new(&cli.log)
				.unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
		)
		.init();
	let (country, key) = match check(&cli).and_then(|c| Ok((c, keypair(&cli.key)?))) {
		Ok(ok) => ok,
		Err(e) => {
			eprintln!("ocm-beacon: {e}");
			return std::process::ExitCode::from(2);
		}
	};
	// One thread: a beacon on someone's device should take one core at most
	// and little memory.
	let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
		Ok(runtime) => runtime,
		Err(e) => {
			eprintln!("ocm-beacon: {e}");
			return std::process::ExitCode::FAILURE;
		}
	};
	runtime.block_on(async {
		tokio::select! {
			_ = run(cli, country, key) => {},
			_ = tokio::signal::ctrl_c() => tracing::info!("stopping"),
		}
	});
	std::process::ExitCode::SUCCESS
}
