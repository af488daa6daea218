//! `ocm-logs verify <file> --chain ws://...`: checks a relay's published
//! RFC 7937 log file against what the relay committed on chain: the file's
//! own `#SHA256-hash`, every record's grammar, the Merkle root over the
//! records, their count and the totals the relay is paid by.
//!
//! Exit status: 0 when the file matches the chain, 1 when it does not, 2
//! when it cannot be checked (unreadable file, no chain, no such batch).

mod verify;

use clap::{Parser, Subcommand};
use std::{path::PathBuf, process::ExitCode};

#[derive(Parser)]
#[command(version, about)]
struct Cli {
	#[command(subcommand)]
	command: Command,
}

#[derive(Subcommand)]
enum Command {
	/// Checks a log file against its batch's on-chain commitment.
	Verify {
		/// The downloaded log file.
		file: PathBuf,
		/// The node's RPC.
		#[arg(long, default_value = "ws://127.0.0.1:9944")]
		chain: String,
		/// The batch's contract, relay and period; read from the file's
		/// `#remark: ocm-batch ...` line when not given.
		#[arg(long)]
		contract: Option<u32>,
		#[arg(long)]
		relay: Option<u32>,
		#[arg(long)]
		period: Option<u32>,
		/// Read the chain at this block number instead of the best block
		/// (batches leave the chain's state once settled).
		#[arg(long)]
		at: Option<u64>,
	},
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
	match Cli::parse().command {
		Command::Verify { file, chain, contract, relay, period, at } => {
			let bytes = match std::fs::read(&file) {
				Ok(bytes) => bytes,
				Err(e) => {
					eprintln!("ocm-logs: cannot read {}: {e}", file.display());
					return ExitCode::from(2);
				}
			};
			let local = match verify::check_file(&bytes) {
				Ok(local) => local,
				Err(e) => {
					eprintln!("ocm-logs: {}: {e}", file.display());
					return ExitCode::from(1);
				}
			};
			let batch = match verify::batch_of(&local, contract, relay, period) {
				Ok(batch) => batch,
				Err(e) => {
					eprintln!("ocm-logs: {e}");
					return ExitCode::from(2);
				}
			};
			let on_chain = match verify::committed(&chain, batch, at).await {
				Ok(on_chain) => on_chain,
				Err(e) => {
					eprintln!("ocm-logs: {e}");
					return ExitCode::from(2);
				}
			};
			let report = verify::compare(&local, &on_chain);
			println!("{}", report.text(batch));
			if report.matches() {
				ExitCode::SUCCESS
			} else {
				ExitCode::from(1)
			}
		}
	}
}
