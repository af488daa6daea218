//! The board at work: a motion's calls, passing a motion with the dev
//! board's keys (Alice proposes with a threshold of two, Alice and Bob vote
//! aye, Charlie closes), and the motions that give the three-validator
//! local testnet the dev chain's short market cycles.

use ocm_chain_client::{bytes_of, number, Chain, EventFields};
use subxt::{
	dynamic::{self, At, Value},
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

/// An open board motion, as `Council.Proposed` announced it.
pub struct Motion {
	pub hash: [u8; 32],
	pub index: u32,
	/// Encoded length of the proposed call.
	pub len: u32,
}

impl Motion {
	/// The motion of a `Council.Proposed` event with `fields`, proposing a
	/// call `len` bytes long.
	pub fn proposed(fields: &Value, len: u32) -> Result<Self, String> {
		let hash = fields
			.at("proposal_hash")
			.and_then(bytes_of)
			.and_then(|h| h.try_into().ok())
			.ok_or("no 32-byte proposal_hash")?;
		Ok(Self { hash, index: number(fields, "proposal_index")?, len })
	}

	pub fn vote(&self, aye: bool) -> Call {
		dynamic::tx(
			"Council",
			"vote",
			Composite::unnamed([
				Value::from_bytes(self.hash),
				Value::u128(self.index.into()),
				Value::bool(aye),
			]),
		)
	}

	pub fn close(&self) -> Call {
		dynamic::tx(
			"Council",
			"close",
			Composite::unnamed([
				Value::from_bytes(self.hash),
				Value::u128(self.index.into()),
				// Upper bound of the motion's weight; the pallet checks the call fits.
				Value::named_composite([
					("ref_time", Value::u128(10_000_000_000)),
					("proof_size", Value::u128(1_000_000)),
				]),
				Value::u128(self.len.into()),
			]),
		)
	}
}

/// `Council.propose` of `call` (`len` bytes encoded) with a threshold of two.
pub fn propose(call: Call, len: u32) -> Call {
	dynamic::tx(
		"Council",
		"propose",
		Composite::unnamed([Value::u128(2), call.into_value(), Value::u128(len.into())]),
	)
}

/// Passes `call` as a motion of the dev board; returns the close's events,
/// in which the call executed, or why it did not.
pub async fn pass(chain: &Chain, call: Call) -> Result<Vec<EventFields>, String> {
	let at = chain.api.at_current_block().await.map_err(|e| e.to_string())?;
	let len = at.tx().call_data(&call).map_err(|e| e.to_string())?.len() as u32;
	let proposed = chain.submit_signed(&propose(call, len), &dev::alice()).await?;
	let fields = &proposed
		.iter()
		.find(|(p, e, _)| p == "Council" && e == "Proposed")
		.ok_or("no Council.Proposed event")?
		.2;
	let motion = Motion::proposed(fields, len)?;
	chain.submit_signed(&motion.vote(true), &dev::alice()).await?;
	chain.submit_signed(&motion.vote(true), &dev::bob()).await?;
	let closed = chain.submit_signed(&motion.close(), &dev::charlie()).await?;
	let executed = closed
		.iter()
		.find(|(p, e, _)| p == "Council" && e == "Executed")
		.ok_or("the motion did not execute")?;
	match executed.2.at("result").map(|r| &r.value) {
		Some(ValueDef::Variant(v)) if v.name == "Ok" => Ok(closed),
		other => Err(format!("the motion executed with {other:?}")),
	}
}
