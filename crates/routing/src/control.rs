//! CDNi control interface triggers (RFC 8007), sans I/O: reading a
//! trigger command, RFC 8007's URL patterns, the bytes a provider signs,
//! and the trigger status resource.
//!
//! OCM takes `preposition`, `invalidate` and `purge` of content by URL
//! (`content.urls`) and, for invalidation and purging, by pattern
//! (`content.patterns`). `metadata.*` (a service's RFC 8006 configuration
//! is replaced by a newer one on chain, not invalidated) and `content.ccid`
//! are refused (`eunsupported`). A pattern must name its host
//! literally (`https://video.example/live/*`): the host says whose content
//! it is, and only that host's provider may touch it.

use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::BTreeSet;

pub const COMMAND_MEDIA_TYPE: &str = "application/cdni; ptype=ci-trigger-command";
pub const STATUS_MEDIA_TYPE: &str = "application/cdni; ptype=ci-trigger-status";
pub const COLLECTION_MEDIA_TYPE: &str = "application/cdni; ptype=ci-trigger-collection";

/// The domain of a provider's signature over a trigger command: it signs
/// `SIGNING_CONTEXT || genesis hash || body`.
pub const SIGNING_CONTEXT: &[u8; 18] = b"ocm/cdni/trigger/1";

/// Commands larger than this are refused unread.
pub const MAX_COMMAND_BYTES: usize = 256 * 1024;
/// URLs and patterns in one command, at most.
pub const MAX_ITEMS: usize = 1_000;
/// Characters in one URL or pattern, at most.
pub const MAX_URL_LEN: usize = 2_048;

/// The bytes a provider signs for a command `body` on the chain whose
/// genesis hash is `genesis`.
pub fn signing_payload(genesis: &[u8; 32], body: &[u8]) -> Vec<u8> {
	let mut out = Vec::with_capacity(SIGNING_CONTEXT.len() + 32 + body.len());
	out.extend_from_slice(SIGNING_CONTEXT);
	out.extend_from_slice(genesis);
	out.extend_from_slice(body);
	out
}

/// Headers that carry a command's signer (hex sr25519 public key) and
/// signature (hex).
pub const SIGNER_HEADER: &str = "ocm-signer";
pub const SIGNATURE_HEADER: &str = "ocm-signature";

/// `N` bytes from `2N` hex digits (an `0x` prefix allowed).
pub fn hex_bytes<const N: usize>(text: &str) -> Option<[u8; N]> {
	let text = text.trim().trim_start_matches("0x");
	if text.len() != N * 2 {
		return None;
	}
	let mut out = [0u8; N];
	for (i, pair) in text.as_bytes().chunks(2).enumerate() {
		let digit = |c: u8| (c as char).to_digit(16);
		out[i] = (digit(pair[0])? * 16 + digit(pair[1])?) as u8;
	}
	Some(out)
}

/// Whether `signature` is `signer`'s over `body` on the chain `genesis`.
pub fn signed_by(genesis: &[u8; 32], body: &[u8], signer: [u8; 32], signature: [u8; 64]) -> bool {
	sr25519_signed(&signing_payload(genesis, body), signer, signature)
}

/// Whether `signature` is the sr25519 key `signer`'s over `message`.
pub fn sr25519_signed(message: &[u8], signer: [u8; 32], signature: [u8; 64]) -> bool {
	use sp_core::Pair;
	sp_core::sr25519::Pair::verify(
		&sp_core::sr25519::Signature::from_raw(signature),
		message,
		&sp_core::sr25519::Public::from_raw(signer),
	)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TriggerType {
	Preposition,
	Invalidate,
	Purge,
}

impl TriggerType {
	pub fn as_str(self) -> &'static str {
		match self {
			Self::Preposition => "preposition",
			Self::Invalidate => "invalidate",
			Self::Purge => "purge",
		}
	}
}

/// An RFC 8007 `PatternMatch`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct Pattern {
	pub pattern: String,
	#[serde(rename = "case-sensitive", default)]
	pub case_sensitive: bool,
	#[serde(rename = "match-query-string", default)]
	pub match_query_string: bool,
}

