//! HTTP caching rules for a shared cache (RFC 9111), sans I/O: whether a
//! response may be stored, how long it stays fresh, how old it is, and
//! whether a stored response may answer a request. Inputs are header maps
//! and times; nothing here touches the network or the store.

use http::{header, HeaderMap, Method, StatusCode};
use std::time::{Duration, SystemTime};

/// Cache-Control directives this cache acts on (RFC 9111 §5.2).
#[derive(Clone, Copy, Default, PartialEq, Eq, Debug)]
pub struct CacheControl {
	pub max_age: Option<u64>,
	pub s_maxage: Option<u64>,
	pub no_store: bool,
	pub no_cache: bool,
	pub private: bool,
	pub public: bool,
	pub must_revalidate: bool,
	pub proxy_revalidate: bool,
	/// Request only: the client accepts nothing older than this.
	pub min_fresh: Option<u64>,
	pub only_if_cached: bool,
	/// RFC 5861: serve stale this long while revalidating in the background.
	pub stale_while_revalidate: Option<u64>,
	/// RFC 5861: serve stale this long when the origin fails.
	pub stale_if_error: Option<u64>,
}

impl CacheControl {
	/// Parses every `Cache-Control` field line; unknown directives are
	/// ignored, a malformed delta-seconds drops only that directive (and a
	/// malformed `max-age` in a response makes it stale, as RFC 9111 §4.2.1 asks).
	pub fn parse(headers: &HeaderMap) -> Self {
		let mut cc = Self::default();
		for value in headers.get_all(header::CACHE_CONTROL) {
			let Ok(value) = value.to_str() else { continue };
			for directive in value.split(',') {
				let (name, arg) = match directive.split_once('=') {
					Some((n, a)) => (n.trim(), Some(a.trim().trim_matches('"'))),
					None => (directive.trim(), None),
				};
				let seconds = || arg.and_then(|a| a.parse::<u64>().ok());
				match name.to_ascii_lowercase().as_str() {
					"max-age" => cc.max_age = Some(seconds().unwrap_or(0)),
					"s-maxage" => cc.s_maxage = Some(seconds().unwrap_or(0)),
					"min-fresh" => cc.min_fresh = seconds(),
					"no-store" => cc.no_store = true,
					"no-cache" => cc.no_cache = true,
					"private" => cc.private = true,
					"public" => cc.public = true,
					"must-revalidate" => cc.must_revalidate = true,
					"proxy-revalidate" => cc.proxy_revalidate = true,
					"only-if-cached" => cc.only_if_cached = true,
					"stale-while-revalidate" => cc.stale_while_revalidate = seconds(),
					"stale-if-error" => cc.stale_if_error = seconds(),
					_ => {}
				}
			}
		}
		cc
	}
}

fn date(headers: &HeaderMap, name: header::HeaderName) -> Option<SystemTime> {
	headers.get(name)?.to_str().ok().and_then(|v| httpdate::parse_http_date(v).ok())
}

/// Statuses a cache may store with heuristic freshness (RFC 9110 §15.1).
fn heuristically_cacheable(status: StatusCode) -> bool {
	matches!(status.as_u16(), 200 | 203 | 204 | 206 | 300 | 301 | 308 | 404 | 405 | 410 | 414 | 501)
}

/// `Vary: *`, which no request can ever match.
fn varies_on_everything(response: &HeaderMap) -> bool {
	response
		.get_all(header::VARY)
		.iter()
		.any(|v| v.to_str().is_ok_and(|v| v.split(',').any(|f| f.trim() == "*")))
}

/// Whether a shared cache may store this response to this request
/// (RFC 9111 §3, §3.5).
pub fn storable(
	method: &Method,
	request: &HeaderMap,
	status: StatusCode,
	response: &HeaderMap,
) -> bool {
	if *method != Method::GET {
		return false;
	}
	let req = CacheControl::parse(request);
	let res = CacheControl::parse(response);
	if req.no_store || res.no_store || res.private {
		return false;
	}
	if varies_on_everything(response) {
		return false;
	}
	// A shared cache stores answers to authenticated requests only when told to.
	if request.contains_key(header::AUTHORIZATION)
		&& !(res.public || res.s_maxage.is_some() || res.must_revalidate)
	{
		return false;
	}
	let explicit = res.max_age.is_some()
		|| res.s_maxage.is_some()
		|| response.contains_key(header::EXPIRES)
		|| res.public;
	explicit || heuristically_cacheable(status)
}

