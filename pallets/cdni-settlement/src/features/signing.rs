//! Signed requests: a contract that requires them pays only for records
//! of requests a URI Signing token (RFC 9246, EdDSA; `ocm_cdni::uri_signing`)
//! authorised, from a key its provider registered.
//!
//! The provider registers Ed25519 keys (its own, or one it delegates, such
//! as its request router's) and requires signed requests. A key counts from
//! the next period; a requirement starts, and a revoked key stops, at the
//! first period that begins a whole period after the call, so relays (which
//! read the terms every few seconds) are never caught by a stricter term
//! inside a period they began. A period's records are judged by the terms
//! its relays served it under; a revoked key still judges the periods up
//! to its revocation.
//!
//! A record of a period that required tokens is disputed with its proof
//! ([`Pallet::do_dispute_unsigned`]): without a token id it is proven
//! unauthorised at once and the batch is void; with one, the relay must
//! show the token ([`Pallet::do_answer_token`]), which the runtime checks
//! against the record: a contract key's signature, the span (`nbf`..`exp`,
//! no longer than the contract allows) around the request's arrival, the
//! client network (`cdniip` overlapping `c-groupid`) and the URI scope
//! (`cdniuc` covering `u-uri`). A relay that invented the viewer, forged
//! or altered a token, or replayed a real one outside its bounds has no
//! token to show, and the batch is void at settlement.

use crate::{types::*, Config, Error, Event, Pallet, RequestSigningTerms};
use alloc::vec::Vec;
use frame_support::{ensure, pallet_prelude::DispatchResult, traits::Get};
use ocm_cdni::{
	merkle::InclusionProof,
	record::{decode_nhtab, Settled},
	uri_signing::{self, Client, Policy, Prefix, Token, TokenError},
};
use sp_runtime::traits::{One, Saturating};

/// The longest token span a contract may allow: a week.
pub const MAX_SPAN_SECS: u32 = 7 * 24 * 3_600;

impl<T: Config> Pallet<T> {
	/// The first period that terms set now apply to: the next one, or the
	/// first if the contract has not started.
	fn next_period(contract: &Contract<T>) -> Period {
		if Self::now() < contract.start {
			0
		} else {
			contract.period_at(Self::now()).saturating_add(1)
		}
	}

	/// The first period that starts a whole period from now (0 if that is
	/// before the contract's start). Relays read the terms every few
	/// seconds: a stricter term takes effect only from a period they have
	/// not begun serving, so none catches them in the middle of one.
	fn notice_period(contract: &Contract<T>) -> Period {
		let now = Self::now();
		let length = contract.period_length;
		if now.saturating_add(length) <= contract.start {
			return 0;
		}
		// The smallest p with start + p * length >= now + length.
		contract
			.period_at(now.saturating_add(length).saturating_add(length).saturating_sub(One::one()))
	}

	pub(crate) fn do_require_signed_requests(
		who: T::AccountId,
		id: ContractId,
		max_span_secs: Option<u32>,
	) -> DispatchResult {
		let contract = Self::provider_contract(&who, id)?;
		ensure!(Self::now() < contract.end, Error::<T>::ContractEnded);
		let mut terms = RequestSigningTerms::<T>::get(id).unwrap_or_default();
		match max_span_secs {
			Some(span) => {
				ensure!(span > 0 && span <= MAX_SPAN_SECS, Error::<T>::BadTokenSpan);
				ensure!(!terms.keys.is_empty(), Error::<T>::NoTokenKeys);
				match terms.required_from {
					// A span that shrank would refuse tokens relays already
					// accepted in periods still open to dispute.
					Some(_) => ensure!(span >= terms.max_span_secs, Error::<T>::BadTokenSpan),
					None => terms.required_from = Some(Self::notice_period(&contract)),
				}
				terms.max_span_secs = span;
			}
			// Requiring less never voids an honest batch: at once.
			None => terms.required_from = None,
		}
		RequestSigningTerms::<T>::insert(id, &terms);
		Self::deposit_event(Event::RequestSigningSet {
			contract: id,
			required_from: terms.required_from,
			max_span_secs: terms.max_span_secs,
		});
		Ok(())
	}

