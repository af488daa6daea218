//! Turns call inputs into stored records, refusing bad input with a distinct
//! error each. Nothing here touches storage except the duplicate checks the
//! callers do, so a refused call changes nothing.

use crate::{types::*, Config, Error};
use alloc::vec::Vec;
use frame_support::{ensure, traits::Get, BoundedVec};
use ocm_primitives::{
	footprint::{is_reserved_asn, FootprintError},
	web,
};

/// RFC 1035: a host name is at most 253 characters in text form.
pub const MAX_HOST_NAME_LEN: u32 = ocm_primitives::web::MAX_HOST_NAME_LEN as u32;

impl<T: Config> From<FootprintError> for Error<T> {
	fn from(e: FootprintError) -> Self {
		match e {
			FootprintError::UnknownType => Error::UnknownFootprintType,
			FootprintError::Malformed => Error::MalformedFootprint,
			FootprintError::PrefixTooLong => Error::CidrPrefixTooLong,
			FootprintError::HostBitsSet => Error::CidrHostBitsSet,
			FootprintError::ReservedAsn => Error::ReservedAsn,
			FootprintError::UnknownCountryCode => Error::InvalidCountryCode,
		}
	}
}

/// An `http://` or `https://` URL with a host, in visible ASCII.
pub fn url<T: Config>(raw: Vec<u8>) -> Result<Url<T>, Error<T>> {
	let url: Url<T> = raw.try_into().map_err(|_| Error::<T>::UrlTooLong)?;
	ensure!(ocm_primitives::web::is_http_url(&url), Error::<T>::InvalidUrl);
	Ok(url)
}

/// The relay's endpoints. Its proof-of-bandwidth endpoint must be on the
/// HTTP endpoint's host (any scheme and port: a relay serves HTTPS and
/// cleartext on two ports, and beacons measure over cleartext): beacons
/// then measure the server that serves the relay's viewers, not a bigger
/// one elsewhere. With no two relays sharing an authority (`authorities`),
/// one server proves capacity for one relay only.
pub fn endpoints<T: Config>(input: EndpointsInput) -> Result<Endpoints<T>, Error<T>> {
	let EndpointsInput { http, pob, amt_relay, multicast_source } = input;
	for address in amt_relay.iter().chain(multicast_source.iter()) {
		ensure!(address.is_unicast(), Error::<T>::InvalidAddress);
	}
	let (http, pob) = (url::<T>(http)?, url::<T>(pob)?);
	let http_host = web::origin(&http).ok_or(Error::<T>::InvalidUrl)?.host;
	let pob_host = web::origin(&pob).ok_or(Error::<T>::InvalidUrl)?.host;
	ensure!(pob_host == http_host, Error::<T>::PobOffHost);
	Ok(Endpoints { http, pob, amt_relay, multicast_source })
}

/// The `host:port`s of a relay's validated endpoints, HTTP first, the
/// proof-of-bandwidth one after it if it differs: the servers no other
/// relay may register, whatever the scheme, path or spelling.
pub fn authorities<T: Config>(endpoints: &Endpoints<T>) -> Vec<Url<T>> {
	let mut out: Vec<Url<T>> = Vec::with_capacity(2);
	for url in [&endpoints.http, &endpoints.pob] {
		// Shorter than the URL it comes from (`http://` is longer than
		// `:65535`), so it always fits; the URL itself if it ever did not.
		let authority = web::origin(url)
			.and_then(|origin| Url::<T>::try_from(origin.authority()).ok())
			.unwrap_or_else(|| url.clone());
		if !out.contains(&authority) {
			out.push(authority);
		}
	}
	out
}

pub fn capacity<T: Config>(mbps: Mbps) -> Result<Mbps, Error<T>> {
	ensure!(mbps > 0, Error::<T>::ZeroCapacity);
	ensure!(mbps <= T::MaxCapacityMbps::get(), Error::<T>::CapacityTooHigh);
	Ok(mbps)
}

pub fn location<T: Config>(location: Location) -> Result<Location, Error<T>> {
	ensure!(location.country.is_assigned(), Error::<T>::InvalidCountryCode);
	ensure!(!is_reserved_asn(location.asn), Error::<T>::ReservedAsn);
	if let Some(c) = location.coordinates {
		ensure!(
			(-900..=900).contains(&c.latitude_decidegrees)
				&& (-1800..=1800).contains(&c.longitude_decidegrees),
			Error::<T>::InvalidCoordinates
		);
	}
	Ok(location)
}

