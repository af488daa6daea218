//! Requests a request router (`ocm-router`) sent here: the relay's own
//! address is the URL's authority, so the content's host travels in the
//! path, `/cdn/{host}/{path}` (RFC 7975's example redirects to
//! `http://sur1.dcdn.example/ucdn/example.com` the same way). They are
//! served, cached and logged as `{path}` of `{host}`; relative URLs in a
//! playlist fetched this way resolve under the same prefix.

use hyper::{header, Request, Uri};

/// Where delegated requests start.
pub const PREFIX: &str = "/cdn/";

/// `GET /cdn/video.example/live/1.ts` becomes `GET /live/1.ts` with
/// `Host: video.example`; any other request is left as it is.
pub fn rewrite<B>(mut request: Request<B>) -> Request<B> {
	let Some(rest) = request.uri().path().strip_prefix(PREFIX) else { return request };
	let (host, path) = rest.split_once('/').map_or((rest, ""), |(h, p)| (h, p));
	if !ocm_primitives::web::is_host_name(host.as_bytes()) {
		return request;
	}
	let query = request.uri().query().map(|q| format!("?{q}")).unwrap_or_default();
	let Ok(uri) = format!("/{path}{query}").parse::<Uri>() else { return request };
	let Ok(host) = header::HeaderValue::from_str(&host.to_ascii_lowercase()) else {
		return request;
	};
	*request.uri_mut() = uri;
	request.headers_mut().insert(header::HOST, host);
	request
}

#[cfg(test)]
mod tests {
	use super::*;

	fn rewritten(uri: &str) -> (String, Option<String>) {
		let request = rewrite(Request::get(uri).header("host", "127.0.0.1:8080").body(()).unwrap());
		(
			request.uri().to_string(),
			request.headers().get(header::HOST).map(|h| h.to_str().unwrap().to_string()),
		)
	}

	#[test]
	fn the_content_host_moves_from_the_path_to_the_host_header() {
		assert_eq!(
			rewritten("/cdn/Video.Example/live/1.ts?token=a"),
			("/live/1.ts?token=a".into(), Some("video.example".into()))
		);
		assert_eq!(rewritten("/cdn/video.example"), ("/".into(), Some("video.example".into())));
		assert_eq!(rewritten("/cdn/video.example/"), ("/".into(), Some("video.example".into())));
		// Not delegated, or not a host: untouched.
		assert_eq!(rewritten("/live/1.ts"), ("/live/1.ts".into(), Some("127.0.0.1:8080".into())));
		assert_eq!(rewritten("/cdn//x"), ("/cdn//x".into(), Some("127.0.0.1:8080".into())));
		assert_eq!(
			rewritten("/cdn/a%2Fb/x"),
			("/cdn/a%2Fb/x".into(), Some("127.0.0.1:8080".into()))
		);
	}
}
