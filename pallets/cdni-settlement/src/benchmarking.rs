//! Benchmarks for every call at its worst case: the most hosts and
//! footprints, the longest URLs and record lines, inclusion proofs of 32
//! hashes (batches of 2^32 - 1 records), and full claim lists.

use super::*;
use crate::Pallet as Settlement;
use alloc::{format, string::String, vec, vec::Vec};
use frame_benchmarking::v2::*;
use frame_support::{
	traits::{fungible::Mutate, Get},
	BoundedVec,
};
use frame_system::{pallet_prelude::BlockNumberFor, RawOrigin};
use ocm_cdni::{
	merkle::{self, InclusionProof, Node},
	record::{HttpRequest, MAX_LINE},
};
use ocm_primitives::{
	capacity::{ProviderRegistry, RelayId, RelayRegistry},
	footprint::{Footprint, Ipv6Cidr},
};
use sp_core::{crypto::KeyTypeId, sr25519, H256};
use sp_runtime::{
	traits::{Bounded, Saturating},
	Perbill,
};

const KEY_TYPE: KeyTypeId = KeyTypeId(*b"cdnb");
/// The most records a batch has: every proof is 32 hashes long.
const RECORDS: u32 = u32::MAX;

fn funded<T: Config>(who: &T::AccountId) {
	T::Currency::set_balance(who, BalanceOf::<T>::max_value() / 4u32.into());
}

/// A host name of `len` bytes, distinct per `i`.
fn host(i: u32) -> Vec<u8> {
	let mut h = format!("h{i}-").into_bytes();
	h.resize(60, b'a');
	h.extend_from_slice(b".example.com");
	h
}

/// A URL of exactly `MaxUrlLen` bytes.
fn url<T: Config>(tag: &str) -> Vec<u8> {
	let mut u = format!("https://{tag}.example.net/").into_bytes();
	u.resize(T::MaxUrlLen::get() as usize, b'a');
	u
}

fn provider<T: Config>() -> T::AccountId {
	let who: T::AccountId = account("provider", 0, 0);
	funded::<T>(&who);
	T::Providers::benchmark_provider(&who, (0..T::MaxHosts::get()).map(host).collect());
	funded::<T>(&who);
	who
}

/// Footprints that no relay meets: IPv6 prefixes under 2001:db8:ffff::/48.
fn foreign_footprints(n: u32) -> Vec<Footprint> {
	(0..n)
		.map(|i| {
			let mut prefix = [0u8; 16];
			prefix[..6].copy_from_slice(&[0x20, 0x01, 0x0d, 0xb8, 0xff, 0xff]);
			prefix[6..8].copy_from_slice(&(i as u16).to_be_bytes());
			Footprint::Ipv6Cidr(Ipv6Cidr { prefix, len: 64 })
		})
		.collect()
}

/// Terms with `footprint` and the longest supplier lists: relays no
/// benchmark registers denied, so every join reads the whole list.
fn terms<T: Config>(
	footprint: Vec<Footprint>,
) -> ContractTerms<T::AccountId, BlockNumberFor<T>, BalanceOf<T>> {
	let now = frame_system::Pallet::<T>::block_number();
	ContractTerms {
		hosts: (0..T::MaxHosts::get()).map(host).collect(),
		origin: url::<T>("origin"),
		price_per_gb: 1_000u32.into(),
		budget: T::MinBudget::get().saturating_mul(1_000_000u32.into()),
		footprint: if footprint.is_empty() {
			Coverage::Anywhere
		} else {
			Coverage::Within(footprint)
		},
		suppliers: SupplierPolicy {
			allow: Vec::new(),
			deny: (0..T::MaxSuppliers::get()).map(|i| Supplier::Relay(u32::MAX - i)).collect(),
			min_verified_mbps: 0,
			required_capabilities: ocm_primitives::capacity::Capabilities(0),
		},
		sla: SlaTerms {
			min_verified_mbps: u32::MAX,
			max_error_share: Perbill::zero(),
			require_active: true,
			penalty: Perbill::from_percent(10),
		},
		// The bencher sets the block number after the setup: a start in the
		// future stays valid.
		start: now + 10u32.into(),
		end: now + 1_000_000u32.into(),
	}
}

