//! CDNi metadata (RFC 8006), sans I/O: the subset of an `MI.HostIndex`
//! document that OCM honours, read into the rules a relay applies.
//!
//! A provider (or an upstream CDN on its behalf) configures a delivery
//! contract's service with one `MI.HostIndex` document, signed by the
//! provider's key and stored on chain; every relay of the contract reads it
//! from there. The settlement pallet parses it with this code (the crate is
//! `no_std`) before storing it, so a relay never meets a document the chain
//! accepted and it cannot read.
//!
//! OCM honours, per host and per path (`PathMatch`, nested up to
//! [`MAX_DEPTH`]):
//! - `MI.SourceMetadata` (host level): where the relay acquires content,
//!   the first endpoint of the first source, `http/1.1` or `https/1.1`;
//! - `MI.CachePolicy` (SVTA's Open Caching configuration interface):
//!   `internal` (how long relays keep an object) and `external` (what they
//!   tell players), each seconds, `"as-is"`, `"no-cache"` or `"no-store"`,
//!   with `force-internal`/`force-external` to override the origin's own
//!   headers;
//! - `MI.Cache`: `exclude-query-string` (RFC 8006 section 4.2.6) and
//!   `include-query-strings` (the query parameters kept in the cache key).
//!
//! Any other metadata, or a property OCM does not know inside these, is
//! refused when it is `mandatory-to-enforce` (RFC 8006's default), and
//! listed in [`ServiceMetadata::ignored`] otherwise, as section 3.3 asks of a
//! downstream CDN. Metadata marked `incomprehensible` is never applied.
//! References (`Link` objects, `href`) are refused: the chain stores one
//! self-contained document and relays fetch nothing else.

use crate::pattern::Glob;
use alloc::{
	format,
	string::{String, ToString},
	vec::Vec,
};
use serde_json::{Map, Value};

/// The media type of the document OCM takes.
pub const MEDIA_TYPE: &str = "application/cdni; ptype=MI.HostIndex";

/// The domain of a provider's signature over a service configuration.
pub const SIGNING_CONTEXT: &[u8; 19] = b"ocm/cdni/metadata/1";

/// `PathMatch` nesting, at most: a path, its paths, and two levels more.
pub const MAX_DEPTH: usize = 4;

/// `PathMatch` objects in one document, at most.
pub const MAX_PATHS: usize = 64;

/// The bytes a provider signs to configure `contract` with `document` as
/// its `sequence`th configuration, on the chain whose genesis hash is
/// `genesis`: `SIGNING_CONTEXT || genesis || contract (LE) || sequence (LE)
/// || document`. The sequence must grow, so an old signed document cannot
/// be replayed over a newer one.
pub fn signing_payload(
	genesis: &[u8; 32],
	contract: u32,
	sequence: u32,
	document: &[u8],
) -> Vec<u8> {
	let mut out = Vec::with_capacity(SIGNING_CONTEXT.len() + 32 + 8 + document.len());
	out.extend_from_slice(SIGNING_CONTEXT);
	out.extend_from_slice(genesis);
	out.extend_from_slice(&contract.to_le_bytes());
	out.extend_from_slice(&sequence.to_le_bytes());
	out.extend_from_slice(document);
	out
}

/// Why a document is refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MetadataError {
	/// Not a JSON document.
	Json(String),
	/// JSON, but not in RFC 8006's shape (a missing or mistyped property,
	/// a host twice, too deep, too many paths).
	Shape(String),
	/// Mandatory-to-enforce metadata that OCM does not honour.
	Unsupported(String),
}

impl core::fmt::Display for MetadataError {
	fn fmt(&self, f: &mut core::fmt::Formatter) -> core::fmt::Result {
		match self {
			Self::Json(e) => write!(f, "not JSON: {e}"),
			Self::Shape(e) => write!(f, "not an RFC 8006 MI.HostIndex: {e}"),
			Self::Unsupported(e) => {
				write!(f, "mandatory-to-enforce metadata OCM does not honour: {e}")
			}
		}
	}
}

fn shape(message: impl Into<String>) -> MetadataError {
	MetadataError::Shape(message.into())
}

