//! A batch's totals over its records: what a relay commits, what the
//! settlement pallet pays by, and what `ocm-logs` recomputes from a file.

use crate::record::Settled;
use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use scale_info::TypeInfo;

#[derive(
	Clone,
	Copy,
	PartialEq,
	Eq,
	Default,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Debug,
)]
pub struct Totals {
	/// Sum of `sc-total-bytes`.
	pub bytes: u64,
	/// Requests: one record each.
	pub requests: u32,
	pub status_2xx: u32,
	pub status_3xx: u32,
	pub status_4xx: u32,
	pub status_5xx: u32,
}

impl Totals {
	/// Counts one record line. A line that is not a well-formed OCM record
	/// counts as a request of no bytes and no status class (it is still a
	/// committed leaf; disputes deal with it). Returns whether it parsed.
	pub fn add(&mut self, line: &[u8]) -> bool {
		self.requests = self.requests.saturating_add(1);
		let Ok(record) = Settled::parse(line) else { return false };
		self.bytes = self.bytes.saturating_add(record.total_bytes);
		let class = match record.status / 100 {
			2 => &mut self.status_2xx,
			3 => &mut self.status_3xx,
			4 => &mut self.status_4xx,
			5 => &mut self.status_5xx,
			_ => return true,
		};
		*class = class.saturating_add(1);
		true
	}

	/// One record line's totals: one request, and its bytes and status
	/// class if it is a well-formed OCM record. This is the leaf value of
	/// the batch's Merkle-sum tree ([`crate::merkle`]): what a record bills
	/// is a function of its line, so the chain recomputes it from the line
	/// and never takes the relay's word for it.
	pub fn of(line: &[u8]) -> Totals {
		let mut totals = Totals::default();
		totals.add(line);
		totals
	}

	/// Field-wise sum, or `None` where a field would overflow: a tree whose
	/// sums overflow is not a tree any honest batch has.
	pub fn checked_add(&self, other: &Totals) -> Option<Totals> {
		Some(Totals {
			bytes: self.bytes.checked_add(other.bytes)?,
			requests: self.requests.checked_add(other.requests)?,
			status_2xx: self.status_2xx.checked_add(other.status_2xx)?,
			status_3xx: self.status_3xx.checked_add(other.status_3xx)?,
			status_4xx: self.status_4xx.checked_add(other.status_4xx)?,
			status_5xx: self.status_5xx.checked_add(other.status_5xx)?,
		})
	}

	/// The status classes add up to at most the requests (the rest are 1xx).
	pub fn is_consistent(&self) -> bool {
		let classes = u64::from(self.status_2xx)
			+ u64::from(self.status_3xx)
			+ u64::from(self.status_4xx)
			+ u64::from(self.status_5xx);
		classes <= u64::from(self.requests)
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use crate::record::HttpRequest;

	fn line(status: u16, bytes: u64) -> alloc::vec::Vec<u8> {
		HttpRequest {
			completed_at_ms: 0,
			time_taken_us: 0,
			client_group: "-".into(),
			server_hostname: "r.example".into(),
			method: "GET".into(),
			upstream_uri: "http://v.example/x".into(),
			protocol: "HTTP/1.1".into(),
			status,
			total_bytes: bytes,
			entity_bytes: 0,
			cached: false,
			request_id: "id".into(),
			token_id: None,
		}
		.to_line()
	}

	#[test]
	fn records_add_up_by_class_and_malformed_ones_count_as_requests() {
		let mut t = Totals::default();
		assert!(t.add(&line(200, 10)));
		assert!(t.add(&line(304, 5)));
		assert!(t.add(&line(503, 1)));
		assert!(t.add(&line(101, 1)));
		assert!(!t.add(b"junk"));
		assert_eq!(
			t,
			Totals {
				bytes: 17,
				requests: 5,
				status_2xx: 1,
				status_3xx: 1,
				status_4xx: 0,
				status_5xx: 1
			}
		);
		assert!(t.is_consistent());
		assert!(!Totals { requests: 1, status_2xx: 1, status_4xx: 1, ..t }.is_consistent());
	}
}
