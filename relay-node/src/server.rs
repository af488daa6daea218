//! The HTTP server: accepts connections (HTTP/1.1 and HTTP/2), routes
//! requests, and drains connections on shutdown.

use crate::{
	cache::proxy::Proxy,
	config::Config,
	logs::{
		body::{head_bytes, Draft, Logged},
		delivery::{Connection, Metered},
		signing::Authorised,
		spool::BatchId,
		Logs,
	},
	metrics::{Metrics, OutcomeLabels, RequestLabels},
	pob::{self, PobError},
};
use bytes::Bytes;
use futures_util::StreamExt;
use http_body_util::{combinators::BoxBody, BodyExt, Full, StreamBody};
use hyper::{
	body::{Frame, Incoming},
	header, Method, Request, Response, StatusCode,
};
use hyper_util::{
	rt::{TokioExecutor, TokioIo},
	server::{conn::auto, graceful::GracefulShutdown},
};
use ocm_cdni::record::HttpRequest;
use std::{convert::Infallible, future::Future, sync::Arc, time::Duration};
use tokio::net::TcpListener;

type Body = BoxBody<Bytes, Infallible>;

fn text(status: StatusCode, body: impl Into<String>) -> Response<Body> {
	let mut response = Response::new(Full::new(Bytes::from(body.into())).boxed());
	*response.status_mut() = status;
	response
		.headers_mut()
		.insert(header::CONTENT_TYPE, "text/plain; charset=utf-8".parse().expect("valid"));
	response
}

/// What every worker's connections share.
pub struct State {
	pub config: Config,
	pub metrics: Metrics,
	pub proxy: Arc<Proxy>,
	pub chain: crate::chain::SharedChain,
	pub logs: Option<Arc<Logs>>,
	/// Per-provider limits on RFC 8007 trigger commands.
	pub triggers: crate::triggers::Limiter,
}

/// `POST /.well-known/ocm/triggers`: reads the command (bounded) and
/// carries it out.
async fn trigger(state: &Arc<State>, request: Request<Incoming>) -> Response<Body> {
	let credentials = crate::triggers::credentials(&request);
	let limited =
		http_body_util::Limited::new(request.into_body(), ocm_routing::control::MAX_COMMAND_BYTES);
	let (status, body) = match limited.collect().await {
		Ok(body) => {
			crate::triggers::handle(
				&state.chain,
				&state.proxy,
				&state.triggers,
				credentials,
				&body.to_bytes(),
			)
			.await
		}
		Err(_) => (
			StatusCode::PAYLOAD_TOO_LARGE,
			serde_json::json!({"status": "failed", "errors": [{"error": "ereject", "description": "the command is too large"}]}),
		),
	};
	let mut response = Response::new(Full::new(Bytes::from(body.to_string())).boxed());
	*response.status_mut() = status;
	response.headers_mut().insert(
		header::CONTENT_TYPE,
		ocm_routing::control::STATUS_MEDIA_TYPE.parse().expect("valid"),
	);
	response
}

async fn route(state: &Arc<State>, request: &Request<Incoming>) -> (&'static str, Response<Body>) {
	let path = request.uri().path();
	if request.method() != Method::GET && request.method() != Method::HEAD {
		let mut r = text(StatusCode::METHOD_NOT_ALLOWED, "only GET and HEAD\n");
		r.headers_mut().insert(header::ALLOW, "GET, HEAD".parse().expect("valid"));
		return ("other", r);
	}
	if path == "/healthz" {
		return ("healthz", text(StatusCode::OK, "ok\n"));
	}
	if path == "/metrics" {
		state.metrics.cache_bytes.set(state.proxy.store().weighted_size().await as i64);
		state.metrics.cache_disk_bytes.set(state.proxy.store().disk_size().await as i64);
		let mut r = text(StatusCode::OK, state.metrics.encode());
		r.headers_mut().insert(
			header::CONTENT_TYPE,
			"application/openmetrics-text; version=1.0.0; charset=utf-8".parse().expect("valid"),
		);
		return ("metrics", r);
	}
	if path == "/.well-known/ocm/fci" {
		return (
			"fci",
			match crate::chain::fci(&state.chain).await {
				Ok(json) => {
					let mut r = text(StatusCode::OK, json);
					r.headers_mut()
						.insert(header::CONTENT_TYPE, "application/json".parse().expect("valid"));
					r
				}
				Err(e) => text(StatusCode::SERVICE_UNAVAILABLE, format!("{e}\n")),
			},
		);
	}
	if let Some(rest) = path.strip_prefix(crate::logs::PATH_PREFIX) {
		let Some(logs) = &state.logs else {
			return ("logs", text(StatusCode::NOT_FOUND, "this relay keeps no delivery logs\n"));
		};
		return (
			"logs",
			match logs.publish(rest) {
				Ok((content_type, body)) => {
					let mut r = Response::new(Full::new(Bytes::from(body)).boxed());
					r.headers_mut()
						.insert(header::CONTENT_TYPE, content_type.parse().expect("valid"));
					r
				}
				Err((status, message)) => {
					text(StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST), message)
				}
			},
		);
	}
	if let Some(rest) = path.strip_prefix(pob::PATH_PREFIX) {
		let serving = {
			let chain = state.chain.read().await;
			match (chain.foreign, chain.relay) {
				(true, _) => pob::Serving::Foreign,
				(false, Some(own)) => pob::Serving::Relay(own),
				(false, None) => pob::Serving::Any,
			}
		};
		let range = request.headers().get(header::RANGE).and_then(|v| v.to_str().ok());
		let head = request.method() == Method::HEAD;
		return ("pob", pob_response(state, rest, range, head, serving));
	}
	let (outcome, response) = state.proxy.handle(request).await;
	state.metrics.cache.get_or_create(&OutcomeLabels { outcome: outcome.as_str() }).inc();
	("cache", response)
}

