//! Properties over generated records: every record's inclusion proof checks
//! against the batch root and a changed record's does not; bytes a relay
//! adds to its bill cover no offset a proof can show; records and files
//! round-trip through their text.

use ocm_cdni::{
	file, merkle,
	record::{Fields, HttpRequest, Settled},
};
use proptest::prelude::*;

fn request() -> impl Strategy<Value = HttpRequest> {
	(
		0u64..4_102_444_800_000, // up to 2100-01-01
		0u64..10_000_000_000,
		"[a-z]{1,12}\\.example",
		"/[ -~]{0,40}",
		prop::sample::select(vec![200u16, 206, 304, 404, 500, 503]),
		any::<u32>(),
		any::<bool>(),
		"[0-9a-f]{32}",
		any::<[u8; 4]>(),
	)
		.prop_map(|(at, taken, host, path, status, bytes, cached, id, ip)| HttpRequest {
			completed_at_ms: at,
			time_taken_us: taken,
			client_group: ocm_cdni::privacy::client_group(std::net::IpAddr::from(ip)),
			server_hostname: "relay.isp.example".into(),
			method: "GET".into(),
			upstream_uri: format!("http://{host}{path}"),
			protocol: "HTTP/1.1".into(),
			status,
			total_bytes: u64::from(bytes) + 200,
			entity_bytes: u64::from(bytes),
			cached,
			request_id: id,
			token_id: None,
		})
}

proptest! {
	#![proptest_config(ProptestConfig::with_cases(64))]

	#[test]
	fn every_record_proves_and_a_changed_one_does_not(
		requests in prop::collection::vec(request(), 1..120),
		flip in any::<prop::sample::Index>(),
		bit in 0u8..8,
	) {
		let lines: Vec<Vec<u8>> = requests.iter().map(HttpRequest::to_line).collect();
		let tree = merkle::Tree::of_lines(&lines).unwrap();
		let root = tree.root();
		let n = lines.len() as u32;
		for (i, line) in lines.iter().enumerate() {
			let proof = tree.prove(i as u32).unwrap();
			prop_assert!(merkle::verify(&root, n, line, &proof));
			let mut changed = line.clone();
			let at = flip.index(changed.len());
			changed[at] ^= 1 << bit;
			prop_assert!(!merkle::verify(&root, n, &changed, &proof));
		}
	}

	#[test]
	fn records_round_trip_through_their_line(request in request()) {
		let line = request.to_line();
		let settled = Settled::parse(&line).unwrap();
		prop_assert_eq!(settled.status, request.status);
		prop_assert_eq!(settled.total_bytes, request.total_bytes);
		prop_assert_eq!(settled.request_id, request.request_id.as_bytes());
		prop_assert!(request.upstream_uri.as_bytes().starts_with(b"http://"));
		prop_assert!(!line.contains(&b'\n') && !line.contains(&b'\r'));
	}

	#[test]
	fn files_round_trip(requests in prop::collection::vec(request(), 0..40), seed in any::<[u8; 32]>()) {
		let lines: Vec<Vec<u8>> = requests.iter().map(HttpRequest::to_line).collect();
		let uuid = file::uuid_urn(&seed);
		let (mut writer, mut bytes) = file::Writer::start(&uuid, None, None, &Fields::ocm());
		for line in &lines {
			writer.record(line, &mut bytes);
		}
		bytes.extend(writer.finish());
		let parsed = file::parse(&bytes).unwrap();
		prop_assert!(parsed.hashed);
		prop_assert!(parsed.records.iter().all(|r| r.check.is_ok()));
		let back: Vec<Vec<u8>> = parsed.records.iter().map(|r| r.bytes.to_vec()).collect();
		prop_assert_eq!(back, lines);
	}
}

proptest! {
	#![proptest_config(ProptestConfig::with_cases(64))]

	/// A relay that bills some records above their lines can show, for a
	/// byte challenge, only offsets that honest records cover: every offset
	/// in the bytes it added lands on a record whose proof fails. So the
	/// share of offsets it cannot answer is at least its inflation's share.
	#[test]
	fn inflated_bytes_cover_no_offset_a_proof_can_show(
		requests in prop::collection::vec(request(), 1..60),
		inflate in prop::collection::vec((any::<prop::sample::Index>(), 1u64..5_000_000_000), 1..5),
	) {
		let lines: Vec<Vec<u8>> = requests.iter().map(HttpRequest::to_line).collect();
		let mut leaves: Vec<merkle::Node> = lines.iter().map(|l| merkle::leaf(l)).collect();
		let honest: u64 = leaves.iter().map(|l| l.sum.bytes).sum();
		for (at, extra) in &inflate {
			leaves[at.index(lines.len())].sum.bytes += extra;
		}
		let tree = merkle::Tree::new(leaves.clone()).unwrap();
		let (root, n) = (tree.root(), tree.len());
		let mut answerable = 0u64;
		for (i, line) in lines.iter().enumerate() {
			let proof = tree.prove(i as u32).unwrap();
			let shown = merkle::walk(n, merkle::leaf(line), &proof);
			if leaves[i] == merkle::leaf(line) {
				let walk = shown.unwrap();
				prop_assert_eq!(walk.root, root);
				answerable += leaves[i].sum.bytes;
			} else {
				// The inflated record's own line does not lead to the root...
				prop_assert!(shown.is_none_or(|w| w.root != root));
				// ...and the leaf the relay used does, so `dispute_sums` proves it.
				prop_assert_eq!(merkle::walk(n, leaves[i], &proof).unwrap().root, root);
			}
		}
		let billed = tree.totals().bytes;
		prop_assert!(answerable <= honest);
		prop_assert!(billed - answerable >= billed - honest);
		// Offsets in the added bytes name records that cannot be shown.
		for (at, _) in &inflate {
			let i = at.index(lines.len());
			let start: u64 = leaves[..i].iter().map(|l| l.sum.bytes).sum();
			let last = start + leaves[i].sum.bytes - 1;
			prop_assert_eq!(tree.leaf_at_offset(last), Some(i as u32));
		}
	}
}