	/// Whether a revoked key can no longer judge any record: every batch
	/// of its last period is past its commit, dispute and answer windows.
	fn expired_key(contract: &Contract<T>, key: &TokenKey) -> bool {
		key.until_period.is_some_and(|until| {
			let last_use = contract
				.period_end(until)
				.saturating_add(T::CommitWindow::get())
				.saturating_add(T::DisputeWindow::get())
				.saturating_add(T::AnswerPeriod::get());
			Self::now() > last_use
		})
	}

	pub(crate) fn do_add_token_key(
		who: T::AccountId,
		id: ContractId,
		public: [u8; 32],
	) -> DispatchResult {
		let contract = Self::provider_contract(&who, id)?;
		ensure!(Self::now() < contract.end, Error::<T>::ContractEnded);
		let mut terms = RequestSigningTerms::<T>::get(id).unwrap_or_default();
		ensure!(
			!terms.keys.iter().any(|k| k.public == public && k.until_period.is_none()),
			Error::<T>::TokenKeyExists
		);
		terms.keys.retain(|k| !Self::expired_key(&contract, k));
		let from_period = Self::next_period(&contract);
		terms
			.keys
			.try_push(TokenKey { public, from_period, until_period: None })
			.map_err(|_| Error::<T>::TooManyTokenKeys)?;
		RequestSigningTerms::<T>::insert(id, &terms);
		Self::deposit_event(Event::TokenKeyAdded { contract: id, key: public, from_period });
		Ok(())
	}

	pub(crate) fn do_revoke_token_key(
		who: T::AccountId,
		id: ContractId,
		public: [u8; 32],
	) -> DispatchResult {
		let contract = Self::provider_contract(&who, id)?;
		let mut terms = RequestSigningTerms::<T>::get(id).ok_or(Error::<T>::TokenKeyNotFound)?;
		let position = terms
			.keys
			.iter()
			.position(|k| k.public == public && k.until_period.is_none())
			.ok_or(Error::<T>::TokenKeyNotFound)?;
		// Good until the notice runs out: relays accepted it in the periods
		// they began serving.
		let until = Self::notice_period(&contract).checked_sub(1);
		match until {
			Some(until) if terms.keys.get(position).is_some_and(|k| until >= k.from_period) => {
				if let Some(key) = terms.keys.get_mut(position) {
					key.until_period = Some(until);
				}
			}
			// Never in force: gone, unless it is the last key of a requirement.
			_ => {
				ensure!(
					terms.required_from.is_none() || terms.keys.len() > 1,
					Error::<T>::NoTokenKeys
				);
				terms.keys.remove(position);
			}
		}
		RequestSigningTerms::<T>::insert(id, &terms);
		Self::deposit_event(Event::TokenKeyRevoked {
			contract: id,
			key: public,
			last_period: until,
		});
		Ok(())
	}

	/// The contract's terms, if it required tokens in `period`.
	fn required_in(id: ContractId, period: Period) -> Option<RequestSigning<T>> {
		RequestSigningTerms::<T>::get(id)
			.filter(|terms| terms.required_from.is_some_and(|from| from <= period))
	}

	pub(crate) fn do_dispute_unsigned(
		who: T::AccountId,
		key: BatchKey,
		record: Vec<u8>,
		proof: InclusionProof,
	) -> DispatchResult {
		let (contract, batch) = Self::disputable(&who, key)?;
		Self::prove(&batch, &record, &proof)?;
		ensure!(Self::required_in(key.0, key.2).is_some(), Error::<T>::SigningNotRequired);
		let settled = match Settled::parse(&record) {
			Ok(settled) if Self::belongs(&contract, &record) => settled,
			// Not even one of the contract's records: proven here.
			_ => {
				Self::void(key, batch, VoidReason::MalformedRecord { index: proof.index });
				return Ok(());
			}
		};
		if settled.token_id.is_none() {
			Self::void(key, batch, VoidReason::Unsigned { index: proof.index });
			return Ok(());
		}
		ensure!(
			!batch
				.claims
				.iter()
				.any(|c| matches!(c.asks, ClaimAsk::Token { index } if index == proof.index)),
			Error::<T>::ClaimExists
		);
		Self::add_claim(who, key, &contract, batch, ClaimAsk::Token { index: proof.index })
	}

