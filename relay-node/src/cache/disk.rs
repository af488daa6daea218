//! The disk tier: every stored URL's variants in one file, bounded in bytes
//! by a moka index (TinyLFU admission, LRU eviction, the file removed when
//! its entry is evicted), found again after a restart.
//!
//! A file is `<blake3(key)[..16] hex>.entry`:
//!
//! ```text
//! "OCMC" version(1) | key | variants: status, request/response time (ms),
//! vary pairs, header pairs, body | blake3 of everything before (32 bytes)
//! ```
//!
//! with lengths as little-endian `u32` before each byte string. A file is
//! written to a temporary name and renamed, so a crash leaves the old entry
//! or the new one; a file that fails its checksum or does not parse (a
//! torn disk, another version) is a miss and is deleted: the tier never
//! serves bytes it did not store.

use super::{policy::Received, store::Stored};
use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use std::{
	path::{Path, PathBuf},
	sync::Arc,
	time::{Duration, SystemTime, UNIX_EPOCH},
};

const MAGIC: &[u8; 5] = b"OCMC\x01";

pub struct DiskTier {
	dir: PathBuf,
	/// File name to file size; evicting an entry deletes its file.
	index: moka::sync::Cache<String, u32>,
}

fn file_name(key: &str) -> String {
	let hash = blake3::hash(key.as_bytes());
	let mut name: String = hash.as_bytes()[..16].iter().map(|b| format!("{b:02x}")).collect();
	name.push_str(".entry");
	name
}

impl DiskTier {
	/// Opens (creating) `dir` with room for `capacity_bytes`, indexing the
	/// entries a previous run left; entries beyond the capacity are evicted.
	pub fn open(dir: &Path, capacity_bytes: u64) -> std::io::Result<Arc<Self>> {
		std::fs::create_dir_all(dir)?;
		let evict_dir = dir.to_path_buf();
		let index = moka::sync::Cache::builder()
			.max_capacity(capacity_bytes)
			.weigher(|_name: &String, size: &u32| *size)
			.eviction_listener(move |name: Arc<String>, _size, cause| {
				// A replaced entry's file is already the new one.
				if cause != moka::notification::RemovalCause::Replaced {
					let _ = std::fs::remove_file(evict_dir.join(name.as_str()));
				}
			})
			.build();
		for entry in std::fs::read_dir(dir)?.flatten() {
			let name = entry.file_name().to_string_lossy().into_owned();
			if name.ends_with(".tmp") {
				let _ = std::fs::remove_file(entry.path());
			} else if name.ends_with(".entry") {
				let size = entry.metadata().map_or(0, |m| m.len());
				index.insert(name, u32::try_from(size).unwrap_or(u32::MAX));
			}
		}
		index.run_pending_tasks();
		Ok(Arc::new(Self { dir: dir.to_path_buf(), index }))
	}

	/// Whether the index has `key`: a cheap check before reading the file.
	pub fn contains(&self, key: &str) -> bool {
		self.index.contains_key(&file_name(key))
	}

	/// The variants stored for `key`, if the file is there and intact.
	pub fn get(&self, key: &str) -> Option<Vec<Stored>> {
		let name = file_name(key);
		self.index.get(&name)?;
		let path = self.dir.join(&name);
		let decoded = std::fs::read(&path).ok().and_then(|bytes| decode(&bytes));
		match decoded {
			Some((stored_key, variants)) if stored_key == key => Some(variants),
			Some(_) => None, // another key with the same 128-bit hash prefix
			None => {
				tracing::warn!(path = %path.display(), "a damaged disk cache entry; removed");
				self.index.invalidate(&name);
				None
			}
		}
	}

	/// Writes `key`'s variants. A write that fails (a full disk) leaves the
	/// entry out of the tier and says so; the memory tier still has it.
	pub fn put(&self, key: &str, variants: &[Arc<Stored>]) {
		let name = file_name(key);
		let bytes = encode(key, variants);
		let (path, tmp) = (self.dir.join(&name), self.dir.join(format!("{name}.tmp")));
		let written = std::fs::write(&tmp, &bytes).and_then(|_| std::fs::rename(&tmp, &path));
		match written {
			Ok(()) => self.index.insert(name, u32::try_from(bytes.len()).unwrap_or(u32::MAX)),
			Err(error) => {
				let _ = std::fs::remove_file(&tmp);
				tracing::warn!(%error, dir = %self.dir.display(), "cannot write to the disk cache");
			}
		}
	}

	pub fn remove(&self, key: &str) {
		self.index.invalidate(&file_name(key));
	}

