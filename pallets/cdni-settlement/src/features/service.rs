//! A contract's delivery service, configured by its provider with an
//! RFC 8006 `MI.HostIndex` document (`ocm_cdni::metadata`): where relays
//! acquire each host's content and the cache rules they apply.
//!
//! The provider signs the document off chain, so whoever relays it (an
//! upstream CDN through `ocm-router`, or the provider itself) needs no
//! account and pays no fee: `configure_service` is authorized in the pool
//! by [`Pallet::authorize_service`], which checks everything a dispatch
//! would, and again when the block applies it.

use crate::{types::*, Config, Contracts, Event, Pallet, Services};
use frame_support::{
	pallet_prelude::{
		InvalidTransaction, TransactionSource, TransactionValidityWithRefund, ValidTransaction,
	},
	weights::Weight,
};
use sp_runtime::traits::Verify;

/// How long a configuration waits in the pool, at most, in blocks.
const POOL_LONGEVITY: u64 = 64;

impl<T: Config> Pallet<T> {
	/// The chain's genesis hash, which every signed document and receipt binds.
	pub(crate) fn genesis_hash() -> [u8; 32] {
		let hash = frame_system::Pallet::<T>::block_hash(
			frame_system::pallet_prelude::BlockNumberFor::<T>::default(),
		);
		let mut out = [0u8; 32];
		let bytes = hash.as_ref();
		let n = bytes.len().min(32);
		out[..n].copy_from_slice(&bytes[..n]);
		out
	}

	/// Every check a configuration must pass, cheapest first: the contract
	/// runs, the sequence grows, the provider signed it, the document
	/// parses, OCM honours what it must enforce, and it names only the
	/// contract's hosts.
	pub(crate) fn check_service(
		contract: ContractId,
		sequence: u32,
		metadata: &MetadataOf<T>,
		signature: &T::ReceiptSignature,
	) -> Result<(), ServiceRejection> {
		let terms = Contracts::<T>::get(contract).ok_or(ServiceRejection::ContractNotFound)?;
		if Self::now() >= terms.end {
			return Err(ServiceRejection::ContractEnded);
		}
		if Services::<T>::get(contract).is_some_and(|s| s.sequence >= sequence) {
			return Err(ServiceRejection::StaleSequence);
		}
		let payload = ocm_cdni::metadata::signing_payload(
			&Self::genesis_hash(),
			contract,
			sequence,
			metadata,
		);
		if !signature.verify(&payload[..], &terms.provider) {
			return Err(ServiceRejection::BadSignature);
		}
		match ocm_cdni::metadata::for_contract(metadata, &terms.hosts[..]) {
			Ok(_) => Ok(()),
			Err(ocm_cdni::metadata::ServiceError::Metadata(_)) => {
				Err(ServiceRejection::InvalidMetadata)
			}
			Err(ocm_cdni::metadata::ServiceError::HostNotInContract(_)) => {
				Err(ServiceRejection::HostNotInContract)
			}
		}
	}

	/// `configure_service`'s authorization: the pool's verdict.
	pub(crate) fn authorize_service(
		_source: TransactionSource,
		contract: &ContractId,
		sequence: &u32,
		metadata: &MetadataOf<T>,
		signature: &T::ReceiptSignature,
	) -> TransactionValidityWithRefund {
		Self::check_service(*contract, *sequence, metadata, signature)
			.map_err(|rejection| InvalidTransaction::Custom(rejection as u8))?;
		let validity = ValidTransaction::with_tag_prefix("OcmCdniService")
			.and_provides((contract, sequence))
			.longevity(POOL_LONGEVITY)
			.propagate(true)
			.build()?;
		Ok((validity, Weight::zero()))
	}

	/// Stores an authorized configuration over the previous one.
	pub(crate) fn store_service(contract: ContractId, sequence: u32, metadata: MetadataOf<T>) {
		let bytes = metadata.len() as u32;
		Services::<T>::insert(contract, Service { sequence, metadata, configured_at: Self::now() });
		Self::deposit_event(Event::ServiceConfigured { contract, sequence, bytes });
	}
}

/// Why the pool refuses a configuration: `InvalidTransaction::Custom(code)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum ServiceRejection {
	ContractNotFound = 1,
	/// The contract has ended (or was closed and its last period passed).
	ContractEnded = 2,
	/// The service holds this sequence or a later one already.
	StaleSequence = 3,
	/// Not the contract's provider's signature over this document.
	BadSignature = 4,
	/// Not an RFC 8006 document, or mandatory metadata OCM does not honour.
	InvalidMetadata = 5,
	/// The document configures a host the contract does not name.
	HostNotInContract = 6,
}

impl ServiceRejection {
	/// The rejection a pool's `Custom` code stands for.
	pub fn from_code(code: u8) -> Option<Self> {
		[
			Self::ContractNotFound,
			Self::ContractEnded,
			Self::StaleSequence,
			Self::BadSignature,
			Self::InvalidMetadata,
			Self::HostNotInContract,
		]
		.into_iter()
		.find(|r| *r as u8 == code)
	}
}
