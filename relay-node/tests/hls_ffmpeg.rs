//! A real player-side client: `ffmpeg` plays an HLS stream through the
//! relay from an origin serving playlist and segments that `ffmpeg`
//! generated for this test, and what it reads is byte-identical to what it
//! reads from the origin directly. A second viewer is served from cache.

mod common;

use bytes::Bytes;
use common::Relay;
use http_body_util::Full;
use hyper::{body::Incoming, header, Request, Response, StatusCode};
use std::{
	collections::HashMap,
	path::{Path, PathBuf},
	process::Command,
	sync::{Arc, Mutex},
};

/// Requests that reached the origin, by path.
type Seen = Arc<Mutex<HashMap<String, usize>>>;

async fn serve_file(
	request: Request<Incoming>,
	dir: PathBuf,
	seen: Seen,
) -> Result<Response<Full<Bytes>>, std::convert::Infallible> {
	let path = request.uri().path().trim_start_matches('/').to_string();
	*seen.lock().unwrap().entry(path.clone()).or_default() += 1;
	let response = match std::fs::read(dir.join(&path)) {
		Ok(body) if !path.contains("..") => {
			let (kind, cache) = if path.ends_with(".m3u8") {
				("application/vnd.apple.mpegurl", "max-age=1")
			} else {
				("video/mp2t", "max-age=3600")
			};
			Response::builder()
				.header(header::CONTENT_TYPE, kind)
				.header(header::CACHE_CONTROL, cache)
				.body(Full::new(Bytes::from(body)))
		}
		_ => Response::builder().status(StatusCode::NOT_FOUND).body(Full::new(Bytes::new())),
	};
	Ok(response.unwrap())
}

fn start_origin(runtime: &tokio::runtime::Runtime, dir: PathBuf, seen: Seen) -> u16 {
	common::start_origin(runtime, move |r| serve_file(r, dir.clone(), seen.clone()))
}

fn ffmpeg(args: &[&str]) {
	let out = Command::new("ffmpeg")
		.args(["-hide_banner", "-loglevel", "error", "-y"])
		.args(args)
		.output()
		.expect("ffmpeg runs (Debian package ffmpeg; .ci/run installs it)");
	assert!(out.status.success(), "ffmpeg {args:?}: {}", String::from_utf8_lossy(&out.stderr));
}

/// What a player reads from `url`: the stream remuxed to one MPEG-TS file.
fn play(url: &str, out: &Path) -> Vec<u8> {
	ffmpeg(&["-i", url, "-c", "copy", "-f", "mpegts", out.to_str().unwrap()]);
	std::fs::read(out).unwrap()
}

#[test]
fn ffmpeg_plays_hls_through_the_relay_byte_for_byte() {
	let dir = std::env::temp_dir().join(format!("ocm-hls-{}", std::process::id()));
	let _ = std::fs::remove_dir_all(&dir);
	std::fs::create_dir_all(dir.join("out")).unwrap();
	// Six seconds of test pattern and tone, in 2 s segments.
	ffmpeg(&[
		"-f",
		"lavfi",
		"-i",
		"testsrc=duration=6:size=320x240:rate=25",
		"-f",
		"lavfi",
		"-i",
		"sine=frequency=440:duration=6",
		"-c:v",
		"libx264",
		"-preset",
		"ultrafast",
		"-g",
		"25",
		"-c:a",
		"aac",
		"-f",
		"hls",
		"-hls_time",
		"2",
		"-hls_list_size",
		"0",
		"-hls_segment_filename",
		dir.join("seg%03d.ts").to_str().unwrap(),
		dir.join("index.m3u8").to_str().unwrap(),
	]);
	let segments: Vec<String> = std::fs::read_to_string(dir.join("index.m3u8"))
		.unwrap()
		.lines()
		.filter(|l| l.ends_with(".ts"))
		.map(str::to_string)
		.collect();
	assert!(segments.len() >= 3, "{segments:?}");

	let runtime = tokio::runtime::Runtime::new().unwrap();
	let seen = Seen::default();
	let origin = start_origin(&runtime, dir.clone(), seen.clone());
	// The player asks for 127.0.0.1:<relay port>; the relay maps the host
	// (without port) to the origin.
	let relay = Relay::start(&["--origin", &format!("127.0.0.1=http://127.0.0.1:{origin}")]);

	let direct = play(&format!("http://127.0.0.1:{origin}/index.m3u8"), &dir.join("out/direct.ts"));
	seen.lock().unwrap().clear();
	let through = play(&relay.url("/index.m3u8"), &dir.join("out/relay.ts"));
	assert!(through.len() > 100_000, "{} bytes played", through.len());
	assert!(through == direct, "the player read other bytes through the relay");
	for segment in &segments {
		assert_eq!(seen.lock().unwrap().get(segment), Some(&1), "{segment} fetched once");
	}

	// Each segment the relay serves is the origin's file, byte for byte,
	// and a second viewer gets them from cache.
	let second = play(&relay.url("/index.m3u8"), &dir.join("out/second.ts"));
	assert!(second == direct);
	for segment in &segments {
		let out = Command::new("curl")
			.args(["-sS", &relay.url(&format!("/{segment}"))])
			.output()
			.unwrap();
		assert!(out.stdout == std::fs::read(dir.join(segment)).unwrap(), "{segment} differs");
		assert_eq!(seen.lock().unwrap().get(segment), Some(&1), "{segment} came from cache");
	}
	let _ = std::fs::remove_dir_all(&dir);
}