fn open<T: Config>(footprint: Vec<Footprint>) -> (T::AccountId, ContractId) {
	let who = provider::<T>();
	let id = NextContractId::<T>::get();
	Settlement::<T>::do_open_contract(who.clone(), terms::<T>(footprint)).expect("valid terms");
	(who, id)
}

/// A verified relay of a fresh operator, and its operator.
fn active_relay<T: Config>() -> (T::AccountId, RelayId) {
	let relay = T::Relays::benchmark_relay();
	T::Relays::record_verified(relay, 1_000).expect("the relay exists");
	let operator = T::Relays::relay(relay).expect("the relay exists").operator;
	(operator, relay)
}

/// A contract whose footprint is `MaxFootprints` entries that the relay
/// meets only at the last, and the relay joined to it.
fn contract_with_relay<T: Config>() -> (T::AccountId, ContractId, T::AccountId, RelayId) {
	let (operator, relay) = active_relay::<T>();
	let mut footprint = foreign_footprints(T::MaxFootprints::get() - 1);
	footprint.extend(T::Relays::footprints(relay).first().copied());
	let (provider, contract) = open::<T>(footprint);
	Settlement::<T>::do_join_contract(operator.clone(), contract, relay).expect("joins");
	(provider, contract, operator, relay)
}

/// A record of a request for `host` with request id `id` and a URI of
/// `uri_len` bytes, or one that fills `MAX_LINE`.
fn record(host: &[u8], id: u32, uri_len: Option<usize>) -> Vec<u8> {
	let mut request = HttpRequest {
		completed_at_ms: 1_700_000_000_000,
		time_taken_us: 1_000,
		client_group: "2001:db8:abcd::/48".into(),
		server_hostname: "relay.isp.example".into(),
		method: "GET".into(),
		upstream_uri: String::new(),
		protocol: "HTTP/1.1".into(),
		status: 200,
		total_bytes: 1_000_000_000,
		entity_bytes: 999_999_000,
		cached: true,
		request_id: format!("{id:032x}"),
		token_id: None,
	};
	let prefix = format!("http://{}/", core::str::from_utf8(host).unwrap_or("x.example"));
	request.upstream_uri = prefix.clone();
	let room = match uri_len {
		Some(len) => len.saturating_sub(prefix.len()),
		None => MAX_LINE - request.to_line().len(),
	};
	request.upstream_uri.push_str(&"a".repeat(room));
	request.to_line()
}

/// A proof of made-up siblings (32 for index 0) for `line` at `index`, the
/// first sibling `first` if given, their sums making up a batch of
/// [`RECORDS`] records; and the root and totals it leads to.
fn proof_for(line: &[u8], index: u32, first: Option<Node>) -> (InclusionProof, H256, Totals) {
	let length = merkle::path_length(index, RECORDS) as usize;
	let mut siblings: Vec<Node> = (0..length)
		.map(|i| Node { hash: H256::repeat_byte(i as u8 + 1), sum: Totals::default() })
		.collect();
	if let Some(first) = first {
		siblings[0] = first;
	}
	let counted: u32 = 1 + siblings.iter().map(|s| s.sum.requests).sum::<u32>();
	if let Some(last) = siblings.last_mut() {
		last.sum.requests += RECORDS - counted;
	}
	let proof = InclusionProof { index, siblings };
	let walk =
		merkle::walk(RECORDS, merkle::leaf(line), &proof).expect("a proof of the path's length");
	(proof, walk.root, walk.top)
}

/// Totals of [`RECORDS`] records of a gigabyte in all, one a 5xx.
fn some_totals() -> Totals {
	Totals {
		bytes: 1_000_000_000,
		requests: RECORDS,
		status_2xx: RECORDS - 1,
		status_5xx: 1,
		..Default::default()
	}
}

/// Commits period 0 of the relay with `root` and `totals` over [`RECORDS`]
/// records and moves to the block after the commit.
fn committed<T: Config>(
	contract: ContractId,
	relay: RelayId,
	operator: &T::AccountId,
	root: H256,
	totals: Totals,
) -> BatchKey {
	let end = Contracts::<T>::get(contract).expect("exists").period_end(0);
	frame_system::Pallet::<T>::set_block_number(end);
	let commitment = BatchCommitment { root, records: RECORDS, totals, log_url: url::<T>("relay") };
	Settlement::<T>::do_commit_batch(operator.clone(), (contract, relay, 0), commitment)
		.expect("commits");
	(contract, relay, 0)
}