/// Freshness for streaming media when the origin says nothing: playlists and
/// manifests change every segment (2 s: half the shortest common segment
/// duration), segments never change.
fn media_heuristic(response: &HeaderMap) -> Option<Duration> {
	let content_type = response.get(header::CONTENT_TYPE)?.to_str().ok()?.to_ascii_lowercase();
	let essence = content_type.split(';').next().unwrap_or("").trim().to_string();
	match essence.as_str() {
		"application/vnd.apple.mpegurl"
		| "application/x-mpegurl"
		| "audio/mpegurl"
		| "application/dash+xml" => Some(Duration::from_secs(1)),
		"video/mp2t" | "video/mp4" | "audio/mp4" | "video/iso.segment" | "audio/aac"
		| "video/webm" | "audio/webm" => Some(Duration::from_secs(24 * 3600)),
		_ => None,
	}
}

/// How long a response stays fresh (RFC 9111 §4.2.1): `s-maxage`, then
/// `max-age`, then `Expires` minus `Date`, then a heuristic: for HLS/DASH
/// by content type, else 10 % of the time since `Last-Modified`, at most a day.
pub fn freshness_lifetime(
	status: StatusCode,
	response: &HeaderMap,
	response_time: SystemTime,
) -> Duration {
	if let Some(seconds) = internal_lifetime(response) {
		return Duration::from_secs(seconds);
	}
	let cc = CacheControl::parse(response);
	if let Some(s) = cc.s_maxage.or(cc.max_age) {
		return Duration::from_secs(s);
	}
	let served = date(response, header::DATE).unwrap_or(response_time);
	if response.contains_key(header::EXPIRES) {
		// An invalid Expires (such as "0") means already expired.
		return date(response, header::EXPIRES)
			.and_then(|expires| expires.duration_since(served).ok())
			.unwrap_or(Duration::ZERO);
	}
	if !heuristically_cacheable(status) {
		return Duration::ZERO;
	}
	if let Some(media) = media_heuristic(response) {
		return media;
	}
	date(response, header::LAST_MODIFIED)
		.and_then(|modified| served.duration_since(modified).ok())
		.map(|since| (since / 10).min(Duration::from_secs(24 * 3600)))
		.unwrap_or(Duration::ZERO)
}

/// A stored response's lifetime set by its provider's `MI.CachePolicy`
/// (`internal`), in seconds: the relay writes it when it stores the
/// response and never sends it to a viewer. It comes before the origin's
/// headers, which the policy either left unsaid or overrides.
pub const INTERNAL_LIFETIME: &str = "ocm-internal-lifetime";

fn internal_lifetime(response: &HeaderMap) -> Option<u64> {
	response.get(INTERNAL_LIFETIME)?.to_str().ok()?.parse().ok()
}

/// Whether the origin's headers say how long a response stays fresh, or
/// that it may not be stored: a provider's policy that is not forced
/// applies only where they say nothing.
pub fn has_own_policy(response: &HeaderMap) -> bool {
	let cc = CacheControl::parse(response);
	cc.max_age.is_some()
		|| cc.s_maxage.is_some()
		|| cc.no_store
		|| cc.no_cache
		|| cc.private
		|| response.contains_key(header::EXPIRES)
}

