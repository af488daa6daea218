//! The wildcard patterns of CDNi's `PatternMatch` (RFC 8006 section 4.1.5,
//! RFC 8007 section 5.4): `*` matches any run of characters, `?` one
//! character, and `$$`, `$*`, `$?` are the literal `$`, `*`, `?`.

use alloc::vec::Vec;

/// One token of a pattern: a literal character, `*` or `?`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Token {
	Char(char),
	Any,
	One,
}

/// A compiled pattern.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Glob {
	tokens: Vec<Token>,
	case_sensitive: bool,
}

impl Glob {
	/// `$$`, `$*` and `$?` are the literal characters; a lone `$` is itself.
	pub fn new(pattern: &str, case_sensitive: bool) -> Self {
		let mut tokens = Vec::new();
		let mut chars = pattern.chars().peekable();
		while let Some(c) = chars.next() {
			match c {
				'$' => match chars.peek() {
					Some(&next @ ('$' | '*' | '?')) => {
						chars.next();
						tokens.push(Token::Char(next));
					}
					_ => tokens.push(Token::Char('$')),
				},
				'*' => tokens.push(Token::Any),
				'?' => tokens.push(Token::One),
				c => tokens.push(Token::Char(c)),
			}
		}
		Self { tokens, case_sensitive }
	}

	/// Whether `text` matches, in O(pattern x text) without backtracking
	/// blow-up, and without copying `text`: it runs on every request of a
	/// configured host.
	pub fn matches(&self, text: &str) -> bool {
		let same = |a: char, b: char| {
			if self.case_sensitive {
				a == b
			} else {
				a.to_lowercase().eq(b.to_lowercase())
			}
		};
		let mut p = 0;
		let mut rest = text.chars();
		// The last `*`: its token, and the text from where it resumes.
		let mut star: Option<(usize, core::str::Chars)> = None;
		loop {
			let mut after = rest.clone();
			let Some(c) = after.next() else { break };
			match self.tokens.get(p) {
				Some(Token::Char(x)) if same(*x, c) => {
					p += 1;
					rest = after;
				}
				Some(Token::One) => {
					p += 1;
					rest = after;
				}
				Some(Token::Any) => {
					star = Some((p, rest.clone()));
					p += 1;
				}
				_ => match &mut star {
					Some((star_at, resume)) => {
						// The `*` takes one more character.
						resume.next();
						p = *star_at + 1;
						rest = resume.clone();
					}
					None => return false,
				},
			}
		}
		self.tokens[p..].iter().all(|t| *t == Token::Any)
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn wildcards_and_escapes() {
		let g = |p: &str| Glob::new(p, true);
		assert!(g("/live/*").matches("/live/a/b.ts"));
		assert!(g("/live/*").matches("/live/"));
		assert!(!g("/live/*").matches("/vod/a.ts"));
		assert!(g("/seg?.ts").matches("/seg1.ts"));
		assert!(!g("/seg?.ts").matches("/seg12.ts"));
		assert!(g("/a$*b").matches("/a*b"));
		assert!(!g("/a$*b").matches("/axb"));
		assert!(g("/cost$$").matches("/cost$"));
		assert!(g("/lone$x").matches("/lone$x"));
		assert!(!g("/Live/*").matches("/live/x"));
		assert!(Glob::new("/Live/*", false).matches("/live/x"));
		// Many stars against a long miss stay linear.
		let long = "a".repeat(10_000);
		assert!(!g("*a*a*a*a*a*b").matches(&long));
	}
}