/// A keystore key whose account becomes the batch's operator, so it can
/// sign receipts.
fn signing_operator<T: Config>(key: BatchKey) -> (T::AccountId, sr25519::Public)
where
	T::AccountId: From<sr25519::Public>,
{
	let public = sp_io::crypto::sr25519_generate(KEY_TYPE, None);
	let who: T::AccountId = public.into();
	funded::<T>(&who);
	Batches::<T>::mutate(key, |b| b.as_mut().expect("committed").operator = who.clone());
	(who, public)
}

fn sign_receipt<T: Config>(
	public: &sr25519::Public,
	key: BatchKey,
	request_id: &[u8],
	uri: &[u8],
) -> T::ReceiptSignature
where
	T::ReceiptSignature: From<sr25519::Signature>,
{
	let genesis = frame_system::Pallet::<T>::block_hash(BlockNumberFor::<T>::from(0u32));
	let message = features::dispute::receipt_message(&genesis, &key, request_id, uri);
	sp_io::crypto::sr25519_sign(KEY_TYPE, public, &message).expect("signs").into()
}

/// A full-length record (`MAX_LINE`) naming token `jti`, for a client in
/// 2001:db8:abcd::/48 at 1,700,000,000 s.
fn signed_record(host: &[u8], jti: &str) -> Vec<u8> {
	let mut request = HttpRequest {
		completed_at_ms: 1_700_000_000_000,
		time_taken_us: 1_000,
		client_group: "2001:db8:abcd::/48".into(),
		server_hostname: "relay.isp.example".into(),
		method: "GET".into(),
		upstream_uri: format!("http://{}/", core::str::from_utf8(host).unwrap_or("x.example")),
		protocol: "HTTP/1.1".into(),
		status: 200,
		total_bytes: 1_000_000_000,
		entity_bytes: 999_999_000,
		cached: true,
		request_id: format!("{:032x}", 0),
		token_id: Some(jti.into()),
	};
	let room = MAX_LINE - request.to_line().len();
	request.upstream_uri.push_str(&"a".repeat(room));
	request.to_line()
}

/// Registers `MaxTokenKeys` keys from the keystore for `contract` and
/// requires signed requests from period 0; returns the last key, which
/// signs (every check tries the others first).
fn token_keys<T: Config>(contract: ContractId) -> sp_core::ed25519::Public {
	let keys: Vec<sp_core::ed25519::Public> = (0..T::MaxTokenKeys::get())
		.map(|_| sp_io::crypto::ed25519_generate(KEY_TYPE, None))
		.collect();
	let terms = RequestSigning::<T> {
		required_from: Some(0),
		max_span_secs: features::signing::MAX_SPAN_SECS,
		keys: BoundedVec::truncate_from(
			keys.iter()
				.map(|k| TokenKey { public: k.0, from_period: 0, until_period: None })
				.collect(),
		),
	};
	RequestSigningTerms::<T>::insert(contract, terms);
	*keys.last().expect("MaxTokenKeys is at least 1")
}

/// The longest token (up to `uri_signing::MAX_TOKEN`) that authorises
/// `line`: its scope the longest prefix of the record's URI that fits.
fn token_for(line: &[u8], jti: &str, key: &sp_core::ed25519::Public) -> Vec<u8> {
	use ocm_cdni::uri_signing::{mint, prefix_container, Grant, MAX_TOKEN};
	let settled = ocm_cdni::record::Settled::parse(line).expect("well-formed");
	let started = settled.started_secs.expect("a record with its time");
	let uri = core::str::from_utf8(settled.uri).expect("ASCII");
	let mut prefix_len = uri.len().min(MAX_TOKEN);
	loop {
		let grant = Grant {
			id: jti.into(),
			not_before: started - 10,
			expires: started + 3_600,
			client: "2001:db8:abcd::/48".into(),
			scope: prefix_container(&uri[..prefix_len]),
			cookie: true,
		};
		let token = mint(&grant, |input| {
			sp_io::crypto::ed25519_sign(KEY_TYPE, key, input).expect("signs").0
		});
		if token.len() <= MAX_TOKEN || prefix_len < 64 {
			return token.into_bytes();
		}
		prefix_len -= 32;
	}
}

