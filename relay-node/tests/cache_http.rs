//! The real `ocm-relay` as a caching reverse proxy in front of a real origin
//! (a hyper server in this test that counts what reaches it), driven by
//! `curl`: misses then hits, one origin fetch for many concurrent viewers,
//! revalidation with ETags, `Vary`, ranges from cache, HLS freshness,
//! stale content when the origin fails or while it is asked (RFC 5861),
//! viewers' own conditional requests, and what must not be stored.

use bytes::Bytes;
use http_body_util::Full;
use hyper::{body::Incoming, header, Request, Response, StatusCode};
mod common;

use common::Relay;
use std::{
	collections::HashMap,
	process::{Command, Output},
	sync::{Arc, Mutex},
	time::Duration,
};

/// Requests that reached the origin, by path, with their If-None-Match.
type Seen = Arc<Mutex<HashMap<String, Vec<Option<String>>>>>;

fn segment() -> Vec<u8> {
	(0..100_000u32).map(|i| (i % 251) as u8).collect()
}

async fn origin(
	request: Request<Incoming>,
	seen: Seen,
) -> Result<Response<Full<Bytes>>, std::convert::Infallible> {
	let path = request.uri().path().to_string();
	let inm = request.headers().get(header::IF_NONE_MATCH).map(|v| v.to_str().unwrap().to_string());
	seen.lock().unwrap().entry(path.clone()).or_default().push(inm.clone());
	let mut r = Response::builder().status(200);
	let body: Vec<u8> = match path.as_str() {
		"/seg.ts" => {
			r = r.header("content-type", "video/mp2t");
			segment()
		}
		"/live.m3u8" => {
			r = r.header("content-type", "application/vnd.apple.mpegurl");
			b"#EXTM3U\n".to_vec()
		}
		"/slow" => {
			tokio::time::sleep(Duration::from_millis(400)).await;
			r = r.header("cache-control", "max-age=60");
			b"slow".to_vec()
		}
		"/private" => {
			r = r.header("cache-control", "private, max-age=60");
			b"mine".to_vec()
		}
		"/etag" => {
			r = r.header("cache-control", "max-age=0").header("etag", "\"e1\"");
			if inm.as_deref() == Some("\"e1\"") {
				return Ok(Response::builder()
					.status(StatusCode::NOT_MODIFIED)
					.header("etag", "\"e1\"")
					.body(Full::new(Bytes::new()))
					.unwrap());
			}
			b"validated".to_vec()
		}
		"/flaky" | "/strict" => {
			// Fine once, then failing.
			if seen.lock().unwrap()[&path].len() > 1 {
				return Ok(Response::builder()
					.status(503)
					.body(Full::new(Bytes::from_static(b"down")))
					.unwrap());
			}
			let cc = if path == "/strict" { "max-age=1, must-revalidate" } else { "max-age=1" };
			r = r.header("cache-control", cc);
			b"v1".to_vec()
		}
		"/swr" => {
			let n = seen.lock().unwrap()[&path].len();
			r = r.header("cache-control", "max-age=2, stale-while-revalidate=30");
			format!("n={n}").into_bytes()
		}
		"/fresh-etag" => {
			r = r.header("cache-control", "max-age=60").header("etag", "\"f1\"");
			b"fresh".to_vec()
		}
		"/vary" => {
			let enc = request
				.headers()
				.get("accept-encoding")
				.map(|v| v.to_str().unwrap().to_string())
				.unwrap_or_default();
			r = r.header("cache-control", "max-age=60").header("vary", "Accept-Encoding");
			format!("encoding={enc}").into_bytes()
		}
		_ => {
			r = r.status(404);
			b"no".to_vec()
		}
	};
	Ok(r.body(Full::new(Bytes::from(body))).unwrap())
}

fn start_origin(runtime: &tokio::runtime::Runtime, seen: Seen) -> u16 {
	common::start_origin(runtime, move |r| origin(r, seen.clone()))
}

