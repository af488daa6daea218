//! The caching reverse proxy: answers from the store when it may, asks the
//! origin when it must, and asks it once however many viewers miss at once.

use super::{
	policy::{self, Received, Use},
	store::{Store, Stored},
};
use crate::range;
use bytes::Bytes;
use futures_util::future::{BoxFuture, FutureExt, Shared};
use http::{header, HeaderMap, HeaderValue, Method, Request, Response, StatusCode, Uri};
use http_body_util::{BodyExt, Empty, Full, Limited};
use hyper_util::{
	client::legacy::{connect::HttpConnector, Client},
	rt::TokioExecutor,
};
use ocm_cdni::metadata::{CachePolicy, HostService};
use std::{
	collections::HashMap,
	sync::{Arc, Mutex},
	time::{Duration, SystemTime},
};

/// How a response was produced, in `X-Cache` and the metrics.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Outcome {
	Hit,
	Miss,
	Revalidated,
	/// Stale, served while revalidating or because the origin failed (RFC 5861).
	Stale,
	/// Not storable (or not stored): passed through.
	Bypass,
}

impl Outcome {
	pub fn as_str(self) -> &'static str {
		match self {
			Outcome::Hit => "HIT",
			Outcome::Miss => "MISS",
			Outcome::Revalidated => "REVALIDATED",
			Outcome::Stale => "STALE",
			Outcome::Bypass => "BYPASS",
		}
	}
}

type Fetched = Result<Arc<Stored>, String>;

pub struct Proxy {
	/// Host to origin: from the configuration, and from the delivery
	/// contracts the relay serves as the chain follower learns them.
	origins: std::sync::RwLock<HashMap<String, Uri>>,
	/// Host to the rules its provider configured (RFC 8006 metadata).
	services: std::sync::RwLock<HashMap<String, Arc<HostService>>>,
	store: Store,
	client: Client<hyper_rustls::HttpsConnector<HttpConnector>, Empty<Bytes>>,
	max_object_bytes: usize,
	origin_timeout: Duration,
	/// How long past freshness a response may be served when the origin
	/// fails, unless the response names its own `stale-if-error`.
	stale_if_error: Duration,
	origin_latency: prometheus_client::metrics::histogram::Histogram,
	/// Origin fetches in flight, by cache key: followers await the leader's.
	inflight: Mutex<HashMap<String, Shared<BoxFuture<'static, Fetched>>>>,
}

/// Hop-by-hop headers never forwarded or stored (RFC 9110 §7.6.1).
const HOP_BY_HOP: [&str; 8] = [
	"connection",
	"keep-alive",
	"proxy-authenticate",
	"proxy-authorization",
	"te",
	"trailer",
	"transfer-encoding",
	"upgrade",
];

/// Request headers never sent to the origin: they are not part of the
/// cache key, and an origin that reflects them (a redirect or a link built
/// from `X-Forwarded-Host`, a method override) would let one viewer poison
/// the cached object every other viewer gets.
const UNKEYED_OVERRIDES: [&str; 11] = [
	"forwarded",
	"x-forwarded-host",
	"x-forwarded-proto",
	"x-forwarded-port",
	"x-forwarded-server",
	"x-host",
	"x-original-url",
	"x-rewrite-url",
	"x-http-method",
	"x-http-method-override",
	"x-method-override",
];

/// How long an origin may take to send a whole body once its head came.
const ORIGIN_BODY_TIMEOUT: Duration = Duration::from_secs(120);

fn strip_hop_by_hop(headers: &mut HeaderMap) {
	for name in HOP_BY_HOP {
		headers.remove(name);
	}
}

pub type ProxyBody = http_body_util::combinators::BoxBody<Bytes, std::convert::Infallible>;

fn text(status: StatusCode, body: &str) -> Response<ProxyBody> {
	let mut r = Response::new(Full::new(Bytes::from(body.to_string())).boxed());
	*r.status_mut() = status;
	r
}

impl Proxy {
	pub fn new(
		origins: HashMap<String, Uri>,
		capacity_bytes: u64,
		max_object_bytes: usize,
		stale_if_error: Duration,
		origin_latency: prometheus_client::metrics::histogram::Histogram,
		disk: Option<Arc<super::disk::DiskTier>>,
		origin_tls: rustls::ClientConfig,
	) -> Self {
		let connector = hyper_rustls::HttpsConnectorBuilder::new()
			.with_tls_config(origin_tls)
			.https_or_http()
			.enable_http1()
			.build();
		Self {
			origins: std::sync::RwLock::new(origins),
			services: std::sync::RwLock::new(HashMap::new()),
			store: Store::new(capacity_bytes, disk),
			client: Client::builder(TokioExecutor::new()).build(connector),
			max_object_bytes,
			origin_timeout: Duration::from_secs(30),
			stale_if_error,
			origin_latency,
			inflight: Mutex::new(HashMap::new()),
		}
	}

