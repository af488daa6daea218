//! `cdni_http_request_v1` records (RFC 7937 §3.4.1): field names, values
//! with their grammar, and one record as a line.
//!
//! A record is the values of the fields that the file's last `#fields`
//! directive names, in that order, separated by HTAB; an absent value is a
//! bare `-`. [`Fields`] is such a list, [`Record`] a parsed line, and
//! [`HttpRequest`] what `ocm-relay` logs, written in [`Fields::ocm`]'s layout.

use crate::escape::{is_nhtabstring, quote, unquote};
use alloc::{string::String, vec::Vec};
use core::fmt::Write;

/// The field separator.
pub const HTAB: u8 = b'\t';

/// One field of `cdni_http_request_v1`, in the RFC's order.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum Field {
	Date,
	Time,
	TimeTaken,
	ClientGroupId,
	ServerIp,
	ServerHostname,
	ServerPort,
	Method,
	RequestUri,
	UpstreamUri,
	Protocol,
	Status,
	TotalBytes,
	EntityBytes,
	/// `cs(<header>)`: a request header, name kept as written.
	RequestHeader(String),
	/// `sc(<header>)`: a response header.
	ResponseHeader(String),
	ContentCollectionId,
	SessionId,
	Cached,
}

/// Why a field list, a record or a value is refused.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum RecordError {
	/// A field name that `cdni_http_request_v1` does not define.
	UnknownField,
	/// A field named twice in one `#fields` directive.
	DuplicateField,
	/// A `#fields` directive without one of the mandatory fields.
	MissingMandatoryField,
	/// Not as many values as fields.
	WrongValueCount,
	/// A value that does not match its field's grammar.
	BadValue(FieldKind),
	/// A mandatory value that OCM needs, given as `-`.
	MissingValue(FieldKind),
	/// The line is longer than [`MAX_LINE`].
	TooLong,
}

/// A field without its header name, for errors.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum FieldKind {
	Date,
	Time,
	TimeTaken,
	ClientGroupId,
	ServerIp,
	ServerHostname,
	ServerPort,
	Method,
	RequestUri,
	UpstreamUri,
	Protocol,
	Status,
	TotalBytes,
	EntityBytes,
	RequestHeader,
	ResponseHeader,
	ContentCollectionId,
	SessionId,
	Cached,
}

/// The longest record line accepted (bytes): far above any real request's
/// line, and a bound for the runtime, which parses disputed records.
pub const MAX_LINE: usize = 8 * 1024;

/// The response header by which an OCM relay names each request it served,
/// logged as `sc(OCM-Request-Id)`: two records with one id are one request
/// counted twice, and a client that kept the header can ask for its record.
pub const REQUEST_ID_HEADER: &str = "OCM-Request-Id";

/// The response header by which an OCM relay names the URI Signing token
/// (RFC 9246) a request was authorised by, its `jti`, logged as
/// `sc(OCM-Token-Id)`: `-` on a host that does not require signed requests.
pub const TOKEN_ID_HEADER: &str = "OCM-Token-Id";

