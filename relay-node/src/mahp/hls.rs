//! What a MAHP sender needs from an HLS playlist (RFC 8216): the media
//! playlists a master playlist names, and the segments (and init sections)
//! a media playlist lists, as absolute URLs. Pure: text in, URLs out.

use http::Uri;

/// Most URLs taken from one playlist: a live window is a few dozen.
pub const MAX_ENTRIES: usize = 4096;

#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Playlist {
	/// Media playlists named by a master playlist (variants, renditions).
	pub variants: Vec<String>,
	/// Segments and `EXT-X-MAP` init sections, in playlist order.
	pub segments: Vec<String>,
}

/// `reference` resolved against `base` (RFC 3986 §5.2).
fn join(base: &url::Url, reference: &str) -> Option<String> {
	let reference = reference.trim();
	if reference.is_empty() {
		return None;
	}
	base.join(reference).ok().map(String::from)
}

fn uri_attribute(line: &str) -> Option<&str> {
	let start = line.find("URI=\"")? + 5;
	let end = line[start..].find('"')? + start;
	Some(&line[start..end])
}

/// Parses a playlist fetched from `base`. `None` if it is not one.
pub fn parse(base: &Uri, text: &str) -> Option<Playlist> {
	let base = url::Url::parse(&base.to_string()).ok()?;
	let mut lines = text.lines().map(str::trim);
	if lines.next()? != "#EXTM3U" {
		return None;
	}
	let mut playlist = Playlist::default();
	let mut next_is_variant = false;
	for line in lines {
		if playlist.variants.len() + playlist.segments.len() >= MAX_ENTRIES {
			break;
		}
		if line.is_empty() {
			continue;
		}
		if let Some(tag) = line.strip_prefix('#') {
			if tag.starts_with("EXT-X-STREAM-INF") {
				next_is_variant = true;
			} else if tag.starts_with("EXT-X-MEDIA:") {
				if let Some(url) = uri_attribute(line).and_then(|u| join(&base, u)) {
					playlist.variants.push(url);
				}
			} else if tag.starts_with("EXT-X-MAP:") {
				if let Some(url) = uri_attribute(line).and_then(|u| join(&base, u)) {
					if !playlist.segments.contains(&url) {
						playlist.segments.push(url);
					}
				}
			}
			continue;
		}
		let Some(url) = join(&base, line) else { continue };
		if std::mem::take(&mut next_is_variant) {
			playlist.variants.push(url);
		} else {
			playlist.segments.push(url);
		}
	}
	Some(playlist)
}

/// Whether a response is a playlist, by type or by name.
pub fn is_playlist(content_type: Option<&str>, path: &str) -> bool {
	content_type.is_some_and(|t| t.to_ascii_lowercase().contains("mpegurl"))
		|| path.split('?').next().is_some_and(|p| p.ends_with(".m3u8"))
}

#[cfg(test)]
mod tests {
	use super::*;

	fn resolve(base: &Uri, reference: &str) -> Option<String> {
		join(&url::Url::parse(&base.to_string()).ok()?, reference)
	}

	fn base() -> Uri {
		"http://origin.example:8000/live/stream/index.m3u8".parse().unwrap()
	}

	#[test]
	fn relative_absolute_and_dotted_references_resolve() {
		assert_eq!(
			resolve(&base(), "seg1.ts").unwrap(),
			"http://origin.example:8000/live/stream/seg1.ts"
		);
		assert_eq!(
			resolve(&base(), "../a/seg.ts?x=1").unwrap(),
			"http://origin.example:8000/live/a/seg.ts?x=1"
		);
		assert_eq!(
			resolve(&base(), "/other/seg.ts").unwrap(),
			"http://origin.example:8000/other/seg.ts"
		);
		assert_eq!(
			resolve(&base(), "https://cdn.example/s.ts").unwrap(),
			"https://cdn.example/s.ts"
		);
		assert_eq!(resolve(&base(), "//cdn.example/s.ts").unwrap(), "http://cdn.example/s.ts");
		assert_eq!(resolve(&base(), "  "), None);
	}

	#[test]
	fn media_and_master_playlists_yield_their_urls() {
		let media = "#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-TARGETDURATION:2\n#EXT-X-MAP:URI=\"init.mp4\"\n#EXTINF:2.0,\nseg10.m4s\n#EXTINF:2.0,\nseg11.m4s\n";
		let parsed = parse(&base(), media).unwrap();
		assert_eq!(
			parsed.segments,
			vec![
				"http://origin.example:8000/live/stream/init.mp4",
				"http://origin.example:8000/live/stream/seg10.m4s",
				"http://origin.example:8000/live/stream/seg11.m4s",
			]
		);
		assert!(parsed.variants.is_empty());
		let master = "#EXTM3U\n#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID=\"a\",URI=\"audio/index.m3u8\"\n#EXT-X-STREAM-INF:BANDWIDTH=800000\nlow/index.m3u8\n#EXT-X-STREAM-INF:BANDWIDTH=3000000\nhigh/index.m3u8\n";
		let parsed = parse(&base(), master).unwrap();
		assert_eq!(parsed.variants.len(), 3);
		assert_eq!(parsed.variants[1], "http://origin.example:8000/live/stream/low/index.m3u8");
		assert!(parsed.segments.is_empty());
		assert_eq!(parse(&base(), "<html>not a playlist</html>"), None);
		assert!(is_playlist(None, "/a/index.m3u8?token=1"));
		assert!(is_playlist(Some("application/vnd.apple.mpegurl"), "/a"));
		assert!(!is_playlist(Some("video/mp2t"), "/a/seg.ts"));
	}
}
