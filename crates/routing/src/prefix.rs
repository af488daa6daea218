//! Longest-prefix match over IPv4 or IPv6 prefixes: one hash map per
//! prefix length present, probed from the longest length down. With the
//! few distinct lengths real footprints use, a lookup is a handful of
//! hash probes, and building is linear.

use std::collections::HashMap;

/// Values of type `V` under prefixes of `N`-byte addresses.
#[derive(Clone, Debug)]
pub struct PrefixMap<const N: usize, V> {
	/// The lengths present, longest first.
	lengths: Vec<u8>,
	entries: HashMap<([u8; N], u8), V>,
}

impl<const N: usize, V> Default for PrefixMap<N, V> {
	fn default() -> Self {
		Self { lengths: Vec::new(), entries: HashMap::new() }
	}
}

/// `address` with every bit after the first `len` cleared.
pub fn mask<const N: usize>(address: [u8; N], len: u8) -> [u8; N] {
	let mut out = [0u8; N];
	let len = usize::from(len).min(N * 8);
	let (whole, rest) = (len / 8, len % 8);
	out[..whole].copy_from_slice(&address[..whole]);
	if rest > 0 {
		out[whole] = address[whole] & (0xffu8 << (8 - rest));
	}
	out
}

impl<const N: usize, V> PrefixMap<N, V> {
	/// The value under exactly `prefix/len`, created with `V::default()`.
	pub fn entry(&mut self, prefix: [u8; N], len: u8) -> &mut V
	where
		V: Default,
	{
		let len = len.min((N * 8) as u8);
		if let Err(at) = self.lengths.binary_search_by(|l| len.cmp(l)) {
			self.lengths.insert(at, len);
		}
		self.entries.entry((mask(prefix, len), len)).or_default()
	}

	/// The values under the prefixes containing `address`, longest first.
	pub fn matches(&self, address: [u8; N]) -> impl Iterator<Item = (u8, &V)> + '_ {
		self.lengths.iter().filter_map(move |&len| {
			self.entries.get(&(mask(address, len), len)).map(|value| (len, value))
		})
	}

	/// The value under the longest prefix containing `address`.
	pub fn longest(&self, address: [u8; N]) -> Option<(u8, &V)> {
		self.matches(address).next()
	}

	pub fn is_empty(&self) -> bool {
		self.entries.is_empty()
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn masks_clear_the_host_bits() {
		assert_eq!(mask([192, 0, 2, 77], 24), [192, 0, 2, 0]);
		assert_eq!(mask([192, 0, 2, 77], 25), [192, 0, 2, 0]);
		assert_eq!(mask([192, 0, 2, 200], 25), [192, 0, 2, 128]);
		assert_eq!(mask([255; 4], 0), [0; 4]);
		assert_eq!(mask([255; 4], 32), [255; 4]);
		assert_eq!(mask([255; 4], 40), [255; 4], "lengths beyond the address are the address");
	}

	#[test]
	fn the_longest_containing_prefix_wins() {
		let mut map: PrefixMap<4, Vec<&str>> = PrefixMap::default();
		map.entry([10, 0, 0, 0], 8).push("isp");
		map.entry([10, 1, 0, 0], 16).push("city");
		map.entry([10, 1, 2, 0], 24).push("street");
		map.entry([0, 0, 0, 0], 0).push("anywhere");
		assert_eq!(map.longest([10, 1, 2, 3]).map(|(l, v)| (l, v[0])), Some((24, "street")));
		assert_eq!(map.longest([10, 1, 9, 3]).map(|(l, v)| (l, v[0])), Some((16, "city")));
		assert_eq!(map.longest([10, 9, 9, 3]).map(|(l, v)| (l, v[0])), Some((8, "isp")));
		assert_eq!(map.longest([192, 0, 2, 1]).map(|(l, v)| (l, v[0])), Some((0, "anywhere")));
		let all: Vec<u8> = map.matches([10, 1, 2, 3]).map(|(l, _)| l).collect();
		assert_eq!(all, vec![24, 16, 8, 0]);
		// A prefix given with host bits is stored as its network.
		map.entry([10, 1, 2, 99], 24).push("street too");
		assert_eq!(map.longest([10, 1, 2, 3]).map(|(_, v)| v.len()), Some(2));
	}
}
