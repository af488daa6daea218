//! RaptorQ's FEC Object Transmission Information (RFC 6330 §3.3): how an
//! object is cut into source blocks and symbols. Checked in full when
//! decoded, so nothing a sender claims can make the decoder panic or
//! allocate beyond what the object's length allows.

use base64::{engine::general_purpose::STANDARD, Engine};

/// RFC 6330's largest transfer length (errata 5548).
pub const MAX_TRANSFER_LENGTH: u64 = 942_574_504_275;
/// K'max: most source symbols in one source block (RFC 6330 §5.1.2).
pub const MAX_SOURCE_SYMBOLS_PER_BLOCK: u64 = 56_403;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Oti {
	/// F: the object's length in bytes.
	pub transfer_length: u64,
	/// T: bytes per symbol.
	pub symbol_size: u16,
	/// Z: source blocks.
	pub source_blocks: u8,
	/// N: sub-blocks per source block.
	pub sub_blocks: u16,
	/// Al: symbol alignment.
	pub alignment: u8,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum OtiError {
	/// F is 0: there is nothing to send.
	Empty,
	/// F beyond RFC 6330's limit.
	TooLong,
	/// T zero, or not a multiple of a nonzero Al.
	SymbolSize,
	/// Z or N zero, more source blocks than symbols, or sub-symbols
	/// smaller than the alignment.
	Blocks,
	/// A source block of more than K'max symbols.
	BlockTooLarge,
	/// Scheme-specific information that is not Z, N and Al (FDT attribute).
	SchemeSpecific,
}

impl core::fmt::Display for OtiError {
	fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
		match self {
			Self::Empty => write!(f, "transfer length 0"),
			Self::TooLong => write!(f, "transfer length beyond RFC 6330's limit"),
			Self::SymbolSize => write!(f, "symbol size not a nonzero multiple of the alignment"),
			Self::Blocks => write!(f, "source block or sub-block counts impossible for the object"),
			Self::BlockTooLarge => write!(f, "a source block of more than 56403 symbols"),
			Self::SchemeSpecific => write!(f, "scheme-specific OTI is not 4 bytes of Z, N, Al"),
		}
	}
}

impl std::error::Error for OtiError {}

fn div_ceil(a: u64, b: u64) -> u64 {
	a.div_ceil(b)
}

impl Oti {
	/// The OTI for an object of `length` bytes cut into `symbol_size`
	/// symbols (a multiple of 8), with source blocks of at most
	/// `max_block_symbols` symbols and no sub-blocking.
	pub fn for_object(
		length: u64,
		symbol_size: u16,
		max_block_symbols: u16,
	) -> Result<Self, OtiError> {
		let symbols = div_ceil(length, u64::from(symbol_size.max(1)));
		let blocks = div_ceil(symbols, u64::from(max_block_symbols.max(1))).max(1);
		let oti = Self {
			transfer_length: length,
			symbol_size,
			source_blocks: u8::try_from(blocks).map_err(|_| OtiError::BlockTooLarge)?,
			sub_blocks: 1,
			alignment: 8,
		};
		oti.check()?;
		Ok(oti)
	}

	/// Source symbols in all: ceil(F / T).
	pub fn source_symbols(&self) -> u64 {
		div_ceil(self.transfer_length, u64::from(self.symbol_size))
	}

	/// Whether the fields describe an object RaptorQ can carry.
	pub fn check(&self) -> Result<(), OtiError> {
		if self.transfer_length == 0 {
			return Err(OtiError::Empty);
		}
		if self.transfer_length > MAX_TRANSFER_LENGTH {
			return Err(OtiError::TooLong);
		}
		if self.alignment == 0
			|| self.symbol_size == 0
			|| !self.symbol_size.is_multiple_of(u16::from(self.alignment))
		{
			return Err(OtiError::SymbolSize);
		}
		let symbols = self.source_symbols();
		if self.source_blocks == 0
			|| u64::from(self.source_blocks) > symbols
			|| self.sub_blocks == 0
			|| self.sub_blocks > self.symbol_size / u16::from(self.alignment)
		{
			return Err(OtiError::Blocks);
		}
		if div_ceil(symbols, u64::from(self.source_blocks)) > MAX_SOURCE_SYMBOLS_PER_BLOCK {
			return Err(OtiError::BlockTooLarge);
		}
		Ok(())
	}

	/// The 12 bytes of EXT_FTI: F (40), reserved (8), T (16), Z, N (16), Al.
	pub fn encode(&self) -> [u8; 12] {
		let f = self.transfer_length.to_be_bytes();
		let t = self.symbol_size.to_be_bytes();
		let n = self.sub_blocks.to_be_bytes();
		[
			f[3],
			f[4],
			f[5],
			f[6],
			f[7],
			0,
			t[0],
			t[1],
			self.source_blocks,
			n[0],
			n[1],
			self.alignment,
		]
	}

	pub fn decode(bytes: &[u8; 12]) -> Result<Self, OtiError> {
		let transfer_length = bytes[..5].iter().fold(0u64, |acc, b| (acc << 8) | u64::from(*b));
		let oti = Self {
			transfer_length,
			symbol_size: u16::from_be_bytes([bytes[6], bytes[7]]),
			source_blocks: bytes[8],
			sub_blocks: u16::from_be_bytes([bytes[9], bytes[10]]),
			alignment: bytes[11],
		};
		oti.check()?;
		Ok(oti)
	}

	/// FDT's FEC-OTI-Scheme-Specific-Info: base64 of Z, N, Al.
	pub fn scheme_specific(&self) -> String {
		let n = self.sub_blocks.to_be_bytes();
		STANDARD.encode([self.source_blocks, n[0], n[1], self.alignment])
	}

	/// The OTI from an FDT's attributes.
	pub fn from_fdt(
		transfer_length: u64,
		symbol_size: u16,
		scheme_specific: &str,
	) -> Result<Self, OtiError> {
		let bytes =
			STANDARD.decode(scheme_specific.trim()).map_err(|_| OtiError::SchemeSpecific)?;
		let [z, n0, n1, al] = bytes[..] else { return Err(OtiError::SchemeSpecific) };
		let oti = Self {
			transfer_length,
			symbol_size,
			source_blocks: z,
			sub_blocks: u16::from_be_bytes([n0, n1]),
			alignment: al,
		};
		oti.check()?;
		Ok(oti)
	}

	/// raptorq's form. Only valid OTIs exist, so its asserts hold.
	pub fn to_raptorq(self) -> raptorq::ObjectTransmissionInformation {
		raptorq::ObjectTransmissionInformation::new(
			self.transfer_length,
			self.symbol_size,
			self.source_blocks,
			self.sub_blocks,
			self.alignment,
		)
	}

	/// Each source block's length in symbols (RFC 6330 §4.4.1.2's partition).
	pub fn block_symbols(&self) -> Vec<u32> {
		let (kl, ks, zl, zs) = raptorq::partition(self.source_symbols() as u32, self.source_blocks);
		let mut blocks = vec![kl; zl as usize];
		blocks.extend(std::iter::repeat_n(ks, zs as usize));
		blocks
	}
}
