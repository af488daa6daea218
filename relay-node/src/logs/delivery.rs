//! What a viewer's connection accepted: a record bills the bytes the
//! viewer's TCP stack acknowledged, not the bytes handed to hyper.
//!
//! Every connection's stream is [`Metered`]: it counts the bytes written
//! into the socket, and keeps a duplicate of the socket's descriptor to read
//! `TCP_INFO` (`tcpi_bytes_acked`, what the peer acknowledged) for as long
//! as a response on it is being accounted. When a response's body is done
//! (all of it handed over, or the viewer gone), the relay waits until the
//! connection's peer has acknowledged every byte written so far, or the
//! connection closed, or [`ACK_WAIT`] passed; what is written and not
//! acknowledged then was not accepted, and is taken off the record.
//!
//! - HTTP/1.1: responses on a connection follow each other, so each one's
//!   bytes are a range of the connection's byte stream, starting where the
//!   previous one's ended, and TCP delivers in order. Billed: the smaller
//!   of the bytes handed to hyper and the bytes acknowledged past the
//!   range's start. Error: over TLS the count is of TLS records (about
//!   0.1-0.3 % framing on full records, in the relay's favour for a
//!   response cut short); the head is counted as HTTP/1.1 writes it.
//! - HTTP/2: streams share the connection; what one stream's frames were is
//!   not visible at the socket. Billed: the bytes handed to hyper less the
//!   connection's unacknowledged bytes when the stream ended (all taken
//!   from this stream). Frames are handed over in [`CHUNK`]s, so a stream
//!   the viewer resets has at most one chunk plus its flow-control window
//!   handed and not sent: that is the error, in the relay's favour.
//!
//! A connection's peer acknowledges what its kernel received, whether or
//! not the viewer's application read it: "accepted by the connection".

use bytes::Bytes;
use std::{
	io,
	os::fd::{AsFd, AsRawFd, OwnedFd},
	pin::Pin,
	sync::{
		atomic::{AtomicU64, Ordering},
		Arc,
	},
	task::{Context, Poll},
	time::Duration,
};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// Data frames are handed to hyper at most this large, so hyper pulls a
/// body only as fast as its connection sends it.
pub const CHUNK: usize = 64 * 1024;

/// How long a done response waits for its bytes to be acknowledged before
/// its record is written with what was.
pub const ACK_WAIT: Duration = Duration::from_secs(10);

/// One connection's accounting: bytes written into its socket, and the
/// socket itself (a duplicate descriptor) to ask what was acknowledged.
#[derive(Debug)]
pub struct Connection {
	socket: OwnedFd,
	written: AtomicU64,
	/// HTTP/1.x: where the last response's bytes end in the connection's
	/// byte stream (its start plus what was handed over for it).
	ranged: AtomicU64,
}

impl Connection {
	/// Accounting for `socket`; `None` if its descriptor cannot be duplicated.
	pub fn of(socket: &impl AsFd) -> Option<Arc<Connection>> {
		let socket = socket.as_fd().try_clone_to_owned().ok()?;
		Some(Arc::new(Connection { socket, written: AtomicU64::new(0), ranged: AtomicU64::new(0) }))
	}

	/// Bytes written into the socket so far.
	pub fn written(&self) -> u64 {
		self.written.load(Ordering::Relaxed)
	}

	/// Where a response begun now starts in the byte stream of a
	/// connection that carries one at a time: past everything written, and
	/// past the previous response's bytes (hyper may not have written its
	/// tail yet).
	pub fn next_start(&self) -> u64 {
		self.written().max(self.ranged.load(Ordering::Relaxed))
	}

	/// Records that a response's bytes end at `end` in the byte stream.
	pub fn ranged_to(&self, end: u64) {
		self.ranged.fetch_max(end, Ordering::Relaxed);
	}

	/// What the peer acknowledged, and whether more may still be.
	pub fn acknowledged(&self) -> Option<Acked> {
		// SAFETY: `tcp_info` is plain old data; the kernel fills at most
		// `len` bytes of it for a descriptor this struct owns.
		let mut info: libc::tcp_info = unsafe { std::mem::zeroed() };
		let mut len = std::mem::size_of::<libc::tcp_info>() as libc::socklen_t;
		let ok = unsafe {
			libc::getsockopt(
				self.socket.as_raw_fd(),
				libc::IPPROTO_TCP,
				libc::TCP_INFO,
				(&mut info as *mut libc::tcp_info).cast(),
				&mut len,
			)
		} == 0;
		// Kernels before 4.1 do not report bytes acknowledged.
		let reported = std::mem::offset_of!(libc::tcp_info, tcpi_bytes_acked) + 8;
		(ok && len as usize >= reported).then(|| Acked {
			bytes: info.tcpi_bytes_acked,
			open: matches!(
				info.tcpi_state,
				TCP_ESTABLISHED | TCP_FIN_WAIT1 | TCP_CLOSE_WAIT | TCP_LAST_ACK | TCP_CLOSING
			),
		})
	}