/// A configured service: the rules for each of its hosts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServiceMetadata {
	pub hosts: Vec<HostService>,
	/// Metadata that was not mandatory to enforce and that OCM does not
	/// honour, by where it was found (`video.example: MI.LocationACL`).
	pub ignored: Vec<String>,
}

impl ServiceMetadata {
	/// The rules of `host` (case-insensitive), if the document has any.
	pub fn host(&self, host: &str) -> Option<&HostService> {
		self.hosts.iter().find(|h| h.host.eq_ignore_ascii_case(host))
	}
}

/// One `HostMatch`: a host's source and its rules.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HostService {
	/// Lower case.
	pub host: String,
	pub source: Option<Source>,
	pub rules: Rules,
	pub paths: Vec<PathRule>,
}

impl HostService {
	/// The rules for a request path (without its query): the host's,
	/// overridden type by type by the first matching `PathMatch`'s, and so
	/// on down its nested paths (RFC 8006 section 3.2). Borrowed: this runs
	/// on every request of the host.
	pub fn effective(&self, path: &str) -> Effective<'_> {
		let mut rules = Effective::of(&self.rules);
		let mut level = &self.paths;
		while let Some(matched) = level.iter().find(|p| p.pattern.matches(path)) {
			rules.override_with(&matched.rules);
			level = &matched.paths;
		}
		rules
	}
}

/// One `PathMatch`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PathRule {
	pub pattern: Glob,
	pub rules: Rules,
	pub paths: Vec<PathRule>,
}

/// The metadata OCM applies at one level.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Rules {
	pub cache_policy: Option<CachePolicy>,
	pub cache_key: Option<CacheKey>,
}

/// The rules that apply to one request path, borrowed from the levels
/// that set them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Effective<'a> {
	pub cache_policy: Option<&'a CachePolicy>,
	pub cache_key: Option<&'a CacheKey>,
}

impl<'a> Effective<'a> {
	fn of(rules: &'a Rules) -> Self {
		Self { cache_policy: rules.cache_policy.as_ref(), cache_key: rules.cache_key.as_ref() }
	}

	fn override_with(&mut self, deeper: &'a Rules) {
		let deeper = Self::of(deeper);
		self.cache_policy = deeper.cache_policy.or(self.cache_policy);
		self.cache_key = deeper.cache_key.or(self.cache_key);
	}
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Protocol {
	Http,
	Https,
}

/// Where a relay acquires a host's content.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Source {
	pub protocol: Protocol,
	/// `host`, `host:port`, an IPv4 address or `[IPv6]`, with an optional port.
	pub endpoint: String,
}

impl Source {
	/// The origin's base URL, `http://endpoint` or `https://endpoint`.
	pub fn url(&self) -> String {
		match self.protocol {
			Protocol::Http => format!("http://{}", self.endpoint),
			Protocol::Https => format!("https://{}", self.endpoint),
		}
	}
}

/// `MI.CachePolicy`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CachePolicy {
	/// How long relays keep an object.
	pub internal: Option<CacheTime>,
	/// What relays tell players (`Cache-Control`).
	pub external: Option<CacheTime>,
	/// `internal` overrides the origin's headers; otherwise it applies only
	/// where the origin says nothing.
	pub force_internal: bool,
	/// `external` overrides the origin's headers likewise.
	pub force_external: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CacheTime {
	/// As the origin's headers say.
	AsIs,
	/// Stored, but revalidated before every use.
	NoCache,
	/// Never stored.
	NoStore,
	Seconds(u64),
}

/// `MI.Cache`: what of the query string goes into the cache key.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CacheKey {
	/// `None`: the whole query string; `Some(names)`: only these
	/// parameters, in the request's order (none at all when empty).
	pub include_query_strings: Option<Vec<String>>,
}

impl CacheKey {
	/// The part of `query` (without `?`) that belongs in the cache key.
	pub fn query(&self, query: &str) -> String {
		let Some(names) = &self.include_query_strings else { return query.to_string() };
		let kept: Vec<&str> = query
			.split('&')
			.filter(|pair| {
				let name = pair.split('=').next().unwrap_or_default();
				!pair.is_empty() && names.iter().any(|n| n == name)
			})
			.collect();
		kept.join("&")
	}
}

