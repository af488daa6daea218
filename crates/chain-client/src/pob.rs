//! Proof-of-bandwidth state that both the relay and the beacon read: the
//! epoch in progress and multicast test channels.

use crate::{bytes_of, fetch, number, AtBlock};
use std::net::{IpAddr, SocketAddr};
use subxt::{
	dynamic::{At, Value},
	ext::scale_value::ValueDef,
};

/// The epoch in progress, as the pallet stores it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EpochView {
	pub index: u32,
	pub seed: [u8; 32],
	pub window_start_ms: u64,
	pub window_secs: u32,
}

/// `ProofOfBandwidth::CurrentEpoch` at `at`; `None` before the first epoch.
pub async fn epoch(at: &AtBlock) -> Result<Option<EpochView>, String> {
	let Some(epoch) = fetch(at, "ProofOfBandwidth", "CurrentEpoch", vec![]).await? else {
		return Ok(None);
	};
	let seed = epoch
		.at("seed")
		.and_then(bytes_of)
		.and_then(|b| <[u8; 32]>::try_from(b).ok())
		.ok_or("an epoch without a seed")?;
	Ok(Some(EpochView {
		index: number(&epoch, "index")?,
		seed,
		window_start_ms: number(&epoch, "window_start_ms")?,
		window_secs: number(&epoch, "window_secs")?,
	}))
}

/// A relay's multicast test channel: the SSM channel and the AMT relay
/// that tunnels it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TestChannel {
	pub amt_relay: SocketAddr,
	pub source: IpAddr,
	pub group: SocketAddr,
}

impl TestChannel {
	/// The pallet's `MulticastChannel`, as a call argument.
	pub fn to_value(&self) -> Value {
		let ip = |ip: IpAddr| match ip {
			IpAddr::V4(a) => Value::unnamed_variant("V4", [Value::from_bytes(a.octets())]),
			IpAddr::V6(a) => Value::unnamed_variant("V6", [Value::from_bytes(a.octets())]),
		};
		Value::named_composite([
			("amt_relay", ip(self.amt_relay.ip())),
			("amt_port", Value::u128(self.amt_relay.port().into())),
			("source", ip(self.source)),
			("group", ip(self.group.ip())),
			("port", Value::u128(self.group.port().into())),
		])
	}

	fn from_value(channel: &Value) -> Result<Self, String> {
		let ip = |field: &str| {
			channel
				.at(field)
				.and_then(ip_of)
				.ok_or_else(|| format!("no address {field} in {channel}"))
		};
		let amt_port: u16 = number(channel, "amt_port")?;
		let port: u16 = number(channel, "port")?;
		Ok(Self {
			amt_relay: SocketAddr::new(ip("amt_relay")?, amt_port),
			source: ip("source")?,
			group: SocketAddr::new(ip("group")?, port),
		})
	}
}

/// An `IpAddress` of the pallet: `V4([u8; 4])` or `V6([u8; 16])`.
fn ip_of(value: &Value) -> Option<IpAddr> {
	let ValueDef::Variant(variant) = &value.value else { return None };
	let bytes = bytes_of(variant.values.values().next()?)?;
	match variant.name.as_str() {
		"V4" => <[u8; 4]>::try_from(bytes).ok().map(IpAddr::from),
		"V6" => <[u8; 16]>::try_from(bytes).ok().map(IpAddr::from),
		_ => None,
	}
}

/// The channel `relay` announced (`MulticastChannels`), if any.
pub async fn announced_channel(at: &AtBlock, relay: u32) -> Result<Option<TestChannel>, String> {
	channel_in(at, "MulticastChannels", relay).await
}

/// `relay`'s multicast test in the current epoch (`MulticastTests`): the
/// channel as the epoch's opening copied it, if the relay is tested and
/// announced one.
pub async fn multicast_test(at: &AtBlock, relay: u32) -> Result<Option<TestChannel>, String> {
	channel_in(at, "MulticastTests", relay).await
}

async fn channel_in(at: &AtBlock, item: &str, relay: u32) -> Result<Option<TestChannel>, String> {
	match fetch(at, "ProofOfBandwidth", item, vec![Value::u128(relay.into())]).await? {
		Some(channel) => TestChannel::from_value(&channel).map(Some),
		None => Ok(None),
	}
}

/// A relay's test in the current epoch, as the epoch's opening drew it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TestView {
	/// The claim under test, link Mbit/s.
	pub claimed_mbps: u32,
	/// Each beacon's account and its link as the draw saw it: its reports
	/// are checked against that link.
	pub links: Vec<([u8; 32], u32)>,
}

impl TestView {
	/// How many beacons measure it together.
	pub fn beacons(&self) -> u32 {
		self.links.len() as u32
	}

	/// `beacon`'s link as the draw saw it, if it is one of the test's.
	pub fn link_of(&self, beacon: [u8; 32]) -> Option<u32> {
		self.links.iter().find(|(account, _)| *account == beacon).map(|(_, link)| *link)
	}
}

/// `ProofOfBandwidth::Assignments[relay]`: `relay`'s test this epoch.
pub async fn test_of(at: &AtBlock, relay: u32) -> Result<Option<TestView>, String> {
	let Some(test) =
		fetch(at, "ProofOfBandwidth", "Assignments", vec![Value::u128(relay.into())]).await?
	else {
		return Ok(None);
	};
	let beacons = test.at("beacons").ok_or_else(|| format!("a test without beacons: {test}"))?;
	let links = crate::items_of(beacons)
		.into_iter()
		.map(|beacon| {
			let account = beacon
				.at("account")
				.and_then(bytes_of)
				.and_then(|b| <[u8; 32]>::try_from(b).ok())
				.ok_or_else(|| format!("a test's beacon without an account: {beacon}"))?;
			Ok((account, number(beacon, "capacity_mbps")?))
		})
		.collect::<Result<Vec<_>, String>>()?;
	Ok(Some(TestView { claimed_mbps: number(&test, "claimed_mbps")?, links }))
}

/// Whether `beacon` has committed to a report of `relay` in the epoch in
/// progress at `at` (`Commitments`, cleared at each epoch's close).
pub async fn committed(at: &AtBlock, relay: u32, beacon: [u8; 32]) -> Result<bool, String> {
	let key = vec![Value::u128(relay.into()), Value::from_bytes(beacon)];
	Ok(fetch(at, "ProofOfBandwidth", "Commitments", key).await?.is_some())
}