impl Field {
	/// Reads a field name; names are case-insensitive.
	pub fn parse(name: &[u8]) -> Result<Self, RecordError> {
		let lower = |s: &str| name.eq_ignore_ascii_case(s.as_bytes());
		let simple = [
			("date", Field::Date),
			("time", Field::Time),
			("time-taken", Field::TimeTaken),
			("c-groupid", Field::ClientGroupId),
			("s-ip", Field::ServerIp),
			("s-hostname", Field::ServerHostname),
			("s-port", Field::ServerPort),
			("cs-method", Field::Method),
			("cs-uri", Field::RequestUri),
			("u-uri", Field::UpstreamUri),
			("protocol", Field::Protocol),
			("sc-status", Field::Status),
			("sc-total-bytes", Field::TotalBytes),
			("sc-entity-bytes", Field::EntityBytes),
			("s-ccid", Field::ContentCollectionId),
			("s-sid", Field::SessionId),
			("s-cached", Field::Cached),
		];
		for (text, field) in simple {
			if lower(text) {
				return Ok(field);
			}
		}
		let header = |prefix: &[u8]| -> Option<String> {
			let rest = name.strip_prefix(prefix).or_else(|| {
				(name.len() > prefix.len() && name[..prefix.len()].eq_ignore_ascii_case(prefix))
					.then(|| &name[prefix.len()..])
			})?;
			let inner = rest.strip_suffix(b")")?;
			// An HTTP field name is an RFC 9110 token.
			let token = |b: &u8| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(b);
			(!inner.is_empty() && inner.iter().all(token))
				.then(|| String::from_utf8(inner.to_vec()).ok())
				.flatten()
		};
		if let Some(h) = header(b"cs(") {
			return Ok(Field::RequestHeader(h));
		}
		if let Some(h) = header(b"sc(") {
			return Ok(Field::ResponseHeader(h));
		}
		Err(RecordError::UnknownField)
	}

	/// The field's name as `#fields` writes it.
	pub fn name(&self) -> String {
		let simple = match self {
			Field::Date => "date",
			Field::Time => "time",
			Field::TimeTaken => "time-taken",
			Field::ClientGroupId => "c-groupid",
			Field::ServerIp => "s-ip",
			Field::ServerHostname => "s-hostname",
			Field::ServerPort => "s-port",
			Field::Method => "cs-method",
			Field::RequestUri => "cs-uri",
			Field::UpstreamUri => "u-uri",
			Field::Protocol => "protocol",
			Field::Status => "sc-status",
			Field::TotalBytes => "sc-total-bytes",
			Field::EntityBytes => "sc-entity-bytes",
			Field::ContentCollectionId => "s-ccid",
			Field::SessionId => "s-sid",
			Field::Cached => "s-cached",
			Field::RequestHeader(h) => return alloc::format!("cs({h})"),
			Field::ResponseHeader(h) => return alloc::format!("sc({h})"),
		};
		String::from(simple)
	}

	pub fn kind(&self) -> FieldKind {
		match self {
			Field::Date => FieldKind::Date,
			Field::Time => FieldKind::Time,
			Field::TimeTaken => FieldKind::TimeTaken,
			Field::ClientGroupId => FieldKind::ClientGroupId,
			Field::ServerIp => FieldKind::ServerIp,
			Field::ServerHostname => FieldKind::ServerHostname,
			Field::ServerPort => FieldKind::ServerPort,
			Field::Method => FieldKind::Method,
			Field::RequestUri => FieldKind::RequestUri,
			Field::UpstreamUri => FieldKind::UpstreamUri,
			Field::Protocol => FieldKind::Protocol,
			Field::Status => FieldKind::Status,
			Field::TotalBytes => FieldKind::TotalBytes,
			Field::EntityBytes => FieldKind::EntityBytes,
			Field::RequestHeader(_) => FieldKind::RequestHeader,
			Field::ResponseHeader(_) => FieldKind::ResponseHeader,
			Field::ContentCollectionId => FieldKind::ContentCollectionId,
			Field::SessionId => FieldKind::SessionId,
			Field::Cached => FieldKind::Cached,
		}
	}

	/// The same field, header names compared case-insensitively.
	fn same_as(&self, other: &Field) -> bool {
		match (self, other) {
			(Field::RequestHeader(a), Field::RequestHeader(b))
			| (Field::ResponseHeader(a), Field::ResponseHeader(b)) => a.eq_ignore_ascii_case(b),
			(a, b) => a == b,
		}
	}

	fn is_quoted(&self) -> bool {
		matches!(
			self,
			Field::RequestHeader(_)
				| Field::ResponseHeader(_)
				| Field::ContentCollectionId
				| Field::SessionId
		)
	}