/// Applies a provider's `internal` cache policy to a response from the
/// origin before it is stored: returns whether it may be stored, and sets
/// [`INTERNAL_LIFETIME`] where the policy decides its lifetime.
pub fn apply_internal_policy(
	policy: &ocm_cdni::metadata::CachePolicy,
	request: &HeaderMap,
	status: StatusCode,
	response: &mut HeaderMap,
) -> bool {
	use ocm_cdni::metadata::CacheTime;
	response.remove(INTERNAL_LIFETIME);
	let decides = policy.force_internal || !has_own_policy(response);
	let lifetime = match policy.internal {
		Some(CacheTime::NoStore) if decides => return false,
		Some(CacheTime::NoCache) if decides => 0,
		Some(CacheTime::Seconds(seconds)) if decides => seconds,
		_ => return storable(&Method::GET, request, status, response),
	};
	response.insert(INTERNAL_LIFETIME, http::HeaderValue::from(lifetime));
	// Forced, the provider's word stands over `no-store` and `private`
	// too; either way only what a cache may store by status, and no
	// answer to an authenticated request or `Vary: *`.
	heuristically_cacheable(status)
		&& !varies_on_everything(response)
		&& !request.contains_key(header::AUTHORIZATION)
		&& !CacheControl::parse(request).no_store
}

/// Applies a provider's `external` cache policy to a viewer's response:
/// what `Cache-Control` tells players and their caches.
pub fn apply_external_policy(policy: &ocm_cdni::metadata::CachePolicy, response: &mut HeaderMap) {
	use ocm_cdni::metadata::CacheTime;
	if !(policy.force_external || !response.contains_key(header::CACHE_CONTROL)) {
		return;
	}
	let value = match policy.external {
		Some(CacheTime::Seconds(seconds)) => format!("max-age={seconds}"),
		Some(CacheTime::NoCache) => "no-cache".into(),
		Some(CacheTime::NoStore) => "no-store".into(),
		Some(CacheTime::AsIs) | None => return,
	};
	response.remove(header::EXPIRES);
	response.insert(header::CACHE_CONTROL, http::HeaderValue::from_str(&value).expect("ASCII"));
}

/// When and how a stored response was received.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Received {
	pub request_time: SystemTime,
	pub response_time: SystemTime,
}

/// A stored response's age when it arrived (RFC 9111 §4.2.3).
fn corrected_initial_age(response: &HeaderMap, received: Received) -> Duration {
	let age_value = response
		.get(header::AGE)
		.and_then(|v| v.to_str().ok())
		.and_then(|v| v.trim().parse::<u64>().ok())
		.map(Duration::from_secs)
		.unwrap_or(Duration::ZERO);
	let date_value = date(response, header::DATE).unwrap_or(received.response_time);
	let apparent_age = received.response_time.duration_since(date_value).unwrap_or(Duration::ZERO);
	let response_delay =
		received.response_time.duration_since(received.request_time).unwrap_or(Duration::ZERO);
	apparent_age.max(age_value + response_delay)
}

fn resident_time(received: Received, now: SystemTime) -> Duration {
	now.duration_since(received.response_time).unwrap_or(Duration::ZERO)
}

/// What a stored response's headers say about its freshness, worked out
/// once when it is stored: a cache hit then parses none of its headers.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Freshness {
	pub directives: CacheControl,
	pub lifetime: Duration,
	initial_age: Duration,
	pub received: Received,
}

impl Freshness {
	pub fn of(status: StatusCode, response: &HeaderMap, received: Received) -> Self {
		let mut directives = CacheControl::parse(response);
		if internal_lifetime(response).is_some() {
			// The provider's policy set the lifetime over the origin's
			// word: the origin's `no-cache` does not force revalidation
			// (the policy's own `no-cache` is a lifetime of zero).
			directives.no_cache = false;
		}
		Self {
			directives,
			lifetime: freshness_lifetime(status, response, received.response_time),
			initial_age: corrected_initial_age(response, received),
			received,
		}
	}

	/// The current age (RFC 9111 §4.2.3).
	pub fn age(&self, now: SystemTime) -> Duration {
		self.initial_age + resident_time(self.received, now)
	}

	/// How long past its freshness lifetime it is.
	pub fn staleness(&self, now: SystemTime) -> Duration {
		self.age(now).saturating_sub(self.lifetime)
	}

