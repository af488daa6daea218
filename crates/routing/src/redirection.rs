//! RFC 7975's request routing redirection interface: an upstream CDN asks,
//! on a client's behalf, where OCM would send it, for HTTP (`http`: the
//! client's address and request URI) or DNS (`dns`: the resolver, the
//! client subnet and the query name), and relays the answer to the client.
//!
//! Requests are read leniently (unknown keys are ignored, as the RFC asks);
//! answers use the RFC's keys exactly. RFC 7975's examples name the error
//! text `description` where its table says `reason`: answers carry both.

use serde::Deserialize;
use serde_json::{json, Value};
use std::net::IpAddr;

pub const REQUEST_MEDIA_TYPE: &str = "application/cdni; ptype=redirection-request";
pub const RESPONSE_MEDIA_TYPE: &str = "application/cdni; ptype=redirection-response";

/// Bodies larger than this are refused before parsing.
pub const MAX_REQUEST_BYTES: usize = 16 * 1024;

#[derive(Deserialize, Debug)]
struct WireRequest {
	dns: Option<WireDns>,
	http: Option<WireHttp>,
	#[serde(rename = "cdn-path")]
	cdn_path: Option<Vec<String>>,
	#[serde(rename = "max-hops")]
	max_hops: Option<u32>,
}

#[derive(Deserialize, Debug)]
struct WireDns {
	#[serde(rename = "resolver-ip")]
	resolver_ip: String,
	#[serde(rename = "c-subnet")]
	c_subnet: Option<String>,
	qtype: String,
	qclass: String,
	qname: String,
}

#[derive(Deserialize, Debug)]
struct WireHttp {
	#[serde(rename = "c-ip")]
	c_ip: String,
	#[serde(rename = "cs-uri")]
	cs_uri: String,
	#[serde(rename = "cs-method")]
	cs_method: String,
	#[serde(rename = "cs-version")]
	cs_version: String,
}

/// What the upstream CDN asks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Query {
	Http {
		client: IpAddr,
		/// Lower case, no port.
		host: String,
		/// Path and query of `cs-uri` (`/` if none).
		path_and_query: String,
		cs_uri: String,
		cs_version: String,
	},
	Dns {
		/// The client's subnet's address, else the resolver's.
		client: IpAddr,
		/// Lower case, no trailing dot.
		qname: String,
		/// `A` or `AAAA`.
		ipv6: bool,
	},
}

/// A parsed request and the CDN path to answer with (ours appended).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request {
	pub query: Query,
	pub cdn_path: Vec<String>,
}

/// An RFC 7975 error: its `error-code` and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RiError {
	pub code: u16,
	pub reason: String,
}

impl RiError {
	fn new(code: u16, reason: impl Into<String>) -> Self {
		Self { code, reason: reason.into() }
	}

	pub fn malformed(reason: impl Into<String>) -> Self {
		Self::new(400, reason)
	}

	/// 501: no delivery service (metadata) for the host.
	pub fn unknown_host(host: &str) -> Self {
		Self::new(501, format!("no delivery contract for {host}"))
	}

	/// 504: no relay with capacity serves the client.
	pub fn no_relay() -> Self {
		Self::new(504, "no relay with capacity serves this client")
	}

	/// Why the table found no relay for `host`.
	pub fn for_route(error: crate::RouteError, host: &str) -> Self {
		match error {
			crate::RouteError::UnknownHost => Self::unknown_host(host),
			crate::RouteError::NoRelay => Self::no_relay(),
		}
	}

	/// The HTTP status that carries it: 400 for the upstream CDN's errors
	/// (4xx), 500 for OCM's (5xx), as RFC 7975's example.
	pub fn http_status(&self) -> u16 {
		if self.code < 500 {
			400
		} else {
			500
		}
	}

	pub fn body(&self) -> Value {
		json!({ "error": {
			"error-code": self.code,
			"reason": self.reason,
			"description": self.reason,
		}})
	}
}

/// The host of an `http://` or `https://` URI, lower case, without
/// userinfo or port, and its path and query.
pub fn split_uri(uri: &str) -> Option<(String, String)> {
	let rest = uri
		.strip_prefix("http://")
		.or_else(|| uri.strip_prefix("https://"))
		.or_else(|| uri.strip_prefix("HTTP://"))
		.or_else(|| uri.strip_prefix("HTTPS://"))?;
	let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
	let authority = &rest[..end];
	let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
	let host = if let Some(v6) = host_port.strip_prefix('[') {
		format!("[{}]", v6.split(']').next()?)
	} else {
		host_port.split(':').next()?.to_owned()
	};
	if host.is_empty() {
		return None;
	}
	let mut path = rest[end..].split('#').next().unwrap_or_default().to_owned();
	if !path.starts_with('/') {
		path.insert(0, '/');
	}
	Some((host.to_ascii_lowercase(), path))
}

