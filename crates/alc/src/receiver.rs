//! The FLUTE receiver: learns objects from FDT Instances, rebuilds each
//! from any sufficient set of RaptorQ symbols, checks it against the
//! FDT's length and Content-MD5, and says which objects it could not
//! rebuild so they can be fetched another way. Every table is bounded and
//! every claim a packet or FDT makes is checked before it sizes anything.

use crate::{
	fdt::{FdtFile, FdtInstance},
	oti::Oti,
	packet::Packet,
};
use md5::{Digest, Md5};
use raptorq::{EncodingPacket, PayloadId, SourceBlockDecoder};
use std::{
	collections::{BTreeMap, VecDeque},
	time::{Duration, Instant},
};

#[derive(Clone, Debug)]
pub struct ReceiverConfig {
	/// The session to receive; other TSIs are dropped.
	pub tsi: u64,
	/// Largest object accepted, in bytes.
	pub max_object_size: u64,
	/// Objects being rebuilt at once (FDT Instances included).
	pub max_objects: usize,
	/// Announced objects kept waiting for symbols.
	pub max_announced: usize,
	/// An object with no new symbol for this long is given up.
	pub object_timeout: Duration,
	/// Largest FDT Instance accepted.
	pub max_fdt_size: u64,
	/// FDT Instances being rebuilt at once.
	pub max_fdts: usize,
	/// After the sender's last packet (B flag), how long stragglers that
	/// were reordered behind it are waited for.
	pub close_grace: Duration,
	/// Refuse Files without Content-MD5: then no object is ever delivered
	/// that differs from what the sender hashed.
	pub require_digest: bool,
}

impl Default for ReceiverConfig {
	fn default() -> Self {
		Self {
			tsi: 1,
			max_object_size: 64 << 20,
			max_objects: 64,
			max_announced: 1024,
			object_timeout: Duration::from_secs(3),
			max_fdt_size: 64 << 10,
			max_fdts: 16,
			close_grace: Duration::from_millis(200),
			require_digest: true,
		}
	}
}

/// A rebuilt object.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Object {
	pub toi: u32,
	pub location: String,
	pub content_type: Option<String>,
	pub cache_control: Option<String>,
	pub body: Vec<u8>,
}

#[derive(Clone, PartialEq, Eq, Debug)]
pub enum Event {
	Received(Object),
	/// Announced but not rebuilt: too few symbols, or a body that did not
	/// match its Content-MD5. Fetch it another way.
	Lost {
		toi: u32,
		location: String,
	},
}

#[derive(Clone, Default, PartialEq, Eq, Debug)]
pub struct ReceiverCounters {
	pub packets: u64,
	pub malformed: u64,
	pub other_session: u64,
	/// Symbols for objects no FDT announced (or already done).
	pub unknown_object: u64,
	pub late_symbols: u64,
	/// Symbols of the wrong length or source block, or beyond twice the
	/// block's size.
	pub bad_symbols: u64,
	pub fdt_rejected: u64,
	/// A File or EXT_FTI contradicting what an FDT already said.
	pub oti_mismatch: u64,
	pub too_large: u64,
	/// Symbols dropped at `max_objects` or `max_announced`.
	pub table_full: u64,
	pub digest_mismatch: u64,
	pub objects: u64,
	pub lost: u64,
	/// Symbols beyond the source symbols that rebuilt objects needed: FEC at work.
	pub repair_symbols_used: u64,
}

struct Block {
	decoder: SourceBlockDecoder,
	symbols: u32,
	received: u32,
	data: Option<Vec<u8>>,
}

/// One object being rebuilt from its symbols.
struct Assembly {
	oti: Oti,
	blocks: Vec<Block>,
	remaining: usize,
	last_symbol: Instant,
	/// When the sender's last packet came, if it did.
	closed: Option<Instant>,
	repair_used: u64,
}

impl Assembly {
	fn new(oti: Oti, now: Instant) -> Self {
		let config = oti.to_raptorq();
		let blocks: Vec<Block> = oti
			.block_symbols()
			.into_iter()
			.enumerate()
			.map(|(sbn, symbols)| Block {
				decoder: SourceBlockDecoder::new(
					sbn as u8,
					&config,
					u64::from(symbols) * u64::from(oti.symbol_size),
				),
				symbols,
				received: 0,
				data: None,
			})
			.collect();
		Self {
			oti,
			remaining: blocks.len(),
			blocks,
			last_symbol: now,
			closed: None,
			repair_used: 0,
		}
	}

	/// When to give up: `timeout` after the last symbol, or `grace` after
	/// the sender's last packet, whichever is first.
	fn deadline(&self, timeout: Duration, grace: Duration) -> Instant {
		let idle = self.last_symbol + timeout;
		self.closed.map_or(idle, |closed| idle.min(closed + grace))
	}

