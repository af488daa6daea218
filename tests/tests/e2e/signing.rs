//! Signed requests end to end, with real processes on loopback: a dev
//! chain, an HTTP origin, `ocm-relay` (Dave) verified by three beacons, and
//! curl as the viewers.
//!
//! Alice opens a contract for `signed.example.com`, registers an Ed25519
//! token key and requires signed requests. The relay refuses, with the
//! reason, requests without a token, with one Alice never signed, for
//! another client network or outside the token's scope; it serves her
//! viewer's token (from the query, then from the cookie it set), names the
//! token's `jti` in the response and the record, and publishes no token.
//! Alice disputes the record: the relay shows the token it kept and the
//! chain accepts it. Then Dave cheats, committing a batch with a viewer
//! he invented without a token: one dispute voids it and slashes his bond.

use super::settlement::{header, joined, num, relay_config, start_relay};
use ocm_cdni::uri_signing::{self, mint, Grant};
use ocm_chain_client::settlement as calls;
use ocm_e2e::{free_port, registry::UNITS, storage, submit, until, DevNode};
use sp_core::Pair;
use std::{process::Command, time::Duration};
use subxt::dynamic::{At, Value};
use subxt_signer::sr25519::dev;

const HOST: &str = "signed.example.com";

/// (status, lower-cased response headers, body) of a GET through the relay.
fn get(port: u16, target: &str, cookie: Option<&str>) -> (u16, String, String) {
	let body = tempfile::NamedTempFile::new().unwrap();
	let mut args = vec![
		"-s".to_string(),
		"-D".into(),
		"-".into(),
		"-o".into(),
		body.path().to_str().unwrap().into(),
		"-H".into(),
		format!("Host: {HOST}"),
	];
	if let Some(cookie) = cookie {
		args.extend(["-H".into(), format!("Cookie: {cookie}")]);
	}
	args.push(format!("http://127.0.0.1:{port}{target}"));
	let out = Command::new("curl").args(&args).output().expect("curl runs");
	let headers = String::from_utf8(out.stdout).unwrap();
	let status = headers.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
	(status, headers.to_ascii_lowercase(), std::fs::read_to_string(body.path()).unwrap_or_default())
}

fn unix_now() -> u64 {
	std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs()
}

/// A token for a viewer on loopback, for everything under `/live/`.
fn grant(id: &str) -> Grant {
	Grant {
		id: id.into(),
		not_before: unix_now() - 60,
		expires: unix_now() + 1_800,
		client: "127.0.0.0/8".into(),
		scope: uri_signing::prefix_container(&format!("http://{HOST}/live/")),
		cookie: false,
	}
}

fn sign(grant: &Grant, key: &sp_core::ed25519::Pair) -> String {
	mint(grant, |input| key.sign(input).0)
}

/// The published log file of a committed batch (empty if unavailable).
fn published(batch: &Value) -> String {
	let url = String::from_utf8(ocm_e2e::value_bytes(batch.at("log_url").unwrap())).unwrap();
	let out = Command::new("curl").args(["-sf", &url]).output().unwrap();
	String::from_utf8(out.stdout).unwrap_or_default()
}

async fn batch_at(api: &ocm_e2e::Api, key: (u32, u32, u32)) -> Option<Value> {
	let key = vec![Value::u128(key.0.into()), Value::u128(key.1.into()), Value::u128(key.2.into())];
	storage(api, "CdniSettlement", "Batches", key).await
}