/// A URL without its scheme, which RFC 8007 says matching ignores.
fn without_scheme(url: &str) -> &str {
	url.split_once("://").map_or(url, |(_, rest)| rest)
}

impl Pattern {
	/// Whether `url` matches, ignoring the scheme (and the query unless
	/// `match-query-string`).
	pub fn matches(&self, url: &str) -> bool {
		let mut url = without_scheme(url);
		if !self.match_query_string {
			url = url.split('?').next().unwrap_or(url);
		}
		ocm_cdni::pattern::Glob::new(without_scheme(&self.pattern), self.case_sensitive)
			.matches(url)
	}

	/// The host the pattern names literally, lower case; `None` if its
	/// host part holds a wildcard.
	pub fn host(&self) -> Option<String> {
		let rest = without_scheme(&self.pattern);
		let host = rest.split('/').next()?;
		if host.is_empty() || host.contains(['*', '?', '$']) {
			return None;
		}
		Some(host.split(':').next()?.to_ascii_lowercase())
	}
}

#[derive(Deserialize, Debug)]
struct WireTrigger {
	#[serde(rename = "type")]
	kind: String,
	#[serde(rename = "content.urls", default)]
	content_urls: Vec<String>,
	#[serde(rename = "content.patterns", default)]
	content_patterns: Vec<Pattern>,
	#[serde(rename = "content.ccid", default)]
	content_ccid: Vec<String>,
	#[serde(rename = "metadata.urls", default)]
	metadata_urls: Vec<String>,
	#[serde(rename = "metadata.patterns", default)]
	metadata_patterns: Vec<Value>,
}

#[derive(Deserialize, Debug)]
struct WireCommand {
	trigger: Option<Value>,
	cancel: Option<Vec<String>>,
	#[serde(rename = "cdn-path")]
	cdn_path: Option<Vec<String>>,
}

/// A trigger OCM will carry out.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Trigger {
	pub kind: TriggerType,
	pub urls: Vec<String>,
	pub patterns: Vec<Pattern>,
	/// The trigger object as received, for the status resource.
	pub spec: Value,
	pub cdn_path: Vec<String>,
}

/// Why a command is refused: an RFC 8007 error code and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TriggerError {
	/// `ereject`, `eunsupported`, `econtent`, `eperm`, ...
	pub code: &'static str,
	pub description: String,
}

impl TriggerError {
	pub fn new(code: &'static str, description: impl Into<String>) -> Self {
		Self { code, description: description.into() }
	}

	/// The error as a CDNi response body: `{"errors": [{"error", "description"}]}`.
	pub fn body(&self) -> Value {
		json!({"errors": [{"error": self.code, "description": self.description}]})
	}
}

fn url_host(url: &str) -> Option<String> {
	crate::redirection::split_uri(url).map(|(host, _)| host)
}