	/// Feeds one symbol; the object once every block is rebuilt. `Err`: a
	/// symbol that cannot belong to this object.
	fn add(
		&mut self,
		now: Instant,
		sbn: u8,
		esi: u32,
		symbol: &[u8],
	) -> Result<Option<Vec<u8>>, ()> {
		let Some(block) = self.blocks.get_mut(usize::from(sbn)) else { return Err(()) };
		if symbol.len() != usize::from(self.oti.symbol_size)
			|| block.received >= 2 * block.symbols + 16
		{
			return Err(());
		}
		self.last_symbol = now;
		if block.data.is_some() {
			return Ok(None);
		}
		block.received += 1;
		if esi >= block.symbols {
			self.repair_used += 1;
		}
		let packet = EncodingPacket::new(PayloadId::new(sbn, esi), symbol.to_vec());
		let Some(data) = block.decoder.decode(std::iter::once(packet)) else { return Ok(None) };
		block.data = Some(data);
		self.remaining -= 1;
		if self.remaining > 0 {
			return Ok(None);
		}
		let mut body = Vec::with_capacity(self.oti.transfer_length as usize);
		for block in &mut self.blocks {
			body.extend_from_slice(&block.data.take().unwrap_or_default());
		}
		body.truncate(self.oti.transfer_length as usize);
		Ok(Some(body))
	}
}

struct Announced {
	file: FdtFile,
	since: Instant,
	assembly: Option<Assembly>,
}

pub struct Receiver {
	config: ReceiverConfig,
	announced: BTreeMap<u32, Announced>,
	/// FDT Instances being rebuilt, by instance ID.
	fdts: BTreeMap<u32, Assembly>,
	/// Objects and FDT Instances done recently, so later copies and
	/// repair symbols are dropped quietly rather than rebuilt again.
	done: BTreeMap<u32, Instant>,
	fdts_done: BTreeMap<u32, Instant>,
	events: VecDeque<Event>,
	counters: ReceiverCounters,
}

impl Receiver {
	pub fn new(config: ReceiverConfig) -> Self {
		Self {
			config,
			announced: BTreeMap::new(),
			fdts: BTreeMap::new(),
			done: BTreeMap::new(),
			fdts_done: BTreeMap::new(),
			events: VecDeque::new(),
			counters: ReceiverCounters::default(),
		}
	}

	pub fn counters(&self) -> &ReceiverCounters {
		&self.counters
	}

	pub fn poll_event(&mut self) -> Option<Event> {
		self.events.pop_front()
	}

	/// One datagram's payload.
	pub fn handle(&mut self, now: Instant, datagram: &[u8]) {
		self.counters.packets += 1;
		let packet = match Packet::decode(datagram) {
			Ok(packet) => packet,
			Err(_) => {
				self.counters.malformed += 1;
				return;
			}
		};
		if packet.tsi != self.config.tsi {
			self.counters.other_session += 1;
			return;
		}
		if packet.content_encoding.is_some_and(|c| c != 0) {
			self.counters.malformed += 1;
			return;
		}
		match packet.fdt_instance {
			Some(instance) if packet.toi == 0 => self.fdt_symbol(now, instance, &packet),
			Some(_) => self.counters.malformed += 1,
			None => self.object_symbol(now, &packet),
		}
	}

	fn fdt_symbol(&mut self, now: Instant, instance: u32, packet: &Packet<'_>) {
		if self.fdts_done.contains_key(&instance) {
			self.counters.late_symbols += 1;
			return;
		}
		let Some(oti) = packet.oti else {
			self.counters.fdt_rejected += 1;
			return;
		};
		if oti.transfer_length > self.config.max_fdt_size {
			self.counters.too_large += 1;
			return;
		}
		if !self.fdts.contains_key(&instance) {
			if self.fdts.len() >= self.config.max_fdts {
				self.counters.table_full += 1;
				return;
			}
			self.fdts.insert(instance, Assembly::new(oti, now));
		}
		let Some(assembly) = self.fdts.get_mut(&instance) else { return };
		if assembly.oti != oti {
			self.counters.oti_mismatch += 1;
			return;
		}
		match assembly.add(now, packet.sbn, packet.esi, packet.symbol) {
			Err(()) => self.counters.bad_symbols += 1,
			Ok(None) => {}
			Ok(Some(xml)) => {
				self.fdts.remove(&instance);
				match FdtInstance::decode(&xml) {
					Ok(fdt) => {
						self.fdts_done.insert(instance, now);
						for file in fdt.files {
							self.announce(now, file);
						}
					}
					// Not marked done: a later copy may arrive intact.
					Err(_) => self.counters.fdt_rejected += 1,
				}
			}
		}
	}

