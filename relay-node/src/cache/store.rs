//! The memory tier: stored responses by URL, each with its `Vary` variants,
//! bounded in bytes with TinyLFU admission and LRU eviction (moka), in
//! front of the disk tier when one is configured: a memory miss looks on
//! disk and brings the entry back to memory; every store goes to both.

use super::{
	disk::DiskTier,
	policy::{vary_key, Freshness, Received},
};
use bytes::Bytes;
use http::{HeaderMap, StatusCode};
use std::sync::Arc;

/// One stored response.
#[derive(Clone, Debug)]
pub struct Stored {
	pub status: StatusCode,
	pub headers: HeaderMap,
	pub body: Bytes,
	/// The request header values it was stored for (its `Vary` key).
	pub vary: Vec<(String, String)>,
	/// Its headers' freshness rules and when it was received.
	pub freshness: Freshness,
}

impl Stored {
	pub fn new(
		status: StatusCode,
		headers: HeaderMap,
		body: Bytes,
		received: Received,
		vary: Vec<(String, String)>,
	) -> Self {
		let freshness = Freshness::of(status, &headers, received);
		Self { status, headers, body, vary, freshness }
	}

	/// Bytes this entry costs in memory, roughly: body plus headers.
	fn weight(&self) -> u32 {
		let headers: usize =
			self.headers.iter().map(|(n, v)| n.as_str().len() + v.len() + 32).sum();
		u32::try_from(self.body.len() + headers + 256).unwrap_or(u32::MAX)
	}

	/// Whether it was stored for a request with these headers.
	pub fn matches(&self, request: &HeaderMap) -> bool {
		vary_key(&self.headers, request) == self.vary
	}
}

/// Most variants kept per URL; a new one replaces the oldest.
const MAX_VARIANTS: usize = 8;

#[derive(Clone)]
pub struct Store {
	entries: moka::future::Cache<String, Arc<Vec<Arc<Stored>>>>,
	disk: Option<Arc<DiskTier>>,
}

impl Store {
	pub fn new(capacity_bytes: u64, disk: Option<Arc<DiskTier>>) -> Self {
		let entries = moka::future::Cache::builder()
			.max_capacity(capacity_bytes)
			.weigher(|_key: &String, variants: &Arc<Vec<Arc<Stored>>>| {
				variants.iter().map(|v| v.weight()).fold(0u32, u32::saturating_add)
			})
			.build();
		Self { entries, disk }
	}

	/// The variant of `key` stored for a request with these headers.
	pub async fn get(&self, key: &str, request: &HeaderMap) -> Option<Arc<Stored>> {
		let variants = match self.entries.get(key).await {
			Some(variants) => variants,
			None => {
				// Most misses are not on disk either: no blocking task for them.
				let disk = self.disk.clone().filter(|disk| disk.contains(key))?;
				let owned = key.to_string();
				let found = tokio::task::spawn_blocking(move || disk.get(&owned)).await.ok()??;
				let variants: Arc<Vec<Arc<Stored>>> =
					Arc::new(found.into_iter().map(Arc::new).collect());
				self.entries.insert(key.to_string(), variants.clone()).await;
				variants
			}
		};
		variants.iter().find(|v| v.matches(request)).cloned()
	}

	/// Stores `stored`, replacing the variant with the same `Vary` key.
	pub async fn put(&self, key: String, stored: Stored) {
		let stored = Arc::new(stored);
		let mut variants: Vec<Arc<Stored>> = self
			.entries
			.get(&key)
			.await
			.map(|v| v.iter().filter(|old| old.vary != stored.vary).cloned().collect())
			.unwrap_or_default();
		if variants.len() >= MAX_VARIANTS {
			variants.remove(0);
		}
		variants.push(stored);
		if let Some(disk) = self.disk.clone() {
			// Written beside the viewer's response, not before it.
			let (key, variants) = (key.clone(), variants.clone());
			tokio::task::spawn_blocking(move || disk.put(&key, &variants));
		}
		self.entries.insert(key, Arc::new(variants)).await;
	}

	/// Removes `key` from both tiers; returns whether either held it.
	pub async fn remove(&self, key: &str) -> bool {
		let held = self.entries.remove(key).await.is_some();
		match self.disk.clone() {
			Some(disk) => {
				let key = key.to_string();
				let on_disk = tokio::task::spawn_blocking(move || {
					let held = disk.contains(&key);
					disk.remove(&key);
					held
				});
				held | on_disk.await.unwrap_or(false)
			}
			None => held,
		}
	}

	/// Removes every entry (both tiers) whose key (`host` + path and
	/// query) `matches`; returns how many.
	pub async fn remove_matching(
		&self,
		matches: impl Fn(&str) -> bool + Send + Sync + Clone + 'static,
	) -> usize {
		let keys: Vec<std::sync::Arc<String>> =
			self.entries.iter().filter(|(key, _)| matches(key)).map(|(key, _)| key).collect();
		let mut removed = keys.len();
		for key in keys {
			self.entries.invalidate(key.as_str()).await;
		}
		if let Some(disk) = self.disk.clone() {
			let on_disk = tokio::task::spawn_blocking(move || disk.remove_matching(matches))
				.await
				.unwrap_or(0);
			removed = removed.max(on_disk);
		}
		removed
	}

	/// Bytes on the disk tier (0 without one).
	pub async fn disk_size(&self) -> u64 {
		match self.disk.clone() {
			Some(disk) => tokio::task::spawn_blocking(move || disk.size()).await.unwrap_or(0),
			None => 0,
		}
	}

	/// Bytes held now (after pending maintenance).
	pub async fn weighted_size(&self) -> u64 {
		self.entries.run_pending_tasks().await;
		self.entries.weighted_size()
	}
}