/// Whether `text` is an RFC 8006 `Endpoint`: a host name, an IPv4
/// address or a bracketed IPv6 address, each with an optional port.
pub fn is_endpoint(text: &str) -> bool {
	let (host, port) = if let Some(rest) = text.strip_prefix('[') {
		let Some((v6, after)) = rest.split_once(']') else { return false };
		if v6.parse::<core::net::Ipv6Addr>().is_err() {
			return false;
		}
		match after {
			"" => return true,
			_ => match after.strip_prefix(':') {
				Some(port) => ("", Some(port)),
				None => return false,
			},
		}
	} else {
		match text.rsplit_once(':') {
			Some((host, port)) => (host, Some(port)),
			None => (text, None),
		}
	};
	let port_ok = port.is_none_or(|p| p.parse::<u16>().is_ok_and(|p| p > 0));
	let host_ok = host.is_empty() && text.starts_with('[')
		|| host.parse::<core::net::Ipv4Addr>().is_ok()
		|| ocm_primitives::web::is_host_name(host.as_bytes());
	port_ok && host_ok
}

/// Why a contract's provider cannot configure its service with a document.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ServiceError {
	Metadata(MetadataError),
	/// The document configures a host the contract does not name.
	HostNotInContract(String),
}

impl core::fmt::Display for ServiceError {
	fn fmt(&self, f: &mut core::fmt::Formatter) -> core::fmt::Result {
		match self {
			Self::Metadata(e) => e.fmt(f),
			Self::HostNotInContract(host) => write!(f, "the contract does not name {host}"),
		}
	}
}

/// Reads a document for a contract with these hosts (lower case): what
/// the settlement pallet checks before storing it and `ocm-router` before
/// submitting it.
pub fn for_contract<H: AsRef<[u8]>>(
	document: &[u8],
	hosts: &[H],
) -> Result<ServiceMetadata, ServiceError> {
	let service = parse(document).map_err(ServiceError::Metadata)?;
	if let Some(stranger) =
		service.hosts.iter().find(|h| !hosts.iter().any(|c| c.as_ref() == h.host.as_bytes()))
	{
		return Err(ServiceError::HostNotInContract(stranger.host.clone()));
	}
	Ok(service)
}

/// Reads a document, refusing what OCM cannot honour.
pub fn parse(document: &[u8]) -> Result<ServiceMetadata, MetadataError> {
	let value: Value =
		serde_json::from_slice(document).map_err(|e| MetadataError::Json(e.to_string()))?;
	let index = object(&value, "the document")?;
	refuse_links(index, "the document")?;
	let hosts =
		array(index, "hosts", "MI.HostIndex")?.ok_or_else(|| shape("MI.HostIndex has no hosts"))?;
	let mut reader = Reader { ignored: Vec::new(), paths: 0 };
	let mut out = Vec::with_capacity(hosts.len());
	for host_match in hosts {
		let host = reader.host(host_match)?;
		if out.iter().any(|h: &HostService| h.host == host.host) {
			return Err(shape(format!("host {} appears twice", host.host)));
		}
		out.push(host);
	}
	Ok(ServiceMetadata { hosts: out, ignored: reader.ignored })
}

struct Reader {
	ignored: Vec<String>,
	paths: usize,
}

fn object<'a>(value: &'a Value, what: &str) -> Result<&'a Map<String, Value>, MetadataError> {
	value.as_object().ok_or_else(|| shape(format!("{what} is not an object")))
}

fn array<'a>(
	object: &'a Map<String, Value>,
	name: &str,
	what: &str,
) -> Result<Option<&'a Vec<Value>>, MetadataError> {
	match object.get(name) {
		None => Ok(None),
		Some(Value::Array(items)) => Ok(Some(items)),
		Some(_) => Err(shape(format!("{what}'s {name} is not a list"))),
	}
}

