//! RFC 8007 triggers at the router: an upstream CDN or the provider POSTs
//! a command to `/cdni/v1/triggers`, signed by the provider's key (headers
//! `OCM-Signer`, `OCM-Signature`: sr25519 over
//! `ocm_routing::control::signing_payload(genesis, body)`).
//!
//! The router checks the signature and that the signer is the provider of
//! the contract of every host the command touches, answers `201 Created`
//! with the trigger status resource (`pending`), and sends the same signed
//! command to every member relay of those hosts' contracts (suspended ones
//! too: they still hold cached objects), which check it again
//! against the chain and carry it out. The resource then reads `complete`,
//! or `failed` with an `ecdn` error naming each relay that did not.
//! Resources are kept for [`STALE_RESOURCE_SECS`], at most [`MAX_RESOURCES`].

use crate::state::Router;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use ocm_routing::control::{self, Status, TriggerError};
use serde_json::{json, Value};
use std::{
	collections::VecDeque,
	sync::Arc,
	time::{Duration, SystemTime, UNIX_EPOCH},
};

pub const PATH: &str = "/cdni/v1/triggers";
/// Seconds a resource stays listed (RFC 8007 recommends at least a day).
pub const STALE_RESOURCE_SECS: u64 = 86_400;
/// Resources kept, at most: the oldest go first.
pub const MAX_RESOURCES: usize = 1_000;
/// How long one relay may take to carry out a command (prepositions fetch
/// from the origin).
pub const RELAY_TIMEOUT: Duration = Duration::from_secs(30);