fn pob_response(
	state: &Arc<State>,
	rest: &str,
	range: Option<&str>,
	head: bool,
	serving: pob::Serving,
) -> Response<Body> {
	let plan = match pob::plan(rest, range, state.config.pob_max_request_bytes, serving) {
		Ok(plan) => plan,
		Err(PobError::BadPath) => {
			return text(
				StatusCode::BAD_REQUEST,
				"expected /.well-known/ocm/pob/v1/{64 hex seed}/{relay id}/{64 hex beacon key}\n",
			)
		}
		Err(PobError::NoRange) => {
			return text(StatusCode::BAD_REQUEST, "a Range: bytes=first-last header is required\n")
		}
		Err(PobError::Range(e)) => {
			let mut r =
				text(StatusCode::RANGE_NOT_SATISFIABLE, format!("unservable range: {e:?}\n"));
			r.headers_mut().insert(
				header::CONTENT_RANGE,
				format!("bytes */{}", pob::STREAM_LEN).parse().expect("valid"),
			);
			return r;
		}
		Err(PobError::TooLarge { max }) => {
			return text(
				StatusCode::RANGE_NOT_SATISFIABLE,
				format!("at most {max} bytes per request\n"),
			)
		}
		Err(PobError::NotThisRelay { own }) => {
			return text(StatusCode::NOT_FOUND, format!("this server is relay {own}'s only\n"))
		}
		Err(PobError::Foreign) => {
			let message = "another operator's relay is registered on this server\n";
			return text(StatusCode::NOT_FOUND, message);
		}
	};
	let range = plan.range;
	let body: Body = if head {
		Full::new(Bytes::new()).boxed()
	} else {
		let sent = state.metrics.pob_bytes.clone();
		BodyExt::boxed(StreamBody::new(plan.chunks().map(move |chunk| {
			sent.inc_by(chunk.len() as u64);
			Ok::<_, Infallible>(Frame::data(chunk))
		})))
	};
	let mut response = Response::new(body);
	*response.status_mut() = StatusCode::PARTIAL_CONTENT;
	let headers = response.headers_mut();
	headers.insert(header::CONTENT_TYPE, "application/octet-stream".parse().expect("valid"));
	headers.insert(header::CONTENT_LENGTH, range.len().into());
	headers.insert(
		header::CONTENT_RANGE,
		range.content_range(pob::STREAM_LEN).parse().expect("digits and spaces"),
	);
	// Every byte must come from this relay, now: no cache may answer for it.
	headers.insert(header::CACHE_CONTROL, "no-store".parse().expect("valid"));
	response
}

/// The caching proxy for the configured origins; the chain follower adds
/// the delivery contracts' origins to it.
pub fn proxy(
	config: &Config,
	metrics: &Metrics,
	disk: Option<Arc<crate::cache::disk::DiskTier>>,
	origin_tls: rustls::ClientConfig,
) -> Arc<Proxy> {
	Arc::new(Proxy::new(
		config.origins.iter().map(|(h, u)| (h.clone(), u.clone())).collect(),
		config.cache_memory_bytes,
		usize::try_from(config.cache_max_object_bytes).unwrap_or(usize::MAX),
		Duration::from_secs(config.cache_stale_if_error_secs),
		metrics.origin_seconds.clone(),
		disk,
		origin_tls,
	))
}

