//! HTTP byte ranges (RFC 9110 §14.1.2), sans I/O: one `Range: bytes=` spec
//! of a representation of known length, resolved to the bytes to send.

/// An inclusive byte range within a representation.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct ByteRange {
	pub first: u64,
	pub last: u64,
}

impl ByteRange {
	pub fn len(&self) -> u64 {
		self.last - self.first + 1
	}

	/// The `Content-Range` value for a representation of `total` bytes.
	pub fn content_range(&self, total: u64) -> String {
		format!("bytes {}-{}/{}", self.first, self.last, total)
	}
}

/// Why a `Range` header cannot be served.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum RangeError {
	/// Not `bytes=first-last`, `bytes=first-` or `bytes=-suffix`.
	Malformed,
	/// Several ranges in one request; this endpoint serves one.
	MultipleRanges,
	/// The range starts at or beyond the end (RFC 9110: 416).
	Unsatisfiable,
}

/// Resolves one range spec against a representation of `total` bytes.
/// A last position beyond the end is clamped, as RFC 9110 requires.
pub fn parse(header: &str, total: u64) -> Result<ByteRange, RangeError> {
	let spec = header.trim().strip_prefix("bytes=").ok_or(RangeError::Malformed)?;
	if spec.contains(',') {
		return Err(RangeError::MultipleRanges);
	}
	let (first, last) = spec.trim().split_once('-').ok_or(RangeError::Malformed)?;
	let number = |s: &str| -> Result<u64, RangeError> {
		if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
			return Err(RangeError::Malformed);
		}
		s.parse().map_err(|_| RangeError::Malformed)
	};
	if total == 0 {
		return Err(RangeError::Unsatisfiable);
	}
	let range = if first.is_empty() {
		// `-n`: the last n bytes.
		let suffix = number(last)?;
		if suffix == 0 {
			return Err(RangeError::Unsatisfiable);
		}
		ByteRange { first: total.saturating_sub(suffix), last: total - 1 }
	} else {
		let first = number(first)?;
		let last = if last.is_empty() { total - 1 } else { number(last)?.min(total - 1) };
		if first >= total {
			return Err(RangeError::Unsatisfiable);
		}
		if last < first {
			return Err(RangeError::Malformed);
		}
		ByteRange { first, last }
	};
	Ok(range)
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn the_three_forms_resolve() {
		assert_eq!(parse("bytes=0-499", 10_000), Ok(ByteRange { first: 0, last: 499 }));
		assert_eq!(parse("bytes=9500-", 10_000), Ok(ByteRange { first: 9_500, last: 9_999 }));
		assert_eq!(parse("bytes=-500", 10_000), Ok(ByteRange { first: 9_500, last: 9_999 }));
		assert_eq!(parse("bytes=-20000", 10_000), Ok(ByteRange { first: 0, last: 9_999 }));
		assert_eq!(parse(" bytes=5-5 ", 10), Ok(ByteRange { first: 5, last: 5 }));
	}

	#[test]
	fn a_last_position_past_the_end_is_clamped() {
		let r = parse("bytes=9000-20000", 10_000).unwrap();
		assert_eq!((r.first, r.last, r.len()), (9_000, 9_999, 1_000));
		assert_eq!(r.content_range(10_000), "bytes 9000-9999/10000");
	}

	#[test]
	fn bad_specs_are_refused_distinctly() {
		for bad in [
			"",
			"bytes=",
			"bytes=-",
			"items=0-1",
			"bytes=a-b",
			"bytes=5-4",
			"bytes=+1-2",
			"bytes=1-2-3",
			"bytes=99999999999999999999999-",
		] {
			assert_eq!(parse(bad, 10_000), Err(RangeError::Malformed), "{bad:?}");
		}
		assert_eq!(parse("bytes=0-1,5-6", 10_000), Err(RangeError::MultipleRanges));
		assert_eq!(parse("bytes=10000-", 10_000), Err(RangeError::Unsatisfiable));
		assert_eq!(parse("bytes=-0", 10_000), Err(RangeError::Unsatisfiable));
		assert_eq!(parse("bytes=0-0", 0), Err(RangeError::Unsatisfiable));
	}
}
