//! CDNi settlement as the relay and `ocm-logs` use it: a batch's open
//! claims, and the calls that commit, challenge, dispute and answer, built
//! from `ocm_cdni` types rather than field names at each call site.

use crate::{bytes_of, fetch, items_of, number, AtBlock};
use ocm_cdni::{
	merkle::{InclusionProof, Node},
	Totals,
};
use subxt::{
	dynamic::{self, At, Value},
	ext::scale_value::{Composite, ValueDef},
	transactions::DynamicPayload,
};

/// A batch's address: contract, relay, period.
pub type BatchKey = (u32, u32, u32);

/// What an open claim asks the relay to show.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ClaimAsk {
	/// The record of a request it signed a receipt for.
	Receipt { request_id: Vec<u8>, uri: Vec<u8> },
	/// The record covering this byte offset of the batch.
	Offset(u64),
	/// The URI Signing token named by the record at this leaf index.
	Token { index: u32 },
}

/// A committed batch as the chain holds it until it settles.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CommittedBatch {
	pub root: [u8; 32],
	pub records: u32,
	pub totals: Totals,
	pub log_url: Vec<u8>,
	pub dispute_until: u32,
	pub claims: Vec<ClaimAsk>,
}

fn key_values((contract, relay, period): BatchKey) -> Vec<Value> {
	vec![Value::u128(contract.into()), Value::u128(relay.into()), Value::u128(period.into())]
}

fn key_value(key: BatchKey) -> Value {
	Value::unnamed_composite(key_values(key))
}

/// Decodes a `Totals` value.
pub fn totals_of(value: &Value) -> Result<Totals, String> {
	Ok(Totals {
		bytes: number(value, "bytes")?,
		requests: number(value, "requests")?,
		status_2xx: number(value, "status_2xx")?,
		status_3xx: number(value, "status_3xx")?,
		status_4xx: number(value, "status_4xx")?,
		status_5xx: number(value, "status_5xx")?,
	})
}

/// A `Totals` value for a call.
pub fn totals_value(totals: &Totals) -> Value {
	Value::named_composite([
		("bytes", Value::u128(totals.bytes.into())),
		("requests", Value::u128(totals.requests.into())),
		("status_2xx", Value::u128(totals.status_2xx.into())),
		("status_3xx", Value::u128(totals.status_3xx.into())),
		("status_4xx", Value::u128(totals.status_4xx.into())),
		("status_5xx", Value::u128(totals.status_5xx.into())),
	])
}

fn node_value(node: &Node) -> Value {
	Value::named_composite([
		("hash", Value::from_bytes(node.hash.0)),
		("sum", totals_value(&node.sum)),
	])
}

/// An `InclusionProof` value for a call.
pub fn proof_value(proof: &InclusionProof) -> Value {
	Value::named_composite([
		("index", Value::u128(proof.index.into())),
		("siblings", Value::unnamed_composite(proof.siblings.iter().map(node_value))),
	])
}

fn claim_of(claim: &Value) -> Option<ClaimAsk> {
	let asks = claim.at("asks")?;
	let ValueDef::Variant(variant) = &asks.value else { return None };
	match variant.name.as_str() {
		"Receipt" => Some(ClaimAsk::Receipt {
			request_id: asks.at("request_id").and_then(bytes_of)?,
			uri: asks.at("uri").and_then(bytes_of)?,
		}),
		"Offset" => Some(ClaimAsk::Offset(asks.at(0)?.as_u128()?.try_into().ok()?)),
		"Token" => Some(ClaimAsk::Token { index: asks.at("index")?.as_u128()?.try_into().ok()? }),
		_ => None,
	}
}

/// `CdniSettlement::Batches` at `at`: `None` once settled or voided.
pub async fn batch(at: &AtBlock, key: BatchKey) -> Result<Option<CommittedBatch>, String> {
	let Some(value) = fetch(at, "CdniSettlement", "Batches", key_values(key)).await? else {
		return Ok(None);
	};
	let root = value
		.at("root")
		.and_then(bytes_of)
		.and_then(|b| <[u8; 32]>::try_from(b).ok())
		.ok_or("a batch without a root")?;
	Ok(Some(CommittedBatch {
		root,
		records: number(&value, "records")?,
		totals: totals_of(value.at("totals").ok_or("a batch without totals")?)?,
		log_url: value.at("log_url").and_then(bytes_of).unwrap_or_default(),
		dispute_until: number(&value, "dispute_until")?,
		claims: value
			.at("claims")
			.map(items_of)
			.unwrap_or_default()
			.into_iter()
			.filter_map(claim_of)
			.collect(),
	}))
}

