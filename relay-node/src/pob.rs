//! The relay's proof-of-bandwidth endpoint: serves the test stream that a
//! beacon asks for, at the byte range it asks for, generated on the fly.
//!
//! `GET /.well-known/ocm/pob/v1/{epoch seed}/{relay id}/{beacon}` with a
//! `Range: bytes=` header; the seed and the beacon's public key are 64 hex
//! digits each. The stream is [`ocm_pob::payload`]'s: the beacon checks every
//! byte, so the relay can only pass by sending these exact bytes, fresh.

use crate::range::{self, RangeError};
use bytes::Bytes;
use ocm_pob::payload::{PayloadStream, StreamId};

/// Where the endpoint lives.
pub const PATH_PREFIX: &str = "/.well-known/ocm/pob/v1/";

/// The stream's nominal length, for `Content-Range`: 1 TiB, far more than
/// any test window moves.
pub const STREAM_LEN: u64 = 1 << 40;

/// Bytes generated per body chunk.
pub const CHUNK: usize = 64 * 1024;

/// Why a PoB request was refused; each maps to an HTTP status.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum PobError {
	/// The path is not `{seed}/{relay}/{beacon}` with hex keys and a decimal id (400).
	BadPath,
	/// No `Range` header: a beacon always asks for a range (400).
	NoRange,
	/// The range cannot be served (416).
	Range(RangeError),
	/// More bytes than one request may ask for (416).
	TooLarge { max: u64 },
	/// A test of another relay than this server's (404).
	NotThisRelay { own: u32 },
	/// Another operator's relay is registered on this server (404).
	Foreign,
}

/// Which relay's tests this server serves: it proves capacity for its own
/// relay only, so a relay registered on someone else's server (or whose
/// PoB URL points here) is not served its test.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Serving {
	/// Not registered yet, or run without a chain: any relay id.
	Any,
	/// This relay's, once registered.
	Relay(u32),
	/// None: another operator registered this server's URL.
	Foreign,
}

/// 32 bytes from 64 hex digits.
pub fn hex32(text: &str) -> Option<[u8; 32]> {
	if text.len() != 64 {
		return None;
	}
	let mut out = [0u8; 32];
	for (i, pair) in text.as_bytes().chunks(2).enumerate() {
		let digit = |c: u8| (c as char).to_digit(16);
		out[i] = (digit(pair[0])? * 16 + digit(pair[1])?) as u8;
	}
	Some(out)
}

/// Parses the part of the path after [`PATH_PREFIX`].
pub fn parse_path(rest: &str) -> Result<StreamId, PobError> {
	let mut parts = rest.split('/');
	let (Some(seed), Some(relay), Some(beacon), None) =
		(parts.next(), parts.next(), parts.next(), parts.next())
	else {
		return Err(PobError::BadPath);
	};
	let relay = if !relay.is_empty() && relay.bytes().all(|b| b.is_ascii_digit()) {
		relay.parse().map_err(|_| PobError::BadPath)?
	} else {
		return Err(PobError::BadPath);
	};
	Ok(StreamId {
		epoch_seed: hex32(seed).ok_or(PobError::BadPath)?,
		relay,
		beacon: hex32(beacon).ok_or(PobError::BadPath)?,
	})
}

/// What to send: the stream and the range of it.
pub struct PobResponse {
	pub stream: PayloadStream,
	pub range: range::ByteRange,
}

/// Resolves a request into the bytes to send.
pub fn plan(
	rest: &str,
	range_header: Option<&str>,
	max_bytes: u64,
	serving: Serving,
) -> Result<PobResponse, PobError> {
	let id = parse_path(rest)?;
	match serving {
		Serving::Any => {}
		Serving::Relay(own) if own == id.relay => {}
		Serving::Relay(own) => return Err(PobError::NotThisRelay { own }),
		Serving::Foreign => return Err(PobError::Foreign),
	}
	let range = range::parse(range_header.ok_or(PobError::NoRange)?, STREAM_LEN)
		.map_err(PobError::Range)?;
	if range.len() > max_bytes {
		return Err(PobError::TooLarge { max: max_bytes });
	}
	Ok(PobResponse { stream: PayloadStream::new(&id), range })
}