/// Fills the batch's claims with `n` claims from a funded auditor-free
/// challenger (the provider), each with the longest id and URI.
fn claims<T: Config>(key: BatchKey, provider: &T::AccountId, n: u32) {
	let deposit = T::ClaimDeposit::get();
	Batches::<T>::mutate(key, |b| {
		let b = b.as_mut().expect("committed");
		for i in 0..n {
			let mut request_id = format!("{i:032x}").into_bytes();
			request_id.resize(T::MaxRequestIdLen::get() as usize, b'f');
			let _ = b.claims.try_push(Claim {
				challenger: provider.clone(),
				asks: ClaimAsk::Receipt {
					request_id: BoundedVec::truncate_from(request_id),
					uri: BoundedVec::truncate_from(url::<T>("claimed")),
				},
				deposit,
				answer_by: b.dispute_until,
			});
		}
	});
	use frame_support::traits::fungible::MutateHold;
	T::Currency::hold(&HoldReason::ClaimDeposit.into(), provider, deposit.saturating_mul(n.into()))
		.expect("funded");
}

/// An RFC 8006 document of exactly `n` bytes (`n >= 1_024`) for the
/// contract's first host: a source, a cache policy, and as many paths as fit
/// (at most `MAX_PATHS`), the last with a pattern long enough to fill it.
/// Paths cost the parser most per byte.
fn service_document(n: u32) -> Vec<u8> {
	let host = String::from_utf8(host(0)).expect("ASCII");
	let head = format!(
		r#"{{"hosts":[{{"host":"{host}","host-metadata":{{"metadata":[{{"generic-metadata-type":"MI.SourceMetadata","generic-metadata-value":{{"sources":[{{"endpoints":["origin.example.net:8080"],"protocol":"http/1.1"}}]}}}},{{"generic-metadata-type":"MI.CachePolicy","generic-metadata-value":{{"internal":60,"external":"as-is"}}}}],"paths":["#
	);
	let path = |pattern: &str| {
		format!(
			r#"{{"path-pattern":{{"pattern":"{pattern}"}},"path-metadata":{{"metadata":[{{"generic-metadata-type":"MI.Cache","generic-metadata-value":{{"include-query-strings":["id"]}}}}]}}}}"#
		)
	};
	let tail = "]}}]}";
	let n = n as usize;
	let mut doc = head.into_bytes();
	let mut paths = 0;
	loop {
		let next = path(&format!("/p{paths}/*"));
		// Room for this path, a comma, the last path and the tail.
		let last_min = path("/*").len();
		if paths + 1 >= ocm_cdni::metadata::MAX_PATHS
			|| doc.len() + next.len() + 1 + last_min + tail.len() > n
		{
			break;
		}
		doc.extend_from_slice(next.as_bytes());
		doc.push(b',');
		paths += 1;
	}
	let fill = n.saturating_sub(doc.len() + path("/*").len() + tail.len());
	let mut pattern = String::from("/");
	pattern.extend(core::iter::repeat_n('a', fill));
	pattern.push('*');
	doc.extend_from_slice(path(&pattern).as_bytes());
	doc.extend_from_slice(tail.as_bytes());
	doc
}

/// A contract whose provider is a fresh sr25519 key, and that key's
/// signature over a service document of `n` bytes as its first sequence.
fn signed_service<T: Config>(n: u32) -> (ContractId, u32, MetadataOf<T>, T::ReceiptSignature)
where
	T::AccountId: From<sr25519::Public>,
	T::ReceiptSignature: From<sr25519::Signature>,
{
	let (_, contract) = open::<T>(foreign_footprints(1));
	let public = sp_io::crypto::sr25519_generate(KEY_TYPE, None);
	Contracts::<T>::mutate(contract, |c| c.as_mut().expect("opened").provider = public.into());
	let document = service_document(n);
	let genesis = Settlement::<T>::genesis_hash();
	let payload = ocm_cdni::metadata::signing_payload(&genesis, contract, 1, &document);
	let signature = sp_io::crypto::sr25519_sign(KEY_TYPE, &public, &payload).expect("signs");
	let metadata = MetadataOf::<T>::try_from(document).expect("at most MaxMetadataLen");
	(contract, 1, metadata, signature.into())
}

#[benchmarks(where T::AccountId: From<sr25519::Public>, T::ReceiptSignature: From<sr25519::Signature>)]
mod benchmarks {
	use super::*;

