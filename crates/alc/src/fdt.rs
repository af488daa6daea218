//! FLUTE File Delivery Table instances (RFC 6726 §3.4.2): the XML that
//! names each object (TOI) by its URL and says how it was encoded. Only
//! what RaptorQ delivery needs is kept; a File whose attributes do not
//! describe one consistent, uncompressed RaptorQ object is an error, so a
//! lying FDT cannot point a receiver outside the object it sends.

use crate::oti::{Oti, OtiError};
use base64::{engine::general_purpose::STANDARD, Engine};
use quick_xml::{events::Event, Reader};

/// Most File elements one instance may hold when decoded.
pub const MAX_FILES: usize = 256;
/// Longest Content-Location or Content-Type accepted.
pub const MAX_ATTRIBUTE: usize = 2048;

#[derive(Clone, PartialEq, Eq, Debug)]
pub struct FdtFile {
	pub toi: u32,
	/// The object's URL (or path), as players will ask for it.
	pub location: String,
	pub content_type: Option<String>,
	/// The origin's `Cache-Control`, so a receiver caches the object as
	/// the origin meant (`mahp:Cache-Control`, an attribute of OCM's own
	/// namespace, which RFC 6726's schema allows on File).
	pub cache_control: Option<String>,
	/// Content-MD5: what the rebuilt object must hash to.
	pub md5: Option<[u8; 16]>,
	/// The object's encoding; its F is the Content-Length.
	pub oti: Oti,
}

#[derive(Clone, PartialEq, Eq, Debug)]
pub struct FdtInstance {
	/// NTP seconds after which the instance no longer describes the session.
	pub expires: u32,
	pub files: Vec<FdtFile>,
}

#[derive(Clone, PartialEq, Eq, Debug)]
pub enum FdtError {
	Xml(String),
	/// No FDT-Instance element.
	NoInstance,
	Missing(&'static str),
	Number(&'static str),
	TooLong(&'static str),
	/// Not FEC encoding ID 6.
	Encoding(u8),
	/// Content-Encoding is set: compressed objects are not accepted.
	ContentEncoding,
	/// Content-Length and Transfer-Length differ: with no content encoding,
	/// the FDT points outside the object it describes.
	Lengths,
	Md5,
	Oti(OtiError),
	TooManyFiles,
}

impl core::fmt::Display for FdtError {
	fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
		match self {
			Self::Xml(e) => write!(f, "FDT is not well-formed XML: {e}"),
			Self::NoInstance => write!(f, "no FDT-Instance element"),
			Self::Missing(a) => write!(f, "File without {a}"),
			Self::Number(a) => write!(f, "{a} is not a number in range"),
			Self::TooLong(a) => write!(f, "{a} longer than {MAX_ATTRIBUTE} bytes"),
			Self::Encoding(id) => write!(f, "FEC encoding ID {id}, not RaptorQ (6)"),
			Self::ContentEncoding => write!(f, "content encodings are not accepted"),
			Self::Lengths => write!(f, "Content-Length and Transfer-Length differ"),
			Self::Md5 => write!(f, "Content-MD5 is not 16 bytes of base64"),
			Self::Oti(e) => write!(f, "FEC OTI: {e}"),
			Self::TooManyFiles => write!(f, "more than {MAX_FILES} File elements"),
		}
	}
}

impl std::error::Error for FdtError {}

fn escape(value: &str) -> std::borrow::Cow<'_, str> {
	quick_xml::escape::escape(value)
}

impl FdtInstance {
	pub fn encode(&self) -> Vec<u8> {
		let mut xml = format!(
			"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<FDT-Instance xmlns=\"urn:ietf:params:xml:ns:fdt\" xmlns:mahp=\"urn:ocm:mahp\" Expires=\"{}\">\n",
			self.expires
		);
		for file in &self.files {
			xml.push_str(&format!(
				"<File TOI=\"{}\" Content-Location=\"{}\" Content-Length=\"{}\" Transfer-Length=\"{}\"",
				file.toi,
				escape(&file.location),
				file.oti.transfer_length,
				file.oti.transfer_length
			));
			if let Some(content_type) = &file.content_type {
				xml.push_str(&format!(" Content-Type=\"{}\"", escape(content_type)));
			}
			if let Some(cache_control) = &file.cache_control {
				xml.push_str(&format!(" mahp:Cache-Control=\"{}\"", escape(cache_control)));
			}
			if let Some(md5) = &file.md5 {
				xml.push_str(&format!(" Content-MD5=\"{}\"", STANDARD.encode(md5)));
			}
			xml.push_str(&format!(
				" FEC-OTI-FEC-Encoding-ID=\"6\" FEC-OTI-Encoding-Symbol-Length=\"{}\" FEC-OTI-Scheme-Specific-Info=\"{}\"/>\n",
				file.oti.symbol_size,
				file.oti.scheme_specific()
			));
		}
		xml.push_str("</FDT-Instance>\n");
		xml.into_bytes()
	}

