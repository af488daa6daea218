//! The beacon's link to the chain (subxt): registration, following the
//! epochs on the best chain, and submitting reports.

use crate::report::{
	commitment_signing_payload, multicast_signing_payload, salt, signing_payload, Commitment,
	MulticastReport, Report,
};
use ocm_chain_client::{bytes_of, fetch, number};
pub use ocm_chain_client::{
	pob::{EpochView, TestChannel},
	Api, AtBlock,
};
use subxt::{
	dynamic::{self, At, Value},
	ext::scale_value::Composite,
};
use subxt_signer::sr25519::Keypair;

/// The chain, as the beacon uses it: the shared client (reads at a block,
/// signed submissions with the pool's nonce) and the beacon's own reads.
pub struct Chain(pub ocm_chain_client::Chain);

impl std::ops::Deref for Chain {
	type Target = ocm_chain_client::Chain;
	fn deref(&self) -> &Self::Target {
		&self.0
	}
}

/// This beacon's registration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BeaconView {
	pub capacity_mbps: u32,
	pub asn: u32,
	pub reputation: u32,
}

impl Chain {
	pub async fn connect(url: &str) -> Result<Self, String> {
		ocm_chain_client::Chain::connect(url).await.map(Chain)
	}

	pub async fn epoch(at: &AtBlock) -> Result<Option<EpochView>, String> {
		ocm_chain_client::pob::epoch(at).await
	}

	pub async fn beacon(at: &AtBlock, account: [u8; 32]) -> Result<Option<BeaconView>, String> {
		let key = vec![Value::from_bytes(account)];
		let Some(beacon) = fetch(at, "ProofOfBandwidth", "Beacons", key).await? else {
			return Ok(None);
		};
		let location = beacon.at("location").ok_or("a beacon without a location")?;
		Ok(Some(BeaconView {
			capacity_mbps: number(&beacon, "capacity_mbps")?,
			asn: number(location, "asn")?,
			reputation: number(&beacon, "reputation")?,
		}))
	}

	/// The relay this beacon tests in the current epoch, if any.
	pub async fn assignment(at: &AtBlock, account: [u8; 32]) -> Result<Option<u32>, String> {
		let key = vec![Value::from_bytes(account)];
		match fetch(at, "ProofOfBandwidth", "BeaconAssignment", key).await? {
			Some(relay) => {
				relay.as_u128().map(|n| Some(n as u32)).ok_or("a non-numeric relay".into())
			}
			None => Ok(None),
		}
	}

	/// The relay's registered PoB endpoint.
	pub async fn pob_endpoint(at: &AtBlock, relay: u32) -> Result<String, String> {
		let record = fetch(at, "CapacityRegistry", "Relays", vec![Value::u128(relay.into())])
			.await?
			.ok_or_else(|| format!("relay {relay} is not registered"))?;
		let pob = record
			.at("endpoints")
			.and_then(|e| e.at("pob"))
			.and_then(bytes_of)
			.ok_or("a relay without a PoB endpoint")?;
		String::from_utf8(pob).map_err(|e| e.to_string())
	}

	/// The multicast test of `relay` in the current epoch, if it has one.
	pub async fn multicast_test(at: &AtBlock, relay: u32) -> Result<Option<TestChannel>, String> {
		ocm_chain_client::pob::multicast_test(at, relay).await
	}

	/// Signs a multicast report and submits it once the chain's clock is
	/// past the epoch's multicast window.
	pub async fn submit_multicast_report(
		&self,
		report: &MulticastReport,
		key: &Keypair,
	) -> Result<(), String> {
		let at = self
			.best_after(report.epoch, |e| {
				ocm_pob::multicast::window_end_ms(e.window_start_ms, e.window_secs)
			})
			.await?;
		let signature = key.sign(&multicast_signing_payload(&self.genesis, report));
		let call = dynamic::tx(
			"ProofOfBandwidth",
			"submit_multicast_report",
			Composite::unnamed([
				Value::named_composite([
					("epoch", Value::u128(report.epoch.into())),
					("relay", Value::u128(report.relay.into())),
					("beacon", Value::from_bytes(report.beacon)),
					("objects", Value::u128(report.objects.into())),
					("bytes", Value::u128(report.bytes.into())),
				]),
				Value::unnamed_variant("Sr25519", [Value::from_bytes(signature.0)]),
			]),
		);
		ocm_chain_client::general::submit(&at, &call).await.map(|_| ())
	}

	/// A best block whose timestamp is at or past `end(epoch)` when
	/// `epoch` is still the current one (or any best block once it is
	/// not), waiting up to 20 s: the pallet compares windows with the
	/// chain's clock, which trails the wall clock by up to a block.
	async fn best_after(
		&self,
		epoch: u32,
		end: impl Fn(&EpochView) -> u64,
	) -> Result<AtBlock, String> {
		let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
		loop {
			let at = self.best().await?;
			if self.past(&at, epoch, &end).await? || std::time::Instant::now() > deadline {
				return Ok(at);
			}
			tokio::time::sleep(std::time::Duration::from_millis(500)).await;
		}
	}