	#[benchmark]
	fn open_contract() {
		let who = provider::<T>();
		let terms = terms::<T>(foreign_footprints(T::MaxFootprints::get()));
		#[extrinsic_call]
		_(RawOrigin::Signed(who), terms);
		assert!(Contracts::<T>::contains_key(0));
	}

	#[benchmark]
	fn top_up() {
		let (who, id) = open::<T>(vec![]);
		#[extrinsic_call]
		_(RawOrigin::Signed(who), id, T::MinBudget::get());
		assert_eq!(
			Contracts::<T>::get(id).unwrap().deposited,
			T::MinBudget::get().saturating_mul(1_000_001u32.into())
		);
	}

	#[benchmark]
	fn close_contract() {
		// A running contract; closed before its start it is refunded at
		// once, which `refund`'s benchmark measures.
		let (who, id) = open::<T>(vec![]);
		let start = Contracts::<T>::get(id).unwrap().start;
		frame_system::Pallet::<T>::set_block_number(start);
		#[extrinsic_call]
		_(RawOrigin::Signed(who), id);
		assert_eq!(
			Contracts::<T>::get(id).unwrap().end,
			Contracts::<T>::get(id).unwrap().period_end(0)
		);
	}

	#[benchmark]
	fn refund(r: Linear<0, { T::MaxRelays::get() }>) {
		let (who, id) = open::<T>(vec![]);
		for _ in 0..r {
			let (operator, relay) = active_relay::<T>();
			Settlement::<T>::do_join_contract(operator, id, relay).expect("joins");
		}
		let end = Contracts::<T>::get(id).unwrap().end;
		frame_system::Pallet::<T>::set_block_number(end + T::CommitWindow::get());
		#[extrinsic_call]
		_(RawOrigin::Signed(who), id);
		assert!(!Contracts::<T>::contains_key(id));
	}

	#[benchmark]
	fn join_contract(f: Linear<1, { T::MaxFootprints::get() }>) {
		let (operator, relay) = active_relay::<T>();
		let mut footprint = foreign_footprints(f - 1);
		footprint.extend(T::Relays::footprints(relay).first().copied());
		let (_, id) = open::<T>(footprint);
		#[extrinsic_call]
		_(RawOrigin::Signed(operator), id, relay);
		assert!(Members::<T>::contains_key(id, relay));
	}

	#[benchmark]
	fn leave_contract() {
		let (_, id, operator, relay) = contract_with_relay::<T>();
		#[extrinsic_call]
		_(RawOrigin::Signed(operator), id, relay);
		assert!(Members::<T>::get(id, relay).unwrap().until_period.is_some());
	}

	#[benchmark]
	fn remove_relay() {
		let (provider, id, _, relay) = contract_with_relay::<T>();
		#[extrinsic_call]
		_(RawOrigin::Signed(provider), id, relay);
		assert!(Members::<T>::get(id, relay).unwrap().until_period.is_some());
	}

	#[benchmark]
	fn set_suppliers() {
		let (provider, id) = open::<T>(foreign_footprints(1));
		let operator: T::AccountId = account("operator", 0, 0);
		let policy = SupplierPolicy {
			allow: (0..T::MaxSuppliers::get())
				.map(|_| Supplier::Operator(operator.clone()))
				.collect(),
			deny: (0..T::MaxSuppliers::get()).map(|i| Supplier::Relay(i)).collect(),
			min_verified_mbps: 1,
			required_capabilities: ocm_primitives::capacity::Capabilities(1),
		};
		#[extrinsic_call]
		_(RawOrigin::Signed(provider), id, policy);
		assert!(SupplierPolicies::<T>::contains_key(id));
	}

	#[benchmark]
	fn commit_batch() {
		let (_, id, operator, relay) = contract_with_relay::<T>();
		let end = Contracts::<T>::get(id).unwrap().period_end(0);
		frame_system::Pallet::<T>::set_block_number(end);
		let commitment = BatchCommitment {
			root: H256::repeat_byte(7),
			records: RECORDS,
			totals: Totals { bytes: 1_000_000_000, requests: RECORDS, ..Default::default() },
			log_url: url::<T>("relay"),
		};
		#[extrinsic_call]
		_(RawOrigin::Signed(operator), id, relay, 0, commitment);
		assert!(Batches::<T>::contains_key((id, relay, 0)));
	}

