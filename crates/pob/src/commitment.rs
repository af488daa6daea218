//! Commit, then reveal: a beacon's unicast report is first committed as a
//! digest and only revealed once every assigned beacon had its chance to
//! commit.
//!
//! The attack it stops: reports are public as they reach the pool. Without
//! commitments a lazy beacon (one that never measured) could wait for the
//! others' reports and submit their median, earning its reward and never
//! being overruled; a colluder could shape its report to the honest ones,
//! placing it just under the verdict's cap. With commitments, every report
//! is fixed before any is seen: a beacon that did not measure commits a
//! guess, and a copy made after the reveals open matches no commitment.
//!
//! Timeline of an epoch, in the chain's clock (block timestamps):
//!
//! ```text
//! lead | unicast window | gap | multicast window | grace | reveals ... epoch end
//!                       ^ commits open                    ^ commits close, reveals open
//! ```
//!
//! Commits run while the multicast window does (the beacons' links are then
//! idle of unicast traffic) and a grace block after; reveals follow.

use crate::multicast;

/// The domain of a commitment's digest.
pub const CONTEXT: &[u8; 16] = b"ocm/pob/commit/1";

/// The domain of a commitment's signature: the beacon signs
/// `(SIGNING_CONTEXT, genesis hash, commitment)` SCALE-encoded.
pub const SIGNING_CONTEXT: &[u8; 16] = b"ocm/pob/cmtsig/1";

/// What a beacon commits to: BLAKE3 over the context, a secret salt and the
/// report as it will be revealed (SCALE-encoded). The salt is fixed-length
/// and comes first, so no two (salt, report) pairs share an input; without
/// it, the few likely reports could be tried against a digest.
pub fn digest(salt: &[u8; 32], encoded_report: &[u8]) -> [u8; 32] {
	let mut hasher = blake3::Hasher::new();
	hasher.update(CONTEXT);
	hasher.update(salt);
	hasher.update(encoded_report);
	*hasher.finalize().as_bytes()
}

/// When commitments may be sent (Unix milliseconds): from the end of the
/// unicast window, when the measurement is complete.
pub const fn commits_from_ms(window_start_ms: u64, window_secs: u32) -> u64 {
	window_start_ms.saturating_add(window_secs as u64 * 1_000)
}

/// How long commitments stay open after the multicast window has ended:
/// a block of OCM's 2 s chains, so a commitment sent late in the window
/// (its beacon busy, or its block slow to come) still reaches a block.
pub const GRACE_MS: u64 = 2_000;

/// When commitments close and reveals open: a grace block after the end of
/// the multicast window.
pub const fn reveals_from_ms(window_start_ms: u64, window_secs: u32) -> u64 {
	multicast::window_end_ms(window_start_ms, window_secs).saturating_add(GRACE_MS)
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn the_digest_binds_salt_and_report() {
		let salt = [7u8; 32];
		let d = digest(&salt, b"report");
		assert_eq!(d, digest(&salt, b"report"));
		assert_ne!(d, digest(&[8u8; 32], b"report"), "another salt");
		assert_ne!(d, digest(&salt, b"reporT"), "another report");
		assert_ne!(d, *blake3::hash(b"report").as_bytes(), "the context is part of it");
	}

	#[test]
	fn commits_close_a_block_after_the_multicast_window_ends() {
		let (start, secs) = (1_000_000, 10);
		assert_eq!(commits_from_ms(start, secs), 1_010_000);
		assert_eq!(reveals_from_ms(start, secs), 1_010_000 + multicast::GAP_MS + 5_000 + GRACE_MS);
		assert!(commits_from_ms(start, secs) < reveals_from_ms(start, secs));
	}
}
