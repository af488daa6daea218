//! The CDNI Logging File (RFC 7937 §3.2–3.3): CRLF-terminated lines,
//! directive groups (`#version`, `#UUID`, `#claimed-origin`,
//! `#record-type`, `#fields`, ...) followed by records, and a last
//! `#SHA256-hash` over every byte before it.

use crate::record::{Fields, Record, RecordError};
use alloc::{string::String, vec::Vec};
use core::fmt::Write;
use sha2::{Digest, Sha256};

/// The only version this crate reads and writes.
pub const VERSION: &str = "cdni/1.0";
/// The only record type an OCM file carries.
pub const RECORD_TYPE: &str = "cdni_http_request_v1";

/// Why a file is refused as a whole (RFC 7937 says to ignore such a file).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum FileError {
	/// A line that does not end in CRLF, or an empty line; `line` counts from 1.
	BadLineEnding { line: usize },
	/// The first line is not `#version`.
	VersionNotFirst,
	/// A version other than `cdni/1.0`.
	UnsupportedVersion,
	/// A directive that must occur at most once occurred again.
	DuplicateDirective { line: usize },
	/// A directive line without `name ":" HTAB value`.
	BadDirective { line: usize },
	/// No `#UUID` directive.
	MissingUuid,
	/// A record before any `#record-type` and `#fields`, or a `#fields`
	/// before `#record-type`.
	RecordBeforeFields { line: usize },
	/// A record type other than `cdni_http_request_v1`.
	UnsupportedRecordType { line: usize },
	/// The `#fields` directive's list is refused.
	BadFields { line: usize, error: RecordError },
	/// `#SHA256-hash` is not the last line.
	HashNotLast { line: usize },
	/// `#SHA256-hash` is not 64 hex digits.
	BadHash { line: usize },
	/// The hash does not match the file's bytes: the file is corrupted.
	HashMismatch,
}

/// One record line of a file, with the field list it was written under and
/// whether it fits that list.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct RecordLine<'a> {
	/// The line without its CRLF: the Merkle leaf's preimage.
	pub bytes: &'a [u8],
	/// Line number in the file, from 1.
	pub line: usize,
	/// Index into [`LogFile::fields`].
	pub fields: usize,
	/// `Err` for a record that does not match its fields: RFC 7937 ignores
	/// such a record, OCM keeps it as a leaf (it was committed) and reports it.
	pub check: Result<(), RecordError>,
}

/// A parsed file.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct LogFile<'a> {
	pub uuid: &'a [u8],
	pub claimed_origin: Option<&'a [u8]>,
	/// Every `#fields` list, in file order.
	pub fields: Vec<Fields>,
	pub records: Vec<RecordLine<'a>>,
	/// Whether the file ended with a `#SHA256-hash` (which then matched).
	pub hashed: bool,
}

fn directive(line: &[u8]) -> Option<(&[u8], &[u8])> {
	let body = line.strip_prefix(b"#")?;
	let colon = body.iter().position(|&b| b == b':')?;
	let (name, rest) = (&body[..colon], &body[colon + 1..]);
	let value = rest.strip_prefix(b"\t")?;
	let name_ok = name.first().is_some_and(u8::is_ascii_alphanumeric)
		&& name.iter().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-'));
	name_ok.then_some((name, value))
}

