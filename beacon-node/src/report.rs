//! The report a beacon signs and the commitment that precedes it, sans I/O.
//! `ProofOfBandwidth::commit_report` and `submit_report` are authorized by
//! the pallet from their own signatures, so they travel as general
//! extrinsics (`ocm_chain_client::general`).

use codec::Encode;

pub use ocm_pob::REPORT_CONTEXT;

/// What the beacon measured.
#[derive(Clone, Debug, PartialEq, Eq, Encode)]
pub struct Report {
	pub epoch: u32,
	pub relay: u32,
	pub beacon: [u8; 32],
	pub bytes_per_second: Vec<u64>,
}

/// The bytes a beacon signs: `(REPORT_CONTEXT, genesis hash, report)`,
/// SCALE-encoded as the pallet's `signing_payload` does.
pub fn signing_payload(genesis: &[u8; 32], report: &Report) -> Vec<u8> {
	(REPORT_CONTEXT, &genesis[..], report).encode()
}

/// A commitment to `report` under a secret `salt`: what the beacon sends
/// once its window ends, before anyone's report is public.
#[derive(Clone, Debug, PartialEq, Eq, Encode)]
pub struct Commitment {
	pub epoch: u32,
	pub relay: u32,
	pub beacon: [u8; 32],
	pub digest: [u8; 32],
}

impl Commitment {
	pub fn to(report: &Report, salt: &[u8; 32]) -> Self {
		Self {
			epoch: report.epoch,
			relay: report.relay,
			beacon: report.beacon,
			digest: ocm_pob::commitment::digest(salt, &report.encode()),
		}
	}
}

/// The bytes a beacon signs for a commitment, as the pallet's
/// `commitment_signing_payload` does.
pub fn commitment_signing_payload(genesis: &[u8; 32], commitment: &Commitment) -> Vec<u8> {
	(ocm_pob::commitment::SIGNING_CONTEXT, &genesis[..], commitment).encode()
}

/// A fresh secret salt: without one, the few plausible reports could be
/// hashed until one matched a commitment.
pub fn salt() -> Result<[u8; 32], String> {
	let mut salt = [0u8; 32];
	getrandom::fill(&mut salt).map_err(|e| format!("no randomness for a salt: {e}"))?;
	Ok(salt)
}

/// What of its relay's multicast test reached the beacon.
#[derive(Clone, Debug, PartialEq, Eq, Encode)]
pub struct MulticastReport {
	pub epoch: u32,
	pub relay: u32,
	pub beacon: [u8; 32],
	/// Distinct test objects rebuilt whose every byte checked.
	pub objects: u32,
	/// ALC bytes of the channel received in the multicast window.
	pub bytes: u64,
}

/// The bytes a beacon signs for a multicast report, as the pallet's
/// `multicast_signing_payload` does.
pub fn multicast_signing_payload(genesis: &[u8; 32], report: &MulticastReport) -> Vec<u8> {
	(ocm_pob::multicast::REPORT_CONTEXT, &genesis[..], report).encode()
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn the_signing_payload_is_context_genesis_then_the_report() {
		let report =
			Report { epoch: 7, relay: 2, beacon: [0xbb; 32], bytes_per_second: vec![1, 256] };
		let payload = signing_payload(&[0xaa; 32], &report);
		let mut expected = b"ocm/pob/report/1".to_vec();
		expected.push(32 << 2); // compact length of the genesis hash
		expected.extend([0xaa; 32]);
		expected.extend(7u32.to_le_bytes());
		expected.extend(2u32.to_le_bytes());
		expected.extend([0xbb; 32]);
		expected.push(2 << 2); // compact count of seconds
		expected.extend(1u64.to_le_bytes());
		expected.extend(256u64.to_le_bytes());
		assert_eq!(payload, expected);
	}

	#[test]
	fn a_commitment_binds_the_report_its_salt_and_its_place() {
		let report =
			Report { epoch: 7, relay: 2, beacon: [0xbb; 32], bytes_per_second: vec![1, 256] };
		let fixed = [3; 32];
		let commitment = Commitment::to(&report, &fixed);
		assert_eq!((commitment.epoch, commitment.relay, commitment.beacon), (7, 2, [0xbb; 32]));
		assert_eq!(commitment.digest, ocm_pob::commitment::digest(&fixed, &report.encode()));
		assert_ne!(commitment.digest, Commitment::to(&report, &[4; 32]).digest);
		let payload = commitment_signing_payload(&[0xaa; 32], &commitment);
		assert!(payload.starts_with(b"ocm/pob/cmtsig/1"));
		assert!(payload.ends_with(&commitment.digest));
		assert_ne!(salt().unwrap(), salt().unwrap(), "salts are random");
	}

	#[test]
	fn the_multicast_signing_payload_has_its_own_context() {
		let report =
			MulticastReport { epoch: 7, relay: 2, beacon: [0xbb; 32], objects: 39, bytes: 1 << 20 };
		let payload = multicast_signing_payload(&[0xaa; 32], &report);
		let mut expected = b"ocm/pob/mreach/1".to_vec();
		expected.push(32 << 2);
		expected.extend([0xaa; 32]);
		expected.extend(7u32.to_le_bytes());
		expected.extend(2u32.to_le_bytes());
		expected.extend([0xbb; 32]);
		expected.extend(39u32.to_le_bytes());
		expected.extend((1u64 << 20).to_le_bytes());
		assert_eq!(payload, expected);
	}
}