	/// Whether `value` (as written, quotes and escapes included) matches the
	/// field's grammar.
	fn accepts(&self, value: &[u8]) -> bool {
		match self {
			Field::Date => crate::time::parse_date(value).is_some(),
			Field::Time => crate::time::parse_time(value).is_some(),
			Field::TimeTaken => is_dec(value),
			Field::ServerIp => core::str::from_utf8(value)
				.ok()
				.and_then(|s| s.parse::<core::net::IpAddr>().ok())
				.is_some(),
			Field::ServerHostname => is_host(value),
			Field::ServerPort => is_digits(value) && value.len() <= 5,
			Field::Status => value.len() == 3 && is_digits(value),
			Field::TotalBytes | Field::EntityBytes => is_digits(value) && value.len() <= 19,
			Field::Cached => value == b"0" || value == b"1",
			f if f.is_quoted() => unquote(value).is_some(),
			_ => is_nhtabstring(value),
		}
	}
}

fn is_digits(v: &[u8]) -> bool {
	!v.is_empty() && v.iter().all(u8::is_ascii_digit)
}

/// `DEC = 1*DIGIT ["." 1*DIGIT]`
fn is_dec(v: &[u8]) -> bool {
	match v.iter().position(|&b| b == b'.') {
		None => is_digits(v),
		Some(dot) => is_digits(&v[..dot]) && is_digits(&v[dot + 1..]),
	}
}

/// An RFC 3986 host as a log carries it: a DNS name, an IPv4 address or a
/// bracketed IPv6 literal.
fn is_host(v: &[u8]) -> bool {
	if let Some(inner) = v.strip_prefix(b"[").and_then(|r| r.strip_suffix(b"]")) {
		return core::str::from_utf8(inner)
			.ok()
			.and_then(|s| s.parse::<core::net::Ipv6Addr>().ok())
			.is_some();
	}
	!v.is_empty()
		&& v.len() <= 253
		&& v.iter().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'))
}

/// The fields every `cdni_http_request_v1` record has (RFC 7937 §3.4.1:
/// "There MUST be one and only one instance of this field").
const MANDATORY: [Field; 9] = [
	Field::Date,
	Field::Time,
	Field::TimeTaken,
	Field::ClientGroupId,
	Field::Method,
	Field::UpstreamUri,
	Field::Protocol,
	Field::Status,
	Field::TotalBytes,
];

/// The field list of a `#fields` directive.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Fields(pub Vec<Field>);

impl Fields {
	/// The layout of OCM relays' records: every mandatory field, the
	/// relay's host name, the response body size, whether it was a cache
	/// hit, the request id header and the token id header.
	pub fn ocm() -> Self {
		Fields(alloc::vec![
			Field::Date,
			Field::Time,
			Field::TimeTaken,
			Field::ClientGroupId,
			Field::ServerHostname,
			Field::Method,
			Field::UpstreamUri,
			Field::Protocol,
			Field::Status,
			Field::TotalBytes,
			Field::EntityBytes,
			Field::Cached,
			Field::ResponseHeader(String::from(REQUEST_ID_HEADER)),
			Field::ResponseHeader(String::from(TOKEN_ID_HEADER)),
		])
	}

	/// Reads the value of a `#fields` directive: names separated by HTAB,
	/// each once, the mandatory ones all present.
	pub fn parse(value: &[u8]) -> Result<Self, RecordError> {
		let mut fields: Vec<Field> = Vec::new();
		for name in value.split(|&b| b == HTAB) {
			let field = Field::parse(name)?;
			if fields.iter().any(|f| f.same_as(&field)) {
				return Err(RecordError::DuplicateField);
			}
			fields.push(field);
		}
		if MANDATORY.iter().any(|m| !fields.contains(m)) {
			return Err(RecordError::MissingMandatoryField);
		}
		Ok(Fields(fields))
	}

	/// The directive's value: names separated by HTAB.
	pub fn to_value(&self) -> String {
		let mut out = String::new();
		for (i, f) in self.0.iter().enumerate() {
			if i > 0 {
				out.push('\t');
			}
			out.push_str(&f.name());
		}
		out
	}

