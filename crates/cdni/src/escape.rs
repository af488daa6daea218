//! RFC 7937's string grammars: `NHTABSTRING` and `QSTRING` with its
//! percent-encoding (§3.1).

use alloc::{string::String, vec::Vec};
use core::fmt::Write;

/// `NHTABSTRING = 1*(SP / VCHAR)`: printable ASCII and space, not empty.
pub fn is_nhtabstring(v: &[u8]) -> bool {
	!v.is_empty() && v.iter().all(|&b| (0x20..0x7f).contains(&b))
}

/// Writes `value` as a `QSTRING`: in double quotes, with every byte the
/// grammar's `NDQUOTE` excludes (`"`, `%`, controls, DEL) percent-encoded.
/// UTF-8 text stays as it is; bytes that are not UTF-8 are encoded too.
pub fn quote(value: &[u8]) -> String {
	let mut out = String::with_capacity(value.len() + 2);
	out.push('"');
	let mut rest = value;
	while !rest.is_empty() {
		let valid = match core::str::from_utf8(rest) {
			Ok(s) => s,
			Err(e) => core::str::from_utf8(&rest[..e.valid_up_to()]).unwrap_or_default(),
		};
		for c in valid.chars() {
			match c {
				'"' | '%' | '\u{0}'..='\u{1f}' | '\u{7f}' => {
					let _ = write!(out, "%{:02X}", c as u32);
				}
				c => out.push(c),
			}
		}
		rest = &rest[valid.len()..];
		if let Some((&b, tail)) = rest.split_first() {
			let _ = write!(out, "%{b:02X}");
			rest = tail;
		}
	}
	out.push('"');
	out
}

/// Reads a `QSTRING` back into its bytes, or `None` if it breaks the
/// grammar: no quotes, a bare `"` or `%`, a control byte, bad UTF-8.
pub fn unquote(quoted: &[u8]) -> Option<Vec<u8>> {
	let inner = quoted.strip_prefix(b"\"")?.strip_suffix(b"\"")?;
	core::str::from_utf8(inner).ok()?;
	let mut out = Vec::with_capacity(inner.len());
	let mut i = 0;
	while i < inner.len() {
		match inner[i] {
			b'%' => {
				let hex = inner.get(i + 1..i + 3)?;
				let text = core::str::from_utf8(hex).ok()?;
				if !hex.iter().all(u8::is_ascii_hexdigit) {
					return None;
				}
				out.push(u8::from_str_radix(text, 16).ok()?);
				i += 3;
			}
			b'"' | 0x00..=0x1f | 0x7f => return None,
			b => {
				out.push(b);
				i += 1;
			}
		}
	}
	Some(out)
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn quoting_escapes_what_ndquote_excludes() {
		assert_eq!(quote(b"My_Header\"value\""), "\"My_Header%22value%22\"");
		assert_eq!(quote(b"a\tb\r\nc%\0"), "\"a%09b%0D%0Ac%25%00\"");
		assert_eq!(quote("caf\u{e9}".as_bytes()), "\"caf\u{e9}\"");
		assert_eq!(quote(&[b'a', 0xff, b'b']), "\"a%FFb\"");
		assert_eq!(quote(b""), "\"\"");
	}

	#[test]
	fn unquoting_inverts_quoting_and_refuses_bad_grammar() {
		for value in
			[&b"My_Header\"value\""[..], b"a\tb\r\nc%\0", "caf\u{e9}".as_bytes(), &[0xff, 0]]
		{
			assert_eq!(unquote(quote(value).as_bytes()).as_deref(), Some(value));
		}
		assert_eq!(unquote(b"\"%2f%2F\"").as_deref(), Some(&b"//"[..]));
		assert_eq!(unquote(b"no quotes"), None);
		assert_eq!(unquote(b"\"bare \" quote\""), None);
		assert_eq!(unquote(b"\"bad %zz escape\""), None);
		assert_eq!(unquote(b"\"short %2\""), None);
		assert_eq!(unquote(b"\"tab\there\""), None);
		// The RFC's prose writes `%x22`, which its own grammar does not allow.
		assert_eq!(unquote(b"\"My_Header%x22value%x22\""), None);
	}
}
