//! The real `ocm-relay` binary on loopback, driven by `curl` over HTTP/1.1
//! and HTTP/2: what a beacon downloads is the PoB stream, byte for byte;
//! bad requests get the right status; metrics count; SIGTERM stops it.

mod common;

use common::Relay;
use ocm_pob::payload::{PayloadVerifier, StreamId};
use std::{
	process::{Command, Output},
	time::{Duration, Instant},
};

const SEED: [u8; 32] = [0x5e; 32];
const BEACON: [u8; 32] = [0xbe; 32];
const RELAY: u32 = 7;

fn hex(bytes: &[u8]) -> String {
	bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn pob_url(relay: &Relay) -> String {
	relay.url(&format!("/.well-known/ocm/pob/v1/{}/{RELAY}/{}", hex(&SEED), hex(&BEACON)))
}

/// `curl` with `args`; returns its output with `-w` status appended on stderr.
fn curl(args: &[&str]) -> Output {
	Command::new("curl")
		.args(["-sS", "--max-time", "30", "-w", "%{stderr}%{http_code} %{http_version}"])
		.args(args)
		.output()
		.expect("run curl")
}

fn status(out: &Output) -> String {
	String::from_utf8_lossy(&out.stderr).trim().to_string()
}

fn verifier() -> PayloadVerifier {
	PayloadVerifier::new(&StreamId { epoch_seed: SEED, relay: RELAY, beacon: BEACON })
}

#[test]
fn a_beacon_downloads_the_stream_over_http1_and_http2() {
	let relay = Relay::start(&[]);
	let url = pob_url(&relay);

	let out = curl(&["-H", "Range: bytes=1000000-1999999", &url]);
	assert_eq!(status(&out), "206 1.1");
	assert_eq!(out.stdout.len(), 1_000_000);
	assert!(verifier().verify(1_000_000, &out.stdout), "HTTP/1.1 bytes are the stream");

	let out = curl(&["--http2-prior-knowledge", "-H", "Range: bytes=-4096", &url]);
	assert_eq!(status(&out), "206 2");
	assert!(verifier().verify((1 << 40) - 4096, &out.stdout), "HTTP/2 suffix range");

	// 32 MiB in one request, as a beacon's window would move.
	let started = Instant::now();
	let out = curl(&["-H", "Range: bytes=0-33554431", &url]);
	let secs = started.elapsed().as_secs_f64();
	assert_eq!(out.stdout.len(), 32 << 20);
	assert!(verifier().verify(0, &out.stdout));
	println!("32 MiB over loopback in {secs:.2} s: {:.0} Mbit/s", 32.0 * 8.388_608 / secs);

	let headers = curl(&["-I", "-H", "Range: bytes=0-9", &url]);
	let text = String::from_utf8_lossy(&headers.stdout).to_lowercase();
	assert!(text.contains("content-range: bytes 0-9/1099511627776"), "{text}");
	assert!(text.contains("cache-control: no-store"), "{text}");
}

#[test]
fn bad_requests_get_clear_statuses() {
	let relay = Relay::start(&["--pob-max-request-bytes", "1048576"]);
	let url = pob_url(&relay);
	let cases: &[(&[&str], &str)] = &[
		(&[&url], "400"),
		(&["-H", "Range: bytes=5-1", &url], "416"),
		(&["-H", "Range: bytes=0-1,4-5", &url], "416"),
		(&["-H", "Range: bytes=0-1048576", &url], "416"),
		(&["-H", "Range: bytes=1099511627776-", &url], "416"),
	];
	for (args, expected) in cases {
		let out = curl(args);
		assert!(status(&out).starts_with(expected), "{args:?}: {}", status(&out));
	}
	let bad_path = relay.url("/.well-known/ocm/pob/v1/zz/7/zz");
	assert!(status(&curl(&["-H", "Range: bytes=0-1", &bad_path])).starts_with("400"));
	assert!(
		status(&curl(&[&relay.url("/nothing-here")])).starts_with("421"),
		"a host this relay does not serve"
	);
	assert!(status(&curl(&["-X", "POST", &url])).starts_with("405"));

	let health = curl(&[&relay.url("/healthz")]);
	assert_eq!(health.stdout, b"ok\n");
	// The one good request so far is counted, with its bytes.
	assert!(
		status(&curl(&["-o", "/dev/null", "-H", "Range: bytes=0-999", &url])).starts_with("206")
	);
	let metrics = String::from_utf8(curl(&[&relay.url("/metrics")]).stdout).unwrap();
	assert!(metrics.contains("ocm_relay_pob_payload_bytes_total 1000"), "{metrics}");
	assert!(
		metrics.contains(r#"ocm_relay_http_requests_total{endpoint="pob",status="416"} 4"#),
		"{metrics}"
	);
}

#[test]
fn sigterm_stops_the_relay_cleanly_and_bad_config_is_refused() {
	let mut relay = Relay::start(&[]);
	let pid = relay.child.id().to_string();
	assert!(Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
	let deadline = Instant::now() + Duration::from_secs(15);
	let exit = loop {
		if let Some(exit) = relay.child.try_wait().unwrap() {
			break exit;
		}
		assert!(Instant::now() < deadline, "ocm-relay did not stop on SIGTERM");
		std::thread::sleep(Duration::from_millis(50));
	};
	assert!(exit.success(), "{exit:?}");

	let out = Command::new(env!("CARGO_BIN_EXE_ocm-relay"))
		.args(["--config", "/nonexistent/relay.toml"])
		.output()
		.unwrap();
	assert_eq!(out.status.code(), Some(2));
	assert!(String::from_utf8_lossy(&out.stderr).contains("cannot read /nonexistent/relay.toml"));
}

#[test]
fn a_port_in_use_is_refused_not_shared() {
	// Workers listen with SO_REUSEPORT; a second relay must still not be
	// able to take the first one's port and split its viewers.
	let relay = Relay::start(&["--workers", "2"]);
	let mut second = Command::new(env!("CARGO_BIN_EXE_ocm-relay"))
		.args(["--listen", &format!("127.0.0.1:{}", relay.port), "--workers", "2"])
		.stderr(std::process::Stdio::piped())
		.spawn()
		.unwrap();
	let deadline = Instant::now() + Duration::from_secs(10);
	while second.try_wait().unwrap().is_none() {
		if Instant::now() > deadline {
			let _ = second.kill();
			panic!("a second relay is serving the first one's port");
		}
		std::thread::sleep(Duration::from_millis(50));
	}
	let out = second.wait_with_output().unwrap();
	assert_eq!(out.status.code(), Some(1), "{out:?}");
	assert!(String::from_utf8_lossy(&out.stderr).contains("cannot listen"), "{out:?}");
	// Every connection is answered, whichever worker the kernel gives it to.
	for _ in 0..20 {
		let body = get_on_new_connection(relay.port, "/healthz");
		assert!(body.ends_with("ok\n"), "{body}");
	}
}

/// A one-shot HTTP/1.1 GET on a new connection: the full response text.
fn get_on_new_connection(port: u16, path: &str) -> String {
	use std::io::{Read, Write};
	let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
	write!(stream, "GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").unwrap();
	let mut response = String::new();
	stream.read_to_string(&mut response).unwrap();
	response
}
