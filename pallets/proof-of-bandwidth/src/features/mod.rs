//! The pallet's logic, one concern per module; `lib.rs` only declares.

mod beacon;
mod epoch;
mod multicast;
pub use multicast::multicast_signing_payload;
mod probe;
pub use probe::{probe, probe_signing_payload, probe_url};
mod report;
pub use report::{commitment_signing_payload, signing_payload, REPORT_PRIORITY};
mod try_state;