#[tokio::test(flavor = "multi_thread")]
async fn a_contract_that_requires_signed_requests_pays_only_for_viewers_it_authorised() {
	let node = DevNode::start();
	let api = node.connect().await;
	let origin = ocm_e2e::origin::segments(20_000).await;
	let origin_port = origin.port;
	let alice = dev::alice();
	let token_key = sp_core::ed25519::Pair::from_seed(&[42; 32]);

	let register = ocm_e2e::registry::register_provider("Signed Video", HOST);
	submit(&api, &register, &alice).await.expect("provider registers");
	let now = api.at_current_block().await.unwrap().block_number() as u128;
	let open = ocm_e2e::registry::open_contract(
		HOST,
		&format!("http://127.0.0.1:{origin_port}"),
		10 * UNITS,
		1_000 * UNITS,
		now + 10,
		now + 100_000,
	);
	submit(&api, &open, &alice).await.expect("the contract opens");
	submit(&api, &calls::add_token_key(0, token_key.public().0), &alice)
		.await
		.expect("the provider registers its token key");
	submit(&api, &calls::require_signed_requests(0, Some(3_600)), &alice)
		.await
		.expect("the provider requires signed requests");

	let port = free_port();
	let dir = tempfile::tempdir().unwrap();
	let logs = dir.path().join("logs");
	let config = dir.path().join("relay.toml");
	let relay = start_relay(relay_config(&node, port, &config), port, &logs);
	let relay_id = joined(&node, &api, port).await;
	let viewer = sign(&grant("viewer-1"), &token_key);
	let signed = format!("/live/1.ts?{}={viewer}", uri_signing::PACKAGE);
	until("the relay serves signed viewers", Duration::from_secs(30), || async {
		(get(port, &signed, None).0 == 200).then_some(())
	})
	.await;

	// Refused, each with its reason, before the origin is asked.
	let (status, _, body) = get(port, "/live/2.ts", None);
	assert_eq!(
		(status, body.trim()),
		(403, "this host requires a URI Signing token (URISigningPackage)")
	);
	let forged = sign(&grant("viewer-1"), &sp_core::ed25519::Pair::from_seed(&[13; 32]));
	let mut elsewhere = grant("viewer-2");
	elsewhere.client = "203.0.113.0/24".into();
	let mut expired = grant("viewer-3");
	expired.expires = unix_now() - 120;
	for (token, target, reason) in [
		(&forged, "/live/2.ts", "no key of the contract verifies the token"),
		(&sign(&elsewhere, &token_key), "/live/2.ts", "the token is for another client"),
		(&sign(&expired, &token_key), "/live/2.ts", "the token has expired"),
		(&viewer, "/vod/film.mp4", "the token does not cover this URI"),
		(
			&"eyJhbGciOiJub25lIn0.e30.".to_string(),
			"/live/2.ts",
			"the token's algorithm is not EdDSA",
		),
	] {
		let (status, _, body) =
			get(port, &format!("{target}?{}={token}", uri_signing::PACKAGE), None);
		assert_eq!((status, body.trim()), (403, reason), "{target}");
	}

	// A path an origin would normalise out of the token's scope, and a
	// token spelled so that it would not leave the target: refused.
	let (status, _, body) =
		get(port, &format!("/live/%2e%2e/vod/film.mp4?{}={viewer}", uri_signing::PACKAGE), None);
	assert_eq!(status, 403, "{body}");
	let (status, _, _) = get(port, &format!("/live/2.ts?%55RISigningPackage={viewer}"), None);
	assert_eq!(status, 400);
	let (status, _, _) = get(port, &format!("/live/2.ts?a=1;URISigningPackage={viewer}"), None);
	assert_eq!(status, 400);

	// Served: the response names the token; a cookie token works as well.
	let (status, headers, _) = get(port, &format!("{signed}&quality=hd"), None);
	assert_eq!(status, 200);
	assert_eq!(header(&headers, "ocm-token-id"), Some("viewer-1"));
	let mut session = grant("session-1");
	session.cookie = true;
	let session = sign(&session, &token_key);
	let (status, headers, _) =
		get(port, &format!("/live/8.ts?{}={session}", uri_signing::PACKAGE), None);
	assert_eq!(status, 200);
	assert!(header(&headers, "set-cookie").is_some_and(|c| c.contains("urisigningpackage=")));
	let (status, headers, _) =
		get(port, "/live/3.ts", Some(&format!("{}={session}", uri_signing::PACKAGE)));
	assert_eq!((status, header(&headers, "ocm-token-id")), (200, Some("session-1")));

	// The origin never saw a token: not in a path, not in a query.
	let asked = origin.requests.lock().unwrap().clone();
	assert!(
		!asked.is_empty() && asked.iter().all(|p| !p.contains("URISigningPackage")),
		"{asked:?}"
	);

	// Committed and published: records name tokens, no file carries one.
	let committed =
		until("the signed requests are committed", Duration::from_secs(120), || async {
			let mut found = Vec::new();
			for period in 0..64u32 {
				if let Some(b) = batch_at(&api, (0, relay_id, period)).await {
					found.push((period, b));
				}
			}
			let records: u128 = found.iter().map(|(_, b)| num(b, "records")).sum();
			(records >= 4).then_some(found)
		})
		.await;
	for (_, batch) in &committed {
		let file = published(batch);
		assert!(!file.contains(uri_signing::PACKAGE) && !file.contains(&viewer[..40]), "{file}");
		assert!(!file.contains(&session[..40]));
		ocm_cdni::file::parse(file.as_bytes()).expect("a valid file");
	}

	// The provider disputes a fresh signed record while its batch is open
	// to disputes (a period, on the dev chain; on a loaded machine the
	// window can pass first, and a fresher record is disputed): the relay
	// shows the token it kept and the chain accepts it.
	let mut disputed = false;
	for attempt in 0..3 {
		let (status, headers, _) = get(
			port,
			&format!("/live/{}.ts?{}={viewer}", 10 + attempt, uri_signing::PACKAGE),
			None,
		);
		assert_eq!(status, 200);
		let request_id = header(&headers, "ocm-request-id").unwrap().to_string();
		let (period, lines, index) =
			until("the fresh record is committed", Duration::from_secs(90), || async {
				for period in (0..128u32).rev() {
					let Some(batch) = batch_at(&api, (0, relay_id, period)).await else { continue };
					let file = published(&batch);
					let Ok(parsed) = ocm_cdni::file::parse(file.as_bytes()) else { continue };
					let lines: Vec<Vec<u8>> =
						parsed.records.iter().map(|r| r.bytes.to_vec()).collect();
					if let Some(index) =
						lines.iter().position(|l| String::from_utf8_lossy(l).contains(&request_id))
					{
						return Some((period, lines, index as u32));
					}
				}
				None
			})
			.await;
		assert!(String::from_utf8_lossy(&lines[index as usize]).contains("\"viewer-1\""));
		let tree = ocm_cdni::merkle::Tree::of_lines(&lines).unwrap();
		let key = (0, relay_id, period);
		let dispute =
			calls::dispute_unsigned(key, &lines[index as usize], &tree.prove(index).unwrap());
		match submit(&api, &dispute, &alice).await {
			Ok(_) => {}
			Err(e) if e.contains("DisputeWindowOver") => continue,
			Err(e) => panic!("the provider disputes a signed record: {e}"),
		}
		until("the relay shows the token", Duration::from_secs(40), || async {
			let batch = batch_at(&api, key).await?;
			ocm_chain_client::items_of(batch.at("claims")?).is_empty().then_some(())
		})
		.await;
		disputed = true;
		break;
	}
	assert!(disputed, "three disputes came after their windows");

	// Dave invents a viewer without a token in a batch of his own.
	let c = storage(&api, "CdniSettlement", "Contracts", vec![Value::u128(0)]).await.unwrap();
	let (start, length) = (num(&c, "start") as u32, num(&c, "period_length") as u32);
	let member = storage(
		&api,
		"CdniSettlement",
		"Members",
		vec![Value::u128(0), Value::u128(relay_id.into())],
	)
	.await
	.unwrap();
	let now = api.at_current_block().await.unwrap().block_number() as u32;
	let mut forged_period = (num(&member, "next_period") as u32).max((now - start) / length) + 1;
	let invented = ocm_cdni::record::HttpRequest {
		completed_at_ms: unix_now() * 1_000,
		time_taken_us: 1_000,
		client_group: "198.51.100.0/24".into(),
		server_hostname: "127.0.0.1".into(),
		method: "GET".into(),
		upstream_uri: format!("http://{HOST}/live/9.ts"),
		protocol: "HTTP/1.1".into(),
		status: 200,
		total_bytes: 5_000_000,
		entity_bytes: 4_999_800,
		cached: true,
		request_id: "e".repeat(32),
		token_id: None,
	}
	.to_line();
	let tree = ocm_cdni::merkle::Tree::of_lines([&invented]).unwrap();
	let bond = |api: ocm_e2e::Api| async move {
		num(
			&storage(&api, "CapacityRegistry", "Relays", vec![Value::u128(relay_id.into())])
				.await
				.unwrap(),
			"bond",
		)
	};
	let dave = dev::dave();
	let mut bond_before = 0;
	// The commit and the dispute each have a period's window on the dev
	// chain; on a loaded machine one can pass, and the next period is tried.
	let mut voided = None;
	for _ in 0..3 {
		until("the forged period ends", Duration::from_secs(90), || async {
			let now = api.at_current_block().await.unwrap().block_number() as u32;
			(now >= start + (forged_period + 1) * length).then_some(())
		})
		.await;
		let forged_key = (0, relay_id, forged_period);
		let commit = calls::commit_batch(
			forged_key,
			tree.root().0,
			&tree.totals(),
			&format!("http://127.0.0.1:{port}/.well-known/ocm/logs/0/{forged_period}.log"),
		);
		let mut tries = 0;
		let committed = loop {
			match submit(&api, &commit, &dave).await {
				// The relay signs with Dave's key too: a nonce taken by both is retried.
				Err(e) if tries < 3 && !e.contains("CdniSettlement") => {
					tries += 1;
					tokio::time::sleep(Duration::from_secs(2)).await;
				}
				done => break done,
			}
		};
		forged_period += 2;
		match committed {
			Err(e) if e.contains("CommitWindowOver") => continue,
			other => {
				other.expect("the invented batch commits");
			}
		}
		bond_before = bond(api.clone()).await;
		let dispute = calls::dispute_unsigned(forged_key, &invented, &tree.prove(0).unwrap());
		match submit(&api, &dispute, &alice).await {
			Err(e) if e.contains("DisputeWindowOver") => continue,
			other => {
				other.expect("the provider disputes the invented viewer");
			}
		}
		voided = Some(forged_key);
		break;
	}
	let forged_key = voided.expect("three attempts missed their windows");
	assert!(batch_at(&api, forged_key).await.is_none(), "the invented batch is void at once");
	assert_eq!(bond(api.clone()).await, bond_before - bond_before / 10, "and the relay slashed");
	drop(relay);
}