fn address(text: &str, what: &str) -> Result<IpAddr, RiError> {
	text.parse().map_err(|_| RiError::malformed(format!("{what} {text:?} is not an IP address")))
}

/// Reads a redirection request. `own_id` is OCM's CDN provider id: a
/// request whose `cdn-path` holds it already is a loop (502); one that has
/// used up its `max-hops` is refused (503).
pub fn parse_request(body: &[u8], own_id: &str) -> Result<Request, RiError> {
	if body.len() > MAX_REQUEST_BYTES {
		return Err(RiError::malformed(format!("a body over {MAX_REQUEST_BYTES} bytes")));
	}
	let wire: WireRequest = serde_json::from_slice(body)
		.map_err(|e| RiError::malformed(format!("not a redirection request: {e}")))?;
	let mut cdn_path = wire.cdn_path.ok_or_else(|| RiError::malformed("cdn-path is mandatory"))?;
	if cdn_path.iter().any(|id| id == own_id) {
		return Err(RiError::new(502, "loop detected: this CDN is in cdn-path"));
	}
	if wire.max_hops.is_some_and(|hops| cdn_path.len() >= hops as usize) {
		return Err(RiError::new(503, "maximum hops exceeded"));
	}
	cdn_path.push(own_id.to_owned());
	let query = match (wire.http, wire.dns) {
		(Some(http), None) => {
			let client = address(&http.c_ip, "c-ip")?;
			let (host, path_and_query) = split_uri(&http.cs_uri).ok_or_else(|| {
				RiError::new(505, format!("cs-uri {:?} is not an http(s) URI", http.cs_uri))
			})?;
			if !matches!(http.cs_method.as_str(), "GET" | "HEAD") {
				return Err(RiError::malformed(format!(
					"{} requests are not redirected",
					http.cs_method
				)));
			}
			Query::Http {
				client,
				host,
				path_and_query,
				cs_uri: http.cs_uri,
				cs_version: http.cs_version,
			}
		}
		(None, Some(dns)) => {
			let client = match &dns.c_subnet {
				Some(subnet) => address(subnet.split('/').next().unwrap_or_default(), "c-subnet")?,
				None => address(&dns.resolver_ip, "resolver-ip")?,
			};
			if dns.qclass != "IN" {
				return Err(RiError::malformed(format!("qclass {} is not IN", dns.qclass)));
			}
			let ipv6 = match dns.qtype.as_str() {
				"A" => false,
				"AAAA" => true,
				other => return Err(RiError::malformed(format!("qtype {other} is not A or AAAA"))),
			};
			Query::Dns { client, qname: dns.qname.trim_end_matches('.').to_ascii_lowercase(), ipv6 }
		}
		_ => return Err(RiError::malformed("exactly one of dns and http")),
	};
	Ok(Request { query, cdn_path })
}

/// The answer to an `http` request: a 302 to `location`.
pub fn http_response(cs_uri: &str, cs_version: &str, location: &str, cdn_path: &[String]) -> Value {
	json!({
		"http": {
			"sc-status": 302,
			"sc-version": cs_version,
			"sc-reason": "Found",
			"cs-uri": cs_uri,
			"sc-(location)": location,
			"sc-(cache-control)": "private, no-store",
		},
		"cdn-path": cdn_path,
	})
}

/// The answer to a `dns` request for `qname`: the relay's address when its
/// URL names one (of the family asked), else its host name as a CNAME.
pub fn dns_response(
	qname: &str,
	ipv6: bool,
	relay_base: &str,
	ttl: u32,
	cdn_path: &[String],
) -> Result<Value, RiError> {
	let (host, _) = split_uri(relay_base).ok_or_else(RiError::no_relay)?;
	let literal = host.trim_start_matches('[').trim_end_matches(']');
	let mut dns = json!({ "rcode": 0, "name": qname, "ttl": ttl });
	match literal.parse::<IpAddr>() {
		Ok(IpAddr::V4(a)) if !ipv6 => dns["a"] = json!([a.to_string()]),
		Ok(IpAddr::V6(a)) if ipv6 => dns["aaaa"] = json!([a.to_string()]),
		Ok(_) => {
			return Err(RiError::new(
				504,
				"no relay of the address family asked serves this client",
			))
		}
		Err(_) => dns["cname"] = json!([host]),
	}
	Ok(json!({ "dns": dns, "cdn-path": cdn_path }))
}
