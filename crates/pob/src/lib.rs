//! Proof of bandwidth (PoB), sans I/O.
//!
//! The chain assigns, each epoch, a set of beacons to each relay under test
//! ([`assignment`]); each beacon downloads a payload stream from the relay
//! that it can check byte for byte without trusting the relay
//! ([`payload`]); the beacons report bytes received per second; the chain
//! sums the beacons' reports per second and takes the median over the test
//! window ([`verdict`]), FlashFlow's rule, and compares it with the claim.
//! Reports are committed before they are revealed ([`commitment`]), so none
//! can be copied or shaped to the others.
//! Relays that offer multicast also send a seeded test channel that
//! beacons join through AMT ([`multicast`]).
//!
//! Pure functions and plain data: no clock, no sockets, no storage. The
//! pallet, `ocm-relay` and `ocm-beacon` drive them. `no_std` so the runtime
//! can use the assignment and the verdict.

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub mod assignment;
pub mod commitment;
pub mod multicast;
pub mod payload;
pub mod verdict;

/// The domain of a beacon's report signature: the beacon signs
/// `(REPORT_CONTEXT, genesis hash, report)` SCALE-encoded, so a report is
/// good for one chain, epoch, relay and beacon only. The pallet checks what
/// `ocm-beacon` signs.
pub const REPORT_CONTEXT: &[u8; 16] = b"ocm/pob/report/1";