/// `commit_batch`: the relay's operator commits a sealed period.
pub fn commit_batch(
	key: BatchKey,
	root: [u8; 32],
	totals: &Totals,
	log_url: &str,
) -> DynamicPayload<Composite<()>> {
	let commitment = Value::named_composite([
		("root", Value::from_bytes(root)),
		("records", Value::u128(totals.requests.into())),
		("totals", totals_value(totals)),
		("log_url", Value::from_bytes(log_url)),
	]);
	let mut args = key_values(key);
	args.push(commitment);
	dynamic::tx("CdniSettlement", "commit_batch", Composite::unnamed(args))
}

/// A call that takes a batch, a record and its proof.
fn record_call(
	call: &str,
	key: BatchKey,
	record: &[u8],
	proof: &InclusionProof,
) -> DynamicPayload<Composite<()>> {
	dynamic::tx(
		"CdniSettlement",
		call,
		Composite::unnamed([key_value(key), Value::from_bytes(record), proof_value(proof)]),
	)
}

/// `answer_claim`: the relay shows `record` with its proof.
pub fn answer_claim(
	key: BatchKey,
	record: &[u8],
	proof: &InclusionProof,
) -> DynamicPayload<Composite<()>> {
	record_call("answer_claim", key, record, proof)
}

/// `answer_claim_from_next`: the relay shows the record of a receipt claim
/// on `key` from its batch for the next period, with its proof there.
pub fn answer_claim_from_next(
	key: BatchKey,
	record: &[u8],
	proof: &InclusionProof,
) -> DynamicPayload<Composite<()>> {
	record_call("answer_claim_from_next", key, record, proof)
}

/// `challenge_bytes`: the relay must show the record covering `offset`.
pub fn challenge_bytes(key: BatchKey, offset: u64) -> DynamicPayload<Composite<()>> {
	dynamic::tx(
		"CdniSettlement",
		"challenge_bytes",
		Composite::unnamed([key_value(key), Value::u128(offset.into())]),
	)
}

/// `dispute_malformed`: `record` is in the batch and is not a record of it.
pub fn dispute_malformed(
	key: BatchKey,
	record: &[u8],
	proof: &InclusionProof,
) -> DynamicPayload<Composite<()>> {
	record_call("dispute_malformed", key, record, proof)
}

/// `dispute_sums`: the relay's tree holds `leaf` for `record`, and it or
/// the tree's top disagrees with what the record says or was committed.
pub fn dispute_sums(
	key: BatchKey,
	record: &[u8],
	leaf: &Totals,
	proof: &InclusionProof,
) -> DynamicPayload<Composite<()>> {
	dynamic::tx(
		"CdniSettlement",
		"dispute_sums",
		Composite::unnamed([
			key_value(key),
			Value::from_bytes(record),
			totals_value(leaf),
			proof_value(proof),
		]),
	)
}

/// `dispute_unsigned`: `record` is in a batch of a period that required
/// signed requests; without a token id it voids the batch, with one the
/// relay must show the token.
pub fn dispute_unsigned(
	key: BatchKey,
	record: &[u8],
	proof: &InclusionProof,
) -> DynamicPayload<Composite<()>> {
	record_call("dispute_unsigned", key, record, proof)
}

/// `answer_token`: the relay shows the token `record` names.
pub fn answer_token(
	key: BatchKey,
	record: &[u8],
	proof: &InclusionProof,
	token: &[u8],
) -> DynamicPayload<Composite<()>> {
	dynamic::tx(
		"CdniSettlement",
		"answer_token",
		Composite::unnamed([
			key_value(key),
			Value::from_bytes(record),
			proof_value(proof),
			Value::from_bytes(token),
		]),
	)
}

/// `require_signed_requests`: the provider requires tokens (spans of at
/// most `max_span_secs`) from the next period, or (`None`) no longer.
pub fn require_signed_requests(
	contract: u32,
	max_span_secs: Option<u32>,
) -> DynamicPayload<Composite<()>> {
	let span = match max_span_secs {
		Some(s) => Value::variant("Some", Composite::unnamed([Value::u128(s.into())])),
		None => Value::variant("None", Composite::unnamed([])),
	};
	dynamic::tx(
		"CdniSettlement",
		"require_signed_requests",
		Composite::unnamed([Value::u128(contract.into()), span]),
	)
}

/// `add_token_key`: the provider registers an Ed25519 token key.
pub fn add_token_key(contract: u32, key: [u8; 32]) -> DynamicPayload<Composite<()>> {
	dynamic::tx(
		"CdniSettlement",
		"add_token_key",
		Composite::unnamed([Value::u128(contract.into()), Value::from_bytes(key)]),
	)
}

/// A URI Signing key as a contract holds it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenKey {
	pub public: [u8; 32],
	pub from_period: u32,
	pub until_period: Option<u32>,
}

/// A contract's signed-request terms.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RequestSigning {
	pub required_from: Option<u32>,
	pub max_span_secs: u32,
	pub keys: Vec<TokenKey>,
}

impl RequestSigning {
	/// Whether records of `period` must name a token.
	pub fn required_in(&self, period: u32) -> bool {
		self.required_from.is_some_and(|from| from <= period)
	}

