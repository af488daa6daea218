//! The FLUTE sender: each object goes out once as an FDT Instance naming
//! it (repeated, as FLUTE carousels do, since a receiver that misses it
//! cannot use the object) and then its RaptorQ source and repair symbols,
//! the last packet flagged B (close object).

use crate::{
	fdt::{FdtFile, FdtInstance},
	oti::{Oti, OtiError},
	packet::{self, Header},
};
use md5::{Digest, Md5};
use std::collections::BTreeMap;

#[derive(Clone, Debug)]
pub struct SenderConfig {
	/// The session's Transport Session Identifier.
	pub tsi: u32,
	/// T: bytes of object per packet. 1312 keeps an ALC packet (48 bytes
	/// of IPv4, UDP and ALC headers) inside 1400 bytes and, inside AMT's
	/// 50 more, inside a 1500-byte path.
	pub symbol_size: u16,
	/// Most source symbols per source block: decoding cost grows with it.
	pub max_block_symbols: u16,
	/// The loss rate repair symbols are sized for, in parts per million
	/// of packets (50,000: 5 %).
	pub design_loss_ppm: u32,
	/// The chance, in parts per million, that a block still cannot be
	/// rebuilt at the design loss: repair symbols are added until fewer
	/// than this many blocks in a million receive fewer than K + 1
	/// symbols (RaptorQ rebuilds from K + 1 all but 1 in 10^4 times).
	pub max_failure_ppm: u32,
	/// Copies of each FDT Instance sent.
	pub fdt_copies: u8,
	/// The FDT Instances' Expires (NTP seconds).
	pub fdt_expires: u32,
}

impl Default for SenderConfig {
	fn default() -> Self {
		Self {
			tsi: 1,
			symbol_size: 1312,
			max_block_symbols: 8192,
			design_loss_ppm: 50_000,
			max_failure_ppm: 100,
			fdt_copies: 3,
			// 2036-02-07, the end of NTP era 0.
			fdt_expires: u32::MAX,
		}
	}
}

/// One object's packets, in sending order.
#[derive(Clone, Debug)]
pub struct SentObject {
	pub toi: u32,
	pub packets: Vec<Vec<u8>>,
	/// Symbols of the object itself, and of FEC repair.
	pub source_symbols: u64,
	pub repair_symbols: u64,
	/// Bytes of FDT packets.
	pub fdt_bytes: u64,
}

pub struct Sender {
	config: SenderConfig,
	next_toi: u32,
	next_fdt_instance: u32,
	/// Repair symbols for a block of K source symbols, worked out once per K.
	repair: BTreeMap<u32, u32>,
}

impl Sender {
	pub fn new(config: SenderConfig) -> Self {
		Self { config, next_toi: 1, next_fdt_instance: 0, repair: BTreeMap::new() }
	}

	pub fn config(&self) -> &SenderConfig {
		&self.config
	}

	/// The packets that deliver `body` under `location`.
	pub fn send_object(
		&mut self,
		location: &str,
		content_type: Option<&str>,
		body: &[u8],
	) -> Result<SentObject, OtiError> {
		self.send_object_cached(location, content_type, None, body)
	}

	/// As `send_object`, telling receivers how long to cache it.
	pub fn send_object_cached(
		&mut self,
		location: &str,
		content_type: Option<&str>,
		cache_control: Option<&str>,
		body: &[u8],
	) -> Result<SentObject, OtiError> {
		// Objects smaller than a symbol get a symbol their own size (in
		// multiples of the alignment): a playlist's repair symbols are then
		// as small as it is, not 1312 bytes of padding each.
		let symbol_size =
			(body.len() as u64).next_multiple_of(8).min(u64::from(self.config.symbol_size)) as u16;
		let oti = Oti::for_object(body.len() as u64, symbol_size, self.config.max_block_symbols)?;
		let toi = self.next_toi;
		// TOI 0 is the FDT's; wrap past it.
		self.next_toi = self.next_toi.checked_add(1).unwrap_or(1);
		let instance = self.next_fdt_instance;
		self.next_fdt_instance = (self.next_fdt_instance + 1) & 0xf_ffff;

		let fdt = FdtInstance {
			expires: self.config.fdt_expires,
			files: vec![FdtFile {
				toi,
				location: location.to_owned(),
				content_type: content_type.map(str::to_owned),
				cache_control: cache_control.map(str::to_owned),
				md5: Some(Md5::digest(body).into()),
				oti,
			}],
		}
		.encode();
		let mut packets = Vec::new();
		let mut fdt_bytes = 0;
		for packet in self.fdt_packets(instance, &fdt)? {
			for _ in 0..self.config.fdt_copies.max(1) {
				fdt_bytes += packet.len() as u64;
				packets.push(packet.clone());
			}
		}

		let header = Header {
			tsi: self.config.tsi,
			toi,
			close_session: false,
			close_object: false,
			fdt_instance: None,
			oti: None,
		};
		let encoder = raptorq::Encoder::new(body, oti.to_raptorq());
		let (mut source_symbols, mut repair_symbols) = (0, 0);
		for block in encoder.get_block_encoders() {
			let source = block.source_packets();
			let (loss, failure) = (self.config.design_loss_ppm, self.config.max_failure_ppm);
			let repair_count = *self
				.repair
				.entry(source.len() as u32)
				.or_insert_with(|| self::repair_symbols(source.len() as u32, loss, failure));
			let repair = block.repair_packets(0, repair_count);
			source_symbols += source.len() as u64;
			repair_symbols += repair.len() as u64;
			for symbol in source.into_iter().chain(repair) {
				let mut bytes = Vec::with_capacity(24 + symbol.data().len());
				let id = symbol.payload_id();
				packet::encode_into(
					&mut bytes,
					&header,
					id.source_block_number(),
					id.encoding_symbol_id(),
					symbol.data(),
				);
				packets.push(bytes);
			}
		}
		// B on the last packet: the receiver need not wait out a timeout
		// to know nothing more is coming.
		if let Some(last) = packets.last_mut() {
			last[1] |= 0x01;
		}
		Ok(SentObject { toi, packets, source_symbols, repair_symbols, fdt_bytes })
	}

