//! CDNI URI Signing (RFC 9246) as OCM checks it, on the relay for each
//! request and in the runtime for a disputed record.
//!
//! A token is a JWS in compact serialisation, signed with EdDSA (Ed25519,
//! RFC 8037): a relay can check a token but never mint one, because it
//! holds only the public keys the provider registered on chain. Every
//! other algorithm, `none` included, is refused. The claims OCM requires,
//! so that a record names a viewer the provider authorised and the chain
//! can check it:
//!
//! - `jti`: the token's identifier, which the record carries (the token
//!   itself never reaches a log);
//! - `exp`, and `nbf` or `iat`: the token is good from `nbf` (else `iat`)
//!   to `exp`, a span no longer than the contract allows; this is the
//!   bound a replayed token cannot pass (requests outside it are refused
//!   by the relay and, billed, provable on chain);
//! - `cdniip`: the client's address or network (CIDR); the relay checks the
//!   client's address, the chain the record's `c-groupid` (the client's
//!   /24 or /48), which must overlap it;
//! - `cdniuc`: the URI container, `hash:` (SHA-256 of the URI, base64url)
//!   for one object, or `regex:` restricted to what the runtime can check
//!   cheaply: `^` and a literal prefix (regex metacharacters escaped with
//!   `\`), then `.*` (a path scope) or `$` (one URI). Any RFC 9246 verifier
//!   reads such a token the same way.
//!
//! The URI a token covers is the contract's, as the record's `u-uri`
//! carries it: `http://<contract host><path>[?query]` without the
//! `URISigningPackage` parameter.
//!
//! `cdniv` must be 1 if present, `cdnicrit` may name only claims checked
//! here, and `cdnistd` must be 0: a token that asks for more is refused
//! rather than half-checked. `cdnistt` 1 asks the relay to carry the token
//! on in a cookie (RFC 9246 §2.1.12), which HLS players send with the
//! segments a playlist names relatively.

use alloc::{string::String, vec::Vec};
use base64::Engine;
use core::net::IpAddr;
use sha2::Digest;

/// The query parameter (and cookie) that carries a token (RFC 9246 §4.1's
/// default name).
pub const PACKAGE: &str = "URISigningPackage";

/// The longest token accepted, in bytes: room for every claim above with
/// a long scope; a bound for the runtime, which parses disputed tokens.
pub const MAX_TOKEN: usize = 2048;

/// The longest `jti` accepted: a record carries it.
pub const MAX_ID: usize = 64;

/// Clock difference allowed between the token's issuer and its checker, in
/// seconds, at each end of the token's span.
pub const CLOCK_SKEW_SECS: u64 = 30;

/// Claims this module reads; `cdnicrit` may name only these. `iss` and
/// `sub` are informational; a token with `aud` is refused, since OCM's
/// relays are no audience a provider could name (RFC 7519 §4.1.3: a
/// recipient that does not identify with `aud` rejects the token).
const UNDERSTOOD: [&str; 11] =
	["iss", "sub", "exp", "nbf", "iat", "jti", "cdniv", "cdnicrit", "cdniip", "cdniuc", "cdnistt"];

/// Why a token does not authorise a request, by name: the relay answers
/// 403 with it, the runtime refuses an answer with it.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum TokenError {
	/// Longer than [`MAX_TOKEN`].
	TooLong,
	/// Not three base64url parts of JSON objects and a 64-byte signature.
	Malformed,
	/// An `alg` other than `EdDSA` (`none` and HMAC included).
	UnknownAlgorithm,
	/// A header `crit`, an `aud`, `cdniv` other than 1, `cdnistd` other
	/// than 0, or a `cdnicrit` naming a claim not checked here.
	Unsupported,
	/// No key the contract lists verifies the signature.
	BadSignature,
	/// No `jti`, or one a record cannot carry (1 to 64 of `A-Za-z0-9._~-`).
	BadId,
	/// No `exp`, or neither `nbf` nor `iat`.
	NoSpan,
	/// `exp` further from its start than the contract allows.
	SpanTooLong,
	/// Used before its `nbf` (or `iat`).
	NotYetValid,
	/// Used after its `exp`.
	Expired,
	/// No `cdniip`, or one that is not an address or a CIDR prefix.
	NoClientBinding,
	/// The client is not in `cdniip`.
	OtherClient,
	/// No `cdniuc`, or a container this module cannot check.
	NoScope,
	/// The URI is outside `cdniuc`.
	OutOfScope,
}

