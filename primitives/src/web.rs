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

/// The origin of an `http://` or `https://` URL (RFC 6454): what a browser,
/// and a beacon, connects to. Two URLs with the same origin reach the same
/// server; the path is the server's business.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Origin {
	pub secure: bool,
	/// Lower-cased, without user information; an IPv6 literal keeps its
	/// brackets.
	pub host: alloc::vec::Vec<u8>,
	/// The URL's port, or the scheme's (80, 443) when it names none.
	pub port: u16,
}

impl Origin {
	/// `host:port`: the server, whatever the scheme. Two origins with the
	/// same authority are one listening socket.
	pub fn authority(&self) -> alloc::vec::Vec<u8> {
		let mut out = self.host.clone();
		out.push(b':');
		out.extend_from_slice(alloc::format!("{}", self.port).as_bytes());
		out
	}
}

/// The origin of `url`, if it is an `http://` or `https://` URL
/// (`is_http_url`) whose port, if any, is a number from 1 to 65535.
pub fn origin(url: &[u8]) -> Option<Origin> {
	if !is_http_url(url) {
		return None;
	}
	let (secure, rest) = match url.strip_prefix(b"https://") {
		Some(rest) => (true, rest),
		None => (false, url.strip_prefix(b"http://")?),
	};
	let end = rest.iter().position(|b| matches!(b, b'/' | b'?' | b'#')).unwrap_or(rest.len());
	let authority = &rest[..end];
	// `user:password@host`: the user information is not the server.
	let host_port = match authority.iter().rposition(|b| *b == b'@') {
		Some(at) => &authority[at + 1..],
		None => authority,
	};
	// The port follows the last colon outside an IPv6 literal's brackets.
	let host_end = match host_port.first() {
		Some(b'[') => host_port.iter().position(|b| *b == b']')? + 1,
		_ => host_port.iter().position(|b| *b == b':').unwrap_or(host_port.len()),
	};
	let (host, port) = host_port.split_at(host_end);
	let host = canonical_host(host)?;
	let port = match port {
		[] => {
			if secure {
				443
			} else {
				80
			}
		}
		[b':', digits @ ..] => {
			if digits.is_empty() || digits.len() > 5 || !digits.iter().all(u8::is_ascii_digit) {
				return None;
			}
			let port = core::str::from_utf8(digits).ok()?.parse::<u32>().ok()?;
			u16::try_from(port).ok().filter(|p| *p != 0)?
		}
		_ => return None,
	};
	Some(Origin { secure, host, port })
}

/// `host` as one server is written in one way only, so that no two
/// spellings of a server pass for two servers: a name lower-cased without
/// its trailing dot; an IPv4 address as a dotted quad without leading
/// zeros (the other forms resolvers take, `16909060`, `0x7f.1`, `01.2.3.4`,
/// are refused); an IPv6 address compressed (RFC 5952), and one that maps
/// an IPv4 address as that address. `None` for anything else, zone ids and
/// percent-encoding included.
fn canonical_host(host: &[u8]) -> Option<alloc::vec::Vec<u8>> {
	use alloc::format;
	if let Some(inner) = host.strip_prefix(b"[").and_then(|h| h.strip_suffix(b"]")) {
		let v6: core::net::Ipv6Addr = core::str::from_utf8(inner).ok()?.parse().ok()?;
		let text = match v6.to_ipv4_mapped() {
			Some(v4) => format!("{v4}"),
			None => format!("[{v6}]"),
		};
		return Some(text.into_bytes());
	}
	let name = host.strip_suffix(b".").unwrap_or(host).to_ascii_lowercase();
	let labels_ok = name.split(|b| *b == b'.').all(|label| {
		!label.is_empty()
			&& label.iter().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_'))
	});
	if !labels_ok {
		return None;
	}
	// A last label a resolver reads as a number makes the host an address
	// (WHATWG's "ends in a number"); `3.edge.example` stays a name.
	let last = name.rsplit(|b| *b == b'.').next().unwrap_or_default();
	let numeric = last.iter().all(u8::is_ascii_digit)
		|| (last.len() > 2
			&& last[..2].eq_ignore_ascii_case(b"0x")
			&& last[2..].iter().all(u8::is_ascii_hexdigit));
	if numeric {
		let v4: core::net::Ipv4Addr = core::str::from_utf8(&name).ok()?.parse().ok()?;
		if format!("{v4}").as_bytes() != name.as_slice() {
			return None;
		}
	}
	Some(name)
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

	#[test]
	fn origins() {
		let o = origin(b"https://Edge.Example.NET/live/x.m3u8?a=1").unwrap();
		assert_eq!(o, Origin { secure: true, host: b"edge.example.net".to_vec(), port: 443 });
		assert_eq!(o.authority(), b"edge.example.net:443");
		assert_eq!(origin(b"http://a.example").unwrap().port, 80);
		assert_eq!(origin(b"http://a.example:80/").unwrap(), origin(b"http://A.example").unwrap());
		assert_eq!(origin(b"http://127.0.0.1:8080/pob").unwrap().authority(), b"127.0.0.1:8080");
		let v6 = origin(b"https://[2001:DB8::1]:8443/x").unwrap();
		assert_eq!((v6.host.as_slice(), v6.port), (&b"[2001:db8::1]"[..], 8443));
		assert_eq!(origin(b"http://[::1]").unwrap().port, 80);
		// User information names no other server.
		assert_eq!(origin(b"http://big.example@small.example/").unwrap().host, b"small.example");
		// One server, one spelling: whatever a resolver would take as the
		// same server is the same origin, or refused.
		for (a, b) in [
			(&b"http://edge.example./"[..], &b"http://edge.example"[..]),
			(b"http://[2001:db8:0:0::1]", b"http://[2001:db8::1]"),
			(b"http://[0:0:0:0:0:ffff:102:304]", b"http://1.2.3.4"),
			(b"http://[::ffff:1.2.3.4]:80", b"http://1.2.3.4"),
		] {
			assert_eq!(origin(a), origin(b), "{}", core::str::from_utf8(a).unwrap());
			assert!(origin(a).is_some());
		}
		assert_eq!(origin(b"http://edge-relay:8080").unwrap().host, b"edge-relay");
		assert_eq!(origin(b"http://3.edge.example").unwrap().host, b"3.edge.example");
		assert_eq!(origin(b"http://0xcafe.example.net").unwrap().host, b"0xcafe.example.net");
		for bad in [
			&b"ftp://a.example"[..],
			b"http://a.example:",
			b"http://a.example:0",
			b"http://a.example:65536",
			b"http://a.example:8o",
			b"http://a.example:123456",
			b"http://[::1",
			b"http://[]:80",
			b"http://[::1]x",
			b"http://user@",
			b"http://:80",
			b"http://16909060/",
			b"http://01.2.3.4/",
			b"http://1.2.3/",
			b"http://0x7f.1/",
			b"http://0x7f000001/",
			b"http://256.1.1.1/",
			b"http://[fe80::1%25eth0]/",
			b"http://%65dge.example/",
			b"http://edge\\.example/",
			b"http://a..example/",
			b"http://./",
		] {
			assert_eq!(origin(bad), None, "{}", core::str::from_utf8(bad).unwrap());
		}
	}
}
