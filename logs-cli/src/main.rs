//! `ocm-logs verify <file> --chain ws://...`: checks a relay's published
//! RFC 7937 log file against what the relay committed on chain: the file's
//! own `#SHA256-hash`, every record's grammar, the Merkle-sum root over the
//! records, their count and the totals the relay is paid by.
//!
//! On a mismatch it prints the dispute calls that prove it (a malformed
//! record, totals that are not the records') or that make the relay prove
//! its bill (byte offsets it must show a record for, when the file is not
//! what it committed); with `--dispute --key <secret URI>` it submits them.
//!
//! Exit status: 0 when the file matches the chain, 1 when it does not, 2
//! when it cannot be checked (unreadable file, no chain, no such batch) or
//! a dispute could not be submitted.
//!
//! `ocm-logs sign-url` signs a viewer's URL for a contract that requires
//! signed requests (RFC 9246 URI Signing, EdDSA), and `ocm-logs token-key`
//! prints the public key to register with `addTokenKey`.

mod sign;
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
		/// Submit the disputes a mismatch calls for (the contract's provider
		/// or a beacon may; challenges hold the claim deposit until the
		/// relay answers, and go back if it cannot).
		#[arg(long, requires = "key")]
		dispute: bool,
		/// The challenger's secret URI (`//Alice`, a mnemonic, ...).
		#[arg(long)]
		key: Option<String>,
	},
	/// Prints a contract URL with a URI Signing token for one viewer.
	SignUrl {
		/// The contract URL, as records carry it: `http://<host>/<path>`.
		url: String,
		/// The token key's secret: a secret URI or a 0x-prefixed hex seed.
		#[arg(long)]
		key: String,
		/// The viewer's address or network (`cdniip`), e.g. 198.51.100.0/24.
		#[arg(long)]
		client: String,
		/// Seconds the token is good for, from now.
		#[arg(long, default_value_t = 3_600)]
		valid_for: u64,
		/// Cover every URL starting with this (a path), not `url` alone.
		#[arg(long)]
		scope_prefix: Option<String>,
		/// The token's id (`jti`), which records name; random if not given.
		#[arg(long)]
		id: Option<String>,
		/// Ask the relay to carry the token on in a cookie, for an HLS
		/// playlist's relative segment URLs.
		#[arg(long)]
		cookie: bool,
	},
	/// Prints the public key of a token key, for `addTokenKey`.
	TokenKey {
		/// The token key's secret: a secret URI or a 0x-prefixed hex seed.
		#[arg(long)]
		key: String,
	},
}

/// A uniform 64-bit number from the kernel: byte offsets to challenge
/// must be unpredictable to the relay.
fn random_u64() -> u64 {
	use std::io::Read;
	let mut bytes = [0u8; 8];
	std::fs::File::open("/dev/urandom")
		.and_then(|mut f| f.read_exact(&mut bytes))
		.expect("/dev/urandom is readable");
	u64::from_le_bytes(bytes)
}

fn signer(uri: &str) -> Result<subxt_signer::sr25519::Keypair, String> {
	let uri: subxt_signer::SecretUri = uri.parse().map_err(|e| format!("--key: {e:?}"))?;
	subxt_signer::sr25519::Keypair::from_uri(&uri).map_err(|e| format!("--key: {e:?}"))
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
	match Cli::parse().command {
		Command::SignUrl { url, key, client, valid_for, scope_prefix, id, cookie } => {
			let now = std::time::SystemTime::now()
				.duration_since(std::time::UNIX_EPOCH)
				.map_or(0, |d| d.as_secs());
			let request = sign::Request {
				url: &url,
				client: &client,
				// Issuers' and relays' clocks differ by a few seconds.
				not_before: now.saturating_sub(30),
				valid_for,
				scope_prefix: scope_prefix.as_deref(),
				id: id.unwrap_or_else(|| format!("{:016x}", random_u64())),
				cookie,
			};
			match sign::key(&key).and_then(|key| sign::sign_url(&key, &request)) {
				Ok(signed) => {
					println!("{signed}");
					ExitCode::SUCCESS
				}
				Err(e) => {
					eprintln!("ocm-logs: {e}");
					ExitCode::from(2)
				}
			}
		}
		Command::TokenKey { key } => match sign::key(&key) {
			Ok(key) => {
				println!("{}", sign::public_hex(&key));
				ExitCode::SUCCESS
			}
			Err(e) => {
				eprintln!("ocm-logs: {e}");
				ExitCode::from(2)
			}
		},
		Command::Verify { file, chain, contract, relay, period, at, dispute, key } => {
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
			let chain = match ocm_chain_client::Chain::connect(&chain).await {
				Ok(chain) => chain,
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
				return ExitCode::SUCCESS;
			}
			let disputes = verify::disputes(&local, &on_chain, random_u64);
			if disputes.is_empty() {
				return ExitCode::from(1);
			}
			println!("DISPUTE within the batch's dispute window:");
			for d in &disputes {
				println!("  {}", d.text(batch));
			}
			if !dispute {
				println!("(submit them with --dispute --key <secret URI>)");
				return ExitCode::from(1);
			}
			let signer = match key.as_deref().map(signer) {
				Some(Ok(signer)) => signer,
				Some(Err(e)) => {
					eprintln!("ocm-logs: {e}");
					return ExitCode::from(2);
				}
				None => unreachable!("clap requires --key with --dispute"),
			};
			for d in &disputes {
				let submitted = match d.call(&local, batch) {
					Ok(call) => chain.submit_signed(&call, &signer).await.map(|_| ()),
					Err(e) => Err(e),
				};
				match submitted {
					Ok(()) => println!("submitted: {}", d.text(batch)),
					Err(e) => {
						eprintln!("ocm-logs: {} failed: {e}", d.text(batch));
						return ExitCode::from(2);
					}
				}
			}
			ExitCode::from(1)
		}
	}
}
