//! HTTPS to viewers with real tools: a certificate made for the test
//! (rcgen), `ocm-relay` serving it next to cleartext HTTP, and curl as the
//! viewer over HTTP/2 and HTTP/1.1, trusting only that certificate.

mod common;

use bytes::Bytes;
use common::Relay;
use http_body_util::Full;
use std::{io::Write, net::TcpStream, process::Command};

fn curl(args: &[&str]) -> (i32, String) {
	let out = Command::new("curl").args(["-sS", "--max-time", "20"]).args(args).output().unwrap();
	(out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stdout).into_owned())
}

#[test]
fn viewers_get_https_with_h2_and_http1_and_a_stalled_handshake_blocks_nobody() {
	let runtime = tokio::runtime::Runtime::new().unwrap();
	let origin = common::start_origin(&runtime, |_request| async {
		Ok(hyper::Response::builder()
			.header("cache-control", "max-age=60")
			.body(Full::new(Bytes::from_static(b"segment over TLS")))
			.unwrap())
	});
	let dir = tempfile::tempdir().unwrap();
	let rcgen::CertifiedKey { cert, key_pair } =
		rcgen::generate_simple_self_signed(vec!["video.test".into()]).unwrap();
	let (cert_path, key_path) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
	std::fs::write(&cert_path, cert.pem()).unwrap();
	std::fs::write(&key_path, key_pair.serialize_pem()).unwrap();
	let relay = Relay::start(&[
		"--origin",
		&format!("video.test=http://127.0.0.1:{origin}"),
		"--tls-listen",
		"127.0.0.1:0",
		"--tls-cert",
		cert_path.to_str().unwrap(),
		"--tls-key",
		key_path.to_str().unwrap(),
	]);
	let tls_port = relay.tls_port.expect("an HTTPS port");
	let url = format!("https://video.test:{tls_port}/live/1.ts");
	let resolve = format!("video.test:{tls_port}:127.0.0.1");

	// A client that connects and never speaks TLS holds only its own socket.
	let mut stalled = TcpStream::connect(("127.0.0.1", tls_port)).unwrap();
	stalled.write_all(b"\x16\x03\x01").unwrap();

	for (flag, version) in [("--http2", "2"), ("--http1.1", "1.1")] {
		let (code, out) = curl(&[
			flag,
			"--cacert",
			cert_path.to_str().unwrap(),
			"--resolve",
			&resolve,
			"-w",
			"\n%{http_version} %{http_code}",
			&url,
		]);
		assert_eq!(code, 0, "{out}");
		assert_eq!(out, format!("segment over TLS\n{version} 200"), "with {flag}");
	}
	// A viewer that does not trust the certificate is refused by curl
	// (exit 60): the relay really speaks TLS with that certificate.
	let (code, _) = curl(&["--resolve", &resolve, &url]);
	assert_eq!(code, 60);
	// Cleartext HTTP still serves on its own port.
	let (code, out) = curl(&["-H", "Host: video.test", &relay.url("/live/1.ts")]);
	assert_eq!((code, out.as_str()), (0, "segment over TLS"));
	drop(stalled);
}

#[test]
fn a_certificate_that_cannot_be_read_stops_the_relay_with_the_reason() {
	let out = Command::new(env!("CARGO_BIN_EXE_ocm-relay"))
		.args(["--listen", "127.0.0.1:0", "--tls-listen", "127.0.0.1:0"])
		.args(["--tls-cert", "/nonexistent/cert.pem", "--tls-key", "/nonexistent/key.pem"])
		.output()
		.unwrap();
	assert_eq!(out.status.code(), Some(2));
	let said = String::from_utf8_lossy(&out.stderr);
	assert!(said.contains("/nonexistent/cert.pem"), "{said}");
}

/// An HTTPS origin on `localhost` with `cert`/`key`, answering every
/// request with `body`; returns its port.
fn start_tls_origin(
	runtime: &tokio::runtime::Runtime,
	cert: &rcgen::Certificate,
	key: &rcgen::KeyPair,
	body: &'static [u8],
) -> u16 {
	use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
	let config = rustls::ServerConfig::builder_with_provider(std::sync::Arc::new(
		rustls::crypto::ring::default_provider(),
	))
	.with_safe_default_protocol_versions()
	.unwrap()
	.with_no_client_auth()
	.with_single_cert(
		vec![CertificateDer::from(cert.der().to_vec())],
		PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
	)
	.unwrap();
	let acceptor = tokio_rustls::TlsAcceptor::from(std::sync::Arc::new(config));
	let listener = runtime.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).unwrap();
	let port = listener.local_addr().unwrap().port();
	runtime.spawn(async move {
		loop {
			let Ok((tcp, _)) = listener.accept().await else { continue };
			let acceptor = acceptor.clone();
			tokio::spawn(async move {
				let Ok(tls) = acceptor.accept(tcp).await else { return };
				let service = hyper::service::service_fn(move |_request| async move {
					Ok::<_, std::convert::Infallible>(
						hyper::Response::builder()
							.header("cache-control", "max-age=60")
							.body(Full::new(Bytes::from_static(body)))
							.unwrap(),
					)
				});
				let _ = hyper::server::conn::http1::Builder::new()
					.serve_connection(hyper_util::rt::TokioIo::new(tls), service)
					.await;
			});
		}
	});
	port
}

#[test]
fn https_origins_are_verified_against_the_configured_ca() {
	let runtime = tokio::runtime::Runtime::new().unwrap();
	let rcgen::CertifiedKey { cert, key_pair } =
		rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
	let origin = start_tls_origin(&runtime, &cert, &key_pair, b"from a TLS origin");
	let dir = tempfile::tempdir().unwrap();
	let ca = dir.path().join("origin-ca.pem");
	std::fs::write(&ca, cert.pem()).unwrap();
	let origin_arg = format!("video.test=https://localhost:{origin}");

	let trusting = Relay::start(&["--origin", &origin_arg, "--origin-ca", ca.to_str().unwrap()]);
	let (code, body) = curl(&["-H", "Host: video.test", &trusting.url("/a.ts")]);
	assert_eq!((code, body.as_str()), (0, "from a TLS origin"));

	// Without the CA the origin's certificate does not verify: 502, nothing served.
	let untrusting = Relay::start(&["--origin", &origin_arg]);
	let (code, body) = curl(&[
		"-H",
		"Host: video.test",
		"-w",
		"%{http_code}",
		"-o",
		"/dev/null",
		&untrusting.url("/a.ts"),
	]);
	assert_eq!((code, body.as_str()), (0, "502"));
}