	/// Whether it answers `request` without the origin (RFC 9111 §4).
	pub fn usable(&self, request: &HeaderMap, now: SystemTime) -> Use {
		// Most viewers send neither field: nothing to parse then.
		let req = if request.contains_key(header::CACHE_CONTROL) {
			CacheControl::parse(request)
		} else {
			CacheControl::default()
		};
		if req.no_cache
			|| self.directives.no_cache
			|| request
				.get(header::PRAGMA)
				.is_some_and(|p| p.as_bytes().eq_ignore_ascii_case(b"no-cache"))
		{
			return Use::Revalidate;
		}
		let age = self.age(now);
		let mut allowed = self.lifetime;
		if let Some(max_age) = req.max_age {
			allowed = allowed.min(Duration::from_secs(max_age));
		}
		let needed = age + Duration::from_secs(req.min_fresh.unwrap_or(0));
		if needed < allowed {
			Use::Fresh
		} else {
			Use::Revalidate
		}
	}

	/// Whether it may be served stale while a background revalidation runs
	/// (RFC 5861 `stale-while-revalidate`).
	pub fn serve_while_revalidating(&self, request: &HeaderMap, now: SystemTime) -> bool {
		let (res, req) = (self.directives, CacheControl::parse(request));
		if res.must_revalidate || res.proxy_revalidate || res.no_cache || req.no_cache {
			return false;
		}
		res.stale_while_revalidate
			.is_some_and(|window| self.staleness(now) <= Duration::from_secs(window))
	}

	/// Whether it may be served stale because the origin failed (RFC 5861
	/// `stale-if-error`; `default_window` when the origin names none). RFC
	/// 9111 forbids it for `must-revalidate`, `proxy-revalidate` and `no-cache`.
	pub fn serve_on_error(&self, now: SystemTime, default_window: Duration) -> bool {
		let res = self.directives;
		if res.must_revalidate || res.proxy_revalidate || res.no_cache {
			return false;
		}
		let window = res.stale_if_error.map(Duration::from_secs).unwrap_or(default_window);
		self.staleness(now) <= window
	}
}

/// What a cache may do with a stored response for a request.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Use {
	/// Serve it as it is.
	Fresh,
	/// Ask the origin first (a conditional request if there is a validator).
	Revalidate,
}

/// Whether a viewer's conditional request is satisfied by the stored
/// response, so it gets `304 Not Modified` (RFC 9110 §13.1.2, §13.1.3).
pub fn not_modified(request: &HeaderMap, response: &HeaderMap) -> bool {
	if let Some(condition) = request.get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()) {
		let Some(etag) = response.get(header::ETAG).and_then(|v| v.to_str().ok()) else {
			return false;
		};
		let weak = |t: &str| t.trim().trim_start_matches("W/").to_string();
		return condition.trim() == "*" || condition.split(',').any(|c| weak(c) == weak(etag));
	}
	match (date(request, header::IF_MODIFIED_SINCE), date(response, header::LAST_MODIFIED)) {
		(Some(since), Some(modified)) => modified <= since,
		_ => false,
	}
}

/// Validators of a stored response, as the headers of a conditional request.
pub fn conditional_headers(response: &HeaderMap) -> HeaderMap {
	let mut out = HeaderMap::new();
	if let Some(etag) = response.get(header::ETAG) {
		out.insert(header::IF_NONE_MATCH, etag.clone());
	}
	if let Some(modified) = response.get(header::LAST_MODIFIED) {
		out.insert(header::IF_MODIFIED_SINCE, modified.clone());
	}
	out
}

/// The request header values a stored response varies on (its secondary
/// cache key, RFC 9111 §4.1), lower-cased names in the order `Vary` lists them.
pub fn vary_key(response: &HeaderMap, request: &HeaderMap) -> Vec<(String, String)> {
	let mut key = Vec::new();
	for value in response.get_all(header::VARY) {
		let Ok(value) = value.to_str() else { continue };
		for name in
			value.split(',').map(|n| n.trim().to_ascii_lowercase()).filter(|n| !n.is_empty())
		{
			let joined = request
				.get_all(name.as_str())
				.iter()
				.filter_map(|v| v.to_str().ok())
				.collect::<Vec<_>>()
				.join(", ");
			key.push((name, joined));
		}
	}
	key
}

#[cfg(test)]
mod tests {
	use super::*;
	use http::HeaderValue;

	// The rules for a response as stored: worked out, then applied.
	fn current_age(response: &HeaderMap, received: Received, now: SystemTime) -> Duration {
		Freshness::of(StatusCode::OK, response, received).age(now)
	}