impl TokenError {
	/// The reason as a relay states it in its 403.
	pub fn reason(self) -> &'static str {
		match self {
			TokenError::TooLong => "the token is longer than 2048 bytes",
			TokenError::Malformed => "the token is not a compact JWS",
			TokenError::UnknownAlgorithm => "the token's algorithm is not EdDSA",
			TokenError::Unsupported => "the token asks for processing this CDN does not do",
			TokenError::BadSignature => "no key of the contract verifies the token",
			TokenError::BadId => "the token has no usable jti",
			TokenError::NoSpan => "the token needs exp, and nbf or iat",
			TokenError::SpanTooLong => "the token is valid for longer than the contract allows",
			TokenError::NotYetValid => "the token is not valid yet",
			TokenError::Expired => "the token has expired",
			TokenError::NoClientBinding => "the token has no usable cdniip",
			TokenError::OtherClient => "the token is for another client",
			TokenError::NoScope => "the token has no cdniuc this CDN can check",
			TokenError::OutOfScope => "the token does not cover this URI",
		}
	}
}

/// An IP network: an address and a prefix length.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Prefix {
	addr: IpAddr,
	len: u8,
}

impl Prefix {
	/// `a.b.c.d`, `a.b.c.d/n`, an IPv6 address or prefix; IPv4-mapped IPv6
	/// is read as the IPv4 it carries. The host bits need not be zero.
	pub fn parse(text: &str) -> Option<Self> {
		let (addr, len) = match text.split_once('/') {
			Some((a, l)) => {
				if l.is_empty() || l.len() > 3 || !l.bytes().all(|b| b.is_ascii_digit()) {
					return None;
				}
				(a.parse::<IpAddr>().ok()?, Some(l.parse::<u8>().ok()?))
			}
			None => (text.parse::<IpAddr>().ok()?, None),
		};
		let (addr, max, mapped) = match addr {
			IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
				Some(v4) => (IpAddr::V4(v4), 32, true),
				None => (addr, 128, false),
			},
			IpAddr::V4(_) => (addr, 32, false),
		};
		let len = match len {
			None => max,
			Some(l) if mapped => l.checked_sub(96)?,
			Some(l) => l,
		};
		(len <= max).then_some(Prefix { addr, len })
	}

	fn bits(addr: IpAddr) -> (u128, u8) {
		match addr {
			IpAddr::V4(v4) => (u128::from(u32::from(v4)), 32),
			IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
				Some(v4) => (u128::from(u32::from(v4)), 32),
				None => (u128::from(v6), 128),
			},
		}
	}

	/// Whether the two networks share an address (one holds the other).
	pub fn overlaps(&self, other: &Prefix) -> bool {
		let (a, width_a) = Self::bits(self.addr);
		let (b, width_b) = Self::bits(other.addr);
		if width_a != width_b {
			return false;
		}
		let len = self.len.min(other.len);
		let shift = u32::from(width_a - len);
		len == 0 || (a >> shift) == (b >> shift)
	}

	pub fn contains(&self, addr: IpAddr) -> bool {
		let (_, width) = Self::bits(addr);
		self.overlaps(&Prefix { addr, len: width })
	}
}

/// The URIs a token covers.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum Scope {
	/// One URI, by its SHA-256.
	Hash([u8; 32]),
	/// URIs that start with this text.
	Prefix(String),
	/// Exactly this URI.
	Exact(String),
}

impl Scope {
	/// Reads a `cdniuc` value; `None` for a container OCM cannot check.
	pub fn parse(container: &str) -> Option<Self> {
		if let Some(hash) = container.strip_prefix("hash:") {
			let digest = b64().decode(hash).ok()?;
			return Some(Scope::Hash(digest.try_into().ok()?));
		}
		let pattern = container.strip_prefix("regex:")?.strip_prefix('^')?;
		let (body, prefix) = if let Some(body) = pattern.strip_suffix(".*") {
			(body, true)
		} else {
			(pattern.strip_suffix('$')?, false)
		};
		const META: &[u8] = b".^$*+?()[]{}|\\";
		let mut literal = String::with_capacity(body.len());
		let mut chars = body.chars();
		while let Some(c) = chars.next() {
			if c == '\\' {
				let escaped = chars.next()?;
				if !escaped.is_ascii() || !META.contains(&(escaped as u8)) {
					return None;
				}
				literal.push(escaped);
			} else if c.is_ascii() && META.contains(&(c as u8)) {
				return None;
			} else {
				literal.push(c);
			}
		}
		Some(if prefix { Scope::Prefix(literal) } else { Scope::Exact(literal) })
	}

