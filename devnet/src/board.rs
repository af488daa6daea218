//! The board at work: passing a motion with the dev board's keys (Alice
//! proposes with a threshold of two, Alice and Bob vote aye, Charlie
//! closes), and the motions that give the three-validator local testnet
//! the dev chain's short market cycles.

use ocm_chain_client::{Chain, EventFields};
use subxt::{
	dynamic::{self, Value},
	ext::scale_value::{Composite, ValueDef},
};
use subxt_signer::sr25519::dev;

use crate::calls::Call;

/// `Governance.set_parameter` of `name` (a `MarketParameter` variant) to `value`.
pub fn set_parameter(name: &str, value: u128) -> Call {
	dynamic::tx(
		"Governance",
		"set_parameter",
		Composite::unnamed([Value::unnamed_variant(name, [Value::u128(value)])]),
	)
}

/// The dev chain's market cycles (its genesis preset): 30 s proof-of-bandwidth
/// epochs tested by three beacons, 20 s log periods and dispute windows.
pub fn dev_cycles() -> Vec<(&'static str, u128)> {
	vec![
		("PobEpochLength", 15),
		("BeaconsPerTest", 3),
		("SettlementPeriod", 10),
		("DisputeWindow", 10),
	]
}

/// Passes `call` as a motion of the dev board; returns the close's events,
/// in which the call executed, or why it did not.
pub async fn pass(chain: &Chain, call: Call) -> Result<Vec<EventFields>, String> {
	let at = chain.api.at_current_block().await.map_err(|e| e.to_string())?;
	let length = at.tx().call_data(&call).map_err(|e| e.to_string())?.len() as u32;
	let propose = dynamic::tx(
		"Council",
		"propose",
		Composite::unnamed([Value::u128(2), call.into_value(), Value::u128(length.into())]),
	);
	let proposed = chain.submit_signed(&propose, &dev::alice()).await?;
	let fields = &proposed
		.iter()
		.find(|(p, e, _)| p == "Council" && e == "Proposed")
		.ok_or("no Council.Proposed event")?
		.2;
	let hash = ocm_chain_client::bytes_of(
		subxt::dynamic::At::at(fields, "proposal_hash").ok_or("no proposal_hash")?,
	)
	.ok_or("a proposal hash that is not bytes")?;
	let index: u32 = ocm_chain_client::number(fields, "proposal_index")?;
	let vote = |aye: bool| {
		dynamic::tx(
			"Council",
			"vote",
			Composite::unnamed([
				Value::from_bytes(&hash),
				Value::u128(index.into()),
				Value::bool(aye),
			]),
		)
	};
	chain.submit_signed(&vote(true), &dev::alice()).await?;
	chain.submit_signed(&vote(true), &dev::bob()).await?;
	let close = dynamic::tx(
		"Council",
		"close",
		Composite::unnamed([
			Value::from_bytes(&hash),
			Value::u128(index.into()),
			// An upper bound of the motion's weight; the pallet checks the call fits.
			Value::named_composite([
				("ref_time", Value::u128(10_000_000_000)),
				("proof_size", Value::u128(1_000_000)),
			]),
			Value::u128(length.into()),
		]),
	);
	let closed = chain.submit_signed(&close, &dev::charlie()).await?;
	let executed = closed
		.iter()
		.find(|(p, e, _)| p == "Council" && e == "Executed")
		.ok_or("the motion did not execute")?;
	match subxt::dynamic::At::at(&executed.2, "result").map(|r| &r.value) {
		Some(ValueDef::Variant(v)) if v.name == "Ok" => Ok(closed),
		other => Err(format!("the motion executed with {other:?}")),
	}
}
