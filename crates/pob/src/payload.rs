//! The PoB payload: a pseudo-random byte stream that only the test's seed
//! produces, so a relay cannot serve junk, compressible or cached bytes and
//! pass.
//!
//! The stream is BLAKE3 in extendable-output mode, keyed per (epoch seed,
//! relay, beacon) by BLAKE3's key derivation. Any offset can be produced
//! directly (BLAKE3's output is seekable), so a beacon on many parallel
//! connections verifies each range where it lands, and a relay serves any
//! `Range` request without state.

/// Context string of the key derivation; a new one makes every old stream useless.
const CONTEXT: &str = "OCM proof of bandwidth payload v1";

/// Bytes BLAKE3 produces per output block; seeks align to it internally.
const BLOCK: usize = 64;

/// Identifies one test stream.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct StreamId {
	/// The epoch's seed, from on-chain randomness: unknown before the epoch.
	pub epoch_seed: [u8; 32],
	pub relay: u32,
	/// The beacon's account (its public key).
	pub beacon: [u8; 32],
}

impl StreamId {
	fn key(&self) -> [u8; 32] {
		let mut material = [0u8; 32 + 4 + 32];
		material[..32].copy_from_slice(&self.epoch_seed);
		material[32..36].copy_from_slice(&self.relay.to_le_bytes());
		material[36..].copy_from_slice(&self.beacon);
		blake3::derive_key(CONTEXT, &material)
	}
}

/// Produces a stream's bytes at any offset: what the relay serves.
#[derive(Clone)]
pub struct PayloadStream {
	hasher: blake3::Hasher,
}

impl PayloadStream {
	pub fn new(id: &StreamId) -> Self {
		Self { hasher: blake3::Hasher::new_keyed(&id.key()) }
	}

	/// Fills `out` with the stream's bytes from `offset` on.
	pub fn fill_at(&self, offset: u64, out: &mut [u8]) {
		let mut reader = self.hasher.finalize_xof();
		reader.set_position(offset);
		reader.fill(out);
	}
}

/// Checks received bytes against the stream: what the beacon runs on every
/// byte it counts.
#[derive(Clone)]
pub struct PayloadVerifier {
	stream: PayloadStream,
	scratch: [u8; 16 * BLOCK],
}

impl PayloadVerifier {
	pub fn new(id: &StreamId) -> Self {
		Self { stream: PayloadStream::new(id), scratch: [0; 16 * BLOCK] }
	}

	/// Whether `received` is exactly the stream's bytes from `offset` on.
	pub fn verify(&mut self, offset: u64, received: &[u8]) -> bool {
		let mut reader = self.stream.hasher.finalize_xof();
		reader.set_position(offset);
		for chunk in received.chunks(self.scratch.len()) {
			let expected = &mut self.scratch[..chunk.len()];
			reader.fill(expected);
			if expected != chunk {
				return false;
			}
		}
		true
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	fn id(relay: u32) -> StreamId {
		StreamId { epoch_seed: [7; 32], relay, beacon: [9; 32] }
	}

	#[test]
	fn the_stream_is_fixed_by_its_key() {
		// A known answer, so an accidental change of derivation shows up.
		let mut first = [0u8; 16];
		PayloadStream::new(&id(1)).fill_at(0, &mut first);
		let mut again = [0u8; 16];
		PayloadStream::new(&id(1)).fill_at(0, &mut again);
		assert_eq!(first, again);
		let key = blake3::derive_key(
			CONTEXT,
			&[[7u8; 32].as_slice(), &1u32.to_le_bytes(), &[9u8; 32]].concat(),
		);
		let mut direct = [0u8; 16];
		blake3::Hasher::new_keyed(&key).finalize_xof().fill(&mut direct);
		assert_eq!(first, direct);

		let mut other = [0u8; 16];
		PayloadStream::new(&id(2)).fill_at(0, &mut other);
		assert_ne!(first, other, "another relay, another stream");
		let mut other_beacon = [0u8; 16];
		PayloadStream::new(&StreamId { beacon: [8; 32], ..id(1) }).fill_at(0, &mut other_beacon);
		assert_ne!(first, other_beacon, "another beacon, another stream");
	}

	#[test]
	fn any_offset_is_the_same_bytes_as_reading_through() {
		let stream = PayloadStream::new(&id(3));
		let mut whole = vec![0u8; 10_000];
		stream.fill_at(0, &mut whole);
		for (offset, len) in
			[(0usize, 1usize), (1, 63), (63, 2), (64, 64), (1_000, 3_333), (9_999, 1)]
		{
			let mut part = vec![0u8; len];
			stream.fill_at(offset as u64, &mut part);
			assert_eq!(part, whole[offset..offset + len], "offset {offset}");
		}
	}

	#[test]
	fn the_verifier_accepts_the_stream_and_nothing_else() {
		let stream = PayloadStream::new(&id(4));
		let mut verifier = PayloadVerifier::new(&id(4));
		let mut bytes = vec![0u8; 5_000];
		stream.fill_at(12_345, &mut bytes);
		assert!(verifier.verify(12_345, &bytes));
		assert!(!verifier.verify(12_346, &bytes), "right bytes at the wrong offset");
		let mut flipped = bytes.clone();
		flipped[4_321] ^= 1;
		assert!(!verifier.verify(12_345, &flipped), "one flipped bit");
		assert!(!verifier.verify(12_345, &vec![0u8; 5_000]), "zeros (compressible junk)");
		let mut cached = vec![0u8; 5_000];
		PayloadStream::new(&StreamId { epoch_seed: [6; 32], ..id(4) }).fill_at(12_345, &mut cached);
		assert!(!verifier.verify(12_345, &cached), "last epoch's stream, cached");
		assert!(verifier.verify(0, &[]));
	}
}
