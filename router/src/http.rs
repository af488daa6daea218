//! The router's HTTP interface.
//!
//! - `GET`/`HEAD` for a contract's host (from `Host`): `302 Found` to the
//!   chosen relay, the path and query kept, never cached (each player is
//!   placed on its own).
//! - `POST /cdni/v1/redirection`: an RFC 7975 redirection request.
//! - `GET /cdni/v1/fci`: the marketplace's RFC 8008 advertisement.
//! - `POST /cdni/v1/triggers`, `GET /cdni/v1/triggers[/{id}]`: RFC 8007.
//! - `GET /cdni/v1/logs/{contract}`: the contract's committed log batches.
//! - `PUT`/`GET /cdni/v1/metadata/{contract}`: the contract's service
//!   configuration, RFC 8006 metadata signed by its provider.
//! - `GET /healthz`, `GET /metrics`.
//!
//! Errors carry RFC 7975's error object (`{"error": {"error-code", ...}}`):
//! 404 for a host no contract has, 503 when no relay serves the client.

use crate::state::Router;
use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::{body::Incoming, header, Method, Request, Response, StatusCode};
use hyper_util::{
	rt::{TokioExecutor, TokioIo},
	server::conn::auto,
};
use ocm_routing::{
	control::TriggerError,
	redirection::{self, Query, RiError},
	RouteError,
};
use std::{convert::Infallible, net::SocketAddr, sync::Arc};
use tokio::net::TcpListener;

pub const REDIRECTION_PATH: &str = "/cdni/v1/redirection";
pub const FCI_PATH: &str = "/cdni/v1/fci";

/// Seconds an upstream DNS server may cache a DNS answer.
pub const DNS_TTL_SECS: u32 = 20;

type Body = Full<Bytes>;

fn respond(status: StatusCode, content_type: &str, body: impl Into<Bytes>) -> Response<Body> {
	let mut response = Response::new(Full::new(body.into()));
	*response.status_mut() = status;
	let headers = response.headers_mut();
	if let Ok(value) = content_type.parse() {
		headers.insert(header::CONTENT_TYPE, value);
	}
	headers.insert(header::CACHE_CONTROL, header::HeaderValue::from_static("private, no-store"));
	response
}

fn error(status: StatusCode, error: RiError) -> Response<Body> {
	respond(status, "application/json", error.body().to_string())
}

/// A player's request that found no relay: 404 for a host no contract
/// has, 503 for a client no relay serves.
fn route_error(host: &str, e: RouteError) -> Response<Body> {
	let status = match e {
		RouteError::UnknownHost => StatusCode::NOT_FOUND,
		RouteError::NoRelay => StatusCode::SERVICE_UNAVAILABLE,
	};
	error(status, RiError::for_route(e, host))
}

/// The request's host, lower case, without port.
fn host_of(request: &Request<Incoming>) -> Option<String> {
	let raw = request
		.headers()
		.get(header::HOST)
		.and_then(|h| h.to_str().ok())
		.or_else(|| request.uri().host())?;
	let host = if raw.starts_with('[') {
		raw.split_inclusive(']').next().unwrap_or(raw)
	} else {
		raw.split(':').next().unwrap_or(raw)
	};
	(!host.is_empty()).then(|| host.to_ascii_lowercase())
}

fn player(router: &Router, request: &Request<Incoming>, peer: SocketAddr) -> Response<Body> {
	let Some(host) = host_of(request) else {
		return error(StatusCode::BAD_REQUEST, RiError::malformed("no Host"));
	};
	let path = request.uri().path_and_query().map_or("/", |p| p.as_str());
	let client = router.client(peer.ip().to_canonical());
	match router.decide(&host, &client, path) {
		Ok(decision) => {
			let mut response = respond(StatusCode::FOUND, "text/plain; charset=utf-8", "");
			let location = match &router.token_signer {
				Some(signer) => {
					let now = std::time::SystemTime::now()
						.duration_since(std::time::UNIX_EPOCH)
						.map_or(0, |d| d.as_secs());
					signer.sign(&decision.location, &host, path, peer.ip().to_canonical(), now)
				}
				None => decision.location,
			};
			match location.parse() {
				Ok(location) => {
					response.headers_mut().insert(header::LOCATION, location);
					response
				}
				Err(_) => error(StatusCode::BAD_REQUEST, RiError::malformed("an unusable path")),
			}
		}
		Err(e) => route_error(&host, e),
	}
}

/// The signer and signature headers of a trigger request.
fn credentials<B>(request: &Request<B>) -> Option<([u8; 32], [u8; 64])> {
	use ocm_routing::control::{hex_bytes, SIGNATURE_HEADER, SIGNER_HEADER};
	let get = |name: &str| request.headers().get(name).and_then(|v| v.to_str().ok());
	Some((hex_bytes(get(SIGNER_HEADER)?)?, hex_bytes(get(SIGNATURE_HEADER)?)?))
}

