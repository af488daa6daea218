//! Signed requests on the relay's side (`ocm_cdni::uri_signing`): a
//! contract host whose contract requires URI Signing tokens in the current
//! period is served only to requests that carry one from a key of the
//! contract (403 with the reason otherwise); the record names the token's
//! `jti`, and the token is kept so the relay can show it when the
//! provider disputes the record.
//!
//! Tokens never reach a record or a published file: the `URISigningPackage`
//! query parameter is taken out of the request target on every contract
//! host, before the cache keys it, the origin sees it or the record
//! carries it.

use super::{spool::BatchId, Logs, ServedContract};
use ocm_cdni::uri_signing::{self, Client, Policy, Token, TokenError};
use std::{
	collections::HashSet,
	io::Write,
	net::IpAddr,
	path::{Path, PathBuf},
};

/// Why a request for a signed host is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
	/// No token in the query or the `URISigningPackage` cookie.
	NoToken,
	/// A path with dot segments or percent-encoded dots, slashes or
	/// backslashes: a token's scope is a prefix of the URI as sent, and an
	/// origin that normalises such a path could serve an object outside it.
	Unnormalised,
	Token(TokenError),
}

impl Refusal {
	pub fn reason(self) -> &'static str {
		match self {
			Refusal::NoToken => "this host requires a URI Signing token (URISigningPackage)",
			Refusal::Unnormalised => {
				"a signed host takes no dot segments or encoded dots, slashes or backslashes"
			}
			Refusal::Token(e) => e.reason(),
		}
	}
}

/// Whether `uri`'s path could name another object once an origin
/// normalises it (RFC 3986 §6.2.2: dot segments, percent-encoded unreserved
/// characters and separators).
fn unnormalised(uri: &str) -> bool {
	let path = uri.split(['?', '#']).next().unwrap_or(uri);
	let path =
		path.strip_prefix("http://").and_then(|r| r.find('/').map(|i| &r[i..])).unwrap_or(path);
	let lower = path.to_ascii_lowercase();
	path.split('/').any(|segment| segment == "." || segment == "..")
		|| ["%2e", "%2f", "%5c", "\\"].iter().any(|bad| lower.contains(bad))
}

/// How much earlier than the chain the relay lets a token expire, seconds.
const EXPIRY_MARGIN_SECS: u64 = 2;

/// A request a token authorised.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Authorised {
	/// The token's `jti`, which the record carries.
	pub id: String,
	/// Seconds the token has left, when it asks to travel on in a cookie
	/// (`cdnistt` 1): players send it with a playlist's relative segments.
	pub cookie_for_secs: Option<u64>,
	pub token: String,
}

/// The file a batch's tokens are kept in: `jti`, TAB, token, a line each.
pub fn tokens_path(dir: &Path, (contract, period): BatchId) -> PathBuf {
	dir.join(contract.to_string()).join(format!("{period}.tokens"))
}

/// The token from a `Cookie` header's `URISigningPackage`, if any.
pub fn from_cookie(cookie: &str) -> Option<&str> {
	cookie.split(';').find_map(|pair| {
		let (name, value) = pair.trim().split_once('=')?;
		(name == uri_signing::PACKAGE).then_some(value)
	})
}

/// Checks a request for `uri` (the contract's, token taken out) by
/// `client` at `now_secs` against the contract's terms for `period`.
pub fn authorise(
	contract: &ServedContract,
	period: u32,
	token: Option<&str>,
	client: IpAddr,
	uri: &str,
	now_secs: u64,
) -> Result<Option<Authorised>, Refusal> {
	let terms = &contract.signing;
	if !terms.required_in(period) {
		return Ok(None);
	}
	let token = token.ok_or(Refusal::NoToken)?;
	if unnormalised(uri) {
		return Err(Refusal::Unnormalised);
	}
	let parsed = Token::parse(token.as_bytes()).map_err(Refusal::Token)?;
	let keys = terms.keys_in(period);
	let policy = Policy { keys: &keys, max_span_secs: u64::from(terms.max_span_secs) };
	let id = parsed
		.authorises(policy, Client::Address(client), uri.as_bytes(), now_secs)
		.map_err(Refusal::Token)?
		.to_string();
	// The chain reads the request's arrival from the record in whole
	// seconds (completion less time taken), up to a second after this
	// clock's: a token that would expire within that is refused here, so
	// no record it authorised fails there.
	if now_secs.saturating_add(EXPIRY_MARGIN_SECS)
		> parsed.claims.expires.saturating_add(uri_signing::CLOCK_SKEW_SECS)
	{
		return Err(Refusal::Token(TokenError::Expired));
	}
	let cookie_for_secs = parsed.claims.cookie.then(|| {
		parsed.claims.expires.saturating_add(uri_signing::CLOCK_SKEW_SECS).saturating_sub(now_secs)
	});
	Ok(Some(Authorised { id, cookie_for_secs, token: token.to_string() }))
}

