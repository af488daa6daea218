//! Hostile viewers and broken origins against a real `ocm-relay`: bounded
//! behaviour and clear statuses, and no viewer's request changes what
//! another viewer or tenant gets.

mod common;

use common::Relay;
use std::{
	io::{Read, Write},
	net::TcpStream,
	process::Command,
	sync::{Arc, Mutex},
	time::{Duration, Instant},
};

/// What the origin saw: (path, X-Forwarded-Host) per request.
type Seen = Arc<Mutex<Vec<(String, Option<String>)>>>;

/// A raw TCP origin for what hyper will not send: `/truncated` promises
/// 1,000 bytes and closes after 10; `/endless` streams forever; anything
/// else echoes its Host and any X-Forwarded-Host into a cacheable body.
fn start_origin(runtime: &tokio::runtime::Runtime, seen: Seen) -> u16 {
	let listener = runtime.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).unwrap();
	let port = listener.local_addr().unwrap().port();
	runtime.spawn(async move {
		use tokio::io::{AsyncReadExt, AsyncWriteExt};
		loop {
			let Ok((mut socket, _)) = listener.accept().await else { continue };
			let seen = seen.clone();
			tokio::spawn(async move {
				let mut head = Vec::new();
				let mut buf = [0u8; 4096];
				while !head.windows(4).any(|w| w == b"\r\n\r\n") {
					match socket.read(&mut buf).await {
						Ok(0) | Err(_) => return,
						Ok(n) => head.extend_from_slice(&buf[..n]),
					}
				}
				let text = String::from_utf8_lossy(&head).to_string();
				let path = text.split(' ').nth(1).unwrap_or("/").to_string();
				let field = |name: &str| {
					text.lines().find_map(|l| {
						let (n, v) = l.split_once(':')?;
						n.eq_ignore_ascii_case(name).then(|| v.trim().to_string())
					})
				};
				seen.lock().unwrap().push((path.clone(), field("x-forwarded-host")));
				match path.as_str() {
					"/truncated" => {
						let _ = socket
							.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\nCache-Control: max-age=60\r\n\r\n0123456789")
							.await;
					}
					"/endless" => {
						let _ = socket
							.write_all(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nCache-Control: max-age=60\r\n\r\n")
							.await;
						let chunk = format!("10000\r\n{}\r\n", "x".repeat(0x10000));
						while socket.write_all(chunk.as_bytes()).await.is_ok() {}
					}
					"/vary" => {
						// Slow enough that concurrent misses coalesce.
						tokio::time::sleep(std::time::Duration::from_millis(300)).await;
						let body = format!("encoding={}", field("accept-encoding").unwrap_or_default());
						let _ = socket
							.write_all(
								format!(
									"HTTP/1.1 200 OK\r\nContent-Length: {}\r\nCache-Control: max-age=60\r\nVary: Accept-Encoding\r\nConnection: close\r\n\r\n{body}",
									body.len()
								)
								.as_bytes(),
							)
							.await;
					}
					_ => {
						let body = format!(
							"host={} forwarded-host={}",
							field("host").unwrap_or_default(),
							field("x-forwarded-host").unwrap_or_default()
						);
						let _ = socket
							.write_all(
								format!(
									"HTTP/1.1 200 OK\r\nContent-Length: {}\r\nCache-Control: public, max-age=60\r\nConnection: close\r\n\r\n{body}",
									body.len()
								)
								.as_bytes(),
							)
							.await;
					}
				}
			});
		}
	});
	port
}

fn curl(relay: &Relay, host: &str, path: &str, extra: &[&str]) -> (u16, String) {
	let out = Command::new("curl")
		.args(["-sS", "--max-time", "30", "-w", "\n%{http_code}", "-H", &format!("Host: {host}")])
		.args(extra)
		.arg(relay.url(path))
		.output()
		.unwrap();
	let text = String::from_utf8_lossy(&out.stdout).to_string();
	let (body, code) = text.rsplit_once('\n').unwrap_or(("", "0"));
	(code.parse().unwrap_or(0), body.to_string())
}