/// Takes a URI Signing token out of the request target (no cache key,
/// origin request or record may carry it) and, on a host whose contract
/// requires signed requests now, checks it (from the query, else the
/// `URISigningPackage` cookie): 403 with the reason when it does not
/// authorise the request. An authorised token is kept before anything is
/// served, so the record that names it can be answered for.
/// `text` with every valid `%XX` decoded (others left as they are),
/// lower-cased.
fn percent_decoded_lowercase(text: &str) -> String {
	let bytes = text.as_bytes();
	let hex = |b: Option<&u8>| b.and_then(|b| (*b as char).to_digit(16));
	let mut out = Vec::with_capacity(bytes.len());
	let mut i = 0;
	while i < bytes.len() {
		match (bytes[i], hex(bytes.get(i + 1)), hex(bytes.get(i + 2))) {
			(b'%', Some(high), Some(low)) => {
				out.push((high * 16 + low) as u8);
				i += 3;
			}
			(b, _, _) => {
				out.push(b);
				i += 1;
			}
		}
	}
	String::from_utf8_lossy(&out).to_ascii_lowercase()
}

/// A request for a contract's host, admitted: the batch its record goes
/// to (decided at arrival) and the token that authorised it, if the
/// contract requires one.
type Admitted = (BatchId, Option<Authorised>);

#[allow(clippy::result_large_err)]
fn authorise(
	state: &State,
	mut request: Request<Incoming>,
	client: std::net::IpAddr,
) -> Result<(Request<Incoming>, Option<Admitted>), Response<Body>> {
	let Some(logs) = &state.logs else { return Ok((request, None)) };
	let package = ocm_cdni::uri_signing::PACKAGE;
	let target = request.uri().path_and_query().map_or("/", |p| p.as_str()).to_string();
	let (query_token, target) = match ocm_cdni::uri_signing::take_from_query(&target) {
		Some((token, rest)) => {
			let mut parts = request.uri().clone().into_parts();
			parts.path_and_query = rest.parse().ok();
			match http::Uri::from_parts(parts) {
				Ok(uri) => *request.uri_mut() = uri,
				Err(_) => {
					return Err(text(StatusCode::BAD_REQUEST, "an unusable request target\n"))
				}
			}
			(Some(token), rest)
		}
		None => (None, target),
	};
	// A token in any other spelling (percent-encoded, after a `;`) would
	// reach the cache key, the origin and the record: refused.
	if percent_decoded_lowercase(&target).contains(&package.to_ascii_lowercase()) {
		return Err(text(
			StatusCode::BAD_REQUEST,
			format!("{package} only as a query parameter of its own\n"),
		));
	}
	let mut cookie_token = None;
	let cookies: Vec<String> = request
		.headers()
		.get_all(header::COOKIE)
		.iter()
		.filter_map(|v| v.to_str().ok())
		.map(str::to_string)
		.collect();
	if !cookies.is_empty() {
		// The token leaves the cookies the origin sees.
		request.headers_mut().remove(header::COOKIE);
		for cookie in cookies {
			cookie_token = cookie_token
				.or_else(|| crate::logs::signing::from_cookie(&cookie).map(str::to_string));
			let kept: Vec<&str> = cookie
				.split(';')
				.map(str::trim)
				.filter(|pair| !pair.starts_with(&format!("{package}=")))
				.collect();
			if let Ok(value) = kept.join("; ").parse() {
				if !kept.is_empty() {
					request.headers_mut().append(header::COOKIE, value);
				}
			}
		}
	}
	if request
		.headers()
		.get(header::REFERER)
		.and_then(|r| r.to_str().ok())
		.is_some_and(|r| r.contains(package))
	{
		request.headers_mut().remove(header::REFERER);
	}
	let host = crate::cache::proxy::host_of(&request);
	let uri = format!("http://{host}{target}");
	let now = std::time::SystemTime::now()
		.duration_since(std::time::UNIX_EPOCH)
		.map_or(0, |d| d.as_secs());
	match logs.authorise(&host, query_token.or(cookie_token).as_deref(), client, &uri, now) {
		Ok(None) => Ok((request, None)),
		Ok(Some((batch, Some(authorised)))) => {
			if let Err(e) = logs.keep_token(batch, &authorised.id, &authorised.token) {
				// Unkept, its record could not be answered for: the relay
				// would serve a request it may not be paid for.
				tracing::warn!(error = %e, "cannot keep a URI Signing token");
				return Err(text(
					StatusCode::SERVICE_UNAVAILABLE,
					"this relay cannot keep the request's token now\n",
				));
			}
			Ok((request, Some((batch, Some(authorised)))))
		}
		Ok(Some((batch, None))) => Ok((request, Some((batch, None)))),
		Err(refusal) => Err(text(StatusCode::FORBIDDEN, format!("{}\n", refusal.reason()))),
	}
}