	fn position(&self, wanted: &Field) -> Option<usize> {
		self.0.iter().position(|f| f.same_as(wanted))
	}
}

/// One record line, checked against its field list. Values are kept as
/// written; the accessors decode the ones OCM settles on.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Record<'a> {
	values: Vec<&'a [u8]>,
}

impl<'a> Record<'a> {
	/// Splits `line` (without its CRLF) into values and checks each against
	/// its field's grammar; `-` stands for an absent value in any field.
	pub fn parse(line: &'a [u8], fields: &Fields) -> Result<Self, RecordError> {
		if line.len() > MAX_LINE {
			return Err(RecordError::TooLong);
		}
		let values: Vec<&[u8]> = line.split(|&b| b == HTAB).collect();
		if values.len() != fields.0.len() {
			return Err(RecordError::WrongValueCount);
		}
		for (field, value) in fields.0.iter().zip(&values) {
			if *value != b"-" && !field.accepts(value) {
				return Err(RecordError::BadValue(field.kind()));
			}
		}
		Ok(Record { values })
	}

	/// The value of `field` as written; `None` if the layout lacks it or it is `-`.
	pub fn raw(&self, fields: &Fields, field: &Field) -> Option<&'a [u8]> {
		let v = *self.values.get(fields.position(field)?)?;
		(v != b"-").then_some(v)
	}

	/// A quoted field's value with its escapes decoded.
	pub fn text(&self, fields: &Fields, field: &Field) -> Option<Vec<u8>> {
		let raw = self.raw(fields, field)?;
		if field.is_quoted() {
			unquote(raw)
		} else {
			Some(raw.to_vec())
		}
	}

	fn number(&self, fields: &Fields, field: &Field) -> Option<u64> {
		core::str::from_utf8(self.raw(fields, field)?).ok()?.parse().ok()
	}

	pub fn status(&self, fields: &Fields) -> Option<u16> {
		self.number(fields, &Field::Status).and_then(|s| u16::try_from(s).ok())
	}

	pub fn total_bytes(&self, fields: &Fields) -> Option<u64> {
		self.number(fields, &Field::TotalBytes)
	}
}

/// What OCM settles on for one record in [`Fields::ocm`]'s layout; each is
/// present (not `-`) in a well-formed OCM record.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Settled<'a> {
	/// The host of `u-uri`: which delivery contract the request belongs to.
	pub host: &'a [u8],
	/// `u-uri` whole.
	pub uri: &'a [u8],
	pub status: u16,
	pub total_bytes: u64,
	pub request_id: Vec<u8>,
	/// `c-groupid`: the client's network, if the record gives it.
	pub client_group: Option<&'a [u8]>,
	/// When the request arrived: `date` and `time` (its completion) less
	/// `time-taken`, in Unix seconds, if the record gives them.
	pub started_secs: Option<u64>,
	/// The `jti` of the token that authorised it, if any.
	pub token_id: Option<Vec<u8>>,
}

