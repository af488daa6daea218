//! The `ocm-relay` binary as the integration tests run it.

use std::{
	io::{BufRead, BufReader},
	net::{TcpListener, TcpStream},
	process::{Child, Command, Stdio},
	time::{Duration, Instant},
};

/// A running `ocm-relay` on a loopback port it chose itself, killed on drop.
pub struct Relay {
	pub child: Child,
	pub port: u16,
	/// The HTTPS port, when started with a certificate.
	#[allow(dead_code)] // Only the TLS test reads it.
	pub tls_port: Option<u16>,
}

impl Relay {
	/// Starts the relay with `extra` arguments on `127.0.0.1:0` and reads the
	/// port it bound from its log: a port picked by the test and freed
	/// before the relay binds it can be taken by a relay of a parallel test.
	pub fn start(extra: &[&str]) -> Self {
		let mut child = Command::new(env!("CARGO_BIN_EXE_ocm-relay"))
			.args(["--listen", "127.0.0.1:0", "--log", "info"])
			.args(extra)
			.env("NO_COLOR", "1")
			.stdout(Stdio::piped())
			.stderr(Stdio::inherit())
			.spawn()
			.expect("start ocm-relay");
		let stdout = child.stdout.take().expect("piped stdout");
		let (tx, rx) = std::sync::mpsc::channel();
		std::thread::spawn(move || {
			// Reads the whole log so the relay never blocks on a full pipe.
			for line in BufReader::new(stdout).lines().map_while(Result::ok) {
				let tls = line.contains("serving TLS");
				if let Some(port) = (line.contains("serving HTTP") || tls)
					.then(|| line.split("127.0.0.1:").nth(1))
					.flatten()
					.and_then(|rest| {
						rest.chars()
							.take_while(char::is_ascii_digit)
							.collect::<String>()
							.parse::<u16>()
							.ok()
					}) {
					let _ = tx.send((tls, port));
				}
			}
		});
		let (mut port, mut tls_port) = (None, None);
		let wants_tls = extra.contains(&"--tls-cert");
		while port.is_none() || (wants_tls && tls_port.is_none()) {
			let (tls, p) = rx
				.recv_timeout(Duration::from_secs(20))
				.expect("ocm-relay logs the addresses it serves");
			if tls {
				tls_port = Some(p);
			} else {
				port = Some(p);
			}
		}
		let port = port.expect("an HTTP port");
		let deadline = Instant::now() + Duration::from_secs(20);
		while TcpStream::connect(("127.0.0.1", port)).is_err() {
			assert!(Instant::now() < deadline, "ocm-relay did not listen");
			std::thread::sleep(Duration::from_millis(50));
		}
		Self { child, port, tls_port }
	}

	pub fn url(&self, path: &str) -> String {
		format!("http://127.0.0.1:{}{path}", self.port)
	}
}

impl Drop for Relay {
	fn drop(&mut self) {
		let _ = self.child.kill();
		let _ = self.child.wait();
	}
}

/// A test origin: `handler` answers every request, on a free loopback port
/// served by `runtime`, over HTTP/1.1 and HTTP/2. Returns the port.
#[allow(dead_code)] // Not every test binary has an origin.
pub fn start_origin<F, Fut>(runtime: &tokio::runtime::Runtime, handler: F) -> u16
where
	F: Fn(hyper::Request<hyper::body::Incoming>) -> Fut + Clone + Send + Sync + 'static,
	Fut: std::future::Future<
			Output = Result<
				hyper::Response<http_body_util::Full<bytes::Bytes>>,
				std::convert::Infallible,
			>,
		> + Send
		+ 'static,
{
	let listener = TcpListener::bind("127.0.0.1:0").unwrap();
	let port = listener.local_addr().unwrap().port();
	listener.set_nonblocking(true).unwrap();
	runtime.spawn(async move {
		let listener = tokio::net::TcpListener::from_std(listener).unwrap();
		loop {
			let (stream, _) = listener.accept().await.unwrap();
			let handler = handler.clone();
			tokio::spawn(async move {
				let service = hyper::service::service_fn(handler);
				let _ = hyper_util::server::conn::auto::Builder::new(
					hyper_util::rt::TokioExecutor::new(),
				)
				.serve_connection(hyper_util::rt::TokioIo::new(stream), service)
				.await;
			});
		}
	});
	port
}
