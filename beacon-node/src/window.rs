//! Per-second byte counts over a measurement window, sans I/O: the driver
//! passes the wall-clock time of each verified chunk.

/// Counts bytes into the seconds of `[start_ms, start_ms + secs * 1000)`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WindowCounter {
	start_ms: u64,
	seconds: Vec<u64>,
}

impl WindowCounter {
	pub fn new(start_ms: u64, secs: u32) -> Self {
		Self { start_ms, seconds: vec![0; secs as usize] }
	}

	/// When the window ends.
	pub fn end_ms(&self) -> u64 {
		self.start_ms + self.seconds.len() as u64 * 1_000
	}

	/// Adds `bytes` received at `now_ms`; bytes outside the window are not
	/// counted (the chain compares seconds across beacons). Returns whether
	/// they were.
	pub fn add(&mut self, now_ms: u64, bytes: u64) -> bool {
		let Some(offset) = now_ms.checked_sub(self.start_ms) else { return false };
		match self.seconds.get_mut((offset / 1_000) as usize) {
			Some(second) => {
				*second = second.saturating_add(bytes);
				true
			}
			None => false,
		}
	}

	pub fn seconds(&self) -> &[u64] {
		&self.seconds
	}

	pub fn total(&self) -> u64 {
		self.seconds.iter().sum()
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn bytes_land_in_their_second_and_nowhere_else() {
		let mut w = WindowCounter::new(10_000, 3);
		assert!(!w.add(9_999, 5), "before the window");
		assert!(w.add(10_000, 1));
		assert!(w.add(10_999, 2));
		assert!(w.add(11_000, 4));
		assert!(w.add(12_999, 8));
		assert!(!w.add(13_000, 16), "after the window");
		assert_eq!(w.seconds(), &[3, 4, 8]);
		assert_eq!(w.total(), 15);
		assert_eq!(w.end_ms(), 13_000);
	}
}