/// Reads a trigger command. `own_id` is OCM's CDN id: a command whose
/// `cdn-path` holds it already is a loop.
pub fn parse_command(body: &[u8], own_id: &str) -> Result<Trigger, TriggerError> {
	if body.len() > MAX_COMMAND_BYTES {
		return Err(TriggerError::new(
			"ereject",
			format!("a command over {MAX_COMMAND_BYTES} bytes"),
		));
	}
	let wire: WireCommand = serde_json::from_slice(body)
		.map_err(|e| TriggerError::new("ereject", format!("not a trigger command: {e}")))?;
	let mut cdn_path = wire
		.cdn_path
		.filter(|p| !p.is_empty())
		.ok_or_else(|| TriggerError::new("ereject", "cdn-path is mandatory and not empty"))?;
	if cdn_path.iter().any(|id| id == own_id) {
		return Err(TriggerError::new("ereject", "loop: this CDN is in cdn-path"));
	}
	cdn_path.push(own_id.to_owned());
	if wire.cancel.is_some() {
		return Err(TriggerError::new("eunsupported", "cancelling triggers is not supported"));
	}
	let spec = wire.trigger.ok_or_else(|| TriggerError::new("ereject", "no trigger"))?;
	let trigger: WireTrigger = serde_json::from_value(spec.clone())
		.map_err(|e| TriggerError::new("ereject", format!("not a trigger specification: {e}")))?;
	let kind = match trigger.kind.as_str() {
		"preposition" => TriggerType::Preposition,
		"invalidate" => TriggerType::Invalidate,
		"purge" => TriggerType::Purge,
		other => return Err(TriggerError::new("eunsupported", format!("trigger type {other}"))),
	};
	if !trigger.metadata_urls.is_empty()
		|| !trigger.metadata_patterns.is_empty()
		|| !trigger.content_ccid.is_empty()
	{
		return Err(TriggerError::new(
			"eunsupported",
			"OCM keeps no CDNi metadata and no content collections: content.urls and content.patterns only",
		));
	}
	if trigger.content_urls.is_empty() && trigger.content_patterns.is_empty() {
		return Err(TriggerError::new("ereject", "no content.urls or content.patterns"));
	}
	if kind == TriggerType::Preposition && !trigger.content_patterns.is_empty() {
		return Err(TriggerError::new("ereject", "a preposition takes no patterns"));
	}
	if trigger.content_urls.len() + trigger.content_patterns.len() > MAX_ITEMS {
		return Err(TriggerError::new(
			"ereject",
			format!("more than {MAX_ITEMS} URLs and patterns"),
		));
	}
	for url in &trigger.content_urls {
		if url.len() > MAX_URL_LEN || url_host(url).is_none() {
			return Err(TriggerError::new("econtent", format!("{url:?} is not an http(s) URL")));
		}
	}
	for pattern in &trigger.content_patterns {
		if pattern.pattern.len() > MAX_URL_LEN || pattern.host().is_none() {
			return Err(TriggerError::new(
				"econtent",
				format!("pattern {:?} must name its host without wildcards", pattern.pattern),
			));
		}
	}
	Ok(Trigger {
		kind,
		urls: trigger.content_urls,
		patterns: trigger.content_patterns,
		spec,
		cdn_path,
	})
}

impl Trigger {
	/// Every host the trigger touches, lower case.
	pub fn hosts(&self) -> BTreeSet<String> {
		self.urls
			.iter()
			.filter_map(|u| url_host(u))
			.chain(self.patterns.iter().filter_map(Pattern::host))
			.collect()
	}
}

/// Commands a second per signer, and the burst allowed.
pub const COMMANDS_PER_SEC: f64 = 5.0;
pub const BURST: f64 = 20.0;

/// Token buckets per signer, so that a purge flood costs little: each
/// signer gets [`BURST`] commands, then [`COMMANDS_PER_SEC`]. Bounded: past
/// 10,000 signers the buckets start over. `now` is seconds on any
/// monotonic clock.
#[derive(Default, Debug)]
pub struct Limiter {
	buckets: std::collections::HashMap<[u8; 32], (f64, f64)>,
}

impl Limiter {
	pub fn allow(&mut self, signer: [u8; 32], now: f64) -> bool {
		if self.buckets.len() > 10_000 {
			self.buckets.clear();
		}
		let (tokens, at) = self.buckets.entry(signer).or_insert((BURST, now));
		*tokens = (*tokens + (now - *at).max(0.0) * COMMANDS_PER_SEC).min(BURST);
		*at = now;
		if *tokens >= 1.0 {
			*tokens -= 1.0;
			true
		} else {
			false
		}
	}
}

/// RFC 8007's trigger status values.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
	Pending,
	Active,
	Complete,
	Processed,
	Failed,
}

impl Status {
	pub fn as_str(self) -> &'static str {
		match self {
			Self::Pending => "pending",
			Self::Active => "active",
			Self::Complete => "complete",
			Self::Processed => "processed",
			Self::Failed => "failed",
		}
	}
}

/// An RFC 8007 error description: `error`, the URLs it concerns, `description`.
pub fn error_description(code: &str, urls: &[String], description: &str) -> Value {
	json!({ "error": code, "content.urls": urls, "description": description })
}