	/// Removes every entry whose key `matches`, reading only each file's
	/// header (the key comes first). Returns how many were removed.
	pub fn remove_matching(&self, matches: impl Fn(&str) -> bool) -> usize {
		use std::io::Read;
		let mut removed = 0;
		let names: Vec<String> = self.index.iter().map(|(name, _)| name.as_ref().clone()).collect();
		for name in names {
			let key = std::fs::File::open(self.dir.join(&name)).ok().and_then(|mut file| {
				let mut head = [0u8; MAGIC.len() + 4];
				file.read_exact(&mut head).ok()?;
				if &head[..MAGIC.len()] != MAGIC {
					return None;
				}
				let len = u32::from_le_bytes(head[MAGIC.len()..].try_into().ok()?) as usize;
				let mut key = vec![0u8; len.min(64 * 1024)];
				file.read_exact(&mut key).ok()?;
				String::from_utf8(key).ok()
			});
			if key.is_some_and(|key| matches(&key)) {
				self.index.invalidate(&name);
				removed += 1;
			}
		}
		removed
	}

	/// Bytes on disk, as indexed (after pending evictions).
	pub fn size(&self) -> u64 {
		self.index.run_pending_tasks();
		self.index.weighted_size()
	}
}

fn put_bytes(out: &mut Vec<u8>, bytes: &[u8]) {
	out.extend_from_slice(&(bytes.len() as u32).to_le_bytes());
	out.extend_from_slice(bytes);
}

fn millis(t: SystemTime) -> u64 {
	t.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64)
}

pub fn encode(key: &str, variants: &[Arc<Stored>]) -> Vec<u8> {
	let size: usize = variants.iter().map(|v| v.body.len() + 1024).sum();
	let mut out = Vec::with_capacity(size + key.len() + 64);
	out.extend_from_slice(MAGIC);
	put_bytes(&mut out, key.as_bytes());
	out.extend_from_slice(&(variants.len() as u32).to_le_bytes());
	for v in variants {
		out.extend_from_slice(&v.status.as_u16().to_le_bytes());
		out.extend_from_slice(&millis(v.freshness.received.request_time).to_le_bytes());
		out.extend_from_slice(&millis(v.freshness.received.response_time).to_le_bytes());
		out.extend_from_slice(&(v.vary.len() as u32).to_le_bytes());
		for (name, value) in &v.vary {
			put_bytes(&mut out, name.as_bytes());
			put_bytes(&mut out, value.as_bytes());
		}
		out.extend_from_slice(&(v.headers.len() as u32).to_le_bytes());
		for (name, value) in &v.headers {
			put_bytes(&mut out, name.as_str().as_bytes());
			put_bytes(&mut out, value.as_bytes());
		}
		put_bytes(&mut out, &v.body);
	}
	let hash = blake3::hash(&out);
	out.extend_from_slice(hash.as_bytes());
	out
}

/// A cursor over an entry's bytes that fails on anything short or out of bounds.
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
	fn take(&mut self, n: usize) -> Option<&'a [u8]> {
		if n > self.0.len() {
			return None;
		}
		let (head, rest) = self.0.split_at(n);
		self.0 = rest;
		Some(head)
	}
	fn u16(&mut self) -> Option<u16> {
		Some(u16::from_le_bytes(self.take(2)?.try_into().ok()?))
	}
	fn u32(&mut self) -> Option<u32> {
		Some(u32::from_le_bytes(self.take(4)?.try_into().ok()?))
	}
	fn u64(&mut self) -> Option<u64> {
		Some(u64::from_le_bytes(self.take(8)?.try_into().ok()?))
	}
	fn bytes(&mut self) -> Option<&'a [u8]> {
		let n = self.u32()? as usize;
		self.take(n)
	}
	fn text(&mut self) -> Option<String> {
		String::from_utf8(self.bytes()?.to_vec()).ok()
	}
}

pub fn decode(bytes: &[u8]) -> Option<(String, Vec<Stored>)> {
	let body_len = bytes.len().checked_sub(32)?;
	let (body, hash) = bytes.split_at(body_len);
	if blake3::hash(body).as_bytes() != hash {
		return None;
	}
	let mut r = Reader(body);
	if r.take(MAGIC.len())? != MAGIC {
		return None;
	}
	let key = r.text()?;
	let count = r.u32()?;
	let mut variants = Vec::new();
	for _ in 0..count {
		let status = StatusCode::from_u16(r.u16()?).ok()?;
		let at = |ms: u64| UNIX_EPOCH + Duration::from_millis(ms);
		let received = Received { request_time: at(r.u64()?), response_time: at(r.u64()?) };
		let mut vary = Vec::new();
		for _ in 0..r.u32()? {
			vary.push((r.text()?, r.text()?));
		}
		let mut headers = HeaderMap::new();
		for _ in 0..r.u32()? {
			let name = HeaderName::from_bytes(r.bytes()?).ok()?;
			let value = HeaderValue::from_bytes(r.bytes()?).ok()?;
			headers.append(name, value);
		}
		let body = Bytes::copy_from_slice(r.bytes()?);
		variants.push(Stored::new(status, headers, body, received, vary));
	}
	r.0.is_empty().then_some((key, variants))
}