fn string<'a>(
	object: &'a Map<String, Value>,
	name: &str,
	what: &str,
) -> Result<&'a str, MetadataError> {
	match object.get(name) {
		Some(Value::String(s)) => Ok(s),
		Some(_) => Err(shape(format!("{what}'s {name} is not a string"))),
		None => Err(shape(format!("{what} has no {name}"))),
	}
}

fn flag(
	object: &Map<String, Value>,
	name: &str,
	default: bool,
	what: &str,
) -> Result<bool, MetadataError> {
	match object.get(name) {
		None => Ok(default),
		Some(Value::Bool(b)) => Ok(*b),
		Some(_) => Err(shape(format!("{what}'s {name} is not a boolean"))),
	}
}

/// OCM stores one self-contained document: a `Link` (`href`) in place of
/// an object would make relays fetch metadata from elsewhere.
fn refuse_links(object: &Map<String, Value>, what: &str) -> Result<(), MetadataError> {
	if object.contains_key("href") {
		return Err(MetadataError::Unsupported(format!(
			"{what} is a Link; give the object itself"
		)));
	}
	Ok(())
}

impl Reader {
	fn host(&mut self, value: &Value) -> Result<HostService, MetadataError> {
		let host_match = object(value, "a HostMatch")?;
		let host = string(host_match, "host", "a HostMatch")?.to_ascii_lowercase();
		if !ocm_primitives::web::is_host_name(host.as_bytes()) {
			return Err(shape(format!("{host:?} is not a host name")));
		}
		let metadata = match host_match.get("host-metadata") {
			Some(m) => object(m, &host)?,
			None => return Err(shape(format!("{host} has no host-metadata"))),
		};
		refuse_links(metadata, &host)?;
		let mut source = None;
		let rules = self.level(metadata, &host, Some(&mut source))?;
		let paths = self.paths(metadata, &host, 1)?;
		Ok(HostService { host, source, rules, paths })
	}

	fn paths(
		&mut self,
		metadata: &Map<String, Value>,
		at: &str,
		depth: usize,
	) -> Result<Vec<PathRule>, MetadataError> {
		let Some(paths) = array(metadata, "paths", at)? else { return Ok(Vec::new()) };
		if !paths.is_empty() && depth > MAX_DEPTH {
			return Err(shape(format!("{at}: paths nest deeper than {MAX_DEPTH}")));
		}
		let mut out = Vec::with_capacity(paths.len());
		for path in paths {
			self.paths += 1;
			if self.paths > MAX_PATHS {
				return Err(shape(format!("more than {MAX_PATHS} PathMatch objects")));
			}
			let path_match = object(path, "a PathMatch")?;
			refuse_links(path_match, at)?;
			let pattern_match = match path_match.get("path-pattern") {
				Some(p) => object(p, "a path-pattern")?,
				None => return Err(shape(format!("{at}: a PathMatch has no path-pattern"))),
			};
			let pattern = string(pattern_match, "pattern", "a PatternMatch")?;
			// RFC 8006 section 4.1.5: case-insensitive unless it says so.
			let case_sensitive = flag(pattern_match, "case-sensitive", false, "a PatternMatch")?;
			let here = format!("{at} {pattern}");
			let path_metadata = match path_match.get("path-metadata") {
				Some(m) => object(m, "a path-metadata")?,
				None => return Err(shape(format!("{here} has no path-metadata"))),
			};
			refuse_links(path_metadata, &here)?;
			let rules = self.level(path_metadata, &here, None)?;
			let paths = self.paths(path_metadata, &here, depth + 1)?;
			out.push(PathRule { pattern: Glob::new(pattern, case_sensitive), rules, paths });
		}
		Ok(out)
	}