	fn in_progress(&self) -> usize {
		self.announced.values().filter(|a| a.assembly.is_some()).count()
	}

	fn announce(&mut self, now: Instant, file: FdtFile) {
		if file.toi == 0 || self.done.contains_key(&file.toi) {
			return;
		}
		if self.config.require_digest && file.md5.is_none() {
			self.counters.fdt_rejected += 1;
			return;
		}
		if file.oti.transfer_length > self.config.max_object_size {
			self.counters.too_large += 1;
			return;
		}
		match self.announced.get(&file.toi) {
			Some(known) if known.file == file => {}
			Some(_) => self.counters.oti_mismatch += 1,
			None if self.announced.len() >= self.config.max_announced => {
				self.counters.table_full += 1
			}
			None => {
				self.announced.insert(file.toi, Announced { file, since: now, assembly: None });
			}
		}
	}

	fn object_symbol(&mut self, now: Instant, packet: &Packet<'_>) {
		let Ok(toi) = u32::try_from(packet.toi) else {
			self.counters.unknown_object += 1;
			return;
		};
		if self.done.contains_key(&toi) {
			self.counters.late_symbols += 1;
			return;
		}
		let starts = match self.announced.get(&toi) {
			None => {
				self.counters.unknown_object += 1;
				return;
			}
			Some(announced) if packet.oti.is_some_and(|oti| oti != announced.file.oti) => {
				self.counters.oti_mismatch += 1;
				return;
			}
			Some(announced) => announced.assembly.is_none(),
		};
		// Counted only for an object's first symbol, not on every packet.
		if starts && self.in_progress() >= self.config.max_objects {
			self.counters.table_full += 1;
			return;
		}
		let Some(announced) = self.announced.get_mut(&toi) else { return };
		let oti = announced.file.oti;
		let assembly = announced.assembly.get_or_insert_with(|| Assembly::new(oti, now));
		let result = assembly.add(now, packet.sbn, packet.esi, packet.symbol);
		let repair_used = assembly.repair_used;
		match result {
			Err(()) => self.counters.bad_symbols += 1,
			Ok(Some(body)) => {
				let Some(Announced { file, .. }) = self.announced.remove(&toi) else { return };
				self.done.insert(toi, now);
				if file.md5.is_some_and(|md5| md5 != <[u8; 16]>::from(Md5::digest(&body))) {
					self.counters.digest_mismatch += 1;
					self.lost(file);
					return;
				}
				self.counters.objects += 1;
				self.counters.repair_symbols_used += repair_used;
				self.events.push_back(Event::Received(Object {
					toi,
					location: file.location,
					content_type: file.content_type,
					cache_control: file.cache_control,
					body,
				}));
			}
			Ok(None) if packet.close_object => {
				// The sender is done with it; stragglers get `close_grace`.
				if let Some(assembly) =
					self.announced.get_mut(&toi).and_then(|a| a.assembly.as_mut())
				{
					assembly.closed = Some(now);
				}
			}
			Ok(None) => {}
		}
	}

	fn lost(&mut self, file: FdtFile) {
		self.counters.lost += 1;
		self.events.push_back(Event::Lost { toi: file.toi, location: file.location });
	}

	/// Gives up objects that stopped receiving symbols (or never did) and
	/// forgets what is long done.
	pub fn poll(&mut self, now: Instant) {
		let timeout = self.config.object_timeout;
		let stale: Vec<u32> = self
			.announced
			.iter()
			.filter(|(_, a)| {
				a.assembly
					.as_ref()
					.map_or(a.since + timeout, |x| x.deadline(timeout, self.config.close_grace))
					<= now
			})
			.map(|(toi, _)| *toi)
			.collect();
		for toi in stale {
			if let Some(Announced { file, .. }) = self.announced.remove(&toi) {
				self.done.insert(toi, now);
				self.lost(file);
			}
		}
		self.fdts.retain(|_, a| now.saturating_duration_since(a.last_symbol) < timeout);
		// Kept four timeouts: long enough for every late copy to pass.
		let keep = |at: &mut Instant| now.saturating_duration_since(*at) < timeout * 4;
		self.done.retain(|_, at| keep(at));
		self.fdts_done.retain(|_, at| keep(at));
	}

	/// When `poll` next has something to do.
	pub fn next_timeout(&self) -> Option<Instant> {
		let (timeout, grace) = (self.config.object_timeout, self.config.close_grace);
		let objects = self
			.announced
			.values()
			.map(|a| a.assembly.as_ref().map_or(a.since + timeout, |x| x.deadline(timeout, grace)));
		let fdts = self.fdts.values().map(|a| a.last_symbol + timeout);
		objects.chain(fdts).min()
	}
}