impl<'a> Settled<'a> {
	/// Parses an OCM record line and takes out what settlement needs; any
	/// grammar error, or `-` where settlement needs a value, is an error.
	pub fn parse(line: &'a [u8]) -> Result<Self, RecordError> {
		let mut fields = Fields::ocm();
		let record = match Record::parse(line, &fields) {
			// A record written before the token id field: it names no token.
			Err(RecordError::WrongValueCount) => {
				fields.0.pop();
				Record::parse(line, &fields)?
			}
			other => other?,
		};
		let uri = record
			.raw(&fields, &Field::UpstreamUri)
			.ok_or(RecordError::MissingValue(FieldKind::UpstreamUri))?;
		let host = uri_host(uri).ok_or(RecordError::BadValue(FieldKind::UpstreamUri))?;
		let status = record.status(&fields).ok_or(RecordError::MissingValue(FieldKind::Status))?;
		let total_bytes =
			record.total_bytes(&fields).ok_or(RecordError::MissingValue(FieldKind::TotalBytes))?;
		let request_id = record
			.text(&fields, &Field::ResponseHeader(String::from(REQUEST_ID_HEADER)))
			.filter(|id| !id.is_empty())
			.ok_or(RecordError::MissingValue(FieldKind::ResponseHeader))?;
		let client_group = record.raw(&fields, &Field::ClientGroupId);
		let started_secs = (|| {
			let date = record.raw(&fields, &Field::Date)?;
			let time = record.raw(&fields, &Field::Time)?;
			let completed = crate::time::unix_seconds(date, time)?;
			let taken = record.raw(&fields, &Field::TimeTaken)?;
			let whole = taken.split(|&b| b == b'.').next()?;
			let taken: u64 = core::str::from_utf8(whole).ok()?.parse().ok()?;
			Some(completed.saturating_sub(taken))
		})();
		let token_id = record
			.text(&fields, &Field::ResponseHeader(String::from(TOKEN_ID_HEADER)))
			.filter(|id| !id.is_empty());
		Ok(Settled {
			host,
			uri,
			status,
			total_bytes,
			request_id,
			client_group,
			started_secs,
			token_id,
		})
	}
}

/// The host of an absolute `http`/`https` URI, lower-case as written (no
/// userinfo, no port): `http://video.example.com:8080/a` gives `video.example.com`.
pub fn uri_host(uri: &[u8]) -> Option<&[u8]> {
	let rest = uri.strip_prefix(b"http://").or_else(|| uri.strip_prefix(b"https://"))?;
	let authority_end =
		rest.iter().position(|&b| matches!(b, b'/' | b'?' | b'#')).unwrap_or(rest.len());
	let authority = &rest[..authority_end];
	if authority.contains(&b'@') {
		return None;
	}
	let host = if authority.starts_with(b"[") {
		&authority[..authority.iter().position(|&b| b == b']')? + 1]
	} else {
		match authority.iter().rposition(|&b| b == b':') {
			Some(colon) if is_digits(&authority[colon + 1..]) => &authority[..colon],
			Some(_) => return None,
			None => authority,
		}
	};
	(is_host(host)).then_some(host)
}

/// One request as `ocm-relay` logs it.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct HttpRequest {
	/// When processing completed, in milliseconds since the Unix epoch (UTC).
	pub completed_at_ms: u64,
	/// From the request's arrival to its last byte written, in microseconds.
	pub time_taken_us: u64,
	/// The client's aggregate (see [`crate::privacy`]), never its address.
	pub client_group: String,
	/// The relay's host name.
	pub server_hostname: String,
	pub method: String,
	/// The request as the provider knows it: `http://<contract host><path>`.
	pub upstream_uri: String,
	/// `HTTP/1.1` or `HTTP/1.0`.
	pub protocol: String,
	pub status: u16,
	/// Status line, headers and body, as sent.
	pub total_bytes: u64,
	pub entity_bytes: u64,
	pub cached: bool,
	pub request_id: String,
	/// The `jti` of the URI Signing token that authorised the request.
	pub token_id: Option<String>,
}

impl HttpRequest {
	/// The record line in [`Fields::ocm`]'s layout, without CRLF. Text that
	/// the grammar forbids (tabs, control bytes, non-ASCII in a URI) is
	/// percent-encoded, so a hostile request line cannot split a record.
	pub fn to_line(&self) -> Vec<u8> {
		let mut out = String::with_capacity(192);
		let (date, time) = crate::time::format_utc(self.completed_at_ms);
		let _ = write!(
			out,
			"{date}\t{time}\t{}.{:06}\t",
			self.time_taken_us / 1_000_000,
			self.time_taken_us % 1_000_000
		);
		push_nhtab(&mut out, &self.client_group);
		out.push('\t');
		if is_host(self.server_hostname.as_bytes()) {
			out.push_str(&self.server_hostname);
		} else {
			out.push('-');
		}
		out.push('\t');
		push_nhtab(&mut out, &self.method);
		out.push('\t');
		push_nhtab(&mut out, &self.upstream_uri);
		out.push('\t');
		push_nhtab(&mut out, &self.protocol);
		let _ = write!(
			out,
			"\t{:03}\t{}\t{}\t{}\t",
			self.status.min(999),
			self.total_bytes,
			self.entity_bytes,
			u8::from(self.cached)
		);
		out.push_str(&quote(self.request_id.as_bytes()));
		out.push('\t');
		match &self.token_id {
			Some(id) => out.push_str(&quote(id.as_bytes())),
			None => out.push('-'),
		}
		out.into_bytes()
	}
}