fn start_relay(origin_port: u16) -> Relay {
	Relay::start(&["--origin", &format!("video.test=http://127.0.0.1:{origin_port}")])
}

/// `curl -i` against the relay as `video.test`; returns (status, headers lower-cased, body).
fn get(relay: &Relay, path: &str, extra: &[&str]) -> (u16, String, Vec<u8>) {
	let out: Output = Command::new("curl")
		.args(["-sS", "--max-time", "20", "-D", "-", "-H", "Host: video.test"])
		.args(extra)
		.arg(relay.url(path))
		.output()
		.expect("curl");
	let split = out.stdout.windows(4).position(|w| w == b"\r\n\r\n").expect("headers end") + 4;
	let head = String::from_utf8_lossy(&out.stdout[..split]).to_lowercase();
	let status = head.split_whitespace().nth(1).unwrap().parse().unwrap();
	(status, head, out.stdout[split..].to_vec())
}

fn header<'a>(head: &'a str, name: &str) -> Option<&'a str> {
	head.lines().find_map(|l| l.strip_prefix(&format!("{name}: ")).map(str::trim))
}

fn count(seen: &Seen, path: &str) -> usize {
	seen.lock().unwrap().get(path).map_or(0, Vec::len)
}

#[test]
fn the_relay_caches_by_rfc9111_and_asks_the_origin_once() {
	let runtime = tokio::runtime::Runtime::new().unwrap();
	let seen: Seen = Default::default();
	let relay = start_relay(start_origin(&runtime, seen.clone()));

	// A segment: miss, then hits, from one origin fetch; ranges from cache.
	let (status, head, body) = get(&relay, "/seg.ts", &[]);
	assert_eq!((status, header(&head, "x-cache")), (200, Some("miss")));
	assert_eq!(body, segment());
	let (status, head, body) = get(&relay, "/seg.ts", &[]);
	assert_eq!((status, header(&head, "x-cache")), (200, Some("hit")));
	assert_eq!(body.len(), 100_000);
	assert!(header(&head, "age").is_some());
	let (status, head, body) = get(&relay, "/seg.ts", &["-H", "Range: bytes=1000-1999"]);
	assert_eq!(status, 206);
	assert_eq!(header(&head, "content-range"), Some("bytes 1000-1999/100000"));
	assert_eq!(body, segment()[1000..2000]);
	assert_eq!(get(&relay, "/seg.ts", &["-H", "Range: bytes=100000-"]).0, 416);
	assert_eq!(count(&seen, "/seg.ts"), 1, "one origin fetch for all of that");

	// Sixteen viewers miss at once: the origin sees one request.
	let handles: Vec<_> = (0..16)
		.map(|_| {
			let port = relay.port;
			std::thread::spawn(move || {
				Command::new("curl")
					.args(["-sS", "--max-time", "20", "-H", "Host: video.test"])
					.arg(format!("http://127.0.0.1:{port}/slow"))
					.output()
					.unwrap()
					.stdout
			})
		})
		.collect();
	for h in handles {
		assert_eq!(h.join().unwrap(), b"slow");
	}
	assert_eq!(count(&seen, "/slow"), 1, "concurrent misses are coalesced");

	// max-age=0 with an ETag: every use revalidates; the origin answers 304.
	assert_eq!(get(&relay, "/etag", &[]).2, b"validated");
	let (status, head, body) = get(&relay, "/etag", &[]);
	assert_eq!((status, body.as_slice()), (200, b"validated".as_slice()));
	assert_eq!(header(&head, "x-cache"), Some("revalidated"));
	let conditions = seen.lock().unwrap()["/etag"].clone();
	assert_eq!(conditions, vec![None, Some("\"e1\"".into())], "the second request was conditional");

	// Vary: one variant per Accept-Encoding.
	assert_eq!(get(&relay, "/vary", &["-H", "Accept-Encoding: gzip"]).2, b"encoding=gzip");
	assert_eq!(get(&relay, "/vary", &["-H", "Accept-Encoding: br"]).2, b"encoding=br");
	let (_, head, body) = get(&relay, "/vary", &["-H", "Accept-Encoding: gzip"]);
	assert_eq!(
		(body.as_slice(), header(&head, "x-cache")),
		(b"encoding=gzip".as_slice(), Some("hit"))
	);
	assert_eq!(count(&seen, "/vary"), 2);

	// Private responses pass through every time.
	get(&relay, "/private", &[]);
	let (_, head, _) = get(&relay, "/private", &[]);
	assert_eq!(header(&head, "x-cache"), Some("bypass"));
	assert_eq!(count(&seen, "/private"), 2);

	// A viewer's own conditional request: 304 from the cache.
	get(&relay, "/fresh-etag", &[]);
	let (status, head, body) = get(&relay, "/fresh-etag", &["-H", "If-None-Match: \"f1\""]);
	assert_eq!((status, body.len()), (304, 0));
	assert_eq!(header(&head, "etag"), Some("\"f1\""));
	assert_eq!(count(&seen, "/fresh-etag"), 1);

	// The origin fails: stale content serves (stale-if-error), unless the
	// origin said must-revalidate.
	assert_eq!(get(&relay, "/flaky", &[]).2, b"v1");
	assert_eq!(get(&relay, "/strict", &[]).2, b"v1");
	// stale-while-revalidate: the stale copy answers at once, a background
	// fetch refreshes it.
	assert_eq!(get(&relay, "/swr", &[]).2, b"n=1");
	// A playlist is fresh for two seconds, then fetched again.
	get(&relay, "/live.m3u8", &[]);
	assert_eq!(header(&get(&relay, "/live.m3u8", &[]).1, "x-cache"), Some("hit"));
	// Past all three freshness lifetimes (1 s, 2 s, 2 s; the origin's `Date` has
	// whole seconds, so ages carry up to a second more).
	std::thread::sleep(Duration::from_millis(3_100));
	let (status, head, body) = get(&relay, "/flaky", &[]);
	assert_eq!(
		(status, body.as_slice(), header(&head, "x-cache")),
		(200, b"v1".as_slice(), Some("stale"))
	);
	assert_eq!(get(&relay, "/strict", &[]).0, 503, "must-revalidate: the error passes through");
	let (_, head, body) = get(&relay, "/swr", &[]);
	assert_eq!((body.as_slice(), header(&head, "x-cache")), (b"n=1".as_slice(), Some("stale")));
	std::thread::sleep(Duration::from_millis(300));
	let (_, head, body) = get(&relay, "/swr", &[]);
	assert_eq!((body.as_slice(), header(&head, "x-cache")), (b"n=2".as_slice(), Some("hit")));
	assert_eq!(count(&seen, "/swr"), 2);
	get(&relay, "/live.m3u8", &[]);
	assert_eq!(count(&seen, "/live.m3u8"), 2, "playlists stay short-lived");

	// A host the relay does not serve.
	let out = Command::new("curl")
		.args(["-sS", "-o", "/dev/null", "-w", "%{http_code}", "-H", "Host: other.test"])
		.arg(relay.url("/seg.ts"))
		.output()
		.unwrap();
	assert_eq!(out.stdout, b"421");

	let metrics = Command::new("curl")
		.arg(format!("http://127.0.0.1:{}/metrics", relay.port))
		.output()
		.unwrap();
	let metrics = String::from_utf8(metrics.stdout).unwrap();
	assert!(metrics.contains(r#"ocm_relay_cache_responses_total{outcome="HIT"}"#), "{metrics}");
	assert!(
		!metrics.contains("ocm_relay_cache_memory_bytes 0\n"),
		"the memory tier holds the objects: {metrics}"
	);
	let body_bytes: u64 = metrics
		.lines()
		.find_map(|l| l.strip_prefix("ocm_relay_cache_body_bytes_total "))
		.and_then(|v| v.trim().parse().ok())
		.expect("a body byte counter");
	assert!(body_bytes > 0, "{metrics}");
}
