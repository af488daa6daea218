//! `ocm-devnet`: runs OCM locally. See `ocm-devnet --help` and the README.

use clap::Parser;
use ocm_devnet::{
	board, calls,
	devnet::{memory_table, Devnet, Outcome},
	plan::Plan,
};
use std::{path::PathBuf, process::ExitCode};

/// Runs the whole marketplace locally: chain, origin with a live stream,
/// upstream and edge relays joined by multicast through AMT, beacons,
/// router, and a provider's contract. Ctrl-C stops everything.
#[derive(Parser, Debug)]
#[command(version, args_conflicts_with_subcommands = true)]
struct Cli {
	#[command(subcommand)]
	setup: Option<Command>,
	#[command(flatten)]
	run: Run,
}

#[derive(clap::Subcommand, Debug)]
enum Command {
	/// Sets up a running chain as the devnet does, for topologies it does
	/// not start itself (docker/compose.yaml): the dev board shortens the
	/// market's cycles by motion, and a provider opens contract 0.
	Setup(Setup),
}

#[derive(clap::Args, Debug)]
struct Setup {
	/// A node's RPC.
	#[arg(long, default_value = "ws://127.0.0.1:9944")]
	chain: String,
	/// The provider's host.
	#[arg(long, default_value = ocm_devnet::plan::HOST)]
	host: String,
	/// The host's origin.
	#[arg(long)]
	origin: String,
	#[command(flatten)]
	provider: Provider,
	/// Leave the market's cycles as they are (a dev chain has short ones).
	#[arg(long)]
	keep_cycles: bool,
}

#[derive(clap::Args, Debug)]
struct Provider {
	/// The provider's key (a secret URI), which opens the contract.
	#[arg(
		long,
		env = "OCM_DEVNET_PROVIDER_KEY",
		default_value = "//Alice",
		hide_env_values = true
	)]
	provider_key: String,
}

#[derive(clap::Args, Debug)]
struct Run {
	/// State directory (chain database, logs, stream, configs); emptied at start.
	#[arg(long, env = "OCM_DEVNET_DIR", default_value = "/tmp/ocm-devnet")]
	dir: PathBuf,
	/// Where the binaries are; default: next to ocm-devnet.
	#[arg(long, env = "OCM_DEVNET_BIN_DIR")]
	bin_dir: Option<PathBuf>,
	/// The chain's RPC port (Polkadot.js Apps connects here); with
	/// --local, validators 2 and 3 use the next two ports.
	#[arg(long, default_value_t = 9944)]
	rpc_port: u16,
	/// The chain's p2p port (and the next two, with --local).
	#[arg(long, default_value_t = 30333)]
	p2p_port: u16,
	/// The edge relay's HTTP port: players come here.
	#[arg(long, default_value_t = 8080)]
	relay_port: u16,
	/// The request router's port.
	#[arg(long, default_value_t = 8070)]
	router_port: u16,
	/// The origin's port.
	#[arg(long, default_value_t = 8000)]
	origin_port: u16,
	/// Three validators (Alice, Bob, Charlie: `--chain local`) instead of
	/// one dev validator.
	#[arg(long)]
	local: bool,
	/// No multicast: the edge relay fetches the stream from the origin by
	/// unicast (no root needed).
	#[arg(long)]
	no_multicast: bool,
	/// Do not open the provider's contract (open your own, e.g. from
	/// Polkadot.js Apps; the edge relay joins contract 0 when it exists).
	#[arg(long)]
	no_contract: bool,
	/// How many beacons test the edge relay.
	#[arg(long, default_value_t = 3)]
	beacons: usize,
	/// The edge relay operator's key (a secret URI).
	#[arg(long, env = "OCM_DEVNET_RELAY_KEY", default_value = "//Dave", hide_env_values = true)]
	relay_key: String,
	#[command(flatten)]
	provider: Provider,
	/// Name of the multicast network namespace.
	#[arg(long, default_value = "ocm-devnet")]
	namespace: String,
}