	/// One level's `metadata` list. `source` is where a host level puts
	/// its `MI.SourceMetadata`; paths have none.
	fn level(
		&mut self,
		metadata: &Map<String, Value>,
		at: &str,
		mut source: Option<&mut Option<Source>>,
	) -> Result<Rules, MetadataError> {
		let mut rules = Rules::default();
		let Some(items) = array(metadata, "metadata", at)? else { return Ok(rules) };
		for item in items {
			let generic = object(item, "a GenericMetadata")?;
			refuse_links(generic, at)?;
			let kind = string(generic, "generic-metadata-type", "a GenericMetadata")?;
			let value = generic
				.get("generic-metadata-value")
				.ok_or_else(|| shape(format!("{at}: {kind} has no generic-metadata-value")))?;
			let value_object = value.as_object();
			// The flags of section 3.3 may sit beside the type or inside
			// the value; RFC 8006's examples and later specs use both.
			let read_flag = |name: &str, default: bool| -> Result<bool, MetadataError> {
				match generic.get(name) {
					Some(_) => flag(generic, name, default, kind),
					None => value_object.map_or(Ok(default), |v| flag(v, name, default, kind)),
				}
			};
			let mandatory = read_flag("mandatory-to-enforce", true)?;
			if read_flag("incomprehensible", false)? {
				if mandatory {
					return Err(MetadataError::Unsupported(format!(
						"{at}: {kind} is marked incomprehensible and mandatory-to-enforce"
					)));
				}
				self.ignored.push(format!("{at}: {kind}"));
				continue;
			}
			// The first of each type at a level counts.
			let applied = match (kind, source.as_deref_mut()) {
				("MI.SourceMetadata", Some(slot)) => source_of(value, at)?.then(|s| {
					slot.get_or_insert(s);
				}),
				("MI.SourceMetadata", None) => {
					Applied::No("MI.SourceMetadata is honoured per host, not per path".into())
				}
				("MI.CachePolicy", _) => cache_policy(value, at)?.then(|p| {
					rules.cache_policy.get_or_insert(p);
				}),
				("MI.Cache", _) => cache_key(value, at)?.then(|k| {
					rules.cache_key.get_or_insert(k);
				}),
				_ => Applied::No(format!("{kind} is not a type OCM honours")),
			};
			if let Applied::No(why) = applied {
				if mandatory {
					return Err(MetadataError::Unsupported(format!("{at}: {why}")));
				}
				self.ignored.push(format!("{at}: {kind}"));
			}
		}
		Ok(rules)
	}
}

/// Metadata OCM read: applied, or understood but not honoured (why).
enum Applied<T> {
	Yes(T),
	No(String),
}

impl<T> Applied<T> {
	/// Hands what was read to `apply`; keeps the reason it was not.
	fn then(self, apply: impl FnOnce(T)) -> Applied<()> {
		match self {
			Self::Yes(read) => {
				apply(read);
				Applied::Yes(())
			}
			Self::No(why) => Applied::No(why),
		}
	}
}

/// Properties OCM does not know inside a metadata value it honours.
fn unknown_properties(value: &Map<String, Value>, known: &[&str]) -> Option<String> {
	const FLAGS: [&str; 3] = ["mandatory-to-enforce", "safe-to-redistribute", "incomprehensible"];
	value
		.keys()
		.find(|k| !known.contains(&k.as_str()) && !FLAGS.contains(&k.as_str()))
		.map(|k| format!("property {k}"))
}

fn source_of(value: &Value, at: &str) -> Result<Applied<Source>, MetadataError> {
	let what = "MI.SourceMetadata";
	let value = object(value, what)?;
	if let Some(p) = unknown_properties(value, &["sources"]) {
		return Ok(Applied::No(format!("{what} {p}")));
	}
	let sources = array(value, "sources", what)?
		.ok_or_else(|| shape(format!("{at}: {what} has no sources")))?;
	let first = sources.first().ok_or_else(|| shape(format!("{at}: {what} lists no source")))?;
	let source = object(first, "a Source")?;
	if source.contains_key("acquisition-auth") {
		return Ok(Applied::No("a Source with acquisition-auth".into()));
	}
	if let Some(p) = unknown_properties(source, &["endpoints", "endpoint", "protocol"]) {
		return Ok(Applied::No(format!("a Source's {p}")));
	}
	// RFC 8006 names the list `endpoints`; its section 6.10 example (see
	// erratum 5150) says `endpoint`. Both are read.
	let endpoints = match array(source, "endpoints", "a Source")? {
		Some(list) => list,
		None => array(source, "endpoint", "a Source")?
			.ok_or_else(|| shape(format!("{at}: a Source has no endpoints")))?,
	};
	let endpoint = match endpoints.first() {
		Some(Value::String(e)) if is_endpoint(e) => e.to_ascii_lowercase(),
		Some(other) => return Err(shape(format!("{at}: {other} is not an Endpoint"))),
		None => return Err(shape(format!("{at}: a Source lists no endpoint"))),
	};
	let protocol = match source.get("protocol") {
		None => Protocol::Http,
		Some(Value::String(p)) if p.eq_ignore_ascii_case("http/1.1") => Protocol::Http,
		Some(Value::String(p)) if p.eq_ignore_ascii_case("https/1.1") => Protocol::Https,
		Some(Value::String(p)) => return Ok(Applied::No(format!("acquisition protocol {p}"))),
		Some(_) => return Err(shape(format!("{at}: a Source's protocol is not a string"))),
	};
	Ok(Applied::Yes(Source { protocol, endpoint }))
}