	pub fn covers(&self, uri: &[u8]) -> bool {
		match self {
			Scope::Hash(digest) => sha2::Sha256::digest(uri)[..] == digest[..],
			Scope::Prefix(p) => uri.starts_with(p.as_bytes()),
			Scope::Exact(u) => uri == u.as_bytes(),
		}
	}
}

/// A token's claims as OCM reads them.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Claims {
	pub id: String,
	/// Seconds since the Unix epoch.
	pub not_before: u64,
	pub expires: u64,
	pub client: Prefix,
	pub scope: Scope,
	/// `cdnistt` 1: carry the token on in a cookie.
	pub cookie: bool,
}

/// A token whose signature is not yet checked.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Token<'a> {
	/// `header.payload`, what the signature covers.
	signing_input: &'a [u8],
	signature: [u8; 64],
	pub claims: Claims,
}

/// Who made the request: the relay knows the address, the chain only the
/// record's `c-groupid`.
#[derive(Clone, Copy, Debug)]
pub enum Client {
	Address(IpAddr),
	Group(Prefix),
}

/// What a contract accepts.
#[derive(Clone, Copy, Debug)]
pub struct Policy<'k> {
	/// The Ed25519 public keys whose tokens the contract accepts now.
	pub keys: &'k [[u8; 32]],
	/// The longest span (`exp` minus `nbf` or `iat`) accepted, in seconds.
	pub max_span_secs: u64,
}

fn b64() -> base64::engine::GeneralPurpose {
	base64::engine::general_purpose::URL_SAFE_NO_PAD
}

type Object = serde_json::Map<String, serde_json::Value>;

fn object(part: &[u8]) -> Result<Object, TokenError> {
	let json = b64().decode(part).map_err(|_| TokenError::Malformed)?;
	match serde_json::from_slice::<serde_json::Value>(&json) {
		Ok(serde_json::Value::Object(map)) => Ok(map),
		_ => Err(TokenError::Malformed),
	}
}

fn seconds(value: Option<&serde_json::Value>) -> Option<u64> {
	let v = value?;
	v.as_u64().or_else(|| v.as_f64().filter(|f| *f >= 0.0 && *f < 1e15).map(|f| f as u64))
}

impl<'a> Token<'a> {
	/// Reads a compact JWS and its claims; checks the header and what the
	/// claims must hold, not the signature.
	pub fn parse(token: &'a [u8]) -> Result<Self, TokenError> {
		if token.len() > MAX_TOKEN {
			return Err(TokenError::TooLong);
		}
		let mut parts = token.split(|&b| b == b'.');
		let (Some(header), Some(payload), Some(signature), None) =
			(parts.next(), parts.next(), parts.next(), parts.next())
		else {
			return Err(TokenError::Malformed);
		};
		let header = object(header)?;
		if header.get("alg").and_then(|a| a.as_str()) != Some("EdDSA") {
			return Err(TokenError::UnknownAlgorithm);
		}
		if header.contains_key("crit") {
			return Err(TokenError::Unsupported);
		}
		let signature: [u8; 64] = b64()
			.decode(signature)
			.ok()
			.and_then(|s| s.try_into().ok())
			.ok_or(TokenError::Malformed)?;
		let claims = object(payload)?;
		if claims.contains_key("aud")
			|| claims.get("cdniv").is_some_and(|v| v.as_u64() != Some(1))
			|| claims.get("cdnistd").is_some_and(|v| v.as_u64() != Some(0))
		{
			return Err(TokenError::Unsupported);
		}
		if let Some(crit) = claims.get("cdnicrit") {
			let crit = crit.as_str().ok_or(TokenError::Unsupported)?;
			if !crit.split(',').all(|c| UNDERSTOOD.contains(&c.trim())) {
				return Err(TokenError::Unsupported);
			}
		}
		let id = claims
			.get("jti")
			.and_then(|j| j.as_str())
			.filter(|j| {
				!j.is_empty()
					&& j.len() <= MAX_ID
					&& j.bytes().all(|b| b.is_ascii_alphanumeric() || b"._~-".contains(&b))
			})
			.ok_or(TokenError::BadId)?;
		let expires = seconds(claims.get("exp")).ok_or(TokenError::NoSpan)?;
		let not_before = seconds(claims.get("nbf"))
			.or_else(|| seconds(claims.get("iat")))
			.ok_or(TokenError::NoSpan)?;
		let client = claims
			.get("cdniip")
			.and_then(|c| c.as_str())
			.and_then(Prefix::parse)
			.ok_or(TokenError::NoClientBinding)?;
		let scope = claims
			.get("cdniuc")
			.and_then(|c| c.as_str())
			.and_then(Scope::parse)
			.ok_or(TokenError::NoScope)?;
		let cookie = claims.get("cdnistt").and_then(|v| v.as_u64()) == Some(1);
		let signing_input = &token[..header_len(token)];
		Ok(Token {
			signing_input,
			signature,
			claims: Claims { id: id.into(), not_before, expires, client, scope, cookie },
		})
	}