	#[benchmark]
	fn dispute_malformed() {
		let (provider, id, operator, relay) = contract_with_relay::<T>();
		// A full-length, well-formed record for a host outside the contract.
		let line = record(b"elsewhere.example.org", 0, None);
		let (proof, root, totals) = proof_for(&line, 0, None);
		let key = committed::<T>(id, relay, &operator, root, totals);
		#[extrinsic_call]
		_(RawOrigin::Signed(provider), key, line, proof);
		assert!(!Batches::<T>::contains_key(key));
	}

	#[benchmark]
	fn dispute_sums() {
		let (provider, id, operator, relay) = contract_with_relay::<T>();
		// A full-length record whose leaf the relay billed at twice its bytes.
		let line = record(&host(0), 0, None);
		let mut leaf = merkle::leaf(&line);
		leaf.sum.bytes *= 2;
		let (proof, _, _) = proof_for(&line, 0, None);
		let walk = merkle::walk(RECORDS, leaf, &proof).expect("path length");
		let key = committed::<T>(id, relay, &operator, walk.root, walk.top);
		#[extrinsic_call]
		_(RawOrigin::Signed(provider), key, line, leaf.sum, proof);
		assert!(!Batches::<T>::contains_key(key));
	}

	#[benchmark]
	fn challenge_bytes() {
		let (provider, id, operator, relay) = contract_with_relay::<T>();
		let key = committed::<T>(id, relay, &operator, H256::repeat_byte(1), some_totals());
		claims::<T>(key, &provider, T::MaxDisputes::get() - 1);
		#[extrinsic_call]
		_(RawOrigin::Signed(provider), key, 999_999_999);
		assert_eq!(Batches::<T>::get(key).unwrap().claims.len() as u32, T::MaxDisputes::get());
	}

	#[benchmark]
	fn dispute_duplicate() {
		let (provider, id, operator, relay) = contract_with_relay::<T>();
		// One full-length record twice, at indices 0 and 1: each is the
		// other's first sibling, and both paths share the rest.
		let line = record(&host(0), 7, None);
		let (p0, root, totals) = proof_for(&line, 0, Some(merkle::leaf(&line)));
		let p1 = InclusionProof { index: 1, siblings: p0.siblings.clone() };
		let key = committed::<T>(id, relay, &operator, root, totals);
		#[extrinsic_call]
		_(RawOrigin::Signed(provider), key, line.clone(), p0, line, p1);
		assert_eq!(Batches::<T>::get(key).unwrap().duplicates.len(), 1);
	}

	#[benchmark]
	fn claim_missing() {
		let (provider, id, operator, relay) = contract_with_relay::<T>();
		let key = committed::<T>(id, relay, &operator, H256::repeat_byte(1), some_totals());
		let (_, public) = signing_operator::<T>(key);
		claims::<T>(key, &provider, T::MaxDisputes::get() - 1);
		let mut request_id = b"missing".to_vec();
		request_id.resize(T::MaxRequestIdLen::get() as usize, b'0');
		let uri = url::<T>("missing");
		let receipt = sign_receipt::<T>(&public, key, &request_id, &uri);
		#[extrinsic_call]
		_(RawOrigin::Signed(provider), key, request_id, uri, receipt);
		assert_eq!(Batches::<T>::get(key).unwrap().claims.len() as u32, T::MaxDisputes::get());
	}

	#[benchmark]
	fn answer_claim(c: Linear<1, { T::MaxDisputes::get() }>) {
		let (provider, id, operator, relay) = contract_with_relay::<T>();
		// The record answers all `c` claims, each paying its deposit over:
		// `c - 1` byte offsets among its bytes and, last, its receipt, with
		// the longest URI a claim can name.
		let line = record(&host(0), c - 1, Some(T::MaxUrlLen::get() as usize));
		let settled = ocm_cdni::record::Settled::parse(&line).expect("well-formed");
		let (proof, root, totals) = proof_for(&line, 0, None);
		let key = committed::<T>(id, relay, &operator, root, totals);
		let deposit = T::ClaimDeposit::get();
		Batches::<T>::mutate(key, |b| {
			let b = b.as_mut().unwrap();
			for offset in 0..u64::from(c - 1) {
				let _ = b.claims.try_push(Claim {
					challenger: provider.clone(),
					asks: ClaimAsk::Offset(offset),
					deposit,
					answer_by: b.dispute_until,
				});
			}
			let _ = b.claims.try_push(Claim {
				challenger: provider.clone(),
				asks: ClaimAsk::Receipt {
					request_id: BoundedVec::truncate_from(settled.request_id.clone()),
					uri: BoundedVec::truncate_from(settled.uri.to_vec()),
				},
				deposit,
				answer_by: b.dispute_until,
			});
		});
		use frame_support::traits::fungible::MutateHold;
		T::Currency::hold(
			&HoldReason::ClaimDeposit.into(),
			&provider,
			deposit.saturating_mul(c.into()),
		)
		.expect("funded");
		#[extrinsic_call]
		_(RawOrigin::Signed(operator), key, line, proof);
		assert!(Batches::<T>::get(key).unwrap().claims.is_empty());
	}