fn cache_time(value: &Value, name: &str, at: &str) -> Result<CacheTime, MetadataError> {
	let seconds = |n: Option<u64>| {
		n.map(CacheTime::Seconds).ok_or_else(|| {
			shape(format!("{at}: MI.CachePolicy {name} {value} is not a number of seconds"))
		})
	};
	match value {
		Value::Number(n) => seconds(n.as_u64()),
		Value::String(s) => match s.as_str() {
			"as-is" => Ok(CacheTime::AsIs),
			"no-cache" => Ok(CacheTime::NoCache),
			"no-store" => Ok(CacheTime::NoStore),
			digits if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) => {
				seconds(digits.parse().ok())
			}
			_ => seconds(None),
		},
		_ => seconds(None),
	}
}

fn cache_policy(value: &Value, at: &str) -> Result<Applied<CachePolicy>, MetadataError> {
	let what = "MI.CachePolicy";
	let value = object(value, what)?;
	if let Some(p) =
		unknown_properties(value, &["internal", "external", "force-internal", "force-external"])
	{
		return Ok(Applied::No(format!("{what} {p}")));
	}
	let time = |name: &str| value.get(name).map(|v| cache_time(v, name, at)).transpose();
	Ok(Applied::Yes(CachePolicy {
		internal: time("internal")?,
		external: time("external")?,
		force_internal: flag(value, "force-internal", false, what)?,
		force_external: flag(value, "force-external", false, what)?,
	}))
}

fn cache_key(value: &Value, at: &str) -> Result<Applied<CacheKey>, MetadataError> {
	let what = "MI.Cache";
	let value = object(value, what)?;
	if let Some(p) = unknown_properties(value, &["exclude-query-string", "include-query-strings"]) {
		return Ok(Applied::No(format!("{what} {p}")));
	}
	if flag(value, "exclude-query-string", false, what)? {
		return Ok(Applied::Yes(CacheKey { include_query_strings: Some(Vec::new()) }));
	}
	let Some(names) = array(value, "include-query-strings", what)? else {
		return Ok(Applied::Yes(CacheKey::default()));
	};
	let names = names
		.iter()
		.map(|n| n.as_str().map(str::to_string))
		.collect::<Option<Vec<_>>>()
		.ok_or_else(|| shape(format!("{at}: {what} include-query-strings holds a non-string")))?;
	Ok(Applied::Yes(CacheKey { include_query_strings: Some(names) }))
}

#[cfg(test)]
mod tests {
	use super::*;
	use serde_json::json;

	fn parse_value(v: Value) -> Result<ServiceMetadata, MetadataError> {
		parse(&serde_json::to_vec(&v).unwrap())
	}

	fn generic(kind: &str, value: Value) -> Value {
		json!({ "generic-metadata-type": kind, "generic-metadata-value": value })
	}

