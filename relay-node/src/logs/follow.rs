//! The chain side of delivery: joins the configured contracts, serves
//! their hosts from their origins, seals each closed period, commits it
//! once, and answers missing-record claims with inclusion proofs.
//!
//! Every step reads the chain first and the files second, so a restart at
//! any point resumes: a spool left by a crash is sealed, a sealed batch the
//! chain already has is not committed again (the pallet would refuse it
//! anyway: commits only move forward), and a claim is answered once.

use super::{
	batch::{self, CommitState, Sealed},
	Logs, ServedContract,
};
use crate::cache::proxy::Proxy;
use ocm_cdni::metadata::HostService;
use ocm_chain_client::{
	bytes_of, fetch, number, pallet_error,
	settlement::{self, ClaimAsk},
	strings_of,
	subxt::{
		dynamic::{self, At, Value},
		ext::scale_value::Composite,
	},
	AtBlock, Chain,
};
use std::{collections::HashMap, path::Path, sync::Arc, time::Duration};
use subxt_signer::sr25519::Keypair;

/// A configured service's rules by host (lower case).
type HostRules = Arc<HashMap<String, Arc<HostService>>>;

/// Blocks after a period's end before it is sealed: responses still being
/// sent when it ended finish into it.
const SEAL_GRACE_BLOCKS: u32 = 1;

pub struct Follower {
	pub chain: Chain,
	pub operator: Keypair,
	pub relay: u32,
	pub logs: Arc<Logs>,
	pub proxy: Arc<Proxy>,
	/// Contracts to serve, by id.
	pub contracts: Vec<u32>,
	/// What the chain said of them at the last step.
	known: HashMap<u32, ServedContract>,
	/// Each contract's configured service (RFC 8006 metadata) by its
	/// sequence, as the rules of each host: parsed once per configuration,
	/// not once per step. Empty where this relay could not read it.
	services: HashMap<u32, (u32, HostRules)>,
	/// Every sealed batch's metadata, read from disk once at start and
	/// kept in step with the `.batch` files since.
	batches: std::collections::BTreeMap<(u32, u32), Sealed>,
	/// Answers the chain refused for good (contract, period, record index,
	/// call): not submitted again, each try costs a fee.
	refused_answers: std::collections::HashSet<(u32, u32, u32, String)>,
	/// Commits the chain refused for now (the relay not Active, above its
	/// verified capacity, over the escrow), by batch: not retried before
	/// this block, each try costs a fee.
	commit_after: HashMap<(u32, u32), u32>,
}

impl Follower {
	pub fn new(
		chain: Chain,
		operator: Keypair,
		relay: u32,
		logs: Arc<Logs>,
		proxy: Arc<Proxy>,
		contracts: Vec<u32>,
	) -> Self {
		logs.set_chain(relay, chain.genesis);
		let batches = Self::files(&logs.dir, ".batch")
			.into_iter()
			.filter_map(|batch| {
				let text = std::fs::read(batch::meta_path(&logs.dir, batch)).ok()?;
				Some((batch, serde_json::from_slice(&text).ok()?))
			})
			.collect();
		Follower {
			chain,
			operator,
			relay,
			logs,
			proxy,
			contracts,
			known: HashMap::new(),
			services: HashMap::new(),
			batches,
			refused_answers: std::collections::HashSet::new(),
			commit_after: HashMap::new(),
		}
	}

	pub async fn run(mut self) {
		// The best block, kept fresh apart from the steps (which wait for
		// finality): records go to the period the chain is in.
		let (chain, logs) = (self.chain.clone(), self.logs.clone());
		tokio::spawn(async move {
			let mut tick = tokio::time::interval(Duration::from_millis(500));
			loop {
				tick.tick().await;
				if let Ok(block) = chain.best_number().await {
					logs.set_best_block(u32::try_from(block).unwrap_or(u32::MAX));
				}
			}
		});
		let mut tick = tokio::time::interval(Duration::from_secs(2));
		loop {
			tick.tick().await;
			if let Err(e) = self.step().await {
				tracing::warn!(error = %e, "delivery follower step failed; retrying");
			}
		}
	}