	/// Serves `host` from `origin` from now on.
	pub fn set_origin(&self, host: String, origin: Uri) {
		self.origins.write().unwrap_or_else(|e| e.into_inner()).insert(host, origin);
	}

	/// Applies `service`'s rules to `host` from now on (none: the origin's
	/// headers alone). Stored objects keep the lifetime they were stored with.
	pub fn set_service(&self, host: String, service: Option<Arc<HostService>>) {
		let mut services = self.services.write().unwrap_or_else(|e| e.into_inner());
		match service {
			Some(service) => services.insert(host, service),
			None => services.remove(&host),
		};
	}

	/// The cache key of a request for `path_and_query` of `host`, and the
	/// cache policy that applies to it: the provider's `MI.Cache` decides
	/// which query parameters the key keeps.
	pub fn cache_key(&self, host: &str, path_and_query: &str) -> (String, Option<CachePolicy>) {
		let (path, query) =
			path_and_query.split_once('?').map_or((path_and_query, None), |(p, q)| (p, Some(q)));
		let services = self.services.read().unwrap_or_else(|e| e.into_inner());
		let rules = services.get(host).map(|service| service.effective(path)).unwrap_or_default();
		let query = match (query, rules.cache_key) {
			(Some(query), Some(key)) => Some(key.query(query)),
			(query, _) => query.map(str::to_string),
		};
		let key = match query {
			Some(query) if !query.is_empty() => format!("{host}{path}?{query}"),
			_ => format!("{host}{path}"),
		};
		(key, rules.cache_policy.copied())
	}

	/// Whether the relay has an origin for `host` (lower case).
	pub fn serves(&self, host: &str) -> bool {
		self.origins.read().unwrap_or_else(|e| e.into_inner()).contains_key(host)
	}

	pub fn store(&self) -> &Store {
		&self.store
	}

	/// Answers a GET or HEAD for a host this proxy serves.
	pub async fn handle<B>(
		self: &Arc<Self>,
		request: &Request<B>,
	) -> (Outcome, Response<ProxyBody>) {
		let host = host_of(request);
		let origin = self.origins.read().unwrap_or_else(|e| e.into_inner()).get(&host).cloned();
		let Some(origin) = origin else {
			return (
				Outcome::Bypass,
				text(StatusCode::MISDIRECTED_REQUEST, "this relay does not serve that host\n"),
			);
		};
		let path = request.uri().path_and_query().map(|p| p.as_str()).unwrap_or("/");
		let (key, cache_policy) = self.cache_key(&host, path);
		// Only a miss or a revalidation needs the origin's URL.
		let url = || format!("{}{}", origin.to_string().trim_end_matches('/'), path);
		let now = SystemTime::now();

		let headers = request.headers();
		let (outcome, stored) = match self.store.get(&key, headers).await {
			Some(stored) if stored.freshness.usable(headers, now) == Use::Fresh => {
				(Outcome::Hit, stored)
			}
			Some(stale) if stale.freshness.serve_while_revalidating(headers, now) => {
				// RFC 5861: answer now, refresh in the background (coalesced).
				let (this, key, url, request_headers, cache_policy) =
					(self.clone(), key.clone(), url(), headers.clone(), cache_policy);
				let background = stale.clone();
				tokio::spawn(async move {
					let _ = this
						.fetch(&key, &url, &request_headers, Some(background), cache_policy)
						.await;
				});
				(Outcome::Stale, stale)
			}
			Some(stale) => {
				match self.fetch(&key, &url(), headers, Some(stale.clone()), cache_policy).await {
					Ok(fresh) if !fresh.status.is_server_error() => (Outcome::Revalidated, fresh),
					failed => {
						if stale.freshness.serve_on_error(now, self.stale_if_error) {
							(Outcome::Stale, stale)
						} else {
							match failed {
								Ok(error_response) => (Outcome::Bypass, error_response),
								Err(e) => return (Outcome::Bypass, origin_failed(&e)),
							}
						}
					}
				}
			}
			None => match self.fetch(&key, &url(), headers, None, cache_policy).await {
				// A coalesced fetch made for another viewer whose `Vary`
				// headers differ is not this viewer's response: ask for its own.
				Ok(fetched) if !fetched.matches(headers) => {
					match self.fetch_from_origin(&key, &url(), headers, None, cache_policy).await {
						Ok(own) => (Outcome::Miss, own),
						Err(e) => return (Outcome::Bypass, origin_failed(&e)),
					}
				}
				Ok(fetched) => {
					let stored = self.store.get(&key, headers).await.is_some();
					(if stored { Outcome::Miss } else { Outcome::Bypass }, fetched)
				}
				Err(e) => return (Outcome::Bypass, origin_failed(&e)),
			},
		};
		(outcome, respond(request, &stored, outcome, cache_policy.as_ref(), SystemTime::now()))
	}