impl Logs {
	/// Keeps `token` (named `id`) with `batch`, before the request it
	/// authorised is served: the record that will name it can always be
	/// answered for. Each token is written once per batch.
	pub fn keep_token(&self, batch: BatchId, id: &str, token: &str) -> std::io::Result<()> {
		let mut kept = self.kept_tokens.lock().unwrap_or_else(|e| e.into_inner());
		if kept.contains(&(batch, token.to_string())) {
			return Ok(());
		}
		let path = tokens_path(&self.dir, batch);
		if let Some(parent) = path.parent() {
			std::fs::create_dir_all(parent)?;
		}
		let mut file = std::fs::OpenOptions::new().create(true).append(true).open(path)?;
		file.write_all(format!("{id}\t{token}\n").as_bytes())?;
		// Bounded: past this, a token may be written twice, never lost.
		if kept.len() >= 100_000 {
			kept.clear();
		}
		kept.insert((batch, token.to_string()));
		Ok(())
	}
}

/// The tokens kept with batch `(contract, period)` or the one before (a
/// record that arrives after its period was sealed goes to the next
/// batch) whose `jti` is `id`, read line by line.
pub fn kept_tokens(dir: &Path, (contract, period): BatchId, id: &[u8]) -> Vec<String> {
	use std::io::BufRead;
	let mut seen = HashSet::new();
	let mut out = Vec::new();
	for batch in [(contract, period), (contract, period.saturating_sub(1))] {
		let Ok(file) = std::fs::File::open(tokens_path(dir, batch)) else { continue };
		for line in std::io::BufReader::new(file).lines().map_while(Result::ok) {
			let Some((jti, token)) = line.split_once('\t') else { continue };
			if jti.as_bytes() == id && seen.insert(token.to_string()) {
				out.push(token.to_string());
			}
		}
	}
	out
}

#[cfg(test)]
mod tests {
	use super::*;
	use ocm_cdni::uri_signing::{mint, prefix_container, Grant};
	use ocm_chain_client::settlement::{RequestSigning, TokenKey};
	use sp_core::Pair;

	fn contract(required_from: Option<u32>, key: [u8; 32]) -> ServedContract {
		ServedContract {
			id: 3,
			start: 0,
			end: 1_000,
			period_length: 10,
			from_period: 0,
			until_period: None,
			signing: RequestSigning {
				required_from,
				max_span_secs: 3_600,
				keys: vec![TokenKey { public: key, from_period: 0, until_period: Some(4) }],
			},
		}
	}

	#[test]
	fn a_signed_host_serves_only_its_providers_viewers() {
		let key = sp_core::ed25519::Pair::from_seed(&[5; 32]);
		let c = contract(Some(2), key.public().0);
		let grant = Grant {
			id: "s1".into(),
			not_before: 1_000,
			expires: 2_000,
			client: "192.0.2.0/24".into(),
			scope: prefix_container("http://v.example/live/"),
			cookie: true,
		};
		let token = mint(&grant, |m| key.sign(m).0);
		let client: IpAddr = "192.0.2.9".parse().unwrap();
		let uri = "http://v.example/live/a.ts";
		// Not required before period 2.
		assert_eq!(authorise(&c, 1, None, client, uri, 1_500), Ok(None));
		assert_eq!(authorise(&c, 2, None, client, uri, 1_500), Err(Refusal::NoToken));
		let ok = authorise(&c, 2, Some(&token), client, uri, 1_500).unwrap().unwrap();
		assert_eq!((ok.id.as_str(), ok.cookie_for_secs), ("s1", Some(530)));
		assert_eq!(
			authorise(&c, 2, Some(&token), "198.51.100.1".parse().unwrap(), uri, 1_500),
			Err(Refusal::Token(TokenError::OtherClient))
		);
		// The key was revoked after period 4.
		assert_eq!(
			authorise(&c, 5, Some(&token), client, uri, 1_500),
			Err(Refusal::Token(TokenError::BadSignature))
		);
		// A path an origin would normalise out of the token's scope.
		for sneaky in ["/live/../vod/a.ts", "/live/%2e%2e/vod/a.ts", "/live/a%2Fb", "/live/./a.ts"]
		{
			let uri = format!("http://v.example{sneaky}");
			assert_eq!(
				authorise(&c, 2, Some(&token), client, &uri, 1_500),
				Err(Refusal::Unnormalised),
				"{sneaky}"
			);
		}
		// Within two seconds of its expiry (and the skew) a token is refused
		// here: the chain may read the arrival a second later.
		assert_eq!(
			authorise(&c, 2, Some(&token), client, uri, 2_029),
			Err(Refusal::Token(TokenError::Expired))
		);
		assert!(authorise(&c, 2, Some(&token), client, uri, 2_028).is_ok());
		assert_eq!(from_cookie("a=b; URISigningPackage=x.y.z; c=d"), Some("x.y.z"));
		assert_eq!(from_cookie("a=b"), None);
	}
}