	/// Whether a stored response answers a request without the origin (RFC 9111 §4).
	fn usable(
		request: &HeaderMap,
		status: StatusCode,
		response: &HeaderMap,
		received: Received,
		now: SystemTime,
	) -> Use {
		Freshness::of(status, response, received).usable(request, now)
	}

	/// Whether a stale response may be served while a background revalidation
	/// runs (RFC 5861 `stale-while-revalidate`).
	fn serve_while_revalidating(
		request: &HeaderMap,
		status: StatusCode,
		response: &HeaderMap,
		received: Received,
		now: SystemTime,
	) -> bool {
		Freshness::of(status, response, received).serve_while_revalidating(request, now)
	}

	/// Whether a stale response may be served because the origin failed
	/// (RFC 5861 `stale-if-error`; `default_window` when the origin names none).
	fn serve_on_error(
		status: StatusCode,
		response: &HeaderMap,
		received: Received,
		now: SystemTime,
		default_window: Duration,
	) -> bool {
		Freshness::of(status, response, received).serve_on_error(now, default_window)
	}

	fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
		let mut h = HeaderMap::new();
		for (name, value) in pairs {
			h.append(*name, HeaderValue::from_str(value).unwrap());
		}
		h
	}

	fn at(secs: u64) -> SystemTime {
		SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000 + secs)
	}

	fn http_date(secs: u64) -> String {
		httpdate::fmt_http_date(at(secs))
	}

	const OK: StatusCode = StatusCode::OK;

	#[test]
	fn directives_parse_case_insensitively_across_lines() {
		let cc = CacheControl::parse(&headers(&[
			("cache-control", "Public, MAX-AGE=60"),
			("cache-control", "s-maxage=\"30\", must-revalidate, x-unknown=1"),
		]));
		assert_eq!(cc.max_age, Some(60));
		assert_eq!(cc.s_maxage, Some(30));
		assert!(cc.public && cc.must_revalidate && !cc.no_store);
		assert_eq!(
			CacheControl::parse(&headers(&[("cache-control", "max-age=abc")])).max_age,
			Some(0)
		);
	}

	#[test]
	fn what_a_shared_cache_may_store() {
		let get = Method::GET;
		let none = HeaderMap::new();
		assert!(storable(&get, &none, OK, &headers(&[("cache-control", "max-age=60")])));
		assert!(storable(&get, &none, OK, &none), "200 is heuristically cacheable");
		assert!(!storable(&get, &none, StatusCode::INTERNAL_SERVER_ERROR, &none));
		assert!(storable(
			&get,
			&none,
			StatusCode::INTERNAL_SERVER_ERROR,
			&headers(&[("cache-control", "max-age=5")])
		));
		assert!(!storable(&Method::POST, &none, OK, &headers(&[("cache-control", "max-age=60")])));
		assert!(!storable(&get, &none, OK, &headers(&[("cache-control", "no-store")])));
		assert!(!storable(&get, &headers(&[("cache-control", "no-store")]), OK, &none));
		assert!(!storable(&get, &none, OK, &headers(&[("cache-control", "private, max-age=60")])));
		assert!(!storable(&get, &none, OK, &headers(&[("vary", "accept-encoding, *")])));
		let auth = headers(&[("authorization", "Bearer x")]);
		assert!(!storable(&get, &auth, OK, &headers(&[("cache-control", "max-age=60")])));
		assert!(storable(&get, &auth, OK, &headers(&[("cache-control", "s-maxage=60")])));
	}

	#[test]
	fn freshness_comes_from_s_maxage_max_age_expires_then_heuristics() {
		let now = at(0);
		let lifetime = |h: &[(&'static str, &str)]| freshness_lifetime(OK, &headers(h), now);
		assert_eq!(
			lifetime(&[("cache-control", "max-age=60, s-maxage=10")]),
			Duration::from_secs(10)
		);
		assert_eq!(
			lifetime(&[("cache-control", "max-age=60"), ("expires", &http_date(3600))]),
			Duration::from_secs(60)
		);
		assert_eq!(
			lifetime(&[("date", &http_date(0)), ("expires", &http_date(300))]),
			Duration::from_secs(300)
		);
		assert_eq!(lifetime(&[("expires", "0")]), Duration::ZERO, "invalid Expires is expired");
		assert_eq!(
			lifetime(&[("date", &http_date(0)), ("last-modified", &http_date(0))]),
			Duration::ZERO
		);
		let modified = httpdate::fmt_http_date(at(0) - Duration::from_secs(10_000));
		assert_eq!(
			lifetime(&[("date", &http_date(0)), ("last-modified", &modified)]),
			Duration::from_secs(1_000)
		);
		let long_ago = httpdate::fmt_http_date(at(0) - Duration::from_secs(100 * 24 * 3600));
		assert_eq!(
			lifetime(&[("last-modified", &long_ago)]),
			Duration::from_secs(24 * 3600),
			"capped at a day"
		);
		assert_eq!(
			freshness_lifetime(
				StatusCode::INTERNAL_SERVER_ERROR,
				&headers(&[("last-modified", &modified)]),
				now
			),
			Duration::ZERO
		);
	}

	#[test]
	fn hls_and_dash_get_short_playlists_and_long_segments_unless_the_origin_says() {
		let now = at(0);
		let lifetime = |h: &[(&'static str, &str)]| freshness_lifetime(OK, &headers(h), now);
		assert_eq!(
			lifetime(&[("content-type", "application/vnd.apple.mpegurl")]),
			Duration::from_secs(1)
		);
		assert_eq!(
			lifetime(&[("content-type", "application/dash+xml; charset=utf-8")]),
			Duration::from_secs(1)
		);
		assert_eq!(lifetime(&[("content-type", "video/MP2T")]), Duration::from_secs(86_400));
		assert_eq!(lifetime(&[("content-type", "video/iso.segment")]), Duration::from_secs(86_400));
		assert_eq!(
			lifetime(&[("content-type", "video/mp2t"), ("cache-control", "max-age=5")]),
			Duration::from_secs(5),
			"the origin's word wins"
		);
	}

	#[test]
	fn age_follows_rfc9111_section_4_2_3() {
		// Sent at 100 with Date 95 and Age 2, received at 103, asked at 110:
		// apparent 8, corrected 2 + 3 = 5, initial 8, resident 7: 15.
		let h = headers(&[("date", &http_date(95)), ("age", "2")]);
		let received = Received { request_time: at(100), response_time: at(103) };
		assert_eq!(current_age(&h, received, at(110)), Duration::from_secs(15));
		// A Date in the future does not make the age negative.
		let future = headers(&[("date", &http_date(500))]);
		assert_eq!(
			current_age(&future, Received { request_time: at(0), response_time: at(0) }, at(4)),
			Duration::from_secs(4)
		);
	}

	#[test]
	fn fresh_until_the_lifetime_and_as_the_request_allows() {
		let stored = headers(&[("date", &http_date(0)), ("cache-control", "max-age=60")]);
		let received = Received { request_time: at(0), response_time: at(0) };
		let none = HeaderMap::new();
		assert_eq!(usable(&none, OK, &stored, received, at(59)), Use::Fresh);
		assert_eq!(usable(&none, OK, &stored, received, at(60)), Use::Revalidate);
		assert_eq!(
			usable(&headers(&[("cache-control", "max-age=10")]), OK, &stored, received, at(11)),
			Use::Revalidate
		);
		assert_eq!(
			usable(&headers(&[("cache-control", "min-fresh=30")]), OK, &stored, received, at(31)),
			Use::Revalidate
		);
		assert_eq!(
			usable(&headers(&[("cache-control", "no-cache")]), OK, &stored, received, at(1)),
			Use::Revalidate
		);
		assert_eq!(
			usable(&headers(&[("pragma", "no-cache")]), OK, &stored, received, at(1)),
			Use::Revalidate
		);
		let no_cache = headers(&[("cache-control", "no-cache, max-age=60")]);
		assert_eq!(usable(&none, OK, &no_cache, received, at(1)), Use::Revalidate);
	}

	#[test]
	fn stale_content_is_served_only_as_rfc5861_and_rfc9111_allow() {
		let received = Received { request_time: at(0), response_time: at(0) };
		let none = HeaderMap::new();
		let swr = headers(&[
			("date", &http_date(0)),
			("cache-control", "max-age=10, stale-while-revalidate=20"),
		]);
		assert!(serve_while_revalidating(&none, OK, &swr, received, at(30)));
		assert!(!serve_while_revalidating(&none, OK, &swr, received, at(31)));
		assert!(!serve_while_revalidating(
			&headers(&[("cache-control", "no-cache")]),
			OK,
			&swr,
			received,
			at(15)
		));
		let plain = headers(&[("date", &http_date(0)), ("cache-control", "max-age=10")]);
		assert!(
			!serve_while_revalidating(&none, OK, &plain, received, at(15)),
			"only when the origin allows"
		);

		let day = Duration::from_secs(86_400);
		assert!(serve_on_error(OK, &plain, received, at(3_600), day), "the relay's default window");
		assert!(!serve_on_error(OK, &plain, received, at(86_411), day));
		let sie =
			headers(&[("date", &http_date(0)), ("cache-control", "max-age=10, stale-if-error=5")]);
		assert!(serve_on_error(OK, &sie, received, at(15), day));
		assert!(!serve_on_error(OK, &sie, received, at(16), day), "the origin's window wins");
		let strict =
			headers(&[("date", &http_date(0)), ("cache-control", "max-age=10, must-revalidate")]);
		assert!(!serve_on_error(OK, &strict, received, at(11), day));
	}

	#[test]
	fn a_providers_cache_policy_applies_where_the_origin_is_silent_or_when_forced() {
		use ocm_cdni::metadata::{CachePolicy, CacheTime};
		let none = HeaderMap::new();
		let policy = |internal, force_internal| CachePolicy {
			internal: Some(internal),
			force_internal,
			..Default::default()
		};
		let received = Received { request_time: at(0), response_time: at(0) };
		let lifetime = |h: &HeaderMap| Freshness::of(OK, h, received).lifetime;

		// The origin says nothing: the policy's 300 s.
		let mut silent = headers(&[("content-type", "video/mp2t")]);
		assert!(apply_internal_policy(
			&policy(CacheTime::Seconds(300), false),
			&none,
			OK,
			&mut silent
		));
		assert_eq!(lifetime(&silent), Duration::from_secs(300));
		// The origin says 5 s: unforced, its word stands; forced, 300 s.
		let origin = headers(&[("cache-control", "max-age=5")]);
		let mut unforced = origin.clone();
		assert!(apply_internal_policy(
			&policy(CacheTime::Seconds(300), false),
			&none,
			OK,
			&mut unforced
		));
		assert_eq!(lifetime(&unforced), Duration::from_secs(5));
		let mut forced = origin.clone();
		assert!(apply_internal_policy(
			&policy(CacheTime::Seconds(300), true),
			&none,
			OK,
			&mut forced
		));
		assert_eq!(lifetime(&forced), Duration::from_secs(300));
		// Forced storage of what the origin calls private; never of `Vary: *`
		// or an authenticated request's answer.
		let private = headers(&[("cache-control", "no-store, private")]);
		let mut p = private.clone();
		assert!(!apply_internal_policy(&policy(CacheTime::Seconds(300), false), &none, OK, &mut p));
		let mut p = private.clone();
		assert!(apply_internal_policy(&policy(CacheTime::Seconds(300), true), &none, OK, &mut p));
		let mut vary = headers(&[("vary", "*")]);
		assert!(!apply_internal_policy(
			&policy(CacheTime::Seconds(300), true),
			&none,
			OK,
			&mut vary
		));
		let auth = headers(&[("authorization", "Bearer x")]);
		let mut a = HeaderMap::new();
		assert!(!apply_internal_policy(&policy(CacheTime::Seconds(300), true), &auth, OK, &mut a));
		// no-store is never stored; no-cache is stored stale.
		let mut n = HeaderMap::new();
		assert!(!apply_internal_policy(&policy(CacheTime::NoStore, false), &none, OK, &mut n));
		let mut c = headers(&[("cache-control", "max-age=60")]);
		assert!(apply_internal_policy(&policy(CacheTime::NoCache, true), &none, OK, &mut c));
		assert_eq!(lifetime(&c), Duration::ZERO);
		// Forced over the origin's `no-cache`: fresh for the policy's time.
		let mut revalidating = headers(&[("cache-control", "no-cache")]);
		assert!(apply_internal_policy(
			&policy(CacheTime::Seconds(60), true),
			&none,
			OK,
			&mut revalidating
		));
		let stored = Freshness::of(OK, &revalidating, received);
		assert_eq!(stored.usable(&none, at(30)), Use::Fresh);
		assert_eq!(
			Freshness::of(OK, &headers(&[("cache-control", "no-cache")]), received)
				.usable(&none, at(0)),
			Use::Revalidate
		);
		// An origin cannot smuggle its own lifetime header in.
		let mut smuggled = headers(&[(INTERNAL_LIFETIME, "99999"), ("cache-control", "max-age=5")]);
		assert!(apply_internal_policy(&CachePolicy::default(), &none, OK, &mut smuggled));
		assert_eq!(lifetime(&smuggled), Duration::from_secs(5));
	}

	#[test]
	fn a_providers_external_policy_sets_what_players_are_told() {
		use ocm_cdni::metadata::{CachePolicy, CacheTime};
		let external = |time, force| CachePolicy {
			external: Some(time),
			force_external: force,
			..Default::default()
		};
		let mut silent = HeaderMap::new();
		apply_external_policy(&external(CacheTime::Seconds(30), false), &mut silent);
		assert_eq!(silent.get("cache-control").unwrap(), "max-age=30");
		let mut said = headers(&[("cache-control", "max-age=5")]);
		apply_external_policy(&external(CacheTime::Seconds(30), false), &mut said);
		assert_eq!(said.get("cache-control").unwrap(), "max-age=5");
		apply_external_policy(&external(CacheTime::NoStore, true), &mut said);
		assert_eq!(said.get("cache-control").unwrap(), "no-store");
		let mut as_is = headers(&[("cache-control", "max-age=5")]);
		apply_external_policy(&external(CacheTime::AsIs, true), &mut as_is);
		assert_eq!(as_is.get("cache-control").unwrap(), "max-age=5");
	}

	#[test]
	fn viewers_conditions_are_checked_against_the_stored_validators() {
		let stored = headers(&[("etag", "W/\"v2\""), ("last-modified", &http_date(0))]);
		assert!(
			not_modified(&headers(&[("if-none-match", "\"v1\", \"v2\"")]), &stored),
			"weak comparison"
		);
		assert!(not_modified(&headers(&[("if-none-match", "*")]), &stored));
		assert!(!not_modified(&headers(&[("if-none-match", "\"v3\"")]), &stored));
		// If-None-Match present: If-Modified-Since is ignored.
		assert!(!not_modified(
			&headers(&[("if-none-match", "\"v3\""), ("if-modified-since", &http_date(10))]),
			&stored
		));
		assert!(not_modified(&headers(&[("if-modified-since", &http_date(10))]), &stored));
		assert!(!not_modified(
			&headers(&[("if-modified-since", &http_date(0).replace("GMT", "XYZ"))]),
			&stored
		));
		assert!(!not_modified(&HeaderMap::new(), &stored));
	}

	#[test]
	fn validators_become_conditions_and_vary_becomes_a_key() {
		let stored = headers(&[
			("etag", "\"v1\""),
			("last-modified", &http_date(0)),
			("vary", "Accept-Encoding, Accept-Language"),
		]);
		let conditions = conditional_headers(&stored);
		assert_eq!(conditions.get("if-none-match").unwrap(), "\"v1\"");
		assert_eq!(conditions.get("if-modified-since").unwrap(), http_date(0).as_str());
		let request = headers(&[("accept-encoding", "gzip"), ("accept-encoding", "br")]);
		assert_eq!(
			vary_key(&stored, &request),
			vec![
				("accept-encoding".into(), "gzip, br".into()),
				("accept-language".into(), String::new())
			]
		);
		assert!(vary_key(&HeaderMap::new(), &request).is_empty());
	}
}