	/// Whether one of `keys` signed the token (Ed25519).
	pub fn signed_by_one_of(&self, keys: &[[u8; 32]]) -> bool {
		use sp_runtime::traits::Verify;
		let signature = sp_core::ed25519::Signature::from_raw(self.signature);
		keys.iter().any(|key| {
			signature.verify(self.signing_input, &sp_core::ed25519::Public::from_raw(*key))
		})
	}

	/// Whether the token authorises a request by `client` for `uri` at
	/// `at_secs` (Unix seconds) under `policy`: the signature, then the
	/// span, the client and the scope. Returns the token's `jti`.
	pub fn authorises(
		&self,
		policy: Policy<'_>,
		client: Client,
		uri: &[u8],
		at_secs: u64,
	) -> Result<&str, TokenError> {
		if !self.signed_by_one_of(policy.keys) {
			return Err(TokenError::BadSignature);
		}
		let c = &self.claims;
		if c.expires.saturating_sub(c.not_before) > policy.max_span_secs {
			return Err(TokenError::SpanTooLong);
		}
		if at_secs.saturating_add(CLOCK_SKEW_SECS) < c.not_before {
			return Err(TokenError::NotYetValid);
		}
		if at_secs > c.expires.saturating_add(CLOCK_SKEW_SECS) {
			return Err(TokenError::Expired);
		}
		let client_ok = match client {
			Client::Address(addr) => c.client.contains(addr),
			Client::Group(group) => c.client.overlaps(&group),
		};
		if !client_ok {
			return Err(TokenError::OtherClient);
		}
		if !c.scope.covers(uri) {
			return Err(TokenError::OutOfScope);
		}
		Ok(c.id.as_str())
	}
}

/// The length of `header.payload` in a token with two dots.
fn header_len(token: &[u8]) -> usize {
	token.iter().rposition(|&b| b == b'.').unwrap_or(0)
}

/// The token a request carries in its query (`URISigningPackage=...`),
/// and the request target without it: what the cache keys, the origin is
/// asked for and the record carries. `None` if the query has no token.
pub fn take_from_query(path_and_query: &str) -> Option<(String, String)> {
	let (path, query) = path_and_query.split_once('?')?;
	let mut token = None;
	let mut kept: Vec<&str> = Vec::new();
	for pair in query.split('&') {
		match pair.split_once('=') {
			// Every copy leaves the target: none may reach a log.
			Some((name, value)) if name == PACKAGE => {
				token.get_or_insert(value);
			}
			_ => kept.push(pair),
		}
	}
	let token = token?;
	let mut target = String::from(path);
	if !kept.is_empty() {
		target.push('?');
		target.push_str(&kept.join("&"));
	}
	Some((String::from(token), target))
}

/// The SHA-256 `cdniuc` container for one URI: `hash:<base64url>`.
pub fn hash_container(uri: &str) -> String {
	alloc::format!("hash:{}", b64().encode(sha2::Sha256::digest(uri.as_bytes())))
}

/// The `cdniuc` container for every URI starting with `prefix`.
pub fn prefix_container(prefix: &str) -> String {
	let mut out = String::from("regex:^");
	for c in prefix.chars() {
		if c.is_ascii() && b".^$*+?()[]{}|\\".contains(&(c as u8)) {
			out.push('\\');
		}
		out.push(c);
	}
	out.push_str(".*");
	out
}

