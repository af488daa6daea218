//! Host names and URLs as OCM's pallets and off-chain binaries accept them:
//! one definition, so a name the registry accepts is one the relays and the
//! CDNi metadata accept too.

/// RFC 1035: a host name is at most 253 characters in text form.
pub const MAX_HOST_NAME_LEN: usize = 253;
/// RFC 1035: a label is at most 63 characters.
pub const MAX_LABEL_LEN: usize = 63;

/// A DNS host name: RFC 1123 letters, digits and hyphens in labels of 1 to
/// 63 characters that neither start nor end with a hyphen, at least two
/// labels, at most 253 characters. Either case: callers lower-case it.
pub fn is_host_name(host: &[u8]) -> bool {
	let mut labels = 0usize;
	for label in host.split(|b| *b == b'.') {
		let valid = !label.is_empty()
			&& label.len() <= MAX_LABEL_LEN
			&& label.iter().all(|b| b.is_ascii_alphanumeric() || *b == b'-')
			&& label.first() != Some(&b'-')
			&& label.last() != Some(&b'-');
		if !valid {
			return false;
		}
		labels += 1;
	}
	labels >= 2 && host.len() <= MAX_HOST_NAME_LEN
}

/// An `http://` or `https://` URL with a non-empty authority, in visible
/// ASCII only (no spaces, no control characters).
pub fn is_http_url(url: &[u8]) -> bool {
	let Some(rest) = url.strip_prefix(b"https://").or_else(|| url.strip_prefix(b"http://")) else {
		return false;
	};
	let authority = rest.iter().position(|b| matches!(b, b'/' | b'?' | b'#')).unwrap_or(rest.len());
	authority > 0 && url.iter().all(|b| (0x21..=0x7e).contains(b))
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn host_names() {
		assert!(is_host_name(b"video.example"));
		assert!(is_host_name(b"A-1.Example.COM"));
		for bad in [
			&b"localhost"[..],
			b"",
			b"-a.example",
			b"a-.example",
			b"a..example",
			b"a_b.example",
			b"a.example.",
		] {
			assert!(!is_host_name(bad), "{}", core::str::from_utf8(bad).unwrap());
		}
		let long = [b'a'; 64];
		let mut name = long.to_vec();
		name.extend_from_slice(b".example");
		assert!(!is_host_name(&name), "a 64-character label");
	}

	#[test]
	fn http_urls() {
		assert!(is_http_url(b"http://origin.example:8080/live"));
		assert!(is_http_url(b"https://[::1]:443"));
		for bad in [&b"ftp://x"[..], b"http://", b"http:///path", b"https://a b", b"http://a\x7f"] {
			assert!(!is_http_url(bad), "{:?}", bad);
		}
	}
}