	async fn step(&mut self) -> Result<(), String> {
		let at = self.chain.best().await?;
		let block = at.block_number() as u32;
		self.logs.set_best_block(block);
		for id in self.contracts.clone() {
			self.follow_contract(&at, id, block).await?;
		}
		self.seal_closed(block).await?;
		self.commit_sealed(&at).await?;
		// A fresh snapshot: one from before this step's commits would show
		// their batches missing, as if settled.
		let at = self.chain.best().await?;
		self.answer_claims(&at).await
	}

	async fn follow_contract(&mut self, at: &AtBlock, id: u32, block: u32) -> Result<(), String> {
		let key = vec![Value::u128(id.into())];
		let Some(contract) = fetch(at, "CdniSettlement", "Contracts", key).await? else {
			if self.known.remove(&id).is_some() {
				tracing::info!(contract = id, "the contract is over");
			}
			return Ok(());
		};
		let (start, end) = (number(&contract, "start")?, number(&contract, "end")?);
		let period_length = number(&contract, "period_length")?;
		let member_key = vec![Value::u128(id.into()), Value::u128(self.relay.into())];
		let member = fetch(at, "CdniSettlement", "Members", member_key).await?;
		let Some(member) = member else {
			if block >= end {
				return Ok(());
			}
			let call = dynamic::tx(
				"CdniSettlement",
				"join_contract",
				Composite::unnamed([Value::u128(id.into()), Value::u128(self.relay.into())]),
			);
			// Served from the next step on, when the membership (and the
			// period it starts in) is on chain.
			match self.chain.submit_signed(&call, &self.operator).await {
				Ok(_) => tracing::info!(contract = id, relay = self.relay, "joined the contract"),
				Err(e) => tracing::warn!(contract = id, error = %e, "cannot join the contract"),
			}
			return Ok(());
		};
		let served = ServedContract {
			id,
			start,
			end,
			period_length,
			from_period: number(&member, "from_period")?,
			until_period: member
				.at("until_period")
				.and_then(|u| match &u.value {
					ocm_chain_client::subxt::ext::scale_value::ValueDef::Variant(v)
						if v.name == "Some" =>
					{
						v.values.values().next().and_then(|n| n.as_u128())
					}
					_ => None,
				})
				.and_then(|n| u32::try_from(n).ok()),
			signing: settlement::request_signing(at, id).await?,
		};
		let origin = contract
			.at("origin")
			.and_then(bytes_of)
			.and_then(|o| String::from_utf8(o).ok())
			.ok_or("a contract without an origin")?;
		let hosts = contract.at("hosts").map(strings_of).unwrap_or_default();
		if self.known.get(&id) != Some(&served) {
			tracing::info!(contract = id, ?hosts, %origin, "serving the contract");
		}
		let service = self.service(at, id).await?;
		for host in hosts {
			// Logged first, served second: no request is served unlogged.
			self.logs.serve(host.clone(), served.clone());
			let rules = service.get(&host).cloned();
			// The provider's configured source comes before the contract's origin.
			let origin = rules
				.as_ref()
				.and_then(|r| r.source.as_ref())
				.map(|source| source.url())
				.unwrap_or_else(|| origin.clone());
			self.proxy.set_service(host.clone(), rules);
			match origin.parse::<http::Uri>() {
				Ok(uri) if matches!(uri.scheme_str(), Some("http" | "https")) => {
					self.proxy.set_origin(host, uri)
				}
				_ => tracing::warn!(contract = id, %origin, "not an http(s):// origin; not served"),
			}
		}
		self.known.insert(id, served);
		Ok(())
	}

	/// The contract's configured service, read again only when its
	/// sequence moves. The chain parsed it before storing it; a document
	/// this relay cannot parse (a newer relay's metadata) is logged and the
	/// contract served by its origin alone.
	async fn service(&mut self, at: &AtBlock, id: u32) -> Result<HostRules, String> {
		let key = vec![Value::u128(id.into())];
		let Some(stored) = fetch(at, "CdniSettlement", "Services", key).await? else {
			self.services.remove(&id);
			return Ok(HostRules::default());
		};
		let sequence: u32 = number(&stored, "sequence")?;
		if let Some((known, service)) = self.services.get(&id) {
			if *known == sequence {
				return Ok(service.clone());
			}
		}
		let document =
			stored.at("metadata").and_then(bytes_of).ok_or("a service without metadata")?;
		let service = match ocm_cdni::metadata::parse(&document) {
			Ok(service) => {
				tracing::info!(
					contract = id,
					sequence,
					hosts = service.hosts.len(),
					ignored = ?service.ignored,
					"applying the contract's service metadata"
				);
				service.hosts.into_iter().map(|h| (h.host.clone(), Arc::new(h))).collect()
			}
			Err(e) => {
				tracing::warn!(
					contract = id,
					sequence,
					error = %e,
					"cannot apply the contract's service metadata; serving from its origin"
				);
				HashMap::new()
			}
		};
		let service = Arc::new(service);
		self.services.insert(id, (sequence, service.clone()));
		Ok(service)
	}