impl PobResponse {
	/// The body, generated a chunk at a time as the connection takes it.
	pub fn chunks(self) -> impl futures_util::Stream<Item = Bytes> + Send + 'static {
		let PobResponse { stream, range } = self;
		futures_util::stream::unfold(range.first, move |offset| {
			let stream = stream.clone();
			async move {
				if offset > range.last {
					return None;
				}
				let len = (range.last - offset + 1).min(CHUNK as u64) as usize;
				let mut buf = vec![0u8; len];
				stream.fill_at(offset, &mut buf);
				Some((Bytes::from(buf), offset + len as u64))
			}
		})
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use futures_util::StreamExt;
	use ocm_pob::payload::PayloadVerifier;

	const SEED: &str = "0101010101010101010101010101010101010101010101010101010101010101";
	const BEACON: &str = "0202020202020202020202020202020202020202020202020202020202020202";

	#[test]
	fn paths_name_the_stream() {
		let id = parse_path(&format!("{SEED}/42/{BEACON}")).unwrap();
		assert_eq!(id, StreamId { epoch_seed: [1; 32], relay: 42, beacon: [2; 32] });
		let upper = SEED.to_uppercase();
		assert!(parse_path(&format!("{upper}/42/{BEACON}")).is_ok());
		for bad in [
			format!("{SEED}/42"),
			format!("{SEED}/42/{BEACON}/x"),
			format!("{SEED}/-1/{BEACON}"),
			format!("{SEED}/4294967296/{BEACON}"),
			format!("{}/42/{BEACON}", &SEED[..62]),
			format!("{}zz/42/{BEACON}", &SEED[..62]),
		] {
			assert_eq!(parse_path(&bad).err(), Some(PobError::BadPath), "{bad}");
		}
	}

	#[test]
	fn requests_need_a_servable_range_within_the_limit() {
		let rest = format!("{SEED}/1/{BEACON}");
		assert_eq!(plan(&rest, None, 1 << 20, Serving::Any).err(), Some(PobError::NoRange));
		assert_eq!(
			plan(&rest, Some("bytes=0-1048576"), 1 << 20, Serving::Any).err(),
			Some(PobError::TooLarge { max: 1 << 20 })
		);
		assert_eq!(
			plan(&rest, Some(&format!("bytes={STREAM_LEN}-")), 1 << 20, Serving::Any).err(),
			Some(PobError::Range(RangeError::Unsatisfiable))
		);
		assert!(plan(&rest, Some("bytes=0-1048575"), 1 << 20, Serving::Any).is_ok());
	}

	/// The attack: a relay registered on someone else's server (its URL,
	/// or a PoB URL pointing there) passes its test on that server's
	/// capacity. Once the server knows its own relay, no other is served.
	#[test]
	fn a_server_serves_its_own_relays_test_only() {
		let ask = |relay: u32, serving| {
			plan(&format!("{SEED}/{relay}/{BEACON}"), Some("bytes=0-9"), 1 << 20, serving).err()
		};
		assert_eq!(ask(7, Serving::Relay(7)), None);
		assert_eq!(ask(8, Serving::Relay(7)), Some(PobError::NotThisRelay { own: 7 }));
		assert_eq!(ask(7, Serving::Foreign), Some(PobError::Foreign));
		assert_eq!(ask(8, Serving::Any), None, "not registered yet: any");
	}

	#[tokio::test]
	async fn the_body_is_the_stream_in_chunks() {
		let rest = format!("{SEED}/1/{BEACON}");
		let response = plan(&rest, Some("bytes=1000-200999"), 1 << 20, Serving::Any).unwrap();
		let chunks: Vec<Bytes> = response.chunks().collect().await;
		assert_eq!(chunks.len(), 4, "200000 bytes in 64 KiB chunks");
		let body: Vec<u8> = chunks.concat();
		assert_eq!(body.len(), 200_000);
		let mut verifier = PayloadVerifier::new(&parse_path(&rest).unwrap());
		assert!(verifier.verify(1_000, &body));
	}
}
