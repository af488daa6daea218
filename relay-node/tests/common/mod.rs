//! The `ocm-relay` binary as the integration tests run it.

use std::{
	net::{TcpListener, TcpStream},
	process::{Child, Command, Stdio},
	time::{Duration, Instant},
};

/// A running `ocm-relay` on a free loopback port, killed on drop.
pub struct Relay {
	pub child: Child,
	pub port: u16,
}

impl Relay {
	/// Starts the relay with `extra` arguments and waits until it listens.
	pub fn start(extra: &[&str]) -> Self {
		let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
		let child = Command::new(env!("CARGO_BIN_EXE_ocm-relay"))
			.args(["--listen", &format!("127.0.0.1:{port}"), "--log", "warn"])
			.args(extra)
			.stdout(Stdio::null())
			.stderr(Stdio::inherit())
			.spawn()
			.expect("start ocm-relay");
		let deadline = Instant::now() + Duration::from_secs(20);
		while TcpStream::connect(("127.0.0.1", port)).is_err() {
			assert!(Instant::now() < deadline, "ocm-relay did not listen");
			std::thread::sleep(Duration::from_millis(50));
		}
		Self { child, port }
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