	#[benchmark]
	fn answer_claim_from_next() {
		let (provider, id, operator, relay) = contract_with_relay::<T>();
		// Period 0 holds `MaxDisputes` receipt claims; the record answering
		// the last (the longest URI a claim names) is in period 1's batch.
		let key = committed::<T>(id, relay, &operator, H256::repeat_byte(1), some_totals());
		let line = record(&host(0), T::MaxDisputes::get() - 1, Some(T::MaxUrlLen::get() as usize));
		let settled = ocm_cdni::record::Settled::parse(&line).expect("well-formed");
		let (proof, root, totals) = proof_for(&line, 0, None);
		let next_end = Contracts::<T>::get(id).expect("exists").period_end(1);
		frame_system::Pallet::<T>::set_block_number(next_end);
		let next = BatchCommitment { root, records: RECORDS, totals, log_url: url::<T>("relay") };
		Settlement::<T>::do_commit_batch(operator.clone(), (id, relay, 1), next).expect("commits");
		claims::<T>(key, &provider, T::MaxDisputes::get() - 1);
		let deposit = T::ClaimDeposit::get();
		Batches::<T>::mutate(key, |b| {
			let b = b.as_mut().unwrap();
			b.dispute_until = next_end + 10u32.into();
			let _ = b.claims.try_push(Claim {
				challenger: provider.clone(),
				asks: ClaimAsk::Receipt {
					request_id: BoundedVec::truncate_from(settled.request_id.clone()),
					uri: BoundedVec::truncate_from(settled.uri.to_vec()),
				},
				deposit,
				answer_by: next_end + 10u32.into(),
			});
		});
		use frame_support::traits::fungible::MutateHold;
		T::Currency::hold(&HoldReason::ClaimDeposit.into(), &provider, deposit).expect("funded");
		#[extrinsic_call]
		_(RawOrigin::Signed(operator), key, line, proof);
		assert_eq!(Batches::<T>::get(key).unwrap().claims.len() as u32, T::MaxDisputes::get() - 1);
	}

	/// `c = 0`: the batch pays (relay, pot, SLA); `c > 0`: it is void for
	/// `c` unanswered claims, whose deposits go back, and the relay is slashed.
	#[benchmark]
	fn settle(c: Linear<0, { T::MaxDisputes::get() }>) {
		let (provider, id, operator, relay) = contract_with_relay::<T>();
		let key = committed::<T>(id, relay, &operator, H256::repeat_byte(1), some_totals());
		claims::<T>(key, &provider, c);
		let due = Batches::<T>::get(key).unwrap().settle_at;
		frame_system::Pallet::<T>::set_block_number(due);
		#[extrinsic_call]
		_(RawOrigin::Signed(provider), key);
		assert!(!Batches::<T>::contains_key(key));
	}

	#[benchmark]
	fn authorize_configure_service(
		n: Linear<1_024, { T::MaxMetadataLen::get() }>,
	) -> Result<(), BenchmarkError> {
		let (contract, sequence, metadata, signature) = signed_service::<T>(n);
		let call = Call::<T>::configure_service { contract, sequence, metadata, signature };
		#[block]
		{
			use frame_support::traits::Authorize;
			call.authorize(frame_support::pallet_prelude::TransactionSource::External)
				.ok_or("configure_service is authorized")?
				.map_err(|_| "the configuration is valid")?;
		}
		Ok(())
	}