/// Writes the request's CDNi record when its response body is done, if
/// the request is for a delivery contract's host: gives the response its
/// `OCM-Request-Id` and, when the client asks (`OCM-Receipt: 1`), the
/// operator's signed receipt.
fn logged(
	logs: &Arc<Logs>,
	request: &Request<Incoming>,
	(peer, connection): (std::net::SocketAddr, Option<Arc<Connection>>),
	started: std::time::Instant,
	admitted: Option<&Admitted>,
	response: Response<Body>,
) -> Response<Body> {
	// 421: the relay does not serve the host (yet): nothing was delivered.
	if response.status() == StatusCode::MISDIRECTED_REQUEST {
		return response;
	}
	let host = crate::cache::proxy::host_of(request);
	let authorised = admitted.and_then(|(_, token)| token.as_ref());
	let Some(batch) = admitted.map(|(batch, _)| *batch).or_else(|| logs.batch_for(&host)) else {
		// A host whose contract ended, or left or removed this relay: it
		// would be served for nothing, to nobody's account.
		if logs.knows(&host) {
			return text(
				StatusCode::MISDIRECTED_REQUEST,
				"this relay does not serve the host under a contract now\n",
			);
		}
		return response;
	};
	let path = request.uri().path_and_query().map_or("/", |p| p.as_str());
	let uri = format!("http://{host}{path}");
	let request_id = logs.request_id();
	let (mut parts, body) = response.into_parts();
	if let Ok(value) = request_id.parse() {
		parts.headers.insert(REQUEST_ID, value);
	}
	if let Some(authorised) = authorised {
		if let Ok(value) = authorised.id.parse() {
			parts.headers.insert(TOKEN_ID, value);
		}
		if let Some(secs) = authorised.cookie_for_secs {
			let cookie = format!(
				"{}={}; Max-Age={secs}; Path=/; HttpOnly",
				ocm_cdni::uri_signing::PACKAGE,
				authorised.token
			);
			if let Ok(value) = cookie.parse() {
				parts.headers.append(header::SET_COOKIE, value);
			}
		}
	}
	let wants_receipt = request.headers().get(RECEIPT).is_some_and(|v| v.as_bytes() == b"1");
	if wants_receipt {
		if let Some(signature) = logs.receipt(batch, &request_id, &uri).and_then(|s| s.parse().ok())
		{
			parts.headers.insert(RECEIPT, signature);
		}
	}
	let draft = Draft {
		batch,
		started,
		connection,
		sequential: request.version() < http::Version::HTTP_2,
		head_bytes: head_bytes(&parts),
		record: HttpRequest {
			completed_at_ms: 0,
			time_taken_us: 0,
			client_group: ocm_cdni::privacy::client_group(peer.ip()),
			server_hostname: logs.hostname.clone(),
			method: request.method().as_str().to_string(),
			upstream_uri: uri,
			protocol: format!("{:?}", request.version()),
			status: parts.status.as_u16(),
			total_bytes: 0,
			entity_bytes: 0,
			cached: parts.headers.get("x-cache").is_some_and(|v| v.as_bytes() == b"HIT"),
			request_id,
			token_id: authorised.map(|a| a.id.clone()),
		},
	};
	Response::from_parts(parts, BodyExt::boxed(Logged::new(body, draft, logs.clone())))
}

/// Request targets longer than this are refused (414): a record carries
/// the target percent-encoded (up to three bytes each) within
/// `ocm_cdni::record::MAX_LINE`, 8 KiB, with room for a 253-byte host and
/// the other fields. A longer line would bill nothing and could not be
/// disputed as what it is.
const MAX_TARGET: usize = 2 * 1024;