pub fn claims<T: Config>(input: ClaimsInput) -> Result<Claims<T>, Error<T>> {
	let ClaimsInput { location: loc, capacity_mbps, footprints: inputs, capabilities } = input;
	let location = location::<T>(loc)?;
	let capacity_mbps = capacity::<T>(capacity_mbps)?;
	ensure!(capabilities.is_known(), Error::<T>::UnknownCapability);
	ensure!(!inputs.is_empty(), Error::<T>::NoFootprints);
	let limit = T::FootprintLimit::get().min(T::MaxFootprints::get());
	ensure!(inputs.len() <= limit as usize, Error::<T>::TooManyFootprints);
	let mut footprints = BoundedVec::<FootprintClaim, T::MaxFootprints>::new();
	for input in inputs {
		let footprint = Footprint::parse(&input.footprint_type, &input.footprint_value)
			.map_err(Error::<T>::from)?;
		let claimed = capacity::<T>(input.capacity_mbps)?;
		ensure!(claimed <= capacity_mbps, Error::<T>::FootprintCapacityExceedsTotal);
		ensure!(
			!footprints.iter().any(|c| c.footprint == footprint),
			Error::<T>::DuplicateFootprint
		);
		footprints
			.try_push(FootprintClaim { footprint, capacity_mbps: claimed })
			.map_err(|_| Error::<T>::TooManyFootprints)?;
	}
	Ok(Claims { location, capacity_mbps, footprints, capabilities })
}

/// Claims that need an endpoint must have it: an AMT relay needs its address,
/// a MAHP sender its multicast source.
pub fn consistent<T: Config>(endpoints: &Endpoints<T>, claims: &Claims<T>) -> Result<(), Error<T>> {
	let caps = claims.capabilities;
	ensure!(
		!caps.has(Capabilities::AMT_RELAY) || endpoints.amt_relay.is_some(),
		Error::<T>::MissingAmtRelayAddress
	);
	ensure!(
		!caps.has(Capabilities::MAHP_SENDER) || endpoints.multicast_source.is_some(),
		Error::<T>::MissingMulticastSource
	);
	Ok(())
}

/// A provider's display name: non-empty UTF-8 without control characters.
pub fn name<T: Config>(raw: Vec<u8>) -> Result<BoundedVec<u8, T::MaxNameLen>, Error<T>> {
	ensure!(!raw.is_empty(), Error::<T>::EmptyName);
	let name: BoundedVec<u8, T::MaxNameLen> =
		raw.try_into().map_err(|_| Error::<T>::NameTooLong)?;
	let text = core::str::from_utf8(&name).map_err(|_| Error::<T>::InvalidName)?;
	ensure!(!text.chars().any(char::is_control), Error::<T>::InvalidName);
	Ok(name)
}

/// A DNS host name (`ocm_primitives::web::is_host_name`), lower-cased so
/// that one host has one owner whatever its case.
pub fn host_name<T: Config>(raw: Vec<u8>) -> Result<HostName, Error<T>> {
	let mut host: HostName = raw.try_into().map_err(|_| Error::<T>::HostNameTooLong)?;
	host.as_mut().make_ascii_lowercase();
	ensure!(ocm_primitives::web::is_host_name(&host), Error::<T>::InvalidHostName);
	Ok(host)
}

pub fn host_names<T: Config>(
	raw: Vec<Vec<u8>>,
) -> Result<BoundedVec<HostName, T::MaxHosts>, Error<T>> {
	ensure!(!raw.is_empty(), Error::<T>::NoHosts);
	ensure!(raw.len() <= T::MaxHosts::get() as usize, Error::<T>::TooManyHosts);
	let mut hosts = BoundedVec::<HostName, T::MaxHosts>::new();
	for host in raw {
		let host = host_name::<T>(host)?;
		ensure!(!hosts.contains(&host), Error::<T>::DuplicateHost);
		hosts.try_push(host).map_err(|_| Error::<T>::TooManyHosts)?;
	}
	Ok(hosts)
}