	/// Files `<dir>/<contract>/<period>.<ext>`, as (contract, period).
	fn files(dir: &Path, ext: &str) -> Vec<(u32, u32)> {
		let mut found = Vec::new();
		let Ok(contracts) = std::fs::read_dir(dir) else { return found };
		for contract in contracts.flatten() {
			let Some(c) = contract.file_name().to_str().and_then(|n| n.parse().ok()) else {
				continue;
			};
			let Ok(files) = std::fs::read_dir(contract.path()) else { continue };
			for file in files.flatten() {
				let name = file.file_name();
				let Some(p) =
					name.to_str().and_then(|n| n.strip_suffix(ext)).and_then(|n| n.parse().ok())
				else {
					continue;
				};
				found.push((c, p));
			}
		}
		found.sort();
		found
	}

	async fn seal_closed(&mut self, block: u32) -> Result<(), String> {
		for (c, p) in Self::files(&self.logs.dir, ".spool") {
			let Some(contract) = self.known.get(&c) else { continue };
			let end = contract.period_end(p);
			if block < end.saturating_add(SEAL_GRACE_BLOCKS) {
				continue;
			}
			// Responses begun in the period finish into it, up to half a
			// period after its end (its commit window is a whole period);
			// one still running then has its record in the next period,
			// where the chain takes it as the answer to its receipt.
			let cut_off = end.saturating_add((contract.period_length / 2).max(SEAL_GRACE_BLOCKS));
			if self.logs.in_flight((c, p)) > 0 && block < cut_off {
				continue;
			}
			let Some(spool) = self.logs.close((c, p)).await.map_err(|e| e.to_string())? else {
				continue;
			};
			let (dir, genesis, relay, name) =
				(self.logs.dir.clone(), self.chain.genesis, self.relay, self.logs.hostname.clone());
			let sealed = tokio::task::spawn_blocking(move || {
				batch::seal(&dir, (c, p), &spool, &genesis, relay, &name)
			})
			.await
			.map_err(|e| e.to_string())?
			.map_err(|e| format!("sealing {c}/{p}: {e}"))?;
			if let Some(s) = sealed {
				tracing::info!(contract = c, period = p, records = s.records, bytes = s.bytes, root = %s.root, "sealed a log batch");
				self.batches.insert((c, p), s);
			}
		}
		Ok(())
	}

	/// The batches in `state`, in (contract, period) order.
	fn in_state(&self, state: CommitState) -> Vec<Sealed> {
		self.batches.values().filter(|s| s.state == state).cloned().collect()
	}

	fn save(&mut self, sealed: Sealed) -> Result<(), String> {
		let batch = (sealed.contract, sealed.period);
		let path = batch::meta_path(&self.logs.dir, batch);
		batch::write_atomically(&path, &serde_json::to_vec_pretty(&sealed).expect("plain data"))
			.map_err(|e| e.to_string())?;
		self.batches.insert(batch, sealed);
		Ok(())
	}

