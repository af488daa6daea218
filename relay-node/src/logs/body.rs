//! The response body wrapper that writes a request's record once the body
//! is done: all of it sent, or the client gone (then the record counts what
//! was sent, as `sc-total-bytes` says).

use super::{spool::BatchId, Logs};
use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};
use ocm_cdni::record::HttpRequest;
use std::{
	pin::Pin,
	sync::Arc,
	task::{Context, Poll},
	time::Instant,
};

/// A record waiting for its byte counts and completion time.
pub struct Draft {
	pub batch: BatchId,
	pub started: Instant,
	/// Status line and header bytes, as HTTP/1.1 writes them.
	pub head_bytes: u64,
	pub record: HttpRequest,
}

pub struct Logged<B> {
	inner: B,
	body_bytes: u64,
	draft: Option<Draft>,
	logs: Arc<Logs>,
}

impl<B> Logged<B> {
	pub fn new(inner: B, draft: Draft, logs: Arc<Logs>) -> Self {
		logs.begin(draft.batch);
		Logged { inner, body_bytes: 0, draft: Some(draft), logs }
	}
}

impl<B: Body<Data = Bytes> + Unpin> Body for Logged<B> {
	type Data = Bytes;
	type Error = B::Error;

	fn poll_frame(
		mut self: Pin<&mut Self>,
		cx: &mut Context<'_>,
	) -> Poll<Option<Result<Frame<Bytes>, B::Error>>> {
		let polled = Pin::new(&mut self.inner).poll_frame(cx);
		if let Poll::Ready(Some(Ok(frame))) = &polled {
			if let Some(data) = frame.data_ref() {
				self.body_bytes += data.len() as u64;
			}
		}
		polled
	}

	fn is_end_stream(&self) -> bool {
		self.inner.is_end_stream()
	}

	fn size_hint(&self) -> SizeHint {
		self.inner.size_hint()
	}
}

impl<B> Drop for Logged<B> {
	fn drop(&mut self) {
		let Some(mut draft) = self.draft.take() else { return };
		draft.record.completed_at_ms = std::time::SystemTime::now()
			.duration_since(std::time::UNIX_EPOCH)
			.map_or(0, |d| d.as_millis() as u64);
		draft.record.time_taken_us = draft.started.elapsed().as_micros() as u64;
		draft.record.entity_bytes = self.body_bytes;
		draft.record.total_bytes = draft.head_bytes + self.body_bytes;
		self.logs.log(draft.batch, draft.record.to_line());
	}
}

/// The bytes of a response's status line and headers in HTTP/1.1.
pub fn head_bytes(response: &http::response::Parts) -> u64 {
	let status = response.status;
	let line = 9 + 3 + 1 + status.canonical_reason().map_or(0, str::len) + 2;
	let headers: usize =
		response.headers.iter().map(|(n, v)| n.as_str().len() + 2 + v.len() + 2).sum();
	(line + headers + 2) as u64
}
