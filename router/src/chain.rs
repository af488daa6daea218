//! Follows the chain: at each new best block, the relays' advertisements
//! (the registry's `capacity_fciAdvertisement`, RFC 8008 JSON with status,
//! footprints, claims and verified capacity) and the live delivery
//! contracts with the relays serving them, as one [`Snapshot`].
//!
//! A relay suspended or gone from the registry, or a contract ended, leaves
//! the table at the next block (2 s on the dev chain). Each refresh asks
//! for every relay's advertisement, all at once: fine for hundreds of
//! relays; beyond, the registry's events would say which ones changed.

use crate::state::{Router, Snapshot};
use ocm_chain_client::{bytes_of, fetch, number, numbered_entries, strings_of, AtBlock, Chain};
use ocm_routing::{fci::RelayAdvertisement, table::ServiceRecord};
use std::{collections::BTreeMap, sync::Arc, time::Duration};
use subxt::{dynamic::At, rpcs::rpc_params};

/// Reads the chain's relays and contracts at `at` (block number `now`).
pub async fn snapshot(chain: &Chain, at: &AtBlock, now: u64) -> Result<Snapshot, String> {
	let next_relay: u32 = fetch(at, "CapacityRegistry", "NextRelayId", vec![])
		.await?
		.and_then(|v| v.as_u128())
		.map_or(0, |n| n as u32);
	// One request per relay, all in flight at once.
	let requests = (0..next_relay).map(|relay| async move {
		let advertisement: Result<serde_json::Value, _> =
			chain.rpc.request("capacity_fciAdvertisement", rpc_params![relay]).await;
		(relay, advertisement)
	});
	let mut relays = Vec::new();
	for (relay, advertisement) in futures_util::future::join_all(requests).await {
		let advertisement = advertisement.map_err(|e| e.to_string())?;
		if advertisement.is_null() {
			continue;
		}
		match RelayAdvertisement::parse(&advertisement) {
			Ok(relay) => relays.push(relay),
			Err(e) => {
				tracing::warn!(relay, error = %e.0, "an advertisement the router cannot read")
			}
		}
	}

	let mut members: BTreeMap<u32, Vec<(u32, u64, Option<u64>)>> = BTreeMap::new();
	for (key, member) in numbered_entries(at, "CdniSettlement", "Members").await? {
		let [contract, relay] = key[..] else { continue };
		let from: u64 = number(&member, "from_period")?;
		let until = member.at("until_period").and_then(|v| {
			// `Option<Period>`: `Some(p)` is a variant holding the number.
			match &v.value {
				subxt::ext::scale_value::ValueDef::Variant(variant) if variant.name == "Some" => {
					variant.values.values().next().and_then(|p| p.as_u128()).map(|p| p as u64)
				}
				_ => None,
			}
		});
		members.entry(contract).or_default().push((relay, from, until));
	}
	let mut services = Vec::new();
	let mut providers = Vec::new();
	for (key, contract) in numbered_entries(at, "CdniSettlement", "Contracts").await? {
		let [id] = key[..] else { continue };
		let (start, end): (u64, u64) = (number(&contract, "start")?, number(&contract, "end")?);
		let period_length: u64 = number(&contract, "period_length")?;
		if now < start || now >= end {
			continue;
		}
		let period = (now - start) / period_length.max(1);
		let hosts: Vec<String> = contract
			.at("hosts")
			.map(strings_of)
			.unwrap_or_default()
			.into_iter()
			.map(|h| h.to_ascii_lowercase())
			.collect();
		let relays = members
			.get(&id)
			.into_iter()
			.flatten()
			.filter(|(_, from, until)| *from <= period && until.is_none_or(|u| u >= period))
			.map(|(relay, _, _)| *relay)
			.collect();
		if let Some(provider) =
			contract.at("provider").and_then(bytes_of).and_then(|b| <[u8; 32]>::try_from(b).ok())
		{
			providers.extend(hosts.iter().map(|h: &String| (h.clone(), provider)));
		}
		services.push(ServiceRecord { contract: id, hosts, relays });
	}
	Ok(Snapshot { relays, services, providers })
}

/// Rebuilds the router's table at every new best block, forever.
pub async fn follow(url: String, router: Arc<Router>) {
	let chain = Chain::connect_retrying(&url).await;
	router.set_chain(chain.clone());
	let mut last = None;
	loop {
		match chain.best_number().await {
			Ok(number) if Some(number) != last => {
				let built = async {
					let at = chain.best().await?;
					snapshot(&chain, &at, number).await
				}
				.await;
				match built {
					Ok(snapshot) => {
						router.update(&snapshot);
						last = Some(number);
					}
					Err(e) => tracing::warn!(error = %e, "cannot read the relays and contracts"),
				}
			}
			Ok(_) => {}
			Err(e) => tracing::warn!(error = %e, "cannot reach the chain"),
		}
		tokio::time::sleep(Duration::from_millis(500)).await;
	}
}