	/// Fetches `url` once for every concurrent caller with the same key;
	/// with `stale`, conditionally. Stores what may be stored.
	async fn fetch(
		self: &Arc<Self>,
		key: &str,
		url: &str,
		request: &HeaderMap,
		stale: Option<Arc<Stored>>,
		cache_policy: Option<CachePolicy>,
	) -> Fetched {
		let shared = {
			let mut inflight = self.inflight.lock().expect("not poisoned");
			if let Some(running) = inflight.get(key) {
				running.clone()
			} else {
				let this = self.clone();
				let (key_owned, url, request) = (key.to_string(), url.to_string(), request.clone());
				let future = async move {
					let result = this
						.fetch_from_origin(&key_owned, &url, &request, stale, cache_policy)
						.await;
					this.inflight.lock().expect("not poisoned").remove(&key_owned);
					result
				}
				.boxed()
				.shared();
				inflight.insert(key.to_string(), future.clone());
				future
			}
		};
		shared.await
	}

	async fn fetch_from_origin(
		&self,
		key: &str,
		url: &str,
		request: &HeaderMap,
		stale: Option<Arc<Stored>>,
		cache_policy: Option<CachePolicy>,
	) -> Fetched {
		let uri: Uri = url.parse().map_err(|e| format!("bad origin URL {url}: {e}"))?;
		let mut outgoing = Request::builder().method(Method::GET).uri(uri);
		for (name, value) in request {
			// The origin sees the viewer's request minus hop-by-hop fields, the
			// range (the whole object is cached) and its own validators.
			if HOP_BY_HOP.contains(&name.as_str())
				|| UNKEYED_OVERRIDES.contains(&name.as_str())
				|| name == header::RANGE
				|| name == header::HOST
				|| name == header::IF_NONE_MATCH
				|| name == header::IF_MODIFIED_SINCE
			{
				continue;
			}
			outgoing = outgoing.header(name, value);
		}
		if let Some(stale) = &stale {
			for (name, value) in &policy::conditional_headers(&stale.headers) {
				outgoing = outgoing.header(name, value);
			}
		}
		let outgoing = outgoing.body(Empty::<Bytes>::new()).map_err(|e| e.to_string())?;
		let request_time = SystemTime::now();
		let response = tokio::time::timeout(self.origin_timeout, self.client.request(outgoing))
			.await
			.map_err(|_| "timed out".to_string())?
			.map_err(|e| e.to_string())?;
		self.origin_latency.observe(request_time.elapsed().unwrap_or_default().as_secs_f64());
		let (parts, body) = response.into_parts();
		// Bounded in size and time: an endless or dripping body fails the
		// fetch (502) and is never stored.
		let body = tokio::time::timeout(
			ORIGIN_BODY_TIMEOUT,
			Limited::new(body, self.max_object_bytes).collect(),
		)
		.await
		.map_err(|_| "the body timed out".to_string())?
		.map_err(|e| format!("reading the body: {e}"))?
		.to_bytes();
		let response_time = SystemTime::now();
		let received = Received { request_time, response_time };

		if parts.status == StatusCode::NOT_MODIFIED {
			if let Some(stale) = stale {
				// RFC 9111 §4.3.4: the stored response with the new headers.
				let mut headers = stale.headers.clone();
				for (name, value) in &parts.headers {
					if !HOP_BY_HOP.contains(&name.as_str())
						&& name != header::CONTENT_LENGTH
						&& name != policy::INTERNAL_LIFETIME
					{
						headers.insert(name, value.clone());
					}
				}
				let refreshed = Stored::new(
					stale.status,
					headers,
					stale.body.clone(),
					received,
					stale.vary.clone(),
				);
				self.store.put(key.to_string(), refreshed.clone()).await;
				return Ok(Arc::new(refreshed));
			}
		}
		let mut headers = parts.headers;
		strip_hop_by_hop(&mut headers);
		let vary = policy::vary_key(&headers, request);
		let storable = match &cache_policy {
			Some(cache_policy) => {
				policy::apply_internal_policy(cache_policy, request, parts.status, &mut headers)
			}
			None => {
				headers.remove(policy::INTERNAL_LIFETIME);
				policy::storable(&Method::GET, request, parts.status, &headers)
			}
		};
		let stored = Stored::new(parts.status, headers, body, received, vary);
		if storable {
			self.store.put(key.to_string(), stored.clone()).await;
		} else if stale.is_none() || !stored.status.is_server_error() {
			// A server error keeps the stale copy, which may still serve (stale-if-error).
			let _ = self.store.remove(key).await;
		}
		Ok(Arc::new(stored))
	}
}

