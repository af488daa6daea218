//! The capacity registry, read: which relay serves at an HTTP endpoint.

use crate::{fetch, settlement::relay_endpoint, AtBlock};
use subxt::dynamic::Value;

/// The relay registered to serve at an HTTP endpoint, and its operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ServingRelay {
	pub id: u32,
	pub operator: [u8; 32],
}

/// The relay registered to serve at `http_url`'s server (its `host:port`,
/// `CapacityRegistry::RelayByAuthority`), if any. `None` too for a URL the
/// registry would refuse.
pub async fn relay_serving(at: &AtBlock, http_url: &str) -> Result<Option<ServingRelay>, String> {
	let Some(origin) = ocm_primitives::web::origin(http_url.as_bytes()) else {
		return Ok(None);
	};
	let key = vec![Value::from_bytes(origin.authority())];
	let Some(relay) = fetch(at, "CapacityRegistry", "RelayByAuthority", key).await? else {
		return Ok(None);
	};
	let id = relay.as_u128().ok_or("a relay id that is not a number")?;
	let id = u32::try_from(id).map_err(|_| "a relay id above u32")?;
	let (operator, _) = relay_endpoint(at, id).await?.ok_or("an authority naming no relay")?;
	Ok(Some(ServingRelay { id, operator }))
}
