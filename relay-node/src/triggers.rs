//! RFC 8007 triggers at the relay: `POST /.well-known/ocm/triggers` with
//! the provider's command, as `ocm-router` fans it out (or as the provider
//! sends it directly).
//!
//! The relay trusts nobody in between: the command carries the provider's
//! sr25519 signature (`OCM-Signature`, by `OCM-Signer`, both hex) over
//! `ocm_routing::control::signing_payload(genesis, body)`, and every host
//! the command touches must be owned on chain (`CapacityRegistry::HostOwner`)
//! by that signer. Then:
//!
//! - `purge` and `invalidate` remove the URLs' objects, and those matching
//!   the patterns, from both cache tiers: the next request is a miss that
//!   the origin answers (invalidation is done as a purge, which fulfils it);
//! - `preposition` fetches each URL from the origin into the cache.
//!
//! Each signer gets `ocm_routing::control::COMMANDS_PER_SEC` commands a
//! second (after a burst); beyond, `429`: a purge flood costs the relay little.

use crate::{cache::proxy::Proxy, chain::SharedChain};
use hyper::{header, Request, StatusCode};
use ocm_routing::control::{self, TriggerError, TriggerType};
use serde_json::{json, Value};
use std::{
	sync::{Arc, Mutex},
	time::Instant,
};

pub const PATH: &str = "/.well-known/ocm/triggers";

/// Per-provider limits on trigger commands (`ocm_routing::control::Limiter`).
pub struct Limiter {
	inner: Mutex<control::Limiter>,
	clock: Instant,
}

impl Default for Limiter {
	fn default() -> Self {
		Self { inner: Mutex::default(), clock: Instant::now() }
	}
}

impl Limiter {
	pub fn allow(&self, signer: [u8; 32]) -> bool {
		let now = self.clock.elapsed().as_secs_f64();
		self.inner.lock().unwrap_or_else(|e| e.into_inner()).allow(signer, now)
	}
}

/// The signer and signature headers of a command.
pub fn credentials<B>(request: &Request<B>) -> Option<([u8; 32], [u8; 64])> {
	let get = |name: &str| request.headers().get(name).and_then(|v| v.to_str().ok());
	Some((
		control::hex_bytes(get(control::SIGNER_HEADER)?)?,
		control::hex_bytes(get(control::SIGNATURE_HEADER)?)?,
	))
}

/// An RFC 8007 status-shaped answer: `status`, `errors`, and what was done.
fn answer(
	status: StatusCode,
	code: &str,
	errors: Vec<Value>,
	objects: usize,
) -> (StatusCode, Value) {
	(status, json!({ "status": code, "errors": errors, "objects": objects }))
}

fn refused(status: StatusCode, error: TriggerError) -> (StatusCode, Value) {
	answer(
		status,
		"failed",
		vec![json!({"error": error.code, "description": error.description})],
		0,
	)
}

/// Checks and carries out one command; returns the HTTP status and body.
pub async fn handle(
	chain: &SharedChain,
	proxy: &Arc<Proxy>,
	limiter: &Limiter,
	credentials: Option<([u8; 32], [u8; 64])>,
	body: &[u8],
) -> (StatusCode, Value) {
	let Some((signer, signature)) = credentials else {
		return refused(
			StatusCode::UNAUTHORIZED,
			TriggerError::new("eperm", "OCM-Signer and OCM-Signature (hex) are required"),
		);
	};
	if !limiter.allow(signer) {
		return refused(
			StatusCode::TOO_MANY_REQUESTS,
			TriggerError::new("ereject", "too many commands from this provider"),
		);
	}
	let Some(link) = chain.read().await.chain.clone() else {
		return refused(
			StatusCode::SERVICE_UNAVAILABLE,
			TriggerError::new("ecdn", "the relay has no chain link yet"),
		);
	};
	if !control::signed_by(&link.genesis, body, signer, signature) {
		return refused(
			StatusCode::FORBIDDEN,
			TriggerError::new("eperm", "the signature is not the signer's over this command"),
		);
	}
	// The relay is inside OCM: its own id only guards against loops.
	let trigger = match control::parse_command(body, "OCM:relay") {
		Ok(trigger) => trigger,
		Err(e) => return refused(StatusCode::BAD_REQUEST, e),
	};
	let at = match link.best().await {
		Ok(at) => at,
		Err(e) => return refused(StatusCode::SERVICE_UNAVAILABLE, TriggerError::new("ecdn", e)),
	};
	for host in trigger.hosts() {
		let key = vec![subxt::dynamic::Value::from_bytes(host.as_bytes())];
		let owner = ocm_chain_client::fetch(&at, "CapacityRegistry", "HostOwner", key)
			.await
			.ok()
			.flatten()
			.and_then(|v| ocm_chain_client::bytes_of(&v));
		if owner.as_deref() != Some(&signer[..]) {
			return refused(
				StatusCode::FORBIDDEN,
				TriggerError::new("eperm", format!("{host} is not the signer's")),
			);
		}
		if !proxy.serves(&host) {
			return refused(
				StatusCode::MISDIRECTED_REQUEST,
				TriggerError::new("econtent", format!("this relay does not serve {host}")),
			);
		}
	}
	let mut errors = Vec::new();
	let mut objects = 0;
	match trigger.kind {
		TriggerType::Purge | TriggerType::Invalidate => {
			for url in &trigger.urls {
				if let Some((host, path)) = ocm_routing::redirection::split_uri(url) {
					// The key the object was stored under, as the provider's
					// `MI.Cache` rules make it.
					let (key, _) = proxy.cache_key(&host, &path);
					objects += usize::from(proxy.store().remove(&key).await);
				}
			}
			for pattern in trigger.patterns.clone() {
				objects += proxy
					.store()
					.remove_matching(move |key| pattern.matches(&format!("http://{key}")))
					.await;
			}
		}
		TriggerType::Preposition => {
			for url in &trigger.urls {
				let Some((host, path)) = ocm_routing::redirection::split_uri(url) else { continue };
				let request =
					Request::get(path.as_str()).header(header::HOST, host.as_str()).body(());
				let fetched = match request {
					Ok(request) => proxy.handle(&request).await.1.status(),
					Err(_) => StatusCode::BAD_REQUEST,
				};
				if fetched.is_success() {
					objects += 1;
				} else {
					errors.push(control::error_description(
						"econtent",
						std::slice::from_ref(url),
						&format!("the origin answered {fetched}"),
					));
				}
			}
		}
	}
	let status = if errors.is_empty() { "complete" } else { "failed" };
	answer(StatusCode::OK, status, errors, objects)
}