fn main() -> ExitCode {
	let cli = Cli::parse();
	if let Some(Command::Setup(setup)) = cli.setup {
		return one_thread(set_up(setup));
	}
	let cli = cli.run;
	let bin_dir = cli.bin_dir.clone().unwrap_or_else(|| {
		std::env::current_exe()
			.ok()
			.and_then(|p| p.parent().map(PathBuf::from))
			.unwrap_or_else(|| PathBuf::from("."))
	});
	let plan = Plan {
		dir: cli.dir,
		bin_dir,
		rpc_port: cli.rpc_port,
		p2p_port: cli.p2p_port,
		relay_port: cli.relay_port,
		router_port: cli.router_port,
		origin_port: cli.origin_port,
		local_testnet: cli.local,
		multicast: !cli.no_multicast,
		contract: !cli.no_contract,
		beacons: cli.beacons,
		relay_key: cli.relay_key,
		provider_key: cli.provider.provider_key,
		namespace: cli.namespace,
	};
	let problems = plan.problems();
	if !problems.is_empty() {
		eprintln!("ocm-devnet cannot start:");
		for problem in problems {
			eprintln!("  - {problem}");
		}
		return ExitCode::from(2);
	}
	// One thread: every child is forked from it, and a child's death
	// signal follows the thread that forked it.
	one_thread(run(plan))
}

fn one_thread(work: impl std::future::Future<Output = ExitCode>) -> ExitCode {
	match tokio::runtime::Builder::new_current_thread().enable_all().build() {
		Ok(runtime) => runtime.block_on(work),
		Err(e) => {
			eprintln!("ocm-devnet: no async runtime: {e}");
			ExitCode::FAILURE
		}
	}
}

async fn set_up(setup: Setup) -> ExitCode {
	let chain = loop {
		match ocm_chain_client::Chain::connect(&setup.chain).await {
			Ok(chain) => break chain,
			Err(e) => {
				println!("waiting for the chain: {e}");
				tokio::time::sleep(std::time::Duration::from_secs(2)).await;
			}
		}
	};
	if !setup.keep_cycles {
		for (parameter, value) in board::dev_cycles() {
			if let Err(e) = board::pass(&chain, board::set_parameter(parameter, value)).await {
				eprintln!("ocm-devnet setup: the board setting {parameter}: {e}");
				return ExitCode::FAILURE;
			}
			println!("the board set {parameter} to {value} by motion");
		}
	}
	match calls::open_dev_contract(&chain, &setup.provider.provider_key, &setup.host, &setup.origin)
		.await
	{
		Ok(id) => {
			println!("contract {id} open: {} from {}", setup.host, setup.origin);
			ExitCode::SUCCESS
		}
		Err(e) => {
			eprintln!("ocm-devnet setup: {e}");
			ExitCode::FAILURE
		}
	}
}

async fn run(plan: Plan) -> ExitCode {
	let mut devnet = match Devnet::prepare(plan) {
		Ok(devnet) => devnet,
		Err(e) => {
			eprintln!("ocm-devnet cannot start: {e}");
			return ExitCode::from(2);
		}
	};
	let outcome = tokio::select! {
		outcome = devnet.run() => outcome,
		signal = stop_signal() => {
			println!("\n{signal}: stopping the devnet");
			Outcome::Stopped
		}
	};
	let code = match &outcome {
		Outcome::Stopped => ExitCode::SUCCESS,
		Outcome::Died(died) => {
			eprintln!("ocm-devnet: {died}\nstopping the devnet");
			ExitCode::FAILURE
		}
		Outcome::Failed(why) => {
			eprintln!("ocm-devnet: {why}\nstopping the devnet");
			ExitCode::FAILURE
		}
	};
	let memory = devnet.shut_down();
	print!("{}", memory_table(&memory));
	println!("stopped: no process of the devnet is left");
	code
}

/// The first of SIGINT (Ctrl-C), SIGTERM and SIGHUP, by name.
async fn stop_signal() -> &'static str {
	use tokio::signal::unix::{signal, SignalKind};
	let (Ok(mut int), Ok(mut term), Ok(mut hup)) = (
		signal(SignalKind::interrupt()),
		signal(SignalKind::terminate()),
		signal(SignalKind::hangup()),
	) else {
		return std::future::pending().await;
	};
	tokio::select! {
		_ = int.recv() => "SIGINT",
		_ = term.recv() => "SIGTERM",
		_ = hup.recv() => "SIGHUP",
	}
}