	/// Whether the chain's clock at `at` (its block's timestamp) is at or
	/// past `end` of `epoch`, or `epoch` is over.
	async fn past(
		&self,
		at: &AtBlock,
		epoch: u32,
		end: impl Fn(&EpochView) -> u64,
	) -> Result<bool, String> {
		let now =
			fetch(at, "Timestamp", "Now", vec![]).await?.and_then(|v| v.as_u128()).unwrap_or(0);
		Ok(match Self::epoch(at).await? {
			Some(current) if current.index == epoch => now >= u128::from(end(&current)),
			_ => true,
		})
	}

	/// Commits to `report`, then reveals it: each a general transaction
	/// that the pallet authorizes from its signature (no fee, no nonce).
	///
	/// The pallet compares the windows with the chain's clock (the best
	/// block's timestamp), which trails the wall clock by up to a block: the
	/// commitment goes once a best block is past the unicast window, the
	/// reveal once one is past the commitments' close. The commitment must
	/// be in a block before it closes, which finality would not wait for:
	/// it goes to the pool, the reveal waits for a finalized block.
	pub async fn submit_report(&self, report: &Report, key: &Keypair) -> Result<(), String> {
		let salt = salt()?;
		self.commit_report(report, &salt, key).await?;
		self.reveal_report(report, &salt, key).await
	}

	/// Sends the signed commitment to `report` under `salt`.
	pub async fn commit_report(
		&self,
		report: &Report,
		salt: &[u8; 32],
		key: &Keypair,
	) -> Result<(), String> {
		let at = self
			.best_after(report.epoch, |e| {
				ocm_pob::commitment::commits_from_ms(e.window_start_ms, e.window_secs)
			})
			.await?;
		let commitment = Commitment::to(report, salt);
		let signature = key.sign(&commitment_signing_payload(&self.genesis, &commitment));
		// It must be in a block before commitments close, which finality
		// would not wait for: it goes to the pool, and again if no best
		// block holds it two blocks later (a pool that dropped it, a
		// restarted node), until one does or commitments close.
		let call = dynamic::tx(
			"ProofOfBandwidth",
			"commit_report",
			Composite::unnamed([
				Value::named_composite([
					("epoch", Value::u128(commitment.epoch.into())),
					("relay", Value::u128(commitment.relay.into())),
					("beacon", Value::from_bytes(commitment.beacon)),
					("digest", Value::from_bytes(commitment.digest)),
				]),
				Value::unnamed_variant("Sr25519", [Value::from_bytes(signature.0)]),
			]),
		);
		let mut refused = None;
		loop {
			if let Err(e) = ocm_chain_client::general::submit_to_pool(&at, &call).await {
				refused = Some(e);
			}
			for _ in 0..8 {
				tokio::time::sleep(std::time::Duration::from_millis(500)).await;
				// A failed read is no reason to give up: silence costs bond.
				let Ok(best) = self.best().await else { continue };
				let held = ocm_chain_client::pob::committed(&best, report.relay, report.beacon);
				if held.await.unwrap_or(false) {
					return Ok(());
				}
				let closed = self.past(&best, report.epoch, |e| {
					ocm_pob::commitment::reveals_from_ms(e.window_start_ms, e.window_secs)
				});
				if closed.await.unwrap_or(false) {
					return Err(refused.unwrap_or_else(|| {
						"commitments closed before a block held this beacon's".into()
					}));
				}
			}
		}
	}

	/// Reveals `report` and the `salt` it was committed under.
	pub async fn reveal_report(
		&self,
		report: &Report,
		salt: &[u8; 32],
		key: &Keypair,
	) -> Result<(), String> {
		let at = self
			.best_after(report.epoch, |e| {
				ocm_pob::commitment::reveals_from_ms(e.window_start_ms, e.window_secs)
			})
			.await?;
		let signature = key.sign(&signing_payload(&self.genesis, report));
		let call = dynamic::tx(
			"ProofOfBandwidth",
			"submit_report",
			Composite::unnamed([
				Value::named_composite([
					("epoch", Value::u128(report.epoch.into())),
					("relay", Value::u128(report.relay.into())),
					("beacon", Value::from_bytes(report.beacon)),
					(
						"bytes_per_second",
						Value::unnamed_composite(
							report.bytes_per_second.iter().map(|b| Value::u128((*b).into())),
						),
					),
				]),
				Value::from_bytes(salt),
				Value::unnamed_variant("Sr25519", [Value::from_bytes(signature.0)]),
			]),
		);
		ocm_chain_client::general::submit(&at, &call).await.map(|_| ())
	}
}