/// Refuses request targets a record cannot carry: too long (414), or not
/// a path (the `*` and authority forms, 400), before anything is served
/// or logged.
fn refuse_target<B>(request: &Request<B>) -> Option<Response<Body>> {
	let target = request.uri().path_and_query().map_or("", |p| p.as_str());
	if target.len() > MAX_TARGET {
		return Some(text(
			StatusCode::URI_TOO_LONG,
			format!("request targets are at most {MAX_TARGET} bytes\n"),
		));
	}
	if !request.uri().path().starts_with('/') {
		return Some(text(StatusCode::BAD_REQUEST, "the request target must be a path\n"));
	}
	None
}

const REQUEST_ID: header::HeaderName = header::HeaderName::from_static("ocm-request-id");
const RECEIPT: header::HeaderName = header::HeaderName::from_static("ocm-receipt");
const TOKEN_ID: header::HeaderName = header::HeaderName::from_static("ocm-token-id");

/// The request handler for one connection from `peer`.
fn service(
	state: &Arc<State>,
	peer: std::net::SocketAddr,
	connection: Option<Arc<Connection>>,
) -> impl hyper::service::Service<
	Request<Incoming>,
	Response = Response<Body>,
	Error = Infallible,
	Future = impl Future<Output = Result<Response<Body>, Infallible>> + Send,
> + Clone
       + Send
       + 'static {
	let state = state.clone();
	hyper::service::service_fn(move |request: Request<Incoming>| {
		let state = state.clone();
		let connection = connection.clone();
		async move {
			let started = std::time::Instant::now();
			let request = crate::delegated::rewrite(request);
			if let Some(refused) = refuse_target(&request) {
				state
					.metrics
					.requests
					.get_or_create(&RequestLabels {
						endpoint: "refused",
						status: refused.status().as_u16(),
					})
					.inc();
				return Ok::<_, Infallible>(refused);
			}
			if request.method() == Method::POST && request.uri().path() == crate::triggers::PATH {
				let response = trigger(&state, request).await;
				state
					.metrics
					.requests
					.get_or_create(&RequestLabels {
						endpoint: "triggers",
						status: response.status().as_u16(),
					})
					.inc();
				return Ok::<_, Infallible>(response);
			}
			let (request, admitted) = match authorise(&state, request, peer.ip()) {
				Ok(admitted) => admitted,
				Err(refused) => {
					state
						.metrics
						.requests
						.get_or_create(&RequestLabels {
							endpoint: "refused",
							status: refused.status().as_u16(),
						})
						.inc();
					return Ok::<_, Infallible>(refused);
				}
			};
			let (endpoint, mut response) = route(&state, &request).await;
			if endpoint == "cache" {
				if let Some(logs) = &state.logs {
					response = logged(
						logs,
						&request,
						(peer, connection.clone()),
						started,
						admitted.as_ref(),
						response,
					);
				}
				let counter = state.metrics.cache_body_bytes.clone();
				response = response
					.map(|body| BodyExt::boxed(crate::metrics::CountedBody::new(body, counter)));
			}
			state
				.metrics
				.requests
				.get_or_create(&RequestLabels { endpoint, status: response.status().as_u16() })
				.inc();
			Ok::<_, Infallible>(response)
		}
	})
}

/// The TLS listener's next connection; never, without TLS.
async fn accept_tls(
	tls: &Option<(TcpListener, tokio_rustls::TlsAcceptor)>,
) -> std::io::Result<(tokio::net::TcpStream, std::net::SocketAddr)> {
	match tls {
		Some((listener, _)) => listener.accept().await,
		None => std::future::pending().await,
	}
}

/// An accepted connection, or `None` after a pause when accepting failed
/// (out of file descriptors and the like: back off, keep serving).
async fn accepted_or_back_off(
	accepted: std::io::Result<(tokio::net::TcpStream, std::net::SocketAddr)>,
) -> Option<(tokio::net::TcpStream, std::net::SocketAddr)> {
	match accepted {
		Ok(accepted) => Some(accepted),
		Err(e) => {
			tracing::warn!(error = %e, "accept failed");
			tokio::time::sleep(Duration::from_millis(50)).await;
			None
		}
	}
}