	/// An FDT Instance on TOI 0, each packet with EXT_FDT and EXT_FTI. An
	/// instance that fits one symbol (the usual case) is sent whole in one
	/// packet, symbol size equal to its length, so every copy is the XML
	/// itself.
	fn fdt_packets(&self, instance: u32, xml: &[u8]) -> Result<Vec<Vec<u8>>, OtiError> {
		let symbol_size = (xml.len() as u64).min(u64::from(self.config.symbol_size)) as u16;
		let oti = Oti {
			transfer_length: xml.len() as u64,
			symbol_size,
			source_blocks: 1,
			sub_blocks: 1,
			alignment: 1,
		};
		oti.check()?;
		let header = Header {
			tsi: self.config.tsi,
			toi: 0,
			close_session: false,
			close_object: false,
			fdt_instance: Some(instance),
			oti: Some(oti),
		};
		let mut packets = Vec::new();
		for (esi, chunk) in xml.chunks(usize::from(symbol_size)).enumerate() {
			let mut bytes = Vec::with_capacity(44 + chunk.len());
			packet::encode_into(&mut bytes, &header, 0, esi as u32, chunk);
			// The last symbol is padded to T, as RaptorQ's source symbols are.
			bytes.resize(bytes.len() + usize::from(symbol_size) - chunk.len(), 0);
			packets.push(bytes);
		}
		Ok(packets)
	}
}

/// The fewest repair symbols r for a block of k source symbols such that,
/// with each of the k + r packets lost independently at `loss_ppm`, fewer
/// than k + 1 arrive with probability at most `failure_ppm`. Exact
/// binomial tail for small blocks, normal approximation (with continuity
/// correction) for large ones, where it is within a few percent.
pub fn repair_symbols(k: u32, loss_ppm: u32, failure_ppm: u32) -> u32 {
	let p = f64::from(loss_ppm.min(900_000)) / 1e6;
	let target = f64::from(failure_ppm.max(1)) / 1e6;
	if p == 0.0 {
		return 1;
	}
	let mut r = 1u32;
	loop {
		let n = k + r;
		// Failure: r or more of n lost.
		let failure = if n <= 2000 {
			let (q, mut pmf, mut below) = (1.0 - p, (1.0 - p).powi(n as i32), 0.0);
			for i in 0..r {
				below += pmf;
				pmf *= f64::from(n - i) / f64::from(i + 1) * p / q;
			}
			(1.0 - below).max(0.0)
		} else {
			let mean = f64::from(n) * p;
			let sd = (mean * (1.0 - p)).sqrt();
			let z = (f64::from(r) - 0.5 - mean) / sd;
			0.5 * erfc(z / std::f64::consts::SQRT_2)
		};
		if failure <= target || r >= k.saturating_mul(4).max(64) {
			return r;
		}
		r += 1;
	}
}

/// The complementary error function (Numerical Recipes' erfcc: relative
/// error below 1.2e-7, far inside what sizing repair needs).
fn erfc(x: f64) -> f64 {
	let z = x.abs();
	let t = 1.0 / (1.0 + 0.5 * z);
	let poly = -z * z - 1.265_512_23
		+ t * (1.000_023_68
			+ t * (0.374_091_96
				+ t * (0.096_784_18
					+ t * (-0.186_288_06
						+ t * (0.278_868_07
							+ t * (-1.135_203_98
								+ t * (1.488_515_87 + t * (-0.822_152_23 + t * 0.170_872_77))))))));
	let r = t * poly.exp();
	if x >= 0.0 {
		r
	} else {
		2.0 - r
	}
}