/// Parses and checks a whole file: its line endings, the directives'
/// occurrences and order, the hash, and each record against its fields.
pub fn parse(file: &[u8]) -> Result<LogFile<'_>, FileError> {
	let mut lines = Vec::new();
	let mut start = 0;
	while start < file.len() {
		let end = file[start..]
			.windows(2)
			.position(|w| w == b"\r\n")
			.map(|p| start + p)
			.ok_or(FileError::BadLineEnding { line: lines.len() + 1 })?;
		let line = &file[start..end];
		if line.is_empty() || line.contains(&b'\r') || line.contains(&b'\n') {
			return Err(FileError::BadLineEnding { line: lines.len() + 1 });
		}
		lines.push((start, line));
		start = end + 2;
	}
	let Some(&(_, first)) = lines.first() else { return Err(FileError::VersionNotFirst) };
	match directive(first) {
		Some((name, value)) if name.eq_ignore_ascii_case(b"version") => {
			if !value.eq_ignore_ascii_case(VERSION.as_bytes()) {
				return Err(FileError::UnsupportedVersion);
			}
		}
		_ => return Err(FileError::VersionNotFirst),
	}
	let mut out = LogFile {
		uuid: &[],
		claimed_origin: None,
		fields: Vec::new(),
		records: Vec::new(),
		hashed: false,
	};
	let (mut uuid, mut record_type) = (false, false);
	for (i, &(offset, line)) in lines.iter().enumerate().skip(1) {
		let n = i + 1;
		if !line.starts_with(b"#") {
			let Some(fields) = out.fields.len().checked_sub(1) else {
				return Err(FileError::RecordBeforeFields { line: n });
			};
			let check = Record::parse(line, &out.fields[fields]).map(|_| ());
			out.records.push(RecordLine { bytes: line, line: n, fields, check });
			continue;
		}
		let (name, value) = directive(line).ok_or(FileError::BadDirective { line: n })?;
		let is = |s: &str| name.eq_ignore_ascii_case(s.as_bytes());
		if is("version") {
			return Err(FileError::DuplicateDirective { line: n });
		} else if is("UUID") {
			if uuid {
				return Err(FileError::DuplicateDirective { line: n });
			}
			(uuid, out.uuid) = (true, value);
		} else if is("claimed-origin") {
			if out.claimed_origin.replace(value).is_some() {
				return Err(FileError::DuplicateDirective { line: n });
			}
		} else if is("record-type") {
			if !value.eq_ignore_ascii_case(RECORD_TYPE.as_bytes()) {
				return Err(FileError::UnsupportedRecordType { line: n });
			}
			record_type = true;
		} else if is("fields") {
			if !record_type {
				return Err(FileError::RecordBeforeFields { line: n });
			}
			let fields =
				Fields::parse(value).map_err(|error| FileError::BadFields { line: n, error })?;
			out.fields.push(fields);
		} else if is("SHA256-hash") {
			if n != lines.len() {
				return Err(FileError::HashNotLast { line: n });
			}
			if value.len() != 64 || !value.iter().all(u8::is_ascii_hexdigit) {
				return Err(FileError::BadHash { line: n });
			}
			let digest = Sha256::digest(&file[..offset]);
			if !hex(&digest).as_bytes().eq_ignore_ascii_case(value) {
				return Err(FileError::HashMismatch);
			}
			out.hashed = true;
		}
		// Unknown directives (and `remark`, `established-origin`) are ignored.
	}
	if !uuid {
		return Err(FileError::MissingUuid);
	}
	Ok(out)
}

/// Lower-case hex of `bytes`, as the hash line, roots and proofs are written.
pub fn hex(bytes: &[u8]) -> String {
	let mut s = String::with_capacity(bytes.len() * 2);
	for b in bytes {
		let _ = write!(s, "{b:02x}");
	}
	s
}

/// The seed of an OCM batch file's UUID: BLAKE2-256 of the chain's genesis
/// hash, contract, relay and period (little-endian `u32`s).
pub fn batch_seed(genesis: &[u8; 32], contract: u32, relay: u32, period: u32) -> [u8; 32] {
	use sp_runtime::traits::{BlakeTwo256, Hash};
	let mut preimage = [0u8; 44];
	preimage[..32].copy_from_slice(genesis);
	preimage[32..36].copy_from_slice(&contract.to_le_bytes());
	preimage[36..40].copy_from_slice(&relay.to_le_bytes());
	preimage[40..].copy_from_slice(&period.to_le_bytes());
	BlakeTwo256::hash(&preimage).0
}

/// The file's `urn:uuid:` from a 32-byte seed, as an RFC 9562 version 8
/// UUID: a relay derives it from its batch, so writing a batch's file again
/// after a crash gives the same file, byte for byte.
pub fn uuid_urn(seed: &[u8; 32]) -> String {
	let mut b = [0u8; 16];
	b.copy_from_slice(&seed[..16]);
	b[6] = (b[6] & 0x0f) | 0x80;
	b[8] = (b[8] & 0x3f) | 0x80;
	let h = hex(&b);
	alloc::format!("urn:uuid:{}-{}-{}-{}-{}", &h[..8], &h[8..12], &h[12..16], &h[16..20], &h[20..])
}

/// Writes a file piece by piece while hashing it: the header, then each
/// record, then the `#SHA256-hash` line. The caller puts the pieces where
/// it wants (a file, a socket) in order.
pub struct Writer {
	hasher: Sha256,
}

