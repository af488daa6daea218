//! Configuring a contract's delivery service with a signed RFC 8006 document.

use super::*;
use crate::{Contracts, Services};
use frame_support::{
	assert_noop,
	pallet_prelude::{InvalidTransaction, TransactionSource, TransactionValidityError},
	traits::Authorize,
};
use sp_core::{sr25519, Pair};
use sp_keyring::Sr25519Keyring;
use sp_runtime::{traits::Dispatchable, MultiSignature};

/// A document for [`HOST`]: a source and a cache policy.
fn document(internal_seconds: u32) -> Vec<u8> {
	serde_json::to_vec(&serde_json::json!({ "hosts": [{
		"host": HOST,
		"host-metadata": { "metadata": [
			{ "generic-metadata-type": "MI.SourceMetadata",
			  "generic-metadata-value": { "sources": [{ "endpoints": ["origin.example.com:8080"], "protocol": "http/1.1" }] } },
			{ "generic-metadata-type": "MI.CachePolicy",
			  "generic-metadata-value": { "internal": internal_seconds } }
		] }
	}]}))
	.unwrap()
}

fn sign(contract: ContractId, sequence: u32, doc: &[u8], signer: &sr25519::Pair) -> MultiSignature {
	let genesis: [u8; 32] = System::block_hash(0).into();
	let payload = ocm_cdni::metadata::signing_payload(&genesis, contract, sequence, doc);
	MultiSignature::Sr25519(signer.sign(&payload))
}

/// What the pool and block execution do: authorize, then dispatch with the
/// `Authorized` origin.
fn configure(
	contract: ContractId,
	sequence: u32,
	doc: &[u8],
	signature: MultiSignature,
) -> Result<(), TransactionValidityError> {
	let call = RuntimeCall::Settlement(crate::Call::configure_service {
		contract,
		sequence,
		metadata: doc.to_vec().try_into().expect("within MaxMetadataLen"),
		signature,
	});
	call.authorize(TransactionSource::External).expect("configure_service is authorized")?;
	call.dispatch(frame_system::RawOrigin::Authorized.into())
		.expect("an authorized configuration applies");
	Ok(())
}

fn rejected(code: ServiceRejection) -> Result<(), TransactionValidityError> {
	Err(TransactionValidityError::Invalid(InvalidTransaction::Custom(code as u8)))
}

fn alice() -> sr25519::Pair {
	Sr25519Keyring::Alice.pair()
}

#[test]
fn the_provider_configures_its_service_and_replaces_it_with_a_later_sequence() {
	run(|| {
		let id = open(terms());
		let first = document(60);
		assert_eq!(configure(id, 1, &first, sign(id, 1, &first, &alice())), Ok(()));
		let stored = Services::<Test>::get(id).unwrap();
		assert_eq!(
			(stored.sequence, &stored.metadata[..], stored.configured_at),
			(1, &first[..], 1)
		);
		assert_eq!(
			events().last(),
			Some(&Event::ServiceConfigured {
				contract: id,
				sequence: 1,
				bytes: first.len() as u32
			})
		);
		// The same sequence again, or an older one, is a replay.
		let second = document(5);
		assert_eq!(
			configure(id, 1, &second, sign(id, 1, &second, &alice())),
			rejected(ServiceRejection::StaleSequence)
		);
		System::set_block_number(4);
		assert_eq!(configure(id, 7, &second, sign(id, 7, &second, &alice())), Ok(()));
		let stored = Services::<Test>::get(id).unwrap();
		assert_eq!(
			(stored.sequence, &stored.metadata[..], stored.configured_at),
			(7, &second[..], 4)
		);
		assert_eq!(
			configure(id, 3, &first, sign(id, 3, &first, &alice())),
			rejected(ServiceRejection::StaleSequence)
		);
	});
}

#[test]
fn bad_configurations_are_refused_in_the_pool_and_change_nothing() {
	run(|| {
		let id = open(terms());
		let doc = document(60);
		// Signed by someone else, or for another contract or sequence.
		let eve = Sr25519Keyring::Eve.pair();
		assert_eq!(
			configure(id, 1, &doc, sign(id, 1, &doc, &eve)),
			rejected(ServiceRejection::BadSignature)
		);
		assert_eq!(
			configure(id, 1, &doc, sign(id + 1, 1, &doc, &alice())),
			rejected(ServiceRejection::BadSignature)
		);
		assert_eq!(
			configure(id, 2, &doc, sign(id, 1, &doc, &alice())),
			rejected(ServiceRejection::BadSignature)
		);
		// Signed, but not a document OCM can honour.
		for bad in [
			&b"{\"hosts\": "[..],
			br#"{"hosts":[{"host":"video.example.com","host-metadata":{"metadata":[{"generic-metadata-type":"MI.LocationACL","generic-metadata-value":{}}]}}]}"#,
		] {
			assert_eq!(configure(id, 1, bad, sign(id, 1, bad, &alice())), rejected(ServiceRejection::InvalidMetadata));
		}
		// A host the provider owns but the contract does not name.
		let other = br#"{"hosts":[{"host":"img.example.com","host-metadata":{}}]}"#;
		assert_eq!(
			configure(id, 1, other, sign(id, 1, other, &alice())),
			rejected(ServiceRejection::HostNotInContract)
		);
		// No such contract.
		assert_eq!(
			configure(id + 9, 1, &doc, sign(id + 9, 1, &doc, &alice())),
			rejected(ServiceRejection::ContractNotFound)
		);
		assert!(Services::<Test>::get(id).is_none());
		// Ended.
		let end = Contracts::<Test>::get(id).unwrap().end;
		System::set_block_number(end);
		assert_eq!(
			configure(id, 1, &doc, sign(id, 1, &doc, &alice())),
			rejected(ServiceRejection::ContractEnded)
		);
		assert!(Services::<Test>::get(id).is_none());
		assert!(!events().iter().any(|e| matches!(e, Event::ServiceConfigured { .. })));
	});
}

#[test]
fn only_the_authorized_origin_dispatches() {
	run(|| {
		let id = open(terms());
		let doc = document(60);
		let signature = sign(id, 1, &doc, &alice());
		assert_noop!(
			Settlement::configure_service(
				RuntimeOrigin::signed(provider()),
				id,
				1,
				doc.try_into().unwrap(),
				signature
			),
			sp_runtime::DispatchError::BadOrigin
		);
	});
}

#[test]
fn refund_removes_the_service_with_its_contract() {
	run(|| {
		let id = open(terms());
		let doc = document(60);
		assert_eq!(configure(id, 1, &doc, sign(id, 1, &doc, &alice())), Ok(()));
		let end = Contracts::<Test>::get(id).unwrap().end;
		System::set_block_number(end + COMMIT_WINDOW);
		assert_ok!(Settlement::refund(RuntimeOrigin::signed(stranger()), id));
		assert!(Services::<Test>::get(id).is_none());
	});
}

#[test]
fn rejection_codes_round_trip() {
	for code in 0..=255u8 {
		if let Some(r) = ServiceRejection::from_code(code) {
			assert_eq!(r as u8, code);
		}
	}
	assert_eq!(ServiceRejection::from_code(6), Some(ServiceRejection::HostNotInContract));
	assert_eq!(ServiceRejection::from_code(0), None);
}