/// Serves until `shutdown` completes, then lets open connections finish
/// (up to 10 s). Each worker runs one of these on its own thread and
/// runtime, with its own `SO_REUSEPORT` listeners: a connection stays on
/// the thread that accepted it, so nothing crosses threads per request.
pub async fn serve(
	listener: TcpListener,
	tls: Option<(TcpListener, tokio_rustls::TlsAcceptor)>,
	state: Arc<State>,
	shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
	let mut builder = auto::Builder::new(TokioExecutor::new());
	// A client has this long to send a request's head (slowloris): then its
	// connection closes. HTTP/2 pings idle connections and drops dead ones.
	builder
		.http1()
		.timer(hyper_util::rt::TokioTimer::new())
		.header_read_timeout(Duration::from_secs(state.config.header_read_timeout_secs));
	builder
		.http2()
		.timer(hyper_util::rt::TokioTimer::new())
		.keep_alive_interval(Duration::from_secs(30));
	let graceful = GracefulShutdown::new();
	tokio::pin!(shutdown);
	loop {
		tokio::select! {
			accepted = listener.accept() => {
				let Some((stream, peer)) = accepted_or_back_off(accepted).await else { continue };
				let _ = stream.set_nodelay(true);
				let metered = Connection::of(&stream);
				let service = service(&state, peer, metered.clone());
				let connection = builder
					.serve_connection(TokioIo::new(Metered::new(stream, metered)), service)
					.into_owned();
				let connection = graceful.watch(connection);
				tokio::spawn(async move {
					if let Err(e) = connection.await {
						tracing::debug!(%peer, error = %e, "connection ended with an error");
					}
				});
			},
			accepted = accept_tls(&tls) => {
				let Some((stream, peer)) = accepted_or_back_off(accepted).await else { continue };
				let _ = stream.set_nodelay(true);
				let Some((_, acceptor)) = &tls else { continue };
				let (acceptor, builder, watcher) = (acceptor.clone(), builder.clone(), graceful.watcher());
				let metered = Connection::of(&stream);
				let service = service(&state, peer, metered.clone());
				tokio::spawn(async move {
					let stream = match tokio::time::timeout(
						crate::tls::HANDSHAKE_TIMEOUT,
						acceptor.accept(Metered::new(stream, metered)),
					)
					.await
					{
						Ok(Ok(stream)) => stream,
						Ok(Err(e)) => return tracing::debug!(%peer, error = %e, "TLS handshake failed"),
						Err(_) => return tracing::debug!(%peer, "TLS handshake timed out"),
					};
					let connection =
						builder.serve_connection(TokioIo::new(stream), service).into_owned();
					if let Err(e) = watcher.watch(connection).await {
						tracing::debug!(%peer, error = %e, "connection ended with an error");
					}
				});
			},
			_ = &mut shutdown => break,
		}
	}
	drop(listener);
	drop(tls);
	tracing::info!("shutting down: draining open connections");
	if tokio::time::timeout(Duration::from_secs(10), graceful.shutdown()).await.is_err() {
		tracing::warn!("connections still open after 10 s; closing them");
	}
	Ok(())
}

#[cfg(test)]
mod tests {
	use super::*;

	fn request(target: &str) -> Request<()> {
		Request::builder().uri(target).body(()).unwrap()
	}

	#[test]
	fn targets_a_record_cannot_carry_are_refused() {
		assert!(refuse_target(&request("/live/0.ts?x=1")).is_none());
		let longest = format!("/{}", "%".repeat(MAX_TARGET - 1));
		assert!(refuse_target(&request(&longest)).is_none());
		let too_long = format!("/{}", "a".repeat(MAX_TARGET));
		assert_eq!(refuse_target(&request(&too_long)).unwrap().status(), 414);
		assert_eq!(refuse_target(&request("*")).unwrap().status(), 400);
		// The longest target, every byte percent-encoded, with the longest
		// host, still makes a record that settlement parses.
		let line = ocm_cdni::record::HttpRequest {
			completed_at_ms: 4_102_444_799_999, // the last millisecond of 2099
			time_taken_us: 86_400_000_000,
			client_group: "2001:db8:abcd::/48".into(),
			server_hostname: "relay.example".into(),
			method: "GET".into(),
			upstream_uri: format!(
				"http://{}.{}.{}.{}{longest}",
				"a".repeat(63),
				"b".repeat(63),
				"c".repeat(63),
				"d".repeat(61)
			),
			protocol: "HTTP/1.1".into(),
			status: 200,
			total_bytes: 999_999_999_999_999,
			entity_bytes: 999_999_999_999_999,
			cached: true,
			request_id: "f".repeat(32),
			token_id: None,
		}
		.to_line();
		let parsed = ocm_cdni::record::Settled::parse(&line);
		assert!(parsed.is_ok(), "{} bytes: {parsed:?}", line.len());
	}
}