	/// The keys whose tokens are good in `period`.
	pub fn keys_in(&self, period: u32) -> Vec<[u8; 32]> {
		self.keys
			.iter()
			.filter(|k| k.from_period <= period && k.until_period.is_none_or(|u| period <= u))
			.map(|k| k.public)
			.collect()
	}
}

fn option_u32(value: Option<&Value>) -> Option<u32> {
	let value = value?;
	let ValueDef::Variant(variant) = &value.value else { return None };
	(variant.name == "Some").then(|| value.at(0)?.as_u128()?.try_into().ok()).flatten()
}

/// `CdniSettlement::RequestSigningTerms` of `contract` at `at`: default
/// (nothing required) when the provider never registered a key.
pub async fn request_signing(at: &AtBlock, contract: u32) -> Result<RequestSigning, String> {
	let Some(value) =
		fetch(at, "CdniSettlement", "RequestSigningTerms", vec![Value::u128(contract.into())])
			.await?
	else {
		return Ok(RequestSigning::default());
	};
	let keys = value
		.at("keys")
		.map(items_of)
		.unwrap_or_default()
		.into_iter()
		.filter_map(|k| {
			Some(TokenKey {
				public: k.at("public").and_then(bytes_of)?.try_into().ok()?,
				from_period: k.at("from_period")?.as_u128()?.try_into().ok()?,
				until_period: option_u32(k.at("until_period")),
			})
		})
		.collect();
	Ok(RequestSigning {
		required_from: option_u32(value.at("required_from")),
		max_span_secs: number(&value, "max_span_secs")?,
		keys,
	})
}

/// A delivery contract as auditors see it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContractView {
	pub id: u32,
	pub hosts: Vec<String>,
	pub start: u32,
	pub end: u32,
	pub period_length: u32,
}

impl ContractView {
	/// The period block `block` falls in (as the pallet computes it).
	pub fn period_at(&self, block: u32) -> u32 {
		block.saturating_sub(self.start) / self.period_length.max(1)
	}

	/// The block `period` ends at (exclusive).
	pub fn period_end(&self, period: u32) -> u32 {
		self.start
			.saturating_add(self.period_length.saturating_mul(period.saturating_add(1)))
			.min(self.end)
	}
}

/// Every contract on chain at `at`.
pub async fn contracts(at: &AtBlock) -> Result<Vec<ContractView>, String> {
	let mut out = Vec::new();
	for (key, contract) in crate::numbered_entries(at, "CdniSettlement", "Contracts").await? {
		let [id] = key[..] else { continue };
		out.push(ContractView {
			id,
			hosts: contract.at("hosts").map(crate::strings_of).unwrap_or_default(),
			start: number(&contract, "start")?,
			end: number(&contract, "end")?,
			period_length: number(&contract, "period_length")?,
		});
	}
	Ok(out)
}

/// The relays that serve `contract` in `period` (joined by then, not left before).
pub async fn members_in(at: &AtBlock, contract: u32, period: u32) -> Result<Vec<u32>, String> {
	let mut out = Vec::new();
	for (key, member) in crate::numbered_entries(at, "CdniSettlement", "Members").await? {
		let [c, relay] = key[..] else { continue };
		let from: u32 = number(&member, "from_period")?;
		let until = option_u32(member.at("until_period"));
		if c == contract && from <= period && until.is_none_or(|u| period <= u) {
			out.push(relay);
		}
	}
	Ok(out)
}

/// `claim_missing`: a request the relay signed a receipt for is claimed
/// missing from `key`'s batch.
pub fn claim_missing(
	key: BatchKey,
	request_id: &[u8],
	uri: &[u8],
	receipt: [u8; 64],
) -> DynamicPayload<Composite<()>> {
	dynamic::tx(
		"CdniSettlement",
		"claim_missing",
		Composite::unnamed([
			key_value(key),
			Value::from_bytes(request_id),
			Value::from_bytes(uri),
			Value::unnamed_variant("Sr25519", [Value::from_bytes(receipt)]),
		]),
	)
}

/// A relay's operator account and HTTP base URL, from the registry.
pub async fn relay_endpoint(
	at: &AtBlock,
	relay: u32,
) -> Result<Option<([u8; 32], String)>, String> {
	let Some(record) =
		fetch(at, "CapacityRegistry", "Relays", vec![Value::u128(relay.into())]).await?
	else {
		return Ok(None);
	};
	let operator = record
		.at("operator")
		.and_then(bytes_of)
		.and_then(|b| <[u8; 32]>::try_from(b).ok())
		.ok_or("a relay without an operator")?;
	let http = record
		.at("endpoints")
		.and_then(|e| e.at("http"))
		.and_then(bytes_of)
		.and_then(|b| String::from_utf8(b).ok())
		.ok_or("a relay without an HTTP endpoint")?;
	Ok(Some((operator, http)))
}
