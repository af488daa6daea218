//! The key validators probe relays with: an sr25519 application key of its
//! own type, `pobp`, in the node's keystore (a session key of the runtime).

use sp_runtime::KeyTypeId;

/// The keystore's key type for probers.
pub const KEY_TYPE: KeyTypeId = KeyTypeId(*b"pobp");

mod app {
	use sp_runtime::app_crypto::{app_crypto, sr25519};
	app_crypto!(sr25519, super::KEY_TYPE);
}

/// A prober's public key.
pub type ProberId = app::Public;
/// A prober's signature over a probe batch.
pub type ProberSignature = app::Signature;