	/// Waits until the peer acknowledged `target` bytes in all (the
	/// socket's count starts at its first byte), the connection closed, or
	/// [`ACK_WAIT`] passed; returns the bytes acknowledged then. `None`
	/// where the kernel does not tell.
	pub async fn acknowledged_up_to(&self, target: u64) -> Option<u64> {
		let deadline = tokio::time::Instant::now() + ACK_WAIT;
		let mut pause = Duration::from_millis(2);
		loop {
			let acked = self.acknowledged()?;
			if acked.bytes >= target || !acked.open || tokio::time::Instant::now() >= deadline {
				return Some(acked.bytes);
			}
			tokio::time::sleep(pause).await;
			pause = (pause * 2).min(Duration::from_millis(250));
		}
	}
}

/// `tcpi_state` values (`include/net/tcp_states.h`) in which data the relay
/// sent may still be acknowledged (after its `FIN` too). Past them (a
/// reset: `CLOSE`; everything acknowledged: `FIN_WAIT2`, `TIME_WAIT`) the
/// count is final.
const TCP_ESTABLISHED: u8 = 1;
const TCP_FIN_WAIT1: u8 = 4;
const TCP_CLOSE_WAIT: u8 = 8;
const TCP_LAST_ACK: u8 = 9;
const TCP_CLOSING: u8 = 11;

/// `TCP_INFO`'s answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Acked {
	pub bytes: u64,
	pub open: bool,
}

/// Where a response's bytes are in its connection's byte stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Span {
	/// HTTP/1.x: from this offset on, one response at a time.
	From(u64),
	/// HTTP/2: interleaved with other streams; the connection had this
	/// many bytes written when the stream's body was done.
	SharedUpTo(u64),
}

impl Span {
	/// The acknowledged count that means all of a response of `handed`
	/// bytes was accepted.
	pub fn target(&self, handed: u64) -> u64 {
		match *self {
			Span::From(start) => start.saturating_add(handed),
			Span::SharedUpTo(written) => written,
		}
	}
}

/// The bytes a response is billed for (status line, headers and body),
/// once its connection's peer had acknowledged `acked` bytes in all: at
/// most what was handed to hyper; HTTP/1.x, what was acknowledged past
/// its start; HTTP/2, what was handed less the connection's bytes not
/// acknowledged.
pub fn billed(handed: u64, span: Span, acked: u64) -> u64 {
	match span {
		Span::From(start) => handed.min(acked.saturating_sub(start)),
		Span::SharedUpTo(written) => handed.saturating_sub(written.saturating_sub(acked)),
	}
}

/// A connection's stream, counting the bytes written into it (where its
/// descriptor could be duplicated: out of descriptors, responses are billed
/// as handed over).
pub struct Metered<S> {
	inner: S,
	connection: Option<Arc<Connection>>,
}

impl<S> Metered<S> {
	pub fn new(inner: S, connection: Option<Arc<Connection>>) -> Self {
		Metered { inner, connection }
	}

	fn count(&self, written: &Poll<io::Result<usize>>) {
		if let (Poll::Ready(Ok(n)), Some(connection)) = (written, &self.connection) {
			connection.written.fetch_add(*n as u64, Ordering::Relaxed);
		}
	}
}

impl<S: AsyncRead + Unpin> AsyncRead for Metered<S> {
	fn poll_read(
		mut self: Pin<&mut Self>,
		cx: &mut Context<'_>,
		buf: &mut ReadBuf<'_>,
	) -> Poll<io::Result<()>> {
		Pin::new(&mut self.inner).poll_read(cx, buf)
	}
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Metered<S> {
	fn poll_write(
		mut self: Pin<&mut Self>,
		cx: &mut Context<'_>,
		buf: &[u8],
	) -> Poll<io::Result<usize>> {
		let written = Pin::new(&mut self.inner).poll_write(cx, buf);
		self.count(&written);
		written
	}

	fn poll_write_vectored(
		mut self: Pin<&mut Self>,
		cx: &mut Context<'_>,
		bufs: &[io::IoSlice<'_>],
	) -> Poll<io::Result<usize>> {
		let written = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
		self.count(&written);
		written
	}

	fn is_write_vectored(&self) -> bool {
		self.inner.is_write_vectored()
	}

	fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
		Pin::new(&mut self.inner).poll_flush(cx)
	}

	fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
		Pin::new(&mut self.inner).poll_shutdown(cx)
	}
}

