//! Health probes: every [`INTERVAL`], `GET /healthz` on every relay in the
//! table, each with a [`TIMEOUT`]; two failures in a row take a relay out
//! of routing (`ocm_routing::health`), one success brings it back.
//!
//! `https://` relays are probed by opening a TCP connection to them (the
//! router carries no TLS client): a relay whose process is down fails that
//! just the same.

use crate::state::{RelayClient, Router};
use std::{sync::Arc, time::Duration};

pub const INTERVAL: Duration = Duration::from_secs(1);
pub const TIMEOUT: Duration = Duration::from_millis(800);

async fn probe(client: &RelayClient, base: &str) -> bool {
	if let Some(rest) = base.strip_prefix("https://") {
		let authority = rest.split('/').next().unwrap_or(rest);
		let address =
			if authority.contains(':') { authority.to_owned() } else { format!("{authority}:443") };
		return tokio::time::timeout(TIMEOUT, tokio::net::TcpStream::connect(address))
			.await
			.is_ok_and(|c| c.is_ok());
	}
	let Ok(uri) = format!("{base}/healthz").parse::<hyper::Uri>() else { return false };
	match tokio::time::timeout(TIMEOUT, client.get(uri)).await {
		Ok(Ok(response)) => response.status().is_success(),
		_ => false,
	}
}

/// Probes every relay of the current table each second, forever.
pub async fn run(router: Arc<Router>) {
	let mut tick = tokio::time::interval(INTERVAL);
	tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
	loop {
		tick.tick().await;
		let table = router.table();
		let probes = table.relays().iter().map(|relay| {
			let client = &router.relays;
			async move { (relay.id, probe(client, &relay.http).await) }
		});
		for (relay, ok) in futures_util::future::join_all(probes).await {
			if !ok {
				tracing::debug!(relay, "health probe failed");
			}
			router.observe_probe(relay, ok);
		}
	}
}