/// What a provider (or a key it delegated) signs for a viewer.
#[derive(Clone, Debug)]
pub struct Grant {
	pub id: String,
	pub not_before: u64,
	pub expires: u64,
	/// `cdniip`: an address or CIDR prefix.
	pub client: String,
	/// `cdniuc`: see [`hash_container`] and [`prefix_container`].
	pub scope: String,
	pub cookie: bool,
}

/// Signs `grant` with `sign` (an Ed25519 signer over the JWS signing
/// input): the compact JWS a viewer puts in `URISigningPackage`.
pub fn mint(grant: &Grant, sign: impl FnOnce(&[u8]) -> [u8; 64]) -> String {
	let header = serde_json::json!({ "alg": "EdDSA", "typ": "JWT" });
	let mut claims = serde_json::json!({
		"jti": grant.id,
		"nbf": grant.not_before,
		"iat": grant.not_before,
		"exp": grant.expires,
		"cdniv": 1,
		"cdniip": grant.client,
		"cdniuc": grant.scope,
	});
	if grant.cookie {
		claims["cdnistt"] = serde_json::json!(1);
	}
	let mut token = b64().encode(serde_json::to_vec(&header).unwrap_or_default());
	token.push('.');
	token.push_str(&b64().encode(serde_json::to_vec(&claims).unwrap_or_default()));
	let signature = sign(token.as_bytes());
	token.push('.');
	token.push_str(&b64().encode(signature));
	token
}

#[cfg(test)]
mod tests {
	use super::*;
	use sp_core::Pair;

	fn pair(seed: u8) -> sp_core::ed25519::Pair {
		sp_core::ed25519::Pair::from_seed(&[seed; 32])
	}

	fn grant() -> Grant {
		Grant {
			id: "viewer-1".into(),
			not_before: 1_000,
			expires: 4_600,
			client: "198.51.100.0/24".into(),
			scope: prefix_container("http://video.example/live/"),
			cookie: false,
		}
	}

	fn signed(grant: &Grant, key: &sp_core::ed25519::Pair) -> String {
		mint(grant, |input| key.sign(input).0)
	}