/// Splits a data frame of more than [`CHUNK`] bytes: the first chunk now,
/// the rest kept for the next poll (no copy: `Bytes` shares its buffer).
pub fn first_chunk(data: &mut Bytes) -> Bytes {
	if data.len() <= CHUNK {
		std::mem::take(data)
	} else {
		data.split_to(CHUNK)
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use crate::logs::{
		body::{Draft, Logged},
		spool::spool_path,
		Logs, ServedContract,
	};
	use http_body_util::{BodyExt, Full};
	use hyper_util::rt::{TokioExecutor, TokioIo};
	use ocm_cdni::record::{HttpRequest, Settled};
	use std::io::{Read, Write};

	const OBJECT: usize = 10 << 20;

	/// A real hyper server (HTTP/1.1 and HTTP/2) on loopback whose one
	/// object, 10 MiB, is logged as a contract's host is; returns its
	/// address and the logs.
	async fn server(tag: &str) -> (std::net::SocketAddr, Arc<Logs>, std::path::PathBuf) {
		let dir = std::env::temp_dir().join(format!("ocm-delivery-{tag}-{}", std::process::id()));
		let _ = std::fs::remove_dir_all(&dir);
		let logs = Arc::new(Logs::new(dir.clone(), "http://relay.example".into(), None).unwrap());
		let contract = ServedContract {
			id: 0,
			start: 0,
			end: 1_000,
			period_length: 100,
			from_period: 0,
			until_period: None,
			signing: Default::default(),
		};
		logs.serve("v.example".into(), contract);
		let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
		let address = listener.local_addr().unwrap();
		let served = logs.clone();
		tokio::spawn(async move {
			let object = Bytes::from(vec![b'x'; OBJECT]);
			loop {
				let (stream, _) = listener.accept().await.unwrap();
				let connection = Connection::of(&stream);
				let (logs, object, on) = (served.clone(), object.clone(), connection.clone());
				let service = hyper::service::service_fn(move |request: http::Request<_>| {
					let draft = Draft {
						batch: (0, 0),
						started: std::time::Instant::now(),
						head_bytes: 0,
						connection: on.clone(),
						sequential: request.version() < http::Version::HTTP_2,
						record: HttpRequest {
							completed_at_ms: 1_700_000_000_000,
							time_taken_us: 0,
							client_group: "127.0.0.0/24".into(),
							server_hostname: "relay.example".into(),
							method: "GET".into(),
							upstream_uri: "http://v.example/object".into(),
							protocol: "HTTP/1.1".into(),
							status: 200,
							total_bytes: 0,
							entity_bytes: 0,
							cached: true,
							request_id: "1".repeat(32),
							token_id: None,
						},
					};
					let body = Logged::new(Full::new(object.clone()), draft, logs.clone());
					async move { Ok::<_, std::convert::Infallible>(http::Response::new(body)) }
				});
				tokio::spawn(
					hyper_util::server::conn::auto::Builder::new(TokioExecutor::new())
						.serve_connection(TokioIo::new(Metered::new(stream, connection)), service)
						.into_owned(),
				);
			}
		});
		(address, logs, dir)
	}

	/// The bytes the one record written so far bills, once it is written.
	async fn billed_bytes(dir: &std::path::Path) -> u64 {
		let path = spool_path(dir, (0, 0));
		for _ in 0..300 {
			if let Ok(text) = std::fs::read(&path) {
				if let Some(line) = text.split(|&b| b == b'\n').find(|l| !l.is_empty()) {
					return Settled::parse(line).unwrap().total_bytes;
				}
			}
			tokio::time::sleep(Duration::from_millis(50)).await;
		}
		panic!("no record written");
	}

	/// A viewer whose socket takes 4 KiB at a time reads a kibibyte of the
	/// 10 MiB object over HTTP/1.1 and goes away.
	#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
	async fn an_http1_viewer_that_stops_after_a_kibibyte_is_billed_what_it_took() {
		let (address, _logs, dir) = server("h1-abort").await;
		let taken = tokio::task::spawn_blocking(move || {
			let socket =
				socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
			socket.set_recv_buffer_size(4096).unwrap();
			socket.connect(&address.into()).unwrap();
			let mut stream: std::net::TcpStream = socket.into();
			stream.write_all(b"GET /object HTTP/1.1\r\nHost: v.example\r\n\r\n").unwrap();
			let mut buf = [0u8; 1024];
			let mut taken = 0;
			while taken < 2048 {
				taken += stream.read(&mut buf).unwrap();
			}
			std::thread::sleep(Duration::from_millis(200));
			taken
		})
		.await
		.unwrap();
		let billed = billed_bytes(&dir).await;
		println!("HTTP/1.1, 10 MiB object, viewer gone after {taken} bytes: billed {billed}");
		// Handed over: the whole object (one frame); accepted: what the
		// viewer read and its kernel buffered.
		assert!(billed >= 1_024 && billed < 256 << 10, "billed {billed} for {taken} read");
		let _ = std::fs::remove_dir_all(dir);
	}

	/// The same object read to its end is billed in full.
	#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
	async fn an_http1_viewer_that_reads_it_all_is_billed_all() {
		let (address, _logs, dir) = server("h1-whole").await;
		tokio::task::spawn_blocking(move || {
			let mut stream = std::net::TcpStream::connect(address).unwrap();
			stream
				.write_all(b"GET /object HTTP/1.1\r\nHost: v.example\r\nConnection: close\r\n\r\n")
				.unwrap();
			let mut all = Vec::new();
			stream.read_to_end(&mut all).unwrap();
			assert!(all.len() > OBJECT);
		})
		.await
		.unwrap();
		assert_eq!(billed_bytes(&dir).await, OBJECT as u64);
		let _ = std::fs::remove_dir_all(dir);
	}

	/// An HTTP/2 viewer with a 64 KiB window takes one frame and resets the
	/// stream: billed at most a chunk and a window, not 10 MiB.
	#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
	async fn an_http2_viewer_that_resets_the_stream_is_billed_what_was_sent() {
		let (address, _logs, dir) = server("h2-reset").await;
		let stream = tokio::net::TcpStream::connect(address).await.unwrap();
		let (mut sender, connection) =
			hyper::client::conn::http2::Builder::new(TokioExecutor::new())
				.initial_stream_window_size(65_535)
				.initial_connection_window_size(65_535)
				.handshake(TokioIo::new(stream))
				.await
				.unwrap();
		tokio::spawn(connection);
		let request = http::Request::builder()
			.uri("http://v.example/object")
			.body(http_body_util::Empty::<Bytes>::new())
			.unwrap();
		let response = sender.send_request(request).await.unwrap();
		let mut body = response.into_body();
		let first = body.frame().await.unwrap().unwrap();
		assert!(first.data_ref().is_some_and(|d| !d.is_empty()));
		drop(body);
		let billed = billed_bytes(&dir).await;
		println!("HTTP/2, 10 MiB object, stream reset after one frame: billed {billed}");
		assert!(billed < 256 << 10, "billed {billed}");
		drop(sender);
		let _ = std::fs::remove_dir_all(dir);
	}

	#[test]
	fn what_is_billed_is_what_was_accepted() {
		// HTTP/1.1: a 10 MiB response starting at byte 5,000 of which
		// 280 KiB were acknowledged before the viewer went away.
		let span = Span::From(5_000);
		assert_eq!(span.target(10 << 20), 5_000 + (10 << 20));
		assert_eq!(billed(10 << 20, span, 5_000 + (280 << 10)), 280 << 10);
		// All of it acknowledged: all of it, and never more than handed
		// (over TLS more is written than handed).
		assert_eq!(billed(1_000, span, 6_030), 1_000);
		// Nothing past its start: nothing.
		assert_eq!(billed(1_000, span, 4_000), 0);
		// HTTP/2: handed less the connection's unacknowledged tail.
		let shared = Span::SharedUpTo(900_000);
		assert_eq!(shared.target(500_000), 900_000);
		assert_eq!(billed(500_000, shared, 780_000), 380_000);
		assert_eq!(billed(500, shared, 780_000), 0);
	}

	#[test]
	fn large_frames_are_handed_over_in_chunks() {
		let mut data = Bytes::from(vec![7u8; CHUNK * 2 + 5]);
		assert_eq!(first_chunk(&mut data).len(), CHUNK);
		assert_eq!(first_chunk(&mut data).len(), CHUNK);
		assert_eq!(first_chunk(&mut data).len(), 5);
		assert!(data.is_empty());
	}
}