#[test]
fn hostile_requests_and_broken_origins_get_bounded_answers() {
	let runtime = tokio::runtime::Runtime::new().unwrap();
	let seen: Seen = Arc::default();
	let origin = start_origin(&runtime, seen.clone());
	let relay = Relay::start(&[
		"--origin",
		&format!("a.test=http://127.0.0.1:{origin}"),
		"--origin",
		&format!("b.test=http://127.0.0.1:{origin}"),
		"--header-read-timeout-secs",
		"1",
	]);
	let count = |path: &str| seen.lock().unwrap().iter().filter(|(p, _)| p == path).count();

	// Cache poisoning through an unkeyed header: the origin never sees it,
	// so the object cached for everyone is the plain one.
	let (code, poisoned) =
		curl(&relay, "a.test", "/page", &["-H", "X-Forwarded-Host: evil.example"]);
	assert_eq!(code, 200);
	assert!(!poisoned.contains("evil"), "{poisoned}");
	assert!(seen.lock().unwrap().iter().all(|(_, f)| f.is_none()));
	let (_, next) = curl(&relay, "a.test", "/page", &[]);
	assert_eq!(next, poisoned);

	// Tenants share nothing: the same path for another host is its own object.
	let (_, other) = curl(&relay, "b.test", "/page", &[]);
	assert!(other.starts_with("host=127.0.0.1") && count("/page") == 2, "{other}");
	// A host the relay does not serve is refused, not sent to a tenant's origin.
	assert_eq!(curl(&relay, "c.test", "/page", &[]).0, 421);

	// Concurrent misses with different `Vary` headers each get their own
	// variant, though their fetches coalesce.
	let viewers: Vec<_> = ["gzip", "br", "identity"]
		.into_iter()
		.map(|encoding| {
			let url = relay.url("/vary");
			std::thread::spawn(move || {
				let out = Command::new("curl")
					.args([
						"-sS",
						"-H",
						"Host: a.test",
						"-H",
						&format!("Accept-Encoding: {encoding}"),
						&url,
					])
					.output()
					.unwrap();
				(encoding, String::from_utf8_lossy(&out.stdout).to_string())
			})
		})
		.collect();
	for viewer in viewers {
		let (encoding, body) = viewer.join().unwrap();
		assert_eq!(body, format!("encoding={encoding}"));
	}

	// A body cut short is a 502, and is not cached: the next viewer asks again.
	assert_eq!(curl(&relay, "a.test", "/truncated", &[]).0, 502);
	assert_eq!(curl(&relay, "a.test", "/truncated", &[]).0, 502);
	assert_eq!(count("/truncated"), 2);
	// An endless body stops at the object limit (64 MiB) with a 502.
	let started = Instant::now();
	assert_eq!(curl(&relay, "a.test", "/endless", &[]).0, 502);
	assert!(started.elapsed() < Duration::from_secs(30));

	// Too many header fields: 431.
	let many: Vec<String> = (0..200).map(|i| format!("X-Filler-{i}: {i}")).collect();
	let mut args = vec![];
	for h in &many {
		args.extend(["-H", h.as_str()]);
	}
	assert_eq!(curl(&relay, "a.test", "/page", &args).0, 431);
	// One enormous header: refused, never a crash; the relay still serves.
	let mut big = TcpStream::connect(("127.0.0.1", relay.port)).unwrap();
	big.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
	let request =
		format!("GET /page HTTP/1.1\r\nHost: a.test\r\nX-Huge: {}\r\n\r\n", "h".repeat(1 << 20));
	let _ = big.write_all(request.as_bytes());
	let mut reply = Vec::new();
	let _ = big.read_to_end(&mut reply);
	let reply = String::from_utf8_lossy(&reply);
	assert!(reply.is_empty() || reply.starts_with("HTTP/1.1 431"), "{reply}");
	assert_eq!(curl(&relay, "a.test", "/page", &[]).0, 200);

	// Slowloris: a head never finished is cut off after the header timeout.
	let mut slow = TcpStream::connect(("127.0.0.1", relay.port)).unwrap();
	slow.write_all(b"GET /page HTTP/1.1\r\nHost: a.test\r\nX-Slow: ").unwrap();
	slow.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
	let started = Instant::now();
	let mut rest = Vec::new();
	let _ = slow.read_to_end(&mut rest);
	let waited = started.elapsed();
	assert!(waited < Duration::from_secs(5), "the connection stayed open {waited:?}");
	let answer = String::from_utf8_lossy(&rest);
	assert!(answer.is_empty() || answer.starts_with("HTTP/1.1 408"), "{answer}");

	// Garbage instead of HTTP: 400 or a closed connection, and service goes on.
	let mut junk = TcpStream::connect(("127.0.0.1", relay.port)).unwrap();
	junk.write_all(b"\x00\x01NOT HTTP AT ALL\r\n\r\n").unwrap();
	junk.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
	let mut reply = Vec::new();
	let _ = junk.read_to_end(&mut reply);
	let reply = String::from_utf8_lossy(&reply);
	assert!(reply.is_empty() || reply.starts_with("HTTP/1.1 400"), "{reply}");
	assert_eq!(curl(&relay, "a.test", "/page", &[]).0, 200);
}