/// A trigger status resource (times are Unix seconds).
pub fn status_resource(
	spec: &Value,
	status: Status,
	ctime: u64,
	mtime: u64,
	etime: Option<u64>,
	errors: &[Value],
) -> Value {
	let mut resource = json!({
		"trigger": spec,
		"ctime": ctime,
		"mtime": mtime,
		"status": status.as_str(),
	});
	if let Some(etime) = etime {
		resource["etime"] = json!(etime);
	}
	if !errors.is_empty() {
		resource["errors"] = json!(errors);
	}
	resource
}

#[cfg(test)]
mod tests {
	use super::*;

	fn pattern(p: &str, case_sensitive: bool, query: bool) -> Pattern {
		Pattern { pattern: p.into(), case_sensitive, match_query_string: query }
	}

	#[test]
	fn patterns_match_as_rfc_8007_says() {
		let p = pattern("https://www.example.com/a/b/*", true, false);
		assert!(p.matches("https://www.example.com/a/b/c/1"));
		assert!(p.matches("http://www.example.com/a/b/"), "the scheme is ignored");
		assert!(p.matches("https://www.example.com/a/b/x?q=1"), "the query is ignored");
		assert!(!p.matches("https://www.example.com/a/B/x"), "case-sensitive");
		assert!(!p.matches("https://www.example.com/a/c"));
		let p = pattern("https://www.example.com/a/?.ts", false, false);
		assert!(p.matches("https://WWW.example.com/A/1.TS"));
		assert!(!p.matches("https://www.example.com/a/10.ts"));
		let q = pattern("http://v.example/x?token=*", false, true);
		assert!(q.matches("http://v.example/x?token=abc"));
		assert!(!q.matches("http://v.example/x"));
		// `$*`, `$?` and `$$` are the characters themselves.
		let literal = pattern("http://v.example/what$?$*$$", true, true);
		assert!(literal.matches("http://v.example/what?*$"));
		assert!(!literal.matches("http://v.example/whatX*$"));
		// No exponential blow-up on many stars.
		let stars = pattern(&format!("http://v.example/{}b", "*a".repeat(30)), true, false);
		assert!(!stars.matches(&format!("http://v.example/{}", "a".repeat(200))));
		assert_eq!(
			pattern("https://V.example:8443/a*", false, false).host(),
			Some("v.example".into())
		);
		assert_eq!(pattern("https://*.example/a", false, false).host(), None);
	}