impl Writer {
	/// Starts a file with its directives (a `#remark` if given, which
	/// readers ignore); returns the writer and the header bytes.
	pub fn start(
		uuid: &str,
		claimed_origin: Option<&str>,
		remark: Option<&str>,
		fields: &Fields,
	) -> (Self, Vec<u8>) {
		let mut header = String::new();
		let _ = write!(header, "#version:\t{VERSION}\r\n#UUID:\t{uuid}\r\n");
		if let Some(origin) = claimed_origin {
			let _ = write!(header, "#claimed-origin:\t{origin}\r\n");
		}
		if let Some(remark) = remark {
			let _ = write!(header, "#remark:\t{remark}\r\n");
		}
		let _ =
			write!(header, "#record-type:\t{RECORD_TYPE}\r\n#fields:\t{}\r\n", fields.to_value());
		let mut hasher = Sha256::new();
		hasher.update(header.as_bytes());
		(Writer { hasher }, header.into_bytes())
	}

	/// Appends one record line (without line ending) and its CRLF to `out`.
	pub fn record(&mut self, line: &[u8], out: &mut Vec<u8>) {
		let from = out.len();
		out.extend_from_slice(line);
		out.extend_from_slice(b"\r\n");
		self.hasher.update(&out[from..]);
	}

	/// The closing `#SHA256-hash` line.
	pub fn finish(self) -> Vec<u8> {
		alloc::format!("#SHA256-hash:\t{}\r\n", hex(&self.hasher.finalize())).into_bytes()
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use crate::record::{Field, FieldKind};

	/// RFC 7937 §3.6's example file, unwrapped, with a real hash computed
	/// here (the RFC prints a placeholder).
	fn rfc_example() -> Vec<u8> {
		let body = "#version:\tcdni/1.0\r\n\
			#UUID:\turn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6\r\n\
			#claimed-origin:\tcdni-logging-entity.dcdn-1.example.com\r\n\
			#record-type:\tcdni_http_request_v1\r\n\
			#fields:\tdate\ttime\ttime-taken\tc-groupid\tcs-method\tu-uri\tprotocol\tsc-status\tsc-total-bytes\tcs(User-Agent)\tcs(Referer)\ts-cached\r\n\
			2013-05-17\t00:38:06.825\t9.058\tUS/TN/MEM/38138\tGET\thttp://cdni-ucdn.dcdn-1.example.com/video/movie100.mp4\tHTTP/1.1\t200\t6729891\t\"Mozilla/5.0 (Windows; U; Windows NT 6.0; en-US) AppleWebKit/533.4 (KHTML, like Gecko) Chrome/5.0.375.127 Safari/533.4\"\t\"host1.example.com\"\t1\r\n\
			2013-05-17\t00:39:09.145\t15.32\tFR/PACA/NCE/06100\tGET\thttp://cdni-ucdn.dcdn-1.example.com/video/movie118.mp4\tHTTP/1.1\t200\t15799210\t\"Mozilla/5.0 (Windows; U; Windows NT 6.0; en-US) AppleWebKit/533.4 (KHTML, like Gecko) Chrome/5.0.375.127 Safari/533.4\"\t\"host1.example.com\"\t1\r\n\
			2013-05-17\t00:42:53.437\t52.879\tUS/TN/MEM/38138\tGET\thttp://cdni-ucdn.dcdn-1.example.com/video/picture11.mp4\tHTTP/1.0\t200\t97234724\t\"Mozilla/5.0 (Windows; U; Windows NT 6.0; en-US) AppleWebKit/533.4 (KHTML, like Gecko) Chrome/5.0.375.127 Safari/533.4\"\t\"host5.example.com\"\t0\r\n";
		let hash = hex(&Sha256::digest(body.as_bytes()));
		[body.as_bytes(), alloc::format!("#SHA256-hash:\t{hash}\r\n").as_bytes()].concat()
	}

	#[test]
	fn the_rfc_example_file_parses() {
		let file = rfc_example();
		let parsed = parse(&file).unwrap();
		assert_eq!(parsed.uuid, b"urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6");
		assert_eq!(parsed.claimed_origin, Some(&b"cdni-logging-entity.dcdn-1.example.com"[..]));
		assert_eq!(parsed.records.len(), 3);
		assert!(parsed.records.iter().all(|r| r.check.is_ok()));
		assert_eq!(parsed.records[2].line, 8);
		assert!(parsed.hashed);
	}

	#[test]
	fn corruption_and_structure_errors_are_reported() {
		let file = rfc_example();
		let mut flipped = file.clone();
		let at = flipped.len() / 2;
		flipped[at] ^= 0x01;
		assert_eq!(parse(&flipped), Err(FileError::HashMismatch));
		let lf_only = String::from_utf8(file.clone()).unwrap().replace("\r\n", "\n");
		assert_eq!(parse(lf_only.as_bytes()), Err(FileError::BadLineEnding { line: 1 }));
		let text = String::from_utf8(file.clone()).unwrap();
		let no_version = text.replacen("#version:\tcdni/1.0\r\n", "", 1);
		assert_eq!(parse(no_version.as_bytes()), Err(FileError::VersionNotFirst));
		let v2 = text.replacen("cdni/1.0", "cdni/2.0", 1);
		assert_eq!(parse(v2.as_bytes()), Err(FileError::UnsupportedVersion));
		let two_uuids = text.replacen("#claimed-origin", "#UUID:\tx\r\n#claimed-origin", 1);
		assert_eq!(parse(two_uuids.as_bytes()), Err(FileError::DuplicateDirective { line: 3 }));
		let hash_early = text.replacen("#record-type", "#SHA256-hash:\tab\r\n#record-type", 1);
		assert_eq!(parse(hash_early.as_bytes()), Err(FileError::HashNotLast { line: 4 }));
		let other_type = text.replacen("cdni_http_request_v1", "cdni_other_v9", 1);
		assert_eq!(parse(other_type.as_bytes()), Err(FileError::UnsupportedRecordType { line: 4 }));
		assert_eq!(parse(b""), Err(FileError::VersionNotFirst));
		assert_eq!(
			parse(b"#version:\tcdni/1.0\r\n#UUID:\tu\r\n2013-05-17\r\n"),
			Err(FileError::RecordBeforeFields { line: 3 })
		);
		assert_eq!(parse(b"#version:\tcdni/1.0\r\n"), Err(FileError::MissingUuid));
		assert_eq!(
			parse(b"#version:\tcdni/1.0\r\n#UUID:\tu\r\n\r\n"),
			Err(FileError::BadLineEnding { line: 3 })
		);
		assert_eq!(
			parse(b"#version:\tcdni/1.0\r\n#UUID u\r\n"),
			Err(FileError::BadDirective { line: 2 })
		);
		// Unknown directives and remarks are ignored; a file may skip the hash.
		let remark =
			"#version:\tcdni/1.0\r\n#remark:\tanything at all\r\n#x-vendor:\t1\r\n#UUID:\tu\r\n";
		assert!(!parse(remark.as_bytes()).unwrap().hashed);
	}

	#[test]
	fn records_that_do_not_fit_their_fields_are_kept_and_reported() {
		let text = String::from_utf8(rfc_example()).unwrap();
		let body =
			text[..text.find("#SHA256").unwrap()].replacen("\t200\t6729891", "\t2000\t6729891", 1);
		let parsed = parse(body.as_bytes()).unwrap();
		assert_eq!(parsed.records[0].check, Err(RecordError::BadValue(FieldKind::Status)));
		assert!(parsed.records[1].check.is_ok());
	}

	#[test]
	fn the_writer_produces_what_the_parser_accepts() {
		let fields = Fields::ocm();
		let uuid = uuid_urn(&[7; 32]);
		assert_eq!(uuid, "urn:uuid:07070707-0707-8707-8707-070707070707");
		let (mut writer, mut file) = Writer::start(
			&uuid,
			Some("relay-1.isp.example"),
			Some("ocm-batch contract=0"),
			&fields,
		);
		let lines: Vec<Vec<u8>> = (0..3)
			.map(|i| {
				crate::record::HttpRequest {
					completed_at_ms: 1_700_000_000_000 + i,
					time_taken_us: 1_500,
					client_group: "198.51.100.0/24".into(),
					server_hostname: "relay-1.isp.example".into(),
					method: "GET".into(),
					upstream_uri: alloc::format!("http://video.example.com/{i}.ts"),
					protocol: "HTTP/1.1".into(),
					status: 200,
					total_bytes: 1_000 + i,
					entity_bytes: 900 + i,
					cached: i > 0,
					request_id: alloc::format!("{i:032x}"),
					token_id: None,
				}
				.to_line()
			})
			.collect();
		for line in &lines {
			writer.record(line, &mut file);
		}
		file.extend(writer.finish());
		let parsed = parse(&file).unwrap();
		assert!(parsed.hashed);
		assert_eq!(parsed.uuid, uuid.as_bytes());
		assert_eq!(parsed.fields, [fields.clone()]);
		assert_eq!(parsed.records.iter().map(|r| r.bytes.to_vec()).collect::<Vec<_>>(), lines);
		let r = Record::parse(parsed.records[1].bytes, &fields).unwrap();
		assert_eq!(r.raw(&fields, &Field::Cached), Some(&b"1"[..]));
	}
}
