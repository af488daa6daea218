//! The response body wrapper that writes a request's record once the body
//! is done: all of it handed over, or the client gone. The record bills
//! what the viewer's connection accepted ([`super::delivery`]): the
//! wrapper hands data over in chunks, and when the body is done waits for
//! the connection's acknowledgements before it writes the record.

use super::{
	delivery::{billed, first_chunk, Connection, Span},
	spool::BatchId,
	Logs,
};
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
	/// The connection it is sent on, where its acknowledgements can be read.
	pub connection: Option<Arc<Connection>>,
	/// Its connection carries one response at a time (HTTP/1.x), so the
	/// bytes written while it is sent are its own.
	pub sequential: bool,
}

pub struct Logged<B> {
	inner: B,
	/// The rest of a data frame larger than a chunk.
	pending: Bytes,
	body_bytes: u64,
	/// HTTP/1.x: where the response starts in its connection's byte stream.
	start: u64,
	draft: Option<Draft>,
	logs: Arc<Logs>,
}

impl<B> Logged<B> {
	pub fn new(inner: B, draft: Draft, logs: Arc<Logs>) -> Self {
		logs.begin(draft.batch);
		let start = draft.connection.as_ref().map_or(0, |c| c.next_start());
		Logged { inner, pending: Bytes::new(), body_bytes: 0, start, draft: Some(draft), logs }
	}
}

impl<B: Body<Data = Bytes> + Unpin> Body for Logged<B> {
	type Data = Bytes;
	type Error = B::Error;

	fn poll_frame(
		mut self: Pin<&mut Self>,
		cx: &mut Context<'_>,
	) -> Poll<Option<Result<Frame<Bytes>, B::Error>>> {
		let this = &mut *self;
		if !this.pending.is_empty() {
			let chunk = first_chunk(&mut this.pending);
			this.body_bytes += chunk.len() as u64;
			return Poll::Ready(Some(Ok(Frame::data(chunk))));
		}
		let polled = Pin::new(&mut this.inner).poll_frame(cx);
		match polled {
			Poll::Ready(Some(Ok(frame))) => match frame.into_data() {
				Ok(mut data) => {
					let chunk = first_chunk(&mut data);
					this.pending = data;
					this.body_bytes += chunk.len() as u64;
					Poll::Ready(Some(Ok(Frame::data(chunk))))
				}
				Err(frame) => Poll::Ready(Some(Ok(frame))),
			},
			other => other,
		}
	}

	fn is_end_stream(&self) -> bool {
		self.pending.is_empty() && self.inner.is_end_stream()
	}

	fn size_hint(&self) -> SizeHint {
		let inner = self.inner.size_hint();
		let pending = self.pending.len() as u64;
		let mut hint = SizeHint::new();
		hint.set_lower(inner.lower() + pending);
		if let Some(upper) = inner.upper() {
			hint.set_upper(upper + pending);
		}
		hint
	}
}

impl<B> Drop for Logged<B> {
	fn drop(&mut self) {
		let Some(draft) = self.draft.take() else { return };
		let handed = draft.head_bytes + self.body_bytes;
		let logs = self.logs.clone();
		let (Some(connection), Ok(runtime)) =
			(draft.connection.clone(), tokio::runtime::Handle::try_current())
		else {
			return write_record(&logs, draft, handed);
		};
		let span = if draft.sequential {
			connection.ranged_to(self.start.saturating_add(handed));
			Span::From(self.start)
		} else {
			Span::SharedUpTo(connection.written())
		};
		let target = span.target(handed);
		runtime.spawn(async move {
			let total = match connection.acknowledged_up_to(target).await {
				Some(acked) => billed(handed, span, acked),
				// The kernel does not say: what was handed over.
				None => handed,
			};
			write_record(&logs, draft, total);
		});
	}
}

/// Writes the record of a response billed `total` bytes in all.
fn write_record(logs: &Logs, mut draft: Draft, total: u64) {
	draft.record.completed_at_ms = std::time::SystemTime::now()
		.duration_since(std::time::UNIX_EPOCH)
		.map_or(0, |d| d.as_millis() as u64);
	draft.record.time_taken_us = draft.started.elapsed().as_micros() as u64;
	draft.record.entity_bytes = total.saturating_sub(draft.head_bytes);
	draft.record.total_bytes = total;
	logs.log(draft.batch, draft.record.to_line());
}

/// The bytes of a response's status line and headers in HTTP/1.1.
pub fn head_bytes(response: &http::response::Parts) -> u64 {
	let status = response.status;
	let line = 9 + 3 + 1 + status.canonical_reason().map_or(0, str::len) + 2;
	let headers: usize =
		response.headers.iter().map(|(n, v)| n.as_str().len() + 2 + v.len() + 2).sum();
	(line + headers + 2) as u64
}