fn origin_failed(error: &str) -> Response<ProxyBody> {
	text(StatusCode::BAD_GATEWAY, &format!("origin: {error}\n"))
}

pub fn host_of<B>(request: &Request<B>) -> String {
	let host = request
		.uri()
		.host()
		.map(str::to_string)
		.or_else(|| {
			request.headers().get(header::HOST).and_then(|h| h.to_str().ok()).map(str::to_string)
		})
		.unwrap_or_default();
	// Without the port, lower-cased.
	let host = host
		.rsplit_once(':')
		.filter(|(_, port)| port.bytes().all(|b| b.is_ascii_digit()))
		.map(|(h, _)| h.to_string())
		.unwrap_or(host);
	host.to_ascii_lowercase()
}

/// The viewer's response from a stored one: `Age`, `X-Cache`, the
/// provider's external cache policy, and the requested range of a complete `200`.
fn respond<B>(
	request: &Request<B>,
	stored: &Stored,
	outcome: Outcome,
	cache_policy: Option<&CachePolicy>,
	now: SystemTime,
) -> Response<ProxyBody> {
	let mut headers = stored.headers.clone();
	headers.remove(policy::INTERNAL_LIFETIME);
	if let Some(cache_policy) = cache_policy {
		policy::apply_external_policy(cache_policy, &mut headers);
	}
	let age = stored.freshness.age(now).as_secs();
	headers.insert(header::AGE, HeaderValue::from(age));
	headers.insert("x-cache", HeaderValue::from_static(outcome.as_str()));
	let head = request.method() == Method::HEAD;
	if stored.status == StatusCode::OK && policy::not_modified(request.headers(), &stored.headers) {
		headers.remove(header::CONTENT_LENGTH);
		let mut response = Response::new(Full::new(Bytes::new()).boxed());
		*response.status_mut() = StatusCode::NOT_MODIFIED;
		*response.headers_mut() = headers;
		return response;
	}
	let range_header = request.headers().get(header::RANGE).and_then(|v| v.to_str().ok());
	let (status, body) = match range_header {
		Some(spec) if stored.status == StatusCode::OK => {
			match range::parse(spec, stored.body.len() as u64) {
				Ok(r) => {
					headers.insert(
						header::CONTENT_RANGE,
						HeaderValue::from_str(&r.content_range(stored.body.len() as u64))
							.expect("ascii"),
					);
					(
						StatusCode::PARTIAL_CONTENT,
						stored.body.slice(r.first as usize..=r.last as usize),
					)
				}
				Err(range::RangeError::Unsatisfiable) => {
					headers.insert(
						header::CONTENT_RANGE,
						HeaderValue::from_str(&format!("bytes */{}", stored.body.len()))
							.expect("ascii"),
					);
					(StatusCode::RANGE_NOT_SATISFIABLE, Bytes::new())
				}
				// A malformed or multi-range header is ignored: the whole object (RFC 9110 §14.2).
				Err(_) => (StatusCode::OK, stored.body.clone()),
			}
		}
		_ => (stored.status, stored.body.clone()),
	};
	headers.insert(header::CONTENT_LENGTH, HeaderValue::from(body.len()));
	headers.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
	let body = if head { Bytes::new() } else { body };
	let mut response = Response::new(Full::new(body).boxed());
	*response.status_mut() = status;
	*response.headers_mut() = headers;
	response
}