fn now_secs() -> u64 {
	SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

struct Resource {
	id: u64,
	signer: [u8; 32],
	body: Value,
}

/// The trigger status resources, bounded.
#[derive(Default)]
pub struct Resources {
	next: u64,
	items: VecDeque<Resource>,
}

impl Resources {
	fn insert(&mut self, signer: [u8; 32], body: Value) -> u64 {
		let id = self.next;
		self.next += 1;
		let stale = now_secs().saturating_sub(STALE_RESOURCE_SECS);
		self.items.retain(|r| r.body["ctime"].as_u64().unwrap_or(0) >= stale);
		if self.items.len() >= MAX_RESOURCES {
			self.items.pop_front();
		}
		self.items.push_back(Resource { id, signer, body });
		id
	}

	fn update(&mut self, id: u64, change: impl FnOnce(&mut Value)) {
		if let Some(resource) = self.items.iter_mut().find(|r| r.id == id) {
			change(&mut resource.body);
		}
	}

	/// The resource, if it exists and is `signer`'s.
	pub fn get(&self, id: u64, signer: [u8; 32]) -> Option<Value> {
		self.items.iter().find(|r| r.id == id && r.signer == signer).map(|r| r.body.clone())
	}

	/// The collection of `signer`'s triggers (RFC 8007 `ci-trigger-collection`).
	pub fn collection(&self, signer: [u8; 32], cdn_id: &str) -> Value {
		let triggers: Vec<String> = self
			.items
			.iter()
			.filter(|r| r.signer == signer)
			.map(|r| format!("{PATH}/{}", r.id))
			.collect();
		json!({
			"triggers": triggers,
			"staleresourcetime": STALE_RESOURCE_SECS,
			"cdn-id": cdn_id,
		})
	}
}

/// An answer: HTTP status, extra `Location`, JSON body.
pub struct Answer {
	pub status: u16,
	pub location: Option<String>,
	pub body: Value,
}

fn refused(status: u16, error: TriggerError) -> Answer {
	Answer { status, location: None, body: error.body() }
}

/// Checks a command and starts carrying it out.
pub fn command(
	router: &Arc<Router>,
	credentials: Option<([u8; 32], [u8; 64])>,
	body: Bytes,
) -> Answer {
	let Some((signer, signature)) = credentials else {
		return refused(
			401,
			TriggerError::new("eperm", "OCM-Signer and OCM-Signature (hex) are required"),
		);
	};
	if !router.allow_command(signer) {
		return refused(429, TriggerError::new("ereject", "too many commands from this provider"));
	}
	let Some(genesis) = router.genesis() else {
		return refused(503, TriggerError::new("ecdn", "the router has not reached the chain yet"));
	};
	if !control::signed_by(&genesis, &body, signer, signature) {
		return refused(
			403,
			TriggerError::new("eperm", "the signature is not the signer's over this command"),
		);
	}
	let trigger = match control::parse_command(&body, &router.cdn_id) {
		Ok(trigger) => trigger,
		Err(e) => return refused(400, e),
	};
	let mut relays: Vec<(u32, String)> = Vec::new();
	for host in trigger.hosts() {
		match router.provider_of(&host) {
			Some(provider) if provider == signer => {}
			Some(_) => {
				return refused(
					403,
					TriggerError::new("eperm", format!("{host} is not the signer's")),
				)
			}
			None => {
				return refused(
					404,
					TriggerError::new("econtent", format!("no live contract has {host}")),
				)
			}
		}
		for (id, base) in router.members_of(&host) {
			if !relays.iter().any(|(r, _)| *r == id) {
				relays.push((id, base));
			}
		}
	}
	let ctime = now_secs();
	let resource =
		control::status_resource(&trigger.spec, Status::Pending, ctime, ctime, None, &[]);
	let id =
		router.triggers.lock().unwrap_or_else(|e| e.into_inner()).insert(signer, resource.clone());
	let urls = trigger.urls.clone();
	let fan_out = fan_out(router.clone(), id, relays, body, signer, signature, urls);
	tokio::spawn(fan_out);
	Answer { status: 201, location: Some(format!("{PATH}/{id}")), body: resource }
}

/// Sends the command to each relay and records the outcome.
async fn fan_out(
	router: Arc<Router>,
	id: u64,
	relays: Vec<(u32, String)>,
	body: Bytes,
	signer: [u8; 32],
	signature: [u8; 64],
	urls: Vec<String>,
) {
	let set = |status: Status, errors: Vec<Value>| {
		router.triggers.lock().unwrap_or_else(|e| e.into_inner()).update(id, |resource| {
			let now = now_secs();
			resource["status"] = json!(status.as_str());
			resource["mtime"] = json!(now);
			if matches!(status, Status::Complete | Status::Failed) {
				resource["etime"] = json!(now);
			}
			if !errors.is_empty() {
				resource["errors"] = json!(errors);
			}
		});
	};
	set(Status::Active, Vec::new());
	let hex = |bytes: &[u8]| bytes.iter().map(|b| format!("{b:02x}")).collect::<String>();
	let (signer_hex, signature_hex) = (hex(&signer), hex(&signature));
	let sends = relays.iter().map(|(relay, base)| {
		let request = hyper::Request::post(format!("{base}/.well-known/ocm/triggers"))
			.header(hyper::header::CONTENT_TYPE, control::COMMAND_MEDIA_TYPE)
			.header(control::SIGNER_HEADER, signer_hex.as_str())
			.header(control::SIGNATURE_HEADER, signature_hex.as_str())
			.body(Full::new(body.clone()));
		let client = &router.relays;
		async move {
			let outcome = async {
				let request = request.map_err(|e| e.to_string())?;
				let response = tokio::time::timeout(RELAY_TIMEOUT, client.request(request))
					.await
					.map_err(|_| "timed out".to_string())?
					.map_err(|e| e.to_string())?;
				let status = response.status();
				let answer: Value =
					response.into_body().collect().await.map_err(|e| e.to_string()).and_then(
						|b| serde_json::from_slice(&b.to_bytes()).map_err(|e| e.to_string()),
					)?;
				if status.is_success() && answer["status"] == "complete" {
					Ok(())
				} else {
					Err(format!("{status}: {answer}"))
				}
			}
			.await;
			(*relay, outcome)
		}
	});
	let mut errors = Vec::new();
	for (relay, outcome) in futures_util::future::join_all(sends).await {
		if let Err(why) = outcome {
			tracing::warn!(trigger = id, relay, %why, "a relay did not carry out a trigger");
			errors.push(control::error_description(
				"ecdn",
				&urls,
				&format!("relay {relay}: {why}"),
			));
		}
	}
	set(if errors.is_empty() { Status::Complete } else { Status::Failed }, errors);
}
