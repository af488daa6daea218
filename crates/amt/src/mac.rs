//! The relay's response MAC (RFC 7450 §5.3.5): proof that a Membership
//! Update comes from the address and port the relay sent its query to,
//! without the relay keeping state for handshakes that never complete.
//! HMAC-SHA-256 over the gateway's address, port and request nonce, cut to
//! 48 bits. The secret rotates; a MAC made with the previous secret still
//! verifies, so a rotation never drops a gateway between query and update.

use crate::message::Mac;
use hmac::{Hmac, Mac as _};
use sha2::Sha256;
use std::net::{IpAddr, SocketAddr};

#[derive(Clone)]
pub struct MacSecrets {
	current: [u8; 32],
	previous: Option<[u8; 32]>,
}

impl MacSecrets {
	pub fn new(secret: [u8; 32]) -> Self {
		Self { current: secret, previous: None }
	}

	/// `next` signs from now on; the current secret still verifies.
	pub fn rotate(&mut self, next: [u8; 32]) {
		self.previous = Some(core::mem::replace(&mut self.current, next));
	}

	/// The MAC for a query to `gateway` answering a Request with `nonce`.
	pub fn sign(&self, gateway: SocketAddr, nonce: u32) -> Mac {
		mac(&self.current, gateway, nonce)
	}

	/// Whether `given` is the MAC of `gateway` and `nonce` under the
	/// current or the previous secret (compared in constant time).
	pub fn verify(&self, gateway: SocketAddr, nonce: u32, given: &Mac) -> bool {
		let matches = |secret: &[u8; 32]| {
			let expected = mac(secret, gateway, nonce);
			expected.iter().zip(given).fold(0u8, |acc, (a, b)| acc | (a ^ b)) == 0
		};
		matches(&self.current) | self.previous.as_ref().is_some_and(matches)
	}
}

fn mac(secret: &[u8; 32], gateway: SocketAddr, nonce: u32) -> Mac {
	let mut h = <Hmac<Sha256>>::new_from_slice(secret).expect("HMAC takes any key length");
	match gateway.ip() {
		IpAddr::V4(a) => h.update(&a.to_ipv6_mapped().octets()),
		IpAddr::V6(a) => h.update(&a.octets()),
	}
	h.update(&gateway.port().to_be_bytes());
	h.update(&nonce.to_be_bytes());
	let full = h.finalize().into_bytes();
	let mut out = [0; 6];
	out.copy_from_slice(&full[..6]);
	out
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn a_mac_binds_address_port_and_nonce_and_survives_one_rotation() {
		let gateway: SocketAddr = "192.0.2.7:40000".parse().unwrap();
		let mut secrets = MacSecrets::new([1; 32]);
		let mac = secrets.sign(gateway, 42);
		assert!(secrets.verify(gateway, 42, &mac));
		assert!(!secrets.verify(gateway, 43, &mac));
		assert!(!secrets.verify("192.0.2.7:40001".parse().unwrap(), 42, &mac));
		assert!(!secrets.verify("192.0.2.8:40000".parse().unwrap(), 42, &mac));
		secrets.rotate([2; 32]);
		assert!(secrets.verify(gateway, 42, &mac), "the previous secret still verifies");
		assert_ne!(secrets.sign(gateway, 42), mac);
		secrets.rotate([3; 32]);
		assert!(!secrets.verify(gateway, 42, &mac), "two rotations later it does not");
	}
}
