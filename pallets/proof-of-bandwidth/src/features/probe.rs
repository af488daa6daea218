//! Validators' probes: each epoch, the off-chain worker of a node holding a
//! prober's `pobp` key fetches the first bytes of every relay-under-test's
//! stream from its registered PoB endpoint and checks them, then submits
//! the outcomes as one authorized transaction. A relay that most probers
//! cannot reach fails its test, whatever the beacons report.

use crate::{
	crypto::{ProberId, ProberSignature},
	types::*,
	Assignments, Call, Config, CurrentEpoch, Event, Pallet, ProbedIn, Probers, Probes,
};
use alloc::{format, string::String, vec::Vec};
use codec::Encode;
use frame_support::{
	pallet_prelude::{
		InvalidTransaction, TransactionSource, TransactionValidityWithRefund, ValidTransaction,
	},
	traits::Get,
	weights::Weight,
	BoundedVec,
};
use frame_system::{
	offchain::{CreateAuthorizedTransaction, SubmitTransaction},
	pallet_prelude::BlockNumberFor,
};
use ocm_pob::payload::{PayloadStream, StreamId};
use ocm_primitives::capacity::RelayRegistry;
use sp_runtime::{
	offchain::{http, Duration},
	traits::Saturating,
	RuntimeAppPublic, SaturatedConversion,
};

/// How long one probe may take.
const PROBE_TIMEOUT_MS: u64 = 3_000;