/// `GET /cdni/v1/triggers[/{id}]`, signed by the provider over the path:
/// only a trigger's provider reads it.
fn trigger_status(router: &Router, request: &Request<Incoming>) -> Response<Body> {
	let path = request.uri().path();
	let denied = |why: &str| {
		respond(
			StatusCode::FORBIDDEN,
			"application/json",
			TriggerError::new("eperm", why).body().to_string(),
		)
	};
	let Some((signer, signature)) = credentials(request) else {
		return denied("OCM-Signer and OCM-Signature (over the path) are required");
	};
	let Some(genesis) = router.genesis() else { return denied("no chain yet") };
	if !ocm_routing::control::signed_by(&genesis, path.as_bytes(), signer, signature) {
		return denied("the signature is not the signer's over this path");
	}
	let resources = router.triggers.lock().unwrap_or_else(|e| e.into_inner());
	if path == crate::triggers::PATH {
		let collection = resources.collection(signer, &router.cdn_id);
		return respond(
			StatusCode::OK,
			ocm_routing::control::COLLECTION_MEDIA_TYPE,
			collection.to_string(),
		);
	}
	let id = path.rsplit('/').next().and_then(|id| id.parse().ok());
	match id.and_then(|id| resources.get(id, signer)) {
		Some(resource) => {
			respond(StatusCode::OK, ocm_routing::control::STATUS_MEDIA_TYPE, resource.to_string())
		}
		None => respond(
			StatusCode::NOT_FOUND,
			"application/json",
			TriggerError::new("econtent", "no such trigger of this signer").body().to_string(),
		),
	}
}

/// `PUT`/`GET /cdni/v1/metadata/{contract}` (see [`crate::metadata`]).
async fn metadata(router: &Router, request: Request<Incoming>) -> Response<Body> {
	use crate::metadata::{self, refused};
	let answer = match (metadata::contract_of(request.uri().path()), router.chain()) {
		(None, _) => refused(400, "ereject", "not a contract id"),
		(_, None) => refused(503, "ecdn", "the router has not reached the chain yet"),
		(Some(contract), Some(chain)) if request.method() == Method::GET => {
			metadata::get(chain, contract).await
		}
		(Some(contract), Some(chain)) => {
			let header = |name: &str| {
				request.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_string)
			};
			let (sequence, signature) =
				(header(metadata::SEQUENCE_HEADER), header(metadata::SIGNATURE_HEADER));
			let limited = Limited::new(request.into_body(), metadata::MAX_DOCUMENT_BYTES);
			match limited.collect().await {
				Ok(body) => {
					let body = body.to_bytes();
					metadata::put(chain, contract, sequence.as_deref(), signature.as_deref(), &body)
						.await
				}
				Err(_) => refused(
					413,
					"ereject",
					format!("a document over {} bytes", metadata::MAX_DOCUMENT_BYTES),
				),
			}
		}
	};
	respond(
		StatusCode::from_u16(answer.status).unwrap_or(StatusCode::BAD_REQUEST),
		answer.content_type,
		answer.body,
	)
}

/// Answers one RFC 7975 redirection request body.
pub fn redirection(router: &Router, body: &[u8]) -> Response<Body> {
	match redirection_answer(router, body) {
		Ok(answer) => respond(StatusCode::OK, redirection::RESPONSE_MEDIA_TYPE, answer.to_string()),
		Err(e) => {
			let status = StatusCode::from_u16(e.http_status()).unwrap_or(StatusCode::BAD_REQUEST);
			error(status, e)
		}
	}
}

fn redirection_answer(router: &Router, body: &[u8]) -> Result<serde_json::Value, RiError> {
	let request = redirection::parse_request(body, &router.cdn_id)?;
	match &request.query {
		Query::Http { client, host, path_and_query, cs_uri, cs_version } => {
			let client = router.client(client.to_canonical());
			let decision = router
				.decide(host, &client, path_and_query)
				.map_err(|e| RiError::for_route(e, host))?;
			Ok(redirection::http_response(
				cs_uri,
				cs_version,
				&decision.location,
				&request.cdn_path,
			))
		}
		Query::Dns { client, qname, ipv6 } => {
			let client = router.client(client.to_canonical());
			let decision =
				router.decide(qname, &client, "/").map_err(|e| RiError::for_route(e, qname))?;
			redirection::dns_response(qname, *ipv6, &decision.base, DNS_TTL_SECS, &request.cdn_path)
		}
	}
}

