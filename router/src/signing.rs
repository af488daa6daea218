//! Delegated URI Signing (RFC 9246): a router whose key a provider
//! registered on its contract (`addTokenKey`) adds a token to each player
//! redirect, so a contract that requires signed requests serves players the
//! router sent, and the relay cannot bill viewers nobody sent.
//!
//! Each token names the player's network (its /24 or /48, the group its
//! record carries: the token can reach the chain when a record is
//! disputed, and a full address would not belong there), the directory of
//! the requested path (an HLS playlist's segments sit beside it) and a
//! span; it asks the relay to carry it on in a cookie, which players send
//! with a playlist's relative segment URLs.

use ocm_cdni::uri_signing::{self, Grant};
use sp_core::{ed25519, Pair};
use std::{
	net::IpAddr,
	sync::atomic::{AtomicU64, Ordering},
};

pub struct TokenSigner {
	key: ed25519::Pair,
	valid_for: u64,
	/// Token ids: this process's start and a counter, unique across restarts.
	boot: u64,
	counter: AtomicU64,
}

impl TokenSigner {
	/// A signer with `key`'s tokens good for `valid_for` seconds.
	pub fn new(key: ed25519::Pair, valid_for: u64, boot: u64) -> Self {
		TokenSigner { key, valid_for, boot, counter: AtomicU64::new(0) }
	}

	/// The key providers register with `addTokenKey`.
	pub fn public(&self) -> [u8; 32] {
		self.key.public().0
	}

	/// `location` (a relay's URL for `path_and_query` of `host`) with a
	/// token for `client`, valid from `now` (Unix seconds).
	pub fn sign(
		&self,
		location: &str,
		host: &str,
		path_and_query: &str,
		client: IpAddr,
		now: u64,
	) -> String {
		let path = path_and_query.split(['?', '#']).next().unwrap_or("/");
		let directory = &path[..path.rfind('/').map_or(0, |i| i + 1)];
		let directory = if directory.is_empty() { "/" } else { directory };
		let n = self.counter.fetch_add(1, Ordering::Relaxed);
		let grant = Grant {
			id: format!("r{:x}-{n:x}", self.boot),
			// Issuers' and relays' clocks differ by a few seconds.
			not_before: now.saturating_sub(uri_signing::CLOCK_SKEW_SECS),
			expires: now.saturating_add(self.valid_for),
			client: ocm_cdni::privacy::client_group(client),
			scope: uri_signing::prefix_container(&format!("http://{host}{directory}")),
			cookie: true,
		};
		let token = uri_signing::mint(&grant, |input| self.key.sign(input).0);
		let separator = if location.contains('?') { '&' } else { '?' };
		format!("{location}{separator}{}={token}", uri_signing::PACKAGE)
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use ocm_cdni::uri_signing::{take_from_query, Client, Policy, Token};

	#[test]
	fn a_redirect_carries_a_token_for_the_players_network_and_directory() {
		let signer = TokenSigner::new(ed25519::Pair::from_seed(&[3; 32]), 600, 7);
		let location = signer.sign(
			"http://relay.example:8080/cdn/live.example/live/index.m3u8?x=1",
			"live.example",
			"/live/index.m3u8?x=1",
			"198.51.100.20".parse().unwrap(),
			10_000,
		);
		let target = location.strip_prefix("http://relay.example:8080/cdn/live.example").unwrap();
		let (token, rest) = take_from_query(target).unwrap();
		assert_eq!(rest, "/live/index.m3u8?x=1");
		let token = Token::parse(token.as_bytes()).unwrap();
		assert!(token.claims.cookie);
		let keys = [signer.public()];
		let policy = Policy { keys: &keys, max_span_secs: 630 };
		let neighbour = Client::Address("198.51.100.99".parse().unwrap());
		// A segment beside the playlist, from the player's network.
		assert!(token
			.authorises(policy, neighbour, b"http://live.example/live/3.ts", 10_100)
			.is_ok());
		assert!(token
			.authorises(policy, neighbour, b"http://live.example/vod/3.ts", 10_100)
			.is_err());
		let elsewhere = Client::Address("203.0.113.1".parse().unwrap());
		assert!(token
			.authorises(policy, elsewhere, b"http://live.example/live/3.ts", 10_100)
			.is_err());
		// Each token has its own id.
		let again = signer.sign("http://r/cdn/h/a", "h", "/a", "198.51.100.20".parse().unwrap(), 1);
		let (second, _) = take_from_query(again.strip_prefix("http://r/cdn/h").unwrap()).unwrap();
		assert_ne!(Token::parse(second.as_bytes()).unwrap().claims.id, token.claims.id);
	}
}