	pub fn decode(bytes: &[u8]) -> Result<Self, FdtError> {
		let mut reader = Reader::from_reader(bytes);
		let mut buffer = Vec::new();
		let mut instance: Option<(u32, Defaults)> = None;
		let mut files = Vec::new();
		loop {
			let event =
				reader.read_event_into(&mut buffer).map_err(|e| FdtError::Xml(e.to_string()))?;
			let element = match &event {
				Event::Start(e) | Event::Empty(e) => e,
				Event::Eof => break,
				_ => {
					buffer.clear();
					continue;
				}
			};
			let attributes = Attributes::of(element)?;
			match element.local_name().as_ref() {
				b"FDT-Instance" => {
					let expires =
						attributes.number::<u32>("Expires")?.ok_or(FdtError::Missing("Expires"))?;
					instance = Some((expires, Defaults::of(&attributes)?));
				}
				b"File" => {
					let Some((_, defaults)) = &instance else { return Err(FdtError::NoInstance) };
					if files.len() == MAX_FILES {
						return Err(FdtError::TooManyFiles);
					}
					files.push(file(&attributes, defaults)?);
				}
				_ => {}
			}
			buffer.clear();
		}
		let (expires, _) = instance.ok_or(FdtError::NoInstance)?;
		Ok(Self { expires, files })
	}
}

/// An element's attributes, unescaped.
struct Attributes(Vec<(String, String)>);

impl Attributes {
	fn of(element: &quick_xml::events::BytesStart<'_>) -> Result<Self, FdtError> {
		let mut all = Vec::new();
		for attribute in element.attributes() {
			let attribute = attribute.map_err(|e| FdtError::Xml(e.to_string()))?;
			let key = String::from_utf8_lossy(attribute.key.local_name().as_ref()).into_owned();
			let value = attribute.unescape_value().map_err(|e| FdtError::Xml(e.to_string()))?;
			all.push((key, value.into_owned()));
		}
		Ok(Self(all))
	}

	fn get(&self, name: &'static str) -> Result<Option<&str>, FdtError> {
		match self.0.iter().find(|(k, _)| k == name) {
			Some((_, v)) if v.len() > MAX_ATTRIBUTE => Err(FdtError::TooLong(name)),
			Some((_, v)) => Ok(Some(v)),
			None => Ok(None),
		}
	}

	fn number<N: core::str::FromStr>(&self, name: &'static str) -> Result<Option<N>, FdtError> {
		self.get(name)?.map(|v| v.trim().parse().map_err(|_| FdtError::Number(name))).transpose()
	}
}

/// FEC-OTI attributes an FDT-Instance gives every File that lacks them.
#[derive(Default)]
struct Defaults {
	encoding: Option<u8>,
	symbol_size: Option<u16>,
	scheme_specific: Option<String>,
}

impl Defaults {
	fn of(attributes: &Attributes) -> Result<Self, FdtError> {
		Ok(Self {
			encoding: attributes.number("FEC-OTI-FEC-Encoding-ID")?,
			symbol_size: attributes.number("FEC-OTI-Encoding-Symbol-Length")?,
			scheme_specific: attributes.get("FEC-OTI-Scheme-Specific-Info")?.map(str::to_owned),
		})
	}
}

fn file(attributes: &Attributes, defaults: &Defaults) -> Result<FdtFile, FdtError> {
	let toi = attributes.number("TOI")?.ok_or(FdtError::Missing("TOI"))?;
	let location =
		attributes.get("Content-Location")?.ok_or(FdtError::Missing("Content-Location"))?;
	if attributes.get("Content-Encoding")?.is_some_and(|e| e != "null") {
		return Err(FdtError::ContentEncoding);
	}
	let transfer_length: u64 =
		attributes.number("Transfer-Length")?.ok_or(FdtError::Missing("Transfer-Length"))?;
	if attributes.number::<u64>("Content-Length")?.is_some_and(|l| l != transfer_length) {
		return Err(FdtError::Lengths);
	}
	let encoding = attributes.number("FEC-OTI-FEC-Encoding-ID")?.or(defaults.encoding).unwrap_or(0);
	if encoding != crate::packet::RAPTORQ {
		return Err(FdtError::Encoding(encoding));
	}
	let symbol_size = attributes
		.number("FEC-OTI-Encoding-Symbol-Length")?
		.or(defaults.symbol_size)
		.ok_or(FdtError::Missing("FEC-OTI-Encoding-Symbol-Length"))?;
	let scheme_specific = attributes
		.get("FEC-OTI-Scheme-Specific-Info")?
		.or(defaults.scheme_specific.as_deref())
		.ok_or(FdtError::Missing("FEC-OTI-Scheme-Specific-Info"))?;
	let oti =
		Oti::from_fdt(transfer_length, symbol_size, scheme_specific).map_err(FdtError::Oti)?;
	let md5 = attributes
		.get("Content-MD5")?
		.map(|v| {
			STANDARD
				.decode(v.trim())
				.ok()
				.and_then(|b| <[u8; 16]>::try_from(b).ok())
				.ok_or(FdtError::Md5)
		})
		.transpose()?;
	Ok(FdtFile {
		toi,
		location: location.to_owned(),
		content_type: attributes.get("Content-Type")?.map(str::to_owned),
		cache_control: attributes.get("Cache-Control")?.map(str::to_owned),
		md5,
		oti,
	})
}
