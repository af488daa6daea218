//! Objects over multicast: ALC/LCT packets (RFC 5775, RFC 5651) in FLUTE
//! sessions (RFC 6726) with RaptorQ forward error correction (RFC 6330,
//! FEC encoding ID 6), sans I/O.
//!
//! - [`packet`]: the LCT header, its FLUTE extensions, the FEC Payload ID.
//! - [`oti`]: RaptorQ's Object Transmission Information, checked.
//! - [`fdt`]: File Delivery Table instances (XML).
//! - [`sender`]: an object in, its FDT and symbol packets out.
//! - [`receiver`]: packets in, rebuilt (or lost) objects out.

pub mod fdt;
pub mod oti;
pub mod packet;
pub mod receiver;
pub mod sender;

pub use receiver::{Event, Object, Receiver, ReceiverConfig};
pub use sender::{Sender, SenderConfig};