/// The text that [`push_nhtab`] wrote as `value`: every `%XX` decoded (the
/// writer encodes `%` itself, so this is its exact inverse); `None` if a
/// `%` is not followed by two hex digits. A receipt signs the request's URI
/// as requested, a record carries it so encoded: claims compare the two
/// through this.
pub fn decode_nhtab(value: &[u8]) -> Option<Vec<u8>> {
	let mut out = Vec::with_capacity(value.len());
	let mut bytes = value.iter();
	while let Some(&b) = bytes.next() {
		if b != b'%' {
			out.push(b);
			continue;
		}
		let hex = |c: Option<&u8>| (*c? as char).to_digit(16);
		let (high, low) = (hex(bytes.next())?, hex(bytes.next())?);
		out.push((high * 16 + low) as u8);
	}
	Some(out)
}

/// Writes `text` as an NHTABSTRING: printable ASCII and space stay, any
/// other byte (and `%`) is percent-encoded; an empty text is `-`.
fn push_nhtab(out: &mut String, text: &str) {
	if text.is_empty() {
		out.push('-');
		return;
	}
	for b in text.bytes() {
		if (0x20..0x7f).contains(&b) && b != b'%' {
			out.push(b as char);
		} else {
			let _ = write!(out, "%{b:02X}");
		}
	}
}

#[cfg(test)]
mod nhtab_tests {
	use super::*;