	pub(crate) fn do_answer_token(
		who: T::AccountId,
		key: BatchKey,
		record: Vec<u8>,
		proof: InclusionProof,
		token: Vec<u8>,
	) -> DispatchResult {
		let mut batch = Self::operated(&who, key)?;
		Self::prove(&batch, &record, &proof)?;
		let position = batch
			.claims
			.iter()
			.position(|c| matches!(c.asks, ClaimAsk::Token { index } if index == proof.index))
			.ok_or(Error::<T>::ClaimNotFound)?;
		ensure!(Self::now() <= batch.claims[position].answer_by, Error::<T>::AnswerTooLate);
		// A provider that stopped requiring tokens cannot leave the claim
		// unanswerable: without the requirement it closes on any answer.
		if let Some(terms) = Self::required_in(key.0, key.2) {
			Self::check_token(&terms, key.2, &record, &token)?;
		}
		let claim = batch.claims.remove(position);
		Self::close_claims(key, batch, alloc::vec![claim], proof.index)
	}

	/// Whether `token` authorised the request `record` states, under the
	/// terms and keys in force in `period`.
	fn check_token(
		terms: &RequestSigning<T>,
		period: Period,
		record: &[u8],
		token: &[u8],
	) -> Result<(), Error<T>> {
		let settled = Settled::parse(record).map_err(|_| Error::<T>::TokenMismatch)?;
		let token_id = settled.token_id.as_deref().ok_or(Error::<T>::TokenMismatch)?;
		let token = Token::parse(token).map_err(Error::<T>::from_token)?;
		ensure!(token.claims.id.as_bytes() == token_id, Error::<T>::TokenMismatch);
		let keys: Vec<[u8; 32]> = terms
			.keys
			.iter()
			.filter(|k| k.from_period <= period && k.until_period.is_none_or(|u| period <= u))
			.map(|k| k.public)
			.collect();
		let group = settled
			.client_group
			.and_then(|g| core::str::from_utf8(g).ok())
			.and_then(Prefix::parse)
			.ok_or(Error::<T>::TokenOtherClient)?;
		let started = settled.started_secs.ok_or(Error::<T>::TokenOutOfSpan)?;
		let uri = decode_nhtab(settled.uri).ok_or(Error::<T>::TokenOutOfScope)?;
		token
			.authorises(
				Policy { keys: &keys, max_span_secs: u64::from(terms.max_span_secs) },
				Client::Group(group),
				&uri,
				started,
			)
			.map(|_| ())
			.map_err(Error::<T>::from_token)
	}
}

impl<T: Config> Error<T> {
	/// A token's refusal, by the pallet error that names it.
	fn from_token(e: TokenError) -> Self {
		match e {
			TokenError::TooLong
			| TokenError::Malformed
			| TokenError::UnknownAlgorithm
			| TokenError::Unsupported
			| TokenError::BadId
			| TokenError::NoSpan
			| TokenError::NoClientBinding
			| TokenError::NoScope => Error::<T>::TokenMalformed,
			TokenError::BadSignature => Error::<T>::TokenSignatureInvalid,
			TokenError::SpanTooLong | TokenError::NotYetValid | TokenError::Expired => {
				Error::<T>::TokenOutOfSpan
			}
			TokenError::OtherClient => Error::<T>::TokenOtherClient,
			TokenError::OutOfScope => Error::<T>::TokenOutOfScope,
		}
	}
}

/// The longest token `answer_token` reads.
pub const MAX_TOKEN: u32 = uri_signing::MAX_TOKEN as u32;