fn hex(bytes: &[u8]) -> String {
	bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The bytes a prober signs for `batch` on the chain with genesis `genesis`.
pub fn probe_signing_payload<M: Get<u32>>(genesis: &[u8], batch: &ProbeBatch<M>) -> Vec<u8> {
	(PROBE_CONTEXT, genesis, batch).encode()
}

/// The URL of the probe's range of `relay`'s stream at `endpoint`.
pub fn probe_url(endpoint: &[u8], seed: &[u8; 32], relay: RelayId) -> Option<String> {
	let endpoint = core::str::from_utf8(endpoint).ok()?;
	Some(format!(
		"{}/{}/{}/{}",
		endpoint.trim_end_matches('/'),
		hex(seed),
		relay,
		hex(&PROBE_BEACON)
	))
}

/// Fetches and checks the probe's range; sans chain state, for the tests.
pub fn probe(url: &str, seed: [u8; 32], relay: RelayId) -> ProbeOutcome {
	let started = sp_io::offchain::timestamp();
	let deadline = started.add(Duration::from_millis(PROBE_TIMEOUT_MS));
	let range = format!("bytes=0-{}", PROBE_BYTES - 1);
	let pending =
		match http::Request::get(url).add_header("Range", &range).deadline(deadline).send() {
			Ok(pending) => pending,
			Err(_) => return ProbeOutcome::Unreachable,
		};
	let response = match pending.try_wait(deadline) {
		Ok(Ok(response)) => response,
		_ => return ProbeOutcome::Unreachable,
	};
	if !(200..300).contains(&response.code) {
		return ProbeOutcome::Unreachable;
	}
	let body: Vec<u8> = response.body().take(PROBE_BYTES as usize + 1).collect();
	let mut expected = alloc::vec![0u8; PROBE_BYTES as usize];
	PayloadStream::new(&StreamId { epoch_seed: seed, relay, beacon: PROBE_BEACON })
		.fill_at(0, &mut expected);
	if body != expected {
		return ProbeOutcome::WrongPayload;
	}
	let latency = sp_io::offchain::timestamp().diff(&started).millis();
	ProbeOutcome::Reachable { latency_ms: latency.saturated_into() }
}

impl<T: Config> Pallet<T> {
	/// The off-chain worker: once per epoch and prober key held locally.
	pub(crate) fn probe_relays(now: BlockNumberFor<T>) {
		let epoch = CurrentEpoch::<T>::get();
		if epoch.index == 0 || now != epoch.started_at {
			return;
		}
		let probers = Probers::<T>::get();
		let local = ProberId::all();
		let Some((index, key)) = probers
			.iter()
			.enumerate()
			.find(|(_, prober)| local.contains(prober))
			.map(|(i, k)| (i as u32, k.clone()))
		else {
			return;
		};
		if ProbedIn::<T>::get(index) == Some(epoch.index) {
			return;
		}
		let mut results = Vec::new();
		for (relay, _) in Assignments::<T>::iter().take(T::MaxRelaysPerEpoch::get() as usize) {
			let outcome = T::Registry::pob_endpoint(relay)
				.and_then(|endpoint| probe_url(&endpoint, &epoch.seed, relay))
				.map_or(ProbeOutcome::Unreachable, |url| probe(&url, epoch.seed, relay));
			results.push((relay, outcome));
		}
		if results.is_empty() {
			return;
		}
		let batch = ProbeBatch {
			epoch: epoch.index,
			prober: index,
			results: BoundedVec::truncate_from(results),
		};
		let genesis = Self::genesis_hash();
		let Some(signature) = key.sign(&probe_signing_payload(genesis.as_ref(), &batch)) else {
			log::warn!(target: "runtime::pob", "the keystore refused to sign the probes");
			return;
		};
		let call = Call::<T>::submit_probes { batch, signature };
		let xt =
			<T as CreateAuthorizedTransaction<Call<T>>>::create_authorized_transaction(call.into());
		if SubmitTransaction::<T, Call<T>>::submit_transaction(xt).is_err() {
			log::warn!(target: "runtime::pob", "the pool refused the probes of epoch {}", epoch.index);
		}
	}

	pub(crate) fn check_probes(
		batch: &ProbeBatchOf<T>,
		signature: &ProberSignature,
	) -> Result<(), ProbeRejection> {
		let epoch = CurrentEpoch::<T>::get();
		if batch.epoch != epoch.index || epoch.index == 0 {
			return Err(ProbeRejection::WrongEpoch);
		}
		let prober = Probers::<T>::get()
			.get(batch.prober as usize)
			.cloned()
			.ok_or(ProbeRejection::UnknownProber)?;
		if ProbedIn::<T>::get(batch.prober) == Some(epoch.index) {
			return Err(ProbeRejection::Duplicate);
		}
		if batch.results.iter().any(|(relay, _)| !Assignments::<T>::contains_key(relay)) {
			return Err(ProbeRejection::NotUnderTest);
		}
		let genesis = Self::genesis_hash();
		if !prober.verify(&probe_signing_payload(genesis.as_ref(), batch), signature) {
			return Err(ProbeRejection::BadSignature);
		}
		Ok(())
	}

	/// `submit_probes`' authorization: the pool's verdict on a batch.
	pub(crate) fn authorize_probes(
		_source: TransactionSource,
		batch: &ProbeBatchOf<T>,
		signature: &ProberSignature,
	) -> TransactionValidityWithRefund {
		Self::check_probes(batch, signature)
			.map_err(|rejection| InvalidTransaction::Custom(rejection as u8))?;
		let epoch = CurrentEpoch::<T>::get();
		let ends_at = epoch.started_at.saturating_add(T::EpochLength::get());
		let now = frame_system::Pallet::<T>::block_number();
		let validity = ValidTransaction::with_tag_prefix("OcmPobProbes")
			.and_provides((batch.epoch, batch.prober))
			.longevity(ends_at.saturating_sub(now).saturated_into::<u64>().max(1))
			.propagate(true)
			.build()?;
		Ok((validity, Weight::zero()))
	}

	/// Stores an authorized probe batch.
	pub(crate) fn store_probes(batch: ProbeBatchOf<T>) {
		let mut unreachable = 0u32;
		for (relay, outcome) in &batch.results {
			if !matches!(outcome, ProbeOutcome::Reachable { .. }) {
				unreachable += 1;
			}
			Probes::<T>::insert(relay, batch.prober, outcome);
		}
		ProbedIn::<T>::insert(batch.prober, batch.epoch);
		Self::deposit_event(Event::ProbesAccepted {
			epoch: batch.epoch,
			prober: batch.prober,
			relays: batch.results.len() as u32,
			unreachable,
		});
	}

	/// (probes, failed probes) of `relay` this epoch.
	pub(crate) fn probe_tally(relay: RelayId) -> (u32, u32) {
		Probes::<T>::iter_prefix(relay).fold((0, 0), |(all, failed), (_, outcome)| {
			let failed_now = !matches!(outcome, ProbeOutcome::Reachable { .. });
			(all + 1, failed + u32::from(failed_now))
		})
	}
}