	#[test]
	fn the_rfcs_preposition_and_invalidate_examples_parse() {
		// RFC 8007, section 6.1.1 (without its metadata.urls, which OCM refuses).
		let preposition = br#"{
       "trigger": {
         "type": "preposition",
         "content.urls": [
             "https://www.example.com/a/b/c/1",
             "https://www.example.com/a/b/c/2"
           ]
       },
       "cdn-path": [ "AS64496:1" ]
     }"#;
		let trigger = parse_command(preposition, "AS64500:0").unwrap();
		assert_eq!(trigger.kind, TriggerType::Preposition);
		assert_eq!(trigger.urls.len(), 2);
		assert_eq!(trigger.hosts().into_iter().collect::<Vec<_>>(), vec!["www.example.com"]);
		assert_eq!(trigger.cdn_path, vec!["AS64496:1", "AS64500:0"]);
		// Section 6.1.2, content part.
		let invalidate = br#"{
       "trigger": {
         "type": "invalidate",
         "content.urls": [ "https://www.example.com/a/index.html" ],
         "content.patterns": [
             { "pattern": "https://www.example.com/a/b/*",
               "case-sensitive": true
             }
           ]
       },
       "cdn-path": [ "AS64496:1" ]
     }"#;
		let trigger = parse_command(invalidate, "AS64500:0").unwrap();
		assert_eq!(trigger.kind, TriggerType::Invalidate);
		assert!(trigger.patterns[0].case_sensitive);
		let status =
			status_resource(&trigger.spec, Status::Pending, 1462351691, 1462351691, None, &[]);
		assert_eq!(status["status"], "pending");
		assert_eq!(status["trigger"]["type"], "invalidate");
		assert_eq!(status["ctime"], 1462351691);
	}

	#[test]
	fn commands_ocm_cannot_carry_out_are_refused_with_rfc_8007_codes() {
		let code = |body: &str| parse_command(body.as_bytes(), "AS64500:0").unwrap_err().code;
		assert_eq!(code("{"), "ereject");
		assert_eq!(
			code(r#"{"trigger": {"type": "purge", "content.urls": ["http://a/x"]}}"#),
			"ereject"
		);
		assert_eq!(
			code(
				r#"{"trigger": {"type": "purge", "content.urls": ["http://a/x"]}, "cdn-path": ["AS64500:0"]}"#
			),
			"ereject"
		);
		assert_eq!(
			code(
				r#"{"trigger": {"type": "explode", "content.urls": ["http://a/x"]}, "cdn-path": ["AS1:0"]}"#
			),
			"eunsupported"
		);
		assert_eq!(
			code(
				r#"{"trigger": {"type": "purge", "metadata.urls": ["http://m/x"]}, "cdn-path": ["AS1:0"]}"#
			),
			"eunsupported"
		);
		assert_eq!(code(r#"{"trigger": {"type": "purge"}, "cdn-path": ["AS1:0"]}"#), "ereject");
		assert_eq!(
			code(
				r#"{"trigger": {"type": "preposition", "content.patterns": [{"pattern": "http://a/*"}]}, "cdn-path": ["AS1:0"]}"#
			),
			"ereject"
		);
		assert_eq!(
			code(
				r#"{"trigger": {"type": "purge", "content.urls": ["ftp://a/x"]}, "cdn-path": ["AS1:0"]}"#
			),
			"econtent"
		);
		assert_eq!(
			code(
				r#"{"trigger": {"type": "purge", "content.patterns": [{"pattern": "http://*/x"}]}, "cdn-path": ["AS1:0"]}"#
			),
			"econtent"
		);
		assert_eq!(
			code(r#"{"cancel": ["http://r/triggers/1"], "cdn-path": ["AS1:0"]}"#),
			"eunsupported"
		);
		let many: Vec<String> = (0..1_001).map(|i| format!("\"http://a/{i}\"")).collect();
		assert_eq!(
			code(&format!(
				r#"{{"trigger": {{"type": "purge", "content.urls": [{}]}}, "cdn-path": ["AS1:0"]}}"#,
				many.join(",")
			)),
			"ereject"
		);
		assert_eq!(signing_payload(&[7; 32], b"{}").len(), 18 + 32 + 2);
	}

	#[test]
	fn signatures_bind_the_body_the_chain_and_the_signer() {
		use sp_core::Pair;
		let alice = sp_core::sr25519::Pair::from_string("//Alice", None).unwrap();
		let bob = sp_core::sr25519::Pair::from_string("//Bob", None).unwrap();
		let body = br#"{"trigger": {"type": "purge", "content.urls": ["http://v.example/a"]}, "cdn-path": ["AS1:0"]}"#;
		let signature = alice.sign(&signing_payload(&[1; 32], body)).0;
		let signer = alice.public().0;
		assert!(signed_by(&[1; 32], body, signer, signature));
		assert!(!signed_by(&[2; 32], body, signer, signature), "another chain");
		assert!(!signed_by(&[1; 32], b"{}", signer, signature), "another body");
		assert!(!signed_by(&[1; 32], body, bob.public().0, signature), "another signer");
		assert_eq!(hex_bytes::<2>("0xabCD"), Some([0xab, 0xcd]));
		assert_eq!(hex_bytes::<2>("abc"), None);
		assert_eq!(hex_bytes::<1>("zz"), None);
	}

	#[test]
	fn a_signer_gets_its_burst_then_the_rate() {
		let mut limiter = Limiter::default();
		let allowed = (0..100).filter(|_| limiter.allow([1; 32], 10.0)).count();
		assert_eq!(allowed, BURST as usize);
		assert!(limiter.allow([2; 32], 10.0), "another signer has its own bucket");
		assert!(!limiter.allow([1; 32], 10.1));
		assert!(limiter.allow([1; 32], 10.3), "a fifth of a second later, one more");
	}
}
