//! The provider's origin: `ffmpeg` encodes a live HLS stream (a test
//! picture with a clock and a tone, 2 s segments, a sliding playlist of
//! six) into a directory, and a small HTTP server serves it at `/live/`
//! the way a live origin does: the playlist cacheable for a second, each
//! segment for an hour.

use bytes::Bytes;
use http_body_util::Full;
use hyper::{body::Incoming, header, Method, Request, Response, StatusCode};
use std::{
	path::{Path, PathBuf},
	process::Command,
	sync::Arc,
};

/// The stream's playlist, under the origin's root.
pub const PLAYLIST: &str = "/live/index.m3u8";

/// `ffmpeg` producing the live stream in `dir` in real time (`-re`).
pub fn encoder(dir: &Path) -> Command {
	let mut command = Command::new("ffmpeg");
	command
		.args(["-hide_banner", "-loglevel", "warning", "-nostdin", "-re"])
		.args(["-f", "lavfi", "-i", "testsrc2=size=640x360:rate=25"])
		.args(["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000"])
		.args(["-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency"])
		.args(["-g", "50", "-b:v", "1M", "-maxrate", "1M", "-bufsize", "1M"])
		.args(["-c:a", "aac", "-b:a", "96k"])
		.args(["-f", "hls", "-hls_time", "2", "-hls_list_size", "6"])
		// Written under a temporary name and renamed: a reader never sees
		// half a segment; old segments go once out of the playlist.
		.args(["-hls_flags", "delete_segments+temp_file"])
		.arg("-hls_segment_filename")
		.arg(dir.join("seg%05d.ts"))
		.arg(dir.join("index.m3u8"));
	command
}

/// Serves `dir` at `/live/` on each of `listeners` until the process ends.
pub fn serve(listeners: Vec<tokio::net::TcpListener>, dir: PathBuf) {
	let dir = Arc::new(dir);
	for listener in listeners {
		let dir = dir.clone();
		tokio::spawn(async move {
			loop {
				let Ok((stream, _)) = listener.accept().await else { continue };
				let dir = dir.clone();
				tokio::spawn(async move {
					let service = hyper::service::service_fn(move |request| {
						let dir = dir.clone();
						async move { Ok::<_, std::convert::Infallible>(answer(&request, &dir).await) }
					});
					let _ = hyper_util::server::conn::auto::Builder::new(
						hyper_util::rt::TokioExecutor::new(),
					)
					.serve_connection(hyper_util::rt::TokioIo::new(stream), service)
					.await;
				});
			}
		});
	}
}

/// The file a request path names, if it is one the origin serves: a
/// plain name under `/live/` (no directories, nothing hidden).
pub fn file_of(path: &str) -> Option<(&str, &'static str, &'static str)> {
	let name = path.strip_prefix("/live/")?;
	let plain = !name.is_empty()
		&& !name.starts_with('.')
		&& name.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
	if !plain {
		return None;
	}
	if name.ends_with(".m3u8") {
		Some((name, "application/vnd.apple.mpegurl", "max-age=1"))
	} else if name.ends_with(".ts") {
		Some((name, "video/mp2t", "max-age=3600"))
	} else {
		None
	}
}

async fn answer(request: &Request<Incoming>, dir: &Path) -> Response<Full<Bytes>> {
	let status = |code: StatusCode| {
		let mut response = Response::new(Full::new(Bytes::new()));
		*response.status_mut() = code;
		response
	};
	if request.method() != Method::GET && request.method() != Method::HEAD {
		return status(StatusCode::METHOD_NOT_ALLOWED);
	}
	let Some((name, content_type, cache_control)) = file_of(request.uri().path()) else {
		return status(StatusCode::NOT_FOUND);
	};
	match tokio::fs::read(dir.join(name)).await {
		Ok(body) => {
			let body = if request.method() == Method::HEAD { Vec::new() } else { body };
			let mut response = Response::new(Full::new(Bytes::from(body)));
			let headers = response.headers_mut();
			headers.insert(header::CONTENT_TYPE, header::HeaderValue::from_static(content_type));
			headers.insert(header::CACHE_CONTROL, header::HeaderValue::from_static(cache_control));
			response
		}
		Err(_) => status(StatusCode::NOT_FOUND),
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn only_the_streams_own_files_are_served() {
		assert_eq!(file_of("/live/index.m3u8").map(|f| f.2), Some("max-age=1"));
		assert_eq!(file_of("/live/seg00012.ts").map(|f| f.1), Some("video/mp2t"));
		for refused in
			["/live/../etc/passwd", "/live/.hidden.ts", "/live/a/b.ts", "/live/", "/x.ts"]
		{
			assert_eq!(file_of(refused), None, "{refused}");
		}
		assert_eq!(file_of("/live/seg.ts.tmp"), None, "a segment being written");
	}
}