	/// RFC 8006 section 6's shape: a host with a source and cache rules,
	/// paths nested two deep.
	fn example() -> Value {
		json!({ "hosts": [{
			"host": "Video.Example",
			"host-metadata": {
				"metadata": [
					generic("MI.SourceMetadata", json!({ "sources": [
						{ "endpoints": ["origin.example:8080", "backup.example"], "protocol": "http/1.1" },
						{ "endpoints": ["other.example"], "protocol": "https/1.1" }
					]})),
					generic("MI.CachePolicy", json!({ "internal": 60, "external": "as-is" })),
				],
				"paths": [
					{
						"path-pattern": { "pattern": "/live/*" },
						"path-metadata": {
							"metadata": [generic("MI.CachePolicy", json!({ "internal": "2", "external": "no-cache", "force-internal": true }))],
							"paths": [{
								"path-pattern": { "pattern": "/live/*.m3u8", "case-sensitive": true },
								"path-metadata": { "metadata": [generic("MI.CachePolicy", json!({ "internal": "no-store" }))] }
							}]
						}
					},
					{
						"path-pattern": { "pattern": "/vod/*" },
						"path-metadata": { "metadata": [generic("MI.Cache", json!({ "include-query-strings": ["id"] }))] }
					}
				]
			}
		}]})
	}

	#[test]
	fn reads_sources_and_overrides_rules_by_path() {
		let service = parse_value(example()).unwrap();
		assert!(service.ignored.is_empty());
		let host = service.host("video.EXAMPLE").unwrap();
		assert_eq!(host.host, "video.example");
		assert_eq!(host.source.as_ref().unwrap().url(), "http://origin.example:8080");
		let seconds = |path: &str| host.effective(path).cache_policy.unwrap().internal.unwrap();
		assert_eq!(seconds("/index.html"), CacheTime::Seconds(60));
		assert_eq!(seconds("/live/1.ts"), CacheTime::Seconds(2));
		assert!(host.effective("/live/1.ts").cache_policy.unwrap().force_internal);
		assert_eq!(seconds("/live/a.m3u8"), CacheTime::NoStore);
		// Nested patterns are case-sensitive here; the outer one is not.
		assert_eq!(seconds("/LIVE/a.M3U8"), CacheTime::Seconds(2));
		let vod = host.effective("/vod/a.mp4");
		assert_eq!(vod.cache_policy.unwrap().internal, Some(CacheTime::Seconds(60)));
		assert_eq!(vod.cache_key.unwrap().query("a=1&id=7&b=2&id=8"), "id=7&id=8");
		assert_eq!(host.effective("/x").cache_key, None);
	}

	#[test]
	fn mandatory_metadata_ocm_does_not_honour_is_refused_optional_is_listed() {
		let with = |item: Value| json!({ "hosts": [{ "host": "video.example", "host-metadata": { "metadata": [item] } }] });
		let acl = generic("MI.LocationACL", json!({ "locations": [] }));
		assert!(matches!(parse_value(with(acl.clone())), Err(MetadataError::Unsupported(_))));
		let mut optional = acl.clone();
		optional["mandatory-to-enforce"] = json!(false);
		assert_eq!(parse_value(with(optional)).unwrap().ignored, ["video.example: MI.LocationACL"]);
		// The flag inside the value counts too.
		let inside =
			generic("MI.LocationACL", json!({ "locations": [], "mandatory-to-enforce": false }));
		assert_eq!(parse_value(with(inside)).unwrap().ignored.len(), 1);
		// An unknown property inside honoured metadata is the same.
		let odd = generic("MI.CachePolicy", json!({ "internal": 5, "stale-while-revalidate": 9 }));
		assert!(matches!(parse_value(with(odd)), Err(MetadataError::Unsupported(_))));
		// Acquisition auth and other protocols are not honoured.
		let auth = generic(
			"MI.SourceMetadata",
			json!({ "sources": [{ "endpoints": ["o.example"], "acquisition-auth": {} }] }),
		);
		assert!(matches!(parse_value(with(auth)), Err(MetadataError::Unsupported(_))));
		let quic = generic(
			"MI.SourceMetadata",
			json!({ "sources": [{ "endpoints": ["o.example"], "protocol": "http/3" }] }),
		);
		assert!(matches!(parse_value(with(quic)), Err(MetadataError::Unsupported(_))));
		// Incomprehensible metadata is never applied.
		let mut gone = generic("MI.CachePolicy", json!({ "internal": 5 }));
		gone["incomprehensible"] = json!(true);
		gone["mandatory-to-enforce"] = json!(false);
		let service = parse_value(with(gone)).unwrap();
		assert_eq!(service.hosts[0].rules.cache_policy, None);
	}