	/// Commits sealed batches in period order, per contract: the chain
	/// takes a contract's periods only forward, so a period that fails for
	/// now holds back the later ones rather than being overtaken by them.
	async fn commit_sealed(&mut self, at: &AtBlock) -> Result<(), String> {
		let mut held_back = std::collections::HashSet::new();
		let block = at.block_number() as u32;
		for mut sealed in self.in_state(CommitState::Sealed) {
			let (c, p) = (sealed.contract, sealed.period);
			if held_back.contains(&c) {
				continue;
			}
			if self.commit_after.get(&(c, p)).is_some_and(|after| block < *after) {
				held_back.insert(c);
				continue;
			}
			// Committed before a restart, or by a previous attempt whose
			// answer was lost: the chain's membership has moved past it.
			let member_key = vec![Value::u128(c.into()), Value::u128(self.relay.into())];
			if let Some(member) = fetch(at, "CdniSettlement", "Members", member_key).await? {
				let (from, next): (u32, u32) =
					(number(&member, "from_period")?, number(&member, "next_period")?);
				if p < from {
					tracing::error!(
						contract = c,
						period = p,
						"a batch from before the relay joined; not committable"
					);
					sealed.state = CommitState::Abandoned;
					self.save(sealed)?;
					continue;
				}
				if next > p {
					sealed.state = CommitState::Committed;
					self.save(sealed)?;
					continue;
				}
			}
			let base = self.public_base();
			let root = crate::pob::hex32(&sealed.root).ok_or("a sealed batch with a bad root")?;
			let totals = ocm_cdni::Totals {
				bytes: sealed.bytes,
				requests: sealed.records,
				status_2xx: sealed.status_2xx,
				status_3xx: sealed.status_3xx,
				status_4xx: sealed.status_4xx,
				status_5xx: sealed.status_5xx,
			};
			let log_url = format!("{base}{}{c}/{p}.log", super::PATH_PREFIX);
			let call = settlement::commit_batch((c, self.relay, p), root, &totals, &log_url);
			match self.chain.submit_signed(&call, &self.operator).await {
				Ok(_) => {
					tracing::info!(contract = c, period = p, "committed a log batch");
					sealed.state = CommitState::Committed;
				}
				Err(e) => match pallet_error(&e, "CdniSettlement") {
					Some("AlreadyCommitted") => sealed.state = CommitState::Committed,
					Some(
						reason @ ("CommitWindowOver" | "PeriodNotServed" | "ContractNotFound"
						| "NotMember"),
					) => {
						tracing::error!(
							contract = c,
							period = p,
							reason,
							"the chain will not take this batch"
						);
						sealed.state = CommitState::Abandoned;
					}
					Some(reason @ ("RelayNotActive" | "AboveCapacity" | "BudgetExceeded")) => {
						// It may pass later in the commit window (a verdict,
						// a top-up, a settlement): try again a tenth of a
						// period on.
						let period = self.known.get(&c).map_or(10, |k| k.period_length);
						let after = block.saturating_add((period / 10).max(5));
						tracing::warn!(
							contract = c,
							period = p,
							reason,
							retry_at = after,
							"the chain refuses this batch for now"
						);
						self.commit_after.insert((c, p), after);
						held_back.insert(c);
						continue;
					}
					_ => {
						tracing::warn!(contract = c, period = p, error = %e, "commit failed; retrying");
						held_back.insert(c);
						continue;
					}
				},
			}
			self.save(sealed)?;
		}
		Ok(())
	}

	async fn answer_claims(&mut self, at: &AtBlock) -> Result<(), String> {
		for mut sealed in self.in_state(CommitState::Committed) {
			let key = (sealed.contract, self.relay, sealed.period);
			let (c, p) = (sealed.contract, sealed.period);
			let Some(on_chain) = settlement::batch(at, key).await? else {
				sealed.state = CommitState::Done;
				self.save(sealed)?;
				continue;
			};
			if on_chain.claims.is_empty() {
				continue;
			}
			let log = std::fs::read(batch::log_path(&self.logs.dir, (c, p)))
				.map_err(|e| e.to_string())?;
			let (records, tree) = batch::tree(&log)?;
			// One answer per record: it decides every claim it answers.
			let mut indices = std::collections::BTreeSet::new();
			let mut from_next = Vec::new();
			for claim in &on_chain.claims {
				let found = match claim {
					ClaimAsk::Receipt { request_id, .. } => batch::find_request(&log, request_id)?,
					ClaimAsk::Offset(offset) => tree.leaf_at_offset(*offset),
					ClaimAsk::Token { index } => {
						let Some(record) = records.get(*index as usize) else { continue };
						let Some(token) = self.token_for(at, (c, p), record).await? else {
							tracing::warn!(
								contract = c,
								period = p,
								index,
								"no kept token answers the record"
							);
							continue;
						};
						let proof = tree.prove(*index).map_err(|e| format!("{e:?}"))?;
						let call = settlement::answer_token(key, record, &proof, token.as_bytes());
						self.answer(&call, (c, p), *index).await;
						continue;
					}
				};
				match (found, claim) {
					(Some(index), _) => {
						indices.insert(index);
					}
					// A response that outlasted its period has its record in
					// the next period's batch.
					(None, ClaimAsk::Receipt { request_id, .. }) => {
						from_next.push(request_id.clone())
					}
					(None, _) => {
						tracing::warn!(
							contract = c,
							period = p,
							?claim,
							"a claim this batch cannot answer"
						)
					}
				}
			}
			for index in indices {
				let proof = tree.prove(index).map_err(|e| format!("{e:?}"))?;
				let call = settlement::answer_claim(key, &records[index as usize], &proof);
				self.answer(&call, (c, p), index).await;
			}
			if from_next.is_empty() {
				continue;
			}
			// Only from a next batch the chain has: it is committed first.
			let next = (c, p.saturating_add(1));
			let committed = self
				.batches
				.get(&next)
				.is_some_and(|b| matches!(b.state, CommitState::Committed | CommitState::Done));
			let next_log = std::fs::read(batch::log_path(&self.logs.dir, next)).ok();
			let Some(next_log) = next_log.filter(|_| committed) else {
				tracing::info!(
					contract = c,
					period = p,
					"a receipt claim waits for the next period's batch"
				);
				continue;
			};
			let (next_records, next_tree) = batch::tree(&next_log)?;
			for request_id in from_next {
				let Some(index) = batch::find_request(&next_log, &request_id)? else {
					tracing::warn!(contract = c, period = p, request = %String::from_utf8_lossy(&request_id), "a claimed request is in neither this batch nor the next");
					continue;
				};
				let proof = next_tree.prove(index).map_err(|e| format!("{e:?}"))?;
				let call =
					settlement::answer_claim_from_next(key, &next_records[index as usize], &proof);
				self.answer(&call, (c, p), index).await;
			}
		}
		Ok(())
	}