	fn policy(keys: &[[u8; 32]]) -> Policy<'_> {
		Policy { keys, max_span_secs: 3_600 }
	}

	const URI: &[u8] = b"http://video.example/live/seg1.ts";

	fn addr(s: &str) -> Client {
		Client::Address(s.parse().unwrap())
	}

	#[test]
	fn a_token_from_the_providers_key_authorises_its_viewer() {
		let key = pair(1);
		let token = signed(&grant(), &key);
		let parsed = Token::parse(token.as_bytes()).unwrap();
		let keys = [key.public().0];
		assert_eq!(
			parsed.authorises(policy(&keys), addr("198.51.100.7"), URI, 2_000),
			Ok("viewer-1")
		);
		// The chain, from the record's group.
		let group = Client::Group(Prefix::parse("198.51.100.0/24").unwrap());
		assert_eq!(parsed.authorises(policy(&keys), group, URI, 2_000), Ok("viewer-1"));
	}

	#[test]
	fn what_a_token_does_not_cover_is_refused_by_name() {
		let key = pair(1);
		let keys = [key.public().0];
		let token = signed(&grant(), &key);
		let t = Token::parse(token.as_bytes()).unwrap();
		let p = policy(&keys);
		assert_eq!(t.authorises(p, addr("198.51.100.7"), URI, 4_631), Err(TokenError::Expired));
		assert_eq!(t.authorises(p, addr("198.51.100.7"), URI, 969), Err(TokenError::NotYetValid));
		assert_eq!(t.authorises(p, addr("203.0.113.7"), URI, 2_000), Err(TokenError::OtherClient));
		let other_group = Client::Group(Prefix::parse("198.51.101.0/24").unwrap());
		assert_eq!(t.authorises(p, other_group, URI, 2_000), Err(TokenError::OtherClient));
		assert_eq!(
			t.authorises(p, addr("198.51.100.7"), b"http://video.example/vod/a.mp4", 2_000),
			Err(TokenError::OutOfScope)
		);
		// Another host whose name starts the same is outside a path scope.
		assert_eq!(
			t.authorises(p, addr("198.51.100.7"), b"http://video.example.evil/live/a", 2_000),
			Err(TokenError::OutOfScope)
		);
		let short = Policy { keys: &keys, max_span_secs: 600 };
		assert_eq!(
			t.authorises(short, addr("198.51.100.7"), URI, 2_000),
			Err(TokenError::SpanTooLong)
		);
	}

	#[test]
	fn a_forged_or_altered_token_is_refused() {
		let provider = pair(1);
		let keys = [provider.public().0];
		// Signed by the relay's own key: a relay cannot mint.
		let forged = signed(&grant(), &pair(2));
		let t = Token::parse(forged.as_bytes()).unwrap();
		assert_eq!(
			t.authorises(policy(&keys), addr("198.51.100.7"), URI, 2_000),
			Err(TokenError::BadSignature)
		);
		// A real token with its client widened keeps the old signature.
		let real = signed(&grant(), &provider);
		let parts: Vec<&str> = real.split('.').collect();
		let mut widened = grant();
		widened.client = "0.0.0.0/0".into();
		let other = signed(&widened, &provider);
		let spliced =
			alloc::format!("{}.{}.{}", parts[0], other.split('.').nth(1).unwrap(), parts[2]);
		let t = Token::parse(spliced.as_bytes()).unwrap();
		assert_eq!(
			t.authorises(policy(&keys), addr("203.0.113.7"), URI, 2_000),
			Err(TokenError::BadSignature)
		);
	}

	#[test]
	fn algorithms_other_than_eddsa_and_bad_input_are_refused() {
		let provider = pair(1);
		let real = signed(&grant(), &provider);
		let payload = real.split('.').nth(1).unwrap();
		let sig = real.split('.').nth(2).unwrap();
		for alg in ["none", "HS256", "RS256", "ES256", "eddsa"] {
			let header = b64().encode(alloc::format!("{{\"alg\":\"{alg}\"}}"));
			let token = alloc::format!("{header}.{payload}.{sig}");
			assert_eq!(Token::parse(token.as_bytes()), Err(TokenError::UnknownAlgorithm), "{alg}");
		}
		let unsigned = alloc::format!("{}.{payload}.", b64().encode("{\"alg\":\"none\"}"));
		assert_eq!(Token::parse(unsigned.as_bytes()), Err(TokenError::UnknownAlgorithm));
		let crit = b64().encode("{\"alg\":\"EdDSA\",\"crit\":[\"b64\"]}");
		assert_eq!(
			Token::parse(alloc::format!("{crit}.{payload}.{sig}").as_bytes()),
			Err(TokenError::Unsupported)
		);
		assert_eq!(Token::parse(&[b'a'; MAX_TOKEN + 1]), Err(TokenError::TooLong));
		let short_signature =
			alloc::format!("{}.{payload}.c2hvcnQ", real.split('.').next().unwrap());
		for bad in ["", "a.b", "a.b.c.d", "!!.!!.!!", short_signature.as_str()] {
			assert_eq!(Token::parse(bad.as_bytes()), Err(TokenError::Malformed), "{bad}");
		}
		let claims = |json: &str| {
			let token =
				alloc::format!("{}.{}.{sig}", real.split('.').next().unwrap(), b64().encode(json));
			Token::parse(token.as_bytes()).map(|_| ())
		};
		let base = r#""nbf":1,"exp":2,"cdniip":"10.0.0.0/8","cdniuc":"regex:^http://a/.*""#;
		assert_eq!(claims(&alloc::format!("{{{base}}}")), Err(TokenError::BadId));
		assert_eq!(claims(&alloc::format!("{{\"jti\":\"a b\",{base}}}")), Err(TokenError::BadId));
		assert_eq!(
			claims(&alloc::format!("{{\"jti\":\"a\",\"cdniv\":2,{base}}}")),
			Err(TokenError::Unsupported)
		);
		assert_eq!(
			claims(&alloc::format!("{{\"jti\":\"a\",\"cdnistd\":2,{base}}}")),
			Err(TokenError::Unsupported)
		);
		// A token for another audience (another CDN) is not billable here.
		assert_eq!(
			claims(&alloc::format!("{{\"jti\":\"a\",\"aud\":\"other-cdn\",{base}}}")),
			Err(TokenError::Unsupported)
		);
		assert_eq!(
			claims(&alloc::format!("{{\"jti\":\"a\",\"cdnicrit\":\"exp,foo\",{base}}}")),
			Err(TokenError::Unsupported)
		);
		assert_eq!(
			claims(&alloc::format!("{{\"jti\":\"a\",\"cdnicrit\":\"exp,cdniip\",{base}}}")),
			Ok(())
		);
		assert_eq!(
			claims(r#"{"jti":"a","nbf":1,"cdniip":"10.0.0.0/8","cdniuc":"hash:x"}"#),
			Err(TokenError::NoSpan)
		);
		assert_eq!(
			claims(r#"{"jti":"a","nbf":1,"exp":2,"cdniuc":"regex:^a.*"}"#),
			Err(TokenError::NoClientBinding)
		);
		assert_eq!(
			claims(r#"{"jti":"a","nbf":1,"exp":2,"cdniip":"10.0.0.0/33","cdniuc":"regex:^a.*"}"#),
			Err(TokenError::NoClientBinding)
		);
		assert_eq!(
			claims(r#"{"jti":"a","nbf":1,"exp":2,"cdniip":"10.0.0.1"}"#),
			Err(TokenError::NoScope)
		);
		// A regex the runtime cannot check cheaply is refused, not half-checked.
		assert_eq!(
			claims(
				r#"{"jti":"a","nbf":1,"exp":2,"cdniip":"10.0.0.1","cdniuc":"regex:^http://a/(x|y).*"}"#
			),
			Err(TokenError::NoScope)
		);
		assert_eq!(
			claims(
				r#"{"jti":"a","nbf":1,"exp":2,"cdniip":"10.0.0.1","cdniuc":"regex:http://a/.*"}"#
			),
			Err(TokenError::NoScope)
		);
	}

	#[test]
	fn scopes_read_as_rfc_9246_containers() {
		let uri = "http://video.example/a.mp4";
		assert!(Scope::parse(&hash_container(uri)).unwrap().covers(uri.as_bytes()));
		assert!(!Scope::parse(&hash_container(uri)).unwrap().covers(b"http://video.example/b.mp4"));
		let p = Scope::parse(&prefix_container("http://v.example/a+b/")).unwrap();
		assert_eq!(p, Scope::Prefix("http://v.example/a+b/".into()));
		assert_eq!(
			Scope::parse(r"regex:^http://v\.example/a\.mp4$"),
			Some(Scope::Exact("http://v.example/a.mp4".into()))
		);
		assert_eq!(Scope::parse("regex:^http://v.example/.*"), None);
	}

	#[test]
	fn prefixes_hold_addresses_and_groups() {
		let p = Prefix::parse("198.51.100.0/24").unwrap();
		assert!(p.contains("198.51.100.255".parse().unwrap()));
		assert!(p.contains("::ffff:198.51.100.1".parse().unwrap()));
		assert!(!p.contains("198.51.101.0".parse().unwrap()));
		assert!(!p.contains("2001:db8::1".parse().unwrap()));
		let one = Prefix::parse("198.51.100.9").unwrap();
		assert!(one.overlaps(&p) && p.overlaps(&one));
		let v6 = Prefix::parse("2001:db8:abcd::/48").unwrap();
		assert!(v6.contains("2001:db8:abcd:12::1".parse().unwrap()));
		assert!(Prefix::parse("0.0.0.0/0").unwrap().contains("203.0.113.1".parse().unwrap()));
		for bad in ["", "10.0.0.0/", "10.0.0.0/33", "10.0.0.0/+8", "::/129", "host"] {
			assert_eq!(Prefix::parse(bad), None, "{bad}");
		}
	}

	#[test]
	fn the_token_leaves_the_target_and_nothing_else_does() {
		assert_eq!(
			take_from_query("/live/a.ts?x=1&URISigningPackage=abc.def.ghi&y=2"),
			Some(("abc.def.ghi".into(), "/live/a.ts?x=1&y=2".into()))
		);
		assert_eq!(take_from_query("/a?URISigningPackage=t"), Some(("t".into(), "/a".into())));
		assert_eq!(
			take_from_query("/a?URISigningPackage=t&URISigningPackage=u"),
			Some(("t".into(), "/a".into()))
		);
		assert_eq!(take_from_query("/a?x=1"), None);
		assert_eq!(take_from_query("/a"), None);
	}
}