	#[test]
	fn malformed_documents_say_what_is_wrong() {
		assert!(matches!(parse(b"{"), Err(MetadataError::Json(_))));
		for bad in [
			json!([]),
			json!({}),
			json!({ "hosts": {} }),
			json!({ "hosts": [{ "host": "not a host" , "host-metadata": {} }] }),
			json!({ "hosts": [{ "host": "video.example" }] }),
			json!({ "hosts": [{ "host": "a.example", "host-metadata": {} }, { "host": "A.example", "host-metadata": {} }] }),
			json!({ "hosts": [{ "host": "a.example", "host-metadata": { "paths": [{ "path-metadata": {} }] } }] }),
			json!({ "hosts": [{ "host": "a.example", "host-metadata": { "metadata": [generic("MI.CachePolicy", json!({ "internal": -1 }))] } }] }),
			json!({ "hosts": [{ "host": "a.example", "host-metadata": { "metadata": [generic("MI.SourceMetadata", json!({ "sources": [{ "endpoints": ["bad host"] }] }))] } }] }),
		] {
			assert!(matches!(parse_value(bad.clone()), Err(MetadataError::Shape(_))), "{bad}");
		}
		let link = json!({ "hosts": [{ "host": "a.example", "host-metadata": { "type": "MI.HostMetadata", "href": "https://x" } }] });
		assert!(matches!(parse_value(link), Err(MetadataError::Unsupported(_))));
	}

	#[test]
	fn nesting_and_path_counts_are_bounded() {
		let mut level = json!({});
		for _ in 0..=MAX_DEPTH {
			level = json!({ "paths": [{ "path-pattern": { "pattern": "/*" }, "path-metadata": level }] });
		}
		let deep = json!({ "hosts": [{ "host": "a.example", "host-metadata": level }] });
		assert!(matches!(parse_value(deep), Err(MetadataError::Shape(_))));
		let path = json!({ "path-pattern": { "pattern": "/*" }, "path-metadata": {} });
		let many = json!({ "hosts": [{ "host": "a.example", "host-metadata": { "paths": vec![path; MAX_PATHS + 1] } }] });
		assert!(matches!(parse_value(many), Err(MetadataError::Shape(_))));
	}

	#[test]
	fn a_contract_is_configured_only_for_its_own_hosts() {
		let doc = serde_json::to_vec(&example()).unwrap();
		assert!(for_contract(&doc, &["video.example", "img.example"]).is_ok());
		assert_eq!(
			for_contract(&doc, &["img.example"]),
			Err(ServiceError::HostNotInContract("video.example".into()))
		);
		assert!(matches!(for_contract(b"[]", &["video.example"]), Err(ServiceError::Metadata(_))));
	}

	#[test]
	fn endpoints() {
		for good in [
			"origin.example",
			"origin.example:8080",
			"127.0.0.1",
			"127.0.0.1:80",
			"[::1]",
			"[::1]:8080",
		] {
			assert!(is_endpoint(good), "{good}");
		}
		for bad in [
			"",
			"origin",
			"origin.example:0",
			"origin.example:99999",
			"[::1",
			"[zz]:80",
			"a b.example",
			"http://o.example",
		] {
			assert!(!is_endpoint(bad), "{bad}");
		}
	}

	#[test]
	fn the_signing_payload_binds_chain_contract_and_sequence() {
		let genesis = [7u8; 32];
		let a = signing_payload(&genesis, 1, 2, b"{}");
		assert!(a.starts_with(SIGNING_CONTEXT));
		assert_ne!(a, signing_payload(&genesis, 1, 3, b"{}"));
		assert_ne!(a, signing_payload(&genesis, 2, 2, b"{}"));
		assert_ne!(a, signing_payload(&[8u8; 32], 1, 2, b"{}"));
		assert!(a.ends_with(b"{}"));
	}
}