#[cfg(test)]
mod tests {
	use super::*;

	fn stored(body: &[u8], vary: &[(&str, &str)]) -> Arc<Stored> {
		let mut headers = HeaderMap::new();
		headers.insert("cache-control", HeaderValue::from_static("max-age=60"));
		headers.append("x-many", HeaderValue::from_static("a"));
		headers.append("x-many", HeaderValue::from_static("b"));
		let at = UNIX_EPOCH + Duration::from_millis(1_700_000_000_123);
		Arc::new(Stored::new(
			StatusCode::OK,
			headers,
			Bytes::copy_from_slice(body),
			Received { request_time: at, response_time: at },
			vary.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect(),
		))
	}

	fn tempdir(tag: &str) -> PathBuf {
		let dir = std::env::temp_dir().join(format!("ocm-disk-{tag}-{}", std::process::id()));
		let _ = std::fs::remove_dir_all(&dir);
		dir
	}

	#[test]
	fn entries_round_trip_and_damage_is_a_miss() {
		let variants =
			[stored(b"gzip body", &[("accept-encoding", "gzip")]), stored(b"plain", &[])];
		let bytes = encode("video.example/a.ts", &variants);
		let (key, back) = decode(&bytes).unwrap();
		assert_eq!(key, "video.example/a.ts");
		assert_eq!(back.len(), 2);
		assert_eq!(back[0].body, Bytes::from_static(b"gzip body"));
		assert_eq!(back[0].vary, variants[0].vary);
		assert_eq!(back[0].headers.get_all("x-many").iter().count(), 2);
		assert_eq!(back[1].freshness.received, variants[1].freshness.received);
		for at in [0, 5, bytes.len() / 2, bytes.len() - 1] {
			let mut damaged = bytes.clone();
			damaged[at] ^= 0x40;
			assert!(decode(&damaged).is_none(), "a flipped byte at {at} is noticed");
		}
		assert!(decode(&bytes[..bytes.len() - 1]).is_none());
		assert!(decode(b"").is_none());
	}

	#[test]
	fn the_tier_survives_reopening_and_keeps_its_bound() {
		let dir = tempdir("bound");
		let tier = DiskTier::open(&dir, 10_000).unwrap();
		tier.put("k/1", &[stored(&[1; 3_000], &[])]);
		assert_eq!(tier.get("k/1").unwrap()[0].body.len(), 3_000);
		assert!(tier.get("k/2").is_none());
		drop(tier);
		let tier = DiskTier::open(&dir, 10_000).unwrap();
		assert_eq!(tier.get("k/1").unwrap()[0].body[0], 1);
		for i in 2..10 {
			tier.put(&format!("k/{i}"), &[stored(&[i as u8; 3_000], &[])]);
			tier.get("k/1"); // the popular one
		}
		assert!(tier.size() <= 10_000, "{}", tier.size());
		let files: u64 =
			std::fs::read_dir(&dir).unwrap().flatten().map(|e| e.metadata().unwrap().len()).sum();
		assert!(files <= 10_000, "files on disk: {files} bytes");
		tier.remove("k/1");
		assert!(tier.get("k/1").is_none());
		let _ = std::fs::remove_dir_all(dir);
	}

	#[test]
	fn a_damaged_file_is_removed_and_an_unwritable_dir_is_survived() {
		let dir = tempdir("damaged");
		let tier = DiskTier::open(&dir, 100_000).unwrap();
		tier.put("k", &[stored(b"body", &[])]);
		let path = dir.join(file_name("k"));
		let mut bytes = std::fs::read(&path).unwrap();
		let last = bytes.len() - 40;
		bytes[last] ^= 1;
		std::fs::write(&path, bytes).unwrap();
		assert!(tier.get("k").is_none());
		tier.size();
		assert!(!path.exists());
		// The directory gone (a disk unmounted, a full disk): writes fail,
		// the tier says so and serves misses.
		std::fs::remove_dir_all(&dir).unwrap();
		std::fs::write(&dir, b"a file where the directory was").unwrap();
		tier.put("k2", &[stored(b"body", &[])]);
		assert!(tier.get("k2").is_none());
		let _ = std::fs::remove_file(&dir);
	}
}