async fn handle(
	router: Arc<Router>,
	registry: Arc<prometheus_client::registry::Registry>,
	request: Request<Incoming>,
	peer: SocketAddr,
) -> Response<Body> {
	let path = request.uri().path();
	match (request.method(), path) {
		(&Method::POST, REDIRECTION_PATH) => {
			let limited = Limited::new(request.into_body(), redirection::MAX_REQUEST_BYTES);
			match limited.collect().await {
				Ok(body) => redirection(&router, &body.to_bytes()),
				Err(_) => error(
					StatusCode::PAYLOAD_TOO_LARGE,
					RiError::malformed("the body is too large or was cut off"),
				),
			}
		}
		(&Method::POST, crate::triggers::PATH) => {
			let credentials = credentials(&request);
			let limited =
				Limited::new(request.into_body(), ocm_routing::control::MAX_COMMAND_BYTES);
			let answer = match limited.collect().await {
				Ok(body) => crate::triggers::command(&router, credentials, body.to_bytes()),
				Err(_) => crate::triggers::Answer {
					status: 413,
					location: None,
					body: TriggerError::new("ereject", "the command is too large").body(),
				},
			};
			let mut response = respond(
				StatusCode::from_u16(answer.status).unwrap_or(StatusCode::BAD_REQUEST),
				ocm_routing::control::STATUS_MEDIA_TYPE,
				answer.body.to_string(),
			);
			if let Some(location) = answer.location.and_then(|l| l.parse().ok()) {
				response.headers_mut().insert(header::LOCATION, location);
			}
			response
		}
		(&Method::GET, path)
			if path == crate::triggers::PATH || path.starts_with("/cdni/v1/triggers/") =>
		{
			trigger_status(&router, &request)
		}
		(&Method::GET, path) if path.starts_with(crate::logs::PATH_PREFIX) => {
			let contract = path[crate::logs::PATH_PREFIX.len()..].parse::<u32>();
			match (contract, router.chain()) {
				(Err(_), _) => {
					error(StatusCode::BAD_REQUEST, RiError::malformed("not a contract id"))
				}
				(_, None) => {
					error(StatusCode::SERVICE_UNAVAILABLE, RiError::malformed("no chain yet"))
				}
				(Ok(contract), Some(chain)) => match crate::logs::index(chain, contract).await {
					Ok(index) => respond(StatusCode::OK, "application/json", index.to_string()),
					Err(e) => error(StatusCode::BAD_GATEWAY, RiError::malformed(e)),
				},
			}
		}
		(&Method::PUT | &Method::GET, path) if path.starts_with(crate::metadata::PATH_PREFIX) => {
			metadata(&router, request).await
		}
		(&Method::GET, FCI_PATH) => {
			respond(StatusCode::OK, "application/json", router.advertisement().as_bytes().to_vec())
		}
		(&Method::GET, "/healthz") => respond(StatusCode::OK, "text/plain; charset=utf-8", "ok\n"),
		(&Method::GET, "/metrics") => {
			let mut text = String::new();
			let _ = prometheus_client::encoding::text::encode(&mut text, &registry);
			respond(
				StatusCode::OK,
				"application/openmetrics-text; version=1.0.0; charset=utf-8",
				text,
			)
		}
		(&Method::GET | &Method::HEAD, _) => player(&router, &request, peer),
		_ => error(
			StatusCode::METHOD_NOT_ALLOWED,
			RiError::malformed("players GET or HEAD; upstream CDNs POST to /cdni/v1/redirection"),
		),
	}
}

/// Serves until `shutdown` resolves.
pub async fn serve(
	listener: TcpListener,
	router: Arc<Router>,
	registry: Arc<prometheus_client::registry::Registry>,
	shutdown: impl std::future::Future<Output = ()>,
) {
	let builder = auto::Builder::new(TokioExecutor::new());
	tokio::pin!(shutdown);
	loop {
		let (stream, peer) = tokio::select! {
			_ = &mut shutdown => return,
			accepted = listener.accept() => match accepted {
				Ok(accepted) => accepted,
				Err(e) => {
					tracing::warn!(error = %e, "accept failed");
					tokio::time::sleep(std::time::Duration::from_millis(50)).await;
					continue;
				}
			},
		};
		let _ = stream.set_nodelay(true);
		let (router, registry) = (router.clone(), registry.clone());
		let service = hyper::service::service_fn(move |request| {
			let (router, registry) = (router.clone(), registry.clone());
			async move { Ok::<_, Infallible>(handle(router, registry, request, peer).await) }
		});
		let connection = builder.serve_connection(TokioIo::new(stream), service).into_owned();
		tokio::spawn(async move {
			if let Err(e) = connection.await {
				tracing::debug!(error = %e, "connection ended");
			}
		});
	}
}