	#[benchmark]
	fn require_signed_requests() {
		let (provider, id) = open::<T>(foreign_footprints(1));
		let key = sp_io::crypto::ed25519_generate(KEY_TYPE, None);
		Settlement::<T>::do_add_token_key(provider.clone(), id, key.0).expect("a key");
		#[extrinsic_call]
		_(RawOrigin::Signed(provider), id, Some(3_600));
		assert!(RequestSigningTerms::<T>::get(id).unwrap().required_from.is_some());
	}

	#[benchmark]
	fn add_token_key() {
		// `MaxTokenKeys - 1` keys, each checked for expiry, then one more.
		let (provider, id) = open::<T>(foreign_footprints(1));
		for i in 0..T::MaxTokenKeys::get() - 1 {
			Settlement::<T>::do_add_token_key(provider.clone(), id, [i as u8; 32]).expect("room");
		}
		#[extrinsic_call]
		_(RawOrigin::Signed(provider), id, [0xff; 32]);
		assert_eq!(
			RequestSigningTerms::<T>::get(id).unwrap().keys.len() as u32,
			T::MaxTokenKeys::get()
		);
	}

	#[benchmark]
	fn revoke_token_key() {
		let (provider, id) = open::<T>(foreign_footprints(1));
		for i in 0..T::MaxTokenKeys::get() {
			Settlement::<T>::do_add_token_key(provider.clone(), id, [i as u8; 32]).expect("room");
		}
		let last = [(T::MaxTokenKeys::get() - 1) as u8; 32];
		#[extrinsic_call]
		_(RawOrigin::Signed(provider), id, last);
		assert!(!RequestSigningTerms::<T>::get(id)
			.unwrap()
			.keys
			.iter()
			.any(|k| k.public == last && k.until_period.is_none()));
	}

	#[benchmark]
	fn dispute_unsigned() {
		// The claim path: a full-length record naming a token, a 32-hash
		// proof, the last claim slot (the void path is `dispute_malformed`'s).
		let (provider, id, operator, relay) = contract_with_relay::<T>();
		token_keys::<T>(id);
		let line = signed_record(&host(0), "viewer");
		let (proof, root, totals) = proof_for(&line, 0, None);
		let key = committed::<T>(id, relay, &operator, root, totals);
		claims::<T>(key, &provider, T::MaxDisputes::get() - 1);
		#[extrinsic_call]
		_(RawOrigin::Signed(provider), key, line, proof);
		assert_eq!(Batches::<T>::get(key).unwrap().claims.len() as u32, T::MaxDisputes::get());
	}

	#[benchmark]
	fn answer_token() {
		// A full-length record, a 32-hash proof, a token near 2 KiB signed
		// by the last of `MaxTokenKeys` keys, among `MaxDisputes` claims.
		let (provider, id, operator, relay) = contract_with_relay::<T>();
		let signer = token_keys::<T>(id);
		let line = signed_record(&host(0), "viewer");
		let token = token_for(&line, "viewer", &signer);
		let (proof, root, totals) = proof_for(&line, 0, None);
		let key = committed::<T>(id, relay, &operator, root, totals);
		claims::<T>(key, &provider, T::MaxDisputes::get() - 1);
		Settlement::<T>::do_dispute_unsigned(provider, key, line.clone(), proof.clone())
			.expect("claimed");
		#[extrinsic_call]
		_(RawOrigin::Signed(operator), key, line, proof, token);
		assert_eq!(Batches::<T>::get(key).unwrap().claims.len() as u32, T::MaxDisputes::get() - 1);
	}

	#[benchmark]
	fn configure_service(n: Linear<1_024, { T::MaxMetadataLen::get() }>) {
		let (contract, sequence, metadata, signature) = signed_service::<T>(n);
		#[extrinsic_call]
		_(RawOrigin::Authorized, contract, sequence, metadata, signature);
		assert_eq!(Services::<T>::get(contract).map(|s| s.metadata.len() as u32), Some(n));
	}

	impl_benchmark_test_suite!(Settlement, crate::mock::new_bench_ext(), crate::mock::Test);
}

#[cfg(test)]
mod document_tests {
	#[test]
	fn service_documents_have_the_asked_length_and_parse() {
		for n in [1_024, 2_000, 4_096, 8_192] {
			let doc = super::service_document(n);
			assert_eq!(doc.len(), n as usize);
			let service = ocm_cdni::metadata::parse(&doc).expect("a valid document");
			assert_eq!(service.hosts.len(), 1);
			assert!(!service.hosts[0].paths.is_empty());
		}
	}
}
