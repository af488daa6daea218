//! RFC 7975 messages: the RFC's own examples parse, answers use its keys.

use ocm_routing::redirection::{dns_response, http_response, parse_request, split_uri, Query};
use serde_json::{json, Value};

const OCM: &str = "AS64500:0";

#[test]
fn the_rfcs_http_request_example_parses() {
	// RFC 7975, section 5.2 (verbatim).
	let body = br#"{
  "http": {
    "c-ip": "198.51.100.1",
    "cs-uri": "http://www.example.com",
    "cs-version": "HTTP/1.1",
    "cs-method": "GET"
  },
  "cdn-path": ["AS64496:0"],
  "max-hops": 3
}"#;
	let request = parse_request(body, OCM).unwrap();
	assert_eq!(request.cdn_path, vec!["AS64496:0".to_string(), OCM.to_string()]);
	let Query::Http { client, host, path_and_query, .. } = &request.query else { panic!() };
	assert_eq!(
		(client.to_string().as_str(), host.as_str(), path_and_query.as_str()),
		("198.51.100.1", "www.example.com", "/")
	);
	let answer = http_response(
		"http://www.example.com",
		"HTTP/1.1",
		"http://relay1.example/",
		&request.cdn_path,
	);
	assert_eq!(answer["http"]["sc-status"], 302);
	assert_eq!(answer["http"]["sc-reason"], "Found");
	assert_eq!(answer["http"]["sc-(location)"], "http://relay1.example/");
	assert_eq!(answer["http"]["cs-uri"], "http://www.example.com");
	assert_eq!(answer["cdn-path"], json!(["AS64496:0", OCM]));
}

#[test]
fn the_rfcs_dns_request_example_parses_and_is_answered_by_address_or_name() {
	// RFC 7975, section 5.1 (verbatim body).
	let body = br#"{
  "dns" : {
    "resolver-ip" : "192.0.2.1",
    "c-subnet" : "198.51.100.0/24",
    "qtype" : "A",
    "qclass" : "IN",
    "qname" : "www.example.com"
  },
  "cdn-path": ["AS64496:0"],
  "max-hops": 3
}"#;
	let request = parse_request(body, OCM).unwrap();
	assert_eq!(
		request.query,
		Query::Dns {
			client: "198.51.100.0".parse().unwrap(),
			qname: "www.example.com".into(),
			ipv6: false
		}
	);
	let by_address =
		dns_response("www.example.com", false, "http://203.0.113.200:8080", 20, &request.cdn_path)
			.unwrap();
	assert_eq!(
		by_address["dns"],
		json!({"rcode": 0, "name": "www.example.com", "a": ["203.0.113.200"], "ttl": 20})
	);
	let by_name = dns_response(
		"www.example.com",
		false,
		"https://edge1.relay.example",
		20,
		&request.cdn_path,
	)
	.unwrap();
	assert_eq!(by_name["dns"]["cname"], json!(["edge1.relay.example"]));
	let wrong_family =
		dns_response("www.example.com", true, "http://203.0.113.200", 20, &request.cdn_path)
			.unwrap_err();
	assert_eq!(wrong_family.code, 504);
}

#[test]
fn bad_requests_get_the_rfcs_error_codes() {
	let code = |body: &[u8]| parse_request(body, OCM).unwrap_err().code;
	assert_eq!(code(b"not json"), 400);
	assert_eq!(code(br#"{"http": {"c-ip": "198.51.100.1", "cs-uri": "http://a", "cs-version": "HTTP/1.1", "cs-method": "GET"}}"#), 400, "cdn-path is mandatory");
	assert_eq!(code(br#"{"cdn-path": ["AS1:0"]}"#), 400, "neither dns nor http");
	assert_eq!(code(br#"{"http": {"c-ip": "nobody", "cs-uri": "http://a", "cs-version": "HTTP/1.1", "cs-method": "GET"}, "cdn-path": []}"#), 400);
	assert_eq!(code(br#"{"http": {"c-ip": "198.51.100.1", "cs-uri": "ftp://a/b", "cs-version": "HTTP/1.1", "cs-method": "GET"}, "cdn-path": []}"#), 505);
	assert_eq!(code(br#"{"http": {"c-ip": "198.51.100.1", "cs-uri": "http://a/", "cs-version": "HTTP/1.1", "cs-method": "POST"}, "cdn-path": []}"#), 400);
	assert_eq!(code(br#"{"dns": {"resolver-ip": "192.0.2.1", "qtype": "MX", "qclass": "IN", "qname": "a"}, "cdn-path": []}"#), 400);
	// Our own id in the path is a loop; a path as long as max-hops is spent.
	assert_eq!(code(br#"{"dns": {"resolver-ip": "192.0.2.1", "qtype": "A", "qclass": "IN", "qname": "a"}, "cdn-path": ["AS64500:0"]}"#), 502);
	assert_eq!(code(br#"{"dns": {"resolver-ip": "192.0.2.1", "qtype": "A", "qclass": "IN", "qname": "a"}, "cdn-path": ["AS1:0"], "max-hops": 1}"#), 503);
	let huge = vec![b' '; 20_000];
	assert_eq!(code(&huge), 400);
	let error = parse_request(b"[]", OCM).unwrap_err();
	let body: Value = error.body();
	assert_eq!(body["error"]["error-code"], 400);
	assert!(body["error"]["reason"].is_string());
	assert_eq!(error.http_status(), 400);
}

#[test]
fn uris_split_into_host_and_path() {
	assert_eq!(split_uri("http://WWW.Example.com"), Some(("www.example.com".into(), "/".into())));
	assert_eq!(
		split_uri("https://user@v.example:8443/a/b?c=d#frag"),
		Some(("v.example".into(), "/a/b?c=d".into()))
	);
	assert_eq!(split_uri("http://[2001:db8::1]:80/x"), Some(("[2001:db8::1]".into(), "/x".into())));
	assert_eq!(split_uri("http://v.example?q"), Some(("v.example".into(), "/?q".into())));
	assert_eq!(split_uri("http:///nohost"), None);
	assert_eq!(split_uri("mailto:a@b"), None);
}