	/// The kept token that authorised `record` (of batch `(c, p)`), as the
	/// runtime will check it: the contract's keys of the period, the
	/// request's client network, URI and time.
	async fn token_for(
		&self,
		at: &AtBlock,
		(c, p): (u32, u32),
		record: &[u8],
	) -> Result<Option<String>, String> {
		use ocm_cdni::uri_signing::{Client, Policy, Prefix, Token};
		let Ok(settled) = ocm_cdni::record::Settled::parse(record) else { return Ok(None) };
		let Some(id) = settled.token_id.as_deref() else { return Ok(None) };
		let terms = settlement::request_signing(at, c).await?;
		let keys = terms.keys_in(p);
		let policy = Policy { keys: &keys, max_span_secs: u64::from(terms.max_span_secs) };
		let group = settled.client_group.and_then(|g| std::str::from_utf8(g).ok());
		let group = group.and_then(Prefix::parse);
		let uri = ocm_cdni::record::decode_nhtab(settled.uri);
		let (Some(group), Some(uri), Some(started)) = (group, uri, settled.started_secs) else {
			return Ok(None);
		};
		Ok(super::signing::kept_tokens(&self.logs.dir, (c, p), id).into_iter().find(|token| {
			Token::parse(token.as_bytes())
				.is_ok_and(|t| t.authorises(policy, Client::Group(group), &uri, started).is_ok())
		}))
	}

	async fn answer(
		&mut self,
		call: &ocm_chain_client::subxt::transactions::DynamicPayload<Composite<()>>,
		(c, p): (u32, u32),
		index: u32,
	) {
		let attempt = (c, p, index, call.call_name().to_string());
		if self.refused_answers.contains(&attempt) {
			return;
		}
		match self.chain.submit_signed(call, &self.operator).await {
			Ok(_) => tracing::info!(contract = c, period = p, index, "answered a claim"),
			Err(e) => {
				tracing::warn!(contract = c, period = p, error = %e, "cannot answer a claim");
				// The same record would be refused again: the claim is not
				// its, or its time is over.
				if matches!(
					pallet_error(&e, "CdniSettlement"),
					Some(
						"ClaimNotFound"
							| "AnswerMismatch" | "AnswerTooLate"
							| "InvalidProof" | "TokenMalformed"
							| "TokenSignatureInvalid"
							| "TokenOutOfSpan" | "TokenOtherClient"
							| "TokenOutOfScope" | "TokenMismatch"
					)
				) {
					self.refused_answers.insert(attempt);
				}
			}
		}
	}

	fn public_base(&self) -> String {
		self.logs.public_url.trim_end_matches('/').to_string()
	}
}