	#[test]
	fn decoding_undoes_the_writers_encoding() {
		for text in
			["http://v.example/a%20b?x=%41", "http://v.example/\u{e9}t\u{e9}", "plain", "%%%"]
		{
			let mut line = String::new();
			push_nhtab(&mut line, text);
			assert_eq!(decode_nhtab(line.as_bytes()).unwrap(), text.as_bytes(), "{line}");
		}
		assert_eq!(decode_nhtab(b"a%2"), None);
		assert_eq!(decode_nhtab(b"a%zz"), None);
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	const RFC_FIELDS: &[u8] = b"date\ttime\ttime-taken\tc-groupid\tcs-method\tu-uri\tprotocol\tsc-status\tsc-total-bytes\tcs(User-Agent)\tcs(Referer)\ts-cached";
	const RFC_RECORD_1: &[u8] = b"2013-05-17\t00:38:06.825\t9.058\tUS/TN/MEM/38138\tGET\thttp://cdni-ucdn.dcdn-1.example.com/video/movie100.mp4\tHTTP/1.1\t200\t6729891\t\"Mozilla/5.0 (Windows; U; Windows NT 6.0; en-US) AppleWebKit/533.4 (KHTML, like Gecko) Chrome/5.0.375.127 Safari/533.4\"\t\"host1.example.com\"\t1";
	const RFC_RECORD_3: &[u8] = b"2013-05-17\t00:42:53.437\t52.879\tUS/TN/MEM/38138\tGET\thttp://cdni-ucdn.dcdn-1.example.com/video/picture11.mp4\tHTTP/1.0\t200\t97234724\t\"Mozilla/5.0 (Windows; U; Windows NT 6.0; en-US) AppleWebKit/533.4 (KHTML, like Gecko) Chrome/5.0.375.127 Safari/533.4\"\t\"host5.example.com\"\t0";

	#[test]
	fn the_rfc_example_records_parse() {
		let fields = Fields::parse(RFC_FIELDS).unwrap();
		assert_eq!(fields.0.len(), 12);
		assert_eq!(fields.to_value().as_bytes(), RFC_FIELDS);
		let r = Record::parse(RFC_RECORD_1, &fields).unwrap();
		assert_eq!(r.status(&fields), Some(200));
		assert_eq!(r.total_bytes(&fields), Some(6_729_891));
		assert_eq!(
			r.text(&fields, &Field::RequestHeader("referer".into())).unwrap(),
			b"host1.example.com"
		);
		let r = Record::parse(RFC_RECORD_3, &fields).unwrap();
		assert_eq!(r.raw(&fields, &Field::Protocol), Some(&b"HTTP/1.0"[..]));
		assert_eq!(r.raw(&fields, &Field::Cached), Some(&b"0"[..]));
		// The RFC's "missing field value" example: `-` for sc-total-bytes.
		let missing =
			core::str::from_utf8(RFC_RECORD_1).unwrap().replacen("\t6729891\t", "\t-\t", 1);
		assert!(missing.contains("\t200\t-\t\"Mozilla"));
		let missing = missing.into_bytes();
		let r = Record::parse(&missing, &fields).unwrap();
		assert_eq!(r.total_bytes(&fields), None);
	}

	#[test]
	fn field_lists_are_checked() {
		assert_eq!(Fields::parse(b"date\ttime"), Err(RecordError::MissingMandatoryField));
		assert_eq!(
			Fields::parse(&[RFC_FIELDS, b"\tDATE"].concat()),
			Err(RecordError::DuplicateField)
		);
		assert_eq!(
			Fields::parse(&[RFC_FIELDS, b"\tcs(user-agent)"].concat()),
			Err(RecordError::DuplicateField)
		);
		assert_eq!(
			Fields::parse(&[RFC_FIELDS, b"\tx-foo"].concat()),
			Err(RecordError::UnknownField)
		);
		assert_eq!(
			Fields::parse(&[RFC_FIELDS, b"\tcs()"].concat()),
			Err(RecordError::UnknownField)
		);
		assert_eq!(
			Fields::parse(&[RFC_FIELDS, b"\tcs(a b)"].concat()),
			Err(RecordError::UnknownField)
		);
		// Names are case-insensitive.
		let upper = Fields::parse(&RFC_FIELDS.to_ascii_uppercase()).unwrap();
		assert_eq!(upper.0[0], Field::Date);
		assert_eq!(Fields::parse(Fields::ocm().to_value().as_bytes()), Ok(Fields::ocm()));
	}

	#[test]
	fn bad_values_are_named() {
		let fields = Fields::parse(RFC_FIELDS).unwrap();
		let with = |from: &str, to: &str| {
			let line = core::str::from_utf8(RFC_RECORD_1).unwrap().replacen(from, to, 1);
			Record::parse(line.as_bytes(), &fields).map(|_| ())
		};
		assert_eq!(with("2013-05-17", "2013-13-17"), Err(RecordError::BadValue(FieldKind::Date)));
		assert_eq!(with("00:38:06.825", "24:38:06"), Err(RecordError::BadValue(FieldKind::Time)));
		assert_eq!(with("9.058", "9."), Err(RecordError::BadValue(FieldKind::TimeTaken)));
		assert_eq!(with("\t200\t", "\t20\t"), Err(RecordError::BadValue(FieldKind::Status)));
		assert_eq!(with("6729891", "67x"), Err(RecordError::BadValue(FieldKind::TotalBytes)));
		assert_eq!(with("\t1", "\t2"), Err(RecordError::BadValue(FieldKind::Cached)));
		assert_eq!(
			with("\"host1.example.com\"", "host1"),
			Err(RecordError::BadValue(FieldKind::RequestHeader))
		);
		assert_eq!(with("\t1", ""), Err(RecordError::WrongValueCount));
		assert_eq!(with("\t1", "\t1\t1"), Err(RecordError::WrongValueCount));
		assert_eq!(with("GET", "G\u{e9}T"), Err(RecordError::BadValue(FieldKind::Method)));
		let long = [RFC_RECORD_1, &[b'a'; MAX_LINE][..]].concat();
		assert_eq!(Record::parse(&long, &fields), Err(RecordError::TooLong));
	}

	fn request() -> HttpRequest {
		HttpRequest {
			completed_at_ms: 1_368_751_086_825, // 2013-05-17 00:38:06.825 UTC
			time_taken_us: 9_058_000,
			client_group: "198.51.100.0/24".into(),
			server_hostname: "relay-1.isp.example".into(),
			method: "GET".into(),
			upstream_uri: "http://video.example.com/live/seg 1.ts?x=\t%".into(),
			protocol: "HTTP/1.1".into(),
			status: 200,
			total_bytes: 1_234,
			entity_bytes: 1_000,
			cached: true,
			request_id: "0123456789abcdef0123456789abcdef".into(),
			token_id: None,
		}
	}

	#[test]
	fn ocm_records_round_trip() {
		let line = request().to_line();
		assert_eq!(
			core::str::from_utf8(&line).unwrap(),
			"2013-05-17\t00:38:06.825\t9.058000\t198.51.100.0/24\trelay-1.isp.example\tGET\t\
			 http://video.example.com/live/seg 1.ts?x=%09%25\tHTTP/1.1\t200\t1234\t1000\t1\t\
			 \"0123456789abcdef0123456789abcdef\"\t-"
		);
		let settled = Settled::parse(&line).unwrap();
		assert_eq!(settled.client_group, Some(&b"198.51.100.0/24"[..]));
		// Completed at 00:38:06.825 after 9.058 s: arrived at 00:37:57.
		assert_eq!(settled.started_secs, Some(1_368_751_086 - 9));
		assert_eq!(settled.token_id, None);
		// A record in the layout before the token id field still settles.
		let legacy = &line[..line.len() - 2];
		assert_eq!(Settled::parse(legacy).unwrap().request_id, settled.request_id);
		let mut signed = request();
		signed.token_id = Some("viewer-1".into());
		let line = signed.to_line();
		assert!(line.ends_with(b"\t\"viewer-1\""));
		assert_eq!(Settled::parse(&line).unwrap().token_id, Some(b"viewer-1".to_vec()));
		assert_eq!(settled.host, b"video.example.com");
		assert_eq!(settled.status, 200);
		assert_eq!(settled.total_bytes, 1_234);
		assert_eq!(settled.request_id, b"0123456789abcdef0123456789abcdef");
	}

	#[test]
	fn settlement_needs_its_values() {
		let mut r = request();
		r.request_id = String::new();
		assert_eq!(
			Settled::parse(&r.to_line()),
			Err(RecordError::MissingValue(FieldKind::ResponseHeader))
		);
		let mut r = request();
		r.upstream_uri = "/relative/path".into();
		assert_eq!(
			Settled::parse(&r.to_line()),
			Err(RecordError::BadValue(FieldKind::UpstreamUri))
		);
		assert!(Settled::parse(b"").is_err());
		assert!(Settled::parse(b"\t\t\t\t\t\t\t\t\t\t\t\t").is_err());
	}

	#[test]
	fn uri_hosts() {
		assert_eq!(uri_host(b"http://a.example/x"), Some(&b"a.example"[..]));
		assert_eq!(uri_host(b"https://a.example:8443"), Some(&b"a.example"[..]));
		assert_eq!(uri_host(b"http://[2001:db8::1]:80/"), Some(&b"[2001:db8::1]"[..]));
		assert_eq!(uri_host(b"http://user@a.example/"), None);
		assert_eq!(uri_host(b"ftp://a.example/"), None);
		assert_eq!(uri_host(b"http://a.example:x/"), None);
		assert_eq!(uri_host(b"http:///"), None);
	}
}
