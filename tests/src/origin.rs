//! A live-stream-like HTTP origin for the end-to-end tests.

use std::sync::{Arc, Mutex};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// The origin's port and the paths it was asked for, in order.
pub struct Origin {
	pub port: u16,
	pub requests: Arc<Mutex<Vec<String>>>,
}

impl Origin {
	/// How many times the origin was asked for `path`.
	pub fn asked(&self, path: &str) -> usize {
		self.requests.lock().unwrap().iter().filter(|p| *p == path).count()
	}
}

/// A plain HTTP/1.1 origin on loopback: `/live/{n}.ts` is `segment_bytes`
/// bytes of `n`, cacheable for a minute; `/private/{n}.ts` the same, but
/// `no-store, private` (only a provider's forced policy caches it);
/// anything else is 404.
pub async fn segments(segment_bytes: usize) -> Origin {
	let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
	let port = listener.local_addr().unwrap().port();
	let requests = Arc::new(Mutex::new(Vec::new()));
	let log = requests.clone();
	tokio::spawn(async move {
		loop {
			let Ok((mut socket, _)) = listener.accept().await else { continue };
			let log = log.clone();
			tokio::spawn(async move {
				let mut head = Vec::new();
				let mut buf = [0u8; 4096];
				while !head.windows(4).any(|w| w == b"\r\n\r\n") {
					match socket.read(&mut buf).await {
						Ok(0) | Err(_) => return,
						Ok(n) => head.extend_from_slice(&buf[..n]),
					}
				}
				let text = String::from_utf8_lossy(&head);
				let path = text.split(' ').nth(1).unwrap_or("/").to_string();
				log.lock().unwrap().push(path.clone());
				let (rest, cache_control) = match path.strip_prefix("/private/") {
					Some(rest) => (Some(rest), "no-store, private"),
					None => (path.strip_prefix("/live/"), "max-age=60"),
				};
				let segment = rest
					.and_then(|p| p.split(['.', '?']).next())
					.and_then(|n| n.parse::<u8>().ok());
				let response = match segment {
					Some(n) => {
						let mut r = format!(
							"HTTP/1.1 200 OK\r\nContent-Type: video/mp2t\r\nContent-Length: {segment_bytes}\r\nCache-Control: {cache_control}\r\nConnection: close\r\n\r\n"
						)
						.into_bytes();
						r.extend(std::iter::repeat_n(n, segment_bytes));
						r
					}
					None => {
						b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
							.to_vec()
					}
				};
				let _ = socket.write_all(&response).await;
			});
		}
	});
	Origin { port, requests }
}
