//! `ocm-logs sign-url` and `ocm-logs token-key`: a provider signs its
//! viewers' URLs with a URI Signing key (RFC 9246, EdDSA) that it
//! registered on the contract with `addTokenKey`.

use ocm_cdni::uri_signing::{self, Grant};
use sp_core::{ed25519, Pair};

/// The key from a secret URI (`//Alice`, a mnemonic) or a 0x-prefixed
/// 32-byte hex seed.
pub fn key(secret: &str) -> Result<ed25519::Pair, String> {
	ed25519::Pair::from_string(secret, None).map_err(|e| format!("--key: {e:?}"))
}

/// The public key as `addTokenKey` takes it: 0x and 64 hex digits.
pub fn public_hex(key: &ed25519::Pair) -> String {
	format!("0x{}", ocm_cdni::hex(&key.public().0))
}

/// What a signed URL covers.
pub struct Request<'a> {
	/// The contract URL, `http://<contract host>/<path>[?query]`.
	pub url: &'a str,
	/// `cdniip`: the viewer's address or network.
	pub client: &'a str,
	pub not_before: u64,
	pub valid_for: u64,
	/// Every URL starting with this, instead of `url` alone.
	pub scope_prefix: Option<&'a str>,
	pub id: String,
	pub cookie: bool,
}

/// `url` with a token for `request` in its `URISigningPackage` parameter.
pub fn sign_url(key: &ed25519::Pair, request: &Request<'_>) -> Result<String, String> {
	if uri_signing::Prefix::parse(request.client).is_none() {
		return Err(format!("--client {}: not an address or CIDR prefix", request.client));
	}
	if !request.url.starts_with("http://") {
		return Err("the URL is the contract's, as records carry it: http://<host>/<path>".into());
	}
	let scope = match request.scope_prefix {
		Some(prefix) if request.url.starts_with(prefix) => uri_signing::prefix_container(prefix),
		Some(prefix) => return Err(format!("--scope-prefix {prefix} does not cover the URL")),
		None => uri_signing::hash_container(request.url),
	};
	let grant = Grant {
		id: request.id.clone(),
		not_before: request.not_before,
		expires: request.not_before.saturating_add(request.valid_for),
		client: request.client.to_string(),
		scope,
		cookie: request.cookie,
	};
	let token = uri_signing::mint(&grant, |input| key.sign(input).0);
	let separator = if request.url.contains('?') { '&' } else { '?' };
	Ok(format!("{}{separator}{}={token}", request.url, uri_signing::PACKAGE))
}

#[cfg(test)]
mod tests {
	use super::*;
	use ocm_cdni::uri_signing::{take_from_query, Client, Policy, Token};

	#[test]
	fn a_signed_url_carries_a_token_the_relay_accepts() {
		let key = key("//Provider").unwrap();
		let request = Request {
			url: "http://video.example/live/a.ts?q=1",
			client: "198.51.100.0/24",
			not_before: 1_000,
			valid_for: 600,
			scope_prefix: Some("http://video.example/live/"),
			id: "v1".into(),
			cookie: false,
		};
		let signed = sign_url(&key, &request).unwrap();
		let target = signed.strip_prefix("http://video.example").unwrap();
		let (token, rest) = take_from_query(target).unwrap();
		assert_eq!(rest, "/live/a.ts?q=1");
		let keys = [key.public().0];
		let token = Token::parse(token.as_bytes()).unwrap();
		let policy = Policy { keys: &keys, max_span_secs: 600 };
		let client = Client::Address("198.51.100.4".parse().unwrap());
		assert_eq!(
			token.authorises(policy, client, b"http://video.example/live/b.ts", 1_200),
			Ok("v1")
		);
		assert!(public_hex(&key).starts_with("0x") && public_hex(&key).len() == 66);
		let outside = Request { scope_prefix: Some("http://other.example/"), ..request };
		assert!(sign_url(&key, &outside).is_err());
	}
}
